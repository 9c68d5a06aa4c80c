//! `hsm check [--locked] [--format text|json]`: print what [`ops::check`] found.

use std::process::ExitCode;

use super::Format;
use super::output::{count_summary, outln};
use crate::error::Error;
use crate::ops::{self, Workspace};

pub fn run(ctx: &Workspace, format: Format, locked: bool) -> Result<ExitCode, Error> {
    match ops::check::check(ctx, locked)? {
        Ok(checked) => {
            match format {
                Format::Json => outln!(
                    "{:#}",
                    serde_json::json!({"status": "ok", "components": checked.selection.components.len(), "registry": checked.registry})
                ),
                Format::Text => outln!(
                    "{} is valid: {} resolve from registry {}",
                    checked.manifest.file.display(),
                    count_summary(&checked.selection),
                    checked.registry
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(conflict) => super::output::conflict(&conflict, format),
    }
}
