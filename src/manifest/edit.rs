//! Lossless edits of `hsm.yaml` text.
//!
//! The CLI changes hsm.yaml the way the original hsm's commands did (`group add`,
//! `add-option`, `remove-option`, `library add/remove`, `mode`, ...), but everything it does
//! not edit must survive byte for byte: comments, key order, quoting, blank lines.
//!
//! [`yaml_edit`] parses the text into a lossless tree and tells us where every key, value
//! and list item is. The edits themselves are splices of the text at those byte ranges,
//! computed here, because yaml-edit's own mutations leave the comments of a removed entry
//! behind, keep a `{}`/`[]` flow collection flow when it gets its first entry and append
//! new top-level keys after a file's trailing comment. After every splice the text is
//! parsed again, so each step works on a fresh, exact tree.
//!
//! Layout rules for what is written:
//! - new keys go at the end of their mapping, right after the last entry's own lines;
//! - a missing, null or empty (`{}`, `[]`) collection that gets its first entry becomes
//!   block style, indented like the rest of the file (default: mappings by 2, list dashes
//!   by 2 under their key, as the original's ruamel `indent(mapping=2, sequence=4, offset=2)`);
//! - a non-empty flow collection stays flow (`[a, b]` becomes `[a, b, c]`);
//! - list items hsm writes as mappings use flow style: `- {name: x, mode: dev}`;
//! - scalars are quoted only when YAML would read them as something other than the string
//!   (`'1.10'`, `'yes'`, `'on'`, `'~'`).

use std::ops::Range;
use std::str::FromStr;

use yaml_edit::{YamlError, YamlFile, YamlNode};

use super::{MANIFEST_FILE, Mode, Section, Strategy};
use crate::error::{Error, ErrorKind};
use crate::source::{Origin, SourceFile, Span};

/// hsm.yaml text being edited. Every method leaves the text valid YAML.
#[derive(Debug)]
pub struct Editor {
    /// The parsed form of `text` (always in step with it).
    file: YamlFile,
    text: String,
    /// `"\n"`, or `"\r\n"` for a file that uses it.
    nl: &'static str,
    /// Indentation of a nested block mapping relative to its key.
    unit: usize,
    /// Indentation of a block list's dashes relative to its key.
    seq_offset: usize,
}

/// The document `hsm init` writes: the original hsm's default V2 document with a header.
pub fn initial_document(name: &str) -> String {
    format!(
        "# hsm.yaml: the libraries and services this project is made of.\n\
         # Edit it by hand or with hsm's commands; comments and layout are kept.\n\
         project:\n  name: {}\n  version: 0.1.0\n\
         libraries:\n  package_manager: uv\n  groups: {{}}\n  standalone: []\n\
         services:\n  groups: {{}}\n  standalone: []\n",
        quote(name)
    )
}

impl Editor {
    pub fn parse(text: &str) -> Result<Editor, Error> {
        let file = parse_file(text)?;
        let mut editor = Editor {
            file,
            text: text.to_string(),
            nl: if text.contains("\r\n") { "\r\n" } else { "\n" },
            unit: 2,
            seq_offset: 2,
        };
        editor.root_slot()?;
        let (unit, seq_offset) = editor.detect_indentation();
        editor.unit = unit.unwrap_or(2);
        editor.seq_offset = seq_offset.unwrap_or(editor.unit);
        Ok(editor)
    }

