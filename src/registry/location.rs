//! Which registry a command uses. First that applies: `--registry PATH`, the environment
//! variable `HSM_REGISTRY_PATH`, `registry:` in hsm.yaml (relative to hsm.yaml),
//! `./hsm-registry` in the project if it exists, else the built-in registry.
//!
//! A registry that is *named* (flag, variable, hsm.yaml) but missing is an error rather
//! than a silent fall-back to the built-in one: a typo in a path must not change the stack.

use std::path::{Component, Path, PathBuf};

use super::git::{Fetch, GitSpec};
use super::{Category, Store};
use crate::error::{Error, ErrorKind};
use crate::manifest::Manifest;
use crate::source::watch;
use crate::source::{KeyPath, Origin};

/// Where the registry choice came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryChoice {
    Flag(PathBuf),
    Env(PathBuf),
    Manifest(PathBuf),
    ProjectDefault(PathBuf),
    Builtin,
    /// Named by `hsm registry path set`, to be written into hsm.yaml.
    PathSet(PathBuf),
}

/// How git registries are read: the network policy, and hsm.lock's pins (spec → commit).
#[derive(Debug, Clone, Default)]
pub struct GitContext {
    pub fetch: Fetch,
    pub pins: std::collections::HashMap<String, String>,
}

/// Pick the registry. `cwd` is used only to show paths relative to where the user is.
pub fn locate(
    flag: Option<&Path>,
    env: Option<&Path>,
    manifest: Option<&Manifest>,
    project_root: &Path,
    cwd: &Path,
) -> Result<(Store, RegistryChoice), Error> {
    locate_with(
        flag,
        env,
        manifest,
        project_root,
        cwd,
        &GitContext::default(),
    )
}

/// [`locate`], with git registries read as `git` says.
pub fn locate_with(
    flag: Option<&Path>,
    env: Option<&Path>,
    manifest: Option<&Manifest>,
    project_root: &Path,
    cwd: &Path,
    git: &GitContext,
) -> Result<(Store, RegistryChoice), Error> {
    let single = flag.is_some()
        || env.is_some_and(|p| !p.as_os_str().is_empty())
        || manifest.is_some_and(|m| m.data.registry.is_some());
    if !single && let Some(m) = manifest.filter(|m| !m.data.registries.is_empty()) {
        // Layers, searched in order, the built-in registry last.
        let mut layers = Vec::new();
        for (i, entry) in m.data.registries.iter().enumerate() {
            let origin = m.origin(KeyPath::root().key("registries").index(i));
            let choice = RegistryChoice::Manifest(PathBuf::from(entry));
            let chosen = Chosen {
                path: m.root.join(entry),
                git: git_spec(entry, Some(&origin))?,
                choice,
                origin: Some(origin),
            };
            layers.push(open(chosen, cwd, git)?);
        }
        layers.push(Store::Builtin);
        let first = PathBuf::from(&m.data.registries[0]);
        return Ok((Store::Layered(layers), RegistryChoice::Manifest(first)));
    }
    let Some(chosen) = choose(flag, env, manifest, project_root, cwd) else {
        return Ok((Store::Builtin, RegistryChoice::Builtin));
    };
    let choice = chosen.choice.clone();
    if chosen.git.is_none()
        && let RegistryChoice::Flag(p) | RegistryChoice::Env(p) | RegistryChoice::Manifest(p) =
            &choice
    {
        // A `git+` spec that does not parse: say why, not "does not exist".
        git_spec(&p.to_string_lossy(), chosen.origin.as_ref())?;
    }
    Ok((open(chosen, cwd, git)?, choice))
}

/// The store of one chosen registry: its checkout for a git registry, else the directory
/// (checked).
fn open(chosen: Chosen, cwd: &Path, git: &GitContext) -> Result<Store, Error> {
    if let Some(spec) = &chosen.git {
        let pin = git.pins.get(&spec.text).map(String::as_str);
        let checkout =
            super::git::checkout(spec, pin, git.fetch).map_err(|e| match &chosen.origin {
                Some(o) if e.origin.is_none() => e.at(o.clone()).with_label("this registry"),
                _ => e,
            })?;
        check_registry_dir(&checkout.dir, &chosen.choice, chosen.origin.clone())?;
        return Ok(Store::git(checkout));
    }
    check_registry_dir(&chosen.path, &chosen.choice, chosen.origin)?;
    let display = relative_display(&chosen.path, cwd);
    Ok(Store::dir(chosen.path, display))
}

/// `Some` spec if `text` names a git registry; an error (at `origin`) if it does, badly.
fn git_spec(text: &str, origin: Option<&Origin>) -> Result<Option<GitSpec>, Error> {
    match GitSpec::parse(text) {
        None => Ok(None),
        Some(Ok(spec)) => Ok(Some(spec)),
        Some(Err(why)) => {
            let mut err = Error::new(
                ErrorKind::InvalidValue,
                format!("`{text}` is not a git registry: {why}"),
            )
            .with_help("write `git+<url>@<tag or commit>`, with `#subdirectory=<dir>` when the registry is not at the repository's root");
            if let Some(o) = origin {
                err = err.at(o.clone()).with_label("here");
            }
            Err(err)
        }
    }
}

/// A registry directory chosen by the usual order, not yet checked.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub path: PathBuf,
    /// The registry is a git repository (then `path` means nothing).
    pub git: Option<GitSpec>,
    pub choice: RegistryChoice,
    /// `registry:` in hsm.yaml, when that is what chose it.
    pub origin: Option<Origin>,
}

