//! `hsm init`: start a project with the default hsm.yaml (and a minimal pyproject.toml
//! if there is none). Never overwrites hsm.yaml.

use super::Workspace;
use crate::error::{Error, ErrorKind};
use crate::manifest::edit::initial_document;
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::render::pyproject::{PYPROJECT, minimal};
use crate::sync::files::replace_file;

/// What [`init`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initialized {
    /// The project's name.
    pub name: String,
    /// The files written, in order.
    pub wrote: Vec<&'static str>,
}

/// Write hsm.yaml for a project named `name` (default: the directory's name).
pub fn init(ws: &Workspace, name: Option<&str>) -> Result<Initialized, Error> {
    let _lock = ws.lock()?;
    let path = ws.root.join(MANIFEST_FILE);
    if path.exists() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("{} already exists", ws.display(&path)),
        )
        .with_help(
            "hsm init never overwrites it; edit it, or use `hsm group add` / `hsm library add`",
        ));
    }
    let name = match name {
        Some(n) => n.to_string(),
        None => ws
            .root
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("project")
            .to_string(),
    };
    let text = initial_document(&name);
    let manifest = Manifest::from_text(MANIFEST_FILE, &ws.root, text.as_str())?;
    let pyproject = ws.root.join(PYPROJECT);
    let mut wrote = vec![MANIFEST_FILE];
    if !pyproject.exists() {
        replace_file(&pyproject, minimal(&manifest).as_bytes())?;
        wrote.push(PYPROJECT);
    }
    replace_file(&path, text.as_bytes())?;
    Ok(Initialized { name, wrote })
}
