//! Finding places in a document: the root, entries, shapes, paths, the lines a value spans.

use std::ops::Range;

use yaml_edit::YamlNode;

use crate::error::{Error, ErrorKind};
use crate::source::{Origin, SourceFile, Span};

use super::Document;
use super::lines::{at, is_blank, is_comment, is_dash_line, line_at, line_end, line_start};
use super::path::{
    Ctx, EntryInfo, Resolved, Seg, Shape, Slot, display_path, is_core, node_range, scalar_string,
    untag,
};
use super::verify::Step;

impl Document {
    pub(super) fn root_slot(&self) -> Result<Slot, Error> {
        let mut docs = self.file.documents();
        let doc = docs.next();
        if let Some(second) = docs.next() {
            let offset = second.byte_range().start as usize;
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("{} holds more than one YAML document", self.name),
            )
            .at(self.origin(offset..offset))
            .with_label("a second document starts here")
            .with_help("keep a single document (remove the extra `---` sections)"));
        }
        let value = doc.and_then(|d| {
            d.as_mapping()
                .map(YamlNode::Mapping)
                .or_else(|| d.as_sequence().map(YamlNode::Sequence))
                .or_else(|| d.as_scalar().map(YamlNode::Scalar))
                .or_else(|| d.as_tagged().map(YamlNode::TaggedNode))
        });
        Ok(Slot {
            value: value.map(untag),
            ctx: Ctx::Root,
            path: Vec::new(),
        })
    }

    /// A position in the text as it is now, for an error.
    pub(super) fn origin(&self, range: Range<usize>) -> Origin {
        let source = SourceFile::new(self.name.as_str(), None, self.text.clone());
        Origin::at_span(
            &source,
            Span {
                offset: range.start,
                len: range.len(),
            },
        )
    }

    /// Start of the node at `pos` with its properties: the anchors (`&a`) and tags (`!t`)
    /// written before it on its line, which the parser leaves out of the node's range.
    pub(super) fn node_start(&self, pos: usize) -> usize {
        let mut start = pos;
        loop {
            let from = line_start(&self.text, start);
            let before = at(&self.text, from..start);
            let trimmed = before.trim_end_matches([' ', '\t']);
            if trimmed.len() == before.len() {
                return start;
            }
            let token = trimmed.rfind([' ', '\t']).map_or(0, |i| i + 1);
            if !trimmed[token..].starts_with(['&', '!']) {
                return start;
            }
            start = from + token;
        }
    }

    pub(super) fn entries(&self, node: &YamlNode) -> Vec<EntryInfo> {
        let Some(m) = node.as_mapping() else {
            return Vec::new();
        };
        m.entries()
            .filter_map(|e| {
                let key_node = e.key_node()?;
                let key_range = node_range(&key_node);
                let key = scalar_string(&untag(key_node))
                    .unwrap_or_else(|| at(&self.text, key_range.clone()).to_string());
                // The entry starts with the key's properties (`&a key:`).
                let key_range = self.node_start(key_range.start)..key_range.end;
                let after = at(&self.text, key_range.end..self.text.len());
                let colon_end = after
                    .trim_start_matches([' ', '\t'])
                    .starts_with(':')
                    .then(|| {
                        key_range.end + after.len() - after.trim_start_matches([' ', '\t']).len()
                            + 1
                    });
                Some(EntryInfo {
                    key,
                    key_range,
                    colon_end,
                    value: e.value_node().map(untag),
                })
            })
            .collect()
    }

    pub(super) fn is_flow(&self, node: &YamlNode) -> bool {
        let r = node_range(node);
        matches!(self.text.as_bytes().get(r.start), Some(b'{' | b'['))
    }

    pub(crate) fn shape(&self, node: Option<&YamlNode>) -> Shape {
        let Some(node) = node else {
            return Shape::Missing;
        };
        match node {
            YamlNode::Scalar(s) if s.is_null() => Shape::Null,
            YamlNode::Scalar(s) => Shape::Scalar(s.as_string()),
            YamlNode::Mapping(_) => Shape::Map {
                flow: self.is_flow(node),
                entries: self.entries(node),
            },
            YamlNode::Sequence(s) => Shape::Seq {
                flow: self.is_flow(node),
                items: s.values().map(untag).collect(),
            },
            YamlNode::Alias(_) => Shape::Other {
                what: format!("an alias (`{}`)", at(&self.text, node_range(node)).trim()),
                help: "an edit through an alias would change every place its anchor is used: \
                       write the value out in place of the alias",
            },
            // `!!map` or `!!null` with nothing after it (`key: !!map`) is an empty value;
            // another core tag with nothing after it (`!!binary`, `!!str`) an empty string.
            YamlNode::TaggedNode(t) if is_core(t) => match t.resolved_tag().as_deref() {
                Some("!!map" | "!!null") => Shape::Null,
                _ => Shape::Scalar(String::new()),
            },
            YamlNode::TaggedNode(t) => Shape::Other {
                what: format!("tagged `{}`", t.tag().unwrap_or_default()),
                help: "hsm cannot edit a value with a tag of its own without losing the tag: \
                       remove the tag",
            },
        }
    }

    /// Where a slot's value is; an absent value is an empty range just past the `:`.
    pub(crate) fn value_range(&self, slot: &Slot) -> Range<usize> {
        let empty_at = |pos: usize| pos..pos;
        let fallback = match slot.ctx {
            Ctx::Entry { key, colon_end, .. } => empty_at(colon_end.unwrap_or(key.1)),
            _ => empty_at(self.text.len()),
        };
        match &slot.value {
            Some(node) => {
                let r = node_range(node);
                if r.is_empty() { fallback } else { r }
            }
            None => fallback,
        }
    }

    pub(crate) fn resolve(&self, path: &[Seg]) -> Result<Resolved, Error> {
        let mut slot = self.root_slot()?;
        for (depth, seg) in path.iter().enumerate() {
            let shape = self.shape(slot.value.as_ref());
            match (*seg, shape) {
                (Seg::Key(k), Shape::Map { flow, entries }) => {
                    match entries.into_iter().find(|e| e.key == k) {
                        Some(e) => {
                            let mut path = slot.path;
                            path.push(Step::Key(k.to_string().into()));
                            slot = Slot {
                                value: e.value,
                                ctx: Ctx::Entry {
                                    flow,
                                    key: (e.key_range.start, e.key_range.end),
                                    colon_end: e.colon_end,
                                },
                                path,
                            }
                        }
                        None => {
                            return Ok(Resolved::Missing {
                                parent: slot,
                                depth,
                            });
                        }
                    }
                }
                (Seg::Key(_), Shape::Missing | Shape::Null) => {
                    return Ok(Resolved::Missing {
                        parent: slot,
                        depth,
                    });
                }
                (Seg::Index(i), Shape::Seq { items, .. }) => {
                    let item = items
                        .into_iter()
                        .nth(i)
                        .ok_or_else(|| self.bug("a list item vanished"))?;
                    let mut path = slot.path;
                    path.push(Step::Index(i));
                    slot = Slot {
                        value: Some(item),
                        ctx: Ctx::Item,
                        path,
                    };
                }
                (seg, shape) => {
                    let expected = match seg {
                        Seg::Key(_) => "a mapping",
                        Seg::Index(_) => "a list",
                    };
                    return Err(self.shape_error(&path[..depth], &slot, &shape, expected));
                }
            }
        }
        Ok(Resolved::Found(slot))
    }

    pub(crate) fn shape_error(
        &self,
        path: &[Seg],
        slot: &Slot,
        shape: &Shape,
        expected: &str,
    ) -> Error {
        let what = display_path(path);
        let help = match shape {
            Shape::Other { help, .. } => format!("{help}, then run the command again"),
            _ => format!(
                "fix {what} in {} by hand (or remove it), then run the command again",
                self.name
            ),
        };
        Error::new(
            ErrorKind::InvalidValue,
            format!(
                "cannot edit {}: {what} is {}, expected {expected}",
                self.name,
                shape.describe()
            ),
        )
        .at(self.origin(self.value_range(slot)))
        .with_label(format!("expected {expected}"))
        .with_help(help)
    }

    /// The index of the first item of the list at `path` that `matches`; `None` if there is
    /// no list there or no such item.
    pub(crate) fn find_item(
        &self,
        path: &[Seg],
        matches: impl Fn(&YamlNode) -> bool,
    ) -> Result<Option<usize>, Error> {
        let slot = match self.resolve(path)? {
            Resolved::Missing { .. } => return Ok(None),
            Resolved::Found(slot) => slot,
        };
        match self.shape(slot.value.as_ref()) {
            Shape::Seq { items, .. } => Ok(items.iter().position(matches)),
            Shape::Missing | Shape::Null => Ok(None),
            other => Err(self.shape_error(path, &slot, &other, "a list")),
        }
    }

    /// Column of the key or dash at `pos`, which must start its line (after indentation or
    /// after the `- ` of a list item).
    pub(super) fn column(&self, pos: usize) -> usize {
        pos - line_start(&self.text, pos)
    }

    /// The dash of the block list item whose value starts at `pos`.
    pub(super) fn dash_of(&self, pos: usize) -> Result<usize, Error> {
        let pos = self.node_start(pos);
        let before = at(&self.text, 0..pos).trim_end_matches([' ', '\t', '\n', '\r']);
        if before.ends_with('-') {
            Ok(before.len() - 1)
        } else {
            Err(self.bug("a list item without its `-`"))
        }
    }

    /// End (past the line break) of the lines of the block entry or item whose key or dash
    /// is at `start`, in column `col`: the first line and every following line indented
    /// deeper, including comment lines indented deeper; blank lines and shallower comments
    /// count only when deeper content follows them.
    pub(super) fn body_end(
        &self,
        start: usize,
        col: usize,
        is_key: bool,
        value: Option<&YamlNode>,
    ) -> usize {
        let text = &self.text;
        let mut end = line_end(text, start);
        // `key:` with its list's dashes in the key's own column.
        let mut dashes_at_col = false;
        if let Some(v) = value {
            let r = node_range(v);
            let block_collection = (v.is_mapping() || v.is_sequence()) && !self.is_flow(v);
            if !block_collection && r.end > r.start {
                end = end.max(line_end(text, r.end - 1));
            }
            dashes_at_col = is_key && block_collection && v.is_sequence();
        }
        let mut pos = end;
        while pos < text.len() {
            let (line, indent) = line_at(text, pos);
            let next = line_end(text, pos);
            if is_blank(line) {
                // undecided
            } else if is_comment(line) {
                if indent > col {
                    end = next;
                }
            } else if indent > col || (dashes_at_col && indent == col && is_dash_line(line)) {
                end = next;
            } else {
                break;
            }
            pos = next;
        }
        end
    }

    /// The list item in `slot` as written, with its anchor or tag (`&a x`).
    pub(crate) fn item_text(&self, slot: &Slot) -> String {
        let range = self.value_range(slot);
        at(&self.text, self.node_start(range.start)..range.end).to_string()
    }

    /// The file's indentation: (nested mapping, list dashes), each relative to the key
    /// above, from the first block mapping and list found under a key.
    pub(super) fn detect_indentation(&self) -> (Option<usize>, Option<usize>) {
        let mut unit = None;
        let mut seq = None;
        if let Ok(root) = self.root_slot()
            && let Some(node) = &root.value
        {
            self.detect_in(node, &mut unit, &mut seq, 0);
        }
        (unit, seq)
    }

    pub(super) fn detect_in(
        &self,
        node: &YamlNode,
        unit: &mut Option<usize>,
        seq: &mut Option<usize>,
        depth: usize,
    ) {
        if depth > 16 || (unit.is_some() && seq.is_some()) {
            return;
        }
        if node.is_mapping() {
            if self.is_flow(node) {
                return;
            }
            for e in self.entries(node) {
                let Some(v) = &e.value else { continue };
                let key_col = self.column(e.key_range.start);
                if self.is_flow(v) {
                    continue;
                }
                if v.is_mapping()
                    && unit.is_none()
                    && let Some(first) = self.entries(v).first()
                {
                    let col = self.column(first.key_range.start);
                    let own_line = line_start(&self.text, first.key_range.start)
                        > line_start(&self.text, e.key_range.start);
                    if col > key_col && own_line {
                        *unit = Some(col - key_col);
                    }
                }
                if seq.is_none()
                    && let Some(s) = v.as_sequence()
                    && let Some(first) = s.values().next()
                    && let Ok(dash) = self.dash_of(node_range(&first).start)
                {
                    let col = self.column(dash);
                    if col >= key_col {
                        *seq = Some(col - key_col);
                    }
                }
                self.detect_in(v, unit, seq, depth + 1);
            }
        } else if let Some(s) = node.as_sequence() {
            if self.is_flow(node) {
                return;
            }
            for item in s.values() {
                self.detect_in(&item, unit, seq, depth + 1);
            }
        }
    }
}