/// Which directory the usual order picks, whether or not it exists; `None` for the
/// built-in registry. [`locate`] checks the directory; editing commands may create it.
pub fn choose(
    flag: Option<&Path>,
    env: Option<&Path>,
    manifest: Option<&Manifest>,
    project_root: &Path,
    cwd: &Path,
) -> Option<Chosen> {
    let (path, choice, origin) = if let Some(p) = flag {
        (cwd.join(p), RegistryChoice::Flag(p.to_path_buf()), None)
    } else if let Some(p) = env.filter(|p| !p.as_os_str().is_empty()) {
        (cwd.join(p), RegistryChoice::Env(p.to_path_buf()), None)
    } else if let Some((m, r)) = manifest.and_then(|m| m.data.registry.as_deref().map(|r| (m, r))) {
        let origin = m.origin(KeyPath::root().key("registry"));
        (
            m.root.join(r),
            RegistryChoice::Manifest(PathBuf::from(r)),
            Some(origin),
        )
    } else if let Some((m, r)) = manifest.and_then(|m| m.data.registries.first().map(|r| (m, r))) {
        // Editing commands write to the first layer.
        let origin = m.origin(KeyPath::root().key("registries").index(0));
        (
            m.root.join(r),
            RegistryChoice::Manifest(PathBuf::from(r)),
            Some(origin),
        )
    } else {
        let default = project_root.join("hsm-registry");
        if watch::probe(&default).is_dir() {
            (
                default.clone(),
                RegistryChoice::ProjectDefault(default),
                None,
            )
        } else {
            return None;
        }
    };
    let text = match &choice {
        RegistryChoice::Flag(p) | RegistryChoice::Env(p) | RegistryChoice::Manifest(p) => {
            p.to_string_lossy().into_owned()
        }
        _ => String::new(),
    };
    let git = GitSpec::parse(&text).and_then(Result::ok);
    Some(Chosen {
        path,
        git,
        choice,
        origin,
    })
}

/// The directory exists and has at least one of the four category folders, or is empty (a
/// registry its maintainer has just started: an empty registry, as the original hsm lists
/// it). A directory with other things in it and none of the folders is most likely a
/// mistyped path, and an error.
pub fn check_registry_dir(
    path: &Path,
    choice: &RegistryChoice,
    origin: Option<Origin>,
) -> Result<(), Error> {
    let from = match choice {
        RegistryChoice::Flag(_) => "--registry",
        RegistryChoice::Env(_) => "HSM_REGISTRY_PATH",
        RegistryChoice::Manifest(_) => "`registry:` in hsm.yaml",
        RegistryChoice::ProjectDefault(_) | RegistryChoice::Builtin => "the project",
        RegistryChoice::PathSet(_) => "`hsm registry path set`",
    };
    let seen = watch::probe(path);
    let problem = if !seen.exists() {
        Some(format!(
            "registry {} (from {from}) does not exist",
            path.display()
        ))
    } else if !seen.is_dir() {
        Some(format!(
            "registry {} (from {from}) is not a directory",
            path.display()
        ))
    } else if !Category::ALL
        .iter()
        .any(|c| watch::probe(&path.join(c.dir())).is_dir())
        && {
            // Whether the directory is empty is a listing, which a fingerprint cannot
            // record: an empty registry never gets the fast path.
            watch::untracked("the registry has none of the category folders");
            std::fs::read_dir(path).map_or(true, |mut d| d.next().is_some())
        }
    {
        Some(format!(
            "{} (from {from}) is not a registry: it has none of libraries/, services/, library_groups/, service_groups/",
            path.display()
        ))
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(message) => {
            let mut err = Error::new(ErrorKind::Io, message)
                .with_help("point at a directory with libraries/, services/, library_groups/ and service_groups/, or drop the setting to use the built-in registry");
            if let Some(o) = origin {
                err = err.at(o).with_label("registry path");
            }
            Err(err)
        }
    }
}

/// `path` relative to `cwd` when it is below it, with `.` and `..` folded; else as given.
pub fn relative_display(path: &Path, cwd: &Path) -> String {
    let clean = normalize(path);
    match clean.strip_prefix(normalize(cwd)) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => clean.display().to_string(),
    }
}

/// `path` with `.` and `..` folded lexically (no file system access).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_relative_to_the_working_directory() {
        assert_eq!(
            relative_display(Path::new("/p/./hsm-registry"), Path::new("/p")),
            "hsm-registry"
        );
        assert_eq!(
            relative_display(Path::new("/p/a/../reg"), Path::new("/p")),
            "reg"
        );
        assert_eq!(
            relative_display(Path::new("/elsewhere/reg"), Path::new("/p")),
            "/elsewhere/reg"
        );
    }

    #[test]
    fn a_named_registry_that_is_missing_is_an_error() {
        let err = locate(
            Some(Path::new("/no/such/registry")),
            None,
            None,
            Path::new("/p"),
            Path::new("/p"),
        )
        .unwrap_err();
        assert!(err.message.contains("does not exist"), "{err}");
    }

    #[test]
    fn without_any_setting_the_builtin_registry_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let (store, choice) = locate(None, None, None, dir.path(), dir.path()).unwrap();
        assert_eq!(choice, RegistryChoice::Builtin);
        assert_eq!(store.display(), "<built-in>");
    }
}
