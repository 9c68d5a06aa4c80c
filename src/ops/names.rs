//! Names typed on the command line, checked against the registry: the shared errors for
//! a bad name, an unknown component or group, and an option a group does not have.
//!
//! A name on the command line has no file position, so these errors carry none; they
//! answer with a did-you-mean, the list of known names, or the command that would work
//! when the name is of the other kind.

use std::sync::Arc;

use crate::error::{Error, ErrorKind};
use crate::registry::{Group, Kind, Registry, known};
use crate::source::{KeyPath, Origin, SourceFile, did_you_mean_hint};

/// A stand-in origin for a name typed on the command line (removed before reporting).
fn cli_origin(name: &str) -> Origin {
    Origin::file_only(&SourceFile::new("command line", None, name.to_string()))
}

/// Drop the stand-in position of an error about a command-line name.
fn without_position(mut err: Error) -> Error {
    err.origin = None;
    err.label = None;
    err
}

/// A name typed on the command line must be a valid component or group name.
pub fn check_name(name: &str) -> Result<(), Error> {
    crate::manifest::check_name(name, &cli_origin(name)).map_err(without_position)
}

/// "no library `x` in the registry" (or "no component", without a kind), with a
/// did-you-mean or the known names.
pub fn unknown_component(registry: &Registry, kind: Option<Kind>, name: &str) -> Error {
    without_position(registry.unknown_component(kind, name, &cli_origin(name)))
}

/// `name` must be a `kind` of the registry. `command` is how the user asked, with
/// `{kind}` where the noun goes ("hsm {kind} add x"), so that a name of the other kind
/// is answered with the command that would work.
pub fn check_component(
    registry: &Registry,
    kind: Kind,
    name: &str,
    command: &str,
) -> Result<(), Error> {
    check_name(name)?;
    if registry.component(kind, name)?.is_some() {
        return Ok(());
    }
    let mut err = unknown_component(registry, Some(kind), name);
    let other = kind.other();
    if registry.component(other, name)?.is_some() {
        err.help = Some(format!(
            "`{name}` is a {other}: did you mean `{}`?",
            command.replace("{kind}", other.noun())
        ));
    }
    Err(err)
}

/// "no library group `x` in the registry" (or "no group", without a kind).
pub fn unknown_group(registry: &Registry, kind: Option<Kind>, name: &str) -> Error {
    let kinds: &[Kind] = match kind {
        Some(Kind::Library) => &[Kind::Library],
        Some(Kind::Service) => &[Kind::Service],
        None => &Kind::ALL,
    };
    let candidates: Vec<String> = kinds
        .iter()
        .flat_map(|k| registry.store().list(k.group_category()))
        .collect();
    let what = kind.map_or_else(|| "group".to_string(), |k| format!("{k} group"));
    Error::new(
        ErrorKind::UnknownName,
        format!(
            "no {what} `{name}` in the registry ({})",
            registry.store().display()
        ),
    )
    .with_help(did_you_mean_hint(name, &candidates).unwrap_or_else(|| known(&what, &candidates)))
}

/// The registry group named `name`, of `kind` or (without one) a library group first.
pub fn find_group(
    registry: &Registry,
    name: &str,
    kind: Option<Kind>,
) -> Result<Arc<Group>, Error> {
    check_name(name)?;
    let kinds: &[Kind] = match kind {
        Some(Kind::Library) => &[Kind::Library],
        Some(Kind::Service) => &[Kind::Service],
        None => &Kind::ALL,
    };
    for k in kinds {
        if let Some(g) = registry.group(*k, name)? {
            return Ok(g);
        }
    }
    Err(unknown_group(registry, kind, name))
}

/// "`x` is not an option of library group `g`", pointing at the group's options.
pub fn not_an_option(group: &Group, option: &str) -> Error {
    let names: Vec<&str> = group.option_names().collect();
    Error::new(
        ErrorKind::NotAnOption,
        format!(
            "`{option}` is not an option of {} group `{}`",
            group.kind, group.name
        ),
    )
    .at(Origin::at_path(&group.file, KeyPath::root().key("options")))
    .with_label("options")
    .add_help(did_you_mean_hint(option, &names))
    .add_help(Some(if names.is_empty() {
        format!("group `{}` has no options", group.name)
    } else {
        format!("options of `{}`: {}", group.name, names.join(", "))
    }))
}

/// `option` must be an option of `group`.
pub fn check_option(group: &Group, option: &str) -> Result<(), Error> {
    match group.option_index(option) {
        Some(_) => Ok(()),
        None => Err(not_an_option(group, option)),
    }
}
