//! Proven hints: the edits of hsm.yaml after which the stack solves.
//!
//! A hint that does not work is worse than none, so hsm does not guess. It lists every
//! edit a user could make to hsm.yaml that bears on the stack (switch a 1-of-N selection
//! to each other option, take one option out of an M-of-N selection, remove a group or a
//! standalone entry, delete a constraint, run a service with a deployment profile of the
//! other mode), applies each to the text of hsm.yaml with the same editor the command
//! uses, and solves the result. Only edits after which the stack solves are shown, those
//! that take least away first. When no single edit works, pairs are tried: an edit that
//! takes the reported clash away (leaving another) followed by any other edit, in that
//! order, so the user can make them one at a time; up to a fixed budget, so the time
//! stays bounded and the output deterministic.
//!
//! What a hint gains and loses is measured against what hsm.yaml asks for: every
//! component its entries bring through rules that bring something ([`Demands`]),
//! whichever option or version the solver would have picked. That is the only stack the
//! user can compare with, since the one they asked for does not exist.
//!
//! Cost: one parse and one solve per candidate. On the built-in registry a conflict has a
//! few dozen candidates and each solve takes well under a millisecond.

use std::collections::{BTreeSet, HashSet};

use super::compile::Compiler;
use super::demands::Demands;
use super::hint::{Action, Delta, Edit, Hint, Member};
use super::package::Pkg;
use super::report::{Clash, Conflict, Proof};
use super::{Outcome, Selection};
use crate::error::Error;
use crate::manifest::edit::Editor;
use crate::manifest::{Manifest, Question, Strategy};
use crate::registry::model::ProfileMode;
use crate::registry::rules::Definition;
use crate::registry::{Kind, Registry};

/// How many pairs of edits are solved at most when no single edit works. A pair starts
/// with an edit that takes the reported clash away (see [`prove`]), which keeps the pairs
/// tried few and relevant.
const PAIR_BUDGET: usize = 400;

/// A candidate edit: the action, and where hsm.yaml writes the entry it changes.
#[derive(Debug, Clone)]
struct Candidate {
    action: Action,
    section: Kind,
    at: Option<String>,
}

/// Fill in the hints of `conflict`: proven edits of `manifest`, best first, and a note
/// for each component the conflict involves that can never be in a stack.
pub(super) fn prove(manifest: &Manifest, registry: &Registry, conflict: &mut Conflict) {
    let compiler = Compiler::new(manifest, registry);
    let wanted = Demands::new(&compiler).components();
    let clash = conflict.clash.clone();
    let mut hints = contradictions(manifest, registry, conflict);
    let candidates = candidates(&compiler, &wanted);
    let mut proven: Vec<(usize, Hint)> = Vec::new();
    // Edits after which another clash is left: the first half of a pair, since each
    // edit of a pair must be accepted on its own (an edit of an unsolvable stack is
    // written when it takes its clash away).
    let mut progress: Vec<usize> = Vec::new();
    let mut after: Vec<Option<Proof>> = vec![None; candidates.len()];
    for (i, c) in candidates.iter().enumerate() {
        if !c.touches(&conflict.proof) {
            continue;
        }
        match try_edits(manifest, registry, &wanted, &[c]) {
            Tried::Solves(delta) => proven.push((i, edit_hint(&[c], delta))),
            Tried::Clash(other) if other.clash != clash => {
                progress.push(i);
                after[i] = Some(other.proof);
            }
            Tried::Clash(_) | Tried::Fails => {}
        }
    }
    if proven.is_empty() {
        let mut tried = 0;
        let mut found: HashSet<(usize, usize)> = HashSet::new();
        'pairs: for &i in &progress {
            let a = &candidates[i];
            let Some(left) = &after[i] else {
                continue;
            };
            for (j, b) in candidates.iter().enumerate() {
                if i == j
                    || touches_same_entry(a, b)
                    || found.contains(&(j.min(i), j.max(i)))
                    || !b.touches(left)
                {
                    continue;
                }
                if tried == PAIR_BUDGET {
                    break 'pairs;
                }
                tried += 1;
                if let Tried::Solves(delta) = try_edits(manifest, registry, &wanted, &[a, b]) {
                    found.insert((i.min(j), i.max(j)));
                    proven.push((i, edit_hint(&[a, b], delta)));
                }
            }
        }
    }
    proven.sort_by_key(|(i, h)| (rank(h), *i));
    if proven.is_empty() {
        hints.push(Hint::NoEdit);
    }
    hints.extend(proven.into_iter().map(|(_, h)| h));
    conflict.hints = hints;
}

/// What solving after some edits gave.
enum Tried {
    Solves(Delta),
    /// Still no stack, for this reason.
    Clash(Box<Conflict>),
    /// The edit could not be made, or the edited hsm.yaml is not valid.
    Fails,
}

/// Fewer edits first, then fewer components lost, fewer entries removed, fewer gained.
fn rank(hint: &Hint) -> (usize, usize, usize, usize) {
    match hint {
        Hint::Edit { edits, delta } => (
            edits.len(),
            delta.loses.len(),
            edits.iter().filter(|e| e.action.removes()).count(),
            delta.gains.len(),
        ),
        _ => (0, 0, 0, 0),
    }
}

