//! `hsm registry list`, `search QUERY` and `show NAME`: what the registry holds, read-only.
//! They read every file (a registry is browsed, not solved); a file that does not load is
//! listed as such, and `hsm registry lint` explains it.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{Value, json};

use super::Format;
use super::output::outln;
use crate::error::{Error, ErrorKind};
use crate::ops::Workspace;
use crate::registry::model::{Source, SourceType};
use crate::registry::refs::{Reference, Target, references};
use crate::registry::rules::{Component, Definition, Implication, ImplyTarget, Ref};
use crate::registry::{Category, Group, Kind, Registry};
use crate::source::did_you_mean_hint;

/// The registry for reading: like every command's, but a broken hsm.yaml does not stop a
/// browse (`hsm registry lint` does the same).
fn registry(ctx: &Workspace) -> Result<Registry, Error> {
    let manifest = ctx.manifest().ok();
    ctx.registry(manifest.as_ref())
}

/// One entry of a listing.
enum Entry {
    Component(Arc<Component>),
    Group(Arc<Group>),
    Broken { name: String, error: Error },
}

const SECTIONS: [(Category, &str, &str); 4] = [
    (Category::Libraries, "libraries", "libraries"),
    (Category::Services, "services", "services"),
    (Category::LibraryGroups, "library groups", "library_groups"),
    (Category::ServiceGroups, "service groups", "service_groups"),
];

fn load(registry: &Registry, category: Category, name: &str) -> Option<Entry> {
    let loaded = match category {
        Category::Libraries => registry
            .component(Kind::Library, name)
            .map(|c| c.map(Entry::Component)),
        Category::Services => registry
            .component(Kind::Service, name)
            .map(|c| c.map(Entry::Component)),
        Category::LibraryGroups => registry
            .group(Kind::Library, name)
            .map(|g| g.map(Entry::Group)),
        Category::ServiceGroups => registry
            .group(Kind::Service, name)
            .map(|g| g.map(Entry::Group)),
    };
    match loaded {
        Ok(e) => e,
        Err(error) => Some(Entry::Broken {
            name: name.to_string(),
            error,
        }),
    }
}

fn newest(c: &Component) -> Option<String> {
    c.versions
        .last()
        .and_then(|v| v.version.as_ref())
        .map(ToString::to_string)
}

/// One line of a listing: `name version — description`, `group (1-of-N): a, b`.
fn line(e: &Entry) -> String {
    match e {
        Entry::Component(c) => {
            let mut s = c.name.clone();
            if let Some(v) = newest(c) {
                s.push(' ');
                s.push_str(&v);
            }
            if let Some(d) = &c.description {
                s.push_str(" — ");
                s.push_str(d);
            }
            s
        }
        Entry::Group(g) => {
            let options: Vec<&str> = g.option_names().collect();
            let mut s = format!("{} ({})", g.name, g.strategy);
            if options.is_empty() {
                s.push_str(": no options");
            } else {
                s.push_str(": ");
                s.push_str(&options.join(", "));
            }
            s
        }
        Entry::Broken { name, .. } => {
            format!("{name} (does not load: `hsm registry lint` says why)")
        }
    }
}

fn entry_json(e: &Entry) -> Value {
    match e {
        Entry::Component(c) => json!({
            "name": c.name,
            "version": newest(c),
            "description": c.description,
            "file": c.file.display(),
        }),
        Entry::Group(g) => json!({
            "name": g.name,
            "strategy": g.strategy,
            "description": g.description,
            "comment": g.comment,
            "options": g.option_names().collect::<Vec<_>>(),
            "file": g.file.display(),
        }),
        Entry::Broken { name, error } => json!({
            "name": name,
            "error": error.to_json(),
        }),
    }
}

