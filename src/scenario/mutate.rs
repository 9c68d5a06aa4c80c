//! Mutation testing of a rule set: would the scenarios notice if a rule changed?
//!
//! Coverage says a rule acted in some case; it does not say a case would fail if the rule
//! were wrong. A mutant is the registry with one rule changed in memory ([`Operator`]): an
//! `implies` or `conflicts` dropped, a `requires` range widened to any version or narrowed
//! to exclude the newest version it admits, a group's `default` moved to another option, a
//! 1-of-N group made M-of-N, an option removed. Each mutant is run against the cases that
//! read the file it changes (a case that never read the file cannot see the change); the
//! first case that fails kills it. A mutant no case kills *survives*: either a case is
//! missing, or the mutant is *equivalent* (it cannot change any stack), which a scenario
//! file documents under `equivalent_mutants:` with the reason.
//!
//! A change that leaves a rule meaning what it meant (widening a range that already admits
//! every version of its target, narrowing one that admits none) is not a mutant and is
//! never made.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use semver::{Comparator, Op, VersionReq};
use serde::Serialize;

use crate::registry::rules::{ComponentVersion, Requirement};
use crate::registry::{Category, Component, Group, Kind, Registry, Replaced, words};
use crate::source::{Origin, Place};
use crate::vocab::Strategy;

use super::coverage::default_origin;
use super::{Case, Equivalent};

/// How a mutant differs from the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operator {
    DropImplies,
    DropConflicts,
    WidenRequires,
    NarrowRequires,
    ChangeDefault,
    SwapStrategy,
    RemoveOption,
}

/// The registry with one rule changed.
#[derive(Debug, Clone)]
pub struct Mutant {
    pub operator: Operator,
    /// What changed, in words; also how `equivalent_mutants:` names it.
    pub text: String,
    /// The rule changed.
    pub origin: Origin,
    /// The file changed, as [`Registry::loaded`] names it.
    pub entry: (Category, String),
    pub replaced: Replaced,
}

/// Every mutant of `registry`'s files that load, in file and line order.
pub fn mutants(registry: &Registry) -> Vec<Mutant> {
    mutants_and_unmade(registry).0
}

/// [`mutants`], and how many changes were not made because they cannot change any stack
/// (a default no rule reads, a range that would admit the same versions).
pub fn mutants_and_unmade(registry: &Registry) -> (Vec<Mutant>, usize) {
    let mut out = Vec::new();
    let mut unmade = 0;
    let defaulted = super::coverage::defaulted(registry);
    for kind in [Kind::Library, Kind::Service] {
        for name in registry.names(kind.category()).iter() {
            if let Ok(Some(c)) = registry.component(kind, name)
                && super::coverage::maintained(registry, &c.file)
            {
                unmade += component_mutants(registry, &c, &mut out);
            }
        }
        for name in registry.names(kind.group_category()).iter() {
            if let Ok(Some(g)) = registry.group(kind, name)
                && super::coverage::maintained(registry, &g.file)
            {
                let reads_default = defaulted.contains(&(g.kind, g.name.clone()));
                if !reads_default && !g.default.is_empty() && g.options.len() > 1 {
                    unmade += 1;
                }
                group_mutants(&g, reads_default, &mut out);
            }
        }
    }
    out.sort_by_cached_key(|m| {
        (
            m.origin.file().display().to_string(),
            m.origin.line(),
            m.operator,
            m.text.clone(),
        )
    });
    (out, unmade)
}

/// How the owner of a rule of `c` is named: the component, or its one version that holds
/// the rule (`holds`) when others do not.
fn owner(c: &Component, holds: impl Fn(&ComponentVersion) -> bool) -> String {
    let what = format!("{} `{}`", c.kind, c.name);
    let holding: Vec<&ComponentVersion> = c.versions.iter().filter(|v| holds(v)).collect();
    match holding.as_slice() {
        [one] if c.versions.len() > 1 => match &one.version {
            Some(v) => format!("version {v} of {what}"),
            None => what,
        },
        _ => what,
    }
}

