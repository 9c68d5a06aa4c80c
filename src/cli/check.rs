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
                    serde_json::json!({"status": "ok", "components": checked.selection.components.len(), "registry": checked.registry, "unset_variables": checked.unset})
                ),
                Format::Text => {
                    outln!(
                        "{} is valid: {} resolve from registry {}",
                        checked.manifest.file.display(),
                        count_summary(&checked.selection),
                        checked.registry
                    );
                    if !checked.unset.is_empty() {
                        outln!(
                            "note: the stack reads {} that {} unset: {} (`hsm env` shows where)",
                            crate::vocab::count(checked.unset.len(), "environment variable"),
                            if checked.unset.len() == 1 {
                                "is"
                            } else {
                                "are"
                            },
                            checked.unset.join(", ")
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(conflict) => super::output::conflict(&conflict, format),
    }
}
