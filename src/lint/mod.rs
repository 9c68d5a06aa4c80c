//! `hsm registry lint`: what a registry maintainer should know before anyone uses the
//! registry, found by reading all of it.
//!
//! A solve reads only the files it reaches, so a broken file, a rule pointing at nothing or
//! an option that can never be chosen stays hidden until some project trips over it. Lint
//! reads every file and runs each check on everything that loaded, so one broken file
//! never hides the problems of the others. The result is plain data ([`Report`]: a list of
//! [`Finding`]s, each with a severity, a stable [`LintKind`], a message, the rule's
//! `file:line` and a fix); the CLI prints it as text or JSON.
//!
//! The checks, in the order they run (findings are reported sorted by file and line, and a
//! problem found twice — say a dangling rule that a solve also trips over — once):
//!
//! | kind                 | severity | what |
//! |----------------------|----------|------|
//! | `broken-file`        | error    | a file that does not load (YAML, unknown keys, bad versions or rules) |
//! | `name-mismatch`      | error    | a file whose `name:` differs from its file name |
//! | `bad-default`        | error    | a group `default` that is not one of its options |
//! | `duplicate-name`     | warning  | a library and a service (or a library group and a service group) with one name; `x.yaml` and `x.yml` side by side |
//! | `dangling-reference` | error    | `implies`, `requires`, `conflicts` or a group option naming something that does not exist |
//! | `invalid-rule`       | error    | any other rule a solve would reject (a range on an unversioned component, …) |
//! | `unselectable`       | error    | a component or option that no stack can hold: selected alone, there is no stack |
//! | `group-clash`        | error    | a component or option whose implications demand two options of one 1-of-N group |
//! | `dead-option`        | error    | an option whose component can never be in a stack |
//! | `dead-version`       | warning  | a version of a component that no stack can use |
//! | `implication-cycle`  | warning  | rules that bring each other round in a circle |
//! | `missing-source`     | error (prod) / warning (dev) | a component without a usable source for a mode it may run in |
//!
//! "Selected alone" is literal: lint writes an hsm.yaml that selects just that option (or
//! lists just that component) and solves it. Since adding selections to hsm.yaml only adds
//! rules, an option that fails alone fails in every stack.

//!
//! # Cost
//!
//! Lint reads the whole registry, so it is built to scale with it: the checks of one entry
//! (load, references, compile, solve alone, sources) run together, entries run on every
//! core (rayon), in an order that uses each loaded file while it is cached (`schedule.rs`),
//! and the registry's cache is emptied between two batches of [`BATCH`] entries once it
//! holds [`KEEP`] files (but for what the next batch needs), so memory is bounded by that
//! and the findings, not by the registry. The cycle check keeps only
//! which node brings which (no rule text, no file); the few entries on a cycle are read
//! again to put the cycle into words. Each finding carries its place in the order the checks
//! would run one after the other ([`Order`]): of a problem found twice the first is kept,
//! then findings are sorted, so the report does not depend on which core ran what.

use rustc_hash::FxHashSet as HashSet;
use std::path::Path;
use std::sync::Arc;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use rayon::prelude::*;

use crate::error::{Error, ErrorKind};
use crate::manifest::{Manifest, Mode, Question};
use crate::registry::model::{ProfileMode, Runtime, SourceType, Sources, VersionEntry};
use crate::registry::rules::Definition;
use crate::registry::{Category, Component, Group, Implication, ImplyTarget, Kind, Registry};

use crate::solve::graph::{self, ImplicationGraph, Node, Rule, Sink};
use crate::solve::{Clash, Conflict, Feasible, Picked, Reason};
use crate::source::{KeyPath, Origin, SourceFile};

mod finding;
mod schedule;

pub use finding::{Finding, LintKind, Report, Severity};

/// How the hsm.yaml that lint writes to solve one option alone is named (its own rules are
/// left out of explanations).
const LINT_MANIFEST: &str = "<lint>/hsm.yaml";

/// How many entries are checked in parallel at a time (between two looks at the cache).
/// Small in tests, so that small registries run in several batches.
const BATCH: usize = if cfg!(test) { 16 } else { 4096 };

/// How many loaded files the registry's cache may hold after a batch before lint empties
/// it (but for what the next batch starts with, see `schedule.rs`). The schedule checks
/// what a batch loads in the next one, so a few batches' worth is enough: 40,000 read no
/// fewer files at 100k and peaked at 320 MiB instead of 200. About 5 KiB each.
const KEEP: usize = if cfg!(test) { 24 } else { 12_000 };

/// The checks, in the order they would run one after the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Check {
    Load,
    Duplicates,
    References,
    Compile,
    Solve,
    Cycles,
    Sources,
}

/// Where a finding comes in the sequential order: its check, its entry (the registry's
/// entries in category and name order), and its rank among that entry's findings.
type Order = (Check, usize, usize);

/// One file of the registry, by category and name.
type Entry<'a> = (Category, &'a str);

