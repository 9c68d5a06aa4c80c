//! Commit and run: the only stage that changes the project.
//!
//! `sync` = [`prepare`] (solve, or read hsm.lock with `--frozen`; plan; every check) → one
//! [`transaction`] over every artifact → uv → commit. Any failure before the commit,
//! including uv's, restores every file; a crash is undone by the next invocation
//! ([`transaction::recover`]). `hsm check` runs [`prepare`] too, so a stack it passes
//! is one `sync --no-install` writes.

pub mod files;
pub mod fingerprint;
pub mod journal;
pub mod lock;
pub mod process;
pub mod runner;
pub mod transaction;

use std::path::Path;

use crate::error::{Error, ErrorKind};
use crate::manifest::Manifest;
use crate::registry::Registry;
use crate::registry::model::{ProfileMode, Runtime};
use crate::registry::rules::Definition;
use crate::render::lock::{self as hsm_lock, Installed, Lock};
use crate::render::service_project::ServiceProject;
use crate::render::{self, Plan};
use crate::solve::locked::{self, GroupPin, Pin};
use crate::solve::{ActiveProfile, Conflict, Outcome, Selection, solve};
use crate::source::watch;
pub use lock::{ProjectLock, Waiting};
pub use runner::UvLock;
pub use transaction::{Recovery, Transaction, recover};

/// uv's lock file: not rendered by hsm, but rewritten by `uv lock` inside the transaction.
pub const UV_LOCK: &str = "uv.lock";
/// Largest project file hsm reads to compare or digest.
const MAX_PROJECT_FILE: usize = 64 * 1024 * 1024;

/// What the user asked `hsm sync` to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Print the diff of every artifact; write nothing.
    pub dry_run: bool,
    /// Write the artifacts but do not run uv.
    pub no_install: bool,
    /// Fail if solving would change hsm.lock; uv must not change uv.lock either.
    pub locked: bool,
    /// Render from hsm.lock without solving; never rewrite hsm.lock; uv installs uv.lock as
    /// it is.
    pub frozen: bool,
}

impl Options {
    fn uv_lock(self) -> UvLock {
        if self.frozen {
            UvLock::Frozen
        } else if self.locked {
            UvLock::Locked
        } else {
            UvLock::Update
        }
    }
}

/// What a sync did.
#[derive(Debug)]
pub enum Report {
    /// Nothing to write, and the environment was installed from the current files.
    UpToDate { selection: Selection },
    /// [`Report::UpToDate`] proven by the fingerprint the last such sync left: every
    /// input is unchanged, so nothing was solved ([`fingerprint`]).
    Unchanged(fingerprint::Summary),
    /// `--dry-run`: the diff that would be applied, and what it would do to each file.
    DryRun {
        diff: String,
        changes: Vec<Change>,
        selection: Selection,
    },
    /// Files written (relative paths) and tools run.
    Synced {
        written: Vec<String>,
        ran: Vec<String>,
        selection: Selection,
        plan: Plan,
    },
    /// No consistent stack.
    Conflict(Box<Conflict>),
}

/// What a sync would do to one path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub path: String,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// A service's project directory, made by `git clone` or `uv init`.
    CreateProject,
}

/// Every change `plan` makes, in the order a sync makes them.
pub fn changes(plan: &Plan) -> Vec<Change> {
    let checkouts = plan.checkouts.iter().map(|c| Change {
        path: format!("{}/", c.dir),
        action: Action::CreateProject,
    });
    let projects = plan
        .services
        .iter()
        .filter(|p| p.create.is_some())
        .map(|p| Change {
            path: format!("{}/", p.dir),
            action: Action::CreateProject,
        });
    let files = plan.changed().map(|a| Change {
        path: a.path.clone(),
        action: match (&a.old, &a.new) {
            (None, _) => Action::Create,
            (_, None) => Action::Delete,
            _ => Action::Update,
        },
    });
    checkouts.chain(projects).chain(files).collect()
}

