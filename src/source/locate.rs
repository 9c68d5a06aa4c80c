//! Key paths and the index that maps them to byte spans.
//!
//! serde gives us values without positions; this module gives positions without values.
//! `yaml-edit` parses the file losslessly and we record the span of every mapping key and
//! sequence item under its path. A path that cannot be found (flow style the CST does not
//! split, anchors) falls back to its nearest ancestor in [`super::Origin::span`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use super::Span;

/// One step of a [`KeyPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A key: one of the words hsm's files use as keys is not copied ([`KNOWN_KEYS`]).
    Key(Cow<'static, str>),
    Index(usize),
}

/// The keys of hsm's files, sorted. Every rule read keeps the path to it, and at 100k
/// registry files copying these words into each path was a large share of the
/// allocations of `hsm registry lint`.
const KNOWN_KEYS: &[&str] = &[
    "branch",
    "build",
    "cases",
    "class",
    "command",
    "comment",
    "conflicts",
    "constraints",
    "container_engine",
    "container_name",
    "default",
    "dependencies",
    "deployment_profiles",
    "description",
    "dev",
    "dockerfile",
    "each",
    "editable",
    "entrypoints",
    "env",
    "env_file",
    "expect",
    "external",
    "files",
    "git_ref",
    "groups",
    "healthcheck",
    "image",
    "implies",
    "kind",
    "kubernetes",
    "libraries",
    "library_groups",
    "limits",
    "manager",
    "mode",
    "modes",
    "name",
    "network_aliases",
    "options",
    "package",
    "package_manager",
    "params",
    "path",
    "ports",
    "prod",
    "profile",
    "project",
    "ref",
    "registries",
    "registry",
    "replicas",
    "repository",
    "requests",
    "requires",
    "resources",
    "rev",
    "runtime",
    "selection",
    "service_type",
    "services",
    "size",
    "sources",
    "standalone",
    "storage",
    "strategy",
    "subdirectory",
    "tag",
    "type",
    "url",
    "version",
    "versions",
    "volumes",
    "working_dir",
];

/// `key` as a path step: borrowed when it is a known key, copied otherwise.
fn key_seg(key: &str) -> Seg {
    Seg::Key(match KNOWN_KEYS.binary_search(&key) {
        Ok(i) => Cow::Borrowed(KNOWN_KEYS[i]),
        Err(_) => Cow::Owned(key.to_owned()),
    })
}

/// A path from the document root to a key or item, e.g. `options[2].implies."service:qdrant"`.
/// Shared: every rule keeps the path of the text it came from, and every solve that
/// compiles the rule hands it on (the root is no allocation at all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct KeyPath(Option<Arc<[Seg]>>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(None)
    }

    #[must_use]
    pub fn key(&self, key: impl AsRef<str>) -> Self {
        self.then(key_seg(key.as_ref()))
    }

    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        self.then(Seg::Index(index))
    }

    /// This path and one more step, in one allocation.
    fn then(&self, seg: Seg) -> Self {
        let segs: Arc<[Seg]> = self
            .segs()
            .iter()
            .cloned()
            .chain(std::iter::once(seg))
            .collect();
        KeyPath(Some(segs))
    }

    pub fn pop(&mut self) -> bool {
        let segs = self.segs();
        let Some((_, parent)) = segs.split_last() else {
            return false;
        };
        self.0 = (!parent.is_empty()).then(|| Arc::from(parent));
        true
    }

    pub fn segs(&self) -> &[Seg] {
        self.0.as_deref().unwrap_or(&[])
    }

    /// Build from a dotted serde path such as `libraries.groups.x.selection` or `options[1].name`.
    pub fn from_serde_path(path: &str) -> Self {
        let mut out = KeyPath::root();
        if path == "." || path.is_empty() {
            return out;
        }
        for part in path.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if !key.is_empty() {
                out = out.key(key);
            }
            while let Some(end) = rest.find(']') {
                if let Ok(i) = rest[1..end].parse() {
                    out = out.index(i);
                }
                rest = &rest[end + 1..];
            }
        }
        out
    }
}

