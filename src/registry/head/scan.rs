//! A line scanner that reads the head keys of a registry file without the YAML parser.
//!
//! At 100k files, YAML's event parser was a third of `hsm registry list`'s time: it runs
//! over every key of every file, and a listing shows a few. Registry files are written in
//! plain block style, where the top-level keys are the lines that start in column 0, so
//! this scanner reads the keys a listing shows straight from those lines and skips the
//! rest: a component's `name`, `description`, `version` and each `versions[].version`; a
//! group's `name`, `strategy`, `description`, `comment` and its options' names and
//! descriptions.
//!
//! It answers only where its answer is certainly the parser's. At the first thing it does
//! not handle exactly it says `None`, and the caller asks the parser: a tab, a carriage
//! return, a key that is not a plain word, a `---` after the first line, a value it reads
//! that is empty, multi-line, an anchor, alias, tag or block scalar, a double-quoted
//! value with an escape, a plain value YAML resolves to null, a boolean or a number, a
//! repeated key, and, in the lines it skips, a flow collection or quoted scalar still open
//! at the end of a line (YAML lets those run on into a line that starts in column 0, which
//! would then not be a key). What it does not see is a syntax error in a key it skips: a
//! listing does not read those keys (see `docs/decisions.md`), `hsm registry lint` does.
//!
//! The four registry fuzz targets and the tests in `head/mod.rs` check that wherever it
//! answers, the parser gives the same head.

use super::{GroupHeadFile, HeadFile, OptionHead, VersionHead};
use crate::registry::model::Text;
use crate::vocab::Strategy;

/// The head of a component file, or `None` when only the YAML parser can tell.
pub(super) fn scan(text: &str) -> Option<HeadFile> {
    let keys = top_level(
        text,
        &["name", "description", "version"],
        ("versions", &["version"]),
    )?;
    let mut name = None;
    let mut head = HeadFile {
        name: String::new(),
        description: None,
        version: None,
        versions: Vec::new(),
    };
    for (key, value) in keys {
        match (key, value) {
            ("name", Value::Scalar(s)) => name = Some(s.text),
            ("description", Value::Scalar(s)) => head.description = optional(s),
            ("version", Value::Scalar(s)) => head.version = Some(text_of(s)?),
            ("versions", Value::List(items)) => {
                for item in items {
                    let Item::Map(mut keys) = item else {
                        return None;
                    };
                    // `version` is the one key kept; without it, serde's "missing field".
                    let (_, version) = keys.pop()?;
                    head.versions.push(VersionHead {
                        version: text_of(version)?,
                    });
                }
            }
            _ => return None,
        }
    }
    head.name = name?;
    Some(head)
}

/// The head of a group file, or `None` when only the YAML parser can tell.
pub(super) fn scan_group(text: &str) -> Option<GroupHeadFile> {
    let keys = top_level(
        text,
        &["name", "strategy", "description", "comment"],
        ("options", &["name", "description"]),
    )?;
    let mut name = None;
    let mut strategy = None;
    let mut head = GroupHeadFile {
        name: String::new(),
        strategy: Strategy::OneOfN,
        description: None,
        comment: None,
        options: Vec::new(),
    };
    for (key, value) in keys {
        match (key, value) {
            ("name", Value::Scalar(s)) => name = Some(s.text),
            ("strategy", Value::Scalar(s)) => {
                strategy = Some(match s.text.as_str() {
                    "1-of-N" => Strategy::OneOfN,
                    "M-of-N" => Strategy::ManyOfN,
                    _ => return None,
                });
            }
            ("description", Value::Scalar(s)) => head.description = optional(s),
            ("comment", Value::Scalar(s)) => head.comment = optional(s),
            ("options", Value::List(items)) => {
                for item in items {
                    head.options.push(match item {
                        // A name: read by `deserialize_any`, so it must be a string.
                        Item::Scalar(s) => OptionHead {
                            name: text_of(s)?.0,
                            description: None,
                        },
                        Item::Map(keys) => {
                            let mut option = None;
                            let mut description = None;
                            for (key, s) in keys {
                                if key == "name" {
                                    option = Some(s.text);
                                } else {
                                    description = optional(s);
                                }
                            }
                            OptionHead {
                                name: option?,
                                description,
                            }
                        }
                    });
                }
            }
            _ => return None,
        }
    }
    head.name = name?;
    head.strategy = strategy?;
    Some(head)
}

