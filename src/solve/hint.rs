//! Hints: what a user can do about a conflict, as values.
//!
//! Every hint that proposes an edit of hsm.yaml has been *proven* before it is shown:
//! [`super::repair`] applied the edit to hsm.yaml in memory, with the same editor the
//! command uses, and solved the result. A hint carries the edits ([`Edit`]: what changes,
//! where, and the command that does it) and what the stack then gains and loses
//! ([`Delta`]), so the text report (`Display`) and the JSON report (`Serialize`) say the
//! same thing and a tool can act on a hint without parsing a sentence.

use std::fmt;

use serde::Serialize;

use crate::vocab::Kind;

/// One suggestion of a conflict report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hint {
    /// These edits of hsm.yaml, together, make the stack solve (proven by solving).
    Edit {
        edits: Vec<Edit>,
        #[serde(flatten)]
        delta: Delta,
    },
    /// `component`'s own rules contradict each other: it can never be in a stack.
    Contradiction { component: String, at: String },
    /// No single edit of hsm.yaml, and no pair of edits, makes the stack solve.
    NoEdit,
}

/// One edit of hsm.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    #[serde(flatten)]
    pub action: Action,
    /// Where the edited entry is written: `hsm.yaml:7` (none for a new entry).
    pub at: Option<String>,
    /// The command that makes the edit, when there is one.
    pub command: Option<String>,
}

/// What an [`Edit`] changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum Action {
    /// Select `option` instead of `instead_of` in a 1-of-N group.
    SelectOption {
        group: String,
        option: String,
        instead_of: Option<String>,
    },
    /// Remove `option` from an M-of-N group's selection.
    RemoveOption { group: String, option: String },
    /// Remove a group entry from hsm.yaml.
    RemoveGroup { section: Kind, group: String },
    /// Remove a standalone entry.
    RemoveStandalone { section: Kind, name: String },
    /// Delete a `constraints:` entry.
    DropConstraint {
        component: String,
        constraint: String,
    },
    /// Run a service with another deployment profile.
    SetProfile { service: String, profile: String },
}

impl Action {
    /// The command that makes this edit (`None`: edit hsm.yaml by hand).
    pub fn command(&self) -> Option<String> {
        match self {
            Action::SelectOption { group, option, .. } => {
                Some(format!("hsm group add {group} --option {option}"))
            }
            Action::RemoveOption { group, option } => {
                Some(format!("hsm group remove-option {group} {option}"))
            }
            Action::RemoveGroup { group, .. } => Some(format!("hsm group remove {group}")),
            Action::RemoveStandalone { section, name } => {
                Some(format!("hsm {section} remove {name}"))
            }
            Action::DropConstraint { .. } => None,
            Action::SetProfile { service, profile } => {
                Some(format!("hsm service add {service} --profile {profile}"))
            }
        }
    }

    /// Does this edit take something out of hsm.yaml (as opposed to changing it)?
    pub fn removes(&self) -> bool {
        matches!(
            self,
            Action::RemoveOption { .. }
                | Action::RemoveGroup { .. }
                | Action::RemoveStandalone { .. }
        )
    }
}

/// A component a hint adds to or takes from the stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Member {
    pub kind: Kind,
    pub name: String,
    /// The version the stack then has (for what it gains or keeps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// What the stack gains and loses with a hint, compared with what hsm.yaml asks for
/// (everything its entries bring, through every rule that brings something).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delta {
    pub gains: Vec<Member>,
    pub loses: Vec<Member>,
    /// Components whose version the edit decides (a dropped constraint), with the version.
    pub versions: Vec<Member>,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::SelectOption {
                group,
                option,
                instead_of: Some(old),
            } => write!(f, "select `{option}` instead of `{old}` in group `{group}`"),
            Action::SelectOption {
                group,
                option,
                instead_of: None,
            } => write!(f, "select `{option}` in group `{group}`"),
            Action::RemoveOption { group, option } => {
                write!(f, "remove `{option}` from group `{group}`")
            }
            Action::RemoveGroup { group, .. } => write!(f, "remove group `{group}`"),
            Action::RemoveStandalone { section, name } => {
                write!(f, "remove `{name}` from `{}.standalone`", section.plural())
            }
            Action::DropConstraint {
                component,
                constraint,
            } => write!(
                f,
                "delete the constraint `{component}: \"{constraint}\"` from `constraints:`"
            ),
            Action::SetProfile { service, profile } => {
                write!(f, "run `{service}` with its `{profile}` deployment profile")
            }
        }
    }
}

impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.action)?;
        if let Some(at) = &self.at {
            write!(f, " ({at})")?;
        }
        if let Some(command) = &self.command {
            write!(f, ": `{command}`")?;
        }
        Ok(())
    }
}

fn names(members: &[Member]) -> String {
    let names: Vec<String> = members.iter().map(|m| format!("`{}`", m.name)).collect();
    names.join(", ")
}

impl fmt::Display for Delta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the stack then solves")?;
        let mut parts = Vec::new();
        if !self.gains.is_empty() {
            parts.push(format!("gaining {}", names(&self.gains)));
        }
        if !self.loses.is_empty() {
            parts.push(format!("losing {}", names(&self.loses)));
        }
        if !parts.is_empty() {
            write!(f, ", {}", parts.join(" and "))?;
        }
        let versions: Vec<String> = self
            .versions
            .iter()
            .filter_map(|m| Some(format!("`{}` {}", m.name, m.version.as_ref()?)))
            .collect();
        if !versions.is_empty() {
            write!(f, ", with {}", versions.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hint::Edit { edits, delta } => {
                let edits: Vec<String> = edits.iter().map(ToString::to_string).collect();
                write!(f, "{}; {delta}", edits.join(", and "))
            }
            Hint::Contradiction { component, at } => write!(
                f,
                "`{component}` can never be in a stack, whatever hsm.yaml says ({at}): fix its rules in the registry (`hsm registry lint` finds every such component)"
            ),
            Hint::NoEdit => f.write_str(
                "no single edit of hsm.yaml, and no pair of edits, makes the stack solve; change one of the rules above",
            ),
        }
    }
}

impl Action {
    /// The hsm.yaml entry this edit changes: a group, a standalone component, a
    /// constraint's component.
    pub fn entry(&self) -> &str {
        match self {
            Action::SelectOption { group, .. }
            | Action::RemoveOption { group, .. }
            | Action::RemoveGroup { group, .. } => group,
            Action::RemoveStandalone { name, .. } => name,
            Action::DropConstraint { component, .. } => component,
            Action::SetProfile { service, .. } => service,
        }
    }
}

impl Hint {
    /// Does one of this hint's edits change the hsm.yaml entry `entry`?
    pub fn edits_entry(&self, entry: &str) -> bool {
        match self {
            Hint::Edit { edits, .. } => edits.iter().any(|e| e.action.entry() == entry),
            _ => false,
        }
    }
}
