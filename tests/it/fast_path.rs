//! The fast path of a no-op `hsm sync` (`.hsm/fingerprint`): it answers only while every
//! input is as the last full sync saw it. Each kind of input is changed in turn, and the
//! next sync must take the full path and name what changed (`--verbose`).

use std::path::Path;
use std::time::SystemTime;

use crate::common::{Test, ok};

const CORE: &str = "name: core\nversion: 1.0.0\nsources:\n  prod: {type: pypi, version: \">=1.0\"}\nimplies:\n  service:db:\n    params: {db_name: core}\n";
const LOCAL: &str = "name: local\nversion: 0.1.0\nsources:\n  prod: {type: pypi, version: \">=0.1\"}\n  dev: {type: local, path: libs/local}\n";
const DB: &str = "name: db\nversion: 16.0.0\nenv_file: secrets/db.env\nenv:\n  POSTGRES_DB: \"${HSM_MERGED_PARAMS.db_name}\"\n  POSTGRES_PASSWORD: \"${DB_PASSWORD}\"\nsources:\n  prod: {type: docker-image, image: \"postgres:16\"}\n";

/// A project that reads every kind of input: two registry layers, a library in dev mode
/// from a local path, a service with an env file, the user's pyproject.toml.
fn project() -> Test {
    Test::new()
        .manifest(
            "project: {name: fast}\nregistries: [overlay, registry]\nlibraries:\n  standalone: [core, local]\nmodes:\n  local: dev\n",
        )
        .file("overlay/libraries/.keep", "")
        .file("registry/libraries/core.yaml", CORE)
        .file("registry/libraries/local.yaml", LOCAL)
        .file("registry/services/db.yaml", DB)
        .file("secrets/db.env", "DB_PASSWORD=secret\n")
        .file(
            "libs/local/pyproject.toml",
            "[project]\nname = \"local\"\nversion = \"0.1.0\"\n",
        )
        .pyproject("[project]\nname = \"fast\"\nversion = \"0.1.0\"\ndependencies = []\n")
}

fn sync(t: &Test, args: &[&str]) -> crate::common::Output {
    let mut all = vec!["sync", "--no-install", "--verbose"];
    all.extend_from_slice(args);
    t.hsm(&all)
}

/// Sync until the fast path answers (a sync that writes, then one that finds the project
/// up to date and leaves the fingerprint, then the fast one).
fn settle(t: &Test) {
    for _ in 0..3 {
        let out = sync(t, &[]);
        out.success();
        if out.stderr.contains("hsm: fast path:") {
            return;
        }
    }
    panic!("the fast path never answered");
}

/// The next sync takes the full path, and says why.
fn full_because(t: &Test, why: &str) -> crate::common::Output {
    let out = sync(t, &[]);
    assert!(
        out.stderr.contains("hsm: full sync:") && out.stderr.contains(why),
        "expected a full sync because of {why:?}:\n{}",
        out.stderr
    );
    out
}

/// Write `text` to `rel` and put its modification time back: only the change time, the
/// inode or the contents can tell.
fn rewrite_keeping_mtime(t: &Test, rel: &str, text: &str) {
    let path = t.path().join(rel);
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, text).unwrap();
    set_mtime(&path, mtime);
}

fn set_mtime(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_times(std::fs::FileTimes::new().set_modified(time))
        .unwrap();
}

