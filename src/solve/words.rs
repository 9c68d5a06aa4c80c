//! Domain words for solver facts.
//!
//! Everything the user reads about a solve goes through here, so the vocabulary stays
//! the manifest's and the registry's: "hsm.yaml selects", "choice group", "implies",
//! "requires". Solver terms (root, package, version indices) never leave this module.

use super::compile::Compiler;
use super::package::{Because, Pkg, Range, Ver};
use std::sync::Arc;

use crate::registry::{Group, Kind};
use crate::source::{KeyPath, Origin};
use crate::vocab::Strategy;
pub use crate::vocab::and_list;

/// What a sentence needs besides the rule itself: the names of options and versions.
///
/// The compiler answers from the registry. A [`Selection`](super::Selection) answers from
/// the definitions it holds, so it can put its reasons into words when they are printed,
/// long after the solve, instead of rendering every reason up front.
pub trait Names {
    /// The name of option `index` of a group ("#3" if there is no such option).
    fn option_name(&self, kind: Kind, group: &str, index: usize) -> String;
    /// The version a component has at solver version `v`, if it declares one.
    fn version_label(&self, kind: Kind, name: &str, v: Ver) -> Option<String>;
    /// A group's definition (for its `default:`).
    fn group_def(&self, kind: Kind, group: &str) -> Option<Arc<Group>>;
    /// The options a group holds in a solved stack (`None` while solving).
    fn held(&self, _kind: Kind, _group: &str) -> Option<Vec<String>> {
        None
    }
}

impl Names for Compiler<'_> {
    fn option_name(&self, kind: Kind, group: &str, index: usize) -> String {
        option_name(self, kind, group, index)
    }

    fn version_label(&self, kind: Kind, name: &str, v: Ver) -> Option<String> {
        version_label(self, kind, name, v)
    }

    fn group_def(&self, kind: Kind, group: &str) -> Option<Arc<Group>> {
        self.group(kind, group).ok()
    }
}

/// How a package is named as the subject of a sentence.
pub fn subject(pkg: &Pkg, names: &(impl Names + ?Sized)) -> String {
    match pkg {
        Pkg::Root => "hsm.yaml".to_string(),
        Pkg::Component(_, name) => format!("`{name}`"),
        Pkg::Group(kind, name) => format!("{} group `{name}`", group_word(*kind)),
        Pkg::Option(kind, group, i) => {
            let option = names.option_name(*kind, group, *i as usize);
            format!("option `{option}` of {} group `{group}`", group_word(*kind))
        }
    }
}

/// The subject of a rule held by a specific package version ("option `x` of group `g`",
/// "`qdrant-adapter` 1.12.1").
pub fn subject_at(pkg: &Pkg, ver: Option<Ver>, names: &(impl Names + ?Sized)) -> String {
    match (pkg, ver) {
        (Pkg::Group(kind, group), Some(v)) => {
            let option = names.option_name(*kind, group, v.index().unwrap_or_default());
            format!("option `{option}` of {} group `{group}`", group_word(*kind))
        }
        (Pkg::Component(kind, name), Some(v)) => match names.version_label(*kind, name, v) {
            Some(label) => format!("`{name}` {label}"),
            None => format!("`{name}`"),
        },
        _ => subject(pkg, names),
    }
}

/// Library and service groups are both "choice groups" to the user.
pub fn group_word(_kind: Kind) -> &'static str {
    "choice"
}

pub fn option_name(compiler: &Compiler<'_>, kind: Kind, group: &str, index: usize) -> String {
    compiler
        .group(kind, group)
        .ok()
        .and_then(|g| g.options.get(index).map(|o| o.name.clone()))
        .unwrap_or_else(|| format!("#{index}"))
}

pub fn version_label(compiler: &Compiler<'_>, kind: Kind, name: &str, v: Ver) -> Option<String> {
    let c = compiler.component(kind, name).ok()?;
    c.versions
        .get(v.index()?)?
        .version
        .as_ref()
        .map(ToString::to_string)
}

