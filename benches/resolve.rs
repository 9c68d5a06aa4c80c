//! Resolve benchmarks on synthetic registries of 1k, 10k and 100k components.
//!
//! Target (issue): resolving a 50-component stack in a 100k-component registry takes
//! < 10 ms, and the cost stays flat as the registry grows while the stack stays the same.
//!
//! - `resolve_dir`: the whole pipeline as `hsm resolve` runs it: `Manifest::load` +
//!   `Registry::new(Store::dir(..))` + `solve`, with a fresh registry every iteration, so
//!   the lazy reading and parsing of registry files is measured (the OS page cache is warm:
//!   the same ~60 files are read each iteration).
//! - `resolve_memory`: the same with the registry in memory (`Store::memory`), a fresh
//!   `Registry` every iteration: parsing + solving without file system calls.
//! - `solve_warm`: only `solve` against a registry whose cache already holds the stack's
//!   components: rule compilation + pubgrub + building the selection.
//! - `per_file`: the cost of one registry file (serde parse; position index) and of
//!   parsing hsm.yaml, to read the profiles of the pipelines by.
//!
//! Registries are generated once per size (see `synth/mod.rs`), into a temporary
//! directory, or into `$HSM_BENCH_CACHE/synth-<n>` to keep them across runs.
//! Outside the timed loops every benchmark checks that the stack is exactly the expected
//! 50 components, at the expected versions.
//!
//! Generate a registry by hand (then `cd DIR && hsm resolve`):
//! `cargo bench --bench resolve -- generate 100000 DIR`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use divan::Bencher;
use hsm::Manifest;
use hsm::{Kind, Registry, Store};
use hsm::{Outcome, solve};

mod synth;

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("generate") {
        generate_cli(&args[1..]);
        return;
    }
    // Generate (or find in the cache) every registry before divan starts printing.
    for n in SIZES {
        fixture(n);
    }
    divan::main();
    // Statics are never dropped: remove the temporary registries explicitly.
    TEMP_DIRS
        .lock()
        .expect("temp dir list")
        .drain(..)
        .for_each(drop);
}

fn generate_cli(args: &[String]) {
    let (Some(n), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: cargo bench --bench resolve -- generate <components> <dir>");
        std::process::exit(2);
    };
    let n: usize = n.replace('_', "").parse().expect("a number of components");
    let spec = synth::Spec::new(n);
    let start = Instant::now();
    let count = synth::write(&spec, Path::new(dir)).expect("write the registry");
    eprintln!(
        "wrote {count} files to {dir} in {:.1?}; stack: {} components",
        start.elapsed(),
        synth::STACK_SIZE
    );
}

// ------------------------------------------------------------------------------ fixtures

#[derive(Debug)]
struct Fixture {
    n: usize,
    /// Project directory: `hsm.yaml` and `registry/`.
    root: PathBuf,
    memory: OnceLock<Store>,
}

static FIXTURES: Mutex<BTreeMap<usize, &'static Fixture>> = Mutex::new(BTreeMap::new());
static TEMP_DIRS: Mutex<Vec<tempfile::TempDir>> = Mutex::new(Vec::new());

/// The registry of `n` components, generated on first use.
fn fixture(n: usize) -> &'static Fixture {
    let mut fixtures = FIXTURES.lock().expect("fixtures");
    if let Some(f) = fixtures.get(&n) {
        return f;
    }
    let spec = synth::Spec::new(n);
    let start = Instant::now();
    let root = match std::env::var_os("HSM_BENCH_CACHE") {
        Some(cache) => {
            let root = PathBuf::from(cache).join(format!("synth-{n}"));
            synth::ensure(&spec, &root).expect("generate the registry");
            root
        }
        None => {
            let tmp = tempfile::Builder::new()
                .prefix(&format!("hsm-bench-{n}-"))
                .tempdir()
                .expect("temp dir");
            synth::write(&spec, tmp.path()).expect("generate the registry");
            let root = tmp.path().to_path_buf();
            TEMP_DIRS.lock().expect("temp dir list").push(tmp);
            root
        }
    };
    eprintln!(
        "synthetic registry of {n} components ready in {:.1?} ({})",
        start.elapsed(),
        root.display()
    );
    let f: &'static Fixture = Box::leak(Box::new(Fixture {
        n,
        root,
        memory: OnceLock::new(),
    }));
    fixtures.insert(n, f);
    f
}

impl Fixture {
    fn registry_dir(&self) -> PathBuf {
        self.root.join("registry")
    }

    fn memory_store(&self) -> &Store {
        self.memory
            .get_or_init(|| Store::memory(synth::files(&synth::Spec::new(self.n))))
    }
}

// ------------------------------------------------------------------------------ pipelines

/// `hsm resolve` on disk: load hsm.yaml, open the registry (nothing read yet), solve.
fn resolve_on_disk(root: &Path, registry_dir: &Path) -> (Outcome, Registry) {
    let manifest = Manifest::load(root).expect("load hsm.yaml");
    let registry = Registry::new(Store::dir(registry_dir.to_path_buf(), "registry".into()));
    let outcome = solve(&manifest, &registry).expect("solve");
    (outcome, registry)
}

