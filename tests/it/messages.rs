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
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: --frozen needs hsm.lock, and there is none
      help: run `hsm sync` once without --frozen to write it
    ");
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
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.lock names `tiny` 1.0.0, which the registry does not have
      help: run `hsm sync` without --frozen to re-solve and rewrite hsm.lock
    ");
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
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: --locked: hsm.lock is out of date; solving hsm.yaml gives a different stack
      help: run `hsm sync` to update hsm.lock, and commit it
    ");
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
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 1 component (1 library, 0 services)
    Wrote pyproject.toml, hsm.lock
    No managed services: nothing for --up to start

    ----- stderr -----
    ");
    let out = t.hsm(&["down"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    No docker-compose.hsm.yml: nothing to stop

    ----- stderr -----
    ");
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
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: pyproject.toml already lists `qdrant-client` in [project].dependencies, and hsm manages it too
       ╭─[pyproject.toml:4:17]
     3 │ version = "0.1.0"
     4 │ dependencies = ["qdrant-client==1.7"]
       ·                 ──────────┬─────────
       ·                           ╰── the user's entry
       ╰────
      help: remove `qdrant-client` from [project].dependencies (hsm writes it from the registry) or remove its component from hsm.yaml
    "#);
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
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: service `api` has no image or build source for prod mode
       ╭─[hsm-registry/services/api.yaml:3:10]
     2 │ sources:
     3 │   prod: {type: git, url: "https://example.com/api.git"}
       ·          ──┬─
       ·            ╰── not a docker source
       ╰────
      help: give it `sources: {prod: {type: docker-image, image: ...}}` (and optionally `dev: {type: build, path: ...}`), or an external profile
    "#);
}

#[test]
fn an_invalid_pyproject() {
    let t = Test::new()
        .pyproject("[project\nname = 1\n")
        .manifest(QDRANT);
    let out = t.hsm(&["sync", "--no-install"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: pyproject.toml is not valid TOML: unclosed table, expected `]`
       ╭─[pyproject.toml:1:9]
     1 │ [project
       ·         ┬
       ·         ╰── here
     2 │ name = 1
       ╰────
      help: fix pyproject.toml (hsm only edits a valid file)
    ");
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
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    (unnamed)
    ├── libraries
    │   └── vector-db-adapter (1-of-N)
    │       └── qdrant-adapter 1.12.1 (prod)
    ├── services
    └── implied
        └── qdrant 1.12.4 (prod) [service]

    ----- stderr -----
    hsm: rolled back an interrupted sync; every file is as it was before it
    ");
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
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: unknown container engine `rm`
       ╭─[hsm.yaml:3:3]
     2 │   name: x
     3 │   container_engine: rm
       ·   ────────┬───────
       ·           ╰── not docker, docker-compose or podman
     4 │ libraries:
       ╰────
      help: hsm drives `docker compose`, `docker-compose` or `podman compose`; leave it out to use the first one installed
    ");
}

/// "the registry has no libraries" (it once said "librarys").
#[test]
fn an_empty_kind_is_named_in_its_plural() {
    let t = Test::new()
        .registry_file(
            "services/web.yaml",
            "name: web\nversion: 1.0.0\nsources:\n  prod: {type: docker-image, image: \"nginx:1\"}\n",
        )
        .manifest("project: {name: t}\n");
    let out = t.hsm(&["library", "add", "zzz"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no library `zzz` in the registry (hsm-registry)
      help: the registry has no libraries; or add `libraries/zzz.yaml` to the registry
    ");
}
