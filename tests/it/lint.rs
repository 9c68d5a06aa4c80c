//! `hsm registry lint`: one snapshot per kind of finding, a registry with every defect
//! planted at once, exit statuses, JSON, the built-in registry, and the original hsm's
//! own registry files.

use crate::common;

use std::collections::BTreeSet;

use common::Test;

fn lint(files: &[(&str, &str)]) -> common::Output {
    Test::new()
        .registry_files(files)
        .args(["registry", "lint"])
        .run()
}

const SVC_A: &str = "name: a\nsources:\n  prod: {type: docker-image, image: \"a:1\"}\n";

// ------------------------------------------------------------------ one snapshot per kind

#[test]
fn broken_file() {
    let out = lint(&[
        ("libraries/broken.yaml", "name: broken\nversion: [1\n"),
        ("libraries/typo.yaml", "name: typo\nrequiers: {x: \"1\"}\n"),
        ("libraries/fine.yaml", "name: fine\n"),
    ]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn name_mismatch() {
    let out = lint(&[("libraries/redis-client.yaml", "name: redis_client\n")]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----
    error: hsm-registry/libraries/redis-client.yaml is named `redis_client`, but its file name says `redis-client`
       ╭─[hsm-registry/libraries/redis-client.yaml:1:1]
     1 │ name: redis_client
       · ──┬─
       ·   ╰── expected `name: redis-client`
       ╰────
      help: rename the file to `redis_client.yaml` or set `name: redis-client`

    1 file checked in hsm-registry: 1 error, 0 warnings

    ----- stderr -----
    ");
}

#[test]
fn bad_default() {
    let out = lint(&[
        ("libraries/qdrant-adapter.yaml", "name: qdrant-adapter\n"),
        (
            "library_groups/vector-db-adapter.yaml",
            "name: vector-db-adapter\ntype: library_group\nstrategy: 1-of-N\ndefault: qdrant-adaptor\noptions: [qdrant-adapter]\n",
        ),
    ]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----
    error: default `qdrant-adaptor` of group `vector-db-adapter` is not one of its options
       ╭─[hsm-registry/library_groups/vector-db-adapter.yaml:4:1]
     3 │ strategy: 1-of-N
     4 │ default: qdrant-adaptor
       · ───┬───
       ·    ╰── not an option
     5 │ options: [qdrant-adapter]
       ╰────
      help: did you mean `qdrant-adapter`?
            options: qdrant-adapter

    2 files checked in hsm-registry: 1 error, 0 warnings

    ----- stderr -----
    ");
}

#[test]
fn duplicate_name() {
    let group = |ty: &str| format!("name: cache\ntype: {ty}\nstrategy: 1-of-N\noptions: [redis]\n");
    let t = Test::new()
        .registry_files(&[
            ("libraries/redis.yaml", "name: redis\n"),
            (
                "services/redis.yaml",
                "name: redis\nsources:\n  prod: {type: docker-image, image: \"redis:7\"}\n",
            ),
            ("libraries/twin.yaml", "name: twin\n"),
            (
                "libraries/twin.yml",
                "name: twin\ndescription: the copy nobody reads\n",
            ),
        ])
        .registry_file("library_groups/cache.yaml", &group("library_group"))
        .registry_file("service_groups/cache.yaml", &group("service_group"));
    let out = t.args(["registry", "lint"]).run();
    // Warnings only.
    out.success();
    hsm_snapshot!(out);
}

#[test]
fn dangling_reference() {
    let out = lint(&[
        (
            "libraries/app.yaml",
            "name: app\nrequires:\n  qdrnat: \"*\"\nconflicts: [ghost]\nimplies:\n  service:postgress: {}\n  service_group:vector-db: qdrant-server\n  library_group:nowhere:\n",
        ),
        ("libraries/qdrant.yaml", "name: qdrant\n"),
        (
            "service_groups/vector-db.yaml",
            "name: vector-db\ntype: service_group\nstrategy: 1-of-N\noptions:\n  - qdrant\n",
        ),
        (
            "services/postgres.yaml",
            "name: postgres\nsources:\n  prod: {type: docker-image, image: \"postgres:17\"}\n",
        ),
    ]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn invalid_rule() {
    let out = lint(&[
        ("libraries/plain.yaml", "name: plain\n"),
        (
            "libraries/ranged.yaml",
            "name: ranged\nrequires:\n  plain: \">=1.2\"\n",
        ),
        (
            "libraries/both.yaml",
            "name: both\nimplies:\n  library_group:pick: [plain, ranged]\n  library_group:many:\n",
        ),
        (
            "library_groups/pick.yaml",
            "name: pick\ntype: library_group\nstrategy: 1-of-N\noptions: [plain, ranged]\n",
        ),
        (
            "library_groups/many.yaml",
            "name: many\ntype: library_group\nstrategy: M-of-N\noptions: [plain]\n",
        ),
    ]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn unselectable() {
    let out = lint(&[
        ("libraries/client.yaml", "name: client\nversion: 1.0.0\n"),
        (
            "libraries/old-plugin.yaml",
            "name: old-plugin\nversion: 0.3.0\nrequires:\n  client: \">=2\"\n",
        ),
        (
            "libraries/sync-driver.yaml",
            "name: sync-driver\nconflicts: [async-driver]\n",
        ),
        ("libraries/async-driver.yaml", "name: async-driver\n"),
        (
            "library_groups/driver.yaml",
            "name: driver\ntype: library_group\nstrategy: M-of-N\noptions:\n  - name: client\n    implies: {library:sync-driver: {}, library:async-driver: {}}\n",
        ),
    ]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn group_clash() {
    let out = lint(&[
        (
            "services/qdrant.yaml",
            "name: qdrant\nsources:\n  prod: {type: docker-image, image: \"qdrant/qdrant:v1.12.4\"}\n",
        ),
        (
            "services/milvus.yaml",
            "name: milvus\nsources:\n  prod: {type: docker-image, image: \"milvusdb/milvus:v2.5.4\"}\n",
        ),
        (
            "service_groups/vector-db.yaml",
            "name: vector-db\ntype: service_group\nstrategy: 1-of-N\noptions: [qdrant, milvus]\n",
        ),
        (
            "libraries/qdrant-adapter.yaml",
            "name: qdrant-adapter\nimplies: {service_group:vector-db: qdrant}\n",
        ),
        (
            "libraries/milvus-adapter.yaml",
            "name: milvus-adapter\nimplies: {service_group:vector-db: milvus}\n",
        ),
        (
            "libraries/both-adapters.yaml",
            "name: both-adapters\nimplies:\n  library:qdrant-adapter: {}\n  library:milvus-adapter: {}\n",
        ),
        (
            "library_groups/rag.yaml",
            "name: rag\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - name: qdrant-adapter\n    implies: {service_group:vector-db: milvus}\n  - milvus-adapter\n",
        ),
    ]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn dead_option() {
    let out = lint(&[
        ("libraries/client.yaml", "name: client\nversion: 1.0.0\n"),
        (
            "libraries/old-plugin.yaml",
            "name: old-plugin\nversion: 0.3.0\nrequires:\n  client: \">=2\"\n",
        ),
        (
            "library_groups/plugin.yaml",
            "name: plugin\ntype: library_group\nstrategy: 1-of-N\noptions: [client, old-plugin]\n",
        ),
    ]);
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn dead_version() {
    let out = lint(&[
        (
            "services/db.yaml",
            "name: db\nversion: 2.0.0\nversions:\n  - version: 2.0.0\n  - version: 1.0.0\nsources:\n  prod: {type: docker-image, image: \"db:2\"}\n",
        ),
        (
            "libraries/db-client.yaml",
            "name: db-client\nversion: 3.0.0\nrequires: {db: \">=2\"}\nversions:\n  - version: 3.0.0\n  - version: 2.0.0\n    requires: {db: \">=3\"}\n",
        ),
    ]);
    // A warning: the other versions still work.
    out.success();
    hsm_snapshot!(out, @r#"
    success: true
    exit_code: 0
    ----- stdout -----
    warning: version 2.0.0 of `db-client` can never be in a stack: no version of `db` satisfies every rule on it
       ╭─[hsm-registry/libraries/db-client.yaml:6:5]
     5 │   - version: 3.0.0
     6 │   - version: 2.0.0
       ·     ───┬───
       ·        ╰── dead version
     7 │     requires: {db: ">=3"}
       ╰────
      - `db-client` 2.0.0 requires `db` `>=3`, but `db` has only 2.0.0, 1.0.0 (hsm-registry/libraries/db-client.yaml:7)
      help: fix the rule above, or drop version 2.0.0 from `versions:`

    2 files checked in hsm-registry: 0 errors, 1 warning

    ----- stderr -----
    "#);
}

#[test]
fn implication_cycle() {
    let out = lint(&[
        (
            "services/a.yaml",
            "name: a\nsources:\n  prod: {type: docker-image, image: \"a:1\"}\nimplies: {service:b: {}}\n",
        ),
        (
            "services/b.yaml",
            "name: b\nsources:\n  prod: {type: docker-image, image: \"b:1\"}\nimplies: {service:a: {}}\n",
        ),
        (
            "libraries/app.yaml",
            "name: app\nimplies: {library_group:plugins: [auth]}\n",
        ),
        (
            "libraries/auth.yaml",
            "name: auth\nrequires: {app: \"*\"}\n",
        ),
        (
            "library_groups/plugins.yaml",
            "name: plugins\ntype: library_group\nstrategy: M-of-N\noptions: [auth]\n",
        ),
    ]);
    out.success();
    hsm_snapshot!(out);
}

#[test]
fn missing_source() {
    let out = lint(&[
        ("services/bare.yaml", "name: bare\n"),
        (
            "services/from-git.yaml",
            "name: from-git\nsources:\n  prod: {type: git, url: \"https://example.com/x.git\"}\n",
        ),
        (
            "services/no-image.yaml",
            "name: no-image\nsources:\n  prod: {type: docker-image}\n",
        ),
        (
            "services/dev-git.yaml",
            "name: dev-git\nsources:\n  prod: {type: docker-image, image: \"x:1\"}\n  dev: {type: git, url: \"https://example.com/x.git\"}\n",
        ),
        (
            "services/external-only.yaml",
            "name: external-only\ndeployment_profiles:\n  default: {mode: external, external: {host: db.example.com}}\n",
        ),
        (
            "services/uv-service.yaml",
            "name: uv-service\nsources:\n  prod: {type: local, path: services/uv-service}\ndeployment_profiles:\n  default: {mode: managed, runtime: uv}\n",
        ),
        (
            "libraries/imagelib.yaml",
            "name: imagelib\nsources:\n  prod: {type: docker-image, image: \"x:1\"}\n",
        ),
        (
            "libraries/git-nourl.yaml",
            "name: git-nourl\nversion: 1.0.0\nversions:\n  - version: 1.0.0\n    sources: {prod: {type: git, url: null}}\n",
        ),
    ]);
    out.failure();
    hsm_snapshot!(out);
}

// ------------------------------------------------------------------ the whole picture

/// Every kind of defect at once, each in its own file: lint reports each one with its
/// file:line, and a broken file does not stop the other checks.
const PLANTED: &[(&str, &str)] = &[
    ("libraries/broken.yaml", "name: broken\nversion: one\n"),
    ("libraries/misnamed.yaml", "name: mis-named\n"),
    (
        "library_groups/bad-default.yaml",
        "name: bad-default\ntype: library_group\nstrategy: 1-of-N\ndefault: nope\noptions: [newlib]\n",
    ),
    ("libraries/shared.yaml", "name: shared\n"),
    (
        "services/shared.yaml",
        "name: shared\nsources:\n  prod: {type: docker-image, image: \"shared:1\"}\n",
    ),
    (
        "libraries/dangling.yaml",
        "name: dangling\nimplies:\n  service:nowhere: {}\n",
    ),
    ("libraries/unversioned.yaml", "name: unversioned\n"),
    (
        "libraries/ranged.yaml",
        "name: ranged\nrequires:\n  unversioned: \">=1\"\n",
    ),
    ("libraries/newlib.yaml", "name: newlib\nversion: 1.0.0\n"),
    (
        "libraries/old.yaml",
        "name: old\nversion: 1.0.0\nrequires:\n  newlib: \">=2\"\n",
    ),
    ("libraries/c1.yaml", "name: c1\nconflicts: [c2]\n"),
    ("libraries/c2.yaml", "name: c2\n"),
    (
        "libraries/pinned.yaml",
        "name: pinned\nversion: 2.0.0\nversions:\n  - version: 2.0.0\n  - version: 1.0.0\n    requires: {newlib: \">=5\"}\n",
    ),
    (
        "library_groups/stack.yaml",
        "name: stack\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - name: old\n  - name: newlib\n    implies: {library:c1: {}, library:c2: {}}\n  - name: pinned\n",
    ),
    ("libraries/x.yaml", "name: x\n"),
    ("libraries/y.yaml", "name: y\n"),
    (
        "library_groups/xy.yaml",
        "name: xy\ntype: library_group\nstrategy: 1-of-N\noptions: [x, y]\n",
    ),
    (
        "libraries/split.yaml",
        "name: split\nimplies:\n  library_group:xy: x\n  library:y-wanter: {}\n",
    ),
    (
        "libraries/y-wanter.yaml",
        "name: y-wanter\nimplies: {library_group:xy: y}\n",
    ),
    (
        "services/a.yaml",
        "name: a\nsources:\n  prod: {type: docker-image, image: \"a:1\"}\nimplies: {service:b: {}}\n",
    ),
    (
        "services/b.yaml",
        "name: b\nsources:\n  prod: {type: docker-image, image: \"b:1\"}\nimplies: {service:a: {}}\n",
    ),
    ("services/nosource.yaml", "name: nosource\n"),
];

#[test]
fn a_broken_registry_reports_every_planted_defect_with_file_and_line() {
    let t = Test::new().registry_files(PLANTED);
    let out = t.hsm(&["registry", "lint", "--format", "json"]);
    out.failure();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "errors");
    let findings = v["findings"].as_array().unwrap();
    let at = |kind: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f["kind"] == kind)
            .map(|f| format!("{}:{}", f["file"].as_str().unwrap(), f["line"]))
            .collect()
    };
    let expect = [
        ("broken-file", "hsm-registry/libraries/broken.yaml:2"),
        ("name-mismatch", "hsm-registry/libraries/misnamed.yaml:1"),
        (
            "bad-default",
            "hsm-registry/library_groups/bad-default.yaml:4",
        ),
        ("duplicate-name", "hsm-registry/services/shared.yaml:1"),
        (
            "dangling-reference",
            "hsm-registry/libraries/dangling.yaml:3",
        ),
        ("invalid-rule", "hsm-registry/libraries/ranged.yaml:3"),
        ("unselectable", "hsm-registry/libraries/old.yaml:1"),
        ("unselectable", "hsm-registry/library_groups/stack.yaml:6"),
        ("group-clash", "hsm-registry/libraries/split.yaml:1"),
        ("dead-option", "hsm-registry/library_groups/stack.yaml:5"),
        ("dead-version", "hsm-registry/libraries/pinned.yaml:5"),
        ("implication-cycle", "hsm-registry/services/a.yaml:4"),
        ("missing-source", "hsm-registry/services/nosource.yaml:1"),
    ];
    for (kind, place) in expect {
        assert!(
            at(kind).iter().any(|p| p == place),
            "no {kind} at {place}; {kind} findings: {:?}\n{}",
            at(kind),
            out.stdout
        );
    }
    let kinds: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 12, "{kinds:?}");
    assert_eq!(v["files"], PLANTED.len());

    // The text form names the same places (file:line:column in each code frame).
    let text = t.hsm(&["registry", "lint"]);
    text.failure();
    for (_, place) in expect {
        assert!(
            text.stdout.contains(&format!("{place}:")),
            "{place}\n{}",
            text.stdout
        );
    }
    assert!(
        text.stdout
            .ends_with("22 files checked in hsm-registry: 10 errors, 3 warnings\n"),
        "{}",
        text.stdout
    );
}

#[test]
fn warnings_fail_only_with_deny_warnings() {
    let files = [
        (
            "services/a.yaml",
            "name: a\nsources:\n  prod: {type: docker-image, image: \"a:1\"}\nimplies: {service:b: {}}\n",
        ),
        (
            "services/b.yaml",
            "name: b\nsources:\n  prod: {type: docker-image, image: \"b:1\"}\nimplies: {service:a: {}}\n",
        ),
    ];
    lint(&files).success();
    let out = Test::new()
        .registry_files(&files)
        .args(["registry", "lint", "--deny-warnings"])
        .run();
    out.failure();
    assert!(
        out.stdout.ends_with(": 0 errors, 1 warning\n"),
        "{}",
        out.stdout
    );
    let out = Test::new()
        .registry_files(&files)
        .args(["registry", "lint", "--format", "json"])
        .run();
    out.success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "warnings");
}

#[test]
fn json_findings() {
    let out = Test::new()
        .registry_files(&[
            ("services/a.yaml", SVC_A),
            (
                "libraries/app.yaml",
                "name: app\nimplies: {service:b: {}}\n",
            ),
        ])
        .args(["registry", "lint", "--format", "json"])
        .run();
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn the_builtin_registry_passes_with_deny_warnings() {
    // What CI checks: the registry hsm ships has no finding at all.
    let out = Test::new()
        .args(["registry", "lint", "--deny-warnings"])
        .run();
    out.success();
    assert!(
        out.stdout.ends_with(": 0 errors, 0 warnings\n") && out.stdout.starts_with("72 files"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_empty_registry_is_clean() {
    let out = Test::new()
        .file("hsm-registry/libraries/.keep", "")
        .args(["registry", "lint"])
        .run();
    out.success();
    assert_eq!(
        out.stdout,
        "0 files checked in hsm-registry: 0 errors, 0 warnings\n"
    );
}

// ------------------------------------------------------------------ the original hsm's files

/// Registry files exactly as the original hsm's CLI writes them (reference §3.5: PyYAML
/// with `sort_keys=False`, nulls, empty lists, `deployment_profiles`), plus the options and
/// the postgres its group and implication name, written by the same commands.
const ORIGINAL: &[(&str, &str)] = &[
    // hsm registry library add test-pkg --version 1.2.3 --description "Test description"
    //   --prod-type git --prod-url https://github.com/test/test.git --no-input
    (
        "libraries/test-pkg.yaml",
        "name: test-pkg\nversion: 1.2.3\ndescription: Test description\ntype: library\nsources:\n  prod:\n    type: git\n    url: https://github.com/test/test.git\n  dev: null\n",
    ),
    // hsm registry library add neo4j-client --version 0.1.0 --prod-type local
    //   --dev-path libs/neo4j-client --no-input
    (
        "libraries/neo4j-client.yaml",
        "name: neo4j-client\nversion: 0.1.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: local\n    path: libs/neo4j-client\n  dev:\n    type: local\n    path: libs/neo4j-client\n    editable: true\n",
    ),
    // hsm library init my-lib
    (
        "libraries/my-lib.yaml",
        "name: my-lib\nversion: 0.1.0\ndescription: Local library my-lib\ntype: library\nsources:\n  prod:\n    type: local\n    path: packages/my-lib\n  dev:\n    type: local\n    path: packages/my-lib\n    editable: true\n",
    ),
    // hsm registry service add web-server --image nginx:latest --port 8080:80
    //   --runtime docker --no-input
    (
        "services/web-server.yaml",
        "name: web-server\ndescription: null\ntype: service\ncontainer_name: null\nnetwork_aliases: []\nports:\n- 8080:80\nvolumes: []\nenv: {}\nenv_file: []\nsources:\n  prod:\n    type: docker-image\n    image: nginx:latest\n  dev: null\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n    runtime: docker\n",
    ),
    // ENV-CLI-001
    (
        "services/env-svc.yaml",
        "name: env-svc\ndescription: null\ntype: service\ncontainer_name: null\nnetwork_aliases: []\nports: []\nvolumes: []\nenv: {}\nenv_file:\n- shared.env\nsources:\n  prod:\n    type: docker-image\n    image: redis:7\n    env_file:\n    - prod.env\n  dev:\n    type: build\n    path: services/env-svc\n    dockerfile: null\n    env_file:\n    - dev.env\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n    runtime: docker\n",
    ),
    // hsm service init my-service
    (
        "services/my-service.yaml",
        "name: my-service\ndescription: Local service my-service\ntype: service\ncontainer_name: null\nnetwork_aliases: []\nports: []\nvolumes: []\nenv: {}\nenv_file: []\nsources:\n  prod:\n    type: local\n    path: services/my-service\n  dev:\n    type: local\n    path: services/my-service\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n    runtime: uv\n",
    ),
    // hsm registry group add test-group --type library_group --strategy 1-of-N
    //   --option opt1 --option opt2 --no-input
    (
        "library_groups/test-group.yaml",
        "name: test-group\ntype: library_group\nstrategy: 1-of-N\noptions:\n- name: opt1\n- name: opt2\n",
    ),
    // hsm registry library add opt1 (and opt2) --prod-type git --prod-url ... --no-input
    (
        "libraries/opt1.yaml",
        "name: opt1\nversion: 0.1.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: git\n    url: https://github.com/test/opt1.git\n  dev: null\n",
    ),
    (
        "libraries/opt2.yaml",
        "name: opt2\nversion: 0.1.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: git\n    url: https://github.com/test/opt2.git\n  dev: null\n",
    ),
    // hsm registry library implies add auth-service service:postgres db_name=auth_db
    (
        "libraries/auth-service.yaml",
        "name: auth-service\nversion: 1.0.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: git\n    url: file:///tmp/x/auth_repo\n  dev: null\nimplies:\n  service:postgres:\n    params:\n      db_name: auth_db\n",
    ),
    // hsm registry service add postgres --image postgres:16 --env POSTGRES_DB=... --no-input
    (
        "services/postgres.yaml",
        "name: postgres\ndescription: null\ntype: service\ncontainer_name: null\nnetwork_aliases: []\nports: []\nvolumes: []\nenv:\n  POSTGRES_MULTIPLE_DATABASES: ${HSM_MERGED_PARAMS.db_name}\nenv_file: []\nsources:\n  prod:\n    type: docker-image\n    image: postgres:16\n  dev: null\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n    runtime: docker\n",
    ),
];

#[test]
fn the_original_hsm_registry_files_load_lint_and_resolve() {
    let t = Test::new().registry_files(ORIGINAL).manifest(
        "project:\n  name: sandbox-project\n  version: 0.1.0\nlibraries:\n  package_manager: uv\n  groups:\n    test-group:\n      strategy: 1-of-N\n      selection: opt2\n  standalone:\n  - test-pkg\n  - name: neo4j-client\n    mode: dev\n  - my-lib\n  - auth-service\nservices:\n  groups: {}\n  standalone:\n  - web-server\n  - env-svc\n  - my-service\n",
    );
    let out = t.hsm(&["registry", "lint", "--deny-warnings"]);
    out.success();
    assert_eq!(
        out.stdout,
        format!(
            "{} files checked in hsm-registry: 0 errors, 0 warnings\n",
            ORIGINAL.len()
        )
    );
    let out = t.hsm(&["resolve", "--format", "json"]);
    out.success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let names: BTreeSet<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let want: BTreeSet<&str> = [
        "auth-service",
        "env-svc",
        "my-lib",
        "my-service",
        "neo4j-client",
        "opt2",
        "postgres",
        "test-pkg",
        "web-server",
    ]
    .into();
    assert_eq!(names, want, "{}", out.stdout);
    let postgres = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "postgres")
        .unwrap();
    assert_eq!(postgres["params"]["db_name"][0], "auth_db");
    // And it draws.
    let out = t.hsm(&["graph"]);
    out.success();
    assert!(out.stdout.contains("\"library:auth-service\" -> \"service:postgres\" [label=\"implies (db_name=auth_db)\\nhsm-registry/libraries/auth-service.yaml:11\"];"), "{}", out.stdout);
}
