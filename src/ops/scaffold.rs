//! `hsm library init` and `hsm service init`: create a component's directory inside the
//! project and register it in the project's registry.
//!
//! A library is a uv library project (`uv init --lib`); a service is a directory with a
//! minimal Dockerfile (docker/podman) or a uv project (uv). `--vcs none` keeps uv from
//! making a nested git repository; `--git-init` asks for one explicitly. Nothing is left
//! half-created: everything is checked before the first write, and whatever was created
//! is removed again if a later step (uv, git, the registry write) fails.

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use super::Workspace;
use super::names::check_name;
use crate::error::{Error, ErrorKind};
use crate::registry::location::normalize;
use crate::registry::{Category, Kind, Registry, Store};
use crate::sync::files::replace_file;
use crate::vocab::Runtime;
use crate::yaml::New;
use crate::yaml::write as yaml;

/// What to create.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    pub kind: Kind,
    pub name: &'a str,
    /// `None` for libraries; for a service, `None` is the registered entry's runtime, or
    /// docker.
    pub runtime: Option<Runtime>,
    /// The directory to create, relative to the project (default: packages/NAME or
    /// services/NAME).
    pub path: Option<&'a Path>,
    /// Also `git init` the new directory.
    pub git_init: bool,
    /// Write the registry entry.
    pub register: bool,
}

/// What [`scaffold`] created.
#[derive(Debug, Clone)]
pub struct Scaffolded {
    pub kind: Kind,
    pub name: String,
    /// The new directory, as the user sees it.
    pub dir: String,
    /// What made it: "uv init --lib", "a Dockerfile, git init".
    pub how: String,
    /// The registry entry, unless `--no-register`.
    pub registered: Option<Registered>,
    /// The component was registered already (where): its entry was kept as it is.
    pub kept_entry: Option<String>,
}

/// The registry entry [`scaffold`] wrote.
#[derive(Debug, Clone)]
pub struct Registered {
    /// `./hsm-registry`, created as a copy of the built-in registry (shown), if it was.
    pub seeded: Option<String>,
    /// The entry's file, as the user sees it.
    pub file: String,
    /// The project-relative directory of the component.
    pub rel: String,
    pub runtime: Option<Runtime>,
}

impl fmt::Display for Scaffolded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Scaffolded {
            kind, name, dir, ..
        } = self;
        write!(f, "Created {kind} `{name}` in {dir} ({})", self.how)?;
        if let Some(place) = &self.kept_entry {
            write!(
                f,
                "\n`{name}` is already registered ({place}): its entry is kept as it is"
            )?;
        }
        let Some(r) = &self.registered else {
            return Ok(());
        };
        if let Some(root) = &r.seeded {
            write!(
                f,
                "\nCreated {root}/ for the project's own entries, searched before the built-in registry (`registries: [hsm-registry]` in hsm.yaml)"
            )?;
        }
        let rel = &r.rel;
        let sources = match r.runtime {
            None => format!("prod and dev from {rel} (dev editable)"),
            Some(Runtime::Uv) => format!("prod and dev from {rel}, runtime uv"),
            Some(rt) => format!("built from {rel}/Dockerfile, runtime {rt}"),
        };
        write!(f, "\nRegistered `{name}` in {}: {sources}", r.file)?;
        write!(f, "\nhint: `hsm {kind} add {name}` puts it in the stack")?;
        if r.runtime == Some(Runtime::Uv) {
            write!(
                f,
                "\nnote: `hsm sync --up` starts docker and podman services only; run this one with `uv run` in {rel}"
            )?;
        }
        Ok(())
    }
}