/// A stack solved and rendered, with every check a sync makes before writing done.
#[derive(Debug)]
pub struct Prepared {
    pub selection: Selection,
    pub plan: Plan,
    /// The environment was not installed from the current pyproject.toml and uv.lock (or
    /// `.venv` is missing): uv must run even if no artifact changes.
    pub stale_install: bool,
    /// The same for the services run with uv: those whose environment must be installed
    /// even if none of their files changes.
    pub stale_services: Vec<String>,
}

/// Read a project file; `None` if it does not exist.
pub fn read_project_file(root: &Path, rel: &str) -> Result<Option<String>, Error> {
    crate::source::read_text_within(&root.join(rel), rel, MAX_PROJECT_FILE)
}

fn read_project_bytes(root: &Path, rel: &str) -> Result<Option<Vec<u8>>, Error> {
    crate::source::read_bytes(&root.join(rel), rel, MAX_PROJECT_FILE)
}

/// Everything before the first write: solve (or read hsm.lock), plan, and check that the
/// plan can be written. `Ok(Err(conflict))` when no stack exists.
pub fn prepare(
    root: &Path,
    manifest: &Manifest,
    registry: &Registry,
    opts: Options,
) -> Result<Result<Prepared, Box<Conflict>>, Error> {
    let old_lock_text = read_project_file(root, hsm_lock::LOCK_FILE)?;
    let parsed = match &old_lock_text {
        Some(text) if opts.frozen => Some(hsm_lock::parse(text)?),
        Some(text) => hsm_lock::parse(text).ok(),
        None => None,
    };
    let old = render::OldLock {
        text: old_lock_text,
        parsed,
    };
    let old_lock = &old.parsed;
    let selection = if opts.frozen {
        let lock = old_lock.as_ref().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidValue,
                format!("--frozen needs {}, and there is none", hsm_lock::LOCK_FILE),
            )
            .with_help("run `hsm sync` once without --frozen to write it")
        })?;
        from_lock(manifest, registry, lock)?
    } else {
        match solve(manifest, registry)? {
            Outcome::Solved(s) => s,
            Outcome::Conflict(c) => return Ok(Err(c)),
        }
    };
    let reader = |rel: &str| read_project_file(root, rel);
    let mut plan = render::plan(manifest, registry, &selection, &reader, &old)?;
    if plan.python {
        // pyproject.toml's sources and the install are uv's: another manager would get
        // files it cannot read, so refuse rather than ignore the setting.
        manifest.package_manager()?;
    }

    let uv_services: Vec<String> = plan.services.iter().map(|p| p.service.clone()).collect();
    if let Some(lock) = &old_lock
        && let Some(a) = plan.get_mut(hsm_lock::LOCK_FILE)
        && let Some(new) = &mut a.new
    {
        // hsm.lock's record of the installed environments is carried over unchanged; only
        // a run of uv changes it.
        if let Some(installed) = &lock.installed {
            *new = hsm_lock::with_installed(new, installed);
        }
        for (service, installed) in &lock.installed_services {
            if uv_services.contains(service) {
                *new = hsm_lock::with_service_installed(new, service, installed);
            }
        }
    }
    if opts.frozen
        && let (Some(lock), Some(a)) = (&old_lock, plan.get_mut(hsm_lock::LOCK_FILE))
    {
        if let Some(new) = &a.new {
            check_frozen(lock, &hsm_lock::parse(new)?)?;
        }
        a.new = a.old.clone();
    }
    if opts.locked
        && let Some(a) = plan.get(hsm_lock::LOCK_FILE).filter(|a| a.changed())
    {
        let what = if a.old.is_none() {
            "there is no hsm.lock"
        } else {
            "hsm.lock is out of date"
        };
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("--locked: {what}; solving hsm.yaml gives a different stack"),
        )
        .with_help("run `hsm sync` to update hsm.lock, and commit it"));
    }

    // What the transaction will need: a real `.hsm` and regular files (or nothing) where
    // it writes.
    files::check_state_dir(root)?;
    let service_locks: Vec<String> = plan.services.iter().map(|p| p.uv_lock_path()).collect();
    for a in &plan.artifacts {
        journal::check_project_path(root, &a.path).map_err(|why| {
            Error::new(
                ErrorKind::InvalidValue,
                format!("hsm will not write {}: {why}", a.path),
            )
            .with_help("make the directories on the way to it real directories of the project")
        })?;
    }
    for c in &plan.checkouts {
        journal::check_project_path(root, &c.dir).map_err(|why| {
            Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "hsm will not clone the dev source of `{}`: {why}",
                    c.library
                ),
            )
            .with_help(format!(
                "make the way to {} real directories of the project",
                c.dir
            ))
        })?;
    }
    for p in &plan.services {
        journal::check_project_path(root, &p.dir).map_err(|why| {
            Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "hsm will not write the project of service `{}`: {why}",
                    p.service
                ),
            )
            .with_help(format!(
                "make {} a real directory of the project (or remove it so that hsm creates it)",
                p.dir
            ))
        })?;
    }
    for rel in plan
        .artifacts
        .iter()
        .map(|a| a.path.as_str())
        .chain([UV_LOCK])
        .chain(service_locks.iter().map(String::as_str))
    {
        read_project_bytes(root, rel).map_err(|e| {
            e.with_help(format!(
                "hsm replaces {rel} with a regular file; move whatever is there out of the way"
            ))
        })?;
    }

    let stale_install = plan.python && {
        let installed = Installed::of(
            read_project_bytes(root, render::pyproject::PYPROJECT)?.as_deref(),
            read_project_bytes(root, UV_LOCK)?.as_deref(),
        );
        old_lock.as_ref().and_then(|l| l.installed.as_ref()) != Some(&installed)
            || !watch::probe(&root.join(".venv")).is_dir()
    };
    let mut stale_services = Vec::new();
    for p in &plan.services {
        let installed = service_installed(root, p)?;
        let recorded = old_lock
            .as_ref()
            .and_then(|l| l.installed_services.get(&p.service));
        if p.create.is_some()
            || recorded != Some(&installed)
            || !watch::probe(&root.join(&p.dir).join(".venv")).is_dir()
        {
            stale_services.push(p.service.clone());
        }
    }
    Ok(Ok(Prepared {
        selection,
        plan,
        stale_install,
        stale_services,
    }))
}

