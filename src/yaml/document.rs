//! [`Document`]: the text being edited, its parsed form, and the public edit API. Every
//! edit is [`Document::checked`] against the loader's parser and spliced into the text by
//! [`Document::splice`]; finding places is in `find.rs`, writing new values in `insert.rs`,
//! taking entries out in `remove.rs`.

use std::borrow::Cow;
use std::ops::Range;
use std::str::FromStr;

use yaml_edit::YamlFile;

use crate::error::Error;
use crate::source::SourceFile;

use super::error::{internal, not_lossless, parse_file};
use super::lines::{at_line_start, line_break};
use super::new::New;
use super::path::{Seg, Slot, steps};
use super::verify::{self, Intent};
use super::write::Layout;

/// A YAML document being edited. Every method leaves the text valid YAML.
#[derive(Debug)]
pub(crate) struct Document {
    /// How the file is named in messages (`hsm.yaml`, `hsm-registry/libraries/x.yaml`).
    pub(super) name: String,
    /// The parsed form of `text` (always in step with it).
    pub(super) file: YamlFile,
    pub(super) text: String,
    /// The layout of new lines: the line break the file's first line ends with, the
    /// file's indentation, and (only [`Document::with_block_items`]) block list items.
    pub(super) layout: Layout,
    /// The file starts with a byte order mark, which `text` leaves out (as the loader
    /// does) and [`Document::output`] puts back.
    pub(super) bom: bool,
    /// `text` as the loader's YAML parser reads it (`None`: it refuses the text); every
    /// edit is checked against it (see [`verify`]).
    pub(super) loaded: Option<serde_yaml::Value>,
    /// Inside a checked edit: the edits it is made of are not checked on their own.
    pub(super) in_edit: bool,
}

/// A document as it was, to go back to.
#[derive(Debug)]
pub(crate) struct Saved {
    pub(super) file: YamlFile,
    pub(super) text: String,
    pub(super) loaded: Option<serde_yaml::Value>,
}

impl Document {
    /// Parse `text`; `name` is how the file is named in errors.
    pub(crate) fn parse(name: &str, text: &str) -> Result<Document, Error> {
        // A byte order mark is no part of the text, for the loader as for the editor.
        let (text, bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        if let Some(c) = verify::unicode_line_break(text) {
            let source = SourceFile::new(name, None, text.to_string());
            return Err(not_lossless(name, &source, &c));
        }
        let file = parse_file(name, text)?;
        let mut doc = Document {
            name: name.to_string(),
            file,
            text: text.to_string(),
            layout: Layout {
                nl: line_break(text),
                unit: 2,
                seq_offset: 2,
                block_items: false,
            },
            bom,
            loaded: verify::load(text),
            in_edit: false,
        };
        doc.root_slot()?;
        let (unit, seq_offset) = doc.detect_indentation();
        doc.layout.unit = unit.unwrap_or(2);
        doc.layout.seq_offset = seq_offset.unwrap_or(doc.layout.unit);
        Ok(doc)
    }

    /// Write collections that become items of a block list in block style:
    /// `- name: x` with the other keys below, instead of `- {name: x, ...}`.
    #[must_use]
    pub(crate) fn with_block_items(mut self) -> Self {
        self.layout.block_items = true;
        self
    }

    /// The text being edited (without a byte order mark; positions are in it).
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The text as it is written back: with the byte order mark the file started with.
    pub(crate) fn output(&self) -> Cow<'_, str> {
        if self.bom {
            Cow::Owned(format!("\u{feff}{}", self.text))
        } else {
            Cow::Borrowed(&self.text)
        }
    }

    /// The document as it is now, for [`Document::restore`].
    pub(crate) fn save(&self) -> Saved {
        Saved {
            file: self.file.clone(),
            text: self.text.clone(),
            loaded: self.loaded.clone(),
        }
    }

    /// Go back to a saved state: an edit that fails leaves the document as it was.
    pub(crate) fn restore(&mut self, saved: Saved) {
        self.file = saved.file;
        self.text = saved.text;
        self.loaded = saved.loaded;
    }
}

impl Document {
    /// An edit that should have been possible was not: a bug, reported as an error.
    pub(crate) fn bug(&self, what: &str) -> Error {
        internal(&self.name, what)
    }

    /// Run `edit`, which means `intent`: check the text it leaves against the loader's
    /// parser (see [`verify`]), and go back to the text before if it fails or the check
    /// does. The edits it is made of (`set` calls `set_value`) are checked as a whole.
    pub(super) fn checked<T>(
        &mut self,
        intent: impl FnOnce() -> Intent,
        edit: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        if self.in_edit {
            return edit(self);
        }
        let saved = self.save();
        self.in_edit = true;
        let result = edit(self);
        self.in_edit = false;
        let result = result.and_then(|t| self.verify(&saved, &intent()).map(|()| t));
        if result.is_err() {
            self.restore(saved);
        }
        result
    }

    /// The text as the loader reads it must be the document before with `intent` applied.
    /// A text the loader refused before is not compared (hsm edits only files it loaded).
    pub(super) fn verify(&mut self, before: &Saved, intent: &Intent) -> Result<(), Error> {
        if self.text == before.text {
            return Ok(());
        }
        let after = verify::load(&self.text);
        if let Some(old) = &before.loaded {
            let problem = match (verify::apply(old, intent), &after) {
                (_, None) => Some("the edited text would not be valid YAML"),
                (None, _) => Some("hsm's editor and its YAML reader see different structures"),
                (Some(expected), Some(actual)) if !verify::matches(&expected, actual) => {
                    Some("the edited file would not read back as the edit means")
                }
                _ => None,
            };
            if let Some(problem) = problem {
                return Err(self.refusal(&before.text, &self.text, problem));
            }
        }
        self.loaded = after;
        Ok(())
    }

