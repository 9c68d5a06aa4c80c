//! `hsm library init` and `hsm service init`, with real uv (offline) and real git: what
//! they create, what they register, and that a failure leaves nothing behind.

use crate::common;

use common::{Test, assert_valid_compose, git, ok};
use insta::assert_snapshot;

/// A new project (`hsm init`) on the built-in registry, with uv offline.
fn project() -> Test {
    let t = Test::new().offline_uv();
    t.hsm(&["init", "--name", "demo"]).success();
    t
}

/// The project's files, without uv's cache (which uv fills as it likes).
fn files(t: &Test) -> Vec<(String, Vec<u8>)> {
    t.tree()
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".uv-cache/"))
        .collect()
}

/// Run `hsm ARGS`, expect exit 1 and that nothing in the project changed (uv's cache aside;
/// `common::refused` compares every file).
#[track_caller]
fn refused(t: &Test, args: &[&str]) -> common::Output {
    let before = files(t);
    let out = t.hsm(args);
    out.failure();
    let after = files(t);
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert!(
        after == before,
        "`hsm {}` failed but changed files:\nbefore: {:?}\nafter:  {:?}",
        args.join(" "),
        names(&before),
        names(&after)
    );
    out
}

#[track_caller]
fn lint_ok(t: &Test) {
    let out = ok(t, &["registry", "lint", "--deny-warnings"]);
    assert!(
        out.stdout.ends_with(": 0 errors, 0 warnings\n"),
        "{}",
        out.stdout
    );
}