/// Spans of every key and item in one file.
#[derive(Debug, Default)]
pub(crate) struct Index {
    spans: HashMap<KeyPath, Span>,
}

impl Index {
    pub(crate) fn build(text: &str) -> Self {
        let mut index = Index::default();
        // The parsers are slow on deep nesting and aliases; such a file has no positions.
        if super::limits::check(text).is_err() {
            return index;
        }
        let (doc, _errors) = yaml_edit::Document::from_str_relaxed(text);
        if let Some(mapping) = doc.as_mapping() {
            index.walk_mapping(&mapping, &KeyPath::root());
        } else if let Some(seq) = doc.as_sequence() {
            index.walk_sequence(&seq, &KeyPath::root());
        }
        index
    }

    pub(crate) fn get(&self, path: &KeyPath) -> Option<Span> {
        self.spans.get(path).copied()
    }

    fn walk_mapping(&mut self, mapping: &yaml_edit::Mapping, at: &KeyPath) {
        for entry in mapping.entries() {
            let Some(key) = entry.key_node() else {
                continue;
            };
            let name = match &key {
                yaml_edit::YamlNode::Scalar(s) => s.as_string(),
                other => other.to_string(),
            };
            let path = at.key(name);
            let range = key.byte_range();
            self.spans.insert(path.clone(), span(range));
            if let Some(value) = entry.value_node() {
                self.walk_node(&value, &path);
            }
        }
    }

    fn walk_sequence(&mut self, seq: &yaml_edit::Sequence, at: &KeyPath) {
        for (i, item) in seq.values().enumerate() {
            let path = at.index(i);
            self.spans.insert(path.clone(), span(item.byte_range()));
            self.walk_node(&item, &path);
        }
    }

    fn walk_node(&mut self, node: &yaml_edit::YamlNode, path: &KeyPath) {
        match node {
            yaml_edit::YamlNode::Mapping(m) => self.walk_mapping(m, path),
            yaml_edit::YamlNode::Sequence(s) => self.walk_sequence(s, path),
            _ => {}
        }
    }
}

fn span(range: yaml_edit::TextPosition) -> Span {
    Span {
        offset: range.start as usize,
        len: range.end.saturating_sub(range.start) as usize,
    }
}

impl FromStr for KeyPath {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(KeyPath::from_serde_path(s))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_known_keys_are_sorted() {
        assert!(super::KNOWN_KEYS.is_sorted());
    }

    use super::*;

    fn line_of(text: &str, path: &KeyPath) -> Option<usize> {
        let index = Index::build(text);
        index
            .get(path)
            .map(|s| text[..s.offset].matches('\n').count() + 1)
    }

    #[test]
    fn finds_nested_keys_and_items() {
        let text = "name: x\nimplies:\n  service:qdrant:\n    params: {a: b}\noptions:\n  - name: a\n  - name: b\n    implies: {service_group:db: pg}\n";
        let root = KeyPath::root();
        assert_eq!(line_of(text, &root.key("name")), Some(1));
        assert_eq!(
            line_of(text, &root.key("implies").key("service:qdrant")),
            Some(3)
        );
        assert_eq!(line_of(text, &root.key("options").index(1)), Some(7));
        assert_eq!(
            line_of(
                text,
                &root
                    .key("options")
                    .index(1)
                    .key("implies")
                    .key("service_group:db")
            ),
            Some(8)
        );
    }

    #[test]
    fn parses_serde_paths() {
        let p = KeyPath::from_serde_path("options[2].implies");
        assert_eq!(p, KeyPath::root().key("options").index(2).key("implies"));
        assert_eq!(KeyPath::from_serde_path("."), KeyPath::root());
    }
}
