//! `hsm why NAME`: every rule that brings NAME into the stack, and why each is active.

use std::process::ExitCode;

use super::Format;
use super::output::conflict_json;
use super::output::outln;
use crate::error::{Error, ErrorKind};
use crate::ops::Workspace;
use crate::solve::{Compiler, Outcome, solve_with};
use crate::source::did_you_mean_hint;

pub fn run(ctx: &Workspace, name: &str, format: Format) -> Result<ExitCode, Error> {
    let manifest = ctx.manifest()?;
    let registry = ctx.registry(Some(&manifest))?;
    let compiler = Compiler::new(&manifest, &registry);
    let selection = match solve_with(&compiler)? {
        Outcome::Solved(s) => s,
        Outcome::Conflict(conflict) => {
            match format {
                Format::Json => outln!("{:#}", conflict_json(&conflict)),
                Format::Text => eprint!("{}", conflict.render()),
            }
            return Ok(ExitCode::from(1));
        }
    };
    let Some(selected) = selection.get(name) else {
        let valid = crate::manifest::is_valid_name(name);
        let exists = valid && !registry.components_named(name)?.is_empty();
        let names: Vec<&str> = selection
            .components
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        let message = if exists {
            format!("`{name}` is not in the stack")
        } else {
            format!(
                "no component `{name}` in the registry ({})",
                registry.store().display()
            )
        };
        let help = did_you_mean_hint(name, &names)
            .unwrap_or_else(|| format!("the stack has: {}", names.join(", ")));
        return Err(Error::new(
            if exists {
                ErrorKind::InvalidValue
            } else {
                ErrorKind::UnknownName
            },
            message,
        )
        .with_help(help));
    };
    let reasons = selection.why(name);
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = reasons
                .iter()
                .map(|(r, chain)| {
                    let mut item =
                        serde_json::json!({"text": r.text, "at": r.at(), "because": chain.steps});
                    if let Some(above) = &chain.above {
                        item["because_above"] = serde_json::json!(above);
                    }
                    item
                })
                .collect();
            outln!(
                "{:#}",
                serde_json::json!({
                    "status": "ok",
                    "name": selected.name,
                    "kind": selected.kind,
                    "version": selected.version.as_ref().map(ToString::to_string),
                    "mode": selected.mode,
                    "reasons": items,
                })
            );
        }
        Format::Text => {
            let version = selected
                .version
                .as_ref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default();
            outln!(
                "`{}` ({}{version}, {}) is in the stack because:",
                selected.name,
                selected.kind,
                selected.mode
            );
            for (reason, chain) in &reasons {
                outln!("  - {} ({})", reason.text, reason.at());
                for step in chain.steps.iter().rev() {
                    outln!("      because {} ({})", step.text, step.at());
                }
                if let Some(above) = chain.above_text() {
                    outln!("      because {above}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
