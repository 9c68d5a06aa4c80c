//! `hsm registry update`: fetch every git registry the project uses and move hsm.lock's
//! pins to the commits their refs point at now (as `cargo update` moves Cargo.lock). The
//! next `hsm sync` solves with the new registry; `sync --locked` fails until then.

use super::Workspace;
use crate::error::{Error, ErrorKind};
use crate::registry::git::Fetch;
use crate::render::lock::{self, LOCK_FILE};

/// One git registry after the update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated {
    pub spec: String,
    /// The commit hsm.lock pinned before (`None`: none yet).
    pub old: Option<String>,
    pub new: String,
}

/// What [`update`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub registries: Vec<Updated>,
    /// hsm.lock was rewritten (it exists and a pin moved).
    pub wrote_lock: bool,
}

pub fn update(ws: &Workspace) -> Result<Update, Error> {
    if ws.offline {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            "`hsm registry update` fetches, and --offline forbids it",
        )
        .with_help("run it without --offline"));
    }
    let lock = ws.lock()?;
    let manifest = if ws.root.join(crate::manifest::MANIFEST_FILE).exists() {
        Some(ws.manifest()?)
    } else {
        None
    };
    let text = crate::sync::read_project_file(lock.root(), LOCK_FILE)?;
    let old = text.as_deref().map(lock::registry_pins).unwrap_or_default();
    let registry = ws.registry_with(manifest.as_ref(), Fetch::Update)?;
    let pins = registry.store().git_pins();
    let registries = pins
        .iter()
        .map(|(spec, commit, _)| Updated {
            spec: spec.clone(),
            old: old.get(spec).cloned(),
            new: commit.clone(),
        })
        .collect();
    let mut wrote_lock = false;
    if let Some(text) = text {
        let new = lock::with_registry_pins(&text, &pins);
        if new != text {
            crate::sync::files::replace_file(&lock.root().join(LOCK_FILE), new.as_bytes())?;
            wrote_lock = true;
        }
    }
    Ok(Update {
        registries,
        wrote_lock,
    })
}
