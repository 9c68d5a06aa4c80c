//! The registry maintainer's commands — `hsm registry list|search|show` and the editing
//! commands under `hsm registry library|service|group` — as a maintainer runs them: whole
//! CLI runs in temp directories, files compared byte for byte, every message and error
//! pinned by a snapshot, and `hsm registry lint` run on everything written.

use crate::common;

use common::{Output, Test, ok, refused};
use insta::assert_snapshot;

// ---------------------------------------------------------------------------- helpers

/// Run each command and record it with what it did: the command line, then its exit
/// status, stdout and stderr as `hsm_snapshot!` renders them (the temporary directory as
/// `[TEMP]`). Nothing may change when a command fails.
fn transcript(t: &Test, commands: &[&str]) -> String {
    let mut out = String::new();
    // Once an edit wrote a reference to something not in the registry yet (with a
    // warning), lint reports it until it exists: the check below no longer applies.
    let mut dangling = false;
    for command in commands {
        let words = shell_split(command);
        let args: Vec<&str> = words.iter().map(String::as_str).collect();
        let args = args.as_slice();
        let before = t.tree();
        let o = t.hsm(args);
        out.push_str(&format!("$ hsm {}\n{}", shell_words(args), o.snapshot()));
        dangling |= o.code == 0
            && format!("{}{}", o.stdout, o.stderr).contains("is not in the registry yet");
        // Everything an edit writes loads. (A removal may leave rules pointing at nothing,
        // which it warns about: those are the maintainer's to fix.)
        let edits = ["add", "remove", "add-option", "remove-option"];
        if o.code == 0
            && args.first() == Some(&"registry")
            && args.get(2) != Some(&"remove")
            && !o.stdout.contains("warning:")
            && !o.stderr.contains("warning:")
            && !dangling
            && args.iter().any(|a| edits.contains(a))
        {
            lint_ok(t, &registry_args(args));
        }
        if o.code != 0 {
            assert!(
                t.tree() == before,
                "`hsm {}` failed but changed files",
                args.join(" ")
            );
        }
        out.push('\n');
    }
    out
}

/// A command line split into words; `'...'` quotes a word with spaces.
fn shell_split(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    words
}

/// The command line as one would type it: arguments with spaces or shell characters quoted.
fn shell_words(args: &[&str]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c))
            {
                a.to_string()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `--registry DIR` of a command line, if it has one.
fn registry_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    match args.iter().position(|a| *a == "-r" || *a == "--registry") {
        Some(i) if i + 1 < args.len() => vec!["--registry", args[i + 1]],
        _ => Vec::new(),
    }
}

/// `hsm registry lint` (with the same registry arguments) passes: everything written loads.
#[track_caller]
fn lint_ok(t: &Test, registry: &[&str]) {
    let mut args = vec!["registry", "lint"];
    args.extend_from_slice(registry);
    let out = t.hsm(&args);
    assert_eq!(
        out.code, 0,
        "lint fails on what hsm wrote:\n{}{}",
        out.stdout, out.stderr
    );
}

/// Run an edit and check the file `rel` afterwards is what it was before with each
/// `(old, new)` replacement applied (each `old` occurring once): the edited lines become
/// what they should and every other byte is untouched.
#[track_caller]
fn edit(t: &Test, rel: &str, command: &str, replacements: &[(&str, &str)]) -> Output {
    let words = shell_split(command);
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    let args = args.as_slice();
    let before = t.read(rel);
    let mut expected = before.clone();
    for (old, new) in replacements {
        assert_eq!(
            expected.matches(old).count(),
            1,
            "test bug: {old:?} is not in {rel} once:\n{expected}"
        );
        expected = expected.replacen(old, new, 1);
    }
    let out = ok(t, args);
    lint_ok(t, &registry_args(args));
    assert_eq!(
        t.read(rel),
        expected,
        "`hsm {}` changed more (or less) than it should",
        args.join(" ")
    );
    out
}

/// A registry written by hand: comments everywhere, blank lines, flow and block style,
/// quoting, an option list mixing plain names and mappings.
fn commented() -> Test {
    Test::new()
        .registry_file("libraries/auth-lib.yaml", AUTH_LIB)
        .registry_file("libraries/web-lib.yaml", "name: web-lib\nversion: 0.3.0\n")
        .registry_file("services/postgres.yaml", POSTGRES)
        .registry_file(
            "services/redis.yaml",
            "name: redis\nversion: 7.2.0\nsources:\n  prod: {type: docker-image, image: \"redis:7.2\"}\n",
        )
        .registry_file(
            "services/memcached.yaml",
            "name: memcached\nversion: 1.6.0\nsources:\n  prod: {type: docker-image, image: \"memcached:1.6\"}\n",
        )
        .registry_file("service_groups/cache.yaml", CACHE)
        .registry_file("library_groups/auth.yaml", AUTH_GROUP)
}

