//! Scaling benchmarks: stacks that are one deep chain of implications, or one wide fan-out,
//! of 1k, 10k and 100k components (see `synth/chain.rs` for the shapes).
//!
//! Target (issue 8): a chain of 10 000 resolves in well under a second, and time and memory
//! grow linearly with the length of the chain; before, every component stored its whole
//! chain of reasons, so a chain of 4 000 took 13.5 s and 2.4 GB.
//!
//! - `solve_*`: `Manifest::from_text` + a fresh in-memory registry + `solve`, so registry
//!   files are parsed in every iteration, as in `hsm resolve` (without the file system).
//! - `explain_chain`: every component's chain of reasons as `hsm resolve --explain` lists
//!   them (sentences and `file:line` citations), on a solved chain.
//! - `plan_*`: every artifact of `hsm sync` rendered in memory (pyproject.toml with one
//!   dependency per library, compose with one `depends_on` per service, hsm.lock with one
//!   reason per component), on a solved stack.
//! - `plan_chain_again`: the second sync of the chain: the same plan when pyproject.toml
//!   already holds the `n` entries the first one wrote (hsm removes and re-adds them).
//! - `plan_listed_again`: the same, on a chain whose every component hsm.yaml lists as a
//!   standalone entry (`n` entries in hsm.yaml, each asked for its mode and profile).
//! - `pyproject_again`: the pyproject.toml update alone, on a file holding `n` entries of
//!   hsm's (half of them with a `[tool.uv.sources]` entry), as the second sync does it.
//!
//! The second sync was quadratic (hsm's old entries removed one search at a time, each
//! source key removed by shifting the rest, the mode and profile of every component looked
//! up through all of hsm.yaml, every `file:line` counted from the start of the file).
//! Medians before → after, release, on a loaded 2-core machine: `pyproject_again` 10k
//! 12.1 s → 160 ms, 100k > 5 min (did not finish) → 1.56 s; `plan_chain_again` 10k
//! 3.9 s → 414 ms, 100k → 5.1 s; `plan_listed_again` 10k 2.5 s → 253 ms, 100k → 3.9 s.
//!
//! Outside the timed loops every benchmark checks that the stack holds all `n` components.
//! Compare sizes: the time per component should stay flat from 1k to 100k. It grows a little
//! (about 30 µs at 1k, 60 µs at 100k for `solve_chain`) with the heap: the profile at 100k
//! is the allocator, YAML parsing and pubgrub, with no step that depends on `n`.
//! `solve_fan` at 100k spends a third of its time in pubgrub's unit propagation, which
//! keeps the packages to revisit in a list it scans linearly (a component that implies
//! 100 000 others puts them all there at once); at 10k that is negligible.

use std::path::Path;

use divan::Bencher;
use hsm::Manifest;
use hsm::internals::pyproject::{self, PYPROJECT, PyDep};
use hsm::{Outcome, Selection, solve};
use hsm::{Registry, Store};

#[path = "synth/chain.rs"]
mod chain;

use chain::Shape;

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

fn main() {
    divan::main();
}

fn setup(shape: Shape, n: usize) -> (Manifest, Store) {
    let manifest =
        Manifest::from_text("hsm.yaml", Path::new("/bench"), shape.manifest()).expect("hsm.yaml");
    (manifest, Store::memory(shape.files(n)))
}

fn solved(manifest: &Manifest, registry: &Registry, n: usize) -> Selection {
    match solve(manifest, registry).expect("solve") {
        Outcome::Solved(selection) => {
            assert_eq!(
                selection.components.len(),
                n,
                "every component is in the stack"
            );
            selection
        }
        Outcome::Conflict(c) => panic!("the stack has a conflict: {}", c.render()),
    }
}

/// hsm.yaml listing every component of the chain.
fn listed(n: usize) -> String {
    let mut text = String::from("project:\n  name: listed\nlibraries:\n  standalone:\n");
    for i in 1..=n {
        text.push_str(&format!("    - {}\n", Shape::Chain.name(i)));
    }
    text
}

