//! The parser of the simple subset: block mappings and sequences, one-line flow
//! collections, one-line scalars. Anything else is `None`.

use std::borrow::Cow;

/// A parsed value. Scalars borrow from the text unless quoting changed them.
#[derive(Debug, PartialEq)]
pub(crate) enum Node<'a> {
    Scalar(Scalar<'a>),
    /// Keys are scalars.
    Map(Vec<(Node<'a>, Node<'a>)>),
    Seq(Vec<Node<'a>>),
}

#[derive(Debug, PartialEq)]
pub(crate) struct Scalar<'a> {
    pub(crate) text: Cow<'a, str>,
    /// Plain (unquoted): only plain scalars resolve to null, booleans and numbers.
    pub(crate) plain: bool,
}

impl<'a> Scalar<'a> {
    fn plain(text: &'a str) -> Self {
        Scalar {
            text: Cow::Borrowed(text),
            plain: true,
        }
    }

    fn empty() -> Self {
        Scalar::plain("")
    }
}

/// Deeper than this is left to the parser (and to `limits`' bound on nesting).
const MAX_DEPTH: usize = 32;

/// Longer keys are left to the parser (YAML bounds implicit keys at 1024 characters).
const MAX_KEY: usize = 512;

/// Up to this many entries, a mapping's keys are compared one by one to find a repeated
/// key; beyond, they are hashed.
const FEW_KEYS: usize = 16;

/// The document `text` holds, when it is a block mapping written in the simple subset.
pub(crate) fn document(text: &str) -> Option<Node<'_>> {
    if !text.chars().all(plain_char) {
        return None;
    }
    let mut lines: Vec<Line> = Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    lines.extend(text.split('\n').map(|l| {
        let content = l.trim_start_matches(' ');
        Line {
            indent: l.len() - content.len(),
            content,
        }
    }));
    let mut p = Parser { lines, at: 0 };
    p.skip_blank();
    let first = p.lines.get(p.at)?;
    if first.indent != 0 || is_seq_item(first.content) {
        return None;
    }
    let node = p.mapping(0, 0, 0)?;
    p.skip_blank();
    (p.at == p.lines.len()).then_some(node)
}

/// Characters the subset allows anywhere: printable, no tab, no carriage return, no BOM,
/// none of the characters YAML 1.1 reads as line breaks (NEL, U+2028, U+2029).
fn plain_char(c: char) -> bool {
    match c {
        '\n' => true,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => false,
        '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => false,
        _ => true,
    }
}

struct Line<'a> {
    indent: usize,
    /// The line after its indentation.
    content: &'a str,
}

impl Line<'_> {
    /// Blank or a comment: YAML skips it.
    fn blank(&self) -> bool {
        self.content.is_empty() || self.content.starts_with('#')
    }
}

fn is_seq_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    at: usize,
}

impl<'a> Parser<'a> {
    fn skip_blank(&mut self) {
        while self.lines.get(self.at).is_some_and(Line::blank) {
            self.at += 1;
        }
    }