fn edit_hint(candidates: &[&Candidate], delta: Delta) -> Hint {
    Hint::Edit {
        edits: candidates
            .iter()
            .map(|c| Edit {
                command: c.action.command(),
                action: c.action.clone(),
                at: c.at.clone(),
            })
            .collect(),
        delta,
    }
}

impl Candidate {
    /// Could this edit change what `proof` uses? If not, the stack still does not solve
    /// after it, for the same reason, and solving again would only confirm that.
    fn touches(&self, proof: &Proof) -> bool {
        let group = |kind: Kind, name: &str| {
            proof.roots.iter().any(|p| match p {
                Pkg::Group(k, g) | Pkg::Option(k, g, _) => *k == kind && &**g == name,
                _ => false,
            })
        };
        match &self.action {
            Action::SelectOption { group: g, .. }
            | Action::RemoveOption { group: g, .. }
            | Action::RemoveGroup { group: g, .. } => group(self.section, g),
            Action::RemoveStandalone { section, name } => proof
                .roots
                .contains(&Pkg::Component(*section, name.as_str().into())),
            Action::DropConstraint { component, .. } => proof
                .roots
                .iter()
                .any(|p| matches!(p, Pkg::Component(_, n) if **n == **component)),
            Action::SetProfile { service, .. } => proof
                .owners
                .contains(&Pkg::Component(Kind::Service, service.as_str().into())),
        }
    }
}

/// Two edits of one entry are alternatives, not a pair.
fn touches_same_entry(a: &Candidate, b: &Candidate) -> bool {
    let entry = |c: &Candidate| match &c.action {
        Action::SelectOption { group, .. }
        | Action::RemoveOption { group, .. }
        | Action::RemoveGroup { group, .. } => format!("group {group}"),
        Action::RemoveStandalone { name, .. } => format!("entry {name}"),
        Action::DropConstraint { component, .. } => format!("constraint {component}"),
        Action::SetProfile { service, .. } => format!("entry {service}"),
    };
    a.section == b.section && entry(a) == entry(b)
}

// ------------------------------------------------------------------------ candidates

/// Every edit of hsm.yaml that bears on the stack, in the order hsm.yaml writes them.
fn candidates(compiler: &Compiler<'_>, wanted: &BTreeSet<(Kind, String)>) -> Vec<Candidate> {
    let m = compiler.manifest;
    let registry = compiler.registry;
    let mut out = Vec::new();
    for section in [Kind::Library, Kind::Service] {
        for (g, entry) in m.groups(section) {
            let Ok(Some(group)) = registry.group(section, g) else {
                continue;
            };
            let items = entry.selection.items();
            let group_at = Some(m.selection_origin(section, g, None).short());
            match group.strategy {
                Strategy::OneOfN => {
                    let current = items.first().map(|(_, o)| o.to_string());
                    for option in &group.options {
                        if Some(&option.name) != current.as_ref() {
                            out.push(Candidate {
                                action: Action::SelectOption {
                                    group: g.clone(),
                                    option: option.name.clone(),
                                    instead_of: current.clone(),
                                },
                                section,
                                at: group_at.clone(),
                            });
                        }
                    }
                }
                Strategy::ManyOfN if items.len() > 1 => {
                    for (i, option) in &items {
                        out.push(Candidate {
                            action: Action::RemoveOption {
                                group: g.clone(),
                                option: option.to_string(),
                            },
                            section,
                            at: Some(m.selection_origin(section, g, *i).short()),
                        });
                    }
                }
                Strategy::ManyOfN => {}
            }
            if !items.is_empty() {
                out.push(Candidate {
                    action: Action::RemoveGroup {
                        section,
                        group: g.clone(),
                    },
                    section,
                    at: group_at,
                });
            }
        }
        let mut seen = HashSet::new();
        for (i, s) in m.standalone(section).iter().enumerate() {
            if seen.insert(s.name.as_str()) {
                out.push(Candidate {
                    action: Action::RemoveStandalone {
                        section,
                        name: s.name.clone(),
                    },
                    section,
                    at: Some(m.standalone_origin(section, i).short()),
                });
            }
        }
    }
    for (name, text) in &m.data.constraints {
        out.push(Candidate {
            action: Action::DropConstraint {
                component: name.clone(),
                constraint: text.clone(),
            },
            section: Kind::Library,
            at: Some(m.constraint_origin(name).short()),
        });
    }
    for (kind, name) in wanted {
        if *kind != Kind::Service {
            continue;
        }
        let Ok(Some(service)) = registry.component(Kind::Service, name) else {
            continue;
        };
        let Definition::Service(def) = &service.definition else {
            continue;
        };
        let Ok(Some(current)) = compiler.profile(&service) else {
            continue;
        };
        // Only the mode of a profile changes what the stack holds (an external service
        // brings nothing): one candidate per other mode, the first profile of that mode.
        let mut modes: Vec<ProfileMode> = Vec::new();
        let mut profiles: Vec<_> = def.deployment_profiles.iter().collect();
        profiles.sort_by(|a, b| a.0.cmp(b.0));
        for (profile, p) in profiles {
            if p.mode == current.mode || modes.contains(&p.mode) {
                continue;
            }
            modes.push(p.mode);
            out.push(Candidate {
                action: Action::SetProfile {
                    service: name.clone(),
                    profile: profile.clone(),
                },
                section: Kind::Service,
                at: None,
            });
        }
    }
    out
}