    pub fn to_text(&self) -> String {
        self.text.clone()
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
    pub fn group_select(
        &mut self,
        section: Section,
        group: &str,
        strategy: Strategy,
        option: &str,
        comment: Option<&str>,
    ) -> Result<(), Error> {
        let group_path = [Seg::Key(section.key()), Seg::Key("groups"), Seg::Key(group)];
        let selection = match strategy {
            Strategy::OneOfN => New::Str(option.to_string()),
            Strategy::ManyOfN => New::Seq(vec![New::Str(option.to_string())]),
        };
        let new_group = New::Map(vec![
            NewEntry::new("strategy", New::Str(strategy.to_string())),
            NewEntry::new("selection", selection),
        ]);
        let existing = match self.resolve(&group_path)? {
            Resolved::Missing { .. } => {
                return self.set(&group_path, new_group, comment.map(str::to_string));
            }
            Resolved::Found(slot) => slot,
        };
        match self.shape(existing.value.as_ref()) {
            Shape::Missing | Shape::Null => return self.set_value(&existing, new_group),
            Shape::Map { entries, .. } if entries.is_empty() => {
                return self.set_value(&existing, new_group);
            }
            Shape::Map { .. } => {}
            other => return Err(self.shape_error(&group_path, &existing, &other, "a mapping")),
        }

        let sel_path = [
            Seg::Key(section.key()),
            Seg::Key("groups"),
            Seg::Key(group),
            Seg::Key("selection"),
        ];
        if strategy == Strategy::OneOfN {
            return self.set(&sel_path, New::Str(option.to_string()), None);
        }
        let slot = match self.resolve(&sel_path)? {
            Resolved::Missing { .. } => {
                return self.set(
                    &sel_path,
                    New::Seq(vec![New::Str(option.to_string())]),
                    None,
                );
            }
            Resolved::Found(slot) => slot,
        };
        match self.shape(slot.value.as_ref()) {
            Shape::Missing | Shape::Null => {
                self.set_value(&slot, New::Seq(vec![New::Str(option.to_string())]))
            }
            Shape::Scalar(s) if s == option => Ok(()),
            Shape::Scalar(_) => {
                let original = self.text[self.value_range(&slot)].to_string();
                self.set_value(
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
                    self.push(&sel_path, New::Str(option.to_string()))
                }
            }
            other => Err(self.shape_error(&sel_path, &slot, &other, "an option name or a list")),
        }
    }

    /// Deselect `option` in `<section>.groups.<group>`, as the original's `remove-option`:
    /// a list selection loses the item (and may become `[]`); a string selection equal to
    /// `option` removes the whole group entry. Returns false if nothing changed.
    pub fn group_unselect(
        &mut self,
        section: Section,
        group: &str,
        option: &str,
    ) -> Result<bool, Error> {
        let sel_path = [
            Seg::Key(section.key()),
            Seg::Key("groups"),
            Seg::Key(group),
            Seg::Key("selection"),
        ];
        let slot = match self.resolve(&sel_path)? {
            Resolved::Missing { .. } => return Ok(false),
            Resolved::Found(slot) => slot,
        };
        match self.shape(slot.value.as_ref()) {
            Shape::Scalar(s) if s == option => self.group_remove(section, group),
            Shape::Seq { .. } => {
                let mut changed = false;
                while let Some(index) =
                    self.find_item(&sel_path, |n| scalar_string(n).as_deref() == Some(option))?
                {
                    self.remove_item(&sel_path, index)?;
                    changed = true;
                }
                Ok(changed)
            }
            other @ (Shape::Map { .. } | Shape::Other(_)) => {
                Err(self.shape_error(&sel_path, &slot, &other, "an option name or a list"))
            }
            Shape::Missing | Shape::Null | Shape::Scalar(_) => Ok(false),
        }
    }

    /// Remove `<section>.groups.<group>` (and the comment lines directly above its key).
    /// Returns false if there was no such group.
    pub fn group_remove(&mut self, section: Section, group: &str) -> Result<bool, Error> {
        self.remove_key(&[Seg::Key(section.key()), Seg::Key("groups"), Seg::Key(group)])
    }

    /// Set the deployment profile of `<section>.groups.<group>` (`profile: P`), keeping the
    /// group's other keys; a missing group is created holding only the profile.
    pub fn group_set_profile(
        &mut self,
        section: Section,
        group: &str,
        profile: &str,
    ) -> Result<(), Error> {
        self.set(
            &[
                Seg::Key(section.key()),
                Seg::Key("groups"),
                Seg::Key(group),
                Seg::Key("profile"),
            ],
            New::Str(profile.to_string()),
            None,
        )
    }

    /// Append `name` to `<section>.standalone`: a plain string, or `{name, profile}` with a
    /// profile. Returns false (and changes nothing) if an entry of that name exists already,
    /// in either form.
    pub fn standalone_add(
        &mut self,
        section: Section,
        name: &str,
        profile: Option<&str>,
    ) -> Result<bool, Error> {
        let path = [Seg::Key(section.key()), Seg::Key("standalone")];
        if self
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
        self.push(&path, item)?;
        Ok(true)
    }

    /// Remove every `<section>.standalone` entry named `name`, in either form (a string or a
    /// `{name: ...}` mapping). Returns false if there was none.
    pub fn standalone_remove(&mut self, section: Section, name: &str) -> Result<bool, Error> {
        let path = [Seg::Key(section.key()), Seg::Key("standalone")];
        let mut changed = false;
        while let Some(index) = self.find_item(&path, |n| item_name(n).as_deref() == Some(name))? {
            self.remove_item(&path, index)?;
            changed = true;
        }
        Ok(changed)
    }

    /// Set a component's mode, as the original's `set_mode` for a component: the first
    /// standalone entry of that name (libraries, then services) gets it (a plain string
    /// entry becomes `{name: X, mode: M}`); otherwise `modes.<name>: M`.
    pub fn set_mode(&mut self, name: &str, mode: Mode) -> Result<(), Error> {
        for section in [Section::Libraries, Section::Services] {
            let path = [Seg::Key(section.key()), Seg::Key("standalone")];
            let Some(index) = self.find_item(&path, |n| item_name(n).as_deref() == Some(name))?
            else {
                continue;
            };
            let item_path = [
                Seg::Key(section.key()),
                Seg::Key("standalone"),
                Seg::Index(index),
            ];
            let Resolved::Found(slot) = self.resolve(&item_path)? else {
                return Err(internal("a standalone entry vanished"));
            };
            return match self.shape(slot.value.as_ref()) {
                Shape::Map { .. } => {
                    let mode_path = [
                        Seg::Key(section.key()),
                        Seg::Key("standalone"),
                        Seg::Index(index),
                        Seg::Key("mode"),
                    ];
                    self.set(&mode_path, New::Str(mode.to_string()), None)
                }
                _ => {
                    let original = self.text[self.value_range(&slot)].to_string();
                    self.set_value(
                        &slot,
                        New::Map(vec![
                            NewEntry::new("name", New::Raw(original)),
                            NewEntry::new("mode", New::Str(mode.to_string())),
                        ]),
                    )
                }
            };
        }
        self.set(
            &[Seg::Key("modes"), Seg::Key(name)],
            New::Str(mode.to_string()),
            None,
        )
    }

    /// Set `project.name`.
    pub fn set_project_name(&mut self, name: &str) -> Result<(), Error> {
        self.set(
            &[Seg::Key("project"), Seg::Key("name")],
            New::Str(name.to_string()),
            None,
        )
    }
}

// ---------------------------------------------------------------------------------------
// What is written: values to insert, quoting.

/// A value to write.
#[derive(Debug, Clone)]
enum New {
    /// A string, quoted on output if YAML would misread it.
    Str(String),
    /// Text copied verbatim from the document (keeps the user's quoting).
    Raw(String),
    Map(Vec<NewEntry>),
    Seq(Vec<New>),
}

#[derive(Debug, Clone)]
struct NewEntry {
    key: String,
    value: New,
    /// Comment lines written above the key (block style only).
    comment: Option<String>,
}

impl NewEntry {
    fn new(key: &str, value: New) -> NewEntry {
        NewEntry {
            key: key.to_string(),
            value,
            comment: None,
        }
    }
}

impl New {
    /// Written on the key's own line (`key: value`), not as indented lines below it.
    fn is_inline(&self) -> bool {
        match self {
            New::Str(_) | New::Raw(_) => true,
            New::Map(e) => e.is_empty(),
            New::Seq(i) => i.is_empty(),
        }
    }