fn bench_plan_again(bencher: Bencher, manifest: &str, n: usize) {
    let manifest =
        Manifest::from_text("hsm.yaml", Path::new("/bench"), manifest).expect("hsm.yaml");
    let registry = Registry::new(Store::memory(Shape::Chain.files(n)));
    let selection = solved(&manifest, &registry, n);
    let nothing = |_: &str| Ok(None);
    let first = hsm::plan(
        &manifest,
        &registry,
        &selection,
        &nothing,
        &hsm::OldLock::default(),
    )
    .expect("plan");
    let pyproject = first
        .artifacts
        .iter()
        .find(|a| a.path == PYPROJECT)
        .and_then(|a| a.new.clone())
        .expect("the first sync writes pyproject.toml");
    let written = |rel: &str| Ok((rel == PYPROJECT).then(|| pyproject.clone()));
    let again = hsm::plan(
        &manifest,
        &registry,
        &selection,
        &written,
        &hsm::OldLock::default(),
    )
    .expect("plan");
    assert!(
        again
            .artifacts
            .iter()
            .all(|a| a.path != PYPROJECT || !a.changed()),
        "the second sync leaves pyproject.toml as it is"
    );
    bencher.bench_local(|| {
        hsm::plan(
            &manifest,
            &registry,
            &selection,
            &written,
            &hsm::OldLock::default(),
        )
        .expect("plan")
    });
}

fn bench_solve(bencher: Bencher, shape: Shape, n: usize) {
    let (manifest, store) = setup(shape, n);
    solved(&manifest, &Registry::new(store.clone()), n);
    bencher.bench_local(|| solve(&manifest, &Registry::new(store.clone())).expect("solve"));
}

fn bench_plan(bencher: Bencher, shape: Shape, n: usize) {
    let (manifest, store) = setup(shape, n);
    let registry = Registry::new(store);
    let selection = solved(&manifest, &registry, n);
    let nothing = |_: &str| Ok(None);
    bencher.bench_local(|| {
        hsm::plan(
            &manifest,
            &registry,
            &selection,
            &nothing,
            &hsm::OldLock::default(),
        )
        .expect("plan")
    });
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn solve_chain(bencher: Bencher, n: usize) {
    bench_solve(bencher, Shape::Chain, n);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn solve_fan(bencher: Bencher, n: usize) {
    bench_solve(bencher, Shape::Fan, n);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn solve_group_chain(bencher: Bencher, n: usize) {
    bench_solve(bencher, Shape::GroupChain, n);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn solve_service_chain(bencher: Bencher, n: usize) {
    bench_solve(bencher, Shape::ServiceChain, n);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn explain_chain(bencher: Bencher, n: usize) {
    let (manifest, store) = setup(Shape::Chain, n);
    let registry = Registry::new(store);
    let selection = solved(&manifest, &registry, n);
    bencher.bench_local(|| {
        let mut chains = selection.chains();
        let mut bytes = 0;
        for c in &selection.components {
            let chain = chains.of(c);
            bytes += chain.above_text().map_or(0, |t| t.len());
            bytes += chain
                .steps
                .iter()
                .map(|r| r.text.len() + r.at().len())
                .sum::<usize>();
        }
        bytes
    });
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn plan_chain(bencher: Bencher, n: usize) {
    bench_plan(bencher, Shape::Chain, n);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn plan_service_chain(bencher: Bencher, n: usize) {
    bench_plan(bencher, Shape::ServiceChain, n);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn plan_chain_again(bencher: Bencher, n: usize) {
    bench_plan_again(bencher, &Shape::Chain.manifest(), n);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn plan_listed_again(bencher: Bencher, n: usize) {
    bench_plan_again(bencher, &listed(n), n);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn pyproject_again(bencher: Bencher, n: usize) {
    let deps: Vec<PyDep> = (1..=n)
        .map(|i| {
            let package = format!("py-c{i:06}");
            let uv_source = (i % 2 == 0).then(|| {
                let mut t = toml_edit::InlineTable::new();
                t.insert("path", format!("packages/{package}").into());
                t
            });
            PyDep {
                requirement: format!("{package}>=1"),
                package,
                uv_source,
            }
        })
        .collect();
    let user = "[project]\nname = \"demo\"\nversion = \"0.1.0\"\ndependencies = [\n    \"httpx>=0.27\",\n]\n";
    let first = pyproject::update(user, &deps, PYPROJECT)
        .expect("update")
        .expect("a file");
    let again = pyproject::update(&first, &deps, PYPROJECT).expect("update");
    assert_eq!(
        again.as_deref(),
        Some(first.as_str()),
        "the second sync changes nothing"
    );
    bencher.bench_local(|| pyproject::update(&first, &deps, PYPROJECT).expect("update"));
}
