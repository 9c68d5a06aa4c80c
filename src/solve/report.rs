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
use super::demands::Demands;
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
    /// A `conflicts` rule of `with` (at `version`, when only some of its versions have
    /// it) forbids `component`, which another rule brings.
    Conflicts {
        component: String,
        with: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        version: Option<String>,
    },
    /// The stack needs `component`, and each of its versions is ruled out by a rule.
    AllVersions { component: String },
    /// A rule needs some option of a 1-of-N group, and each of them is ruled out.
    AllOptions { group: String, options: Vec<String> },
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
    /// Where every side starts, when they all start at the same hsm.yaml entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_origin: Option<String>,
    /// The components the proof names, for the checks hints need.
    #[serde(skip)]
    pub involved: Vec<(Kind, String)>,
    /// What the proof uses: the targets of hsm.yaml's rules in it, and every package
    /// whose rules it cites. An edit of hsm.yaml that changes none of them leaves the
    /// proof standing, so hints need not try it.
    #[serde(skip)]
    pub(crate) proof: Proof,
}

/// See [`Conflict::proof`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Proof {
    pub roots: std::collections::HashSet<Pkg>,
    pub owners: std::collections::HashSet<Pkg>,
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
    let mut clash = clash;
    if let Clash::Group { options, .. } = &mut clash
        && let Some(first) = sides_idx.first().and_then(|s| s.first())
        && let Some((all, story)) = every_demand(&facts[*first].to, compiler)
    {
        *options = all;
        sides = story;
    }
    if let Clash::AllVersions { .. } = &clash {
        sides = sides_idx
            .iter()
            .map(|side| {
                let f = &facts[side[0]];
                let rules = per_version(f, compiler);
                // A version a `conflicts` rule rules out: why the other one is there.
                let because = if f
                    .because
                    .iter()
                    .any(|b| matches!(b, Because::Conflicts { .. }))
                {
                    let mut chain: Vec<Reason> = reachable
                        .chain_to(&f.to)
                        .iter()
                        .flat_map(|&i| {
                            used[i] = true;
                            reasons(&facts[i], compiler)
                        })
                        .filter(|r| !matches!(r.because, Because::IsOption { .. }))
                        .collect();
                    chain.reverse();
                    chain
                } else {
                    Vec::new()
                };
                Side { rules, because }
            })
            .collect();
    }
    if let Clash::AllVersions { .. } = &clash
        && let Some(f) = sides_idx
            .first()
            .and_then(|s| s.first())
            .map(|&i| &facts[i])
    {
        // First why the stack needs the component at all.
        let mut chain: Vec<Reason> = reachable
            .chain_to(&f.from)
            .iter()
            .flat_map(|&i| reasons(&facts[i], compiler))
            .filter(|r| !matches!(r.because, Because::IsOption { .. }))
            .collect();
        if let Some(last) = chain.pop() {
            chain.reverse();
            sides.insert(
                0,
                Side {
                    rules: vec![last],
                    because: chain,
                },
            );
        }
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
            words::and_list(options.iter().map(|o| format!("`{o}`")))
        ),
        Clash::Conflicts {
            component,
            with,
            version: Some(v),
        } => format!("`{with}` {v} and `{component}` cannot be in the stack together"),
        Clash::Conflicts {
            component, with, ..
        } => {
            let (a, b) = if component <= with {
                (component, with)
            } else {
                (with, component)
            };
            format!("`{a}` and `{b}` cannot be in the stack together")
        }
        Clash::AllOptions { group, options } => format!(
            "choice group `{group}` must hold one of {}, but each is ruled out",
            words::and_list(options.iter().map(|o| format!("`{o}`")))
        ),
        Clash::AllVersions { component } => {
            format!("the stack needs `{component}`, but each of its versions is ruled out")
        }
        Clash::Versions { component, .. } => {
            format!("no version of `{component}` satisfies every rule on it")
        }
        Clash::Impossible { component } => format!("`{component}` can never be in a stack"),
        Clash::Other => "the rules below cannot all hold".to_string(),
    };
    let origin = same_origin(&sides).filter(|_| !matches!(clash, Clash::AllVersions { .. }));
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
        same_origin: origin,
        involved,
        proof: Proof {
            roots: facts
                .iter()
                .filter(|f| f.from == Pkg::Root)
                .map(|f| f.to.clone())
                .collect(),
            owners: facts.iter().map(|f| f.from.clone()).collect(),
        },
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

