//! The registry-wide implication graph: every rule that brings something into a stack
//! (`implies`, `requires`, and "option `o` of group `g` is component `o`"), of every
//! component and group option, as a petgraph graph. `conflicts` rules are kept too, as
//! edges that bring nothing, so the graph can be drawn whole (`hsm graph --registry-wide`).
//!
//! `registry lint` uses it to report implication cycles (legal, but usually a mistake) with
//! `tarjan_scc`; each cycle is reported as one closed walk, with the rule of every step.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::error::Error;
use crate::registry::{Component, Group, Implication, ImplyTarget, Kind, Registry};
use crate::source::Origin;
use crate::vocab::Strategy;

/// A node: a component, or an option of a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Component(Kind, String),
    Option {
        kind: Kind,
        group: String,
        option: String,
    },
}

impl fmt::Display for Node {
    /// `library:x`, `service:x`, `library_group:g/o`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Component(kind, name) => write!(f, "{kind}:{name}"),
            Node::Option {
                kind,
                group,
                option,
            } => write!(f, "{kind}_group:{group}/{option}"),
        }
    }
}

/// What kind of rule an edge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// Option `o` of a group is the component `o` (structure, written in the group file).
    IsOption,
    Implies,
    Requires,
    Conflicts,
}

impl Rule {
    /// Does the rule put its target in the stack?
    pub fn brings(self) -> bool {
        self != Rule::Conflicts
    }
}

/// One rule between two nodes.
#[derive(Debug, Clone)]
pub struct Edge {
    pub rule: Rule,
    /// The range of a `requires`, the params of an `implies` (`db_name=auth`), else empty.
    pub detail: String,
    pub origin: Origin,
}

impl Edge {
    /// The rule in a few words: `implies`, `implies (db_name=auth)`, `requires >=1.10, <2`,
    /// `option`, `conflicts`.
    pub fn label(&self) -> String {
        match (self.rule, self.detail.is_empty()) {
            (Rule::IsOption, _) => "option".into(),
            (Rule::Implies, true) => "implies".into(),
            (Rule::Implies, false) => format!("implies ({})", self.detail),
            (Rule::Requires, _) => format!("requires {}", self.detail),
            (Rule::Conflicts, _) => "conflicts".into(),
        }
    }

    /// The rule as a sentence between its two ends.
    pub fn sentence(&self, from: &Node, to: &Node) -> String {
        match self.rule {
            Rule::IsOption => format!("{from} is {to}"),
            Rule::Implies => format!("{from} implies {to}"),
            Rule::Requires => format!("{from} requires {to} `{}`", self.detail),
            Rule::Conflicts => format!("{from} conflicts with {to}"),
        }
    }
}

/// A group, for drawing its options together.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    pub kind: Kind,
    pub name: String,
    pub strategy: Strategy,
    pub options: Vec<String>,
}

/// Every rule in a registry.
#[derive(Debug, Default)]
pub struct ImplicationGraph {
    graph: DiGraph<Node, Edge>,
    index: BTreeMap<Node, NodeIndex>,
    /// Groups, sorted by kind and name.
    pub groups: Vec<GroupInfo>,
    /// Files that did not load and rules that point at nothing; their edges are missing.
    /// `registry lint` reports these on its own; `hsm graph` refuses to draw a graph with
    /// holes in it.
    pub errors: Vec<Error>,
}

/// A cycle of rules that bring each other: `steps[i]` goes from `nodes[i]` to
/// `nodes[(i + 1) % len]`.
#[derive(Debug, Clone)]
pub struct Cycle {
    pub nodes: Vec<Node>,
    pub steps: Vec<Edge>,
}

impl Cycle {
    /// `service:a → service:b → service:a`.
    pub fn path(&self) -> String {
        let mut parts: Vec<String> = self.nodes.iter().map(ToString::to_string).collect();
        if let Some(first) = parts.first().cloned() {
            parts.push(first);
        }
        parts.join(" → ")
    }
}

impl ImplicationGraph {
    /// Load every file of `registry` (this and `registry lint` are the only places that read
    /// the whole registry). Files that fail to load are skipped and listed in `errors`.
    pub fn build(registry: &Registry) -> Self {
        let listed = |category: fn(Kind) -> crate::registry::Category| {
            let mut out: Vec<(Kind, String)> = Vec::new();
            for kind in [Kind::Library, Kind::Service] {
                out.extend(
                    registry
                        .names(category(kind))
                        .iter()
                        .map(|n| (kind, n.clone())),
                );
            }
            out
        };
        let components = listed(Kind::category);
        let groups = listed(Kind::group_category);
        Self::of(registry, &components, &groups)
    }

