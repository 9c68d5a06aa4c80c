//! Plan: a [`Selection`] → every artifact rendered in memory. Nothing is written here.
//!
//! The caller reads the current artifacts (so edits can preserve what hsm does not own)
//! and hands them in; the plan says, per file, the old and new contents (`None` = absent).
//! A dry run diffs them; a sync commits them in one transaction ([`crate::sync`]).

pub mod compose;
pub mod env;
pub mod kubernetes;
pub mod lock;
pub mod pyproject;
pub mod service;
pub mod service_project;
pub mod variables;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::registry::location::normalize;

use crate::error::Error;
use crate::manifest::{Manifest, Mode};
use crate::registry::Registry;
use crate::registry::model::Source;
use crate::registry::rules::Definition;
use crate::solve::{Selected, Selection};
use crate::source::KeyPath;

/// One file of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Relative to the project root.
    pub path: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl Artifact {
    pub fn changed(&self) -> bool {
        self.old != self.new
    }
}

/// Everything a sync would write.
#[derive(Debug, Clone)]
pub struct Plan {
    pub artifacts: Vec<Artifact>,
    /// The stack has Python libraries: uv must run after the commit.
    pub python: bool,
    /// The stack has compose services.
    pub compose: bool,
    /// The projects of the services run with uv.
    pub services: Vec<service_project::ServiceProject>,
    /// Dev-mode libraries whose source the sync clones from their `repository:`.
    pub checkouts: Vec<pyproject::DevCheckout>,
}

impl Plan {
    pub fn changed(&self) -> impl Iterator<Item = &Artifact> {
        self.artifacts.iter().filter(|a| a.changed())
    }

    pub fn is_up_to_date(&self) -> bool {
        self.changed().next().is_none()
    }

    pub fn get(&self, path: &str) -> Option<&Artifact> {
        self.artifacts.iter().find(|a| a.path == path)
    }

    pub fn get_mut(&mut self, path: &str) -> Option<&mut Artifact> {
        self.artifacts.iter_mut().find(|a| a.path == path)
    }
}

/// The source a component uses in its mode: dev falls back to prod when it has no dev
/// source. Returns the mode actually used.
pub fn active_source(s: &Selected) -> Option<(Mode, &Source)> {
    let sources = &s.component.versions.get(s.version_index)?.sources;
    match (s.mode, &sources.dev, &sources.prod) {
        (Mode::Dev, Some(dev), _) => Some((Mode::Dev, dev)),
        (_, _, Some(prod)) => Some((Mode::Prod, prod)),
        (Mode::Prod, Some(dev), None) => Some((Mode::Dev, dev)),
        _ => None,
    }
}

/// What a git source pins, as uv's `[tool.uv.sources]` key and value: `tag`, `rev` or
/// `branch`; `ref:` (the original's key) is a rev when it is 40 hex digits, else a tag.
pub fn git_pin(src: &Source) -> Option<(&'static str, String)> {
    if let Some(t) = &src.tag {
        Some(("tag", t.clone()))
    } else if let Some(r) = &src.rev {
        Some(("rev", r.clone()))
    } else if let Some(b) = &src.branch {
        Some(("branch", b.clone()))
    } else {
        src.git_ref.as_ref().map(|r| {
            if r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit()) {
                ("rev", r.clone())
            } else {
                ("tag", r.clone())
            }
        })
    }
}

/// Where the source `active_source` returns is written: `sources.<mode>`, or
/// `versions[i].sources.<mode>` when the selected version overrides `sources`.
pub fn source_path(s: &Selected, mode: Mode) -> KeyPath {
    let key = match mode {
        Mode::Dev => "dev",
        Mode::Prod => "prod",
    };
    let entries = match &s.component.definition {
        Definition::Library(l) => &l.versions,
        Definition::Service(d) => &d.versions,
    };
    let origin = s.component.origin();
    let overriding = entries.iter().position(|e| {
        e.sources.is_some()
            && crate::registry::rules::parse_version(&e.version, &origin).ok() == s.version
    });
    match overriding {
        Some(i) => KeyPath::root()
            .key("versions")
            .index(i)
            .key("sources")
            .key(key),
        None => KeyPath::root().key("sources").key(key),
    }
}