/// What a service's environment would be installed from now.
fn service_installed(root: &Path, p: &ServiceProject) -> Result<Installed, Error> {
    Ok(Installed::of_service(
        read_project_bytes(root, &p.pyproject_path())?.as_deref(),
        read_project_bytes(root, &p.uv_lock_path())?.as_deref(),
        read_project_bytes(root, &p.env_path())?.as_deref(),
    ))
}

/// `--frozen` renders what hsm.lock records; if the registry no longer gives the same
/// stack (a source or version changed), rendering it would not be what the lock says.
fn check_frozen(locked: &Lock, now: &Lock) -> Result<(), Error> {
    let stale = |what: String| {
        Err(
            Error::new(ErrorKind::InvalidValue, format!("--frozen: {what}"))
                .with_help("run `hsm sync` without --frozen to re-solve and rewrite hsm.lock"),
        )
    };
    for (old, new) in locked.components.iter().zip(&now.components) {
        if old.source != new.source {
            return stale(format!(
                "hsm.lock records `{}` from {}, but the registry now gives {}",
                old.name,
                old.source.as_deref().unwrap_or("no source"),
                new.source.as_deref().unwrap_or("no source"),
            ));
        }
    }
    if locked.env_files != now.env_files {
        return stale(format!(
            "hsm.lock records the env files [{}], but the registry now gives [{}]",
            locked.env_files.join(", "),
            now.env_files.join(", ")
        ));
    }
    Ok(())
}

/// `sync --dry-run`: the diff a sync would apply. Needs no lock: it writes nothing.
pub fn dry_run(
    root: &Path,
    manifest: &Manifest,
    registry: &Registry,
    opts: Options,
) -> Result<Report, Error> {
    Ok(match prepare(root, manifest, registry, opts)? {
        Ok(p) => Report::DryRun {
            diff: render::diff(&p.plan),
            changes: changes(&p.plan),
            selection: p.selection,
        },
        Err(conflict) => Report::Conflict(conflict),
    })
}

