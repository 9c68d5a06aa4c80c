//! Writing new values: setting, appending, inserting entries, in the file's own layout
//! (the lines themselves are written by [`super::write`]).

use crate::error::Error;

use super::Document;
use super::lines::{at, at_line_start, line_end, line_start};
use super::new::{New, NewEntry};
use super::path::{Ctx, EntryInfo, Resolved, Seg, Shape, Slot, node_range};
use super::quote::quote_key;
use super::write::{block_children, block_entry, block_item};

impl Document {
    /// Turn the scalar list item at `path` into a one-entry mapping `key: <the scalar>`,
    /// keeping the scalar as written: `- x` becomes `- name: x` in a block list, and
    /// `{name: x}` in a flow list. A mapping is left as it is.
    pub(super) fn item_to_mapping_inner(&mut self, path: &[Seg], key: &str) -> Result<(), Error> {
        let Some((Seg::Index(_), list_path)) = path.split_last() else {
            return Err(self.bug("a list item path that does not end in an index"));
        };
        let Resolved::Found(list) = self.resolve(list_path)? else {
            return Err(self.bug("a list vanished"));
        };
        let Shape::Seq { flow, .. } = self.shape(list.value.as_ref()) else {
            return Err(self.bug("a list vanished"));
        };
        let Resolved::Found(slot) = self.resolve(path)? else {
            return Err(self.bug("a list item vanished"));
        };
        match self.shape(slot.value.as_ref()) {
            Shape::Map { .. } => Ok(()),
            Shape::Scalar(_) => {
                // An anchor or tag stays with the scalar: `- &a x` becomes `- name: &a x`.
                let range = self.value_range(&slot);
                let range = self.node_start(range.start)..range.end;
                let raw = at(&self.text, range.clone());
                let with = if flow {
                    format!("{{{}: {raw}}}", quote_key(key))
                } else {
                    format!("{}: {raw}", quote_key(key))
                };
                self.splice(vec![(range, with)])
            }
            other => Err(self.shape_error(path, &slot, &other, "a name or a mapping")),
        }
    }

    /// Replace the list item in `slot`, with its anchor or tag, by `value` (in flow style):
    /// with [`Document::item_text`] in `value`, the anchor stays with what it was on.
    pub(super) fn replace_item_inner(&mut self, slot: &Slot, value: &New) -> Result<(), Error> {
        let range = self.value_range(slot);
        if !matches!(slot.ctx, Ctx::Item) || range.is_empty() {
            return Err(self.bug("replacing something that is not a list item"));
        }
        if let Some(v) = &slot.value
            && (v.is_mapping() || v.is_sequence())
            && !self.is_flow(v)
        {
            return Err(self.bug("replacing a block collection inside a list"));
        }
        self.splice(vec![(
            self.node_start(range.start)..range.end,
            value.flow(),
        )])
    }

    /// Set the value at `path` (a path of keys below the last existing node), creating
    /// missing mappings on the way. `comment` goes above the last key if it is created.
    pub(super) fn set_inner(
        &mut self,
        path: &[Seg],
        value: New,
        comment: Option<String>,
    ) -> Result<(), Error> {
        match self.resolve(path)? {
            Resolved::Found(slot) => {
                if let (New::Str(s), Shape::Scalar(old)) = (&value, self.shape(slot.value.as_ref()))
                    && *s == old
                {
                    return Ok(());
                }
                self.set_value(&slot, value)
            }
            Resolved::Missing { parent, depth } => {
                let mut value = value;
                let mut comment = comment;
                for seg in path[depth + 1..].iter().rev() {
                    let Seg::Key(k) = seg else {
                        return Err(self.bug("a missing list item"));
                    };
                    value = New::Map(vec![NewEntry {
                        key: k.to_string(),
                        value,
                        comment: comment.take(),
                    }]);
                }
                let Seg::Key(key) = path[depth] else {
                    return Err(self.bug("a missing list item"));
                };
                let entry = NewEntry {
                    key: key.to_string(),
                    value,
                    comment,
                };
                match self.shape(parent.value.as_ref()) {
                    Shape::Map { flow, entries } if !entries.is_empty() => {
                        self.insert_entry(&entries, flow, entry)
                    }
                    _ => self.set_value(&parent, New::Map(vec![entry])),
                }
            }
        }
    }

