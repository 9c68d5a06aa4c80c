//! Rule coverage: which rules of a registry some scenario made matter.
//!
//! A test suite for code says which lines ran; a rule set's suite should say which rules
//! acted. [`Inventory`] lists every rule of a registry (each option of each group, each
//! component version, each `implies`, `requires` and `conflicts`, each group `default` and
//! each deployment profile) with its place; [`Marks`] collects, case by case, the rules
//! that mattered:
//!
//! - in a solved stack, a rule is active when its owner is in the stack: the picked version
//!   of a component and that version's rules, the options a group holds and their
//!   `implies`, the profile a service runs with, and a group's `default` when it decided
//!   what the group holds (the group came in through implications that name no option);
//! - in an expected conflict, every rule the explanation cites.
//!
//! Rules are told apart by their [`Place`] (file and key path), so a rule written once at
//! the top level of a file with several versions is one rule, however many versions it
//! holds for.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::registry::rules::Definition;
use crate::registry::{Component, Group, ImplyTarget, Kind, Registry, words};
use crate::solve::{Conflict, Selection};
use crate::source::{KeyPath, Origin, Place};
use crate::vocab::Strategy;

/// The kinds of rule coverage counts, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    Option,
    Version,
    Implies,
    Requires,
    Conflicts,
    Default,
    Profile,
}

impl RuleKind {
    pub const ALL: [RuleKind; 7] = [
        RuleKind::Option,
        RuleKind::Version,
        RuleKind::Implies,
        RuleKind::Requires,
        RuleKind::Conflicts,
        RuleKind::Default,
        RuleKind::Profile,
    ];

    /// The plural the report uses ("group options", "group defaults").
    pub fn plural(self) -> &'static str {
        match self {
            RuleKind::Option => "group options",
            RuleKind::Version => "component versions",
            RuleKind::Implies => "implies",
            RuleKind::Requires => "requires",
            RuleKind::Conflicts => "conflicts",
            RuleKind::Default => "group defaults",
            RuleKind::Profile => "deployment profiles",
        }
    }
}

/// One rule of the registry.
#[derive(Debug, Clone)]
pub struct Rule {
    pub kind: RuleKind,
    /// The rule in words, with its owner: "library `x` implies service `y`".
    pub text: String,
    pub origin: Origin,
}

/// Every rule of a registry, in file and line order.
#[derive(Debug, Default)]
pub struct Inventory {
    pub rules: Vec<Rule>,
    /// Group defaults no rule reads (see [`defaulted`]): not counted.
    pub unread_defaults: Vec<Rule>,
}

impl Inventory {
    /// Every rule of every file of `registry` that loads (lint reports the others).
    pub fn of(registry: &Registry) -> Inventory {
        let mut out = Collect {
            defaulted: defaulted(registry),
            ..Collect::default()
        };
        for kind in [Kind::Library, Kind::Service] {
            for name in registry.names(kind.category()).iter() {
                if let Ok(Some(c)) = registry.component(kind, name)
                    && maintained(registry, &c.file)
                {
                    out.component(&c);
                }
            }
            for name in registry.names(kind.group_category()).iter() {
                if let Ok(Some(g)) = registry.group(kind, name)
                    && maintained(registry, &g.file)
                {
                    out.group(&g);
                }
            }
        }
        let order = |r: &Rule| (r.origin.file().display().to_string(), r.origin.line());
        let mut rules = out.rules;
        rules.sort_by_cached_key(order);
        let mut unread_defaults = out.unread_defaults;
        unread_defaults.sort_by_cached_key(order);
        Inventory {
            rules,
            unread_defaults,
        }
    }
}

#[derive(Default)]
struct Collect {
    rules: Vec<Rule>,
    seen: HashSet<Place>,
    defaulted: HashSet<(Kind, String)>,
    unread_defaults: Vec<Rule>,
}