    fn flow(&self) -> String {
        match self {
            New::Str(s) => quote(s),
            New::Raw(r) => r.clone(),
            New::Map(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|e| format!("{}: {}", quote(&e.key), e.value.flow()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            New::Seq(items) => {
                let inner: Vec<String> = items.iter().map(New::flow).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }
}

/// `s` as a YAML scalar: plain when YAML reads it back as the same string, else quoted.
fn quote(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else if s.chars().any(|c| c.is_control()) {
        crate::source::double_quoted(s)
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// Whether `s` can be written as a plain scalar, in block and flow context, and read back
/// as the same string by YAML 1.1 and 1.2 readers.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s
        || "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || s.contains([':', '#', ',', '[', ']', '{', '}'])
        || s.chars().any(|c| c.is_control())
    {
        return false;
    }
    const RESERVED: &[&str] = &[
        "~", "null", "true", "false", "yes", "no", "y", "n", "on", "off", "=", "<<",
    ];
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s)) {
        return false;
    }
    !looks_numeric(s)
}

/// Numbers (ints, floats, hex/octal/binary, sexagesimal, `.inf`, `.nan`) and dates, which
/// an unquoted scalar would become.
fn looks_numeric(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    if [".inf", ".nan"].iter().any(|w| w.eq_ignore_ascii_case(t)) {
        return true;
    }
    for prefix in ["0x", "0o", "0b"] {
        if let Some(rest) = t.strip_prefix(prefix)
            && !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '_')
        {
            return true;
        }
    }
    let b = t.as_bytes();
    if b.len() >= 6 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        return true; // a date or timestamp: 2024-01-01
    }
    let starts_numeric = match b {
        [d, ..] if d.is_ascii_digit() => true,
        [b'.', d, ..] if d.is_ascii_digit() => true,
        _ => false,
    };
    starts_numeric
        && t.chars()
            .all(|c| c.is_ascii_digit() || "_.:eE+-".contains(c))
}

// ---------------------------------------------------------------------------------------
// Where things are: paths, slots, shapes.

#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn display_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "the document".to_string()
    } else {
        format!("`{out}`")
    }
}

/// A place holding a value: the document root, a mapping entry or a list item.
#[derive(Debug, Clone)]
struct Slot {
    /// `None` for an empty document or an entry without a value node.
    value: Option<YamlNode>,
    ctx: Ctx,
}

#[derive(Debug, Clone, Copy)]
enum Ctx {
    Root,
    Entry {
        /// The entry is inside a flow mapping.
        flow: bool,
        key: (usize, usize),
        /// Just past the `:` after the key, if there is one.
        colon_end: Option<usize>,
    },
    Item,
}

#[derive(Debug)]
enum Resolved {
    Found(Slot),
    /// `path[depth]` is not there; `parent` holds `path[..depth]` (a mapping, null or empty).
    Missing {
        parent: Slot,
        depth: usize,
    },
}

#[derive(Debug, Clone)]
struct EntryInfo {
    key: String,
    key_range: Range<usize>,
    colon_end: Option<usize>,
    value: Option<YamlNode>,
}

#[derive(Debug)]
enum Shape {
    Missing,
    Null,
    Scalar(String),
    Map { flow: bool, entries: Vec<EntryInfo> },
    Seq { flow: bool, items: Vec<YamlNode> },
    Other(&'static str),
}

impl Shape {
    fn describe(&self) -> String {
        match self {
            Shape::Missing | Shape::Null => "empty".to_string(),
            Shape::Scalar(s) => format!("the value `{s}`"),
            Shape::Map { .. } => "a mapping".to_string(),
            Shape::Seq { .. } => "a list".to_string(),
            Shape::Other(what) => what.to_string(),
        }
    }
}

fn node_range(node: &YamlNode) -> Range<usize> {
    let r = node.byte_range();
    r.start as usize..r.end as usize
}

/// The string value of a non-null scalar.
fn scalar_string(node: &YamlNode) -> Option<String> {
    node.as_scalar()
        .filter(|s| !s.is_null())
        .map(|s| s.as_string())
}

/// The name of a standalone entry: the string, or the `name` of a mapping.
fn item_name(node: &YamlNode) -> Option<String> {
    if let Some(m) = node.as_mapping() {
        return m
            .entries()
            .find(|e| {
                e.key_node()
                    .as_ref()
                    .and_then(scalar_string)
                    .is_some_and(|k| k == "name")
            })
            .and_then(|e| e.value_node())
            .as_ref()
            .and_then(scalar_string);
    }
    scalar_string(node)
}

// ---------------------------------------------------------------------------------------
// Lines.

/// Start of the line holding `pos`.
fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// End of the line holding `pos`, past its line break.
fn line_end(text: &str, pos: usize) -> usize {
    text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1)
}

/// The line starting at `start`, without its line break, and its indentation.
fn line_at(text: &str, start: usize) -> (&str, usize) {
    let line = text[start..line_end(text, start)].trim_end_matches(['\n', '\r']);
    let indent = line.len() - line.trim_start_matches(' ').len();
    (line, indent)
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// A block list item: `- x` or a lone `-`.
fn is_dash_line(line: &str) -> bool {
    let t = line.trim_start();
    t == "-" || t.starts_with("- ")
}

/// The line before the one starting at `start`, if any.
fn prev_line(text: &str, start: usize) -> Option<usize> {
    (start > 0).then(|| line_start(text, start - 1))
}

// ---------------------------------------------------------------------------------------
// Errors.

fn internal(what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidValue,
        format!("cannot edit {MANIFEST_FILE}: {what}"),
    )
    .with_help("this is a bug in hsm; please edit hsm.yaml by hand and report it")
}