/// A registry path as written into an artifact: relative to the project root, with `/`
/// separators, never absolute (an absolute path under the root is made relative; one
/// outside it is kept relative with `..`). Compose build contexts get a leading `./`.
pub fn project_relative(root: &Path, path: &str, dot_prefix: bool) -> String {
    let p = Path::new(path);
    let rel: PathBuf = if p.is_absolute() {
        relative_to(p, root)
    } else {
        normalize(p)
    };
    let s = rel.to_string_lossy().replace('\\', "/");
    let s = if s.is_empty() { ".".to_string() } else { s };
    if dot_prefix && !s.starts_with('.') {
        format!("./{s}")
    } else {
        s
    }
}

fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let (path, base) = (normalize(path), normalize(base));
    let common = path
        .components()
        .zip(base.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in base.components().skip(common) {
        out.push("..");
    }
    for c in path.components().skip(common) {
        out.push(c);
    }
    out
}

/// Reads the current contents of a project file (`None` if absent).
pub type Reader<'a> = dyn Fn(&str) -> Result<Option<String>, Error> + 'a;

/// Render every artifact for `selection`.
/// The project's hsm.lock as the sync found it, read and parsed once.
#[derive(Debug, Default)]
pub struct OldLock {
    pub text: Option<String>,
    /// `None` also when it cannot be parsed (a sync rewrites it).
    pub parsed: Option<lock::Lock>,
}

