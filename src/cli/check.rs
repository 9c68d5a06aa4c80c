//! `hsm check`: hsm.yaml is valid, the registry files it reaches are valid, and the stack
//! solves; with `--locked`, also that hsm.lock is current. Writes nothing.

use std::process::ExitCode;

use super::output::outln;
use super::output::{conflict_json, count_summary};
use super::{Context, Format};
use crate::error::Error;
use crate::solve::{Outcome, solve};

pub fn run(ctx: &Context, format: Format, locked: bool) -> Result<ExitCode, Error> {
    let manifest = ctx.manifest()?;
    let registry = ctx.registry(Some(&manifest))?;
    match solve(&manifest, &registry)? {
        Outcome::Solved(selection) => {
            if locked {
                let reader = |rel: &str| crate::sync::read_project_file(&ctx.root, rel);
                let plan = crate::render::plan(&manifest, &registry, &selection, &reader)?;
                if let Some(a) = plan
                    .get(crate::render::lock::LOCK_FILE)
                    .filter(|a| a.changed())
                {
                    let what = if a.old.is_none() {
                        "there is no hsm.lock"
                    } else {
                        "hsm.lock is out of date"
                    };
                    return Err(Error::new(
                        crate::error::ErrorKind::InvalidValue,
                        format!("--locked: {what}; solving hsm.yaml gives a different stack"),
                    )
                    .with_help("run `hsm sync` to update hsm.lock, and commit it"));
                }
            }
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