/// Lint every file of `registry`. `root` is the project directory the solves pretend to run
/// in (it only matters for paths in messages).
pub fn lint(registry: &Registry, root: &Path) -> Report {
    let mut found: Vec<(Order, Finding)> = Vec::new();
    // The four folders are listed at once, one per core, and each listing is kept as the
    // registry's (what the did-you-means and the duplicate check read), not listed again.
    let listed: Vec<Vec<(String, String)>> = Category::ALL
        .par_iter()
        .map(|&category| registry.store().entries(category))
        .collect();
    let files = listed.iter().map(Vec::len).sum();
    let mut lists = Vec::with_capacity(listed.len());
    let mut first = 0;
    for (category, listed) in Category::ALL.into_iter().zip(listed) {
        for pair in listed.windows(2) {
            if pair[0].0 == pair[1].0
                && let Some(f) = twin_files(registry, category, &pair[0].0)
            {
                found.push(((Check::Load, first, found.len()), f));
            }
        }
        let mut names: Vec<String> = listed.into_iter().map(|(n, _)| n).collect();
        names.dedup();
        first += names.len();
        lists.push((category, registry.listed(category, names)));
    }
    let entries: Vec<Entry> = lists
        .iter()
        .flat_map(|(category, names)| names.iter().map(|n| (*category, n.as_str())))
        .collect();
    let empty =
        Manifest::from_text(LINT_MANIFEST, root, "project: {name: lint}\n".to_string()).ok();
    let split = entries
        .iter()
        .position(|(c, _)| c.holds_groups())
        .unwrap_or(entries.len());
    let ids: Ids = entries
        .iter()
        .enumerate()
        .map(|(i, &entry)| (entry, i))
        .collect();
    let ctx = Ctx {
        registry,
        root,
        empty: empty.as_ref(),
        ids: &ids,
    };
    let mut brings: Vec<(NodeId, NodeId)> = Vec::new();

    // What every check found joins the report (see `schedule` for the order they run in).
    schedule::run(
        registry,
        &entries,
        &ids,
        split,
        |i, entry| ctx.component(i, entry),
        |i, entry, dead, file| ctx.group(i, entry, dead, file),
        |c| {
            found.extend(c.found);
            brings.extend(c.brings);
        },
    );
    for (i, f) in duplicate_names(registry).into_iter().enumerate() {
        found.push(((Check::Duplicates, 0, i), f));
    }
    for (i, f) in cycles(registry, &entries, &Brings::of(&brings))
        .into_iter()
        .enumerate()
    {
        found.push(((Check::Cycles, 0, i), f));
    }

    // Of a problem found twice, the one found first in the sequential order.
    found.sort_by_key(|(order, _)| *order);
    let mut seen: HashSet<(String, String)> = HashSet::default();
    let mut findings: Vec<Finding> = found
        .into_iter()
        .map(|(_, f)| f)
        .filter(|f| seen.insert((f.location().unwrap_or_default(), f.message.clone())))
        .collect();
    findings.sort_by_cached_key(Finding::sort_key);
    Report {
        registry: registry.store().display().to_string(),
        files,
        findings,
    }
}

/// What the checks of one entry found.
#[derive(Default)]
struct Checked {
    found: Vec<(Order, Finding)>,
    /// The component, when no stack can hold it.
    dead: Option<(Kind, String)>,
    /// The entry's rules that bring something, for the cycle check.
    brings: Vec<(NodeId, NodeId)>,
}

/// What every entry's checks share.
struct Ctx<'a> {
    registry: &'a Registry,
    root: &'a Path,
    /// An hsm.yaml that selects nothing, to compile rules against.
    empty: Option<&'a Manifest>,
    /// Each entry's index, by category and name.
    ids: &'a Ids<'a>,
}

/// Each entry's index in the registry's order, by category and name.
type Ids<'a> = rustc_hash::FxHashMap<Entry<'a>, usize>;

/// A node of the brings graph, numbered by entry: a component is its entry's index, an
/// option its group's entry index with a number for the option (never 0) in the low 32
/// bits. Numbers, not names: the workers number the nodes as they find the edges. At 100k
/// the workers copied 440,000 pairs of names, and the main thread hashed them all, while
/// the workers waited.
pub(super) type NodeId = u64;

/// The entry of `id`, and the option's number in its group (0 for a component).
pub(super) fn entry_of(id: NodeId) -> (usize, u32) {
    let entry = usize::try_from(id >> 32).unwrap_or(usize::MAX);
    (entry, (id & u64::from(u32::MAX)) as u32)
}

fn node_id(entry: usize, place: u32) -> NodeId {
    (entry as u64) << 32 | u64::from(place)
}

/// The checks of one entry, collecting its findings in order.
struct Checker<'a> {
    registry: &'a Registry,
    root: &'a Path,
    empty: Option<&'a Manifest>,
    entry: usize,
    out: Checked,
}

/// The kind of a finding for an error met while loading a file.
fn load_kind(err: &Error) -> LintKind {
    match err.kind {
        ErrorKind::NameMismatch => LintKind::NameMismatch,
        // While loading a group file, only its `default` can fail to be an option.
        ErrorKind::NotAnOption => LintKind::BadDefault,
        _ => LintKind::BrokenFile,
    }
}

/// The kind of a finding for an error met while following a rule.
fn rule_kind(err: &Error) -> LintKind {
    match err.kind {
        ErrorKind::MissingTarget | ErrorKind::UnknownName | ErrorKind::NotAnOption => {
            LintKind::DanglingReference
        }
        _ => LintKind::InvalidRule,
    }
}

