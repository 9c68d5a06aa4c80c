//! Typed parsing of YAML files with serde, and translation of serde's errors into hsm's.
//!
//! serde_yaml's messages are precise but speak serde ("unknown field", "invalid type: map,
//! expected a string"); we keep its position and reword the message in the format's terms,
//! adding a did-you-mean for unknown keys and values.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::limits::{self, Exceeded, MAX_ALIAS_BYTES, MAX_DEPTH};
use super::{KeyPath, MAX_FILE_BYTES, Origin, SourceFile, Span, did_you_mean_hint};
use crate::error::{Error, ErrorKind};

/// Parse `file` as a `T`.
pub fn parse_yaml<T: DeserializeOwned>(file: &Arc<SourceFile>, what: &str) -> Result<T, Error> {
    let text = file.text();
    // Files from disk were bounded while reading; this bounds text from anywhere else.
    if text.len() > MAX_FILE_BYTES {
        return Err(super::read::too_large(file.display(), MAX_FILE_BYTES));
    }
    if text
        .trim()
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("{} is empty", file.display()),
        )
        .at(Origin::file_only(file))
        .with_help(format!("write the {what} as a YAML mapping")));
    }
    check_limits(file)?;
    // Most files are in the subset `simple` reads exactly as serde_yaml does, several
    // times faster and with a fraction of the allocations; the rest, and every error, are
    // serde_yaml's.
    if let Some(value) = super::simple::from_str::<T>(text) {
        return Ok(value);
    }
    serde_yaml::from_str::<T>(text).map_err(|e| translate(file, &e, what))
}

/// Refuse a file nested deeper than [`MAX_DEPTH`] or whose aliases repeat more than
/// [`MAX_ALIAS_BYTES`]: the YAML parsers would take minutes or exhaust memory on it.
pub(crate) fn check_limits(file: &Arc<SourceFile>) -> Result<(), Error> {
    let (offset, message, label, help) = match limits::check(file.text()) {
        Ok(()) => return Ok(()),
        Err(Exceeded::Depth(at)) => (
            at,
            format!(
                "{} nests collections more than {MAX_DEPTH} levels deep",
                file.display()
            ),
            format!("level {}", MAX_DEPTH + 1),
            "hsm's files need a few levels; look for unclosed `[` or `{`, or flatten the \
             value (the limit keeps reading fast whatever the input)",
        ),
        Err(Exceeded::Aliases(at)) => (
            at,
            format!(
                "the aliases in {} repeat more than {} MiB of text",
                file.display(),
                MAX_ALIAS_BYTES / (1024 * 1024)
            ),
            "this alias goes over the limit".to_string(),
            "write the values out instead of repeating large anchors through aliases (the \
             limit keeps reading fast whatever the input)",
        ),
    };
    Err(Error::new(ErrorKind::Limit, message)
        .at(Origin::at_span(file, Span { offset, len: 1 }))
        .with_label(label)
        .with_help(help))
}

/// Accept `null` where a list or map is expected (the original hsm writes `dev: null`,
/// `env_file: []` and friends).
pub fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn translate(file: &Arc<SourceFile>, err: &serde_yaml::Error, what: &str) -> Error {
    let full = err.to_string();
    // serde_yaml appends " at line L column C"; we show the position ourselves.
    let msg = match full.rfind(" at line ") {
        Some(i) if full[i..].contains(" column ") => &full[..i],
        _ => full.as_str(),
    };
    // Split off the "a.b[2]: " path prefix serde_yaml adds for nested values.
    let (path, msg) = split_path(msg);
    let origin = match err.location() {
        Some(loc) => Origin::at_span(
            file,
            Span {
                offset: loc.index(),
                len: token_len(file, loc.index()),
            },
        ),
        None => match &path {
            Some(p) => Origin::at_path(file, KeyPath::from_serde_path(p)),
            None => Origin::file_only(file),
        },
    };
    let inside = path
        .as_deref()
        .map(|p| format!(" in `{p}`"))
        .unwrap_or_default();

    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (name, expected) = split_backticked(rest);
        let hint = did_you_mean_hint(&name, &expected);
        let valid = if expected.is_empty() {
            "this mapping takes no keys".to_string()
        } else {
            format!("valid keys here: {}", expected.join(", "))
        };
        return Error::new(
            ErrorKind::UnknownKey,
            format!("unknown key `{name}`{inside} of {}", file.display()),
        )
        .at(origin)
        .with_label("unknown key")
        .with_help(match hint {
            Some(h) => format!("{h} ({valid})"),
            None => valid,
        });
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let (name, expected) = split_backticked(rest);
        let hint = did_you_mean_hint(&name, &expected);
        let valid = format!("expected one of: {}", expected.join(", "));
        return Error::new(
            ErrorKind::InvalidValue,
            format!("invalid value `{name}`{inside} of {}", file.display()),
        )
        .at(origin)
        .with_label("invalid value")
        .with_help(match hint {
            Some(h) => format!("{h} ({valid})"),
            None => valid,
        });
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return Error::new(
            ErrorKind::InvalidValue,
            format!("missing key `{name}`{inside} of {}", file.display()),
        )
        .at(origin)
        .with_label(format!("`{name}` is required here"))
        .with_help(format!("add `{name}:` to this mapping"));
    }
    if msg.starts_with("invalid type")
        || msg.starts_with("invalid value")
        || msg.starts_with("invalid length")
    {
        let reworded = msg.replace("invalid type: ", "");
        return Error::new(
            ErrorKind::InvalidValue,
            format!(
                "wrong kind of value{inside} of {}: {reworded}",
                file.display()
            ),
        )
        .at(origin)
        .with_label("here")
        .with_help(format!("see the {what} format in the README"));
    }
    if err.location().is_some() && path.is_none() && is_syntax_error(msg) {
        return Error::new(
            ErrorKind::MalformedYaml,
            format!(
                "{} is not valid YAML: {}",
                file.display(),
                strip_position(msg)
            ),
        )
        .at(origin)
        .with_label("the YAML parser stopped here")
        .with_help("fix the YAML syntax (indentation, quotes, a missing `:`)");
    }
    // Custom messages from our own deserializers are already in the format's words.
    Error::new(
        ErrorKind::InvalidValue,
        format!("{msg}{inside} of {}", file.display()),
    )
    .at(origin)
    .with_label("here")
    .with_help(format!("see the {what} format in the README"))
}

