//! Solving: hsm.yaml + registry → one consistent [`Selection`], or a [`Conflict`]
//! explaining why none exists.
//!
//! # Design
//!
//! A stack is a dependency problem in disguise, so hsm hands it to pubgrub rather than
//! writing its own search. The encoding (see [`package`]) maps every hsm rule to a pubgrub
//! dependency: implications and requirements bring packages in, a 1-of-N group is a
//! package whose versions are its options (so it can hold only one), conflicts and
//! hsm.yaml constraints are dependencies on "absent" (or "absent or matching"). pubgrub's
//! conflict-driven search gives us three things at once: backtracking over component
//! versions (the newest version that fits wins), completeness (if a stack exists it is
//! found), and a derivation tree when none does, which [`report`] turns into sentences.
//!
//! Trade-offs:
//! - *Lazy compilation.* The provider compiles a package's rules the first time pubgrub
//!   asks for them ([`compile`]), so a solve reads only the registry files of components it
//!   reaches. The price is that a broken file elsewhere in the registry goes unnoticed
//!   until something uses it; `hsm registry lint` exists for that.
//! - *Errors are not conflicts.* A misspelt option or an implication to a missing file
//!   aborts with a positioned error instead of being encoded as an impossible dependency.
//!   A conflict report should only ever talk about real choices.
//! - *Explanations from rules, not ranges.* pubgrub's facts mention version sets; we map
//!   each back to the rule that produced it (kept by the compiler) and print the rule.
//!
//! The petgraph side ([`selection`], [`graph`]) answers "why is X here?" on a solution and
//! finds implication cycles in a registry; cycles are legal (pubgrub handles them), lint
//! only reports them. [`diagram`] prints either graph as Graphviz DOT or Mermaid.

// The encoding (packages, the compiler, the provider) stays inside `solve`: the rest of
// hsm sees rules going in and a `Selection` or `Conflict` coming out.
mod compile;
mod demands;
pub mod diagram;
pub mod graph;
pub mod hint;
pub mod locked;
mod package;
mod provider;
mod repair;
pub mod report;
pub mod selection;
pub mod words;

pub use compile::ActiveProfile;
pub(crate) use compile::{Compiler, implied_group_shape, not_an_option};
pub use report::{Clash, Conflict};
pub use selection::{Reason, Selected, Selection};

use pubgrub::PubGrubError;

use crate::error::Error;
use crate::manifest::Manifest;
use crate::registry::Registry;
use package::{Pkg, Ver};
use provider::Provider;

/// The outcome of a solve that read its input successfully.
#[derive(Debug, Clone)]
// Returned once per solve and immediately matched: boxing the selection buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    Solved(Selection),
    Conflict(Box<Conflict>),
}

/// Solve `manifest` against `registry`; a conflict comes with proven hints (see
/// [`repair`]), which costs a solve per candidate edit of hsm.yaml.
pub fn solve(manifest: &Manifest, registry: &Registry) -> Result<Outcome, Error> {
    registry.prefetch(manifest);
    let mut outcome = solve_plain(manifest, registry)?;
    if let Outcome::Conflict(conflict) = &mut outcome {
        repair::prove(manifest, registry, conflict);
    }
    Ok(outcome)
}

/// Fill in the proven hints of a conflict [`solve_plain`] returned for `manifest`.
pub fn prove_hints(manifest: &Manifest, registry: &Registry, conflict: &mut Conflict) {
    repair::prove(manifest, registry, conflict);
}

/// Solve `manifest` against `registry`; a conflict is explained but has no hints. For
/// callers that only need to know whether a stack exists (lint, the hints themselves).
pub fn solve_plain(manifest: &Manifest, registry: &Registry) -> Result<Outcome, Error> {
    let compiler = Compiler::new(manifest, registry);
    solve_with(&compiler)
}

/// A component a [`solve_versions`] stack holds, and which of its versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub kind: crate::registry::Kind,
    pub name: std::sync::Arc<str>,
    /// Index into the component's `versions`.
    pub version_index: usize,
}

/// What [`solve_versions`] found: the components of the stack, or why there is none.
#[derive(Debug)]
pub enum Feasible {
    Solved(Vec<Picked>),
    Conflict(Box<Conflict>),
}

