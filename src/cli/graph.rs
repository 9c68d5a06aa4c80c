//! `hsm graph [--format dot|mermaid] [--registry-wide]`.

use std::process::ExitCode;

use super::GraphFormat;
use super::output::out;
use crate::error::{Error, ErrorKind};
use crate::ops::Workspace;
use crate::solve::diagram::Diagram;
use crate::solve::graph::ImplicationGraph;
use crate::solve::{Compiler, Outcome, solve_with};

pub fn run(ctx: &Workspace, format: GraphFormat, registry_wide: bool) -> Result<ExitCode, Error> {
    let diagram = if registry_wide {
        let manifest = ctx.manifest().ok();
        let registry = ctx.registry(manifest.as_ref())?;
        let mut graph = ImplicationGraph::build(&registry);
        if let Some(first) = std::mem::take(&mut graph.errors).into_iter().next() {
            let help = match &first.help {
                Some(h) => format!("{h}\n`hsm registry lint` lists every problem of the registry"),
                None => "`hsm registry lint` lists every problem of the registry".to_string(),
            };
            return Err(Error {
                message: format!("cannot draw the registry: {}", first.message),
                help: Some(help),
                ..first
            }
            .with_kind(ErrorKind::InvalidValue));
        }
        Diagram::from_registry(&graph)
    } else {
        let manifest = ctx.manifest()?;
        let registry = ctx.registry(Some(&manifest))?;
        let compiler = Compiler::new(&manifest, &registry);
        match solve_with(&compiler)? {
            Outcome::Solved(selection) => Diagram::from_stack(&selection.stack_graph()),
            Outcome::Conflict(conflict) => {
                eprint!("{}", conflict.render());
                return Ok(ExitCode::from(1));
            }
        }
    };
    match format {
        GraphFormat::Dot => out!("{}", diagram.to_dot()),
        GraphFormat::Mermaid => out!("{}", diagram.to_mermaid()),
    }
    Ok(ExitCode::SUCCESS)
}
