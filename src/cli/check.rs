//! `hsm check`: hsm.yaml is valid, the registry files it reaches are valid, and the stack
//! solves and renders as sync would render it; with `--locked`, also that hsm.lock is
//! current. Writes nothing.

use std::process::ExitCode;

use super::Format;
use super::output::outln;
use super::output::{conflict_json, count_summary};
use crate::error::Error;
use crate::ops::Workspace;
use crate::sync::Prepared;

pub fn run(ctx: &Workspace, format: Format, locked: bool) -> Result<ExitCode, Error> {
    let manifest = ctx.manifest()?;
    let registry = ctx.registry(Some(&manifest))?;
    // Every check a sync makes before writing, so that a passing check means
    // `hsm sync --no-install` succeeds.
    let opts = crate::sync::Options {
        locked,
        ..Default::default()
    };
    match crate::sync::prepare(&ctx.root, &manifest, &registry, opts)? {
        Ok(Prepared { selection, .. }) => {
            match format {
                Format::Json => outln!(
                    "{:#}",
                    serde_json::json!({"status": "ok", "components": selection.components.len(), "registry": registry.store().display()})
                ),
                Format::Text => outln!(
                    "{} is valid: {} resolve from registry {}",
                    manifest.file.display(),
                    count_summary(&selection),
                    registry.store().display()
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(conflict) => {
            match format {
                Format::Json => outln!("{:#}", conflict_json(&conflict)),
                Format::Text => eprint!("{}", conflict.render()),
            }
            Ok(ExitCode::from(1))
        }
    }
}
