//! Lossless edits of `hsm.yaml` text.
//!
//! The CLI changes hsm.yaml the way the original hsm's commands did (`group add`,
//! `add-option`, `remove-option`, `library add/remove`, `mode`, ...), but everything it does
//! not edit must survive byte for byte: comments, key order, quoting, blank lines. The
//! splicing itself is [`crate::yaml`]'s; this module says what each command changes.

use super::{Kind, MANIFEST_FILE, Mode, Strategy};
use crate::error::Error;
use crate::yaml::{
    Document, Editing, New, NewEntry, Resolved, Seg, Shape, item_name, scalar_string,
};

/// hsm.yaml text being edited. Every method leaves the text valid YAML.
#[derive(Debug)]
pub struct Editor {
    doc: Document,
}

/// The document `hsm init` writes: the original hsm's default V2 document with a header,
/// written by the one block writer (so the name is quoted by the one policy).
pub fn initial_document(name: &str) -> String {
    let section = |first: Option<NewEntry>| {
        let mut entries: Vec<NewEntry> = first.into_iter().collect();
        entries.push(NewEntry::new("groups", New::map()));
        entries.push(NewEntry::new("standalone", New::Seq(Vec::new())));
        New::Map(entries)
    };
    let mut project = NewEntry::new(
        "project",
        New::Map(vec![
            NewEntry::new("name", New::str(name)),
            NewEntry::new("version", New::str("0.1.0")),
        ]),
    );
    project.comment = Some(
        "hsm.yaml: the libraries and services this project is made of.\n\
         Edit it by hand or with hsm's commands; comments and layout are kept."
            .to_string(),
    );
    let manager = NewEntry::new("package_manager", New::str("uv"));
    crate::yaml::write::to_string(&New::Map(vec![
        project,
        NewEntry::new("libraries", section(Some(manager))),
        NewEntry::new("services", section(None)),
    ]))
}

impl Editor {
    pub fn parse(text: &str) -> Result<Editor, Error> {
        Ok(Editor {
            doc: Document::parse(MANIFEST_FILE, text)?,
        })
    }

    /// The text, with the byte order mark the file started with (if it had one).
    pub fn to_text(&self) -> String {
        self.doc.output().into_owned()
    }

    fn group_select_inner(
        &mut self,
        section: Kind,
        group: &str,
        strategy: Strategy,
        option: &str,
        comment: Option<&str>,
    ) -> Result<(), Error> {
        let group_path = [
            Seg::Key(section.plural()),
            Seg::Key("groups"),
            Seg::Key(group),
        ];
        let selection = match strategy {
            Strategy::OneOfN => New::Str(option.to_string()),
            Strategy::ManyOfN => New::Seq(vec![New::Str(option.to_string())]),
        };
        let new_group = New::Map(vec![
            NewEntry::new("strategy", New::Str(strategy.to_string())),
            NewEntry::new("selection", selection),
        ]);
        let existing = match self.doc.resolve(&group_path)? {
            Resolved::Missing { .. } => {
                return self
                    .doc
                    .set(&group_path, new_group, comment.map(str::to_string));
            }
            Resolved::Found(slot) => slot,
        };
        match self.doc.shape(existing.value.as_ref()) {
            Shape::Missing | Shape::Null => return self.doc.set_value(&existing, new_group),
            Shape::Map { entries, .. } if entries.is_empty() => {
                return self.doc.set_value(&existing, new_group);
            }
            Shape::Map { .. } => {}
            other => {
                return Err(self
                    .doc
                    .shape_error(&group_path, &existing, &other, "a mapping"));
            }
        }

        let sel_path = [
            Seg::Key(section.plural()),
            Seg::Key("groups"),
            Seg::Key(group),
            Seg::Key("selection"),
        ];
        if strategy == Strategy::OneOfN {
            return self.doc.set(&sel_path, New::Str(option.to_string()), None);
        }
        let slot = match self.doc.resolve(&sel_path)? {
            Resolved::Missing { .. } => {
                return self.doc.set(
                    &sel_path,
                    New::Seq(vec![New::Str(option.to_string())]),
                    None,
                );
            }
            Resolved::Found(slot) => slot,
        };
        match self.doc.shape(slot.value.as_ref()) {
            Shape::Missing | Shape::Null => self
                .doc
                .set_value(&slot, New::Seq(vec![New::Str(option.to_string())])),
            Shape::Scalar(s) if s == option => Ok(()),
            Shape::Scalar(_) => {
                let original = self.doc.text()[self.doc.value_range(&slot)].to_string();
                self.doc.set_value(
                    &slot,
                    New::Seq(vec![New::Raw(original), New::Str(option.to_string())]),
                )
            }
            Shape::Seq { items, .. } => {
                if items
                    .iter()
                    .any(|i| scalar_string(i).as_deref() == Some(option))
                {
                    Ok(())
                } else {
                    self.doc.push(&sel_path, New::Str(option.to_string()))
                }
            }
            other => {
                Err(self
                    .doc
                    .shape_error(&sel_path, &slot, &other, "an option name or a list"))
            }
        }
    }

    fn group_unselect_inner(
        &mut self,
        section: Kind,
        group: &str,
        option: &str,
    ) -> Result<bool, Error> {
        let sel_path = [
            Seg::Key(section.plural()),
            Seg::Key("groups"),
            Seg::Key(group),
            Seg::Key("selection"),
        ];
        let slot = match self.doc.resolve(&sel_path)? {
            Resolved::Missing { .. } => return Ok(false),
            Resolved::Found(slot) => slot,
        };
        match self.doc.shape(slot.value.as_ref()) {
            Shape::Scalar(s) if s == option => self.group_remove_inner(section, group),
            Shape::Seq { .. } => {
                let mut changed = false;
                while let Some(index) = self
                    .doc
                    .find_item(&sel_path, |n| scalar_string(n).as_deref() == Some(option))?
                {
                    self.doc.remove_item(&sel_path, index)?;
                    changed = true;
                }
                Ok(changed)
            }
            other @ (Shape::Map { .. } | Shape::Other { .. }) => {
                Err(self
                    .doc
                    .shape_error(&sel_path, &slot, &other, "an option name or a list"))
            }
            Shape::Missing | Shape::Null | Shape::Scalar(_) => Ok(false),
        }
    }

    fn group_remove_inner(&mut self, section: Kind, group: &str) -> Result<bool, Error> {
        self.doc.remove_key(&[
            Seg::Key(section.plural()),
            Seg::Key("groups"),
            Seg::Key(group),
        ])
    }

    fn group_set_profile_inner(
        &mut self,
        section: Kind,
        group: &str,
        profile: &str,
    ) -> Result<(), Error> {
        self.doc.set(
            &[
                Seg::Key(section.plural()),
                Seg::Key("groups"),
                Seg::Key(group),
                Seg::Key("profile"),
            ],
            New::Str(profile.to_string()),
            None,
        )
    }

    fn standalone_add_inner(
        &mut self,
        section: Kind,
        name: &str,
        profile: Option<&str>,
    ) -> Result<bool, Error> {
        let path = [Seg::Key(section.plural()), Seg::Key("standalone")];
        if self
            .doc
            .find_item(&path, |n| item_name(n).as_deref() == Some(name))?
            .is_some()
        {
            return Ok(false);
        }
        let item = match profile {
            None => New::Str(name.to_string()),
            Some(p) => New::Map(vec![
                NewEntry::new("name", New::Str(name.to_string())),
                NewEntry::new("profile", New::Str(p.to_string())),
            ]),
        };
        self.doc.push(&path, item)?;
        Ok(true)
    }

