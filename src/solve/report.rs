//! Conflict explanations: pubgrub's derivation tree rewritten into domain sentences.
//!
//! pubgrub proves unsatisfiability with a tree of incompatibilities. Printed as is, it
//! reads like a proof ("because root depends on ... and ..."). Users want three things
//! instead, and the report gives them in this order:
//!
//! 1. **the clash**: the two (or more) rules that cannot both hold, e.g. two different
//!    options demanded of one 1-of-N group, a `conflicts` pair, or version ranges with no
//!    common version;
//! 2. **why each side is active**: the chain of rules from hsm.yaml to the rule's owner;
//! 3. **hints**: concrete edits or commands that would resolve it.
//!
//! The facts come from the tree's leaves (external incompatibilities); each leaf is mapped
//! back to the registry or manifest rules that produced it (the compiler remembers them),
//! so every line cites `file:line`. The tree is deterministic for a given input, and so is
//! every ordering here, so reports are byte-identical across runs.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

use pubgrub::{DerivationTree, External};
use serde::Serialize;

use super::compile::Compiler;
use super::hint::Hint;
use super::package::{Because, Pkg, Range, Ver};
use super::selection::Reason;
use super::words;
use crate::registry::Kind;

/// What kind of clash made the stack impossible.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Clash {
    /// Two rules demand different options of one 1-of-N group.
    Group { group: String, options: Vec<String> },
    /// A `conflicts` rule forbids a component that another rule brings.
    Conflicts { component: String, with: String },
    /// Version ranges on one component with no version in common.
    Versions {
        component: String,
        available: Vec<String>,
    },
    /// A component whose own rules no stack can satisfy.
    Impossible { component: String },
    /// Anything else: the facts are listed.
    Other,
}

/// One side of a clash: the rule, and the chain of rules that made its owner active.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub rules: Vec<Reason>,
    pub because: Vec<Reason>,
}

/// A readable explanation of why no stack satisfies hsm.yaml and the registry.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub summary: String,
    pub clash: Clash,
    pub sides: Vec<Side>,
    /// Other rules the proof used.
    pub also: Vec<Reason>,
    /// Proven edits and notes ([`super::repair`] fills them in).
    pub hints: Vec<Hint>,
    /// The components the proof names, for the checks hints need.
    #[serde(skip)]
    pub involved: Vec<(Kind, String)>,
}

/// How many proven edits the text report shows (JSON has them all).
const MAX_SHOWN_EDITS: usize = 4;

/// How many of the components a proof names are checked for contradicting themselves.
const MAX_INVOLVED: usize = 32;

/// A leaf of the derivation tree, mapped to rules.
#[derive(Debug, Clone)]
struct Fact {
    from: Pkg,
    /// Versions of `from` the fact holds for.
    from_range: Range,
    to: Pkg,
    range: Range,
    because: Vec<Because>,
}

