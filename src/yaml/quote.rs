//! The quoting policy, for everything hsm writes as YAML: edits of hsm.yaml and registry
//! files, and every file it generates (compose files, registry entries, scaffolds).
//!
//! A string is written plain only when YAML 1.1 readers (PyYAML, docker-compose v1) and
//! YAML 1.2 readers (the loader's `serde_yaml`) both read it back as the same string, in
//! the context it is written in; otherwise it is double-quoted, the one style that can
//! hold any string (escapes for control characters and line breaks). Three contexts:
//! - [`quote`]: anywhere, flow collections included (`[a, b]`, `{k: v}`);
//! - [`quote_block`]: a value on a block line (`key: value`, `- value`), where `:`, `#`
//!   and flow indicators inside the text are fine (`https://x.org/a#b`);
//! - [`quote_key`]: a mapping key, block or flow, where a rule key `kind:name` stays plain.
//!
//! What is never plain: the empty string; text with leading or trailing space, a control
//! character or a character YAML 1.1 reads as a line break (NEL, U+2028, U+2029) or a byte
//! order mark; text starting with an indicator (`-?:,[]{}#&*!|>'"%@` and backquote); the
//! words YAML 1.1 or 1.2 read as null or booleans (`~`, `null`, `yes`, `No`, `on`, `y`,
//! ...), `=` and `<<`; and everything that looks like a number or a date in either version
//! (`1.10`, `1_000`, `0o17`, `0x1f`, `.inf`, `1:20` (sexagesimal), `8080:80`,
//! `2024-01-01`). The table test below and `tests/it/yaml_quote.rs` (PyYAML) check the
//! policy against real readers.

use crate::source::double_quoted;

