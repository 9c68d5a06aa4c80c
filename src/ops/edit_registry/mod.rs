//! Edit the registry: add and remove libraries, services and groups, a group's options,
//! and implications (`hsm registry library|service|group ...`).
//!
//! The registry edited is the one every command uses (`--registry`, `HSM_REGISTRY_PATH`,
//! `registry:` in hsm.yaml, `./hsm-registry`); the built-in one cannot be edited. Edits of
//! existing files are lossless (see [`crate::registry::edit`]); new files get the shapes
//! the original hsm wrote. Every file is checked with the registry's loader before it is
//! written, written atomically, and edited under an advisory lock on the registry
//! directory. Adds never overwrite an entry without `force`; a removal asks first, through
//! the caller's `confirm`, while the lock is held.
//!
//! Every use case returns an [`Edited`]: the [`Change`] for the confirmation line and the
//! [`Note`]s to say before and after it.

mod add;
mod implies;
mod options;
mod remove;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use add::{add_group, add_library, add_service};
pub use implies::{Owner, implies_add, implies_remove};
pub use options::{option_add, option_remove};
pub use remove::{Entry, Question, Removal, remove};

use super::Workspace;
use super::names::{self, check_name};
use crate::error::{Error, ErrorKind};
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::registry::edit::check;
use crate::registry::location::{self, RegistryChoice};
use crate::registry::model::GroupFile;
use crate::registry::refs::{Reference, Relation, Target};
use crate::registry::{Category, Group, Kind, Registry, Store, known};
use crate::source::{SourceFile, did_you_mean_hint, parse_yaml};
use crate::sync::ProjectLock;
use crate::sync::files::replace_file;
use crate::vocab::Strategy;

/// What an edit of the registry did, for the line that confirms it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A library or service file was written (`replaced`: it existed, `--force`).
    Added {
        kind: Kind,
        name: String,
        file: String,
        replaced: bool,
    },
    /// A group file was written.
    GroupAdded {
        kind: Kind,
        name: String,
        strategy: Strategy,
        file: String,
        replaced: bool,
    },
    /// An entry's file was deleted.
    Removed { target: Target, file: String },
    OptionAdded {
        kind: Kind,
        group: String,
        option: String,
        file: String,
    },
    /// `was_default`: the option was also taken out of the group's `default`.
    OptionRemoved {
        kind: Kind,
        group: String,
        option: String,
        was_default: bool,
        file: String,
    },
    /// An implication was written (`replaced`: one of the same target was there).
    ImpliesSet {
        key: String,
        owner: String,
        file: String,
        replaced: bool,
    },
    ImpliesRemoved {
        key: String,
        owner: String,
        file: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let done = |replaced: bool| {
            if replaced {
                ("Replaced", "in")
            } else {
                ("Added", "to")
            }
        };
        match self {
            Change::Added {
                kind,
                name,
                file,
                replaced,
            } => {
                let (done, prep) = done(*replaced);
                write!(f, "{done} {kind} `{name}` {prep} the registry: {file}")
            }
            Change::GroupAdded {
                kind,
                name,
                strategy,
                file,
                replaced,
            } => {
                let (done, prep) = done(*replaced);
                write!(
                    f,
                    "{done} {kind} group `{name}` ({strategy}) {prep} the registry: {file}"
                )
            }
            Change::Removed { target, file } => {
                write!(f, "Removed {target} from the registry: deleted {file}")
            }
            Change::OptionAdded {
                kind,
                group,
                option,
                file,
            } => write!(
                f,
                "Added option `{option}` to {kind} group `{group}`: {file}"
            ),
            Change::OptionRemoved {
                kind,
                group,
                option,
                was_default,
                file,
            } => write!(
                f,
                "Removed option `{option}` from {kind} group `{group}`{}: {file}",
                if *was_default {
                    " (and from its `default`)"
                } else {
                    ""
                }
            ),
            Change::ImpliesSet {
                key,
                owner,
                file,
                replaced: true,
            } => write!(f, "Replaced the implication `{key}` of {owner}: {file}"),
            Change::ImpliesSet {
                key, owner, file, ..
            } => write!(f, "Added the implication `{key}` to {owner}: {file}"),
            Change::ImpliesRemoved { key, owner, file } => {
                write!(f, "Removed the implication `{key}` from {owner}: {file}")
            }
        }
    }
}

