//! Check the registry: run rule-set scenario files (`hsm registry test`) and lint every
//! file (`hsm registry lint`).

use std::path::PathBuf;

use super::Workspace;
use crate::error::Error;
use crate::lint::Report;
use crate::registry::{Registry, location};
use crate::scenario::{CaseResult, Suite, collect};

/// One step of a scenario run, in order.
#[derive(Debug)]
pub enum Ran {
    /// A scenario file that does not load (counted as one failure).
    Broken(Error),
    /// A case and what went wrong with it (nothing: it passed).
    Case(CaseResult),
}

/// What [`test`] ran.
#[derive(Debug, Default)]
pub struct TestRun {
    pub ran: Vec<Ran>,
    /// The run stopped here (a suite's own registry cannot be used); what ran before is
    /// in `ran`.
    pub stopped: Option<Error>,
}

impl TestRun {
    /// Cases passed, and cases failed plus files that do not load.
    pub fn counts(&self) -> (usize, usize) {
        let passed = self
            .ran
            .iter()
            .filter(|r| matches!(r, Ran::Case(c) if c.failures.is_empty()))
            .count();
        (passed, self.ran.len() - passed)
    }
}

/// Run the scenario files at `paths` (default: the project's `rules/`), each case
/// against the suite's own registry or the project's.
pub fn test(ws: &Workspace, paths: &[PathBuf]) -> Result<TestRun, Error> {
    let paths: Vec<PathBuf> = if paths.is_empty() {
        vec![ws.root.join("rules")]
    } else {
        paths.iter().map(|p| ws.cwd.join(p)).collect()
    };
    let files = collect(&paths)?;
    let default_registry = ws.registry_anywhere()?;
    let mut run = TestRun::default();
    for path in files {
        let suite = match Suite::load(&path, &ws.cwd) {
            Ok(s) => s,
            Err(err) => {
                run.ran.push(Ran::Broken(err));
                continue;
            }
        };
        let own = match &suite.registry {
            Some(dir) => match location::locate(Some(dir), None, None, &ws.root, &ws.cwd) {
                Ok((store, _)) => Some(Registry::new(store)),
                Err(err) => {
                    run.stopped = Some(err);
                    return Ok(run);
                }
            },
            None => None,
        };
        let registry = own.as_ref().unwrap_or(&default_registry);
        for case in &suite.cases {
            run.ran.push(Ran::Case(case.run(registry, &ws.root)));
        }
    }
    Ok(run)
}

/// What [`lint`] found.
#[derive(Debug)]
pub struct Linted {
    pub report: Report,
    /// The registry's directory as the user sees it (its name, for the built-in one).
    pub root: String,
    /// The registry with what lint left in its cache, handed back so that a caller about
    /// to exit can skip freeing it (up to 40,000 loaded files).
    pub loaded: Registry,
}

/// Every check of the whole registry (see [`crate::lint`]).
pub fn lint(ws: &Workspace) -> Result<Linted, Error> {
    // Lint changes no file: each directory is listed once, not once per unknown name.
    let registry = ws.registry_anywhere()?.unchanging();
    let report = crate::lint::lint(&registry, &ws.root);
    let root = registry
        .store()
        .root()
        .map_or_else(|| registry.store().display().to_string(), |r| ws.display(r));
    Ok(Linted {
        report,
        root,
        loaded: registry,
    })
}
