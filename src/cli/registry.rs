//! `hsm registry test` and `hsm registry lint`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Context;
use super::output::outln;
use super::output::render_error;
use crate::error::Error;
use crate::registry::{Category, Kind, Registry, location};
use crate::scenario::{Suite, collect};
use crate::solve::graph::ImplicationGraph;

pub fn test(ctx: &Context, paths: &[PathBuf]) -> Result<ExitCode, Error> {
    let paths: Vec<PathBuf> = if paths.is_empty() {
        vec![ctx.root.join("rules")]
    } else {
        paths.iter().map(|p| ctx.cwd.join(p)).collect()
    };
    let files = collect(&paths)?;
    let manifest = ctx.manifest().ok();
    let default_registry = ctx.registry(manifest.as_ref())?;
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in files {
        let suite = match Suite::load(&path, &ctx.cwd) {
            Ok(s) => s,
            Err(err) => {
                eprint!("{}", render_error(&err));
                failed += 1;
                continue;
            }
        };
        let own = match &suite.registry {
            Some(dir) => {
                let (store, _) = location::locate(Some(dir), None, None, &ctx.root, &ctx.cwd)?;
                Some(Registry::new(store))
            }
            None => None,
        };
        let registry = own.as_ref().unwrap_or(&default_registry);
        for case in &suite.cases {
            let result = case.run(registry, &ctx.root);
            if result.failures.is_empty() {
                passed += 1;
                outln!("PASS  {}  {}", result.at, result.name);
            } else {
                failed += 1;
                outln!("FAIL  {}  {}", result.at, result.name);
                for f in &result.failures {
                    outln!("        {f}");
                }
            }
        }
    }
    outln!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Load every file of the registry; report each broken file and every implication cycle.
pub fn lint(ctx: &Context) -> Result<ExitCode, Error> {
    let manifest = ctx.manifest().ok();
    let registry = ctx.registry(manifest.as_ref())?;
    let mut problems = 0usize;
    let mut checked = 0usize;
    for category in Category::ALL {
        for name in registry.store().list(category) {
            checked += 1;
            let result = match category {
                Category::Libraries => registry.component(Kind::Library, &name).map(|_| ()),
                Category::Services => registry.component(Kind::Service, &name).map(|_| ()),
                Category::LibraryGroups => registry.group(Kind::Library, &name).map(|_| ()),
                Category::ServiceGroups => registry.group(Kind::Service, &name).map(|_| ()),
            };
            if let Err(err) = result {
                problems += 1;
                eprint!("{}", render_error(&err));
            }
        }
    }
    if problems == 0 {
        let graph = ImplicationGraph::build(&registry)?;
        for cycle in graph.cycles() {
            outln!("warning: implication cycle: {}", cycle.join(" → "));
        }
    }
    let root = registry.store().root().map_or_else(
        || "<built-in>".to_string(),
        |r| location::relative_display(r, &ctx.cwd),
    );
    outln!("{checked} files checked in {root}, {problems} with problems");
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
