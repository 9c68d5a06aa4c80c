//! `hsm list`: the stack as hsm.yaml states it (groups and standalone components, per
//! section), with what the solve implied on top.

use std::collections::{HashMap, HashSet};

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
    /// A library's package and the version uv.lock records for it (when there is one).
    pub installed: Option<(String, String)>,
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

/// The packages uv.lock records (normalized name → version); empty without a readable one.
fn uv_locked(ws: &Workspace) -> Result<HashMap<String, String>, Error> {
    #[derive(serde::Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Package>,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        name: String,
        #[serde(default)]
        version: Option<String>,
    }
    let Some(text) = crate::sync::read_project_file(&ws.root, crate::sync::UV_LOCK)? else {
        return Ok(HashMap::new());
    };
    // A uv.lock hsm cannot read only loses the column, never the listing.
    let lock: Lock = toml_edit::de::from_str(&text).unwrap_or(Lock {
        package: Vec::new(),
    });
    Ok(lock
        .package
        .into_iter()
        .filter_map(|p| Some((crate::render::pyproject::normalize(&p.name), p.version?)))
        .collect())
}

/// The project's stack, listed.
pub fn list(ws: &Workspace) -> Result<Stack, Error> {
    let resolved = resolve(ws)?;
    let manifest = &resolved.manifest;
    let selection = match &resolved.outcome {
        Outcome::Solved(s) => Some(s),
        Outcome::Conflict(_) => None,
    };
    let locked = uv_locked(ws)?;
    let listed = |name: &str| -> Listed {
        match selection.and_then(|s| s.get(name)) {
            Some(c) => Listed {
                name: name.to_string(),
                version: c.version.as_ref().map(ToString::to_string),
                mode: c.mode,
                installed: (c.kind == Kind::Library)
                    .then(|| crate::render::pyproject::dependency(&ws.root, c).ok())
                    .flatten()
                    .and_then(|dep| {
                        let key = crate::render::pyproject::normalize(&dep.package);
                        locked.get(&key).map(|v| (dep.package, v.clone()))
                    }),
            },
            None => Listed {
                name: name.to_string(),
                version: None,
                mode: manifest.mode_of(name),
                installed: None,
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