    /// The graph of the rules of some components and groups (and of nothing else: edges to
    /// entries outside the list lead to nodes without rules of their own).
    pub fn of(
        registry: &Registry,
        components: &[(Kind, String)],
        groups: &[(Kind, String)],
    ) -> Self {
        let mut g = ImplicationGraph::default();
        for (kind, name) in components {
            match registry.component(*kind, name) {
                Ok(Some(c)) => component_edges(registry, &c, &mut g),
                Ok(None) => {}
                Err(e) => g.errors.push(e),
            }
        }
        for (kind, name) in groups {
            match registry.group(*kind, name) {
                Ok(Some(group)) => {
                    g.groups.push(GroupInfo {
                        kind: *kind,
                        name: name.clone(),
                        strategy: group.strategy,
                        options: group.options.iter().map(|o| o.name.clone()).collect(),
                    });
                    group_edges(registry, &group, &mut g);
                }
                Ok(None) => {}
                Err(e) => g.errors.push(e),
            }
        }
        g
    }

    fn node(&mut self, n: &Node) -> NodeIndex {
        if let Some(&i) = self.index.get(n) {
            return i;
        }
        let i = self.graph.add_node(n.clone());
        self.index.insert(n.clone(), i);
        i
    }

    fn edge(&mut self, from: &Node, to: &Node, rule: Rule, detail: String, origin: &Origin) {
        let (a, b) = (self.node(from), self.node(to));
        // Versions share the rules they inherit: one edge per rule as written. Positions
        // are compared only between edges of one rule kind joining the same two nodes: a
        // position costs a second parse of its file, and most edges have no such twin.
        let at = std::cell::OnceCell::new();
        if !self.graph.edges_connecting(a, b).any(|e| {
            e.weight().rule == rule
                && e.weight().origin.short() == *at.get_or_init(|| origin.short())
        }) {
            self.graph.add_edge(
                a,
                b,
                Edge {
                    rule,
                    detail,
                    origin: origin.clone(),
                },
            );
        }
    }

    /// Cycles of rules that bring each other (implies, requires, option), one per strongly
    /// connected component, each as a closed walk from its smallest node. Sorted.
    pub fn cycles(&self) -> Vec<Cycle> {
        let bringing = self.graph.filter_map(
            |_, n| Some(n.clone()),
            |_, e| e.rule.brings().then(|| e.clone()),
        );
        let mut out: Vec<Cycle> = tarjan_scc(&bringing)
            .into_iter()
            .filter(|scc| scc.len() > 1 || scc.iter().any(|&n| bringing.contains_edge(n, n)))
            .filter_map(|scc| closed_walk(&bringing, &scc))
            .collect();
        out.sort_by(|a, b| a.nodes.cmp(&b.nodes));
        out
    }

    /// Every node, sorted.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.index.keys()
    }

    /// Every edge as `(from, to, rule)`, sorted by endpoints, then by where the rule is.
    pub fn edges(&self) -> Vec<(&Node, &Node, &Edge)> {
        let mut out: Vec<(&Node, &Node, &Edge)> = self
            .graph
            .edge_references()
            .map(|e| (&self.graph[e.source()], &self.graph[e.target()], e.weight()))
            .collect();
        // Positions only break ties: each costs a second parse of its file.
        out.sort_by(|a, b| {
            (a.0, a.1, a.2.rule)
                .cmp(&(b.0, b.1, b.2.rule))
                .then_with(|| a.2.origin.short().cmp(&b.2.origin.short()))
        });
        out
    }
}

/// Where the rules of one entry go: [`ImplicationGraph`] keeps them whole; lint keeps only
/// which node brings which, to find cycles without holding every rule of the registry.
pub trait Sink {
    /// A node, even one without rules (called before its edges).
    fn node(&mut self, _node: &Node) {}
    fn edge(&mut self, from: &Node, to: &Node, rule: Rule, detail: String, origin: &Origin);
    /// A rule that points at nothing, or a file that does not load.
    fn error(&mut self, error: Error);
    /// Whether [`Sink::edge`]'s `detail` is read (lint's cycle check, which follows every
    /// rule of the registry, does not: it is then left empty instead of formatted).
    fn wants_detail(&self) -> bool {
        true
    }
}

impl Sink for ImplicationGraph {
    fn node(&mut self, node: &Node) {
        ImplicationGraph::node(self, node);
    }

    fn edge(&mut self, from: &Node, to: &Node, rule: Rule, detail: String, origin: &Origin) {
        ImplicationGraph::edge(self, from, to, rule, detail, origin);
    }

    fn error(&mut self, error: Error) {
        self.errors.push(error);
    }
}