impl<'a> Ctx<'a> {
    fn checker(&self, entry: usize) -> Checker<'a> {
        Checker {
            registry: self.registry,
            root: self.root,
            empty: self.empty,
            entry,
            out: Checked::default(),
        }
    }

    fn brings_of(&self) -> BringsOf<'a> {
        BringsOf {
            registry: self.registry,
            ids: self.ids,
            edges: Vec::new(),
        }
    }

    /// Every check of a library or service file.
    fn component(&self, entry: usize, (category, name): &Entry) -> Checked {
        let kind = category.kind();
        let mut l = self.checker(entry);
        match self.registry.component(kind, name) {
            Ok(Some(c)) => {
                l.component_references(&c);
                l.compile(std::slice::from_ref(&c), &[]);
                l.solve_component(&c);
                let mut brings = self.brings_of();
                graph::component_edges(self.registry, &c, &mut brings);
                l.out.brings = brings.edges;
                l.sources(&c);
            }
            Ok(None) => {}
            Err(err) => l.push_error(Check::Load, load_kind(&err), err),
        }
        l.out
    }

    /// Every check of a group file; `dead`: the components no stack can hold; `file`: the
    /// group's file, when it was read already.
    fn group(
        &self,
        entry: usize,
        (category, name): &Entry,
        dead: &HashSet<(Kind, String)>,
        file: Option<Arc<SourceFile>>,
    ) -> Checked {
        let kind = category.kind();
        let mut l = self.checker(entry);
        let loaded = match file {
            Some(file) => self.registry.group_in(kind, name, file),
            None => self.registry.group(kind, name),
        };
        match loaded {
            Ok(Some(g)) => {
                l.group_references(&g);
                l.compile(&[], std::slice::from_ref(&g));
                l.solve_options(&g, dead);
                let mut brings = self.brings_of();
                graph::group_edges(self.registry, &g, &mut brings);
                l.out.brings = brings.edges;
            }
            Ok(None) => {}
            Err(err) => l.push_error(Check::Load, load_kind(&err), err),
        }
        l.out
    }
}

/// `x.yaml` and `x.yml` in one folder: only `x.yaml` is ever read.
fn twin_files(registry: &Registry, category: Category, name: &str) -> Option<Finding> {
    let store = registry.store();
    let Ok(Some(yml)) = store.read_ext(category, name, "yml") else {
        return None;
    };
    let yaml = store.display_of(category, name, "yaml");
    Some(
        Finding::new(
            Severity::Warning,
            LintKind::DuplicateName,
            format!(
                "{} is never read: {yaml} defines `{name}` too",
                yml.display()
            ),
            Origin::file_only(&yml),
        )
        .label("ignored file")
        .help(format!(
            "merge the two files into {yaml} and delete this one"
        )),
    )
}

/// One name for two kinds of thing, where hsm.yaml or a rule can name either.
fn duplicate_names(registry: &Registry) -> Vec<Finding> {
    let store = registry.store();
    let pairs = [
        (
            Category::Libraries,
            Category::Services,
            "a library and a service",
            "a bare `{name}` in `requires:` or `conflicts:` is ambiguous (write `library:{name}` or `service:{name}`), and `modes:` and `constraints:` in hsm.yaml apply to both; give one of them another name",
        ),
        (
            Category::LibraryGroups,
            Category::ServiceGroups,
            "a library group and a service group",
            "`hsm group add {name}` always takes the library group; give one of them another name",
        ),
    ];
    let mut out = Vec::new();
    for (a, b, what, help) in pairs {
        let first = registry.names(a);
        for name in registry.names(b).iter() {
            if first.binary_search(name).is_err() {
                continue;
            }
            let Ok(Some(file)) = store.read(b, name) else {
                continue;
            };
            let Ok(Some(other)) = store.read(a, name) else {
                continue;
            };
            out.push(
                Finding::new(
                    Severity::Warning,
                    LintKind::DuplicateName,
                    format!(
                        "`{name}` is both {what} ({} and {})",
                        other.display(),
                        file.display()
                    ),
                    Origin::at_path(&file, KeyPath::root().key("name")),
                )
                .label("name used twice")
                .help(help.replace("{name}", name)),
            );
        }
    }
    out
}

/// An entry's rules that bring something, as pairs of nodes.
struct BringsOf<'a> {
    registry: &'a Registry,
    ids: &'a Ids<'a>,
    edges: Vec<(NodeId, NodeId)>,
}

impl BringsOf<'_> {
    /// A node that is not an entry of the registry (or an option its group does not have)
    /// has no number: it has no rules, so it is on no cycle.
    fn id(&self, node: &Node) -> Option<NodeId> {
        match node {
            Node::Component(kind, name) => {
                let entry = self.ids.get(&(kind.category(), name.as_str()))?;
                Some(node_id(*entry, 0))
            }
            Node::Option {
                kind,
                group,
                option,
            } => {
                let entry = *self.ids.get(&(kind.group_category(), group.as_str()))?;
                // Numbered by the option's component when that is an entry (no look at
                // the group), else after every entry by its place in the group.
                let place = match self.ids.get(&(kind.category(), option.as_str())) {
                    Some(&component) => component + 1,
                    None => {
                        let g = self.registry.group(*kind, group).ok()??;
                        self.ids.len() + 1 + g.option_index(option)?
                    }
                };
                Some(node_id(entry, u32::try_from(place).ok()?))
            }
        }
    }
}

