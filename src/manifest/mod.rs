//! `hsm.yaml`: the project's intent.
//!
//! [`Manifest`] is the parsed file plus the means to cite any part of it. It answers the
//! questions later stages ask of the intent ("which mode for X?", "which profile?") so the
//! precedence rules live in one place.

pub mod edit;
pub mod model;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use model::{GroupEntry, ManifestFile, Mode, Selection, Standalone, Strategy};

use crate::error::{Error, ErrorKind};
use crate::source::{KeyPath, Origin, SourceFile, parse_yaml, read_text};
use crate::vocab::{ComposeTool, Kind};

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "hsm.yaml";

/// A loaded hsm.yaml.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub file: Arc<SourceFile>,
    /// The project root: the directory holding hsm.yaml.
    pub root: PathBuf,
    pub data: ManifestFile,
}

impl Manifest {
    /// Read `<dir>/hsm.yaml`.
    pub fn load(dir: &Path) -> Result<Manifest, Error> {
        let path = dir.join(MANIFEST_FILE);
        let Some(text) = read_text(&path, MANIFEST_FILE)? else {
            return Err(Error::new(
                ErrorKind::NoManifest,
                format!("no {MANIFEST_FILE} in {}", display_dir(dir)),
            )
            .with_help(
                "run `hsm init` to create one, or pass `--directory` to point at the project",
            ));
        };
        Self::from_text(MANIFEST_FILE, dir, text)
    }

    /// Parse manifest text; `display` names the file in messages.
    pub fn from_text(
        display: &str,
        root: &Path,
        text: impl Into<Arc<str>>,
    ) -> Result<Manifest, Error> {
        let file = SourceFile::new(display, Some(root.join(MANIFEST_FILE)), text);
        let data: ManifestFile = parse_yaml(&file, "hsm.yaml")?;
        let manifest = Manifest {
            file,
            root: root.to_path_buf(),
            data,
        };
        manifest.validate_names()?;
        Ok(manifest)
    }

    /// The hsm.yaml that asks `question`, named `display` in messages.
    ///
    /// It is built, not parsed: lint asks one question per component, option and version
    /// (300,000 for a registry of 100k components), and parsing each hand-written text cost
    /// a tenth of its time. The text is kept, so a rule of it can still be cited; a test
    /// checks that parsing it gives the same manifest.
    pub fn question(display: &str, root: &Path, question: &Question<'_>) -> Manifest {
        let quoted = crate::source::double_quoted;
        let mut data = ManifestFile::default();
        let standalone = |name: &str| Standalone {
            name: name.to_string(),
            mode: None,
            profile: None,
        };
        let (kind, text) = match *question {
            Question::Alone(kind, name) => {
                section_mut(&mut data, kind).1.push(standalone(name));
                (kind, format!("standalone: [{}]\n", quoted(name)))
            }
            Question::Option {
                kind,
                group,
                option,
                strategy,
            } => {
                let (selection, written) = match strategy {
                    Strategy::OneOfN => (Selection::One(option.to_string()), quoted(option)),
                    Strategy::ManyOfN => (
                        Selection::Many(vec![option.to_string()]),
                        format!("[{}]", quoted(option)),
                    ),
                };
                let entry = GroupEntry {
                    selection,
                    ..GroupEntry::default()
                };
                section_mut(&mut data, kind)
                    .0
                    .insert(group.to_string(), entry);
                let text = format!(
                    "groups:\n    {}:\n      selection: {written}\n",
                    quoted(group)
                );
                (kind, text)
            }
            Question::Pinned {
                kind,
                name,
                version,
            } => {
                section_mut(&mut data, kind).1.push(standalone(name));
                data.constraints
                    .insert(name.to_string(), format!("={version}"));
                let text = format!(
                    "standalone: [{n}]\nconstraints:\n  {n}: \"={version}\"\n",
                    n = quoted(name)
                );
                (kind, text)
            }
        };
        let text = format!("{}:\n  {text}", kind.plural());
        Manifest {
            file: SourceFile::new(display, Some(root.join(MANIFEST_FILE)), text),
            root: root.to_path_buf(),
            data,
        }
    }

    pub fn origin(&self, path: KeyPath) -> Origin {
        Origin::at_path(&self.file, path)
    }

    pub fn groups(&self, section: Kind) -> &indexmap::IndexMap<String, GroupEntry> {
        match section {
            Kind::Library => &self.data.libraries.groups,
            Kind::Service => &self.data.services.groups,
        }
    }

