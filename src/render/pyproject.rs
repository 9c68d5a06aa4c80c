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

fn dependency(root: &std::path::Path, s: &Selected) -> Result<PyDep, Error> {
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
            let (key, value) = if let Some(t) = &src.tag {
                ("tag", t.clone())
            } else if let Some(r) = &src.rev {
                ("rev", r.clone())
            } else if let Some(b) = &src.branch {
                ("branch", b.clone())
            } else if let Some(r) = &src.git_ref {
                // `ref` (the original's key) names a tag unless it is a commit hash.
                if r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit()) {
                    ("rev", r.clone())
                } else {
                    ("tag", r.clone())
                }
            } else {
                ("", String::new())
            };
            if !key.is_empty() {
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

/// uv installs a local source from a Python project directory (or a built archive) that
/// exists: `Distribution not found` otherwise, long after the sync that wrote it.
fn check_local(root: &std::path::Path, s: &Selected, mode: Mode, path: &str) -> Result<(), Error> {
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
    if !full.exists() {
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
            "put the package's source there (relative to the project root: clone it, or `hsm library init {}`){switch}",
            s.name
        )));
    }
    let project = ["pyproject.toml", "setup.py"]
        .iter()
        .any(|f| full.join(f).is_file());
    if full.is_dir() && !project {
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
    for d in deps {
        let wanted = normalize(&d.package);
        if let Some(user) = array
            .iter()
            .find(|v| v.as_str().is_some_and(|r| requirement_name(r) == wanted))
        {
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
        if let Some(sources) = uv.get_mut("sources").and_then(|s| s.as_table_like_mut()) {
            for key in &owned_sources {
                let existing: Vec<String> = sources
                    .iter()
                    .map(|(k, _)| k.to_string())
                    .filter(|k| normalize(k) == *key)
                    .collect();
                for k in existing {
                    sources.remove(&k);
                }
            }
            for d in deps {
                if let Some(src) = &d.uv_source {
                    if sources
                        .iter()
                        .any(|(k, _)| normalize(k) == normalize(&d.package))
                    {
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
    Ok(Some(doc.to_string()))
}

/// Where the user's dependency entry for `wanted` is in the original text.
fn user_entry_span(text: &str, wanted: &str) -> Option<std::ops::Range<usize>> {
    // `DocumentMut` drops positions; the read-only document keeps them.
    let doc = toml_edit::Document::parse(text).ok()?;
    let deps = doc.get("project")?.get("dependencies")?.as_array()?;
    deps.iter()
        .find(|v| v.as_str().is_some_and(|r| requirement_name(r) == wanted))?
        .span()
}

/// Remove hsm's entries (it appends them, so they follow the user's). A comment that
/// [`append`] moved from the user's last line onto hsm's first entry goes back.
fn remove_owned(array: &mut Array, owned: &[String]) {
    let mut moved: Option<Option<String>> = None;
    let mut i = 0;
    while i < array.len() {
        let value = array.get(i);
        if value
            .and_then(|v| v.as_str())
            .is_some_and(|r| owned.contains(&requirement_name(r)))
        {
            if moved.is_none() {
                let prefix = value
                    .and_then(|v| v.decor().prefix())
                    .and_then(|p| p.as_str())
                    .unwrap_or("");
                moved = Some(prefix.rfind('\n').map(|nl| prefix[..nl].to_string()));
            }
            array.remove(i);
        } else {
            i += 1;
        }
    }
    // Only a one-per-line array had anything moved (see `append`).
    let Some(Some(comment)) = moved else { return };
    let trailing = array.trailing().as_str().unwrap_or("").to_string();
    let rest = trailing.strip_prefix('\n').unwrap_or(&trailing).to_string();
    if array.trailing_comma() {
        // `"x",  # c`: the comment was the array's, after the last comma.
        if comment.contains('#') {
            array.set_trailing(format!("{comment}\n{rest}"));
        }
    } else if let Some(last) = array.len().checked_sub(1).and_then(|i| array.get_mut(i)) {
        // `"x"  # c`: without a trailing comma the comment and line break were the entry's.
        last.decor_mut().set_suffix(format!("{comment}\n"));
        array.set_trailing(rest);
    }
}

/// Append entries in the array's own layout. In a one-per-line array, a comment at the end
/// of the user's last line stays on that line: it is moved in front of hsm's first entry
/// (where a new comma must go), so it is not carried to the end of hsm's line.
fn append(array: &mut Array, new: Vec<Value>) {
    let appended = !new.is_empty();
    let multiline = array.iter().next().is_some_and(|v| {
        v.decor()
            .prefix()
            .and_then(|p| p.as_str())
            .is_some_and(|p| p.contains('\n'))
    });
    // The indentation of the last item, without any comment above it.
    let indent = array
        .iter()
        .last()
        .and_then(|v| {
            v.decor()
                .prefix()
                .and_then(|p| p.as_str())
                .and_then(|p| p.rfind('\n').map(|i| p[i..].to_string()))
        })
        .unwrap_or_else(|| "\n    ".to_string());
    for (k, mut v) in new.into_iter().enumerate() {
        if multiline {
            let mut prefix = indent.clone();
            if k == 0 {
                let trailing = array.trailing().as_str().unwrap_or("").to_string();
                let last = array.len().checked_sub(1).and_then(|i| array.get_mut(i));
                if let Some(last) = last {
                    let suffix = last
                        .decor()
                        .suffix()
                        .and_then(|s| s.as_str())
                        .unwrap_or("")
                        .to_string();
                    if let Some(nl) = suffix.rfind('\n') {
                        // `"x"  # c` + newline, no trailing comma.
                        last.decor_mut().set_suffix("");
                        prefix = format!("{}{indent}", &suffix[..nl]);
                        array.set_trailing(format!("\n{trailing}"));
                    } else if let Some(nl) = trailing.rfind('\n').filter(|_| trailing.contains('#'))
                    {
                        // `"x",  # c` + newline.
                        prefix = format!("{}{indent}", &trailing[..nl]);
                        array.set_trailing(format!("\n{}", &trailing[nl + 1..]));
                    }
                }
            }
            v.decor_mut().set_prefix(prefix);
        } else if !array.is_empty() {
            v.decor_mut().set_prefix(" ");
        }
        array.push_formatted(v);
    }
    if multiline && appended && !array.trailing().as_str().is_some_and(|t| t.contains('\n')) {
        array.set_trailing("\n");
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
fn key_span(text: &str, path: &[&str], entry: Option<&str>) -> Option<std::ops::Range<usize>> {
    let doc = toml_edit::Document::parse(text).ok()?;
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
