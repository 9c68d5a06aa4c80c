//! Commit and run: the only stage that changes the project.
//!
//! `sync` = solve (or read hsm.lock with `--frozen`) → plan → one [`transaction`] over
//! every artifact → uv → commit. Any failure before the commit, including uv's, restores
//! every file; a crash is undone by the next invocation ([`transaction::recover`]).

pub mod runner;
pub mod transaction;

use std::path::Path;

use crate::error::{Error, ErrorKind};
use crate::manifest::{Manifest, Strategy};
use crate::registry::Registry;
use crate::render::lock::{self, Lock};
use crate::render::{self, Plan};
use crate::solve::package::{Pkg, Ver};
use crate::solve::{Compiler, Conflict, Outcome, Selection, solve_with};
pub use transaction::{ProjectLock, Transaction, recover};

/// What the user asked `hsm sync` to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Print the diff of every artifact; write nothing.
    pub dry_run: bool,
    /// Write the artifacts but do not run uv.
    pub no_install: bool,
    /// Fail if solving would change hsm.lock.
    pub locked: bool,
    /// Render from hsm.lock without solving.
    pub frozen: bool,
}

/// What a sync did.
#[derive(Debug)]
pub enum Report {
    /// Nothing to write.
    UpToDate { selection: Selection },
    /// `--dry-run`: the diff that would be applied.
    DryRun { diff: String, selection: Selection },
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

/// Read a project file; `None` if it does not exist.
pub fn read_project_file(root: &Path, rel: &str) -> Result<Option<String>, Error> {
    crate::source::read_text(&root.join(rel), rel)
}

/// Run a sync with the project lock held.
pub fn sync(
    lock: &ProjectLock,
    manifest: &Manifest,
    registry: &Registry,
    opts: Options,
) -> Result<Report, Error> {
    let root = lock.root();
    let compiler = Compiler::new(manifest, registry);
    let old_lock_text = read_project_file(root, lock::LOCK_FILE)?;
    let selection = if opts.frozen {
        let text = old_lock_text.as_deref().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidValue,
                format!("--frozen needs {}, and there is none", lock::LOCK_FILE),
            )
            .with_help("run `hsm sync` once without --frozen to write it")
        })?;
        from_lock(&compiler, &lock::parse(text)?)?
    } else {
        match solve_with(&compiler)? {
            Outcome::Solved(s) => s,
            Outcome::Conflict(c) => return Ok(Report::Conflict(c)),
        }
    };
    let reader = |rel: &str| read_project_file(root, rel);
    let plan = render::plan(manifest, registry, &selection, &reader)?;

    if opts.locked
        && let Some(a) = plan.get(lock::LOCK_FILE).filter(|a| a.changed())
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
        .with_help("run `hsm sync` without --locked to update hsm.lock, and commit it"));
    }
    if opts.dry_run {
        return Ok(Report::DryRun {
            diff: render::diff(&plan),
            selection,
        });
    }
    let venv_missing = plan.python && !root.join(".venv").exists();
    if plan.is_up_to_date() && (opts.no_install || !venv_missing) {
        return Ok(Report::UpToDate { selection });
    }

    let run_uv = plan.python && !opts.no_install;
    let mut paths: Vec<String> = plan.changed().map(|a| a.path.clone()).collect();
    if run_uv {
        // uv rewrites uv.lock; it is part of the transaction.
        paths.push("uv.lock".into());
    }
    let mut tx = Transaction::begin(lock, &paths)?;
    let (mut written, mut removed) = (Vec::new(), Vec::new());
    for a in plan.changed() {
        if let Err(e) = tx.write(&a.path, a.new.as_deref()) {
            tx.rollback()?;
            return Err(e);
        }
        if a.new.is_some() {
            written.push(a.path.clone())
        } else {
            removed.push(a.path.clone())
        }
    }
    let mut ran = Vec::new();
    if run_uv {
        transaction::fault("before-uv");
        if let Err(e) = runner::uv(root) {
            tx.rollback()?;
            return Err(e);
        }
        transaction::fault("after-uv");
        ran.push("uv lock".to_string());
        ran.push("uv sync".to_string());
    }
    tx.commit()?;
    Ok(Report::Synced {
        written,
        ran,
        selection,
        plan,
    })
}

/// The selection recorded in hsm.lock, rebuilt from the registry without solving.
pub fn from_lock(compiler: &Compiler<'_>, lock: &Lock) -> Result<Selection, Error> {
    let stale = |what: String| {
        Error::new(
            ErrorKind::InvalidValue,
            format!("hsm.lock names {what}, which the registry does not have"),
        )
        .with_help("run `hsm sync` without --frozen to re-solve and rewrite hsm.lock")
    };
    let mut solution: Vec<(Pkg, Ver)> = vec![(Pkg::Root, Ver::ONE)];
    for c in &lock.components {
        let component = compiler
            .registry
            .component(c.kind, &c.name)?
            .ok_or_else(|| stale(format!("the {} `{}`", c.kind, c.name)))?;
        let index = component
            .versions
            .iter()
            .position(|v| v.version.as_ref().map(ToString::to_string) == c.version)
            .ok_or_else(|| {
                stale(format!(
                    "`{}` {}",
                    c.name,
                    c.version.as_deref().unwrap_or("(unversioned)")
                ))
            })?;
        solution.push((
            Pkg::Component(c.kind, c.name.as_str().into()),
            Ver::from_index(index),
        ));
    }
    for g in &lock.groups {
        let group = compiler
            .registry
            .group(g.kind, &g.name)?
            .ok_or_else(|| stale(format!("the {} group `{}`", g.kind, g.name)))?;
        for o in &g.options {
            let i = group
                .option_index(o)
                .ok_or_else(|| stale(format!("option `{o}` of group `{}`", g.name)))?;
            let pkg = match group.strategy {
                Strategy::OneOfN => (
                    Pkg::Group(g.kind, g.name.as_str().into()),
                    Ver::from_index(i),
                ),
                Strategy::ManyOfN => (
                    Pkg::Option(g.kind, g.name.as_str().into(), i as u32),
                    Ver::ONE,
                ),
            };
            solution.push(pkg);
        }
    }
    Selection::from_solution(solution, compiler)
}