pub(super) fn explain(
    tree: &DerivationTree<Pkg, Range, String>,
    compiler: &Compiler<'_>,
) -> Conflict {
    let facts = collect_facts(tree, compiler);
    let (clash, sides_idx) = find_clash(&facts, compiler);
    let reachable = ReachGraph::new(&facts);

    let mut used = vec![false; facts.len()];
    let mut sides = Vec::new();
    for side in &sides_idx {
        let mut rules = Vec::new();
        for &i in side {
            used[i] = true;
            rules.extend(reasons(&facts[i], compiler));
        }
        let owner = &facts[side[0]].from;
        let chain = reachable.chain_to(owner);
        for &i in &chain {
            used[i] = true;
        }
        let mut because: Vec<Reason> = chain
            .iter()
            .flat_map(|&i| reasons(&facts[i], compiler))
            .collect();
        because.retain(|r| !matches!(r.because, Because::IsOption { .. }));
        // "Option `x` of group `g` is `x`" is structure, not a rule: the rule on this side
        // is whatever selected the option.
        if rules
            .iter()
            .all(|r| matches!(r.because, Because::IsOption { .. }))
            && let Some(last) = because.pop()
        {
            rules = vec![last];
        }
        // Nearest cause first.
        because.reverse();
        sides.push(Side { rules, because });
    }
    let also: Vec<Reason> = facts
        .iter()
        .enumerate()
        .filter(|(i, f)| {
            !used[*i]
                && !f
                    .because
                    .iter()
                    .all(|b| matches!(b, Because::IsOption { .. }))
        })
        .flat_map(|(_, f)| reasons(f, compiler))
        .collect();

    let summary = match &clash {
        Clash::Group { group, options } => format!(
            "choice group `{group}` holds one option, but the stack needs {}",
            options
                .iter()
                .map(|o| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        Clash::Conflicts { component, with } => {
            let (a, b) = if component <= with {
                (component, with)
            } else {
                (with, component)
            };
            format!("`{a}` and `{b}` cannot be in the stack together")
        }
        Clash::Versions { component, .. } => {
            format!("no version of `{component}` satisfies every rule on it")
        }
        Clash::Impossible { component } => format!("`{component}` can never be in a stack"),
        Clash::Other => "the rules below cannot all hold".to_string(),
    };
    let mut involved: Vec<(Kind, String)> = Vec::new();
    for f in &facts {
        for p in [&f.from, &f.to] {
            if let Pkg::Component(kind, name) = p
                && !involved.iter().any(|(k, n)| k == kind && **n == **name)
                && involved.len() < MAX_INVOLVED
            {
                involved.push((*kind, name.to_string()));
            }
        }
    }
    Conflict {
        summary,
        clash,
        sides,
        also,
        hints: Vec::new(),
        involved,
    }
}

/// Leaves of the tree in depth-first order, without duplicates.
fn collect_facts(tree: &DerivationTree<Pkg, Range, String>, compiler: &Compiler<'_>) -> Vec<Fact> {
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
fn rules_for(from: &Pkg, from_range: &Range, to: &Pkg, compiler: &Compiler<'_>) -> Vec<Because> {
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

/// The version to name a fact's owner by: the single version it holds for, if only one
/// (for groups, the option).
fn owner_version(fact: &Fact, compiler: &Compiler<'_>) -> Option<Ver> {
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

fn reasons(fact: &Fact, compiler: &Compiler<'_>) -> Vec<Reason> {
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
    fact.because
        .iter()
        .map(|b| Reason {
            text: words::sentence(&fact.from, ver, &fact.to, b, compiler),
            because: b.clone(),
        })
        .collect()
}

/// Find the clash: two facts about one package whose ranges have nothing in common.
/// Returns the clash and, for each side, the indices of its facts.
fn find_clash(facts: &[Fact], compiler: &Compiler<'_>) -> (Clash, Vec<Vec<usize>>) {
    // A rule no version of its target can satisfy (`requires: {b: ">=5"}` when `b` has
    // only 1.x) is the clash itself, whatever else the proof mentions.
    if let Some(i) = facts.iter().position(|f| {
        f.from != f.to
            && f.range == Range::empty()
            && matches!(f.to, Pkg::Component(..))
            && !f.because.is_empty()
    }) && let Pkg::Component(_, name) = &facts[i].to
    {
        let available = words::versions_in(&Range::full(), &facts[i].to, compiler);
        return (
            Clash::Versions {
                component: name.to_string(),
                available,
            },
            vec![vec![i]],
        );
    }
    // Facts by target, in order: a clash is two facts about one package, and comparing
    // every pair of a long proof would be quadratic.
    let mut by_target: HashMap<&Pkg, Vec<usize>> = HashMap::new();
    for (i, f) in facts.iter().enumerate() {
        by_target.entry(&f.to).or_default().push(i);
    }
    for (i, a) in facts.iter().enumerate() {
        if a.because.is_empty() {
            continue;
        }
        let same_target = &by_target[&a.to];
        for &j in same_target.iter().filter(|&&j| j > i) {
            let b = &facts[j];
            if b.because.is_empty()
                || a.from == b.from
                || a.range.intersection(&b.range) != Range::empty()
            {
                continue;
            }
            // Side b: every fact from b's owner about the same package that also excludes a.
            let side_b: Vec<usize> = same_target
                .iter()
                .copied()
                .filter(|&k| {
                    let f = &facts[k];
                    f.from == b.from
                        && !f.because.is_empty()
                        && f.range.intersection(&a.range) == Range::empty()
                })
                .collect();
            let sides = vec![vec![i], if side_b.is_empty() { vec![j] } else { side_b }];
            let clash = match &a.to {
                Pkg::Group(kind, g) => {
                    let options = [a, b]
                        .iter()
                        .filter_map(|f| {
                            (0..compiler.version_count(&f.to).unwrap_or(0))
                                .find(|k| f.range.contains(&Ver::from_index(*k)))
                        })
                        .map(|k| words::option_name(compiler, *kind, g, k))
                        .collect();
                    Clash::Group {
                        group: g.to_string(),
                        options,
                    }
                }
                Pkg::Component(_, name) => {
                    let pair = [a, b];
                    let conflict = pair.iter().find(|f| {
                        f.because
                            .iter()
                            .any(|r| matches!(r, Because::Conflicts { .. }))
                    });
                    match conflict {
                        Some(f) => Clash::Conflicts {
                            component: name.to_string(),
                            with: match &f.from {
                                Pkg::Component(_, n) => n.to_string(),
                                other => words::subject(other, compiler),
                            },
                        },
                        None => Clash::Versions {
                            component: name.to_string(),
                            available: words::versions_in(&Range::full(), &a.to, compiler),
                        },
                    }
                }
                _ => Clash::Other,
            };
            return (clash, sides);
        }
    }
    // No pair: a range that no version satisfies.
    if let Some(i) = facts.iter().position(|f| f.because.is_empty())
        && let Pkg::Component(_, name) = &facts[i].to
    {
        let component = name.to_string();
        let related: Vec<usize> = facts
            .iter()
            .enumerate()
            .filter(|(_, f)| f.to == facts[i].to && !f.because.is_empty())
            .map(|(k, _)| k)
            .collect();
        let available = words::versions_in(&Range::full(), &facts[i].to, compiler);
        return (
            Clash::Versions {
                component,
                available,
            },
            if related.is_empty() {
                vec![vec![i]]
            } else {
                vec![related]
            },
        );
    }
    (Clash::Other, Vec::new())
}

/// Which facts bring which packages, to explain why a rule's owner is active.
struct ReachGraph<'f> {
    facts: &'f [Fact],
    /// Indices of the facts that bring their target, by source package, in order.
    brought_from: HashMap<&'f Pkg, Vec<usize>>,
}

impl<'f> ReachGraph<'f> {
    fn new(facts: &'f [Fact]) -> Self {
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
    fn chain_to(&self, target: &Pkg) -> Vec<usize> {
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

impl Conflict {
    /// The report as text: summary, the clash with citations, the chains, then hints.
    pub fn render(&self) -> String {
        format!(
            "error: no stack satisfies hsm.yaml and the registry\n{}",
            self.explanation()
        )
    }

    /// The report without its first line: for a caller that says what failed itself.
    pub fn explanation(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "  {}:", self.summary);
        for side in &self.sides {
            let _ = writeln!(out);
            for r in &side.rules {
                let _ = writeln!(out, "  - {} ({})", r.text, r.at());
            }
            for r in &side.because {
                let _ = writeln!(out, "      because {} ({})", r.text, r.at());
            }
        }
        if !self.also.is_empty() {
            let _ = writeln!(out, "\n  also involved:");
            for r in &self.also {
                let _ = writeln!(out, "  - {} ({})", r.text, r.at());
            }
        }
        let _ = writeln!(out);
        let edits = self
            .hints
            .iter()
            .filter(|h| matches!(h, Hint::Edit { .. }))
            .count();
        let mut shown = 0;
        for h in &self.hints {
            if matches!(h, Hint::Edit { .. }) {
                if shown == MAX_SHOWN_EDITS {
                    continue;
                }
                shown += 1;
            }
            match h {
                // The edit, then on its own line what it does to the stack.
                Hint::Edit { edits, delta } => {
                    let edits: Vec<String> = edits.iter().map(ToString::to_string).collect();
                    let _ = writeln!(out, "hint: {}", edits.join(", and "));
                    let _ = writeln!(out, "      {delta}");
                }
                _ => {
                    let _ = writeln!(out, "hint: {h}");
                }
            }
        }
        if edits > shown {
            let more = edits - shown;
            let _ = writeln!(
                out,
                "hint: {more} more {} also {}; `--format json` lists every one",
                if more == 1 { "edit" } else { "edits" },
                if more == 1 { "works" } else { "work" },
            );
        }
        out
    }
}
