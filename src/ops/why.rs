//! `hsm why NAME`: every rule that brings NAME into the stack, and why each is active.

use super::Workspace;
use super::names::unknown_component;
use crate::error::{Error, ErrorKind};
use crate::solve::selection::{Chain, Reason, Selected};
use crate::solve::{Conflict, Outcome, demanded, solve_plain};
use crate::source::did_you_mean_hint;

/// What [`why`] found: `selected` is in the stack because of each reason, activated by
/// its chain.
#[derive(Debug)]
pub struct Why {
    pub selected: Selected,
    pub reasons: Vec<(Reason, Chain)>,
}

/// A stack that does not solve: what hsm.yaml asks of `name` anyway.
#[derive(Debug)]
pub struct Unsolvable {
    pub conflict: Box<Conflict>,
    /// Each rule that asks for `name`, with its chain from hsm.yaml (nearest first).
    pub demands: Vec<(Reason, Vec<Reason>)>,
}

/// Why `name` is in the stack; when the stack does not solve, what asks for it; an error
/// if it is not in the stack (or, unsolvable, nothing asks for it).
pub fn why(ws: &Workspace, name: &str) -> Result<Result<Why, Unsolvable>, Error> {
    let manifest = ws.manifest()?;
    let registry = ws.registry(Some(&manifest))?;
    let selection = match solve_plain(&manifest, &registry)? {
        Outcome::Solved(s) => s,
        Outcome::Conflict(conflict) => {
            crate::ops::names::check_name(name)?;
            if registry.components_named(name)?.is_empty() {
                return Err(unknown_component(&registry, None, name));
            }
            return Ok(Err(Unsolvable {
                conflict,
                demands: demanded(&manifest, &registry, name),
            }));
        }
    };
    let Some(selected) = selection.get(name) else {
        let valid = crate::manifest::is_valid_name(name);
        let exists = valid && !registry.components_named(name)?.is_empty();
        let names: Vec<&str> = selection
            .components
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        let help = did_you_mean_hint(name, &names)
            .unwrap_or_else(|| format!("the stack has: {}", names.join(", ")));
        let err = if exists {
            Error::new(
                ErrorKind::InvalidValue,
                format!("`{name}` is not in the stack"),
            )
        } else {
            Error::new(
                ErrorKind::UnknownName,
                format!(
                    "no component `{name}` in the registry ({})",
                    registry.store().display()
                ),
            )
        };
        return Err(err.with_help(help));
    };
    Ok(Ok(Why {
        selected: selected.clone(),
        reasons: selection.why(name),
    }))
}
