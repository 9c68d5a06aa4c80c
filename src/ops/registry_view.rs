//! Browse the registry: `hsm registry list`, `search QUERY` and `show NAME`, read-only.
//!
//! They read every file (a registry is browsed, not solved). The registry is found like
//! every command's, but a broken hsm.yaml does not stop a browse.
//!
//! `list` and `search` read files on every core, past the cache, and keep of each entry
//! only what they print ([`Listed`], [`ListedGroup`]): memory follows the output, not the
//! registry's text. Of a library or service they read only its head (name, description,
//! versions: [`crate::registry::Head`]), not its rules; a file whose head does not load
//! is listed as [`Entry::Broken`], and `hsm registry lint` checks every rule. `show` loads
//! the whole file.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::Workspace;
use crate::error::{Error, ErrorKind};
use crate::registry::refs::{Reference, Target, references};
use crate::registry::rules::{Component, Definition};
use crate::registry::{Category, Group, GroupHead, Head, Registry, words};
use crate::source::{Origin, did_you_mean_hint};

/// One entry of the registry, as a listing shows it.
#[derive(Debug)]
pub enum Entry {
    Component(Listed),
    Group(ListedGroup),
    /// A file that does not load.
    Broken {
        name: String,
        error: Error,
    },
}

/// What a listing shows of a library or service.
#[derive(Debug)]
pub struct Listed {
    pub name: String,
    /// The newest version, if it declares any.
    pub version: Option<String>,
    pub description: Option<String>,
    /// The file, as messages name it.
    pub file: String,
}

impl Listed {
    fn of(h: Head) -> Listed {
        Listed {
            name: h.name,
            version: h.newest.as_ref().map(ToString::to_string),
            description: h.description,
            file: h.file.display().to_string(),
        }
    }
}

/// What a listing shows of a choice group.
#[derive(Debug)]
pub struct ListedGroup {
    pub name: String,
    pub strategy: crate::vocab::Strategy,
    pub description: Option<String>,
    pub comment: Option<String>,
    /// The options' names.
    pub options: Vec<String>,
    pub file: String,
}

impl ListedGroup {
    fn of(g: GroupHead) -> ListedGroup {
        ListedGroup {
            name: g.name,
            strategy: g.strategy,
            description: g.description,
            comment: g.comment,
            options: g.options.into_iter().map(|o| o.name).collect(),
            file: g.file.display().to_string(),
        }
    }
}

/// `f` of every entry of `category` that exists, in name order, loaded on every core: a
/// file that does not load is [`Skimmed::Broken`].
fn browse<T: Send>(
    registry: &Registry,
    category: Category,
    f: impl Fn(Skimmed) -> Option<T> + Sync,
) -> Vec<T> {
    // Files are read past the cache and dropped by the thread that read them: nothing
    // browsed is needed again, and memory follows what is kept.
    let names = registry.names(category);
    let found: Vec<Option<T>> = names
        .par_iter()
        .map(|name| browse_one(registry, category, name).and_then(&f))
        .collect();
    found.into_iter().flatten().collect()
}

/// List the four folders at once, each on a core: a listing is one thread's work, and at
/// 100k entries the four one after the other were a tenth of `list`'s time.
fn list_folders(registry: &Registry) {
    use rayon::prelude::*;
    Category::ALL.par_iter().for_each(|c| {
        registry.names(*c);
    });
}

/// Which registry was browsed.
#[derive(Debug, Clone)]
pub struct Browsed {
    /// How the registry is named in messages.
    pub display: String,
    /// The built-in registry (it has no directory).
    pub builtin: bool,
}

impl Browsed {
    fn of(registry: &Registry) -> Browsed {
        Browsed {
            display: registry.store().display().to_string(),
            builtin: registry.store().root().is_none(),
        }
    }
}

/// Every entry of the registry, by category.
#[derive(Debug)]
pub struct Listing {
    pub registry: Browsed,
    pub sections: Vec<(Category, Vec<Entry>)>,
    /// The registry with its folders' listings, handed back so that a caller about to
    /// exit can skip freeing it (see [`Linted`](super::registry_check::Linted)).
    pub browsed: Registry,
}

/// A search hit and, for a group found by its options only, those options.
#[derive(Debug)]
pub struct Found {
    pub entry: Entry,
    pub options: Vec<String>,
}

/// The entries matching a query, by category.
#[derive(Debug)]
pub struct Search {
    pub registry: Browsed,
    pub sections: Vec<(Category, Vec<Found>)>,
    /// As [`Listing::browsed`].
    pub browsed: Registry,
}

impl Search {
    pub fn total(&self) -> usize {
        self.sections.iter().map(|(_, f)| f.len()).sum()
    }
}

