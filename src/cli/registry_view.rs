//! `hsm registry list`, `search QUERY` and `show NAME`: what
//! [`crate::ops::registry_view`] found, as text or JSON.

use std::process::ExitCode;

use serde_json::{Value, json};

use super::Format;
use super::output::{out, outln};
use crate::error::Error;
use crate::ops::Workspace;
use crate::ops::registry_view::{self as ops, Browsed, Entry, Found, Shown};
use crate::registry::Category;
use crate::registry::refs::Reference;
use crate::registry::rules::Group;
use crate::registry::words;

/// "library groups" (a section title); the JSON key is [`Category::dir`].
fn title_of(category: Category) -> String {
    category.dir().replace('_', " ")
}

fn title(registry: &Browsed) -> String {
    if registry.builtin {
        "the built-in registry".to_string()
    } else {
        format!("registry {}", registry.display)
    }
}

/// `group (1-of-N)`, and ` — description` when given.
fn with_description(mut s: String, description: Option<&String>) -> String {
    if let Some(d) = description {
        s.push_str(" — ");
        s.push_str(d);
    }
    s
}

/// One line of a listing: `name version — description`, `group (1-of-N): a, b`.
fn line(e: &Entry) -> String {
    match e {
        Entry::Component(c) => {
            let name = match &c.version {
                Some(v) => format!("{} {v}", c.name),
                None => c.name.clone(),
            };
            with_description(name, c.description.as_ref())
        }
        Entry::Group(g) => {
            let options = &g.options;
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
            "version": c.version,
            "description": c.description,
            "file": c.file,
        }),
        Entry::Group(g) => json!({
            "name": g.name,
            "strategy": g.strategy,
            "description": g.description,
            "comment": g.comment,
            "options": g.options,
            "file": g.file,
        }),
        Entry::Broken { name, error } => json!({
            "name": name,
            "error": error.to_json(),
        }),
    }
}

/// `{"status": "ok", "registry": ..., <extra>, "<category>": [...]...}`.
fn sections_json<T>(
    registry: &Browsed,
    extra: Option<(&str, &str)>,
    sections: &[(Category, Vec<T>)],
    item: impl Fn(&T) -> Value,
) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("status".into(), json!("ok"));
    out.insert("registry".into(), json!(registry.display));
    if let Some((k, v)) = extra {
        out.insert(k.into(), json!(v));
    }
    for (cat, items) in sections {
        out.insert(
            cat.dir().to_string(),
            Value::Array(items.iter().map(&item).collect()),
        );
    }
    Value::Object(out)
}

