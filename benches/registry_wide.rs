//! Whole-process registry-wide commands at scale (issue 14), on the shape of
//! `synth/scale.rs`: `hsm registry lint` (reads every file, solves every component and
//! option alone) and `hsm registry list` (reads every file, prints one line each) at 1k,
//! 10k and 100k libraries (1.6k to 160k registry files).
//!
//! Targets (issue 14, whole-process medians on the 2-core development machine, release
//! build): at 100k, `registry lint` ≤ 5 s and ≤ 400 MiB peak RSS, `registry list` ≤ 1.5 s;
//! cost grows linearly from 1k to 100k. Peak RSS is not measured here: use
//! `/usr/bin/time -f "%e s %M KB"` on a registry from `/tmp/scale/gen.py` or this file's.
//! The binary is the release `hsm` (see `benches/sync.rs` for how it is found); run with
//! `cargo bench --bench registry_wide`. Generating the 100k registry takes a while.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use divan::Bencher;

#[path = "synth/scale.rs"]
mod scale;

fn main() {
    divan::main();
}

/// A project with the registry of size `n` (no sync needed: these commands read only the
/// registry).
fn project(n: usize) -> tempfile::TempDir {
    let base = std::env::var_os("HSM_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp"));
    fs::create_dir_all(&base).expect("bench dir");
    let dir = tempfile::tempdir_in(base).expect("temp dir");
    scale::write_project(dir.path(), n);
    dir
}

fn hsm(root: &Path, args: &[&str]) -> bool {
    Command::new(scale::hsm_bin())
        .args(args)
        .current_dir(root)
        .env_remove("HSM_REGISTRY_PATH")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[divan::bench(args = [1_000, 10_000, 100_000], sample_count = 5)]
fn registry_lint(bencher: Bencher, n: usize) {
    let dir = project(n);
    bencher.bench_local(|| assert!(hsm(dir.path(), &["registry", "lint"])));
}

#[divan::bench(args = [1_000, 10_000, 100_000], sample_count = 10)]
fn registry_list(bencher: Bencher, n: usize) {
    let dir = project(n);
    bencher.bench_local(|| assert!(hsm(dir.path(), &["registry", "list"])));
}
