//! `hsm why NAME [--format text|json]`.

use std::process::ExitCode;

use super::Format;
use super::output::outln;
use crate::error::Error;
use crate::ops::why::Why;
use crate::ops::{self, Workspace};

pub fn run(ctx: &Workspace, name: &str, format: Format) -> Result<ExitCode, Error> {
    let Why { selected, reasons } = match ops::why::why(ctx, name)? {
        Ok(why) => why,
        Err(conflict) => return super::output::conflict(&conflict, format),
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