/// Validate a registry file with its JSON Schema (printed by `hsm schema KIND`; a missing
/// check-jsonschema skips this check: see `common::require`).
#[track_caller]
fn schema_ok(t: &Test, kind: &str, rel: &str) {
    let Some(check_jsonschema) = common::require("check-jsonschema") else {
        return;
    };
    let schema = t.path().join(format!(".{kind}.schema.json"));
    std::fs::write(&schema, ok(t, &["schema", kind]).stdout).unwrap();
    let out = std::process::Command::new(check_jsonschema)
        .arg("--schemafile")
        .arg(&schema)
        .arg(t.path().join(rel))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{rel} does not match `hsm schema {kind}`:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

// ------------------------------------------------------------------- libraries

#[test]
fn library_init_creates_a_uv_library_and_registers_it() {
    require!("uv");
    let t = project();
    let out = ok(&t, &["library", "init", "my-lib"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Created library `my-lib` in packages/my-lib (uv init --lib)
    Created hsm-registry/ for the project's own entries, searched before the built-in registry (`registries: [hsm-registry]` in hsm.yaml)
    Registered `my-lib` in hsm-registry/libraries/my-lib.yaml: prod and dev from packages/my-lib (dev editable)
    hint: `hsm library add my-lib` puts it in the stack

    ----- stderr -----
    ");
    // A uv library project, not a nested git repository (GIT-HF-003).
    assert!(t.exists("packages/my-lib/pyproject.toml"));
    assert!(t.exists("packages/my-lib/src/my_lib/__init__.py"));
    assert!(!t.exists("packages/my-lib/.git"));
    let pyproject = t.read("packages/my-lib/pyproject.toml");
    assert!(pyproject.contains("name = \"my-lib\""), "{pyproject}");
    assert!(
        pyproject.contains("build-backend"),
        "a library is buildable"
    );
    // Same Python range as the project, so uv can lock them together.
    assert!(
        pyproject.contains("requires-python = \">=3.9\""),
        "{pyproject}"
    );
    // The registry: the new entry alone, in a layer in front of the built-in registry.
    assert_snapshot!(
        "library_init_registry_entry",
        t.read("hsm-registry/libraries/my-lib.yaml")
    );
    assert!(!t.exists("hsm-registry/library_groups/vector-db-adapter.yaml"));
    assert_eq!(
        t.tree()
            .iter()
            .filter(|(p, _)| p.starts_with("hsm-registry/"))
            .count(),
        1,
        "only its own entry"
    );
    assert!(
        t.read("hsm.yaml")
            .ends_with("registries:\n  - hsm-registry\n"),
        "{}",
        t.read("hsm.yaml")
    );
    // Built-in components stay reachable through the layers.
    let shown = ok(&t, &["registry", "show", "vector-db-adapter"]);
    assert!(shown.stdout.contains("qdrant-adapter"), "{}", shown.stdout);
    lint_ok(&t);
    schema_ok(&t, "library", "hsm-registry/libraries/my-lib.yaml");

    // Usable at once: dev mode installs it editable; uv locks the project with it.
    ok(&t, &["library", "add", "my-lib"]);
    ok(&t, &["mode", "dev", "my-lib"]);
    ok(&t, &["sync", "--no-install"]);
    let root = t.read("pyproject.toml");
    assert!(
        root.contains("my-lib = { path = \"packages/my-lib\", editable = true }"),
        "{root}"
    );
    // Offline, like hsm's own uv runs (`Test::offline_uv`).
    let lock = t.tool_command("uv").arg("lock").output().unwrap();
    assert!(
        lock.status.success(),
        "uv lock: {}",
        String::from_utf8_lossy(&lock.stderr)
    );
}

#[test]
fn a_project_that_used_the_builtin_registry_keeps_working() {
    require!("uv");
    let t = project();
    ok(
        &t,
        &[
            "group",
            "add",
            "vector-db-adapter",
            "--option",
            "qdrant-adapter",
        ],
    );
    let stack = |t: &Test| {
        let out = ok(t, &["resolve"]).stdout;
        out.split_once('\n').unwrap().1.to_string()
    };
    let before = stack(&t);
    ok(&t, &["library", "init", "my-lib"]);
    assert!(
        ok(&t, &["resolve"])
            .stdout
            .contains("from registry hsm-registry")
    );
    assert_eq!(
        stack(&t),
        before,
        "the copied registry must give the same stack"
    );
}

#[test]
fn library_init_with_git_init_makes_its_own_repository() {
    require!("uv", "git");
    // GIT-HF-001
    let t = project();
    let out = ok(&t, &["library", "init", "git-lib", "--git-init"]);
    assert!(
        out.stdout.contains("(uv init --lib, git init)"),
        "{}",
        out.stdout
    );
    assert!(t.path().join("packages/git-lib/.git").is_dir());
}

#[test]
fn inside_a_git_project_no_nested_repository_is_made() {
    require!("uv", "git");
    // GIT-HF-003, where the project itself is a git repository.
    let t = project();
    git(t.path(), &["init", "-q"]);
    ok(&t, &["library", "init", "plain-lib"]);
    ok(&t, &["service", "init", "plain-service", "--runtime", "uv"]);
    assert!(!t.exists("packages/plain-lib/.git"));
    assert!(!t.exists("services/plain-service/.git"));
}

#[test]
fn no_register_writes_no_registry() {
    require!("uv");
    let t = project();
    let out = ok(&t, &["library", "init", "loose", "--no-register"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Created library `loose` in packages/loose (uv init --lib)

    ----- stderr -----
    ");
    assert!(t.exists("packages/loose/pyproject.toml"));
    assert!(!t.exists("hsm-registry"));
}

#[test]
fn path_option_and_the_registry_the_project_names() {
    require!("uv");
    let t = project()
        .file("reg/libraries/.keep", "")
        .manifest("project:\n  name: demo\nregistry: reg\n");
    let out = ok(&t, &["library", "init", "tools", "--path", "libs/./tools"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Created library `tools` in libs/tools (uv init --lib)
    Registered `tools` in reg/libraries/tools.yaml: prod and dev from libs/tools (dev editable)
    hint: `hsm library add tools` puts it in the stack

    ----- stderr -----
    ");
    assert!(t.exists("libs/tools/pyproject.toml"));
    assert!(!t.exists("hsm-registry"), "the project's registry is reg/");
    let entry = t.read("reg/libraries/tools.yaml");
    assert!(entry.contains("path: libs/tools\n"), "{entry}");
    lint_ok(&t);
}

#[test]
fn an_absolute_path_inside_the_project_is_made_relative() {
    require!("uv");
    let t = project();
    let abs = t.path().join("pkgs/abs-lib").display().to_string();
    ok(&t, &["library", "init", "abs-lib", "--path", &abs]);
    let entry = t.read("hsm-registry/libraries/abs-lib.yaml");
    assert!(entry.contains("path: pkgs/abs-lib\n"), "{entry}");
}

#[test]
fn the_registry_flag_and_variable_choose_where_to_register() {
    require!("uv");
    let t = project().file("shared-reg/services/.keep", "");
    ok(&t, &["--registry", "shared-reg", "library", "init", "a"]);
    assert!(t.exists("shared-reg/libraries/a.yaml"));
    let t = t.env("HSM_REGISTRY_PATH", "shared-reg");
    ok(&t, &["service", "init", "b"]);
    assert!(t.exists("shared-reg/services/b.yaml"));
    assert!(!t.exists("hsm-registry"));
}

#[test]
fn an_empty_target_directory_is_used() {
    require!("uv");
    let t = project();
    std::fs::create_dir_all(t.path().join("packages/empty")).unwrap();
    ok(&t, &["library", "init", "empty", "--no-register"]);
    assert!(t.exists("packages/empty/pyproject.toml"));
}

// -------------------------------------------------------------------- services

#[test]
fn service_init_docker_is_a_dockerfile_that_sync_builds() {
    require!("uv");
    let t = project();
    let out = ok(&t, &["service", "init", "web"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Created service `web` in services/web (a Dockerfile)
    Created hsm-registry/ for the project's own entries, searched before the built-in registry (`registries: [hsm-registry]` in hsm.yaml)
    Registered `web` in hsm-registry/services/web.yaml: built from services/web/Dockerfile, runtime docker
    hint: `hsm service add web` puts it in the stack

    ----- stderr -----
    ");
    assert_snapshot!("service_init_dockerfile", t.read("services/web/Dockerfile"));
    assert_snapshot!(
        "service_init_docker_registry_entry",
        t.read("hsm-registry/services/web.yaml")
    );
    assert!(!t.exists("services/web/.git"));
    assert!(!t.exists("services/web/pyproject.toml"));
    lint_ok(&t);
    schema_ok(&t, "service", "hsm-registry/services/web.yaml");
    // prod and dev both build it: usable before there is an image.
    ok(&t, &["service", "add", "web"]);
    ok(&t, &["sync", "--no-install"]);
    let compose = t.read("docker-compose.hsm.yml");
    assert!(compose.contains("context: ./services/web"), "{compose}");
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
}

#[test]
fn service_init_podman() {
    require!("uv");
    let t = project();
    ok(&t, &["service", "init", "pod", "--runtime", "podman"]);
    let entry = t.read("hsm-registry/services/pod.yaml");
    assert!(entry.contains("runtime: podman\n"), "{entry}");
    assert!(t.exists("services/pod/Dockerfile"));
}

#[test]
fn service_init_uv_is_a_uv_project() {
    require!("uv");
    let t = project();
    let out = ok(&t, &["service", "init", "worker", "--runtime", "uv"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Created service `worker` in services/worker (uv init)
    Created hsm-registry/ for the project's own entries, searched before the built-in registry (`registries: [hsm-registry]` in hsm.yaml)
    Registered `worker` in hsm-registry/services/worker.yaml: prod and dev from services/worker, runtime uv
    hint: `hsm service add worker` puts it in the stack
    note: `hsm sync --up` starts docker and podman services only; run this one with `uv run` in services/worker

    ----- stderr -----
    ");
    assert!(t.exists("services/worker/pyproject.toml"));
    assert!(!t.exists("services/worker/Dockerfile"));
    assert!(!t.exists("services/worker/.git"));
    assert_snapshot!(
        "service_init_uv_registry_entry",
        t.read("hsm-registry/services/worker.yaml")
    );
    lint_ok(&t);
    schema_ok(&t, "service", "hsm-registry/services/worker.yaml");
}

#[test]
fn service_init_with_git_init() {
    require!("uv", "git");
    // GIT-HF-002
    let t = project();
    ok(
        &t,
        &[
            "service",
            "init",
            "git-service",
            "--runtime",
            "uv",
            "--git-init",
        ],
    );
    assert!(t.path().join("services/git-service/.git").is_dir());
}

// -------------------------------------------------------------------- failures

#[test]
fn missing_git_is_a_clear_error_and_nothing_is_created() {
    require!("uv", "git");
    // GIT-FAIL-001
    let t = project().path_without(&["git"]);
    let out = refused(&t, &["library", "init", "broken-lib", "--git-init"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: git binary is not available: `git` is not on PATH
      help: install git, or leave out --git-init; nothing was created
    ");
    assert!(!t.exists("packages"));
    assert!(!t.exists("hsm-registry"));
}

#[test]
fn a_failing_git_init_is_reported_and_undone() {
    require!("uv", "git");
    // GIT-FAIL-002
    let t = project().fake_tool("git", "echo 'fatal: simulated failure' >&2; exit 1");
    let out = refused(
        &t,
        &[
            "service",
            "init",
            "broken-service",
            "--runtime",
            "docker",
            "--git-init",
        ],
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: git init failed in services/broken-service (exit status 1):
      │ fatal: simulated failure
      help: nothing was created; fix what git reports and run the command again
    ");
    assert!(!t.exists("services"));
}

#[test]
fn missing_uv_is_a_clear_error_and_nothing_is_created() {
    let t = project().path_without(&["uv"]);
    let out = refused(&t, &["library", "init", "no-uv"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: uv binary is not available: `uv` is not on PATH
      help: install uv (https://docs.astral.sh/uv/) and run the command again; nothing was created
    ");
    // A docker service needs no uv.
    ok(&t, &["service", "init", "still-fine"]);
}

#[test]
fn a_failing_uv_init_is_reported_and_undone() {
    // uv refuses a Python name that ends in `-` (hsm accepts it as a component name).
    let t = project();
    let out = refused(&t, &["library", "init", "bad-"]);
    let err = &out.stderr;
    assert!(
        err.starts_with("error: uv init failed in packages/bad- (exit status 2):\n"),
        "{err}"
    );
    assert!(err.contains("Not a valid package"), "{err}");
    // uv's own words vary between versions; the frame around them does not.
    insta::with_settings!({filters => vec![(r"(?m)^  │ .*\n", ""), (r"(?m)^  │\n", "")]}, {
        hsm_snapshot!(out, @"
        success: false
        exit_code: 1
        ----- stdout -----

        ----- stderr -----
        error: uv init failed in packages/bad- (exit status 2):
          help: nothing was created; fix what uv reports and run the command again
        ");
    });
}

#[test]
fn from_another_directory() {
    require!("uv");
    let t = project();
    std::fs::create_dir_all(t.path().join("elsewhere")).unwrap();
    let t = t.cwd("elsewhere");
    let out = ok(
        &t,
        &[
            "--directory",
            "..",
            "library",
            "init",
            "far",
            "--path",
            "libs/far",
        ],
    );
    // Paths outside the working directory are shown absolute (the snapshot shows the
    // project's temporary directory as `[TEMP]`).
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Created library `far` in [TEMP]/libs/far (uv init --lib)
    Created [TEMP]/hsm-registry/ for the project's own entries, searched before the built-in registry (`registries: [hsm-registry]` in hsm.yaml)
    Registered `far` in [TEMP]/hsm-registry/libraries/far.yaml: prod and dev from libs/far (dev editable)
    hint: `hsm library add far` puts it in the stack

    ----- stderr -----
    ");
    assert!(t.exists("libs/far/pyproject.toml"));
    assert!(t.exists("hsm-registry/libraries/far.yaml"));
    assert!(
        t.read("hsm-registry/libraries/far.yaml")
            .contains("path: libs/far\n")
    );
}

#[test]
fn an_empty_target_directory_is_emptied_again_on_failure() {
    require!("uv", "git");
    let t = project().path_without(&["git"]);
    std::fs::create_dir_all(t.path().join("packages/kept")).unwrap();
    refused(&t, &["library", "init", "kept", "--git-init"]);
    assert!(t.path().join("packages/kept").is_dir());
    assert_eq!(
        std::fs::read_dir(t.path().join("packages/kept"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn refusals() {
    require!("uv");
    let t = project()
        .file("packages/taken/README.md", "mine\n")
        .file("a-file", "x\n");
    let cases: &[(&str, &[&str])] = &[
        ("refuse_non_empty_directory", &["library", "init", "taken"]),
        (
            "refuse_path_outside",
            &["library", "init", "x", "--path", "../../x"],
        ),
        (
            "refuse_absolute_path_outside",
            &["library", "init", "x", "--path", "/elsewhere/x"],
        ),
        (
            "refuse_project_root",
            &["service", "init", "x", "--path", "."],
        ),
        (
            "refuse_path_is_a_file",
            &["service", "init", "x", "--path", "a-file"],
        ),
        ("refuse_invalid_name", &["library", "init", "../evil"]),
    ];
    for (name, args) in cases {
        let out = refused(&t, args);
        hsm_snapshot!(*name, out);
    }
}

#[test]
fn an_existing_registry_entry_is_never_overwritten() {
    require!("uv");
    let t = project().registry_file(
        "services/cache.yaml",
        "name: cache\nsources: {prod: {type: docker-image, image: \"redis:7\"}}\n",
    );
    // Registered first, created second (the original's flow): the entry stays as it is.
    let entry = t.read("hsm-registry/services/cache.yaml");
    let out = ok(&t, &["service", "init", "cache"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Created service `cache` in services/cache (a Dockerfile)
    `cache` is already registered (hsm-registry/services/cache.yaml): its entry is kept as it is

    ----- stderr -----
    ");
    assert_eq!(t.read("hsm-registry/services/cache.yaml"), entry);
    assert!(t.exists("services/cache/Dockerfile"));
    // An entry of the built-in registry is kept too: no copy of the registry is made.
    let builtin = project();
    let out = ok(&builtin, &["library", "init", "qdrant-adapter"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Created library `qdrant-adapter` in packages/qdrant-adapter (uv init --lib)
    `qdrant-adapter` is already registered (the built-in registry): its entry is kept as it is

    ----- stderr -----
    ");
    assert!(!builtin.exists("hsm-registry"));
    // The same name as a library is another entry (legal; lint only warns that a bare
    // `cache` in a rule is then ambiguous).
    ok(&t, &["library", "init", "cache"]);
    let out = ok(&t, &["registry", "lint"]);
    assert!(
        out.stdout
            .contains("warning: `cache` is both a library and a service")
            && out.stdout.ends_with(": 0 errors, 1 warning\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_symlink_out_of_the_project_is_refused() {
    require!("uv");
    let outside = tempfile::tempdir().unwrap();
    let t = project();
    std::os::unix::fs::symlink(outside.path(), t.path().join("packages")).unwrap();
    let out = refused(&t, &["library", "init", "sneaky"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: packages/sneaky leads outside the project, through the symbolic link packages
      help: hsm writes only inside the project; give another --path
    ");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn without_hsm_yaml() {
    let t = Test::new();
    let out = refused(&t, &["library", "init", "x"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no hsm.yaml in the current directory or any directory above it
      help: run `hsm init` to create one, or pass `--directory` to point at the project
    ");
}
