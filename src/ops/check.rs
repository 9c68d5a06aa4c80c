//! `hsm check`: hsm.yaml is valid, the registry files it reaches are valid, and the
//! stack solves and renders as sync would render it; with `locked`, also that hsm.lock
//! is current. Writes nothing.

use super::Workspace;
use crate::error::Error;
use crate::manifest::Manifest;
use crate::solve::{Conflict, Selection};
use crate::sync::Prepared;

/// A check that passed: what was checked and the stack it found.
#[derive(Debug)]
pub struct Checked {
    pub manifest: Manifest,
    /// The registry, as messages name it.
    pub registry: String,
    pub selection: Selection,
    /// Variables the stack reads that are unset and have no default (`hsm env` lists
    /// where each is used).
    pub unset: Vec<String>,
}

/// Every check a sync makes before writing, so that a passing check means
/// `hsm sync --no-install` succeeds.
pub fn check(ws: &Workspace, locked: bool) -> Result<Result<Checked, Box<Conflict>>, Error> {
    let manifest = ws.manifest()?;
    let registry = ws.registry(Some(&manifest))?;
    let options = crate::sync::Options {
        locked,
        ..Default::default()
    };
    Ok(
        match crate::sync::prepare(&ws.root, &manifest, &registry, options)? {
            Ok(Prepared { selection, .. }) => Ok(Checked {
                registry: registry.store().display().to_string(),
                unset: super::env::variables(ws, &selection)?
                    .into_iter()
                    .filter(|v| v.missing())
                    .map(|v| v.name)
                    .collect(),
                manifest,
                selection,
            }),
            Err(conflict) => Err(conflict),
        },
    )
}
