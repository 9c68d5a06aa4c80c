//! The project of a service run with uv (DESIGN §6b): a Python project in
//! `services/<name>` with its own pyproject.toml, uv.lock, `.venv` and `.env`.
//!
//! Everything a sync does with it is decided here, from the registry and the project as
//! they are: whether the project must be created (cloned from its git source at the pinned
//! ref, or made by `uv init` in dev mode), which requirements hsm owns in its
//! pyproject.toml (the service's `dependencies`), and its environment. [`crate::sync`]
//! carries that out inside the one transaction; nothing is written here.
//!
//! The service's dependencies never enter the project's own pyproject.toml or uv.lock:
//! that isolation is the point of running a service with uv.

use std::path::Path;

use toml_edit::Value;

use super::env::Env;
use super::pyproject::{self, PyDep};
use super::{active_source, project_relative, source_path};
use crate::error::{Error, ErrorKind};
use crate::manifest::{Manifest, Mode};
use crate::registry::model::SourceType;
use crate::registry::rules::Definition;
use crate::registry::{Kind, Registry};
use crate::solve::{Selected, Selection};
use crate::source::watch::{self, Seen};
use crate::source::{KeyPath, Origin};

/// The project of one service run with uv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProject {
    pub service: String,
    /// Relative to the project root: `services/<name>`.
    pub dir: String,
    /// How to make `dir`, which does not exist yet; `None`: it exists.
    pub create: Option<Create>,
    /// The service's `dependencies`, as hsm writes them into the project's pyproject.toml
    /// (paths relative to `dir`), sorted by package.
    pub deps: Vec<Requirement>,
    /// The service's whole environment (env files, `env`, source `env`, implied params):
    /// written to `<dir>/.env`, and given to uv there so that builds see it.
    pub env: Vec<(String, String)>,
}

/// One requirement of a service's project (a [`PyDep`] that can be compared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub package: String,
    pub requirement: String,
    /// Its `[tool.uv.sources]` entry, as TOML text.
    pub uv_source: Option<String>,
}

/// How hsm makes a service's project that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Create {
    /// `git clone <url>`, then the pinned ref checked out.
    Clone { url: String, pin: Option<GitPin> },
    /// `uv init`: the service's code starts here (dev mode).
    Init,
}

/// What a git source pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitPin {
    /// A branch or a tag: `git clone --branch`.
    Named(String),
    /// A commit: checked out after the clone.
    Rev(String),
}

impl Create {
    /// The command, as the report and the dry run show it.
    pub fn describe(&self, dir: &str) -> String {
        match self {
            Create::Clone { url, pin } => match pin {
                Some(GitPin::Named(n)) => format!("git clone --branch {n} {url} {dir}"),
                Some(GitPin::Rev(r)) => format!("git clone {url} {dir} && git checkout {r}"),
                None => format!("git clone {url} {dir}"),
            },
            Create::Init => format!("uv init {dir}"),
        }
    }
}

impl ServiceProject {
    pub fn pyproject_path(&self) -> String {
        format!("{}/{}", self.dir, pyproject::PYPROJECT)
    }

    pub fn uv_lock_path(&self) -> String {
        format!("{}/uv.lock", self.dir)
    }

    pub fn env_path(&self) -> String {
        format!("{}/.env", self.dir)
    }

    /// `text` (the project's pyproject.toml) with hsm's entries set to the service's
    /// dependencies; `None` when hsm has nothing to write there.
    pub fn pyproject(&self, text: &str) -> Result<Option<String>, Error> {
        let deps: Vec<PyDep> = self
            .deps
            .iter()
            .map(|r| PyDep {
                package: r.package.clone(),
                requirement: r.requirement.clone(),
                uv_source: r
                    .uv_source
                    .as_deref()
                    .and_then(|t| t.parse::<Value>().ok())
                    .and_then(|v| v.as_inline_table().cloned()),
            })
            .collect();
        pyproject::update(text, &deps, &self.pyproject_path())
    }
}

/// The directory of a uv-run service's project, relative to the project root.
pub fn dir_of(service: &str) -> String {
    format!("services/{service}")
}

