//! Where a command runs: the project root, the registry it uses, and the project lock.
//!
//! Every op takes a [`Workspace`]. It finds hsm.yaml and the registry the way every
//! command does, and takes the project lock for commands that change the project,
//! rolling back an interrupted sync first. What happens while it waits is reported
//! through [`Workspace::notify`] as a [`Notice`], so that only `cli/` prints.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, ErrorKind};
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::registry::git::Fetch;
use crate::registry::{Registry, location};
use crate::sync::{ProjectLock, Recovery, Waiting, transaction};

/// Something an op tells the user while it works (the CLI prints it on stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Waiting for the project lock (said once).
    Waiting { waiting: Waiting, timeout: Duration },
    /// An interrupted sync was rolled back.
    RolledBack,
    /// `.hsm/journal` was not a journal hsm can trust and was cleared.
    Cleared(String),
    /// `hsm sync` answered from its fingerprint: no input changed (`--verbose` only).
    Fresh,
    /// `hsm sync` takes the full path, and why (`--verbose` only, as cargo says why a
    /// crate is dirty).
    Stale(crate::sync::fingerprint::Stale),
}

impl Notice {
    /// Shown only with `--verbose`.
    pub fn verbose_only(&self) -> bool {
        matches!(self, Notice::Fresh | Notice::Stale(_))
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Waiting {
                waiting: Waiting::Hsm(pid),
                timeout,
            } => {
                let who = match pid {
                    Some(pid) => format!("another hsm (pid {pid})"),
                    None => "another hsm".to_string(),
                };
                write!(
                    f,
                    "waiting for {who} to finish with this project (up to {} s; see --lock-timeout)",
                    timeout.as_secs()
                )
            }
            Notice::Waiting {
                waiting: Waiting::Orphan(p),
                ..
            } => write!(
                f,
                "stopping a tool (pid {}) that a killed sync left running",
                p.pid
            ),
            Notice::RolledBack => {
                f.write_str("rolled back an interrupted sync; every file is as it was before it")
            }
            Notice::Fresh => f.write_str(
                "fast path: no input changed since the last sync (.hsm/fingerprint); nothing solved",
            ),
            Notice::Stale(why) => write!(f, "full sync: {why}"),
            Notice::Cleared(why) => write!(
                f,
                "warning: cleared .hsm/journal, which was not a sync journal hsm can trust ({why}); no file was restored"
            ),
        }
    }
}

/// The project root for a command started in `start`: the nearest directory, from `start`
/// up, that holds hsm.yaml (as cargo finds Cargo.toml and uv pyproject.toml); `start`
/// itself when none does, so that the error names where the user is.
pub fn discover_root(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|dir| dir.join(MANIFEST_FILE).is_file())
        .unwrap_or(start)
        .to_path_buf()
}

/// The project a command works on and how it finds its registry.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory hsm was started in (paths are shown relative to it).
    pub cwd: PathBuf,
    /// The project root, holding hsm.yaml.
    pub root: PathBuf,
    /// `--registry`.
    pub registry_flag: Option<PathBuf>,
    /// `HSM_REGISTRY_PATH`.
    pub registry_env: Option<PathBuf>,
    /// How long a command that changes the project waits for another hsm.
    pub lock_timeout: Duration,
    /// `--offline`: git registries come from the cache only.
    pub offline: bool,
    /// Called with each [`Notice`] as it happens.
    pub notify: fn(&Notice),
}

impl Workspace {
    /// hsm.yaml of the project.
    pub fn manifest(&self) -> Result<Manifest, Error> {
        let path = self.root.join(MANIFEST_FILE);
        let display = self.display(&path);
        let Some(text) = crate::source::read_text(&path, &display)? else {
            let place = match self.display(&self.root).as_str() {
                "." => "the current directory".to_string(),
                other => other.to_string(),
            };
            return Err(Error::new(
                ErrorKind::NoManifest,
                format!("no {MANIFEST_FILE} in {place} or any directory above it"),
            )
            .with_help(
                "run `hsm init` to create one, or pass `--directory` to point at the project",
            ));
        };
        Manifest::from_text(&display, &self.root, text)
    }

