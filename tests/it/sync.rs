//! `hsm sync`: artifacts, modes, and one atomic transaction — whole CLI runs in temp
//! projects, checked with the real tools (docker-compose, check-jsonschema,
//! validate-pyproject, uv).

use crate::common;

use common::{
    Test, assert_valid_compose, assert_valid_pyproject, git, ok, python_package, quick_start,
};
use insta::assert_snapshot;

const USER_PYPROJECT: &str = "\
# The user's own project file: hsm must not touch any of this.
[project]
name = \"demo\"
version = \"0.1.0\"
requires-python = \">=3.9\"
dependencies = [
    # pinned by hand
    \"httpx>=0.27\",
]

[tool.ruff]
line-length = 100  # wide screens
";

/// The user's pyproject with hsm's additions taken out again.
fn without_hsm(text: &str, dep_prefix: &str) -> String {
    let body = text.split("\n[tool.hsm]").next().unwrap();
    body.lines()
        .filter(|l| !l.trim_start().starts_with(&format!("\"{dep_prefix}")))
        .map(|l| format!("{l}\n"))
        .collect()
}

const ARTIFACTS: [&str; 4] = [
    "pyproject.toml",
    "docker-compose.hsm.yml",
    "hsm.lock",
    "uv.lock",
];

/// Contents of every artifact (and `.env.*`), `None` for absent files.
fn snapshot_files(t: &Test) -> Vec<(String, Option<String>)> {
    let mut names: Vec<String> = ARTIFACTS.iter().map(|s| s.to_string()).collect();
    for e in std::fs::read_dir(t.path()).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().to_string();
        if n.starts_with(".env.") {
            names.push(n);
        }
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            let c = std::fs::read_to_string(t.path().join(&n)).ok();
            (n, c)
        })
        .collect()
}