/// The project of the uv-run service `s`, with `env` its checked environment.
pub fn project(
    manifest: &Manifest,
    registry: &Registry,
    selection: &Selection,
    s: &Selected,
    env: &Env,
) -> Result<ServiceProject, Error> {
    let root = &manifest.root;
    let Definition::Service(def) = &s.component.definition else {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("`{}` is not a service", s.name),
        ));
    };
    let dir = dir_of(&s.name);
    let source = active_source(s);
    let mode = source.map_or(s.mode, |(m, _)| m);
    if let Some((m, src)) = source
        && matches!(src.kind, SourceType::Local | SourceType::Build)
        && let Some(path) = &src.path
        && project_relative(root, path, false) != dir
    {
        let mut at = source_path(s, m);
        if s.component.file.span_of(&at.key("path")).is_some() {
            at = at.key("path");
        }
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "service `{}` runs with uv, so its project is {dir}, but its {m} source names `{path}`",
                s.name
            ),
        )
        .at(Origin::at_path(&s.component.file, at))
        .with_label("not its project")
        .with_help(format!(
            "set `path: {dir}` (hsm keeps every uv-run service's project there, inside the project), or remove `path`"
        )));
    }

    let create = match watch::lprobe(&root.join(&dir)) {
        Seen::Dir => {
            if !watch::probe(&root.join(&dir).join(pyproject::PYPROJECT)).is_file() {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!(
                        "service `{}` runs with uv from {dir}, which has no pyproject.toml",
                        s.name
                    ),
                )
                .with_help(format!(
                    "make {dir} a Python project (`uv init` there), or move it away so that hsm creates it"
                )));
            }
            None
        }
        Seen::Absent => Some(create(s, source, mode, &dir)?),
        Seen::File(_) | Seen::Symlink | Seen::Other => {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "service `{}` runs with uv from {dir}, which is not a directory (a file or a symbolic link)",
                    s.name
                ),
            )
            .with_help(format!(
                "move {dir} out of the way: hsm keeps the service's project there and writes only inside the project"
            )));
        }
    };

    let mut deps = Vec::new();
    for (i, value) in def.dependencies.iter().enumerate() {
        let at = || {
            Origin::at_path(
                &s.component.file,
                KeyPath::root().key("dependencies").index(i),
            )
        };
        let dep = dependency(manifest, registry, selection, value, &at)?;
        let req = rebase(dep, &dir);
        if deps.iter().any(|d: &Requirement| d.package == req.package) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "service `{}` lists the package `{}` twice in `dependencies`",
                    s.name, req.package
                ),
            )
            .at(at())
            .with_label("again here")
            .with_help("keep one entry per package"));
        }
        deps.push(req);
    }
    deps.sort_by(|a, b| a.package.cmp(&b.package));
    Ok(ServiceProject {
        service: s.name.clone(),
        dir,
        create,
        deps,
        env: env
            .vars
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect(),
    })
}

/// uv treats a project below a workspace root whose `members` match it (and `exclude` does
/// not) as a member: `uv lock` there would lock, and rewrite, the project's own uv.lock with
/// the service in it. Refuse that, pointing at `members`.
pub fn check_isolated(root_pyproject: Option<&str>, project: &ServiceProject) -> Result<(), Error> {
    check_not_a_member(
        root_pyproject,
        &project.dir,
        &format!(
            "so uv would lock service `{}` together with the project",
            project.service
        ),
        "a service run with uv has an environment of its own",
    )
}