/// Something worth saying about an edit besides the change itself.
#[derive(Debug, Clone)]
pub enum Note {
    /// The registry directory did not exist; the write created it.
    CreatedRegistry(String),
    /// A component of the other kind has the same name now.
    SameName { other: Kind, name: String },
    /// Versions with their own `implies`, which an edit of the top-level one leaves alone.
    Overriding(Vec<String>),
    /// Implications that still select an option just removed.
    StillSelecting(Vec<Reference>),
    /// Rules that still name an entry about to be removed.
    StillNamed {
        target: Target,
        refs: Vec<Reference>,
    },
    /// How to drop a rule that names a removed entry.
    Dangling {
        target: Target,
        reference: Reference,
    },
    /// The edit names something the registry does not have yet (registries are built in
    /// any order); `registry lint`, `check` and `sync` report it until it exists. `close`
    /// is a name the registry has that it may be a typo of.
    NotYet {
        target: Target,
        close: Option<String>,
    },
}

/// "  <origin>: <rule in words>", one line per reference.
fn reference_lines(f: &mut fmt::Formatter<'_>, refs: &[Reference]) -> fmt::Result {
    for r in refs {
        write!(f, "\n  {}: {}", r.origin, r.words())?;
    }
    Ok(())
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::CreatedRegistry(dir) => write!(f, "Created the registry directory {dir}"),
            Note::SameName { other, name } => write!(
                f,
                "warning: a {other} is also named `{name}`: rules must now name it `library:{name}` or `service:{name}`"
            ),
            Note::Overriding(versions) => {
                let one = versions.len() == 1;
                write!(
                    f,
                    "note: version{} {} set{} {} own `implies`, which this does not change",
                    if one { "" } else { "s" },
                    versions.join(", "),
                    if one { "s" } else { "" },
                    if one { "its" } else { "their" },
                )
            }
            Note::StillSelecting(refs) => {
                let one = refs.len() == 1;
                write!(
                    f,
                    "warning: {} still select{} it, and will fail when a stack follows {}:",
                    crate::vocab::count(refs.len(), "implication"),
                    if one { "s" } else { "" },
                    if one { "it" } else { "them" },
                )?;
                reference_lines(f, refs)
            }
            Note::StillNamed { target, refs } => {
                let one = refs.len() == 1;
                write!(
                    f,
                    "warning: {target} is still named by {} of the registry; {} will point at nothing:",
                    crate::vocab::count(refs.len(), "rule"),
                    if one { "it" } else { "they" },
                )?;
                reference_lines(f, refs)
            }
            Note::NotYet { target, close } => {
                write!(
                    f,
                    "warning: {target} is not in the registry yet: `hsm registry lint` reports this reference, and a stack that uses it fails, until you add it{}",
                    match target {
                        Target::Component(kind, name) => {
                            format!(" (`hsm registry {kind} add {name}`)")
                        }
                        Target::Group(..) => String::new(),
                    }
                )?;
                if let Some(close) = close {
                    write!(f, "\nhint: or did you mean `{close}`?")?;
                }
                Ok(())
            }
            Note::Dangling { target, reference } => match reference.removal(target) {
                Some(command) => write!(f, "hint: `{command}`"),
                None => write!(
                    f,
                    "hint: edit {}, where {} {} it",
                    reference.origin,
                    reference.from,
                    match reference.relation {
                        Relation::RequiredBy => "requires",
                        _ => "conflicts with",
                    }
                ),
            },
        }
    }
}

/// What an edit did: notes said before the change line (what had to happen first), the
/// change, and notes said after it (what the change leaves to do).
#[derive(Debug, Clone)]
pub struct Edited {
    pub before: Vec<Note>,
    pub change: Change,
    pub after: Vec<Note>,
}