/// A rule in words, the versions it applies to (empty: all) and where it is.
#[derive(Debug, Clone)]
pub struct Rule {
    pub text: String,
    pub versions: Vec<String>,
    pub at: String,
}

/// One entry `show` found, with its rules and what points at it.
#[derive(Debug)]
pub enum Shown {
    Component {
        component: Arc<Component>,
        /// `key: value` facts, in display order (the file and versions first).
        facts: Vec<(&'static str, String)>,
        rules: Vec<Rule>,
        referenced_by: Vec<Reference>,
    },
    Group {
        group: Arc<Group>,
        referenced_by: Vec<Reference>,
    },
}

/// Every entry named NAME (a library, a service and groups may share it).
#[derive(Debug)]
pub struct Show {
    pub registry: Browsed,
    pub entries: Vec<Shown>,
}

/// A registry file, loaded.
enum Loaded {
    Component(Arc<Component>),
    Group(Arc<Group>),
    Broken(Error),
}

/// A registry file as browsing reads it: its head only.
enum Skimmed {
    Component(Head),
    Group(GroupHead),
    Broken { name: String, error: Error },
}

impl Skimmed {
    /// What a listing keeps of it.
    fn listed(self) -> Entry {
        match self {
            Skimmed::Component(h) => Entry::Component(Listed::of(h)),
            Skimmed::Group(g) => Entry::Group(ListedGroup::of(g)),
            Skimmed::Broken { name, error } => Entry::Broken { name, error },
        }
    }
}

/// Read `name` of `category` for a listing (see [`Head`]).
fn browse_one(registry: &Registry, category: Category, name: &str) -> Option<Skimmed> {
    let kind = category.kind();
    let read = if category.holds_groups() {
        registry
            .read_group_head(kind, name)
            .map(|g| g.map(Skimmed::Group))
    } else {
        registry
            .read_head(kind, name)
            .map(|h| h.map(Skimmed::Component))
    };
    match read {
        Ok(e) => e,
        Err(error) => Some(Skimmed::Broken {
            name: name.to_string(),
            error,
        }),
    }
}

fn load(registry: &Registry, category: Category, name: &str) -> Option<Loaded> {
    let kind = category.kind();
    let loaded = if category.holds_groups() {
        registry.group(kind, name).map(|g| g.map(Loaded::Group))
    } else {
        registry
            .component(kind, name)
            .map(|c| c.map(Loaded::Component))
    };
    match loaded {
        Ok(e) => e,
        Err(error) => Some(Loaded::Broken(error)),
    }
}

/// `hsm registry list`: every entry, by kind.
pub fn list(ws: &Workspace) -> Result<Listing, Error> {
    let registry = ws.registry_anywhere()?.unchanging();
    list_folders(&registry);
    let sections = Category::ALL
        .iter()
        .map(|cat| (*cat, browse(&registry, *cat, |l| Some(l.listed()))))
        .collect();
    Ok(Listing {
        registry: Browsed::of(&registry),
        sections,
        browsed: registry,
    })
}

/// `hsm registry search QUERY`: names and descriptions containing QUERY (any case); a
/// group also by its options' names and descriptions.
pub fn search(ws: &Workspace, query: &str) -> Result<Search, Error> {
    let registry = ws.registry_anywhere()?.unchanging();
    list_folders(&registry);
    let q = query.to_lowercase();
    let hit = |s: &str| s.to_lowercase().contains(&q);
    let hit_opt = |s: &Option<String>| s.as_deref().is_some_and(hit);
    let mut sections = Vec::new();
    for cat in Category::ALL {
        let found = browse(&registry, cat, |entry| {
            // For groups, the options that match (when the group itself does not).
            let matched: Option<Vec<String>> = match &entry {
                Skimmed::Component(c) => (hit(&c.name) || hit_opt(&c.description)).then(Vec::new),
                Skimmed::Group(g) => {
                    if hit(&g.name) || hit_opt(&g.description) || hit_opt(&g.comment) {
                        Some(Vec::new())
                    } else {
                        let options: Vec<String> = g
                            .options
                            .iter()
                            .filter(|o| hit(&o.name) || hit_opt(&o.description))
                            .map(|o| o.name.clone())
                            .collect();
                        (!options.is_empty()).then_some(options)
                    }
                }
                Skimmed::Broken { name, .. } => hit(name).then(Vec::new),
            };
            matched.map(|options| Found {
                entry: entry.listed(),
                options,
            })
        });
        sections.push((cat, found));
    }
    Ok(Search {
        registry: Browsed::of(&registry),
        sections,
        browsed: registry,
    })
}

/// `hsm registry show NAME`: every entry named NAME, its rules in words, and the rules
/// elsewhere that point at it.
pub fn show(ws: &Workspace, name: &str) -> Result<Show, Error> {
    let registry = ws.registry_anywhere()?;
    if !crate::vocab::is_valid_name(name) {
        return Err(not_found(&registry, name));
    }
    let mut entries = Vec::new();
    for cat in Category::ALL {
        if registry.store().read(cat, name)?.is_none() {
            continue;
        }
        match load(&registry, cat, name) {
            Some(Loaded::Broken(error)) => return Err(error),
            Some(Loaded::Component(c)) => {
                let target = Target::Component(c.kind, c.name.clone());
                entries.push(Shown::Component {
                    facts: facts(&c),
                    rules: rules(&c),
                    referenced_by: references(&registry, &target).0,
                    component: c,
                });
            }
            Some(Loaded::Group(g)) => {
                let target = Target::Group(g.kind, g.name.clone());
                entries.push(Shown::Group {
                    referenced_by: references(&registry, &target).0,
                    group: g,
                });
            }
            None => {}
        }
    }
    if entries.is_empty() {
        return Err(not_found(&registry, name));
    }
    Ok(Show {
        registry: Browsed::of(&registry),
        entries,
    })
}

fn not_found(registry: &Registry, name: &str) -> Error {
    let all: Vec<String> = Category::ALL
        .iter()
        .flat_map(|c| registry.store().list(*c))
        .collect();
    Error::new(
        ErrorKind::UnknownName,
        format!(
            "nothing named `{name}` in the registry ({})",
            registry.store().display()
        ),
    )
    .with_help(did_you_mean_hint(name, &all).unwrap_or_else(|| {
        "`hsm registry list` shows every entry; `hsm registry search` finds by word".into()
    }))
}

/// The rules of every version; a rule shared by all versions is listed once.
fn rules(c: &Component) -> Vec<Rule> {
    let mut by_rule: BTreeMap<(usize, String), Rule> = BTreeMap::new();
    let all = c.versions.iter().filter(|v| v.version.is_some()).count();
    for v in c.versions.iter().rev() {
        let version = v.version.as_ref().map(ToString::to_string);
        let mut add = |text: String, origin: &Origin| {
            let key = (origin.line(), text.clone());
            let rule = by_rule.entry(key).or_insert_with(|| Rule {
                text,
                versions: Vec::new(),
                at: origin.short(),
            });
            if let Some(v) = &version
                && !rule.versions.contains(v)
            {
                rule.versions.push(v.clone());
            }
        };
        for r in &v.requires {
            add(
                format!("requires {} {}", words::reference(&r.target), r.text),
                &r.origin,
            );
        }
        for r in &v.conflicts {
            add(
                format!("conflicts with {}", words::reference(&r.target)),
                &r.origin,
            );
        }
        for i in &v.implies {
            add(words::implication(i), &i.origin);
        }
    }
    by_rule
        .into_values()
        .map(|mut r| {
            if r.versions.len() == all {
                r.versions.clear();
            }
            r
        })
        .collect()
}

/// `key: value` facts about a component, in display order.
fn facts(c: &Component) -> Vec<(&'static str, String)> {
    let mut out = vec![("file", c.file.display().to_string())];
    out.push(("versions", c.version_list()));
    let package = match &c.definition {
        Definition::Library(l) => l.package.clone().unwrap_or_else(|| c.name.clone()),
        Definition::Service(_) => c.name.clone(),
    };
    if let Definition::Library(l) = &c.definition
        && let Some(p) = &l.package
    {
        out.push(("package", p.clone()));
    }
    if let Some(newest) = c.versions.last() {
        for (mode, src) in [("prod", &newest.sources.prod), ("dev", &newest.sources.dev)] {
            if let Some(s) = src {
                out.push((mode, words::source(s, &package)));
            }
        }
        let differ: Vec<String> = c
            .versions
            .iter()
            .rev()
            .skip(1)
            .filter(|v| v.sources != newest.sources)
            .filter_map(|v| v.version.as_ref().map(ToString::to_string))
            .collect();
        if !differ.is_empty() {
            out.push((
                "note",
                format!(
                    "the sources above are {}'s; {} {}",
                    newest
                        .version
                        .as_ref()
                        .map_or_else(|| "the newest".to_string(), ToString::to_string),
                    differ.join(", "),
                    if differ.len() == 1 {
                        "has its own"
                    } else {
                        "have their own"
                    }
                ),
            ));
        }
    }
    if let Definition::Service(s) = &c.definition {
        if !s.ports.is_empty() {
            out.push((
                "ports",
                s.ports
                    .iter()
                    .map(|p| p.0.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        if !s.deployment_profiles.is_empty() {
            let profiles: Vec<String> = s
                .deployment_profiles
                .iter()
                .map(|(name, p)| format!("{name} ({}, {})", plain(&p.mode), plain(&p.runtime)))
                .collect();
            out.push(("profiles", profiles.join(", ")));
        }
    }
    out
}

/// A unit enum as its serialized word.
fn plain<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
