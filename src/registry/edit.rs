//! Registry files as `hsm registry ...` writes and edits them.
//!
//! New files get the shapes the original hsm's registry CLI wrote (same keys, same order,
//! its nulls and empty lists included, so the original can read them too), made valid for
//! hsm's stricter model. Edits of existing files go through [`crate::yaml`], so a
//! hand-written file keeps its comments and layout: only the edited lines change.
//!
//! Nothing here decides whether an edit makes sense (does the target exist?); the CLI
//! checks that against the registry. What is checked here is that the text written still
//! loads: [`check`] runs the registry's own loader on it.

use std::sync::Arc;

use indexmap::IndexMap;

use super::{Category, Kind, rules};
use crate::error::Error;
use crate::manifest::Strategy;
use crate::source::{SourceFile, parse_yaml};
use crate::yaml::{Document, Editing, New, NewEntry, Resolved, Seg, Shape, item_name};

/// Load `text` as the registry file `<category>/<name>.yaml` would be loaded, so nothing is
/// written that the registry could not read back. `display` names the file in errors.
pub fn check(category: Category, name: &str, display: &str, text: &str) -> Result<(), Error> {
    let file = SourceFile::new(display, None, text);
    match category {
        Category::Libraries => {
            rules::library(
                Arc::clone(&file),
                name,
                parse_yaml(&file, "registry library")?,
            )?;
        }
        Category::Services => {
            rules::service(
                Arc::clone(&file),
                name,
                parse_yaml(&file, "registry service")?,
            )?;
        }
        Category::LibraryGroups | Category::ServiceGroups => {
            let kind = if category == Category::LibraryGroups {
                Kind::Library
            } else {
                Kind::Service
            };
            rules::group(
                Arc::clone(&file),
                kind,
                name,
                parse_yaml(&file, "registry group")?,
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// New files.

/// Where a library comes from in one mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LibrarySource {
    /// A release from PyPI; `version` is a PEP 440 specifier (a bare version pins it).
    Pypi {
        version: Option<String>,
    },
    Git {
        url: String,
        git_ref: Option<String>,
    },
    Local {
        path: String,
        editable: bool,
    },
}

/// What `hsm registry library add` writes.
#[derive(Debug, Clone)]
pub struct NewLibrary {
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    /// The Python distribution name, when it differs from `name`.
    pub package: Option<String>,
    pub prod: LibrarySource,
    pub dev: Option<LibrarySource>,
}

/// What `hsm registry service add` writes.
#[derive(Debug, Clone, Default)]
pub struct NewService {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    /// Build context and Dockerfile of the dev source.
    pub build: Option<(String, Option<String>)>,
    pub ports: Vec<String>,
    pub volumes: Vec<String>,
    pub env: Vec<(String, String)>,
    pub env_file: Vec<String>,
    pub prod_env_file: Vec<String>,
    pub dev_env_file: Vec<String>,
    /// `docker`, `podman` or `uv`.
    pub runtime: String,
    /// Packages of a uv-run service's own environment (`dependencies:`).
    pub dependencies: Vec<String>,
}

/// What `hsm registry group add` writes.
#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: String,
    pub kind: Kind,
    pub strategy: Strategy,
    pub description: Option<String>,
    pub comment: Option<String>,
    pub default: Option<String>,
    pub options: Vec<String>,
}

fn s(v: &str) -> New {
    New::Str(v.to_string())
}

fn null() -> New {
    New::Raw("null".to_string())
}

fn opt_str(v: Option<&str>) -> New {
    v.map_or_else(null, s)
}

fn entry(key: &str, value: New) -> NewEntry {
    NewEntry::new(key, value)
}

fn str_list(items: &[String]) -> New {
    New::Seq(items.iter().map(|i| s(i)).collect())
}

/// A file made of `entries`, in block style.
fn render(display: &str, entries: Vec<NewEntry>) -> Result<String, Error> {
    let mut doc = Document::parse(display, "")?.with_block_items();
    for e in entries {
        doc.set(&[Seg::Key(&e.key)], e.value, None)?;
    }
    Ok(doc.text().to_string())
}

fn library_source(src: &LibrarySource) -> New {
    New::Map(match src {
        LibrarySource::Pypi { version } => {
            let mut e = vec![entry("type", s("pypi"))];
            if let Some(v) = version {
                e.push(entry("version", s(v)));
            }
            e
        }
        LibrarySource::Git { url, git_ref } => {
            let mut e = vec![entry("type", s("git")), entry("url", s(url))];
            if let Some(r) = git_ref {
                e.push(entry("ref", s(r)));
            }
            e
        }
        LibrarySource::Local { path, editable } => {
            let mut e = vec![entry("type", s("local")), entry("path", s(path))];
            if *editable {
                e.push(entry("editable", New::Raw("true".into())));
            }
            e
        }
    })
}

/// `libraries/<name>.yaml`, as the original wrote it:
///
/// ```yaml
/// name: test-pkg
/// version: 1.2.3
/// description: Test description
/// type: library
/// sources:
///   prod:
///     type: git
///     url: https://github.com/test/test.git
///   dev: null
/// ```
pub fn new_library(display: &str, lib: &NewLibrary) -> Result<String, Error> {
    let mut entries = vec![
        entry("name", s(&lib.name)),
        entry("version", s(&lib.version)),
        entry("description", opt_str(lib.description.as_deref())),
    ];
    if let Some(p) = &lib.package {
        entries.push(entry("package", s(p)));
    }
    entries.push(entry("type", s("library")));
    entries.push(entry(
        "sources",
        New::Map(vec![
            entry("prod", library_source(&lib.prod)),
            entry("dev", lib.dev.as_ref().map_or_else(null, library_source)),
        ]),
    ));
    render(display, entries)
}

/// `services/<name>.yaml`, as the original wrote it (its empty keys included).
pub fn new_service(display: &str, svc: &NewService) -> Result<String, Error> {
    let mut entries = vec![entry("name", s(&svc.name))];
    if let Some(v) = &svc.version {
        entries.push(entry("version", s(v)));
    }
    entries.extend([
        entry("description", opt_str(svc.description.as_deref())),
        entry("type", s("service")),
        entry("container_name", null()),
        entry("network_aliases", New::Seq(Vec::new())),
        entry("ports", str_list(&svc.ports)),
        entry("volumes", str_list(&svc.volumes)),
        entry(
            "env",
            New::Map(svc.env.iter().map(|(k, v)| entry(k, s(v))).collect()),
        ),
        entry("env_file", str_list(&svc.env_file)),
    ]);
    let prod = svc.image.as_ref().map(|image| {
        let mut e = vec![entry("type", s("docker-image")), entry("image", s(image))];
        if !svc.prod_env_file.is_empty() {
            e.push(entry("env_file", str_list(&svc.prod_env_file)));
        }
        New::Map(e)
    });
    let dev = svc.build.as_ref().map(|(path, dockerfile)| {
        let mut e = vec![
            entry("type", s("build")),
            entry("path", s(path)),
            entry("dockerfile", opt_str(dockerfile.as_deref())),
        ];
        if !svc.dev_env_file.is_empty() {
            e.push(entry("env_file", str_list(&svc.dev_env_file)));
        }
        New::Map(e)
    });
    entries.extend([
        entry(
            "sources",
            New::Map(vec![
                entry("prod", prod.unwrap_or_else(null)),
                entry("dev", dev.unwrap_or_else(null)),
            ]),
        ),
        entry("dependencies", str_list(&svc.dependencies)),
        entry(
            "deployment_profiles",
            New::Map(vec![entry(
                "default",
                New::Map(vec![
                    entry("mode", s("managed")),
                    entry("runtime", s(&svc.runtime)),
                ]),
            )]),
        ),
    ]);
    render(display, entries)
}

/// `library_groups/<name>.yaml` or `service_groups/<name>.yaml`, as the original wrote it
/// (`description`, `comment` and `default` only when given):
///
/// ```yaml
/// name: test-group
/// type: library_group
/// strategy: 1-of-N
/// options:
///   - name: opt1
///   - name: opt2
/// ```
pub fn new_group(display: &str, group: &NewGroup) -> Result<String, Error> {
    let mut entries = vec![
        entry("name", s(&group.name)),
        entry("type", s(group_type(group.kind))),
        entry("strategy", s(&group.strategy.to_string())),
    ];
    for (key, value) in [
        ("description", &group.description),
        ("comment", &group.comment),
        ("default", &group.default),
    ] {
        if let Some(v) = value {
            entries.push(entry(key, s(v)));
        }
    }
    entries.push(entry(
        "options",
        New::Seq(
            group
                .options
                .iter()
                .map(|o| New::Map(vec![entry("name", s(o))]))
                .collect(),
        ),
    ));
    render(display, entries)
}

/// `library_group` / `service_group`.
pub fn group_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Library => "library_group",
        Kind::Service => "service_group",
    }
}

