//! `hsm graph [--format dot|mermaid] [--registry-wide]`.

use std::process::ExitCode;

use super::GraphFormat;
use super::output::out;
use crate::error::Error;
use crate::ops::{self, Workspace};

pub fn run(ctx: &Workspace, format: GraphFormat, registry_wide: bool) -> Result<ExitCode, Error> {
    let diagram = match ops::graph::graph(ctx, registry_wide)? {
        Ok(diagram) => diagram,
        Err(conflict) => return super::output::conflict(&conflict, super::Format::Text),
    };
    match format {
        GraphFormat::Dot => out!("{}", diagram.to_dot()),
        GraphFormat::Mermaid => out!("{}", diagram.to_mermaid()),
    }
    Ok(ExitCode::SUCCESS)
}
