//! Edit hsm.yaml: select and unselect group options, add and remove standalone
//! components, set modes (`hsm group|library|service|mode ...`).
//!
//! Every edit is lossless (see [`crate::manifest::edit`]), checked against the registry
//! (names, with a did-you-mean), and refused with the conflict explanation if it would
//! make the stack unsolvable — like `uv add` — unless forced. The write is one atomic
//! rename under the project lock, so a concurrent `hsm sync` sees the old file or the new
//! one.

use std::fmt;

use super::Workspace;
use super::names::{check_component, check_name, check_option, find_group, unknown_component};
use crate::error::{Error, ErrorKind};
use crate::manifest::edit::Editor;
use crate::manifest::{MANIFEST_FILE, Manifest, Mode, Strategy};
use crate::registry::{Kind, Registry};
use crate::solve::{Conflict, Outcome, prove_hints, solve_plain};
use crate::sync::files::replace_file;

/// One change to hsm.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestEdit {
    /// Select `option` in `group` (1-of-N: replaces the selection; M-of-N: adds to it);
    /// `kind` narrows the group to libraries or services; `profile` is a service
    /// group's deployment profile.
    Select {
        group: String,
        option: String,
        kind: Option<Kind>,
        profile: Option<String>,
    },
    /// Remove `option` from `group`'s selection.
    Unselect { group: String, option: String },
    /// Remove `group` from hsm.yaml.
    RemoveGroup { group: String },
    /// Add a standalone component (a service may have a deployment profile).
    Add {
        kind: Kind,
        name: String,
        profile: Option<String>,
    },
    /// Remove a standalone component.
    Remove { kind: Kind, name: String },
    /// Set `libraries.package_manager` (`hsm python-manager set`).
    SetPackageManager { name: String },
    /// Set `registry:` (`hsm registry path set`).
    SetRegistry { path: String },
    /// Set the mode of the named components (of `kind`, if given), or of every component
    /// hsm.yaml names.
    SetMode {
        mode: Mode,
        names: Vec<String>,
        kind: Option<Kind>,
    },
}

impl ManifestEdit {
    /// The hsm.yaml entry the edit changes (a group or a component), if it is one.
    fn entry(&self) -> Option<&str> {
        match self {
            ManifestEdit::Select { group, .. }
            | ManifestEdit::Unselect { group, .. }
            | ManifestEdit::RemoveGroup { group } => Some(group),
            ManifestEdit::Add { name, .. } | ManifestEdit::Remove { name, .. } => Some(name),
            ManifestEdit::SetMode { .. }
            | ManifestEdit::SetPackageManager { .. }
            | ManifestEdit::SetRegistry { .. } => None,
        }
    }
}

/// What an edit changed, for the line that confirms it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Selected {
        group: String,
        option: String,
        strategy: Strategy,
    },
    Unselected {
        group: String,
        option: String,
    },
    GroupRemoved {
        group: String,
    },
    Added {
        kind: Kind,
        name: String,
    },
    Removed {
        kind: Kind,
        name: String,
    },
    ModeSet {
        mode: Mode,
        names: Vec<String>,
    },
    ProfileSet {
        name: String,
        profile: String,
    },
    PackageManagerSet {
        name: String,
    },
    RegistrySet {
        path: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Selected {
                group,
                option,
                strategy: Strategy::OneOfN,
            } => write!(f, "Selected `{option}` in group `{group}` (1-of-N)"),
            Change::Selected {
                group,
                option,
                strategy: Strategy::ManyOfN,
            } => write!(f, "Added `{option}` to group `{group}` (M-of-N)"),
            Change::Unselected { group, option } => {
                write!(f, "Removed `{option}` from group `{group}`")
            }
            Change::GroupRemoved { group } => write!(f, "Removed group `{group}`"),
            Change::Added { kind, name } => write!(f, "Added {kind} `{name}`"),
            Change::Removed { kind, name } => write!(f, "Removed {kind} `{name}`"),
            Change::PackageManagerSet { name } => write!(f, "Python manager set to `{name}`"),
            Change::RegistrySet { path } => write!(f, "Registry path set to {path}"),
            Change::ProfileSet { name, profile } => {
                write!(f, "`{name}` now runs with deployment profile `{profile}`")
            }
            Change::ModeSet { mode, names } => match names.as_slice() {
                [] => f.write_str("hsm.yaml names no components yet"),
                [one] => write!(f, "`{one}` is now in {mode} mode"),
                many => write!(f, "{} components are now in {mode} mode", many.len()),
            },
        }
    }
}