/// Run a sync with the project lock held.
pub fn sync(
    lock: &ProjectLock,
    manifest: &Manifest,
    registry: &Registry,
    opts: Options,
) -> Result<Report, Error> {
    let root = lock.root();
    if opts.dry_run {
        return dry_run(root, manifest, registry, opts);
    }
    let Prepared {
        selection,
        plan,
        stale_install,
        stale_services,
    } = match prepare(root, manifest, registry, opts)? {
        Ok(p) => p,
        Err(conflict) => return Ok(Report::Conflict(conflict)),
    };
    let changed = |path: &str| plan.get(path).is_some_and(render::Artifact::changed);
    let run_uv =
        plan.python && !opts.no_install && (stale_install || changed(render::pyproject::PYPROJECT));
    // The services whose environment uv installs: new, changed or not installed yet.
    let services: Vec<&ServiceProject> = plan
        .services
        .iter()
        .filter(|p| {
            !opts.no_install
                && (stale_services.contains(&p.service)
                    || changed(&p.pyproject_path())
                    || changed(&p.env_path()))
        })
        .collect();
    let creates = plan.services.iter().any(|p| p.create.is_some()) || !plan.checkouts.is_empty();
    if plan.is_up_to_date() && !run_uv && services.is_empty() && !creates {
        return Ok(Report::UpToDate { selection });
    }

    let mut paths: Vec<String> = plan.changed().map(|a| a.path.clone()).collect();
    let mut extras: Vec<String> = Vec::new();
    if run_uv {
        // uv rewrites uv.lock, and hsm.lock then records what uv installed from: both are
        // part of the transaction (but --frozen never rewrites hsm.lock).
        extras.push(UV_LOCK.to_string());
    }
    for p in &plan.services {
        if p.create.is_some() || services.iter().any(|q| q.service == p.service) {
            extras.extend([p.pyproject_path(), p.uv_lock_path(), p.env_path()]);
        }
    }
    if (run_uv || !services.is_empty()) && !opts.frozen {
        extras.push(hsm_lock::LOCK_FILE.to_string());
    }
    for extra in extras {
        if !paths.contains(&extra) {
            paths.push(extra);
        }
    }
    let mut tx = Transaction::begin(lock, &paths)?;
    let work = Work {
        root,
        plan: &plan,
        run_uv,
        services: &services,
        opts,
    };
    match work.run(&mut tx) {
        Ok((written, ran)) => {
            tx.commit()?;
            Ok(Report::Synced {
                written,
                ran,
                selection,
                plan,
            })
        }
        Err(e) => {
            tx.rollback()?;
            Err(e)
        }
    }
}

/// The body of the transaction.
struct Work<'a> {
    root: &'a Path,
    plan: &'a Plan,
    run_uv: bool,
    /// The services whose environment uv installs.
    services: &'a [&'a ServiceProject],
    opts: Options,
}

