//! `hsm sync` and `hsm down`: write the stack's files in one transaction, run uv, and
//! start or stop the services on request.

use super::Workspace;
use crate::error::Error;
use crate::manifest::Manifest;
use crate::registry::Registry;
use crate::render::compose::COMPOSE_FILE;
use crate::source::watch;
use crate::sync::{Options, Report, dry_run, fingerprint, runner, sync};
use crate::vocab::ComposeTool;

/// `hsm sync`'s options.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    pub sync: Options,
    /// Start the services afterwards (`docker compose up -d --remove-orphans`).
    pub up: bool,
    /// Answer "up to date" from `.hsm/fingerprint` when every input is unchanged, without
    /// solving ([`crate::sync::fingerprint`]); the report then carries counts, not the
    /// stack. Ignored with `--dry-run` and `--up`.
    pub fast_path: bool,
}

/// What `--up` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Up {
    /// Not asked for.
    NotAsked,
    /// The stack has no managed services.
    NoServices,
    /// `<tool> -f docker-compose.hsm.yml up -d --remove-orphans` ran.
    Started { tool: ComposeTool },
}

/// A service run with uv, for `--up`: hsm does not supervise processes, so it says how to
/// start each one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UvRun {
    pub service: String,
    /// Its project, relative to the project root (`services/<name>`).
    pub dir: String,
    /// The registry's `command`, as one shell line.
    pub command: Option<String>,
}

/// What [`sync`] did.
#[derive(Debug)]
pub struct SyncOutcome {
    pub report: Report,
    /// The registry the stack was solved with, as the user names it.
    pub registry: String,
    pub up: Up,
    /// With `--up`: the services run with uv, and how to start each.
    pub uv_runs: Vec<UvRun>,
    /// hsm.yaml and the registry as the sync loaded them, handed back so that a caller
    /// about to exit can skip freeing them (thousands of small allocations at scale).
    #[expect(dead_code, reason = "held, never read: see above")]
    pub loaded: Option<(Manifest, Registry)>,
}

/// Sync the project: solve, render, commit, run uv; then `--up`.
pub fn run(ws: &Workspace, options: SyncOptions) -> Result<SyncOutcome, Error> {
    // A dry run writes nothing, so it never waits for the lock.
    let lock = if options.sync.dry_run {
        None
    } else {
        Some(ws.lock()?)
    };
    let settings = (options.fast_path && !options.sync.dry_run && !options.up)
        .then(|| fingerprint::Settings::new(ws, options.sync).ok())
        .flatten();
    match settings
        .as_ref()
        .map(|s| fingerprint::unchanged(&ws.root, s))
    {
        Some(Ok(summary)) => {
            (ws.notify)(&super::Notice::Fresh);
            return Ok(SyncOutcome {
                registry: summary.registry.clone(),
                report: Report::Unchanged(summary),
                up: Up::NotAsked,
                uv_runs: Vec::new(),
                loaded: None,
            });
        }
        Some(Err(stale)) => (ws.notify)(&super::Notice::Stale(stale)),
        None => {}
    }
    let (outcome, recording) = watch::record(|| full(ws, options, lock.as_ref()));
    let outcome = outcome?;
    if let (Some(settings), Report::UpToDate { selection }) = (settings, &outcome.report) {
        let (libraries, services) = selection.counts();
        let summary = fingerprint::Summary {
            libraries,
            services,
            registry: outcome.registry.clone(),
        };
        fingerprint::write(&ws.root, settings, summary, recording)?;
    }
    Ok(outcome)
}

/// [`run`] without the fast path: solve, render, compare, write.
fn full(
    ws: &Workspace,
    options: SyncOptions,
    lock: Option<&crate::sync::ProjectLock>,
) -> Result<SyncOutcome, Error> {
    let manifest = ws.manifest()?;
    // `--locked` also checks that no git registry's ref has moved past hsm.lock's pin.
    let fetch = if options.sync.locked {
        crate::registry::git::Fetch::Locked
    } else {
        crate::registry::git::Fetch::AsNeeded
    };
    let registry = ws.registry_with(Some(&manifest), fetch)?;
    // Find the compose tool (or refuse a bad setting) before writing anything.
    let tool = if options.up {
        Some(runner::find_compose(&manifest.container_engine()?)?)
    } else {
        None
    };
    let report = match lock {
        Some(lock) => sync(lock, &manifest, &registry, options.sync)?,
        None => dry_run(&ws.root, &manifest, &registry, options.sync)?,
    };
    let (compose, selection) = match &report {
        Report::Conflict(_) | Report::DryRun { .. } | Report::Unchanged(_) => {
            return Ok(SyncOutcome {
                report,
                registry: registry.store().display().to_string(),
                up: Up::NotAsked,
                uv_runs: Vec::new(),
                loaded: Some((manifest, registry)),
            });
        }
        Report::UpToDate { selection } => (ws.root.join(COMPOSE_FILE).exists(), selection),
        Report::Synced {
            plan, selection, ..
        } => (plan.compose, selection),
    };
    let uv_runs = if options.up {
        uv_runs(selection)
    } else {
        Vec::new()
    };
    let up = match tool {
        None => Up::NotAsked,
        Some(_) if !compose => Up::NoServices,
        Some(tool) => {
            runner::compose(&ws.root, tool, &["up", "-d", "--remove-orphans"])?;
            Up::Started { tool }
        }
    };
    Ok(SyncOutcome {
        report,
        registry: registry.store().display().to_string(),
        up,
        uv_runs,
        loaded: Some((manifest, registry)),
    })
}

/// How to start each service of the stack that runs with uv.
fn uv_runs(selection: &crate::solve::Selection) -> Vec<UvRun> {
    use crate::registry::rules::Definition;
    use crate::render::service::is_uv_run;
    use crate::render::service_project::dir_of;
    selection
        .components
        .iter()
        .filter(|s| is_uv_run(s))
        .map(|s| {
            let dir = dir_of(&s.name);
            let command = match &s.component.definition {
                Definition::Service(def) => def.command.as_ref().map(shell_line),
                Definition::Library(_) => None,
            };
            UvRun {
                service: s.name.clone(),
                dir,
                command,
            }
        })
        .collect()
}

/// A compose-style command (a string, or a list) as one shell line.
fn shell_line(value: &serde_yaml::Value) -> String {
    let word = |v: &serde_yaml::Value| match v {
        serde_yaml::Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    };
    match value {
        serde_yaml::Value::Sequence(items) => items
            .iter()
            .map(|i| {
                let w = word(i);
                if w.is_empty() || w.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c))
                {
                    format!("'{}'", w.replace('\'', "'\\''"))
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => word(other),
    }
}

/// What [`down`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownOutcome {
    /// There is no compose file: nothing to stop.
    NoCompose,
    /// `<tool> down` ran.
    Stopped { tool: ComposeTool },
}

/// `hsm down`: stop the services `hsm sync --up` started.
pub fn down(ws: &Workspace) -> Result<DownOutcome, Error> {
    let _lock = ws.lock()?;
    if !ws.root.join(COMPOSE_FILE).exists() {
        return Ok(DownOutcome::NoCompose);
    }
    let manifest = ws.manifest()?;
    let tool = runner::find_compose(&manifest.container_engine()?)?;
    runner::compose(&ws.root, tool, &["down"])?;
    Ok(DownOutcome::Stopped { tool })
}