// ---------------------------------------------------------------------------------------
// Edits of existing files.

/// The value of an implication as the CLI writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImpliedValue {
    /// `service:x` / `library:x`: `{params: {k: v}}`, or `{}` without params.
    Params(IndexMap<String, String>),
    /// A group: one option (a string), several (a list), or none (`null`: the default).
    Options(Vec<String>),
}

impl ImpliedValue {
    fn to_new(&self) -> New {
        match self {
            ImpliedValue::Params(p) if p.is_empty() => New::Map(Vec::new()),
            ImpliedValue::Params(p) => New::Map(vec![entry(
                "params",
                New::Map(p.iter().map(|(k, v)| entry(k, s(v))).collect()),
            )]),
            ImpliedValue::Options(o) => match o.as_slice() {
                [] => null(),
                [one] => s(one),
                many => str_list(many),
            },
        }
    }
}

/// Whose `implies` an edit changes: the component's own (top level) or a group option's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpliesOf {
    Component,
    /// The option at this index of `options`.
    Option(usize),
}

/// A registry file being edited.
#[derive(Debug)]
pub struct FileEditor {
    doc: Document,
}

impl FileEditor {
    /// `display` names the file in errors.
    pub fn parse(display: &str, text: &str) -> Result<FileEditor, Error> {
        Ok(FileEditor {
            doc: Document::parse(display, text)?.with_block_items(),
        })
    }

