//! Graphs as text for other tools: Graphviz DOT and Mermaid flowcharts (`hsm graph`).
//!
//! Both the solved stack ([`StackGraph`]) and the registry-wide rule graph
//! ([`ImplicationGraph`]) become a [`Diagram`] first (labelled nodes, labelled edges,
//! clusters), which then prints in either syntax. Output is deterministic: nodes and edges
//! keep the order of the graphs they came from, which is sorted.
//!
//! Escaping, so any name or path survives:
//! - DOT: every id and label is a double-quoted string; `\` and `"` are escaped, line
//!   breaks become `\n` (Graphviz's centred line break).
//! - Mermaid: node ids are made of `[A-Za-z0-9_]` only (derived from the node's key, with a
//!   numeric suffix if two keys map to the same id); every label is double-quoted, with
//!   `"`, `#`, `<`, `>`, `&`, `|` and `` ` `` written as Mermaid entity codes (`#quot;`, …)
//!   and line breaks as `<br/>`.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::graph::{ImplicationGraph, Node, Rule};
use super::selection::{StackGraph, StackNode};
use crate::registry::Kind;
use crate::registry::model::ProfileMode;

/// How a node is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Manifest,
    Library,
    Service,
    Group,
    /// An option of a group (registry-wide graph).
    Option,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Solid,
    /// A rule that restricts rather than brings (`conflicts`).
    Dashed,
    /// Structure rather than a rule (an option is its component).
    Dotted,
}

#[derive(Debug, Clone)]
pub struct DiagramNode {
    /// Unique: `hsm.yaml`, `library:x`, `service_group:g`, `service_group:g/o`.
    pub key: String,
    /// Lines of the label.
    pub label: Vec<String>,
    pub shape: Shape,
}

#[derive(Debug, Clone)]
pub struct DiagramEdge {
    pub from: usize,
    pub to: usize,
    pub label: Vec<String>,
    pub style: Style,
}

/// Nodes drawn together in a box (the options of a group).
#[derive(Debug, Clone)]
pub struct Cluster {
    pub key: String,
    pub label: String,
    pub nodes: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Diagram {
    pub nodes: Vec<DiagramNode>,
    pub edges: Vec<DiagramEdge>,
    pub clusters: Vec<Cluster>,
}

fn group_key(kind: Kind, group: &str) -> String {
    format!("{kind}_group:{group}")
}

fn shape_of(kind: Kind) -> Shape {
    match kind {
        Kind::Library => Shape::Library,
        Kind::Service => Shape::Service,
    }
}

impl Diagram {
    /// The solved stack: hsm.yaml, groups, components; every edge labelled with its rule
    /// and where the rule is written.
    pub fn from_stack(graph: &StackGraph) -> Diagram {
        let nodes = graph
            .nodes
            .iter()
            .map(|n| match n {
                StackNode::Manifest => DiagramNode {
                    key: "hsm.yaml".into(),
                    label: vec!["hsm.yaml".into()],
                    shape: Shape::Manifest,
                },
                StackNode::Group {
                    kind,
                    name,
                    strategy,
                    ..
                } => DiagramNode {
                    key: group_key(*kind, name),
                    label: vec![name.clone(), format!("{kind} group, {strategy}")],
                    shape: Shape::Group,
                },
                StackNode::Component {
                    kind,
                    name,
                    version,
                    mode,
                    profile,
                } => {
                    let mut label = vec![name.clone()];
                    label.push(match version {
                        Some(v) => format!("{v} · {mode}"),
                        None => mode.to_string(),
                    });
                    if let Some(p) = profile
                        && (p.name != "default" || p.mode != ProfileMode::Managed)
                    {
                        let how = match p.mode {
                            ProfileMode::Managed => "managed",
                            ProfileMode::External => "external",
                        };
                        label.push(format!("profile {} ({how})", p.name));
                    }
                    DiagramNode {
                        key: format!("{kind}:{name}"),
                        label,
                        shape: shape_of(*kind),
                    }
                }
            })
            .collect();
        let edges = graph
            .edges
            .iter()
            .map(|e| DiagramEdge {
                from: e.from,
                to: e.to,
                label: vec![e.rule.clone(), e.at.clone()],
                style: Style::Solid,
            })
            .collect();
        Diagram {
            nodes,
            edges,
            clusters: Vec::new(),
        }
    }