#[test]
fn a_no_op_sync_answers_from_the_fingerprint_with_the_same_words() {
    let t = project();
    let first = ok(&t, &["sync", "--no-install"]);
    assert!(
        first.stdout.starts_with("Resolved 3 components"),
        "{}",
        first.stdout
    );
    let full = sync(&t, &[]);
    full.success();
    let fast = sync(&t, &[]);
    fast.success();
    hsm_snapshot!(full, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Stack is up to date: 3 components (2 libraries, 1 service); nothing written

    ----- stderr -----
    hsm: full sync: no earlier sync left a fingerprint
    ");
    hsm_snapshot!(fast, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Stack is up to date: 3 components (2 libraries, 1 service); nothing written

    ----- stderr -----
    hsm: fast path: no input changed since the last sync (.hsm/fingerprint); nothing solved
    ");
    assert_eq!(full.stdout, fast.stdout);
    // Without --verbose nothing tells them apart.
    let quiet = ok(&t, &["sync", "--no-install"]);
    assert_eq!(quiet.stdout, fast.stdout);
    assert_eq!(quiet.stderr, "");
}

#[test]
fn every_kind_of_input_that_changes_makes_the_next_sync_take_the_full_path() {
    let t = project();
    settle(&t);

    // hsm.yaml.
    let manifest = t.read("hsm.yaml");
    std::fs::write(
        t.path().join("hsm.yaml"),
        format!("{manifest}# a comment\n"),
    )
    .unwrap();
    let out = full_because(&t, "hsm.yaml changed");
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 3 components (2 libraries, 1 service)
    Wrote hsm.lock

    ----- stderr -----
    hsm: full sync: hsm.yaml changed since the last sync
    ");
    settle(&t);

    // A registry file, same size, modification time put back.
    rewrite_keeping_mtime(
        &t,
        "registry/libraries/core.yaml",
        &CORE.replace("1.0.0", "1.0.1"),
    );
    let out = full_because(&t, "core.yaml changed");
    assert!(
        out.stdout.contains("Wrote"),
        "the new version is written: {}",
        out.stdout
    );
    settle(&t);

    // A file that appears in an earlier layer and shadows the later one.
    std::fs::write(
        t.path().join("overlay/libraries/core.yaml"),
        CORE.replace("1.0.0", "2.0.0"),
    )
    .unwrap();
    full_because(&t, "overlay/libraries/core.yaml changed");
    settle(&t);
    assert!(t.read("hsm.lock").contains("2.0.0"));

    // A registry file that disappears (the later layer takes over again).
    std::fs::remove_file(t.path().join("overlay/libraries/core.yaml")).unwrap();
    full_because(&t, "overlay/libraries/core.yaml changed");
    settle(&t);

    // The env file a service reads.
    std::fs::write(t.path().join("secrets/db.env"), "DB_PASSWORD=other\n").unwrap();
    full_because(&t, "secrets/db.env changed");
    settle(&t);

    // Each artifact, edited by hand: the full path puts hsm's part back.
    for (rel, edit) in [
        ("pyproject.toml", "\n# mine\n"),
        ("docker-compose.hsm.yml", "\n# edited\n"),
        ("hsm.lock", "\n# edited\n"),
    ] {
        let text = t.read(rel);
        std::fs::write(t.path().join(rel), format!("{text}{edit}")).unwrap();
        full_because(&t, &format!("{rel} changed"));
        settle(&t);
    }

    // uv.lock, which hsm reads to know whether the environment is installed.
    std::fs::write(t.path().join("uv.lock"), "version = 1\n").unwrap();
    full_because(&t, "uv.lock changed");
    settle(&t);

    // The dev source of a library loses its project file: the full path refuses it.
    std::fs::rename(
        t.path().join("libs/local/pyproject.toml"),
        t.path().join("libs/local/pyproject.off"),
    )
    .unwrap();
    let out = sync(&t, &[]);
    out.failure();
    assert!(
        out.stderr.contains("no pyproject.toml or setup.py"),
        "{}",
        out.stderr
    );
    std::fs::rename(
        t.path().join("libs/local/pyproject.off"),
        t.path().join("libs/local/pyproject.toml"),
    )
    .unwrap();
    // Only its existence counts (hsm never reads it), and it exists again as it did when
    // the fingerprint was left: the failed sync left none.
    assert!(sync(&t, &[]).stderr.contains("hsm: fast path:"));

    // A file replaced by an identical copy (another inode): conservative, a full sync.
    let text = t.read("registry/services/db.yaml");
    std::fs::remove_file(t.path().join("registry/services/db.yaml")).unwrap();
    std::fs::write(t.path().join("registry/services/db.yaml"), text).unwrap();
    full_because(&t, "db.yaml changed");
    settle(&t);
}

#[test]
fn other_settings_take_the_full_path() {
    let t = project();
    settle(&t);
    let out = sync(&t, &["--locked"]);
    out.success();
    assert!(
        out.stderr.contains("full sync: the options"),
        "{}",
        out.stderr
    );
    // One fingerprint is kept: the last full sync's.
    assert!(sync(&t, &["--locked"]).stderr.contains("fast path:"));
    assert!(sync(&t, &[]).stderr.contains("full sync: the options"));

    let mut cmd = t.command(&["sync", "--no-install", "--verbose"]);
    cmd.current_dir(t.path().join("libs"));
    let out = t.output(cmd.output().unwrap());
    out.success();
    assert!(
        out.stderr.contains("full sync: the working directory"),
        "{}",
        out.stderr
    );

    settle(&t);
    let mut cmd = t.command(&["sync", "--no-install", "--verbose"]);
    cmd.env("HSM_REGISTRY_PATH", t.path().join("registry"));
    let out = t.output(cmd.output().unwrap());
    out.success();
    assert!(
        out.stderr.contains("full sync: the registry settings"),
        "{}",
        out.stderr
    );

    // Another hsm binary (a copy: another file).
    settle(&t);
    let bin = tempfile::tempdir().unwrap();
    let copy = bin.path().join("hsm");
    std::fs::copy(env!("CARGO_BIN_EXE_hsm"), &copy).unwrap();
    let out = std::process::Command::new(&copy)
        .args(["sync", "--no-install", "--verbose"])
        .current_dir(t.path())
        .env_remove("HSM_REGISTRY_PATH")
        .output()
        .unwrap();
    let out = t.output(out);
    out.success();
    assert!(
        out.stderr.contains("full sync: the hsm binary"),
        "{}",
        out.stderr
    );
}

#[test]
fn json_and_dry_run_always_take_the_full_path() {
    let t = project();
    settle(&t);
    let out = ok(
        &t,
        &["sync", "--no-install", "--format", "json", "--verbose"],
    );
    assert!(!out.stderr.contains("fast path"), "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "up-to-date");
    assert!(v["stack"]["components"].is_array(), "{v:#}");
    let out = ok(&t, &["sync", "--no-install", "--dry-run", "--verbose"]);
    assert!(!out.stderr.contains("fast path"), "{}", out.stderr);
}

#[test]
fn a_fingerprint_hsm_cannot_read_only_costs_the_fast_path() {
    let t = project();
    settle(&t);
    std::fs::write(t.path().join(".hsm/fingerprint"), "{\"format\": 1, \"sett").unwrap();
    let out = full_because(&t, ".hsm/fingerprint is not readable");
    assert!(
        out.stdout.starts_with("Stack is up to date"),
        "{}",
        out.stdout
    );
    // A link planted at .hsm is never followed for a fingerprint.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::rename(t.path().join(".hsm"), elsewhere.path().join("state")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("state"), t.path().join(".hsm")).unwrap();
    let out = sync(&t, &[]);
    assert!(!out.stderr.contains("fast path:"), "{}", out.stderr);
}