/// Refuse a directory that the project's `[tool.uv.workspace]` makes a member (`why` and
/// `because` complete the message and the help).
pub fn check_not_a_member(
    root_pyproject: Option<&str>,
    dir: &str,
    why: &str,
    because: &str,
) -> Result<(), Error> {
    let Some(text) = root_pyproject else {
        return Ok(());
    };
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Ok(());
    };
    let Some(workspace) = doc
        .get("tool")
        .and_then(|t| t.get("uv"))
        .and_then(|u| u.get("workspace"))
    else {
        return Ok(());
    };
    let patterns = |key: &str| -> Vec<String> {
        workspace
            .get(key)
            .and_then(|m| m.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let matches = |key: &str| patterns(key).iter().any(|p| glob(p, dir));
    if !matches("members") || matches("exclude") {
        return Ok(());
    }
    let span =
        pyproject::key_span(text, &["tool", "uv", "workspace", "members"], None).unwrap_or(0..0);
    let file = crate::source::SourceFile::new(pyproject::PYPROJECT, None, text);
    Err(Error::new(
        ErrorKind::InvalidValue,
        format!("pyproject.toml makes {dir} a member of the project's uv workspace, {why}"),
    )
    .at(Origin::at_span(
        &file,
        crate::source::Span {
            offset: span.start,
            len: span.end - span.start,
        },
    ))
    .with_label("matches it")
    .with_help(format!(
        "add \"{dir}\" to `exclude` in [tool.uv.workspace] (or take it out of `members`): {because}"
    )))
}

/// Does the workspace glob `pattern` (`*` and `?` within a path segment, `**` for any
/// number of segments) match the relative path `path`?
fn glob(pattern: &str, path: &str) -> bool {
    fn segments(p: &[&str], s: &[&str]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(&"**"), _) => segments(&p[1..], s) || (!s.is_empty() && segments(p, &s[1..])),
            (Some(pat), Some(seg)) => {
                segment(pat.as_bytes(), seg.as_bytes()) && segments(&p[1..], &s[1..])
            }
            _ => false,
        }
    }
    fn segment(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => segment(&p[1..], s) || (!s.is_empty() && segment(p, &s[1..])),
            (Some(b'?'), Some(_)) => segment(&p[1..], &s[1..]),
            (Some(a), Some(b)) => a == b && segment(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let clean = |x: &str| -> Vec<String> {
        x.trim_start_matches("./")
            .trim_end_matches('/')
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .map(str::to_string)
            .collect()
    };
    let (p, s) = (clean(pattern), clean(path));
    let p: Vec<&str> = p.iter().map(String::as_str).collect();
    let s: Vec<&str> = s.iter().map(String::as_str).collect();
    segments(&p, &s)
}

/// How to make the missing project of `s`.
fn create(
    s: &Selected,
    source: Option<(Mode, &crate::registry::model::Source)>,
    mode: Mode,
    dir: &str,
) -> Result<Create, Error> {
    if let Some((m, src)) = source
        && src.kind == SourceType::Git
    {
        let Some(url) = src.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "the {m} source of service `{}` is a git source without `url`",
                    s.name
                ),
            )
            .at(Origin::at_path(&s.component.file, source_path(s, m)))
            .with_label("no `url`")
            .with_help("add `url: https://...` (and `tag:` or `rev:` to pin it)"));
        };
        let pin = super::git_pin(src).map(|(key, value)| match key {
            "rev" => GitPin::Rev(value),
            _ => GitPin::Named(value),
        });
        return Ok(Create::Clone {
            url: url.trim_start_matches("git+").to_string(),
            pin,
        });
    }
    if mode == Mode::Dev {
        return Ok(Create::Init);
    }
    Err(Error::new(
        ErrorKind::InvalidValue,
        format!(
            "service `{}` runs with uv from {dir}, which does not exist, and its prod source is not a git repository hsm could clone",
            s.name
        ),
    )
    .at(s.component.origin())
    .with_help(format!(
        "give it a git prod source (`url:` and `tag:`), create the project with `hsm service init {0} --runtime uv`, or switch it to dev mode (`hsm mode dev {0}`) and hsm creates it with `uv init`",
        s.name
    )))
}

