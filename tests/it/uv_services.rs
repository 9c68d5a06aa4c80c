//! Services that run with uv (the original's "VES", DESIGN §6b), with real uv offline and
//! real git: each service is a Python project in `services/<name>` with its own
//! environment, created by the sync (cloned at a pinned ref, or `uv init` in dev mode),
//! its `dependencies` written into its own pyproject.toml and installed there, never in
//! the project's — and all of it inside the sync's one transaction.

use crate::common;

use common::{Test, git, ok};

/// A PEP 517 backend (in-tree, no requirements, so uv builds it offline) that builds only
/// when `HSM_CANARY_VAR=FLYING`: the original's canary, without hatchling.
const CANARY_BACKEND: &str = r#""""Builds only when HSM_CANARY_VAR=FLYING."""
import base64, hashlib, os, zipfile

NAME, VERSION = "canary_pkg", "0.1.0"
DIST = f"{NAME}-{VERSION}.dist-info"
METADATA = f"Metadata-Version: 2.1\nName: canary-pkg\nVersion: {VERSION}\n"
WHEEL = "Wheel-Version: 1.0\nGenerator: canary\nRoot-Is-Purelib: true\nTag: py3-none-any\n"

def _alive():
    if os.environ.get("HSM_CANARY_VAR") != "FLYING":
        raise RuntimeError("CANARY_DIED: HSM_CANARY_VAR not found or incorrect")

def get_requires_for_build_wheel(config_settings=None):
    return []

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _alive()
    os.makedirs(os.path.join(metadata_directory, DIST), exist_ok=True)
    with open(os.path.join(metadata_directory, DIST, "METADATA"), "w") as f:
        f.write(METADATA)
    return DIST

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _alive()
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    files = {"canary_pkg/__init__.py": "FLYING = True\n", f"{DIST}/METADATA": METADATA, f"{DIST}/WHEEL": WHEEL}
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for path, text in files.items():
            data = text.encode()
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append(f"{DIST}/RECORD,,")
        z.writestr(f"{DIST}/RECORD", "\n".join(record) + "\n")
    return name
"#;

const CANARY_PYPROJECT: &str = "[project]\nname = \"canary-pkg\"\nversion = \"0.1.0\"\n\n[build-system]\nrequires = []\nbuild-backend = \"canary_backend\"\nbackend-path = [\".\"]\n";

/// A sandbox as the original's fixture makes it (an empty registry named by
/// HSM_REGISTRY_PATH), with uv offline, an initialised project, and the canary package
/// in `canary_pkg/`.
fn sandbox() -> Test {
    let t = Test::new()
        .offline_uv()
        .file("canary_pkg/pyproject.toml", CANARY_PYPROJECT)
        .file("canary_pkg/canary_backend.py", CANARY_BACKEND);
    for dir in ["libraries", "services", "library_groups", "service_groups"] {
        std::fs::create_dir_all(t.path().join("hsm-registry").join(dir)).unwrap();
    }
    let registry = t.path().join("hsm-registry").display().to_string();
    let t = t.env("HSM_REGISTRY_PATH", &registry);
    ok(&t, &["init", "--name", "ves-project"]);
    let canary = t.path().join("canary_pkg").display().to_string();
    ok(
        &t,
        &[
            "registry",
            "library",
            "add",
            "canary-pkg",
            "--version",
            "0.1.0",
            "--prod-type",
            "local",
            "--dev-path",
            &canary,
            "--no-input",
        ],
    );
    t
}

/// The packages installed in the environment at `venv` (relative to the project).
fn installed(t: &Test, venv: &str) -> Vec<String> {
    let Ok(lib) = std::fs::read_dir(t.path().join(venv).join("lib")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for python in lib.flatten() {
        for e in std::fs::read_dir(python.path().join("site-packages"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(dist) = name.strip_suffix(".dist-info") {
                out.push(dist.split('-').next().unwrap_or(dist).to_string());
            }
        }
    }
    out.sort();
    out
}

/// Every file of the project except uv's cache and hsm's state.
fn files(t: &Test) -> Vec<(String, Vec<u8>)> {
    t.tree()
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".uv-cache/") && !p.starts_with(".hsm/"))
        .collect()
}

