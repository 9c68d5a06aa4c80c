//! `hsm resolve` and `hsm list`: solve hsm.yaml against the registry.

use super::Workspace;
use crate::error::Error;
use crate::manifest::Manifest;
use crate::solve::{Outcome, solve};

/// A solved (or conflicting) stack and what it was solved from.
#[derive(Debug)]
pub struct Resolved {
    pub manifest: Manifest,
    /// The registry, as messages name it.
    pub registry: String,
    pub outcome: Outcome,
}

/// Solve the project's hsm.yaml.
pub fn resolve(ws: &Workspace) -> Result<Resolved, Error> {
    let manifest = ws.manifest()?;
    let registry = ws.registry(Some(&manifest))?;
    let outcome = solve(&manifest, &registry)?;
    Ok(Resolved {
        registry: registry.store().display().to_string(),
        manifest,
        outcome,
    })
}