impl Work<'_> {
    /// Create the services' missing projects, write the plan, run uv (in the project,
    /// then in each service's project), record what uv installed from. Returns the files
    /// written and the commands run.
    fn run(&self, tx: &mut Transaction<'_>) -> Result<(Vec<String>, Vec<String>), Error> {
        let (root, plan, opts) = (self.root, self.plan, self.opts);
        let (mut written, mut ran) = (Vec::new(), Vec::new());
        for c in &plan.checkouts {
            tx.create_dir(&c.dir)?;
            ran.extend(runner::clone_dev_source(tx, c)?);
            transaction::fault("after-dev-clone");
            written.push(format!("{}/", c.dir));
        }
        for p in &plan.services {
            let Some(create) = &p.create else {
                continue;
            };
            tx.create_dir(&p.dir)?;
            ran.extend(runner::create_project(tx, p, create)?);
            transaction::fault("after-create-project");
            let path = p.pyproject_path();
            let Some(text) = read_project_file(root, &path)? else {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!(
                        "service `{}` runs with uv, but `{}` made no {path}",
                        p.service,
                        create.describe(&p.dir)
                    ),
                )
                .with_help("every file hsm wrote has been restored; a service run with uv is a Python project: give its repository a pyproject.toml"));
            };
            if let Some(new) = p.pyproject(&text)?
                && new != text
            {
                tx.write(&path, Some(new.as_bytes()))?;
            }
            written.push(format!("{}/", p.dir));
        }
        for a in plan.changed() {
            // A file in a directory that does not exist yet (one a service declares): the
            // directory is made in the transaction too.
            if a.new.is_some()
                && let Some((parent, _)) = a.path.rsplit_once('/')
                && !root.join(parent).is_dir()
            {
                tx.create_dir(parent)?;
            }
            tx.write(&a.path, a.new.as_deref().map(str::as_bytes))?;
            written.push(a.path.clone());
        }
        let mut lock_text = read_project_file(root, hsm_lock::LOCK_FILE)?;
        if self.run_uv {
            transaction::fault("before-uv");
            ran.extend(runner::uv(tx, opts.uv_lock())?);
            transaction::fault("after-uv");
            let installed = Installed::of(
                read_project_bytes(root, render::pyproject::PYPROJECT)?.as_deref(),
                read_project_bytes(root, UV_LOCK)?.as_deref(),
            );
            lock_text = lock_text.map(|t| hsm_lock::with_installed(&t, &installed));
        }
        for p in self.services {
            ran.extend(runner::uv_in_service(tx, p, opts.uv_lock())?);
            transaction::fault("after-service-uv");
            let installed = service_installed(root, p)?;
            lock_text =
                lock_text.map(|t| hsm_lock::with_service_installed(&t, &p.service, &installed));
        }
        if !opts.frozen
            && let Some(new) = lock_text
            && Some(&new) != read_project_file(root, hsm_lock::LOCK_FILE)?.as_ref()
        {
            tx.write(hsm_lock::LOCK_FILE, Some(new.as_bytes()))?;
            if !written.iter().any(|w| w == hsm_lock::LOCK_FILE) {
                written.push(hsm_lock::LOCK_FILE.to_string());
            }
        }
        Ok((written, ran))
    }
}

/// The selection recorded in hsm.lock, rebuilt from the registry without solving: the
/// versions, options, modes and profiles hsm.lock records, whatever hsm.yaml says now.
pub fn from_lock(
    manifest: &Manifest,
    registry: &Registry,
    lock: &Lock,
) -> Result<Selection, Error> {
    let components: Vec<Pin<'_>> = lock
        .components
        .iter()
        .map(|c| Pin {
            kind: c.kind,
            name: &c.name,
            version: c.version.as_deref(),
        })
        .collect();
    let groups: Vec<GroupPin<'_>> = lock
        .groups
        .iter()
        .map(|g| GroupPin {
            kind: g.kind,
            name: &g.name,
            options: &g.options,
        })
        .collect();
    let mut selection = locked::from_pins(manifest, registry, &components, &groups)?;
    for s in &mut selection.components {
        let Some(locked) = lock
            .components
            .iter()
            .find(|c| c.kind == s.kind && c.name == s.name)
        else {
            continue;
        };
        s.mode = locked.mode;
        if let Some(name) = &locked.profile {
            s.profile = Some(
                locked_profile(&s.component, name)
                    .ok_or_else(|| locked::stale(format!("profile `{name}` of `{}`", s.name)))?,
            );
        }
    }
    Ok(selection)
}

/// The deployment profile `name` of a service, as hsm.lock names it.
fn locked_profile(service: &crate::registry::Component, name: &str) -> Option<ActiveProfile> {
    let Definition::Service(def) = &service.definition else {
        return None;
    };
    match def.deployment_profiles.get(name) {
        Some(p) => Some(ActiveProfile {
            name: name.to_string(),
            mode: p.mode,
            runtime: p.runtime,
        }),
        // A service without a `default` profile runs managed, in docker.
        None if name == "default" => Some(ActiveProfile {
            name: name.to_string(),
            mode: ProfileMode::Managed,
            runtime: Runtime::Docker,
        }),
        None => None,
    }
}