impl Sink for BringsOf<'_> {
    fn edge(&mut self, from: &Node, to: &Node, rule: Rule, _detail: String, _origin: &Origin) {
        if rule.brings()
            && let (Some(from), Some(to)) = (self.id(from), self.id(to))
        {
            self.edges.push((from, to));
        }
    }

    // Errors are found and reported by the other checks.
    fn error(&mut self, _error: Error) {}

    fn wants_detail(&self) -> bool {
        false
    }
}

/// Which node brings which, over the whole registry: nodes numbered densely, no rule kept.
struct Brings {
    nodes: Vec<NodeId>,
    edges: Vec<(u32, u32)>,
}

impl Brings {
    /// Number the nodes of `pairs`, each once, in the order they are met.
    fn of(pairs: &[(NodeId, NodeId)]) -> Brings {
        let mut ids: rustc_hash::FxHashMap<NodeId, u32> = rustc_hash::FxHashMap::default();
        ids.reserve(pairs.len());
        let mut nodes: Vec<NodeId> = Vec::with_capacity(pairs.len());
        let mut edges = Vec::with_capacity(pairs.len());
        for &(a, b) in pairs {
            let [a, b] = [a, b].map(|n| {
                *ids.entry(n).or_insert_with(|| {
                    nodes.push(n);
                    u32::try_from(nodes.len() - 1).unwrap_or(u32::MAX)
                })
            });
            edges.push((a, b));
        }
        Brings { nodes, edges }
    }
}

/// Implication cycles (legal, but usually a mistake): found on the bare graph of which node
/// brings which, then put into words from the rules of the entries on a cycle only.
fn cycles(registry: &Registry, entries: &[Entry], brings: &Brings) -> Vec<Finding> {
    let graph: DiGraph<(), ()> = DiGraph::from_edges(
        brings
            .edges
            .iter()
            .map(|&(a, b)| (NodeIndex::new(a as usize), NodeIndex::new(b as usize))),
    );
    let mut components: Vec<(Kind, String)> = Vec::new();
    let mut groups: Vec<(Kind, String)> = Vec::new();
    for scc in tarjan_scc(&graph) {
        if scc.len() == 1 && !graph.contains_edge(scc[0], scc[0]) {
            continue;
        }
        for n in scc {
            let (entry, place) = entry_of(brings.nodes[n.index()]);
            let Some(&(category, name)) = entries.get(entry) else {
                continue;
            };
            let to = if place == 0 {
                &mut components
            } else {
                &mut groups
            };
            to.push((category.kind(), name.to_string()));
        }
    }
    if components.is_empty() && groups.is_empty() {
        return Vec::new();
    }
    // In the registry's order, so the rules are met as a whole-registry graph meets them.
    components.sort();
    components.dedup();
    groups.sort();
    groups.dedup();
    let graph = ImplicationGraph::of(registry, &components, &groups);
    let mut out = Vec::new();
    for cycle in graph.cycles() {
        let Some(first) = cycle.steps.first() else {
            continue;
        };
        let notes: Vec<String> = cycle
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let from = &cycle.nodes[i];
                let to = &cycle.nodes[(i + 1) % cycle.nodes.len()];
                let text = step.sentence(from, to);
                format!("- {text} ({})", step.origin.short())
            })
            .collect();
        out.push(
            Finding::new(
                Severity::Warning,
                LintKind::ImplicationCycle,
                format!("implication cycle: {}", cycle.path()),
                first.origin.clone(),
            )
            .label("the cycle starts here")
            .help("a cycle is legal (everything on it is selected together) but usually a mistake: drop one of these rules unless the components really need each other")
            .notes(notes),
        );
    }
    out
}

