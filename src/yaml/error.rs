//! The editor's errors: a bug, an edit hsm refuses, a file that is not YAML.

use std::str::FromStr;

use yaml_edit::{YamlError, YamlFile};

use crate::error::{Error, ErrorKind};
use crate::source::{Origin, SourceFile, Span};

use super::lines::at;
use super::verify;

pub(super) fn internal(name: &str, what: &str) -> Error {
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
pub(super) fn not_lossless(
    name: &str,
    source: &std::sync::Arc<SourceFile>,
    c: &verify::Construct,
) -> Error {
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

pub(super) fn parse_file(name: &str, text: &str) -> Result<YamlFile, Error> {
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
pub(super) fn offset_of(text: &str, line: Option<usize>, column: Option<usize>) -> usize {
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
