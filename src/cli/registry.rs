//! `hsm registry test` and `hsm registry lint`.

use std::path::PathBuf;
use std::process::ExitCode;

use std::io::IsTerminal;

use super::Format;
use super::output::{color, out, outln, render_error, render_report};
use crate::error::Error;
use crate::ops::Workspace;
use crate::registry::{Registry, location};
use crate::scenario::{Suite, collect};

pub fn test(ctx: &Workspace, paths: &[PathBuf]) -> Result<ExitCode, Error> {
    let paths: Vec<PathBuf> = if paths.is_empty() {
        vec![ctx.root.join("rules")]
    } else {
        paths.iter().map(|p| ctx.cwd.join(p)).collect()
    };
    let files = collect(&paths)?;
    let manifest = ctx.manifest().ok();
    let default_registry = ctx.registry(manifest.as_ref())?;
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in files {
        let suite = match Suite::load(&path, &ctx.cwd) {
            Ok(s) => s,
            Err(err) => {
                eprint!("{}", render_error(&err));
                failed += 1;
                continue;
            }
        };
        let own = match &suite.registry {
            Some(dir) => {
                let (store, _) = location::locate(Some(dir), None, None, &ctx.root, &ctx.cwd)?;
                Some(Registry::new(store))
            }
            None => None,
        };
        let registry = own.as_ref().unwrap_or(&default_registry);
        for case in &suite.cases {
            let result = case.run(registry, &ctx.root);
            if result.failures.is_empty() {
                passed += 1;
                outln!("PASS  {}  {}", result.at, result.name);
            } else {
                failed += 1;
                outln!("FAIL  {}  {}", result.at, result.name);
                for f in &result.failures {
                    outln!("        {f}");
                }
            }
        }
    }
    outln!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every check of the whole registry (see [`crate::lint`]); exit 1 on errors, or on
/// warnings with `--deny-warnings`.
pub fn lint(ctx: &Workspace, deny_warnings: bool, format: Format) -> Result<ExitCode, Error> {
    let manifest = ctx.manifest().ok();
    let registry = ctx.registry(manifest.as_ref())?;
    let report = crate::lint::lint(&registry, &ctx.root);
    let root = registry.store().root().map_or_else(
        || registry.store().display().to_string(),
        |r| location::relative_display(r, &ctx.cwd),
    );
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