/// The groups some rule of `registry` implies without naming an option: the only groups
/// whose `default:` a solve ever reads (hsm.yaml cannot ask for a default). Another
/// group's default is not a rule of any stack, so coverage does not count it and mutation
/// does not change it.
pub fn defaulted(registry: &Registry) -> HashSet<(Kind, String)> {
    let mut out = HashSet::new();
    let mut add = |imp: &crate::registry::Implication| {
        if let ImplyTarget::Group {
            kind,
            group,
            options,
        } = &imp.target
            && options.as_ref().is_none_or(Vec::is_empty)
        {
            out.insert((*kind, group.clone()));
        }
    };
    for kind in [Kind::Library, Kind::Service] {
        for name in registry.names(kind.category()).iter() {
            if let Ok(Some(c)) = registry.component(kind, name) {
                c.versions
                    .iter()
                    .flat_map(|v| &v.implies)
                    .for_each(&mut add);
            }
        }
        for name in registry.names(kind.group_category()).iter() {
            if let Ok(Some(g)) = registry.group(kind, name) {
                g.options.iter().flat_map(|o| &o.implies).for_each(&mut add);
            }
        }
    }
    out
}

impl Collect {
    fn add(&mut self, kind: RuleKind, text: String, origin: &Origin) {
        if self.seen.insert(origin.place()) {
            self.rules.push(Rule {
                kind,
                text,
                origin: origin.clone(),
            });
        }
    }

    fn component(&mut self, c: &Component) {
        let what = format!("{} `{}`", c.kind, c.name);
        for v in &c.versions {
            let owner = match &v.version {
                Some(version) if c.versions.len() > 1 => format!("version {version} of {what}"),
                _ => what.clone(),
            };
            let text = match &v.version {
                Some(version) => format!("version {version} of {what}"),
                None => what.clone(),
            };
            self.add(RuleKind::Version, text, &v.origin);
            for r in &v.requires {
                let text = format!(
                    "{owner} requires {} {}",
                    words::reference(&r.target),
                    r.text
                );
                self.add(RuleKind::Requires, text, &r.origin);
            }
            for r in &v.conflicts {
                let text = format!("{owner} conflicts with {}", words::reference(&r.target));
                self.add(RuleKind::Conflicts, text, &r.origin);
            }
            for i in &v.implies {
                let text = format!("{owner} {}", words::implication(i));
                self.add(RuleKind::Implies, text, &i.origin);
            }
        }
        if let Definition::Service(def) = &c.definition {
            for name in def.deployment_profiles.keys() {
                let text = format!("deployment profile `{name}` of {what}");
                self.add(RuleKind::Profile, text, &profile_origin(c, name));
            }
        }
    }

    fn group(&mut self, g: &Group) {
        let what = format!("{} group `{}`", g.kind, g.name);
        for o in &g.options {
            let owner = format!("option `{}` of {what}", o.name);
            self.add(RuleKind::Option, owner.clone(), &o.origin);
            for i in &o.implies {
                let text = format!("{owner} {}", words::implication(i));
                self.add(RuleKind::Implies, text, &i.origin);
            }
        }
        if !g.default.is_empty() {
            let text = format!("default `{}` of {what}", g.default.join("`, `"));
            if self.defaulted.contains(&(g.kind, g.name.clone())) {
                self.add(RuleKind::Default, text, &default_origin(g));
            } else {
                self.unread_defaults.push(Rule {
                    kind: RuleKind::Default,
                    text,
                    origin: default_origin(g),
                });
            }
        }
    }
}

/// Whether the rules of `file` are the maintainer's to test: every file of a registry,
/// except the built-in registry's when it is only the last layer under the project's own
/// (hsm's own `rules/` test those).
pub fn maintained(registry: &Registry, file: &crate::source::SourceFile) -> bool {
    let layered = matches!(registry.store(), crate::registry::Store::Layered(_));
    !(layered && file.display().starts_with(crate::registry::BUILTIN_PREFIX))
}

/// Where a service's deployment profile `name` is defined.
pub fn profile_origin(c: &Component, name: &str) -> Origin {
    Origin::at_path(
        &c.file,
        KeyPath::root().key("deployment_profiles").key(name),
    )
}

/// Where a group's `default:` is.
pub fn default_origin(g: &Group) -> Origin {
    Origin::at_path(&g.file, KeyPath::root().key("default"))
}

