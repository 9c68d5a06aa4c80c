//! A solved stack: every selected component with its version, mode, profile and the chain
//! of reasons that brought it in.
//!
//! The reasons come from the *active implication graph*: a petgraph graph whose nodes are
//! the packages in the solution and whose edges are the rules that brought one from another
//! (only rules that bring something: constraints and conflicts restrict, they never bring).
//! "Why is X here?" is a shortest path from hsm.yaml to X in that graph.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use indexmap::IndexMap;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use semver::Version;
use serde::Serialize;

use super::compile::{ActiveProfile, Compiler};
use super::package::{Because, Pkg, Ver};
use super::words;
use crate::manifest::{Mode, Strategy};
use crate::registry::{Component, Kind};

/// One rule on a reason chain, already in words.
#[derive(Debug, Clone)]
pub struct Reason {
    pub text: String,
    pub because: Because,
}

impl Reason {
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
    /// The shortest chain of reasons from hsm.yaml to this component.
    pub chain: Vec<Reason>,
    pub component: Arc<Component>,
}

/// Which option a group holds.
#[derive(Debug, Clone, Serialize)]
pub struct GroupChoice {
    pub kind: Kind,
    pub group: String,
    pub options: Vec<String>,
}

/// The result of a successful solve.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Libraries then services, each sorted by name.
    pub components: Vec<Selected>,
    pub groups: Vec<GroupChoice>,
    graph: DiGraph<Pkg, (Option<Ver>, Because)>,
    nodes: HashMap<Pkg, NodeIndex>,
    versions: HashMap<Pkg, Ver>,
    /// Breadth-first tree from hsm.yaml: for each node, the edge it was first reached by.
    tree: Vec<Option<EdgeIndex>>,
}