/// A fact's rules, one sentence per version of its owner it holds for (newest first),
/// each naming the version: the story of a component whose every version is ruled out.
fn per_version(fact: &Fact, compiler: &Compiler<'_>) -> Vec<Reason> {
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

/// Find the clash: two facts about one package whose ranges have nothing in common.
/// Returns the clash and, for each side, the indices of its facts.
fn find_clash(facts: &[Fact], compiler: &Compiler<'_>) -> (Clash, Vec<Vec<usize>>) {
    if let Some(found) = all_versions(facts, compiler) {
        return found;
    }
    if let Some(found) = all_options(facts, compiler) {
        return found;
    }
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
                            version: owner_version(f, compiler).and_then(|v| match &f.from {
                                Pkg::Component(k, n) => words::version_label(compiler, *k, n, v),
                                _ => None,
                            }),
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

/// Each version of one component ruled out by a rule of its own: the facts from that
/// component that each hold for some of its versions and together for all of them.
fn all_versions(facts: &[Fact], compiler: &Compiler<'_>) -> Option<(Clash, Vec<Vec<usize>>)> {
    let mut owners: Vec<&Pkg> = Vec::new();
    for f in facts {
        if matches!(f.from, Pkg::Component(..)) && !owners.contains(&&f.from) {
            owners.push(&f.from);
        }
    }
    for owner in owners {
        let count = compiler.version_count(owner).unwrap_or(0);
        if count < 2 {
            continue;
        }
        let all: Vec<Ver> = (0..count).map(Ver::from_index).collect();
        let partial: Vec<usize> = facts
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                &f.from == owner
                    && !f.because.is_empty()
                    && all.iter().any(|v| !f.from_range.contains(v))
                    && all.iter().any(|v| f.from_range.contains(v))
            })
            .map(|(i, _)| i)
            .collect();
        let covered = all
            .iter()
            .all(|v| partial.iter().any(|&i| facts[i].from_range.contains(v)));
        if partial.len() >= 2 && covered {
            let Pkg::Component(_, name) = owner else {
                continue;
            };
            // Newest version first.
            let mut sides: Vec<Vec<usize>> = partial.into_iter().map(|i| vec![i]).collect();
            sides.sort_by_key(|s| {
                std::cmp::Reverse(
                    all.iter()
                        .rev()
                        .find(|v| facts[s[0]].from_range.contains(v))
                        .copied(),
                )
            });
            return Some((
                Clash::AllVersions {
                    component: name.to_string(),
                },
                sides,
            ));
        }
    }
    None
}

/// A rule that needs any of several options of a 1-of-N group, and for each of those
/// options a rule that keeps its component out of the stack.
fn all_options(facts: &[Fact], compiler: &Compiler<'_>) -> Option<(Clash, Vec<Vec<usize>>)> {
    for (i, f) in facts.iter().enumerate() {
        let Pkg::Group(kind, group) = &f.to else {
            continue;
        };
        if f.because.is_empty() || f.from == f.to {
            continue;
        }
        let count = compiler.version_count(&f.to).ok()?;
        let held: Vec<usize> = (0..count)
            .filter(|k| f.range.contains(&Ver::from_index(*k)))
            .collect();
        if held.len() < 2 {
            continue;
        }
        let mut sides = vec![vec![i]];
        let mut options = Vec::new();
        for &o in &held {
            let name = words::option_name(compiler, *kind, group, o);
            let target = Pkg::Component(*kind, name.as_str().into());
            let out: Vec<usize> = facts
                .iter()
                .enumerate()
                .filter(|(_, x)| {
                    x.to == target
                        && x.from != f.to
                        && !x.because.is_empty()
                        && x.range == super::package::absent()
                })
                .map(|(k, _)| k)
                .collect();
            if out.is_empty() {
                return None;
            }
            options.push(name);
            sides.push(out);
        }
        return Some((
            Clash::AllOptions {
                group: group.to_string(),
                options,
            },
            sides,
        ));
    }
    None
}

/// Every demand on the 1-of-N group `pkg` that names one option, each with its chain from
/// hsm.yaml, when they name two options or more (the proof may show only two of them).
fn every_demand(pkg: &Pkg, compiler: &Compiler<'_>) -> Option<(Vec<String>, Vec<Side>)> {
    let Pkg::Group(kind, group) = pkg else {
        return None;
    };
    let demands = Demands::new(compiler);
    let count = compiler.version_count(pkg).ok()?;
    let mut options: Vec<String> = Vec::new();
    let mut sides = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &i in demands.on(pkg) {
        let d = &demands.edges[i];
        let held: Vec<usize> = (0..count)
            .filter(|k| d.range.contains(&Ver::from_index(*k)))
            .collect();
        let [one] = held.as_slice() else {
            continue;
        };
        if !seen.insert((d.from.clone(), *one)) {
            continue;
        }
        let name = words::option_name(compiler, *kind, group, *one);
        if !options.contains(&name) {
            options.push(name);
        }
        sides.push(Side {
            rules: demands.reasons(i, compiler),
            because: demands.because(&d.from, compiler),
        });
    }
    (options.len() >= 2).then_some((options, sides))
}

/// The hsm.yaml entry every side starts at, when they all start at the same one.
fn same_origin(sides: &[Side]) -> Option<String> {
    if sides.len() < 2 {
        return None;
    }
    let start = |s: &Side| {
        let r = s.because.last().or(s.rules.first())?;
        matches!(r.because, Because::Selects { .. } | Because::Lists { .. })
            .then(|| (r.text.clone(), r.at()))
    };
    let first = start(&sides[0])?;
    sides[1..]
        .iter()
        .all(|s| start(s).as_ref() == Some(&first))
        .then_some(first.1)
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
        if let Some(at) = &self.same_origin {
            let _ = writeln!(
                out,
                "  (every side below starts at one hsm.yaml entry, {at})"
            );
        }
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