const AUTH_LIB: &str = "\
# Auth helpers, maintained by the platform team.
name: auth-lib
description: \"Auth helpers\"   # shown by `hsm registry show`
version: 1.4.0

sources:
  prod: {type: pypi, version: \">=1.4,<2\"}   # pinned to the 1.x line
  # dev: a checkout next to the project
  dev:
    type: local
    path: packages/auth-lib
    editable: true

requires:
  postgres: \">=15\"     # needs JSONB paths

implies:
  # every user of auth-lib gets a database
  service:postgres: {params: {db_name: auth}}

# end of file
";

const POSTGRES: &str = "\
name: postgres   # the one database
version: 16.2.0
sources:
  prod: {type: docker-image, image: \"postgres:16.2\"}
implies: {}      # nothing yet
";

const CACHE: &str = "\
# Caches: pick one.
name: cache
type: service_group
strategy: 1-of-N
default: redis      # the usual choice

options:
  - redis           # in-memory
  # - memcached     (not yet)
  - name: postgres
    description: \"Postgres as a cache (unlogged tables)\"

# reviewed 2024-05
";

const AUTH_GROUP: &str = "\
name: auth
type: library_group
strategy: M-of-N
options: [auth-lib]   # flow list
";

// ---------------------------------------------------------------------------- lossless edits

/// The criterion: every registry edit keeps the file's comments and layout. A commented
/// registry is edited by every editing command; after each one the file is compared byte
/// for byte with the old text plus exactly the intended change.
#[test]
fn a_commented_registry_keeps_its_comments_and_layout_through_every_edit() {
    let t = commented();
    let lib = "hsm-registry/libraries/auth-lib.yaml";
    let mut log = String::new();
    let mut record = |out: Output| log.push_str(&out.stdout);

    // Library implications: add (params, group option), replace with --force, remove.
    record(edit(
        &t,
        lib,
        "registry library implies add auth-lib service:redis db=1",
        &[(
            "  service:postgres: {params: {db_name: auth}}\n",
            "  service:postgres: {params: {db_name: auth}}\n  service:redis:\n    params:\n      db: \"1\"\n",
        )],
    ));
    record(edit(
        &t,
        lib,
        "registry library implies add auth-lib service_group:cache postgres",
        &[(
            "      db: \"1\"\n",
            "      db: \"1\"\n  service_group:cache: postgres\n",
        )],
    ));
    record(edit(
        &t,
        lib,
        "registry library implies add auth-lib service:postgres db_name=auth schema=users --force",
        &[(
            "  service:postgres: {params: {db_name: auth}}\n",
            "  service:postgres:\n    params:\n      db_name: auth\n      schema: users\n",
        )],
    ));
    record(edit(
        &t,
        lib,
        "registry library implies remove auth-lib service:redis",
        &[("  service:redis:\n    params:\n      db: \"1\"\n", "")],
    ));

    // A service's empty flow `implies: {}` gets its first entry in block style, keeping
    // the comment on its line.
    record(edit(
        &t,
        "hsm-registry/services/postgres.yaml",
        "registry service implies add postgres service:memcached",
        &[(
            "implies: {}      # nothing yet\n",
            "implies:      # nothing yet\n  service:memcached: {}\n",
        )],
    ));

    // Group options: add to a mixed list, give a plain-name option an implication, remove
    // the default option (its `default:` line goes too).
    let cache = "hsm-registry/service_groups/cache.yaml";
    record(edit(
        &t,
        cache,
        "registry group add-option cache memcached --description 'Memcached 1.6'",
        &[(
            "    description: \"Postgres as a cache (unlogged tables)\"\n",
            "    description: \"Postgres as a cache (unlogged tables)\"\n  - name: memcached\n    description: Memcached 1.6\n",
        )],
    ));
    record(edit(
        &t,
        cache,
        "registry group option implies add cache redis service:postgres mode=cache",
        &[(
            "  - redis           # in-memory\n",
            "  - name: redis           # in-memory\n    implies:\n      service:postgres:\n        params:\n          mode: cache\n",
        )],
    ));
    record(edit(
        &t,
        cache,
        "registry group option implies remove cache redis service:postgres",
        &[(
            "    implies:\n      service:postgres:\n        params:\n          mode: cache\n",
            "    implies: {}\n",
        )],
    ));
    record(edit(
        &t,
        cache,
        "registry group remove-option cache redis",
        &[
            ("default: redis      # the usual choice\n", ""),
            (
                "  - name: redis           # in-memory\n    implies: {}\n",
                "",
            ),
        ],
    ));

    // A flow list stays flow.
    record(edit(
        &t,
        "hsm-registry/library_groups/auth.yaml",
        "registry group add-option auth web-lib",
        &[("[auth-lib]", "[auth-lib, web-lib]")],
    ));
    record(edit(
        &t,
        "hsm-registry/library_groups/auth.yaml",
        "registry group option implies add auth web-lib library:auth-lib",
        &[(
            "web-lib]",
            "{name: web-lib, implies: {library:auth-lib: {}}}]",
        )],
    ));

    assert_snapshot!("commented_registry_messages", log);
    assert_snapshot!("commented_registry_auth_lib", t.read(lib));
    assert_snapshot!("commented_registry_cache", t.read(cache));
    lint_ok(&t, &[]);
}

// ---------------------------------------------------------------------------- new files

#[test]
fn library_add_writes_the_originals_shapes() {
    let t = Test::new();
    let reg = ["--registry", "reg"];
    let out = transcript(
        &t,
        &[
            // The original's test_registry_library_add_no_input, verbatim.
            "registry library add test-pkg --version 1.2.3 --description 'Test description' --prod-type git --prod-url https://github.com/test/test.git --no-input --registry reg",
            "registry library add neo4j-client --version 0.1.0 --prod-type local --dev-path libs/neo4j-client --no-input --registry reg",
            // PyPI: the distribution name, and a specifier (or the pinned --version).
            "registry library add qdrant-adapter -v 1.12.1 --prod-url qdrant-client --prod-version '>=1.12,<1.13' --dev-path packages/qdrant-adapter -r reg",
            "registry library add httpx --version 0.27.2 -r reg",
            "registry library add tiny -r reg",
            "registry library add pinned --prod-type git --prod-url https://example.com/p.git --prod-ref v1.0.0 -r reg",
        ],
    );
    assert_snapshot!("library_add_messages", out);
    let expected = [
        (
            "test-pkg",
            "name: test-pkg\nversion: 1.2.3\ndescription: Test description\ntype: library\nsources:\n  prod:\n    type: git\n    url: https://github.com/test/test.git\n  dev: null\n",
        ),
        (
            "neo4j-client",
            "name: neo4j-client\nversion: 0.1.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: local\n    path: libs/neo4j-client\n  dev:\n    type: local\n    path: libs/neo4j-client\n    editable: true\n",
        ),
        (
            "qdrant-adapter",
            "name: qdrant-adapter\nversion: 1.12.1\ndescription: null\npackage: qdrant-client\ntype: library\nsources:\n  prod:\n    type: pypi\n    version: \">=1.12,<1.13\"\n  dev:\n    type: local\n    path: packages/qdrant-adapter\n    editable: true\n",
        ),
        (
            "httpx",
            "name: httpx\nversion: 0.27.2\ndescription: null\ntype: library\nsources:\n  prod:\n    type: pypi\n    version: 0.27.2\n  dev: null\n",
        ),
        (
            "tiny",
            "name: tiny\nversion: 0.1.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: pypi\n  dev: null\n",
        ),
        (
            "pinned",
            "name: pinned\nversion: 0.1.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: git\n    url: https://example.com/p.git\n    ref: v1.0.0\n  dev: null\n",
        ),
    ];
    for (name, text) in expected {
        assert_eq!(
            t.read(&format!("reg/libraries/{name}.yaml")),
            text,
            "{name}"
        );
    }
    lint_ok(&t, &reg);
    // What was written also solves and renders: pyproject gets the pinned requirement.
    let t2 = t.manifest("registry: reg\nlibraries:\n  standalone: [qdrant-adapter, httpx, tiny]\n");
    let out = ok(&t2, &["resolve"]);
    assert!(out.stdout.contains("qdrant-adapter"), "{}", out.stdout);
}

#[test]
fn service_add_writes_the_originals_shapes() {
    let t = Test::new();
    let out = transcript(
        &t,
        &[
            "registry service add web-server --image nginx:latest --port 8080:80 --runtime docker --no-input --registry reg",
            // The original's ENV-CLI-001.
            "registry service add env-svc --runtime docker --image redis:7 --build-path services/env-svc --env-file shared.env --prod-env-file prod.env --dev-env-file dev.env --no-input -r reg",
            "registry service add postgres --version 16.2 -d 'PostgreSQL 16' --image postgres:16.2 -p 5432:5432 -v pgdata:/var/lib/postgresql/data -e POSTGRES_DB=app -e 'POSTGRES_PASSWORD=${PG_PASSWORD}' -r reg",
            "registry service add worker --build-path services/worker --dockerfile Dockerfile.dev --runtime podman -r reg",
        ],
    );
    assert_snapshot!("service_add_messages", out);
    assert_eq!(
        t.read("reg/services/web-server.yaml"),
        "name: web-server\ndescription: null\ntype: service\ncontainer_name: null\nnetwork_aliases: []\nports:\n  - \"8080:80\"\nvolumes: []\nenv: {}\nenv_file: []\nsources:\n  prod:\n    type: docker-image\n    image: nginx:latest\n  dev: null\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n    runtime: docker\n"
    );
    assert_eq!(
        t.read("reg/services/env-svc.yaml"),
        "name: env-svc\ndescription: null\ntype: service\ncontainer_name: null\nnetwork_aliases: []\nports: []\nvolumes: []\nenv: {}\nenv_file:\n  - shared.env\nsources:\n  prod:\n    type: docker-image\n    image: redis:7\n    env_file:\n      - prod.env\n  dev:\n    type: build\n    path: services/env-svc\n    dockerfile: null\n    env_file:\n      - dev.env\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n    runtime: docker\n"
    );
    assert_snapshot!("service_add_postgres", t.read("reg/services/postgres.yaml"));
    assert_snapshot!("service_add_worker", t.read("reg/services/worker.yaml"));
    lint_ok(&t, &["-r", "reg"]);
    // The service renders: a compose file with its image, ports, env and volume.
    let t = t.manifest("registry: reg\nservices:\n  standalone: [postgres]\n");
    ok(&t, &["sync", "--no-install"]);
    let compose = t.read("docker-compose.hsm.yml");
    assert!(compose.contains("image: postgres:16.2"), "{compose}");
    assert!(compose.contains("5432:5432"), "{compose}");
}

#[test]
fn group_add_writes_the_originals_shapes() {
    let t = Test::new()
        .registry_file("libraries/opt1.yaml", "name: opt1\n")
        .registry_file("libraries/opt2.yaml", "name: opt2\n")
        .registry_file(
            "services/qdrant.yaml",
            "name: qdrant\nsources:\n  prod: {type: docker-image, image: \"qdrant:1\"}\n",
        )
        .registry_file(
            "services/milvus.yaml",
            "name: milvus\nsources:\n  prod: {type: docker-image, image: \"milvus:1\"}\n",
        );
    let out = transcript(
        &t,
        &[
            "registry group add test-group --type library_group --strategy 1-of-N --option opt1 --option opt2 --no-input",
            "registry group add vector-db -t service_group -s 1-of-N -o qdrant -o milvus --default qdrant --comment 'Vector database server' -d 'Where embeddings live'",
            "registry group add extras --type library_group --strategy M-of-N",
        ],
    );
    assert_snapshot!("group_add_messages", out);
    assert_eq!(
        t.read("hsm-registry/library_groups/test-group.yaml"),
        "name: test-group\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - name: opt1\n  - name: opt2\n"
    );
    assert_eq!(
        t.read("hsm-registry/service_groups/vector-db.yaml"),
        "name: vector-db\ntype: service_group\nstrategy: 1-of-N\ndescription: Where embeddings live\ncomment: Vector database server\ndefault: qdrant\noptions:\n  - name: qdrant\n  - name: milvus\n"
    );
    assert_eq!(
        t.read("hsm-registry/library_groups/extras.yaml"),
        "name: extras\ntype: library_group\nstrategy: M-of-N\noptions: []\n"
    );
    lint_ok(&t, &[]);
    // The project side uses the new group, with its comment.
    let t = t.manifest("services:\n  groups: {}\n");
    ok(&t, &["group", "add", "vector-db", "--option", "milvus"]);
    assert!(
        t.read("hsm.yaml").contains("# Vector database server\n"),
        "{}",
        t.read("hsm.yaml")
    );
}

#[test]
fn adds_refuse_to_overwrite_unless_forced() {
    let t = Test::new().registry_file(
        "libraries/auth-lib.yaml",
        "# hand-written\nname: auth-lib\nversion: 1.0.0\n",
    );
    let out = refused(&t, &["registry", "library", "add", "auth-lib"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: library `auth-lib` is already in the registry
       ╭─[hsm-registry/libraries/auth-lib.yaml:2:1]
     1 │ # hand-written
     2 │ name: auth-lib
       · ──┬─
       ·   ╰── defined here
     3 │ version: 1.0.0
       ╰────
      help: pass --force to replace the whole file (its comments are lost), or edit it by hand
    ");
    let out = ok(
        &t,
        &[
            "registry",
            "library",
            "add",
            "auth-lib",
            "--version",
            "2.0.0",
            "--force",
        ],
    );
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Replaced library `auth-lib` in the registry: hsm-registry/libraries/auth-lib.yaml

    ----- stderr -----
    ");
    assert!(
        t.read("hsm-registry/libraries/auth-lib.yaml")
            .starts_with("name: auth-lib\nversion: 2.0.0\n")
    );
    // A `.yml` file is the entry too: --force replaces it rather than adding a twin.
    let t = Test::new().registry_file("services/redis.yml", "name: redis\n");
    refused(
        &t,
        &["registry", "service", "add", "redis", "--image", "redis:7"],
    );
    ok(
        &t,
        &[
            "registry", "service", "add", "redis", "--image", "redis:7", "--force",
        ],
    );
    assert!(
        t.read("hsm-registry/services/redis.yml")
            .contains("image: redis:7")
    );
    assert!(!t.exists("hsm-registry/services/redis.yaml"));
    lint_ok(&t, &[]);
}

// ---------------------------------------------------------------------------- which registry

#[test]
fn the_registry_edited_is_the_one_every_command_uses() {
    // --registry, then HSM_REGISTRY_PATH, then hsm.yaml's `registry:`, then ./hsm-registry.
    let t = Test::new()
        .manifest("registry: from-manifest\n")
        .file("hsm-registry/libraries/.keep", "");
    ok(
        &t,
        &["registry", "library", "add", "a", "--registry", "from-flag"],
    );
    assert!(t.exists("from-flag/libraries/a.yaml"));
    let t = t.env("HSM_REGISTRY_PATH", "from-env");
    ok(&t, &["registry", "library", "add", "b"]);
    assert!(t.exists("from-env/libraries/b.yaml"));
    let t = Test::new()
        .manifest("registry: from-manifest\n")
        .file("hsm-registry/libraries/.keep", "");
    ok(&t, &["registry", "library", "add", "c"]);
    assert!(t.exists("from-manifest/libraries/c.yaml"));
    let t = Test::new().file("hsm-registry/services/.keep", "");
    ok(&t, &["registry", "library", "add", "d"]);
    assert!(t.exists("hsm-registry/libraries/d.yaml"));
    // From a subdirectory with --directory: paths are shown relative to where hsm runs.
    let t = Test::new().file("proj/hsm-registry/libraries/.keep", "");
    let out = ok(
        &t,
        &["--directory", "proj", "registry", "library", "add", "e"],
    );
    assert_eq!(
        out.stdout,
        "Added library `e` to the registry: proj/hsm-registry/libraries/e.yaml\n"
    );
}

#[test]
fn a_registry_is_created_only_where_one_was_named() {
    let t = Test::new().file("src/main.py", "print()\n");
    let out = transcript(
        &t,
        &[
            // Nothing names a registry: the built-in one is in use and cannot be edited.
            "registry library add a",
            "registry group option implies remove vector-db-adapter qdrant-adapter service_group:vector-db",
            // A named one that does not exist: `add` creates it (as the original did).
            "registry library add a --registry new/reg",
            // Other edits need an existing registry.
            "registry library remove a --registry missing --yes",
            // A directory that is something else is not taken for a registry.
            "registry library add a --registry src",
        ],
    );
    assert_snapshot!("registry_location_messages", out);
    // A failed add in a named registry that does not exist creates nothing, not even it.
    refused(
        &t,
        &[
            "registry",
            "group",
            "add",
            "g",
            "-t",
            "library_group",
            "-s",
            "1-of-N",
            "-o",
            "Not A Name",
            "-r",
            "fresh",
        ],
    );
    assert!(!t.path().join("fresh").exists());
    assert!(t.exists("new/reg/libraries/a.yaml"));
    assert!(!t.exists("hsm-registry"));
    // An empty directory is a new registry.
    let t = t.file("empty/.keep", "");
    std::fs::remove_file(t.path().join("empty/.keep")).unwrap();
    ok(
        &t,
        &[
            "registry", "service", "add", "s", "--image", "s:1", "-r", "empty",
        ],
    );
    assert!(t.exists("empty/services/s.yaml"));
}

// ---------------------------------------------------------------------------- implies

#[test]
fn implication_values_take_the_targets_shape() {
    let t = Test::new()
        .registry_file("libraries/app.yaml", "name: app\n")
        .registry_file("libraries/orm.yaml", "name: orm\n")
        .registry_file(
            "services/db.yaml",
            "name: db\nsources:\n  prod: {type: docker-image, image: \"db:1\"}\n",
        )
        .registry_file(
            "services/x.yaml",
            "name: x\nsources:\n  prod: {type: docker-image, image: \"x:1\"}\n",
        )
        .registry_file(
            "services/y.yaml",
            "name: y\nsources:\n  prod: {type: docker-image, image: \"y:1\"}\n",
        )
        .registry_file(
            "service_groups/many.yaml",
            "name: many\ntype: service_group\nstrategy: M-of-N\noptions: [x, y]\n",
        )
        .registry_file(
            "service_groups/one.yaml",
            "name: one\ntype: service_group\nstrategy: 1-of-N\ndefault: x\noptions: [x, y]\n",
        );
    let add = |target: &str, values: &[&str]| {
        let mut args = vec!["registry", "library", "implies", "add", "app", target];
        args.extend_from_slice(values);
        ok(&t, &args);
    };
    add("service:db", &["db_name=app", "user=app"]);
    add("library:orm", &[]);
    add("service_group:one", &["y"]);
    add("service_group:many", &["x", "y"]);
    assert_eq!(
        t.read("hsm-registry/libraries/app.yaml"),
        "name: app\nimplies:\n  service:db:\n    params:\n      db_name: app\n      user: app\n  library:orm: {}\n  service_group:one: \"y\"\n  service_group:many:\n    - x\n    - \"y\"\n"
    );
    // `container_group:one` named the same implication as `service_group:one`.
    let out = refused(
        &t,
        &[
            "registry",
            "library",
            "implies",
            "add",
            "app",
            "container_group:one",
        ],
    );
    assert!(
        out.stderr.contains("already implies `service_group:one`"),
        "{}",
        out.stderr
    );
    ok(
        &t,
        &[
            "registry",
            "library",
            "implies",
            "add",
            "app",
            "service_group:one",
            "--force",
        ],
    );
    assert!(
        t.read("hsm-registry/libraries/app.yaml")
            .contains("  service_group:one: null\n")
    );
    lint_ok(&t, &[]);
    // The solver reads them back as written.
    let t = t.manifest("libraries:\n  standalone: [app]\n");
    let out = ok(&t, &["resolve"]);
    for name in ["db", "orm", "x", "y"] {
        assert!(
            out.stdout.contains(&format!(" {name} ")),
            "{name}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn implication_mistakes_are_explained() {
    let t = Test::new()
        .registry_file(
            "libraries/auth-lib.yaml",
            "name: auth-lib\nimplies:\n  service:postgres: {params: {db_name: auth}}\n",
        )
        .registry_file(
            "libraries/versioned.yaml",
            "name: versioned\nversion: 2.0.0\nversions:\n  - {version: 2.0.0}\n  - {version: 1.0.0, implies: {}}\n",
        )
        .registry_file("services/postgres.yaml", "name: postgres\nsources:\n  prod: {type: docker-image, image: \"postgres:1\"}\n")
        .registry_file("libraries/redis.yaml", "name: redis\n")
        .registry_file(
            "service_groups/cache.yaml",
            "name: cache\ntype: service_group\nstrategy: 1-of-N\noptions: [postgres, memcached]\n",
        )
        .registry_file("services/memcached.yaml", "name: memcached\nsources:\n  prod: {type: docker-image, image: \"memcached:1\"}\n");
    let out = transcript(
        &t,
        &[
            "registry library implies add auth-lib postgres",
            "registry library implies add auth-lib servce:postgres",
            "registry library implies add auth-lib service:postgress",
            "registry library implies add auth-lib service:redis",
            "registry library implies add auth-lib service:postgres db_name",
            "registry library implies add auth-lib service:postgres a=b",
            "registry library implies add auth-lib service_group:cache redis",
            "registry library implies add auth-lib service_group:cache postgres memcached",
            "registry library implies add auth-lib service_group:cach",
            "registry library implies add auth-lb service:postgres",
            "registry service implies add auth-lib service:postgres",
            "registry library implies remove auth-lib service:postgress",
            "registry library implies remove redis service:postgres",
            "registry group option implies add cache redis service:postgres",
            "registry group option implies remove cache postgres service:postgres",
            // Edits of a component with per-version `implies` say what they do not reach.
            "registry library implies add versioned service:postgres",
            // Removing what is there works even when its target is gone from the registry.
            "registry library implies remove auth-lib service:postgres",
        ],
    );
    assert_snapshot!("implies_messages", out);
    // What was accepted with a warning, lint still reports, until it is fixed.
    let lint = t.hsm(&["registry", "lint"]);
    lint.failure();
    assert!(
        lint.stdout.contains("service group `cach`")
            || lint.stderr.contains("service group `cach`"),
        "{}{}",
        lint.stdout,
        lint.stderr
    );
    ok(
        &t,
        &[
            "registry",
            "library",
            "implies",
            "remove",
            "auth-lib",
            "service_group:cach",
        ],
    );
    lint_ok(&t, &[]);
}

// ---------------------------------------------------------------------------- options

#[test]
fn group_option_mistakes_are_explained() {
    let t = Test::new()
        .registry_file("libraries/qdrant-adapter.yaml", "name: qdrant-adapter\n")
        .registry_file("libraries/milvus-adapter.yaml", "name: milvus-adapter\n")
        .registry_file("services/qdrant.yaml", "name: qdrant\nsources:\n  prod: {type: docker-image, image: \"qdrant:1\"}\n")
        .registry_file(
            "libraries/app.yaml",
            "name: app\nimplies:\n  library_group:vector-db-adapter: qdrant-adapter\n",
        )
        .registry_file(
            "library_groups/vector-db-adapter.yaml",
            "name: vector-db-adapter\ntype: library_group\nstrategy: 1-of-N\ndefault: qdrant-adapter\noptions:\n  - name: qdrant-adapter\n",
        )
        .registry_file(
            "service_groups/vector-db-adapter.yaml",
            "name: vector-db-adapter\ntype: service_group\nstrategy: 1-of-N\noptions: [qdrant]\n",
        );
    let out = transcript(
        &t,
        &[
            "registry group add-option vector-db-adapter milvus-adapter",
            "registry group add-option vector-db-adapter milvus-adapter --type library_group",
            "registry group add-option vector-db-adapter milvus-adapter -t library_group",
            "registry group add-option vector-db-adapter qdrant -t library_group",
            "registry group add-option vector-db-adapter weaviate-adapter -t library_group",
            "registry group add-option vector-db-adaptr x",
            "registry group remove-option vector-db-adapter milvus-adaptor -t library_group",
            "registry group remove-option vector-db-adapter qdrant-adapter -t library_group",
            "registry group add vector-db-adapter -t library_group -s 1-of-N",
            "registry group add new -t library_group -s 1-of-N -o qdrant",
            "registry group add new -t library_group -s 1-of-N -o qdrant-adapter --default milvus-adapter",
            "registry group add new -t library_group -s 1-of-N -o qdrant-adapter -o qdrant-adapter",
        ],
    );
    assert_snapshot!("option_messages", out);
}

// ---------------------------------------------------------------------------- remove

#[test]
fn removals_ask_on_a_terminal_and_need_yes_elsewhere() {
    let t = commented();
    let out = transcript(
        &t,
        &[
            // No terminal (as in CI): refused, with the flag to pass; never a hang.
            "registry service remove postgres",
            "registry service remove postgres --yes",
            "registry group remove cache -y",
            "registry library remove postgres --yes",
            "registry library remove auth-lb --yes",
            "registry group remove cach --yes",
            "registry library remove web-lib --yes",
        ],
    );
    assert_snapshot!("remove_messages", out);
    assert!(!t.exists("hsm-registry/services/postgres.yaml"));
    assert!(!t.exists("hsm-registry/service_groups/cache.yaml"));
    assert!(!t.exists("hsm-registry/libraries/web-lib.yaml"));
    // Nothing else was touched.
    assert_eq!(t.read("hsm-registry/libraries/auth-lib.yaml"), AUTH_LIB);
}

/// On a terminal the question is asked; only `y`/`yes` removes. Runs under `script(1)`
/// for a pseudo-terminal, and is skipped where util-linux's `script` is not installed.
#[test]
fn removal_on_a_terminal_is_confirmed() {
    let Some(script) = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        eprintln!("skipped: no script(1) for a pseudo-terminal");
        return;
    };
    let t = commented();
    let answer = |reply: &str| {
        let cmd = format!(
            "{} registry service remove redis",
            env!("CARGO_BIN_EXE_hsm")
        );
        let mut c = std::process::Command::new(script);
        c.args(["-qec", &cmd, "/dev/null"])
            .current_dir(t.path())
            .env("NO_COLOR", "1")
            .env_remove("HSM_REGISTRY_PATH")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut p = c.spawn().unwrap();
        use std::io::Write as _;
        p.stdin.take().unwrap().write_all(reply.as_bytes()).unwrap();
        let o = p.wait_with_output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).to_string(),
        )
    };
    let (code, out) = answer("n\n");
    assert!(
        out.contains("Remove service 'redis' from the registry? [y/N]"),
        "{out}"
    );
    assert!(out.contains("Aborted: nothing was removed"), "{out}");
    assert_eq!(code, Some(1));
    assert!(t.exists("hsm-registry/services/redis.yaml"));
    let (code, out) = answer("y\n");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("Removed service `redis` from the registry"),
        "{out}"
    );
    assert!(!t.exists("hsm-registry/services/redis.yaml"));
}

// ---------------------------------------------------------------------------- browsing

#[test]
fn list_search_and_show() {
    let t = commented();
    let out = transcript(
        &t,
        &[
            "registry list",
            "registry search CACHE",
            "registry search unlogged",
            "registry search nothing-like-this",
            "registry show auth-lib",
            "registry show postgres",
            "registry show cache",
            "registry show postgress",
        ],
    );
    assert_snapshot!("browse_messages", out);
    // A broken file is listed, not fatal.
    let t = t.registry_file("libraries/broken.yaml", "name: [\n");
    let out = ok(&t, &["registry", "list"]);
    assert!(
        out.stdout
            .contains("broken (does not load: `hsm registry lint` says why)"),
        "{}",
        out.stdout
    );
}

#[test]
fn browsing_the_built_in_registry() {
    let t = Test::new();
    let out = transcript(
        &t,
        &["registry show qdrant-adapter", "registry show vector-db"],
    );
    assert_snapshot!("browse_built_in", out);
    let out = ok(&t, &["registry", "list"]);
    assert!(
        out.stdout
            .starts_with("the built-in registry\n├── libraries ("),
        "{}",
        out.stdout
    );
}

#[test]
fn browsing_as_json() {
    let t = commented();
    for args in [
        &["registry", "list", "--format", "json"][..],
        &["registry", "search", "auth", "--format", "json"],
        &["registry", "show", "cache", "--format", "json"],
    ] {
        let out = ok(&t, args);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(v["status"], "ok", "{}", out.stdout);
    }
    let v: serde_json::Value =
        serde_json::from_str(&ok(&t, &["registry", "show", "postgres", "--format", "json"]).stdout)
            .unwrap();
    let refs: Vec<&str> = v["entries"][0]["referenced_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["relation"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["required_by", "implied_by", "option_of"]);
    let out = t.hsm(&["registry", "show", "nope", "--format", "json"]);
    out.failure();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["error"]["kind"], "unknown-name");
}

// ---------------------------------------------------------------------------- bad input

#[test]
fn usage_and_input_errors() {
    let t = Test::new().file("reg/libraries/.keep", "");
    let out = transcript(
        &t,
        &[
            // Missing values are usage errors naming the flag (exit 2).
            "registry library add x --prod-type git -r reg",
            "registry library add x --prod-type local -r reg",
            "registry library add x --prod-ref v1 -r reg",
            "registry service add x -r reg",
            "registry service add x --image x:1 --dockerfile D -r reg",
            "registry group add g -r reg",
            "registry group add g --type lib --strategy 1-of-N -r reg",
            // Bad values are input errors (exit 1).
            "registry library add ../escape -r reg",
            "registry library add x --version latest -r reg",
            "registry library add x --prod-url 'not a name' -r reg",
            "registry service add x --image x:1 -e NOVALUE -r reg",
        ],
    );
    assert_snapshot!("usage_messages", out);
    assert!(!t.exists("reg/libraries/x.yaml"));
}

#[test]
fn list_reads_what_it_shows_and_lint_reads_the_rest() {
    // A bad rule does not hide a component from the listing (lint reports it); what the
    // listing shows does: a bad version, a name that is not the file's.
    let t = Test::new()
        .file(
            "reg/libraries/rule.yaml",
            "name: rule\nversion: 1.0.0\nrequires: {x: \"not a range\"}\n",
        )
        .file("reg/libraries/badver.yaml", "name: badver\nversion: one\n")
        .file(
            "reg/libraries/renamed.yaml",
            "name: other\nversion: 1.0.0\n",
        )
        .file(
            "reg/services/multi.yaml",
            "name: multi\nversion: 1.0.0\nversions: [{version: 2.1.0}, {version: 1.5.0}]\n",
        )
        // A syntax error in a key the listing does not read, and a group whose `type` is
        // not its folder's: both list (lint reports them).
        .file(
            "reg/libraries/syntax.yaml",
            "name: syntax\nversion: 2.0.0\nconflicts: [rule] trailing\n",
        )
        .file(
            "reg/library_groups/pick.yaml",
            "name: pick\ntype: service_group\nstrategy: 1-of-N\noptions:\n  - rule\n  - name: syntax\n",
        );
    let out = t.hsm(&["-r", "reg", "registry", "list"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    registry reg
    ├── libraries (4)
    │   ├── badver (does not load: `hsm registry lint` says why)
    │   ├── renamed (does not load: `hsm registry lint` says why)
    │   ├── rule 1.0.0
    │   └── syntax 2.0.0
    ├── services (1)
    │   └── multi 2.1.0
    ├── library groups (1)
    │   └── pick (1-of-N): rule, syntax
    └── service groups (0)

    ----- stderr -----
    ");
    let lint = t.hsm(&["-r", "reg", "registry", "lint"]);
    lint.failure();
    for file in ["rule", "syntax"] {
        assert!(
            lint.stdout.contains(&format!("reg/libraries/{file}.yaml")),
            "{}",
            lint.stdout
        );
    }
    assert!(
        lint.stdout.contains("reg/library_groups/pick.yaml"),
        "{}",
        lint.stdout
    );
}