/// Solve `manifest` and say only whether a stack exists and which component versions it
/// holds: for lint, which solves every component of a registry alone. It builds no
/// [`Selection`], whose `inputs` list every file the registry has loaded (hsm.lock's
/// fingerprint): lint's registry ends up holding every file, so a selection per lone solve
/// made lint quadratic in the registry's size.
pub fn solve_versions(manifest: &Manifest, registry: &Registry) -> Result<Feasible, Error> {
    let compiler = Compiler::new(manifest, registry);
    compiler.deps(&Pkg::Root, Ver::ONE)?;
    if let Some(solution) = single_answer(&compiler) {
        return Ok(Feasible::Solved(picked(solution)));
    }
    with_pubgrub(&compiler)
}

/// The components of a solution, with their versions, in its order.
fn picked(solution: impl IntoIterator<Item = (Pkg, Ver)>) -> Vec<Picked> {
    solution
        .into_iter()
        .filter_map(|(pkg, ver)| match (pkg, ver.index()) {
            (Pkg::Component(kind, name), Some(version_index)) => Some(Picked {
                kind,
                name,
                version_index,
            }),
            _ => None,
        })
        .collect()
}

/// [`solve_versions`] by pubgrub, for a compiler whose root is compiled.
fn with_pubgrub(compiler: &Compiler) -> Result<Feasible, Error> {
    let provider = Provider { compiler };
    match pubgrub::resolve(&provider, Pkg::Root, Ver::ONE) {
        Ok(solution) => Ok(Feasible::Solved(picked(solution))),
        Err(PubGrubError::NoSolution(tree)) => Ok(Feasible::Conflict(Box::new(report::explain(
            &tree, compiler,
        )))),
        Err(PubGrubError::ErrorRetrievingDependencies { source, .. }) => Err(source),
        Err(PubGrubError::ErrorChoosingVersion { source, .. }) => Err(source),
        Err(PubGrubError::ErrorInShouldCancel(e)) => Err(e),
    }
}

/// The answer of a problem that has only one, found without pubgrub: every package the
/// root reaches allows exactly one version, and is present. That is, every dependency
/// asks for a component with one version, or an option, to be present in any version, or
/// for a 1-of-N group to hold one named option (the same wherever it is asked); and no
/// rule excludes a version reached. pubgrub would pick exactly the packages reached, each
/// at its one allowed version, and nothing else (a package nothing asks for is left out);
/// its bookkeeping is most of the time of such a solve, which is what `hsm registry lint`
/// runs for each component and option of a registry, and what a stack without conflicts,
/// ranges, several versions or unnamed options asks (a sync or resolve of such a stack
/// takes it too). `None` at the first thing that is not so, and pubgrub decides.
///
/// The answer is the solution pubgrub would return: the root and every package reached,
/// each at its version, in the order reached.
fn single_answer(compiler: &Compiler) -> Option<Vec<(Pkg, Ver)>> {
    let mut seen: rustc_hash::FxHashMap<Pkg, Ver> = rustc_hash::FxHashMap::default();
    let mut solution = vec![(Pkg::Root, Ver::ONE)];
    let mut next = vec![(Pkg::Root, Ver::ONE)];
    while let Some((pkg, ver)) = next.pop() {
        let deps = compiler.deps(&pkg, ver).ok()?;
        if compiler.unusable(&pkg, ver).is_some() {
            return None;
        }
        for (dep, d) in deps.iter() {
            if d.range.contains(&Ver::ABSENT) {
                return None;
            }
            let count = compiler.version_count(dep).ok()?;
            let only = match dep {
                Pkg::Component(..) | Pkg::Option(..) if count == 1 => Ver::from_index(0),
                Pkg::Group(..) => {
                    let mut allowed = (0..count)
                        .map(Ver::from_index)
                        .filter(|v| d.range.contains(v));
                    let only = allowed.next()?;
                    if allowed.next().is_some() {
                        return None;
                    }
                    only
                }
                _ => return None,
            };
            if !d.range.contains(&only) {
                return None;
            }
            match seen.get(dep) {
                Some(v) if *v == only => continue,
                Some(_) => return None,
                None => {}
            }
            seen.insert(dep.clone(), only);
            solution.push((dep.clone(), only));
            next.push((dep.clone(), only));
        }
    }
    Some(solution)
}