#[test]
fn quick_start_swap_qdrant_for_milvus() {
    let t = Test::new()
        .pyproject(USER_PYPROJECT)
        .manifest(&quick_start("qdrant-adapter"));
    let out = t.hsm(&["sync", "--no-install"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 2 components (1 library, 1 service)
    Wrote pyproject.toml, docker-compose.hsm.yml, hsm.lock

    ----- stderr -----
    ");
    let py = t.read("pyproject.toml");
    assert!(py.contains("\"qdrant-client>=1.12,<1.13\""), "{py}");
    let compose = t.read("docker-compose.hsm.yml");
    assert!(
        compose.contains("image: qdrant/qdrant:v1.12.4"),
        "{compose}"
    );
    assert_eq!(without_hsm(&py, "qdrant-client"), USER_PYPROJECT);
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
    assert_valid_pyproject(&t.path().join("pyproject.toml"));

    std::fs::write(t.path().join("hsm.yaml"), quick_start("milvus-adapter")).unwrap();
    let out = t.hsm(&["sync", "--no-install"]);
    out.success();
    let py = t.read("pyproject.toml");
    let compose = t.read("docker-compose.hsm.yml");
    assert!(py.contains("\"pymilvus>=2.5,<2.6\""), "{py}");
    for service in ["milvus:", "etcd:", "minio:"] {
        assert!(compose.contains(service), "{service} missing:\n{compose}");
    }
    assert_snapshot!("quick_start_milvus_compose", compose);
    // Nothing of Qdrant remains anywhere.
    for (name, contents) in snapshot_files(&t) {
        if let Some(c) = contents {
            assert!(
                !c.to_lowercase().contains("qdrant"),
                "{name} still mentions qdrant:\n{c}"
            );
        }
    }
    assert!(!t.exists(".env.qdrant"));
    assert_eq!(without_hsm(&py, "pymilvus"), USER_PYPROJECT);
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
    assert_valid_pyproject(&t.path().join("pyproject.toml"));
}

/// A pyproject.toml with `\r\n` line breaks (Windows, git's `autocrlf`) keeps them: a
/// sync, and a swap after it, change hsm's lines and no other.
#[test]
fn a_pyproject_with_crlf_line_breaks_keeps_them() {
    let user = USER_PYPROJECT.replace('\n', "\r\n");
    let t = Test::new().pyproject(&user);
    for (option, requirement, package) in [
        (
            "qdrant-adapter",
            "qdrant-client>=1.12,<1.13",
            "qdrant-client",
        ),
        ("milvus-adapter", "pymilvus>=2.5,<2.6", "pymilvus"),
    ] {
        std::fs::write(t.path().join("hsm.yaml"), quick_start(option)).unwrap();
        t.hsm(&["sync", "--no-install"]).success();
        let py = t.read("pyproject.toml");
        assert!(py.contains(&format!("\"{requirement}\",\r\n")), "{py:?}");
        // Every line break is a \r\n, and the rest is the user's file.
        assert_eq!(
            py.matches("\r\n").count(),
            py.matches('\n').count(),
            "{py:?}"
        );
        assert_eq!(
            without_hsm(&py.replace("\r\n", "\n"), package),
            USER_PYPROJECT
        );
        assert_valid_pyproject(&t.path().join("pyproject.toml"));
    }
}

#[test]
fn a_second_sync_writes_nothing() {
    let t = Test::new().manifest(&quick_start("milvus-adapter"));
    t.hsm(&["sync", "--no-install"]).success();
    let before = snapshot_files(&t);
    let mtimes: Vec<_> = ARTIFACTS
        .iter()
        .filter(|a| t.exists(a))
        .map(|a| {
            std::fs::metadata(t.path().join(a))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    let out = t.hsm(&["sync", "--no-install"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Stack is up to date: 4 components (1 library, 3 services); nothing written

    ----- stderr -----
    ");
    assert_eq!(snapshot_files(&t), before);
    let after: Vec<_> = ARTIFACTS
        .iter()
        .filter(|a| t.exists(a))
        .map(|a| {
            std::fs::metadata(t.path().join(a))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    assert_eq!(after, mtimes);
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let t = Test::new()
        .pyproject(USER_PYPROJECT)
        .manifest(&quick_start("qdrant-adapter"));
    let before = t.tree();
    let out = t.hsm(&["sync", "--dry-run"]);
    out.success();
    assert_eq!(t.tree(), before);
    hsm_snapshot!("dry_run", out);
}

#[test]
fn locked_and_frozen() {
    let t = Test::new().manifest(&quick_start("qdrant-adapter"));
    let out = t.hsm(&["sync", "--no-install", "--locked"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: --locked: there is no hsm.lock; solving hsm.yaml gives a different stack
      help: run `hsm sync` to update hsm.lock, and commit it
    ");
    t.hsm(&["sync", "--no-install"]).success();
    t.hsm(&["sync", "--no-install", "--locked"]).success();
    // Change intent: --locked refuses, --frozen renders what the lock says.
    std::fs::write(t.path().join("hsm.yaml"), quick_start("milvus-adapter")).unwrap();
    let before = snapshot_files(&t);
    t.hsm(&["sync", "--no-install", "--locked"]).failure();
    assert_eq!(snapshot_files(&t), before);
    std::fs::remove_file(t.path().join("docker-compose.hsm.yml")).unwrap();
    let out = t.hsm(&["sync", "--no-install", "--frozen"]);
    out.success();
    assert!(
        t.read("docker-compose.hsm.yml").contains("qdrant"),
        "--frozen must render the locked stack"
    );
}

// ---------------------------------------------------------------- the original's scenarios

fn original_registry(t: Test) -> Test {
    t.registry_file("libraries/auth-service.yaml", "name: auth-service\nversion: 1.0.0\nsources:\n  prod: {type: pypi, version: \">=1,<2\"}\nimplies:\n  service:postgres:\n    params:\n      db_name: \"auth_db\"\n")
        .registry_file("libraries/billing-service.yaml", "name: billing-service\nversion: 1.0.0\nsources:\n  prod: {type: pypi}\nimplies:\n  service:postgres:\n    params:\n      db_name: \"billing_db\"\n")
        .registry_file(
            "services/postgres.yaml",
            "name: postgres\nsources:\n  prod: {type: docker-image, image: \"postgres:16-alpine\"}\nenv:\n  POSTGRES_MULTIPLE_DATABASES: \"${HSM_MERGED_PARAMS.db_name}\"\n  POSTGRES_PASSWORD: \"${PG_PASSWORD}\"\n",
        )
}

#[test]
fn shared_service_params_are_merged_from_two_libraries() {
    let t = original_registry(Test::new())
        .manifest("libraries:\n  standalone:\n    - auth-service\n    - billing-service\n");
    t.hsm(&["sync", "--no-install"]).success();
    let compose = t.read("docker-compose.hsm.yml");
    assert!(
        compose.contains("POSTGRES_MULTIPLE_DATABASES: auth_db,billing_db\n"),
        "{compose}"
    );
    // Secrets stay references for compose to fill in.
    assert!(
        compose.contains("POSTGRES_PASSWORD: ${PG_PASSWORD}\n"),
        "{compose}"
    );
    assert!(
        !t.read("hsm.yaml").contains("postgres"),
        "hsm.yaml is intent; implied services stay out of it"
    );
    assert_snapshot!("merged_params_compose", compose);
    // Everything here is declared by the registry: it is in compose's `environment:` once,
    // and there is no env file to repeat it in.
    assert!(!t.exists(".env.postgres"));
    assert!(!compose.contains("env_file"), "{compose}");
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
}

#[test]
fn a_service_on_an_external_profile_is_not_rendered() {
    let t = Test::new()
        .registry_file("services/local-chunker.yaml", "name: local-chunker\nsources:\n  prod: {type: docker-image, image: \"my-chunker:latest\"}\n")
        .registry_file(
            "services/qdrant.yaml",
            "name: qdrant\nsources:\n  prod: {type: docker-image, image: \"qdrant/qdrant:latest\"}\ndeployment_profiles:\n  external-prod:\n    mode: external\n    external: {host: 10.0.0.50, port: 6333}\n",
        )
        .registry_file("service_groups/chunker-service.yaml", "name: chunker-service\ntype: service_group\nstrategy: 1-of-N\noptions: [local-chunker]\n")
        .registry_file("service_groups/vector-db-service.yaml", "name: vector-db-service\ntype: service_group\nstrategy: 1-of-N\noptions: [qdrant]\n")
        .manifest(
            "services:\n  groups:\n    chunker-service: {strategy: 1-of-N, selection: local-chunker}\n    vector-db-service:\n      strategy: 1-of-N\n      selection: qdrant\n      profile: external-prod\n",
        );
    t.hsm(&["sync", "--no-install"]).success();
    let compose = t.read("docker-compose.hsm.yml");
    assert!(
        compose.contains("local-chunker:") && !compose.contains("qdrant"),
        "{compose}"
    );
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
}

#[test]
fn an_editable_stack() {
    let t = Test::new()
        .file("libs/neo4j-client/pyproject.toml", "[project]\nname = \"neo4j-client\"\nversion = \"0.1.0\"\n")
        .file("services/graph-builder/Dockerfile.dev", "FROM alpine\n")
        .registry_file(
            "libraries/neo4j-client.yaml",
            "name: neo4j-client\nversion: 0.1.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: local\n    path: libs/neo4j-client\n  dev:\n    type: local\n    path: libs/neo4j-client\n    editable: true\n",
        )
        .registry_file(
            "services/graph-builder-service.yaml",
            "name: graph-builder-service\ndescription: null\ntype: service\ncontainer_name: null\nnetwork_aliases: []\nports: []\nvolumes: []\nenv: {}\nenv_file: []\nsources:\n  prod: null\n  dev:\n    type: build\n    path: services/graph-builder\n    dockerfile: Dockerfile.dev\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n    runtime: docker\n",
        )
        .registry_file("service_groups/graph-services.yaml", "name: graph-services\ntype: service_group\nstrategy: 1-of-N\noptions:\n- name: graph-builder-service\n")
        .manifest(
            "project:\n  name: editable-project\n  version: 0.1.0\nlibraries:\n  package_manager: uv\n  groups: {}\n  standalone:\n    - name: neo4j-client\n      mode: dev\nservices:\n  groups:\n    graph-services:\n      strategy: 1-of-N\n      selection: graph-builder-service\n  standalone: []\nmodes:\n  graph-builder-service: dev\n",
        );
    t.hsm(&["sync", "--no-install"]).success();
    let py = t.read("pyproject.toml");
    assert!(
        py.contains("neo4j-client = { path = \"libs/neo4j-client\", editable = true }"),
        "{py}"
    );
    let compose = t.read("docker-compose.hsm.yml");
    assert!(
        compose.contains(
            "build:\n      context: ./services/graph-builder\n      dockerfile: Dockerfile.dev"
        ),
        "{compose}"
    );
    assert!(
        !py.contains(&t.path().display().to_string())
            && !compose.contains(&t.path().display().to_string()),
        "absolute paths leaked"
    );
    assert_snapshot!("editable_pyproject", py);
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
    assert_valid_pyproject(&t.path().join("pyproject.toml"));
}

#[test]
fn secrets_stay_literal() {
    let t = Test::new()
        .registry_file(
            "services/graph-builder-service.yaml",
            "name: graph-builder-service\nports: [\"${NEO4J_PROD_PORT}:7474\"]\nenv:\n  DB_PASSWORD: \"${NEO4J_PROD_PASSWORD}\"\nsources:\n  prod: {type: docker-image, image: \"graph-builder:latest\"}\n",
        )
        .manifest("services:\n  standalone: [graph-builder-service]\n")
        .env("NEO4J_PROD_PASSWORD", "secret123")
        .env("NEO4J_PROD_PORT", "7687");
    t.hsm(&["sync", "--no-install"]).success();
    let compose = t.read("docker-compose.hsm.yml");
    assert!(
        compose.contains("DB_PASSWORD: ${NEO4J_PROD_PASSWORD}\n"),
        "{compose}"
    );
    assert!(compose.contains("- ${NEO4J_PROD_PORT}:7474\n"), "{compose}");
    for (name, contents) in snapshot_files(&t) {
        assert!(
            !contents.unwrap_or_default().contains("secret123"),
            "{name} leaks the secret"
        );
    }
}

/// DESIGN §6 "Env": values read from env files (the service's and its source's) go only to
/// `.env.<service>`, which compose reads through `env_file:`; what the registry declares goes
/// only to compose's `environment:`. No value is written twice, and no env-file value (a
/// secret, typically) is ever copied into docker-compose.hsm.yml.
#[test]
fn every_env_value_is_written_once_and_env_files_stay_out_of_compose() {
    require!("docker-compose");
    let service = "name: api\nenv_file: secrets/api.env\nenv:\n  LOG_LEVEL: info\n  DB_PASSWORD: \"${DB_PASSWORD}\"\n  TENANTS: \"${HSM_MERGED_PARAMS.tenant}\"\nsources:\n  prod:\n    type: docker-image\n    image: \"nginx:1.27\"\n    env_file: [secrets/prod.env]\n    env: {MODE: prod}\n";
    let t = Test::new()
        .file(
            "secrets/api.env",
            "# the user's secrets\nSECRET=hunter2\nexport API_TOKEN=\"tok en\"\n",
        )
        .file("secrets/prod.env", "PROD_ONLY=1\n")
        .registry_file(
            "libraries/client.yaml",
            "name: client\nsources:\n  prod: {type: pypi}\nimplies:\n  service:api: {params: {tenant: acme}}\n",
        )
        .registry_file("services/api.yaml", service)
        .manifest("libraries:\n  standalone: [client]\n");
    let out = t.hsm(&["sync", "--no-install"]);
    out.success();
    assert!(out.stdout.contains(".env.api"), "{}", out.stdout);
    let compose = t.read("docker-compose.hsm.yml");
    for secret in ["hunter2", "tok en", "SECRET", "API_TOKEN", "PROD_ONLY"] {
        assert!(!compose.contains(secret), "{secret} in compose:\n{compose}");
    }
    let env = t.read(".env.api");
    assert_eq!(env, "API_TOKEN=\"tok en\"\nPROD_ONLY=1\nSECRET=hunter2\n");
    assert_snapshot!("env_written_once_compose", compose);
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
    assert!(t.read("hsm.lock").contains("env_files = [\".env.api\"]"));

    // What compose makes of it, run from another directory: `env_file` is found relative to
    // the compose file, and the service gets every variable exactly once (no key is in both
    // `environment:` and the env file, so compose's precedence never decides anything).
    let elsewhere = tempfile::tempdir().unwrap();
    let config = std::process::Command::new(common::tool("docker-compose"))
        .arg("-f")
        .arg(t.path().join("docker-compose.hsm.yml"))
        .arg("config")
        .current_dir(elsewhere.path())
        .env("DB_PASSWORD", "from-the-shell")
        .output()
        .unwrap();
    let config = String::from_utf8_lossy(&config.stdout);
    for line in [
        "API_TOKEN: tok en",
        "DB_PASSWORD: from-the-shell",
        "LOG_LEVEL: info",
        "MODE: prod",
        "PROD_ONLY: '1'",
        "SECRET: hunter2",
        "TENANTS: acme",
        "tenant: acme",
    ] {
        assert!(config.contains(line), "{line} missing:\n{config}");
    }

    // Without env files the service has no `.env.api`: the stale one is removed.
    std::fs::write(
        t.path().join("hsm-registry/services/api.yaml"),
        service
            .replace("env_file: secrets/api.env\n", "")
            .replace("    env_file: [secrets/prod.env]\n", ""),
    )
    .unwrap();
    let out = t.hsm(&["sync", "--no-install"]);
    out.success();
    assert!(!t.exists(".env.api"));
    let compose = t.read("docker-compose.hsm.yml");
    assert!(!compose.contains("env_file"), "{compose}");
    assert!(t.read("hsm.lock").contains("env_files = []"));
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
}

/// `${HSM_MERGED_PARAMS.x}` inside the value of param `x` is inserted as written, once:
/// expansion is one pass, so a self-reference cannot loop.
#[test]
fn a_param_that_refers_to_itself_is_expanded_once() {
    let t = Test::new()
        .registry_file(
            "libraries/client.yaml",
            "name: client\nsources:\n  prod: {type: pypi}\nimplies:\n  service:api: {params: {x: \"<${HSM_MERGED_PARAMS.x}>\"}}\n",
        )
        .registry_file(
            "services/api.yaml",
            "name: api\nenv: {X: \"${HSM_MERGED_PARAMS.x}\"}\nsources:\n  prod: {type: docker-image, image: \"nginx:1.27\"}\n",
        )
        .manifest("libraries:\n  standalone: [client]\n");
    let mut child = t.command(&["sync", "--no-install"]).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("sync never finished: the expansion loops");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success());
    let compose = t.read("docker-compose.hsm.yml");
    assert!(
        compose.contains("X: <${HSM_MERGED_PARAMS.x}>\n"),
        "{compose}"
    );
}

#[test]
fn an_env_key_defined_twice_fails_and_names_both_origins() {
    let t = Test::new()
        .file("implies_conflict.env", "DB_NAME=file_db\n")
        .registry_file("libraries/imply-lib.yaml", "name: imply-lib\nversion: 0.1.0\nsources:\n  prod: {type: pypi}\nimplies:\n  service:fail-service:\n    params:\n      DB_NAME: implied_db\n")
        .registry_file("services/fail-service.yaml", "name: fail-service\nenv_file: implies_conflict.env\nsources:\n  prod: {type: docker-image, image: \"nginx:latest\"}\n")
        .manifest("libraries:\n  standalone: [imply-lib]\n");
    let before = t.tree();
    let out = t.hsm(&["sync", "--no-install"]);
    out.failure();
    assert_eq!(t.tree(), before, "a failed sync wrote something");
    assert!(
        out.stderr.contains("DB_NAME")
            && out.stderr.contains("implies_conflict.env:1")
            && out.stderr.contains("params implied"),
        "{}",
        out.stderr
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: env key `DB_NAME` of service `fail-service` is defined twice: in env_file implies_conflict.env:1 and in params implied for `fail-service`
       ╭─[implies_conflict.env:1:1]
     1 │ DB_NAME=file_db
       · ───────┬───────
       ·        ╰── first definition
       ╰────
      help: remove one of the two definitions of `DB_NAME`; hsm does not let one silently override the other
    ");

    let t = Test::new()
        .file("service.env", "CONFLICT_KEY=value1\n")
        .registry_file("services/fail-service.yaml", "name: fail-service\nenv_file: service.env\nenv: {CONFLICT_KEY: value2}\nsources:\n  prod: {type: docker-image, image: \"nginx:latest\"}\n")
        .manifest("services:\n  standalone: [fail-service]\n");
    let out = t.hsm(&["sync", "--no-install"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: env key `CONFLICT_KEY` of service `fail-service` is defined twice: in env_file service.env:1 and in hsm-registry/services/fail-service.yaml env (hsm-registry/services/fail-service.yaml:3)
       ╭─[hsm-registry/services/fail-service.yaml:3:7]
     2 │ env_file: service.env
     3 │ env: {CONFLICT_KEY: value2}
       ·       ──────┬─────
       ·             ╰── second definition
     4 │ sources:
       ╰────
      help: remove one of the two definitions of `CONFLICT_KEY`; hsm does not let one silently override the other
    ");
}

// ---------------------------------------------------------------- atomicity

/// A project synced to the qdrant stack, with hsm.yaml then switched to milvus.
fn synced_then_changed(t: Test) -> (Test, Vec<(String, Option<String>)>) {
    let t = t
        .pyproject(USER_PYPROJECT)
        .manifest(&quick_start("qdrant-adapter"));
    t.hsm(&["sync"]).success();
    let before = snapshot_files(&t);
    std::fs::write(t.path().join("hsm.yaml"), quick_start("milvus-adapter")).unwrap();
    (t, before)
}

#[test]
fn an_abort_at_any_step_is_rolled_back_by_the_next_invocation() {
    // Three files change: pyproject.toml, docker-compose.hsm.yml, hsm.lock.
    let points = [
        "after-journal",
        "after-write-1",
        "after-write-2",
        "after-write-3",
        "before-uv",
        "after-uv",
        "before-commit",
    ];
    for point in points {
        let (t, before) = synced_then_changed(
            Test::new().fake_tool("uv", "echo fake uv \"$@\"; echo lock-$1 >> uv.lock"),
        );
        let mut cmd = t.command(&["sync"]);
        let out = cmd.env("HSM_FAULT", point).output().unwrap();
        assert!(
            !out.status.success(),
            "{point}: the injected fault did not fire"
        );
        assert!(
            t.exists(".hsm/journal/journal.json"),
            "{point}: no journal left behind"
        );
        // Any command recovers first.
        let out = t.hsm(&["resolve"]);
        out.success();
        assert!(
            out.stderr.contains("rolled back an interrupted sync"),
            "{point}: {}",
            out.stderr
        );
        assert_eq!(
            snapshot_files(&t),
            before,
            "{point}: files differ after recovery"
        );
        assert!(!t.exists(".hsm/journal"));
        // And the next sync completes.
        t.hsm(&["sync"]).success();
        assert!(t.read("pyproject.toml").contains("pymilvus"));
    }
}

#[test]
fn uv_failure_rolls_back() {
    let t = Test::new()
        .pyproject(USER_PYPROJECT)
        .manifest(&quick_start("qdrant-adapter"));
    let ok = t.fake_tool("uv", "exit 0");
    ok.hsm(&["sync"]).success();
    let before = snapshot_files(&ok);
    std::fs::write(ok.path().join("hsm.yaml"), quick_start("milvus-adapter")).unwrap();
    let failing = ok.fake_tool(
        "uv",
        "if [ \"$1\" = lock ]; then echo 'error: No solution found when resolving dependencies' >&2; exit 1; fi",
    );
    let out = failing.hsm(&["sync"]);
    out.failure();
    assert!(
        out.stderr
            .contains("No solution found when resolving dependencies"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot_files(&failing), before);
    assert!(!failing.exists(".hsm/journal"));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `uv lock` failed (exit status 1):
      │ error: No solution found when resolving dependencies
      help: every file hsm wrote has been restored; fix the problem uv reports (or the registry source it points at) and sync again
    ");
}

#[test]
fn a_kill_while_uv_runs_is_rolled_back() {
    let (t, before) = synced_then_changed(Test::new().fake_tool("uv", "exit 0"));
    // This run's uv announces itself, then hangs until killed.
    let slow = t.path().join("slow-bin");
    std::fs::create_dir_all(&slow).unwrap();
    std::fs::write(
        slow.join("uv"),
        "#!/bin/sh\ntouch uv-started\nexec sleep 30\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(slow.join("uv"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        slow.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = t.command(&["sync"]).env("PATH", path).spawn().unwrap();
    let started = t.path().join("uv-started");
    for _ in 0..1000 {
        if started.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        started.exists() && t.exists(".hsm/journal/journal.json"),
        "sync never reached uv"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let out = t.hsm(&["check"]);
    out.success();
    assert!(
        out.stderr.contains("rolled back an interrupted sync"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot_files(&t), before);
}

#[test]
fn uv_missing_is_a_clear_error() {
    let t = Test::new()
        .manifest(&quick_start("qdrant-adapter"))
        .env("PATH", "/nonexistent");
    let out = t.hsm(&["sync"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `uv` is not installed (or not on PATH)
      help: install uv (https://docs.astral.sh/uv/), or run `hsm sync --no-install` to write the files without installing
    ");
    assert!(
        !t.exists("pyproject.toml"),
        "files were left after the failure"
    );
}

// ---------------------------------------------------------------- real uv

#[test]
fn real_uv_installs_dev_and_prod_sources_and_modes_flip_them() {
    require!("uv", "git");
    // Two libraries, each with a dev source (editable path) and a prod source (a tag in a
    // local git repository).
    let t = Test::new().offline_uv();
    let t = python_package(
        python_package(t, "packages/alpha", "alpha"),
        "packages/beta",
        "beta",
    );
    let t = python_package(
        python_package(t, "remotes/alpha", "alpha"),
        "remotes/beta",
        "beta",
    );
    for r in ["remotes/alpha", "remotes/beta"] {
        let d = t.path().join(r);
        git(&d, &["init", "-q"]);
        git(&d, &["add", "."]);
        git(&d, &["commit", "-qm", "release"]);
        git(&d, &["tag", "v1.0.0"]);
    }
    let lib = |name: &str| {
        format!(
            "name: {name}\nversion: 1.0.0\nsources:\n  prod: {{type: git, url: \"git+file://{}/remotes/{name}\", ref: v1.0.0}}\n  dev: {{type: local, path: packages/{name}, editable: true}}\n",
            t.path().display()
        )
    };
    let (a, b) = (lib("alpha"), lib("beta"));
    let t = t.registry_file("libraries/alpha.yaml", &a).registry_file("libraries/beta.yaml", &b).manifest(
        "project: {name: app, version: 0.1.0}\nlibraries:\n  standalone:\n    - alpha\n    - beta\nmodes:\n  alpha: dev\n",
    );
    let out = t.hsm(&["sync"]);
    out.success();
    assert!(
        out.stdout.contains("Ran uv lock, uv sync"),
        "{}",
        out.stdout
    );
    // Hybrid: alpha from its working copy (editable), beta from the tagged release.
    let lock = t.read("uv.lock");
    assert!(lock.contains("editable = \"packages/alpha\""), "{lock}");
    assert!(lock.contains("remotes/beta?tag=v1.0.0"), "{lock}");
    assert_valid_pyproject(&t.path().join("pyproject.toml"));
    let site = std::fs::read_dir(t.path().join(".venv/lib"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("site-packages");
    assert!(site.join("beta").is_dir(), "beta is installed from git");
    assert!(
        !site.join("alpha").is_dir(),
        "alpha is an editable install (a .pth, not a copy)"
    );

    // Flip both.
    std::fs::write(t.path().join("hsm.yaml"), "project: {name: app, version: 0.1.0}\nlibraries:\n  standalone:\n    - alpha\n    - beta\nmodes:\n  beta: dev\n").unwrap();
    t.hsm(&["sync"]).success();
    let lock = t.read("uv.lock");
    assert!(lock.contains("editable = \"packages/beta\""), "{lock}");
    assert!(lock.contains("remotes/alpha?tag=v1.0.0"), "{lock}");
    assert!(site.join("alpha").is_dir() && !site.join("beta").is_dir());
}

// ---------------------------------------------------------------- compose runners

/// A fake container engine that records its arguments (no docker engine runs here).
fn fake_engine(t: Test, name: &str) -> Test {
    let bin = t.path().join("engine-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join(name);
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"{name} $*\" >> engine.log\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    t.env("PATH", &path)
}

#[test]
fn up_and_down_drive_the_configured_engine() {
    let t = fake_engine(Test::new(), "docker").manifest(&quick_start("qdrant-adapter"));
    let out = t.hsm(&["sync", "--no-install", "--up"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 2 components (1 library, 1 service)
    Wrote pyproject.toml, docker-compose.hsm.yml, hsm.lock
    Started the services with `docker compose -f docker-compose.hsm.yml up -d --remove-orphans`

    ----- stderr -----
    ");
    t.hsm(&["down"]).success();
    assert_eq!(
        t.read("engine.log"),
        "docker compose version\ndocker compose -f docker-compose.hsm.yml up -d --remove-orphans\ndocker compose version\ndocker compose -f docker-compose.hsm.yml down\n"
    );

    let podman = quick_start("qdrant-adapter").replace(
        "  version: 0.1.0\n",
        "  version: 0.1.0\n  container_engine: podman\n",
    );
    let t = fake_engine(Test::new(), "podman").manifest(&podman);
    t.hsm(&["sync", "--no-install", "--up"]).success();
    assert_eq!(
        t.read("engine.log"),
        "podman compose version\npodman compose -f docker-compose.hsm.yml up -d --remove-orphans\n"
    );
}

/// Without `project.container_engine`, `--up` takes the first compose tool that works:
/// `docker compose` (v2), then `docker-compose` (v1), then `podman compose`; with none,
/// one line says so before anything is written.
#[test]
fn up_finds_the_compose_tool_that_is_installed() {
    let quick = quick_start("qdrant-adapter");
    // docker without the compose plugin, and docker-compose v1.
    let t = Test::new()
        .path_without(&["docker", "docker-compose", "podman"])
        .manifest(&quick);
    let t = fake_engine(t, "docker-compose");
    let bin = t.path().join("engine-bin/docker");
    std::fs::write(
        &bin,
        "#!/bin/sh\necho \"docker $*\" >> engine.log\necho \"docker: 'compose' is not a docker command.\" >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = t.hsm(&["sync", "--no-install", "--up"]);
    out.success();
    assert!(
        out.stdout.contains("Started the services with `docker-compose -f docker-compose.hsm.yml up -d --remove-orphans`"),
        "{}",
        out.stdout
    );
    let out = t.hsm(&["down"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Stopped the services of docker-compose.hsm.yml (`docker-compose down`)

    ----- stderr -----
    ");
    assert_eq!(
        t.read("engine.log"),
        "docker compose version\ndocker-compose version\ndocker-compose -f docker-compose.hsm.yml up -d --remove-orphans\ndocker compose version\ndocker-compose version\ndocker-compose -f docker-compose.hsm.yml down\n"
    );
    // Pinned to podman: only podman is tried.
    let pinned = quick.replace(
        "  version: 0.1.0\n",
        "  version: 0.1.0\n  container_engine: podman\n",
    );
    let t = Test::new()
        .path_without(&["docker", "docker-compose", "podman"])
        .manifest(&pinned);
    let t = fake_engine(t, "docker-compose");
    let out = common::refused(&t, &["sync", "--no-install", "--up"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no compose tool to start the services: `podman compose` not found
      help: install Docker with the compose plugin (Debian: docker-compose-plugin), docker-compose, or podman with podman-compose; `project.container_engine` in hsm.yaml pins one
    ");
    // None at all.
    let t = Test::new()
        .path_without(&["docker", "docker-compose", "podman"])
        .manifest(&quick);
    let out = common::refused(&t, &["sync", "--no-install", "--up"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no compose tool to start the services: `docker compose`, `docker-compose` or `podman compose` not found
      help: install Docker with the compose plugin (Debian: docker-compose-plugin), docker-compose, or podman with podman-compose; `project.container_engine` in hsm.yaml pins one
    ");
}

/// `sync --format json`: one object whose `status` says what happened (dry-run with each
/// file's action, synced with what was written and run, up-to-date, conflict with exit 1,
/// or an error), for CI and editors.
#[test]
fn sync_reports_as_json() {
    let t = Test::new().manifest(&quick_start("qdrant-adapter"));
    let json = |args: &[&str], code: i32| -> serde_json::Value {
        let out = t.hsm(args);
        assert_eq!(out.code, code, "{}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
    };
    let before = t.tree();
    let dry = json(&["sync", "--dry-run", "--format", "json"], 0);
    assert_eq!(t.tree(), before);
    assert_eq!(dry["status"], "dry-run");
    assert_eq!(
        dry["changes"],
        serde_json::json!([
            {"path": "pyproject.toml", "action": "create"},
            {"path": "docker-compose.hsm.yml", "action": "create"},
            {"path": "hsm.lock", "action": "create"},
        ])
    );
    assert!(
        dry["diff"]
            .as_str()
            .unwrap()
            .contains("+++ b/pyproject.toml")
    );
    let synced = json(&["sync", "--no-install", "--format", "json"], 0);
    assert_eq!(synced["status"], "synced");
    assert_eq!(
        synced["written"],
        serde_json::json!(["pyproject.toml", "docker-compose.hsm.yml", "hsm.lock"])
    );
    assert_eq!(synced["ran"], serde_json::json!([]));
    assert_eq!(synced["up"], serde_json::json!({"status": "not-asked"}));
    assert_eq!(synced["stack"]["components"][0]["name"], "qdrant-adapter");
    let again = json(&["sync", "--no-install", "--format", "json"], 0);
    assert_eq!(again["status"], "up-to-date");
    // Emptying the stack shows an update and a delete.
    std::fs::write(t.path().join("hsm.yaml"), "project: {name: demo}\n").unwrap();
    let v = json(&["sync", "--dry-run", "--format", "json"], 0);
    assert_eq!(v["status"], "dry-run");
    let actions: Vec<String> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["action"].as_str().unwrap(),
                c["path"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        actions.contains(&"update pyproject.toml".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"delete docker-compose.hsm.yml".to_string()),
        "{actions:?}"
    );
    // No stack: the conflict as data, exit 1.
    let t = Test::new()
        .manifest("libraries:\n  standalone: [a, b]\n")
        .registry_file("libraries/a.yaml", "name: a\nconflicts: [b]\n")
        .registry_file("libraries/b.yaml", "name: b\n");
    let json = |args: &[&str], code: i32| -> serde_json::Value {
        let out = t.hsm(args);
        assert_eq!(out.code, code, "{}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
    };
    let conflict = json(&["sync", "--format", "json"], 1);
    assert_eq!(conflict["status"], "conflict");
    assert!(conflict["hints"].is_array());
    // An error is JSON too.
    std::fs::write(t.path().join("hsm.yaml"), "project: [\n").unwrap();
    let error = json(&["sync", "--format", "json"], 1);
    assert_eq!(error["status"], "error");
}

/// The README's dev-mode line on the built-in registry: `hsm mode dev milvus-adapter &&
/// hsm sync` clones the library's `repository:` into its dev path (inside the sync's
/// transaction) and uv installs it editable. git's `insteadOf` points the registry's
/// GitHub URL at a local `git+file://` fixture, so the built-in entry is used unchanged.
#[test]
fn the_readmes_dev_mode_line_clones_the_library_and_installs_it_editable() {
    require!("uv");
    require!("git");
    let fixture = tempfile::tempdir().unwrap();
    let repo = fixture.path().join("pymilvus");
    std::fs::create_dir_all(repo.join("src/pymilvus")).unwrap();
    std::fs::write(
        repo.join("src/pymilvus/__init__.py"),
        "FROM_FIXTURE = True\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("pyproject.toml"),
        "[project]\nname = \"pymilvus\"\nversion = \"2.5.4\"\nrequires-python = \">=3.9\"\n\n[build-system]\nrequires = [\"uv_build>=0.8,<1\"]\nbuild-backend = \"uv_build\"\n",
    )
    .unwrap();
    common::git(&repo, &["init", "-q", "-b", "master"]);
    common::git(&repo, &["add", "."]);
    common::git(&repo, &["commit", "-qm", "pymilvus"]);
    let config = fixture.path().join("gitconfig");
    std::fs::write(
        &config,
        format!(
            "[url \"file://{}\"]\n\tinsteadOf = https://github.com/milvus-io/pymilvus\n",
            repo.display()
        ),
    )
    .unwrap();
    let t = Test::new()
        .offline_uv()
        .env("GIT_CONFIG_GLOBAL", &config.display().to_string())
        .env("GIT_CONFIG_NOSYSTEM", "1");
    ok(&t, &["init", "--name", "demo"]);
    ok(
        &t,
        &[
            "group",
            "add",
            "vector-db-adapter",
            "--option",
            "milvus-adapter",
        ],
    );
    // Without a checkout, a dry run says what the sync would clone, and writes nothing.
    ok(&t, &["mode", "dev", "milvus-adapter"]);
    let before = t.tree();
    let dry = ok(&t, &["sync", "--dry-run"]);
    assert!(
        dry.stdout.starts_with("# would clone https://github.com/milvus-io/pymilvus into packages/milvus-adapter (the dev source of `milvus-adapter`)\n"),
        "{}",
        dry.stdout
    );
    assert_eq!(t.tree(), before);
    let out = ok(&t, &["sync"]);
    assert!(
        out.stdout.contains("Ran git clone https://github.com/milvus-io/pymilvus packages/milvus-adapter, uv lock, uv sync"),
        "{}",
        out.stdout
    );
    assert!(t.exists("packages/milvus-adapter/.git"));
    let py = t.read("pyproject.toml");
    assert!(
        py.contains("pymilvus = { path = \"packages/milvus-adapter\", editable = true }"),
        "{py}"
    );
    let site = std::fs::read_dir(t.path().join(".venv/lib"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("site-packages");
    assert!(
        !site.join("pymilvus").is_dir()
            && std::fs::read_dir(&site).unwrap().flatten().any(|e| e
                .file_name()
                .to_string_lossy()
                .ends_with(".pth")
                && std::fs::read_to_string(e.path())
                    .unwrap_or_default()
                    .contains("milvus-adapter")),
        "pymilvus is an editable install of the checkout"
    );
    // The checkout is the user's from now on: never re-cloned.
    std::fs::write(
        t.path()
            .join("packages/milvus-adapter/src/pymilvus/mine.py"),
        "",
    )
    .unwrap();
    ok(&t, &["sync"]);
    assert!(t.exists("packages/milvus-adapter/src/pymilvus/mine.py"));
}

/// A dev-mode library without a checkout or a `repository:` says exactly what to create;
/// a failed clone leaves nothing behind; a uv workspace member is refused as a path source.
#[test]
fn dev_sources_without_a_checkout() {
    let t = Test::new()
        .manifest("libraries:\n  standalone: [{name: lib, mode: dev}]\n")
        .registry_file(
            "libraries/lib.yaml",
            "name: lib\nsources:\n  dev: {type: local, path: packages/lib, editable: true}\n",
        );
    let out = common::refused(&t, &["sync", "--no-install"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: library `lib` is installed from `packages/lib` (dev source), which does not exist
       ╭─[hsm-registry/libraries/lib.yaml:3:22]
     2 │ sources:
     3 │   dev: {type: local, path: packages/lib, editable: true}
       ·                      ──┬─
       ·                        ╰── no such directory
       ╰────
      help: put the package's source there (relative to the project root: clone it, or `hsm library init lib`); with `repository: <git url>` in its registry entry, `hsm sync` clones it there; or switch it back with `hsm mode prod lib`
    ");
    // With a repository that cannot be cloned: the error, and no packages/ left behind.
    let t = t.registry_file(
        "libraries/lib.yaml",
        "name: lib\nrepository: file:///no/such/repository\nsources:\n  dev: {type: local, path: packages/lib, editable: true}\n",
    );
    let out = common::refused(&t, &["sync", "--no-install"]);
    assert!(
        out.stderr
            .contains("git clone file:///no/such/repository packages/lib"),
        "{}",
        out.stderr
    );
    assert!(!t.exists("packages"));
    // A workspace member cannot be a path source too.
    let t = common::python_package(t, "packages/lib", "lib")
        .pyproject("[project]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[tool.uv.workspace]\nmembers = [\"packages/*\"]\n");
    let out = common::refused(&t, &["sync", "--no-install"]);
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: pyproject.toml makes packages/lib a member of the project's uv workspace, and hsm installs `lib` from that path
       ╭─[pyproject.toml:7:1]
     6 │ [tool.uv.workspace]
     7 │ members = ["packages/*"]
       · ───┬───
       ·    ╰── matches it
     8 │
       ╰────
      help: add "packages/lib" to `exclude` in [tool.uv.workspace] (or take it out of `members`): hsm writes the library as a path source; uv refuses a workspace member that is one
    "#);
    // With a byte order mark, the same error at the same place.
    let t = t.pyproject("\u{feff}[project]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[tool.uv.workspace]\nmembers = [\"packages/*\"]\n");
    assert_eq!(
        common::refused(&t, &["sync", "--no-install"]).stderr,
        out.stderr
    );
}

/// Files a service declares (`files:`): written by sync into the project (directories
/// included, in the transaction), recorded in hsm.lock, removed with the service unless
/// changed since; a file hsm did not write is never overwritten; paths outside the project
/// or onto hsm's own files are refused where they are written.
#[test]
fn files_a_service_declares_are_written_and_removed_with_it() {
    let t = Test::new().manifest("libraries:\n  standalone: [langgraph-checkpoint-postgres]\n");
    ok(&t, &["sync", "--no-install"]);
    let script = "services/postgres/initdb/10-multiple-databases.sh";
    assert!(t.read(script).contains("POSTGRES_MULTIPLE_DATABASES"));
    assert!(t.read("hsm.lock").contains(&format!("path = \"{script}\"")));
    let compose = t.read("docker-compose.hsm.yml");
    assert!(
        compose.contains("./services/postgres/initdb:/docker-entrypoint-initdb.d:ro"),
        "{compose}"
    );
    // Gone with the service.
    std::fs::write(t.path().join("hsm.yaml"), "project: {name: x}\n").unwrap();
    ok(&t, &["sync", "--no-install"]);
    assert!(!t.exists(script));
    // A file changed by hand stays when the service goes.
    std::fs::write(
        t.path().join("hsm.yaml"),
        "libraries:\n  standalone: [langgraph-checkpoint-postgres]\n",
    )
    .unwrap();
    ok(&t, &["sync", "--no-install"]);
    std::fs::write(t.path().join(script), "# mine\n").unwrap();
    std::fs::write(t.path().join("hsm.yaml"), "project: {name: x}\n").unwrap();
    ok(&t, &["sync", "--no-install"]);
    assert_eq!(t.read(script), "# mine\n");
    // ... and a file hsm did not write is never overwritten.
    std::fs::write(
        t.path().join("hsm.yaml"),
        "libraries:\n  standalone: [langgraph-checkpoint-postgres]\n",
    )
    .unwrap();
    let out = common::refused(&t, &["sync", "--no-install"]);
    assert!(
        out.stderr.contains("a file hsm did not write is there"),
        "{}",
        out.stderr
    );

    // A failing uv after the file was written: the directories hsm made go too.
    let t = Test::new()
        .manifest("libraries:\n  standalone: [langgraph-checkpoint-postgres]\n")
        .fake_tool("uv", "exit 3");
    let before = t.tree();
    t.hsm(&["sync"]).failure();
    assert_eq!(t.tree(), before);
    assert!(!t.exists("services"));

    // Paths hsm must not write.
    for (path, what) in [
        ("../outside.sh", "leaves the project"),
        ("pyproject.toml", "one of hsm's own files"),
        (".hsm/x", "not a file hsm may write"),
    ] {
        let t = Test::new()
            .manifest("services:\n  standalone: [s]\n")
            .registry_file(
                "services/s.yaml",
                &format!("name: s\nsources:\n  prod: {{type: docker-image, image: \"s:1\"}}\nfiles:\n  \"{path}\": \"x\"\n"),
            );
        let out = common::refused(&t, &["sync", "--no-install"]);
        assert!(
            out.stderr.contains(what) && out.stderr.contains("s.yaml:5"),
            "{path}: {}",
            out.stderr
        );
    }
}