/// 8.11 test_service_env_and_deps_propagation: the service's env reaches the build of its
/// dependency (the canary builds only with HSM_CANARY_VAR), which lands in the service's
/// own environment and not in the project's.
#[test]
fn the_canary_is_built_with_the_services_env_into_its_own_environment() {
    require!("uv");
    let t = sandbox();
    ok(
        &t,
        &[
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
            "--runtime",
            "uv",
            "--dependency",
            "canary-pkg",
            "--no-input",
        ],
    );
    ok(&t, &["service", "init", "env-service"]);
    ok(&t, &["service", "add", "env-service"]);
    ok(&t, &["service", "mode", "env-service", "dev"]);
    let out = ok(&t, &["sync"]);
    assert!(
        out.stdout
            .contains("uv lock (in services/env-service), uv sync (in services/env-service)"),
        "{}",
        out.stdout
    );
    assert!(t.exists("services/env-service/uv.lock"));
    assert!(installed(&t, "services/env-service/.venv").contains(&"canary_pkg".to_string()));
    assert!(!installed(&t, ".venv").contains(&"canary_pkg".to_string()));
    let pyproject = t.read("services/env-service/pyproject.toml");
    assert!(
        pyproject.contains("dependencies = [\"canary-pkg\"]"),
        "{pyproject}"
    );
    // Registered with an absolute path inside the project: written relative to the
    // service's own project.
    assert!(
        pyproject.contains("canary-pkg = { path = \"../../canary_pkg\" }"),
        "{pyproject}"
    );
    assert!(!t.read("pyproject.toml").contains("canary"));
    assert_eq!(
        t.read("services/env-service/.env"),
        "HSM_CANARY_VAR=FLYING\n"
    );
    // Nothing changed: nothing to do.
    let again = ok(&t, &["sync"]);
    assert!(again.stdout.contains("up to date"), "{}", again.stdout);
    // A missing environment is installed again.
    std::fs::remove_dir_all(t.path().join("services/env-service/.venv")).unwrap();
    let again = ok(&t, &["sync"]);
    assert!(
        again.stdout.contains("uv sync (in services/env-service)"),
        "{}",
        again.stdout
    );
    assert!(installed(&t, "services/env-service/.venv").contains(&"canary_pkg".to_string()));
}

