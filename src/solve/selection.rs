//! A solved stack: every selected component with its version, mode, profile and the rules
//! that brought it in.
//!
//! The reasons come from the *active implication graph*: a petgraph graph whose nodes are
//! the packages in the solution and whose edges are the rules that brought one from another
//! (only rules that bring something: constraints and conflicts restrict, they never bring).
//! "Why is X here?" is a shortest path from hsm.yaml to X in that graph.
//!
//! # Cost
//!
//! Everything here is linear in the size of the solution, because a stack can be a chain
//! of thousands of implications (`c1` implies `c2` implies … `cN`), and a chain is where
//! per-component work turns quadratic. So:
//! - one breadth-first search keeps, per node, the edge it was first reached by (a
//!   shortest-path tree); a component's chain is a walk up that tree, done only when the
//!   chain is printed, never stored per component;
//! - reasons are put into words when they are printed: the selection keeps the group and
//!   component definitions sentences need ([`Names`]), not the sentences;
//! - a listing of every component's chain ([`Chains`]) prints at most [`CHAIN_STEPS`] rules
//!   of a chain before it stops at a package whose chain it already printed, so the
//!   listing is linear too (printing N full chains of a deep stack would be quadratic).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use indexmap::{IndexMap, IndexSet};
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use rustc_hash::FxHashMap;
use semver::Version;
use serde::Serialize;

use super::compile::{ActiveProfile, Compiler};
use super::package::{Because, Pkg, Ver};
use super::words::{self, Names};
use crate::registry::{Component, Group, Kind};
use crate::vocab::{Mode, Strategy};

/// How many rules of a chain a listing of chains always prints; past that, it stops at the
/// first package whose chain is already printed above (see [`Chains`]).
pub const CHAIN_STEPS: usize = 8;

/// One rule on a reason chain, already in words.
#[derive(Debug, Clone)]
pub struct Reason {
    pub text: String,
    pub because: Because,
}

impl Reason {
    /// Where the rule is.
    pub fn origin(&self) -> &crate::source::Origin {
        self.because.origin()
    }

    /// `file:line` of the rule. Computed on demand: positions need a second parse of the
    /// file, which a plain `resolve` should not pay for.
    pub fn at(&self) -> String {
        self.because.origin().short()
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Reason", 2)?;
        st.serialize_field("text", &self.text)?;
        st.serialize_field("at", &self.at())?;
        st.end()
    }
}

/// The rules from hsm.yaml to a package, hsm.yaml's first.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// The rules, nearest last. When the chain is cut short, the first rule starts at
    /// [`Chain::above`] instead of at hsm.yaml.
    pub steps: Vec<Reason>,
    /// Set when the chain is cut short: the package, in words ("`c7`", "choice group `g`"),
    /// whose own chain was printed earlier in the same listing.
    pub above: Option<String>,
}

impl Chain {
    /// The line that stands for the part of a cut chain printed earlier.
    pub fn above_text(&self) -> Option<String> {
        self.above
            .as_ref()
            .map(|who| format!("… (the chain to {who} is shown above)"))
    }
}

/// A component in the stack.
#[derive(Debug, Clone)]
pub struct Selected {
    pub kind: Kind,
    pub name: String,
    pub version: Option<Version>,
    /// Index into `component.versions`.
    pub version_index: usize,
    pub mode: Mode,
    /// For services: the deployment profile.
    pub profile: Option<ActiveProfile>,
    /// For services: params merged from every active implication of it (key → values).
    pub params: IndexMap<String, Vec<String>>,
    pub component: Arc<Component>,
    /// Its node in the selection's graph: where its chain of reasons starts.
    node: NodeIndex,
}

impl Selected {
    /// A library used outside the solved stack (a dependency of a service run with uv, in
    /// that service's own environment): rendered like a selected one, but it has no place
    /// in the selection's graph, so no chain of reasons.
    pub fn outside_stack(component: Arc<Component>, version_index: usize, mode: Mode) -> Selected {
        Selected {
            kind: component.kind,
            name: component.name.clone(),
            version: component
                .versions
                .get(version_index)
                .and_then(|v| v.version.clone()),
            version_index,
            mode,
            profile: None,
            params: IndexMap::new(),
            component,
            node: NodeIndex::end(),
        }
    }
}