/// One sentence for one rule: `from` (at `ver`) has a dependency on `to` because of `because`.
pub fn sentence(
    from: &Pkg,
    ver: Option<Ver>,
    to: &Pkg,
    because: &Because,
    names: &(impl Names + ?Sized),
) -> String {
    let target = match to {
        Pkg::Component(_, n) => format!("`{n}`"),
        other => subject(other, names),
    };
    match because {
        Because::Selects {
            group,
            option,
            section,
            ..
        } => {
            format!(
                "hsm.yaml selects `{option}` in {} group `{group}`",
                group_word(*section)
            )
        }
        Because::Lists { section, .. } => {
            format!(
                "hsm.yaml lists {target} in `{}.standalone`",
                section.plural()
            )
        }
        Because::Constraint { text, .. } => format!("hsm.yaml constrains {target} to `{text}`"),
        Because::IsOption { group, option, .. } => {
            format!("option `{option}` of group `{group}` is {target}")
        }
        Because::Implies { .. } => format!("{} implies {target}", subject_at(from, ver, names)),
        Because::ImpliesGroup { group, options, .. } => {
            let who = subject_at(from, ver, names);
            let kind = match to {
                Pkg::Group(k, _) | Pkg::Option(k, _, _) | Pkg::Component(k, _) => *k,
                Pkg::Root => Kind::Service,
            };
            match options.as_deref() {
                Some([one]) => format!(
                    "{who} implies `{one}` in {} group `{group}`",
                    group_word(kind)
                ),
                Some(many) => format!(
                    "{who} implies {} in {} group `{group}`",
                    many.iter()
                        .map(|o| format!("`{o}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    group_word(kind)
                ),
                None => format!(
                    "{who} implies {} group `{group}`{}",
                    group_word(kind),
                    without_option(kind, group, names)
                ),
            }
        }
        Because::Requires { text, .. } => format!(
            "{} requires {target} `{text}`",
            subject_at(from, ver, names)
        ),
        Because::Conflicts { .. } => {
            format!("{} conflicts with {target}", subject_at(from, ver, names))
        }
    }
}

/// Versions of a component in `range`, newest first: "1.12.4, 1.11.5".
pub fn versions_in(range: &Range, pkg: &Pkg, compiler: &Compiler<'_>) -> Vec<String> {
    let Pkg::Component(kind, name) = pkg else {
        return Vec::new();
    };
    let Ok(c) = compiler.component(*kind, name) else {
        return Vec::new();
    };
    c.versions
        .iter()
        .enumerate()
        .rev()
        .filter(|(i, _)| range.contains(&Ver::from_index(*i)))
        .map(|(_, v)| {
            v.version
                .as_ref()
                .map_or_else(|| "(unversioned)".to_string(), ToString::to_string)
        })
        .collect()
}

/// What an implication of a group that names no option asks for: any option of a 1-of-N
/// group (its `default:` first), the `default:` options of an M-of-N group; and, in a
/// solved stack, what the group holds.
fn without_option(kind: Kind, group: &str, names: &(impl Names + ?Sized)) -> String {
    let Some(def) = names.group_def(kind, group) else {
        return String::new();
    };
    let default_at = || Origin::at_path(&def.file, KeyPath::root().key("default")).short();
    let quoted = |items: &[String]| and_list(items.iter().map(|o| format!("`{o}`")));
    let asks = match (def.strategy, def.default.as_slice()) {
        (Strategy::OneOfN, []) => " without naming an option: any will do".to_string(),
        (Strategy::OneOfN, [d, ..]) => format!(
            " without naming an option: any will do, its `default:` `{d}` first, {}",
            default_at()
        ),
        (Strategy::ManyOfN, defaults) => format!(
            " without naming options: its `default:` {}, {}",
            quoted(defaults),
            default_at()
        ),
    };
    match names.held(kind, group) {
        Some(held) if def.strategy == Strategy::OneOfN && !held.is_empty() => {
            format!("{asks}; it holds {}", quoted(&held))
        }
        _ => asks,
    }
}
