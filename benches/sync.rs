//! Whole-process benchmarks of `hsm sync --no-install` on the quick-start project.
//!
//! Target (issue): `hsm sync --no-install` on the quick-start project takes < 10 ms
//! (median) on the development machine.
//!
//! The quick-start project is an empty directory in which `hsm init --name demo` and
//! `hsm group add vector-db-adapter --option qdrant-adapter` ran, with the built-in
//! registry (`HSM_REGISTRY_PATH` is removed from the environment of every run). Every
//! benchmark starts the real release binary as a process, with stdout and stderr
//! discarded, and checks its exit status.
//!
//! - `version`: `hsm --version`, the floor: process creation, dynamic loading, clap.
//! - `resolve`: `hsm resolve` on the quick-start project (solve and print, writes nothing).
//! - `sync_up_to_date`: `hsm sync --no-install` when the files already match hsm.yaml
//!   (the common case): solve, render, compare, write nothing.
//! - `sync_swap`: `hsm sync --no-install` that rewrites everything: before every run
//!   (outside the timed region) hsm.yaml is replaced by a pre-made copy selecting the
//!   other option (qdrant-adapter <-> milvus-adapter), so each timed run writes
//!   pyproject.toml, docker-compose.hsm.yml, the .env files and hsm.lock (and deletes the
//!   old .env files) in one journaled, fsynced transaction.
//!
//! The projects live in a temporary directory under cargo's `target/tmp` (the same file
//! system as the project; fsync costs depend on it), or under `$HSM_BENCH_DIR` if set.
//!
//! The binary: `CARGO_BIN_EXE_hsm` when cargo provides it (it builds the binary, with the
//! `bench` profile, into `target/release` before running the benchmark), otherwise
//! `target/release/hsm`. The benchmark refuses to run a binary that is missing or older
//! than the sources; `cargo build --release --bin hsm` (or `cargo bench --bench sync`)
//! rebuilds it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use divan::Bencher;

const SAMPLES: u32 = 300;

fn main() {
    let bin = hsm_bin();
    let fx = fixture();
    eprintln!("binary: {}", bin.display());
    eprintln!("projects: {}", fx.dir.path().display());
    divan::main();
    // Statics are never dropped: remove the projects explicitly.
    fs::remove_dir_all(fx.dir.path()).expect("remove the bench projects");
}

// ------------------------------------------------------------------------------ binary

fn hsm_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let bin = option_env!("CARGO_BIN_EXE_hsm")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target/release/hsm"));
        let rebuild = "run `cargo build --release --bin hsm` (or `cargo bench --bench sync`, \
                       which builds it) first";
        let built = match fs::metadata(&bin).and_then(|m| m.modified()) {
            Ok(t) => t,
            Err(e) => panic!(
                "the hsm binary {} is missing ({e}): {rebuild}",
                bin.display()
            ),
        };
        let mut newest = (SystemTime::UNIX_EPOCH, PathBuf::new());
        for source in ["src", "registry", "Cargo.toml", "Cargo.lock"] {
            newest_mtime(&root.join(source), &mut newest);
        }
        if newest.0 > built {
            panic!(
                "the hsm binary {} is older than {}: {rebuild}",
                bin.display(),
                newest.1.display()
            );
        }
        bin
    })
}

fn newest_mtime(path: &Path, newest: &mut (SystemTime, PathBuf)) {
    let Ok(meta) = fs::metadata(path) else {
        return;
    };
    if meta.is_dir() {
        for entry in fs::read_dir(path).expect("read a source directory") {
            newest_mtime(&entry.expect("a directory entry").path(), newest);
        }
    } else if let Ok(t) = meta.modified()
        && t > newest.0
    {
        *newest = (t, path.to_path_buf());
    }
}

