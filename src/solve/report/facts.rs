//! The facts of a proof: the leaves of pubgrub's derivation tree, each mapped back to
//! the rules that produced it, and put into sentences; and which facts bring which
//! packages (the chains from hsm.yaml to a rule's owner).

use std::collections::{HashMap, VecDeque};

use pubgrub::{DerivationTree, External};

use super::super::compile::Compiler;
use super::super::package::{Because, Pkg, Range, Ver};
use super::super::selection::Reason;
use super::super::words;

/// A leaf of the derivation tree, mapped to rules.
#[derive(Debug, Clone)]
pub(super) struct Fact {
    pub from: Pkg,
    /// Versions of `from` the fact holds for.
    pub from_range: Range,
    pub to: Pkg,
    pub range: Range,
    pub because: Vec<Because>,
}

/// Leaves of the tree in depth-first order, without duplicates.
pub(super) fn collect_facts(
    tree: &DerivationTree<Pkg, Range, String>,
    compiler: &Compiler<'_>,
) -> Vec<Fact> {
    let mut out: Vec<Fact> = Vec::new();
    // Facts by (from, to): every duplicate test below compares both, and a proof along a
    // chain of N implications has N facts, so scanning them all for each would be N².
    let mut by_ends: HashMap<(Pkg, Pkg), Vec<usize>> = HashMap::new();
    let mut push = |out: &mut Vec<Fact>, fact: Fact, same: &dyn Fn(&Fact, &Fact) -> bool| {
        let bucket = by_ends
            .entry((fact.from.clone(), fact.to.clone()))
            .or_default();
        if !bucket.iter().any(|&k| same(&out[k], &fact)) {
            bucket.push(out.len());
            out.push(fact);
        }
    };
    let mut stack = vec![tree];
    while let Some(node) = stack.pop() {
        match node {
            DerivationTree::Derived(d) => {
                // Push cause2 first so cause1 is explained first.
                stack.push(&d.cause2);
                stack.push(&d.cause1);
            }
            DerivationTree::External(External::FromDependencyOf(from, from_range, to, range)) => {
                let because = rules_for(from, from_range, to, compiler);
                let fact = Fact {
                    from: from.clone(),
                    from_range: from_range.clone(),
                    to: to.clone(),
                    range: range.clone(),
                    because,
                };
                push(&mut out, fact, &|f, fact| {
                    f.from_range == fact.from_range && f.range == fact.range
                });
            }
            DerivationTree::External(External::NoVersions(pkg, range)) => {
                // Represented as a fact from the package to itself with no rules; only its
                // range matters ("no version in ...").
                let fact = Fact {
                    from: pkg.clone(),
                    from_range: range.clone(),
                    to: pkg.clone(),
                    range: range.clone(),
                    because: Vec::new(),
                };
                push(&mut out, fact, &|f, fact| {
                    f.range == fact.range && f.because.is_empty()
                });
            }
            DerivationTree::External(External::Custom(pkg, range, _)) => {
                // A version excluded by a rule about itself: find the rule.
                let count = compiler.version_count(pkg).unwrap_or(1);
                let because = (0..count)
                    .map(Ver::from_index)
                    .filter(|v| range.contains(v))
                    .find_map(|v| compiler.unusable(pkg, v))
                    .unwrap_or_default();
                let fact = Fact {
                    from: pkg.clone(),
                    from_range: range.clone(),
                    to: pkg.clone(),
                    range: Range::empty(),
                    because,
                };
                push(&mut out, fact, &|f, fact| f.from_range == fact.from_range);
            }
            DerivationTree::External(External::NotRoot(..)) => {}
        }
    }
    out
}

/// The rules behind "versions `from_range` of `from` depend on `to`".
pub(super) fn rules_for(
    from: &Pkg,
    from_range: &Range,
    to: &Pkg,
    compiler: &Compiler<'_>,
) -> Vec<Because> {
    let count = compiler.version_count(from).unwrap_or(1);
    for i in (0..count).rev() {
        let v = Ver::from_index(i);
        if !from_range.contains(&v) {
            continue;
        }
        if let Some(deps) = compiler.cached(from, v)
            && let Some(dep) = deps.get(to)
        {
            return dep.because.clone();
        }
    }
    Vec::new()
}