    /// The next line that is not blank, without moving to it.
    fn next_line(&mut self) -> Option<&Line<'a>> {
        self.skip_blank();
        self.lines.get(self.at)
    }

    /// A block mapping whose entries start in column `indent`; the first one starts at
    /// byte `col` of the current line (after `- ` in a sequence item, else at `indent`).
    fn mapping(&mut self, indent: usize, col: usize, depth: usize) -> Option<Node<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut entries: Vec<(Node<'a>, Node<'a>)> = Vec::new();
        let mut keys = Keys::default();
        let mut start = col - self.lines[self.at].indent;
        loop {
            let line = &self.lines[self.at];
            let content = &line.content[start..];
            let (key, rest) = block_key(content)?;
            if keys.repeated(&entries, &key) {
                return None;
            }
            self.at += 1;
            let value = self.value(rest, indent, true, depth)?;
            entries.push((Node::Scalar(key), value));
            match self.next_line() {
                Some(next) if next.indent == indent && !is_seq_item(next.content) => start = 0,
                Some(next) if next.indent >= indent => return None,
                _ => return Some(Node::Map(entries)),
            }
        }
    }

    /// A block sequence whose items start with `-` in column `indent`; the current line is
    /// its first item.
    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Node<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut items = Vec::new();
        loop {
            let line = &self.lines[self.at];
            let after = line.content.strip_prefix('-')?;
            let rest = after.trim_start_matches(' ');
            let col = indent + 1 + (after.len() - rest.len());
            let item = if rest.is_empty() || rest.starts_with('#') {
                self.at += 1;
                self.nested(indent, false, depth)?
            } else if is_seq_item(rest) {
                return None;
            } else if block_key(rest).is_some() {
                self.mapping(col, col, depth + 1)?
            } else {
                self.at += 1;
                self.value(rest, indent, false, depth)?
            };
            items.push(item);
            match self.next_line() {
                Some(next) if next.indent == indent && is_seq_item(next.content) => {}
                Some(next) if next.indent > indent => return None,
                _ => return Some(Node::Seq(items)),
            }
        }
    }

    /// The value after a key's `:` (or a sequence's `-`), `rest` being the rest of its line;
    /// the key or `-` is in column `indent`. A mapping's value may be a sequence in the
    /// same column (`in_map`).
    fn value(
        &mut self,
        rest: &'a str,
        indent: usize,
        in_map: bool,
        depth: usize,
    ) -> Option<Node<'a>> {
        if rest.is_empty() || rest.starts_with('#') {
            return self.nested(indent, in_map, depth);
        }
        let node = inline(rest, depth)?;
        // A scalar may go on in the lines below, more indented: left to the parser.
        match self.next_line() {
            Some(next) if next.indent > indent => None,
            _ => Some(node),
        }
    }

    /// What follows a key or `-` with nothing after it on its line: a block collection
    /// on the lines below, or null.
    fn nested(&mut self, indent: usize, in_map: bool, depth: usize) -> Option<Node<'a>> {
        let Some(next) = self.next_line() else {
            return Some(Node::Scalar(Scalar::empty()));
        };
        let (next_indent, seq) = (next.indent, is_seq_item(next.content));
        if next_indent > indent || (in_map && next_indent == indent && seq) {
            if seq {
                self.sequence(next_indent, depth + 1)
            } else {
                self.mapping(next_indent, next_indent, depth + 1)
            }
        } else {
            Some(Node::Scalar(Scalar::empty()))
        }
    }
}

/// The keys of a mapping being read, to find a repeated one (YAML forbids it; serde
/// would take one of them): compared one by one while they are few, hashed beyond.
#[derive(Default)]
struct Keys<'a>(rustc_hash::FxHashSet<Cow<'a, str>>);

impl<'a> Keys<'a> {
    /// Whether `key` is among the keys of `entries`, the mapping's entries so far.
    fn repeated(&mut self, entries: &[(Node<'a>, Node<'a>)], key: &Scalar<'a>) -> bool {
        if entries.len() < FEW_KEYS {
            return entries
                .iter()
                .any(|(k, _)| matches!(k, Node::Scalar(k) if k.text == key.text));
        }
        if self.0.is_empty() {
            for (k, _) in entries {
                if let Node::Scalar(k) = k {
                    self.0.insert(k.text.clone());
                }
            }
        }
        !self.0.insert(key.text.clone())
    }
}

/// A block mapping's key at the start of `content` and what follows its `: `.
fn block_key(content: &str) -> Option<(Scalar<'_>, &str)> {
    let (key, after) = key(content)?;
    let rest = after.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest.trim_start_matches(' ')))
}

/// A key: a plain word (letters, digits, `_ . / $ + -`, and `:` inside between two such
/// characters) or a quoted scalar; and the text after it, which starts with its `:`.
fn key(content: &str) -> Option<(Scalar<'_>, &str)> {
    if content.starts_with(['"', '\'']) {
        let (scalar, after) = quoted(content)?;
        return Some((scalar, after));
    }
    let bytes = content.as_bytes();
    if !bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        return None;
    }
    let mut end = 0;
    while end < bytes.len() {
        let b = bytes[end];
        let word =
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'$' | b'+' | b'-');
        let inner_colon = b == b':' && bytes.get(end + 1).is_some_and(u8::is_ascii_alphanumeric);
        if !(word || inner_colon) {
            break;
        }
        end += 1;
    }
    if end > MAX_KEY {
        return None;
    }
    Some((Scalar::plain(&content[..end]), &content[end..]))
}

/// A value written on one line: a flow collection or a scalar, then at most a comment.
fn inline(rest: &str, depth: usize) -> Option<Node<'_>> {
    let (node, after) = match rest.as_bytes()[0] {
        b'{' | b'[' => flow(rest, depth + 1)?,
        b'"' | b'\'' => {
            let (s, after) = quoted(rest)?;
            (Node::Scalar(s), after)
        }
        _ => {
            let (s, after) = block_plain(rest)?;
            (Node::Scalar(s), after)
        }
    };
    comment_or_end(after).then_some(node)
}

/// Nothing, or spaces and then nothing or a comment.
fn comment_or_end(after: &str) -> bool {
    let trimmed = after.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.len() < after.len() && trimmed.starts_with('#'))
}