/// A top-level key's value as the scanner read it.
enum Value {
    Scalar(Scalar),
    List(Vec<Item>),
}

/// An item of a block sequence: a scalar, or a mapping of which only the wanted keys
/// are kept, in the order they appear.
enum Item {
    Scalar(Scalar),
    Map(Vec<(&'static str, Scalar)>),
}

/// An `Option<String>` field: a plain null is `None`.
fn optional(s: Scalar) -> Option<String> {
    (!(s.plain && is_null(&s.text))).then_some(s.text)
}

/// The top-level keys of `text` named in `scalars` (each a one-line scalar) and `list.0`
/// (a block sequence whose items are scalars or mappings, of which the keys in `list.1`
/// are kept); the other keys are skipped. `None` when the text leaves the subset the
/// scanner reads exactly (see the module's comment), or a wanted key comes twice.
fn top_level(
    text: &str,
    scalars: &[&'static str],
    list: (&'static str, &[&'static str]),
) -> Option<Vec<(&'static str, Value)>> {
    // YAML 1.1, which the parser reads, also breaks lines at NEL, U+2028 and U+2029.
    if text.contains(['\t', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        return None;
    }
    let mut lines: Vec<&str> = Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    lines.extend(text.split('\n'));
    let mut found: Vec<(&'static str, Value)> = Vec::new();
    let mut content = false;
    // The last top-level key had no value on its line: a block sequence may follow in
    // column 0.
    let mut open_value = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if blank(line) || line.starts_with('#') {
            i += 1;
            continue;
        }
        if line.starts_with(' ') || (open_value && is_item(line)) {
            // A line of a value the scanner skips.
            if !content || !closed(line) {
                return None;
            }
            i += 1;
            continue;
        }
        if line == "---" && !content {
            i += 1;
            continue;
        }
        content = true;
        let (key, rest) = key_line(line)?;
        i += 1;
        open_value = false;
        if let Some(wanted) = scalars.iter().find(|w| **w == key) {
            let s = scalar(rest)?;
            continues(&lines, i)?;
            if found.iter().any(|(k, _)| k == wanted) {
                return None;
            }
            found.push((*wanted, Value::Scalar(s)));
        } else if key == list.0 {
            let (items, next) = block_list(&lines, i, rest, list.1)?;
            if found.iter().any(|(k, _)| *k == list.0) {
                return None;
            }
            found.push((list.0, Value::List(items)));
            i = next;
        } else {
            if !closed(rest) {
                return None;
            }
            open_value = value_of(rest).is_empty();
        }
    }
    Some(found)
}

/// A scalar read from one line.
struct Scalar {
    text: String,
    /// Plain (unquoted): YAML resolves its type from its text.
    plain: bool,
}

fn blank(line: &str) -> bool {
    line.bytes().all(|b| b == b' ')
}

/// A block sequence item: `-` then a space or the end of the line.
fn is_item(line: &str) -> bool {
    line == "-" || line.starts_with("- ")
}

/// The number of leading spaces.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Split `word: rest` (or `word:`), the key a plain word of letters, digits, `_` and `-`
/// starting with a letter or `_`.
fn key_line(line: &str) -> Option<(&str, &str)> {
    let end = line
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        .unwrap_or(line.len());
    let key = &line[..end];
    let first = *key.as_bytes().first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let rest = line[end..].strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest))
}

/// The value text after a key's colon: without the spaces around it and a comment.
fn value_of(rest: &str) -> &str {
    let rest = rest.trim_start_matches(' ');
    if rest.starts_with('#') {
        return "";
    }
    rest.trim_end_matches(' ')
}

/// The one-line scalar after a key's colon, or `None` for anything else (empty, a
/// collection, an anchor, alias, tag or block scalar, an escape, a multi-line start).
fn scalar(rest: &str) -> Option<Scalar> {
    let value = rest.trim_start_matches(' ');
    let (text, after, plain) = match value.as_bytes().first()? {
        b'\'' => {
            let body = &value[1..];
            let mut text = String::new();
            let mut chars = body.char_indices();
            let end = loop {
                let (at, c) = chars.next()?;
                if c == '\'' {
                    if body[at + 1..].starts_with('\'') {
                        chars.next();
                        text.push('\'');
                        continue;
                    }
                    break at + 1;
                }
                text.push(c);
            };
            (text, &body[end..], false)
        }
        b'"' => {
            let body = &value[1..];
            let end = body.find('"')?;
            if body[..end].contains('\\') {
                return None;
            }
            (body[..end].to_string(), &body[end + 1..], false)
        }
        first if b"-?:,[]{}#&*!|>%@`".contains(first) => return None,
        _ => {
            // A plain scalar ends at a comment (` #`) or the end of the line.
            let end = value.find(" #").unwrap_or(value.len());
            let text = value[..end].trim_end_matches(' ');
            if text.contains(": ") || text.ends_with(':') {
                return None;
            }
            (text.to_string(), &value[end..], true)
        }
    };
    // Only spaces, then a comment after at least one space, may follow the scalar.
    let tail = after.trim_start_matches(' ');
    if !(tail.is_empty() || (tail.starts_with('#') && tail.len() < after.len())) {
        return None;
    }
    if !text.chars().all(printable) || (plain && text.is_empty()) {
        return None;
    }
    Some(Scalar { text, plain })
}

/// A character YAML allows in a scalar as it is (tabs and line breaks, NEL among them,
/// were refused before).
fn printable(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

/// `Some(())` when the value that ended before line `i` does not go on: the next line
/// that is neither blank nor a comment is not indented.
fn continues(lines: &[&str], i: usize) -> Option<()> {
    for line in &lines[i..] {
        if blank(line) {
            continue;
        }
        let trimmed = line.trim_start_matches(' ');
        if trimmed.starts_with('#') {
            continue;
        }
        return (trimmed.len() == line.len()).then_some(());
    }
    Some(())
}

/// YAML's null: what a plain scalar that reads as none is.
fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// A version as [`Text`] reads it: a plain scalar YAML would resolve to something other
/// than a string (null, a boolean, an integer in any base, a float) is left to the parser.
fn text_of(s: Scalar) -> Option<Text> {
    if s.plain {
        let t = s.text.as_str();
        let numeric = t.starts_with(['+', '-', '.'])
            || t.parse::<f64>().is_ok()
            || (t.len() > 1 && t.starts_with('0') && t[1..].starts_with(['x', 'o', 'b']));
        if is_null(t) || matches!(t, "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
            return None;
        }
        if numeric || t.eq_ignore_ascii_case("inf") || t.eq_ignore_ascii_case("nan") {
            return None;
        }
    }
    Some(Text(s.text))
}

/// A list key's value: the lines after it (from line `i`; `rest` is what followed its
/// colon), and the line where the list ends. Reads a block sequence, `[]` or null; `None`
/// for anything else.
fn block_list(
    lines: &[&str],
    mut i: usize,
    rest: &str,
    wanted: &[&'static str],
) -> Option<(Vec<Item>, usize)> {
    let inline = value_of(rest);
    if !inline.is_empty() {
        if inline == "[]" || is_null(inline) {
            continues(lines, i)?;
            return Some((Vec::new(), i));
        }
        return None;
    }
    let mut items = Vec::new();
    // The column of the items' dashes, from the first one.
    let mut dash: Option<usize> = None;
    // The column of the current mapping item's keys.
    let mut column: Option<usize> = None;
    while i < lines.len() {
        let line = lines[i];
        let at = indent(line);
        if blank(line) || line[at..].starts_with('#') {
            i += 1;
            continue;
        }
        let trimmed = &line[at..];
        if at == 0 && !is_item(trimmed) {
            break;
        }
        if is_item(trimmed) && dash.is_none_or(|d| d == at) {
            dash = Some(at);
            let after = &trimmed[1..];
            let body = after.trim_start_matches(' ');
            if body.is_empty() || body.starts_with('#') {
                return None;
            }
            if key_line(body).is_some() {
                let keys_at = at + 1 + (after.len() - body.len());
                column = Some(keys_at);
                items.push(Item::Map(Vec::new()));
                i = item_key(lines, i, body, keys_at, wanted, items.last_mut()?)?;
            } else {
                // A scalar item: `- name`.
                column = None;
                let s = scalar(after)?;
                next_is_not_deeper(lines, i, at)?;
                items.push(Item::Scalar(s));
                i += 1;
            }
            continue;
        }
        let keys_at = column?;
        match at.cmp(&keys_at) {
            std::cmp::Ordering::Equal => {
                i = item_key(lines, i, trimmed, keys_at, wanted, items.last_mut()?)?;
            }
            std::cmp::Ordering::Greater => {
                if !closed(line) {
                    return None;
                }
                i += 1;
            }
            std::cmp::Ordering::Less => return None,
        }
    }
    // With no item under it, the key is null, which reads as an empty list.
    Some((items, i))
}

/// `Some(())` unless the next line that is neither blank nor a comment is indented more
/// than `column` (it would continue the value that ends on line `i`).
fn next_is_not_deeper(lines: &[&str], i: usize, column: usize) -> Option<()> {
    let next = lines[i + 1..].iter().find(|l| {
        let t = l.trim_start_matches(' ');
        !(t.is_empty() || t.starts_with('#'))
    });
    match next {
        Some(next) if indent(next) > column => None,
        _ => Some(()),
    }
}

/// One `key: value` line of a mapping item (its keys in column `keys_at`) at line `i`,
/// `body` its text from the key on; returns the next line.
fn item_key(
    lines: &[&str],
    i: usize,
    body: &str,
    keys_at: usize,
    wanted: &[&'static str],
    item: &mut Item,
) -> Option<usize> {
    let Item::Map(keys) = item else {
        return None;
    };
    let (key, rest) = key_line(body)?;
    if let Some(wanted) = wanted.iter().find(|w| **w == key) {
        let s = scalar(rest)?;
        next_is_not_deeper(lines, i, keys_at)?;
        if keys.iter().any(|(k, _)| k == wanted) {
            return None;
        }
        keys.push((*wanted, s));
    } else if !closed(rest) {
        return None;
    }
    Some(i + 1)
}

/// Whether a line the scanner skips leaves nothing open: no quoted scalar or flow
/// collection runs on past its end. Errs towards `false` (the parser is then asked):
/// a quote or bracket counts as opening wherever YAML could open one there.
fn closed(line: &str) -> bool {
    let b = line.as_bytes();
    let mut depth = 0usize;
    // The last byte that was not a space: a token may start after `-:,[{?` or a space.
    let mut last: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let after_space = i == 0 || b[i - 1] == b' ';
        let token_start =
            after_space || matches!(last, None | Some(b'-' | b':' | b',' | b'[' | b'{' | b'?'));
        match c {
            b' ' => {
                i += 1;
                continue;
            }
            b'#' if after_space => return depth == 0,
            b'\'' | b'"' if token_start => {
                let mut j = i + 1;
                loop {
                    let Some(&q) = b.get(j) else {
                        return false;
                    };
                    if q == b'\\' && c == b'"' {
                        j += 2;
                        continue;
                    }
                    if q == c {
                        if c == b'\'' && b.get(j + 1) == Some(&b'\'') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                i = j + 1;
                last = Some(c);
                continue;
            }
            b'{' | b'[' if depth > 0 || token_start => depth += 1,
            b'}' | b']' if depth > 0 => depth -= 1,
            b'}' | b']' if token_start => return false,
            _ => {}
        }
        last = Some(c);
        i += 1;
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    type Shown = (String, Option<String>, Option<String>, Vec<String>);

    fn head(text: &str) -> Option<Shown> {
        scan(text).map(|h| {
            (
                h.name,
                h.description,
                h.version.map(|t| t.0),
                h.versions.into_iter().map(|v| v.version.0).collect(),
            )
        })
    }

    type Options = Vec<(String, Option<String>)>;

    fn group(text: &str) -> Option<(String, Strategy, Options)> {
        scan_group(text).map(|g| {
            let options = g.options.into_iter().map(|o| (o.name, o.description));
            (g.name, g.strategy, options.collect())
        })
    }

    #[test]
    fn reads_groups() {
        let text = "name: g\ntype: library_group\nstrategy: M-of-N\noptions:\n  - a\n  - name: b\n    description: the b\n    implies: {service:x: {}}\ndefault: a\n";
        assert_eq!(
            group(text),
            Some((
                "g".into(),
                Strategy::ManyOfN,
                vec![("a".into(), None), ("b".into(), Some("the b".into()))]
            ))
        );
        for text in [
            // An unknown strategy, an option YAML reads as a number, an option mapping
            // without a name, no strategy.
            "name: g\nstrategy: 2-of-N\n",
            "name: g\nstrategy: 1-of-N\noptions:\n  - 1.5\n",
            "name: g\nstrategy: 1-of-N\noptions:\n  - description: x\n",
            "name: g\noptions: []\n",
        ] {
            assert_eq!(group(text), None, "{text:?}");
        }
    }

    #[test]
    fn reads_the_usual_shapes() {
        let text = "name: lib-1\nversion: 1.0.0\nsources:\n  prod: {type: pypi, version: \">=1.0\"}\nimplies:\n  service:svc-1:\n    params: {db: x}\n";
        assert_eq!(
            head(text),
            Some(("lib-1".into(), None, Some("1.0.0".into()), vec![]))
        );
        let text = "---\n# a comment\nname: 'it''s'   # note\ndescription: \"A store: fast\"\nversions:\n  - version: 1.0.0\n    requires: {a: \">=1\"}\n  - description: x\n    version: '2.0'\n";
        assert_eq!(
            head(text),
            Some((
                "it's".into(),
                Some("A store: fast".into()),
                None,
                vec!["1.0.0".into(), "2.0".into()]
            ))
        );
        let text = "name: x\nconflicts:\n- a\n- b\nversions:\n- version: 1.2.3\n";
        assert_eq!(
            head(text),
            Some(("x".into(), None, None, vec!["1.2.3".into()]))
        );
        assert_eq!(
            head("name: x\ndescription: null\nversions: []\n"),
            Some(("x".into(), None, None, vec![]))
        );
    }

    #[test]
    fn leaves_to_the_parser_what_it_cannot_be_sure_of() {
        for text in [
            // Not a plain word for a key, a tab, a carriage return, a second document.
            "\"name\": x\n",
            "name: x\n\tversion: 1\n",
            "name: x\r\n",
            "name: x\n---\nname: y\n",
            // A value it reads: empty, multi-line, anchored, aliased, tagged, a block
            // scalar, escaped, resolved to a number, a boolean or null.
            "name:\n  x\n",
            "name: a\n  b\n",
            "name: &a x\n",
            "name: *a\n",
            "name: !!str x\n",
            "name: x\ndescription: |\n  text\n",
            "name: \"a\\tb\"\n",
            "name: x\nversion: 1.10\n",
            "name: x\nversion: 2\n",
            "name: x\nversion: true\n",
            "name: x\nversion: 0x1f\n",
            "name: x\nversion: ~\n",
            "name: a: b\n",
            // Repeated keys: serde's duplicate field.
            "name: x\nname: y\n",
            // A flow collection or quote left open in a skipped line.
            "name: x\nimplies: {a: b,\nname: y}\n",
            "name: x\nenv:\n  A: \"one\ntwo\"\n",
            // A version item without a version, or not a mapping.
            "name: x\nversions:\n  - requires: {}\n",
            "name: x\nversions:\n  - 1.0.0\n",
            // No name.
            "description: x\n",
        ] {
            assert_eq!(head(text), None, "{text:?}");
        }
    }

    #[test]
    fn closed_tracks_quotes_brackets_and_comments() {
        assert!(closed("  prod: {type: pypi, version: \">=1.0\"}"));
        assert!(closed("  a: it's # {"));
        assert!(closed("  a: x]"));
        assert!(closed("  a: 'x'' {'"));
        assert!(!closed("  a: {x: 1,"));
        assert!(!closed("  a: &anchor \"open"));
        assert!(!closed("  a: [x, 'y"));
        assert!(!closed("  ]"));
    }
}
