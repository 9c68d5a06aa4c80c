//! `hsm sync` and `hsm down`: write the stack's files in one transaction, run uv, and
//! start or stop the services on request.

use super::Workspace;
use crate::error::Error;
use crate::manifest::Manifest;
use crate::render::compose::COMPOSE_FILE;
use crate::sync::{Options, Report, dry_run, runner, sync};

/// `hsm sync`'s options.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    pub sync: Options,
    /// Start the services afterwards (`docker compose up -d --remove-orphans`).
    pub up: bool,
}

/// What `--up` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Up {
    /// Not asked for.
    NotAsked,
    /// The stack has no managed services.
    NoServices,
    /// `<engine> compose up` ran.
    Started { engine: String },
}

/// What [`sync`] did.
#[derive(Debug)]
pub struct SyncOutcome {
    pub report: Report,
    pub up: Up,
}

/// Sync the project: solve, render, commit, run uv; then `--up`.
pub fn run(ws: &Workspace, options: SyncOptions) -> Result<SyncOutcome, Error> {
    // A dry run writes nothing, so it never waits for the lock.
    let lock = if options.sync.dry_run {
        None
    } else {
        Some(ws.lock()?)
    };
    let manifest = ws.manifest()?;
    let registry = ws.registry(Some(&manifest))?;
    if options.up {
        // Refuse a bad engine before writing anything.
        manifest.container_engine()?;
    }
    let report = match &lock {
        Some(lock) => sync(lock, &manifest, &registry, options.sync)?,
        None => dry_run(&ws.root, &manifest, &registry, options.sync)?,
    };
    let compose = match &report {
        Report::Conflict(_) | Report::DryRun { .. } => {
            return Ok(SyncOutcome {
                report,
                up: Up::NotAsked,
            });
        }
        Report::UpToDate { .. } => ws.root.join(COMPOSE_FILE).exists(),
        Report::Synced { plan, .. } => plan.compose,
    };
    let up = if !options.up {
        Up::NotAsked
    } else if !compose {
        Up::NoServices
    } else {
        Up::Started {
            engine: compose_up(ws, &manifest)?,
        }
    };
    Ok(SyncOutcome { report, up })
}

fn compose_up(ws: &Workspace, manifest: &Manifest) -> Result<String, Error> {
    let engine = manifest.container_engine()?;
    runner::compose(&ws.root, engine, &["up", "-d", "--remove-orphans"])?;
    Ok(engine.to_string())
}

/// What [`down`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownOutcome {
    /// There is no compose file: nothing to stop.
    NoCompose,
    /// `<engine> compose down` ran.
    Stopped,
}

/// `hsm down`: stop the services `hsm sync --up` started.
pub fn down(ws: &Workspace) -> Result<DownOutcome, Error> {
    let _lock = ws.lock()?;
    if !ws.root.join(COMPOSE_FILE).exists() {
        return Ok(DownOutcome::NoCompose);
    }
    let manifest = ws.manifest()?;
    let engine = manifest.container_engine()?;
    runner::compose(&ws.root, engine, &["down"])?;
    Ok(DownOutcome::Stopped)
}
