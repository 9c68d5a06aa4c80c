//! `hsm sync` and `hsm down`: print what [`ops::sync`] did.

use std::process::ExitCode;

use super::Format;
use super::output::{conflict_json, count_summary, counts, out, outln, selection_json};
use crate::error::Error;
use crate::ops::sync::{DownOutcome, SyncOptions, SyncOutcome, Up};
use crate::ops::{self, Workspace};
use crate::render::compose::COMPOSE_FILE;
use crate::sync::Report;

pub fn run(ctx: &Workspace, options: SyncOptions, format: Format) -> Result<ExitCode, Error> {
    let outcome = ops::sync::run(ctx, options)?;
    let code = match format {
        Format::Json => json(&outcome),
        Format::Text => text(&outcome),
    };
    // hsm exits next: freeing the stack, the registry and the plan one allocation at a
    // time would only delay the exit (a tenth of a large sync's time); the OS takes it all.
    std::mem::forget(outcome);
    code
}

fn text(outcome: &SyncOutcome) -> Result<ExitCode, Error> {
    match &outcome.report {
        Report::Conflict(conflict) => {
            eprint!("{}", conflict.render());
            return Ok(ExitCode::from(1));
        }
        Report::DryRun {
            diff, selection, ..
        } => {
            if diff.is_empty() {
                outln!(
                    "Stack is up to date: {}; --dry-run: nothing would change",
                    count_summary(selection)
                );
            } else {
                out!("{diff}");
                outln!("--dry-run: nothing written");
            }
        }
        Report::UpToDate { selection } => outln!(
            "Stack is up to date: {}; nothing written",
            count_summary(selection)
        ),
        Report::Unchanged(summary) => outln!(
            "Stack is up to date: {}; nothing written",
            counts(summary.libraries, summary.services)
        ),
        Report::Synced {
            written,
            ran,
            selection,
            ..
        } => {
            outln!("Resolved {}", count_summary(selection));
            outln!("Wrote {}", written.join(", "));
            if !ran.is_empty() {
                outln!("Ran {}", ran.join(", "));
            }
        }
    }
    match outcome.up {
        Up::NotAsked => {}
        Up::NoServices if outcome.uv_runs.is_empty() => {
            outln!("No managed services: nothing for --up to start")
        }
        Up::NoServices => outln!("No container services: nothing for compose to start"),
        Up::Started { tool } => {
            outln!("Started the services with `{tool} -f {COMPOSE_FILE} up -d --remove-orphans`")
        }
    }
    // hsm supervises no processes: for services run with uv it says how to start them.
    for run in &outcome.uv_runs {
        let name = &run.service;
        let dir = &run.dir;
        match &run.command {
            Some(command) => outln!(
                "Start `{name}` (hsm does not run uv services): `uv run --directory {dir} --env-file .env -- {command}`"
            ),
            None => outln!(
                "Start `{name}` (hsm does not run uv services; the registry declares no command): `uv run --directory {dir} --env-file .env -- <command>`"
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `sync --format json`: one object, its `status` saying which outcome it is.
fn json(outcome: &SyncOutcome) -> Result<ExitCode, Error> {
    let stack = |selection| {
        let mut v = selection_json(selection, &outcome.registry);
        if let Some(o) = v.as_object_mut() {
            o.remove("status");
        }
        v
    };
    let value = match &outcome.report {
        Report::Conflict(conflict) => {
            outln!("{:#}", conflict_json(conflict));
            return Ok(ExitCode::from(1));
        }
        Report::DryRun {
            diff,
            changes,
            selection,
        } => serde_json::json!({
            "status": "dry-run",
            "changes": changes,
            "diff": diff,
            "stack": stack(selection),
        }),
        Report::UpToDate { selection } => serde_json::json!({
            "status": "up-to-date",
            "stack": stack(selection),
        }),
        // The CLI asks for no fast path with JSON, whose report holds the whole stack; the
        // counts are all a fingerprint keeps.
        Report::Unchanged(summary) => serde_json::json!({
            "status": "up-to-date",
            "libraries": summary.libraries,
            "services": summary.services,
        }),
        Report::Synced {
            written,
            ran,
            selection,
            ..
        } => serde_json::json!({
            "status": "synced",
            "written": written,
            "ran": ran,
            "stack": stack(selection),
        }),
    };
    let mut value = value;
    if let Some(o) = value.as_object_mut() {
        o.insert("up".into(), serde_json::json!(outcome.up));
        o.insert("uv_services".into(), serde_json::json!(outcome.uv_runs));
    }
    outln!("{value:#}");
    Ok(ExitCode::SUCCESS)
}

pub fn down(ctx: &Workspace) -> Result<ExitCode, Error> {
    match ops::sync::down(ctx)? {
        DownOutcome::NoCompose => outln!("No {COMPOSE_FILE}: nothing to stop"),
        DownOutcome::Stopped { tool } => {
            outln!("Stopped the services of {COMPOSE_FILE} (`{tool} down`)")
        }
    }
    Ok(ExitCode::SUCCESS)
}