/// `c` with `change` applied to every version.
fn changed(c: &Component, change: impl Fn(&mut ComponentVersion)) -> Replaced {
    let mut c = c.clone();
    c.versions.iter_mut().for_each(change);
    Replaced::Component(Arc::new(c))
}

/// Each distinct rule of `c` that `rules` lists (a top-level rule that every version holds,
/// once), with its place and how its owner is named.
fn distinct<R>(
    c: &Component,
    rules: fn(&ComponentVersion) -> &[R],
    origin: fn(&R) -> &Origin,
) -> Vec<(&R, Place, String)> {
    let mut seen: HashSet<Place> = HashSet::new();
    let mut out = Vec::new();
    for v in &c.versions {
        for r in rules(v) {
            let place = origin(r).place();
            if seen.insert(place.clone()) {
                let owner = owner(c, |v| rules(v).iter().any(|x| origin(x).place() == place));
                out.push((r, place, owner));
            }
        }
    }
    out
}

/// Push the mutants of `c`; return how many changes of its ranges were not made.
fn component_mutants(registry: &Registry, c: &Arc<Component>, out: &mut Vec<Mutant>) -> usize {
    let mut unmade = 0;
    let entry = (c.kind.category(), c.name.clone());
    let mut push = |operator, text: String, origin: &Origin, replaced| {
        out.push(Mutant {
            operator,
            text,
            origin: origin.clone(),
            entry: entry.clone(),
            replaced,
        });
    };
    for (imp, place, owner) in distinct(c, |v| v.implies.as_slice(), |i| &i.origin) {
        let text = format!("{owner} {}: dropped", words::implication(imp));
        let replaced = changed(c, |v| v.implies.retain(|i| i.origin.place() != place));
        push(Operator::DropImplies, text, &imp.origin, replaced);
    }
    for (r, place, owner) in distinct(c, |v| v.conflicts.as_slice(), |r| &r.origin) {
        let target = words::reference(&r.target);
        let text = format!("{owner} conflicts with {target}: dropped");
        let replaced = changed(c, |v| v.conflicts.retain(|x| x.origin.place() != place));
        push(Operator::DropConflicts, text, &r.origin, replaced);
    }
    for (r, place, owner) in distinct(c, |v| v.requires.as_slice(), |r| &r.origin) {
        let changes = ranges(registry, r);
        if let Some(changes) = &changes {
            unmade += 2 - changes.len();
        }
        for (operator, req) in changes.unwrap_or_default() {
            let how = match operator {
                Operator::WidenRequires => "widened",
                _ => "narrowed",
            };
            let target = words::reference(&r.target);
            let text = format!("{owner} requires {target} {}: {how} to {req}", r.text);
            let replaced = changed(c, |v| {
                for x in v.requires.iter_mut().filter(|x| x.origin.place() == place) {
                    x.req = req.clone();
                    x.text = req.to_string();
                }
            });
            push(operator, text, &r.origin, replaced);
        }
    }
    unmade
}

/// The widened and narrowed ranges of a requirement that change what it admits (`None`
/// when its target cannot take a range at all).
fn ranges(registry: &Registry, r: &Requirement) -> Option<Vec<(Operator, VersionReq)>> {
    let Ok(target) = registry.resolve_ref(&r.target, &r.origin) else {
        return None; // a dangling rule: lint's business
    };
    let versions: Vec<&semver::Version> = target
        .versions
        .iter()
        .filter_map(|v| v.version.as_ref())
        .collect();
    if versions.is_empty() {
        return None; // an unversioned target takes no range
    }
    let admitted: Vec<&semver::Version> = versions
        .iter()
        .copied()
        .filter(|v| r.req.matches(v))
        .collect();
    let mut out = Vec::new();
    if admitted.len() < versions.len() {
        out.push((Operator::WidenRequires, VersionReq::STAR));
    }
    if let Some(newest) = admitted.iter().max() {
        let mut req = r.req.clone();
        req.comparators.push(Comparator {
            op: Op::Less,
            major: newest.major,
            minor: Some(newest.minor),
            patch: Some(newest.patch),
            pre: newest.pre.clone(),
        });
        out.push((Operator::NarrowRequires, req));
    }
    Some(out)
}

