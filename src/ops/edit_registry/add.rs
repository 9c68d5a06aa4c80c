//! Write a new library, service or group file (or replace one, with `force`).

use std::path::{Path, PathBuf};

use super::{Change, Editable, Edited, Note, check_option_component};
use crate::error::{Error, ErrorKind};
use crate::ops::Workspace;
use crate::ops::names::check_name;
use crate::registry::edit::{
    NewGroup, NewLibrary, NewService, check, new_group, new_library, new_service,
};
use crate::registry::{Category, Kind};
use crate::source::{KeyPath, Origin, SourceFile, did_you_mean_hint};

/// Write libraries/NAME.yaml.
pub fn add_library(ws: &Workspace, spec: &NewLibrary, force: bool) -> Result<Edited, Error> {
    check_name(&spec.name)?;
    check_version(&spec.version)?;
    add_entry(ws, Kind::Library, &spec.name, force, |display| {
        new_library(display, spec)
    })
}

/// Write services/NAME.yaml.
pub fn add_service(ws: &Workspace, spec: &NewService, force: bool) -> Result<Edited, Error> {
    check_name(&spec.name)?;
    if let Some(v) = &spec.version {
        check_version(v)?;
    }
    add_entry(ws, Kind::Service, &spec.name, force, |display| {
        new_service(display, spec)
    })
}

/// A version typed on the command line must be semver.
fn check_version(version: &str) -> Result<(), Error> {
    let origin = Origin::file_only(&SourceFile::new("command line", None, version.to_string()));
    crate::registry::rules::parse_version(&crate::registry::model::Text(version.into()), &origin)
        .map(drop)
        .map_err(|mut e| {
            e.origin = None;
            e.label = None;
            e.help = Some("pass --version with a semantic version such as `1.2.3`".into());
            e
        })
}

/// The existing file of an entry about to be written: an error unless `force`.
fn existing(
    edit: &Editable,
    category: Category,
    what: &str,
    name: &str,
    force: bool,
) -> Result<Option<PathBuf>, Error> {
    let Some(file) = edit.registry.store().read(category, name)? else {
        return Ok(None);
    };
    if force {
        return Ok(file.path().map(Path::to_path_buf));
    }
    Err(Error::new(
        ErrorKind::InvalidValue,
        format!("{what} `{name}` is already in the registry"),
    )
    .at(Origin::at_path(&file, KeyPath::root().key("name")))
    .with_label("defined here")
    .with_help(
        "pass --force to replace the whole file (its comments are lost), or edit it by hand",
    ))
}

/// Write a new library or service file (or replace it with `force`), after checking
/// it loads.
fn add_entry(
    ws: &Workspace,
    kind: Kind,
    name: &str,
    force: bool,
    render: impl FnOnce(&str) -> Result<String, Error>,
) -> Result<Edited, Error> {
    let category = kind.category();
    let edit = Editable::open(ws, true)?;
    let replaced = existing(&edit, category, kind.noun(), name, force)?;
    let path = replaced
        .clone()
        .unwrap_or_else(|| edit.root.join(format!("{}/{name}.yaml", category.dir())));
    let display = ws.display(&path);
    let text = render(&display)?;
    check(category, name, &display, &text)?;
    edit.write(&path, &text)?;
    let other = kind.other();
    let same_name = edit
        .registry
        .store()
        .list(other.category())
        .iter()
        .any(|n| n == name);
    let before = edit
        .created()
        .into_iter()
        .chain(same_name.then(|| Note::SameName {
            other,
            name: name.to_string(),
        }))
        .collect();
    Ok(Edited {
        before,
        change: Change::Added {
            kind,
            name: name.to_string(),
            file: display,
            replaced: replaced.is_some(),
        },
        after: Vec::new(),
    })
}

/// Write library_groups/NAME.yaml or service_groups/NAME.yaml. Each option must be a
/// component of the group's kind, named once; `default` must be one of them.
pub fn add_group(ws: &Workspace, spec: &NewGroup, force: bool) -> Result<Edited, Error> {
    let name = &spec.name;
    check_name(name)?;
    let kind = spec.kind;
    let edit = Editable::open(ws, true)?;
    let mut options: Vec<String> = Vec::new();
    let mut after = Vec::new();
    for o in &spec.options {
        after.extend(check_option_component(&edit.registry, kind, o)?);
        if options.contains(o) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("--option `{o}` is given twice"),
            )
            .with_help("name each option once"));
        }
        options.push(o.clone());
    }
    if let Some(d) = &spec.default
        && !options.contains(d)
    {
        return Err(Error::new(
            ErrorKind::NotAnOption,
            format!("--default `{d}` is not one of the group's options"),
        )
        .add_help(did_you_mean_hint(d, &options))
        .add_help(Some(if options.is_empty() {
            "add it with --option as well".to_string()
        } else {
            format!("options: {}", options.join(", "))
        })));
    }
    let category = kind.group_category();
    // A group of the other kind with this name would make every group command ambiguous.
    if edit
        .registry
        .store()
        .read(kind.other().group_category(), name)?
        .is_some()
    {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("a {} group is already named `{name}`", kind.other()),
        )
        .with_help("group names are shared by hsm.yaml's libraries and services sections; pick another name"));
    }
    let replaced = existing(&edit, category, &format!("{kind} group"), name, force)?;
    let path = replaced
        .clone()
        .unwrap_or_else(|| edit.root.join(format!("{}/{name}.yaml", category.dir())));
    let display = ws.display(&path);
    let text = new_group(
        &display,
        &NewGroup {
            options,
            ..spec.clone()
        },
    )?;
    check(category, name, &display, &text)?;
    edit.write(&path, &text)?;
    Ok(Edited {
        before: edit.created().into_iter().collect(),
        change: Change::GroupAdded {
            kind,
            name: name.clone(),
            strategy: spec.strategy,
            file: display,
            replaced: replaced.is_some(),
        },
        after,
    })
}