/// Which option a group holds.
#[derive(Debug, Clone, Serialize)]
pub struct GroupChoice {
    pub kind: Kind,
    pub group: String,
    pub options: Vec<String>,
}

type Graph = DiGraph<Pkg, (Option<Ver>, Because)>;

/// The result of a successful solve.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Libraries then services, each sorted by name.
    pub components: Vec<Selected>,
    pub groups: Vec<GroupChoice>,
    graph: Graph,
    nodes: FxHashMap<Pkg, NodeIndex>,
    /// Breadth-first tree from hsm.yaml: for each node, the edge it was first reached by.
    tree: Vec<Option<EdgeIndex>>,
    /// For each node, how many rules its chain prints.
    depth: Vec<usize>,
    /// For each node that is a component, its index in `components`.
    component_at: Vec<Option<usize>>,
    /// The definitions of the groups in the stack, for putting reasons into words.
    group_defs: HashMap<(Kind, String), Arc<Group>>,
    /// Every registry file the solve read (hsm.lock's fingerprint covers them), in no
    /// particular order.
    pub inputs: Vec<Arc<crate::source::SourceFile>>,
}

impl Selection {
    /// How many libraries and how many services the stack holds.
    pub fn counts(&self) -> (usize, usize) {
        let libraries = self
            .components
            .iter()
            .filter(|c| c.kind == Kind::Library)
            .count();
        (libraries, self.components.len() - libraries)
    }

    /// Build a selection from a solution (package versions), as pubgrub returns it or as
    /// hsm.lock records it.
    pub(crate) fn from_solution(
        solution: impl IntoIterator<Item = (Pkg, Ver)>,
        compiler: &Compiler<'_>,
    ) -> Result<Selection, crate::Error> {
        let mut present: Vec<(Pkg, Ver)> = solution
            .into_iter()
            .filter(|(_, v)| *v != Ver::ABSENT)
            .collect();
        // Packages are unique: an unstable sort gives the same order.
        present.sort_unstable();
        let mut graph: Graph = DiGraph::with_capacity(present.len(), present.len());
        let mut nodes = FxHashMap::default();
        nodes.reserve(present.len());
        for (pkg, _) in &present {
            nodes.insert(pkg.clone(), graph.add_node(pkg.clone()));
        }
        // The solve is over: its rules move into the graph rather than being copied, and
        // the compiler frees only those of versions the solve tried and dropped.
        let mut compiled = compiler.take_compiled();
        for (pkg, ver) in &present {
            let deps = match compiled.remove(&(pkg.clone(), *ver)) {
                Some(deps) => deps,
                None => compiler.deps(pkg, *ver)?,
            };
            let deps = Arc::try_unwrap(deps).unwrap_or_else(|shared| (*shared).clone());
            let Some(&from_ix) = nodes.get(pkg) else {
                continue;
            };
            for (to, dep) in deps {
                let Some(&to_ix) = nodes.get(&to) else {
                    continue;
                };
                for because in dep.because.into_iter().filter(Because::brings) {
                    graph.add_edge(from_ix, to_ix, (Some(*ver), because));
                }
            }
        }
        drop(compiled);

        let (tree, depth) = bfs_tree(&graph, nodes.get(&Pkg::Root).copied());
        let node_count = graph.node_count();
        let mut selection = Selection {
            components: Vec::new(),
            groups: Vec::new(),
            graph,
            nodes,
            tree,
            depth,
            component_at: vec![None; node_count],
            group_defs: HashMap::new(),
            inputs: Vec::new(),
        };
        // Where each group's choice is in `groups`: an M-of-N group is one entry however
        // many of its options are packages.
        let mut group_at: FxHashMap<(Kind, Arc<str>), usize> = FxHashMap::default();
        for (pkg, ver) in &present {
            match pkg {
                Pkg::Component(kind, name) => {
                    let component = compiler.component(*kind, name)?;
                    let index = ver.index().unwrap_or_default();
                    let profile = compiler.profile(&component)?;
                    selection.components.push(Selected {
                        kind: *kind,
                        name: name.to_string(),
                        version: component
                            .versions
                            .get(index)
                            .and_then(|v| v.version.clone()),
                        version_index: index,
                        mode: compiler.mode_of(name),
                        profile,
                        params: selection.merged_params(pkg),
                        component,
                        node: selection.nodes[pkg],
                    });
                }
                Pkg::Group(kind, name) | Pkg::Option(kind, name, _) => {
                    let group = compiler.group(*kind, name)?;
                    let index = match pkg {
                        Pkg::Option(_, _, i) => *i as usize,
                        _ => ver.index().unwrap_or_default(),
                    };
                    let option = group
                        .options
                        .get(index)
                        .map_or_else(|| format!("#{index}"), |o| o.name.clone());
                    match group_at.get(&(*kind, name.clone())) {
                        Some(&at) => selection.groups[at].options.push(option),
                        None => {
                            group_at.insert((*kind, name.clone()), selection.groups.len());
                            selection.groups.push(GroupChoice {
                                kind: *kind,
                                group: name.to_string(),
                                options: vec![option],
                            });
                            selection
                                .group_defs
                                .insert((*kind, name.to_string()), group);
                        }
                    }
                }
                Pkg::Root => {}
            }
        }
        selection
            .components
            .sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        selection
            .groups
            .sort_by(|a, b| (a.kind, &a.group).cmp(&(b.kind, &b.group)));
        for (i, c) in selection.components.iter().enumerate() {
            selection.component_at[c.node.index()] = Some(i);
        }
        // The files the solve read, including those of choices it tried and dropped:
        // all of them decided the outcome.
        selection.inputs = compiler.registry.loaded_files();
        Ok(selection)
    }