/// libyaml puts its own "at line L column C" inside the message; the code frame shows it.
fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => {
            let rest = &msg[i + 1..];
            let end = rest.find(',').map_or(rest.len(), |j| j + 1);
            format!("{}{}", &msg[..i], &rest[end..]).replace("  ", " ")
        }
        None => msg.to_string(),
    }
}

fn is_syntax_error(msg: &str) -> bool {
    [
        "did not find",
        "while parsing",
        "while scanning",
        "found",
        "mapping values",
        "could not find",
        "control characters",
        "recursion limit",
        "repetition limit",
        "unknown anchor",
    ]
    .iter()
    .any(|needle| msg.contains(needle))
        || msg.contains("invalid leading UTF-8")
        || msg.contains("duplicate entry")
}

fn split_path(msg: &str) -> (Option<String>, &str) {
    // A path prefix is an identifier-ish run followed by ": " before any backtick or space.
    if let Some(i) = msg.find(": ") {
        let head = &msg[..i];
        if !head.is_empty() && !head.contains(' ') && !head.contains('`') {
            return (Some(head.to_string()), &msg[i + 2..]);
        }
    }
    (None, msg)
}

/// From "name`, expected one of `a`, `b`" return ("name", ["a", "b"]).
fn split_backticked(rest: &str) -> (String, Vec<String>) {
    let mut parts = rest.split('`');
    let name = parts.next().unwrap_or_default().to_string();
    let expected = parts.skip(1).step_by(2).map(str::to_string).collect();
    (name, expected)
}

/// Length of the token starting at `offset`: up to the next `:` , whitespace or newline.
fn token_len(file: &SourceFile, offset: usize) -> usize {
    let text = file.text();
    let rest = text.get(offset..).unwrap_or_default();
    rest.find([':', '\n', ',', '}', ']'])
        .unwrap_or(rest.len())
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Lib {
        name: String,
        #[serde(default, deserialize_with = "null_as_default")]
        requires: Vec<String>,
    }

    fn file(text: &str) -> Arc<SourceFile> {
        SourceFile::new("lib.yaml", None, text)
    }

    #[test]
    fn unknown_key_points_at_the_key_with_a_suggestion() {
        let f = file("name: x\nrequirs: []\n");
        let err = parse_yaml::<Lib>(&f, "registry").unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnknownKey);
        assert_eq!(err.location().as_deref(), Some("lib.yaml:2:1"));
        assert!(
            err.help
                .as_deref()
                .is_some_and(|h| h.contains("did you mean `requires`?")),
            "{err:?}"
        );
    }

    #[test]
    fn malformed_yaml_is_reported_with_position() {
        let f = file("name: \"x\nrequires: []\n");
        let err = parse_yaml::<Lib>(&f, "registry").unwrap_err();
        assert_eq!(err.kind, ErrorKind::MalformedYaml, "{err:?}");
    }

    #[test]
    fn a_byte_order_mark_is_no_part_of_the_text() {
        let f = file("\u{feff}name: x\nrequirs: []\n");
        assert_eq!(&**f.text(), "name: x\nrequirs: []\n");
        let err = parse_yaml::<Lib>(&f, "registry").unwrap_err();
        assert_eq!(err.location().as_deref(), Some("lib.yaml:2:1"));
        // ... and is written back when the file is rewritten.
        assert_eq!(f.on_disk("name: y\n"), "\u{feff}name: y\n");
        assert_eq!(file("name: x\n").on_disk("name: y\n"), "name: y\n");
    }

    #[test]
    fn null_lists_are_empty() {
        let f = file("name: x\nrequires: null\n");
        let lib = parse_yaml::<Lib>(&f, "registry").unwrap();
        assert!(lib.requires.is_empty());
    }
}
