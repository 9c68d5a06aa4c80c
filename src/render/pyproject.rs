//! `pyproject.toml`: hsm's dependency entries, edited in place with toml_edit.
//!
//! hsm owns only what it wrote, and remembers what that was in `[tool.hsm]`:
//! the names of its entries in `[project].dependencies` and its keys in
//! `[tool.uv.sources]`. A sync removes what it owned before and adds what the stack needs
//! now; every other byte of the file (comments, the user's own dependencies, other tables)
//! is left as it was. New entries go at the end of the dependency array, in the array's
//! own layout (one per line if the user writes it that way).

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use super::{active_source, project_relative, source_path};
use crate::error::{Error, ErrorKind};
use crate::manifest::{Manifest, Mode};
use crate::registry::Kind;
use crate::registry::model::SourceType;
use crate::registry::rules::Definition;
use crate::solve::{Selected, Selection};
use crate::source::Origin;
use crate::source::watch;

pub const PYPROJECT: &str = "pyproject.toml";

/// One Python dependency hsm manages.
#[derive(Debug, Clone)]
pub struct PyDep {
    /// Distribution name.
    pub package: String,
    /// The PEP 508 requirement written into `[project].dependencies`.
    pub requirement: String,
    /// A `[tool.uv.sources]` entry, if the source is not the package index.
    pub uv_source: Option<InlineTable>,
}

/// The Python dependencies of the selected libraries, sorted by package name.
pub fn dependencies(root: &std::path::Path, selection: &Selection) -> Result<Vec<PyDep>, Error> {
    let mut out: Vec<PyDep> = Vec::new();
    for s in selection
        .components
        .iter()
        .filter(|c| c.kind == Kind::Library)
    {
        out.push(dependency(root, s)?);
    }
    out.sort_by(|a, b| a.package.cmp(&b.package));
    Ok(out)
}

pub(crate) fn dependency(root: &std::path::Path, s: &Selected) -> Result<PyDep, Error> {
    let Definition::Library(def) = &s.component.definition else {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("`{}` is not a library", s.name),
        ));
    };
    let package = def.package.clone().unwrap_or_else(|| s.name.clone());
    let Some((mode, src)) = active_source(s) else {
        return Ok(PyDep {
            requirement: package.clone(),
            package,
            uv_source: None,
        });
    };
    let mut uv = InlineTable::new();
    let requirement = match src.kind {
        SourceType::Pypi => {
            let spec = src
                .version
                .as_ref()
                .map(|v| v.0.trim().to_string())
                .unwrap_or_default();
            let spec = if spec.is_empty() || spec.starts_with(['<', '>', '=', '!', '~']) {
                spec
            } else {
                // A bare version pins it.
                format!("=={spec}")
            };
            format!(
                "{}{spec}",
                src.name.clone().unwrap_or_else(|| package.clone())
            )
        }
        SourceType::Git => {
            let Some(url) = src.url.clone().filter(|u| !u.trim().is_empty()) else {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("the {mode} source of library `{}` is a git source without `url`", s.name),
                )
                .at(Origin::at_path(&s.component.file, source_path(s, mode)))
                .with_label("no `url`")
                .with_help("add `url: https://...` (and `ref:` for a tag or commit), or use a pypi or local source"));
            };
            uv.insert("git", url.trim_start_matches("git+").into());
            if let Some((key, value)) = super::git_pin(src) {
                uv.insert(key, value.into());
            }
            if let Some(sub) = &src.subdirectory {
                uv.insert("subdirectory", sub.as_str().into());
            }
            package.clone()
        }
        SourceType::Local | SourceType::Build => {
            let path = src.path.clone().unwrap_or_else(|| ".".into());
            check_local(root, s, mode, &path)?;
            uv.insert("path", project_relative(root, &path, false).into());
            if src.editable.unwrap_or(false) {
                uv.insert("editable", true.into());
            }
            package.clone()
        }
        SourceType::DockerImage => {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("library `{}` has a docker-image source", s.name),
            )
            .at(s.component.origin())
            .with_help("libraries take pypi, git or local sources"));
        }
    };
    Ok(PyDep {
        package,
        requirement,
        uv_source: (!uv.is_empty()).then_some(uv),
    })
}

/// A dev checkout the sync makes: the library's `repository:` cloned into its dev path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevCheckout {
    pub library: String,
    /// Relative to the project root.
    pub dir: String,
    pub url: String,
    /// A tag, branch or commit after `@`; `None`: the default branch.
    pub rev: Option<String>,
}

/// The checkout a sync must make for `s`: a library in dev mode whose local dev path is
/// missing, inside the project, and whose registry entry names a `repository:`.
pub fn dev_checkout(root: &std::path::Path, s: &Selected) -> Option<DevCheckout> {
    let Definition::Library(def) = &s.component.definition else {
        return None;
    };
    let repository = def.repository.as_deref()?.trim();
    let (Mode::Dev, src) = active_source(s)? else {
        return None;
    };
    if !matches!(src.kind, SourceType::Local | SourceType::Build) {
        return None;
    }
    let dir = project_relative(root, src.path.as_deref()?, false);
    if dir.starts_with("..") || dir == "." || watch::probe(&root.join(&dir)).exists() {
        return None;
    }
    let (url, rev) = crate::registry::git::split_rev(repository.trim_start_matches("git+"));
    Some(DevCheckout {
        library: s.name.clone(),
        dir,
        url: url.to_string(),
        rev: rev.filter(|r| !r.is_empty()).map(str::to_string),
    })
}