    /// The component called `name` (the library, if a library and a service share it).
    pub fn get(&self, name: &str) -> Option<&Selected> {
        self.get_kind(Kind::Library, name)
            .or_else(|| self.get_kind(Kind::Service, name))
    }

    /// The component of this kind and name (components are sorted, so this is a search).
    pub fn get_kind(&self, kind: Kind, name: &str) -> Option<&Selected> {
        self.components
            .binary_search_by(|c| (c.kind, c.name.as_str()).cmp(&(kind, name)))
            .ok()
            .map(|i| &self.components[i])
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Incoming rules of a package, in a stable order (by source package, then rule order).
    fn incoming(&self, pkg: &Pkg) -> Vec<(Pkg, Option<Ver>, Because)> {
        let Some(&ix) = self.nodes.get(pkg) else {
            return Vec::new();
        };
        let mut edges: Vec<_> = self
            .graph
            .edges_directed(ix, petgraph::Direction::Incoming)
            .map(|e| {
                (
                    e.id(),
                    self.graph[e.source()].clone(),
                    e.weight().0,
                    e.weight().1.clone(),
                )
            })
            .collect();
        edges.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
        edges
            .into_iter()
            .map(|(_, from, ver, because)| (from, ver, because))
            .collect()
    }

    /// Whether choice group `group` holds what it holds because of its `default:`: it is in
    /// the stack, and every rule that brings it (or an option of it) is an implication
    /// naming no option (rule-set coverage asks).
    pub fn default_decided(&self, kind: Kind, group: &str) -> bool {
        let mut reasons = self
            .nodes
            .keys()
            .filter(|p| {
                matches!(p, Pkg::Group(k, g) | Pkg::Option(k, g, _) if *k == kind && &**g == group)
            })
            .flat_map(|p| self.incoming(p))
            .map(|(_, _, because)| because)
            .peekable();
        reasons.peek().is_some()
            && reasons.all(|b| matches!(b, Because::ImpliesGroup { options: None, .. }))
    }

    /// Params from every active `implies` of this service, merged per key: values in the
    /// order of their sources (sorted by name), duplicates dropped.
    fn merged_params(&self, pkg: &Pkg) -> IndexMap<String, Vec<String>> {
        let Some(&ix) = self.nodes.get(pkg) else {
            return IndexMap::new();
        };
        // The order of `incoming`, without copying every rule of every component.
        let mut sources: Vec<_> = self
            .graph
            .edges_directed(ix, petgraph::Direction::Incoming)
            .filter_map(|e| match &e.weight().1 {
                Because::Implies { params, .. } if !params.is_empty() => {
                    Some((&self.graph[e.source()], e.id(), params))
                }
                _ => None,
            })
            .collect();
        sources.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        // Sets, not lists: a service that thousands of components pass a value to.
        let mut merged: IndexMap<&String, IndexSet<&String>> = IndexMap::new();
        for (_, _, params) in sources {
            for (k, v) in params.iter() {
                merged.entry(k).or_default().insert(v);
            }
        }
        merged
            .into_iter()
            .map(|(k, values)| (k.clone(), values.into_iter().cloned().collect()))
            .collect()
    }

    /// The rule on `edge`, in words.
    fn step(&self, edge: EdgeIndex) -> Option<Reason> {
        let (from, to) = self.graph.edge_endpoints(edge)?;
        let (ver, because) = &self.graph[edge];
        Some(Reason {
            text: words::sentence(&self.graph[from], *ver, &self.graph[to], because, self),
            because: because.clone(),
        })
    }

    /// The rule that brought `c` in: the last rule of its chain (hsm.lock records it).
    pub fn reason(&self, c: &Selected) -> Option<Reason> {
        let mut at = c.node;
        if at.index() >= self.tree.len() {
            return None;
        }
        while let Some(edge) = self.tree[at.index()] {
            if !matches!(self.graph[edge].1, Because::IsOption { .. }) {
                return self.step(edge);
            }
            at = self.graph.edge_endpoints(edge)?.0;
        }
        None
    }

    /// A printer of chains for one listing (see [`Chains`]).
    pub fn chains(&self) -> Chains<'_> {
        Chains {
            selection: self,
            shown: vec![false; self.graph.node_count()],
        }
    }

