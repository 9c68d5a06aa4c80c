//! Whole-process `hsm sync --no-install` at scale (issue 14), on the shape of
//! `synth/scale.rs`: 1k and 10k registry components (10k: a stack of 1 010 libraries and
//! about 1 010 services, read from about 4 000 registry files).
//!
//! - `noop_sync`: the project was synced before (outside the timed region); each timed
//!   run solves, renders, compares and writes nothing: the common case.
//! - `first_sync`: hsm.lock, pyproject.toml, the compose file and the `.env` files are
//!   removed before every run (outside the timed region), so each run writes them all in
//!   one journaled, fsynced transaction.
//!
//! Targets (issue 14, whole-process medians on the 2-core development machine): no-op
//! sync ≤ 50 ms and first sync ≤ 300 ms at 10k. Numbers are reported in the issue notes.
//! The binary is the release `hsm` (see `benches/sync.rs` for how it is found); run with
//! `cargo bench --bench scale`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use divan::Bencher;

#[path = "synth/scale.rs"]
mod scale;

fn main() {
    divan::main();
}

/// A project with the registry of size `n`, synced once.
fn project(n: usize) -> tempfile::TempDir {
    let base = std::env::var_os("HSM_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp"));
    fs::create_dir_all(&base).expect("bench dir");
    let dir = tempfile::tempdir_in(base).expect("temp dir");
    scale::write_project(dir.path(), n);
    assert!(
        sync(dir.path()),
        "the first sync of the n={n} project failed"
    );
    dir
}

fn sync(root: &Path) -> bool {
    Command::new(scale::hsm_bin())
        .args(["sync", "--no-install"])
        .current_dir(root)
        .env_remove("HSM_REGISTRY_PATH")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[divan::bench(args = [1_000, 10_000, 100_000], sample_count = 30)]
fn noop_sync(bencher: Bencher, n: usize) {
    let dir = project(n);
    bencher.bench_local(|| assert!(sync(dir.path())));
}

#[divan::bench(args = [1_000, 10_000, 100_000], sample_count = 10)]
fn first_sync(bencher: Bencher, n: usize) {
    let dir = project(n);
    bencher
        .with_inputs(|| {
            for entry in fs::read_dir(dir.path()).expect("read_dir").flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name == "hsm.lock"
                    || name == "pyproject.toml"
                    || name == "docker-compose.hsm.yml"
                    || name.starts_with(".env.")
                {
                    fs::remove_file(entry.path()).expect("remove");
                }
            }
        })
        .bench_local_values(|()| assert!(sync(dir.path())));
}