/// uv installs a local source from a Python project directory (or a built archive) that
/// exists: `Distribution not found` otherwise, long after the sync that wrote it.
fn check_local(root: &std::path::Path, s: &Selected, mode: Mode, path: &str) -> Result<(), Error> {
    if dev_checkout(root, s).is_some() {
        // The sync clones it there first.
        return Ok(());
    }
    let full = root.join(path);
    let at = || {
        let mut p = source_path(s, mode);
        if s.component.file.span_of(&p.key("path")).is_some() {
            p = p.key("path");
        }
        Origin::at_path(&s.component.file, p)
    };
    let switch = match mode {
        Mode::Dev => format!("; or switch it back with `hsm mode prod {}`", s.name),
        Mode::Prod => String::new(),
    };
    let seen = watch::probe(&full);
    if !seen.exists() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "library `{}` is installed from `{path}` ({mode} source), which does not exist",
                s.name
            ),
        )
        .at(at())
        .with_label("no such directory")
        .with_help(format!(
            "put the package's source there (relative to the project root: clone it, or `hsm library init {}`); with `repository: <git url>` in its registry entry, `hsm sync` clones it there{switch}",
            s.name
        )));
    }
    let project = ["pyproject.toml", "setup.py"]
        .iter()
        .any(|f| watch::probe(&full.join(f)).is_file());
    if seen.is_dir() && !project {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "library `{}` is installed from `{path}` ({mode} source), which has no pyproject.toml or setup.py",
                s.name
            ),
        )
        .at(at())
        .with_label("not a Python project")
        .with_help(format!(
            "make `{path}` a Python project (`uv init --lib` there), or point `path` at the directory that has its pyproject.toml{switch}"
        )));
    }
    Ok(())
}

/// The distribution name at the start of a PEP 508 requirement, normalized (PEP 503).
pub fn requirement_name(req: &str) -> String {
    let name: String = req
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    normalize(&name)
}

pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A valid PEP 508 distribution name from any project name: letters and digits kept
/// (lower-cased), every other run of characters becomes one `-`; `project` if nothing is left.
pub fn distribution_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "project".to_string()
    } else {
        out
    }
}

/// A minimal PEP 621 file for a project that has none.
pub fn minimal(manifest: &Manifest) -> String {
    let name = manifest.data.project.name.clone().unwrap_or_else(|| {
        manifest
            .root
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("project")
            .to_string()
    });
    let version = manifest
        .data
        .project
        .version
        .clone()
        .unwrap_or_else(|| "0.1.0".into());
    format!(
        "[project]\nname = {}\nversion = {}\nrequires-python = \">=3.9\"\ndependencies = []\n",
        Value::from(distribution_name(&name)),
        Value::from(version)
    )
}

