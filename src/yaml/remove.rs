//! Taking entries and items out, with their comments and the blank lines around them.

use std::ops::Range;

use yaml_edit::YamlNode;

use crate::error::Error;

use super::Document;
use super::lines::{at, is_blank, is_comment, line_at, line_end, line_start, prev_line};
use super::path::{Ctx, Resolved, Seg, Shape, Slot, node_range};

impl Document {
    /// Remove the mapping entry at `path`; false if it is not there.
    pub(super) fn remove_key_inner(&mut self, path: &[Seg]) -> Result<bool, Error> {
        let Some((Seg::Key(key), parent_path)) = path.split_last() else {
            return Err(self.bug("removing something that is not a key"));
        };
        let parent = match self.resolve(parent_path)? {
            Resolved::Missing { .. } => return Ok(false),
            Resolved::Found(slot) => slot,
        };
        let (flow, entries) = match self.shape(parent.value.as_ref()) {
            Shape::Map { flow, entries } => (flow, entries),
            Shape::Missing | Shape::Null => return Ok(false),
            other => return Err(self.shape_error(parent_path, &parent, &other, "a mapping")),
        };
        let Some(index) = entries.iter().position(|e| e.key == *key) else {
            return Ok(false);
        };
        if flow {
            let ranges: Vec<Range<usize>> = entries
                .iter()
                .map(|e| {
                    let end = e
                        .value
                        .as_ref()
                        .map_or(e.key_range.end, |v| node_range(v).end.max(e.key_range.end));
                    e.key_range.start..end
                })
                .collect();
            self.remove_flow_member(&parent, &ranges, index)?;
        } else {
            let members: Vec<(usize, Option<YamlNode>)> = entries
                .iter()
                .map(|e| (e.key_range.start, e.value.clone()))
                .collect();
            self.remove_block_member(&parent, &members, index, true, "{}")?;
        }
        Ok(true)
    }

    /// Remove item `index` of the list at `path`.
    pub(super) fn remove_item_inner(&mut self, path: &[Seg], index: usize) -> Result<(), Error> {
        let Resolved::Found(slot) = self.resolve(path)? else {
            return Err(self.bug("a list vanished"));
        };
        let Shape::Seq { flow, items } = self.shape(slot.value.as_ref()) else {
            return Err(self.bug("a list vanished"));
        };
        if flow {
            let ranges: Vec<Range<usize>> = items.iter().map(node_range).collect();
            self.remove_flow_member(&slot, &ranges, index)
        } else {
            let mut members = Vec::new();
            for item in items {
                members.push((self.dash_of(node_range(&item).start)?, Some(item)));
            }
            self.remove_block_member(&slot, &members, index, false, "[]")
        }
    }

    /// Remove member `index` (given by ranges) of the flow collection in `parent`.
    pub(super) fn remove_flow_member(
        &mut self,
        parent: &Slot,
        ranges: &[Range<usize>],
        index: usize,
    ) -> Result<(), Error> {
        let whole = self.value_range(parent);
        if whole.len() < 2 || ranges.is_empty() {
            return Err(self.bug("a flow collection without brackets"));
        }
        let cut = if ranges.len() == 1 {
            // Everything between the brackets.
            whole.start + 1..whole.end - 1
        } else if index + 1 < ranges.len() {
            ranges[index].start..ranges[index + 1].start
        } else {
            ranges[index - 1].end..ranges[index].end
        };
        self.splice(vec![(cut, String::new())])
    }

    /// Remove member `index` of the block collection in `parent`; members are given by
    /// the position of their key (`is_key`: a mapping) or dash (a list) and their value.
    /// Comment lines directly above a mapping entry, at its indentation, go with it (hsm
    /// writes a group's comment there); those above a list item stay. A collection left
    /// empty becomes `empty` (`{}` or `[]`) on its key's line.
    pub(super) fn remove_block_member(
        &mut self,
        parent: &Slot,
        members: &[(usize, Option<YamlNode>)],
        index: usize,
        is_key: bool,
        empty: &str,
    ) -> Result<(), Error> {
        let text = &self.text;
        let (start, value) = &members[index];
        let col = self.column(*start);
        let mut region_start = line_start(text, *start);
        if !at(text, region_start..*start).trim().is_empty() {
            return Err(self.bug("an entry that does not start its line"));
        }
        if is_key {
            while let Some(prev) = prev_line(text, region_start) {
                let (line, indent) = line_at(text, prev);
                if is_comment(line) && indent == col {
                    region_start = prev;
                } else {
                    break;
                }
            }
        }
        let mut region_end = self.body_end(*start, col, is_key, value.as_ref());
        let is_first = index == 0;
        let has_next = index + 1 < members.len();
        let blank_before =
            prev_line(text, region_start).is_some_and(|p| is_blank(line_at(text, p).0));
        if has_next && (is_first || blank_before) {
            while region_end < text.len() && is_blank(line_at(text, region_end).0) {
                region_end = line_end(text, region_end);
            }
        } else if !has_next && blank_before {
            while let Some(prev) = prev_line(text, region_start) {
                if is_blank(line_at(text, prev).0) {
                    region_start = prev;
                } else {
                    break;
                }
            }
        }
        let mut edits = vec![(region_start..region_end, String::new())];
        if members.len() == 1 {
            let Ctx::Entry {
                flow: false,
                colon_end: Some(colon_end),
                ..
            } = parent.ctx
            else {
                return Err(self.bug("emptying a collection that has no key"));
            };
            edits.push((colon_end..colon_end, format!(" {empty}")));
        }
        self.splice(edits)
    }
}