fn group_mutants(g: &Arc<Group>, reads_default: bool, out: &mut Vec<Mutant>) {
    let entry = (g.kind.group_category(), g.name.clone());
    let what = format!("{} group `{}`", g.kind, g.name);
    let mut push = |operator, text: String, origin: &Origin, group: Group| {
        out.push(Mutant {
            operator,
            text,
            origin: origin.clone(),
            entry: entry.clone(),
            replaced: Replaced::Group(Arc::new(group)),
        });
    };
    for (i, o) in g.options.iter().enumerate() {
        for (j, imp) in o.implies.iter().enumerate() {
            let mut m = (**g).clone();
            m.options[i].implies.remove(j);
            let text = format!(
                "option `{}` of {what} {}: dropped",
                o.name,
                words::implication(imp)
            );
            push(Operator::DropImplies, text, &imp.origin, m);
        }
        let mut m = (**g).clone();
        m.options.remove(i);
        m.default.retain(|d| *d != o.name);
        let text = format!("option `{}` of {what}: removed", o.name);
        push(Operator::RemoveOption, text, &o.origin, m);
    }
    if reads_default
        && let Some(first) = g.default.first()
        && let Some(at) = g.option_index(first)
        && g.options.len() > 1
    {
        let next = &g.options[(at + 1) % g.options.len()].name;
        let mut m = (**g).clone();
        m.default = vec![next.clone()];
        let text = format!(
            "default `{}` of {what}: changed to `{next}`",
            g.default.join("`, `")
        );
        push(Operator::ChangeDefault, text, &default_origin(g), m);
    }
    if g.strategy == Strategy::OneOfN {
        let mut m = (**g).clone();
        m.strategy = Strategy::ManyOfN;
        let text = format!("{what} (1-of-N): made M-of-N");
        push(Operator::SwapStrategy, text, &g.strategy_origin(), m);
    }
}

/// What became of the mutants of one registry.
#[derive(Debug, Default)]
pub struct MutationReport {
    pub mutants: usize,
    /// Changes not made because they cannot change any stack (see [`mutants_and_unmade`]).
    pub unmade: usize,
    pub killed: usize,
    /// Mutants no case killed and no scenario file declares equivalent.
    pub survived: Vec<Mutant>,
    /// Mutants no case killed, each with the reason its scenario file gives.
    pub equivalent: Vec<(Mutant, String)>,
    /// `equivalent_mutants:` entries that name no surviving mutant (stale, or misspelt).
    pub unused: Vec<Equivalent>,
    pub elapsed: std::time::Duration,
}

impl MutationReport {
    /// Killed mutants in percent of those that are not equivalent (100 with none).
    pub fn score(&self) -> f64 {
        let judged = self.mutants - self.equivalent.len();
        super::coverage::percent(super::coverage::Count {
            covered: self.killed,
            total: judged,
        })
    }
}

