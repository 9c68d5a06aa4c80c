//! Finding the clash in a proof: which facts cannot all hold, and the whole story of it
//! (every version of a component ruled out, every option of a group, every demand on a
//! 1-of-N group, sides that start at one hsm.yaml entry).

use super::super::compile::Compiler;
use super::super::demands::Demands;
use std::collections::HashMap;

use super::super::package::{Because, Pkg, Range, Ver, absent};
use super::super::words;
use super::facts::{Fact, owner_version};
use super::{Clash, Side};

/// Find the clash: two facts about one package whose ranges have nothing in common.
/// Returns the clash and, for each side, the indices of its facts.
pub(super) fn find_clash(facts: &[Fact], compiler: &Compiler<'_>) -> (Clash, Vec<Vec<usize>>) {
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
pub(super) fn all_versions(
    facts: &[Fact],
    compiler: &Compiler<'_>,
) -> Option<(Clash, Vec<Vec<usize>>)> {
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
pub(super) fn all_options(
    facts: &[Fact],
    compiler: &Compiler<'_>,
) -> Option<(Clash, Vec<Vec<usize>>)> {
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
                    x.to == target && x.from != f.to && !x.because.is_empty() && x.range == absent()
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
pub(super) fn every_demand(pkg: &Pkg, compiler: &Compiler<'_>) -> Option<(Vec<String>, Vec<Side>)> {
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
pub(super) fn same_origin(sides: &[Side]) -> Option<String> {
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