    fn standalone_remove_inner(&mut self, section: Kind, name: &str) -> Result<bool, Error> {
        let path = [Seg::Key(section.plural()), Seg::Key("standalone")];
        let mut changed = false;
        while let Some(index) = self
            .doc
            .find_item(&path, |n| item_name(n).as_deref() == Some(name))?
        {
            self.doc.remove_item(&path, index)?;
            changed = true;
        }
        Ok(changed)
    }

    fn set_mode_inner(&mut self, name: &str, mode: Mode) -> Result<(), Error> {
        for section in [Kind::Library, Kind::Service] {
            let path = [Seg::Key(section.plural()), Seg::Key("standalone")];
            if self
                .doc
                .find_item(&path, |n| item_name(n).as_deref() == Some(name))?
                .is_some()
            {
                return self.standalone_set_key(section, name, "mode", &mode.to_string());
            }
        }
        self.doc.set(
            &[Seg::Key("modes"), Seg::Key(name)],
            New::Str(mode.to_string()),
            None,
        )
    }

    /// Set `key: value` in the first standalone entry named `name` of `section` (a plain
    /// string entry becomes `{name: X, key: value}`).
    fn standalone_set_key(
        &mut self,
        section: Kind,
        name: &str,
        key: &str,
        value: &str,
    ) -> Result<(), Error> {
        let path = [Seg::Key(section.plural()), Seg::Key("standalone")];
        let Some(index) = self
            .doc
            .find_item(&path, |n| item_name(n).as_deref() == Some(name))?
        else {
            return Err(self.doc.bug("a standalone entry vanished"));
        };
        let item_path = [
            Seg::Key(section.plural()),
            Seg::Key("standalone"),
            Seg::Index(index),
        ];
        let Resolved::Found(slot) = self.doc.resolve(&item_path)? else {
            return Err(self.doc.bug("a standalone entry vanished"));
        };
        match self.doc.shape(slot.value.as_ref()) {
            Shape::Map { .. } => {
                let key_path = [
                    Seg::Key(section.plural()),
                    Seg::Key("standalone"),
                    Seg::Index(index),
                    Seg::Key(key),
                ];
                self.doc.set(&key_path, New::Str(value.to_string()), None)
            }
            _ => {
                let original = self.doc.item_text(&slot);
                self.doc.replace_item(
                    &slot,
                    &New::Map(vec![
                        NewEntry::new("name", New::Raw(original)),
                        NewEntry::new(key, New::Str(value.to_string())),
                    ]),
                )
            }
        }
    }

    fn set_project_name_inner(&mut self, name: &str) -> Result<(), Error> {
        self.doc.set(
            &[Seg::Key("project"), Seg::Key("name")],
            New::Str(name.to_string()),
            None,
        )
    }

    /// Select `option` in `<section>.groups.<group>`.
    ///
    /// 1-of-N: `selection: option`, replacing what was there. M-of-N: `option` is added to
    /// the list (a missing or null selection becomes a one-item list, a string selection a
    /// list of the string and `option`). A missing group is created as
    /// `{strategy, selection}`, with `comment` (if any) as a comment line above its key; an
    /// existing group keeps its other keys (`mode`, `profile`, its `strategy`). A comment
    /// cannot be written inside a one-line flow mapping (`groups: {a: ...}`) and is then left
    /// out.
    ///
    /// One step: an error leaves the text as it was.
    pub fn group_select(
        &mut self,
        section: Kind,
        group: &str,
        strategy: Strategy,
        option: &str,
        comment: Option<&str>,
    ) -> Result<(), Error> {
        self.atomic(|e| e.group_select_inner(section, group, strategy, option, comment))
    }

    /// Deselect `option` in `<section>.groups.<group>`, as the original's `remove-option`:
    /// a list selection loses the item (and may become `[]`); a string selection equal to
    /// `option` removes the whole group entry. Returns false if nothing changed.
    ///
    /// One step: an error leaves the text as it was.
    pub fn group_unselect(
        &mut self,
        section: Kind,
        group: &str,
        option: &str,
    ) -> Result<bool, Error> {
        self.atomic(|e| e.group_unselect_inner(section, group, option))
    }

    /// Remove `<section>.groups.<group>` (and the comment lines directly above its key).
    /// Returns false if there was no such group.
    ///
    /// One step: an error leaves the text as it was.
    pub fn group_remove(&mut self, section: Kind, group: &str) -> Result<bool, Error> {
        self.atomic(|e| e.group_remove_inner(section, group))
    }

    /// Set the deployment profile of `<section>.groups.<group>` (`profile: P`), keeping the
    /// group's other keys; a missing group is created holding only the profile.
    ///
    /// One step: an error leaves the text as it was.
    pub fn group_set_profile(
        &mut self,
        section: Kind,
        group: &str,
        profile: &str,
    ) -> Result<(), Error> {
        self.atomic(|e| e.group_set_profile_inner(section, group, profile))
    }

    /// Append `name` to `<section>.standalone`: a plain string, or `{name, profile}` with a
    /// profile. Returns false (and changes nothing) if an entry of that name exists already,
    /// in either form.
    ///
    /// One step: an error leaves the text as it was.
    pub fn standalone_add(
        &mut self,
        section: Kind,
        name: &str,
        profile: Option<&str>,
    ) -> Result<bool, Error> {
        self.atomic(|e| e.standalone_add_inner(section, name, profile))
    }

    /// Remove every `<section>.standalone` entry named `name`, in either form (a string or a
    /// `{name: ...}` mapping). Returns false if there was none.
    ///
    /// One step: an error leaves the text as it was.
    pub fn standalone_remove(&mut self, section: Kind, name: &str) -> Result<bool, Error> {
        self.atomic(|e| e.standalone_remove_inner(section, name))
    }

    /// Run service (or library) `name` with deployment profile `profile`: its standalone
    /// entry gets `profile: P` (a plain string entry becomes `{name: X, profile: P}`); with
    /// no standalone entry, `{name: X, profile: P}` is appended. This is what
    /// `hsm service add X --profile P` does.
    ///
    /// One step: an error leaves the text as it was.
    pub fn standalone_set_profile(
        &mut self,
        section: Kind,
        name: &str,
        profile: &str,
    ) -> Result<(), Error> {
        self.atomic(|e| {
            if e.standalone_add_inner(section, name, Some(profile))? {
                return Ok(());
            }
            e.standalone_set_key(section, name, "profile", profile)
        })
    }

    /// Delete `constraints.<name>`. Returns false if there was none.
    ///
    /// One step: an error leaves the text as it was.
    pub fn constraint_remove(&mut self, name: &str) -> Result<bool, Error> {
        self.atomic(|e| e.doc.remove_key(&[Seg::Key("constraints"), Seg::Key(name)]))
    }

    /// Set a component's mode, as the original's `set_mode` for a component: the first
    /// standalone entry of that name (libraries, then services) gets it (a plain string
    /// entry becomes `{name: X, mode: M}`); otherwise `modes.<name>: M`.
    ///
    /// One step: an error leaves the text as it was.
    pub fn set_mode(&mut self, name: &str, mode: Mode) -> Result<(), Error> {
        self.atomic(|e| e.set_mode_inner(name, mode))
    }