/// A plain scalar in block context, up to a comment or the end of the line.
fn block_plain(rest: &str) -> Option<(Scalar<'_>, &str)> {
    if !starts_plain(rest) {
        return None;
    }
    let end = rest.find(" #").unwrap_or(rest.len());
    let text = rest[..end].trim_end_matches(' ');
    // `a: b` here is an error; a `:` at the end reads as a key.
    if text.contains(": ") || text.ends_with(':') {
        return None;
    }
    Some((Scalar::plain(text), &rest[end..]))
}

/// Whether a plain scalar may start here: not with an indicator (the subset also leaves
/// `-`, `?` and `:` followed by a character to the parser).
fn starts_plain(s: &str) -> bool {
    !s.starts_with([
        '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@',
        '`', ' ',
    ])
}

/// A quoted scalar that closes on its line, and the text after it. A double-quoted
/// scalar with an escape is left to the parser.
fn quoted(s: &str) -> Option<(Scalar<'_>, &str)> {
    let quote = s.as_bytes()[0];
    let body = &s[1..];
    if quote == b'"' {
        let end = body.find(['"', '\\'])?;
        if body.as_bytes()[end] == b'\\' {
            return None;
        }
        let text = &body[..end];
        return Some((quoted_scalar(Cow::Borrowed(text))?, &body[end + 1..]));
    }
    let mut text = String::new();
    let mut from = 0;
    loop {
        let end = from + body[from..].find('\'')?;
        if body.as_bytes().get(end + 1) == Some(&b'\'') {
            text.push_str(&body[from..=end]);
            from = end + 2;
            continue;
        }
        let text = if text.is_empty() {
            Cow::Borrowed(&body[..end])
        } else {
            text.push_str(&body[from..end]);
            Cow::Owned(text)
        };
        return Some((quoted_scalar(text)?, &body[end + 1..]));
    }
}

/// A quoted scalar's text; one with spaces at an end is left to the parser (YAML folds
/// and trims at line breaks, and the subset keeps clear of that).
fn quoted_scalar(text: Cow<'_, str>) -> Option<Scalar<'_>> {
    (!text.starts_with(' ') && !text.ends_with(' ')).then_some(Scalar { text, plain: false })
}

/// A flow collection that closes on its line, and the text after it.
fn flow(s: &str, depth: usize) -> Option<(Node<'_>, &str)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let map = s.starts_with('{');
    let close = if map { '}' } else { ']' };
    let mut rest = s[1..].trim_start_matches(' ');
    let mut entries = Vec::new();
    let mut keys = Keys::default();
    let mut items = Vec::new();
    if let Some(after) = rest.strip_prefix(close) {
        let node = if map {
            Node::Map(entries)
        } else {
            Node::Seq(items)
        };
        return Some((node, after));
    }
    loop {
        if map {
            let (key, after) = key(rest)?;
            let after = after.strip_prefix(": ")?.trim_start_matches(' ');
            if keys.repeated(&entries, &key) {
                return None;
            }
            let (value, after) = flow_item(after, depth)?;
            entries.push((Node::Scalar(key), value));
            rest = after;
        } else {
            let (item, after) = flow_item(rest, depth)?;
            items.push(item);
            rest = after;
        }
        rest = rest.trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start_matches(' ');
            // A trailing comma, or an empty entry: left to the parser.
            if rest.starts_with([',', '}', ']']) {
                return None;
            }
        } else if let Some(after) = rest.strip_prefix(close) {
            let node = if map {
                Node::Map(entries)
            } else {
                Node::Seq(items)
            };
            return Some((node, after));
        } else {
            return None;
        }
    }
}

/// An entry of a flow collection: a nested collection, a quoted or a plain scalar.
fn flow_item(s: &str, depth: usize) -> Option<(Node<'_>, &str)> {
    match s.as_bytes().first()? {
        b'{' | b'[' => flow(s, depth + 1),
        b'"' | b'\'' => {
            let (scalar, after) = quoted(s)?;
            Some((Node::Scalar(scalar), after))
        }
        _ => {
            if !starts_plain(s) {
                return None;
            }
            let end = s
                .find([',', ']', '}', '[', '{', '#', ':'])
                .unwrap_or(s.len());
            // A `:`, `#`, `[` or `{` inside a plain scalar in a flow: left to the parser.
            if !s[end..].starts_with([',', ']', '}']) {
                return None;
            }
            let text = s[..end].trim_end_matches(' ');
            Some((Node::Scalar(Scalar::plain(text)), &s[end..]))
        }
    }
}