/// `s` as a YAML scalar in any context: plain when YAML reads it back as the same
/// string, else double-quoted.
pub fn quote(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

/// `s` as a scalar on a block line: like [`quote`], but `:` and `#` inside the text
/// (`https://x`, `a#b`) and flow indicators after the first character are fine there, as
/// long as no `: ` or ` #` makes them a key or a comment.
pub fn quote_block(s: &str) -> String {
    let plain = is_plain_safe(s)
        || (!s.contains(": ")
            && !s.contains(":\t")
            && !s.ends_with(':')
            && !s.contains(" #")
            && !s.contains("\t#")
            && !looks_numeric(s)
            && is_plain_safe(&s.replace([':', '#', ',', '[', ']', '{', '}'], "x"))
            && !starts_with_indicator(s));
    if plain {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

/// A mapping key: like [`quote`], except that a rule key `kind:name` (`service:qdrant`,
/// `library_group:vector-db`) stays plain, as registry files write it: a `:` that is not
/// followed by a space does not end a plain scalar.
pub fn quote_key(s: &str) -> String {
    if let Some((kind, name)) = s.split_once(':')
        && !kind.is_empty()
        && kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && is_plain_safe(kind)
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

fn starts_with_indicator(s: &str) -> bool {
    s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
}

/// A character a plain scalar may hold: printable in YAML 1.1 and 1.2, and no line break
/// (YAML 1.1 breaks lines at NEL, U+2028 and U+2029 too).
fn plain_char(c: char) -> bool {
    !c.is_control()
        && !matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// Whether `s` can be written as a plain scalar, in block and flow context, and read back
/// as the same string by YAML 1.1 and 1.2 readers.
fn is_plain_safe(s: &str) -> bool {
    if s.is_empty()
        || s.trim() != s
        || starts_with_indicator(s)
        || s.contains([':', '#', ',', '[', ']', '{', '}'])
        || !s.chars().all(plain_char)
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

/// Strings that YAML readers could misread, for the tests of this policy (here against
/// serde_yaml, in `tests/it/yaml_quote.rs` against PyYAML, a YAML 1.1 reader).
#[doc(hidden)]
pub const TRICKY: &[&str] = &[
    "",
    "no",
    "No",
    "NO",
    "On",
    "off",
    "y",
    "Y",
    "n",
    "yes",
    "true",
    "False",
    "~",
    "null",
    "Null",
    "1.10",
    "1.2.3",
    "10.0.0.1",
    "8080:80",
    "1_000",
    "0o17",
    "0x1f",
    "0b101",
    "017",
    ".inf",
    "-.inf",
    ".NaN",
    ".5",
    "1e3",
    "+1",
    "-1",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "1:20",
    "190:20:30",
    "<<",
    "=",
    "a=b",
    "a: b",
    "a:b",
    "a:",
    ":a",
    "a #b",
    "a#b",
    "#a",
    "-x",
    "- x",
    "-",
    "? x",
    "?x",
    "!x",
    "&a",
    "*a",
    "%x",
    "@x",
    "`x",
    "'q'",
    "\"q\"",
    "it's",
    "say \"hi\"",
    " x",
    "x ",
    "a\tb",
    "\tx",
    "a\nb",
    "a\rb",
    "a\u{7}b",
    "a\u{85}b",
    "a\u{2028}b",
    "a\u{2029}b",
    "\u{feff}x",
    "\u{a0}x",
    "héllo",
    "日本",
    "emoji 🦀",
    "${VAR}",
    "${HSM_MERGED_PARAMS.k}",
    "./x y",
    "./x",
    "../x",
    "/data",
    "./data:/x",
    "qdrant/qdrant:v1.12.4",
    "redis:7",
    "https://x.org/a#b",
    "https://github.com/x/y.git",
    "a, b [c]",
    "[x]",
    "{x}",
    "x]",
    "a{b}",
    "issue#4",
    "service:qdrant",
    "library_group:vector-db",
    "service:",
    "1:x",
    "CMD-SHELL",
    "pg_isready -U postgres",
    ">=1.11, <2",
    "*",
    "|",
    ">",
    "a\\b",
    "\\",
    "key: value # c",
    "x\u{0}y",
    "10",
    "OFF",
    "0x1F",
    "12:30",
    "two\nlines",
    " padded",
    "'quoted",
    "*ref",
    "3d-lib",
    "1-of-N",
    "0xdead-beef",
    "v1.10",
];

/// `s` written in each context, with the context's name: `v: s`, `- s`, `[s]`, `{v: s}`,
/// `s: v`, `{s: v}`. A reader must find `s` where it was written.
#[doc(hidden)]
pub fn contexts(s: &str) -> [(String, &'static str); 6] {
    [
        (format!("v: {}\n", quote_block(s)), "block value"),
        (format!("v:\n  - {}\n", quote_block(s)), "block item"),
        (format!("v: [{}]\n", quote(s)), "flow item"),
        (format!("{{v: {}}}\n", quote(s)), "flow value"),
        (format!("{}: v\n", quote_key(s)), "block key"),
        (format!("{{{}: v}}\n", quote_key(s)), "flow key"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string a context's text holds where the tricky string went.
    fn read_back(text: &str, context: &str) -> Option<String> {
        let parsed: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
        let (k, v) = parsed.as_mapping()?.iter().next()?;
        let at = match context {
            "block key" | "flow key" => (v.as_str() == Some("v")).then_some(k)?,
            "block item" | "flow item" => (k.as_str() == Some("v")).then(|| v.get(0))??,
            _ => (k.as_str() == Some("v")).then_some(v)?,
        };
        at.as_str().map(str::to_string)
    }

    #[test]
    fn every_tricky_string_reads_back_in_every_context() {
        for s in TRICKY {
            for (text, context) in contexts(s) {
                assert_eq!(
                    read_back(&text, context).as_deref(),
                    Some(*s),
                    "{context}: {text:?}"
                );
            }
            // Quoted means double-quoted: one style.
            for written in [quote(s), quote_block(s), quote_key(s)] {
                assert!(
                    written == *s || written.starts_with('"'),
                    "{s:?}: {written}"
                );
            }
        }
    }

    #[test]
    fn plain_where_both_readers_agree() {
        for s in [
            "qdrant/qdrant:v1.12.4",
            "postgres",
            "vector-db",
            "/data",
            "a.b_c",
            "./services/api",
            "1.2.3",
            "héllo",
            "./x y",
            "${VAR}",
            "3d-lib",
            "1-of-N",
            "0xdead-beef",
            "my app",
            "v1.10",
            "it's",
        ] {
            assert_eq!(quote_block(s), s, "{s}");
            assert_eq!(quote(s) == s, !s.contains(['$', ':', '{']), "{s}");
        }
        for (value, block) in [
            ("https://github.com/x/y.git", "https://github.com/x/y.git"),
            ("nginx:latest", "nginx:latest"),
            ("a, b [c]", "a, b [c]"),
            ("issue#4", "issue#4"),
            ("./data:/x", "./data:/x"),
            ("8080:80", "\"8080:80\""),
            ("1.10", "\"1.10\""),
            ("a: b", "\"a: b\""),
            ("a #b", "\"a #b\""),
            ("ends:", "\"ends:\""),
            ("[x]", "\"[x]\""),
            ("yes", "\"yes\""),
            ("", "\"\""),
            ("say \"hi\"\n", "\"say \\\"hi\\\"\\n\""),
            ("a\u{2028}b", "\"a\\u2028b\""),
        ] {
            assert_eq!(quote_block(value), block, "{value:?}");
        }
        assert_eq!(quote("a, b"), "\"a, b\"");
        assert_eq!(quote_key("service:qdrant"), "service:qdrant");
        assert_eq!(
            quote_key("library_group:vector-db"),
            "library_group:vector-db"
        );
        assert_eq!(quote_key("a: b"), "\"a: b\"");
        assert_eq!(quote_key("service:"), "\"service:\"");
        assert_eq!(quote_key("1:20"), "\"1:20\"");
    }
}