/// Rewrite hsm's entries of `text` for `deps`. Returns `None` when the file needs no hsm
/// section at all (no libraries now, none before).
pub fn update(text: &str, deps: &[PyDep], file_display: &str) -> Result<Option<String>, Error> {
    // A byte order mark is no part of the document: positions count from after it (as the
    // file's `SourceFile` does), and the rewritten file starts with it again.
    let bom = text.starts_with(crate::source::BOM);
    let text = without_bom(text);
    let file = crate::source::SourceFile::new(file_display, None, text);
    let at = |span: Option<std::ops::Range<usize>>| {
        let span = span.unwrap_or(0..0);
        crate::source::Origin::at_span(
            &file,
            crate::source::Span {
                offset: span.start,
                len: span.end.saturating_sub(span.start),
            },
        )
    };
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        Error::new(
            ErrorKind::MalformedYaml,
            format!(
                "{file_display} is not valid TOML: {}",
                e.message().trim_end()
            ),
        )
        .at(at(e.span()))
        .with_label("here")
        .with_help(format!("fix {file_display} (hsm only edits a valid file)"))
    })?;
    let owned_deps = owned(&doc, "dependencies");
    let owned_sources = owned(&doc, "sources");
    if deps.is_empty()
        && owned_deps.is_empty()
        && owned_sources.is_empty()
        && doc.get("tool").and_then(|t| t.get("hsm")).is_none()
    {
        return Ok(None);
    }

    check_shape(&doc, text, file_display, deps)?;

    // [project].dependencies
    let Some(project) = doc.get_mut("project").and_then(Item::as_table_like_mut) else {
        unreachable!("check_shape ensures a [project] table");
    };
    if project.get("dependencies").is_none() {
        project.insert("dependencies", Item::Value(Value::Array(Array::new())));
    }
    let Some(array) = project
        .get_mut("dependencies")
        .and_then(|i| i.as_array_mut())
    else {
        unreachable!("check_shape ensures an array");
    };
    remove_owned(array, &owned_deps);
    // The user's own entries win; hsm refuses to silently duplicate or overwrite them.
    // The user's entries by name (the first of each), so the check is one pass.
    let mut users: std::collections::HashMap<String, &Value> = std::collections::HashMap::new();
    for v in array.iter() {
        if let Some(r) = v.as_str() {
            users.entry(requirement_name(r)).or_insert(v);
        }
    }
    for d in deps {
        let wanted = normalize(&d.package);
        if let Some(user) = users.get(&wanted) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("{file_display} already lists `{}` in [project].dependencies, and hsm manages it too", d.package),
            )
            .at(at(user.span().or_else(|| user_entry_span(text, &wanted))))
            .with_label("the user's entry")
            .with_help(format!("remove `{}` from [project].dependencies (hsm writes it from the registry) or remove its component from hsm.yaml", d.package)));
        }
    }
    let new: Vec<Value> = deps
        .iter()
        .map(|d| Value::from(d.requirement.as_str()))
        .collect();
    append(array, new);

    // [tool.uv.sources]
    let tool = doc.entry("tool").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    let Some(tool) = tool.as_table_mut() else {
        unreachable!("check_shape ensures a [tool] table");
    };
    let needs_sources = deps.iter().any(|d| d.uv_source.is_some());
    if needs_sources || !owned_sources.is_empty() {
        let uv = tool.entry("uv").or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        let Some(uv) = uv.as_table_like_mut() else {
            unreachable!("check_shape ensures a [tool.uv] table");
        };
        if uv.get("sources").is_none() && needs_sources {
            uv.insert("sources", Item::Table(Table::new()));
        }
        // hsm's old keys go in one pass (removing keys one by one shifts the rest each time).
        let owned: std::collections::HashSet<&str> =
            owned_sources.iter().map(String::as_str).collect();
        match uv.get_mut("sources") {
            Some(Item::Table(t)) => t.retain(|k, _| !owned.contains(normalize(k).as_str())),
            Some(Item::Value(Value::InlineTable(t))) => {
                t.retain(|k, _| !owned.contains(normalize(k).as_str()));
                // The blank inside an empty `{  }` would stay between hsm's entries and the
                // closing brace, and the next sync (which removes and re-adds them) would
                // write it differently: an empty inline table starts from no blank.
                if t.is_empty() {
                    t.set_trailing("");
                }
            }
            _ => {}
        }
        if let Some(sources) = uv.get_mut("sources").and_then(|s| s.as_table_like_mut()) {
            let users: std::collections::HashSet<String> =
                sources.iter().map(|(k, _)| normalize(k)).collect();
            for d in deps {
                if let Some(src) = &d.uv_source {
                    if users.contains(&normalize(&d.package)) {
                        return Err(Error::new(
                            ErrorKind::InvalidValue,
                            format!("{file_display} already has a [tool.uv.sources] entry for `{}`, and hsm manages it too", d.package),
                        )
                        .at(at(key_span(text, &["tool", "uv", "sources"], Some(&d.package))))
                        .with_label("the user's entry")
                        .with_help(format!("remove `{}` from [tool.uv.sources]; hsm writes it from the registry", d.package)));
                    }
                    sources.insert(&d.package, Item::Value(Value::InlineTable(src.clone())));
                }
            }
        }
        // A table that only held hsm's entries goes with them.
        if !owned_sources.is_empty()
            && uv
                .get("sources")
                .and_then(|s| s.as_table_like())
                .is_some_and(|s| s.is_empty())
        {
            uv.remove("sources");
        }
    }
    if tool
        .get("uv")
        .and_then(|u| u.as_table())
        .is_some_and(|u| u.is_empty() && u.is_implicit())
    {
        tool.remove("uv");
    }

    // [tool.hsm]: what hsm owns now.
    if deps.is_empty() {
        tool.remove("hsm");
    } else {
        let mut hsm = Table::new();
        hsm.decor_mut().set_prefix("\n");
        let names: Array = deps.iter().map(|d| normalize(&d.package)).collect();
        let sources: Array = deps
            .iter()
            .filter(|d| d.uv_source.is_some())
            .map(|d| normalize(&d.package))
            .collect();
        hsm.insert("dependencies", toml_edit::value(names));
        hsm.insert("sources", toml_edit::value(sources));
        match tool.get_mut("hsm").and_then(|t| t.as_table_mut()) {
            Some(existing) => {
                existing.insert(
                    "dependencies",
                    hsm.remove("dependencies").unwrap_or_default(),
                );
                existing.insert("sources", hsm.remove("sources").unwrap_or_default());
            }
            None => {
                tool.insert("hsm", Item::Table(hsm));
            }
        }
    }
    let out = with_line_breaks_of(text, doc.to_string());
    Ok(Some(if bom {
        format!("{}{out}", crate::source::BOM)
    } else {
        out
    }))
}

/// `out` with the line breaks of `original`: toml_edit writes every line break as `\n`,
/// and a pyproject.toml written with `\r\n` (on Windows, or by git's `autocrlf`) would
/// otherwise come back with every line changed. The first line break decides, as editors
/// do; a file with none (or a new one) gets `\n`.
///
/// The line breaks inside a multi-line string are part of its value, which toml_edit keeps
/// as written: those stay as they are, in a file whose strings mix the two kinds too.
fn with_line_breaks_of(original: &str, out: String) -> String {
    let crlf = original
        .find('\n')
        .is_some_and(|nl| original[..nl].ends_with('\r'));
    if !crlf {
        return out;
    }
    // Where the strings are in `out` (which toml_edit just wrote, so it parses).
    let Ok(doc) = toml_edit::Document::parse(out.as_str()) else {
        return out;
    };
    struct Strings(Vec<std::ops::Range<usize>>);
    impl<'doc> toml_edit::visit::Visit<'doc> for Strings {
        fn visit_string(&mut self, node: &'doc toml_edit::Formatted<String>) {
            self.0.extend(node.span());
        }
    }
    let mut strings = Strings(Vec::new());
    toml_edit::visit::Visit::visit_table(&mut strings, doc.as_table());
    // In the text's order, walked along with the line breaks (a stack of thousands of
    // libraries has thousands of each).
    let mut strings = strings.0;
    strings.sort_unstable_by_key(|r| r.start);
    let mut strings = strings.into_iter().peekable();
    let mut with = String::with_capacity(out.len() + out.len() / 16);
    let mut last = 0;
    for (at, _) in out.match_indices('\n') {
        while strings.next_if(|r| r.end <= at).is_some() {}
        let inside = strings.peek().is_some_and(|r| r.start <= at);
        with.push_str(&out[last..at]);
        if !with.ends_with('\r') && !inside {
            with.push('\r');
        }
        last = at;
    }
    with.push_str(&out[last..]);
    with
}

/// `text` without the byte order mark it may start with. Positions in a pyproject.toml
/// count from after the mark, as its `SourceFile` does, wherever they are taken.
fn without_bom(text: &str) -> &str {
    text.strip_prefix(crate::source::BOM).unwrap_or(text)
}