/// The rules that mattered in the cases run so far.
#[derive(Debug, Default)]
pub struct Marks(HashSet<Place>);

impl Marks {
    /// The rules active in a solved stack.
    pub fn solved(&mut self, registry: &Registry, stack: &Selection) {
        for c in &stack.components {
            let Some(v) = c.component.versions.get(c.version_index) else {
                continue;
            };
            self.mark(&v.origin);
            v.requires.iter().for_each(|r| self.mark(&r.origin));
            v.conflicts.iter().for_each(|r| self.mark(&r.origin));
            // A service run elsewhere does not bring what it implies (whoever runs it runs
            // its dependencies): its implications did not act.
            let external = c
                .profile
                .as_ref()
                .is_some_and(|p| p.mode == crate::registry::model::ProfileMode::External);
            if !external {
                v.implies.iter().for_each(|i| self.mark(&i.origin));
            }
            if let Some(p) = &c.profile
                && let Definition::Service(def) = &c.component.definition
                && def.deployment_profiles.contains_key(&p.name)
            {
                self.mark(&profile_origin(&c.component, &p.name));
            }
        }
        for choice in &stack.groups {
            let Ok(Some(g)) = registry.group(choice.kind, &choice.group) else {
                continue;
            };
            for o in g
                .options
                .iter()
                .filter(|o| choice.options.contains(&o.name))
            {
                self.mark(&o.origin);
                o.implies.iter().for_each(|i| self.mark(&i.origin));
            }
            let holds_default = match g.strategy {
                Strategy::OneOfN => g.default.iter().any(|d| choice.options.contains(d)),
                Strategy::ManyOfN => {
                    !g.default.is_empty() && g.default.iter().all(|d| choice.options.contains(d))
                }
            };
            if holds_default && stack.default_decided(g.kind, &g.name) {
                self.mark(&default_origin(&g));
            }
        }
    }

    /// The rules an expected conflict cites.
    pub fn conflict(&mut self, conflict: &Conflict) {
        for r in conflict.cited() {
            self.mark(r.origin());
        }
    }

    fn mark(&mut self, origin: &Origin) {
        self.0.insert(origin.place());
    }

    pub fn contains(&self, origin: &Origin) -> bool {
        self.0.contains(&origin.place())
    }
}

/// Covered and total rules of one kind.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Count {
    pub covered: usize,
    pub total: usize,
}

/// What the cases covered of a registry's rules.
#[derive(Debug, Default)]
pub struct Coverage {
    /// Per kind, in [`RuleKind::ALL`] order (kinds without rules included).
    pub kinds: Vec<(RuleKind, Count)>,
    pub all: Count,
    /// The rules no case made matter, in file and line order.
    pub uncovered: Vec<Rule>,
    /// Group defaults no rule of the registry reads: not counted.
    pub unread_defaults: Vec<Rule>,
}

impl Coverage {
    pub fn of(inventory: Inventory, marks: &Marks) -> Coverage {
        let mut counts: HashMap<RuleKind, Count> = HashMap::new();
        let mut uncovered = Vec::new();
        let unread_defaults = inventory.unread_defaults;
        for rule in inventory.rules {
            let count = counts.entry(rule.kind).or_default();
            count.total += 1;
            if marks.contains(&rule.origin) {
                count.covered += 1;
            } else {
                uncovered.push(rule);
            }
        }
        let kinds: Vec<(RuleKind, Count)> = RuleKind::ALL
            .iter()
            .map(|k| (*k, counts.get(k).copied().unwrap_or_default()))
            .collect();
        let all = Count {
            covered: kinds.iter().map(|(_, c)| c.covered).sum(),
            total: kinds.iter().map(|(_, c)| c.total).sum(),
        };
        Coverage {
            kinds,
            all,
            uncovered,
            unread_defaults,
        }
    }

    /// Covered rules in percent (100 for a registry without rules).
    pub fn percent(&self) -> f64 {
        percent(self.all)
    }
}