/// 8.11 ENV-HF-002: the same with the variable in an env file. Without it, the canary dies
/// in uv's build, and the sync restores everything — the project `uv init` made included.
#[test]
fn the_canary_reads_an_env_file_and_dies_without_it() {
    require!("uv");
    let t = sandbox().file("svc.env", "HSM_CANARY_VAR=FLYING\n");
    ok(
        &t,
        &[
            "registry",
            "service",
            "add",
            "env-file-service",
            "--build-path",
            "services/env-file-service",
            "--runtime",
            "uv",
            "--dependency",
            "canary-pkg",
            "--env-file",
            "svc.env",
            "--no-input",
        ],
    );
    ok(&t, &["service", "add", "env-file-service"]);
    ok(&t, &["service", "mode", "env-file-service", "dev"]);
    // First without the variable: the env file is empty.
    std::fs::write(t.path().join("svc.env"), "OTHER=1\n").unwrap();
    let before = files(&t);
    let out = t.hsm(&["sync"]);
    out.failure();
    assert!(out.stderr.contains("CANARY_DIED"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("every file hsm wrote has been restored"),
        "{}",
        out.stderr
    );
    assert_eq!(files(&t), before, "a failed sync left files behind");
    assert!(!t.exists("services/env-file-service"));
    // With it (and a fresh uv cache: uv caches what it built).
    std::fs::write(t.path().join("svc.env"), "HSM_CANARY_VAR=FLYING\n").unwrap();
    let cache = t.path().join(".uv-cache-2").display().to_string();
    let t = t.env("UV_CACHE_DIR", &cache);
    let out = ok(&t, &["sync"]);
    assert!(
        out.stdout.contains("Ran uv init services/env-file-service"),
        "{}",
        out.stdout
    );
    assert!(t.exists("services/env-file-service/uv.lock"));
    assert_eq!(
        t.read("services/env-file-service/.env"),
        "HSM_CANARY_VAR=FLYING\n"
    );
    assert!(installed(&t, "services/env-file-service/.venv").contains(&"canary_pkg".to_string()));
}

/// A git repository outside the project with a Python project in it: tagged `v1` with one
/// README, then a later commit with another (so a checkout of the tag is visible).
fn remote() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::write(
        r.join("pyproject.toml"),
        "[project]\nname = \"git-service\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = []\n",
    )
    .unwrap();
    std::fs::write(r.join("README.md"), "# Git Service v1").unwrap();
    git(r, &["init", "-q", "-b", "main"]);
    git(r, &["add", "."]);
    git(r, &["commit", "-qm", "v1"]);
    git(r, &["tag", "v1"]);
    let rev = String::from_utf8(
        std::process::Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(r)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    std::fs::write(r.join("README.md"), "# Git Service v2").unwrap();
    git(r, &["commit", "-qam", "v2"]);
    let url = format!("file://{}", r.display());
    (dir, url, rev)
}

/// 8.12 test_service_git_materialization, pinned: the prod source is a `git+file://`
/// repository at a tag (or a commit); sync clones it into services/<name> at that ref,
/// then locks and installs it there.
#[test]
fn a_service_is_cloned_from_git_at_its_pinned_ref() {
    require!("uv");
    require!("git");
    for pin in ["tag: v1", "rev"] {
        let t = sandbox();
        let (_remote, url, rev) = remote();
        let pin = if pin == "rev" {
            format!("rev: {rev}")
        } else {
            pin.to_string()
        };
        t.hsm(&[
            "registry",
            "service",
            "add",
            "git-service",
            "--description",
            "Git Test Service",
            "--runtime",
            "uv",
            "--no-input",
        ])
        .success();
        std::fs::write(
            t.path().join("hsm-registry/services/git-service.yaml"),
            format!(
                "name: git-service\nversion: 0.1.0\nsources:\n  prod: {{type: git, url: \"git+{url}\", {pin}}}\ndeployment_profiles:\n  default: {{runtime: uv}}\n"
            ),
        )
        .unwrap();
        ok(&t, &["service", "add", "git-service"]);
        let out = ok(&t, &["sync"]);
        assert!(out.stdout.contains("git clone"), "{}", out.stdout);
        assert_eq!(
            t.read("services/git-service/README.md"),
            "# Git Service v1",
            "{pin}"
        );
        assert!(t.exists("services/git-service/.git"));
        assert!(t.exists("services/git-service/uv.lock"));
        assert!(t.exists("services/git-service/.venv"));
        // An existing checkout is the user's: never fetched, reset or re-cloned.
        std::fs::write(t.path().join("services/git-service/README.md"), "mine").unwrap();
        ok(&t, &["sync"]);
        assert_eq!(t.read("services/git-service/README.md"), "mine");
    }
}

/// A clone that fails (a tag the repository does not have) rolls back every file of the
/// project and removes the directory the clone was going into.
#[test]
fn a_failed_clone_leaves_nothing_behind() {
    require!("git");
    let t = Test::new().manifest("services:\n  standalone: [git-service]\n");
    let (_remote, url, _) = remote();
    let t = t.registry_file(
        "services/git-service.yaml",
        &format!(
            "name: git-service\nsources:\n  prod: {{type: git, url: \"{url}\", tag: v9}}\ndeployment_profiles:\n  default: {{runtime: uv}}\n"
        ),
    );
    let before = t.tree();
    let out = t.hsm(&["sync", "--no-install"]);
    out.failure();
    assert_eq!(t.tree(), before);
    assert!(!t.exists("services"));
    let text = out.stderr.replace(&url, "[URL]");
    assert!(
        text.contains("`git clone --branch v9 [URL] services/git-service` failed"),
        "{text}"
    );
    assert!(text.contains("the directory it made removed"), "{text}");
}

/// 8.13 test_service_init_isolation / test_service_sync_isolation: a service made with
/// `service init --runtime uv` is not a member of the project (no workspace), and its
/// dependencies stay in its own lock: the project's uv.lock does not list them.
#[test]
fn a_services_dependencies_stay_out_of_the_projects_lock() {
    require!("uv");
    let t = common::python_package(sandbox(), "libs/app-lib", "app-lib");
    ok(&t, &["service", "init", "my-service", "--runtime", "uv"]);
    assert!(!t.read("pyproject.toml").contains("my-service"));
    assert!(t.exists("services/my-service/pyproject.toml"));
    let v: serde_yaml::Value =
        serde_yaml::from_str(&t.read("hsm-registry/services/my-service.yaml")).unwrap();
    assert_eq!(v["deployment_profiles"]["default"]["runtime"], "uv");
    // The service depends on the canary (with its variable); the project on app-lib.
    let file = t.path().join("hsm-registry/services/my-service.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!("{text}env:\n  HSM_CANARY_VAR: FLYING\ndependencies: [canary-pkg]\n"),
    )
    .unwrap();
    ok(
        &t,
        &[
            "registry",
            "library",
            "add",
            "app-lib",
            "--version",
            "1.0.0",
            "--prod-type",
            "local",
            "--dev-path",
            "libs/app-lib",
            "--no-input",
        ],
    );
    ok(&t, &["library", "add", "app-lib"]);
    ok(&t, &["library", "mode", "app-lib", "dev"]);
    ok(&t, &["service", "add", "my-service"]);
    ok(&t, &["sync"]);
    assert!(t.exists("services/my-service/uv.lock"));
    let project_lock = t.read("uv.lock");
    assert!(project_lock.contains("app-lib"), "{project_lock}");
    assert!(!project_lock.contains("canary"), "{project_lock}");
    assert!(t.read("services/my-service/uv.lock").contains("canary-pkg"));
    assert!(!installed(&t, ".venv").contains(&"canary_pkg".to_string()));
    assert!(installed(&t, "services/my-service/.venv").contains(&"canary_pkg".to_string()));
}

/// ENV-FAIL-006: a key in the service's env and in its source's env (and implied too):
/// sync fails naming the key and both places, before anything is cloned, initialised or
/// written.
#[test]
fn a_key_in_the_services_env_and_its_sources_env_fails_the_sync() {
    let t = Test::new()
        .manifest("libraries:\n  standalone: [imply-lib]\nservices:\n  standalone: [{name: fail-service, mode: dev}]\n")
        .registry_file(
            "libraries/imply-lib.yaml",
            "name: imply-lib\nversion: 0.1.0\nimplies:\n  service:fail-service:\n    params: {CHAIN_KEY: from_implies}\n",
        )
        .registry_file(
            "services/fail-service.yaml",
            "name: fail-service\nenv:\n  CHAIN_KEY: from_manifest\nsources:\n  dev:\n    type: build\n    path: services/fail-service\n    env: {CHAIN_KEY: from_source}\ndeployment_profiles:\n  default: {runtime: uv}\n",
        );
    let out = common::refused(&t, &["sync"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: env key `CHAIN_KEY` of service `fail-service` is defined twice: in hsm-registry/services/fail-service.yaml env (hsm-registry/services/fail-service.yaml:3) and in hsm-registry/services/fail-service.yaml dev source env (hsm-registry/services/fail-service.yaml:8)
       ╭─[hsm-registry/services/fail-service.yaml:8:11]
     7 │     path: services/fail-service
     8 │     env: {CHAIN_KEY: from_source}
       ·           ────┬────
       ·               ╰── second definition
     9 │ deployment_profiles:
       ╰────
      help: remove one of the two definitions of `CHAIN_KEY`; hsm does not let one silently override the other
    ");
}

/// Bad registry input for a uv-run service's project, each refused with its place and a
/// way out, before anything is written.
#[test]
fn bad_service_projects_are_refused_with_positions() {
    let base = |svc: &str| {
        Test::new()
            .manifest("services:\n  standalone: [api]\n")
            .registry_file("services/api.yaml", svc)
    };
    // A source path that is not services/<name>.
    let t = base(
        "name: api\nsources:\n  dev: {type: build, path: apps/api}\ndeployment_profiles:\n  default: {runtime: uv}\n",
    );
    let out = common::refused(&t, &["sync", "--no-install"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: service `api` runs with uv, so its project is services/api, but its dev source names `apps/api`
       ╭─[hsm-registry/services/api.yaml:3:22]
     2 │ sources:
     3 │   dev: {type: build, path: apps/api}
       ·                      ──┬─
       ·                        ╰── not its project
     4 │ deployment_profiles:
       ╰────
      help: set `path: services/api` (hsm keeps every uv-run service's project there, inside the project), or remove `path`
    ");
    // Prod mode, no project yet, and no git source to clone.
    let t = base(
        "name: api\nsources:\n  prod: {type: docker-image, image: api:1}\ndeployment_profiles:\n  default: {runtime: uv}\n",
    );
    let out = common::refused(&t, &["sync", "--no-install"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: service `api` runs with uv from services/api, which does not exist, and its prod source is not a git repository hsm could clone
       ╭─[hsm-registry/services/api.yaml:1:1]
     1 │ name: api
       · ────
     2 │ sources:
       ╰────
      help: give it a git prod source (`url:` and `tag:`), create the project with `hsm service init api --runtime uv`, or switch it to dev mode (`hsm mode dev api`) and hsm creates it with `uv init`
    ");
    // A dependency that is neither a library nor a requirement.
    let t = base("name: api\ndependencies:\n  - ok-pkg>=1\n  - [not, a, name]\ndeployment_profiles:\n  default: {runtime: uv}\n")
        .file("services/api/pyproject.toml", "[project]\nname = \"api\"\nversion = \"0.1.0\"\n");
    let out = common::refused(&t, &["sync", "--no-install"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: this entry of the service's `dependencies` is neither a name nor `{name, version}`
       ╭─[hsm-registry/services/api.yaml:4:5]
     3 │   - ok-pkg>=1
     4 │   - [not, a, name]
       ·     ───────┬──────
       ·            ╰── here
     5 │ deployment_profiles:
       ╰────
      help: write the name of a registry library, `{name: pkg, version: 1.2.3}`, or a requirement such as `httpx>=0.27`
    ");
    // The same package twice.
    let t = base("name: api\ndependencies: [httpx, \"HTTPX>=1\"]\ndeployment_profiles:\n  default: {runtime: uv}\n")
        .file("services/api/pyproject.toml", "[project]\nname = \"api\"\nversion = \"0.1.0\"\n");
    let out = common::refused(&t, &["sync", "--no-install"]);
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: service `api` lists the package `httpx` twice in `dependencies`
       ╭─[hsm-registry/services/api.yaml:2:23]
     1 │ name: api
     2 │ dependencies: [httpx, "HTTPX>=1"]
       ·                       ─────┬────
       ·                            ╰── again here
     3 │ deployment_profiles:
       ╰────
      help: keep one entry per package
    "#);
    // The project's uv workspace would take the service in.
    let member = "[project]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[tool.uv.workspace]\nmembers = [\"services/*\"]\n";
    let t = base("name: api\ndeployment_profiles:\n  default: {runtime: uv}\n")
        .pyproject(member)
        .file(
            "services/api/pyproject.toml",
            "[project]\nname = \"api\"\nversion = \"0.1.0\"\n",
        );
    let out = common::refused(&t, &["sync", "--no-install"]);
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: pyproject.toml makes services/api a member of the project's uv workspace, so uv would lock service `api` together with the project
       ╭─[pyproject.toml:6:1]
     5 │ [tool.uv.workspace]
     6 │ members = ["services/*"]
       · ───┬───
       ·    ╰── matches it
       ╰────
      help: add "services/api" to `exclude` in [tool.uv.workspace] (or take it out of `members`): a service run with uv has an environment of its own
    "#);
    std::fs::write(
        t.path().join("pyproject.toml"),
        format!("{member}exclude = [\"services/api\"]\n"),
    )
    .unwrap();
    ok(&t, &["sync", "--no-install"]);
    // services/api is a file; then a link out of the project.
    let t = base("name: api\ndeployment_profiles:\n  default: {runtime: uv}\n")
        .file("services/api", "x");
    let out = common::refused(&t, &["sync", "--no-install"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: service `api` runs with uv from services/api, which is not a directory (a file or a symbolic link)
      help: move services/api out of the way: hsm keeps the service's project there and writes only inside the project
    ");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\n",
    )
    .unwrap();
    let t = base("name: api\ndeployment_profiles:\n  default: {runtime: uv}\n");
    std::fs::create_dir_all(t.path().join("services")).unwrap();
    std::os::unix::fs::symlink(outside.path(), t.path().join("services/api")).unwrap();
    let out = common::refused(&t, &["sync", "--no-install"]);
    assert!(out.stderr.contains("not a directory"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        1,
        "hsm wrote outside the project"
    );
}

/// Requirements hsm writes into the service's pyproject.toml: a registry library from its
/// own source (a path relative to the service's project), `{name, version}`, a PEP 508
/// string; the user's own entries are kept, and a dry run shows what would be created.
#[test]
fn a_services_dependencies_are_hsm_owned_entries_of_its_pyproject() {
    let t = Test::new()
        .manifest("services:\n  standalone: [api]\n")
        .registry_file(
            "libraries/lib-a.yaml",
            "name: lib-a\nversions:\n  - version: 1.0.0\n    sources: {prod: {type: pypi, version: 1.0.0}}\n  - version: 2.0.0\n    sources: {prod: {type: local, path: libs/lib-a}}\n",
        )
        .registry_file(
            "services/api.yaml",
            "name: api\ndependencies:\n  - lib-a\n  - {name: lib-a-old, version: \"*\"}\n  - {name: lib-b, version: 1.0.0}\n  - httpx>=0.27\ndeployment_profiles:\n  default: {runtime: uv}\n",
        )
        .registry_file(
            "libraries/lib-b.yaml",
            "name: lib-b\nversions:\n  - version: 1.0.0\n    sources: {prod: {type: pypi, version: 1.0.0}}\n  - version: 2.0.0\n    sources: {prod: {type: pypi, version: 2.0.0}}\n",
        )
        .file("libs/lib-a/pyproject.toml", "[project]\nname = \"lib-a\"\nversion = \"2.0.0\"\n")
        .file(
            "services/api/pyproject.toml",
            "[project]\nname = \"api\"\nversion = \"0.1.0\"\ndependencies = [\n    \"rich\",  # mine\n]\n",
        );
    ok(&t, &["sync", "--no-install"]);
    insta::assert_snapshot!(t.read("services/api/pyproject.toml"), @r#"
    [project]
    name = "api"
    version = "0.1.0"
    dependencies = [
        "rich",  # mine
        "httpx>=0.27",
        "lib-a",
        "lib-a-old",
        "lib-b==1.0.0",
    ]

    [tool.uv.sources]
    lib-a = { path = "../../libs/lib-a" }

    [tool.hsm]
    dependencies = ["httpx", "lib-a", "lib-a-old", "lib-b"]
    sources = ["lib-a"]
    "#);
    // Gone from the registry, gone from the file; the user's entry stays.
    std::fs::write(
        t.path().join("hsm-registry/services/api.yaml"),
        "name: api\ndeployment_profiles:\n  default: {runtime: uv}\n",
    )
    .unwrap();
    ok(&t, &["sync", "--no-install"]);
    insta::assert_snapshot!(t.read("services/api/pyproject.toml"), @r#"
    [project]
    name = "api"
    version = "0.1.0"
    dependencies = [
        "rich",  # mine
    ]
    "#);
    // A dry run of a project still to be made.
    let t = Test::new()
        .manifest("services:\n  standalone: [{name: web, mode: dev}]\n")
        .registry_file(
            "services/web.yaml",
            "name: web\ndeployment_profiles:\n  default: {runtime: uv}\n",
        );
    let before = t.tree();
    let out = ok(&t, &["sync", "--dry-run"]);
    assert_eq!(t.tree(), before);
    assert!(
        out.stdout
            .starts_with("# would create services/web: uv init services/web\n"),
        "{}",
        out.stdout
    );
}

/// A kill at every step of a sync that clones a service (a fake uv stands in for speed):
/// the next command restores the project exactly, the clone included; after the commit
/// point, the new state stays.
#[test]
fn a_kill_at_every_step_of_a_sync_that_creates_a_service() {
    require!("git");
    let make = || {
        let t = Test::new()
            .manifest("services:\n  standalone: [git-service]\n")
            .fake_tool(
                "uv",
                "case \"$1\" in\n  lock) cp pyproject.toml uv.lock ;;\n  sync) mkdir -p .venv ;;\nesac",
            )
            .env("HSM_LOCK_TIMEOUT", "20");
        let (remote, url, _) = remote();
        let t = t.registry_file(
            "services/git-service.yaml",
            &format!(
                "name: git-service\nenv: {{A: \"1\"}}\ndependencies: [httpx]\nsources:\n  prod: {{type: git, url: \"{url}\", tag: v1}}\ndeployment_profiles:\n  default: {{runtime: uv}}\n"
            ),
        );
        (t, remote)
    };
    let (reference, _r) = make();
    ok(&reference, &["sync"]);
    let new: Vec<_> = files(&reference)
        .into_iter()
        .filter(|(p, _)| !p.contains("/.git/"))
        .collect();
    let points = [
        "after-journal",
        "before-mkdir",
        "after-mkdir",
        "after-runner-journaled",
        "after-create-project",
        "after-write-1",
        "after-write-2",
        "after-write-3",
        "after-service-uv",
        "before-commit",
        "after-retire",
    ];
    for point in points {
        let (t, _r) = make();
        let old = files(&t);
        let out = t
            .command(&["sync"])
            .env("HSM_FAULT", point)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{point}: the fault did not fire");
        ok(&t, &["list"]);
        assert!(!t.exists(".hsm/journal"), "{point}");
        let now: Vec<_> = files(&t)
            .into_iter()
            .filter(|(p, _)| !p.contains("/.git/"))
            .collect();
        if point == "after-retire" {
            let names =
                |v: &[(String, Vec<u8>)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
            assert_eq!(names(&now), names(&new), "{point}");
        } else {
            assert_eq!(now, old, "{point}: not rolled back");
            assert!(!t.exists("services"), "{point}");
        }
        // The next sync lands in the new state.
        ok(&t, &["sync"]);
        assert_eq!(t.read("services/git-service/README.md"), "# Git Service v1");
    }
}

/// Kills at random instants of syncs that clone a service and install it with a slow uv
/// (hsm alone is killed; its tools are stopped by the next command): after the next
/// command the project is entirely as before (no services/ at all) or entirely synced.
#[test]
fn kill_loop_sync_creating_a_service() {
    require!("git");
    let (_remote, url, _) = remote();
    let make = || {
        Test::new()
            .manifest("services:\n  standalone: [git-service]\n")
            .registry_file(
                "services/git-service.yaml",
                &format!(
                    "name: git-service\ndependencies: [httpx]\nsources:\n  prod: {{type: git, url: \"{url}\", tag: v1}}\ndeployment_profiles:\n  default: {{runtime: uv}}\n"
                ),
            )
            .fake_tool(
                "uv",
                "sleep 0.2\ncase \"$1\" in\n  lock) cp pyproject.toml uv.lock ;;\n  sync) mkdir -p .venv ;;\nesac",
            )
            .env("HSM_LOCK_TIMEOUT", "20")
    };
    let reference = make();
    let old = files(&reference);
    let start = std::time::Instant::now();
    ok(&reference, &["sync"]);
    let took = start.elapsed();
    let new: Vec<_> = files(&reference)
        .into_iter()
        .filter(|(p, _)| !p.contains("/.git/"))
        .collect();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("seed {seed}");
    let (mut olds, mut news) = (0, 0);
    for i in 0..12u64 {
        let t = make();
        let at = took.mul_f64(((seed.wrapping_mul(i + 7) >> 7) % 1000) as f64 / 1000.0);
        let mut child = t
            .command(&["sync"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let _ = child.kill();
        child.wait().unwrap();
        ok(&t, &["list"]);
        assert!(!t.exists(".hsm/journal"));
        let now: Vec<_> = files(&t)
            .into_iter()
            .filter(|(p, _)| !p.contains("/.git/"))
            .collect();
        if now == old {
            olds += 1;
            assert!(
                !t.exists("services"),
                "kill at {at:?}: services/ left behind"
            );
        } else {
            let names =
                |v: &[(String, Vec<u8>)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
            assert_eq!(
                names(&now),
                names(&new),
                "kill at {at:?}: neither old nor new"
            );
            news += 1;
        }
        // A tool of the killed sync must not write afterwards.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let later: Vec<_> = files(&t)
            .into_iter()
            .filter(|(p, _)| !p.contains("/.git/"))
            .collect();
        assert_eq!(later, now, "kill at {at:?}: a file changed after recovery");
    }
    eprintln!("old {olds}, new {news}");
}