/// The rules of a component, as edges from its node.
pub fn component_edges(registry: &Registry, c: &Component, sink: &mut impl Sink) {
    let (kind, name) = (c.kind, &c.name);
    let from = Node::Component(kind, name.clone());
    sink.node(&from);
    for v in &c.versions {
        for imp in &v.implies {
            implication_edges(registry, &from, imp, sink);
        }
        for r in &v.requires {
            match registry.resolve_ref(&r.target, &r.origin) {
                Ok(t) => {
                    let range = if sink.wants_detail() {
                        r.text.clone()
                    } else {
                        String::new()
                    };
                    sink.edge(
                        &from,
                        &Node::Component(t.kind, t.name.clone()),
                        Rule::Requires,
                        range,
                        &r.origin,
                    );
                }
                Err(e) => sink.error(e),
            }
        }
        for r in &v.conflicts {
            match registry.resolve_ref(&r.target, &r.origin) {
                Ok(t) if t.kind == kind && t.name == *name => {}
                Ok(t) => sink.edge(
                    &from,
                    &Node::Component(t.kind, t.name.clone()),
                    Rule::Conflicts,
                    String::new(),
                    &r.origin,
                ),
                Err(e) => sink.error(e),
            }
        }
    }
}

/// The rules of a group's options, as edges from each option's node.
pub fn group_edges(registry: &Registry, group: &Group, sink: &mut impl Sink) {
    let kind = group.kind;
    for opt in &group.options {
        let from = Node::Option {
            kind,
            group: group.name.clone(),
            option: opt.name.clone(),
        };
        sink.node(&from);
        match registry.component(kind, &opt.name) {
            Ok(Some(_)) => sink.edge(
                &from,
                &Node::Component(kind, opt.name.clone()),
                Rule::IsOption,
                String::new(),
                &opt.origin,
            ),
            Ok(None) => sink.error(registry.unknown_component(Some(kind), &opt.name, &opt.origin)),
            // Reported when the component itself is visited.
            Err(_) => {}
        }
        for imp in &opt.implies {
            implication_edges(registry, &from, imp, sink);
        }
    }
}

fn implication_edges(registry: &Registry, from: &Node, imp: &Implication, sink: &mut impl Sink) {
    let text = if sink.wants_detail() {
        let params: Vec<String> = imp.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        params.join(", ")
    } else {
        String::new()
    };
    match &imp.target {
        ImplyTarget::Component(kind, name) => match registry.component(*kind, name) {
            Ok(Some(_)) => sink.edge(
                from,
                &Node::Component(*kind, name.clone()),
                Rule::Implies,
                text,
                &imp.origin,
            ),
            Ok(None) => sink.error(registry.unknown_component(Some(*kind), name, &imp.origin)),
            Err(e) => sink.error(e),
        },
        ImplyTarget::Group {
            kind,
            group,
            options,
        } => {
            let g = match registry.group(*kind, group) {
                Ok(Some(g)) => g,
                Ok(None) => {
                    sink.error(registry.unknown_group(*kind, group, &imp.origin));
                    return;
                }
                Err(e) => {
                    sink.error(e);
                    return;
                }
            };
            // Without an option: the default; a 1-of-N group without one takes any.
            let targets: Vec<String> = match options {
                Some(o) => o.clone(),
                None if !g.default.is_empty() => g.default.clone(),
                None if g.strategy == Strategy::OneOfN => {
                    g.options.iter().map(|o| o.name.clone()).collect()
                }
                None => Vec::new(),
            };
            for o in targets {
                if g.option_index(&o).is_none() {
                    sink.error(super::compile::not_an_option(&g, &o, &imp.origin));
                    continue;
                }
                let to = Node::Option {
                    kind: *kind,
                    group: group.clone(),
                    option: o,
                };
                sink.edge(from, &to, Rule::Implies, text.clone(), &imp.origin);
            }
        }
    }
}

/// The shortest closed walk through the smallest node of a strongly connected component,
/// staying inside it (a breadth-first search back to the start, edges in a stable order).
fn closed_walk(graph: &DiGraph<Node, Edge>, scc: &[NodeIndex]) -> Option<Cycle> {
    let &start = scc.iter().min_by(|a, b| graph[**a].cmp(&graph[**b]))?;
    let sorted_out = |n: NodeIndex| {
        let mut out: Vec<_> = graph
            .edges(n)
            .filter(|e| scc.contains(&e.target()))
            .collect();
        out.sort_by(|a, b| {
            (&graph[a.target()], a.weight().origin.short())
                .cmp(&(&graph[b.target()], b.weight().origin.short()))
        });
        out
    };
    let mut prev: HashMap<NodeIndex, (NodeIndex, Edge)> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    let mut closing: Option<(NodeIndex, Edge)> = None;
    'search: while let Some(n) = queue.pop_front() {
        for e in sorted_out(n) {
            let t = e.target();
            if t == start {
                closing = Some((n, e.weight().clone()));
                break 'search;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = prev.entry(t) {
                slot.insert((n, e.weight().clone()));
                queue.push_back(t);
            }
        }
    }
    let (last, closing_edge) = closing?;
    let mut nodes = vec![graph[last].clone()];
    let mut steps = vec![closing_edge];
    let mut at = last;
    while at != start {
        let (from, edge) = prev.get(&at)?.clone();
        nodes.push(graph[from].clone());
        steps.push(edge);
        at = from;
    }
    nodes.reverse();
    steps.reverse();
    Some(Cycle { nodes, steps })
}