fn parse_file(text: &str) -> Result<YamlFile, Error> {
    let file = YamlFile::from_str(text).map_err(|e| {
        let (message, offset) = match e {
            YamlError::Parse {
                message,
                line,
                column,
            } => (message, offset_of(text, line, column)),
            other => (other.to_string(), 0),
        };
        let source = SourceFile::new(MANIFEST_FILE, None, text.to_string());
        Error::new(
            ErrorKind::MalformedYaml,
            format!("{MANIFEST_FILE} is not valid YAML: {message}"),
        )
        .at(Origin::at_span(&source, Span { offset, len: 0 }))
    })?;
    if file.to_string() != text {
        return Err(internal("the YAML parser did not keep the text as it was"));
    }
    Ok(file)
}

/// Byte offset of a 1-based line and column.
fn offset_of(text: &str, line: Option<usize>, column: Option<usize>) -> usize {
    let Some(line) = line else { return 0 };
    let start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let col = column.unwrap_or(1).saturating_sub(1);
    text[start..]
        .char_indices()
        .nth(col)
        .map_or(text.len(), |(i, _)| start + i)
}

// ---------------------------------------------------------------------------------------
// The editing machinery.

impl Editor {
    /// Replace byte ranges of the text (non-overlapping) and parse the result again.
    fn splice(&mut self, mut edits: Vec<(Range<usize>, String)>) -> Result<(), Error> {
        edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        let mut text = self.text.clone();
        let mut limit = usize::MAX;
        for (range, with) in edits {
            if range.end > limit || range.start > range.end || range.end > text.len() {
                return Err(internal("overlapping edits"));
            }
            limit = range.start;
            text.replace_range(range, &with);
        }
        self.file = YamlFile::from_str(&text)
            .map_err(|e| internal(&format!("an edit produced invalid YAML ({e})")))?;
        if self.file.to_string() != text {
            return Err(internal("the YAML parser did not keep the edited text"));
        }
        self.text = text;
        Ok(())
    }

    fn insert(&mut self, pos: usize, with: String) -> Result<(), Error> {
        self.splice(vec![(pos..pos, with)])
    }

    /// Insert whole lines at `pos` (a line start, or the end of a file without a final
    /// line break).
    fn insert_lines(&mut self, pos: usize, lines: String) -> Result<(), Error> {
        let lines = if pos > 0 && !self.text[..pos].ends_with('\n') {
            format!("{}{lines}", self.nl)
        } else {
            lines
        };
        self.insert(pos, lines)
    }

