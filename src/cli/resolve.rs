//! `hsm resolve [--explain] [--format text|json]`.

use std::process::ExitCode;

use super::Format;
use super::output::{count_summary, out, outln, selection_json, selection_table};
use crate::error::Error;
use crate::ops::{self, Workspace};
use crate::solve::Outcome;

pub fn run(ctx: &Workspace, explain: bool, format: Format) -> Result<ExitCode, Error> {
    let resolved = ops::resolve::resolve(ctx)?;
    let selection = match &resolved.outcome {
        Outcome::Solved(s) => s,
        Outcome::Conflict(conflict) => return super::output::conflict(conflict, format),
    };
    match format {
        Format::Json => outln!("{:#}", selection_json(selection, &resolved.registry)),
        Format::Text => {
            outln!(
                "Resolved {} from registry {}",
                count_summary(selection),
                resolved.registry
            );
            out!("{}", selection_table(selection, explain));
        }
    }
    // hsm exits next: freeing a large stack one allocation at a time would only delay the
    // exit (a twentieth of resolving a 100,000-link chain); the OS takes it all.
    std::mem::forget(resolved);
    Ok(ExitCode::SUCCESS)
}
