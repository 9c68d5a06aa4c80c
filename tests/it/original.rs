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

/// `hsm python-manager set NAME` writes `libraries.package_manager`; hsm installs with uv
/// only, so it warns, and sync and check refuse another manager while the stack has
/// libraries (never ignore the setting).
#[test]
fn python_manager_set_writes_it_and_sync_refuses_anything_but_uv() {
    let t =
        Test::new().manifest("project: {name: t}\nlibraries:\n  standalone: [langchain-qdrant]\n");
    let out = t.hsm(&["python-manager", "set", "pixi"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Python manager set to `pixi`. Run `hsm sync` to apply.
    warning: hsm installs with uv only: `hsm sync` refuses `package_manager: pixi` while the stack has libraries

    ----- stderr -----
    ");
    assert!(t.read("hsm.yaml").contains("package_manager: pixi"));
    let before = t.tree();
    let out = t.hsm(&["sync", "--no-install"]);
    out.failure();
    assert_eq!(t.tree(), before);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm installs Python packages with uv, and hsm.yaml asks for `pixi`
       ╭─[hsm.yaml:4:3]
     3 │   standalone: [langchain-qdrant]
     4 │   package_manager: pixi
       ·   ───────┬───────
       ·          ╰── not uv
       ╰────
      help: set it back with `hsm python-manager set uv` (uv is the only package manager hsm drives)
    ");
    t.hsm(&["check"]).failure();
    t.hsm(&["python-manager", "set", "uv"]).success();
    t.hsm(&["check"]).success();
}

/// `hsm registry path set PATH` persists `registry: PATH` in hsm.yaml (the original only
/// said so); a path that is not a registry is refused.
#[test]
fn registry_path_set_persists_the_registry_in_hsm_yaml() {
    let t = Test::new()
        .manifest("project: {name: t}\nservices:\n  standalone: [web]\n")
        .file(
            "catalogue/services/web.yaml",
            "name: web\nversion: 1.0.0\nsources:\n  prod: {type: docker-image, image: \"nginx:1\"}\n",
        );
    t.hsm(&["check"]).failure();
    let out = t.hsm(&["registry", "path", "set", "catalogue"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Registry path set to catalogue. Run `hsm sync` to apply.

    ----- stderr -----
    ");
    assert!(t.read("hsm.yaml").contains("registry: catalogue\n"));
    t.hsm(&["check"]).success();
    let out = t.hsm(&["registry", "path", "set", "nowhere"]);
    out.failure();
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: registry [TEMP]/nowhere (from `hsm registry path set`) does not exist
      help: point at a directory with libraries/, services/, library_groups/ and service_groups/, or drop the setting to use the built-in registry
    ");
}

/// `--verify`/`--no-verify` are accepted, as the original's scripts pass them.
#[test]
fn sync_accepts_verify_and_no_verify() {
    let t = Test::new().manifest("project: {name: sync-project}\n");
    t.hsm(&["sync", "--no-verify"]).success();
    t.hsm(&["sync", "--verify"]).success();
    t.hsm(&["sync", "--verify", "--no-verify"]).success();
}

/// Without hsm.yaml, sync says how to start, as `uv sync` and `cargo build` do without
/// their manifests (the original used a default manifest instead).
#[test]
fn sync_without_hsm_yaml_says_how_to_start() {
    let t = Test::new();
    let out = t.hsm(&["sync"]);
    out.failure();
    assert!(t.tree().is_empty(), "sync wrote something without hsm.yaml");
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no hsm.yaml in the current directory or any directory above it
      help: run `hsm init` to create one, or pass `--directory` to point at the project
    ");
}

// ------------------------------------------------------------------------------------
// The original's CLI tests (reference §8), as far as they concern behaviour.

/// A sandbox as the original's fixture makes it: an empty registry in the project,
/// named by HSM_REGISTRY_PATH.
fn sandbox() -> Test {
    let t = Test::new();
    for dir in ["libraries", "services", "library_groups", "service_groups"] {
        std::fs::create_dir_all(t.path().join("hsm-registry").join(dir)).unwrap();
    }
    let registry = t.path().join("hsm-registry").display().to_string();
    t.env("HSM_REGISTRY_PATH", &registry)
}

/// 8.3 test_registry_service_add_with_env_file (ENV-CLI-001).
#[test]
fn original_registry_service_add_with_env_files() {
    let t = sandbox();
    t.hsm(&[
        "registry",
        "service",
        "add",
        "env-svc",
        "--runtime",
        "docker",
        "--image",
        "redis:7",
        "--build-path",
        "services/env-svc",
        "--env-file",
        "shared.env",
        "--prod-env-file",
        "prod.env",
        "--dev-env-file",
        "dev.env",
        "--no-input",
    ])
    .success();
    let v: serde_yaml::Value =
        serde_yaml::from_str(&t.read("hsm-registry/services/env-svc.yaml")).unwrap();
    assert_eq!(v["env_file"][0], "shared.env");
    assert_eq!(v["sources"]["prod"]["env_file"][0], "prod.env");
    assert_eq!(v["sources"]["dev"]["env_file"][0], "dev.env");
}

/// 8.7 test_docker_compose_config_validation: a service group built with the registry
/// commands, selected, synced; the compose file has the service (and docker-compose
/// accepts it).
#[test]
fn original_docker_compose_flow() {
    let t = sandbox();
    t.hsm(&["init", "--name", "docker-test"]).success();
    t.hsm(&[
        "registry",
        "service",
        "add",
        "web-server",
        "--image",
        "nginx:latest",
        "--port",
        "8080:80",
        "--runtime",
        "docker",
        "--no-input",
    ])
    .success();
    t.hsm(&[
        "registry",
        "group",
        "add",
        "web-group",
        "--type",
        "service_group",
        "--strategy",
        "1-of-N",
        "--option",
        "web-server",
        "--no-input",
    ])
    .success();
    t.hsm(&["group", "add", "web-group", "--option", "web-server"])
        .success();
    t.hsm(&["sync", "--no-verify"]).success();
    let compose: serde_yaml::Value =
        serde_yaml::from_str(&t.read("docker-compose.hsm.yml")).unwrap();
    assert_eq!(compose["services"]["web-server"]["image"], "nginx:latest");
    if common::require("docker-compose").is_some() {
        common::assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
    }
}

/// 8.6 test_full_sandbox_flow: a library scaffolded without registering it, registered by
/// hand as a local dev source, added, checked.
#[test]
fn original_full_sandbox_flow() {
    require!("uv");
    let t = sandbox().offline_uv();
    t.hsm(&["init", "--name", "sandbox-project"]).success();
    t.hsm(&["library", "init", "my-lib", "--no-register"])
        .success();
    assert!(t.exists("packages/my-lib/pyproject.toml"));
    t.hsm(&[
        "registry",
        "library",
        "add",
        "my-lib",
        "--version",
        "0.1.0",
        "--prod-type",
        "local",
        "--dev-path",
        "packages/my-lib",
        "--no-input",
    ])
    .success();
    t.hsm(&["library", "add", "my-lib"]).success();
    t.hsm(&["check"]).success();
}

/// 8.2 test_project_group_add: the original let `group add` select an option that is not
/// a library of the registry. hsm writes the registry group (with a warning) but keeps the
/// project strict: the edit is refused, naming what is missing, and hsm.yaml is unchanged.
#[test]
fn original_group_of_an_unregistered_option() {
    let t = sandbox();
    t.hsm(&["init", "--name", "test-project"]).success();
    t.hsm(&[
        "registry",
        "group",
        "add",
        "my-group",
        "--type",
        "library_group",
        "--option",
        "opt1",
        "--no-input",
    ])
    .success();
    let before = t.tree();
    let out = t.hsm(&["group", "add", "my-group", "--option", "opt1"]);
    out.failure();
    assert!(out.stderr.contains("opt1"), "{}", out.stderr);
    assert_eq!(t.tree(), before);
}

// ------------------------------------------------------------------------------------
// Services that run with uv: their env chain (the original's ENV-FAIL cases).

/// A project with the uv-run service `fail-service` (as `registry service add
/// fail-service --runtime uv` writes it), patched with `patch` (old → new text).
fn uv_service(patch: &[(&str, &str)]) -> Test {
    let t = sandbox();
    t.hsm(&["init", "--name", "env-test"]).success();
    t.hsm(&[
        "registry",
        "service",
        "add",
        "fail-service",
        "--runtime",
        "uv",
        "--build-path",
        "services/fail-service",
        "--no-input",
    ])
    .success();
    let file = t.path().join("hsm-registry/services/fail-service.yaml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    for (old, new) in patch {
        assert!(text.contains(old), "{old} not in {text}");
        text = text.replacen(old, new, 1);
    }
    std::fs::write(&file, text).unwrap();
    t.hsm(&["service", "add", "fail-service"]).success();
    t
}

/// Sync fails, says `needles`, and writes nothing.
#[track_caller]
fn sync_refused(t: &Test, needles: &[&str]) {
    let before = t.tree();
    let out = t.hsm(&["sync", "--no-install"]);
    out.failure();
    assert_eq!(t.tree(), before, "a failed sync wrote something");
    for n in needles {
        assert!(out.stderr.contains(n), "missing {n:?} in\n{}", out.stderr);
    }
}

#[test]
fn a_uv_run_services_env_fails_fast_like_a_docker_services() {
    // ENV-FAIL-001: a missing env file.
    let t = uv_service(&[("env_file: []", "env_file: \"missing.env\"")]);
    sync_refused(&t, &["missing.env", "no such file", "fail-service.yaml:"]);
    // ENV-FAIL-002: a line without `=`.
    let t = uv_service(&[("env_file: []", "env_file: \"invalid.env\"")])
        .file("invalid.env", "INVALID_LINE_WITHOUT_EQUALS\n");
    sync_refused(&t, &["INVALID_LINE_WITHOUT_EQUALS", "invalid.env:1"]);
    // ENV-FAIL-003: a key in the env file and in the registry's env.
    let t = uv_service(&[
        ("env_file: []", "env_file: \"service.env\""),
        ("env: {}", "env: {CONFLICT_KEY: value2}"),
    ])
    .file("service.env", "CONFLICT_KEY=value1\n");
    sync_refused(&t, &["CONFLICT_KEY", "defined twice", "service.env:1"]);
    // ENV-FAIL-004: a key in the env file and in the dev source's env.
    let t = uv_service(&[
        ("env_file: []", "env_file: \"source_conflict.env\""),
        (
            "    path: services/fail-service\n",
            "    path: services/fail-service\n    env: {CONFLICT_KEY: value_from_source}\n",
        ),
    ])
    .file("source_conflict.env", "CONFLICT_KEY=value_from_file\n");
    t.hsm(&["service", "mode", "fail-service", "dev"]).success();
    sync_refused(&t, &["CONFLICT_KEY", "defined twice"]);
}

/// Once the service's project exists, its whole env chain is written to its `.env` (in
/// the sync's transaction), and removed with the service.
#[test]
fn a_uv_run_services_env_is_written_to_its_project() {
    let t = uv_service(&[
        ("env_file: []", "env_file: \"shared.env\""),
        (
            "env: {}",
            "env: {HSM_CANARY_VAR: FLYING, TOKEN: \"${TOKEN}\"}",
        ),
    ])
    .file("shared.env", "FROM_FILE=1\n")
    .file(
        "services/fail-service/pyproject.toml",
        "[project]\nname = \"fail-service\"\nversion = \"0.1.0\"\n",
    );
    t.hsm(&["sync", "--no-install"]).success();
    assert_eq!(
        t.read("services/fail-service/.env"),
        "FROM_FILE=1\nHSM_CANARY_VAR=FLYING\nTOKEN=${TOKEN}\n"
    );
    let again = t.hsm(&["sync", "--no-install"]);
    again.success();
    t.hsm(&["service", "remove", "fail-service"]).success();
    t.hsm(&["sync", "--no-install"]).success();
    assert!(!t.exists("services/fail-service/.env"));
    assert!(t.exists("services/fail-service/pyproject.toml"));
}

/// `sync --up` with services run by uv: hsm supervises no processes, so it prints how to
/// start each (a documented decision), with the registry's command.
#[test]
fn sync_up_says_how_to_start_uv_run_services() {
    let t = uv_service(&[(
        "env: {}",
        "env: {PORT: \"8000\"}\ncommand: [python, -m, http.server, \"8000\"]",
    )])
    .file(
        "services/fail-service/pyproject.toml",
        "[project]\nname = \"fail-service\"\nversion = \"0.1.0\"\n",
    );
    let out = t.hsm(&["sync", "--no-install", "--up"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 1 component (0 libraries, 1 service)
    Wrote services/fail-service/.env, hsm.lock
    No container services: nothing for compose to start
    Start `fail-service` (hsm does not run uv services): `uv run --directory services/fail-service --env-file .env -- python -m http.server 8000`

    ----- stderr -----
    ");
    // A project that does not exist yet is made by the sync (dev source: `uv init`).
    std::fs::remove_dir_all(t.path().join("services/fail-service")).unwrap();
    let out = t.hsm(&["sync", "--no-install", "--up"]);
    out.success();
    assert!(
        out.stdout.contains("Ran uv init services/fail-service"),
        "{}",
        out.stdout
    );
    assert!(t.exists("services/fail-service/pyproject.toml"));
}

// ------------------------------------------------------------------------------------
// The original's test files (reference §8), one hsm test each, their command sequences
// with fair translations only; assertions on behaviour (exit status, files, values), not
// on the original's wording.

/// `hsm ARGS` (split on spaces) must succeed.
#[track_caller]
fn run(t: &Test, args: &str) -> common::Output {
    let args: Vec<&str> = args.split(' ').collect();
    let out = t.hsm(&args);
    out.success();
    out
}

/// A sandbox (empty registry, HSM_REGISTRY_PATH) with uv offline and `hsm init` run.
fn initialised(name: &str) -> Test {
    let t = sandbox().offline_uv();
    run(&t, &format!("init --name {name}"));
    t
}

fn yaml(t: &Test, rel: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&t.read(rel)).unwrap()
}

/// 8.1 test_cli_basic.py.
#[test]
fn original_test_cli_basic() {
    require!("uv");
    let t = Test::new().offline_uv();
    assert!(run(&t, "--help").stdout.contains("Hyper Stack Manager"));
    run(&t, "init --name test-project");
    assert!(t.exists("hsm.yaml"));
}

/// 8.2 test_cli_project.py.
#[test]
fn original_test_cli_project() {
    require!("uv");
    // test_project_list and test_project_mode_set on the fixture's hand-written hsm.yaml.
    let t = Test::new().manifest("\nproject:\n  name: test_project\n  manager: uv\n");
    assert!(run(&t, "list").stdout.contains("test_project"));
    run(&t, "mode dev");
    // test_project_library_add.
    let t = sandbox().offline_uv();
    run(
        &t,
        "registry library add my-lib --version 0.1.0 --prod-type git --prod-url https://github.com/org/repo --no-input",
    );
    run(&t, "init --name test-project");
    run(&t, "library add my-lib");
    assert_eq!(yaml(&t, "hsm.yaml")["libraries"]["standalone"][0], "my-lib");
    // test_project_sync_basic: nothing in the stack, nothing to compose.
    let t = initialised("sync-project");
    run(&t, "sync --no-verify");
    assert!(!t.exists("docker-compose.hsm.yml"));
    // test_project_library_remove.
    let t = initialised("test-project");
    run(&t, "registry library add to-remove --no-input");
    run(&t, "library add to-remove");
    run(&t, "library remove to-remove");
    assert!(!t.read("hsm.yaml").contains("to-remove"));
    // test_project_python_manager_set.
    let t = initialised("test-project");
    run(&t, "python-manager set pixi");
    assert_eq!(yaml(&t, "hsm.yaml")["libraries"]["package_manager"], "pixi");
    // test_project_init_help_contains_git_init (GIT-CLI-001).
    assert!(run(&t, "library init --help").stdout.contains("--git-init"));
    assert!(run(&t, "service init --help").stdout.contains("--git-init"));
}

/// 8.3 test_cli_registry.py, each against `--registry <dir>`.
#[test]
fn original_test_cli_registry() {
    let t = Test::new();
    let dir = t.path().join("registry");
    let reg = dir.display().to_string();
    let hsm = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--registry", &reg]);
        let out = t.hsm(&all);
        out.success();
        out
    };
    std::fs::create_dir_all(&dir).unwrap();
    hsm(&["registry", "list"]);
    hsm(&[
        "registry",
        "library",
        "add",
        "test-pkg",
        "--version",
        "1.2.3",
        "--description",
        "Test description",
        "--prod-type",
        "git",
        "--prod-url",
        "https://github.com/test/test.git",
        "--no-input",
    ]);
    let v = yaml(&t, "registry/libraries/test-pkg.yaml");
    assert_eq!(
        (v["name"].as_str(), v["version"].as_str()),
        (Some("test-pkg"), Some("1.2.3"))
    );
    // test_registry_search and test_registry_show on hand-written files.
    std::fs::write(
        dir.join("libraries/my-cool-pkg.yaml"),
        "name: my-cool-pkg\n",
    )
    .unwrap();
    assert!(
        hsm(&["registry", "search", "cool"])
            .stdout
            .contains("my-cool-pkg")
    );
    std::fs::write(
        dir.join("libraries/test-show.yaml"),
        "name: test-show\nversion: 1.0.0\n",
    )
    .unwrap();
    let shown = hsm(&["registry", "show", "test-show"]).stdout;
    assert!(
        shown.contains("test-show") && shown.contains("1.0.0"),
        "{shown}"
    );
    // test_registry_library_remove.
    std::fs::write(dir.join("libraries/to-remove.yaml"), "name: to-remove\n").unwrap();
    hsm(&["registry", "library", "remove", "to-remove", "--yes"]);
    assert!(!dir.join("libraries/to-remove.yaml").exists());
    // test_registry_group_add_no_input.
    hsm(&[
        "registry",
        "group",
        "add",
        "test-group",
        "--type",
        "library_group",
        "--strategy",
        "1-of-N",
        "--option",
        "opt1",
        "--option",
        "opt2",
        "--no-input",
    ]);
    let g = yaml(&t, "registry/library_groups/test-group.yaml");
    assert_eq!(g["options"].as_sequence().map(Vec::len), Some(2));
    // test_registry_service_add_no_input.
    hsm(&[
        "registry",
        "service",
        "add",
        "test-svc",
        "--image",
        "nginx:latest",
        "--port",
        "80:80",
        "--no-input",
    ]);
    let s = yaml(&t, "registry/services/test-svc.yaml");
    assert_eq!(s["sources"]["prod"]["image"], "nginx:latest");
    assert_eq!(s["ports"][0], "80:80");
}

/// 8.4 test_registry_logic.py.
#[test]
fn original_test_registry_logic() {
    let t = sandbox();
    run(
        &t,
        "registry library add test-pkg --version 1.2.3 --prod-type git --prod-url https://github.com/test/test --no-input",
    );
    let v = yaml(&t, "hsm-registry/libraries/test-pkg.yaml");
    assert_eq!(
        (v["name"].as_str(), v["version"].as_str()),
        (Some("test-pkg"), Some("1.2.3"))
    );
    assert!(run(&t, "registry search test").stdout.contains("test-pkg"));
    run(&t, "registry library remove test-pkg --yes");
    assert!(!t.exists("hsm-registry/libraries/test-pkg.yaml"));
    // test_registry_group_logic: options registered later are accepted (with a warning).
    run(
        &t,
        "registry group add db-group --type library_group --strategy 1-of-N --option pg-client --option mysql-client --no-input",
    );
    assert!(t.exists("hsm-registry/library_groups/db-group.yaml"));
    run(&t, "registry group add-option db-group sqlite-client");
    let g = t.read("hsm-registry/library_groups/db-group.yaml");
    assert!(g.contains("sqlite-client"), "{g}");
}

/// 8.5 test_system_level.py: the binary runs; in a directory without hsm.yaml, sync and
/// check fail (exit 1) and say there is no hsm.yaml.
#[test]
fn original_test_system_level() {
    let t = Test::new();
    assert!(run(&t, "--help").stdout.contains("Hyper Stack Manager"));
    for cmd in ["sync", "check"] {
        let out = t.hsm(&[cmd]);
        assert_eq!(out.code, 1, "{cmd}");
        assert!(out.stderr.contains("hsm.yaml"), "{}", out.stderr);
    }
}

/// 8.7 test_docker_compose_contains_env_file (ENV-HF-001): an env file of a docker service
/// becomes its `.env.<name>`, named in the compose file's `env_file`.
#[test]
fn original_test_docker_compose_contains_env_file() {
    require!("uv");
    let t = initialised("docker-env-file-test").file("shared.env", "SHARED_KEY=shared\n");
    run(
        &t,
        "registry service add web-env --image nginx:latest --runtime docker --env-file shared.env --no-input",
    );
    run(&t, "service add web-env");
    run(&t, "sync --no-verify");
    let compose = yaml(&t, "docker-compose.hsm.yml");
    assert_eq!(
        compose["services"]["web-env"]["env_file"][0],
        ".env.web-env"
    );
    assert_eq!(t.read(".env.web-env"), "SHARED_KEY=shared\n");
}

/// A git repository outside the project holding the Python package `name` (built with
/// uv_build, which the tests have offline; the original's fixtures had no build system
/// and needed setuptools from the network). Returns it and its `file://` URL.
fn package_repo(name: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let module = name.replace('-', "_");
    std::fs::create_dir_all(dir.path().join("src").join(&module)).unwrap();
    std::fs::write(dir.path().join("src").join(&module).join("__init__.py"), "").unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        format!("[project]\nname = \"{name}\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = []\n\n[build-system]\nrequires = [\"uv_build>=0.8,<1\"]\nbuild-backend = \"uv_build\"\n"),
    )
    .unwrap();
    common::git(dir.path(), &["init", "-q"]);
    common::git(dir.path(), &["add", "."]);
    common::git(dir.path(), &["commit", "-qm", "Initial commit"]);
    let url = format!("file://{}", dir.path().display());
    (dir, url)
}

/// 8.8 ENV-FAIL-005: a key an implication sets on a docker service that its env file
/// defines too fails the sync (before uv runs), naming the key.
#[test]
fn original_test_env_fail_conflict_implies() {
    require!("uv");
    let t = initialised("env-test").file("implies_conflict.env", "DB_NAME=file_db\n");
    let (_repo, url) = package_repo("imply-lib");
    run(
        &t,
        &format!(
            "registry library add imply-lib --version 0.1.0 --prod-type git --prod-url {url} --no-input"
        ),
    );
    run(
        &t,
        "registry service add fail-service --image nginx:latest --runtime docker --env-file implies_conflict.env --no-input",
    );
    run(
        &t,
        "registry library implies add imply-lib service:fail-service DB_NAME=implied_db",
    );
    run(&t, "library add imply-lib");
    let before = t.tree();
    let out = t.hsm(&["sync", "--no-verify"]);
    out.failure();
    assert_eq!(t.tree(), before);
    assert!(
        out.stderr.contains("DB_NAME") && out.stderr.contains("defined twice"),
        "{}",
        out.stderr
    );
}

/// 8.9 test_environment_level.py, cases 1, 2, 4 and 5.
#[test]
fn original_test_environment_level() {
    require!("uv");
    require!("git");
    // Case 1: two libraries from git repositories imply postgres with their db_name; the
    // merged params reach its env, and uv installs both libraries.
    let t = initialised("shared-service-project");
    run(
        &t,
        "registry service add postgres --image postgres:16-alpine --env POSTGRES_MULTIPLE_DATABASES=${HSM_MERGED_PARAMS.db_name} --no-input",
    );
    let (_a, auth) = package_repo("auth-service");
    let (_b, billing) = package_repo("billing-service");
    for (name, url, db) in [
        ("auth-service", &auth, "auth_db"),
        ("billing-service", &billing, "billing_db"),
    ] {
        run(
            &t,
            &format!(
                "registry library add {name} --version 1.0.0 --prod-type git --prod-url {url} --no-input"
            ),
        );
        run(
            &t,
            &format!("registry library implies add {name} service:postgres db_name={db}"),
        );
        run(&t, &format!("library add {name}"));
    }
    run(&t, "sync --no-verify");
    let env = yaml(&t, "docker-compose.hsm.yml")["services"]["postgres"]["environment"]
        ["POSTGRES_MULTIPLE_DATABASES"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        env.contains("auth_db") && env.contains("billing_db") && env.contains(','),
        "{env}"
    );
    assert!(t.read("uv.lock").contains("auth-service"));

    // Case 2: the qdrant of an external profile is not composed; the chunker is.
    let t = initialised("hybrid-cloud-project");
    run(
        &t,
        "registry service add local-chunker --image my-chunker:latest --no-input",
    );
    run(
        &t,
        "registry service add qdrant --image qdrant/qdrant:latest --no-input",
    );
    let file = t.path().join("hsm-registry/services/qdrant.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let text = text.replace(
        "deployment_profiles:\n",
        "deployment_profiles:\n  external-prod:\n    mode: external\n    external: {host: 10.0.0.50, port: 6333}\n",
    );
    std::fs::write(&file, text).unwrap();
    for (group, option) in [
        ("chunker-service", "local-chunker"),
        ("vector-db-service", "qdrant"),
    ] {
        run(
            &t,
            &format!(
                "registry group add {group} --type service_group --option {option} --no-input"
            ),
        );
        run(&t, &format!("group add {group} --option {option}"));
    }
    // The original patched hsm.yaml by hand here (it has no command for a group's profile).
    let manifest = t.read("hsm.yaml");
    assert!(manifest.contains("      selection: qdrant\n"), "{manifest}");
    std::fs::write(
        t.path().join("hsm.yaml"),
        manifest.replace(
            "      selection: qdrant\n",
            "      selection: qdrant\n      profile: external-prod\n",
        ),
    )
    .unwrap();
    run(&t, "sync --no-verify");
    let compose = yaml(&t, "docker-compose.hsm.yml");
    assert!(compose["services"]["local-chunker"].is_mapping());
    assert!(compose["services"]["qdrant"].is_null());

    // Case 4: a local library in dev mode (editable) and a service built from a Dockerfile
    // in dev mode.
    let t = common::python_package(
        initialised("editable-project"),
        "libs/neo4j-client",
        "neo4j-client",
    )
    .file("services/graph-builder/Dockerfile.dev", "FROM alpine\n");
    run(
        &t,
        "registry library add neo4j-client --version 0.1.0 --prod-type local --dev-path libs/neo4j-client --no-input",
    );
    run(
        &t,
        "registry service add graph-builder-service --build-path services/graph-builder --dockerfile Dockerfile.dev --runtime docker --no-input",
    );
    run(&t, "library add neo4j-client");
    run(&t, "library mode neo4j-client dev");
    run(
        &t,
        "registry group add graph-services --type service_group --option graph-builder-service --no-input",
    );
    run(
        &t,
        "group add graph-services --option graph-builder-service",
    );
    run(&t, "service mode graph-builder-service dev");
    run(&t, "sync --no-verify");
    let build = &yaml(&t, "docker-compose.hsm.yml")["services"]["graph-builder-service"]["build"];
    assert_eq!(build["dockerfile"], "Dockerfile.dev");
    assert!(t.read("pyproject.toml").contains("neo4j-client"));

    // Case 5: `${VAR}` in ports and env stays a reference for compose, never the value.
    let t = initialised("secrets-project")
        .env("NEO4J_PROD_PASSWORD", "secret123")
        .env("NEO4J_PROD_PORT", "7687");
    run(
        &t,
        "registry service add graph-builder-service --image graph-builder:latest --port ${NEO4J_PROD_PORT}:7474 --env DB_PASSWORD=${NEO4J_PROD_PASSWORD} --runtime docker --no-input",
    );
    run(
        &t,
        "registry group add graph-services --type service_group --option graph-builder-service --no-input",
    );
    run(
        &t,
        "group add graph-services --option graph-builder-service",
    );
    run(&t, "sync --no-verify");
    let svc = &yaml(&t, "docker-compose.hsm.yml")["services"]["graph-builder-service"];
    assert_eq!(svc["environment"]["DB_PASSWORD"], "${NEO4J_PROD_PASSWORD}");
    assert_eq!(svc["ports"][0], "${NEO4J_PROD_PORT}:7474");
    assert!(!t.read("docker-compose.hsm.yml").contains("secret123"));
}

/// 8.10 test_project_init_git.py, GIT-HF-001..003: `--git-init` makes a repository of the
/// new component; without it there is none, even inside a project that is not one.
#[test]
fn original_test_project_init_git() {
    require!("uv");
    require!("git");
    let t = initialised("git-project");
    run(&t, "library init git-lib --git-init");
    assert!(t.exists("packages/git-lib/.git"));
    run(&t, "service init git-service --runtime uv --git-init");
    assert!(t.exists("services/git-service/.git"));
    run(&t, "library init plain-lib");
    run(&t, "service init plain-service --runtime uv");
    assert!(!t.exists("packages/plain-lib/.git"));
    assert!(!t.exists("services/plain-service/.git"));
}