pub fn plan(
    manifest: &Manifest,
    registry: &Registry,
    selection: &Selection,
    read: &Reader<'_>,
    old_lock: &OldLock,
) -> Result<Plan, Error> {
    let root = &manifest.root;
    let mut artifacts = Vec::new();

    // pyproject.toml
    let deps = pyproject::dependencies(root, selection)?;
    let old_py = read(pyproject::PYPROJECT)?;
    let base = match (&old_py, deps.is_empty()) {
        (Some(text), _) => Some(text.clone()),
        (None, false) => Some(pyproject::minimal(manifest)),
        (None, true) => None,
    };
    let new_py = match base {
        Some(text) => pyproject::update(&text, &deps, pyproject::PYPROJECT)?.or(Some(text)),
        None => None,
    };
    let root_pyproject = new_py.clone();
    // Libraries installed from a path inside the project, and the dev checkouts the sync
    // makes: a uv workspace member cannot also be a path source.
    let mut checkouts = Vec::new();
    for s in selection
        .components
        .iter()
        .filter(|c| c.kind == crate::registry::Kind::Library)
    {
        if let Some(c) = pyproject::dev_checkout(root, s) {
            checkouts.push(c);
        }
    }
    for dep in &deps {
        if let Some(path) = dep
            .uv_source
            .as_ref()
            .and_then(|t| t.get("path"))
            .and_then(|p| p.as_str())
            .filter(|p| !p.starts_with(".."))
        {
            service_project::check_not_a_member(
                root_pyproject.as_deref(),
                path,
                &format!("and hsm installs `{}` from that path", dep.package),
                "hsm writes the library as a path source; uv refuses a workspace member that is one",
            )?;
        }
    }
    artifacts.push(Artifact {
        path: pyproject::PYPROJECT.into(),
        old: old_py,
        new: new_py,
    });

    // docker-compose.hsm.yml and .env.<service>
    let rendered = compose::render(root, selection, read)?;
    let old_compose = read(compose::COMPOSE_FILE)?;
    // Only a file hsm generated is hsm's to delete.
    let new_compose = match (&rendered.compose, &old_compose) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(old)) if !old.starts_with("# Generated by hsm") => Some(old.clone()),
        (None, _) => None,
    };
    artifacts.push(Artifact {
        path: compose::COMPOSE_FILE.into(),
        old: old_compose,
        new: new_compose,
    });

    let OldLock {
        text: old_lock_text,
        parsed: old_lock,
    } = old_lock;
    let mut env_names: Vec<String> = Vec::new();
    for (name, text) in &rendered.env_files {
        env_names.push(name.clone());
        artifacts.push(Artifact {
            path: name.clone(),
            old: read(name)?,
            new: Some(text.clone()),
        });
    }
    // Services run with uv: their env chain is checked like a docker service's (fail
    // fast, with positions) and written whole to their project's `.env`; hsm's entries of
    // the project's pyproject.toml are its `dependencies`. A project that does not exist
    // yet is created by the sync, which then renders its pyproject.toml.
    let mut services = Vec::new();
    for s in selection
        .components
        .iter()
        .filter(|c| service::is_uv_run(c))
    {
        let spec = service::spec(root, s, selection, read)?;
        let project = service_project::project(manifest, registry, selection, s, &spec.env)?;
        service_project::check_isolated(root_pyproject.as_deref(), &project)?;
        if project.create.is_none() {
            let path = project.pyproject_path();
            let old = read(&path)?;
            let new = match &old {
                Some(text) => project.pyproject(text)?.or_else(|| old.clone()),
                None => None,
            };
            artifacts.push(Artifact { path, old, new });
        }
        if let Some(text) = spec.env.to_dotenv() {
            let path = project.env_path();
            env_names.push(path.clone());
            artifacts.push(Artifact {
                old: read(&path)?,
                path,
                new: Some(text),
            });
        }
        services.push(project);
    }
    // Files the services declare (`files:`): hsm's while the service is in the stack, and
    // removed with it unless someone changed them since.
    // Looked up by path, not scanned per file: a stack of many services, each with its
    // files, would be quadratic.
    let mut generated: Vec<(String, String)> = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();
    let old_digests: HashMap<&str, &String> = old_lock
        .iter()
        .flat_map(|l| l.generated_files.iter())
        .rev()
        .map(|g| (g.path.as_str(), &g.digest))
        .collect();
    let recorded = |path: &str| old_digests.get(path).map(|d| (*d).clone());
    for s in selection
        .components
        .iter()
        .filter(|c| c.kind == crate::registry::Kind::Service)
    {
        let Definition::Service(def) = &s.component.definition else {
            continue;
        };
        for (path, text) in &def.files {
            let at = || {
                crate::source::Origin::at_path(
                    &s.component.file,
                    KeyPath::root().key("files").key(path.as_str()),
                )
            };
            let rel = generated_path(path).map_err(|why| {
                Error::new(
                    crate::error::ErrorKind::InvalidValue,
                    format!("service `{}` declares the file `{path}`, which {why}", s.name),
                )
                .at(at())
                .with_label("this file")
                .with_help("name a file inside the project, relative to it, that is none of hsm's own (pyproject.toml, hsm.yaml, hsm.lock, docker-compose.hsm.yml, .env.*)")
            })?;
            let old = read(&rel)?;
            if let Some(current) = &old
                && current != text
                && recorded(&rel) != Some(lock::digest(current.as_bytes()))
            {
                return Err(Error::new(
                    crate::error::ErrorKind::InvalidValue,
                    format!("service `{}` declares the file {rel}, and a file hsm did not write is there", s.name),
                )
                .at(at())
                .with_label("this file")
                .with_help(format!("move {rel} out of the way (hsm writes it from the registry and keeps it while `{}` is in the stack)", s.name)));
            }
            if !taken.insert(rel.clone()) {
                continue;
            }
            generated.push((rel.clone(), lock::digest(text.as_bytes())));
            artifacts.push(Artifact {
                path: rel,
                old,
                new: Some(text.clone()),
            });
        }
    }
    for g in old_lock.iter().flat_map(|l| l.generated_files.iter()) {
        if taken.contains(&g.path) || generated_path(&g.path).is_err() {
            continue;
        }
        let old = read(&g.path)?;
        // Only a file exactly as hsm wrote it is hsm's to delete.
        if old.as_deref().map(|t| lock::digest(t.as_bytes())) == Some(g.digest.clone()) {
            artifacts.push(Artifact {
                path: g.path.clone(),
                old,
                new: None,
            });
        }
    }

    for stale in old_lock.iter().flat_map(|l| l.env_files.iter()) {
        let uv_env = stale
            .strip_prefix("services/")
            .and_then(|rest| rest.strip_suffix("/.env"))
            .is_some_and(crate::manifest::is_valid_name);
        let valid = uv_env
            || stale
                .strip_prefix(".env.")
                .is_some_and(crate::manifest::is_valid_name);
        if valid && !env_names.contains(stale) {
            artifacts.push(Artifact {
                path: stale.clone(),
                old: read(stale)?,
                new: None,
            });
        }
    }

    // hsm.lock. Files are named relative to the project root, not to the directory hsm
    // runs in: the same project gives the same hsm.lock from any directory.
    let mut parts: Vec<(String, String)> =
        vec![("hsm.yaml".into(), manifest.file.text().to_string())];
    parts.extend(selection.inputs.iter().map(|f| {
        let name = f.path().map_or_else(
            || f.display().to_string(),
            |p| crate::registry::location::relative_display(p, &manifest.root),
        );
        (name, f.text().to_string())
    }));
    parts.sort();
    let fp = lock::fingerprint(parts.iter().map(|(a, b)| (a.as_str(), b.as_str())));
    let lock_text = lock::render(
        selection,
        registry.store(),
        &manifest.root,
        &fp,
        &env_names,
        &generated,
    );
    artifacts.push(Artifact {
        path: lock::LOCK_FILE.into(),
        old: old_lock_text.clone(),
        new: Some(lock_text),
    });

    Ok(Plan {
        python: !deps.is_empty(),
        compose: rendered.compose.is_some(),
        artifacts,
        services,
        checkouts,
    })
}