impl Edited {
    fn new(change: Change) -> Edited {
        Edited {
            before: Vec::new(),
            change,
            after: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The registry being edited.

/// An editable registry directory, locked for the duration of the command.
struct Editable {
    root: PathBuf,
    registry: Registry,
    /// The registry directory does not exist yet: the first write creates it.
    missing: bool,
    /// `None` while the directory does not exist.
    _lock: Option<ProjectLock>,
}

impl Editable {
    /// The registry the usual order picks, which must be a directory. `create`: it may be
    /// new — missing, if `--registry`, `HSM_REGISTRY_PATH` or hsm.yaml names it (the write
    /// creates it, as the original's `add` commands did), or an empty directory.
    fn open(ws: &Workspace, create: bool) -> Result<Editable, Error> {
        let manifest = location_manifest(ws)?;
        let chosen = location::choose(
            ws.registry_flag.as_deref(),
            ws.registry_env.as_deref(),
            manifest.as_ref(),
            &ws.root,
            &ws.cwd,
        )
        .ok_or_else(builtin_error)?;
        if let Some(spec) = &chosen.git {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("registry {} is a git repository: hsm reads it from its cache and does not edit it", spec.text),
            )
            .with_help("edit a clone of the repository and push (then `hsm registry update`), or put a local registry in front of it: `registries: [hsm-registry, <the git registry>]` in hsm.yaml, and edit that"));
        }
        let path = chosen.path.clone();
        let named = matches!(
            chosen.choice,
            RegistryChoice::Flag(_) | RegistryChoice::Env(_) | RegistryChoice::Manifest(_)
        );
        let missing = create && named && !path.exists();
        let fresh = missing || (create && is_empty_dir(&path));
        if !fresh {
            location::check_registry_dir(&path, &chosen.choice, chosen.origin)?;
        }
        let lock = if missing {
            None
        } else {
            Some(ws.lock_dir(&path)?)
        };
        let display = ws.display(&path);
        Ok(Editable {
            registry: Registry::new(Store::dir(path.clone(), display)),
            root: path,
            missing,
            _lock: lock,
        })
    }

    /// "Created the registry directory ..." when the first write creates it.
    fn created(&self) -> Option<Note> {
        self.missing
            .then(|| Note::CreatedRegistry(self.registry.store().display().to_string()))
    }

    /// Write a whole file atomically, creating its category folder if needed.
    fn write(&self, path: &Path, text: &str) -> Result<(), Error> {
        if let Some(dir) = path.parent()
            && !dir.is_dir()
        {
            std::fs::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
        }
        replace_file(path, text.as_bytes())
    }

    /// Replace an existing file with `text` after checking that it loads.
    fn rewrite(
        &self,
        file: &SourceFile,
        category: Category,
        name: &str,
        text: &str,
    ) -> Result<(), Error> {
        let display = format!("{} (as edited)", file.display());
        check(category, name, &display, text)?;
        let path = file.path().ok_or_else(|| {
            Error::new(ErrorKind::Io, format!("{} is not a file", file.display()))
        })?;
        self.write(path, &file.on_disk(text))
    }
}

/// hsm.yaml, when it can choose the registry (no flag, no variable). A broken hsm.yaml is
/// an error: guessing past it could edit the wrong registry.
fn location_manifest(ws: &Workspace) -> Result<Option<Manifest>, Error> {
    let env_set = ws
        .registry_env
        .as_ref()
        .is_some_and(|p| !p.as_os_str().is_empty());
    if ws.registry_flag.is_some() || env_set || !ws.root.join(MANIFEST_FILE).exists() {
        return Ok(None);
    }
    ws.manifest().map(Some)
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none())
}

fn builtin_error() -> Error {
    Error::new(
        ErrorKind::InvalidValue,
        "no registry directory is set, and the built-in registry cannot be edited",
    )
    .with_help(
        "pass `--registry DIR` (or set HSM_REGISTRY_PATH) to edit a registry of your own; \
         or create ./hsm-registry, which this project then uses instead of the built-in one",
    )
}

fn write_error(path: &Path, e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot create {}: {e}", path.display()),
    )
    .with_help("check the path and the permissions of its parent directory")
}

/// "no library `x` in the registry", with a did-you-mean, or the command for the other
/// kind when the name is one (`command` has `{kind}` where the noun goes).
fn unknown_component(registry: &Registry, kind: Kind, name: &str, command: &str) -> Error {
    let mut err = names::unknown_component(registry, Some(kind), name);
    let other = kind.other();
    let store = registry.store();
    err.help = Some(if store.list(other.category()).iter().any(|n| n == name) {
        format!(
            "`{name}` is a {other}: `{}`",
            command.replace("{kind}", other.noun())
        )
    } else {
        let candidates = store.list(kind.category());
        did_you_mean_hint(name, &candidates).unwrap_or_else(|| known(kind.noun(), &candidates))
    });
    err
}