/// Where the user's dependency entry for `wanted` is in the original text.
fn user_entry_span(text: &str, wanted: &str) -> Option<std::ops::Range<usize>> {
    // `DocumentMut` drops positions; the read-only document keeps them.
    let doc = toml_edit::Document::parse(without_bom(text)).ok()?;
    let deps = doc.get("project")?.get("dependencies")?.as_array()?;
    deps.iter()
        .find(|v| v.as_str().is_some_and(|r| requirement_name(r) == wanted))?
        .span()
}

/// Where the last line break of `s` starts (at its `\r` for a `\r\n`), if it has one.
fn last_line_break(s: &str) -> Option<usize> {
    let nl = s.rfind('\n')?;
    Some(if s[..nl].ends_with('\r') { nl - 1 } else { nl })
}

fn prefix_of(v: &Value) -> &str {
    v.decor().prefix().and_then(|p| p.as_str()).unwrap_or("")
}

fn suffix_of(v: &Value) -> &str {
    v.decor().suffix().and_then(|s| s.as_str()).unwrap_or("")
}

/// Remove hsm's entries, wherever they are, and give back what the user wrote around them.
///
/// The inverse of [`append`]: the text [`append`] moved in front of hsm's first entry
/// (the user's comments and line breaks after their last entry) goes back to the end of
/// the array. In general, the lines above a removed entry (its prefix up to the line it is
/// on) go to the next entry that stays, or to the end of the array, so no user comment is
/// ever lost with an entry; so do comments after a removed entry. One pass: `owned` is
/// looked up in a hash set.
fn remove_owned(array: &mut Array, owned: &[String]) {
    if owned.is_empty() || array.is_empty() {
        return;
    }
    let owned: std::collections::HashSet<&str> = owned.iter().map(String::as_str).collect();
    let remove: Vec<bool> = array
        .iter()
        .map(|v| {
            v.as_str()
                .is_some_and(|r| owned.contains(requirement_name(r).as_str()))
        })
        .collect();
    if !remove.contains(&true) {
        return;
    }
    let last = remove.len() - 1;
    // Text given back: the lines above removed entries (up to the line break before the
    // entry) and comments after them; and the start of the line a removed entry was on.
    let mut pending = String::new();
    let mut line: Option<String> = None;
    let mut last_suffix = String::new();
    let mut kept = 0usize;
    for (i, v) in array.iter_mut().enumerate() {
        if remove[i] {
            let prefix = prefix_of(v);
            if let Some(nl) = last_line_break(prefix) {
                pending.push_str(&prefix[..nl]);
                line = Some(prefix[nl..].to_string());
            }
            let suffix = suffix_of(v);
            if i == last {
                // Without a trailing comma, what follows the last entry is its suffix.
                last_suffix = suffix.to_string();
            } else if suffix.contains('#') {
                pending.push_str(suffix);
            }
        } else {
            if !pending.is_empty() || line.is_some() {
                let prefix = prefix_of(v);
                let joined = rejoin(&pending, line.as_deref(), prefix);
                v.decor_mut().set_prefix(joined);
                pending.clear();
                line = None;
            } else if kept == 0 && i > 0 && prefix_of(v) == " " {
                // `["hsm", "user"]`: the space was the separator after hsm's entry.
                v.decor_mut().set_prefix("");
            }
            kept += 1;
        }
    }
    let mut i = 0;
    array.retain(|_| {
        i += 1;
        !remove[i - 1]
    });
    if remove[last] {
        let trailing = array.trailing().as_str().unwrap_or("");
        let tail = format!("{last_suffix}{trailing}");
        let trailing = if pending.is_empty() {
            tail
        } else {
            rejoin(&pending, line.as_deref(), &tail)
        };
        array.set_trailing(trailing);
        if array.is_empty() {
            array.set_trailing_comma(false);
        }
    }
}

/// `pending` (text given back by removed entries, up to a line break) joined to `text`
/// (what followed them: the next entry's prefix, or the end of the array), on the line
/// `line` (a line break and indentation) if `text` does not start a line of its own, so
/// that a comment never runs into what follows.
fn rejoin(pending: &str, line: Option<&str>, text: &str) -> String {
    let starts_a_line = text
        .trim_start_matches([' ', '\t'])
        .starts_with(['\n', '\r']);
    if starts_a_line || pending.ends_with('\n') {
        format!("{pending}{text}")
    } else {
        let line = line.unwrap_or("\n");
        format!("{pending}{line}{}", text.trim_start_matches([' ', '\t']))
    }
}

