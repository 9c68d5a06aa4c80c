//! Users switching from the original Python hsm: its commands and flags with their
//! meaning, where hsm kept or relaxed its behaviour (README, "Switching from the
//! original").

use crate::common;

use common::Test;

#[test]
fn registry_list_of_an_empty_directory_is_an_empty_registry() {
    let t = Test::new();
    std::fs::create_dir(t.path().join("reg")).unwrap();
    let out = t.hsm(&["registry", "list", "--registry", "reg"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    registry reg
    ├── libraries (0)
    ├── services (0)
    ├── library groups (0)
    └── service groups (0)

    ----- stderr -----
    ");
    // A directory with other things in it and no category folder is still a mistake.
    let t = Test::new().file("reg/notes.txt", "hi\n");
    let out = t.hsm(&["registry", "list", "--registry", "reg"]);
    out.failure();
    assert!(out.stderr.contains("is not a registry"), "{}", out.stderr);
}

/// Registries are built in any order: a group of options not written yet, with the
/// original's defaults (`library_group`, 1-of-N), is written with a warning, and lint
/// reports the dangling options until they exist; `check` stays strict.
#[test]
fn a_group_can_be_added_before_its_options() {
    let t = Test::new()
        .registry_file("libraries/app.yaml", "name: app\nversion: 1.0.0\n")
        .manifest("project: {name: t}\n");
    let out = t.hsm(&[
        "registry",
        "group",
        "add",
        "vdb",
        "--option",
        "qdrant-adapter",
        "--option",
        "ap",
    ]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Added library group `vdb` (1-of-N) to the registry: hsm-registry/library_groups/vdb.yaml
    warning: library `qdrant-adapter` is not in the registry yet: `hsm registry lint` reports this reference, and a stack that uses it fails, until you add it (`hsm registry library add qdrant-adapter`)
    warning: library `ap` is not in the registry yet: `hsm registry lint` reports this reference, and a stack that uses it fails, until you add it (`hsm registry library add ap`)
    hint: or did you mean `app`?

    ----- stderr -----
    ");
    assert!(
        t.read("hsm-registry/library_groups/vdb.yaml")
            .contains("strategy: 1-of-N")
    );
    let lint = t.hsm(&["registry", "lint"]);
    lint.failure();
    assert!(
        lint.stdout.contains("no library `qdrant-adapter`"),
        "{}",
        lint.stdout
    );
    t.hsm(&["group", "add", "vdb", "--option", "qdrant-adapter"])
        .failure();
}

/// The original's `registry service add … --runtime/-rt uv --dependency/-dep PKG` (its VES
/// scenario): a uv-run service may have no image and no build, and lists the packages of
/// its own environment.
#[test]
fn registry_service_add_takes_the_originals_runtime_and_dependency_flags() {
    let t = Test::new()
        .manifest("project: {name: t}\n")
        .file("hsm-registry/services/.keep", "");
    let out = t.hsm(&[
        "registry",
        "service",
        "add",
        "env-service",
        "--description",
        "Test ENV Service",
        "--env",
        "HSM_CANARY_VAR=FLYING",
        "--build-path",
        "services/env-service",
        "-rt",
        "uv",
        "-dep",
        "canary-pkg",
        "--dependency",
        "other-pkg",
        "--no-input",
    ]);
    out.success();
    let file = t.read("hsm-registry/services/env-service.yaml");
    assert!(
        file.contains("dependencies:\n  - canary-pkg\n  - other-pkg\n"),
        "{file}"
    );
    assert!(file.contains("runtime: uv"), "{file}");
    t.hsm(&["registry", "service", "add", "bare", "--runtime", "uv"])
        .success();
    let out = t.hsm(&["registry", "service", "add", "web"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: a docker service needs --image (its prod source) or --build-path (its dev source)
      help: give one or both; only a `--runtime uv` service may have neither
    ");
    // Elsewhere `-rt` keeps clap's meaning: `-r t`, a registry named `t`.
    let out = t.hsm(&["registry", "list", "-rt"]);
    out.failure();
    assert!(out.stderr.contains("registry"), "{}", out.stderr);
}

/// `--register` is the default that `--no-register` turns off; the last one given wins.
#[test]
fn register_and_no_register_the_last_one_wins() {
    require!("uv");
    let t = Test::new()
        .offline_uv()
        .manifest("project: {name: t}\n")
        .file("hsm-registry/libraries/.keep", "");
    t.hsm(&["library", "init", "one", "--register", "--no-register"])
        .success();
    assert!(!t.exists("hsm-registry/libraries/one.yaml"));
    t.hsm(&["library", "init", "two", "--no-register", "--register"])
        .success();
    assert!(t.exists("hsm-registry/libraries/two.yaml"));
}
