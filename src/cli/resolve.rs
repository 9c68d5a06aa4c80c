//! `hsm resolve [--explain] [--format text|json]`.

use std::process::ExitCode;

use super::Format;
use super::output::{conflict_json, count_summary, selection_json, selection_table};
use super::output::{out, outln};
use crate::error::Error;
use crate::ops::Workspace;
use crate::solve::{Compiler, Outcome, solve_with};

pub fn run(ctx: &Workspace, explain: bool, format: Format) -> Result<ExitCode, Error> {
    let manifest = ctx.manifest()?;
    let registry = ctx.registry(Some(&manifest))?;
    let compiler = Compiler::new(&manifest, &registry);
    match solve_with(&compiler)? {
        Outcome::Solved(selection) => {
            match format {
                Format::Json => outln!(
                    "{:#}",
                    selection_json(&selection, registry.store().display())
                ),
                Format::Text => {
                    outln!(
                        "Resolved {} from registry {}",
                        count_summary(&selection),
                        registry.store().display()
                    );
                    out!("{}", selection_table(&selection, explain));
                }
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
