//! The one block writer: every new YAML text hsm writes, a whole generated file
//! ([`to_string`]: compose files, scaffolded registry entries) or the lines the editor
//! inserts into hsm.yaml and registry files, is written here from a [`New`] under a
//! [`Layout`].
//!
//! serde_yaml's emitter decides quoting by YAML 1.2 rules; docker-compose v1 (and other
//! YAML 1.1 readers) would read `on`, `no`, `1.10` or `8080:80` (sexagesimal!) as booleans
//! or numbers. So we write YAML ourselves: block style, and strings quoted by the one
//! policy of [`super::quote`].

use super::new::{New, NewEntry};
use super::quote::quote_key;

/// How block lines are laid out: a generated file uses [`Layout::GENERATED`]; the editor
/// uses the layout it finds in the file it edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The line break of every line.
    pub(crate) nl: &'static str,
    /// Indentation of a nested block mapping relative to its key.
    pub(crate) unit: usize,
    /// Indentation of a block list's dashes relative to its key.
    pub(crate) seq_offset: usize,
    /// Write list items that are (non-empty) collections in block style: a mapping as
    /// `- name: x` with its other keys below, a list as `-` with its items below. Otherwise
    /// they are written in flow style (`- {name: x, mode: dev}`, `- [a, b]`).
    pub(crate) block_items: bool,
}

impl Layout {
    /// Generated files: `\n`, mappings by 2, list dashes by 2 under their key, block items.
    pub(crate) const GENERATED: Layout = Layout {
        nl: "\n",
        unit: 2,
        seq_offset: 2,
        block_items: true,
    };
}

/// Write a whole document in [`Layout::GENERATED`].
pub(crate) fn to_string(node: &New) -> String {
    let layout = Layout::GENERATED;
    let mut out = String::new();
    match node {
        New::Map(entries) => {
            for e in entries {
                block_entry(&mut out, &layout, e, 0);
            }
        }
        New::Seq(items) => {
            for item in items {
                block_item(&mut out, &layout, item, 0);
            }
        }
        scalar => {
            out.push_str(&scalar.inline());
            out.push_str(layout.nl);
        }
    }
    out
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Block lines of an entry at column `col`: its comment, then `key: value` or `key:`
/// and the value's lines.
pub(crate) fn block_entry(out: &mut String, layout: &Layout, entry: &NewEntry, col: usize) {
    if let Some(comment) = &entry.comment {
        // A comment comes from a registry string and may hold anything: every line
        // break YAML knows (`\r`, NEL, U+2028, U+2029 too) starts a new `#` line, and
        // other control characters are dropped, so no text of it can become YAML.
        let breaks = |c: char| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
        for line in comment.replace("\r\n", "\n").split(breaks) {
            let line: String = line
                .chars()
                .filter(|c| !c.is_control() || *c == '\t')
                .collect();
            let line = line.trim_end();
            pad(out, col);
            out.push('#');
            if !line.is_empty() {
                out.push(' ');
                out.push_str(line);
            }
            out.push_str(layout.nl);
        }
    }
    pad(out, col);
    out.push_str(&quote_key(&entry.key));
    out.push(':');
    if entry.value.is_inline() {
        out.push(' ');
        out.push_str(&entry.value.inline());
        out.push_str(layout.nl);
    } else {
        out.push_str(layout.nl);
        block_children(out, layout, &entry.value, col);
    }
}

/// The lines below a key at column `key_col` holding a (non-empty) mapping or list.
pub(crate) fn block_children(out: &mut String, layout: &Layout, value: &New, key_col: usize) {
    match value {
        New::Map(entries) => {
            for e in entries {
                block_entry(out, layout, e, key_col + layout.unit);
            }
        }
        New::Seq(items) => {
            for item in items {
                block_item(out, layout, item, key_col + layout.seq_offset);
            }
        }
        New::Str(_) | New::Raw(_) => {}
    }
}

/// The lines of a block list item with its dash in column `dash_col`: `- value`, or, with
/// [`Layout::block_items`], a mapping's first entry on the dash line and the others below
/// it, or a list's items below a bare `-`.
pub(crate) fn block_item(out: &mut String, layout: &Layout, item: &New, dash_col: usize) {
    if layout.block_items {
        match item {
            New::Map(entries) if entries.first().is_some_and(|e| e.comment.is_none()) => {
                let mut lines = String::new();
                for e in entries {
                    block_entry(&mut lines, layout, e, dash_col + 2);
                }
                pad(out, dash_col);
                out.push_str("- ");
                out.push_str(&lines[dash_col + 2..]);
                return;
            }
            New::Seq(items) if !items.is_empty() => {
                pad(out, dash_col);
                out.push('-');
                out.push_str(layout.nl);
                for i in items {
                    block_item(out, layout, i, dash_col + 2);
                }
                return;
            }
            _ => {}
        }
    }
    pad(out, dash_col);
    out.push_str("- ");
    out.push_str(&item.inline());
    out.push_str(layout.nl);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_block_style() {
        let mut svc = New::map();
        svc.push("image", New::str("redis:7"));
        svc.push("ports", New::Seq(vec![New::str("6379:6379")]));
        svc.push(
            "environment",
            New::Map(vec![NewEntry::new("A", New::str("1"))]),
        );
        svc.push(
            "healthcheck",
            New::Map(vec![NewEntry::new(
                "test",
                New::Seq(vec![New::str("CMD"), New::str("true")]),
            )]),
        );
        svc.push("empty", New::map());
        let mut doc = New::map();
        doc.push("services", New::Map(vec![NewEntry::new("redis", svc)]));
        assert_eq!(
            to_string(&doc),
            "services:\n  redis:\n    image: redis:7\n    ports:\n      - \"6379:6379\"\n    environment:\n      A: \"1\"\n    healthcheck:\n      test:\n        - CMD\n        - \"true\"\n    empty: {}\n"
        );
        let list_of_maps = New::Seq(vec![New::Map(vec![
            NewEntry::new("a", New::str("x")),
            NewEntry::new("b", New::str("z")),
        ])]);
        assert_eq!(to_string(&list_of_maps), "- a: x\n  b: z\n");
        let list_of_lists = New::Seq(vec![
            New::Seq(vec![New::str("a"), New::Seq(Vec::new())]),
            New::Seq(Vec::new()),
        ]);
        assert_eq!(to_string(&list_of_lists), "-\n  - a\n  - []\n- []\n");
    }
}