/// The group file named `name` (of `kind`, if given): its kind and file. Unlike
/// [`names::find_group`], a name both kinds of group have is an error: an edit must not
/// guess which file it changes.
fn find_group_file(
    registry: &Registry,
    name: &str,
    kind: Option<Kind>,
) -> Result<(Kind, Arc<SourceFile>), Error> {
    check_name(name)?;
    let kinds: &[Kind] = match kind {
        Some(Kind::Library) => &[Kind::Library],
        Some(Kind::Service) => &[Kind::Service],
        None => &Kind::ALL,
    };
    let mut found = Vec::new();
    for k in kinds {
        if let Some(file) = registry.store().read(k.group_category(), name)? {
            found.push((*k, file));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(names::unknown_group(registry, kind, name)),
        _ => Err(Error::new(
            ErrorKind::InvalidValue,
            format!("both a library group and a service group are named `{name}`"),
        )
        .with_help("say which with `--type library_group` or `--type service_group`")),
    }
}

/// The loaded group named `name`, and its file as written.
fn find_group(
    registry: &Registry,
    name: &str,
    kind: Option<Kind>,
) -> Result<(Arc<Group>, GroupFile), Error> {
    let (kind, file) = find_group_file(registry, name, kind)?;
    let group = registry
        .group(kind, name)?
        .ok_or_else(|| Error::new(ErrorKind::Io, format!("{} vanished", file.display())))?;
    let raw: GroupFile = parse_yaml(&group.file, "registry group")?;
    Ok((group, raw))
}

/// An option must be a component of the group's kind.
/// A name of `category` that `name` may be a typo of.
fn close_name(
    registry: &Registry,
    category: crate::registry::Category,
    name: &str,
) -> Result<Option<String>, Error> {
    let names = registry.store().list(category);
    Ok(crate::source::did_you_mean(name, &names))
}

/// An option of a group of `kind`: a component of that kind, or one not written yet (a
/// warning note: registries are built in any order). A component of the other kind is
/// a mistake, and an error.
fn check_option_component(
    registry: &Registry,
    kind: Kind,
    option: &str,
) -> Result<Option<Note>, Error> {
    check_name(option)?;
    if registry.store().read(kind.category(), option)?.is_some() {
        return Ok(None);
    }
    let other = kind.other();
    if registry.store().read(other.category(), option)?.is_some() {
        let mut err = unknown_component(registry, kind, option, "");
        err.help = Some(format!(
            "`{option}` is a {other}; the options of a {kind} group are {} (`--type {}` makes a group of {})",
            kind.plural(),
            other.group_type(),
            other.plural()
        ));
        return Err(err);
    }
    Ok(Some(Note::NotYet {
        target: Target::Component(kind, option.to_string()),
        close: close_name(registry, kind.category(), option)?,
    }))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::registry::edit::{LibrarySource, NewLibrary};

    fn workspace(dir: &Path) -> Workspace {
        Workspace {
            cwd: dir.to_path_buf(),
            root: dir.to_path_buf(),
            registry_flag: Some(dir.join("reg")),
            registry_env: None,
            lock_timeout: Duration::from_secs(0),
            offline: false,
            notify: |_| {},
        }
    }

    fn library(name: &str) -> NewLibrary {
        NewLibrary {
            name: name.to_string(),
            version: "1.0.0".to_string(),
            description: None,
            package: None,
            prod: LibrarySource::Pypi { version: None },
            dev: None,
        }
    }

    #[test]
    fn the_first_add_creates_the_registry_and_says_so_first() {
        let dir = tempfile::tempdir().unwrap();
        let ws = workspace(dir.path());
        let edited = add_library(&ws, &library("a"), false).unwrap();
        let lines: Vec<String> = edited.before.iter().map(ToString::to_string).collect();
        assert_eq!(lines, ["Created the registry directory reg"]);
        assert_eq!(
            edited.change.to_string(),
            "Added library `a` to the registry: reg/libraries/a.yaml"
        );
        assert!(edited.after.is_empty());
        // A second add refuses; with force it replaces, and the directory exists now.
        assert!(add_library(&ws, &library("a"), false).is_err());
        let again = add_library(&ws, &library("a"), true).unwrap();
        assert!(again.before.is_empty());
        assert!(
            again
                .change
                .to_string()
                .starts_with("Replaced library `a` in")
        );
    }

    #[test]
    fn a_removal_asks_and_a_no_removes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let ws = workspace(dir.path());
        add_library(&ws, &library("a"), false).unwrap();
        let entry = Entry::Component(Kind::Library, "a".to_string());
        let mut asked = Vec::new();
        let mut no = |q: &Question| {
            asked.push((q.question.clone(), q.command.clone(), q.warning.is_some()));
            Ok(false)
        };
        assert!(matches!(
            remove(&ws, &entry, &mut no).unwrap(),
            Removal::Aborted
        ));
        assert_eq!(
            asked,
            [(
                "Remove library 'a' from the registry?".to_string(),
                "hsm registry library remove a".to_string(),
                false
            )]
        );
        assert!(dir.path().join("reg/libraries/a.yaml").exists());
        let Removal::Removed(edited) = remove(&ws, &entry, &mut |_| Ok(true)).unwrap() else {
            panic!("removed");
        };
        assert_eq!(
            edited.change.to_string(),
            "Removed library `a` from the registry: deleted reg/libraries/a.yaml"
        );
        assert!(!dir.path().join("reg/libraries/a.yaml").exists());
    }
}