/// What [`edit`] did.
#[derive(Debug)]
pub enum EditOutcome {
    /// hsm.yaml already said that; nothing written.
    Unchanged,
    /// hsm.yaml was written. `unsolvable`: the stack does not solve after the edit (with
    /// force; or without, when it did not solve before either and the edit removed the
    /// clash it had: then `still` is what conflicts now).
    Written {
        change: Change,
        unsolvable: bool,
        still: Option<Box<Conflict>>,
    },
    /// Not written: the edit would leave no consistent stack.
    Refused(Box<Conflict>),
}

/// Apply `edit` to hsm.yaml under the project lock: read, edit, check, write.
pub fn edit(ws: &Workspace, edit: &ManifestEdit, force: bool) -> Result<EditOutcome, Error> {
    let _lock = ws.lock()?;
    let manifest = ws.manifest()?;
    let registry = ws.registry(Some(&manifest))?;
    let mut editor = Editor::parse(manifest.file.text())?;
    let change = apply(ws, &mut editor, &registry, edit)?;
    let text = editor.to_text();
    if text == **manifest.file.text() {
        return Ok(EditOutcome::Unchanged);
    }
    // Problems found in the edited text cite it as such: those lines are not on disk.
    let display = format!("{} (as edited)", manifest.file.display());
    let edited = Manifest::from_text(&display, &ws.root, text.as_str())?;
    // Another registry is another catalogue: the old one cannot judge the stack, and
    // `hsm check` with the new one will.
    let judge = !matches!(edit, ManifestEdit::SetRegistry { .. });
    let (unsolvable, still) = match judge.then(|| solve_plain(&edited, &registry)).transpose()? {
        None | Some(Outcome::Solved(_)) => (false, None),
        Some(Outcome::Conflict(_)) if force => (true, None),
        Some(Outcome::Conflict(after)) => match solve_plain(&manifest, &registry)? {
            // A stack that did not solve before may be fixed one step at a time: an edit
            // that takes away the clash it had is progress, even if another remains.
            Outcome::Conflict(before) if before.clash != after.clash => (true, Some(after)),
            _ => {
                let mut after = after;
                prove_hints(&edited, &registry, &mut after);
                // Undoing the very edit asked for is not advice: keep the hints that
                // would let it stand.
                if let Some(entry) = edit.entry() {
                    after.hints.retain(|h| !h.edits_entry(entry));
                }
                return Ok(EditOutcome::Refused(after));
            }
        },
    };
    let text = manifest.file.on_disk(&text);
    replace_file(&ws.root.join(MANIFEST_FILE), text.as_bytes())?;
    Ok(EditOutcome::Written {
        change,
        unsolvable,
        still,
    })
}

fn profile_for_services_only() -> Error {
    Error::new(
        ErrorKind::InvalidValue,
        "--profile applies to services only",
    )
    .with_help("deployment profiles belong to services; drop --profile")
}