/// `count` in percent (100 when there is nothing to count).
pub fn percent(count: Count) -> f64 {
    if count.total == 0 {
        100.0
    } else {
        // Counts of rules are far below 2^52: exact as f64.
        #[allow(clippy::cast_precision_loss)]
        let p = count.covered as f64 * 100.0 / count.total as f64;
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use crate::registry::Store;
    use crate::solve::{Outcome, solve};
    use std::path::Path;

    fn registry() -> Registry {
        let files = [
            (
                "libraries/a.yaml",
                "name: a\nversion: 1.0.0\nrequires: {b: \"*\"}\n",
            ),
            (
                "libraries/b.yaml",
                "name: b\nversions:\n  - {version: 1.0.0}\n  - {version: 2.0.0}\n",
            ),
            (
                "libraries/p.yaml",
                "name: p\nimplies: {library_group:g: }\n",
            ),
            (
                "library_groups/g.yaml",
                "name: g\ntype: library_group\nstrategy: 1-of-N\ndefault: a\noptions: [a, b]\n",
            ),
        ];
        Registry::new(Store::memory(
            files.iter().map(|(p, t)| (p.to_string(), t.to_string())),
        ))
    }

    /// The uncovered rules after solving each hsm.yaml.
    fn uncovered(manifests: &[&str]) -> Vec<String> {
        let r = registry();
        let mut marks = Marks::default();
        for text in manifests {
            let m = Manifest::from_text("hsm.yaml", Path::new("/p"), *text).unwrap();
            match solve(&m, &r).unwrap() {
                Outcome::Solved(stack) => marks.solved(&r, &stack),
                Outcome::Conflict(c) => marks.conflict(&c),
            }
        }
        Coverage::of(Inventory::of(&r), &marks)
            .uncovered
            .into_iter()
            .map(|r| r.text)
            .collect()
    }

    #[test]
    fn a_default_is_covered_only_when_it_decided_the_group() {
        // hsm.yaml chose the default option itself: the default did not decide.
        let chosen = uncovered(&["libraries: {groups: {g: {selection: a}}}\n"]);
        assert!(
            chosen.contains(&"default `a` of library group `g`".to_string()),
            "{chosen:#?}"
        );
        let implied = uncovered(&["libraries: {standalone: [p]}\n"]);
        assert!(
            !implied.iter().any(|t| t.starts_with("default")),
            "{implied:#?}"
        );
        assert!(
            !implied.iter().any(|t| t.starts_with("option `a`")),
            "{implied:#?}"
        );
    }

    #[test]
    fn a_service_run_elsewhere_covers_its_profile_not_its_implications() {
        let files = [
            (
                "services/s.yaml",
                "name: s
implies: {service:t: {}}
deployment_profiles:
  default: {mode: managed, runtime: docker}
  ext: {mode: external, runtime: docker}
",
            ),
            (
                "services/t.yaml",
                "name: t
",
            ),
        ];
        let r = Registry::new(Store::memory(
            files.iter().map(|(p, t)| (p.to_string(), t.to_string())),
        ));
        let text = "services: {standalone: [{name: s, profile: ext}]}
";
        let m = Manifest::from_text("hsm.yaml", Path::new("/p"), text).unwrap();
        let Outcome::Solved(stack) = solve(&m, &r).unwrap() else {
            panic!("solves");
        };
        let mut marks = Marks::default();
        marks.solved(&r, &stack);
        let left: Vec<String> = Coverage::of(Inventory::of(&r), &marks)
            .uncovered
            .into_iter()
            .map(|r| r.text)
            .collect();
        assert_eq!(
            left,
            [
                "service `s` implies service `t`",
                "deployment profile `default` of service `s`",
                "service `t`",
            ],
            "{left:#?}"
        );
    }

    #[test]
    fn only_the_picked_version_and_its_rules_are_covered() {
        let left = uncovered(&["libraries: {standalone: [a]}\n"]);
        assert_eq!(
            left,
            [
                "version 1.0.0 of library `b`",
                "library `p`",
                "library `p` implies library group `g` (its default option)",
                "default `a` of library group `g`",
                "option `a` of library group `g`",
                "option `b` of library group `g`",
            ],
            "{left:#?}"
        );
    }
}
