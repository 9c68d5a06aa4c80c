//! The pubgrub [`DependencyProvider`] for stacks.
//!
//! Decisions are ordered so that the search rarely needs to backtrack:
//! packages that *must* be present (their range excludes "absent") are decided first, the
//! ones with fewest candidate versions first among them; packages only mentioned by
//! constraints or conflicts (range includes "absent") are decided last, and decided
//! "absent". Nothing ever makes a package present except a rule that brings it, so
//! deciding "absent" last is always consistent with what came before; if a later rule
//! does bring it, pubgrub's conflict-driven backtracking revisits the decision.

use std::cmp::Reverse;

use pubgrub::{
    Dependencies, DependencyConstraints, DependencyProvider, PackageResolutionStatistics,
};

use super::compile::Compiler;
use super::package::{Pkg, Range, Ver};
use crate::error::Error;

/// Order of decisions: (must be present?, conflicts seen, fewer candidates first).
pub type Priority = (bool, u32, Reverse<usize>);

#[derive(Debug)]
pub struct Provider<'c, 'a> {
    pub compiler: &'c Compiler<'a>,
}

impl DependencyProvider for Provider<'_, '_> {
    type P = Pkg;
    type V = Ver;
    type VS = Range;
    type Priority = Priority;
    type M = String;
    type Err = Error;

    fn prioritize(
        &self,
        package: &Pkg,
        range: &Range,
        stats: &PackageResolutionStatistics,
    ) -> Priority {
        let must_be_present = !range.contains(&Ver::ABSENT);
        let candidates = range
            .iter()
            .map(|(lo, hi)| bound_width(lo.as_ref(), hi.as_ref()))
            .sum::<usize>();
        let _ = package;
        (must_be_present, stats.conflict_count(), Reverse(candidates))
    }

    fn choose_version(&self, package: &Pkg, range: &Range) -> Result<Option<Ver>, Error> {
        // Nothing has asked for this package to be present (yet): leave it out.
        if range.contains(&Ver::ABSENT) && !matches!(package, Pkg::Root) {
            return Ok(Some(Ver::ABSENT));
        }
        let count = self.compiler.version_count(package)?;
        let version = match package {
            Pkg::Root | Pkg::Option(..) => Some(Ver::ONE).filter(|v| range.contains(v)),
            // Newest first.
            Pkg::Component(..) => (0..count)
                .rev()
                .map(Ver::from_index)
                .find(|v| range.contains(v)),
            // The group's default option first, then options in the order listed.
            Pkg::Group(kind, name) => {
                let group = self.compiler.group(*kind, name)?;
                let default = group
                    .default
                    .first()
                    .and_then(|d| group.option_index(d))
                    .map(Ver::from_index);
                default
                    .filter(|v| range.contains(v))
                    .or_else(|| (0..count).map(Ver::from_index).find(|v| range.contains(v)))
            }
        };
        Ok(version)
    }

    fn get_dependencies(
        &self,
        package: &Pkg,
        version: &Ver,
    ) -> Result<Dependencies<Pkg, Range, String>, Error> {
        let deps = self.compiler.deps(package, *version)?;
        if self.compiler.unusable(package, *version).is_some() {
            // The report looks the rule up again; the message is for pubgrub's logs only.
            return Ok(Dependencies::Unavailable(
                "a rule of this version excludes it".to_string(),
            ));
        }
        let constraints: DependencyConstraints<Pkg, Range> = deps
            .iter()
            .map(|(pkg, dep)| (pkg.clone(), dep.range.clone()))
            .collect();
        Ok(Dependencies::Available(constraints))
    }
}

fn bound_width(lo: std::ops::Bound<&Ver>, hi: std::ops::Bound<&Ver>) -> usize {
    use std::ops::Bound::{Excluded, Included, Unbounded};
    let lo = match lo {
        Included(v) => v.0 as usize,
        Excluded(v) => v.0 as usize + 1,
        Unbounded => 0,
    };
    let hi = match hi {
        Included(v) => v.0 as usize + 1,
        Excluded(v) => v.0 as usize,
        // "Any present version": the real count is not needed for ordering, only that it
        // sorts after narrow ranges.
        Unbounded => lo + 1024,
    };
    hi.saturating_sub(lo)
}
