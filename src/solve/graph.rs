//! The registry-wide implication graph: every `implies` of every component and group
//! option, as a petgraph graph. `registry lint` uses it to report implication cycles
//! (legal, but usually a mistake) with `tarjan_scc`.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::BTreeMap;

use crate::error::Error;
use crate::registry::{Category, Implication, ImplyTarget, Kind, Registry};

/// A node: a component (`library:x`, `service:x`) or a group option (`library_group:g/o`).
pub type Node = String;

/// Every implication in a registry.
#[derive(Debug, Default)]
pub struct ImplicationGraph {
    graph: DiGraph<Node, String>,
    index: BTreeMap<Node, NodeIndex>,
}

fn component_node(kind: Kind, name: &str) -> Node {
    format!("{kind}:{name}")
}

fn option_node(kind: Kind, group: &str, option: &str) -> Node {
    format!("{kind}_group:{group}/{option}")
}

impl ImplicationGraph {
    /// Load every file of `registry` (this is the one place that reads the whole registry).
    pub fn build(registry: &Registry) -> Result<Self, Error> {
        let mut g = ImplicationGraph::default();
        for (kind, category) in [
            (Kind::Library, Category::Libraries),
            (Kind::Service, Category::Services),
        ] {
            for name in registry.store().list(category) {
                let Some(c) = registry.component(kind, &name)? else {
                    continue;
                };
                let from = component_node(kind, &name);
                for v in &c.versions {
                    for imp in &v.implies {
                        g.add_implication(&from, imp, registry)?;
                    }
                }
            }
        }
        for (kind, category) in [
            (Kind::Library, Category::LibraryGroups),
            (Kind::Service, Category::ServiceGroups),
        ] {
            for name in registry.store().list(category) {
                let Some(group) = registry.group(kind, &name)? else {
                    continue;
                };
                for opt in &group.options {
                    let from = option_node(kind, &name, &opt.name);
                    g.edge(&from, &component_node(kind, &opt.name), "is".into());
                    for imp in &opt.implies {
                        g.add_implication(&from, imp, registry)?;
                    }
                }
            }
        }
        Ok(g)
    }

    fn node(&mut self, n: &str) -> NodeIndex {
        if let Some(&i) = self.index.get(n) {
            return i;
        }
        let i = self.graph.add_node(n.to_string());
        self.index.insert(n.to_string(), i);
        i
    }

    fn edge(&mut self, from: &str, to: &str, label: String) {
        let (a, b) = (self.node(from), self.node(to));
        if !self
            .graph
            .edges_connecting(a, b)
            .any(|e| *e.weight() == label)
        {
            self.graph.add_edge(a, b, label);
        }
    }

    fn add_implication(
        &mut self,
        from: &str,
        imp: &Implication,
        registry: &Registry,
    ) -> Result<(), Error> {
        match &imp.target {
            ImplyTarget::Component(kind, name) => {
                self.edge(from, &component_node(*kind, name), imp.origin.short())
            }
            ImplyTarget::Group {
                kind,
                group,
                options,
            } => {
                let options = match options {
                    Some(o) => o.clone(),
                    None => registry
                        .group(*kind, group)?
                        .map(|g| g.default.clone())
                        .unwrap_or_default(),
                };
                for o in options {
                    self.edge(from, &option_node(*kind, group, &o), imp.origin.short());
                }
            }
        }
        Ok(())
    }

    /// Implication cycles, each as its nodes in a stable order.
    pub fn cycles(&self) -> Vec<Vec<Node>> {
        let mut out: Vec<Vec<Node>> = tarjan_scc(&self.graph)
            .into_iter()
            .filter(|scc| scc.len() > 1 || scc.iter().any(|&n| self.graph.contains_edge(n, n)))
            .map(|scc| {
                let mut names: Vec<Node> = scc.iter().map(|&n| self.graph[n].clone()).collect();
                names.sort();
                names
            })
            .collect();
        out.sort();
        out
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }
}