/// `hsm registry list`: every entry, by kind.
pub fn list(ctx: &Workspace, format: Format) -> Result<ExitCode, Error> {
    let registry = registry(ctx)?;
    let sections: Vec<(&str, &str, Vec<Entry>)> = SECTIONS
        .iter()
        .map(|(cat, title, key)| {
            let entries = registry
                .store()
                .list(*cat)
                .iter()
                .filter_map(|n| load(&registry, *cat, n))
                .collect();
            (*title, *key, entries)
        })
        .collect();
    if format == Format::Json {
        let mut out = serde_json::Map::new();
        out.insert("status".into(), json!("ok"));
        out.insert("registry".into(), json!(registry.store().display()));
        for (_, key, entries) in &sections {
            out.insert(
                (*key).to_string(),
                Value::Array(entries.iter().map(entry_json).collect()),
            );
        }
        outln!("{:#}", Value::Object(out));
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{}", title(&registry));
    for (i, (title, _, entries)) in sections.iter().enumerate() {
        let last = i + 1 == sections.len();
        outln!(
            "{} {title} ({})",
            if last { "└──" } else { "├──" },
            entries.len()
        );
        let pad = if last { "    " } else { "│   " };
        for (j, e) in entries.iter().enumerate() {
            let branch = if j + 1 == entries.len() {
                "└──"
            } else {
                "├──"
            };
            outln!("{pad}{branch} {}", line(e));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn title(registry: &Registry) -> String {
    match registry.store().root() {
        Some(_) => format!("registry {}", registry.store().display()),
        None => "the built-in registry".to_string(),
    }
}

/// A search hit and, for a group found by its options, those options.
type Found = (Entry, Vec<String>);

/// `hsm registry search QUERY`: names and descriptions containing QUERY (any case).
pub fn search(ctx: &Workspace, query: &str, format: Format) -> Result<ExitCode, Error> {
    let registry = registry(ctx)?;
    let q = query.to_lowercase();
    let hit = |s: &str| s.to_lowercase().contains(&q);
    let hit_opt = |s: &Option<String>| s.as_deref().is_some_and(hit);
    let mut sections: Vec<(&str, &str, Vec<Found>)> = Vec::new();
    for (cat, title, key) in SECTIONS {
        let mut found = Vec::new();
        for name in registry.store().list(cat) {
            let Some(e) = load(&registry, cat, &name) else {
                continue;
            };
            // For groups, the options that match (when the group itself does not).
            let matched: Option<Vec<String>> = match &e {
                Entry::Component(c) => (hit(&c.name) || hit_opt(&c.description)).then(Vec::new),
                Entry::Group(g) => {
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
                Entry::Broken { name, .. } => hit(name).then(Vec::new),
            };
            if let Some(options) = matched {
                found.push((e, options));
            }
        }
        sections.push((title, key, found));
    }
    if format == Format::Json {
        let mut out = serde_json::Map::new();
        out.insert("status".into(), json!("ok"));
        out.insert("registry".into(), json!(registry.store().display()));
        out.insert("query".into(), json!(query));
        for (_, key, found) in &sections {
            out.insert(
                (*key).to_string(),
                Value::Array(
                    found
                        .iter()
                        .map(|(e, options)| {
                            let mut v = entry_json(e);
                            if !options.is_empty() {
                                v["matching_options"] = json!(options);
                            }
                            v
                        })
                        .collect(),
                ),
            );
        }
        outln!("{:#}", Value::Object(out));
        return Ok(ExitCode::SUCCESS);
    }
    let total: usize = sections.iter().map(|(_, _, f)| f.len()).sum();
    if total == 0 {
        outln!(
            "Nothing in the registry ({}) matches `{query}`",
            registry.store().display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (title, _, found) in &sections {
        if found.is_empty() {
            continue;
        }
        outln!("{title}:");
        for (e, options) in found {
            let mut l = match e {
                Entry::Group(g) => {
                    let mut s = format!("{} ({})", g.name, g.strategy);
                    if let Some(d) = g.description.as_ref().or(g.comment.as_ref()) {
                        s.push_str(" — ");
                        s.push_str(d);
                    }
                    s
                }
                other => line(other),
            };
            if !options.is_empty() {
                l.push_str(&format!(
                    " [option{} {}]",
                    if options.len() == 1 { "" } else { "s" },
                    options.join(", ")
                ));
            }
            outln!("  {l}");
        }
    }
    outln!(
        "{total} match{} for `{query}` in {}",
        if total == 1 { "" } else { "es" },
        title(&registry)
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------
// show

/// A rule in words, the versions it applies to (empty: all) and where it is.
struct Rule {
    text: String,
    versions: Vec<String>,
    at: String,
}

fn reference_to(r: &Ref) -> String {
    match r.kind {
        Some(k) => format!("{k} `{}`", r.name),
        None => format!("`{}`", r.name),
    }
}

pub fn implication_words(imp: &Implication) -> String {
    match &imp.target {
        ImplyTarget::Component(kind, name) => {
            let mut s = format!("implies {kind} `{name}`");
            if !imp.params.is_empty() {
                let p: Vec<String> = imp.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                s.push_str(" with params ");
                s.push_str(&p.join(", "));
            }
            s
        }
        ImplyTarget::Group {
            kind,
            group,
            options,
        } => match options.as_deref() {
            None | Some([]) => format!("implies {kind} group `{group}` (its default option)"),
            Some([one]) => format!("implies option `{one}` of {kind} group `{group}`"),
            Some(many) => format!(
                "implies options {} of {kind} group `{group}`",
                many.iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    }
}

/// The rules of every version; a rule shared by all versions is listed once.
fn rules(c: &Component) -> Vec<Rule> {
    let mut by_rule: BTreeMap<(usize, String), Rule> = BTreeMap::new();
    let all: Vec<String> = c
        .versions
        .iter()
        .rev()
        .filter_map(|v| v.version.as_ref().map(ToString::to_string))
        .collect();
    for v in c.versions.iter().rev() {
        let version = v.version.as_ref().map(ToString::to_string);
        let mut add = |text: String, origin: &crate::source::Origin| {
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
                format!("requires {} {}", reference_to(&r.target), r.text),
                &r.origin,
            );
        }
        for r in &v.conflicts {
            add(
                format!("conflicts with {}", reference_to(&r.target)),
                &r.origin,
            );
        }
        for i in &v.implies {
            add(implication_words(i), &i.origin);
        }
    }
    by_rule
        .into_values()
        .map(|mut r| {
            if r.versions.len() == all.len() {
                r.versions.clear();
            }
            r
        })
        .collect()
}

fn source_words(src: &Source, package: &str) -> String {
    match src.kind {
        SourceType::Pypi => {
            let name = src.name.as_deref().unwrap_or(package);
            match &src.version {
                Some(v) => format!("pypi {name} {v}"),
                None => format!("pypi {name} (any release)"),
            }
        }
        SourceType::Git => {
            let mut s = format!("git {}", src.url.as_deref().unwrap_or("(no url)"));
            for (what, v) in [
                ("ref", &src.git_ref),
                ("tag", &src.tag),
                ("rev", &src.rev),
                ("branch", &src.branch),
            ] {
                if let Some(v) = v {
                    s.push_str(&format!(" {what} {v}"));
                }
            }
            if let Some(d) = &src.subdirectory {
                s.push_str(&format!(" (subdirectory {d})"));
            }
            s
        }
        SourceType::Local => format!(
            "local {}{}",
            src.path.as_deref().unwrap_or("(no path)"),
            if src.editable == Some(true) {
                " (editable)"
            } else {
                ""
            }
        ),
        SourceType::DockerImage => {
            format!("image {}", src.image.as_deref().unwrap_or("(no image)"))
        }
        SourceType::Build => {
            let mut s = format!("build {}", src.path.as_deref().unwrap_or("(no path)"));
            if let Some(d) = &src.dockerfile {
                s.push_str(&format!(" (dockerfile {d})"));
            }
            s
        }
    }
}

/// `key: value` facts about a component, in display order.
fn facts(c: &Component) -> Vec<(&'static str, String)> {
    let mut out = vec![("file", c.file.display().to_string())];
    let versions = c.version_list();
    out.push(("versions", versions));
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
                out.push((mode, source_words(s, &package)));
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

fn plain<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn print_references(refs: &[Reference]) {
    if refs.is_empty() {
        outln!("  referenced by: nothing else in the registry");
        return;
    }
    outln!("  referenced by:");
    for r in refs {
        outln!("    {} ({})", r.words(), r.origin);
    }
}

fn references_json(refs: &[Reference]) -> Value {
    Value::Array(
        refs.iter()
            .map(|r| {
                json!({
                    "relation": r.relation,
                    "from": r.from,
                    "detail": r.detail,
                    "text": r.words(),
                    "at": r.origin.short(),
                })
            })
            .collect(),
    )
}

fn show_component(registry: &Registry, c: &Component, json_out: &mut Vec<Value>, text: bool) {
    let target = Target::Component(c.kind, c.name.clone());
    let (refs, _) = references(registry, &target);
    let rules = rules(c);
    if !text {
        let versions: Vec<String> = c
            .versions
            .iter()
            .rev()
            .filter_map(|v| v.version.as_ref().map(ToString::to_string))
            .collect();
        json_out.push(json!({
            "kind": c.kind,
            "name": c.name,
            "description": c.description,
            "file": c.file.display(),
            "versions": versions,
            "facts": facts(c).into_iter().skip(2).map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
            "rules": rules.iter().map(|r| json!({"text": r.text, "versions": r.versions, "at": r.at})).collect::<Vec<_>>(),
            "referenced_by": references_json(&refs),
        }));
        return;
    }
    let mut head = format!("{} `{}`", c.kind, c.name);
    if let Some(d) = &c.description {
        head.push_str(" — ");
        head.push_str(d);
    }
    outln!("{head}");
    for (k, v) in facts(c) {
        outln!("  {k}: {v}");
    }
    if rules.is_empty() {
        outln!("  rules: none");
    } else {
        outln!("  rules:");
        for r in &rules {
            let versions = if r.versions.is_empty() {
                String::new()
            } else {
                format!("[{}] ", r.versions.join(", "))
            };
            outln!("    {versions}{} ({})", r.text, r.at);
        }
    }
    print_references(&refs);
}

fn show_group(registry: &Registry, g: &Group, json_out: &mut Vec<Value>, text: bool) {
    let target = Target::Group(g.kind, g.name.clone());
    let (refs, _) = references(registry, &target);
    if !text {
        json_out.push(json!({
            "kind": format!("{}_group", g.kind),
            "name": g.name,
            "strategy": g.strategy,
            "description": g.description,
            "comment": g.comment,
            "default": g.default,
            "file": g.file.display(),
            "options": g.options.iter().map(|o| json!({
                "name": o.name,
                "description": o.description,
                "at": o.origin.short(),
                "implies": o.implies.iter().map(|i| json!({"text": implication_words(i), "at": i.origin.short()})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "referenced_by": references_json(&refs),
        }));
        return;
    }
    let mut head = format!("{} group `{}` ({})", g.kind, g.name, g.strategy);
    if let Some(d) = &g.description {
        head.push_str(" — ");
        head.push_str(d);
    }
    outln!("{head}");
    outln!("  file: {}", g.file.display());
    if let Some(c) = &g.comment {
        outln!("  comment: {c}");
    }
    if !g.default.is_empty() {
        outln!("  default: {}", g.default.join(", "));
    }
    if g.options.is_empty() {
        outln!("  options: none");
    } else {
        outln!("  options:");
        for o in &g.options {
            let mut l = o.name.clone();
            if let Some(d) = &o.description {
                l.push_str(" — ");
                l.push_str(d);
            }
            outln!("    {l} ({})", o.origin.short());
            for i in &o.implies {
                outln!("      {} ({})", implication_words(i), i.origin.short());
            }
        }
    }
    print_references(&refs);
}

/// `hsm registry show NAME`: every entry named NAME, its rules in words, and the rules
/// elsewhere that point at it.
pub fn show(ctx: &Workspace, name: &str, format: Format) -> Result<ExitCode, Error> {
    let registry = registry(ctx)?;
    if !crate::manifest::is_valid_name(name) {
        return Err(not_found(&registry, name));
    }
    let mut found: Vec<Entry> = Vec::new();
    for (cat, _, _) in SECTIONS {
        if registry.store().read(cat, name)?.is_none() {
            continue;
        }
        match load(&registry, cat, name) {
            Some(Entry::Broken { error, .. }) => return Err(error),
            Some(e) => found.push(e),
            None => {}
        }
    }
    if found.is_empty() {
        return Err(not_found(&registry, name));
    }
    let text = format == Format::Text;
    let mut json_out = Vec::new();
    for (i, e) in found.iter().enumerate() {
        if text && i > 0 {
            outln!("");
        }
        match e {
            Entry::Component(c) => show_component(&registry, c, &mut json_out, text),
            Entry::Group(g) => show_group(&registry, g, &mut json_out, text),
            Entry::Broken { .. } => {}
        }
    }
    if !text {
        outln!(
            "{:#}",
            json!({"status": "ok", "registry": registry.store().display(), "entries": json_out})
        );
    }
    Ok(ExitCode::SUCCESS)
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