impl Checker<'_> {
    fn push(&mut self, check: Check, finding: Finding) {
        let order = (check, self.entry, self.out.found.len());
        self.out.found.push((order, finding));
    }

    fn push_error(&mut self, check: Check, kind: LintKind, err: Error) {
        self.push(check, Finding::from_error(kind, err));
    }

    /// Every rule's target exists (each rule checked, not just the first of a file).
    fn component_references(&mut self, c: &Component) {
        let registry = self.registry;
        for v in &c.versions {
            for r in &v.requires {
                if let Err(e) = registry.resolve_ref(&r.target, &r.origin) {
                    self.push_error(Check::References, rule_kind(&e), e);
                }
            }
            for r in &v.conflicts {
                if let Err(e) = registry.resolve_ref(&r.target, &r.origin) {
                    self.push_error(Check::References, rule_kind(&e), e);
                }
            }
            for imp in &v.implies {
                self.implication(imp);
            }
        }
    }

    fn group_references(&mut self, g: &Group) {
        let registry = self.registry;
        for opt in &g.options {
            match registry.component(g.kind, &opt.name) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    let e = registry.unknown_component(Some(g.kind), &opt.name, &opt.origin);
                    self.push_error(Check::References, LintKind::DanglingReference, e);
                }
                Err(e) => self.push_error(Check::References, load_kind(&e), e),
            }
            for imp in &opt.implies {
                self.implication(imp);
            }
        }
    }

    fn implication(&mut self, imp: &Implication) {
        let registry = self.registry;
        let at = Check::References;
        match &imp.target {
            ImplyTarget::Component(kind, name) => match registry.component(*kind, name) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    let e = registry.unknown_component(Some(*kind), name, &imp.origin);
                    self.push_error(at, LintKind::DanglingReference, e);
                }
                Err(e) => self.push_error(at, load_kind(&e), e),
            },
            ImplyTarget::Group {
                kind,
                group,
                options,
            } => match registry.group(*kind, group) {
                Ok(Some(g)) => {
                    for o in options.iter().flatten() {
                        if g.option_index(o).is_none() {
                            let e = crate::solve::not_an_option(&g, o, &imp.origin);
                            self.push_error(at, LintKind::DanglingReference, e);
                        }
                    }
                    if let Err(e) =
                        crate::solve::implied_group_shape(&g, options.as_deref(), &imp.origin)
                    {
                        self.push_error(at, LintKind::InvalidRule, e);
                    }
                }
                Ok(None) => {
                    let e = registry.unknown_group(*kind, group, &imp.origin);
                    self.push_error(at, LintKind::DanglingReference, e);
                }
                Err(e) => self.push_error(at, load_kind(&e), e),
            },
        }
    }

    /// Compile every version of the components and every option of the groups as a solve
    /// would, to catch the rule errors the reference checks do not look for.
    fn compile(&mut self, components: &[Arc<Component>], groups: &[Arc<Group>]) {
        let Some(empty) = self.empty else {
            return;
        };
        for e in crate::solve::compile_all(empty, self.registry, components, groups) {
            self.push_error(Check::Compile, rule_kind(&e), e);
        }
    }

    /// Solve the component alone, and each of its older versions alone.
    fn solve_component(&mut self, c: &Component) {
        let subject = format!("`{}`", c.name);
        match self.solve(&Question::Alone(c.kind, &c.name)) {
            Alone::Solved(picked) => {
                let picked = picked
                    .iter()
                    .find(|p| p.kind == c.kind && *p.name == *c.name)
                    .map(|p| p.version_index);
                self.dead_versions(c, picked);
            }
            Alone::Conflict(conflict) => {
                self.out.dead = Some((c.kind, c.name.clone()));
                let f = conflict_finding(
                    &subject,
                    "cannot be in any stack",
                    c.origin(),
                    &conflict,
                    "no stack can hold this",
                );
                self.push(Check::Solve, f.help(format!(
                    "fix one of the rules above; until then, anything that selects or implies `{}` has no stack",
                    c.name
                )));
            }
            Alone::Error(e) => self.push_error(Check::Solve, rule_kind(&e), e),
        }
    }

    /// Solve every option of a group alone.
    fn solve_options(&mut self, g: &Group, dead: &HashSet<(Kind, String)>) {
        for (i, opt) in g.options.iter().enumerate() {
            let subject = format!("option `{}` of choice group `{}`", opt.name, g.name);
            // The option's name (for `{name: x, implies: ...}`), else the list item.
            let at = Origin::at_path(&g.file, KeyPath::root().key("options").index(i).key("name"));
            if dead.contains(&(g.kind, opt.name.clone())) {
                let component = self
                    .registry
                    .component(g.kind, &opt.name)
                    .ok()
                    .flatten()
                    .map(|c| c.origin().short())
                    .unwrap_or_default();
                self.push(
                    Check::Solve,
                    Finding::new(
                        Severity::Error,
                        LintKind::DeadOption,
                        format!(
                            "{subject} is dead: {} `{}` cannot be in any stack",
                            g.kind, opt.name
                        ),
                        at,
                    )
                    .label("dead option")
                    .help(format!(
                        "fix `{}` ({component}, reported there), or remove the option",
                        opt.name
                    )),
                );
                continue;
            }
            if !matches!(self.registry.component(g.kind, &opt.name), Ok(Some(_))) {
                continue; // a dangling option, reported as such
            }
            let question = Question::Option {
                kind: g.kind,
                group: &g.name,
                option: &opt.name,
                strategy: g.strategy,
            };
            match self.solve(&question) {
                Alone::Solved(_) => {}
                Alone::Conflict(conflict) => {
                    let f = conflict_finding(
                        &subject,
                        "cannot be selected on its own",
                        at,
                        &conflict,
                        "selected alone, this has no stack",
                    );
                    self.push(Check::Solve, f.help(format!(
                        "fix one of the rules above, or remove the option: `hsm group add {} --option {}` can never work",
                        g.name, opt.name
                    )));
                }
                Alone::Error(e) => self.push_error(Check::Solve, rule_kind(&e), e),
            }
        }
    }

    /// Versions other than the one a lone solve picked, each pinned by a constraint.
    fn dead_versions(&mut self, c: &Component, picked: Option<usize>) {
        if c.versions.len() < 2 {
            return;
        }
        for (i, v) in c.versions.iter().enumerate() {
            let Some(version) = &v.version else { continue };
            if Some(i) == picked {
                continue;
            }
            let version = version.to_string();
            let question = Question::Pinned {
                kind: c.kind,
                name: &c.name,
                version: &version,
            };
            if let Alone::Conflict(conflict) = self.solve(&question) {
                let subject = format!("version {version} of `{}`", c.name);
                let mut f = conflict_finding(
                    &subject,
                    "can never be in a stack",
                    v.origin.clone(),
                    &conflict,
                    "dead version",
                );
                f.severity = Severity::Warning;
                f.kind = LintKind::DeadVersion;
                self.push(
                    Check::Solve,
                    f.help(format!(
                        "fix the rule above, or drop version {version} from `versions:`"
                    )),
                );
            }
        }
    }

    fn solve(&self, question: &Question<'_>) -> Alone {
        let manifest = Manifest::question(LINT_MANIFEST, self.root, question);
        match crate::solve::solve_versions(&manifest, self.registry) {
            Ok(Feasible::Solved(picked)) => Alone::Solved(picked),
            Ok(Feasible::Conflict(conflict)) => Alone::Conflict(conflict_lines(&conflict)),
            Err(e) => Alone::Error(e),
        }
    }

    /// Each component has a usable source for every mode it may run in.
    fn sources(&mut self, c: &Component) {
        {
            match &c.definition {
                Definition::Service(def) => {
                    // Only services hsm runs in docker or podman need an image or a build.
                    let profiles = &def.deployment_profiles;
                    let docker = !profiles.contains_key("default")
                        || profiles.values().any(|p| {
                            p.mode == ProfileMode::Managed
                                && matches!(p.runtime, Runtime::Docker | Runtime::Podman)
                        });
                    if !docker {
                        return;
                    }
                    for (path, sources) in source_sets(c, &def.sources, &def.versions) {
                        self.service_sources(c, &path, sources);
                    }
                }
                Definition::Library(def) => {
                    for (path, sources) in source_sets(c, &def.sources, &def.versions) {
                        self.library_sources(c, &path, sources);
                    }
                }
            }
        }
    }

    fn service_sources(&mut self, c: &Component, path: &KeyPath, sources: &Sources) {
        if sources.prod.is_none() && sources.dev.is_none() {
            self.push(
                Check::Sources,
                Finding::new(
                    Severity::Error,
                    LintKind::MissingSource,
                    format!("service `{}` has no sources, so it cannot run in docker", c.name),
                    if c.file.span_of(path).is_some() {
                        Origin::at_path(&c.file, path.clone())
                    } else {
                        c.origin()
                    },
                )
                .label("no image or build")
                .help("give it `sources: {prod: {type: docker-image, image: ...}}` (and optionally `dev: {type: build, path: ...}`), or a `default` deployment profile with `mode: external`"),
            );
            return;
        }
        for mode in [Mode::Prod, Mode::Dev] {
            let Some((key, src)) = effective(sources, mode) else {
                continue;
            };
            let severity = match mode {
                Mode::Prod => Severity::Error,
                Mode::Dev => Severity::Warning,
            };
            let at = path.key(key);
            let finding = match src.kind {
                SourceType::Build | SourceType::Local => continue,
                SourceType::DockerImage if src.image.is_some() => continue,
                SourceType::DockerImage => Finding::new(
                    severity,
                    LintKind::MissingSource,
                    format!("the {key} source of service `{}` has no `image`", c.name),
                    Origin::at_path(&c.file, at),
                )
                .label("no image")
                .help("add `image: name:tag` to the source"),
                SourceType::Pypi | SourceType::Git => Finding::new(
                    severity,
                    LintKind::MissingSource,
                    format!("service `{}` has no image or build source for {mode} mode", c.name),
                    Origin::at_path(&c.file, at.key("type")),
                )
                .label("not a docker source")
                .help(match mode {
                    Mode::Prod => "give it `sources: {prod: {type: docker-image, image: ...}}`, or a `default` deployment profile with `mode: external`".to_string(),
                    Mode::Dev => format!("`hsm mode dev {}` would fail to sync: make the dev source `{{type: build, path: ...}}`, or remove it so dev mode uses the prod source", c.name),
                }),
            };
            self.push(Check::Sources, finding);
        }
    }

    fn library_sources(&mut self, c: &Component, path: &KeyPath, sources: &Sources) {
        for mode in [Mode::Prod, Mode::Dev] {
            let Some((key, src)) = effective(sources, mode) else {
                continue;
            };
            let severity = match mode {
                Mode::Prod => Severity::Error,
                Mode::Dev => Severity::Warning,
            };
            let at = path.key(key);
            let finding = match src.kind {
                SourceType::DockerImage => Finding::new(
                    severity,
                    LintKind::MissingSource,
                    format!(
                        "library `{}` has a docker-image source for {mode} mode",
                        c.name
                    ),
                    Origin::at_path(&c.file, at.key("type")),
                )
                .label("not a Python source")
                .help("libraries take pypi, git or local sources"),
                SourceType::Git if src.url.as_deref().is_none_or(str::is_empty) => Finding::new(
                    severity,
                    LintKind::MissingSource,
                    format!(
                        "the {key} source of library `{}` is git but has no `url`",
                        c.name
                    ),
                    Origin::at_path(&c.file, at),
                )
                .label("no url")
                .help("add `url: https://…` (and `tag`, `rev` or `branch`)"),
                _ => continue,
            };
            self.push(Check::Sources, finding);
        }
    }
}

