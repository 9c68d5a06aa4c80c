//! Hints: what a user can do about a conflict, as values.
//!
//! A [`Hint`] says which edit it proposes and names every part of it (the group, the
//! option, the hsm.yaml entry, the file:line), so that the text report (`Display`) and the
//! JSON report (`Serialize`, tagged by `kind`, with the command when there is one) say
//! the same thing and a tool can act on it without parsing a sentence.

use std::fmt;

use serde::Serialize;

/// One suggestion of a conflict report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hint {
    /// hsm.yaml selects `instead_of` in a 1-of-N group; `option` would fit.
    SelectInstead {
        section: String,
        group: String,
        option: String,
        instead_of: String,
        at: String,
    },
    /// The group `owner` has an option that brings what the other side needs.
    SwitchOption { owner: String, option: String },
    /// Remove a hsm.yaml entry (it brings `owner`, which needs `wanted`).
    RemoveEntry {
        entry: String,
        keep: Option<String>,
        owner: String,
        wanted: String,
    },
    /// `owner` needs `wanted` of `group`, and nothing in hsm.yaml can be removed for it.
    LeaveOut {
        owner: String,
        wanted: String,
        group: String,
        keep: Option<String>,
    },
    /// Two options of a 1-of-N group are demanded by rules the report shows.
    KeepOneOption { group: String },
    /// Two hsm.yaml entries bring components that conflict: keep one.
    KeepOnlyOne { first: String, second: String },
    /// One hsm.yaml entry and a rule bring components that conflict.
    RemoveEntryOrRule { entry: String },
    /// Two components conflict and nothing in hsm.yaml brings them directly.
    RemoveOne,
    /// A hsm.yaml constraint admits no version of `component`.
    RelaxConstraint {
        component: String,
        constraint: String,
        at: String,
        available: Vec<String>,
    },
    /// A rule requires a range of `component` no version of it matches.
    WidenRange {
        component: String,
        range: String,
        at: String,
    },
    /// The versions `component` has, and how to see what brings it.
    Versions {
        component: String,
        available: Vec<String>,
    },
    /// No specific edit is known.
    ChangeRules,
}

impl Hint {
    /// The command that carries the hint out, when there is one.
    pub fn command(&self) -> Option<String> {
        match self {
            Hint::SwitchOption { owner, option } => {
                Some(format!("hsm group add {owner} --option {option}"))
            }
            Hint::SelectInstead { group, option, .. } => {
                Some(format!("hsm group add {group} --option {option}"))
            }
            Hint::Versions { component, .. } => Some(format!("hsm why {component}")),
            _ => None,
        }
    }
}

fn keeping(keep: &Option<String>) -> String {
    keep.as_ref()
        .map(|k| format!(" to keep `{k}`"))
        .unwrap_or_default()
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hint::SelectInstead {
                section,
                group,
                option,
                instead_of,
                at,
            } => write!(
                f,
                "select `{option}` instead of `{instead_of}` in `{section}.groups.{group}` ({at})"
            ),
            Hint::SwitchOption { owner, option } => write!(
                f,
                "switch `{owner}` to an option that fits: `hsm group add {owner} --option {option}`"
            ),
            Hint::RemoveEntry {
                entry,
                keep,
                owner,
                wanted,
            } => write!(
                f,
                "remove {entry} from hsm.yaml{} (`{owner}` needs `{wanted}`)",
                keeping(keep)
            ),
            Hint::LeaveOut {
                owner,
                wanted,
                group,
                keep,
            } => write!(
                f,
                "`{owner}` needs `{wanted}` in `{group}`: leave it out of the stack{}",
                keeping(keep)
            ),
            Hint::KeepOneOption { group } => write!(
                f,
                "keep one option of `{group}`: change whichever rule above you control"
            ),
            Hint::KeepOnlyOne { first, second } => write!(
                f,
                "keep only one of them: remove {first} or {second} from hsm.yaml"
            ),
            Hint::RemoveEntryOrRule { entry } => write!(
                f,
                "remove {entry} from hsm.yaml, or the rule that brings the other component"
            ),
            Hint::RemoveOne => f.write_str("remove one of the two components from the stack"),
            Hint::RelaxConstraint {
                component,
                constraint,
                at,
                available,
            } => write!(
                f,
                "relax the constraint `{component}: \"{constraint}\"` ({at}) to admit one of: {}",
                available.join(", ")
            ),
            Hint::WidenRange {
                component,
                range,
                at,
            } => write!(
                f,
                "no version of `{component}` matches `{range}`: widen the range at {at} or add a matching version of `{component}` to the registry"
            ),
            Hint::Versions {
                component,
                available,
            } => write!(
                f,
                "`{component}` has versions {}; `hsm why {component}` shows what brings it",
                available.join(", ")
            ),
            Hint::ChangeRules => f.write_str(
                "change one of the rules above; `hsm resolve --explain` shows the stack once it solves",
            ),
        }
    }
}