    pub fn standalone(&self, section: Kind) -> &[Standalone] {
        match section {
            Kind::Library => &self.data.libraries.standalone,
            Kind::Service => &self.data.services.standalone,
        }
    }

    /// Where a group's selection (or one item of a list selection) is written.
    pub fn selection_origin(&self, section: Kind, group: &str, item: Option<usize>) -> Origin {
        let path = KeyPath::root()
            .key(section.plural())
            .key("groups")
            .key(group)
            .key("selection");
        self.origin(match item {
            Some(i) => path.index(i),
            None => path,
        })
    }

    pub fn standalone_origin(&self, section: Kind, index: usize) -> Origin {
        self.origin(
            KeyPath::root()
                .key(section.plural())
                .key("standalone")
                .index(index),
        )
    }

    pub fn constraint_origin(&self, name: &str) -> Origin {
        self.origin(KeyPath::root().key("constraints").key(name))
    }

    /// The mode of a component. Precedence: its standalone entry, then `modes:`, then the
    /// `mode:` of a group that selects it, then prod.
    pub fn mode_of(&self, name: &str) -> Mode {
        for section in [Kind::Library, Kind::Service] {
            if let Some(mode) = self
                .standalone(section)
                .iter()
                .find(|s| s.name == name)
                .and_then(|s| s.mode)
            {
                return mode;
            }
        }
        if let Some(mode) = self.data.modes.get(name) {
            return *mode;
        }
        for section in [Kind::Library, Kind::Service] {
            for entry in self.groups(section).values() {
                if entry.mode.is_some() && entry.selection.items().iter().any(|(_, s)| *s == name) {
                    return entry.mode.unwrap_or_default();
                }
            }
        }
        Mode::Prod
    }

    /// [`Manifest::mode_of`] of every component hsm.yaml gives a mode, in one pass over
    /// hsm.yaml's entries (a stack asks for the mode of every component it holds).
    pub fn modes(&self) -> std::collections::HashMap<&str, Mode> {
        let mut out = std::collections::HashMap::new();
        // From the lowest precedence up: a later level overwrites.
        for section in [Kind::Library, Kind::Service] {
            for entry in self.groups(section).values() {
                if let Some(mode) = entry.mode {
                    for (_, s) in entry.selection.items() {
                        out.entry(s).or_insert(mode);
                    }
                }
            }
        }
        for (name, mode) in &self.data.modes {
            out.insert(name.as_str(), *mode);
        }
        // A standalone entry: the first of its name in a section decides; libraries win.
        for section in [Kind::Service, Kind::Library] {
            let mut seen = std::collections::HashSet::new();
            for s in self.standalone(section) {
                if seen.insert(s.name.as_str())
                    && let Some(mode) = s.mode
                {
                    out.insert(s.name.as_str(), mode);
                }
            }
        }
        out
    }