    fn root_slot(&self) -> Result<Slot, Error> {
        let mut docs = self.file.documents();
        let doc = docs.next();
        if docs.next().is_some() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("{MANIFEST_FILE} holds more than one YAML document"),
            )
            .with_help("keep a single document (remove the extra `---` sections)"));
        }
        let value = doc.and_then(|d| {
            d.as_mapping()
                .map(YamlNode::Mapping)
                .or_else(|| d.as_sequence().map(YamlNode::Sequence))
                .or_else(|| d.as_scalar().map(YamlNode::Scalar))
                .or_else(|| d.as_tagged().map(YamlNode::TaggedNode))
        });
        Ok(Slot {
            value,
            ctx: Ctx::Root,
        })
    }

    fn entries(&self, node: &YamlNode) -> Vec<EntryInfo> {
        let Some(m) = node.as_mapping() else {
            return Vec::new();
        };
        m.entries()
            .filter_map(|e| {
                let key_node = e.key_node()?;
                let key_range = node_range(&key_node);
                let key = scalar_string(&key_node)
                    .unwrap_or_else(|| self.text[key_range.clone()].to_string());
                let after = &self.text[key_range.end..];
                let colon_end = after
                    .trim_start_matches([' ', '\t'])
                    .starts_with(':')
                    .then(|| {
                        key_range.end + after.len() - after.trim_start_matches([' ', '\t']).len()
                            + 1
                    });
                Some(EntryInfo {
                    key,
                    key_range,
                    colon_end,
                    value: e.value_node(),
                })
            })
            .collect()
    }

    fn is_flow(&self, node: &YamlNode) -> bool {
        let r = node_range(node);
        matches!(self.text.as_bytes().get(r.start), Some(b'{' | b'['))
    }

    fn shape(&self, node: Option<&YamlNode>) -> Shape {
        let Some(node) = node else {
            return Shape::Missing;
        };
        match node {
            YamlNode::Scalar(s) if s.is_null() => Shape::Null,
            YamlNode::Scalar(s) => Shape::Scalar(s.as_string()),
            YamlNode::Mapping(_) => Shape::Map {
                flow: self.is_flow(node),
                entries: self.entries(node),
            },
            YamlNode::Sequence(s) => Shape::Seq {
                flow: self.is_flow(node),
                items: s.values().collect(),
            },
            YamlNode::Alias(_) => Shape::Other("an alias"),
            YamlNode::TaggedNode(_) => Shape::Other("a tagged value"),
        }
    }

    /// Where a slot's value is; an absent value is an empty range just past the `:`.
    fn value_range(&self, slot: &Slot) -> Range<usize> {
        let empty_at = |pos: usize| pos..pos;
        let fallback = match slot.ctx {
            Ctx::Entry { key, colon_end, .. } => empty_at(colon_end.unwrap_or(key.1)),
            _ => empty_at(self.text.len()),
        };
        match &slot.value {
            Some(node) => {
                let r = node_range(node);
                if r.is_empty() { fallback } else { r }
            }
            None => fallback,
        }
    }

    fn resolve(&self, path: &[Seg]) -> Result<Resolved, Error> {
        let mut slot = self.root_slot()?;
        for (depth, seg) in path.iter().enumerate() {
            let shape = self.shape(slot.value.as_ref());
            match (*seg, shape) {
                (Seg::Key(k), Shape::Map { flow, entries }) => {
                    match entries.into_iter().find(|e| e.key == k) {
                        Some(e) => {
                            slot = Slot {
                                value: e.value,
                                ctx: Ctx::Entry {
                                    flow,
                                    key: (e.key_range.start, e.key_range.end),
                                    colon_end: e.colon_end,
                                },
                            }
                        }
                        None => {
                            return Ok(Resolved::Missing {
                                parent: slot,
                                depth,
                            });
                        }
                    }
                }
                (Seg::Key(_), Shape::Missing | Shape::Null) => {
                    return Ok(Resolved::Missing {
                        parent: slot,
                        depth,
                    });
                }
                (Seg::Index(i), Shape::Seq { items, .. }) => {
                    let item = items
                        .into_iter()
                        .nth(i)
                        .ok_or_else(|| internal("a list item vanished"))?;
                    slot = Slot {
                        value: Some(item),
                        ctx: Ctx::Item,
                    };
                }
                (seg, shape) => {
                    let expected = match seg {
                        Seg::Key(_) => "a mapping",
                        Seg::Index(_) => "a list",
                    };
                    return Err(self.shape_error(&path[..depth], &slot, &shape, expected));
                }
            }
        }
        Ok(Resolved::Found(slot))
    }

    fn shape_error(&self, path: &[Seg], slot: &Slot, shape: &Shape, expected: &str) -> Error {
        let source = SourceFile::new(MANIFEST_FILE, None, self.text.clone());
        let range = self.value_range(slot);
        let what = display_path(path);
        Error::new(
            ErrorKind::InvalidValue,
            format!(
                "cannot edit {MANIFEST_FILE}: {what} is {}, expected {expected}",
                shape.describe()
            ),
        )
        .at(Origin::at_span(
            &source,
            Span {
                offset: range.start,
                len: range.len(),
            },
        ))
        .with_label(format!("expected {expected}"))
        .with_help(format!(
            "fix {what} in {MANIFEST_FILE} by hand (or remove it), then run the command again"
        ))
    }

    /// The index of the first item of the list at `path` that `matches`; `None` if there is
    /// no list there or no such item.
    fn find_item(
        &self,
        path: &[Seg],
        matches: impl Fn(&YamlNode) -> bool,
    ) -> Result<Option<usize>, Error> {
        let slot = match self.resolve(path)? {
            Resolved::Missing { .. } => return Ok(None),
            Resolved::Found(slot) => slot,
        };
        match self.shape(slot.value.as_ref()) {
            Shape::Seq { items, .. } => Ok(items.iter().position(matches)),
            Shape::Missing | Shape::Null => Ok(None),
            other => Err(self.shape_error(path, &slot, &other, "a list")),
        }
    }

    /// Column of the key or dash at `pos`, which must start its line (after indentation or
    /// after the `- ` of a list item).
    fn column(&self, pos: usize) -> usize {
        pos - line_start(&self.text, pos)
    }

    /// The dash of the block list item whose value starts at `pos`.
    fn dash_of(&self, pos: usize) -> Result<usize, Error> {
        let before = self.text[..pos].trim_end_matches([' ', '\t', '\n', '\r']);
        if before.ends_with('-') {
            Ok(before.len() - 1)
        } else {
            Err(internal("a list item without its `-`"))
        }
    }

    /// End (past the line break) of the lines of the block entry or item whose key or dash
    /// is at `start`, in column `col`: the first line and every following line indented
    /// deeper, including comment lines indented deeper; blank lines and shallower comments
    /// count only when deeper content follows them.
    fn body_end(&self, start: usize, col: usize, is_key: bool, value: Option<&YamlNode>) -> usize {
        let text = &self.text;
        let mut end = line_end(text, start);
        // `key:` with its list's dashes in the key's own column.
        let mut dashes_at_col = false;
        if let Some(v) = value {
            let r = node_range(v);
            let block_collection = (v.is_mapping() || v.is_sequence()) && !self.is_flow(v);
            if !block_collection && r.end > r.start {
                end = end.max(line_end(text, r.end - 1));
            }
            dashes_at_col = is_key && block_collection && v.is_sequence();
        }
        let mut pos = end;
        while pos < text.len() {
            let (line, indent) = line_at(text, pos);
            let next = line_end(text, pos);
            if is_blank(line) {
                // undecided
            } else if is_comment(line) {
                if indent > col {
                    end = next;
                }
            } else if indent > col || (dashes_at_col && indent == col && is_dash_line(line)) {
                end = next;
            } else {
                break;
            }
            pos = next;
        }
        end
    }

    fn pad(n: usize) -> String {
        " ".repeat(n)
    }

    /// Block lines of an entry at column `col`: its comment, then `key: value` or `key:`
    /// and the value's lines.
    fn block_entry(&self, out: &mut String, entry: &NewEntry, col: usize) {
        if let Some(comment) = &entry.comment {
            for line in comment.lines() {
                let line = line.trim_end();
                out.push_str(&Self::pad(col));
                out.push('#');
                if !line.is_empty() {
                    out.push(' ');
                    out.push_str(line);
                }
                out.push_str(self.nl);
            }
        }
        out.push_str(&Self::pad(col));
        out.push_str(&quote(&entry.key));
        out.push(':');
        if entry.value.is_inline() {
            out.push(' ');
            out.push_str(&entry.value.flow());
            out.push_str(self.nl);
        } else {
            out.push_str(self.nl);
            self.block_children(out, &entry.value, col);
        }
    }

    /// The lines below a key at column `key_col` holding a (non-empty) mapping or list.
    fn block_children(&self, out: &mut String, value: &New, key_col: usize) {
        match value {
            New::Map(entries) => {
                for e in entries {
                    self.block_entry(out, e, key_col + self.unit);
                }
            }
            New::Seq(items) => {
                for item in items {
                    out.push_str(&Self::pad(key_col + self.seq_offset));
                    out.push_str("- ");
                    out.push_str(&item.flow());
                    out.push_str(self.nl);
                }
            }
            New::Str(_) | New::Raw(_) => {}
        }
    }

    /// Set the value at `path` (a path of keys below the last existing node), creating
    /// missing mappings on the way. `comment` goes above the last key if it is created.
    fn set(&mut self, path: &[Seg], value: New, comment: Option<String>) -> Result<(), Error> {
        match self.resolve(path)? {
            Resolved::Found(slot) => {
                if let (New::Str(s), Shape::Scalar(old)) = (&value, self.shape(slot.value.as_ref()))
                    && *s == old
                {
                    return Ok(());
                }
                self.set_value(&slot, value)
            }
            Resolved::Missing { parent, depth } => {
                let mut value = value;
                let mut comment = comment;
                for seg in path[depth + 1..].iter().rev() {
                    let Seg::Key(k) = seg else {
                        return Err(internal("a missing list item"));
                    };
                    value = New::Map(vec![NewEntry {
                        key: k.to_string(),
                        value,
                        comment: comment.take(),
                    }]);
                }
                let Seg::Key(key) = path[depth] else {
                    return Err(internal("a missing list item"));
                };
                let entry = NewEntry {
                    key: key.to_string(),
                    value,
                    comment,
                };
                match self.shape(parent.value.as_ref()) {
                    Shape::Map { flow, entries } if !entries.is_empty() => {
                        self.insert_entry(&entries, flow, entry)
                    }
                    _ => self.set_value(&parent, New::Map(vec![entry])),
                }
            }
        }
    }

    /// Add an entry at the end of a non-empty mapping.
    fn insert_entry(
        &mut self,
        entries: &[EntryInfo],
        flow: bool,
        entry: NewEntry,
    ) -> Result<(), Error> {
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Err(internal("an empty mapping"));
        };
        let last_end = last.value.as_ref().map_or(last.key_range.end, |v| {
            node_range(v).end.max(last.key_range.end)
        });
        if flow {
            let text = format!(", {}: {}", quote(&entry.key), entry.value.flow());
            return self.insert(last_end, text);
        }
        let col = self.column(first.key_range.start);
        let pos = self.body_end(last.key_range.start, col, true, last.value.as_ref());
        let mut lines = String::new();
        self.block_entry(&mut lines, &entry, col);
        self.insert_lines(pos, lines)
    }

    /// Replace the value in `slot` with `value`.
    fn set_value(&mut self, slot: &Slot, value: New) -> Result<(), Error> {
        let range = self.value_range(slot);
        match slot.ctx {
            Ctx::Root => {
                let New::Map(entries) = &value else {
                    return Err(internal("a document that is not a mapping"));
                };
                let mut lines = String::new();
                for e in entries {
                    self.block_entry(&mut lines, e, 0);
                }
                if slot.value.is_none() {
                    self.insert_lines(self.text.len(), lines)
                } else {
                    let lines = lines.trim_end_matches(['\r', '\n']).to_string();
                    self.splice(vec![(range, lines)])
                }
            }
            Ctx::Entry { flow: true, .. } | Ctx::Item => {
                if let Some(v) = &slot.value
                    && (v.is_mapping() || v.is_sequence())
                    && !self.is_flow(v)
                {
                    return Err(internal("replacing a block collection inside a list"));
                }
                let text = value.flow();
                if range.is_empty() {
                    self.insert(range.start, format!(" {text}"))
                } else {
                    self.splice(vec![(range, text)])
                }
            }
            Ctx::Entry {
                flow: false,
                key,
                colon_end,
            } => {
                let Some(colon_end) = colon_end else {
                    return Err(internal("an entry without `:`"));
                };
                let key_col = self.column(key.0);
                // A block collection or block scalar (`|`, `>`) spans the lines below.
                let old_block = slot.value.as_ref().is_some_and(|v| {
                    ((v.is_mapping() || v.is_sequence()) && !self.is_flow(v))
                        || v.as_scalar().is_some_and(|s| s.is_block())
                });
                if old_block {
                    // `key:  # comment` then indented lines: rewrite from the `:` to the
                    // end of the value's lines, keeping the key line's comment.
                    let end = self.body_end(key.0, key_col, true, slot.value.as_ref());
                    let rest = self.text[colon_end..line_end(&self.text, colon_end)]
                        .trim_end_matches(['\n', '\r']);
                    let tail = match rest.find(" #").or_else(|| rest.find("\t#")) {
                        Some(i) => rest[rest[..=i].trim_end().len()..].to_string(),
                        None if rest.starts_with('#') => rest.to_string(),
                        None => String::new(),
                    };
                    let mut with = String::new();
                    if value.is_inline() {
                        with.push(' ');
                        with.push_str(&value.flow());
                    }
                    with.push_str(&tail);
                    with.push_str(self.nl);
                    if !value.is_inline() {
                        self.block_children(&mut with, &value, key_col);
                    }
                    return self.splice(vec![(colon_end..end, with)]);
                }
                if value.is_inline() {
                    let text = value.flow();
                    return if range.is_empty() {
                        self.insert(range.start, format!(" {text}"))
                    } else {
                        self.splice(vec![(range, text)])
                    };
                }
                // A scalar, null or flow value becomes block lines below the key line.
                let mut lines = String::new();
                let at = line_end(&self.text, range.end.saturating_sub(1).max(colon_end));
                if !self.text[..at].ends_with('\n') {
                    lines.push_str(self.nl);
                }
                self.block_children(&mut lines, &value, key_col);
                self.splice(vec![(colon_end..range.end, String::new()), (at..at, lines)])
            }
        }
    }

    /// Append an item to the list at `path`, creating it (and missing mappings) if needed.
    fn push(&mut self, path: &[Seg], item: New) -> Result<(), Error> {
        let slot = match self.resolve(path)? {
            Resolved::Missing { .. } => return self.set(path, New::Seq(vec![item]), None),
            Resolved::Found(slot) => slot,
        };
        match self.shape(slot.value.as_ref()) {
            Shape::Missing | Shape::Null => self.set_value(&slot, New::Seq(vec![item])),
            Shape::Seq { items, .. } if items.is_empty() => {
                self.set_value(&slot, New::Seq(vec![item]))
            }
            Shape::Seq { flow: true, items } => {
                let end = items.last().map_or(0, |i| node_range(i).end);
                self.insert(end, format!(", {}", item.flow()))
            }
            Shape::Seq { flow: false, items } => {
                let (Some(first), Some(last)) = (items.first(), items.last()) else {
                    return Err(internal("an empty list"));
                };
                let col = self.column(self.dash_of(node_range(first).start)?);
                let last_dash = self.dash_of(node_range(last).start)?;
                let pos = self.body_end(last_dash, col, false, Some(last));
                let line = format!("{}- {}{}", Self::pad(col), item.flow(), self.nl);
                self.insert_lines(pos, line)
            }
            other => Err(self.shape_error(path, &slot, &other, "a list")),
        }
    }

    /// Remove the mapping entry at `path`; false if it is not there.
    fn remove_key(&mut self, path: &[Seg]) -> Result<bool, Error> {
        let Some((Seg::Key(key), parent_path)) = path.split_last() else {
            return Err(internal("removing something that is not a key"));
        };
        let parent = match self.resolve(parent_path)? {
            Resolved::Missing { .. } => return Ok(false),
            Resolved::Found(slot) => slot,
        };
        let (flow, entries) = match self.shape(parent.value.as_ref()) {
            Shape::Map { flow, entries } => (flow, entries),
            Shape::Missing | Shape::Null => return Ok(false),
            other => return Err(self.shape_error(parent_path, &parent, &other, "a mapping")),
        };
        let Some(index) = entries.iter().position(|e| e.key == *key) else {
            return Ok(false);
        };
        if flow {
            let ranges: Vec<Range<usize>> = entries
                .iter()
                .map(|e| {
                    let end = e
                        .value
                        .as_ref()
                        .map_or(e.key_range.end, |v| node_range(v).end.max(e.key_range.end));
                    e.key_range.start..end
                })
                .collect();
            self.remove_flow_member(&parent, &ranges, index)?;
        } else {
            let members: Vec<(usize, Option<YamlNode>)> = entries
                .iter()
                .map(|e| (e.key_range.start, e.value.clone()))
                .collect();
            self.remove_block_member(&parent, &members, index, true, "{}")?;
        }
        Ok(true)
    }

    /// Remove item `index` of the list at `path`.
    fn remove_item(&mut self, path: &[Seg], index: usize) -> Result<(), Error> {
        let Resolved::Found(slot) = self.resolve(path)? else {
            return Err(internal("a list vanished"));
        };
        let Shape::Seq { flow, items } = self.shape(slot.value.as_ref()) else {
            return Err(internal("a list vanished"));
        };
        if flow {
            let ranges: Vec<Range<usize>> = items.iter().map(node_range).collect();
            self.remove_flow_member(&slot, &ranges, index)
        } else {
            let mut members = Vec::new();
            for item in items {
                members.push((self.dash_of(node_range(&item).start)?, Some(item)));
            }
            self.remove_block_member(&slot, &members, index, false, "[]")
        }
    }

    /// Remove member `index` (given by ranges) of the flow collection in `parent`.
    fn remove_flow_member(
        &mut self,
        parent: &Slot,
        ranges: &[Range<usize>],
        index: usize,
    ) -> Result<(), Error> {
        let whole = self.value_range(parent);
        let cut = if ranges.len() == 1 {
            // Everything between the brackets.
            whole.start + 1..whole.end - 1
        } else if index + 1 < ranges.len() {
            ranges[index].start..ranges[index + 1].start
        } else {
            ranges[index - 1].end..ranges[index].end
        };
        self.splice(vec![(cut, String::new())])
    }

    /// Remove member `index` of the block collection in `parent`; members are given by
    /// the position of their key (`is_key`: a mapping) or dash (a list) and their value.
    /// Comment lines directly above a mapping entry, at its indentation, go with it (hsm
    /// writes a group's comment there); those above a list item stay. A collection left
    /// empty becomes `empty` (`{}` or `[]`) on its key's line.
    fn remove_block_member(
        &mut self,
        parent: &Slot,
        members: &[(usize, Option<YamlNode>)],
        index: usize,
        is_key: bool,
        empty: &str,
    ) -> Result<(), Error> {
        let text = &self.text;
        let (start, value) = &members[index];
        let col = self.column(*start);
        let mut region_start = line_start(text, *start);
        if !text[region_start..*start].trim().is_empty() {
            return Err(internal("an entry that does not start its line"));
        }
        if is_key {
            while let Some(prev) = prev_line(text, region_start) {
                let (line, indent) = line_at(text, prev);
                if is_comment(line) && indent == col {
                    region_start = prev;
                } else {
                    break;
                }
            }
        }
        let mut region_end = self.body_end(*start, col, is_key, value.as_ref());
        let is_first = index == 0;
        let has_next = index + 1 < members.len();
        let blank_before =
            prev_line(text, region_start).is_some_and(|p| is_blank(line_at(text, p).0));
        if has_next && (is_first || blank_before) {
            while region_end < text.len() && is_blank(line_at(text, region_end).0) {
                region_end = line_end(text, region_end);
            }
        } else if !has_next && blank_before {
            while let Some(prev) = prev_line(text, region_start) {
                if is_blank(line_at(text, prev).0) {
                    region_start = prev;
                } else {
                    break;
                }
            }
        }
        let mut edits = vec![(region_start..region_end, String::new())];
        if members.len() == 1 {
            let Ctx::Entry {
                flow: false,
                colon_end: Some(colon_end),
                ..
            } = parent.ctx
            else {
                return Err(internal("emptying a collection that has no key"));
            };
            edits.push((colon_end..colon_end, format!(" {empty}")));
        }
        self.splice(edits)
    }

    /// The file's indentation: (nested mapping, list dashes), each relative to the key
    /// above, from the first block mapping and list found under a key.
    fn detect_indentation(&self) -> (Option<usize>, Option<usize>) {
        let mut unit = None;
        let mut seq = None;
        if let Ok(root) = self.root_slot()
            && let Some(node) = &root.value
        {
            self.detect_in(node, &mut unit, &mut seq, 0);
        }
        (unit, seq)
    }

    fn detect_in(
        &self,
        node: &YamlNode,
        unit: &mut Option<usize>,
        seq: &mut Option<usize>,
        depth: usize,
    ) {
        if depth > 16 || (unit.is_some() && seq.is_some()) {
            return;
        }
        if node.is_mapping() {
            if self.is_flow(node) {
                return;
            }
            for e in self.entries(node) {
                let Some(v) = &e.value else { continue };
                let key_col = self.column(e.key_range.start);
                if self.is_flow(v) {
                    continue;
                }
                if v.is_mapping()
                    && unit.is_none()
                    && let Some(first) = self.entries(v).first()
                {
                    let col = self.column(first.key_range.start);
                    let own_line = line_start(&self.text, first.key_range.start)
                        > line_start(&self.text, e.key_range.start);
                    if col > key_col && own_line {
                        *unit = Some(col - key_col);
                    }
                }
                if seq.is_none()
                    && let Some(s) = v.as_sequence()
                    && let Some(first) = s.values().next()
                    && let Ok(dash) = self.dash_of(node_range(&first).start)
                {
                    let col = self.column(dash);
                    if col >= key_col {
                        *seq = Some(col - key_col);
                    }
                }
                self.detect_in(v, unit, seq, depth + 1);
            }
        } else if let Some(s) = node.as_sequence() {
            if self.is_flow(node) {
                return;
            }
            for item in s.values() {
                self.detect_in(&item, unit, seq, depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::manifest::{Manifest, ManifestFile, Selection, Standalone};

    const LIB: Section = Section::Libraries;
    const SVC: Section = Section::Services;

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
        assert!(initial_document("1.10").contains("  name: '1.10'\n"));
        assert_eq!(
            model(&initial_document("on")).data.project.name.as_deref(),
            Some("on")
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
                "    - {name: minio, profile: '1.10'}\n",
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
            "'1.10'",
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
                "      selection: 'yes'\n",
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
            ", {name: qdrant, profile: '1.10'}",
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
        assert_eq!(after, "project:\n  name: x\nmodes:\n  'on': dev\n");
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
        assert_eq!(after, "libraries: {}\nproject:\n  name: 'yes'\n");
        let (after, _) = edit("project:\n  version: 1\n", |e| e.set_project_name("a: b"));
        assert_eq!(after, "project:\n  version: 1\n  name: 'a: b'\n");
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

    #[test]
    fn scalars_are_quoted_only_when_yaml_would_misread_them() {
        for plain in [
            "qdrant",
            "my-utils",
            "a.b_c",
            "3d-lib",
            "1-of-N",
            "M-of-N",
            "0xdead-beef",
            "my app",
            "v1.10",
            "it's",
            "dev",
        ] {
            assert_eq!(quote(plain), plain);
        }
        for (value, quoted) in [
            ("1.10", "'1.10'"),
            ("10", "'10'"),
            ("-1", "'-1'"),
            ("1e3", "'1e3'"),
            (".inf", "'.inf'"),
            ("0x1F", "'0x1F'"),
            ("2024-01-01", "'2024-01-01'"),
            ("12:30", "'12:30'"),
            ("yes", "'yes'"),
            ("No", "'No'"),
            ("on", "'on'"),
            ("OFF", "'OFF'"),
            ("y", "'y'"),
            ("true", "'true'"),
            ("null", "'null'"),
            ("~", "'~'"),
            ("", "''"),
            ("a: b", "'a: b'"),
            ("a #b", "'a #b'"),
            ("[x]", "'[x]'"),
            ("a, b", "'a, b'"),
            ("-x", "'-x'"),
            (" padded", "' padded'"),
            ("'quoted", "'''quoted'"),
            ("*ref", "'*ref'"),
            ("two\nlines", "\"two\\nlines\""),
        ] {
            assert_eq!(quote(value), quoted, "{value:?}");
            let doc = format!("v: {quoted}\nw: [{quoted}]\n");
            let parsed: std::collections::BTreeMap<String, serde_yaml::Value> =
                serde_yaml::from_str(&doc).unwrap();
            assert_eq!(parsed["v"], serde_yaml::Value::String(value.to_string()));
        }
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
            Select(Section, &'static str, Strategy, &'static str, bool),
            Unselect(Section, &'static str, &'static str),
            RemoveGroup(Section, &'static str),
            Add(Section, &'static str, Option<&'static str>),
            Remove(Section, &'static str),
            SetMode(&'static str, Mode),
            Name(&'static str),
            Profile(Section, &'static str, &'static str),
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
                    "      - 'yes'\n",
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
            s: Section,
        ) -> &mut indexmap::IndexMap<String, GroupEntry> {
            match s {
                Section::Libraries => &mut m.libraries.groups,
                Section::Services => &mut m.services.groups,
            }
        }

        fn standalone_mut(m: &mut ManifestFile, s: Section) -> &mut Vec<Standalone> {
            match s {
                Section::Libraries => &mut m.libraries.standalone,
                Section::Services => &mut m.services.standalone,
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