    /// The refusal of an edit of `before` that came out as `after`, which does not mean what
    /// the edit means: it names the construct of `before` that hsm's editor and its loader
    /// read differently, or else says `problem` where the texts start to differ.
    pub(super) fn refusal(&self, before: &str, after: &str, problem: &str) -> Error {
        let source = SourceFile::new(self.name.as_str(), None, before.to_string());
        let construct = verify::odd_construct(before).unwrap_or_else(|| {
            let mut offset = before
                .bytes()
                .zip(after.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            while !before.is_char_boundary(offset) {
                offset -= 1;
            }
            verify::Construct {
                offset,
                len: 0,
                what: problem.to_string(),
                label: "the edit goes here",
                fix: "",
            }
        });
        not_lossless(&self.name, &source, &construct)
    }

    /// Replace byte ranges of the text (non-overlapping) and parse the result again.
    pub(super) fn splice(&mut self, mut edits: Vec<(Range<usize>, String)>) -> Result<(), Error> {
        edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        let mut text = self.text.clone();
        let mut limit = usize::MAX;
        for (range, with) in edits {
            if range.end > limit || range.start > range.end || range.end > text.len() {
                return Err(self.bug("overlapping edits"));
            }
            if !text.is_char_boundary(range.start) || !text.is_char_boundary(range.end) {
                return Err(self.bug("an edit inside a character"));
            }
            limit = range.start;
            text.replace_range(range, &with);
        }
        // The editor's own parser refusing the edited text means a splice went where the
        // loader's parser would not have put it (the text before parsed).
        let file = YamlFile::from_str(&text).map_err(|_| {
            self.refusal(&self.text, &text, "the edited text would not be valid YAML")
        })?;
        if file.to_string() != text {
            return Err(self.bug("the YAML parser did not keep the edited text"));
        }
        self.file = file;
        self.text = text;
        Ok(())
    }

    pub(super) fn insert(&mut self, pos: usize, with: String) -> Result<(), Error> {
        self.splice(vec![(pos..pos, with)])
    }

    /// Insert whole lines at `pos` (a line start, or the end of a file without a final
    /// line break).
    pub(super) fn insert_lines(&mut self, pos: usize, lines: String) -> Result<(), Error> {
        let lines = if !at_line_start(&self.text, pos) {
            format!("{}{lines}", self.layout.nl)
        } else {
            lines
        };
        self.insert(pos, lines)
    }

    /// Turn the scalar list item at `path` into a one-entry mapping `key: <the scalar>`,
    /// keeping the scalar as written: `- x` becomes `- name: x` in a block list, and
    /// `{name: x}` in a flow list. A mapping is left as it is.
    pub(crate) fn item_to_mapping(&mut self, path: &[Seg], key: &str) -> Result<(), Error> {
        self.checked(
            || Intent::ItemToMapping(steps(path), key.to_string()),
            |d| d.item_to_mapping_inner(path, key),
        )
    }

    /// Replace the list item in `slot`, with its anchor or tag, by `value` (in flow style):
    /// with [`Document::item_text`] in `value`, the anchor stays with what it was on.
    pub(crate) fn replace_item(&mut self, slot: &Slot, value: &New) -> Result<(), Error> {
        self.checked(
            || Intent::Set(slot.path.clone(), value.clone()),
            |d| d.replace_item_inner(slot, value),
        )
    }

    /// Set the value at `path` (a path of keys below the last existing node), creating
    /// missing mappings on the way. `comment` goes above the last key if it is created.
    pub(crate) fn set(
        &mut self,
        path: &[Seg],
        value: New,
        comment: Option<String>,
    ) -> Result<(), Error> {
        let intent = Intent::Set(steps(path), value.clone());
        self.checked(|| intent, |d| d.set_inner(path, value, comment))
    }

    /// Replace the value in `slot` with `value`.
    pub(crate) fn set_value(&mut self, slot: &Slot, value: New) -> Result<(), Error> {
        let intent = Intent::Set(slot.path.clone(), value.clone());
        self.checked(|| intent, |d| d.set_value_inner(slot, value))
    }

    /// Append an item to the list at `path`, creating it (and missing mappings) if needed.
    pub(crate) fn push(&mut self, path: &[Seg], item: New) -> Result<(), Error> {
        let intent = Intent::Push(steps(path), item.clone());
        self.checked(|| intent, |d| d.push_inner(path, item))
    }

    /// Remove the mapping entry at `path`; false if it is not there.
    pub(crate) fn remove_key(&mut self, path: &[Seg]) -> Result<bool, Error> {
        self.checked(
            || Intent::RemoveKey(steps(path)),
            |d| d.remove_key_inner(path),
        )
    }

    /// Remove item `index` of the list at `path`.
    pub(crate) fn remove_item(&mut self, path: &[Seg], index: usize) -> Result<(), Error> {
        self.checked(
            || Intent::RemoveItem(steps(path), index),
            |d| d.remove_item_inner(path, index),
        )
    }
}

/// An editor of one kind of file, built on a [`Document`]: each of its edits runs as one
/// step, all or nothing.
pub(crate) trait Editing: Sized {
    fn document(&mut self) -> &mut Document;

    /// Run `edit` as one step: if it fails, the document is left as it was, whatever the
    /// edit had changed before it failed.
    fn atomic<T>(&mut self, edit: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        let saved = self.document().save();
        let result = edit(self);
        if result.is_err() {
            self.document().restore(saved);
        }
        result
    }
}
