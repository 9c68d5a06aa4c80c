//! Dynamic shell completions (`source <(COMPLETE=bash hsm)`): the names of groups,
//! components and profiles come from the registry of the project around the current
//! directory, read as any command reads it but never fetching (a git registry comes from
//! the cache or not at all). Any error simply completes nothing.

use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

use crate::registry::git::Fetch;
use crate::registry::{Category, Registry, location};

/// The registry the project around the current directory uses.
fn registry() -> Option<Registry> {
    let cwd = std::env::current_dir().ok()?;
    let root = crate::ops::discover_root(&cwd);
    let path = root.join(crate::manifest::MANIFEST_FILE);
    let manifest = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| crate::manifest::Manifest::from_text("hsm.yaml", &root, text).ok());
    let pins = std::fs::read_to_string(root.join(crate::render::lock::LOCK_FILE))
        .map(|t| crate::render::lock::registry_pins(&t))
        .unwrap_or_default();
    let env = std::env::var_os("HSM_REGISTRY_PATH").map(std::path::PathBuf::from);
    let git = location::GitContext {
        fetch: Fetch::Offline,
        pins,
    };
    let (store, _) =
        location::locate_with(None, env.as_deref(), manifest.as_ref(), &root, &cwd, &git).ok()?;
    Some(Registry::new(store))
}

fn names(categories: &[Category]) -> Vec<CompletionCandidate> {
    let Some(registry) = registry() else {
        return Vec::new();
    };
    let mut out: Vec<String> = categories
        .iter()
        .flat_map(|c| registry.store().list(*c))
        .collect();
    out.sort();
    out.dedup();
    out.into_iter().map(CompletionCandidate::new).collect()
}

/// Choice groups of either kind.
pub fn groups() -> ArgValueCandidates {
    ArgValueCandidates::new(|| names(&[Category::LibraryGroups, Category::ServiceGroups]))
}

/// Libraries and services (options of groups are components too).
pub fn components() -> ArgValueCandidates {
    ArgValueCandidates::new(|| names(&[Category::Libraries, Category::Services]))
}

/// Every entry of the registry.
pub fn entries() -> ArgValueCandidates {
    ArgValueCandidates::new(|| names(&Category::ALL))
}

/// Deployment profiles the registry's services define.
pub fn profiles() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let Some(registry) = registry() else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for name in registry.store().list(Category::Services) {
            if let Ok(Some(c)) = registry.component(crate::registry::Kind::Service, &name)
                && let crate::registry::rules::Definition::Service(def) = &c.definition
            {
                out.extend(def.deployment_profiles.keys().cloned());
            }
        }
        out.sort();
        out.dedup();
        out.into_iter().map(CompletionCandidate::new).collect()
    })
}