    /// Set `libraries.package_manager` (`hsm python-manager set`).
    ///
    /// One step: an error leaves the text as it was.
    pub fn set_package_manager(&mut self, name: &str) -> Result<(), Error> {
        self.atomic(|e| {
            e.doc.set(
                &[Seg::Key("libraries"), Seg::Key("package_manager")],
                New::Str(name.to_string()),
                None,
            )
        })
    }

    /// Set the top-level `registry:` (`hsm registry path set`).
    ///
    /// One step: an error leaves the text as it was.
    pub fn set_registry(&mut self, path: &str) -> Result<(), Error> {
        self.atomic(|e| {
            e.doc
                .set(&[Seg::Key("registry")], New::Str(path.to_string()), None)
        })
    }

    /// Set `registries:` (registries searched in order, the built-in one last).
    pub fn set_registries(&mut self, layers: &[&str]) -> Result<(), Error> {
        let items = layers.iter().map(|l| New::Str((*l).to_string())).collect();
        self.atomic(|e| e.doc.set(&[Seg::Key("registries")], New::Seq(items), None))
    }

    /// Set `project.name`.
    ///
    /// One step: an error leaves the text as it was.
    pub fn set_project_name(&mut self, name: &str) -> Result<(), Error> {
        self.atomic(|e| e.set_project_name_inner(name))
    }
}

