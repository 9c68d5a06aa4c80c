//! `hsm why NAME [--format text|json]`.

use std::process::ExitCode;

use super::Format;
use super::output::outln;
use crate::error::Error;
use crate::ops::why::{Unsolvable, Why};
use crate::ops::{self, Workspace};

pub fn run(ctx: &Workspace, name: &str, format: Format) -> Result<ExitCode, Error> {
    let Why { selected, reasons } = match ops::why::why(ctx, name)? {
        Ok(why) => why,
        Err(unsolvable) => return unsolvable_why(name, &unsolvable, format),
    };
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

/// `hsm why X` when no stack solves: what asks for X, then the conflict in one line.
fn unsolvable_why(name: &str, u: &Unsolvable, format: Format) -> Result<ExitCode, Error> {
    match format {
        Format::Json => {
            let demands: Vec<serde_json::Value> = u
                .demands
                .iter()
                .map(|(r, chain)| serde_json::json!({"text": r.text, "at": r.at(), "because": chain}))
                .collect();
            outln!(
                "{:#}",
                serde_json::json!({
                    "status": "conflict",
                    "name": name,
                    "summary": u.conflict.summary,
                    "demands": demands,
                })
            );
        }
        Format::Text => {
            if u.demands.is_empty() {
                outln!("hsm.yaml does not ask for `{name}`, and no stack solves:");
            } else {
                outln!("hsm.yaml asks for `{name}`, but no stack solves:");
            }
            for (reason, chain) in &u.demands {
                outln!("  - {} ({})", reason.text, reason.at());
                for step in chain {
                    outln!("      because {} ({})", step.text, step.at());
                }
            }
            eprintln!(
                "error: no stack satisfies hsm.yaml and the registry: {}\nhint: `hsm resolve` explains the conflict and proves the edits that fix it",
                u.conflict.summary
            );
        }
    }
    Ok(ExitCode::from(1))
}