    /// The registry: `--registry`, `HSM_REGISTRY_PATH`, `registry:` in hsm.yaml,
    /// `./hsm-registry`, or the built-in one.
    pub fn registry(&self, manifest: Option<&Manifest>) -> Result<Registry, Error> {
        self.registry_with(manifest, Fetch::AsNeeded)
    }

    /// [`Workspace::registry`], fetching git registries as `fetch` says (`--offline`
    /// overrides it), pinned to the commits the project's hsm.lock records.
    pub fn registry_with(
        &self,
        manifest: Option<&Manifest>,
        fetch: Fetch,
    ) -> Result<Registry, Error> {
        let pins = crate::sync::read_project_file(&self.root, crate::render::lock::LOCK_FILE)
            .ok()
            .flatten()
            .map(|text| crate::render::lock::registry_pins(&text))
            .unwrap_or_default();
        let git = location::GitContext {
            fetch: if self.offline { Fetch::Offline } else { fetch },
            pins,
        };
        let (store, _) = location::locate_with(
            self.registry_flag.as_deref(),
            self.registry_env.as_deref(),
            manifest,
            &self.root,
            &self.cwd,
            &git,
        )?;
        Ok(Registry::new(store))
    }

    /// hsm.yaml (if there is one) and the registry, for commands that can do without a
    /// project (registry browsing and linting).
    pub fn registry_anywhere(&self) -> Result<Registry, Error> {
        let manifest = self.manifest().ok();
        self.registry(manifest.as_ref())
    }

    /// `path` as the user should see it: relative to where hsm was started.
    pub fn display(&self, path: &Path) -> String {
        location::relative_display(path, &self.cwd)
    }

    /// Take the project lock for a command that changes the project: wait for another
    /// hsm (saying so once), then roll back a sync that was interrupted.
    pub fn lock(&self) -> Result<ProjectLock, Error> {
        let root = &self.root;
        let lock = ProjectLock::acquire(
            root,
            self.lock_timeout,
            &mut |waiting| self.waiting(waiting),
            &mut || transaction::stop_orphans(root),
        )?;
        self.recover(&lock)?;
        Ok(lock)
    }

    /// Lock a directory other than the project (a registry being edited), waiting like
    /// [`Workspace::lock`].
    pub fn lock_dir(&self, dir: &Path) -> Result<ProjectLock, Error> {
        ProjectLock::acquire(
            dir,
            self.lock_timeout,
            &mut |waiting| self.waiting(waiting),
            &mut || None,
        )
    }

    fn waiting(&self, waiting: Waiting) {
        (self.notify)(&Notice::Waiting {
            waiting,
            timeout: self.lock_timeout,
        });
    }

    /// Roll back a sync that was interrupted (crash, kill), with the project lock held.
    fn recover(&self, lock: &ProjectLock) -> Result<(), Error> {
        match crate::sync::recover(lock)? {
            Recovery::Nothing => {}
            Recovery::RolledBack => (self.notify)(&Notice::RolledBack),
            Recovery::Cleared(why) => (self.notify)(&Notice::Cleared(why)),
        }
        Ok(())
    }

    /// Before a read-only command: if a sync was interrupted, undo it first — unless a
    /// sync is in progress right now, which a read-only command never waits for.
    pub fn recover_if_interrupted(&self) -> Result<(), Error> {
        if !transaction::interrupted(&self.root) {
            return Ok(());
        }
        match ProjectLock::try_acquire(&self.root)? {
            Some(lock) => self.recover(&lock),
            None if transaction::owner_alive(&self.root) => Ok(()),
            // The sync was killed, and the tool it ran holds the lock: stop it and recover.
            None => self.lock().map(drop),
        }
    }
}
