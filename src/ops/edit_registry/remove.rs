//! Delete an entry's file, after warning about the rules that still name it and asking.
//!
//! The question is asked through the caller's `confirm` while the registry lock is held,
//! so the file deleted is the one the warning was about.

use std::path::Path;

use super::{Change, Editable, Edited, Note, find_group_file, unknown_component};
use crate::error::{Error, ErrorKind};
use crate::ops::Workspace;
use crate::ops::names::check_name;
use crate::registry::Kind;
use crate::registry::refs::{Target, references};

/// The entry to remove. A group's kind is needed only when both kinds have the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Component(Kind, String),
    Group(Option<Kind>, String),
}

/// What the user is asked before a removal.
#[derive(Debug, Clone)]
pub struct Question {
    /// The rules that will point at nothing, said before the question.
    pub warning: Option<Note>,
    /// "Remove library 'x' from the registry?"
    pub question: String,
    /// The command as typed, for the hint to pass `--yes`.
    pub command: String,
}

/// What [`remove`] did.
#[derive(Debug, Clone)]
pub enum Removal {
    Removed(Edited),
    /// The user said no; nothing was removed.
    Aborted,
}

/// Remove `entry` from the registry if `confirm` says yes.
pub fn remove(
    ws: &Workspace,
    entry: &Entry,
    confirm: &mut dyn FnMut(&Question) -> Result<bool, Error>,
) -> Result<Removal, Error> {
    let edit = Editable::open(ws, false)?;
    let target = match entry {
        Entry::Component(kind, name) => Target::Component(*kind, name.clone()),
        Entry::Group(kind, name) => {
            let (kind, _) = find_group_file(&edit.registry, name, *kind)?;
            Target::Group(kind, name.clone())
        }
    };
    let name = target.name().to_string();
    check_name(&name)?;
    let (category, noun) = match &target {
        Target::Component(k, _) => (k.category(), k.noun()),
        Target::Group(k, _) => (k.group_category(), "group"),
    };
    let Some(file) = edit.registry.store().read(category, &name)? else {
        return Err(match &target {
            Target::Component(k, _) => unknown_component(
                &edit.registry,
                *k,
                &name,
                &format!("hsm registry {{kind}} remove {name}"),
            ),
            Target::Group(k, _) => find_group_file(&edit.registry, &name, Some(*k))
                .err()
                .unwrap_or_else(|| Error::new(ErrorKind::UnknownName, "no such group")),
        });
    };
    let path = file
        .path()
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::new(ErrorKind::Io, format!("{} is not a file", file.display())))?;
    let (refs, _) = references(&edit.registry, &target);
    let question = Question {
        warning: (!refs.is_empty()).then(|| Note::StillNamed {
            target: target.clone(),
            refs: refs.clone(),
        }),
        question: format!("Remove {target} from the registry?").replace('`', "'"),
        command: format!("hsm registry {noun} remove {name}"),
    };
    if !confirm(&question)? {
        return Ok(Removal::Aborted);
    }
    std::fs::remove_file(&path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot delete {}: {e}", file.display()),
        )
        .with_help("check the permissions of the registry directory")
    })?;
    let mut edited = Edited::new(Change::Removed {
        target: target.clone(),
        file: file.display().to_string(),
    });
    edited.after = refs
        .into_iter()
        .map(|reference| Note::Dangling {
            target: target.clone(),
            reference,
        })
        .collect();
    Ok(Removal::Removed(edited))
}