/// "`x` cannot be selected on its own: …", or a group clash of its own kind.
fn conflict_finding(
    subject: &str,
    what: &str,
    origin: Origin,
    conflict: &LoneConflict,
    label: &str,
) -> Finding {
    let (kind, message) = match &conflict.clash {
        Clash::Group { group, options } if options.len() > 1 => (
            LintKind::GroupClash,
            format!(
                "{subject} needs {} options of the 1-of-N choice group `{group}`: {}",
                if options.len() == 2 { "two" } else { "several" },
                crate::vocab::and_list(options.iter().map(|o| format!("`{o}`")))
            ),
        ),
        _ => (
            LintKind::Unselectable,
            format!("{subject} {what}: {}", conflict.summary),
        ),
    };
    Finding::new(Severity::Error, kind, message, origin)
        .label(label)
        .notes(conflict.notes.clone())
}

/// The outcome of solving one hand-written hsm.yaml.
enum Alone {
    /// The components of the stack and their versions.
    Solved(Vec<Picked>),
    Conflict(LoneConflict),
    Error(Error),
}

/// A conflict, in the words a maintainer needs: the clash, and the registry rules behind it
/// (the hand-written hsm.yaml's own lines are left out).
struct LoneConflict {
    clash: Clash,
    summary: String,
    notes: Vec<String>,
}