    /// Every rule that brings `name` into the stack, each with the chain that activated
    /// its source (for `hsm why`). The chains are one listing: a long one stops where an
    /// earlier reason's chain already went.
    pub fn why(&self, name: &str) -> Vec<(Reason, Chain)> {
        let Some(sel) = self.get(name) else {
            return Vec::new();
        };
        let pkg = Pkg::Component(sel.kind, sel.name.as_str().into());
        let mut chains = self.chains();
        let mut out = Vec::new();
        for (from, ver, because) in self.incoming(&pkg) {
            // Selecting an option means selecting the component; show the selection itself.
            let (from, ver, because) = match (&from, &because) {
                (Pkg::Group(..) | Pkg::Option(..), Because::IsOption { .. }) => {
                    match self.incoming(&from).into_iter().next() {
                        Some(step) => step,
                        None => continue,
                    }
                }
                _ => (from, ver, because),
            };
            let reason = Reason {
                text: words::sentence(&from, ver, &pkg, &because, self),
                because: because.clone(),
            };
            let source_chain = match self.nodes.get(&from) {
                Some(&node) if from != Pkg::Root => chains.walk(node),
                _ => Chain::default(),
            };
            out.push((reason, source_chain));
        }
        out
    }

    /// Services that service `name` implies, directly or by selecting an option of a service
    /// group, sorted by name (compose `depends_on`).
    pub fn implied_services(&self, name: &str) -> Vec<&Selected> {
        let Some(&ix) = self.nodes.get(&Pkg::Component(Kind::Service, name.into())) else {
            return Vec::new();
        };
        let mut out: Vec<usize> = Vec::new();
        for e in self.graph.edges(ix) {
            match (&self.graph[e.target()], &e.weight().1) {
                (Pkg::Component(Kind::Service, _), Because::Implies { .. }) => {
                    out.extend(self.component_at[e.target().index()]);
                }
                (
                    Pkg::Group(Kind::Service, _) | Pkg::Option(Kind::Service, _, _),
                    Because::ImpliesGroup { .. },
                ) => {
                    for inner in self.graph.edges(e.target()) {
                        if let (Pkg::Component(Kind::Service, _), Because::IsOption { .. }) =
                            (&self.graph[inner.target()], &inner.weight().1)
                        {
                            out.extend(self.component_at[inner.target().index()]);
                        }
                    }
                }
                _ => {}
            }
        }
        // Components are sorted by kind and name, so their indices sort services by name.
        out.sort_unstable();
        out.dedup();
        out.into_iter()
            .map(|i| &self.components[i])
            .filter(|c| c.name != name)
            .collect()
    }

