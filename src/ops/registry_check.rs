//! Check the registry: run rule-set scenario files (`hsm registry test`) and lint every
//! file (`hsm registry lint`).

use std::path::PathBuf;

use super::Workspace;
use crate::error::Error;
use crate::lint::Report;
use crate::registry::{Registry, location};
use crate::scenario::coverage::{Coverage, Inventory, Marks};
use crate::scenario::mutate::{self, MutationReport};
use crate::scenario::{Case, CaseResult, Equivalent, Suite, collect};
use crate::solve::Outcome;

/// One step of a scenario run, in order.
#[derive(Debug)]
pub enum Ran {
    /// A scenario file, or a case of it, that does not load (counted as one failure).
    Broken(Error),
    /// A case and what went wrong with it (nothing: it passed).
    Case(CaseResult),
}

/// What `hsm registry test` does besides running the cases.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Scenario files or directories of them (default: the project's `rules/`).
    pub paths: Vec<PathBuf>,
    /// Run only the cases whose name contains this.
    pub filter: Option<String>,
    /// Say which rules of the registry the cases made matter.
    pub coverage: bool,
    /// Run the cases against every mutant of the registry.
    pub mutate: bool,
}

/// What [`test`] ran.
#[derive(Debug, Default)]
pub struct TestRun {
    pub ran: Vec<Ran>,
    /// The run stopped here (a suite's own registry cannot be used); what ran before is
    /// in `ran`.
    pub stopped: Option<Error>,
    /// With `--coverage` or `--mutate`: each registry the cases ran against, the
    /// project's first.
    pub registries: Vec<Tested>,
}

/// Coverage and mutation results for one registry.
#[derive(Debug)]
pub struct Tested {
    /// The registry, as messages name it.
    pub registry: String,
    pub cases: usize,
    pub coverage: Option<Coverage>,
    pub mutation: Option<Mutation>,
}

/// `--mutate` on one registry.
#[derive(Debug)]
pub enum Mutation {
    /// Mutants are only judged by a suite that passes: these cases failed or did not load.
    NotRun {
        failed: usize,
    },
    Ran(MutationReport),
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

    /// Whether every registry's coverage is at least `min` percent.
    pub fn coverage_at_least(&self, min: f64) -> bool {
        self.registries
            .iter()
            .filter_map(|t| t.coverage.as_ref())
            .all(|c| c.percent() >= min)
    }

    /// Whether some mutant survived (documented equivalent ones do not count).
    pub fn mutants_survived(&self) -> bool {
        self.registries.iter().any(|t| match &t.mutation {
            Some(Mutation::Ran(r)) => !r.survived.is_empty(),
            Some(Mutation::NotRun { .. }) => true,
            None => false,
        })
    }
}

/// A registry the cases run against, with what coverage and mutation need of it.
struct UnderTest {
    registry: Registry,
    display: String,
    /// The cases run against it.
    cases: Vec<Case>,
    marks: Marks,
    failed: usize,
    equivalent: Vec<Equivalent>,
}

impl UnderTest {
    fn new(registry: Registry) -> UnderTest {
        let display = match registry.store() {
            crate::registry::Store::Builtin => "the built-in registry".to_string(),
            store => store.display().to_string(),
        };
        UnderTest {
            display,
            registry,
            cases: Vec::new(),
            marks: Marks::default(),
            failed: 0,
            equivalent: Vec::new(),
        }
    }
}

/// Run the scenario files of `options` (default: the project's `rules/`), each case
/// against the suite's own registry or the project's.
pub fn test(ws: &Workspace, options: &TestOptions) -> Result<TestRun, Error> {
    let paths: Vec<PathBuf> = if options.paths.is_empty() {
        vec![ws.root.join("rules")]
    } else {
        options.paths.iter().map(|p| ws.cwd.join(p)).collect()
    };
    let files = collect(&paths)?;
    let mut under: Vec<UnderTest> = vec![UnderTest::new(ws.registry_anywhere()?)];
    let mut run = TestRun::default();
    for path in files {
        let suite = match Suite::load(&path, &ws.cwd) {
            Ok(s) => s,
            Err(err) => {
                run.ran.push(Ran::Broken(err));
                continue;
            }
        };
        let at = match &suite.registry {
            Some(dir) => match location::locate(Some(dir), None, None, &ws.root, &ws.cwd) {
                Ok((store, _)) => {
                    let own = UnderTest::new(Registry::new(store));
                    match under.iter().position(|u| u.display == own.display) {
                        Some(i) => i,
                        None => {
                            under.push(own);
                            under.len() - 1
                        }
                    }
                }
                Err(err) => {
                    run.stopped = Some(err);
                    return Ok(run);
                }
            },
            None => 0,
        };
        let u = &mut under[at];
        u.equivalent.extend(suite.equivalent.iter().cloned());
        for written in &suite.written {
            let cases = match written.cases(&u.registry) {
                Ok(cases) => cases,
                Err(err) => {
                    run.ran.push(Ran::Broken(err));
                    continue;
                }
            };
            for case in cases {
                if let Some(filter) = &options.filter
                    && !case.name.contains(filter.as_str())
                {
                    continue;
                }
                let start = std::time::Instant::now();
                let outcome = case.solve(&u.registry, &ws.root);
                let mut result = case.result(&outcome);
                result.elapsed = start.elapsed();
                if result.failures.is_empty() {
                    if options.coverage
                        && case.counts_for_coverage(&outcome)
                        && let Ok(outcome) = &outcome
                    {
                        match outcome {
                            Outcome::Solved(stack) => u.marks.solved(&u.registry, stack),
                            Outcome::Conflict(conflict) => u.marks.conflict(conflict),
                        }
                    }
                } else {
                    u.failed += 1;
                }
                run.ran.push(Ran::Case(result));
                u.cases.push(case);
            }
        }
    }
    if options.coverage || options.mutate {
        // The registries cases ran against (the project's, when none did).
        let broken = run
            .ran
            .iter()
            .filter(|r| matches!(r, Ran::Broken(_)))
            .count();
        let none = under.iter().all(|u| u.cases.is_empty());
        for (i, mut u) in under.into_iter().enumerate() {
            if !u.cases.is_empty() || (none && i == 0) {
                // A file that does not load may hold cases for any registry.
                u.failed += broken;
                run.registries.push(tested(u, options, &ws.root));
            }
        }
    }
    Ok(run)
}

fn tested(u: UnderTest, options: &TestOptions, root: &std::path::Path) -> Tested {
    let coverage = options.coverage.then(|| {
        u.registry.load_all();
        Coverage::of(Inventory::of(&u.registry), &u.marks)
    });
    let mutation = options.mutate.then(|| {
        if u.failed > 0 {
            return Mutation::NotRun { failed: u.failed };
        }
        let cases: Vec<&Case> = u.cases.iter().collect();
        Mutation::Ran(mutate::run(&u.registry, &cases, root, &u.equivalent))
    });
    Tested {
        registry: u.display,
        cases: u.cases.len(),
        coverage,
        mutation,
    }
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
