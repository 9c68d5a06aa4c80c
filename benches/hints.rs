//! Proven hints: what explaining a conflict costs, with and without proving its hints.
//!
//! Target (issue): proving the hints of a conflict in the built-in registry adds < 50 ms.
//!
//! - `builtin_*`: two libraries of the built-in registry that demand different options of
//!   one 1-of-N group (`langchain-qdrant`, `langchain-milvus`).
//! - `synth_*`: the 50-component benchmark stack of `synth/` in registries of 1k and 10k
//!   components (in memory), made unsolvable by a constraint no version of `lib-00040`
//!   matches; every group selection, standalone entry and constraint of that hsm.yaml is a
//!   candidate edit, so this is the expensive end: ~40 candidates, each a full solve.
//!
//! `*_plain` solves and explains without hints; `*_proven` is what `hsm resolve` does.
//! The registry's cache is warm in both (files parsed once, outside the timed loop).

use std::path::Path;

use divan::Bencher;
use hsm::{Manifest, Outcome, Registry, Store, solve, solve_plain};

// The generator is shared with `resolve.rs`, which uses all of it; this uses a part.
#[allow(dead_code)]
mod synth;

fn main() {
    divan::main();
}

const BUILTIN: &str = "project:\n  name: clash\nlibraries:\n  standalone:\n    - langchain-qdrant\n    - langchain-milvus\n";

fn builtin() -> (Manifest, Registry) {
    let manifest = Manifest::from_text("hsm.yaml", Path::new("/p"), BUILTIN).expect("hsm.yaml");
    (manifest, Registry::builtin())
}

fn synthetic(n: usize) -> (Manifest, Registry) {
    let text = synth::MANIFEST.replace("lib-00040: \">=1\"", "lib-00040: \">=99\"");
    assert_ne!(
        text,
        synth::MANIFEST,
        "the constraint to break is in the stack"
    );
    let manifest = Manifest::from_text("hsm.yaml", Path::new("/p"), text).expect("hsm.yaml");
    let registry = Registry::new(Store::memory(synth::files(&synth::Spec::new(n))));
    (manifest, registry)
}

fn conflict(
    f: fn(&Manifest, &Registry) -> Result<Outcome, hsm::Error>,
    m: &Manifest,
    r: &Registry,
) -> usize {
    match f(m, r).expect("solve") {
        Outcome::Conflict(c) => c.hints.len(),
        Outcome::Solved(_) => panic!("the benchmark stack solved"),
    }
}

#[divan::bench]
fn builtin_plain(bencher: Bencher) {
    let (m, r) = builtin();
    conflict(solve, &m, &r);
    bencher.bench_local(|| conflict(solve_plain, &m, &r));
}

#[divan::bench]
fn builtin_proven(bencher: Bencher) {
    let (m, r) = builtin();
    assert!(conflict(solve, &m, &r) > 0, "no hints proven");
    bencher.bench_local(|| conflict(solve, &m, &r));
}

#[divan::bench(args = [1_000, 10_000])]
fn synth_plain(bencher: Bencher, n: usize) {
    let (m, r) = synthetic(n);
    conflict(solve, &m, &r);
    bencher.bench_local(|| conflict(solve_plain, &m, &r));
}

#[divan::bench(args = [1_000, 10_000])]
fn synth_proven(bencher: Bencher, n: usize) {
    let (m, r) = synthetic(n);
    assert!(conflict(solve, &m, &r) > 0, "no hints proven");
    bencher.bench_local(|| conflict(solve, &m, &r));
}
