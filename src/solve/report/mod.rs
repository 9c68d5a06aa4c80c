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

use std::fmt::Write as _;

use pubgrub::DerivationTree;
use serde::Serialize;

mod clash;
mod facts;

use super::compile::Compiler;
use super::hint::Hint;
use super::package::{Because, Pkg, Range};
use super::selection::Reason;
use super::words;
use crate::registry::Kind;
use clash::{every_demand, find_clash, same_origin};
use facts::{ReachGraph, collect_facts, per_version, reasons};

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

impl Conflict {
    /// The report as text: summary, the clash with citations, the chains, then hints.
    pub fn render(&self) -> String {
        format!(
            "error: no stack satisfies hsm.yaml and the registry\n{}",
            self.explanation()
        )
    }

    /// Every rule the explanation cites, hsm.yaml's included.
    pub fn cited(&self) -> impl Iterator<Item = &Reason> {
        self.sides
            .iter()
            .flat_map(|s| s.rules.iter().chain(&s.because))
            .chain(&self.also)
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
        out.push_str(&self.hints_text());
        out
    }

    /// The `hint:` lines that end the report.
    pub fn hints_text(&self) -> String {
        let mut out = String::new();
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
