//! `hsm registry test` and `hsm registry lint`: [`crate::ops::registry_check`], reported.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use super::Format;
use super::output::{color, out, outln, render_error, render_report};
use crate::error::Error;
use crate::ops::Workspace;
use crate::ops::registry_check::{self, Ran};

pub fn update(ws: &Workspace) -> Result<ExitCode, Error> {
    let done = crate::ops::registry_update::update(ws)?;
    if done.registries.is_empty() {
        outln!("The project uses no git registry: nothing to update");
    }
    let short = |c: &str| c[..c.len().min(12)].to_string();
    for r in &done.registries {
        match &r.old {
            Some(old) if *old == r.new => {
                outln!("{}: at {} (unchanged)", r.spec, short(&r.new))
            }
            Some(old) => outln!("{}: {} -> {}", r.spec, short(old), short(&r.new)),
            None => outln!(
                "{}: at {} (the next `hsm sync` pins it in hsm.lock)",
                r.spec,
                short(&r.new)
            ),
        }
    }
    if done.wrote_lock {
        outln!("Updated hsm.lock; run `hsm sync` to apply the registry's changes");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn test(ws: &Workspace, paths: &[PathBuf], format: Format) -> Result<ExitCode, Error> {
    let run = registry_check::test(ws, paths)?;
    if format == Format::Json {
        if let Some(err) = run.stopped {
            return Err(err);
        }
        let (passed, failed) = run.counts();
        let cases: Vec<serde_json::Value> = run
            .ran
            .iter()
            .map(|ran| match ran {
                Ran::Broken(err) => serde_json::json!({"broken": err.to_json()}),
                Ran::Case(r) => serde_json::json!({
                    "name": r.name,
                    "at": r.at,
                    "passed": r.failures.is_empty(),
                    "failures": r.failures,
                }),
            })
            .collect();
        let broken = run.ran.iter().any(|r| matches!(r, Ran::Broken(_)));
        outln!(
            "{:#}",
            serde_json::json!({
                "status": if failed == 0 && !broken { "passed" } else { "failed" },
                "passed": passed,
                "failed": failed,
                "cases": cases,
            })
        );
        return Ok(if failed == 0 && !broken {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    for ran in &run.ran {
        match ran {
            Ran::Broken(err) => eprint!("{}", render_error(err)),
            Ran::Case(result) if result.failures.is_empty() => {
                outln!("PASS  {}  {}", result.at, result.name);
            }
            Ran::Case(result) => {
                outln!("FAIL  {}  {}", result.at, result.name);
                for f in &result.failures {
                    outln!("        {f}");
                }
            }
        }
    }
    if let Some(err) = run.stopped {
        return Err(err);
    }
    let (passed, failed) = run.counts();
    outln!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every check of the whole registry; exit 1 on errors, or on warnings with
/// `--deny-warnings`.
pub fn lint(ws: &Workspace, deny_warnings: bool, format: Format) -> Result<ExitCode, Error> {
    let registry_check::Linted {
        report,
        root,
        loaded,
    } = registry_check::lint(ws)?;
    // The process is about to exit: freeing every loaded file would only cost time.
    std::mem::forget(loaded);
    match format {
        Format::Json => {
            let mut json = report.to_json();
            json["registry"] = root.into();
            outln!("{json:#}");
        }
        Format::Text => {
            let color = color(std::io::stdout().is_terminal());
            for f in &report.findings {
                // Notes (the rules behind a conflict, the steps of a cycle) go between the
                // code frame and the help that refers to them.
                let help = if f.notes.is_empty() {
                    None
                } else {
                    f.help.clone()
                };
                let frame = crate::lint::Finding {
                    help: if help.is_some() { None } else { f.help.clone() },
                    ..f.clone()
                };
                out!("{}", render_report(&frame, &f.severity.to_string(), color));
                for note in &f.notes {
                    outln!("  {note}");
                }
                if let Some(help) = help {
                    outln!("  help: {help}");
                }
                outln!("");
            }
            outln!(
                "{} checked in {root}: {}, {}",
                crate::vocab::count(report.files, "file"),
                crate::vocab::count(report.errors(), "error"),
                crate::vocab::count(report.warnings(), "warning")
            );
        }
    }
    let failed = report.errors() > 0 || (deny_warnings && report.warnings() > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