/// Create the component's directory and, if asked, its registry entry; undo everything
/// if a step fails.
pub fn scaffold(ws: &Workspace, plan: &Plan<'_>) -> Result<Scaffolded, Error> {
    let name = plan.name;
    check_name(name)?;
    let _lock = ws.lock()?;
    let manifest = ws.manifest()?;

    // Check everything before creating anything.
    let default_dir = match plan.kind {
        Kind::Library => "packages",
        Kind::Service => "services",
    };
    let default = PathBuf::from(default_dir).join(name);
    let rel = project_path(&ws.root, plan.path.unwrap_or(&default))?;
    let dir = ws.root.join(&rel);
    let shown_dir = ws.display(&dir);
    check_target(&dir, &shown_dir)?;
    let (target, kept_entry) = if plan.register {
        match registry_target(ws, &manifest, plan.kind, name)? {
            Target::New(t) => (Some(t), None),
            Target::Kept(place, runtime) => (None, Some((place, runtime))),
        }
    } else {
        (None, None)
    };
    // A service's runtime: as given, else as registered, else docker.
    let resolved = Plan {
        runtime: match plan.kind {
            Kind::Library => None,
            Kind::Service => Some(
                plan.runtime
                    .or(kept_entry.as_ref().and_then(|(_, r)| *r))
                    .unwrap_or(Runtime::Docker),
            ),
        },
        ..plan.clone()
    };
    let plan = &resolved;
    let kept_entry = kept_entry.map(|(place, _)| place);

    let mut undo = Undo::default();
    if dir.is_dir() {
        // Existing and empty (checked above): on failure, empty it again.
        undo.filled = Some(dir.clone());
    } else {
        undo.create_dir(&dir)?;
    }
    // The new project accepts the Pythons the project does, so `uv lock` can combine them.
    let python = project_requires_python(&ws.root);
    let uv_init = |lib: bool| -> Result<(), Error> {
        let mut args = vec!["init"];
        if lib {
            args.push("--lib");
        }
        args.extend(["--no-workspace", "--vcs", "none", "--name", name]);
        if let Some(p) = &python {
            args.extend(["--python", p.as_str()]);
        }
        run_tool(&dir, &shown_dir, "uv", &args)
    };
    let what = match plan.runtime {
        None => {
            uv_init(true)?;
            "uv init --lib"
        }
        Some(Runtime::Uv) => {
            uv_init(false)?;
            "uv init"
        }
        // `--runtime` offers docker, podman and uv only (pixi and venv are skipped).
        Some(_) => {
            let dockerfile = dir.join("Dockerfile");
            replace_file(&dockerfile, dockerfile_text(name, &rel).as_bytes())?;
            "a Dockerfile"
        }
    };
    if plan.git_init {
        run_tool(&dir, &shown_dir, "git", &["init"])?;
    }
    let how = if plan.git_init {
        format!("{what}, git init")
    } else {
        what.to_string()
    };

    let registered = match target {
        Some(target) => {
            let version = project_version(&dir).unwrap_or_else(|| "0.1.0".to_string());
            let text = entry_yaml(plan, &rel, &version);
            let seeded = undo.registry(&target, &ws.root)?;
            let file = target
                .root
                .join(target.category.dir())
                .join(format!("{name}.yaml"));
            undo.create_dir(file.parent().unwrap_or(&target.root))?;
            undo.files.push(file.clone());
            replace_file(&file, text.as_bytes())?;
            // The entry must load like any other: a failure here is hsm's bug, not the
            // user's, but it must not leave a broken registry behind.
            let store = Store::dir(target.root.clone(), ws.display(&target.root));
            Registry::new(store).component(plan.kind, name)?;
            Some(Registered {
                seeded: seeded.then(|| ws.display(&target.root)),
                file: ws.display(&file),
                rel: rel.clone(),
                runtime: plan.runtime,
            })
        }
        None => None,
    };
    undo.keep();
    Ok(Scaffolded {
        kind: plan.kind,
        name: name.to_string(),
        dir: shown_dir,
        how,
        registered,
        kept_entry,
    })
}

/// `path` as a project-relative path with `/` separators; it must stay inside the project
/// (also through symbolic links) and not be the project itself.
fn project_path(root: &Path, path: &Path) -> Result<String, Error> {
    let outside = || {
        Error::new(
            ErrorKind::InvalidValue,
            format!("--path {} is outside the project", path.display()),
        )
        .with_help(
            "components live inside the project; give a path inside it, such as packages/NAME",
        )
    };
    let full = normalize(&root.join(path));
    let rel = full.strip_prefix(normalize(root)).map_err(|_| outside())?;
    if rel.as_os_str().is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("--path {} is the project itself", path.display()),
        )
        .with_help("give a directory inside the project, such as packages/NAME"));
    }
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str().ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidValue,
                    format!("--path {} is not valid UTF-8", path.display()),
                )
            })?),
            _ => return Err(outside()),
        }
    }
    // A symbolic link on the way may lead out of the project.
    let mut existing = full.as_path();
    while !existing.exists() {
        existing = existing.parent().unwrap_or(root);
    }
    let rel = parts.join("/");
    if let (Ok(real), Ok(real_root)) = (existing.canonicalize(), root.canonicalize())
        && !real.starts_with(&real_root)
    {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "{rel} leads outside the project, through the symbolic link {}",
                existing.strip_prefix(root).unwrap_or(existing).display()
            ),
        )
        .with_help("hsm writes only inside the project; give another --path"));
    }
    Ok(rel)
}

