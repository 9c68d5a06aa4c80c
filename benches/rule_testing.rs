//! `hsm registry test --coverage --mutate` on the built-in registry and its `rules/`: what
//! a maintainer waits for (the issue asks for seconds; the command also prints its time).
//!
//! - `cases`: every case of `rules/` once (what `hsm registry test` does);
//! - `coverage`: the same, marking the rules each case made matter, then the inventory;
//! - `mutate`: every mutant of the registry against the cases that read its file, on
//!   every core (the registry's files loaded once, outside the timed loop).

use std::path::{Path, PathBuf};

use divan::Bencher;
use hsm::internals::{Case, coverage, mutate};
use hsm::{Outcome, Registry, Suite};

fn main() {
    divan::main();
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every case of `rules/`, expanded, and the mutants its files declare equivalent.
fn suites(registry: &Registry) -> (Vec<Case>, Vec<hsm::internals::Equivalent>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("rules"))
        .expect("rules/")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut cases = Vec::new();
    let mut equivalent = Vec::new();
    for f in files {
        let suite = Suite::load(&f, &root()).expect("a suite");
        equivalent.extend(suite.equivalent.iter().cloned());
        for w in &suite.written {
            cases.extend(w.cases(registry).expect("cases"));
        }
    }
    (cases, equivalent)
}

#[divan::bench]
fn cases(bencher: Bencher) {
    let registry = Registry::builtin();
    let (cases, _) = suites(&registry);
    bencher.bench(|| {
        for c in &cases {
            divan::black_box(c.run(&registry, Path::new("/p")));
        }
    });
}

#[divan::bench]
fn coverage(bencher: Bencher) {
    let registry = Registry::builtin();
    let (cases, _) = suites(&registry);
    bencher.bench(|| {
        let mut marks = coverage::Marks::default();
        for c in &cases {
            match c.solve(&registry, Path::new("/p")) {
                Ok(Outcome::Solved(s)) => marks.solved(&registry, &s),
                Ok(Outcome::Conflict(k)) => marks.conflict(&k),
                Err(_) => {}
            }
        }
        divan::black_box(coverage::Coverage::of(
            coverage::Inventory::of(&registry),
            &marks,
        ))
    });
}

#[divan::bench(sample_count = 10)]
fn mutate(bencher: Bencher) {
    let registry = Registry::builtin();
    registry.load_all();
    let (cases, equivalent) = suites(&registry);
    let refs: Vec<&Case> = cases.iter().collect();
    bencher.bench(|| {
        let report = mutate::run(&registry, &refs, Path::new("/p"), &equivalent);
        assert!(report.survived.is_empty());
        divan::black_box(report)
    });
}
