//! What hsm.yaml asks for, whether or not a stack can give it.
//!
//! A conflict proof names only the rules pubgrub needed, and a stack that does not solve
//! has no selection to ask "why is X here?". Both questions have a plain answer on the
//! rules themselves: starting at hsm.yaml, follow every rule that brings its target (over
//! every version of a component and every option a rule names, ignoring what excludes
//! what) and record each. That is [`Demands`]: every demand on every package hsm.yaml
//! reaches, with a shortest chain of rules from hsm.yaml to each.
//!
//! Used for: every demand on a 1-of-N group in a conflict report, `hsm why X` on a stack
//! that does not solve, and what a proven hint gains and loses.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use super::compile::Compiler;
use super::package::{Because, Pkg, Range, Ver};
use super::selection::Reason;
use super::words;
use crate::registry::Kind;

/// How many package versions the walk visits at most (a registry of 100k components
/// reached from one hsm.yaml stays bounded).
const MAX_VISITS: usize = 200_000;

/// One rule that brings `to` (in `range`) because `from` at `ver` is in the stack.
#[derive(Debug, Clone)]
pub struct Demand {
    pub from: Pkg,
    pub ver: Ver,
    pub to: Pkg,
    pub range: Range,
    pub because: Vec<Because>,
}

/// Every demand reachable from hsm.yaml.
#[derive(Debug, Default)]
pub struct Demands {
    pub edges: Vec<Demand>,
    by_target: HashMap<Pkg, Vec<usize>>,
    /// The demand each package was first reached by (a shortest-path tree).
    parent: HashMap<Pkg, usize>,
}

impl Demands {
    pub fn new(compiler: &Compiler<'_>) -> Demands {
        let mut d = Demands::default();
        let mut seen: HashSet<(Pkg, Ver)> = HashSet::new();
        let mut queue = VecDeque::from([(Pkg::Root, Ver::ONE)]);
        while let Some((pkg, ver)) = queue.pop_front() {
            if seen.len() >= MAX_VISITS || !seen.insert((pkg.clone(), ver)) {
                continue;
            }
            let Ok(deps) = compiler.deps(&pkg, ver) else {
                continue;
            };
            for (to, dep) in deps.iter() {
                if dep.range.contains(&Ver::ABSENT) {
                    continue;
                }
                let count = compiler.version_count(to).unwrap_or(0);
                let held: Vec<Ver> = (0..count)
                    .map(Ver::from_index)
                    .filter(|v| dep.range.contains(v))
                    .collect();
                let i = d.edges.len();
                d.edges.push(Demand {
                    from: pkg.clone(),
                    ver,
                    to: to.clone(),
                    range: dep.range.clone(),
                    because: dep.because.clone(),
                });
                d.by_target.entry(to.clone()).or_default().push(i);
                d.parent.entry(to.clone()).or_insert(i);
                match to {
                    Pkg::Component(..) => {
                        queue.extend(held.into_iter().rev().map(|v| (to.clone(), v)))
                    }
                    // A group asked for without an option asks for none in particular.
                    Pkg::Group(..) if held.len() == 1 => queue.push_back((to.clone(), held[0])),
                    Pkg::Group(..) | Pkg::Root => {}
                    Pkg::Option(..) => queue.push_back((to.clone(), Ver::ONE)),
                }
            }
        }
        d
    }

    /// Every component some demand brings.
    pub fn components(&self) -> BTreeSet<(Kind, String)> {
        self.by_target
            .keys()
            .filter_map(|p| match p {
                Pkg::Component(k, n) => Some((*k, n.to_string())),
                _ => None,
            })
            .collect()
    }

    /// The demands on `pkg`, in the order they were found (nearest hsm.yaml first).
    pub fn on(&self, pkg: &Pkg) -> &[usize] {
        self.by_target.get(pkg).map_or(&[], Vec::as_slice)
    }

    /// The demands from hsm.yaml to `pkg` on a shortest chain, hsm.yaml's first.
    pub fn chain_to(&self, pkg: &Pkg) -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = pkg.clone();
        while at != Pkg::Root {
            let Some(&i) = self.parent.get(&at) else {
                break;
            };
            out.push(i);
            at = self.edges[i].from.clone();
            if out.len() > self.edges.len() {
                break;
            }
        }
        out.reverse();
        out
    }

    /// Demand `i` in words, one reason per rule behind it. A component with several
    /// versions is named with the version that makes the demand.
    pub fn reasons(&self, i: usize, compiler: &Compiler<'_>) -> Vec<Reason> {
        let d = &self.edges[i];
        let ver = match &d.from {
            Pkg::Component(..) if compiler.version_count(&d.from).unwrap_or(1) > 1 => Some(d.ver),
            Pkg::Group(..) => Some(d.ver),
            _ => None,
        };
        d.because
            .iter()
            .map(|b| Reason {
                text: words::sentence(&d.from, ver, &d.to, b, compiler),
                because: b.clone(),
            })
            .collect()
    }

    /// The reasons on the chain to `pkg`, nearest first, without the structural "option
    /// `x` of group `g` is `x`" steps.
    pub fn because(&self, pkg: &Pkg, compiler: &Compiler<'_>) -> Vec<Reason> {
        let mut out: Vec<Reason> = self
            .chain_to(pkg)
            .into_iter()
            .flat_map(|i| self.reasons(i, compiler))
            .filter(|r| !matches!(r.because, Because::IsOption { .. }))
            .collect();
        out.reverse();
        out
    }
}
