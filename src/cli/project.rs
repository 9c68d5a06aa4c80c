//! `hsm init`, `group`, `library`, `service`, `mode` (edits of hsm.yaml, see
//! [`ops::edit_manifest`]) and `hsm list`: print what the op did.

use std::process::ExitCode;

use super::output::{conflict_json, outln, selection_json};
use super::{EditFlags, Format};
use crate::error::Error;
use crate::ops::edit_manifest::{Change, EditOutcome, ManifestEdit};
use crate::ops::list::Listed;
use crate::ops::{self, Workspace};
use crate::solve::Outcome;

/// Run one edit of hsm.yaml and report it.
pub fn edit(ctx: &Workspace, edit: ManifestEdit, flags: EditFlags) -> Result<ExitCode, Error> {
    let outcome = ops::edit_manifest::edit(ctx, &edit, flags.force)?;
    if flags.format == Format::Json {
        return edit_json(&outcome);
    }
    match outcome {
        EditOutcome::Unchanged => {
            outln!("Nothing to change: hsm.yaml already says that");
        }
        EditOutcome::Refused(conflict) => {
            eprintln!("error: this edit would leave no consistent stack; hsm.yaml was not changed");
            eprint!("{}", conflict.explanation());
            eprintln!("hint: pass --force to write it anyway");
            return Ok(ExitCode::from(1));
        }
        EditOutcome::Written {
            change,
            still: Some(conflict),
            ..
        } => {
            outln!("{change}.");
            outln!(
                "warning: that clash is gone, but the stack still does not solve: {}",
                conflict.summary
            );
            outln!("hint: `hsm resolve` explains what is left and proves the edits that fix it");
        }
        EditOutcome::Written {
            change, unsolvable, ..
        } => {
            if unsolvable {
                outln!(
                    "warning: the stack is unsolvable after this edit (written because of --force)"
                );
            }
            outln!("{change}. Run `hsm sync` to apply.");
            if let Some(warning) = package_manager_warning(&change) {
                outln!("warning: {warning}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn package_manager_warning(change: &Change) -> Option<String> {
    match change {
        Change::PackageManagerSet { name } if name != "uv" => Some(format!(
            "hsm installs with uv only: `hsm sync` refuses `package_manager: {name}` while the stack has libraries"
        )),
        _ => None,
    }
}

/// An edit as one JSON object: `status` is `written`, `unchanged` or `refused` (with the
/// conflict, exit 1).
fn edit_json(outcome: &EditOutcome) -> Result<ExitCode, Error> {
    let value = match outcome {
        EditOutcome::Unchanged => serde_json::json!({"status": "unchanged"}),
        EditOutcome::Refused(conflict) => {
            outln!(
                "{:#}",
                serde_json::json!({"status": "refused", "conflict": conflict_json(conflict)})
            );
            return Ok(ExitCode::from(1));
        }
        EditOutcome::Written {
            change,
            unsolvable,
            still,
            ..
        } => serde_json::json!({
            "status": "written",
            "change": change.to_string(),
            "unsolvable": unsolvable,
            "still_unsolvable": still.as_ref().map(|c| c.summary.clone()),
            "warnings": package_manager_warning(change).into_iter().collect::<Vec<_>>(),
        }),
    };
    outln!("{value:#}");
    Ok(ExitCode::SUCCESS)
}

pub fn init(ctx: &Workspace, name: Option<&str>) -> Result<ExitCode, Error> {
    let done = ops::init::init(ctx, name)?;
    outln!(
        "Initialized project `{}`: wrote {}",
        done.name,
        done.wrote.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// `hsm list`: the stack as a tree, with versions and modes.
pub fn list(ctx: &Workspace, format: Format) -> Result<ExitCode, Error> {
    let stack = ops::list::list(ctx)?;
    if format == Format::Json {
        return match &stack.resolved.outcome {
            Outcome::Solved(s) => {
                let mut value = selection_json(s, &stack.resolved.registry);
                let installed: std::collections::HashMap<&str, &(String, String)> = stack
                    .sections
                    .iter()
                    .flat_map(|(_, rows)| rows.iter().flat_map(|r| r.items.iter()))
                    .chain(stack.implied.iter().flatten().map(|(_, l)| l))
                    .filter_map(|l| Some((l.name.as_str(), l.installed.as_ref()?)))
                    .collect();
                for c in value["components"].as_array_mut().into_iter().flatten() {
                    let name = c["name"].as_str().unwrap_or_default().to_string();
                    if let Some((package, version)) = installed.get(name.as_str()) {
                        c["installed"] =
                            serde_json::json!({"package": package, "version": version});
                    }
                }
                outln!("{value:#}");
                Ok(ExitCode::SUCCESS)
            }
            Outcome::Conflict(c) => {
                outln!("{:#}", conflict_json(c));
                Ok(ExitCode::from(1))
            }
        };
    }
    let label = |l: &Listed| -> String {
        let v = l
            .version
            .as_ref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        match &l.installed {
            // What uv locked, next to what the registry gives.
            Some((package, installed)) => {
                format!("{}{v} ({}; uv.lock: {package} {installed})", l.name, l.mode)
            }
            None => format!("{}{v} ({})", l.name, l.mode),
        }
    };
    outln!("{}", stack.project.as_deref().unwrap_or("(unnamed)"));
    for (kind, rows) in &stack.sections {
        outln!("├── {}", kind.plural());
        let rows: Vec<(String, Vec<String>)> = rows
            .iter()
            .map(|row| {
                let head = match (&row.group, row.strategy) {
                    (Some(g), Some(st)) => format!("{g} ({st})"),
                    (Some(g), None) => g.clone(),
                    (None, _) => "standalone".to_string(),
                };
                (head, row.items.iter().map(label).collect())
            })
            .collect();
        print_rows(&rows);
    }
    let Some(implied) = &stack.implied else {
        outln!("└── (the stack does not solve: `hsm check` explains why)");
        return Ok(ExitCode::from(1));
    };
    outln!("└── implied");
    for (i, (kind, l)) in implied.iter().enumerate() {
        let branch = if i + 1 == implied.len() {
            "└──"
        } else {
            "├──"
        };
        outln!("    {branch} {} [{kind}]", label(l));
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
