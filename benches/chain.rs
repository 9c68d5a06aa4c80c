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
use hsm::manifest::Manifest;
use hsm::registry::{Registry, Store};
use hsm::solve::{Outcome, Selection, solve};

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
        hsm::render::plan(&manifest, &registry, &selection, &nothing).expect("plan")
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
