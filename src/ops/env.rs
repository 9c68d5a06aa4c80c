//! `hsm env`: the environment variables the stack reads when it runs (every `${VAR}` hsm
//! leaves in the compose file, the `.env` files and the Kubernetes manifests), where each is
//! used, and whether it is set — in hsm's environment or in the project's `.env`, which
//! compose reads for these substitutions.

use std::collections::BTreeMap;

use super::Workspace;
use crate::error::Error;
use crate::render::service::{self, is_rendered, is_uv_run};
use crate::render::variables::{self, Use};
use crate::solve::{Conflict, Outcome, Selection};

/// Where a variable's value comes from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Setting {
    /// Set in the environment hsm runs in.
    Environment,
    /// Set in the project's `.env`.
    DotEnv,
    Unset,
}

/// One variable the stack reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub setting: Setting,
    /// Every use gives a default (`${VAR:-x}`): unset is fine.
    pub has_default: bool,
    pub uses: Vec<Use>,
}

impl Variable {
    /// Unset, and some use has no default: the stack will run with an empty value.
    pub fn missing(&self) -> bool {
        self.setting == Setting::Unset && !self.has_default
    }
}

pub fn env(ws: &Workspace) -> Result<Result<Vec<Variable>, Box<Conflict>>, Error> {
    let resolved = super::resolve::resolve(ws)?;
    let selection = match resolved.outcome {
        Outcome::Solved(s) => s,
        Outcome::Conflict(c) => return Ok(Err(c)),
    };
    variables(ws, &selection).map(Ok)
}

/// The variables a solved stack reads.
pub fn variables(ws: &Workspace, selection: &Selection) -> Result<Vec<Variable>, Error> {
    let read = |rel: &str| crate::sync::read_project_file(&ws.root, rel);
    let specs = selection
        .components
        .iter()
        .filter(|c| is_rendered(c) || is_uv_run(c))
        .map(|s| service::spec(&ws.root, s, selection, &read))
        .collect::<Result<Vec<_>, _>>()?;
    let dotenv = dotenv_keys(&read(".env")?.unwrap_or_default());
    let mut by_name: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    for (name, u) in variables::uses(&specs) {
        by_name.entry(name).or_default().push(u);
    }
    Ok(by_name
        .into_iter()
        .map(|(name, uses)| Variable {
            setting: if std::env::var_os(&name).is_some() {
                Setting::Environment
            } else if dotenv.contains(&name) {
                Setting::DotEnv
            } else {
                Setting::Unset
            },
            has_default: uses.iter().all(|u| u.has_default),
            name,
            uses,
        })
        .collect())
}

/// The keys a `.env` file sets (`KEY=value`, `export KEY=value`; comments skipped).
fn dotenv_keys(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("export ").unwrap_or(l).split_once('='))
        .map(|(k, _)| k.trim().to_string())
        .collect()
}
