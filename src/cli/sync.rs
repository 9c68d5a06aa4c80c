//! `hsm sync` and `hsm down`.

use std::process::ExitCode;

use super::output::{count_summary, outln};
use crate::error::Error;
use crate::ops::Workspace;
use crate::render::compose::COMPOSE_FILE;
use crate::sync::{Options, Report, dry_run, runner, sync};

pub fn run(ctx: &Workspace, opts: Options, up: bool) -> Result<ExitCode, Error> {
    // A dry run writes nothing, so it never waits for the lock.
    let lock = if opts.dry_run {
        None
    } else {
        Some(ctx.lock()?)
    };
    let manifest = ctx.manifest()?;
    let registry = ctx.registry(Some(&manifest))?;
    if up {
        // Refuse a bad engine before writing anything.
        manifest.container_engine()?;
    }
    let report = match &lock {
        Some(lock) => sync(lock, &manifest, &registry, opts)?,
        None => dry_run(&ctx.root, &manifest, &registry, opts)?,
    };
    let compose = match &report {
        Report::Conflict(conflict) => {
            eprint!("{}", conflict.render());
            return Ok(ExitCode::from(1));
        }
        Report::DryRun { diff, selection } => {
            if diff.is_empty() {
                outln!(
                    "Stack is up to date: {}; --dry-run: nothing would change",
                    count_summary(selection)
                );
            } else {
                super::output::out!("{diff}");
                outln!("--dry-run: nothing written");
            }
            return Ok(ExitCode::SUCCESS);
        }
        Report::UpToDate { selection } => {
            outln!(
                "Stack is up to date: {}; nothing written",
                count_summary(selection)
            );
            ctx.root.join(COMPOSE_FILE).exists()
        }
        Report::Synced {
            written,
            ran,
            selection,
            plan,
        } => {
            outln!("Resolved {}", count_summary(selection));
            outln!("Wrote {}", written.join(", "));
            if !ran.is_empty() {
                outln!("Ran {}", ran.join(", "));
            }
            plan.compose
        }
    };
    if up {
        if !compose {
            outln!("No managed services: nothing for --up to start");
        } else {
            let engine = manifest.container_engine()?;
            runner::compose(&ctx.root, engine, &["up", "-d", "--remove-orphans"])?;
            outln!(
                "Started the services with `{engine} compose -f {COMPOSE_FILE} up -d --remove-orphans`"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn down(ctx: &Workspace) -> Result<ExitCode, Error> {
    let _lock = ctx.lock()?;
    if !ctx.root.join(COMPOSE_FILE).exists() {
        outln!("No {COMPOSE_FILE}: nothing to stop");
        return Ok(ExitCode::SUCCESS);
    }
    let manifest = ctx.manifest()?;
    let engine = manifest.container_engine()?;
    runner::compose(&ctx.root, engine, &["down"])?;
    outln!("Stopped the services of {COMPOSE_FILE}");
    Ok(ExitCode::SUCCESS)
}
