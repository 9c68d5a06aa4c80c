//! Commands that edit hsm.yaml: `init`, `group`, `library`, `service`, `mode`, and the
//! read-only `list`.
//!
//! Every edit is lossless (see [`crate::manifest::edit`]), checked against the registry
//! (names, with a did-you-mean), and refused with the conflict explanation if it would make
//! the stack unsolvable — like `uv add` — unless `--force`. The write is one atomic rename
//! under the project lock, so a concurrent `hsm sync` sees the old file or the new one.

use std::collections::HashSet;
use std::process::ExitCode;

use super::Format;
use super::output::outln;
use crate::error::{Error, ErrorKind};
use crate::manifest::edit::initial_document;
use crate::manifest::{MANIFEST_FILE, Manifest, Section};
use crate::ops::Workspace;
use crate::ops::{
    self,
    edit_manifest::{EditOutcome, ManifestEdit},
};
use crate::solve::{Outcome, solve};
use crate::sync::files::replace_file;

/// Run one edit of hsm.yaml and report it.
pub fn edit(ctx: &Workspace, edit: ManifestEdit, force: bool) -> Result<ExitCode, Error> {
    match ops::edit_manifest::edit(ctx, &edit, force)? {
        EditOutcome::Unchanged => {
            outln!("Nothing to change: hsm.yaml already says that");
        }
        EditOutcome::Refused(conflict) => {
            eprintln!("error: this edit would leave no consistent stack; hsm.yaml was not changed");
            eprint!("{}", conflict.explanation());
            eprintln!("hint: pass --force to write it anyway");
            return Ok(ExitCode::from(1));
        }
        EditOutcome::Written { change, unsolvable } => {
            if unsolvable {
                outln!(
                    "warning: the stack is unsolvable after this edit (written because of --force)"
                );
            }
            outln!("{change}. Run `hsm sync` to apply.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn init(ctx: &Workspace, name: Option<&str>) -> Result<ExitCode, Error> {
    let _lock = ctx.lock()?;
    let path = ctx.root.join(MANIFEST_FILE);
    if path.exists() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "{} already exists",
                crate::registry::location::relative_display(&path, &ctx.cwd)
            ),
        )
        .with_help(
            "hsm init never overwrites it; edit it, or use `hsm group add` / `hsm library add`",
        ));
    }
    let name = match name {
        Some(n) => n.to_string(),
        None => ctx
            .root
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("project")
            .to_string(),
    };
    let text = initial_document(&name);
    let manifest = Manifest::from_text(MANIFEST_FILE, &ctx.root, text.as_str())?;
    let pyproject = ctx.root.join(crate::render::pyproject::PYPROJECT);
    let mut wrote = vec![MANIFEST_FILE];
    if !pyproject.exists() {
        replace_file(
            &pyproject,
            crate::render::pyproject::minimal(&manifest).as_bytes(),
        )?;
        wrote.push("pyproject.toml");
    }
    replace_file(&path, text.as_bytes())?;
    outln!("Initialized project `{name}`: wrote {}", wrote.join(", "));
    Ok(ExitCode::SUCCESS)
}

/// `hsm list`: the stack as a tree, with versions and modes.
pub fn list(ctx: &Workspace, format: Format) -> Result<ExitCode, Error> {
    let manifest = ctx.manifest()?;
    let registry = ctx.registry(Some(&manifest))?;
    let outcome = solve(&manifest, &registry)?;
    let selection = outcome.selection();
    if format == Format::Json {
        return match selection {
            Some(s) => {
                outln!(
                    "{:#}",
                    super::output::selection_json(s, registry.store().display())
                );
                Ok(ExitCode::SUCCESS)
            }
            None => {
                if let Outcome::Conflict(c) = &outcome {
                    outln!("{:#}", super::output::conflict_json(c));
                }
                Ok(ExitCode::from(1))
            }
        };
    }
    let label = |name: &str| -> String {
        match selection.and_then(|s| s.get(name)) {
            Some(c) => {
                let v = c
                    .version
                    .as_ref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                format!("{name}{v} ({})", c.mode)
            }
            None => format!("{name} ({})", manifest.mode_of(name)),
        }
    };
    let project = manifest
        .data
        .project
        .name
        .clone()
        .unwrap_or_else(|| "(unnamed)".into());
    outln!("{project}");
    let mut listed: HashSet<String> = HashSet::new();
    for s in [Section::Libraries, Section::Services] {
        outln!("├── {}", s.key());
        let groups = manifest.groups(s);
        let standalone = manifest.standalone(s);
        let mut rows: Vec<(String, Vec<String>)> = Vec::new();
        for (g, entry) in groups {
            let strategy = entry
                .strategy
                .map(|st| format!(" ({st})"))
                .unwrap_or_default();
            let items: Vec<String> = entry
                .selection
                .items()
                .into_iter()
                .map(|(_, o)| o.to_string())
                .collect();
            listed.extend(items.iter().cloned());
            rows.push((
                format!("{g}{strategy}"),
                items.iter().map(|o| label(o)).collect(),
            ));
        }
        if !standalone.is_empty() {
            listed.extend(standalone.iter().map(|e| e.name.clone()));
            rows.push((
                "standalone".into(),
                standalone.iter().map(|e| label(&e.name)).collect(),
            ));
        }
        print_rows(&rows);
    }
    match selection {
        Some(sel) => {
            let implied: Vec<String> = sel
                .components
                .iter()
                .filter(|c| !listed.contains(&c.name))
                .map(|c| format!("{} [{}]", label(&c.name), c.kind))
                .collect();
            outln!("└── implied");
            for (i, line) in implied.iter().enumerate() {
                let branch = if i + 1 == implied.len() {
                    "└──"
                } else {
                    "├──"
                };
                outln!("    {branch} {line}");
            }
        }
        None => {
            outln!("└── (the stack does not solve: `hsm check` explains why)");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_rows(rows: &[(String, Vec<String>)]) {
    for (i, (head, items)) in rows.iter().enumerate() {
        let last = i + 1 == rows.len();
        outln!("│   {} {head}", if last { "└──" } else { "├──" });
        for (j, item) in items.iter().enumerate() {
            let pad = if last { "    " } else { "│   " };
            outln!(
                "│   {pad}{} {item}",
                if j + 1 == items.len() {
                    "└──"
                } else {
                    "├──"
                }
            );
        }
    }
}