fn conflict_lines(conflict: &Conflict) -> LoneConflict {
    let own = |r: &Reason| r.because.origin().file().display() == LINT_MANIFEST;
    let mut notes = Vec::new();
    for side in &conflict.sides {
        for r in side.rules.iter().filter(|r| !own(r)) {
            notes.push(format!("- {} ({})", r.text, r.at()));
        }
        for r in side.because.iter().filter(|r| !own(r)) {
            notes.push(format!("    because {} ({})", r.text, r.at()));
        }
    }
    let also = if notes.is_empty() { "- " } else { "- also: " };
    for r in conflict.also.iter().filter(|r| !own(r)) {
        notes.push(format!("{also}{} ({})", r.text, r.at()));
    }
    notes.dedup();
    LoneConflict {
        clash: conflict.clash.clone(),
        summary: conflict.summary.clone(),
        notes,
    }
}

/// The source a mode uses, as the renderers pick it: dev falls back to prod and prod to dev.
/// `None` for dev mode when it would use the same source as prod (checked once, as prod).
fn effective(
    sources: &Sources,
    mode: Mode,
) -> Option<(&'static str, &crate::registry::model::Source)> {
    match mode {
        Mode::Prod => match (&sources.prod, &sources.dev) {
            (Some(p), _) => Some(("prod", p)),
            (None, Some(d)) => Some(("dev", d)),
            (None, None) => None,
        },
        Mode::Dev => match (&sources.prod, &sources.dev) {
            (Some(_), Some(d)) => Some(("dev", d)),
            _ => None,
        },
    }
}

/// The distinct source sets a component's versions use, each with where it is written.
fn source_sets<'c>(
    c: &'c Component,
    top: &Sources,
    entries: &[VersionEntry],
) -> Vec<(KeyPath, &'c Sources)> {
    let mut out: Vec<(KeyPath, &Sources)> = Vec::new();
    for v in &c.versions {
        let path = if v.sources == *top {
            KeyPath::root().key("sources")
        } else {
            match entries
                .iter()
                .position(|e| e.sources.as_ref() == Some(&v.sources))
            {
                Some(i) => KeyPath::root().key("versions").index(i).key("sources"),
                None => KeyPath::root().key("sources"),
            }
        };
        if !out.iter().any(|(p, _)| *p == path) {
            out.push((path, &v.sources));
        }
    }
    out
}

