//! `hsm check`: hsm.yaml is valid, the registry files it reaches are valid, and the stack
//! solves. Writes nothing.

use std::process::ExitCode;

use super::output::outln;
use super::output::{conflict_json, count_summary};
use super::{Context, Format};
use crate::error::Error;
use crate::solve::{Outcome, solve};

pub fn run(ctx: &Context, format: Format) -> Result<ExitCode, Error> {
    let manifest = ctx.manifest()?;
    let registry = ctx.registry(Some(&manifest))?;
    match solve(&manifest, &registry)? {
        Outcome::Solved(selection) => {
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
        Outcome::Conflict(conflict) => {
            match format {
                Format::Json => outln!("{:#}", conflict_json(&conflict)),
                Format::Text => eprint!("{}", conflict.render()),
            }
            Ok(ExitCode::from(1))
        }
    }
}
