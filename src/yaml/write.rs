//! A small, deterministic YAML writer for generated files.
//!
//! serde_yaml's emitter decides quoting by YAML 1.2 rules; docker-compose v1 (and other
//! YAML 1.1 readers) would read `on`, `no`, `1.10` or `8080:80` (sexagesimal!) as booleans
//! or numbers. Generated files are small, so we write them ourselves: block style, two-space
//! indentation, and strings quoted by the one policy of [`super::quote`].

use std::fmt::Write as _;

use super::quote::{quote_block, quote_key};

/// A YAML value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A string (quoted when needed).
    Str(String),
    /// A scalar written verbatim: numbers, booleans, null from pass-through values.
    Raw(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    pub fn map() -> Node {
        Node::Map(Vec::new())
    }

    /// Append a key to a map node (no-op on other nodes).
    pub fn push(&mut self, key: impl Into<String>, value: Node) {
        if let Node::Map(entries) = self {
            entries.push((key.into(), value));
        }
    }

    /// Convert a parsed YAML value (compose pass-through such as `healthcheck`).
    pub fn from_value(v: &serde_yaml::Value) -> Node {
        use serde_yaml::Value;
        match v {
            Value::Null => Node::Raw("null".into()),
            Value::Bool(b) => Node::Raw(b.to_string()),
            Value::Number(n) => Node::Raw(n.to_string()),
            Value::String(s) => Node::Str(s.clone()),
            Value::Sequence(items) => Node::List(items.iter().map(Node::from_value).collect()),
            Value::Mapping(m) => Node::Map(
                m.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Value::String(s) => s.clone(),
                            other => serde_yaml::to_string(other)
                                .unwrap_or_default()
                                .trim()
                                .to_string(),
                        };
                        (key, Node::from_value(v))
                    })
                    .collect(),
            ),
            Value::Tagged(t) => Node::from_value(&t.value),
        }
    }
}

/// Write a document.
pub fn to_string(node: &Node) -> String {
    let mut out = String::new();
    match node {
        Node::Map(entries) => write_map(&mut out, entries, 0),
        Node::List(items) => write_list(&mut out, items, 0),
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, entries: &[(String, Node)], indent: usize) {
    for (key, value) in entries {
        let pad = " ".repeat(indent);
        let key = quote_key(key);
        match value {
            Node::Map(inner) if !inner.is_empty() => {
                let _ = writeln!(out, "{pad}{key}:");
                write_map(out, inner, indent + 2);
            }
            Node::List(items) if !items.is_empty() => {
                let _ = writeln!(out, "{pad}{key}:");
                write_list(out, items, indent + 2);
            }
            other => {
                let _ = writeln!(out, "{pad}{key}: {}", scalar_text(other));
            }
        }
    }
}

fn write_list(out: &mut String, items: &[Node], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Node::Map(inner) if !inner.is_empty() => {
                // First key on the dash line, the rest aligned under it.
                let mut nested = String::new();
                write_map(&mut nested, inner, indent + 2);
                let body = nested
                    .strip_prefix(&" ".repeat(indent + 2))
                    .unwrap_or(&nested);
                let _ = write!(out, "{pad}- {body}");
            }
            Node::List(inner) if !inner.is_empty() => {
                let _ = writeln!(out, "{pad}-");
                write_list(out, inner, indent + 2);
            }
            other => {
                let _ = writeln!(out, "{pad}- {}", scalar_text(other));
            }
        }
    }
}

fn scalar_text(node: &Node) -> String {
    match node {
        Node::Str(s) => quote_block(s),
        Node::Raw(s) => s.clone(),
        Node::List(_) => "[]".to_string(),
        Node::Map(_) => "{}".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_block_style() {
        let mut svc = Node::map();
        svc.push("image", Node::str("redis:7"));
        svc.push("ports", Node::List(vec![Node::str("6379:6379")]));
        svc.push("environment", Node::Map(vec![("A".into(), Node::str("1"))]));
        svc.push(
            "healthcheck",
            Node::Map(vec![(
                "test".into(),
                Node::List(vec![Node::str("CMD"), Node::str("true")]),
            )]),
        );
        svc.push("empty", Node::map());
        let mut doc = Node::map();
        doc.push("services", Node::Map(vec![("redis".into(), svc)]));
        assert_eq!(
            to_string(&doc),
            "services:\n  redis:\n    image: redis:7\n    ports:\n      - \"6379:6379\"\n    environment:\n      A: \"1\"\n    healthcheck:\n      test:\n        - CMD\n        - \"true\"\n    empty: {}\n"
        );
        let list_of_maps = Node::List(vec![Node::Map(vec![
            ("a".into(), Node::str("x")),
            ("b".into(), Node::str("z")),
        ])]);
        assert_eq!(to_string(&list_of_maps), "- a: x\n  b: z\n");
    }
}