/// Append entries in the array's own layout: one per line (at the indentation of the
/// last entry, or 4 spaces in an empty array) if the last entry starts a line, or if the
/// array is empty and spans several lines; otherwise on the last entry's line.
///
/// What the user wrote after their last entry (a comment at the end of its line, comment
/// lines, blank lines) stays right after it: hsm's entries go after those lines, and only
/// the line break and indentation before `]` follow hsm's last entry. [`remove_owned`]
/// gives that text back to the end of the array, so removing what was appended restores
/// the array.
fn append(array: &mut Array, new: Vec<Value>) {
    if new.is_empty() {
        return;
    }
    let comma = array.trailing_comma();
    // Everything after the last entry (and its comma, if any) up to `]`.
    let mut gap = array.trailing().as_str().unwrap_or("").to_string();
    let last = array.len().checked_sub(1).and_then(|i| array.get_mut(i));
    let (multiline, indent) = match last {
        Some(last) => {
            if !comma {
                // Without a trailing comma, that text is the last entry's suffix; the new
                // comma goes right after the entry.
                gap = format!("{}{gap}", suffix_of(last));
                last.decor_mut().set_suffix("");
            }
            let prefix = prefix_of(last);
            match last_line_break(prefix) {
                Some(nl) => (true, prefix[nl..].to_string()),
                None => (false, String::new()),
            }
        }
        None => match last_line_break(&gap) {
            Some(nl) => {
                let line_break = if gap[nl..].starts_with('\r') {
                    "\r\n"
                } else {
                    "\n"
                };
                (true, format!("{line_break}    "))
            }
            None => (false, String::new()),
        },
    };
    let was_empty = array.is_empty();
    if multiline {
        // The user's lines stay above hsm's entries; the last line break (and what
        // indents `]`) goes after them.
        let (above, close) = match last_line_break(&gap) {
            Some(nl) => (gap[..nl].to_string(), gap[nl..].to_string()),
            None => (
                String::new(),
                format!("{}{gap}", &indent[..indent.find('\n').map_or(0, |i| i + 1)]),
            ),
        };
        for (k, mut v) in new.into_iter().enumerate() {
            let prefix = if k == 0 {
                format!("{above}{indent}")
            } else {
                indent.clone()
            };
            v.decor_mut().set_prefix(prefix);
            v.decor_mut().set_suffix("");
            array.push_formatted(v);
        }
        array.set_trailing(close);
        // One entry per line: a trailing comma as the user writes it, or (in an array
        // that had no entries) as uv does.
        array.set_trailing_comma(comma || was_empty);
    } else {
        for (k, mut v) in new.into_iter().enumerate() {
            v.decor_mut()
                .set_prefix(if was_empty && k == 0 { "" } else { " " });
            v.decor_mut().set_suffix("");
            array.push_formatted(v);
        }
        array.set_trailing(gap);
        array.set_trailing_comma(comma && !was_empty);
    }
}

/// Names hsm recorded as its own under `[tool.hsm].<key>`.
fn owned(doc: &DocumentMut, key: &str) -> Vec<String> {
    doc.get("tool")
        .and_then(|t| t.get("hsm"))
        .and_then(|h| h.get(key))
        .and_then(|a| a.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str()).map(normalize).collect())
        .unwrap_or_default()
}

/// Refuse a file whose shape hsm cannot write into without breaking it for uv: every
/// table hsm edits must be a table, `dependencies` an array hsm owns a part of.
fn check_shape(doc: &DocumentMut, text: &str, file: &str, deps: &[PyDep]) -> Result<(), Error> {
    let source = crate::source::SourceFile::new(file, None, text);
    let refuse = |path: &[&str], message: String, label: &str, help: String| {
        let span = key_span(text, path, None).unwrap_or(0..0);
        Error::new(ErrorKind::InvalidValue, message)
            .at(Origin::at_span(
                &source,
                crate::source::Span {
                    offset: span.start,
                    len: span.end - span.start,
                },
            ))
            .with_label(label.to_string())
            .with_help(help)
    };
    let Some(project) = doc.get("project") else {
        return Err(refuse(
            &[],
            format!("{file} has no [project] table for hsm to add dependencies to"),
            "no [project]",
            format!(
                "add a `[project]` table with `name`, `version` and `dependencies = []` to {file}, or remove {file} and let hsm create a minimal one"
            ),
        ));
    };
    let Some(project) = project.as_table_like() else {
        return Err(refuse(
            &["project"],
            format!("`project` in {file} is not a table"),
            "not a table",
            "make `project` a table (`[project]` with `name`, `version`, `dependencies`) as PEP 621 says"
                .to_string(),
        ));
    };
    let dynamic = project
        .get("dynamic")
        .and_then(Item::as_array)
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("dependencies")));
    if dynamic && !deps.is_empty() {
        return Err(refuse(
            &["project", "dynamic"],
            format!("{file} declares its dependencies dynamic, so hsm cannot write them into `[project].dependencies`"),
            "`dependencies` is dynamic",
            "remove \"dependencies\" from `project.dynamic` so hsm can manage them (move what the build backend computed into `dependencies`), or remove the libraries from hsm.yaml".to_string(),
        ));
    }
    if let Some(d) = project.get("dependencies")
        && !d.is_array()
    {
        return Err(refuse(
            &["project", "dependencies"],
            format!("`project.dependencies` in {file} is not an array"),
            "not an array",
            "write `dependencies = [\"httpx>=0.27\"]`: a list of PEP 508 requirement strings"
                .to_string(),
        ));
    }
    if project
        .get("dependencies")
        .and_then(Item::as_array)
        .is_some_and(|a| a.iter().any(|v| !v.is_str()))
    {
        return Err(refuse(
            &["project", "dependencies"],
            format!("`project.dependencies` in {file} holds something other than strings"),
            "not a list of strings",
            "write every dependency as a PEP 508 string, such as \"httpx>=0.27\"".to_string(),
        ));
    }
    let needs_sources = deps.iter().any(|d| d.uv_source.is_some());
    for path in [&["tool"][..], &["tool", "uv"], &["tool", "uv", "sources"]] {
        if path.len() > 1 && !needs_sources {
            break;
        }
        let Some(item) = path.iter().try_fold(doc.as_item(), |i, k| i.get(k)) else {
            break;
        };
        if !item.is_table_like() {
            let name = path.join(".");
            return Err(refuse(
                path,
                format!("`{name}` in {file} is not a table"),
                "not a table",
                format!("make `{name}` a table (`[{name}]`) so hsm can add its entries"),
            ));
        }
    }
    Ok(())
}

