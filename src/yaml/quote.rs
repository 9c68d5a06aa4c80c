//! The quoting policy: when a string may be written plain, and how it is quoted otherwise.

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
}
