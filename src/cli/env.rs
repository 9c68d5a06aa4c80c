//! `hsm env [--check] [--format text|json]`: print what [`ops::env`] found.

use std::process::ExitCode;

use super::Format;
use super::output::outln;
use crate::error::Error;
use crate::ops::env::Setting;
use crate::ops::{self, Workspace};

pub fn run(ctx: &Workspace, check: bool, format: Format) -> Result<ExitCode, Error> {
    let vars = match ops::env::env(ctx)? {
        Ok(v) => v,
        Err(conflict) => return super::output::conflict(&conflict, format),
    };
    let missing = vars.iter().filter(|v| v.missing()).count();
    let code = if check && missing > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    if format == Format::Json {
        let list: Vec<serde_json::Value> = vars
            .iter()
            .map(|v| {
                serde_json::json!({
                    "name": v.name,
                    "setting": v.setting,
                    "has_default": v.has_default,
                    "missing": v.missing(),
                    "uses": v.uses.iter().map(|u| serde_json::json!({
                        "service": u.service, "field": u.field, "at": u.at, "has_default": u.has_default,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        outln!(
            "{:#}",
            serde_json::json!({"status": "ok", "missing": missing, "variables": list})
        );
        return Ok(code);
    }
    if vars.is_empty() {
        outln!("The stack reads no environment variables");
        return Ok(code);
    }
    let width = vars.iter().map(|v| v.name.len()).max().unwrap_or(0);
    outln!(
        "{} the stack reads from the environment ({} unset without a default):",
        crate::vocab::count(vars.len(), "variable"),
        missing
    );
    for v in &vars {
        let state = match (v.setting, v.has_default) {
            (Setting::Environment, _) => "set",
            (Setting::DotEnv, _) => "set in .env",
            (Setting::Unset, true) => "unset, has a default",
            (Setting::Unset, false) => "UNSET",
        };
        outln!("  {:width$}  {state}", v.name);
        for u in &v.uses {
            let at =
                u.at.as_deref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default();
            outln!("  {:width$}    {}: {}{at}", "", u.service, u.field);
        }
    }
    if missing > 0 {
        outln!(
            "Set them in the environment or in .env (compose reads it); `hsm env --check` fails while any is unset"
        );
    }
    Ok(code)
}