    /// The whole registry: every component, every group's options in a box, every rule.
    pub fn from_registry(graph: &ImplicationGraph) -> Diagram {
        let mut d = Diagram::default();
        let mut index = std::collections::HashMap::new();
        for node in graph.nodes() {
            let (label, shape) = match node {
                Node::Component(kind, name) => (vec![name.clone()], shape_of(*kind)),
                Node::Option { option, .. } => (vec![option.clone()], Shape::Option),
            };
            index.insert(node.clone(), d.nodes.len());
            d.nodes.push(DiagramNode {
                key: node.to_string(),
                label,
                shape,
            });
        }
        for g in &graph.groups {
            let members: Vec<usize> = g
                .options
                .iter()
                .filter_map(|o| {
                    index
                        .get(&Node::Option {
                            kind: g.kind,
                            group: g.name.clone(),
                            option: o.clone(),
                        })
                        .copied()
                })
                .collect();
            d.clusters.push(Cluster {
                key: group_key(g.kind, &g.name),
                label: format!("{} ({} group, {})", g.name, g.kind, g.strategy),
                nodes: members,
            });
        }
        for (from, to, edge) in graph.edges() {
            let (Some(&a), Some(&b)) = (index.get(from), index.get(to)) else {
                continue;
            };
            let (label, style) = match edge.rule {
                Rule::IsOption => (Vec::new(), Style::Dotted),
                Rule::Conflicts => (vec![edge.label(), edge.origin.short()], Style::Dashed),
                Rule::Implies | Rule::Requires => {
                    (vec![edge.label(), edge.origin.short()], Style::Solid)
                }
            };
            d.edges.push(DiagramEdge {
                from: a,
                to: b,
                label,
                style,
            });
        }
        d
    }