fn check_target(dir: &Path, shown: &str) -> Result<(), Error> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("{shown} already exists and is not a directory"),
        )
        .with_help("choose another --path, or remove it"));
    }
    let empty = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, &e))?
        .next()
        .is_none();
    if !empty {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("{shown} already exists and is not empty"),
        )
        .with_help(
            "hsm never writes into an existing project; choose another --path, or move it away",
        ));
    }
    Ok(())
}

/// The registry a new entry goes into.
struct RegistryTarget {
    root: PathBuf,
    category: Category,
    /// No registry is set: `./hsm-registry` is created as a copy of the built-in one.
    seed: bool,
}

/// Where the new entry goes, or where the existing one is.
enum Target {
    New(RegistryTarget),
    /// The component is registered already (where, and its default runtime if it is a
    /// service that names one): its entry is kept.
    Kept(String, Option<Runtime>),
}

fn registry_target(
    ws: &Workspace,
    manifest: &crate::manifest::Manifest,
    kind: Kind,
    name: &str,
) -> Result<Target, Error> {
    let registry = ws.registry(Some(manifest))?;
    let category = match kind {
        Kind::Library => Category::Libraries,
        Kind::Service => Category::Services,
    };
    let (root, seed) = match registry.store().root() {
        Some(root) => (root.to_path_buf(), false),
        None => (ws.root.join("hsm-registry"), true),
    };
    if let Some(existing) = registry.store().read(category, name)? {
        // Registered first (`hsm registry service add`), created second: the entry is the
        // maintainer's, and stays as it is.
        let place = if seed {
            "the built-in registry".to_string()
        } else {
            existing.display().to_string()
        };
        let runtime = match registry
            .component(kind, name)?
            .map(|c| c.definition.clone())
        {
            Some(crate::registry::rules::Definition::Service(def)) => {
                def.deployment_profiles.get("default").map(|p| p.runtime)
            }
            _ => None,
        };
        return Ok(Target::Kept(place, runtime));
    }
    Ok(Target::New(RegistryTarget {
        root,
        category,
        seed,
    }))
}

/// Run `program args` in `dir`; a missing program or a failure is an error saying which.
fn run_tool(dir: &Path, shown: &str, program: &str, args: &[&str]) -> Result<(), Error> {
    let command = format!("{program} {}", args.join(" "));
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| {
            let (message, help) = if e.kind() == std::io::ErrorKind::NotFound {
                (
                    format!("{program} binary is not available: `{program}` is not on PATH"),
                    match program {
                        "uv" => "install uv (https://docs.astral.sh/uv/) and run the command again; nothing was created".to_string(),
                        _ => format!("install {program}, or leave out --git-init; nothing was created"),
                    },
                )
            } else {
                (
                    format!("cannot run `{command}`: {e}"),
                    "nothing was created".to_string(),
                )
            };
            Error::new(ErrorKind::Io, message).with_help(help)
        })?;
    if !out.status.success() {
        let (code, said) = crate::sync::runner::describe(&out);
        return Err(Error::new(
            ErrorKind::Io,
            format!("{program} init failed in {shown} ({code}):\n{said}"),
        )
        .with_help(format!(
            "nothing was created; fix what {program} reports and run the command again"
        )));
    }
    Ok(())
}

/// `[project].<key>` of `dir/pyproject.toml`, if it has one.
fn pyproject_field(dir: &Path, key: &str) -> Option<String> {
    let text = crate::source::read_text(&dir.join("pyproject.toml"), "pyproject.toml")
        .ok()
        .flatten()?;
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    doc.get("project")?.get(key)?.as_str().map(str::to_string)
}