/// Every rule that asks for a component named `name`, each with its chain of reasons from
/// hsm.yaml (nearest first), whether or not the stack solves: `hsm why` on a stack that
/// does not solve.
pub fn demanded(
    manifest: &Manifest,
    registry: &Registry,
    name: &str,
) -> Vec<(selection::Reason, Vec<selection::Reason>)> {
    let compiler = Compiler::new(manifest, registry);
    let demands = demands::Demands::new(&compiler);
    let mut out = Vec::new();
    for kind in [
        crate::registry::Kind::Library,
        crate::registry::Kind::Service,
    ] {
        let pkg = Pkg::Component(kind, name.into());
        let mut seen = std::collections::HashSet::new();
        for &i in demands.on(&pkg) {
            let d = &demands.edges[i];
            // An option's component is asked for by whatever asks for the option.
            let askers: Vec<usize> = match (&d.from, d.because.first()) {
                (Pkg::Group(..) | Pkg::Option(..), Some(package::Because::IsOption { .. })) => {
                    demands
                        .on(&d.from)
                        .iter()
                        .copied()
                        .filter(|&j| demands.edges[j].range.contains(&d.ver))
                        .collect()
                }
                _ => vec![i],
            };
            for j in askers {
                if !seen.insert(j) {
                    continue;
                }
                let because = demands.because(&demands.edges[j].from, &compiler);
                out.extend(
                    demands
                        .reasons(j, &compiler)
                        .into_iter()
                        .map(|r| (r, because.clone())),
                );
            }
        }
    }
    out
}

/// Compile every version of every component in `components` and every option of every
/// group in `groups` as a solve would, and return the rule errors that finds (a solve
/// reports only the first error of the files it reaches; lint wants them all).
pub fn compile_all(
    manifest: &Manifest,
    registry: &Registry,
    components: &[std::sync::Arc<crate::registry::Component>],
    groups: &[std::sync::Arc<crate::registry::Group>],
) -> Vec<Error> {
    let compiler = Compiler::new(manifest, registry);
    let mut errors = Vec::new();
    for c in components {
        for i in 0..c.versions.len() {
            let pkg = Pkg::Component(c.kind, c.name.as_str().into());
            if let Err(e) = compiler.deps(&pkg, Ver::from_index(i)) {
                errors.push(e);
            }
        }
    }
    for g in groups {
        for i in 0..g.options.len() {
            let (pkg, ver) = Pkg::option(g.kind, &g.name, g.strategy, i);
            if let Err(e) = compiler.deps(&pkg, ver) {
                errors.push(e);
            }
        }
    }
    errors
}

/// Solve with `compiler`: by the shortcut when the stack has one possible answer, else by
/// pubgrub. A conflict is explained from the compiler's rules; a selection takes them
/// (the compiler is spent either way).
fn solve_with(compiler: &Compiler<'_>) -> Result<Outcome, Error> {
    // Compile hsm.yaml first so its mistakes are reported before any search.
    compiler.deps(&Pkg::Root, Ver::ONE)?;
    if let Some(solution) = single_answer(compiler) {
        return Ok(Outcome::Solved(Selection::from_solution(
            solution, compiler,
        )?));
    }
    let provider = Provider { compiler };
    match pubgrub::resolve(&provider, Pkg::Root, Ver::ONE) {
        Ok(solution) => Ok(Outcome::Solved(Selection::from_solution(
            solution, compiler,
        )?)),
        Err(PubGrubError::NoSolution(tree)) => Ok(Outcome::Conflict(Box::new(report::explain(
            &tree, compiler,
        )))),
        Err(PubGrubError::ErrorRetrievingDependencies { source, .. }) => Err(source),
        Err(PubGrubError::ErrorChoosingVersion { source, .. }) => Err(source),
        Err(PubGrubError::ErrorInShouldCancel(e)) => Err(e),
    }
}