/// Run `cases` (which all pass against `registry`) against every mutant of `registry`, on
/// every core. `root` stands in for the project directory.
pub fn run(
    registry: &Registry,
    cases: &[&Case],
    root: &Path,
    equivalent: &[Equivalent],
) -> MutationReport {
    use rayon::prelude::*;
    let start = std::time::Instant::now();
    // Which files each case reads: run alone against a fresh registry, what it loaded.
    let reads: Vec<HashSet<(Category, String)>> = cases
        .par_iter()
        .map(|case| {
            let fresh = Registry::new(registry.store().clone());
            let _ = case.solve(&fresh, root);
            fresh.loaded().into_iter().collect()
        })
        .collect();
    registry.load_all();
    let (all, unmade) = mutants_and_unmade(registry);
    let killed: Vec<bool> = all
        .par_iter()
        .map(|m| {
            let mutant = registry.with_replaced(m.replaced.clone());
            cases
                .iter()
                .zip(&reads)
                .filter(|(_, read)| read.contains(&m.entry))
                .any(|(case, _)| !case.run(&mutant, root).failures.is_empty())
        })
        .collect();
    let mut report = MutationReport {
        mutants: all.len(),
        unmade,
        ..MutationReport::default()
    };
    let mut used = vec![false; equivalent.len()];
    for (m, killed) in all.into_iter().zip(killed) {
        if killed {
            report.killed += 1;
            continue;
        }
        match equivalent.iter().position(|e| e.mutant == m.text) {
            Some(i) => {
                used[i] = true;
                let reason = equivalent[i].reason.clone();
                report.equivalent.push((m, reason));
            }
            None => report.survived.push(m),
        }
    }
    report.unused = equivalent
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(e, _)| e.clone())
        .collect();
    report.elapsed = start.elapsed();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Store;

    fn registry(files: &[(&str, &str)]) -> Registry {
        Registry::new(Store::memory(
            files.iter().map(|(p, t)| (p.to_string(), t.to_string())),
        ))
    }

    fn texts(registry: &Registry) -> Vec<String> {
        mutants(registry).into_iter().map(|m| m.text).collect()
    }

    #[test]
    fn a_range_is_changed_only_where_that_changes_what_it_admits() {
        let r = registry(&[
            (
                "services/db.yaml",
                "name: db\nversions:\n  - {version: 1.0.0}\n  - {version: 2.0.0}\n",
            ),
            // Admits both versions: widening changes nothing, narrowing drops 2.0.0.
            ("libraries/all.yaml", "name: all\nrequires: {db: \">=1\"}\n"),
            // Admits none: narrowing changes nothing, widening admits both.
            (
                "libraries/none.yaml",
                "name: none\nrequires: {db: \">=3\"}\n",
            ),
        ]);
        assert_eq!(
            texts(&r),
            [
                "library `all` requires `db` >=1: narrowed to >=1, <2.0.0",
                "library `none` requires `db` >=3: widened to *",
            ]
        );
    }

    #[test]
    fn a_rule_shared_by_every_version_is_one_mutant_that_changes_them_all() {
        let r = registry(&[
            ("services/db.yaml", "name: db\n"),
            (
                "libraries/app.yaml",
                "name: app\nimplies: {service:db: {}}\nversions:\n  - {version: 1.0.0}\n  - {version: 2.0.0}\n",
            ),
        ]);
        let all = mutants(&r);
        assert_eq!(all.len(), 1, "{all:#?}");
        assert_eq!(all[0].text, "library `app` implies service `db`: dropped");
        let Replaced::Component(c) = &all[0].replaced else {
            panic!("a component mutant");
        };
        assert!(c.versions.iter().all(|v| v.implies.is_empty()));
        assert_eq!(c.versions.len(), 2);
    }

    #[test]
    fn a_default_no_rule_reads_is_not_moved() {
        let group = "name: g\ntype: library_group\nstrategy: 1-of-N\ndefault: a\noptions: [a, b]\n";
        let files = [
            ("libraries/a.yaml", "name: a\n"),
            ("libraries/b.yaml", "name: b\n"),
            ("library_groups/g.yaml", group),
        ];
        let moved = |r: &Registry| texts(r).iter().any(|t| t.contains("changed to `b`"));
        assert!(!moved(&registry(&files)));
        let mut reads = files.to_vec();
        reads.push((
            "libraries/p.yaml",
            "name: p\nimplies: {library_group:g: }\n",
        ));
        assert!(moved(&registry(&reads)));
    }
}