/// One entry of a service's `dependencies`: the name of a registry library (rendered from
/// its own source, in its own mode, like a library of the stack), `{name, version}`, or a
/// PEP 508 requirement.
fn dependency(
    manifest: &Manifest,
    registry: &Registry,
    selection: &Selection,
    value: &serde_yaml::Value,
    at: &dyn Fn() -> Origin,
) -> Result<PyDep, Error> {
    let (name, version) = match value {
        serde_yaml::Value::String(s) => (s.trim().to_string(), None),
        serde_yaml::Value::Mapping(m) => {
            let field = |k: &str| {
                m.get(k).and_then(|v| match v {
                    serde_yaml::Value::String(s) => Some(s.trim().to_string()),
                    serde_yaml::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
            };
            let Some(name) = field("name") else {
                return Err(bad_dependency(at(), "has no `name`"));
            };
            (name, field("version").filter(|v| !v.is_empty() && v != "*"))
        }
        _ => {
            return Err(bad_dependency(
                at(),
                "is neither a name nor `{name, version}`",
            ));
        }
    };
    let library = if crate::vocab::is_valid_name(&name) {
        registry.component(Kind::Library, &name)?
    } else {
        None
    };
    let Some(component) = library else {
        let package = pyproject::requirement_name(&name);
        if package.is_empty() {
            return Err(bad_dependency(
                at(),
                "is not a registry library or a PEP 508 requirement",
            ));
        }
        let requirement = match version {
            Some(v) if v.starts_with(['<', '>', '=', '!', '~']) => format!("{name}{v}"),
            Some(v) => format!("{name}=={v}"),
            None => name,
        };
        return Ok(PyDep {
            package,
            requirement,
            uv_source: None,
        });
    };
    let in_stack = selection
        .components
        .iter()
        .find(|c| c.kind == Kind::Library && c.name == component.name);
    let selected = match (in_stack, &version) {
        (Some(c), None) => c.clone(),
        (_, Some(v)) => {
            let index = component
                .versions
                .iter()
                .position(|cv| cv.version.as_ref().is_some_and(|x| x.to_string() == *v))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidValue,
                        format!("library `{}` has no version {v}", component.name),
                    )
                    .at(at())
                    .with_help(format!(
                        "`hsm registry show {}` lists its versions",
                        component.name
                    ))
                })?;
            Selected::outside_stack(component.clone(), index, manifest.mode_of(&name))
        }
        (None, None) => {
            let newest = component.versions.len().saturating_sub(1);
            Selected::outside_stack(component.clone(), newest, manifest.mode_of(&name))
        }
    };
    pyproject::dependency(&manifest.root, &selected)
}

fn bad_dependency(at: Origin, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidValue,
        format!("this entry of the service's `dependencies` {what}"),
    )
    .at(at)
    .with_label("here")
    .with_help(
        "write the name of a registry library, `{name: pkg, version: 1.2.3}`, or a requirement such as `httpx>=0.27`",
    )
}

/// A dependency as the service's project writes it: a local path made relative to `dir`.
fn rebase(dep: PyDep, dir: &str) -> Requirement {
    let uv_source = dep.uv_source.map(|mut t| {
        if let Some(path) = t.get("path").and_then(|p| p.as_str())
            && !Path::new(path).is_absolute()
        {
            let up = "../".repeat(dir.split('/').count());
            let rebased = format!("{up}{path}");
            t.insert("path", rebased.as_str().into());
        }
        Value::InlineTable(t).to_string().trim().to_string()
    });
    Requirement {
        package: dep.package,
        requirement: dep.requirement,
        uv_source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_rebased_on_the_service_project() {
        let mut t = toml_edit::InlineTable::new();
        t.insert("path", "libs/canary".into());
        let r = rebase(
            PyDep {
                package: "canary".into(),
                requirement: "canary".into(),
                uv_source: Some(t),
            },
            "services/api",
        );
        assert_eq!(
            r.uv_source.as_deref(),
            Some(r#"{ path = "../../libs/canary" }"#)
        );
        let mut t = toml_edit::InlineTable::new();
        t.insert("path", "../outside".into());
        let r = rebase(
            PyDep {
                package: "o".into(),
                requirement: "o".into(),
                uv_source: Some(t),
            },
            "services/api",
        );
        assert_eq!(
            r.uv_source.as_deref(),
            Some(r#"{ path = "../../../outside" }"#)
        );
    }

    #[test]
    fn workspace_globs_match_like_uvs() {
        for (p, yes) in [
            ("services/*", true),
            ("services/api", true),
            ("./services/api/", true),
            ("services/a?i", true),
            ("**", true),
            ("**/api", true),
            ("*", false),
            ("services/*/x", false),
            ("packages/*", false),
            ("services/b*", false),
        ] {
            assert_eq!(glob(p, "services/api"), yes, "{p}");
        }
    }

    #[test]
    fn the_create_command_is_described_as_run() {
        let clone = Create::Clone {
            url: "file:///r".into(),
            pin: Some(GitPin::Named("v1".into())),
        };
        assert_eq!(
            clone.describe("services/a"),
            "git clone --branch v1 file:///r services/a"
        );
        assert_eq!(Create::Init.describe("services/a"), "uv init services/a");
    }
}
