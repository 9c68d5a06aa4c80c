//! Input files and positions inside them.
//!
//! Every rule hsm reads keeps an [`Origin`]: the file it came from and where in that file.
//! Positions are resolved lazily. A file's YAML is parsed for *data* by serde, through
//! [`simple`] when the file is in the simple subset nearly every file is written in and
//! `serde_yaml` otherwise (and for every error); neither keeps positions; the first time someone asks for the line of a rule, the file
//! is parsed once more by the lossless `yaml-edit` parser and every key path is indexed
//! (see [`locate`]). Successful solves never pay for that second parse unless they print
//! an explanation.
//!
//! Files come in through [`read_text`] (regular files only, bounded, UTF-8), and every YAML
//! parse is preceded by [`limits`]' linear check of nesting depth and alias expansion, which
//! the parsers handle in superlinear time.

mod de;
mod limits;
mod locate;
mod read;
pub(crate) mod simple;
mod suggest;
pub mod watch;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

pub(crate) use de::check_limits;
pub use de::{null_as_default, parse_yaml};
pub(crate) use read::BOM;
#[cfg(all(test, unix))]
pub(crate) use read::tests::mkfifo;

pub use locate::{KeyPath, Seg};
pub use read::{
    MAX_FILE_BYTES, ReadAt, read_bytes, read_regular, read_text, read_text_at, read_text_within,
};
pub use suggest::{did_you_mean, did_you_mean_hint};

/// `s` as a double-quoted YAML scalar, escaping quotes, backslashes and control characters.
pub fn double_quoted(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A file hsm has read, with the text kept for positions and error snippets.
#[derive(Debug)]
pub struct SourceFile {
    /// How the file is named in messages: relative to the working directory when possible,
    /// `<built-in>/...` for the embedded registry.
    display: String,
    /// The real path, when the file is on disk.
    path: Option<PathBuf>,
    /// The text, without the byte order mark the file may start with.
    text: Arc<str>,
    /// Whether the file starts with a UTF-8 byte order mark (kept when hsm rewrites it).
    bom: bool,
    index: OnceLock<locate::Index>,
    /// Where every line starts (built on the first [`SourceFile::line_col`]), so a file
    /// with many positions asked for is not scanned from its start for each.
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(
        display: impl Into<String>,
        path: Option<PathBuf>,
        text: impl Into<Arc<str>>,
    ) -> Arc<Self> {
        let text: Arc<str> = text.into();
        // A byte order mark is no part of the text: positions, the YAML parsers and the
        // editor see the file as an editor shows it.
        let (text, bom) = match text.strip_prefix(read::BOM) {
            Some(rest) => (Arc::from(rest), true),
            None => (text, false),
        };
        Arc::new(SourceFile {
            display: display.into(),
            path,
            text,
            bom,
            index: OnceLock::new(),
            line_starts: OnceLock::new(),
        })
    }

    pub fn display(&self) -> &str {
        &self.display
    }

    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }

    pub fn text(&self) -> &Arc<str> {
        &self.text
    }

    /// `text` (an edited version of this file's text) as it is written back: with the byte
    /// order mark the file started with, if it had one.
    pub fn on_disk(&self, text: &str) -> String {
        if self.bom {
            format!("{}{text}", read::BOM)
        } else {
            text.to_string()
        }
    }

    /// The span of the key at `path` (or of the sequence item, for an index segment).
    pub fn span_of(&self, path: &KeyPath) -> Option<Span> {
        self.index
            .get_or_init(|| locate::Index::build(&self.text))
            .get(path)
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        // An offset inside a character counts as that character.
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        // The last line starting at or before `offset` (an offset right after a `\n` is
        // on the next line).
        let line = starts.partition_point(|&s| s <= offset);
        let line_start = starts[line - 1];
        let column = self.text[line_start..offset].chars().count() + 1;
        (line, column)
    }
}

/// A byte range in a [`SourceFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

/// Where a rule or value came from: a file and a position in it.
#[derive(Clone)]
pub struct Origin {
    file: Arc<SourceFile>,
    at: At,
}

#[derive(Clone, Debug)]
enum At {
    /// A key path, resolved to a span on demand.
    Path(KeyPath),
    /// A known span (serde errors give us one directly).
    Span(Span),
}

impl Origin {
    pub fn at_path(file: &Arc<SourceFile>, path: KeyPath) -> Self {
        Origin {
            file: Arc::clone(file),
            at: At::Path(path),
        }
    }

    pub fn at_span(file: &Arc<SourceFile>, span: Span) -> Self {
        Origin {
            file: Arc::clone(file),
            at: At::Span(span),
        }
    }

    /// The origin of `key` under this one (this one, when it is a span).
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        match &self.at {
            At::Path(path) => Origin::at_path(&self.file, path.key(key)),
            At::Span(_) => self.clone(),
        }
    }

    /// The whole file (line 1).
    pub fn file_only(file: &Arc<SourceFile>) -> Self {
        Origin::at_span(file, Span { offset: 0, len: 0 })
    }

    pub fn file(&self) -> &Arc<SourceFile> {
        &self.file
    }

    /// The span, falling back to the nearest enclosing key that exists, then to the file start.
    pub fn span(&self) -> Span {
        match &self.at {
            At::Span(span) => *span,
            At::Path(path) => {
                let mut path = path.clone();
                loop {
                    if let Some(span) = self.file.span_of(&path) {
                        return span;
                    }
                    if !path.pop() {
                        return Span { offset: 0, len: 0 };
                    }
                }
            }
        }
    }

    pub fn line(&self) -> usize {
        self.file.line_col(self.span().offset).0
    }

    /// `file:line:column`.
    pub fn location(&self) -> String {
        let (line, col) = self.file.line_col(self.span().offset);
        format!("{}:{line}:{col}", self.file.display)
    }

    /// `(file, line, column)` for JSON output.
    pub fn position(&self) -> (String, usize, usize) {
        let (line, col) = self.file.line_col(self.span().offset);
        (self.file.display.clone(), line, col)
    }

    /// `(file, line, column)` of an optional origin, each `None` without one (JSON output).
    pub fn json_fields(origin: Option<&Origin>) -> (Option<String>, Option<usize>, Option<usize>) {
        match origin.map(Origin::position) {
            Some((f, l, c)) => (Some(f), Some(l), Some(c)),
            None => (None, None, None),
        }
    }

    /// `file:line`, the short form used in explanations.
    pub fn short(&self) -> String {
        format!("{}:{}", self.file.display, self.line())
    }
}

/// Where a rule is, as an identity: its file and its key path (or span). Two origins of one
/// rule are equal places even where a version copies the rule (a top-level `implies` holds
/// for every entry of `versions:`), which lines cannot tell apart on a one-line mapping.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    file: String,
    at: PlaceAt,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PlaceAt {
    Path(KeyPath),
    Offset(usize),
}

impl Origin {
    /// This origin as an identity (see [`Place`]).
    pub fn place(&self) -> Place {
        let at = match &self.at {
            At::Path(path) => PlaceAt::Path(path.clone()),
            At::Span(span) => PlaceAt::Offset(span.offset),
        };
        Place {
            file: self.file.display.clone(),
            at,
        }
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: lines and characters counted from the start of the text.
    fn scanned(text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    #[test]
    fn line_col_from_the_line_index_counts_as_a_scan_would() {
        for text in ["", "a", "\n", "a\nb", "é\n\nxé\r\ny\n", "\n\nz", "日本\n語"] {
            let file = SourceFile::new("t", None, text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(
                    file.line_col(offset),
                    scanned(text, offset),
                    "{text:?} at {offset}"
                );
            }
        }
    }
}