// ------------------------------------------------------------------------ proving

/// Apply `edits` to hsm.yaml as their commands would and solve: the delta if it solves.
fn try_edits(
    manifest: &Manifest,
    registry: &Registry,
    wanted: &BTreeSet<(Kind, String)>,
    edits: &[&Candidate],
) -> Tried {
    let Ok(text) = apply(manifest, registry, edits) else {
        return Tried::Fails;
    };
    let display = format!("{} (as edited)", manifest.file.display());
    let Ok(edited) = Manifest::from_text(&display, &manifest.root, text.as_str()) else {
        return Tried::Fails;
    };
    match super::solve_plain(&edited, registry) {
        Ok(Outcome::Solved(selection)) => Tried::Solves(delta(&selection, wanted, edits)),
        Ok(Outcome::Conflict(c)) => Tried::Clash(c),
        Err(_) => Tried::Fails,
    }
}

/// The text of hsm.yaml after `edits`, made with the editor the commands use.
fn apply(manifest: &Manifest, registry: &Registry, edits: &[&Candidate]) -> Result<String, Error> {
    let mut ed = Editor::parse(manifest.file.text())?;
    for c in edits {
        match &c.action {
            Action::SelectOption { group, option, .. } => {
                let g = registry.group(c.section, group)?;
                let comment = g.as_ref().and_then(|g| g.comment.clone());
                ed.group_select(
                    c.section,
                    group,
                    Strategy::OneOfN,
                    option,
                    comment.as_deref(),
                )?;
            }
            Action::RemoveOption { group, option } => {
                ed.group_unselect(c.section, group, option)?;
            }
            Action::RemoveGroup { group, .. } => {
                ed.group_remove(c.section, group)?;
            }
            Action::RemoveStandalone { name, .. } => {
                ed.standalone_remove(c.section, name)?;
            }
            Action::DropConstraint { component, .. } => {
                ed.constraint_remove(component)?;
            }
            Action::SetProfile { service, profile } => {
                ed.standalone_set_profile(Kind::Service, service, profile)?;
            }
        }
    }
    Ok(ed.to_text())
}

fn delta(selection: &Selection, wanted: &BTreeSet<(Kind, String)>, edits: &[&Candidate]) -> Delta {
    let member = |kind: Kind, name: &str, version: Option<String>| Member {
        kind,
        name: name.to_string(),
        version,
    };
    let has: BTreeSet<(Kind, &str)> = selection
        .components
        .iter()
        .map(|s| (s.kind, s.name.as_str()))
        .collect();
    let gains = selection
        .components
        .iter()
        .filter(|s| !wanted.contains(&(s.kind, s.name.clone())))
        .map(|s| member(s.kind, &s.name, s.version.as_ref().map(ToString::to_string)))
        .collect();
    let loses = wanted
        .iter()
        .filter(|(k, n)| !has.contains(&(*k, n.as_str())))
        .map(|(k, n)| member(*k, n, None))
        .collect();
    let versions = edits
        .iter()
        .filter_map(|c| match &c.action {
            Action::DropConstraint { component, .. } => Some(component),
            _ => None,
        })
        .flat_map(|name| selection.components.iter().filter(move |s| &s.name == name))
        .map(|s| member(s.kind, &s.name, s.version.as_ref().map(ToString::to_string)))
        .collect();
    Delta {
        gains,
        loses,
        versions,
    }
}

// ------------------------------------------------------------------------ contradictions

/// The components the conflict names that no stack can hold, each solved alone.
fn contradictions(manifest: &Manifest, registry: &Registry, conflict: &mut Conflict) -> Vec<Hint> {
    let mut hints = Vec::new();
    let mut impossible = Vec::new();
    for (kind, name) in &conflict.involved {
        let question = Question::Alone(*kind, name);
        let alone = Manifest::question("<alone>/hsm.yaml", &manifest.root, &question);
        if let Ok(Outcome::Conflict(_)) = super::solve_plain(&alone, registry) {
            let at = registry
                .component(*kind, name)
                .ok()
                .flatten()
                .map(|c| c.origin().short())
                .unwrap_or_default();
            impossible.push(name.clone());
            hints.push(Hint::Contradiction {
                component: name.clone(),
                at,
            });
        }
    }
    if let [one] = impossible.as_slice() {
        conflict.summary =
            format!("`{one}` can never be in a stack: no stack satisfies its own rules");
        conflict.clash = Clash::Impossible {
            component: one.clone(),
        };
    }
    hints
}