impl Editing for Editor {
    fn document(&mut self) -> &mut Document {
        &mut self.doc
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::error::ErrorKind;
    use crate::manifest::{Manifest, ManifestFile, Selection, Standalone};

    const LIB: Kind = Kind::Library;
    const SVC: Kind = Kind::Service;

    /// A hand-written file: comments (own-line, trailing, above entries), blank lines, odd
    /// quoting, flow and block collections, and both standalone forms.
    const RICH: &str = concat!(
        "# My project, written by hand.\n",
        "project:\n",
        "  name: \"rag-app\"   # quoted on purpose\n",
        "  version: '0.1.0'\n",
        "\n",
        "libraries:\n",
        "  package_manager: uv\n",
        "  groups:\n",
        "    # Vector DB clients\n",
        "    vector-db:\n",
        "      strategy: 1-of-N\n",
        "      selection: qdrant-adapter  # chosen in 2024\n",
        "      mode: dev\n",
        "\n",
        "    frameworks: {strategy: M-of-N, selection: [fastapi, \"flask\"]}\n",
        "    llm:\n",
        "      strategy: M-of-N\n",
        "      selection: openai\n",
        "  standalone:\n",
        "    - langchain-core   # core\n",
        "    # utilities\n",
        "    - {name: my-utils, mode: dev}\n",
        "    - name: \"pinned\"\n",
        "      profile: x\n",
        "\n",
        "services:\n",
        "  groups:\n",
        "    infra:\n",
        "      strategy: M-of-N\n",
        "      selection:\n",
        "        - postgres\n",
        "        - redis   # cache\n",
        "      profile: default\n",
        "  standalone: [minio, 'etcd']\n",
        "\n",
        "modes:\n",
        "  qdrant-adapter: dev\n",
        "# end\n",
    );

    fn model(text: &str) -> Manifest {
        Manifest::from_text("hsm.yaml", Path::new("/p"), text)
            .unwrap_or_else(|e| panic!("edited text does not load: {}\n{text}", e.message))
    }

    /// Apply `f` to `text`; the result must still load as a manifest.
    fn edit<T: std::fmt::Debug>(
        text: &str,
        f: impl FnOnce(&mut Editor) -> Result<T, Error>,
    ) -> (String, T) {
        let mut editor = Editor::parse(text).unwrap();
        let out = f(&mut editor).unwrap();
        let after = editor.to_text();
        model(&after);
        (after, out)
    }

    /// The smallest differing middle of `before` and `after`: everything outside it is
    /// byte-identical.
    fn window<'a>(before: &'a str, after: &'a str) -> (&'a str, &'a str) {
        let prefix = before
            .bytes()
            .zip(after.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        let room = before.len().min(after.len()) - prefix;
        let suffix = before
            .bytes()
            .rev()
            .zip(after.bytes().rev())
            .take(room)
            .take_while(|(a, b)| a == b)
            .count();
        (
            &before[prefix..before.len() - suffix],
            &after[prefix..after.len() - suffix],
        )
    }

    /// `text` edited by `f` differs from `text` only by `old` becoming `new`.
    #[track_caller]
    fn assert_edit<T: std::fmt::Debug>(
        text: &str,
        f: impl FnOnce(&mut Editor) -> Result<T, Error>,
        old: &str,
        new: &str,
    ) -> String {
        let (after, _) = edit(text, f);
        assert_eq!(window(text, &after), (old, new), "whole text:\n{after}");
        after
    }

    #[test]
    fn initial_document_is_the_original_default() {
        let text = initial_document("demo");
        assert_eq!(
            text,
            concat!(
                "# hsm.yaml: the libraries and services this project is made of.\n",
                "# Edit it by hand or with hsm's commands; comments and layout are kept.\n",
                "project:\n",
                "  name: demo\n",
                "  version: 0.1.0\n",
                "libraries:\n",
                "  package_manager: uv\n",
                "  groups: {}\n",
                "  standalone: []\n",
                "services:\n",
                "  groups: {}\n",
                "  standalone: []\n",
            )
        );
        let m = model(&text);
        assert_eq!(m.data.project.name.as_deref(), Some("demo"));
        assert_eq!(m.data.project.version.as_deref(), Some("0.1.0"));
        assert_eq!(m.data.libraries.package_manager.as_deref(), Some("uv"));
        assert!(initial_document("1.10").contains("  name: \"1.10\"\n"));
        assert_eq!(
            model(&initial_document("on")).data.project.name.as_deref(),
            Some("on")
        );
    }

    /// A group's registry `comment` can hold any character; none of it may become YAML.
    #[test]
    fn a_comment_with_line_breaks_and_controls_stays_a_comment() {
        for comment in [
            "x\r    extra: {strategy: 1-of-N, selection: redis}",
            "a\u{2028}b: 1\u{85}c: 2\u{2029}d: 3",
            "nul\0bell\u{7}",
            "crlf\r\nnext",
        ] {
            let (text, _) = edit("libraries:\n  groups: {}\n", |e| {
                e.group_select(LIB, "g", Strategy::OneOfN, "o", Some(comment))
            });
            let m = model(&text);
            assert!(!text.contains("extra:\n") && !text.contains('\0'), "{text}");
            let groups = &m.data.libraries.groups;
            assert_eq!(groups.len(), 1, "{comment:?} added a group:\n{text}");
        }
    }

    /// fuzz/corpus/edit_manifest/block-scalar-at-key-indent.yaml: `group_unselect` removed
    /// an item, then a later step failed, and the removal stayed. An edit is one step now.
    #[test]
    fn a_failed_edit_changes_nothing() {
        let text = "libraries:\n  standalone: [a, b]\n  groups:\n    g: {selection: [o, p]}\nservices: [x]\n";
        let mut e = Editor::parse(text).unwrap();
        let err = e
            .atomic(|e| {
                assert!(e.group_unselect_inner(LIB, "g", "o")?);
                assert!(e.standalone_remove_inner(LIB, "a")?);
                e.group_select_inner(SVC, "g", Strategy::OneOfN, "x", None)
            })
            .unwrap_err();
        assert_eq!(
            err.message,
            "cannot edit hsm.yaml: `services` is a list, expected a mapping"
        );
        assert_eq!(e.to_text(), text);
        // The editor goes on from the text as it was.
        assert!(e.group_unselect(LIB, "g", "p").unwrap());
        assert_eq!(
            e.to_text(),
            "libraries:\n  standalone: [a, b]\n  groups:\n    g: {selection: [o]}\nservices: [x]\n"
        );
    }

    #[test]
    fn sections_are_created_in_an_empty_document() {
        let (text, _) = edit("", |e| {
            e.group_select(
                LIB,
                "vector-db",
                Strategy::OneOfN,
                "qdrant",
                Some("Vector DBs"),
            )?;
            e.group_select(SVC, "infra", Strategy::ManyOfN, "postgres", None)?;
            e.standalone_add(LIB, "langchain", None)?;
            e.standalone_add(SVC, "redis", Some("ext"))?;
            e.set_mode("qdrant", Mode::Dev)?;
            e.set_project_name("demo")
        });
        assert_eq!(
            text,
            concat!(
                "libraries:\n",
                "  groups:\n",
                "    # Vector DBs\n",
                "    vector-db:\n",
                "      strategy: 1-of-N\n",
                "      selection: qdrant\n",
                "  standalone:\n",
                "    - langchain\n",
                "services:\n",
                "  groups:\n",
                "    infra:\n",
                "      strategy: M-of-N\n",
                "      selection:\n",
                "        - postgres\n",
                "  standalone:\n",
                "    - {name: redis, profile: ext}\n",
                "modes:\n",
                "  qdrant: dev\n",
                "project:\n",
                "  name: demo\n",
            )
        );
        let m = model(&text);
        assert_eq!(
            m.data.services.groups["infra"].selection,
            Selection::Many(vec!["postgres".into()])
        );
        assert_eq!(m.profile_of("redis").map(|p| p.0), Some("ext"));
        assert_eq!(m.mode_of("qdrant"), Mode::Dev);

        // A document of comments only keeps them, and `---` / `{}` / `~` documents work.
        let (text, _) = edit("# just a comment\n", |e| e.set_mode("a", Mode::Dev));
        assert_eq!(text, "# just a comment\nmodes:\n  a: dev\n");
        let (text, _) = edit("---\n", |e| e.set_mode("a", Mode::Dev));
        assert_eq!(text, "---\nmodes:\n  a: dev\n");
        let (text, _) = edit("{}\n", |e| e.set_mode("a", Mode::Dev));
        assert_eq!(text, "modes:\n  a: dev\n");
        let (text, _) = edit("~  # nothing yet\n", |e| e.set_mode("a", Mode::Dev));
        assert_eq!(text, "modes:\n  a: dev  # nothing yet\n");
    }

    #[test]
    fn the_initial_documents_flow_collections_become_block_style() {
        let init = initial_document("demo");
        let (text, _) = edit(&init, |e| {
            e.group_select(
                LIB,
                "vector-db",
                Strategy::OneOfN,
                "qdrant",
                Some("Vector DBs"),
            )?;
            e.standalone_add(LIB, "langchain", None)?;
            e.standalone_add(LIB, "numpy", None)?;
            e.group_select(SVC, "infra", Strategy::ManyOfN, "postgres", None)?;
            e.group_select(SVC, "infra", Strategy::ManyOfN, "redis", None)?;
            e.standalone_add(SVC, "minio", Some("1.10"))?;
            e.set_mode("langchain", Mode::Dev)
        });
        assert_eq!(
            text,
            concat!(
                "# hsm.yaml: the libraries and services this project is made of.\n",
                "# Edit it by hand or with hsm's commands; comments and layout are kept.\n",
                "project:\n",
                "  name: demo\n",
                "  version: 0.1.0\n",
                "libraries:\n",
                "  package_manager: uv\n",
                "  groups:\n",
                "    # Vector DBs\n",
                "    vector-db:\n",
                "      strategy: 1-of-N\n",
                "      selection: qdrant\n",
                "  standalone:\n",
                "    - {name: langchain, mode: dev}\n",
                "    - numpy\n",
                "services:\n",
                "  groups:\n",
                "    infra:\n",
                "      strategy: M-of-N\n",
                "      selection:\n",
                "        - postgres\n",
                "        - redis\n",
                "  standalone:\n",
                "    - {name: minio, profile: \"1.10\"}\n",
            )
        );
        // A flow collection that is emptied again goes back to `{}` / `[]`.
        let (back, _) = edit(&text, |e| {
            e.group_remove(LIB, "vector-db")?;
            e.standalone_remove(LIB, "langchain")?;
            e.standalone_remove(LIB, "numpy")?;
            e.group_remove(SVC, "infra")?;
            e.standalone_remove(SVC, "minio")
        });
        assert_eq!(back, init);
    }

    #[test]
    fn one_of_n_replaces_the_selection() {
        // A string: only the value changes, its trailing comment stays.
        assert_edit(
            RICH,
            |e| e.group_select(LIB, "vector-db", Strategy::OneOfN, "chroma", None),
            "qdrant-adapter",
            "chroma",
        );
        // A block list becomes a string; the group's `profile` stays.
        let after = assert_edit(
            RICH,
            |e| e.group_select(SVC, "infra", Strategy::OneOfN, "pg", None),
            "\n        - postgres\n        - redis   # cache",
            " pg",
        );
        assert!(after.contains("      selection: pg\n      profile: default\n"));
        // Selecting what is selected changes nothing, not even quoting.
        let text = "libraries:\n  groups:\n    g: {selection: \"a\"}\n";
        assert_edit(
            text,
            |e| e.group_select(LIB, "g", Strategy::OneOfN, "a", None),
            "",
            "",
        );
        // A flow list in a flow group.
        assert_edit(
            RICH,
            |e| e.group_select(LIB, "frameworks", Strategy::OneOfN, "1.10", None),
            "[fastapi, \"flask\"]",
            "\"1.10\"",
        );
    }

    #[test]
    fn many_of_n_adds_to_the_selection() {
        // A string becomes a block list that keeps the string as written.
        let after = assert_edit(
            RICH,
            |e| e.group_select(LIB, "llm", Strategy::ManyOfN, "anthropic", None),
            " openai",
            "\n        - openai\n        - anthropic",
        );
        assert_eq!(
            model(&after).data.libraries.groups["llm"].selection,
            Selection::Many(vec!["openai".into(), "anthropic".into()])
        );
        // A flow list inside a flow group stays flow.
        assert_edit(
            RICH,
            |e| e.group_select(LIB, "frameworks", Strategy::ManyOfN, "django", None),
            "",
            ", django",
        );
        // A block list gets a line after its last item (and that item's comment).
        assert_edit(
            RICH,
            |e| e.group_select(SVC, "infra", Strategy::ManyOfN, "minio", None),
            "",
            "  - minio\n      ",
        );
        // Already selected: nothing changes.
        assert_edit(
            RICH,
            |e| e.group_select(SVC, "infra", Strategy::ManyOfN, "redis", None),
            "",
            "",
        );
        assert_edit(
            RICH,
            |e| e.group_select(LIB, "llm", Strategy::ManyOfN, "openai", None),
            "",
            "",
        );
        // Empty, null and missing selections.
        let text = concat!(
            "services:\n",
            "  groups:\n",
            "    a:\n",
            "      selection: []   # none yet\n",
            "    b:\n",
            "      selection:\n",
            "    c:\n",
            "      strategy: M-of-N\n",
            "    d: {strategy: M-of-N, selection: \"x\"}\n",
        );
        let (after, _) = edit(text, |e| {
            e.group_select(SVC, "a", Strategy::ManyOfN, "pg", None)?;
            e.group_select(SVC, "b", Strategy::ManyOfN, "pg", None)?;
            e.group_select(SVC, "c", Strategy::ManyOfN, "pg", None)?;
            e.group_select(SVC, "d", Strategy::ManyOfN, "pg", None)
        });
        assert_eq!(
            after,
            concat!(
                "services:\n",
                "  groups:\n",
                "    a:\n",
                "      selection:   # none yet\n",
                "        - pg\n",
                "    b:\n",
                "      selection:\n",
                "        - pg\n",
                "    c:\n",
                "      strategy: M-of-N\n",
                "      selection:\n",
                "        - pg\n",
                "    d: {strategy: M-of-N, selection: [\"x\", pg]}\n",
            )
        );
    }

    #[test]
    fn a_new_group_gets_its_comment_above_its_key() {
        let after = assert_edit(
            RICH,
            |e| {
                e.group_select(
                    LIB,
                    "web",
                    Strategy::OneOfN,
                    "yes",
                    Some("Web frameworks\n\npick one"),
                )
            },
            "",
            concat!(
                "  # Web frameworks\n",
                "    #\n",
                "    # pick one\n",
                "    web:\n",
                "      strategy: 1-of-N\n",
                "      selection: \"yes\"\n",
                "  ",
            ),
        );
        assert_eq!(
            model(&after).data.libraries.groups["web"].selection,
            Selection::One("yes".into())
        );
        // No comment for a group that exists.
        assert_edit(
            RICH,
            |e| e.group_select(LIB, "llm", Strategy::OneOfN, "x", Some("ignored")),
            "openai",
            "x",
        );
        // Nowhere to put it in a one-line flow mapping.
        assert_edit(
            "services:\n  groups: {db: {strategy: 1-of-N, selection: pg}}\n",
            |e| e.group_select(SVC, "cache", Strategy::OneOfN, "redis", Some("x")),
            "",
            ", cache: {strategy: 1-of-N, selection: redis}",
        );
    }

    #[test]
    fn unselect_removes_a_string_selections_group_and_keeps_lists() {
        // The string selection: the whole group goes, with its comment and the blank line
        // that separated it from the next group.
        let after = assert_edit(
            RICH,
            |e| e.group_unselect(LIB, "vector-db", "qdrant-adapter"),
            concat!(
                "# Vector DB clients\n",
                "    vector-db:\n",
                "      strategy: 1-of-N\n",
                "      selection: qdrant-adapter  # chosen in 2024\n",
                "      mode: dev\n",
                "\n",
                "    ",
            ),
            "",
        );
        assert!(after.contains("  groups:\n    frameworks: {"));
        // A block list loses the item line (with its comment).
        assert_edit(
            RICH,
            |e| e.group_unselect(SVC, "infra", "redis"),
            "  - redis   # cache\n      ",
            "",
        );
        // A flow list: first and last items.
        assert_edit(
            RICH,
            |e| e.group_unselect(LIB, "frameworks", "fastapi"),
            "fastapi, ",
            "",
        );
        assert_edit(
            RICH,
            |e| e.group_unselect(LIB, "frameworks", "flask"),
            ", \"flask\"",
            "",
        );
        // A list that becomes empty stays, as `[]`.
        let (after, changed) = edit(RICH, |e| {
            Ok(e.group_unselect(SVC, "infra", "redis")?
                && e.group_unselect(SVC, "infra", "postgres")?)
        });
        assert!(changed);
        assert_eq!(
            window(RICH, &after),
            ("\n        - postgres\n        - redis   # cache", " []")
        );
        assert_eq!(
            model(&after).data.services.groups["infra"].selection,
            Selection::Many(vec![])
        );
        // Nothing to do.
        for (section, group, option) in [
            (LIB, "vector-db", "chroma"),
            (LIB, "nope", "a"),
            (SVC, "infra", "mysql"),
            (SVC, "vector-db", "qdrant-adapter"),
        ] {
            let (after, changed) = edit(RICH, |e| e.group_unselect(section, group, option));
            assert!(!changed);
            assert_eq!(after, RICH);
        }
        let mut empty = Editor::parse("").unwrap();
        assert!(!empty.group_unselect(LIB, "g", "a").unwrap());
        assert!(!empty.group_remove(LIB, "g").unwrap());
        assert!(!empty.standalone_remove(LIB, "a").unwrap());
        assert_eq!(empty.to_text(), "");
    }

    #[test]
    fn remove_group() {
        // Between a blank line and the next group.
        assert_edit(
            RICH,
            |e| e.group_remove(LIB, "frameworks"),
            "frameworks: {strategy: M-of-N, selection: [fastapi, \"flask\"]}\n    ",
            "",
        );
        // The last group.
        assert_edit(
            RICH,
            |e| e.group_remove(LIB, "llm"),
            "  llm:\n      strategy: M-of-N\n      selection: openai\n  ",
            "",
        );
        // The only group: `{}` on the key line, before its comment; the blank line that
        // separates `groups` from `standalone` stays.
        let text = concat!(
            "libraries:\n",
            "  groups:  # chosen options\n",
            "    # about g\n",
            "    g:\n",
            "      selection: a\n",
            "\n",
            "  standalone: []\n",
        );
        let (after, removed) = edit(text, |e| e.group_remove(LIB, "g"));
        assert!(removed);
        assert_eq!(
            after,
            "libraries:\n  groups: {}  # chosen options\n\n  standalone: []\n"
        );
        // The only group, between blank lines: one blank line is left.
        let text = "libraries:\n  groups:\n\n    # g\n    g: {selection: a}\n\n  standalone: []\n";
        let (after, _) = edit(text, |e| e.group_remove(LIB, "g"));
        assert_eq!(after, "libraries:\n  groups: {}\n\n  standalone: []\n");
        // A comment separated by a blank line is not the group's.
        let text = "libraries:\n  groups:\n    # all groups\n\n    g: {selection: a}\n    h: {selection: b}\n";
        assert_edit(
            text,
            |e| e.group_remove(LIB, "g"),
            "g: {selection: a}\n    ",
            "",
        );
        // In a flow mapping.
        assert_edit(
            "services:\n  groups: {db: {selection: pg}, cache: {selection: redis}}\n",
            |e| e.group_remove(SVC, "db"),
            "db: {selection: pg}, ",
            "",
        );
        assert_edit(
            "services:\n  groups: {db: {selection: pg}}\n",
            |e| e.group_remove(SVC, "db"),
            "db: {selection: pg}",
            "",
        );
        // Absent.
        let (after, removed) = edit(RICH, |e| e.group_remove(SVC, "llm"));
        assert!(!removed);
        assert_eq!(after, RICH);
    }

    #[test]
    fn standalone_add_and_remove_in_both_forms() {
        // After a mapping item's last line, before the blank line.
        assert_edit(
            RICH,
            |e| e.standalone_add(LIB, "numpy", None),
            "",
            "    - numpy\n",
        );
        // Present as a mapping, as a string (quoted), or in a flow list.
        for (section, name) in [
            (LIB, "my-utils"),
            (LIB, "pinned"),
            (LIB, "langchain-core"),
            (SVC, "etcd"),
        ] {
            let (after, added) = edit(RICH, |e| e.standalone_add(section, name, None));
            assert!(!added, "{name}");
            assert_eq!(after, RICH);
        }
        assert_edit(
            RICH,
            |e| e.standalone_add(SVC, "qdrant", Some("1.10")),
            "",
            ", {name: qdrant, profile: \"1.10\"}",
        );
        // Remove a flow-mapping item: the comment above it is left alone.
        assert_edit(
            RICH,
            |e| e.standalone_remove(LIB, "my-utils"),
            "{name: my-utils, mode: dev}\n    - ",
            "",
        );
        // Remove a block-mapping item (quoted name).
        assert_edit(
            RICH,
            |e| e.standalone_remove(LIB, "pinned"),
            "    - name: \"pinned\"\n      profile: x\n",
            "",
        );
        // Remove a string item with a trailing comment.
        assert_edit(
            RICH,
            |e| e.standalone_remove(LIB, "langchain-core"),
            "- langchain-core   # core\n    ",
            "",
        );
        // Flow list items, quoted and not.
        assert_edit(RICH, |e| e.standalone_remove(SVC, "etcd"), ", 'etcd'", "");
        assert_edit(RICH, |e| e.standalone_remove(SVC, "minio"), "minio, ", "");
        // Every entry of the name goes.
        let text = "libraries:\n  standalone:\n    - a\n    - {name: a, mode: dev}\n    - b\n";
        let (after, removed) = edit(text, |e| e.standalone_remove(LIB, "a"));
        assert!(removed);
        assert_eq!(after, "libraries:\n  standalone:\n    - b\n");
        let (after, removed) = edit(RICH, |e| e.standalone_remove(SVC, "nope"));
        assert!(!removed);
        assert_eq!(after, RICH);
    }

    #[test]
    fn set_mode_takes_the_three_paths() {
        // A mapping standalone entry: its `mode` changes ...
        assert_edit(RICH, |e| e.set_mode("my-utils", Mode::Prod), "dev", "prod");
        // ... or is added to it.
        let after = assert_edit(
            RICH,
            |e| e.set_mode("pinned", Mode::Dev),
            "",
            "      mode: dev\n",
        );
        assert_eq!(model(&after).mode_of("pinned"), Mode::Dev);
        // A string entry becomes `{name, mode}`, keeping its quoting and comment.
        assert_edit(
            RICH,
            |e| e.set_mode("langchain-core", Mode::Dev),
            "langchain-core",
            "{name: langchain-core, mode: dev}",
        );
        assert_edit(
            RICH,
            |e| e.set_mode("etcd", Mode::Dev),
            "'etcd'",
            "{name: 'etcd', mode: dev}",
        );
        // Anything else: `modes:`, replaced or appended (before the file's last comment).
        assert_edit(
            RICH,
            |e| e.set_mode("qdrant-adapter", Mode::Prod),
            "dev",
            "prod",
        );
        let after = assert_edit(
            RICH,
            |e| e.set_mode("redis", Mode::Dev),
            "",
            "  redis: dev\n",
        );
        assert!(after.ends_with("  qdrant-adapter: dev\n  redis: dev\n# end\n"));
        // `modes: {}` and a missing `modes:`.
        let (after, _) = edit("modes: {}\n", |e| e.set_mode("a", Mode::Dev));
        assert_eq!(after, "modes:\n  a: dev\n");
        let (after, _) = edit("modes: {b: prod}\n", |e| e.set_mode("a", Mode::Dev));
        assert_eq!(after, "modes: {b: prod, a: dev}\n");
        let (after, _) = edit("project:\n  name: x\n", |e| e.set_mode("on", Mode::Dev));
        assert_eq!(after, "project:\n  name: x\nmodes:\n  \"on\": dev\n");
        assert_eq!(model(&after).mode_of("on"), Mode::Dev);
    }

    #[test]
    fn project_name() {
        assert_edit(
            RICH,
            |e| e.set_project_name("other"),
            "\"rag-app\"",
            "other",
        );
        assert_edit(RICH, |e| e.set_project_name("rag-app"), "", "");
        let (after, _) = edit("libraries: {}\n", |e| e.set_project_name("yes"));
        assert_eq!(after, "libraries: {}\nproject:\n  name: \"yes\"\n");
        let (after, _) = edit("project:\n  version: 1\n", |e| e.set_project_name("a: b"));
        assert_eq!(after, "project:\n  version: 1\n  name: \"a: b\"\n");
        assert_eq!(model(&after).data.project.name.as_deref(), Some("a: b"));
    }

    #[test]
    fn block_scalars_are_replaced_whole() {
        let text = "project:\n  name: |  # odd\n    multi\n    line\n  version: x\n";
        let (after, _) = edit(text, |e| e.set_project_name("demo"));
        assert_eq!(after, "project:\n  name: demo  # odd\n  version: x\n");
    }

    #[test]
    fn null_sections_and_keys() {
        let text = "libraries:\n  groups:\n  standalone: ~\nservices:\nmodes: {}\n";
        let (after, _) = edit(text, |e| {
            e.group_select(LIB, "g", Strategy::OneOfN, "a", Some("c"))?;
            e.standalone_add(LIB, "a", None)?;
            e.standalone_add(SVC, "b", None)?;
            e.set_mode("a", Mode::Dev)
        });
        assert_eq!(
            after,
            concat!(
                "libraries:\n",
                "  groups:\n",
                "    # c\n",
                "    g:\n",
                "      strategy: 1-of-N\n",
                "      selection: a\n",
                "  standalone:\n",
                "    - {name: a, mode: dev}\n",
                "services:\n",
                "  standalone:\n",
                "    - b\n",
                "modes: {}\n",
            )
        );
        // A null group entry is filled in.
        let (after, _) = edit("libraries:\n  groups:\n    g:\n", |e| {
            e.group_select(LIB, "g", Strategy::ManyOfN, "a", None)
        });
        assert_eq!(
            after,
            "libraries:\n  groups:\n    g:\n      strategy: M-of-N\n      selection:\n        - a\n"
        );
    }

    #[test]
    fn indentation_follows_the_file() {
        let text = "project:\n    name: x\nlibraries:\n    groups: {}\n    standalone: []\n";
        let (after, _) = edit(text, |e| {
            e.group_select(LIB, "g", Strategy::ManyOfN, "a", None)?;
            e.standalone_add(LIB, "b", None)
        });
        assert_eq!(
            after,
            concat!(
                "project:\n",
                "    name: x\n",
                "libraries:\n",
                "    groups:\n",
                "        g:\n",
                "            strategy: M-of-N\n",
                "            selection:\n",
                "                - a\n",
                "    standalone:\n",
                "        - b\n",
            )
        );
        // Lists with their dashes at the key's column.
        let text = "libraries:\n  standalone:\n  - a\nservices:\n  standalone: []\n";
        let (after, _) = edit(text, |e| {
            e.standalone_add(LIB, "b", None)?;
            e.standalone_add(SVC, "x", None)
        });
        assert_eq!(
            after,
            "libraries:\n  standalone:\n  - a\n  - b\nservices:\n  standalone:\n  - x\n"
        );
        let (after, _) = edit(&after, |e| {
            e.standalone_remove(LIB, "a")?;
            e.standalone_remove(LIB, "b")
        });
        assert_eq!(
            after,
            "libraries:\n  standalone: []\nservices:\n  standalone:\n  - x\n"
        );
    }

    #[test]
    fn line_endings_and_a_missing_final_newline() {
        let (after, _) = edit("libraries:\r\n  standalone:\r\n    - a\r\n", |e| {
            e.standalone_add(LIB, "b", None)?;
            e.group_select(LIB, "g", Strategy::OneOfN, "x", Some("c"))
        });
        assert_eq!(
            after,
            "libraries:\r\n  standalone:\r\n    - a\r\n    - b\r\n  groups:\r\n    # c\r\n    g:\r\n      strategy: 1-of-N\r\n      selection: x\r\n"
        );
        let (after, _) = edit("libraries:\n  standalone:\n    - a", |e| {
            e.standalone_add(LIB, "b", None)
        });
        assert_eq!(after, "libraries:\n  standalone:\n    - a\n    - b\n");
        let (after, _) = edit("libraries:\n  groups: {}", |e| {
            e.group_select(LIB, "g", Strategy::OneOfN, "a", None)
        });
        assert_eq!(
            after,
            "libraries:\n  groups:\n    g:\n      strategy: 1-of-N\n      selection: a\n"
        );
        let (after, _) = edit("modes:", |e| e.set_mode("a", Mode::Dev));
        assert_eq!(after, "modes:\n  a: dev\n");
        // Before a document end marker, not after it.
        let (after, _) = edit("---\nproject:\n  name: x\n...\n", |e| {
            e.set_mode("a", Mode::Dev)
        });
        assert_eq!(after, "---\nproject:\n  name: x\nmodes:\n  a: dev\n...\n");
    }

    #[test]
    fn quoted_keys_and_values_are_found() {
        let text =
            "\"libraries\":\n  'groups':\n    \"g\": {selection: 'a'}\n  standalone: [\"x\"]\n";
        let (after, removed) = edit(text, |e| e.group_unselect(LIB, "g", "a"));
        assert!(removed);
        assert_eq!(
            after,
            "\"libraries\":\n  'groups': {}\n  standalone: [\"x\"]\n"
        );
        let (_, added) = edit(text, |e| e.standalone_add(LIB, "x", None));
        assert!(!added);
    }

    #[test]
    fn impossible_edits_are_errors_that_point_at_the_value() {
        for (text, run, message, location) in [
            (
                "libraries: 3\n",
                0,
                "cannot edit hsm.yaml: `libraries` is the value `3`, expected a mapping",
                "hsm.yaml:1:12",
            ),
            (
                "libraries:\n  standalone: {a: 1}\n",
                0,
                "cannot edit hsm.yaml: `libraries.standalone` is a mapping, expected a list",
                "hsm.yaml:2:15",
            ),
            (
                "libraries:\n  groups: [a]\n",
                1,
                "cannot edit hsm.yaml: `libraries.groups` is a list, expected a mapping",
                "hsm.yaml:2:11",
            ),
            (
                "libraries:\n  groups:\n    g: {selection: {a: 1}}\n",
                2,
                "cannot edit hsm.yaml: `libraries.groups.g.selection` is a mapping, expected an option name or a list",
                "hsm.yaml:3:20",
            ),
            (
                "- a\n",
                3,
                "cannot edit hsm.yaml: the document is a list, expected a mapping",
                "hsm.yaml:1:1",
            ),
        ] {
            let mut e = Editor::parse(text).unwrap();
            let err = match run {
                0 => e.standalone_add(LIB, "a", None).map(|_| ()),
                1 => e.group_select(LIB, "g", Strategy::OneOfN, "a", None),
                2 => e.group_unselect(LIB, "g", "a").map(|_| ()),
                _ => e.set_mode("a", Mode::Dev),
            }
            .unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidValue);
            assert_eq!(err.message, message);
            assert_eq!(err.location().as_deref(), Some(location));
            assert!(err.help.is_some());
            assert_eq!(e.to_text(), text, "a failed edit changes nothing");
        }
        let err = Editor::parse("a: 'unterminated\n").unwrap_err();
        assert_eq!(err.kind, ErrorKind::MalformedYaml);
        assert_eq!(err.location().as_deref(), Some("hsm.yaml:1:4"));
        let err = Editor::parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidValue);
    }

    /// Property: any sequence of edits on any of several documents leaves text that loads,
    /// and whose model is what the same edits do to the model directly; an edit that
    /// changes nothing in the model leaves the text byte-identical.
    mod property {
        use proptest::prelude::{
            Just, ProptestConfig, prop_assert, prop_assert_eq, prop_oneof, proptest,
        };
        use proptest::strategy::Strategy as _;

        use super::*;
        use crate::manifest::GroupEntry;

        #[derive(Debug, Clone)]
        enum Op {
            Select(Kind, &'static str, Strategy, &'static str, bool),
            Unselect(Kind, &'static str, &'static str),
            RemoveGroup(Kind, &'static str),
            Add(Kind, &'static str, Option<&'static str>),
            Remove(Kind, &'static str),
            SetMode(&'static str, Mode),
            Name(&'static str),
            Profile(Kind, &'static str, &'static str),
        }

        const GROUPS: [&str; 5] = ["vector-db", "frameworks", "llm", "infra", "g"];
        const NAMES: [&str; 10] = [
            "a",
            "yes",
            "1.10",
            "openai",
            "redis",
            "my-utils",
            "pinned",
            "minio",
            "etcd",
            "langchain-core",
        ];
        const PROJECT: [&str; 5] = ["demo", "on", "a: b", "1.10", "rag-app"];

        fn fixtures() -> Vec<String> {
            vec![
                String::new(),
                initial_document("demo"),
                RICH.to_string(),
                RICH.replace('\n', "\r\n"),
                concat!(
                    "services:\n",
                    "  groups: {db: {strategy: 1-of-N, selection: pg}, infra: {selection: [a]}}\n",
                    "  standalone: [x, {name: minio, mode: dev}]\n",
                    "modes: {b: prod}\n",
                )
                .to_string(),
                concat!(
                    "# four spaces, dashes at the key\n",
                    "project:\n",
                    "    name: x\n",
                    "libraries:\n",
                    "    standalone:\n",
                    "    - a   # first\n",
                    "\n",
                    "    - redis\n",
                    "    groups:\n",
                    "        llm:\n",
                    "            selection: [openai]\n",
                    "            mode: dev\n",
                    "services:\n",
                    "modes:\n",
                    "# trailing\n",
                )
                .to_string(),
                concat!(
                    "# top\n",
                    "\n",
                    "libraries:   # libs\n",
                    "  groups:\n",
                    "\n",
                    "    # first group\n",
                    "    llm:\n",
                    "      strategy: M-of-N\n",
                    "      selection:\n",
                    "      - openai     # zero-indented list\n",
                    "\n",
                    "      - \"yes\"\n",
                    "      mode: dev\n",
                    "\n",
                    "  standalone:\n",
                    "  - a\n",
                    "  - name: pinned\n",
                    "    mode: prod\n",
                    "  # trailing comment in the list\n",
                    "\n",
                    "services:\n",
                    "  groups: {infra: {strategy: M-of-N, selection: [redis,\n",
                    "      minio]}}\n",
                    "  standalone: []\n",
                    "...\n",
                )
                .to_string(),
            ]
        }

        fn op() -> impl proptest::strategy::Strategy<Value = Op> {
            let section = prop_oneof![Just(LIB), Just(SVC)];
            let strategy = prop_oneof![Just(Strategy::OneOfN), Just(Strategy::ManyOfN)];
            let mode = prop_oneof![Just(Mode::Dev), Just(Mode::Prod)];
            let group = (0..GROUPS.len()).prop_map(|i| GROUPS[i]);
            let name = || (0..NAMES.len()).prop_map(|i| NAMES[i]);
            prop_oneof![
                3 => (section.clone(), group.clone(), strategy, name(), proptest::bool::ANY)
                    .prop_map(|(s, g, st, o, c)| Op::Select(s, g, st, o, c)),
                2 => (section.clone(), group.clone(), name()).prop_map(|(s, g, o)| Op::Unselect(s, g, o)),
                1 => (section.clone(), group).prop_map(|(s, g)| Op::RemoveGroup(s, g)),
                2 => (section.clone(), name(), proptest::option::of(prop_oneof![Just("ext"), Just("on")]))
                    .prop_map(|(s, n, p)| Op::Add(s, n, p)),
                2 => (section, name()).prop_map(|(s, n)| Op::Remove(s, n)),
                2 => (name(), mode).prop_map(|(n, m)| Op::SetMode(n, m)),
                1 => (0..PROJECT.len()).prop_map(|i| Op::Name(PROJECT[i])),
                1 => (prop_oneof![Just(LIB), Just(SVC)], (0..GROUPS.len()).prop_map(|i| GROUPS[i]), prop_oneof![Just("ext"), Just("1.10")])
                    .prop_map(|(s, g, p)| Op::Profile(s, g, p)),
            ]
        }

        fn run(editor: &mut Editor, op: &Op) -> Result<(), Error> {
            match *op {
                Op::Select(s, g, st, o, c) => {
                    editor.group_select(s, g, st, o, c.then_some("chosen by a test"))
                }
                Op::Unselect(s, g, o) => editor.group_unselect(s, g, o).map(drop),
                Op::RemoveGroup(s, g) => editor.group_remove(s, g).map(drop),
                Op::Add(s, n, p) => editor.standalone_add(s, n, p).map(drop),
                Op::Remove(s, n) => editor.standalone_remove(s, n).map(drop),
                Op::SetMode(n, m) => editor.set_mode(n, m),
                Op::Name(n) => editor.set_project_name(n),
                Op::Profile(s, g, p) => editor.group_set_profile(s, g, p),
            }
        }

        fn groups_mut(
            m: &mut ManifestFile,
            s: Kind,
        ) -> &mut indexmap::IndexMap<String, GroupEntry> {
            match s {
                Kind::Library => &mut m.libraries.groups,
                Kind::Service => &mut m.services.groups,
            }
        }

        fn standalone_mut(m: &mut ManifestFile, s: Kind) -> &mut Vec<Standalone> {
            match s {
                Kind::Library => &mut m.libraries.standalone,
                Kind::Service => &mut m.services.standalone,
            }
        }

        /// The reference: the edit done on the model.
        fn apply(m: &mut ManifestFile, op: &Op) {
            match *op {
                Op::Select(s, g, st, o, _) => {
                    let groups = groups_mut(m, s);
                    let Some(entry) = groups.get_mut(g) else {
                        let selection = match st {
                            Strategy::OneOfN => Selection::One(o.into()),
                            Strategy::ManyOfN => Selection::Many(vec![o.into()]),
                        };
                        groups.insert(
                            g.into(),
                            GroupEntry {
                                strategy: Some(st),
                                selection,
                                ..GroupEntry::default()
                            },
                        );
                        return;
                    };
                    let old = std::mem::take(&mut entry.selection);
                    entry.selection = match (st, old) {
                        (Strategy::OneOfN, _) => Selection::One(o.into()),
                        (Strategy::ManyOfN, Selection::None) => Selection::Many(vec![o.into()]),
                        (Strategy::ManyOfN, Selection::One(x)) if x == o => Selection::One(x),
                        (Strategy::ManyOfN, Selection::One(x)) => {
                            Selection::Many(vec![x, o.into()])
                        }
                        (Strategy::ManyOfN, Selection::Many(mut v)) => {
                            if !v.iter().any(|x| x == o) {
                                v.push(o.into());
                            }
                            Selection::Many(v)
                        }
                    };
                }
                Op::Unselect(s, g, o) => {
                    let groups = groups_mut(m, s);
                    let Some(entry) = groups.get_mut(g) else {
                        return;
                    };
                    match &mut entry.selection {
                        Selection::One(x) if x == o => {
                            groups.shift_remove(g);
                        }
                        Selection::Many(v) => v.retain(|x| x != o),
                        _ => {}
                    }
                }
                Op::RemoveGroup(s, g) => {
                    groups_mut(m, s).shift_remove(g);
                }
                Op::Add(s, n, p) => {
                    let list = standalone_mut(m, s);
                    if !list.iter().any(|x| x.name == n) {
                        list.push(Standalone {
                            name: n.into(),
                            mode: None,
                            profile: p.map(String::from),
                        });
                    }
                }
                Op::Remove(s, n) => standalone_mut(m, s).retain(|x| x.name != n),
                Op::SetMode(n, mode) => {
                    for s in [LIB, SVC] {
                        if let Some(x) = standalone_mut(m, s).iter_mut().find(|x| x.name == n) {
                            x.mode = Some(mode);
                            return;
                        }
                    }
                    m.modes.insert(n.into(), mode);
                }
                Op::Name(n) => m.project.name = Some(n.into()),
                Op::Profile(s, g, p) => {
                    groups_mut(m, s).entry(g.into()).or_default().profile = Some(p.into());
                }
            }
        }

        fn load(text: &str) -> ManifestFile {
            if text.trim().is_empty() {
                ManifestFile::default()
            } else {
                model(text).data
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 300,
                failure_persistence: None,
                ..ProptestConfig::default()
            })]
            #[test]
            fn edits_do_to_the_text_what_they_mean_for_the_model(
                fixture in 0..7usize,
                ops in proptest::collection::vec(op(), 1..12),
            ) {
                let mut text = fixtures()[fixture].clone();
                let mut expected = load(&text);
                for op in &ops {
                    let mut editor = Editor::parse(&text).unwrap();
                    let result = run(&mut editor, op);
                    prop_assert!(result.is_ok(), "{op:?} failed: {:?}\n{text}", result.err().map(|e| e.message));
                    let after = editor.to_text();
                    let before_model = format!("{expected:?}");
                    apply(&mut expected, op);
                    let actual = load(&after);
                    prop_assert_eq!(format!("{actual:?}"), format!("{expected:?}"), "after {:?}:\n{}", op, after);
                    if before_model == format!("{expected:?}") {
                        prop_assert_eq!(&after, &text, "a no-op changed the text");
                    }
                    text = after;
                }
            }
        }
    }
}