/// A fact's rules, one sentence per version of its owner it holds for (newest first),
/// each naming the version: the story of a component whose every version is ruled out.
pub(super) fn per_version(fact: &Fact, compiler: &Compiler<'_>) -> Vec<Reason> {
    let count = compiler.version_count(&fact.from).unwrap_or(1);
    let mut out = Vec::new();
    for v in (0..count).rev().map(Ver::from_index) {
        if !fact.from_range.contains(&v) {
            continue;
        }
        let because = match compiler.cached(&fact.from, v) {
            Some(deps) => deps.get(&fact.to).map(|d| d.because.clone()),
            None => compiler.unusable(&fact.from, v),
        };
        let single = Fact {
            from_range: Range::singleton(v),
            because: because.unwrap_or_else(|| fact.because.clone()),
            ..fact.clone()
        };
        out.extend(reasons(&single, compiler));
    }
    out
}

/// The version to name a fact's owner by: the single version it holds for, if only one
/// (for groups, the option).
pub(super) fn owner_version(fact: &Fact, compiler: &Compiler<'_>) -> Option<Ver> {
    let count = compiler.version_count(&fact.from).unwrap_or(1);
    let held: Vec<Ver> = (0..count)
        .map(Ver::from_index)
        .filter(|v| fact.from_range.contains(v))
        .collect();
    match (&fact.from, held.as_slice()) {
        (Pkg::Root | Pkg::Option(..), _) => None,
        (_, [one]) if count > 1 || matches!(fact.from, Pkg::Group(..)) => Some(*one),
        _ => None,
    }
}

pub(super) fn reasons(fact: &Fact, compiler: &Compiler<'_>) -> Vec<Reason> {
    if fact.because.is_empty() {
        let mut versions = words::versions_in(&fact.range, &fact.to, compiler);
        versions.retain(|v| v != "(unversioned)");
        let Pkg::Component(kind, name) = &fact.to else {
            return Vec::new();
        };
        let all = compiler
            .component(*kind, name)
            .map(|c| c.version_list())
            .unwrap_or_default();
        let text = if versions.is_empty() {
            format!("`{name}` has no version in the range the other rules allow (it has {all})")
        } else {
            format!("`{name}` has no version {} available", versions.join(", "))
        };
        let origin = compiler.component(*kind, name).map(|c| c.origin());
        return match origin {
            Ok(origin) => vec![Reason {
                text,
                because: Because::Implies {
                    params: Default::default(),
                    origin,
                },
            }],
            Err(_) => Vec::new(),
        };
    }
    let ver = owner_version(fact, compiler);
    // A rule no version of its target matches says what the target has.
    let none_match = match &fact.to {
        Pkg::Component(_, name) if fact.range == Range::empty() && fact.from != fact.to => {
            let all = words::versions_in(&Range::full(), &fact.to, compiler);
            format!(", but `{name}` has only {}", all.join(", "))
        }
        _ => String::new(),
    };
    fact.because
        .iter()
        .map(|b| Reason {
            text: format!(
                "{}{}",
                words::sentence(&fact.from, ver, &fact.to, b, compiler),
                if matches!(b, Because::Requires { .. }) {
                    none_match.as_str()
                } else {
                    ""
                }
            ),
            because: b.clone(),
        })
        .collect()
}

/// Which facts bring which packages, to explain why a rule's owner is active.
pub(super) struct ReachGraph<'f> {
    facts: &'f [Fact],
    /// Indices of the facts that bring their target, by source package, in order.
    brought_from: HashMap<&'f Pkg, Vec<usize>>,
}

impl<'f> ReachGraph<'f> {
    pub(super) fn new(facts: &'f [Fact]) -> Self {
        let mut brought_from: HashMap<&Pkg, Vec<usize>> = HashMap::new();
        for (i, f) in facts.iter().enumerate() {
            let brings = f.because.iter().any(Because::brings) && !f.range.contains(&Ver::ABSENT);
            if brings && f.to != Pkg::Root {
                brought_from.entry(&f.from).or_default().push(i);
            }
        }
        ReachGraph {
            facts,
            brought_from,
        }
    }

    /// Indices of the facts on a shortest chain from hsm.yaml to `target`.
    pub(super) fn chain_to(&self, target: &Pkg) -> Vec<usize> {
        if *target == Pkg::Root {
            return Vec::new();
        }
        let mut prev: HashMap<Pkg, usize> = HashMap::new();
        let mut queue = VecDeque::from([Pkg::Root]);
        while let Some(p) = queue.pop_front() {
            if &p == target {
                break;
            }
            for &i in self.brought_from.get(&p).into_iter().flatten() {
                let f = &self.facts[i];
                if !prev.contains_key(&f.to) {
                    prev.insert(f.to.clone(), i);
                    queue.push_back(f.to.clone());
                }
            }
        }
        let mut out = Vec::new();
        let mut at = target.clone();
        while let Some(&i) = prev.get(&at) {
            out.push(i);
            at = self.facts[i].from.clone();
            if at == Pkg::Root || out.len() > self.facts.len() {
                break;
            }
        }
        out.reverse();
        out
    }
}