impl Outcome {
    pub fn selection(&self) -> Option<&Selection> {
        match self {
            Outcome::Solved(s) => Some(s),
            Outcome::Conflict(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::manifest::Question;
    use crate::registry::{Category, Kind, Store};

    /// The components `picked` names, with their versions, in one order.
    fn sorted(picked: Vec<Picked>) -> Vec<(Kind, String, usize)> {
        let mut out: Vec<_> = picked
            .into_iter()
            .map(|p| (p.kind, p.name.to_string(), p.version_index))
            .collect();
        out.sort();
        out
    }

    /// Wherever the shortcut answers, pubgrub gives the same solution, package for
    /// package and version for version (groups and options too, which a sync's selection
    /// is built from): each component of `registry` asked for alone, and each option of
    /// each group. The names answered for.
    fn agree(registry: &Registry) -> Vec<String> {
        let mut answered = Vec::new();
        let mut ask = |what: String, question: &Question| {
            let manifest = Manifest::question("<t>/hsm.yaml", Path::new("/t"), question);
            let compiler = Compiler::new(&manifest, registry);
            if compiler.deps(&Pkg::Root, Ver::ONE).is_err() {
                return;
            }
            let Some(mut short) = single_answer(&compiler) else {
                return;
            };
            let picked_short = sorted(picked(short.clone()));
            match with_pubgrub(&compiler) {
                Ok(Feasible::Solved(full)) => assert_eq!(picked_short, sorted(full), "{what}"),
                other => panic!("{what}: the shortcut solved, pubgrub: {other:?}"),
            }
            let provider = Provider {
                compiler: &compiler,
            };
            let Ok(full) = pubgrub::resolve(&provider, Pkg::Root, Ver::ONE) else {
                panic!("{what}: the shortcut solved, pubgrub did not");
            };
            let mut full: Vec<(Pkg, Ver)> = full.into_iter().collect();
            short.sort();
            full.sort();
            assert_eq!(short, full, "{what}");
            answered.push(what);
        };
        for kind in [Kind::Library, Kind::Service] {
            for name in registry.names(kind.category()).iter() {
                ask(name.clone(), &Question::Alone(kind, name));
            }
            for group in registry.names(kind.group_category()).iter() {
                let Ok(Some(g)) = registry.group(kind, group) else {
                    continue;
                };
                for option in g.option_names() {
                    let question = Question::Option {
                        kind,
                        group,
                        option,
                        strategy: g.strategy,
                    };
                    ask(format!("{group}/{option}"), &question);
                }
            }
        }
        answered
    }

    #[test]
    fn the_shortcut_agrees_with_pubgrub_on_the_builtin_registry() {
        assert!(agree(&Registry::builtin()).len() > 10);
    }

    /// Chains, a cycle, shared targets, and the shapes the shortcut must leave to pubgrub
    /// (two versions, a conflict, a range, a group) next to them.
    #[test]
    fn the_shortcut_agrees_with_pubgrub_on_chains_and_cycles() {
        let lib = |name: &str, body: &str| {
            (
                format!("{}/{name}.yaml", Category::Libraries.dir()),
                format!("name: {name}\n{body}"),
            )
        };
        let svc = |name: &str, body: &str| {
            (
                format!("{}/{name}.yaml", Category::Services.dir()),
                format!("name: {name}\n{body}"),
            )
        };
        let files = vec![
            lib("a", "implies: {library:b: {}, service:s: {}}\n"),
            lib("b", "implies: {library:c: {}}\n"),
            lib("c", "implies: {library:a: {}}\n"),
            lib("d", "implies: {service:s: {params: {x: y}}}\n"),
            lib(
                "two",
                "versions:\n  - {version: 1.0.0}\n  - {version: 2.0.0}\n",
            ),
            lib("uses-two", "implies: {library:two: {}}\n"),
            lib(
                "clash",
                "implies: {service:s: {}}\nconflicts: [service:s]\n",
            ),
            lib("ranged", "version: 1.0.0\nrequires: {service:v: '>=1'}\n"),
            lib("grouped", "implies: {library_group:g: {}}\n"),
            lib("picks", "implies: {library_group:g: [d]}\n"),
            lib("picks-other", "implies: {library_group:g: [a], library:picks: {}}\n"),
            svc("s", "version: 1.0.0\n"),
            svc("v", "version: 1.0.0\n"),
            (
                format!("{}/g.yaml", Category::LibraryGroups.dir()),
                "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: [a, d, {name: two, implies: {service:s: {}}}]\n"
                    .to_string(),
            ),
            (
                format!("{}/m.yaml", Category::LibraryGroups.dir()),
                "name: m\ntype: library_group\nstrategy: M-of-N\noptions: [b, clash]\n".to_string(),
            ),
        ];
        let registry = Registry::new(Store::memory(files));
        // Not `two` (two versions), `uses-two`, `clash` (a conflict), `grouped` (a group
        // without a named option), `picks-other` (two options of a 1-of-N group), nor the
        // options `g/two` and `m/clash` that are those.
        assert_eq!(
            agree(&registry),
            [
                "a", "b", "c", "d", "picks", "ranged", "g/a", "g/d", "m/b", "s", "v"
            ]
        );
    }
}