fn apply(
    ws: &Workspace,
    ed: &mut Editor,
    registry: &Registry,
    edit: &ManifestEdit,
) -> Result<Change, Error> {
    match edit {
        ManifestEdit::Select {
            group,
            option,
            kind,
            profile,
        } => {
            if profile.is_some() && *kind == Some(Kind::Library) {
                return Err(profile_for_services_only());
            }
            let g = find_group(registry, group, *kind)?;
            check_option(&g, option)?;
            ed.group_select(g.kind, group, g.strategy, option, g.comment.as_deref())?;
            if let Some(p) = profile {
                if g.kind != Kind::Service {
                    return Err(profile_for_services_only());
                }
                ed.group_set_profile(g.kind, group, p)?;
            }
            Ok(Change::Selected {
                group: group.clone(),
                option: option.clone(),
                strategy: g.strategy,
            })
        }
        ManifestEdit::Unselect { group, option } => {
            let g = find_group(registry, group, None)?;
            if !ed.group_unselect(g.kind, group, option)? {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("`{option}` is not selected in group `{group}` in hsm.yaml"),
                )
                .with_help("`hsm list` shows what hsm.yaml selects"));
            }
            Ok(Change::Unselected {
                group: group.clone(),
                option: option.clone(),
            })
        }
        ManifestEdit::RemoveGroup { group } => {
            let removed =
                ed.group_remove(Kind::Library, group)? || ed.group_remove(Kind::Service, group)?;
            if !removed {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("hsm.yaml has no group `{group}`"),
                )
                .with_help("`hsm list` shows the groups hsm.yaml uses"));
            }
            Ok(Change::GroupRemoved {
                group: group.clone(),
            })
        }
        ManifestEdit::Add {
            kind,
            name,
            profile,
        } => {
            if profile.is_some() && *kind == Kind::Library {
                return Err(profile_for_services_only());
            }
            check_component(registry, *kind, name, &format!("hsm {{kind}} add {name}"))?;
            if ed.standalone_add(*kind, name, profile.as_deref())? {
                return Ok(Change::Added {
                    kind: *kind,
                    name: name.clone(),
                });
            }
            // Listed already: `--profile` still says which profile it runs with.
            if let Some(p) = profile {
                ed.standalone_set_profile(*kind, name, p)?;
            }
            Ok(Change::ProfileSet {
                name: name.clone(),
                profile: profile.clone().unwrap_or_default(),
            })
        }
        ManifestEdit::Remove { kind, name } => {
            if !ed.standalone_remove(*kind, name)? {
                return Err(not_standalone(ws, ed, *kind, name)?);
            }
            Ok(Change::Removed {
                kind: *kind,
                name: name.clone(),
            })
        }
        ManifestEdit::SetRegistry { path } => {
            let dir = ws.root.join(path);
            crate::registry::location::check_registry_dir(
                &dir,
                &crate::registry::location::RegistryChoice::PathSet(dir.clone()),
                None,
            )?;
            ed.set_registry(path)?;
            Ok(Change::RegistrySet { path: path.clone() })
        }
        ManifestEdit::SetPackageManager { name } => {
            check_name(name)?;
            ed.set_package_manager(name)?;
            Ok(Change::PackageManagerSet { name: name.clone() })
        }
        ManifestEdit::SetMode { mode, names, kind } => {
            let targets = if names.is_empty() {
                named_components(ws, ed)?
            } else {
                names.clone()
            };
            for name in &targets {
                match kind {
                    Some(k) => check_component(
                        registry,
                        *k,
                        name,
                        &format!("hsm {{kind}} mode {name} {mode}"),
                    )?,
                    None => {
                        check_name(name)?;
                        if registry.components_named(name)?.is_empty() {
                            return Err(unknown_component(registry, None, name));
                        }
                    }
                }
                ed.set_mode(name, *mode)?;
            }
            Ok(Change::ModeSet {
                mode: *mode,
                names: targets,
            })
        }
    }
}

/// Every component hsm.yaml names, standalone or selected in a group.
fn named_components(ws: &Workspace, ed: &Editor) -> Result<Vec<String>, Error> {
    let manifest = Manifest::from_text(MANIFEST_FILE, &ws.root, ed.to_text().as_str())?;
    let mut all = Vec::new();
    for s in [Kind::Library, Kind::Service] {
        all.extend(manifest.standalone(s).iter().map(|e| e.name.clone()));
        for entry in manifest.groups(s).values() {
            all.extend(
                entry
                    .selection
                    .items()
                    .into_iter()
                    .map(|(_, o)| o.to_string()),
            );
        }
    }
    all.dedup();
    Ok(all)
}

/// "hsm.yaml does not list library `x` in `libraries.standalone`", naming the group that
/// selects it, if one does.
fn not_standalone(ws: &Workspace, ed: &Editor, kind: Kind, name: &str) -> Result<Error, Error> {
    let current = Manifest::from_text(MANIFEST_FILE, &ws.root, ed.to_text().as_str())?;
    let selecting = current
        .groups(kind)
        .iter()
        .find(|(_, e)| e.selection.items().iter().any(|(_, o)| *o == name))
        .map(|(g, _)| g.clone());
    let help = match selecting {
        Some(g) => format!("group `{g}` selects it: `hsm {kind} remove {name} --group {g}`"),
        None => "`hsm list` shows what hsm.yaml names".to_string(),
    };
    Ok(Error::new(
        ErrorKind::InvalidValue,
        format!(
            "hsm.yaml does not list {kind} `{name}` in `{}.standalone`",
            kind.plural()
        ),
    )
    .with_help(help))
}
