//! `hsm graph`: the stack, or the whole registry, as a diagram.

use super::Workspace;
use crate::error::{Error, ErrorKind};
use crate::solve::diagram::Diagram;
use crate::solve::graph::ImplicationGraph;
use crate::solve::{Conflict, Outcome, solve};

/// The diagram of the stack (or, with `registry_wide`, of every component, group option
/// and rule of the registry); a conflict if the stack does not solve.
pub fn graph(ws: &Workspace, registry_wide: bool) -> Result<Result<Diagram, Box<Conflict>>, Error> {
    if registry_wide {
        let registry = ws.registry_anywhere()?.unchanging();
        // The graph holds every rule: read the files on every core first.
        registry.load_all();
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
        return Ok(Ok(Diagram::from_registry(&graph)));
    }
    let manifest = ws.manifest()?;
    let registry = ws.registry(Some(&manifest))?;
    Ok(match solve(&manifest, &registry)? {
        Outcome::Solved(selection) => Ok(Diagram::from_stack(&selection.stack_graph())),
        Outcome::Conflict(conflict) => Err(conflict),
    })
}