/// For tests and tools: lint a registry held in memory.
pub fn lint_files(files: impl IntoIterator<Item = (String, String)>) -> Report {
    let registry = Registry::new(crate::registry::Store::memory(files));
    lint(&registry, Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn the_empty_manifest_parses() {
        // Lint would compile nothing if it did not (its questions are tested in `manifest`).
        let empty = Manifest::from_text(LINT_MANIFEST, Path::new("."), "project: {name: lint}\n");
        assert!(empty.is_ok());
    }

    #[test]
    fn the_builtin_registry_has_no_finding() {
        let report = lint(&Registry::builtin(), Path::new("."));
        let found: Vec<String> = report.findings.iter().map(|f| f.message.clone()).collect();
        assert!(found.is_empty(), "{found:#?}");
        assert!(report.files > 60);
    }

    #[test]
    fn rule_errors_only_the_solver_checks_are_findings() {
        // A range on an unversioned component: the target exists, so it is not dangling.
        let report = lint_files(files(&[
            ("libraries/plain.yaml", "name: plain\n"),
            (
                "libraries/ranged.yaml",
                "name: ranged\nrequires: {plain: \">=1\"}\n",
            ),
        ]));
        let kinds: Vec<LintKind> = report.findings.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [LintKind::InvalidRule]);
        assert_eq!(
            report.findings[0].location().as_deref(),
            Some("<memory>/libraries/ranged.yaml:2:12")
        );
    }

    #[test]
    fn the_version_a_lone_solve_picks_is_the_components_own() {
        // `zapp` brings `base`, which sorts first in the solution; `zapp` 1.0.0 is dead.
        let report = lint_files(files(&[
            (
                "libraries/zapp.yaml",
                "name: zapp\nversion: 2.0.0\nimplies: {library:base: {}}\nversions:\n  - version: 2.0.0\n  - version: 1.0.0\n    requires: {base: \">=9\"}\n",
            ),
            ("libraries/base.yaml", "name: base\nversion: 1.0.0\n"),
        ]));
        let found: Vec<(LintKind, Option<String>)> = report
            .findings
            .iter()
            .map(|f| (f.kind, f.location()))
            .collect();
        assert_eq!(
            found,
            [(
                LintKind::DeadVersion,
                Some("<memory>/libraries/zapp.yaml:6:5".to_string())
            )]
        );
    }

    #[test]
    fn a_problem_found_twice_is_reported_once() {
        // The dangling implication is met by the reference scan, by compiling `a`, and by
        // solving `a` alone (and the option `a` alone).
        let report = lint_files(files(&[
            ("libraries/a.yaml", "name: a\nimplies: {library:b: {}}\n"),
            (
                "library_groups/g.yaml",
                "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: [a]\n",
            ),
        ]));
        assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
        assert_eq!(report.findings[0].kind, LintKind::DanglingReference);
        assert_eq!(report.errors(), 1);
        assert_eq!(report.warnings(), 0);
    }

    /// A registry with every kind of finding, several of each, some found twice and some
    /// on cycles that cross batches.
    fn many_findings() -> Vec<(String, String)> {
        let n = 120;
        let mut out = Vec::new();
        for i in 0..n {
            let text = match i % 6 {
                0 => format!("name: l{i:03}\nimplies: {{library:l{:03}: {{}}}}\n", i + 1),
                1 => format!("name: l{i:03}\nimplies: {{library:l{:03}: {{}}}}\n", i - 1),
                2 => format!("name: l{i:03}\nimplies: {{library:missing{i:03}: {{}}}}\n"),
                3 => format!(
                    "name: l{i:03}\nversion: 1.0.0\nrequires: {{l{:03}: \">=1\"}}\n",
                    i - 3
                ),
                4 => format!(
                    "name: l{i:03}\nconflicts: [l{0:03}]\nimplies: {{library:l{0:03}: {{}}}}\n",
                    i + 1
                ),
                _ => format!("name: l{i:03}\nsources:\n  prod: {{type: docker-image, image: x}}\n"),
            };
            out.push((format!("libraries/l{i:03}.yaml"), text));
        }
        for j in 0..n / 6 {
            out.push((
                format!("library_groups/g{j:03}.yaml"),
                format!(
                    "name: g{j:03}\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - l{:03}\n  - l{:03}\n  - nosuch{j:03}\n",
                    6 * j + 4,
                    6 * j + 5
                ),
            ));
        }
        for s in 0..8 {
            out.push((format!("services/s{s}.yaml"), format!("name: s{s}\n")));
        }
        out.push(("services/l005.yaml".into(), "name: l005\n".into()));
        out.push(("libraries/l007.yml".into(), "name: l007\n".into()));
        out.push(("libraries/broken.yaml".into(), "name: [\n".into()));
        out.push(("libraries/wrong.yaml".into(), "name: other\n".into()));
        out
    }

    #[test]
    fn findings_do_not_depend_on_how_many_cores_ran_the_checks() {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            let report = pool.install(|| lint_files(many_findings()));
            report
                .findings
                .iter()
                .map(|f| f.to_json().to_string())
                .collect::<Vec<_>>()
        };
        let one = run(1);
        // Every kind of check found something, so each took part in the comparison.
        for kind in [
            "broken-file",
            "name-mismatch",
            "duplicate-name",
            "dangling-reference",
            "invalid-rule",
            "unselectable",
            "dead-option",
            "implication-cycle",
            "missing-source",
        ] {
            assert!(
                one.iter()
                    .any(|f| f.contains(&format!("\"kind\":\"{kind}\""))),
                "no {kind} finding"
            );
        }
        assert_eq!(one.len(), 152, "{one:#?}");
        for threads in [2, 3, 8] {
            assert_eq!(run(threads), one, "{threads} threads");
        }
    }

    #[test]
    fn a_cycle_is_told_in_the_words_of_the_whole_graph() {
        // `a` and `b` bring each other; `c` only points into the cycle.
        let report = lint_files(files(&[
            ("libraries/a.yaml", "name: a\nimplies: {library:b: {}}\n"),
            ("libraries/b.yaml", "name: b\nimplies: {library:a: {}}\n"),
            ("libraries/c.yaml", "name: c\nimplies: {library:a: {}}\n"),
        ]));
        let cycles: Vec<(&str, &[String])> = report
            .findings
            .iter()
            .filter(|f| f.kind == LintKind::ImplicationCycle)
            .map(|f| (f.message.as_str(), f.notes.as_slice()))
            .collect();
        assert_eq!(
            cycles,
            [(
                "implication cycle: library:a → library:b → library:a",
                &[
                    "- library:a implies library:b (<memory>/libraries/a.yaml:2)".to_string(),
                    "- library:b implies library:a (<memory>/libraries/b.yaml:2)".to_string(),
                ][..]
            )]
        );
    }

    /// The brings graph numbers an option by its component; an option that names no
    /// component is numbered by its place, and a cycle through it is still found.
    #[test]
    fn a_cycle_through_an_option_that_is_no_component_is_found() {
        let report = lint_files(files(&[
            (
                "libraries/a.yaml",
                "name: a\nimplies:\n  library_group:g: [ghost]\n",
            ),
            (
                "library_groups/g.yaml",
                "name: g\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - name: ghost\n    implies: {library:a: {}}\n  - name: a\n",
            ),
        ]));
        let cycles: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.kind == LintKind::ImplicationCycle)
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(
            cycles,
            ["implication cycle: library:a → library_group:g/ghost → library:a"]
        );
    }
}
