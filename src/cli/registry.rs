//! `hsm registry test` and `hsm registry lint`: [`crate::ops::registry_check`], reported.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use super::Format;
use super::output::{color, out, outln, render_error, render_report, serde_plain};
use crate::error::Error;
use crate::ops::Workspace;
use crate::ops::registry_check::{self, Mutation, Ran, TestOptions, Tested};
use crate::scenario::coverage::{self, Coverage};
use crate::scenario::junit;
use crate::scenario::mutate::{Mutant, MutationReport};

pub fn update(ws: &Workspace) -> Result<ExitCode, Error> {
    let done = crate::ops::registry_update::update(ws)?;
    if done.registries.is_empty() {
        outln!("The project uses no git registry: nothing to update");
    }
    let short = |c: &str| c[..c.len().min(12)].to_string();
    for r in &done.registries {
        match &r.old {
            Some(old) if *old == r.new => {
                outln!("{}: at {} (unchanged)", r.spec, short(&r.new))
            }
            Some(old) => outln!("{}: {} -> {}", r.spec, short(old), short(&r.new)),
            None => outln!(
                "{}: at {} (the next `hsm sync` pins it in hsm.lock)",
                r.spec,
                short(&r.new)
            ),
        }
    }
    if done.wrote_lock {
        outln!("Updated hsm.lock; run `hsm sync` to apply the registry's changes");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn test(
    ws: &Workspace,
    options: &TestOptions,
    min_coverage: Option<f64>,
    junit: Option<&Path>,
    format: Format,
) -> Result<ExitCode, Error> {
    let run = registry_check::test(ws, options)?;
    if let Some(path) = junit {
        let items = run.ran.iter().map(|ran| match ran {
            Ran::Case(c) => junit::Item::Case(c),
            Ran::Broken(err) => junit::Item::Broken {
                file: err
                    .origin
                    .as_ref()
                    .map(|o| o.file().display().to_string())
                    .unwrap_or_else(|| "scenario files".to_string()),
                message: err.to_string(),
            },
        });
        let path = ws.cwd.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
        }
        crate::sync::files::replace_file(&path, junit::render(items).as_bytes())?;
    }
    let (passed, failed) = run.counts();
    let broken = run.ran.iter().any(|r| matches!(r, Ran::Broken(_)));
    let below = min_coverage.is_some_and(|min| !run.coverage_at_least(min));
    let ok = failed == 0 && !broken && !below && !run.mutants_survived();
    let code = if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    if format == Format::Json {
        if let Some(err) = run.stopped {
            return Err(err);
        }
        let cases: Vec<serde_json::Value> = run
            .ran
            .iter()
            .map(|ran| match ran {
                Ran::Broken(err) => serde_json::json!({"broken": err.to_json()}),
                Ran::Case(r) => serde_json::json!({
                    "name": r.name,
                    "at": r.at,
                    "passed": r.failures.is_empty(),
                    "failures": r.failures,
                }),
            })
            .collect();
        let mut json = serde_json::json!({
            "status": if ok { "passed" } else { "failed" },
            "passed": passed,
            "failed": failed,
            "cases": cases,
        });
        if !run.registries.is_empty() {
            json["registries"] = run.registries.iter().map(tested_json).collect();
        }
        outln!("{json:#}");
        return Ok(code);
    }
    for ran in &run.ran {
        match ran {
            Ran::Broken(err) => eprint!("{}", render_error(err)),
            Ran::Case(result) if result.failures.is_empty() => {
                outln!("PASS  {}  {}", result.at, result.name);
            }
            Ran::Case(result) => {
                outln!("FAIL  {}  {}", result.at, result.name);
                for f in &result.failures {
                    outln!("        {f}");
                }
            }
        }
    }
    if let Some(err) = run.stopped {
        return Err(err);
    }
    outln!("{passed} passed, {failed} failed");
    for t in &run.registries {
        if let Some(c) = &t.coverage {
            coverage_text(&t.registry, c, min_coverage);
        }
        match &t.mutation {
            Some(Mutation::Ran(m)) => mutation_text(&t.registry, m),
            Some(Mutation::NotRun { failed }) => outln!(
                "\nmutation testing of {}: not run, {failed} {} must pass first",
                t.registry,
                if *failed == 1 { "case" } else { "cases" }
            ),
            None => {}
        }
    }
    Ok(code)
}

fn coverage_text(registry: &str, c: &Coverage, min: Option<f64>) {
    outln!(
        "\nrule coverage of {registry}: {} of {} rules ({:.1} %)",
        c.all.covered,
        c.all.total,
        c.percent()
    );
    for (kind, count) in c.kinds.iter().filter(|(_, n)| n.total > 0) {
        outln!(
            "  {:<20} {:>4} of {:<4} ({:.1} %)",
            kind.plural(),
            count.covered,
            count.total,
            coverage::percent(*count)
        );
    }
    if !c.unread_defaults.is_empty() {
        let n = c.unread_defaults.len();
        outln!(
            "  not counted: {n} group {} that no rule reads (none implies the group without an option)",
            if n == 1 { "default" } else { "defaults" }
        );
    }
    if !c.uncovered.is_empty() {
        outln!("uncovered rules (no case made them matter):");
        for r in &c.uncovered {
            outln!("  {}  {}", r.origin.short(), r.text);
        }
    }
    if let Some(min) = min
        && c.percent() < min
    {
        outln!(
            "error: rule coverage {:.1} % is below --min-coverage {min}",
            c.percent()
        );
    }
}

fn mutation_text(registry: &str, m: &MutationReport) {
    outln!(
        "\nmutation testing of {registry}: {} mutants, {} killed, {} equivalent, {} survived; score {:.1} % ({:.2} s)",
        m.mutants,
        m.killed,
        m.equivalent.len(),
        m.survived.len(),
        m.score(),
        m.elapsed.as_secs_f64()
    );
    if m.unmade > 0 {
        outln!(
            "  not made: {} {} that cannot alter any stack (a default no rule reads, a range that would admit the same versions)",
            m.unmade,
            if m.unmade == 1 { "change" } else { "changes" }
        );
    }
    if !m.equivalent.is_empty() {
        outln!("equivalent mutants (declared in `equivalent_mutants:`):");
        for (e, reason) in &m.equivalent {
            outln!("  {}  {}", e.origin.short(), e.text);
            outln!("      because {reason}");
        }
    }
    if !m.survived.is_empty() {
        outln!("surviving mutants (no case fails when the rule changes):");
        for s in &m.survived {
            outln!("  {}  {}", s.origin.short(), s.text);
        }
        outln!(
            "  help: add a case that fails with the change, or, if no stack can change, list it under `equivalent_mutants:` with the reason"
        );
    }
    for e in &m.unused {
        outln!(
            "warning: `equivalent_mutants:` names a mutant that does not survive (or does not exist): {}",
            e.mutant
        );
    }
}

fn tested_json(t: &Tested) -> serde_json::Value {
    let mut json = serde_json::json!({"registry": t.registry, "cases": t.cases});
    if let Some(c) = &t.coverage {
        let kinds: serde_json::Map<String, serde_json::Value> = c
            .kinds
            .iter()
            .map(|(k, n)| (serde_plain(k), serde_json::json!(n)))
            .collect();
        let rule = |r: &crate::scenario::coverage::Rule| {
            let (file, line, column) = r.origin.position();
            serde_json::json!({"kind": r.kind, "rule": r.text, "file": file, "line": line, "column": column})
        };
        json["coverage"] = serde_json::json!({
            "covered": c.all.covered,
            "total": c.all.total,
            "percent": c.percent(),
            "kinds": kinds,
            "uncovered": c.uncovered.iter().map(rule).collect::<Vec<_>>(),
            "unread_defaults": c.unread_defaults.iter().map(rule).collect::<Vec<_>>(),
        });
    }
    match &t.mutation {
        Some(Mutation::Ran(m)) => {
            let mutant = |s: &Mutant| {
                let (file, line, column) = s.origin.position();
                serde_json::json!({"operator": s.operator, "mutant": s.text, "file": file, "line": line, "column": column})
            };
            json["mutation"] = serde_json::json!({
                "mutants": m.mutants,
                "not_made": m.unmade,
                "killed": m.killed,
                "score": m.score(),
                "seconds": m.elapsed.as_secs_f64(),
                "survived": m.survived.iter().map(mutant).collect::<Vec<_>>(),
                "equivalent": m.equivalent.iter().map(|(s, reason)| {
                    let mut v = mutant(s);
                    v["reason"] = reason.clone().into();
                    v
                }).collect::<Vec<_>>(),
                "unused_equivalents": m.unused.iter().map(|e| e.mutant.clone()).collect::<Vec<_>>(),
            });
        }
        Some(Mutation::NotRun { failed }) => {
            json["mutation"] = serde_json::json!({"not_run": true, "failed": failed});
        }
        None => {}
    }
    json
}

/// Every check of the whole registry; exit 1 on errors, or on warnings with
/// `--deny-warnings`.
pub fn lint(ws: &Workspace, deny_warnings: bool, format: Format) -> Result<ExitCode, Error> {
    let registry_check::Linted {
        report,
        root,
        loaded,
    } = registry_check::lint(ws)?;
    // The process is about to exit: freeing every loaded file would only cost time.
    std::mem::forget(loaded);
    match format {
        Format::Json => {
            let mut json = report.to_json();
            json["registry"] = root.into();
            outln!("{json:#}");
        }
        Format::Text => {
            let color = color(std::io::stdout().is_terminal());
            for f in &report.findings {
                // Notes (the rules behind a conflict, the steps of a cycle) go between the
                // code frame and the help that refers to them.
                let help = if f.notes.is_empty() {
                    None
                } else {
                    f.help.clone()
                };
                let frame = crate::lint::Finding {
                    help: if help.is_some() { None } else { f.help.clone() },
                    ..f.clone()
                };
                out!("{}", render_report(&frame, &f.severity.to_string(), color));
                for note in &f.notes {
                    outln!("  {note}");
                }
                if let Some(help) = help {
                    outln!("  help: {help}");
                }
                outln!("");
            }
            outln!(
                "{} checked in {root}: {}, {}",
                crate::vocab::count(report.files, "file"),
                crate::vocab::count(report.errors(), "error"),
                crate::vocab::count(report.warnings(), "warning")
            );
        }
    }
    let failed = report.errors() > 0 || (deny_warnings && report.warnings() > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