/// A file a service declares, as a plain project-relative path; `Err(why)` if hsm must
/// not write there.
fn generated_path(path: &str) -> Result<String, &'static str> {
    let p = Path::new(path);
    if p.is_absolute() || path.contains('\\') {
        return Err("is not relative to the project");
    }
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
            std::path::Component::CurDir => {}
            _ => return Err("leaves the project"),
        }
    }
    let rel = parts.join("/");
    let first = parts.first().map(String::as_str).unwrap_or("");
    let own = [
        pyproject::PYPROJECT,
        lock::LOCK_FILE,
        compose::COMPOSE_FILE,
        crate::manifest::MANIFEST_FILE,
        "uv.lock",
    ];
    if rel.is_empty() || first == ".hsm" || first == ".git" {
        return Err("is not a file hsm may write");
    }
    if own.contains(&rel.as_str()) || (parts.len() == 1 && rel.starts_with(".env")) {
        return Err("is one of hsm's own files");
    }
    Ok(rel)
}

/// A unified diff of every changed artifact (for `--dry-run`).
pub fn diff(plan: &Plan) -> String {
    let mut out = String::new();
    for c in &plan.checkouts {
        out.push_str(&format!(
            "# would clone {} into {} (the dev source of `{}`)\n",
            c.url, c.dir, c.library
        ));
    }
    for p in &plan.services {
        if let Some(create) = &p.create {
            out.push_str(&format!(
                "# would create {}: {}\n",
                p.dir,
                create.describe(&p.dir)
            ));
        }
    }
    for a in plan.changed() {
        let old = a.old.as_deref().unwrap_or("");
        let new = a.new.as_deref().unwrap_or("");
        let from = if a.old.is_some() {
            format!("a/{}", a.path)
        } else {
            "/dev/null".to_string()
        };
        let to = if a.new.is_some() {
            format!("b/{}", a.path)
        } else {
            "/dev/null".to_string()
        };
        let text = similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header(&from, &to)
            .to_string();
        out.push_str(&text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_artifacts_are_project_relative() {
        let root = Path::new("/work/proj");
        assert_eq!(project_relative(root, "packages/x", false), "packages/x");
        assert_eq!(
            project_relative(root, "./packages/../libs/x", false),
            "libs/x"
        );
        assert_eq!(project_relative(root, "/work/proj/libs/x", false), "libs/x");
        assert_eq!(project_relative(root, "/work/other/x", false), "../other/x");
        assert_eq!(
            project_relative(root, "services/api", true),
            "./services/api"
        );
        assert_eq!(project_relative(root, ".", true), ".");
    }
}