    /// Add an entry at the end of a non-empty mapping.
    pub(super) fn insert_entry(
        &mut self,
        entries: &[EntryInfo],
        flow: bool,
        entry: NewEntry,
    ) -> Result<(), Error> {
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Err(self.bug("an empty mapping"));
        };
        let last_end = last.value.as_ref().map_or(last.key_range.end, |v| {
            node_range(v).end.max(last.key_range.end)
        });
        if flow {
            let text = format!(", {}: {}", quote_key(&entry.key), entry.value.flow());
            return self.insert(last_end, text);
        }
        let col = self.column(first.key_range.start);
        let pos = self.body_end(last.key_range.start, col, true, last.value.as_ref());
        let mut lines = String::new();
        block_entry(&mut lines, &self.layout, &entry, col);
        self.insert_lines(pos, lines)
    }

    /// Replace the value in `slot` with `value`.
    pub(super) fn set_value_inner(&mut self, slot: &Slot, value: New) -> Result<(), Error> {
        let range = self.value_range(slot);
        match slot.ctx {
            Ctx::Root => {
                let New::Map(entries) = &value else {
                    return Err(self.bug("a document that is not a mapping"));
                };
                let mut lines = String::new();
                for e in entries {
                    block_entry(&mut lines, &self.layout, e, 0);
                }
                // No value (an empty file, comments, `---`, a bare `!!map`): lines at the end.
                if range.is_empty() {
                    return self.insert_lines(self.text.len(), lines);
                }
                // A null or `{}` gives way to the lines, which start a line of their own in
                // column 0: after its indentation goes, and after `---` or a tag a line
                // break comes first (`--- key:` is no mapping).
                let lines = lines.trim_end_matches(['\r', '\n']);
                let from = line_start(&self.text, range.start);
                let before = at(&self.text, from..range.start);
                let (start, lines) = if before.trim().is_empty() {
                    (from, lines.to_string())
                } else {
                    let kept = before.trim_end_matches([' ', '\t']).len();
                    (from + kept, format!("{}{lines}", self.layout.nl))
                };
                self.splice(vec![(start..range.end, lines)])
            }
            Ctx::Entry { flow: true, .. } | Ctx::Item => {
                if let Some(v) = &slot.value
                    && (v.is_mapping() || v.is_sequence())
                    && !self.is_flow(v)
                {
                    return Err(self.bug("replacing a block collection inside a list"));
                }
                let text = value.flow();
                if range.is_empty() {
                    self.insert(range.start, format!(" {text}"))
                } else {
                    self.splice(vec![(range, text)])
                }
            }
            Ctx::Entry {
                flow: false,
                key,
                colon_end,
            } => {
                let Some(colon_end) = colon_end else {
                    return Err(self.bug("an entry without `:`"));
                };
                let key_col = self.column(key.0);
                // A block collection or block scalar (`|`, `>`) spans the lines below.
                let old_block = slot.value.as_ref().is_some_and(|v| {
                    ((v.is_mapping() || v.is_sequence()) && !self.is_flow(v))
                        || v.as_scalar().is_some_and(|s| s.is_block())
                });
                if old_block {
                    // `key:  # comment` then indented lines: rewrite from the `:` to the
                    // end of the value's lines, keeping the key line's comment.
                    let end = self.body_end(key.0, key_col, true, slot.value.as_ref());
                    let rest = at(&self.text, colon_end..line_end(&self.text, colon_end))
                        .trim_end_matches(['\n', '\r']);
                    let tail = match rest.find(" #").or_else(|| rest.find("\t#")) {
                        Some(i) => rest[rest[..=i].trim_end().len()..].to_string(),
                        None if rest.starts_with('#') => rest.to_string(),
                        None => String::new(),
                    };
                    let mut with = String::new();
                    if value.is_inline() {
                        with.push(' ');
                        with.push_str(&value.flow());
                    }
                    with.push_str(&tail);
                    with.push_str(self.layout.nl);
                    if !value.is_inline() {
                        block_children(&mut with, &self.layout, &value, key_col);
                    }
                    return self.splice(vec![(colon_end..end, with)]);
                }
                if value.is_inline() {
                    let text = value.flow();
                    return if range.is_empty() {
                        self.insert(range.start, format!(" {text}"))
                    } else {
                        self.splice(vec![(range, text)])
                    };
                }
                // A scalar, null or flow value becomes block lines below the key line.
                let mut lines = String::new();
                let below = line_end(&self.text, range.end.saturating_sub(1).max(colon_end));
                if !at_line_start(&self.text, below) {
                    lines.push_str(self.layout.nl);
                }
                block_children(&mut lines, &self.layout, &value, key_col);
                // An anchor or tag before the old value stays on the key line.
                let kept = at(&self.text, colon_end..range.start)
                    .trim_end_matches([' ', '\t'])
                    .len();
                self.splice(vec![
                    (colon_end + kept..range.end, String::new()),
                    (below..below, lines),
                ])
            }
        }
    }

    /// Append an item to the list at `path`, creating it (and missing mappings) if needed.
    pub(super) fn push_inner(&mut self, path: &[Seg], item: New) -> Result<(), Error> {
        let slot = match self.resolve(path)? {
            Resolved::Missing { .. } => return self.set(path, New::Seq(vec![item]), None),
            Resolved::Found(slot) => slot,
        };
        match self.shape(slot.value.as_ref()) {
            Shape::Missing | Shape::Null => self.set_value(&slot, New::Seq(vec![item])),
            Shape::Seq { items, .. } if items.is_empty() => {
                self.set_value(&slot, New::Seq(vec![item]))
            }
            Shape::Seq { flow: true, items } => {
                let end = items.last().map_or(0, |i| node_range(i).end);
                self.insert(end, format!(", {}", item.flow()))
            }
            Shape::Seq { flow: false, items } => {
                let (Some(first), Some(last)) = (items.first(), items.last()) else {
                    return Err(self.bug("an empty list"));
                };
                let col = self.column(self.dash_of(node_range(first).start)?);
                let last_dash = self.dash_of(node_range(last).start)?;
                let pos = self.body_end(last_dash, col, false, Some(last));
                let mut line = String::new();
                block_item(&mut line, &self.layout, &item, col);
                self.insert_lines(pos, line)
            }
            other => Err(self.shape_error(path, &slot, &other, "a list")),
        }
    }
}
