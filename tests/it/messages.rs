//! The remaining user-visible messages of `sync`, `down` and recovery, pinned by snapshots.

use crate::common;

use common::Test;

const QDRANT: &str =
    "libraries:\n  groups:\n    vector-db-adapter: {strategy: 1-of-N, selection: qdrant-adapter}\n";

#[test]
fn frozen_without_a_lock() {
    let out = Test::new()
        .manifest(QDRANT)
        .hsm(&["sync", "--no-install", "--frozen"]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn frozen_with_a_lock_the_registry_no_longer_matches() {
    let t = Test::new()
        .registry_file("libraries/tiny.yaml", "name: tiny\nversion: 1.0.0\n")
        .manifest("libraries:\n  standalone: [tiny]\n");
    t.hsm(&["sync", "--no-install"]).success();
    std::fs::write(
        t.path().join("hsm-registry/libraries/tiny.yaml"),
        "name: tiny\nversion: 2.0.0\n",
    )
    .unwrap();
    let out = t.hsm(&["sync", "--no-install", "--frozen"]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn locked_with_a_stale_lock() {
    let t = Test::new().manifest(QDRANT);
    t.hsm(&["sync", "--no-install"]).success();
    std::fs::write(
        t.path().join("hsm.yaml"),
        QDRANT.replace("qdrant-adapter", "milvus-adapter"),
    )
    .unwrap();
    let out = t.hsm(&["sync", "--no-install", "--locked"]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn up_and_down_without_services() {
    let t = Test::new()
        .registry_file(
            "libraries/tiny.yaml",
            "name: tiny\nversion: 1.0.0\nsources:\n  prod: {type: pypi}\n",
        )
        .manifest("libraries:\n  standalone: [tiny]\n");
    let out = t.hsm(&["sync", "--no-install", "--up"]);
    out.success();
    hsm_snapshot!("up_without_services", out);
    let out = t.hsm(&["down"]);
    out.success();
    hsm_snapshot!("down_without_compose", out);
}

#[test]
fn a_user_dependency_hsm_would_also_manage() {
    let t = Test::new()
        .pyproject("[project]\nname = \"x\"\nversion = \"0.1.0\"\ndependencies = [\"qdrant-client==1.7\"]\n")
        .manifest(QDRANT);
    let before = t.tree();
    let out = t.hsm(&["sync", "--no-install"]);
    out.failure();
    assert_eq!(t.tree(), before);
    hsm_snapshot!(out);
}

#[test]
fn a_service_without_an_image() {
    let t = Test::new()
        .registry_file(
            "services/api.yaml",
            "name: api\nsources:\n  prod: {type: git, url: \"https://example.com/api.git\"}\n",
        )
        .manifest("services:\n  standalone: [api]\n");
    let out = t.hsm(&["sync", "--no-install"]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn an_invalid_pyproject() {
    let t = Test::new()
        .pyproject("[project\nname = 1\n")
        .manifest(QDRANT);
    let out = t.hsm(&["sync", "--no-install"]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn the_next_command_rolls_back_an_interrupted_sync() {
    let t = Test::new().manifest(QDRANT);
    let out = t
        .command(&["sync", "--no-install"])
        .env("HSM_FAULT", "after-write-2")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(t.exists("pyproject.toml"), "the first writes happened");
    let out = t.hsm(&["list"]);
    out.success();
    hsm_snapshot!("recovery_note", out);
    assert!(!t.exists("pyproject.toml") && !t.exists("docker-compose.hsm.yml"));
}

#[test]
fn an_unknown_container_engine_is_refused() {
    let t = Test::new().manifest(&format!(
        "project:\n  name: x\n  container_engine: rm\n{QDRANT}"
    ));
    let before = t.tree();
    let out = t.hsm(&["sync", "--no-install", "--up"]);
    out.failure();
    assert_eq!(t.tree(), before, "nothing is written when --up cannot run");
    hsm_snapshot!(out);
}
