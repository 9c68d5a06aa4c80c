//! Lossless edits of YAML documents: hsm.yaml and registry files.
//!
//! The CLI edits files people wrote by hand; everything it does not edit must survive byte
//! for byte: comments, key order, quoting, blank lines.
//!
//! [`yaml_edit`] parses the text into a lossless tree and tells us where every key, value
//! and list item is. The edits themselves are splices of the text at those byte ranges,
//! computed here, because yaml-edit's own mutations leave the comments of a removed entry
//! behind, keep a `{}`/`[]` flow collection flow when it gets its first entry and append
//! new top-level keys after a file's trailing comment. After every splice the text is
//! parsed again, so each step works on a fresh, exact tree.
//!
//! [`Document`] is the generic core: find a value by path ([`Seg`]), set it, append to a
//! list, remove a key or an item. What a command means by its edit (select an option in
//! hsm.yaml, add an implication to a registry file) lives with the file's model, in
//! [`crate::manifest::edit`] and [`crate::registry::edit`].
//!
//! Layout rules for what is written:
//! - new keys go at the end of their mapping, right after the last entry's own lines;
//! - a missing, null or empty (`{}`, `[]`) collection that gets its first entry becomes
//!   block style, indented like the rest of the file (default: mappings by 2, list dashes
//!   by 2 under their key, as the original's ruamel `indent(mapping=2, sequence=4, offset=2)`);
//! - a non-empty flow collection stays flow (`[a, b]` becomes `[a, b, c]`);
//! - list items written as mappings use flow style (`- {name: x, mode: dev}`), or block
//!   style (`- name: x` and the other keys below it) in a document made
//!   [`Document::with_block_items`];
//! - scalars are quoted only when YAML would read them as something other than the string
//!   (`'1.10'`, `'yes'`, `'on'`, `'~'`); a key `kind:name` (`service:qdrant`) stays plain.

mod verify;

use std::borrow::Cow;
use std::ops::Range;
use std::str::FromStr;

use yaml_edit::{YamlError, YamlFile, YamlNode};

use crate::error::{Error, ErrorKind};
use crate::source::{Origin, SourceFile, Span};
use verify::{Intent, Step};

/// A YAML document being edited. Every method leaves the text valid YAML.
#[derive(Debug)]
pub(crate) struct Document {
    /// How the file is named in messages (`hsm.yaml`, `hsm-registry/libraries/x.yaml`).
    name: String,
    /// The parsed form of `text` (always in step with it).
    file: YamlFile,
    text: String,
    /// The line break of new lines: the one the file's first line ends with.
    nl: &'static str,
    /// Indentation of a nested block mapping relative to its key.
    unit: usize,
    /// Indentation of a block list's dashes relative to its key.
    seq_offset: usize,
    /// Write mapping items of block lists in block style.
    block_items: bool,
    /// The file starts with a byte order mark, which `text` leaves out (as the loader
    /// does) and [`Document::output`] puts back.
    bom: bool,
    /// `text` as the loader's YAML parser reads it (`None`: it refuses the text); every
    /// edit is checked against it (see [`verify`]).
    loaded: Option<serde_yaml::Value>,
    /// Inside a checked edit: the edits it is made of are not checked on their own.
    in_edit: bool,
}