    /// The text, with the byte order mark the file started with (if it had one).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        self.doc.output()
    }

    fn implies_set_inner(
        &mut self,
        of: ImpliesOf,
        key: &str,
        value: &ImpliedValue,
    ) -> Result<(), Error> {
        if let ImpliesOf::Option(i) = of {
            self.doc
                .item_to_mapping(&[Seg::Key("options"), Seg::Index(i)], "name")?;
        }
        let path = implies_path(of, Some(key));
        self.doc.set(&path, value.to_new(), None)
    }

    fn implies_remove_inner(&mut self, of: ImpliesOf, key: &str) -> Result<bool, Error> {
        if let ImpliesOf::Option(i) = of {
            let option = [Seg::Key("options"), Seg::Index(i)];
            let Resolved::Found(slot) = self.doc.resolve(&option)? else {
                return Ok(false);
            };
            if !matches!(self.doc.shape(slot.value.as_ref()), Shape::Map { .. }) {
                return Ok(false);
            }
        }
        self.doc.remove_key(&implies_path(of, Some(key)))
    }

    /// The index of option `name` in `options` (a string item or a `{name: ...}` mapping).
    pub fn option_index(&self, name: &str) -> Result<Option<usize>, Error> {
        self.doc.find_item(&[Seg::Key("options")], |n| {
            item_name(n).as_deref() == Some(name)
        })
    }

    fn option_add_inner(&mut self, name: &str, description: Option<&str>) -> Result<(), Error> {
        let path = [Seg::Key("options")];
        let all_plain = match self.doc.resolve(&path)? {
            Resolved::Found(slot) => match self.doc.shape(slot.value.as_ref()) {
                Shape::Seq { items, .. } => {
                    !items.is_empty() && items.iter().all(|i| i.as_scalar().is_some())
                }
                _ => false,
            },
            Resolved::Missing { .. } => false,
        };
        let item = if all_plain && description.is_none() {
            s(name)
        } else {
            let mut e = vec![entry("name", s(name))];
            if let Some(d) = description {
                e.push(entry("description", s(d)));
            }
            New::Map(e)
        };
        self.doc.push(&path, item)
    }

    fn option_remove_inner(&mut self, name: &str) -> Result<bool, Error> {
        let path = [Seg::Key("options")];
        match self.option_index(name)? {
            Some(i) => {
                self.doc.remove_item(&path, i)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn default_remove_inner(&mut self, name: &str) -> Result<bool, Error> {
        let path = [Seg::Key("default")];
        let Resolved::Found(slot) = self.doc.resolve(&path)? else {
            return Ok(false);
        };
        match self.doc.shape(slot.value.as_ref()) {
            Shape::Scalar(v) if v == name => self.doc.remove_key(&path),
            Shape::Seq { .. } => {
                let mut changed = false;
                while let Some(i) = self.doc.find_item(&path, |n| {
                    crate::yaml::scalar_string(n).as_deref() == Some(name)
                })? {
                    self.doc.remove_item(&path, i)?;
                    changed = true;
                }
                Ok(changed)
            }
            _ => Ok(false),
        }
    }

    /// Set `implies.<key>` (creating `implies`), replacing any value it had.
    ///
    /// One step: an error leaves the text as it was.
    pub fn implies_set(
        &mut self,
        of: ImpliesOf,
        key: &str,
        value: &ImpliedValue,
    ) -> Result<(), Error> {
        self.atomic(|e| e.implies_set_inner(of, key, value))
    }

    /// Remove `implies.<key>`; false if it is not there.
    ///
    /// One step: an error leaves the text as it was.
    pub fn implies_remove(&mut self, of: ImpliesOf, key: &str) -> Result<bool, Error> {
        self.atomic(|e| e.implies_remove_inner(of, key))
    }

    /// Append option `name` to `options`: a plain name in a list of plain names, else
    /// `{name, description}` (block style in a block list).
    ///
    /// One step: an error leaves the text as it was.
    pub fn option_add(&mut self, name: &str, description: Option<&str>) -> Result<(), Error> {
        self.atomic(|e| e.option_add_inner(name, description))
    }

    /// Remove option `name`; false if there is none.
    ///
    /// One step: an error leaves the text as it was.
    pub fn option_remove(&mut self, name: &str) -> Result<bool, Error> {
        self.atomic(|e| e.option_remove_inner(name))
    }

    /// Take `name` out of the group's `default`: a string default equal to it loses the
    /// key, a list loses the item. False if it was not a default.
    ///
    /// One step: an error leaves the text as it was.
    pub fn default_remove(&mut self, name: &str) -> Result<bool, Error> {
        self.atomic(|e| e.default_remove_inner(name))
    }
}

fn implies_path(of: ImpliesOf, key: Option<&str>) -> Vec<Seg<'_>> {
    let mut path = match of {
        ImpliesOf::Component => vec![],
        ImpliesOf::Option(i) => vec![Seg::Key("options"), Seg::Index(i)],
    };
    path.push(Seg::Key("implies"));
    if let Some(k) = key {
        path.push(Seg::Key(k));
    }
    path
}

impl Editing for FileEditor {
    fn document(&mut self) -> &mut Document {
        &mut self.doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ImpliedValue {
        ImpliedValue::Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn new_files_have_the_originals_shapes_and_load() {
        let lib = NewLibrary {
            name: "test-pkg".into(),
            version: "1.2.3".into(),
            description: Some("Test description".into()),
            package: None,
            prod: LibrarySource::Git {
                url: "https://github.com/test/test.git".into(),
                git_ref: None,
            },
            dev: None,
        };
        let text = new_library("x", &lib).unwrap();
        assert_eq!(
            text,
            "name: test-pkg\nversion: 1.2.3\ndescription: Test description\ntype: library\n\
             sources:\n  prod:\n    type: git\n    url: https://github.com/test/test.git\n  dev: null\n"
        );
        check(Category::Libraries, "test-pkg", "x", &text).unwrap();

        let svc = NewService {
            name: "web-server".into(),
            image: Some("nginx:latest".into()),
            ports: vec!["8080:80".into()],
            env: vec![("DEBUG".into(), "true".into())],
            runtime: "docker".into(),
            ..NewService::default()
        };
        let text = new_service("x", &svc).unwrap();
        assert_eq!(
            text,
            "name: web-server\ndescription: null\ntype: service\ncontainer_name: null\n\
             network_aliases: []\nports:\n  - \"8080:80\"\nvolumes: []\nenv:\n  DEBUG: \"true\"\n\
             env_file: []\nsources:\n  prod:\n    type: docker-image\n    image: nginx:latest\n\
             \x20 dev: null\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n\
             \x20   runtime: docker\n"
        );
        check(Category::Services, "web-server", "x", &text).unwrap();

        let group = NewGroup {
            name: "test-group".into(),
            kind: Kind::Library,
            strategy: Strategy::OneOfN,
            description: None,
            comment: None,
            default: None,
            options: vec!["opt1".into(), "opt2".into()],
        };
        let text = new_group("x", &group).unwrap();
        assert_eq!(
            text,
            "name: test-group\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - name: opt1\n  - name: opt2\n"
        );
        check(Category::LibraryGroups, "test-group", "x", &text).unwrap();
    }

    #[test]
    fn implications_are_written_like_the_originals() {
        let mut e = FileEditor::parse("x", "name: auth\nversion: 1.0.0\n").unwrap();
        e.implies_set(
            ImpliesOf::Component,
            "service:postgres",
            &params(&[("db_name", "auth_db")]),
        )
        .unwrap();
        e.implies_set(
            ImpliesOf::Component,
            "library_group:server",
            &ImpliedValue::Options(vec!["uvicorn".into()]),
        )
        .unwrap();
        assert_eq!(
            e.text(),
            "name: auth\nversion: 1.0.0\nimplies:\n  service:postgres:\n    params:\n      db_name: auth_db\n  library_group:server: uvicorn\n"
        );
        assert!(
            e.implies_remove(ImpliesOf::Component, "service:postgres")
                .unwrap()
        );
        assert!(!e.implies_remove(ImpliesOf::Component, "service:x").unwrap());
        assert_eq!(
            e.text(),
            "name: auth\nversion: 1.0.0\nimplies:\n  library_group:server: uvicorn\n"
        );
    }

    #[test]
    fn options_in_every_form() {
        // Plain names stay plain; an implication turns an option into a mapping.
        let mut e =
            FileEditor::parse("x", "name: g\noptions:\n  - a   # first\n  - b\n# end\n").unwrap();
        e.option_add("c", None).unwrap();
        assert_eq!(
            e.text(),
            "name: g\noptions:\n  - a   # first\n  - b\n  - c\n# end\n"
        );
        e.implies_set(
            ImpliesOf::Option(0),
            "service:x",
            &ImpliedValue::Params(IndexMap::new()),
        )
        .unwrap();
        assert_eq!(
            e.text(),
            "name: g\noptions:\n  - name: a   # first\n    implies:\n      service:x: {}\n  - b\n  - c\n# end\n"
        );
        e.option_add("d", Some("the d")).unwrap();
        assert!(
            e.text()
                .ends_with("  - c\n  - name: d\n    description: the d\n# end\n")
        );
        assert_eq!(e.option_index("d").unwrap(), Some(3));
        assert!(e.option_remove("a").unwrap());
        assert!(!e.option_remove("zz").unwrap());
        assert_eq!(
            e.text(),
            "name: g\noptions:\n  - b\n  - c\n  - name: d\n    description: the d\n# end\n"
        );

        // Flow lists stay flow.
        let mut e = FileEditor::parse("x", "options: [a, {name: b}]\n").unwrap();
        e.implies_set(
            ImpliesOf::Option(0),
            "service_group:db",
            &ImpliedValue::Options(vec!["p".into(), "q".into()]),
        )
        .unwrap();
        assert_eq!(
            e.text(),
            "options: [{name: a, implies: {service_group:db: [p, q]}}, {name: b}]\n"
        );
        e.option_add("c", None).unwrap();
        assert_eq!(
            e.text(),
            "options: [{name: a, implies: {service_group:db: [p, q]}}, {name: b}, {name: c}]\n"
        );
    }

    #[test]
    fn defaults_follow_removed_options() {
        let mut e = FileEditor::parse("x", "default: a  # the usual\noptions: [a, b]\n").unwrap();
        assert!(!e.default_remove("b").unwrap());
        assert!(e.default_remove("a").unwrap());
        assert_eq!(e.text(), "options: [a, b]\n");
        let mut e = FileEditor::parse("x", "default: [a, b]\n").unwrap();
        assert!(e.default_remove("a").unwrap());
        assert_eq!(e.text(), "default: [b]\n");
    }
}
