//! Where things are: paths into a document, the slots holding values, their shapes.

use std::ops::Range;

use yaml_edit::YamlNode;

use super::verify::Step;

/// A step of a path the editor is asked to follow, borrowed: callers write paths as
/// literals (`&[Seg::Key("libraries"), Seg::Key("groups"), Seg::Key(name)]`) with no
/// allocation. Where the editor keeps a path (a [`Slot`]'s, an edit's intent) it is owned,
/// as [`crate::source::Seg`], the step of [`crate::source::KeyPath`], the one owned
/// key-path type. One type for both would make every caller build a `KeyPath` (a `Vec`
/// of `String`s) for each lookup, or make `KeyPath` generic over its key type for the
/// positions index, which hashes owned paths.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

pub(super) fn steps(path: &[Seg]) -> Vec<Step> {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => Step::Key((*k).to_string().into()),
            Seg::Index(i) => Step::Index(*i),
        })
        .collect()
}

pub(super) fn display_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "the document".to_string()
    } else {
        format!("`{out}`")
    }
}

/// A place holding a value: the document root, a mapping entry or a list item.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// `None` for an empty document or an entry without a value node.
    pub(crate) value: Option<YamlNode>,
    pub(super) ctx: Ctx,
    /// Where the slot is, from the root.
    pub(super) path: Vec<Step>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Ctx {
    Root,
    Entry {
        /// The entry is inside a flow mapping.
        flow: bool,
        key: (usize, usize),
        /// Just past the `:` after the key, if there is one.
        colon_end: Option<usize>,
    },
    Item,
}

#[derive(Debug)]
pub(crate) enum Resolved {
    Found(Slot),
    /// `path[depth]` is not there; `parent` holds `path[..depth]` (a mapping, null or empty).
    Missing {
        parent: Slot,
        depth: usize,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct EntryInfo {
    pub(crate) key: String,
    pub(crate) key_range: Range<usize>,
    pub(super) colon_end: Option<usize>,
    pub(crate) value: Option<YamlNode>,
}

#[derive(Debug)]
pub(crate) enum Shape {
    Missing,
    Null,
    Scalar(String),
    Map {
        flow: bool,
        entries: Vec<EntryInfo>,
    },
    Seq {
        flow: bool,
        items: Vec<YamlNode>,
    },
    /// An alias or a value with a custom tag: `what` it is, and how to make it editable.
    Other {
        what: String,
        help: &'static str,
    },
}

impl Shape {
    pub(super) fn describe(&self) -> String {
        match self {
            Shape::Missing | Shape::Null => "empty".to_string(),
            Shape::Scalar(s) => format!("the value `{s}`"),
            Shape::Map { .. } => "a mapping".to_string(),
            Shape::Seq { .. } => "a list".to_string(),
            Shape::Other { what, .. } => what.clone(),
        }
    }
}

/// Whether a tagged node's tag is one of YAML's own (`!!map`, `!!seq`, `!!str`, ...): such a
/// tag only says what the node is anyway.
pub(super) fn is_core(node: &yaml_edit::TaggedNode) -> bool {
    node.resolved_tag().is_some_and(|t| t.starts_with("!!"))
}

/// The node under a core tag, which edits look through (the tag stays where it is); other
/// nodes as they are.
pub(super) fn untag(node: YamlNode) -> YamlNode {
    let YamlNode::TaggedNode(t) = &node else {
        return node;
    };
    if !is_core(t) {
        return node;
    }
    t.as_mapping()
        .map(YamlNode::Mapping)
        .or_else(|| t.as_sequence().map(YamlNode::Sequence))
        .or_else(|| {
            t.value()
                .filter(|s| !s.byte_range().is_empty())
                .map(YamlNode::Scalar)
        })
        .unwrap_or(node)
}

pub(crate) fn node_range(node: &YamlNode) -> Range<usize> {
    let r = node.byte_range();
    r.start as usize..r.end as usize
}

/// The string value of a non-null scalar.
pub(crate) fn scalar_string(node: &YamlNode) -> Option<String> {
    node.as_scalar()
        .filter(|s| !s.is_null())
        .map(|s| s.as_string())
}

/// The name of a standalone entry: the string, or the `name` of a mapping.
pub(crate) fn item_name(node: &YamlNode) -> Option<String> {
    if let Some(m) = node.as_mapping() {
        return m
            .entries()
            .find(|e| {
                e.key_node()
                    .as_ref()
                    .and_then(scalar_string)
                    .is_some_and(|k| k == "name")
            })
            .and_then(|e| e.value_node())
            .as_ref()
            .and_then(scalar_string);
    }
    scalar_string(node)
}
