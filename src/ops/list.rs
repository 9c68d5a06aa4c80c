//! `hsm list`: the stack as hsm.yaml states it (groups and standalone components, per
//! section), with what the solve implied on top.

use std::collections::HashSet;

use super::Workspace;
use super::resolve::{Resolved, resolve};
use crate::error::Error;
use crate::manifest::{Mode, Strategy};
use crate::registry::Kind;
use crate::solve::Outcome;

/// One component of the list: its version and mode come from the solved stack, or (if
/// the stack does not solve) the mode hsm.yaml gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub version: Option<String>,
    pub mode: Mode,
}

/// A group of hsm.yaml (or its standalone components: `group` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub group: Option<String>,
    pub strategy: Option<Strategy>,
    pub items: Vec<Listed>,
}

/// The stack as [`list`] shows it.
#[derive(Debug)]
pub struct Stack {
    /// The project's name, if hsm.yaml gives one.
    pub project: Option<String>,
    /// For libraries then services: the groups, then the standalone components.
    pub sections: Vec<(Kind, Vec<Row>)>,
    /// Components the rules brought in that hsm.yaml does not name; `None` if the stack
    /// does not solve.
    pub implied: Option<Vec<(Kind, Listed)>>,
    pub resolved: Resolved,
}

/// The project's stack, listed.
pub fn list(ws: &Workspace) -> Result<Stack, Error> {
    let resolved = resolve(ws)?;
    let manifest = &resolved.manifest;
    let selection = match &resolved.outcome {
        Outcome::Solved(s) => Some(s),
        Outcome::Conflict(_) => None,
    };
    let listed = |name: &str| -> Listed {
        match selection.and_then(|s| s.get(name)) {
            Some(c) => Listed {
                name: name.to_string(),
                version: c.version.as_ref().map(ToString::to_string),
                mode: c.mode,
            },
            None => Listed {
                name: name.to_string(),
                version: None,
                mode: manifest.mode_of(name),
            },
        }
    };
    let mut named: HashSet<String> = HashSet::new();
    let mut sections = Vec::new();
    for (kind, section) in [
        (Kind::Library, Kind::Library),
        (Kind::Service, Kind::Service),
    ] {
        let mut rows = Vec::new();
        for (group, entry) in manifest.groups(section) {
            let items: Vec<Listed> = entry
                .selection
                .items()
                .into_iter()
                .map(|(_, o)| listed(o))
                .collect();
            named.extend(items.iter().map(|l| l.name.clone()));
            rows.push(Row {
                group: Some(group.clone()),
                strategy: entry.strategy,
                items,
            });
        }
        let standalone = manifest.standalone(section);
        if !standalone.is_empty() {
            named.extend(standalone.iter().map(|e| e.name.clone()));
            rows.push(Row {
                group: None,
                strategy: None,
                items: standalone.iter().map(|e| listed(&e.name)).collect(),
            });
        }
        sections.push((kind, rows));
    }
    let implied = selection.map(|sel| {
        sel.components
            .iter()
            .filter(|c| !named.contains(&c.name))
            .map(|c| (c.kind, listed(&c.name)))
            .collect()
    });
    Ok(Stack {
        project: manifest.data.project.name.clone(),
        sections,
        implied,
        resolved,
    })
}