    /// [`Manifest::profile_of`] of every service hsm.yaml gives a profile, in one pass.
    pub fn profiles(&self) -> std::collections::HashMap<&str, (&str, Origin)> {
        let mut out = std::collections::HashMap::new();
        for (g, entry) in self.groups(Kind::Service) {
            if let Some(p) = &entry.profile {
                for (_, s) in entry.selection.items() {
                    out.entry(s).or_insert_with(|| {
                        let at = KeyPath::root()
                            .key("services")
                            .key("groups")
                            .key(g)
                            .key("profile");
                        (p.as_str(), self.origin(at))
                    });
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.standalone(Kind::Service).iter().enumerate() {
            if let Some(p) = &s.profile
                && seen.insert(s.name.as_str())
            {
                let at = KeyPath::root()
                    .key("services")
                    .key("standalone")
                    .index(i)
                    .key("profile");
                out.insert(s.name.as_str(), (p.as_str(), self.origin(at)));
            }
        }
        out
    }

    /// The deployment profile a service runs with, and where that was said.
    /// Precedence: its standalone entry, then the `profile:` of a group selecting it.
    pub fn profile_of(&self, name: &str) -> Option<(&str, Origin)> {
        for (i, s) in self.standalone(Kind::Service).iter().enumerate() {
            if s.name == name
                && let Some(p) = &s.profile
            {
                return Some((
                    p,
                    self.origin(
                        KeyPath::root()
                            .key("services")
                            .key("standalone")
                            .index(i)
                            .key("profile"),
                    ),
                ));
            }
        }
        for (g, entry) in self.groups(Kind::Service) {
            if let Some(p) = &entry.profile
                && entry.selection.items().iter().any(|(_, s)| *s == name)
            {
                return Some((
                    p,
                    self.origin(
                        KeyPath::root()
                            .key("services")
                            .key("groups")
                            .key(g)
                            .key("profile"),
                    ),
                ));
            }
        }
        None
    }

    /// The compose tools that may run the compose file, in the order to look for them:
    /// `project.container_engine` pins one (`docker` also accepts `docker-compose`); absent,
    /// any. Anything else is refused: hsm runs this program.
    pub fn container_engine(&self) -> Result<Vec<ComposeTool>, Error> {
        let given = self.data.project.container_engine.as_deref();
        match given {
            None => Ok(ComposeTool::ALL.to_vec()),
            // `docker` takes the v1 program where the v2 plugin is missing.
            Some("docker") => Ok(vec![ComposeTool::Docker, ComposeTool::DockerCompose]),
            Some(name) => match ComposeTool::ALL.into_iter().find(|t| t.name() == name) {
                Some(tool) => Ok(vec![tool]),
                None => Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("unknown container engine `{name}`"),
                )
                .at(self.origin(KeyPath::root().key("project").key("container_engine")))
                .with_label("not docker, docker-compose or podman")
                .add_help(crate::source::did_you_mean_hint(
                    name,
                    ComposeTool::ALL.map(ComposeTool::name),
                ))
                .add_help(Some(
                    "hsm drives `docker compose`, `docker-compose` or `podman compose`; leave it out to use the first one installed".into(),
                ))),
            },
        }
    }

    /// The Python package manager: hsm installs with uv, so `libraries.package_manager`
    /// (or the legacy `project.manager`) must be `uv` when there are libraries to install.
    pub fn package_manager(&self) -> Result<(), Error> {
        let given = [
            (
                self.data.libraries.package_manager.as_deref(),
                KeyPath::root().key("libraries").key("package_manager"),
            ),
            (
                self.data.project.manager.as_deref(),
                KeyPath::root().key("project").key("manager"),
            ),
        ];
        for (value, path) in given {
            if let Some(other) = value.filter(|v| *v != "uv") {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("hsm installs Python packages with uv, and hsm.yaml asks for `{other}`"),
                )
                .at(self.origin(path))
                .with_label("not uv")
                .with_help("set it back with `hsm python-manager set uv` (uv is the only package manager hsm drives)"));
            }
        }
        Ok(())
    }

    /// Every name hsm.yaml uses as a component or group name must be usable as a file name.
    fn validate_names(&self) -> Result<(), Error> {
        let root = KeyPath::root();
        for section in [Kind::Library, Kind::Service] {
            let base = root.key(section.plural());
            for (g, entry) in self.groups(section) {
                check_name(g, &self.origin(base.key("groups").key(g)))?;
                for (i, item) in entry.selection.items() {
                    check_name(item, &self.selection_origin(section, g, i))?;
                }
            }
            for (i, s) in self.standalone(section).iter().enumerate() {
                check_name(&s.name, &self.standalone_origin(section, i))?;
            }
        }
        for name in self.data.modes.keys() {
            check_name(name, &self.origin(root.key("modes").key(name)))?;
        }
        for name in self.data.constraints.keys() {
            check_name(name, &self.constraint_origin(name))?;
        }
        Ok(())
    }
}

/// A question put to the solver as an hsm.yaml of its own ([`Manifest::question`]). Names
/// are valid names (they come from registry files that loaded).
#[derive(Debug, Clone, Copy)]
pub enum Question<'a> {
    /// Can this component be in any stack? The hsm.yaml lists just it.
    Alone(Kind, &'a str),
    /// Can this option of this group be selected on its own?
    Option {
        kind: Kind,
        group: &'a str,
        option: &'a str,
        strategy: Strategy,
    },
    /// Can this version of this component be in a stack? It is listed, pinned with `=`.
    Pinned {
        kind: Kind,
        name: &'a str,
        version: &'a str,
    },
}

/// The groups and standalone entries of one section of `data`.
fn section_mut(
    data: &mut ManifestFile,
    kind: Kind,
) -> (
    &mut indexmap::IndexMap<String, GroupEntry>,
    &mut Vec<Standalone>,
) {
    match kind {
        Kind::Library => (&mut data.libraries.groups, &mut data.libraries.standalone),
        Kind::Service => (&mut data.services.groups, &mut data.services.standalone),
    }
}

pub use crate::vocab::{check_name, is_valid_name};