/// The version of the project uv created (if it created one).
fn project_version(dir: &Path) -> Option<String> {
    pyproject_field(dir, "version")
}

/// The project's own `requires-python`.
fn project_requires_python(root: &Path) -> Option<String> {
    pyproject_field(root, "requires-python").filter(|s| !s.trim().is_empty())
}

fn entry_yaml(plan: &Plan<'_>, rel: &str, version: &str) -> String {
    let mut doc = New::map();
    doc.push("name", New::str(plan.name));
    doc.push(
        "description",
        New::str(format!("Local {} {}", plan.kind, plan.name)),
    );
    doc.push("version", New::str(version));
    let source = |editable: bool| {
        let mut s = New::map();
        match plan.runtime {
            Some(Runtime::Docker | Runtime::Podman) => {
                s.push("type", New::str("build"));
                s.push("path", New::str(rel));
                s.push("dockerfile", New::str("Dockerfile"));
            }
            _ => {
                s.push("type", New::str("local"));
                s.push("path", New::str(rel));
                if editable {
                    s.push("editable", New::Raw("true".into()));
                }
            }
        }
        s
    };
    let mut sources = New::map();
    sources.push("prod", source(false));
    sources.push("dev", source(plan.runtime.is_none()));
    doc.push("sources", sources);
    if let Some(runtime) = plan.runtime {
        let mut profile = New::map();
        profile.push("mode", New::str("managed"));
        profile.push("runtime", New::str(runtime.to_string()));
        let mut profiles = New::map();
        profiles.push("default", profile);
        doc.push("deployment_profiles", profiles);
    }
    yaml::to_string(&doc)
}

fn dockerfile_text(name: &str, rel: &str) -> String {
    format!(
        "# The `{name}` service, created by `hsm service init`.\n\
         # `hsm sync --up` builds this image (the registry entry's sources are `type: build`):\n\
         # replace this placeholder with the real service.\n\
         FROM alpine:3.20\n\
         CMD [\"sh\", \"-c\", \"echo '{name}: replace {rel}/Dockerfile with the real service'; exec tail -f /dev/null\"]\n"
    )
}

/// What a failed init must remove again: directories and files it created, and the
/// contents of the empty target directory it filled.
#[derive(Debug, Default)]
struct Undo {
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
    filled: Option<PathBuf>,
    /// hsm.yaml as it was before the registry layer was added to it.
    manifest: Option<(PathBuf, Vec<u8>)>,
    kept: bool,
}

impl Undo {
    /// `mkdir -p dir`, remembering the topmost directory that did not exist.
    fn create_dir(&mut self, dir: &Path) -> Result<(), Error> {
        if dir.is_dir() {
            return Ok(());
        }
        let mut top = dir;
        while let Some(parent) = top.parent() {
            if parent.exists() {
                break;
            }
            top = parent;
        }
        self.dirs.push(top.to_path_buf());
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot create {}: {e}", dir.display()),
            )
        })
    }

    /// Make sure the registry directory exists. A project without a registry of its own
    /// gets `./hsm-registry` as a layer in front of the built-in registry (`registries:
    /// [hsm-registry]` in hsm.yaml): its own entries only, and the built-in ones keep their
    /// updates. True if it was created.
    fn registry(&mut self, target: &RegistryTarget, root: &Path) -> Result<bool, Error> {
        if !target.seed {
            return Ok(false);
        }
        for category in Category::ALL {
            self.create_dir(&target.root.join(category.dir()))?;
        }
        let path = root.join(crate::manifest::MANIFEST_FILE);
        let old = std::fs::read(&path).map_err(|e| Error::io(&path, &e))?;
        let mut editor = crate::manifest::edit::Editor::parse(&String::from_utf8_lossy(&old))?;
        editor.set_registries(&["hsm-registry"])?;
        replace_file(&path, editor.to_text().as_bytes())?;
        self.manifest = Some((path, old));
        Ok(true)
    }

    /// Success: keep everything.
    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Undo {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        if let Some((path, old)) = &self.manifest {
            let _ = replace_file(path, old);
        }
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir_all(d);
        }
        if let Some(d) = &self.filled
            && let Ok(entries) = std::fs::read_dir(d)
        {
            for e in entries.flatten() {
                let p = e.path();
                let _ = if p.is_dir() && !p.is_symlink() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
        }
    }
}