/// The byte range of the key at `path` (or of `entry` inside it), from the original text:
/// `DocumentMut` drops positions, the read-only document keeps them.
pub(crate) fn key_span(
    text: &str,
    path: &[&str],
    entry: Option<&str>,
) -> Option<std::ops::Range<usize>> {
    let doc = toml_edit::Document::parse(without_bom(text)).ok()?;
    let mut table: &dyn toml_edit::TableLike = doc.as_table();
    let mut span = None;
    for (i, key) in path.iter().enumerate() {
        let (k, item) = table.get_key_value(key)?;
        span = k.span();
        if i + 1 < path.len() || entry.is_some() {
            table = item.as_table_like()?;
        }
    }
    if let Some(e) = entry {
        let wanted = normalize(e);
        let (k, _) = table.iter().find(|(k, _)| normalize(k) == wanted)?;
        span = table.get_key_value(k)?.0.span();
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(package: &str, requirement: &str, source: Option<&[(&str, &str)]>) -> PyDep {
        PyDep {
            package: package.into(),
            requirement: requirement.into(),
            uv_source: source.map(|kv| {
                let mut t = InlineTable::new();
                for (k, v) in kv {
                    t.insert(*k, (*v).into());
                }
                t
            }),
        }
    }

    const USER: &str = "# my project\n[project]\nname = \"demo\"\nversion = \"0.1.0\"\ndependencies = [\n    # the user's own\n    \"httpx>=0.27\",\n]\n\n[tool.ruff]\nline-length = 100 # wide\n";

    #[test]
    fn an_empty_inline_sources_table_settles_after_one_sync() {
        // Found by the fuzzer: `uv` and its `sources` written inline, the sources empty.
        let text = "project = { name = \"x\", dependencies = [\"requests>=2\"] }\n[tool]\nuv = { sources = {  }}\n";
        let deps = [
            dep("fastapi", "fastapi>=0.110", None),
            dep("my_lib", "my-lib", Some(&[("path", "../my-lib")])),
        ];
        let once = update(text, &deps, "pyproject.toml").unwrap().unwrap();
        let again = update(&once, &deps, "pyproject.toml").unwrap();
        assert!(
            again.is_none() || again.as_deref() == Some(once.as_str()),
            "{once}\n---\n{again:?}"
        );
    }

    #[test]
    fn adds_and_swaps_only_its_own_entries() {
        let qdrant = [dep("qdrant-client", "qdrant-client>=1.12,<2", None)];
        let once = update(USER, &qdrant, "pyproject.toml").unwrap().unwrap();
        assert_eq!(
            once,
            "# my project\n[project]\nname = \"demo\"\nversion = \"0.1.0\"\ndependencies = [\n    # the user's own\n    \"httpx>=0.27\",\n    \"qdrant-client>=1.12,<2\",\n]\n\n[tool.ruff]\nline-length = 100 # wide\n\n[tool.hsm]\ndependencies = [\"qdrant-client\"]\nsources = []\n"
        );
        let milvus = [dep(
            "pymilvus",
            "pymilvus",
            Some(&[("path", "packages/milvus-adapter")]),
        )];
        let swapped = update(&once, &milvus, "pyproject.toml").unwrap().unwrap();
        assert!(!swapped.contains("qdrant"), "{swapped}");
        assert!(
            swapped
                .contains("[tool.uv.sources]\npymilvus = { path = \"packages/milvus-adapter\" }"),
            "{swapped}"
        );
        // Removing everything restores the user's bytes, except an emptied sources table.
        let back = update(&swapped, &[], "pyproject.toml").unwrap().unwrap();
        assert!(
            back.starts_with(&USER[..USER.find("[tool.ruff]").unwrap()]),
            "{back}"
        );
        assert!(
            !back.contains("pymilvus") && !back.contains("[tool.hsm]"),
            "{back}"
        );
    }

    #[test]
    fn a_comment_after_the_last_user_entry_stays_on_its_line() {
        let q = [dep("qdrant-client", "qdrant-client>=1", None)];
        for user in [
            "[project]\ndependencies = [\n    \"httpx>=0.27\",  # pinned by hand\n]\n",
            "[project]\ndependencies = [\n    \"httpx>=0.27\"  # pinned by hand\n]\n",
            "[project]\ndependencies = [\n    \"httpx>=0.27\"\n]\n",
            "[project]\ndependencies = [\n    \"httpx>=0.27\",\n]\n",
            "[project]\ndependencies = [\"httpx>=0.27\"]\n",
            "[project]\ndependencies = []\n",
        ] {
            let with = update(user, &q, "pyproject.toml").unwrap().unwrap();
            if user.contains('#') {
                assert!(
                    with.contains("\"httpx>=0.27\",  # pinned by hand\n    \"qdrant-client>=1\""),
                    "{with}"
                );
            }
            let back = update(&with, &[], "pyproject.toml").unwrap().unwrap();
            assert_eq!(back, user, "round trip of\n{user}\nvia\n{with}");
        }
    }

    /// `update` twice with the same dependencies changes nothing.
    fn settled(text: &str, deps: &[PyDep]) -> String {
        let once = update(text, deps, "pyproject.toml").unwrap().unwrap();
        let twice = update(&once, deps, "pyproject.toml").unwrap().unwrap();
        assert_eq!(twice, once, "a second sync of\n{text}\nchanged\n{once}");
        once
    }

    #[test]
    fn a_comment_in_an_empty_multiline_array_survives_syncs() {
        // fuzz/corpus/pyproject/comment-in-empty-dependencies.toml: the comment used to
        // become the suffix of hsm's last entry and go with it at the next sync.
        let user = "[project]\ndependencies = [\n    # keep me\n]\n";
        let two = [
            dep("fastapi", "fastapi>=0.110", None),
            dep("my_lib", "my-lib", Some(&[("path", "../my-lib")])),
        ];
        let with = settled(user, &two);
        assert!(
            with.starts_with(
                "[project]\ndependencies = [\n    # keep me\n    \"fastapi>=0.110\",\n    \"my-lib\",\n]\n"
            ),
            "{with}"
        );
        let one = settled(&with, &two[..1]);
        assert!(
            one.contains("    # keep me\n    \"fastapi>=0.110\",\n]"),
            "{one}"
        );
        // Back as it was: the `[tool.uv.sources]` that only held hsm's entry goes too.
        let back = update(&one, &[], "pyproject.toml").unwrap().unwrap();
        assert_eq!(back, user);
        // On the line of `[`, and with \r\n line breaks.
        for user in [
            "[project]\ndependencies = [  # mine\n]\n",
            "[project]\r\ndependencies = [\r\n    # keep me\r\n]\r\n",
            "[project]\ndependencies = [\n\n]\n",
        ] {
            let with = settled(user, &two);
            let nl = if user.contains('\r') { "\r\n" } else { "\n" };
            assert!(
                with.contains(&format!("\"my-lib\",{nl}]")),
                "one per line:\n{with}"
            );
            let back = update(&with, &[], "pyproject.toml").unwrap().unwrap();
            assert!(back.starts_with(user), "{back:?}");
        }
    }

    #[test]
    fn a_file_with_crlf_line_breaks_keeps_them() {
        let user = "[project]\r\nname = \"app\"\r\ndependencies = [\"fastapi\"]\r\n";
        let deps = [dep("my-lib", "my-lib", None)];
        let with = settled(user, &deps);
        assert!(with.contains("\"my-lib\""), "{with}");
        assert!(
            !with.replace("\r\n", "").contains('\n'),
            "a bare \\n in:\n{with:?}"
        );
        assert!(
            with.starts_with("[project]\r\nname = \"app\"\r\n"),
            "{with:?}"
        );
        // Removed again, the file is as it was, byte for byte.
        let back = update(&with, &[], "pyproject.toml").unwrap().unwrap();
        assert_eq!(back, user);
        // A file with \n keeps \n.
        let lf = settled(&user.replace("\r\n", "\n"), &deps);
        assert!(!lf.contains('\r'), "{lf:?}");
        // A multi-line string keeps its own line breaks, whichever they are: they are
        // part of its value.
        let strings = "[project]\r\nname = \"app\"\r\ndescription = \"\"\"one\ntwo\r\nthree\"\"\"\r\n\
                       license = '''a\nb'''\r\ndependencies = []\r\n";
        let with = settled(strings, &deps);
        for kept in ["\"\"\"one\ntwo\r\nthree\"\"\"\r\n", "'''a\nb'''\r\n"] {
            assert!(with.contains(kept), "{kept:?} in {with:?}");
        }
        let value = |text: &str, key: &str| {
            let doc: DocumentMut = text.parse().unwrap();
            doc["project"][key].as_str().map(str::to_string)
        };
        for key in ["description", "license"] {
            assert_eq!(value(&with, key), value(strings, key), "{key}");
        }
        assert_eq!(
            update(&with, &[], "pyproject.toml").unwrap().unwrap(),
            strings
        );
    }

    #[test]
    fn a_comment_with_invalid_utf8_replaced_is_synced_like_any_other() {
        // fuzz/corpus/pyproject/invalid-utf8-in-a-comment.toml, read lossily as the fuzz
        // target does: the bytes that are not UTF-8 were not the cause. The comment holds
        // what looks like an entry (`"httpx>=0.27",`), so the array is empty and written
        // over several lines: the layout of the finding above.
        let bytes: &[u8] = b"[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\ndependencies = [\n    # pinned by hand\xff\xff\xff\xff \"httpx>=0.27\",\n]\n\n[tool.ruff]\nline-length = 100  # wide screens\n";
        let text = String::from_utf8_lossy(bytes).into_owned();
        let two = [
            dep("fastapi", "fastapi>=0.110", None),
            dep("my_lib", "my-lib", Some(&[("path", "../my-lib")])),
        ];
        let with = settled(&text, &two);
        assert!(
            with.contains("# pinned by hand\u{fffd}\u{fffd}\u{fffd}\u{fffd} \"httpx>=0.27\",\n    \"fastapi>=0.110\",\n"),
            "{with}"
        );
        let back = update(&with, &[], "pyproject.toml").unwrap().unwrap();
        assert_eq!(back, text);
    }

    /// Property: whatever the layout of the dependency array (one line or one per line,
    /// comments anywhere, hsm's entries moved between the user's, \r\n), any sequence of
    /// syncs keeps every user comment and entry, writes hsm's entries after the user's,
    /// and a second sync with the same dependencies changes nothing.
    mod property {
        use proptest::prelude::{
            ProptestConfig, prop_assert, prop_assert_eq, prop_oneof, proptest,
        };
        use proptest::strategy::{Just, Strategy};

        use super::*;

        const HSM: [(&str, &str); 3] = [
            ("alpha", "alpha>=1"),
            ("beta-pkg", "beta_pkg==2"),
            ("gamma", "gamma"),
        ];

        /// Text between two items: `C` stands for a comment (numbered later), `N` for a line break.
        fn gap() -> impl Strategy<Value = &'static str> {
            prop_oneof![
                Just(""),
                Just(" "),
                Just("N    "),
                Just("N  "),
                Just("  CN    "),
                Just("N    CN    "),
                Just("NN    "),
                Just("N"),
                Just("  CN"),
                Just("N    CN"),
            ]
        }

        #[derive(Debug, Clone)]
        struct Layout {
            /// `Some(i)`: hsm's i-th entry (owned before the first sync); `None`: the user's.
            items: Vec<(Option<usize>, &'static str, &'static str)>,
            before_close: &'static str,
            trailing_comma: bool,
            crlf: bool,
            syncs: Vec<u8>,
        }

        fn layout() -> impl Strategy<Value = Layout> {
            (
                proptest::collection::vec(
                    (proptest::option::weighted(0.3, 0..3usize), gap(), gap()),
                    0..5,
                ),
                gap(),
                proptest::bool::ANY,
                proptest::bool::weighted(0.2),
                proptest::collection::vec(0..8u8, 1..5),
            )
                .prop_map(|(items, before_close, trailing_comma, crlf, syncs)| {
                    Layout {
                        items,
                        before_close,
                        trailing_comma,
                        crlf,
                        syncs,
                    }
                })
        }

        /// The file, the user's entries in order, and the user's comments.
        fn render(l: &Layout) -> (String, Vec<String>, Vec<String>) {
            let nl = if l.crlf { "\r\n" } else { "\n" };
            let mut comments = Vec::new();
            let mut fill = |g: &str| {
                let mut out = String::new();
                for c in g.chars() {
                    match c {
                        'N' => out.push_str(nl),
                        'C' => {
                            let c = format!("# c{}", comments.len());
                            out.push_str(&c);
                            comments.push(c);
                        }
                        c => out.push(c),
                    }
                }
                out
            };
            let mut array = String::from("[");
            let mut users = Vec::new();
            let mut owned = Vec::new();
            let mut seen = [false; 3];
            let items: Vec<_> = l
                .items
                .iter()
                .filter(|(h, _, _)| h.is_none_or(|i| !std::mem::replace(&mut seen[i], true)))
                .collect();
            for (k, (h, before, after)) in items.iter().enumerate() {
                array.push_str(&fill(before));
                let req = match h {
                    Some(i) => {
                        owned.push(format!("\"{}\"", normalize(HSM[*i].0)));
                        HSM[*i].1.to_string()
                    }
                    None => {
                        users.push(format!("user-{k}>=1"));
                        format!("user-{k}>=1")
                    }
                };
                array.push_str(&format!("\"{req}\""));
                if k + 1 < items.len() || l.trailing_comma {
                    array.push(',');
                }
                array.push_str(&fill(after));
            }
            array.push_str(&fill(l.before_close));
            array.push(']');
            let mut text = format!("[project]{nl}name = \"demo\"{nl}dependencies = {array}{nl}");
            if !owned.is_empty() {
                text.push_str(&format!(
                    "{nl}[tool.hsm]{nl}dependencies = [{}]{nl}sources = []{nl}",
                    owned.join(", ")
                ));
            }
            (text, users, comments)
        }

        fn entries(text: &str) -> Vec<String> {
            let doc: DocumentMut = text.parse().unwrap();
            doc["project"]["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn syncs_keep_the_users_array(l in layout()) {
                let (text, users, comments) = render(&l);
                prop_assume_valid(&text)?;
                let mut current = text.clone();
                for choice in l.syncs.iter().copied().chain([0]) {
                    let deps: Vec<PyDep> = HSM
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| choice & (1 << i) != 0)
                        .map(|(_, (p, r))| dep(p, r, None))
                        .collect();
                    let Some(out) = update(&current, &deps, "pyproject.toml").unwrap() else {
                        prop_assert!(deps.is_empty());
                        continue;
                    };
                    prop_assert!(out.parse::<DocumentMut>().is_ok(), "invalid TOML:\n{}", out);
                    // Every line break is the file's own kind.
                    let bare_lf = out.replace("\r\n", "").contains('\n');
                    let crlf = out.contains("\r\n");
                    prop_assert!(if l.crlf { !bare_lf } else { !crlf }, "line breaks of\n{:?}", out);
                    let mut expected = users.clone();
                    expected.extend(deps.iter().map(|d| d.requirement.clone()));
                    prop_assert_eq!(entries(&out), expected, "{}", out);
                    for c in &comments {
                        prop_assert_eq!(out.matches(c.as_str()).count(), 1, "{} lost or doubled:\n{}\nfrom\n{}", c, out, text);
                    }
                    let again = update(&out, &deps, "pyproject.toml").unwrap();
                    if !(deps.is_empty() && again.is_none()) {
                        prop_assert_eq!(again.as_deref(), Some(out.as_str()), "not settled; from\n{}", current);
                    }
                    current = out;
                }
            }
        }

        /// Some generated layouts are not TOML (a comment right before a comma on the
        /// same line cannot be written); they are skipped.
        fn prop_assume_valid(text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
            if text.parse::<DocumentMut>().is_err() {
                return Err(proptest::test_runner::TestCaseError::reject("not TOML"));
            }
            Ok(())
        }
    }

    #[test]
    fn a_file_without_hsm_and_no_libraries_is_untouched() {
        assert_eq!(update(USER, &[], "pyproject.toml").unwrap(), None);
    }

    #[test]
    fn user_entries_are_never_overwritten() {
        let err = update(USER, &[dep("httpx", "httpx", None)], "pyproject.toml").unwrap_err();
        assert!(
            err.message.contains("already lists `httpx`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_byte_order_mark_is_kept_and_counts_for_no_column() {
        let bom = format!("{}{USER}", crate::source::BOM);
        let deps = [dep("my-lib", "my-lib", None)];
        let with = settled(&bom, &deps);
        assert!(
            with.starts_with(&bom[..bom.find("dependencies").unwrap()]),
            "{with:?}"
        );
        assert_eq!(update(&with, &[], "pyproject.toml").unwrap().unwrap(), bom);
        // An error points at the same line and column with a BOM as without one.
        let position = |text: &str| {
            let err = update(text, &[dep("httpx", "httpx", None)], "pyproject.toml").unwrap_err();
            err.origin.map(|o| o.position())
        };
        assert!(position(USER).is_some());
        assert_eq!(position(&bom), position(USER));
    }

    #[test]
    fn project_names_become_valid_distribution_names() {
        assert_eq!(distribution_name("My Project"), "my-project");
        assert_eq!(distribution_name("RAG app!"), "rag-app");
        assert_eq!(distribution_name("__x__y"), "x-y");
        assert_eq!(distribution_name(""), "project");
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(requirement_name("Qdrant_Client>=1"), "qdrant-client");
        assert_eq!(
            requirement_name("zope.interface ; python_version>'3'"),
            "zope-interface"
        );
    }
}
