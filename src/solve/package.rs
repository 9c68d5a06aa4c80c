//! The pubgrub encoding of a stack: packages, versions and why each dependency exists.
//!
//! | hsm concept                     | pubgrub                                               |
//! |---------------------------------|-------------------------------------------------------|
//! | hsm.yaml                        | the root package, one version                         |
//! | a component (library/service)   | a package whose versions are the component's versions |
//! | "not in the stack"              | the sentinel version [`Ver::ABSENT`]                  |
//! | a 1-of-N group                  | a package whose versions are option indices           |
//! | one option of an M-of-N group   | a package with one version                            |
//! | implies / requires / selects    | a dependency (on "any present version" or a range)    |
//! | conflicts                       | a dependency on exactly [`Ver::ABSENT`]               |
//! | constraints (hsm.yaml)          | a dependency on "absent, or a matching version"       |
//!
//! A package has one version in a solution, so a 1-of-N group holds one option whoever
//! asks for it: exclusivity costs nothing extra. Component versions are stored oldest first
//! and numbered from 1, so "newest" is simply "highest".

use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use pubgrub::Ranges;

use crate::manifest::Strategy;
use crate::registry::Kind;
use crate::source::Origin;

/// A pubgrub package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pkg {
    /// hsm.yaml.
    Root,
    /// A library or service.
    Component(Kind, Arc<str>),
    /// A 1-of-N group; its versions are option indices.
    Group(Kind, Arc<str>),
    /// Option `index` of an M-of-N group.
    Option(Kind, Arc<str>, u32),
}

impl Pkg {
    /// The package and version that stand for option `index` of a group: a version of
    /// the group's package (1-of-N) or an option package of its own (M-of-N).
    pub fn option(kind: Kind, group: &str, strategy: Strategy, index: usize) -> (Pkg, Ver) {
        match strategy {
            Strategy::OneOfN => (Pkg::Group(kind, group.into()), Ver::from_index(index)),
            Strategy::ManyOfN => (
                Pkg::Option(kind, group.into(), u32::try_from(index).unwrap_or(u32::MAX)),
                Ver::ONE,
            ),
        }
    }
}

impl fmt::Display for Pkg {
    // Only for pubgrub's own logging; users never see this (see `report`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkg::Root => f.write_str("hsm.yaml"),
            Pkg::Component(k, n) => write!(f, "{k} {n}"),
            Pkg::Group(k, g) => write!(f, "{k} group {g}"),
            Pkg::Option(k, g, i) => write!(f, "{k} group {g} option #{i}"),
        }
    }
}

/// A pubgrub version: 0 is "absent", `n` is the n-th version or option (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ver(pub u32);

impl Ver {
    pub const ABSENT: Ver = Ver(0);
    /// The only version of the root and of M-of-N option packages.
    pub const ONE: Ver = Ver(1);

    /// The version for a 0-based index.
    pub fn from_index(i: usize) -> Ver {
        Ver(u32::try_from(i + 1).unwrap_or(u32::MAX))
    }

    /// The 0-based index, or `None` for [`Ver::ABSENT`].
    pub fn index(self) -> Option<usize> {
        (self.0 > 0).then(|| self.0 as usize - 1)
    }
}

impl fmt::Display for Ver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index() {
            None => f.write_str("absent"),
            Some(i) => write!(f, "#{i}"),
        }
    }
}

pub type Range = Ranges<Ver>;

/// Any version that means "in the stack".
pub fn present() -> Range {
    Ranges::higher_than(Ver::ONE)
}

pub fn absent() -> Range {
    Ranges::singleton(Ver::ABSENT)
}

/// The versions with these 0-based indices.
///
/// Built from sorted singletons in one pass: a group implied without an option admits all
/// of its options, and a union per option would be quadratic in the size of the group.
/// The result is the same set of segments the unions would give.
pub fn indices(iter: impl IntoIterator<Item = usize>) -> Range {
    let mut all: Vec<usize> = iter.into_iter().collect();
    all.sort_unstable();
    all.dedup();
    all.into_iter()
        .map(|i| {
            let v = Ver::from_index(i);
            (Bound::Included(v), Bound::Included(v))
        })
        .collect()
}

/// Why a dependency exists: the rule that created it, with its place in a file.
#[derive(Debug, Clone)]
pub enum Because {
    /// hsm.yaml selects `option` in choice group `group`.
    Selects {
        section: Kind,
        group: Arc<str>,
        option: Arc<str>,
        origin: Origin,
    },
    /// hsm.yaml lists the component under `<section>.standalone`.
    Lists { section: Kind, origin: Origin },
    /// hsm.yaml constrains the component's version.
    Constraint { text: String, origin: Origin },
    /// Option `option` of `group` is the component of that name (structural, no rule).
    IsOption {
        group: Arc<str>,
        option: Arc<str>,
        origin: Origin,
    },
    /// An `implies` entry naming a component, with the params it passes.
    Implies {
        params: Arc<indexmap::IndexMap<String, String>>,
        origin: Origin,
    },
    /// An `implies` entry naming a group (and maybe options of it).
    ImpliesGroup {
        group: Arc<str>,
        options: Option<Vec<String>>,
        origin: Origin,
    },
    /// A `requires` entry.
    Requires { text: String, origin: Origin },
    /// A `conflicts` entry.
    Conflicts { origin: Origin },
}

impl Because {
    pub fn origin(&self) -> &Origin {
        match self {
            Because::Selects { origin, .. }
            | Because::Lists { origin, .. }
            | Because::Constraint { origin, .. }
            | Because::IsOption { origin, .. }
            | Because::Implies { origin, .. }
            | Because::ImpliesGroup { origin, .. }
            | Because::Requires { origin, .. }
            | Because::Conflicts { origin } => origin,
        }
    }

    /// Does this rule put its target in the stack (as opposed to restricting it)?
    pub fn brings(&self) -> bool {
        !matches!(self, Because::Constraint { .. } | Because::Conflicts { .. })
    }
}

/// One dependency of a package version.
#[derive(Debug, Clone)]
pub struct Dep {
    pub range: Range,
    pub because: Vec<Because>,
}

/// All dependencies of one package version, in the order their rules were written.
pub type Deps = indexmap::IndexMap<Pkg, Dep>;

pub fn add_dep(deps: &mut Deps, pkg: Pkg, range: Range, because: Because) {
    match deps.get_mut(&pkg) {
        Some(dep) => {
            dep.range = dep.range.intersection(&range);
            dep.because.push(because);
        }
        None => {
            deps.insert(
                pkg,
                Dep {
                    range,
                    because: vec![because],
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_the_union_of_their_singletons() {
        let union = |items: &[usize]| {
            items.iter().fold(Ranges::empty(), |acc, &i| {
                acc.union(&Ranges::singleton(Ver::from_index(i)))
            })
        };
        for items in [
            &[][..],
            &[0],
            &[3, 1, 2],
            &[5, 0, 5, 9, 1],
            &[7, 6, 5, 4, 3, 2, 1, 0],
        ] {
            assert_eq!(indices(items.iter().copied()), union(items), "{items:?}");
        }
        // A group of 100 000 options implied without an option: one pass, not 100 000 unions.
        let all = indices(0..100_000);
        assert!(all.contains(&Ver::from_index(99_999)) && !all.contains(&Ver::ABSENT));
    }
}