    /// The stack as a graph: hsm.yaml, every group that holds an option, every component,
    /// and every rule that brought one from another (for `hsm graph`). Nodes come in a
    /// stable order (hsm.yaml, groups, then components as in [`Selection::components`]);
    /// an M-of-N group is one node however many options it holds.
    pub fn stack_graph(&self) -> StackGraph {
        let mut nodes = vec![StackNode::Manifest];
        let mut index: HashMap<Pkg, usize> = HashMap::from([(Pkg::Root, 0)]);
        for g in &self.groups {
            let strategy = self
                .group_defs
                .get(&(g.kind, g.group.clone()))
                .map_or(Strategy::OneOfN, |group| group.strategy);
            index.insert(Pkg::Group(g.kind, g.group.as_str().into()), nodes.len());
            nodes.push(StackNode::Group {
                kind: g.kind,
                name: g.group.clone(),
                strategy,
                options: g.options.clone(),
            });
        }
        for c in &self.components {
            index.insert(Pkg::Component(c.kind, c.name.as_str().into()), nodes.len());
            nodes.push(StackNode::Component {
                kind: c.kind,
                name: c.name.clone(),
                version: c.version.clone(),
                mode: c.mode,
                profile: c.profile.clone(),
            });
        }
        let node_of = |pkg: &Pkg| match pkg {
            Pkg::Option(kind, g, _) => index.get(&Pkg::Group(*kind, g.clone())).copied(),
            other => index.get(other).copied(),
        };
        let mut edges: Vec<StackEdge> = Vec::new();
        // The options of an M-of-N group are one node, so their rules can coincide.
        let mut seen: HashSet<(usize, usize, String, String)> = HashSet::new();
        for e in self.graph.edge_references() {
            let (from_pkg, to_pkg) = (&self.graph[e.source()], &self.graph[e.target()]);
            let (Some(from), Some(to)) = (node_of(from_pkg), node_of(to_pkg)) else {
                continue;
            };
            let (ver, because) = e.weight();
            let (rule, at) = (rule_words(because), because.origin().short());
            if !seen.insert((from, to, rule.clone(), at.clone())) {
                continue;
            }
            edges.push(StackEdge {
                from,
                to,
                rule,
                sentence: words::sentence(from_pkg, *ver, to_pkg, because, self),
                at,
            });
        }
        edges.sort_by(|a, b| (a.from, a.to, &a.at, &a.rule).cmp(&(b.from, b.to, &b.at, &b.rule)));
        StackGraph { nodes, edges }
    }
}

impl Names for Selection {
    fn group_def(&self, kind: Kind, group: &str) -> Option<Arc<Group>> {
        self.group_defs.get(&(kind, group.to_string())).cloned()
    }

    fn held(&self, kind: Kind, group: &str) -> Option<Vec<String>> {
        self.groups
            .iter()
            .find(|g| g.kind == kind && g.group == group)
            .map(|g| g.options.clone())
    }

    fn option_name(&self, kind: Kind, group: &str, index: usize) -> String {
        self.group_defs
            .get(&(kind, group.to_string()))
            .and_then(|g| g.options.get(index))
            .map_or_else(|| format!("#{index}"), |o| o.name.clone())
    }

    fn version_label(&self, kind: Kind, name: &str, v: Ver) -> Option<String> {
        self.get_kind(kind, name)?
            .component
            .versions
            .get(v.index()?)?
            .version
            .as_ref()
            .map(ToString::to_string)
    }
}

/// Chains of reasons for one listing (`resolve --explain`, `why`), linear in the size of
/// the stack however deep it is.
///
/// Each chain is walked from its package up the shortest-path tree towards hsm.yaml. The
/// first [`CHAIN_STEPS`] rules are always printed, so a chain of realistic length reads in
/// full; past that the walk stops at the first package whose chain this listing already
/// printed (as a chain of its own or as part of another), and says so. Every package's
/// rule is then printed past the first [`CHAIN_STEPS`] of a chain at most once, and the
/// whole listing is at most `CHAIN_STEPS + 1` rules per package.
#[derive(Debug)]
pub struct Chains<'s> {
    selection: &'s Selection,
    /// Nodes whose rule, and so whose chain, has been printed.
    shown: Vec<bool>,
}