/// A document as it was, to go back to.
#[derive(Debug)]
pub(crate) struct Saved {
    file: YamlFile,
    text: String,
    loaded: Option<serde_yaml::Value>,
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
            nl: line_break(text),
            unit: 2,
            seq_offset: 2,
            block_items: false,
            bom,
            loaded: verify::load(text),
            in_edit: false,
        };
        doc.root_slot()?;
        let (unit, seq_offset) = doc.detect_indentation();
        doc.unit = unit.unwrap_or(2);
        doc.seq_offset = seq_offset.unwrap_or(doc.unit);
        Ok(doc)
    }

    /// Write mappings that become items of a block list in block style:
    /// `- name: x` with the other keys below, instead of `- {name: x, ...}`.
    #[must_use]
    pub(crate) fn with_block_items(mut self) -> Self {
        self.block_items = true;
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

// ---------------------------------------------------------------------------------------
// What is written: values to insert, quoting.

/// A value to write.
#[derive(Debug, Clone)]
pub(crate) enum New {
    /// A string, quoted on output if YAML would misread it.
    Str(String),
    /// Text copied verbatim from the document (keeps the user's quoting).
    Raw(String),
    Map(Vec<NewEntry>),
    Seq(Vec<New>),
}

#[derive(Debug, Clone)]
pub(crate) struct NewEntry {
    pub(crate) key: String,
    pub(crate) value: New,
    /// Comment lines written above the key (block style only).
    pub(crate) comment: Option<String>,
}

impl NewEntry {
    pub(crate) fn new(key: &str, value: New) -> NewEntry {
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

    /// The value on a block line (after `key: ` or `- `): like [`New::flow`], but a string
    /// is quoted only if a block line would misread it (`url: https://x` stays plain).
    fn inline(&self) -> String {
        match self {
            New::Str(s) => quote_block(s),
            other => other.flow(),
        }
    }

    fn flow(&self) -> String {
        match self {
            New::Str(s) => quote(s),
            New::Raw(r) => r.clone(),
            New::Map(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|e| format!("{}: {}", quote_key(&e.key), e.value.flow()))
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
pub(crate) fn quote(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else if s.chars().any(|c| c.is_control()) {
        crate::source::double_quoted(s)
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// `s` as a plain or quoted scalar on a block line: like [`quote`], but `:` and `#` inside
/// the text (`https://x`, `a#b`) and flow indicators after the first character are fine
/// there, as long as no `: ` or ` #` makes them a key or a comment.
pub(crate) fn quote_block(s: &str) -> String {
    let plain = is_plain_safe(s) || {
        let first = s.chars().next().unwrap_or(' ');
        s.trim() == s
            && !"-?:,[]{}#&*!|>'\"%@`".contains(first)
            && !s.contains(": ")
            && !s.contains(":\t")
            && !s.ends_with(':')
            && !s.contains(" #")
            && !s.contains("\t#")
            && !s.chars().any(|c| c.is_control())
            && !looks_numeric(s)
            && is_plain_safe(&s.replace([':', '#', ',', '[', ']', '{', '}'], "x"))
    };
    if plain { s.to_string() } else { quote(s) }
}

/// A mapping key: like [`quote`], except that a rule key `kind:name` (`service:qdrant`,
/// `library_group:vector-db`) stays plain, as registry files write it: a `:` that is not
/// followed by a space does not end a plain scalar.
pub(crate) fn quote_key(s: &str) -> String {
    if let Some((kind, name)) = s.split_once(':')
        && !kind.is_empty()
        && kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && is_plain_safe(name)
        && !name.starts_with(['-', '.'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return s.to_string();
    }
    quote(s)
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
    // A release number (`1.2.3`) or an address (`10.0.0.1`) is no number in YAML 1.1 or 1.2
    // readers; `1.10` is.
    if t.matches('.').count() >= 2 && t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return false;
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
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn steps(path: &[Seg]) -> Vec<Step> {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => Step::Key((*k).to_string()),
            Seg::Index(i) => Step::Index(*i),
        })
        .collect()
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
pub(crate) struct Slot {
    /// `None` for an empty document or an entry without a value node.
    pub(crate) value: Option<YamlNode>,
    ctx: Ctx,
    /// Where the slot is, from the root.
    path: Vec<Step>,
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
pub(crate) enum Resolved {
    Found(Slot),
    /// `path[depth]` is not there; `parent` holds `path[..depth]` (a mapping, null or empty).
    Missing {
        parent: Slot,
        depth: usize,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct EntryInfo {
    pub(crate) key: String,
    pub(crate) key_range: Range<usize>,
    colon_end: Option<usize>,
    pub(crate) value: Option<YamlNode>,
}

#[derive(Debug)]
pub(crate) enum Shape {
    Missing,
    Null,
    Scalar(String),
    Map {
        flow: bool,
        entries: Vec<EntryInfo>,
    },
    Seq {
        flow: bool,
        items: Vec<YamlNode>,
    },
    /// An alias or a value with a custom tag: `what` it is, and how to make it editable.
    Other {
        what: String,
        help: &'static str,
    },
}

impl Shape {
    fn describe(&self) -> String {
        match self {
            Shape::Missing | Shape::Null => "empty".to_string(),
            Shape::Scalar(s) => format!("the value `{s}`"),
            Shape::Map { .. } => "a mapping".to_string(),
            Shape::Seq { .. } => "a list".to_string(),
            Shape::Other { what, .. } => what.clone(),
        }
    }
}

/// Whether a tagged node's tag is one of YAML's own (`!!map`, `!!seq`, `!!str`, ...): such a
/// tag only says what the node is anyway.
fn is_core(node: &yaml_edit::TaggedNode) -> bool {
    node.resolved_tag().is_some_and(|t| t.starts_with("!!"))
}

/// The node under a core tag, which edits look through (the tag stays where it is); other
/// nodes as they are.
fn untag(node: YamlNode) -> YamlNode {
    let YamlNode::TaggedNode(t) = &node else {
        return node;
    };
    if !is_core(t) {
        return node;
    }
    t.as_mapping()
        .map(YamlNode::Mapping)
        .or_else(|| t.as_sequence().map(YamlNode::Sequence))
        .or_else(|| {
            t.value()
                .filter(|s| !s.byte_range().is_empty())
                .map(YamlNode::Scalar)
        })
        .unwrap_or(node)
}

pub(crate) fn node_range(node: &YamlNode) -> Range<usize> {
    let r = node.byte_range();
    r.start as usize..r.end as usize
}

/// The string value of a non-null scalar.
pub(crate) fn scalar_string(node: &YamlNode) -> Option<String> {
    node.as_scalar()
        .filter(|s| !s.is_null())
        .map(|s| s.as_string())
}

/// The name of a standalone entry: the string, or the `name` of a mapping.
pub(crate) fn item_name(node: &YamlNode) -> Option<String> {
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
// Lines and text.
//
// Positions are byte offsets. Those that come from the parser or from searching for an
// ASCII character are character boundaries; arithmetic on them (`end - 1`, the last byte
// of a value) need not be. So lines are found by scanning bytes, which works from any
// offset, and text is only ever sliced through [`at`], and spliced after checking the
// boundaries: a position inside a character is a bug to report, never a panic.
//
// A line ends at `\n`, `\r\n` or a lone `\r`, as the YAML parsers see it.

/// Whether `pos` starts a line: the start of the text, or just past a line break.
fn at_line_start(text: &str, pos: usize) -> bool {
    let b = text.as_bytes();
    match pos.checked_sub(1).and_then(|i| b.get(i)) {
        None => true,
        Some(b'\n') => true,
        Some(b'\r') => b.get(pos) != Some(&b'\n'),
        Some(_) => false,
    }
}

/// Start of the line holding `pos`.
fn line_start(text: &str, pos: usize) -> usize {
    let mut i = pos.min(text.len());
    while !at_line_start(text, i) {
        i -= 1;
    }
    i
}

/// End of the line holding `pos`, past its line break.
fn line_end(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    let pos = pos.min(b.len());
    match b[pos..].iter().position(|&c| c == b'\n' || c == b'\r') {
        None => b.len(),
        Some(i) if b[pos + i] == b'\r' && b.get(pos + i + 1) == Some(&b'\n') => pos + i + 2,
        Some(i) => pos + i + 1,
    }
}

/// `text[range]`, or `""` for a range that is not on character boundaries.
fn at(text: &str, range: Range<usize>) -> &str {
    text.get(range).unwrap_or_default()
}

/// The line starting at `start`, without its line break, and its indentation.
fn line_at(text: &str, start: usize) -> (&str, usize) {
    let line = at(text, start..line_end(text, start)).trim_end_matches(['\n', '\r']);
    let indent = line.len() - line.trim_start_matches(' ').len();
    (line, indent)
}

/// The line break a file uses: that of its first line (`\n` for a file of one line).
fn line_break(text: &str) -> &'static str {
    let end = line_end(text, 0);
    match &text.as_bytes()[..end] {
        [.., b'\r', b'\n'] => "\r\n",
        [.., b'\r'] => "\r",
        _ => "\n",
    }
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

fn internal(name: &str, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidValue,
        format!("cannot edit {name}: {what}"),
    )
    .with_help(format!(
        "this is a bug in hsm; please edit {name} by hand and report it"
    ))
}

/// An edit refused because hsm could not make it without changing what the file means:
/// `construct` (in `source`, the text before the edit) is what hsm's editor and its loader
/// read differently, or, without a `fix`, where the edit went wrong.
fn not_lossless(name: &str, source: &std::sync::Arc<SourceFile>, c: &verify::Construct) -> Error {
    let (line, col) = source.line_col(c.offset);
    let help = if c.fix.is_empty() {
        format!(
            "edit {name} by hand; hsm's editor and its YAML reader disagree about this file, \
             which is a bug in hsm worth reporting"
        )
    } else {
        format!(
            "edit {name} by hand, or {}; then run the command again",
            c.fix
        )
    };
    Error::new(
        ErrorKind::InvalidValue,
        format!(
            "hsm cannot edit {name} losslessly: {} at {line}:{col}",
            c.what
        ),
    )
    .at(Origin::at_span(
        source,
        Span {
            offset: c.offset,
            len: c.len,
        },
    ))
    .with_label(c.label)
    .with_help(help)
}

fn parse_file(name: &str, text: &str) -> Result<YamlFile, Error> {
    crate::source::check_limits(&SourceFile::new(name, None, text.to_string()))?;
    let file = YamlFile::from_str(text).map_err(|e| {
        let (message, offset) = match e {
            YamlError::Parse {
                message,
                line,
                column,
            } => (message, offset_of(text, line, column)),
            other => (other.to_string(), 0),
        };
        let source = SourceFile::new(name, None, text.to_string());
        Error::new(
            ErrorKind::MalformedYaml,
            format!("{name} is not valid YAML: {message}"),
        )
        .at(Origin::at_span(&source, Span { offset, len: 0 }))
    })?;
    if file.to_string() != text {
        return Err(internal(
            name,
            "the YAML parser did not keep the text as it was",
        ));
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
    at(text, start..text.len())
        .char_indices()
        .nth(col)
        .map_or(text.len(), |(i, _)| start + i)
}

// ---------------------------------------------------------------------------------------
// The editing machinery.

impl Document {
    /// An edit that should have been possible was not: a bug, reported as an error.
    pub(crate) fn bug(&self, what: &str) -> Error {
        internal(&self.name, what)
    }

    /// Run `edit`, which means `intent`: check the text it leaves against the loader's
    /// parser (see [`verify`]), and go back to the text before if it fails or the check
    /// does. The edits it is made of (`set` calls `set_value`) are checked as a whole.
    fn checked<T>(
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
    fn verify(&mut self, before: &Saved, intent: &Intent) -> Result<(), Error> {
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
    fn refusal(&self, before: &str, after: &str, problem: &str) -> Error {
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
    fn splice(&mut self, mut edits: Vec<(Range<usize>, String)>) -> Result<(), Error> {
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

    fn insert(&mut self, pos: usize, with: String) -> Result<(), Error> {
        self.splice(vec![(pos..pos, with)])
    }

    /// Insert whole lines at `pos` (a line start, or the end of a file without a final
    /// line break).
    fn insert_lines(&mut self, pos: usize, lines: String) -> Result<(), Error> {
        let lines = if !at_line_start(&self.text, pos) {
            format!("{}{lines}", self.nl)
        } else {
            lines
        };
        self.insert(pos, lines)
    }

    fn root_slot(&self) -> Result<Slot, Error> {
        let mut docs = self.file.documents();
        let doc = docs.next();
        if let Some(second) = docs.next() {
            let offset = second.byte_range().start as usize;
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("{} holds more than one YAML document", self.name),
            )
            .at(self.origin(offset..offset))
            .with_label("a second document starts here")
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
            value: value.map(untag),
            ctx: Ctx::Root,
            path: Vec::new(),
        })
    }

    /// A position in the text as it is now, for an error.
    fn origin(&self, range: Range<usize>) -> Origin {
        let source = SourceFile::new(self.name.as_str(), None, self.text.clone());
        Origin::at_span(
            &source,
            Span {
                offset: range.start,
                len: range.len(),
            },
        )
    }

    /// Start of the node at `pos` with its properties: the anchors (`&a`) and tags (`!t`)
    /// written before it on its line, which the parser leaves out of the node's range.
    fn node_start(&self, pos: usize) -> usize {
        let mut start = pos;
        loop {
            let from = line_start(&self.text, start);
            let before = at(&self.text, from..start);
            let trimmed = before.trim_end_matches([' ', '\t']);
            if trimmed.len() == before.len() {
                return start;
            }
            let token = trimmed.rfind([' ', '\t']).map_or(0, |i| i + 1);
            if !trimmed[token..].starts_with(['&', '!']) {
                return start;
            }
            start = from + token;
        }
    }

    fn entries(&self, node: &YamlNode) -> Vec<EntryInfo> {
        let Some(m) = node.as_mapping() else {
            return Vec::new();
        };
        m.entries()
            .filter_map(|e| {
                let key_node = e.key_node()?;
                let key_range = node_range(&key_node);
                let key = scalar_string(&untag(key_node))
                    .unwrap_or_else(|| at(&self.text, key_range.clone()).to_string());
                // The entry starts with the key's properties (`&a key:`).
                let key_range = self.node_start(key_range.start)..key_range.end;
                let after = at(&self.text, key_range.end..self.text.len());
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
                    value: e.value_node().map(untag),
                })
            })
            .collect()
    }

    fn is_flow(&self, node: &YamlNode) -> bool {
        let r = node_range(node);
        matches!(self.text.as_bytes().get(r.start), Some(b'{' | b'['))
    }

    pub(crate) fn shape(&self, node: Option<&YamlNode>) -> Shape {
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
                items: s.values().map(untag).collect(),
            },
            YamlNode::Alias(_) => Shape::Other {
                what: format!("an alias (`{}`)", at(&self.text, node_range(node)).trim()),
                help: "an edit through an alias would change every place its anchor is used: \
                       write the value out in place of the alias",
            },
            // `!!map` or `!!null` with nothing after it (`key: !!map`) is an empty value;
            // another core tag with nothing after it (`!!binary`, `!!str`) an empty string.
            YamlNode::TaggedNode(t) if is_core(t) => match t.resolved_tag().as_deref() {
                Some("!!map" | "!!null") => Shape::Null,
                _ => Shape::Scalar(String::new()),
            },
            YamlNode::TaggedNode(t) => Shape::Other {
                what: format!("tagged `{}`", t.tag().unwrap_or_default()),
                help: "hsm cannot edit a value with a tag of its own without losing the tag: \
                       remove the tag",
            },
        }
    }

    /// Where a slot's value is; an absent value is an empty range just past the `:`.
    pub(crate) fn value_range(&self, slot: &Slot) -> Range<usize> {
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

    pub(crate) fn resolve(&self, path: &[Seg]) -> Result<Resolved, Error> {
        let mut slot = self.root_slot()?;
        for (depth, seg) in path.iter().enumerate() {
            let shape = self.shape(slot.value.as_ref());
            match (*seg, shape) {
                (Seg::Key(k), Shape::Map { flow, entries }) => {
                    match entries.into_iter().find(|e| e.key == k) {
                        Some(e) => {
                            let mut path = slot.path;
                            path.push(Step::Key(k.to_string()));
                            slot = Slot {
                                value: e.value,
                                ctx: Ctx::Entry {
                                    flow,
                                    key: (e.key_range.start, e.key_range.end),
                                    colon_end: e.colon_end,
                                },
                                path,
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
                        .ok_or_else(|| self.bug("a list item vanished"))?;
                    let mut path = slot.path;
                    path.push(Step::Index(i));
                    slot = Slot {
                        value: Some(item),
                        ctx: Ctx::Item,
                        path,
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

    pub(crate) fn shape_error(
        &self,
        path: &[Seg],
        slot: &Slot,
        shape: &Shape,
        expected: &str,
    ) -> Error {
        let what = display_path(path);
        let help = match shape {
            Shape::Other { help, .. } => format!("{help}, then run the command again"),
            _ => format!(
                "fix {what} in {} by hand (or remove it), then run the command again",
                self.name
            ),
        };
        Error::new(
            ErrorKind::InvalidValue,
            format!(
                "cannot edit {}: {what} is {}, expected {expected}",
                self.name,
                shape.describe()
            ),
        )
        .at(self.origin(self.value_range(slot)))
        .with_label(format!("expected {expected}"))
        .with_help(help)
    }

    /// The index of the first item of the list at `path` that `matches`; `None` if there is
    /// no list there or no such item.
    pub(crate) fn find_item(
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
        let pos = self.node_start(pos);
        let before = at(&self.text, 0..pos).trim_end_matches([' ', '\t', '\n', '\r']);
        if before.ends_with('-') {
            Ok(before.len() - 1)
        } else {
            Err(self.bug("a list item without its `-`"))
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
            // A comment comes from a registry string and may hold anything: every line
            // break YAML knows (`\r`, NEL, U+2028, U+2029 too) starts a new `#` line, and
            // other control characters are dropped, so no text of it can become YAML.
            let breaks = |c: char| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
            for line in comment.replace("\r\n", "\n").split(breaks) {
                let line: String = line
                    .chars()
                    .filter(|c| !c.is_control() || *c == '\t')
                    .collect();
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
        out.push_str(&quote_key(&entry.key));
        out.push(':');
        if entry.value.is_inline() {
            out.push(' ');
            out.push_str(&entry.value.inline());
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
                    self.block_item(out, item, key_col + self.seq_offset);
                }
            }
            New::Str(_) | New::Raw(_) => {}
        }
    }

    /// The lines of a block list item with its dash in column `dash_col`: `- value`, or,
    /// for a mapping in a document [`Document::with_block_items`], its first entry on the
    /// dash line and the others below it.
    fn block_item(&self, out: &mut String, item: &New, dash_col: usize) {
        if let New::Map(entries) = item
            && self.block_items
            && !entries.is_empty()
            && entries[0].comment.is_none()
        {
            let mut lines = String::new();
            for e in entries {
                self.block_entry(&mut lines, e, dash_col + 2);
            }
            out.push_str(&Self::pad(dash_col));
            out.push_str("- ");
            out.push_str(&lines[dash_col + 2..]);
            return;
        }
        out.push_str(&Self::pad(dash_col));
        out.push_str("- ");
        out.push_str(&item.inline());
        out.push_str(self.nl);
    }

    /// Turn the scalar list item at `path` into a one-entry mapping `key: <the scalar>`,
    /// keeping the scalar as written: `- x` becomes `- name: x` in a block list, and
    /// `{name: x}` in a flow list. A mapping is left as it is.
    fn item_to_mapping_inner(&mut self, path: &[Seg], key: &str) -> Result<(), Error> {
        let Some((Seg::Index(_), list_path)) = path.split_last() else {
            return Err(self.bug("a list item path that does not end in an index"));
        };
        let Resolved::Found(list) = self.resolve(list_path)? else {
            return Err(self.bug("a list vanished"));
        };
        let Shape::Seq { flow, .. } = self.shape(list.value.as_ref()) else {
            return Err(self.bug("a list vanished"));
        };
        let Resolved::Found(slot) = self.resolve(path)? else {
            return Err(self.bug("a list item vanished"));
        };
        match self.shape(slot.value.as_ref()) {
            Shape::Map { .. } => Ok(()),
            Shape::Scalar(_) => {
                // An anchor or tag stays with the scalar: `- &a x` becomes `- name: &a x`.
                let range = self.value_range(&slot);
                let range = self.node_start(range.start)..range.end;
                let raw = at(&self.text, range.clone());
                let with = if flow {
                    format!("{{{}: {raw}}}", quote_key(key))
                } else {
                    format!("{}: {raw}", quote_key(key))
                };
                self.splice(vec![(range, with)])
            }
            other => Err(self.shape_error(path, &slot, &other, "a name or a mapping")),
        }
    }

    /// The list item in `slot` as written, with its anchor or tag (`&a x`).
    pub(crate) fn item_text(&self, slot: &Slot) -> String {
        let range = self.value_range(slot);
        at(&self.text, self.node_start(range.start)..range.end).to_string()
    }

    /// Replace the list item in `slot`, with its anchor or tag, by `value` (in flow style):
    /// with [`Document::item_text`] in `value`, the anchor stays with what it was on.
    fn replace_item_inner(&mut self, slot: &Slot, value: &New) -> Result<(), Error> {
        let range = self.value_range(slot);
        if !matches!(slot.ctx, Ctx::Item) || range.is_empty() {
            return Err(self.bug("replacing something that is not a list item"));
        }
        if let Some(v) = &slot.value
            && (v.is_mapping() || v.is_sequence())
            && !self.is_flow(v)
        {
            return Err(self.bug("replacing a block collection inside a list"));
        }
        self.splice(vec![(
            self.node_start(range.start)..range.end,
            value.flow(),
        )])
    }

    /// Set the value at `path` (a path of keys below the last existing node), creating
    /// missing mappings on the way. `comment` goes above the last key if it is created.
    fn set_inner(
        &mut self,
        path: &[Seg],
        value: New,
        comment: Option<String>,
    ) -> Result<(), Error> {
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
                        return Err(self.bug("a missing list item"));
                    };
                    value = New::Map(vec![NewEntry {
                        key: k.to_string(),
                        value,
                        comment: comment.take(),
                    }]);
                }
                let Seg::Key(key) = path[depth] else {
                    return Err(self.bug("a missing list item"));
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
            return Err(self.bug("an empty mapping"));
        };
        let last_end = last.value.as_ref().map_or(last.key_range.end, |v| {
            node_range(v).end.max(last.key_range.end)
        });
        if flow {
            let text = format!(", {}: {}", quote_key(&entry.key), entry.value.flow());
            return self.insert(last_end, text);
        }
        let col = self.column(first.key_range.start);
        let pos = self.body_end(last.key_range.start, col, true, last.value.as_ref());
        let mut lines = String::new();
        self.block_entry(&mut lines, &entry, col);
        self.insert_lines(pos, lines)
    }

    /// Replace the value in `slot` with `value`.
    fn set_value_inner(&mut self, slot: &Slot, value: New) -> Result<(), Error> {
        let range = self.value_range(slot);
        match slot.ctx {
            Ctx::Root => {
                let New::Map(entries) = &value else {
                    return Err(self.bug("a document that is not a mapping"));
                };
                let mut lines = String::new();
                for e in entries {
                    self.block_entry(&mut lines, e, 0);
                }
                // No value (an empty file, comments, `---`, a bare `!!map`): lines at the end.
                if range.is_empty() {
                    return self.insert_lines(self.text.len(), lines);
                }
                // A null or `{}` gives way to the lines, which start a line of their own in
                // column 0: after its indentation goes, and after `---` or a tag a line
                // break comes first (`--- key:` is no mapping).
                let lines = lines.trim_end_matches(['\r', '\n']);
                let from = line_start(&self.text, range.start);
                let before = at(&self.text, from..range.start);
                let (start, lines) = if before.trim().is_empty() {
                    (from, lines.to_string())
                } else {
                    let kept = before.trim_end_matches([' ', '\t']).len();
                    (from + kept, format!("{}{lines}", self.nl))
                };
                self.splice(vec![(start..range.end, lines)])
            }
            Ctx::Entry { flow: true, .. } | Ctx::Item => {
                if let Some(v) = &slot.value
                    && (v.is_mapping() || v.is_sequence())
                    && !self.is_flow(v)
                {
                    return Err(self.bug("replacing a block collection inside a list"));
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
                    return Err(self.bug("an entry without `:`"));
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
                    let rest = at(&self.text, colon_end..line_end(&self.text, colon_end))
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
                let below = line_end(&self.text, range.end.saturating_sub(1).max(colon_end));
                if !at_line_start(&self.text, below) {
                    lines.push_str(self.nl);
                }
                self.block_children(&mut lines, &value, key_col);
                // An anchor or tag before the old value stays on the key line.
                let kept = at(&self.text, colon_end..range.start)
                    .trim_end_matches([' ', '\t'])
                    .len();
                self.splice(vec![
                    (colon_end + kept..range.end, String::new()),
                    (below..below, lines),
                ])
            }
        }
    }

    /// Append an item to the list at `path`, creating it (and missing mappings) if needed.
    fn push_inner(&mut self, path: &[Seg], item: New) -> Result<(), Error> {
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
                    return Err(self.bug("an empty list"));
                };
                let col = self.column(self.dash_of(node_range(first).start)?);
                let last_dash = self.dash_of(node_range(last).start)?;
                let pos = self.body_end(last_dash, col, false, Some(last));
                let mut line = String::new();
                self.block_item(&mut line, &item, col);
                self.insert_lines(pos, line)
            }
            other => Err(self.shape_error(path, &slot, &other, "a list")),
        }
    }

    /// Remove the mapping entry at `path`; false if it is not there.
    fn remove_key_inner(&mut self, path: &[Seg]) -> Result<bool, Error> {
        let Some((Seg::Key(key), parent_path)) = path.split_last() else {
            return Err(self.bug("removing something that is not a key"));
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
    fn remove_item_inner(&mut self, path: &[Seg], index: usize) -> Result<(), Error> {
        let Resolved::Found(slot) = self.resolve(path)? else {
            return Err(self.bug("a list vanished"));
        };
        let Shape::Seq { flow, items } = self.shape(slot.value.as_ref()) else {
            return Err(self.bug("a list vanished"));
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
        if whole.len() < 2 || ranges.is_empty() {
            return Err(self.bug("a flow collection without brackets"));
        }
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
        if !at(text, region_start..*start).trim().is_empty() {
            return Err(self.bug("an entry that does not start its line"));
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
                return Err(self.bug("emptying a collection that has no key"));
            };
            edits.push((colon_end..colon_end, format!(" {empty}")));
        }
        self.splice(edits)
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
    use super::*;

    #[test]
    fn block_lines_quote_less_than_flow_collections() {
        for (value, block) in [
            ("https://github.com/x/y.git", "https://github.com/x/y.git"),
            ("nginx:latest", "nginx:latest"),
            ("a, b [c]", "a, b [c]"),
            ("issue#4", "issue#4"),
            ("1.2.3", "1.2.3"),
            ("8080:80", "'8080:80'"),
            ("1.10", "'1.10'"),
            ("a: b", "'a: b'"),
            ("a #b", "'a #b'"),
            ("ends:", "'ends:'"),
            ("[x]", "'[x]'"),
            ("yes", "'yes'"),
        ] {
            assert_eq!(quote_block(value), block, "{value:?}");
            let doc = format!("v: {block}\n");
            let parsed: std::collections::BTreeMap<String, serde_yaml::Value> =
                serde_yaml::from_str(&doc).unwrap();
            assert_eq!(parsed["v"], serde_yaml::Value::String(value.to_string()));
        }
        assert_eq!(quote_key("service:qdrant"), "service:qdrant");
        assert_eq!(
            quote_key("library_group:vector-db"),
            "library_group:vector-db"
        );
        assert_eq!(quote_key("a: b"), "'a: b'");
        assert_eq!(quote_key("service:"), "'service:'");
        let doc = "{service:qdrant: {params: {a: b}}, library_group:g: x}\n";
        let parsed: std::collections::BTreeMap<String, serde_yaml::Value> =
            serde_yaml::from_str(doc).unwrap();
        assert!(parsed.contains_key("service:qdrant") && parsed.contains_key("library_group:g"));
    }

    use crate::manifest::edit::Editor;
    use crate::manifest::{Section, Strategy};
    use crate::registry::edit::{FileEditor, ImpliedValue, ImpliesOf};

    /// `group add g --option o` on hsm.yaml `text`.
    fn select(text: &str) -> Result<String, Error> {
        let mut e = Editor::parse(text)?;
        e.group_select(Section::Libraries, "g", Strategy::OneOfN, "o", None)?;
        Ok(e.to_text())
    }

    const SELECTED: &str =
        "libraries:\n  groups:\n    g:\n      strategy: 1-of-N\n      selection: o\n";

    #[test]
    fn a_multi_byte_character_at_the_end_of_the_file() {
        // The last value ends in `é`: its last byte is inside the character.
        let mut e = FileEditor::parse("x.yaml", "name: a\ndescription: café").unwrap();
        let value = ImpliedValue::Params(indexmap::IndexMap::new());
        e.implies_set(ImpliesOf::Component, "service:s", &value)
            .unwrap();
        assert_eq!(
            e.text(),
            "name: a\ndescription: café\nimplies:\n  service:s: {}\n"
        );
        for text in [
            "project:\n  name: café",
            "project: {name: café}",
            "project:\n  name: 日本😀",
        ] {
            let out = select(text).unwrap();
            assert_eq!(out, format!("{text}\n{SELECTED}"));
        }
        let mut e = FileEditor::parse(
            "g.yaml",
            "name: g\noptions:\n  - name: a\n    description: é",
        )
        .unwrap();
        e.option_add("b", Some("ü")).unwrap();
        assert_eq!(
            e.text(),
            "name: g\noptions:\n  - name: a\n    description: é\n  - name: b\n    description: ü\n"
        );
    }

    #[test]
    fn an_empty_root_however_written() {
        // Without a last line break before, there is none after.
        assert_eq!(select("{}").unwrap(), SELECTED.trim_end());
        for text in ["{}\n", "  {}\n", "~\n", "", "# nothing yet\n", "!!map\n"] {
            let out = select(text).unwrap();
            let kept = match text {
                "# nothing yet\n" | "!!map\n" => text,
                _ => "",
            };
            assert_eq!(out, format!("{kept}{SELECTED}"), "{text:?}");
        }
        // `!!binary` with nothing after it is an empty string to the loader, not an empty
        // mapping. (At the root, fuzz/corpus/edit_manifest/binary-tag-root.yaml, the editor
        // sees no node and writes the first keys under the tag, which the loader reads as
        // a mapping: no file hsm loads as a manifest.)
        let err = select("libraries: !!binary\n").unwrap_err();
        assert_eq!(
            err.message,
            "cannot edit hsm.yaml: `libraries` is the value ``, expected a mapping"
        );
        for (text, head) in [
            ("--- {}\n", "---\n"),
            ("!!map {}\n", "!!map\n"),
            ("--- !!map {}\n", "--- !!map\n"),
            ("--- !!map\n", "--- !!map\n"),
            ("---\n", "---\n"),
        ] {
            assert_eq!(
                select(text).unwrap(),
                format!("{head}{SELECTED}"),
                "{text:?}"
            );
        }
    }

    #[test]
    fn tags_and_anchors_stay_where_they_are() {
        // A tagged or anchored key is found by its name.
        assert_eq!(
            select("!!str libraries:\n  groups: {}\n").unwrap(),
            "!!str libraries:\n  groups:\n    g:\n      strategy: 1-of-N\n      selection: o\n"
        );
        assert_eq!(
            select("&l libraries: {}\n").unwrap(),
            "&l libraries:\n  groups:\n    g:\n      strategy: 1-of-N\n      selection: o\n"
        );
        // A core tag on a value is looked through; an anchor stays on its value.
        assert_eq!(
            select("libraries: !!map {}\n").unwrap(),
            "libraries: !!map\n  groups:\n    g:\n      strategy: 1-of-N\n      selection: o\n"
        );
        assert_eq!(
            select("libraries: &l\n  groups: !!map\n    h: {selection: p}\n").unwrap(),
            "libraries: &l\n  groups: !!map\n    h: {selection: p}\n    g:\n      strategy: 1-of-N\n      selection: o\n"
        );
        let mut e =
            Editor::parse("libraries:\n  standalone:\n    - &x a\n    - !!str b\n").unwrap();
        e.set_mode("a", crate::manifest::Mode::Dev).unwrap();
        e.set_mode("b", crate::manifest::Mode::Dev).unwrap();
        assert_eq!(
            e.to_text(),
            "libraries:\n  standalone:\n    - {name: &x a, mode: dev}\n    - {name: !!str b, mode: dev}\n"
        );
        let mut e = FileEditor::parse("g.yaml", "options:\n  - &o a\n").unwrap();
        let value = ImpliedValue::Params(indexmap::IndexMap::new());
        e.implies_set(ImpliesOf::Option(0), "service:s", &value)
            .unwrap();
        assert_eq!(
            e.text(),
            "options:\n  - name: &o a\n    implies:\n      service:s: {}\n"
        );
    }

    #[test]
    fn what_cannot_be_edited_is_refused_with_its_position() {
        let err = select("libraries: !custom {}\n").unwrap_err();
        assert_eq!(
            err.message,
            "cannot edit hsm.yaml: `libraries` is tagged `!custom`, expected a mapping"
        );
        assert_eq!(err.location().as_deref(), Some("hsm.yaml:1:12"));
        assert!(
            err.help.as_deref().unwrap().contains("remove the tag"),
            "{err:?}"
        );
        let err = select("services: &s {}\nlibraries: *s\n").unwrap_err();
        assert_eq!(
            err.message,
            "cannot edit hsm.yaml: `libraries` is an alias (`*s`), expected a mapping"
        );
        assert_eq!(err.location().as_deref(), Some("hsm.yaml:2:12"));
        let err = select("project: {name: a}\n---\nproject: {name: b}\n").unwrap_err();
        assert_eq!(err.message, "hsm.yaml holds more than one YAML document");
        assert_eq!(err.location().as_deref(), Some("hsm.yaml:2:1"));
    }

    #[test]
    fn line_breaks_are_kept() {
        // CRLF, a lone CR (a line break in YAML), and a file without a last line break.
        assert_eq!(
            select("project:\r\n  name: x\r\n").unwrap(),
            format!(
                "project:\r\n  name: x\r\n{}",
                SELECTED.replace('\n', "\r\n")
            )
        );
        assert_eq!(
            select("project: {name: x}\rlibraries: {}\r").unwrap(),
            format!("project: {{name: x}}\r{}", SELECTED.replace('\n', "\r"))
        );
        assert_eq!(
            select("project:\n  name: x\r").unwrap(),
            format!("project:\n  name: x\r{SELECTED}")
        );
        // A stray CR in a blank line does not make the file CRLF.
        assert_eq!(
            select("project: {name: x}\n\r\n").unwrap(),
            format!("project: {{name: x}}\n{SELECTED}\r\n")
        );
        assert_eq!(line_break("a\r\nb\n"), "\r\n");
        assert_eq!(line_break("a"), "\n");
    }

    /// `implies add service:s` on registry file `text`.
    fn implies(text: &str) -> Result<String, Error> {
        let mut e = FileEditor::parse("x.yaml", text)?;
        let value = ImpliedValue::Params(indexmap::IndexMap::new());
        let result = e.implies_set(ImpliesOf::Component, "service:s", &value);
        // A refused edit leaves the text as it was.
        if result.is_err() {
            assert_eq!(e.text(), text);
        }
        result.map(|()| e.text().into_owned())
    }

    #[test]
    fn a_byte_order_mark_stays_at_the_start() {
        // fuzz/corpus/edit_manifest/bom-then-edit.yaml: the editor read the mark as part of
        // the first key, the loader as no part of the text.
        let text = "\u{feff}raries:\n  groups:\n    llm-client:\n      strategy: 1-of-N\n";
        let mut e = Editor::parse(text).unwrap();
        e.group_select(Section::Libraries, "g", Strategy::OneOfN, "o", None)
            .unwrap();
        e.set_project_name("p").unwrap();
        assert!(e.group_remove(Section::Libraries, "g").unwrap());
        e.standalone_add(Section::Services, "s", None).unwrap();
        let out = e.to_text();
        assert_eq!(
            out,
            format!(
                "{text}libraries:\n  groups: {{}}\nproject:\n  name: p\nservices:\n  standalone:\n    - s\n"
            )
        );
        // hsm's loader reads the mark as no part of the text, as the editor does now (and
        // yaml_serde, given the mark, reads a second key as a second document).
        let body = out.strip_prefix('\u{feff}').unwrap();
        assert!(serde_yaml::from_str::<serde_yaml::Value>(body).is_ok());
        assert!(
            crate::source::parse_yaml::<serde_yaml::Value>(
                &SourceFile::new("hsm.yaml", None, out.as_str()),
                "manifest"
            )
            .is_ok()
        );
        assert_eq!(
            select("\u{feff}libraries: {}\n").unwrap(),
            format!("\u{feff}{SELECTED}")
        );
        assert_eq!(
            implies("\u{feff}name: x\n").unwrap(),
            "\u{feff}name: x\nimplies:\n  service:s: {}\n"
        );
    }

    #[test]
    fn yaml_1_1_line_breaks_are_refused() {
        // fuzz/corpus/edit_manifest/line-separator-in-comment.yaml: `#<U+2028> a: 1` is a
        // comment to the editor, and `{a: 1}` to the loader.
        for (text, what, at) in [
            ("#\u{2028} a: 1\n", "a line separator (U+2028)", "1:2"),
            ("a: b\u{85}c\n", "a next-line character (U+0085)", "1:5"),
            (
                "a: 1\nb: \"\u{2029}\"\n",
                "a paragraph separator (U+2029)",
                "2:5",
            ),
        ] {
            let err = Editor::parse(text).unwrap_err();
            assert_eq!(
                err.message,
                format!("hsm cannot edit hsm.yaml losslessly: {what} at {at}")
            );
            assert_eq!(err.location(), Some(format!("hsm.yaml:{at}")));
            assert!(err.help.unwrap().contains("ordinary line break"));
            assert!(FileEditor::parse("x.yaml", text).is_err());
        }
    }

    #[test]
    fn what_the_loader_reads_otherwise_is_refused() {
        // fuzz/corpus/edit_registry/explicit-key-root.yaml: `implies:` went inside the key.
        let err = implies("?").unwrap_err();
        assert_eq!(
            err.message,
            "hsm cannot edit x.yaml losslessly: an explicit key (`?`) at 1:1"
        );
        assert_eq!(
            err.help.as_deref(),
            Some(
                "edit x.yaml by hand, or write the entry as `key: value` in a block mapping; \
                 then run the command again"
            )
        );
        // fuzz/corpus/edit_registry/multiline-flow-mapping.yaml: `implies:` went inside the
        // braces.
        let err = implies("t:\n u: {\n}").unwrap_err();
        assert_eq!(
            err.message,
            "hsm cannot edit x.yaml losslessly: a flow collection over several lines at 2:5"
        );
        // fuzz/corpus/edit_registry/tag-with-odd-handle.yaml: the editor did not see the
        // `implies` key and added a second one.
        let err = implies("a: !x$y!z\nimplies:\n  service:a: a\n").unwrap_err();
        assert_eq!(
            err.message,
            "hsm cannot edit x.yaml losslessly: the tag `!x$y!z` at 1:4"
        );
        assert_eq!(err.location().as_deref(), Some("x.yaml:1:4"));
        // The same constructs where the edit comes out right are edited.
        assert_eq!(
            implies("? a\n: b\nimplies: {}\n").unwrap(),
            "? a\n: b\nimplies:\n  service:s: {}\n"
        );
        assert_eq!(
            implies("a: {\n  b: c}\n").unwrap(),
            "a: {\n  b: c}\nimplies:\n  service:s: {}\n"
        );
        assert_eq!(
            implies("a: !x!z b\n").unwrap(),
            "a: !x!z b\nimplies:\n  service:s: {}\n"
        );
    }

    #[test]
    fn line_helpers_work_from_any_byte() {
        let text = "a: é\r\nb: c\rd\n";
        for pos in 0..=text.len() {
            let start = line_start(text, pos);
            let end = line_end(text, pos);
            assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
            assert!(start <= pos.min(text.len()) && end >= start);
        }
        // Inside `é`, the line is the first one.
        assert_eq!((line_start(text, 4), line_end(text, 4)), (0, 7));
        assert_eq!((line_start(text, 8), line_end(text, 8)), (7, 12));
        assert_eq!(at(text, 4..5), "");
    }

    mod property {
        use proptest::prelude::*;
        use proptest::test_runner::TestCaseError;
        use serde_yaml::{Mapping, Value};

        use crate::manifest::edit::Editor;
        use crate::manifest::{Mode, Section, Strategy as Pick};
        use crate::registry::edit::{FileEditor, ImpliedValue, ImpliesOf};

        /// Text shaped like YAML often enough to reach the editing code: lines of keys,
        /// items, flow collections, comments, quotes, tags and anchors, with multi-byte
        /// characters, tabs and every kind of line break, or arbitrary printable text.
        fn text() -> impl Strategy<Value = String> {
            let word = prop_oneof![
                Just("libraries".to_string()),
                Just("services".to_string()),
                Just("groups".to_string()),
                Just("standalone".to_string()),
                Just("selection".to_string()),
                Just("options".to_string()),
                Just("implies".to_string()),
                Just("modes".to_string()),
                Just("name".to_string()),
                Just("g".to_string()),
                Just("café".to_string()),
                Just("日本".to_string()),
                "[a-zé€😀]{1,3}",
            ];
            let token = prop_oneof![
                word.clone(),
                word.clone().prop_map(|w| format!("{w}:")),
                word.clone().prop_map(|w| format!("{w}: café")),
                word.prop_map(|w| format!("- {w}")),
                Just("-".to_string()),
                Just("- ".to_string()),
                Just("{}".to_string()),
                Just("[]".to_string()),
                Just("[a, é]".to_string()),
                Just("{a: b, c: [d]}".to_string()),
                Just("'qu''oté'".to_string()),
                Just("\"dq é\"".to_string()),
                Just("# commént".to_string()),
                Just("!!map".to_string()),
                Just("!!str".to_string()),
                Just("!t".to_string()),
                Just("&a".to_string()),
                Just("*a".to_string()),
                Just("|".to_string()),
                Just("---".to_string()),
                Just("?".to_string()),
                Just(":".to_string()),
                Just("~".to_string()),
                "[ -~éü€😀\t]{0,4}",
            ];
            let line = (0..6usize, prop::collection::vec(token, 0..4))
                .prop_map(|(indent, tokens)| format!("{}{}", " ".repeat(indent), tokens.join(" ")));
            let brk = prop_oneof![
                Just("\n"),
                Just("\n"),
                Just("\n"),
                Just("\r\n"),
                Just("\r"),
                Just("")
            ];
            let lines = prop::collection::vec((line, brk), 0..8).prop_map(|lines| {
                lines
                    .into_iter()
                    .map(|(l, b)| format!("{l}{b}"))
                    .collect::<String>()
            });
            prop_oneof![4 => lines, 1 => "\\PC{0,40}"]
        }

        fn manifest_edits(text: &str) {
            let Ok(editor) = Editor::parse(text) else {
                return;
            };
            let mut e = editor;
            let _ = e.group_select(
                Section::Libraries,
                "g",
                Pick::OneOfN,
                "é",
                Some("a comment ü"),
            );
            let _ = e.group_select(Section::Services, "café", Pick::ManyOfN, "x", None);
            let _ = e.group_set_profile(Section::Libraries, "g", "dev");
            let _ = e.standalone_add(Section::Libraries, "日本", Some("p"));
            let _ = e.standalone_add(Section::Services, "s", None);
            let _ = e.set_mode("日本", Mode::Dev);
            let _ = e.set_mode("café", Mode::Prod);
            let _ = e.set_project_name("n€");
            let _ = e.group_unselect(Section::Services, "café", "x");
            let _ = e.standalone_remove(Section::Libraries, "name");
            let _ = e.group_remove(Section::Libraries, "g");
            let _ = e.group_remove(Section::Libraries, "groups");
            let _ = e.standalone_remove(Section::Services, "s");
        }

        fn registry_edits(text: &str) {
            let Ok(mut e) = FileEditor::parse("x.yaml", text) else {
                return;
            };
            let params: indexmap::IndexMap<String, String> =
                [("k".to_string(), "vé".to_string())].into_iter().collect();
            let _ = e.implies_set(
                ImpliesOf::Component,
                "service:s",
                &ImpliedValue::Params(params),
            );
            let _ = e.option_add("opt", Some("déscription 😀"));
            let _ = e.option_add("o2", None);
            let _ = e.implies_set(
                ImpliesOf::Option(0),
                "service_group:g",
                &ImpliedValue::Options(vec!["a".into(), "b".into()]),
            );
            let _ = e.implies_remove(ImpliesOf::Component, "service:s");
            let _ = e.option_remove("opt");
            let _ = e.default_remove("a");
            let _ = e.option_remove("o2");
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            /// Whatever the text, editing it never panics: it is edited or refused.
            #[test]
            fn editing_never_panics(text in text()) {
                manifest_edits(&text);
                registry_edits(&text);
            }

            /// A valid hsm.yaml, however it is written, is edited, not refused, and what the
            /// edit does not touch reads the same afterwards.
            #[test]
            fn valid_files_are_edited((text, data) in valid_manifest()) {
                let mut e = Editor::parse(&text).map_err(|e| TestCaseError::fail(e.message))?;
                e.group_select(Section::Libraries, "g", Pick::OneOfN, "opt", Some("ü"))
                    .map_err(|e| TestCaseError::fail(e.message))?;
                e.standalone_add(Section::Services, "s-1", None)
                    .map_err(|e| TestCaseError::fail(e.message))?;
                e.set_mode("s-1", Mode::Dev).map_err(|e| TestCaseError::fail(e.message))?;
                let out = e.to_text();
                let edited: Value = serde_yaml::from_str(&out)
                    .map_err(|err| TestCaseError::fail(format!("{err}:\n{out}")))?;
                prop_assert_eq!(
                    &edited["libraries"]["groups"]["g"]["selection"],
                    &Value::from("opt"),
                    "{}", out
                );
                prop_assert_eq!(
                    &edited["services"]["standalone"][0]["mode"],
                    &Value::from("dev"),
                    "{}", out
                );
                for (key, value) in data.as_mapping().into_iter().flatten() {
                    if !matches!(key.as_str(), Some("libraries" | "services" | "modes")) {
                        prop_assert_eq!(&edited[key], value, "{}", out);
                    }
                }
                // New lines use the file's line break.
                if text.contains("\r\n") && !text.replace("\r\n", "").contains('\n') {
                    prop_assert!(!out.replace("\r\n", "").contains('\n'), "{:?}", out);
                }
            }
        }

        /// Any value: strings with multi-byte characters, quotes, brackets and `#`.
        fn any_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                "[ -~éü€😀]{0,10}".prop_map(Value::from),
                any::<i32>().prop_map(Value::from),
                Just(Value::Null),
            ];
            leaf.prop_recursive(3, 12, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Sequence),
                    prop::collection::vec(("[a-zé]{1,5}", inner), 0..3).prop_map(|e| {
                        Value::Mapping(e.into_iter().map(|(k, v)| (Value::from(k), v)).collect())
                    }),
                ]
            })
        }

        /// A valid hsm.yaml written in one of the ways people write YAML, and its data.
        fn valid_manifest() -> impl Strategy<Value = (String, Value)> {
            let data = (
                "[ -~éü€😀]{1,10}",
                prop::option::of(any_value()),
                prop::option::of(prop::collection::vec("[a-zé€]{1,6}", 0..3)),
                any::<bool>(),
            )
                .prop_map(|(name, extra, standalone, groups)| {
                    let mut m = Mapping::new();
                    let mut project = Mapping::new();
                    project.insert("name".into(), Value::from(name));
                    m.insert("project".into(), Value::Mapping(project));
                    if let Some(extra) = extra {
                        m.insert("x-notes".into(), extra);
                    }
                    if let Some(items) = standalone {
                        let mut libs = Mapping::new();
                        libs.insert(
                            "standalone".into(),
                            Value::Sequence(items.into_iter().map(Value::from).collect()),
                        );
                        if groups {
                            libs.insert("groups".into(), Value::Mapping(Mapping::new()));
                        }
                        m.insert("libraries".into(), Value::Mapping(libs));
                    }
                    Value::Mapping(m)
                });
            (data, 0..9usize, 0..4usize, any::<bool>()).prop_map(|(data, style, indent, end)| {
                let block = serde_yaml::to_string(&data).unwrap_or_default();
                let text = match style {
                    // Flow style: a JSON document.
                    0 => serde_json::to_string(&data).unwrap_or_default(),
                    1 => block.replace('\n', "\r\n"),
                    2 => block.replace('\n', "\r"),
                    3 => format!("--- !!map\n{block}"),
                    4 => format!("%YAML 1.2\n---\n{block}# the end é\n"),
                    5 => block.replacen("project:", "!!str project:", 1),
                    6 => block.replacen("project:", "&p project:", 1),
                    // The whole document indented.
                    7 => block
                        .lines()
                        .map(|l| format!("{}{l}\n", " ".repeat(indent + 1)))
                        .collect(),
                    _ => block,
                };
                let text = if end {
                    text.trim_end_matches(['\r', '\n']).to_string()
                } else {
                    text
                };
                (text, data)
            })
        }
    }

    #[test]
    fn block_items_write_mappings_in_block_style() {
        let mut doc = Document::parse("x.yaml", "options:\n- a\n")
            .unwrap()
            .with_block_items();
        doc.push(
            &[Seg::Key("options")],
            New::Map(vec![
                NewEntry::new("name", New::Str("b".into())),
                NewEntry::new(
                    "implies",
                    New::Map(vec![NewEntry::new("service:s", New::Map(Vec::new()))]),
                ),
            ]),
        )
        .unwrap();
        assert_eq!(
            doc.text(),
            "options:\n- a\n- name: b\n  implies:\n    service:s: {}\n"
        );
        doc.item_to_mapping(&[Seg::Key("options"), Seg::Index(0)], "name")
            .unwrap();
        assert_eq!(
            doc.text(),
            "options:\n- name: a\n- name: b\n  implies:\n    service:s: {}\n"
        );
    }
}