fn resolve_in_memory(root: &Path, store: &Store) -> (Outcome, Registry) {
    let manifest = Manifest::from_text("hsm.yaml", root, synth::MANIFEST).expect("hsm.yaml");
    let registry = Registry::new(store.clone());
    let outcome = solve(&manifest, &registry).expect("solve");
    (outcome, registry)
}

/// The stack is exactly the 50 expected components, at the expected versions.
fn check(outcome: &Outcome, n: usize) {
    let Outcome::Solved(selection) = outcome else {
        panic!("the synthetic stack ({n} components) has a conflict: {outcome:?}");
    };
    let mut got: Vec<(synth::Kind, String)> = selection
        .components
        .iter()
        .map(|c| {
            let kind = match c.kind {
                Kind::Library => synth::Kind::Lib,
                Kind::Service => synth::Kind::Svc,
            };
            (kind, c.name.clone())
        })
        .collect();
    got.sort();
    assert_eq!(
        got.len(),
        synth::STACK_SIZE,
        "stack size in a registry of {n}"
    );
    assert_eq!(got, synth::expected_stack(), "stack in a registry of {n}");
    for (name, version) in synth::expected_versions() {
        let selected = selection.get(&name).expect("in the stack");
        assert_eq!(
            selected
                .version
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some(version),
            "version of {name}"
        );
    }
}

// ------------------------------------------------------------------------------ benchmarks

/// Full pipeline from disk, fresh registry each iteration.
#[divan::bench(args = SIZES)]
fn resolve_dir(bencher: Bencher, n: usize) {
    let f = fixture(n);
    let dir = f.registry_dir();
    check(&resolve_on_disk(&f.root, &dir).0, n);
    bencher.bench_local(|| resolve_on_disk(&f.root, &dir));
}

/// Full pipeline from an in-memory store, fresh registry (cold parse cache) each iteration.
#[divan::bench(args = SIZES)]
fn resolve_memory(bencher: Bencher, n: usize) {
    let f = fixture(n);
    let store = f.memory_store();
    check(&resolve_in_memory(&f.root, store).0, n);
    bencher.bench_local(|| resolve_in_memory(&f.root, store));
}

/// Solve only, against a registry that has already loaded the stack's files.
#[divan::bench(args = SIZES)]
fn solve_warm(bencher: Bencher, n: usize) {
    let f = fixture(n);
    let manifest = Manifest::load(&f.root).expect("load hsm.yaml");
    let registry = Registry::new(Store::dir(f.registry_dir(), "registry".into()));
    check(&solve(&manifest, &registry).expect("solve"), n);
    bencher.bench_local(|| solve(&manifest, &registry).expect("solve"));
}

/// What one registry file costs, to read the profiles of the pipelines above: the serde
/// parse every touched file needs, and the position index (a second, lossless YAML parse)
/// that is built the first time an `Origin` in the file is turned into a line number.
#[divan::bench_group]
mod per_file {
    use std::sync::Arc;

    use divan::Bencher;
    use hsm::internals::registry_model::{LibraryFile, ServiceFile};
    use hsm::internals::{KeyPath, SourceFile, parse_yaml};

    use super::{fixture, synth};

    fn text(rel: &str) -> String {
        std::fs::read_to_string(fixture(1_000).registry_dir().join(rel)).expect("registry file")
    }

    fn file(rel: &str) -> Arc<SourceFile> {
        SourceFile::new(rel, None, text(rel))
    }

    /// A stack library (`lib-00040`: requires, conflicts, implies with params, 2 versions).
    const LIB: &str = "libraries/lib-00040.yaml";
    /// A stack service (`svc-00020`: compose keys, profiles, implies, 3 versions).
    const SVC: &str = "services/svc-00020.yaml";

    #[divan::bench]
    fn serde_library(bencher: Bencher) {
        let f = file(LIB);
        bencher.bench_local(|| parse_yaml::<LibraryFile>(&f, "library").expect("parse"));
    }

    #[divan::bench]
    fn serde_service(bencher: Bencher) {
        let f = file(SVC);
        bencher.bench_local(|| parse_yaml::<ServiceFile>(&f, "service").expect("parse"));
    }

    /// First `span_of` on a fresh file: builds the position index.
    #[divan::bench]
    fn position_index_library(bencher: Bencher) {
        let t = text(LIB);
        let path = KeyPath::root().key("implies");
        bencher
            .with_inputs(|| SourceFile::new(LIB, None, t.as_str()))
            .bench_local_values(|f| f.span_of(&path));
    }

    #[divan::bench]
    fn position_index_service(bencher: Bencher) {
        let t = text(SVC);
        let path = KeyPath::root().key("implies");
        bencher
            .with_inputs(|| SourceFile::new(SVC, None, t.as_str()))
            .bench_local_values(|f| f.span_of(&path));
    }

    #[divan::bench]
    fn manifest(bencher: Bencher) {
        let root = fixture(1_000).root.clone();
        bencher.bench_local(|| {
            hsm::Manifest::from_text("hsm.yaml", &root, synth::MANIFEST).expect("hsm.yaml")
        });
    }
}
