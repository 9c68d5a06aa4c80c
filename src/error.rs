//! The one error type of the library.
//!
//! Every problem hsm reports about its input says *what* is wrong ([`Error::message`]),
//! *where* ([`Error::origin`]: file, line, column) and *how to fix it* ([`Error::help`]).
//! The type is a plain struct rather than an enum of dozens of variants because every
//! variant would carry the same four things; [`ErrorKind`] keeps the distinction for
//! callers, JSON output and tests. Rendering (colours, code frames) happens at the CLI
//! edge through [`miette::Diagnostic`].

use std::fmt;
use std::path::Path;

use miette::{
    Diagnostic, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use crate::source::{Origin, SourceFile};

/// A stable name for each kind of problem (used in `--format json` and by tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The file is not valid YAML.
    MalformedYaml,
    /// A key the format does not know (usually a typo).
    UnknownKey,
    /// A value of the wrong type or outside the allowed set.
    InvalidValue,
    /// A component, group or option name that does not exist.
    UnknownName,
    /// A name that cannot be used as a file name or compose key.
    InvalidName,
    /// A selection that is not an option of its group.
    NotAnOption,
    /// A list selection for a 1-of-N group, or a strategy that disagrees with the registry.
    SelectionShape,
    /// A version or version range that does not parse.
    InvalidVersion,
    /// An implication, requirement or conflict that points at nothing.
    MissingTarget,
    /// A registry file whose `name` differs from its file name.
    NameMismatch,
    /// No hsm.yaml where one is needed.
    NoManifest,
    /// A destructive command needs a yes, and stdin is not a terminal to ask on.
    NeedsConfirmation,
    /// A file or directory that cannot be read, or a path that is not a regular file.
    Io,
    /// A file that is not UTF-8 text.
    Encoding,
    /// A file beyond what hsm reads: too large, nested too deeply, too many aliases.
    Limit,
    /// A scenario file for `hsm registry test` is malformed.
    Scenario,
}

/// A problem with hsm's input: what, where, and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub origin: Option<Box<Origin>>,
    /// Short text shown under the offending span.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            origin: None,
            label: None,
            help: None,
        }
    }

    #[must_use]
    pub fn at(mut self, origin: Origin) -> Self {
        self.origin = Some(Box::new(origin));
        self
    }

    #[must_use]
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Append a help line to any help already present.
    #[must_use]
    pub fn add_help(mut self, help: Option<String>) -> Self {
        if let Some(extra) = help {
            self.help = Some(match self.help.take() {
                Some(h) => format!("{h}\n{extra}"),
                None => extra,
            });
        }
        self
    }

    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        Error::new(
            ErrorKind::Io,
            format!("cannot read {}: {err}", path.display()),
        )
    }

    /// `file:line:column` of the problem, if it has one.
    pub fn location(&self) -> Option<String> {
        self.origin.as_deref().map(Origin::location)
    }

    /// The error as JSON (for `--format json`).
    pub fn to_json(&self) -> serde_json::Value {
        let (file, line, column) = Origin::json_fields(self.origin.as_deref());
        serde_json::json!({
            "kind": self.kind,
            "message": self.message,
            "file": file,
            "line": line,
            "column": column,
            "label": self.label,
            "help": self.help,
        })
    }
}

impl Diagnostic for Error {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        None
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        diagnostic::help(self.help.as_ref())
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        diagnostic::source_code(self.origin.as_deref())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        diagnostic::labels(self.origin.as_deref(), &self.label)
    }
}

/// The parts of a miette report that every positioned message of hsm (an [`Error`], a
/// lint finding) builds the same way: help, the file, one label at the origin.
pub(crate) mod diagnostic {
    use std::fmt;

    use miette::{LabeledSpan, SourceCode};

    use crate::source::Origin;

    pub fn help<'a>(help: Option<&'a String>) -> Option<Box<dyn fmt::Display + 'a>> {
        help.map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    pub fn source_code(origin: Option<&Origin>) -> Option<&dyn SourceCode> {
        origin.map(|o| o.file().as_ref() as &dyn SourceCode)
    }

    pub fn labels(
        origin: Option<&Origin>,
        label: &Option<String>,
    ) -> Option<Box<dyn Iterator<Item = LabeledSpan> + 'static>> {
        let span = origin?.span();
        let label = LabeledSpan::new(label.clone(), span.offset, span.len.max(1));
        Some(Box::new(std::iter::once(label)))
    }
}

/// A code frame wider than this shows a window of the span's line around the span.
const MAX_FRAME_BYTES: usize = 1024;
/// Bytes shown on each side of the span in such a window.
const WINDOW_BYTES: usize = 60;

/// Lets miette show code frames straight from a [`SourceFile`], named as the user sees it.
///
/// Two corrections to what miette computes from the text: the column is counted in
/// characters, as [`Origin::location`] counts it (miette counts bytes), and a very long line
/// (a minified or hostile file) is cut to a window around the span rather than printed
/// whole.
impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text: &'a str = self.text();
        let inner = text.read_span(span, context_lines_before, context_lines_after)?;
        let (line, column) = self.line_col(span.offset());
        // miette reports a column only for a span read without lines before it.
        let column = if context_lines_before == 0 {
            column - 1
        } else {
            inner.column()
        };
        let (data, data_span, first_line) = if inner.data().len() > MAX_FRAME_BYTES {
            let offset = span.offset().min(text.len());
            let line_start = text[..floor_boundary(text, offset)]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let line_end = text[offset..]
                .find(['\n', '\r'])
                .map_or(text.len(), |i| offset + i);
            let from = floor_boundary(text, offset.saturating_sub(WINDOW_BYTES).max(line_start));
            let to = offset + span.len().min(WINDOW_BYTES) + WINDOW_BYTES;
            let to = ceil_boundary(text, to.min(line_end)).max(from);
            (
                &text.as_bytes()[from..to],
                SourceSpan::from((from, to - from)),
                line - 1,
            )
        } else {
            (inner.data(), *inner.span(), inner.line())
        };
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.display().to_string(),
                data,
                data_span,
                first_line,
                column,
                inner.line_count(),
            )
            .with_language("yaml"),
        ))
    }
}

/// The char boundary at or before `i`.
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The char boundary at or after `i`.
fn ceil_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}