/// `hsm registry list`: every entry, by kind.
pub fn list(ws: &Workspace, format: Format) -> Result<ExitCode, Error> {
    // The process exits next: freeing 100k entries one by one was a fifth of the main
    // thread's time, so the listing (and the registry it read) is left to the OS.
    let listing = std::mem::ManuallyDrop::new(ops::list(ws)?);
    debug_assert!(
        listing.browsed.cached() == 0,
        "a listing reads past the cache"
    );
    if format == Format::Json {
        let json = sections_json(&listing.registry, None, &listing.sections, entry_json);
        outln!("{json:#}");
        return Ok(ExitCode::SUCCESS);
    }
    // One write for the whole tree: a registry of 100k entries would otherwise cost 100k
    // writes (stdout flushes every line).
    use std::fmt::Write as _;
    let sections = &listing.sections;
    // Sized up front: growing a string of megabytes copies it each time.
    let entries: usize = sections.iter().map(|(_, e)| e.len()).sum();
    let mut text = String::with_capacity(entries * 64 + 256);
    let _ = writeln!(text, "{}", title(&listing.registry));
    for (i, (cat, entries)) in sections.iter().enumerate() {
        let last = i + 1 == sections.len();
        let _ = writeln!(
            text,
            "{} {} ({})",
            if last { "└──" } else { "├──" },
            title_of(*cat),
            entries.len()
        );
        let pad = if last { "    " } else { "│   " };
        // Each line is made on a core of its own (100k lines were a tenth of the main
        // thread), then written in order.
        use rayon::prelude::*;
        let lines: Vec<String> = entries.par_iter().map(line).collect();
        for (j, l) in lines.iter().enumerate() {
            let branch = if j + 1 == entries.len() {
                "└──"
            } else {
                "├──"
            };
            for part in [pad, branch, " ", l, "\n"] {
                text.push_str(part);
            }
        }
    }
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `hsm registry search QUERY`.
pub fn search(ws: &Workspace, query: &str, format: Format) -> Result<ExitCode, Error> {
    // As in `list`: left to the OS.
    let search = std::mem::ManuallyDrop::new(ops::search(ws, query)?);
    debug_assert!(
        search.browsed.cached() == 0,
        "a search reads past the cache"
    );
    if format == Format::Json {
        let found_json = |f: &Found| {
            let mut v = entry_json(&f.entry);
            if !f.options.is_empty() {
                v["matching_options"] = json!(f.options);
            }
            v
        };
        let json = sections_json(
            &search.registry,
            Some(("query", query)),
            &search.sections,
            found_json,
        );
        outln!("{json:#}");
        return Ok(ExitCode::SUCCESS);
    }
    let total = search.total();
    if total == 0 {
        outln!(
            "Nothing in the registry ({}) matches `{query}`",
            search.registry.display
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (cat, found) in &search.sections {
        if found.is_empty() {
            continue;
        }
        outln!("{}:", title_of(*cat));
        for Found { entry, options } in found {
            let mut l = match entry {
                Entry::Group(g) => with_description(
                    format!("{} ({})", g.name, g.strategy),
                    g.description.as_ref().or(g.comment.as_ref()),
                ),
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
        title(&search.registry)
    );
    Ok(ExitCode::SUCCESS)
}

/// `hsm registry show NAME`.
pub fn show(ws: &Workspace, name: &str, format: Format) -> Result<ExitCode, Error> {
    let show = ops::show(ws, name)?;
    if format == Format::Json {
        let entries: Vec<Value> = show.entries.iter().map(shown_json).collect();
        outln!(
            "{:#}",
            json!({"status": "ok", "registry": show.registry.display, "entries": entries})
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (i, e) in show.entries.iter().enumerate() {
        if i > 0 {
            outln!("");
        }
        match e {
            Shown::Component {
                component,
                facts,
                rules,
                referenced_by,
            } => {
                let c = component;
                let head = format!("{} `{}`", c.kind, c.name);
                outln!("{}", with_description(head, c.description.as_ref()));
                for (k, v) in facts {
                    outln!("  {k}: {v}");
                }
                if rules.is_empty() {
                    outln!("  rules: none");
                } else {
                    outln!("  rules:");
                    for r in rules {
                        let versions = if r.versions.is_empty() {
                            String::new()
                        } else {
                            format!("[{}] ", r.versions.join(", "))
                        };
                        outln!("    {versions}{} ({})", r.text, r.at);
                    }
                }
                print_references(referenced_by);
            }
            Shown::Group {
                group,
                referenced_by,
            } => {
                show_group(group);
                print_references(referenced_by);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show_group(g: &Group) {
    let head = format!("{} group `{}` ({})", g.kind, g.name, g.strategy);
    outln!("{}", with_description(head, g.description.as_ref()));
    outln!("  file: {}", g.file.display());
    if let Some(c) = &g.comment {
        outln!("  comment: {c}");
    }
    if !g.default.is_empty() {
        outln!("  default: {}", g.default.join(", "));
    }
    if g.options.is_empty() {
        outln!("  options: none");
        return;
    }
    outln!("  options:");
    for o in &g.options {
        let l = with_description(o.name.clone(), o.description.as_ref());
        outln!("    {l} ({})", o.origin.short());
        for i in &o.implies {
            outln!("      {} ({})", words::implication(i), i.origin.short());
        }
    }
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

fn shown_json(e: &Shown) -> Value {
    match e {
        Shown::Component {
            component: c,
            facts,
            rules,
            referenced_by,
        } => {
            let versions: Vec<String> = c
                .versions
                .iter()
                .rev()
                .filter_map(|v| v.version.as_ref().map(ToString::to_string))
                .collect();
            json!({
                "kind": c.kind,
                "name": c.name,
                "description": c.description,
                "file": c.file.display(),
                "versions": versions,
                "facts": facts.iter().skip(2).map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
                "rules": rules.iter().map(|r| json!({"text": r.text, "versions": r.versions, "at": r.at})).collect::<Vec<_>>(),
                "referenced_by": references_json(referenced_by),
            })
        }
        Shown::Group {
            group: g,
            referenced_by,
        } => json!({
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
                "implies": o.implies.iter().map(|i| json!({"text": words::implication(i), "at": i.origin.short()})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "referenced_by": references_json(referenced_by),
        }),
    }
}