impl Chains<'_> {
    /// The chain of reasons from hsm.yaml to `c`.
    pub fn of(&mut self, c: &Selected) -> Chain {
        if c.node.index() >= self.selection.tree.len() {
            return Chain::default();
        }
        self.walk(c.node)
    }

    fn walk(&mut self, node: NodeIndex) -> Chain {
        let s = self.selection;
        let mut chain = Chain::default();
        let mut at = node;
        while let Some(edge) = s.tree[at.index()] {
            // Cut only where it saves lines: a pointer for a single rule saves none.
            if chain.steps.len() >= CHAIN_STEPS && self.shown[at.index()] && s.depth[at.index()] > 1
            {
                chain.above = Some(words::subject(&s.graph[at], s));
                break;
            }
            self.shown[at.index()] = true;
            let Some((from, _)) = s.graph.edge_endpoints(edge) else {
                break;
            };
            // An option *is* its component: no rule to print.
            if !matches!(s.graph[edge].1, Because::IsOption { .. }) {
                chain.steps.extend(s.step(edge));
            }
            at = from;
        }
        chain.steps.reverse();
        chain
    }
}

/// A node of [`StackGraph`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackNode {
    /// hsm.yaml.
    Manifest,
    /// A choice group and the option(s) it holds.
    Group {
        kind: Kind,
        name: String,
        strategy: Strategy,
        options: Vec<String>,
    },
    Component {
        kind: Kind,
        name: String,
        version: Option<Version>,
        mode: Mode,
        profile: Option<ActiveProfile>,
    },
}

/// A rule that brought `to` into the stack from `from` (indices into [`StackGraph::nodes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEdge {
    pub from: usize,
    pub to: usize,
    /// The rule in a few words: `selects`, `lists`, `option`, `implies`,
    /// `implies (db_name=auth)`, `requires >=1.10, <2`.
    pub rule: String,
    /// The rule as a sentence, as `hsm resolve --explain` prints it.
    pub sentence: String,
    /// `file:line` of the rule.
    pub at: String,
}

/// The solved stack as a graph (see [`Selection::stack_graph`]).
#[derive(Debug, Clone)]
pub struct StackGraph {
    pub nodes: Vec<StackNode>,
    /// Sorted by source, target, then citation.
    pub edges: Vec<StackEdge>,
}

fn rule_words(because: &Because) -> String {
    match because {
        Because::Selects { .. } => "selects".into(),
        Because::Lists { .. } => "lists".into(),
        Because::IsOption { .. } => "option".into(),
        Because::Implies { params, .. } if !params.is_empty() => {
            let p: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("implies ({})", p.join(", "))
        }
        Because::Implies { .. } | Because::ImpliesGroup { .. } => "implies".into(),
        Because::Requires { text, .. } => format!("requires {text}"),
        Because::Constraint { text, .. } => format!("constrains {text}"),
        Because::Conflicts { .. } => "conflicts".into(),
    }
}

/// One breadth-first search from hsm.yaml, visiting edges in a stable order (by target
/// package, then rule order) so that ties break the same way on every run. Every node's
/// shortest chain is then a walk up this tree. Also returns each node's depth in printed
/// rules (an option's structural step to its component prints nothing).
fn bfs_tree(graph: &Graph, root: Option<NodeIndex>) -> (Vec<Option<EdgeIndex>>, Vec<usize>) {
    let mut tree = vec![None; graph.node_count()];
    let mut depth = vec![0; graph.node_count()];
    let Some(root) = root else {
        return (tree, depth);
    };
    let mut seen = vec![false; graph.node_count()];
    seen[root.index()] = true;
    let mut queue = VecDeque::from([root]);
    while let Some(n) = queue.pop_front() {
        let mut out: Vec<(NodeIndex, EdgeIndex)> =
            graph.edges(n).map(|e| (e.target(), e.id())).collect();
        out.sort_by(|a, b| graph[a.0].cmp(&graph[b.0]).then(a.1.cmp(&b.1)));
        for (t, id) in out {
            if !seen[t.index()] {
                seen[t.index()] = true;
                tree[t.index()] = Some(id);
                let structural = matches!(graph[id].1, Because::IsOption { .. });
                depth[t.index()] = depth[n.index()] + usize::from(!structural);
                queue.push_back(t);
            }
        }
    }
    (tree, depth)
}