impl Selection {
    /// Build a selection from a solution (package versions), as pubgrub returns it or as
    /// hsm.lock records it.
    pub fn from_solution(
        solution: impl IntoIterator<Item = (Pkg, Ver)>,
        compiler: &Compiler<'_>,
    ) -> Result<Selection, crate::Error> {
        let mut versions: HashMap<Pkg, Ver> = HashMap::new();
        let mut present: Vec<(Pkg, Ver)> = solution
            .into_iter()
            .filter(|(_, v)| *v != Ver::ABSENT)
            .collect();
        present.sort();
        let mut graph: DiGraph<Pkg, (Option<Ver>, Because)> = DiGraph::new();
        let mut nodes = HashMap::new();
        for (pkg, ver) in &present {
            versions.insert(pkg.clone(), *ver);
            nodes.insert(pkg.clone(), graph.add_node(pkg.clone()));
        }
        for (pkg, ver) in &present {
            let deps = compiler.deps(pkg, *ver)?;
            for (to, dep) in deps.iter() {
                let (Some(&from_ix), Some(&to_ix)) = (nodes.get(pkg), nodes.get(to)) else {
                    continue;
                };
                for because in dep.because.iter().filter(|b| b.brings()) {
                    graph.add_edge(from_ix, to_ix, (Some(*ver), because.clone()));
                }
            }
        }

        let tree = bfs_tree(&graph, nodes.get(&Pkg::Root).copied());
        let mut selection = Selection {
            components: Vec::new(),
            groups: Vec::new(),
            graph,
            nodes,
            versions,
            tree,
        };
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
                        mode: compiler.manifest.mode_of(name),
                        profile,
                        params: selection.merged_params(pkg),
                        chain: selection.chain(pkg, compiler),
                        component,
                    });
                }
                Pkg::Group(kind, name) => selection.groups.push(GroupChoice {
                    kind: *kind,
                    group: name.to_string(),
                    options: vec![words::option_name(
                        compiler,
                        *kind,
                        name,
                        ver.index().unwrap_or_default(),
                    )],
                }),
                Pkg::Option(kind, name, i) => {
                    let option = words::option_name(compiler, *kind, name, *i as usize);
                    match selection
                        .groups
                        .iter_mut()
                        .find(|g| g.kind == *kind && g.group == **name)
                    {
                        Some(g) => g.options.push(option),
                        None => selection.groups.push(GroupChoice {
                            kind: *kind,
                            group: name.to_string(),
                            options: vec![option],
                        }),
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
        Ok(selection)
    }

    pub fn get(&self, name: &str) -> Option<&Selected> {
        self.components.iter().find(|c| c.name == name)
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

    /// Params from every active `implies` of this service, merged per key: values in the
    /// order of their sources (sorted by name), duplicates dropped.
    fn merged_params(&self, pkg: &Pkg) -> IndexMap<String, Vec<String>> {
        let mut merged: IndexMap<String, Vec<String>> = IndexMap::new();
        for (_, _, because) in self.incoming(pkg) {
            if let Because::Implies { params, .. } = because {
                for (k, v) in params.iter() {
                    let values = merged.entry(k.clone()).or_default();
                    if !values.contains(v) {
                        values.push(v.clone());
                    }
                }
            }
        }
        merged
    }

    /// The shortest chain of rules from hsm.yaml to `target`, skipping structural steps.
    fn chain(&self, target: &Pkg, compiler: &Compiler<'_>) -> Vec<Reason> {
        let Some(&goal) = self.nodes.get(target) else {
            return Vec::new();
        };
        let mut steps = Vec::new();
        let mut at = goal;
        while let Some(edge) = self.tree[at.index()] {
            let Some((from, to)) = self.graph.edge_endpoints(edge) else {
                break;
            };
            let (ver, because) = &self.graph[edge];
            if !matches!(because, Because::IsOption { .. }) {
                steps.push(Reason {
                    text: words::sentence(
                        &self.graph[from],
                        *ver,
                        &self.graph[to],
                        because,
                        compiler,
                    ),
                    because: because.clone(),
                });
            }
            at = from;
        }
        steps.reverse();
        steps
    }

    /// Every rule that brings `name` into the stack, each with the chain that activated
    /// its source (for `hsm why`).
    pub fn why(&self, name: &str, compiler: &Compiler<'_>) -> Vec<(Reason, Vec<Reason>)> {
        let Some(sel) = self.get(name) else {
            return Vec::new();
        };
        let pkg = Pkg::Component(sel.kind, sel.name.as_str().into());
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
                text: words::sentence(&from, ver, &pkg, &because, compiler),
                because: because.clone(),
            };
            let source_chain = if from == Pkg::Root {
                Vec::new()
            } else {
                self.chain(&from, compiler)
            };
            out.push((reason, source_chain));
        }
        out
    }

    /// Services that service `name` implies, directly or by selecting an option of a service
    /// group, sorted by name (compose `depends_on`).
    pub fn implied_services(&self, name: &str) -> Vec<String> {
        let Some(&ix) = self.nodes.get(&Pkg::Component(Kind::Service, name.into())) else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for e in self.graph.edges(ix) {
            match (&self.graph[e.target()], &e.weight().1) {
                (Pkg::Component(Kind::Service, target), Because::Implies { .. }) => {
                    out.push(target.to_string())
                }
                (
                    Pkg::Group(Kind::Service, _) | Pkg::Option(Kind::Service, _, _),
                    Because::ImpliesGroup { .. },
                ) => {
                    for inner in self.graph.edges(e.target()) {
                        if let (Pkg::Component(Kind::Service, target), Because::IsOption { .. }) =
                            (&self.graph[inner.target()], &inner.weight().1)
                        {
                            out.push(target.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        out.retain(|t| t != name);
        out.sort();
        out.dedup();
        out
    }

    /// The stack as a graph: hsm.yaml, every group that holds an option, every component,
    /// and every rule that brought one from another (for `hsm graph`). Nodes come in a
    /// stable order (hsm.yaml, groups, then components as in [`Selection::components`]);
    /// an M-of-N group is one node however many options it holds.
    pub fn stack_graph(&self, compiler: &Compiler<'_>) -> StackGraph {
        let mut nodes = vec![StackNode::Manifest];
        let mut index: HashMap<Pkg, usize> = HashMap::from([(Pkg::Root, 0)]);
        for g in &self.groups {
            let strategy = compiler
                .group(g.kind, &g.group)
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
        for e in self.graph.edge_references() {
            let (from_pkg, to_pkg) = (&self.graph[e.source()], &self.graph[e.target()]);
            let (Some(from), Some(to)) = (node_of(from_pkg), node_of(to_pkg)) else {
                continue;
            };
            let (ver, because) = e.weight();
            let edge = StackEdge {
                from,
                to,
                rule: rule_words(because),
                sentence: words::sentence(from_pkg, *ver, to_pkg, because, compiler),
                at: because.origin().short(),
            };
            if !edges.iter().any(|x| {
                (x.from, x.to, &x.rule, &x.at) == (edge.from, edge.to, &edge.rule, &edge.at)
            }) {
                edges.push(edge);
            }
        }
        edges.sort_by(|a, b| (a.from, a.to, &a.at, &a.rule).cmp(&(b.from, b.to, &b.at, &b.rule)));
        StackGraph { nodes, edges }
    }

    /// The solver version of a package (for the scenario runner and tests).
    pub fn version_of(&self, pkg: &Pkg) -> Option<Ver> {
        self.versions.get(pkg).copied()
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
/// shortest chain is then a walk up this tree.
fn bfs_tree(
    graph: &DiGraph<Pkg, (Option<Ver>, Because)>,
    root: Option<NodeIndex>,
) -> Vec<Option<EdgeIndex>> {
    let mut tree = vec![None; graph.node_count()];
    let Some(root) = root else { return tree };
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
                queue.push_back(t);
            }
        }
    }
    tree
}