/// `hsm ARGS` in `dir`, with the built-in registry and output discarded.
fn hsm(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(hsm_bin());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("HSM_REGISTRY_PATH")
        .env_remove("HSM_FAULT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Run and check the exit status (the only work done besides waiting for the process).
fn run(mut cmd: Command) {
    let status = cmd.status().expect("start hsm");
    assert!(status.success(), "{cmd:?} failed: {status}");
}

/// Run outside the timed region, with the output captured for the failure message.
fn run_checked(dir: &Path, args: &[&str]) -> String {
    let out = hsm(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("start hsm");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "hsm {args:?} failed:\n{text}");
    text
}

// ------------------------------------------------------------------------------ fixtures

#[derive(Debug)]
struct Fixture {
    dir: tempfile::TempDir,
    /// The quick-start project, synced (qdrant-adapter).
    quick: PathBuf,
    /// A copy of the quick-start project that `sync_swap` flips back and forth.
    swap: PathBuf,
    /// hsm.yaml selecting qdrant-adapter / milvus-adapter.
    qdrant_yaml: String,
    milvus_yaml: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let base = std::env::var_os("HSM_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
        fs::create_dir_all(&base).expect("create the bench directory");
        let dir = tempfile::Builder::new()
            .prefix("hsm-bench-sync-")
            .tempdir_in(&base)
            .expect("create a temporary directory");
        let quick = quick_start(&dir.path().join("quick"));
        let swap = quick_start(&dir.path().join("swap"));
        let qdrant_yaml = fs::read_to_string(swap.join("hsm.yaml")).expect("read hsm.yaml");
        run_checked(
            &swap,
            &[
                "group",
                "add",
                "vector-db-adapter",
                "--option",
                "milvus-adapter",
            ],
        );
        let milvus_yaml = fs::read_to_string(swap.join("hsm.yaml")).expect("read hsm.yaml");
        assert_ne!(qdrant_yaml, milvus_yaml);
        let fx = Fixture {
            dir,
            quick,
            swap,
            qdrant_yaml,
            milvus_yaml,
        };
        fx.check();
        fx
    })
}

/// `hsm init --name demo` + `hsm group add vector-db-adapter --option qdrant-adapter`
/// in a new directory, then one `hsm sync --no-install`.
fn quick_start(dir: &Path) -> PathBuf {
    fs::create_dir(dir).expect("create the project directory");
    run_checked(dir, &["init", "--name", "demo"]);
    run_checked(
        dir,
        &[
            "group",
            "add",
            "vector-db-adapter",
            "--option",
            "qdrant-adapter",
        ],
    );
    let out = run_checked(dir, &["sync", "--no-install"]);
    assert!(
        out.contains("Wrote"),
        "the first sync wrote nothing:\n{out}"
    );
    dir.to_path_buf()
}

impl Fixture {
    /// Check, outside the timed loops, that each benchmark does what it claims: the
    /// up-to-date sync writes nothing, and each swap rewrites the stack's files.
    fn check(&self) {
        let out = run_checked(&self.quick, &["sync", "--no-install"]);
        assert!(out.contains("up to date"), "sync_up_to_date is not: {out}");
        let out = run_checked(&self.quick, &["resolve"]);
        assert!(out.contains("qdrant-adapter"), "unexpected resolve: {out}");
        // The swap project's hsm.yaml selects milvus; its files are still qdrant's. Each
        // swap rewrites the stack's files, and the compose file runs the chosen server
        // only. (It once looked for `.env.<service>` files: hsm writes those only for
        // values from env files, and neither server has any; docs/decisions.md, "Every
        // env value is written once".)
        for (yaml, present, absent) in [
            (&self.milvus_yaml, "milvus", "qdrant"),
            (&self.qdrant_yaml, "qdrant", "milvus"),
        ] {
            fs::write(self.swap.join("hsm.yaml"), yaml).expect("write hsm.yaml");
            let out = run_checked(&self.swap, &["sync", "--no-install"]);
            for file in ["pyproject.toml", "docker-compose.hsm.yml", "hsm.lock"] {
                assert!(out.contains(file), "the swap did not write {file}: {out}");
            }
            let compose = fs::read_to_string(self.swap.join("docker-compose.hsm.yml"))
                .expect("read the compose file");
            assert!(
                compose.contains(&format!("  {present}:"))
                    && !compose.contains(&format!("  {absent}:")),
                "the compose file does not run {present} alone:\n{compose}"
            );
        }
        // Left as after the last timed run would leave it: files for qdrant.
    }
}

// ------------------------------------------------------------------------------ benchmarks

/// `hsm --version`: the cost of starting the process at all.
#[divan::bench(sample_count = SAMPLES)]
fn version() {
    run(hsm(&fixture().quick, &["--version"]));
}

/// `hsm resolve` on the quick-start project.
#[divan::bench(sample_count = SAMPLES)]
fn resolve() {
    run(hsm(&fixture().quick, &["resolve"]));
}

/// `hsm sync --no-install` with nothing to do.
#[divan::bench(sample_count = SAMPLES)]
fn sync_up_to_date() {
    run(hsm(&fixture().quick, &["sync", "--no-install"]));
}

/// `hsm sync --no-install` after hsm.yaml switched between qdrant-adapter and
/// milvus-adapter: every generated file is rewritten in one transaction.
///
/// `sample_size = 1`: divan makes all the inputs of a sample before timing it, and each
/// input here is a write of hsm.yaml that the next run must see.
#[divan::bench(sample_count = SAMPLES, sample_size = 1)]
fn sync_swap(bencher: Bencher) {
    static MILVUS: AtomicBool = AtomicBool::new(false);
    let fx = fixture();
    bencher
        .with_inputs(|| {
            let milvus = !MILVUS.fetch_xor(true, Ordering::Relaxed);
            let yaml = if milvus {
                &fx.milvus_yaml
            } else {
                &fx.qdrant_yaml
            };
            fs::write(fx.swap.join("hsm.yaml"), yaml).expect("write hsm.yaml");
            hsm(&fx.swap, &["sync", "--no-install"])
        })
        .bench_local_values(run);
}
