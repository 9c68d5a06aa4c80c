//! What lint reports: [`Finding`]s with a severity and a stable kind, gathered in a
//! [`Report`]. Plain data; rendering is the CLI's job (findings are also miette
//! diagnostics, so they print like errors).

use std::fmt;

use miette::{Diagnostic, LabeledSpan, SourceCode};
use serde::Serialize;

use crate::error::Error;
use crate::error::diagnostic;
use crate::source::Origin;

/// How bad a finding is: errors fail `registry lint`; warnings only with `--deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// What a finding is about (stable names, used in `--format json`). See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LintKind {
    BrokenFile,
    NameMismatch,
    BadDefault,
    DuplicateName,
    DanglingReference,
    InvalidRule,
    Unselectable,
    GroupClash,
    DeadOption,
    DeadVersion,
    ImplicationCycle,
    MissingSource,
}

/// One problem: what, where, how to fix it, and (for unsolvable selections) why.
#[derive(Debug, Clone)]
pub struct Finding {
    pub severity: Severity,
    pub kind: LintKind,
    pub message: String,
    pub origin: Option<Origin>,
    /// Short text shown under the offending span.
    pub label: Option<String>,
    pub help: Option<String>,
    /// Supporting lines: the rules behind a conflict, the steps of a cycle.
    pub notes: Vec<String>,
}

impl Finding {
    pub(super) fn new(
        severity: Severity,
        kind: LintKind,
        message: impl Into<String>,
        origin: Origin,
    ) -> Self {
        Finding {
            severity,
            kind,
            message: message.into(),
            origin: Some(origin),
            label: None,
            help: None,
            notes: Vec::new(),
        }
    }

    pub(super) fn from_error(kind: LintKind, err: Error) -> Self {
        Finding {
            severity: Severity::Error,
            kind,
            message: err.message,
            origin: err.origin.map(|o| *o),
            label: err.label,
            help: err.help,
            notes: Vec::new(),
        }
    }

    pub(super) fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub(super) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(super) fn notes(mut self, notes: Vec<String>) -> Self {
        self.notes = notes;
        self
    }

    /// `file:line:column`, if the finding has a place.
    pub fn location(&self) -> Option<String> {
        self.origin.as_ref().map(Origin::location)
    }

    pub fn to_json(&self) -> serde_json::Value {
        let (file, line, column) = Origin::json_fields(self.origin.as_ref());
        serde_json::json!({
            "severity": self.severity,
            "kind": self.kind,
            "message": self.message,
            "file": file,
            "line": line,
            "column": column,
            "label": self.label,
            "help": self.help,
            "notes": self.notes,
        })
    }

    /// Sort key: file, position, then the rest (findings without a place last).
    pub(super) fn sort_key(&self) -> (bool, String, usize, usize, Severity, LintKind, String) {
        let (file, line, col) = match &self.origin {
            Some(o) => {
                let (l, c) = o.file().line_col(o.span().offset);
                (o.file().display().to_string(), l, c)
            }
            None => (String::new(), 0, 0),
        };
        (
            self.origin.is_none(),
            file,
            line,
            col,
            self.severity,
            self.kind,
            self.message.clone(),
        )
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Finding {}

/// Findings render like errors: a code frame at the rule, a label, help.
impl Diagnostic for Finding {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        diagnostic::help(self.help.as_ref())
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        diagnostic::source_code(self.origin.as_ref())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        diagnostic::labels(self.origin.as_ref(), &self.label)
    }
}

/// Everything lint found in one registry.
#[derive(Debug, Clone)]
pub struct Report {
    /// How the registry is named in messages.
    pub registry: String,
    /// Registry files read.
    pub files: usize,
    /// Sorted by file and position.
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    pub fn to_json(&self) -> serde_json::Value {
        let status = if self.errors() > 0 {
            "errors"
        } else if self.warnings() > 0 {
            "warnings"
        } else {
            "ok"
        };
        serde_json::json!({
            "status": status,
            "registry": self.registry,
            "files": self.files,
            "errors": self.errors(),
            "warnings": self.warnings(),
            "findings": self.findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
        })
    }
}