fn display_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() || dir == Path::new(".") {
        "the current directory".to_string()
    } else {
        dir.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Result<Manifest, Error> {
        Manifest::from_text("hsm.yaml", Path::new("/p"), text)
    }

    #[test]
    fn a_question_is_the_manifest_its_text_parses_to() {
        let odd = "a.b_c-1";
        let questions = [
            Question::Alone(Kind::Library, odd),
            Question::Alone(Kind::Service, "1.10"),
            Question::Option {
                kind: Kind::Library,
                group: "g",
                option: "true",
                strategy: Strategy::OneOfN,
            },
            Question::Option {
                kind: Kind::Service,
                group: odd,
                option: "x",
                strategy: Strategy::ManyOfN,
            },
            Question::Pinned {
                kind: Kind::Service,
                name: odd,
                version: "1.2.3-rc.1+b",
            },
        ];
        for q in questions {
            let built = Manifest::question("q.yaml", Path::new("/p"), &q);
            let parsed = manifest(built.file.text()).unwrap();
            assert_eq!(
                format!("{:?}", built.data),
                format!("{:?}", parsed.data),
                "{q:?}"
            );
            // Origins into the built text resolve as into the parsed one.
            let (a, b) = match q {
                Question::Option { kind, group, .. } => (
                    built.selection_origin(kind, group, None).line(),
                    parsed.selection_origin(kind, group, None).line(),
                ),
                Question::Alone(kind, _) | Question::Pinned { kind, .. } => (
                    built.standalone_origin(kind, 0).line(),
                    parsed.standalone_origin(kind, 0).line(),
                ),
            };
            assert_eq!(a, b, "{q:?}");
        }
    }

    #[test]
    fn reads_the_original_v2_layout() {
        let m = manifest(
            "project:\n  name: x\n  version: 0.1.0\nlibraries:\n  package_manager: uv\n  groups: {}\n  standalone:\n    - a\n    - {name: b, mode: dev}\nservices:\n  groups:\n    infra: {strategy: M-of-N, selection: [pg, redis], profile: ext}\n  standalone: []\nmodes:\n  a: dev\n",
        )
        .unwrap();
        assert_eq!(m.mode_of("a"), Mode::Dev);
        assert_eq!(m.mode_of("b"), Mode::Dev);
        assert_eq!(m.mode_of("pg"), Mode::Prod);
        assert_eq!(m.profile_of("redis").map(|p| p.0), Some("ext"));
        assert_eq!(
            m.selection_origin(Kind::Service, "infra", Some(1)).line(),
            12
        );
    }

    #[test]
    fn group_mode_applies_unless_the_component_says_otherwise() {
        let m = manifest(
            "libraries:\n  groups:\n    g: {selection: [a, b], mode: dev}\nmodes: {b: prod}\n",
        )
        .unwrap();
        assert_eq!(m.mode_of("a"), Mode::Dev);
        assert_eq!(m.mode_of("b"), Mode::Prod);
    }

    #[test]
    fn the_maps_of_modes_and_profiles_answer_as_the_lookups() {
        let m = manifest(
            "libraries:\n  groups:\n    g: {selection: [a, b, c], mode: dev}\n    h: {selection: [c, d], mode: prod}\n  standalone:\n    - {name: b, mode: prod}\n    - e\n    - {name: f, mode: dev}\nservices:\n  groups:\n    infra: {strategy: M-of-N, selection: [pg, redis, f], profile: ext, mode: dev}\n    more: {selection: [redis, kv], profile: other}\n  standalone:\n    - {name: pg, profile: local}\n    - {name: e, mode: dev}\n    - kv\nmodes: {a: prod, d: dev, zz: dev}\n",
        )
        .unwrap();
        let (modes, profiles) = (m.modes(), m.profiles());
        for name in [
            "a", "b", "c", "d", "e", "f", "pg", "redis", "kv", "zz", "none",
        ] {
            let mode = modes.get(name).copied().unwrap_or(Mode::Prod);
            assert_eq!(mode, m.mode_of(name), "mode of {name}");
            let profile = profiles.get(name).map(|(p, o)| (*p, o.line()));
            let expected = m.profile_of(name).map(|(p, o)| (p, o.line()));
            assert_eq!(profile, expected, "profile of {name}");
        }
    }

    #[test]
    fn hostile_names_are_rejected() {
        let err = manifest("libraries:\n  standalone: [../../etc/passwd]\n").unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidName);
        assert_eq!(err.location().as_deref(), Some("hsm.yaml:2:16"));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = manifest("libraries:\n  groups:\n    g: {selction: a}\n").unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnknownKey);
        assert!(err.help.unwrap().contains("did you mean `selection`?"));
    }
}