    /// Graphviz DOT (`dot -Tsvg` draws it).
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph hsm {\n");
        out.push_str("  rankdir=LR;\n");
        out.push_str("  node [fontname=\"Helvetica\", fontsize=10];\n");
        out.push_str("  edge [fontname=\"Helvetica\", fontsize=8];\n");
        let clustered: HashSet<usize> = self
            .clusters
            .iter()
            .flat_map(|c| c.nodes.iter().copied())
            .collect();
        for (i, n) in self.nodes.iter().enumerate() {
            if !clustered.contains(&i) {
                let _ = writeln!(out, "  {}", dot_node(n));
            }
        }
        for c in &self.clusters {
            let _ = writeln!(
                out,
                "  subgraph {} {{",
                dot_id(&format!("cluster_{}", c.key))
            );
            let _ = writeln!(out, "    label={};", dot_id(&c.label));
            out.push_str("    style=rounded;\n");
            for &i in &c.nodes {
                let _ = writeln!(out, "    {}", dot_node(&self.nodes[i]));
            }
            out.push_str("  }\n");
        }
        for e in &self.edges {
            let mut attrs: Vec<String> = Vec::new();
            if !e.label.is_empty() {
                attrs.push(format!("label={}", dot_label(&e.label)));
            }
            match e.style {
                Style::Solid => {}
                Style::Dashed => attrs.push("style=dashed, color=red".into()),
                Style::Dotted => attrs.push("style=dotted, arrowhead=none".into()),
            }
            let attrs = if attrs.is_empty() {
                String::new()
            } else {
                format!(" [{}]", attrs.join(", "))
            };
            let _ = writeln!(
                out,
                "  {} -> {}{attrs};",
                dot_id(&self.nodes[e.from].key),
                dot_id(&self.nodes[e.to].key)
            );
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart (`flowchart LR`).
    pub fn to_mermaid(&self) -> String {
        let ids = mermaid_ids(self.nodes.iter().map(|n| n.key.as_str()));
        let mut out = String::from("flowchart LR\n");
        let clustered: HashSet<usize> = self
            .clusters
            .iter()
            .flat_map(|c| c.nodes.iter().copied())
            .collect();
        for (i, n) in self.nodes.iter().enumerate() {
            if !clustered.contains(&i) {
                let _ = writeln!(out, "  {}", mermaid_node(&ids[i], n));
            }
        }
        let cluster_ids = mermaid_ids(
            self.clusters
                .iter()
                .map(|c| format!("cluster_{}", c.key))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        for (c, id) in self.clusters.iter().zip(&cluster_ids) {
            // Cluster ids cannot collide with node ids: node ids never start with `cluster_`
            // unless a key does, and keys start with a kind or `hsm`.
            let _ = writeln!(
                out,
                "  subgraph {id}[\"{}\"]",
                mermaid_text(std::slice::from_ref(&c.label))
            );
            for &i in &c.nodes {
                let _ = writeln!(out, "    {}", mermaid_node(&ids[i], &self.nodes[i]));
            }
            out.push_str("  end\n");
        }
        for e in &self.edges {
            let arrow = match e.style {
                Style::Solid => "-->",
                Style::Dashed | Style::Dotted => "-.->",
            };
            let label = if e.label.is_empty() {
                String::new()
            } else {
                format!("|\"{}\"|", mermaid_text(&e.label))
            };
            let _ = writeln!(out, "  {} {arrow}{label} {}", ids[e.from], ids[e.to]);
        }
        out
    }
}

/// A DOT double-quoted string.
fn dot_id(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A multi-line DOT label: lines joined by `\n` (escaped per line).
fn dot_label(lines: &[String]) -> String {
    let quoted: Vec<String> = lines.iter().map(|l| dot_id(l)).collect();
    let inner: Vec<&str> = quoted.iter().map(|q| &q[1..q.len() - 1]).collect();
    format!("\"{}\"", inner.join("\\n"))
}

fn dot_node(n: &DiagramNode) -> String {
    let shape = match n.shape {
        Shape::Manifest => "shape=note",
        Shape::Library => "shape=box",
        Shape::Service => "shape=box, style=rounded",
        Shape::Group => "shape=hexagon",
        Shape::Option => "shape=box, style=dashed",
    };
    format!(
        "{} [label={}, {shape}];",
        dot_id(&n.key),
        dot_label(&n.label)
    )
}

/// Mermaid ids for keys: `[A-Za-z0-9_]` only, unique, in order.
fn mermaid_ids<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for key in keys {
        let base: String = key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while !seen.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        out.push(id);
    }
    out
}

/// Label text for inside Mermaid double quotes.
fn mermaid_text(lines: &[String]) -> String {
    let escaped: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut out = String::with_capacity(l.len());
            for c in l.chars() {
                match c {
                    '"' => out.push_str("#quot;"),
                    '#' => out.push_str("#35;"),
                    '<' => out.push_str("#lt;"),
                    '>' => out.push_str("#gt;"),
                    '&' => out.push_str("#amp;"),
                    '|' => out.push_str("#124;"),
                    '`' => out.push_str("#96;"),
                    '\n' => out.push_str("<br/>"),
                    '\r' => {}
                    c => out.push(c),
                }
            }
            out
        })
        .collect();
    escaped.join("<br/>")
}

fn mermaid_node(id: &str, n: &DiagramNode) -> String {
    let text = mermaid_text(&n.label);
    match n.shape {
        Shape::Manifest => format!("{id}([\"{text}\"])"),
        Shape::Library => format!("{id}[\"{text}\"]"),
        Shape::Service => format!("{id}(\"{text}\")"),
        Shape::Group => format!("{id}{{{{\"{text}\"}}}}"),
        Shape::Option => format!("{id}[[\"{text}\"]]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_strings_are_escaped() {
        assert_eq!(dot_id(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(
            dot_label(&["x\"y".into(), "<built-in>/a.yaml:3".into()]),
            r#""x\"y\n<built-in>/a.yaml:3""#
        );
    }

    #[test]
    fn mermaid_ids_are_safe_and_unique() {
        let ids = mermaid_ids(["library:a-b", "library:a_b", "hsm.yaml"].into_iter());
        assert_eq!(ids, ["library_a_b", "library_a_b_2", "hsm_yaml"]);
        assert_eq!(
            mermaid_text(&["a\"#<b>|`&".into(), "c".into()]),
            "a#quot;#35;#lt;b#gt;#124;#96;#amp;<br/>c"
        );
    }
}
