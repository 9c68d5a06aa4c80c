//! The project commands — `init`, `group`, `library`, `service`, `mode`, `list` — as a user
//! runs them: whole CLI runs in temp projects, hsm.yaml compared byte for byte, artifacts
//! checked with the real tools (docker-compose, check-jsonschema, validate-pyproject, uv).

use crate::common;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{
    Output, Test, assert_valid_compose, assert_valid_pyproject, git, ok, python_package, refused,
};
use insta::assert_snapshot;

// ---------------------------------------------------------------------------- helpers

/// A pyproject.toml the user wrote before ever running hsm: comments, their own
/// dependencies, another table.
const USER_PYPROJECT: &str = "\
# The user's own project file: hsm must not touch any of this.
[project]
name = \"demo\"
version = \"0.1.0\"
requires-python = \">=3.9\"
dependencies = [
    \"httpx>=0.27\",  # pinned by hand
    # the web layer
    \"fastapi>=0.110\",
]

[tool.ruff]
line-length = 100  # wide screens
";

/// An hsm.yaml written by hand: comments everywhere, odd quoting, blank lines, flow and
/// block collections.
const HAND_WRITTEN: &str = "\
# My RAG app: hand-written, keep my notes!
project:
  name: \"rag-app\"     # quoted on purpose
  version: '0.1.0'

libraries:
  package_manager: uv

  groups:
    # which vector db client
    vector-db-adapter:
      strategy: \"1-of-N\"
      selection: 'qdrant-adapter'   # start with qdrant

    observability: {strategy: M-of-N, selection: [structlog]}

  standalone:
    - fastapi        # web
    - 'uvicorn'

services:
  groups:
    infra:
      strategy: M-of-N
      selection:
        - postgres   # main db
  standalone: []

# per-component modes
modes:
  uvicorn: dev   # hacking on it
";

/// `pyproject` with hsm's own additions taken out: the one line holding hsm's requirement
/// `dep` (there must be exactly one) and the `[tool.hsm]` table (which must be last).
#[track_caller]
fn without_hsm(pyproject: &str, dep: &str) -> String {
    let (body, hsm_table) = pyproject
        .split_once("\n[tool.hsm]\n")
        .unwrap_or_else(|| panic!("no [tool.hsm] table:\n{pyproject}"));
    assert!(
        !hsm_table.contains("\n["),
        "[tool.hsm] is not the last table:\n{pyproject}"
    );
    let hsm_line = format!("    \"{dep}\",\n");
    assert_eq!(
        body.matches(&hsm_line).count(),
        1,
        "expected hsm's line {hsm_line:?} exactly once:\n{pyproject}"
    );
    body.replacen(&hsm_line, "", 1)
}

/// Run the edit `hsm ARGS` and check hsm.yaml afterwards is exactly what it was before with
/// each `(old, new)` replacement applied (each `old` occurring once): the edited lines
/// become what they should and every other byte is untouched.
#[track_caller]
fn edit(t: &Test, args: &[&str], replacements: &[(&str, &str)]) -> Output {
    let before = t.read("hsm.yaml");
    let mut expected = before.clone();
    for (old, new) in replacements {
        assert_eq!(
            expected.matches(old).count(),
            1,
            "test bug: {old:?} is not in hsm.yaml once:\n{expected}"
        );
        expected = expected.replacen(old, new, 1);
    }
    let out = ok(t, args);
    assert_eq!(
        t.read("hsm.yaml"),
        expected,
        "`hsm {}` changed more (or less) than it should",
        args.join(" ")
    );
    out
}

/// A new project made with `hsm init --name demo` (in an otherwise empty directory).
fn initialized() -> Test {
    let t = Test::new();
    ok(&t, &["init", "--name", "demo"]);
    t
}

/// The two stacks of the quick start, told apart by what each artifact says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stack {
    Qdrant,
    Milvus,
}

/// Which stack `pyproject.toml`'s hsm dependency belongs to; panics on none or both.
#[track_caller]
fn stack_of_pyproject(py: &str) -> Stack {
    match (py.contains("qdrant-client"), py.contains("pymilvus")) {
        (true, false) => Stack::Qdrant,
        (false, true) => Stack::Milvus,
        _ => panic!("pyproject.toml holds neither or both vector db clients:\n{py}"),
    }
}

/// Which stack `docker-compose.hsm.yml` runs; panics on a mix.
#[track_caller]
fn stack_of_compose(compose: &str) -> Stack {
    let has = |s: &str| compose.contains(&format!("\n  {s}:\n"));
    match (has("qdrant"), has("milvus"), has("etcd"), has("minio")) {
        (true, false, false, false) => Stack::Qdrant,
        (false, true, true, true) => Stack::Milvus,
        _ => panic!("docker-compose.hsm.yml is not one whole stack:\n{compose}"),
    }
}

/// The files that make up the project's state, by name (hsm.yaml, the artifacts, .env.*).
fn state(t: &Test) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(t.path()).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            let name = e.file_name().to_string_lossy().to_string();
            files.insert(name.clone(), t.read(&name));
        }
    }
    files
}

// ---------------------------------------------------------------------------- init

#[test]
fn init_writes_the_default_document_and_a_minimal_pyproject() {
    let t = Test::new();
    let out = ok(&t, &["init", "--name", "demo"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Initialized project `demo`: wrote hsm.yaml, pyproject.toml

    ----- stderr -----
    ");
    assert_snapshot!("init_hsm_yaml", t.read("hsm.yaml"));
    assert_snapshot!("init_pyproject", t.read("pyproject.toml"));
    assert_valid_pyproject(&t.path().join("pyproject.toml"));
    // Nothing else: no artifacts before the first sync.
    let names: Vec<String> = t.tree().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["hsm.yaml", "pyproject.toml"]);
    // The document is a valid, empty stack.
    ok(&t, &["check"]);
}

#[test]
fn list_reports_an_error_as_json_when_asked_for_json() {
    let t = Test::new();
    let out = t.hsm(&["list", "--format", "json"]);
    out.failure();
    assert_eq!(out.stderr, "", "a JSON error goes to stdout only");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "error");
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----
    {"error":{"column":null,"file":null,"help":"run `hsm init` to create one, or pass `--directory` to point at the project","kind":"no-manifest","label":null,"line":null,"message":"no hsm.yaml in the current directory or any directory above it"},"status":"error"}

    ----- stderr -----
    "#);
}

#[test]
fn init_without_a_name_uses_the_directory_name() {
    let t = Test::new().cwd("my-app");
    ok(&t, &["init"]);
    assert!(t.read("my-app/hsm.yaml").contains("  name: my-app\n"));
    assert!(
        t.read("my-app/pyproject.toml")
            .contains("name = \"my-app\"\n")
    );
    assert_valid_pyproject(&t.path().join("my-app/pyproject.toml"));
}

/// A directory called "My Project" is common; the pyproject.toml written for it must still
/// be valid (PEP 621/508 names: ASCII letters, digits, `-_.`). A `--name` that cannot be a
/// Python name either becomes a valid one or is refused — never an invalid file.
#[test]
fn init_never_writes_an_invalid_pyproject_name() {
    let t = Test::new().cwd("My Project");
    ok(&t, &["init"]);
    assert_valid_pyproject(&t.path().join("My Project/pyproject.toml"));

    for name in ["RAG app!", ""] {
        let t = Test::new();
        let out = t.hsm(&["init", "--name", name]);
        if out.code == 0 {
            assert_valid_pyproject(&t.path().join("pyproject.toml"));
        } else {
            out.failure();
            assert!(t.tree().is_empty(), "a refused init wrote files");
        }
    }
}

#[test]
fn init_refuses_to_overwrite_hsm_yaml() {
    let t = Test::new().manifest(HAND_WRITTEN);
    let out = refused(&t, &["init", "--name", "demo"]);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.yaml already exists
      help: hsm init never overwrites it; edit it, or use `hsm group add` / `hsm library add`
    ");
    assert!(
        !t.exists("pyproject.toml"),
        "a refused init wrote pyproject.toml"
    );
}

#[test]
fn init_leaves_an_existing_pyproject_byte_identical() {
    let t = Test::new().pyproject(USER_PYPROJECT);
    let out = ok(&t, &["init", "--name", "demo"]);
    assert_eq!(out.stdout, "Initialized project `demo`: wrote hsm.yaml\n");
    assert_eq!(t.read("pyproject.toml"), USER_PYPROJECT);
}

// ---------------------------------------------------------------------------- the quick start

/// The seed's quick start, as a new user runs it on the built-in registry: nothing but
/// commands, starting from a directory holding only the user's own pyproject.toml.
#[test]
fn quick_start_through_commands_on_the_built_in_registry() {
    let t = Test::new().pyproject(USER_PYPROJECT);
    ok(&t, &["init", "--name", "demo"]);
    let out = ok(
        &t,
        &[
            "group",
            "add",
            "vector-db-adapter",
            "--option",
            "qdrant-adapter",
        ],
    );
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Selected `qdrant-adapter` in group `vector-db-adapter` (1-of-N). Run `hsm sync` to apply.

    ----- stderr -----
    ");
    ok(&t, &["sync", "--no-install"]);

    let py = t.read("pyproject.toml");
    let compose = t.read("docker-compose.hsm.yml");
    assert_eq!(stack_of_pyproject(&py), Stack::Qdrant);
    assert_eq!(stack_of_compose(&compose), Stack::Qdrant);
    assert!(compose.contains("image: qdrant/qdrant:"), "{compose}");
    assert_eq!(
        without_hsm(&py, "qdrant-client>=1.12,<1.13"),
        USER_PYPROJECT
    );
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
    assert_valid_pyproject(&t.path().join("pyproject.toml"));

    // Swap the client: the server follows.
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
    ok(&t, &["sync", "--no-install"]);
    let py = t.read("pyproject.toml");
    let compose = t.read("docker-compose.hsm.yml");
    assert_eq!(stack_of_pyproject(&py), Stack::Milvus);
    assert_eq!(stack_of_compose(&compose), Stack::Milvus);
    assert!(compose.contains("image: milvusdb/milvus:"), "{compose}");
    assert_eq!(without_hsm(&py, "pymilvus>=2.5,<2.6"), USER_PYPROJECT);
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
    assert_valid_pyproject(&t.path().join("pyproject.toml"));

    // Nothing of Qdrant remains in any artifact (hsm.yaml is intent, not an artifact).
    assert!(!t.exists(".env.qdrant"));
    for (name, contents) in state(&t) {
        if name != "hsm.yaml" {
            assert!(
                !contents.to_lowercase().contains("qdrant"),
                "{name} still mentions qdrant:\n{contents}"
            );
        }
    }
    // The group arrived with the registry's comment above it.
    assert_snapshot!("quick_start_hsm_yaml", t.read("hsm.yaml"));
    ok(&t, &["sync", "--no-install", "--locked"]);
}

/// A comment after the user's last dependency belongs to that line; hsm appending its own
/// requirement must not move it, and taking hsm's entries out again must give back the
/// user's file byte for byte. Both with and without a trailing comma.
#[test]
fn a_comment_after_the_last_user_dependency_stays_on_its_line() {
    for user in [
        "[project]\nname = \"demo\"\nversion = \"0.1.0\"\ndependencies = [\n    \"httpx>=0.27\",  # pinned by hand\n]\n",
        "[project]\nname = \"demo\"\nversion = \"0.1.0\"\ndependencies = [\n    \"httpx>=0.27\"  # pinned by hand\n]\n",
    ] {
        let t = Test::new().pyproject(user);
        ok(&t, &["init", "--name", "demo"]);
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
        ok(&t, &["sync", "--no-install"]);
        let py = t.read("pyproject.toml");
        assert!(
            py.contains("    \"httpx>=0.27\",  # pinned by hand\n")
                || py.contains("    \"httpx>=0.27\"  # pinned by hand\n"),
            "the user's line lost its comment:\n--- before\n{user}--- after\n{py}"
        );
        assert!(
            !py.contains("\"qdrant-client>=1.12,<1.13\",  # pinned by hand"),
            "the user's comment moved onto hsm's line:\n{py}"
        );
        ok(&t, &["group", "remove", "vector-db-adapter"]);
        ok(&t, &["sync", "--no-install"]);
        assert_eq!(
            t.read("pyproject.toml"),
            user,
            "with hsm's entries gone, the user's file is not what it was"
        );
    }
}

// ---------------------------------------------------------------------------- lossless edits

/// Every editing command on a hand-written hsm.yaml changes exactly the lines it must.
#[test]
fn every_edit_keeps_the_rest_of_a_hand_written_file() {
    // uvicorn is in dev mode: its working copy must exist for the stack to render.
    let t = Test::new().manifest(HAND_WRITTEN).file(
        "packages/uvicorn/pyproject.toml",
        "[project]\nname = \"uvicorn\"\n",
    );
    ok(&t, &["check"]);

    // 1-of-N: the selection is replaced, its comment stays.
    edit(
        &t,
        &[
            "group",
            "add",
            "vector-db-adapter",
            "--option",
            "milvus-adapter",
        ],
        &[(
            "      selection: 'qdrant-adapter'   # start with qdrant\n",
            "      selection: milvus-adapter   # start with qdrant\n",
        )],
    );
    // M-of-N in a flow mapping stays flow.
    edit(
        &t,
        &[
            "group",
            "add",
            "observability",
            "--option",
            "prometheus-client",
        ],
        &[(
            "selection: [structlog]}",
            "selection: [structlog, prometheus-client]}",
        )],
    );
    edit(
        &t,
        &["group", "add-option", "infra", "redis"],
        &[(
            "        - postgres   # main db\n",
            "        - postgres   # main db\n        - redis\n",
        )],
    );
    edit(
        &t,
        &["group", "remove-option", "infra", "postgres"],
        &[("        - postgres   # main db\n", "")],
    );
    // A removed group takes its line, and one of the two blank lines around it.
    edit(
        &t,
        &["group", "remove", "observability"],
        &[(
            "    observability: {strategy: M-of-N, selection: [structlog, prometheus-client]}\n\n",
            "",
        )],
    );
    edit(
        &t,
        &["library", "add", "structlog"],
        &[("    - 'uvicorn'\n", "    - 'uvicorn'\n    - structlog\n")],
    );
    edit(
        &t,
        &["library", "remove", "uvicorn"],
        &[("    - 'uvicorn'\n", "")],
    );
    // An empty flow list gets its first entry as a block list.
    edit(
        &t,
        &["service", "add", "redis", "--profile", "default"],
        &[(
            "  standalone: []\n\n# per",
            "  standalone:\n    - {name: redis, profile: default}\n\n# per",
        )],
    );
    edit(
        &t,
        &["service", "remove", "redis"],
        &[(
            "  standalone:\n    - {name: redis, profile: default}\n\n# per",
            "  standalone: []\n\n# per",
        )],
    );
    // `--group` is `group add`: a new group gets the registry's comment above it.
    edit(
        &t,
        &[
            "library",
            "add",
            "prometheus-client",
            "--group",
            "observability",
        ],
        &[(
            "# start with qdrant\n",
            "# start with qdrant\n    # Logging, metrics and tracing; pick any combination\n    observability:\n      strategy: M-of-N\n      selection:\n        - prometheus-client\n",
        )],
    );
    edit(
        &t,
        &[
            "library",
            "remove",
            "prometheus-client",
            "--group",
            "observability",
        ],
        &[(
            "      selection:\n        - prometheus-client\n",
            "      selection: []\n",
        )],
    );
    edit(
        &t,
        &["service", "add", "minio", "--group", "infra"],
        &[("        - redis\n", "        - redis\n        - minio\n")],
    );
    // Modes: a standalone entry carries its own; anything else goes under `modes:`.
    edit(
        &t,
        &["mode", "dev", "fastapi"],
        &[(
            "    - fastapi        # web\n",
            "    - {name: fastapi, mode: dev}        # web\n",
        )],
    );
    edit(
        &t,
        &["library", "mode", "milvus-adapter", "dev"],
        &[(
            "  uvicorn: dev   # hacking on it\n",
            "  uvicorn: dev   # hacking on it\n  milvus-adapter: dev\n",
        )],
    );
    edit(
        &t,
        &["service", "mode", "minio", "prod"],
        &[(
            "  milvus-adapter: dev\n",
            "  milvus-adapter: dev\n  minio: prod\n",
        )],
    );

    // No names: every component hsm.yaml names (not `uvicorn`, which it no longer names).
    let out = ok(&t, &["mode", "dev"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    5 components are now in dev mode. Run `hsm sync` to apply.

    ----- stderr -----
    ");
    let everything_dev = "\
# My RAG app: hand-written, keep my notes!
project:
  name: \"rag-app\"     # quoted on purpose
  version: '0.1.0'

libraries:
  package_manager: uv

  groups:
    # which vector db client
    vector-db-adapter:
      strategy: \"1-of-N\"
      selection: milvus-adapter   # start with qdrant
    # Logging, metrics and tracing; pick any combination
    observability:
      strategy: M-of-N
      selection: []

  standalone:
    - {name: fastapi, mode: dev}        # web
    - {name: structlog, mode: dev}

services:
  groups:
    infra:
      strategy: M-of-N
      selection:
        - redis
        - minio
  standalone: []

# per-component modes
modes:
  uvicorn: dev   # hacking on it
  milvus-adapter: dev
  minio: dev
  redis: dev
";
    assert_eq!(t.read("hsm.yaml"), everything_dev);
    // Saying it again changes nothing and says so.
    let before = t.tree();
    let out = ok(&t, &["mode", "dev"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Nothing to change: hsm.yaml already says that

    ----- stderr -----
    ");
    assert!(t.tree() == before);
    // The stack still solves (rendering it needs every dev working copy, which this
    // project does not have).
    ok(&t, &["resolve"]);
}

// ---------------------------------------------------------------------------- strategies

#[test]
fn one_of_n_replaces_the_selection_and_m_of_n_adds_to_it() {
    let t = initialized();
    // `selection:` of GROUP in hsm.yaml, with its list items.
    let selection = |t: &Test, group: &str| -> String {
        let yaml = t.read("hsm.yaml");
        let mut lines = yaml
            .lines()
            .skip_while(|l| *l != format!("    {group}:"))
            .skip_while(|l| !l.starts_with("      selection:"));
        let mut out = lines.next().unwrap().to_string();
        for l in lines.take_while(|l| l.starts_with("        - ")) {
            out = format!("{out}\n{l}");
        }
        out
    };

    ok(
        &t,
        &["group", "add", "vector-db-adapter", "-o", "qdrant-adapter"],
    );
    ok(
        &t,
        &["group", "add", "vector-db-adapter", "-o", "chroma-adapter"],
    );
    assert_eq!(
        selection(&t, "vector-db-adapter"),
        "      selection: chroma-adapter"
    );

    ok(&t, &["group", "add", "observability", "-o", "structlog"]);
    let out = ok(
        &t,
        &["group", "add", "observability", "-o", "prometheus-client"],
    );
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Added `prometheus-client` to group `observability` (M-of-N). Run `hsm sync` to apply.

    ----- stderr -----
    ");
    ok(
        &t,
        &["group", "add-option", "observability", "opentelemetry-sdk"],
    );
    assert_eq!(
        selection(&t, "observability"),
        "      selection:\n        - structlog\n        - prometheus-client\n        - opentelemetry-sdk"
    );
    // Adding what is there already is not an error, and writes nothing.
    let before = t.tree();
    let out = ok(&t, &["group", "add", "observability", "-o", "structlog"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Nothing to change: hsm.yaml already says that

    ----- stderr -----
    ");
    assert!(t.tree() == before);

    // Service groups work the same way.
    ok(&t, &["service", "add", "postgres", "--group", "infra"]);
    ok(&t, &["service", "add", "redis", "--group", "infra"]);
    assert_eq!(
        selection(&t, "infra"),
        "      selection:\n        - postgres\n        - redis"
    );

    ok(&t, &["sync", "--no-install"]);
    let py = t.read("pyproject.toml");
    for dep in [
        "chromadb-client",
        "structlog",
        "prometheus-client",
        "opentelemetry-sdk",
    ] {
        assert!(py.contains(&format!("\"{dep}")), "{dep} missing:\n{py}");
    }
    assert!(!py.contains("qdrant"), "{py}");
    assert_valid_pyproject(&t.path().join("pyproject.toml"));
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
}

// ---------------------------------------------------------------------------- refusals

#[test]
fn unknown_names_are_refused_with_a_did_you_mean() {
    let t = initialized();
    ok(
        &t,
        &["group", "add", "vector-db-adapter", "-o", "qdrant-adapter"],
    );
    let cases: [(&str, &[&str]); 9] = [
        (
            "unknown_group",
            &[
                "group",
                "add",
                "vector-db-adaptr",
                "--option",
                "qdrant-adapter",
            ],
        ),
        (
            "unknown_option",
            &[
                "group",
                "add",
                "vector-db-adapter",
                "--option",
                "qdrnt-adapter",
            ],
        ),
        (
            "service_as_an_option_of_a_library_group",
            &["group", "add", "vector-db-adapter", "--option", "qdrant"],
        ),
        ("unknown_library", &["library", "add", "qdrant-adaptr"]),
        (
            "library_given_to_service_add",
            &["service", "add", "qdrant-adapter"],
        ),
        (
            "service_given_to_library_add",
            &["library", "add", "qdrant"],
        ),
        ("unknown_service", &["service", "add", "qdrnt"]),
        ("unknown_name_in_mode", &["mode", "dev", "qdrnt-adapter"]),
        (
            "unknown_group_in_library_add",
            &["library", "add", "structlog", "--group", "observabilty"],
        ),
    ];
    for (name, args) in cases {
        let out = refused(&t, args);
        assert!(
            out.stderr.contains("did you mean"),
            "{name}: no did-you-mean:\n{}",
            out.stderr
        );
        hsm_snapshot!(format!("names_{name}"), out);
    }
}

/// `hsm library mode` is about libraries and `hsm service mode` about services, as
/// `library add` / `service add` are: the other kind is refused, like an unknown name.
#[test]
fn library_mode_and_service_mode_check_the_kind() {
    let t = initialized();
    ok(
        &t,
        &["group", "add", "vector-db-adapter", "-o", "qdrant-adapter"],
    );
    let stderr = refused(&t, &["library", "mode", "qdrant", "dev"]).stderr;
    assert!(stderr.contains("hsm service mode qdrant"), "{stderr}");
    let stderr = refused(&t, &["service", "mode", "qdrant-adapter", "dev"]).stderr;
    assert!(
        stderr.contains("hsm library mode qdrant-adapter"),
        "{stderr}"
    );
    // The right noun works.
    ok(&t, &["library", "mode", "qdrant-adapter", "dev"]);
    ok(&t, &["service", "mode", "qdrant", "dev"]);
}

#[test]
fn removing_what_hsm_yaml_does_not_say_is_refused() {
    let t = initialized();
    ok(&t, &["group", "add", "observability", "-o", "structlog"]);
    let cases: [(&str, &[&str]); 4] = [
        (
            "group_not_in_hsm_yaml",
            &["group", "remove", "vector-db-adapter"],
        ),
        (
            "option_not_selected",
            &[
                "group",
                "remove-option",
                "observability",
                "prometheus-client",
            ],
        ),
        (
            "library_not_standalone",
            &["library", "remove", "structlog"],
        ),
        ("service_not_listed", &["service", "remove", "redis"]),
    ];
    for (name, args) in cases {
        hsm_snapshot!(format!("remove_{name}"), refused(&t, args));
    }
}

#[test]
fn an_edit_that_makes_the_stack_unsolvable_is_refused_unless_forced() {
    let t = initialized();
    ok(
        &t,
        &["group", "add", "vector-db-adapter", "-o", "qdrant-adapter"],
    );
    ok(&t, &["sync", "--no-install"]);
    // `qdrant-adapter` implies `qdrant` in the 1-of-N service group `vector-db`.
    let args = ["group", "add", "vector-db", "--option", "milvus"];
    let out = refused(&t, &args);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: this edit would leave no consistent stack; hsm.yaml was not changed
      choice group `vector-db` holds one option, but the stack needs `milvus` and `qdrant`:

      - hsm.yaml selects `milvus` in choice group `vector-db` (hsm.yaml (as edited):19)

      - option `qdrant-adapter` of choice group `vector-db-adapter` implies `qdrant` in choice group `vector-db` (<built-in>/library_groups/vector-db-adapter.yaml:9)
          because hsm.yaml selects `qdrant-adapter` in choice group `vector-db-adapter` (hsm.yaml (as edited):12)

    hint: select `milvus-adapter` instead of `qdrant-adapter` in group `vector-db-adapter` (hsm.yaml (as edited):12): `hsm group add vector-db-adapter --option milvus-adapter`
          the stack then solves, gaining `milvus-adapter` and losing `qdrant-adapter`, `qdrant`
    hint: remove group `vector-db-adapter` (hsm.yaml (as edited):12): `hsm group remove vector-db-adapter`
          the stack then solves, losing `qdrant-adapter`, `qdrant`
    hint: pass --force to write it anyway
    ");

    let mut forced = args.to_vec();
    forced.push("--force");
    let out = ok(&t, &forced);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    warning: the stack is unsolvable after this edit (written because of --force)
    Selected `milvus` in group `vector-db` (1-of-N). Run `hsm sync` to apply.

    ----- stderr -----
    ");
    assert!(
        t.read("hsm.yaml")
            .contains("    vector-db:\n      strategy: 1-of-N\n      selection: milvus\n")
    );
    // The stack now really does not solve; a sync says so and changes nothing.
    t.hsm(&["check"]).failure();
    let before = t.tree();
    t.hsm(&["sync", "--no-install"]).failure();
    assert!(t.tree() == before);
    // Taking the forced edit back makes it solve again.
    ok(&t, &["group", "remove", "vector-db"]);
    ok(&t, &["check"]);
}

// ---------------------------------------------------------------------------- list

#[test]
fn list_prints_the_stack_as_a_tree_with_versions_and_modes() {
    let t = initialized();
    ok(
        &t,
        &["group", "add", "vector-db-adapter", "-o", "milvus-adapter"],
    );
    ok(&t, &["group", "add", "observability", "-o", "structlog"]);
    ok(
        &t,
        &["group", "add", "observability", "-o", "prometheus-client"],
    );
    ok(&t, &["library", "add", "fastapi"]);
    ok(&t, &["service", "add", "postgres", "--group", "infra"]);
    ok(&t, &["mode", "dev", "milvus-adapter", "fastapi"]);
    let out = ok(&t, &["list"]);
    hsm_snapshot!("list_tree", out);
    // Every component of the stack is in the tree.
    let resolved = ok(&t, &["resolve"]).stdout;
    for name in [
        "milvus-adapter",
        "structlog",
        "prometheus-client",
        "fastapi",
        "postgres",
        "milvus",
        "etcd",
        "minio",
        "prometheus",
        "uvicorn",
    ] {
        assert!(
            out.stdout.contains(&format!(" {name} ")),
            "{name} not listed"
        );
        assert!(resolved.contains(name), "{name} not resolved:\n{resolved}");
    }
}

// ---------------------------------------------------------------------------- modes, real uv

/// `hsm mode dev X` / `hsm mode prod X` flip the source uv installs X from: the editable
/// working copy, or the tagged release in git.
#[test]
fn mode_dev_and_prod_flip_the_source_uv_installs() {
    require!("uv", "git");
    let t = python_package(Test::new().offline_uv(), "packages/alpha", "alpha");
    let t = python_package(t, "remotes/alpha", "alpha");
    let remote = t.path().join("remotes/alpha");
    git(&remote, &["init", "-q"]);
    git(&remote, &["add", "."]);
    git(&remote, &["commit", "-qm", "release"]);
    git(&remote, &["tag", "v1.0.0"]);
    let registry_entry = format!(
        "name: alpha\nversion: 1.0.0\nsources:\n  prod: {{type: git, url: \"git+file://{}\", ref: v1.0.0}}\n  dev: {{type: local, path: packages/alpha, editable: true}}\n",
        remote.display()
    );
    let t = t.registry_file("libraries/alpha.yaml", &registry_entry);
    ok(&t, &["init", "--name", "app"]);
    ok(&t, &["library", "add", "alpha"]);

    edit(
        &t,
        &["mode", "dev", "alpha"],
        &[("    - alpha\n", "    - {name: alpha, mode: dev}\n")],
    );
    let out = ok(&t, &["sync"]);
    assert!(
        out.stdout.contains("Ran uv lock, uv sync"),
        "{}",
        out.stdout
    );
    let lock = t.read("uv.lock");
    assert!(lock.contains("editable = \"packages/alpha\""), "{lock}");
    assert!(!lock.contains("?tag=v1.0.0"), "{lock}");
    assert!(
        t.read("pyproject.toml")
            .contains("alpha = { path = \"packages/alpha\", editable = true }")
    );
    assert_valid_pyproject(&t.path().join("pyproject.toml"));

    edit(
        &t,
        &["mode", "prod", "alpha"],
        &[("{name: alpha, mode: dev}", "{name: alpha, mode: prod}")],
    );
    ok(&t, &["sync"]);
    let lock = t.read("uv.lock");
    assert!(lock.contains("remotes/alpha?tag=v1.0.0"), "{lock}");
    assert!(!lock.contains("editable = \"packages/alpha\""), "{lock}");
    let py = t.read("pyproject.toml");
    assert!(py.contains("tag = \"v1.0.0\""), "{py}");
    assert!(!py.contains("packages/alpha"), "{py}");
    assert_valid_pyproject(&t.path().join("pyproject.toml"));

    // And back: `hsm mode dev` with no name flips every component.
    ok(&t, &["mode", "dev"]);
    ok(&t, &["sync"]);
    assert!(t.read("uv.lock").contains("editable = \"packages/alpha\""));
}

// ---------------------------------------------------------------------------- concurrency

/// Syncs and edits racing in one project never leave a torn file (a file that is not one
/// whole version of itself) or a mixed project (artifacts of different stacks side by
/// side).
///
/// Every file is watched while the race runs: hsm.yaml and each artifact must at every
/// instant be exactly one of the versions a sequential run produces. After each round, when
/// every process is done, the artifacts must together be exactly one stack's set — the
/// pyproject's client and the compose file's server always belong together — and `hsm sync
/// --dry-run` must agree with what is on disk. A last sync brings everything in line with
/// hsm.yaml.
#[test]
fn concurrent_syncs_and_group_adds_never_tear_or_mix_files() {
    // The two states a sequential run goes through.
    let reference = initialized();
    ok(
        &reference,
        &["group", "add", "vector-db-adapter", "-o", "qdrant-adapter"],
    );
    ok(&reference, &["sync", "--no-install"]);
    let qdrant = state(&reference);
    ok(
        &reference,
        &["group", "add", "vector-db-adapter", "-o", "milvus-adapter"],
    );
    ok(&reference, &["sync", "--no-install"]);
    let milvus = state(&reference);
    let of = |s: Stack| if s == Stack::Qdrant { &qdrant } else { &milvus };
    let versions = |name: &str| -> Vec<&String> {
        [&qdrant, &milvus]
            .iter()
            .filter_map(|s| s.get(name))
            .collect()
    };
    let watched = [
        "hsm.yaml",
        "pyproject.toml",
        "docker-compose.hsm.yml",
        "hsm.lock",
    ];

    let t = initialized();
    ok(
        &t,
        &["group", "add", "vector-db-adapter", "-o", "qdrant-adapter"],
    );
    ok(&t, &["sync", "--no-install"]);
    assert_eq!(
        state(&t),
        qdrant,
        "test bug: the projects differ from the start"
    );

    let done = AtomicBool::new(false);
    let torn: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        // The watcher: every read of a file must be one whole known version.
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                for name in watched {
                    let seen = match std::fs::read_to_string(t.path().join(name)) {
                        Ok(s) => s,
                        Err(e) => {
                            torn.lock().unwrap().push(format!("{name}: {e}"));
                            continue;
                        }
                    };
                    if !versions(name).contains(&&seen) {
                        torn.lock().unwrap().push(format!("{name}:\n{seen}"));
                    }
                }
            }
        });

        for round in 0..10 {
            let (first, second) = if round % 2 == 0 {
                ("milvus-adapter", "qdrant-adapter")
            } else {
                ("qdrant-adapter", "milvus-adapter")
            };
            let commands: [&[&str]; 4] = [
                &["group", "add", "vector-db-adapter", "-o", first],
                &["sync", "--no-install"],
                &["group", "add", "vector-db-adapter", "-o", second],
                &["sync", "--no-install"],
            ];
            let running: Vec<_> = commands
                .iter()
                .map(|args| {
                    let child = t
                        .command(args)
                        .stdout(std::process::Stdio::piped())
                        .stderr(std::process::Stdio::piped())
                        .spawn()
                        .unwrap();
                    (args, child)
                })
                .collect();
            for (args, child) in running {
                let out = child.wait_with_output().unwrap();
                assert!(
                    out.status.success(),
                    "round {round}: `hsm {}` failed:\n{}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                );
            }

            // Quiet now: the project is one whole state.
            let now = state(&t);
            let yaml = &now["hsm.yaml"];
            assert!(
                versions("hsm.yaml").contains(&yaml),
                "round {round}: hsm.yaml:\n{yaml}"
            );
            let intent = if yaml.contains("selection: qdrant-adapter") {
                Stack::Qdrant
            } else {
                Stack::Milvus
            };
            let on_disk = stack_of_pyproject(&now["pyproject.toml"]);
            assert_eq!(
                stack_of_compose(&now["docker-compose.hsm.yml"]),
                on_disk,
                "round {round}: pyproject.toml and docker-compose.hsm.yml disagree"
            );
            // Exactly that stack's artifacts: same files (no stray .env.*, no *.hsm-new),
            // same bytes, hsm.lock included.
            let mut artifacts = now.clone();
            let mut expected = of(on_disk).clone();
            artifacts.remove("hsm.yaml");
            expected.remove("hsm.yaml");
            assert!(
                artifacts == expected,
                "round {round}: the artifacts are not one whole {on_disk:?} stack: {:?}",
                artifacts.keys().collect::<Vec<_>>()
            );
            assert!(
                !t.exists(".hsm/journal"),
                "round {round}: a journal was left behind"
            );
            // What a dry run says agrees with what is on disk.
            let dry = ok(&t, &["sync", "--dry-run"]).stdout;
            assert_eq!(
                dry.starts_with("Stack is up to date"),
                intent == on_disk,
                "round {round}: hsm.yaml wants {intent:?}, disk holds {on_disk:?}, dry run says:\n{dry}"
            );
        }
        done.store(true, Ordering::Relaxed);
    });
    let torn = torn.into_inner().unwrap();
    assert!(
        torn.is_empty(),
        "{} torn reads while the race ran; the first:\n{}",
        torn.len(),
        torn[0]
    );

    // A last sync makes the artifacts what hsm.yaml says, and it is then locked in.
    ok(&t, &["sync", "--no-install"]);
    let intent = if t.read("hsm.yaml").contains("selection: qdrant-adapter") {
        Stack::Qdrant
    } else {
        Stack::Milvus
    };
    assert!(
        state(&t) == *of(intent),
        "the final sync did not settle the project"
    );
    let out = ok(&t, &["sync", "--no-install", "--locked"]);
    assert!(
        out.stdout.starts_with("Stack is up to date"),
        "{}",
        out.stdout
    );
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
    assert_valid_pyproject(&t.path().join("pyproject.toml"));
}

/// Run from any directory inside the project, hsm works on the project (as cargo and uv
/// do); paths it prints stay relative to where it was started. `hsm init` is the exception:
/// it makes a project where it is run.
#[test]
fn commands_find_the_project_from_a_subdirectory() {
    let t = Test::new()
        .manifest(&common::quick_start("qdrant-adapter"))
        .file("services/api/src/.keep", "")
        .cwd("services/api/src");
    let out = ok(&t, &["sync", "--no-install"]);
    assert!(out.stdout.contains("Wrote"), "{}", out.stdout);
    assert!(t.exists("pyproject.toml") && t.exists("hsm.lock"));
    assert!(!t.exists("services/api/src/hsm.lock"));
    let out = ok(&t, &["mode", "dev", "qdrant-adapter"]);
    assert!(out.stdout.contains("qdrant-adapter"), "{}", out.stdout);
    assert!(t.read("hsm.yaml").contains("qdrant-adapter"));
    // A malformed hsm.yaml above is cited by its full path (as cargo cites a manifest).
    let bad = Test::new()
        .manifest("project: [\n")
        .file("sub/.keep", "")
        .cwd("sub");
    let out = bad.hsm(&["list"]);
    out.failure();
    let cited = format!("{}:1:10", bad.path().join("hsm.yaml").display());
    assert!(out.stderr.contains(&cited), "{}", out.stderr);
    // `hsm init` in a subdirectory makes a new project there.
    ok(&t, &["init", "--name", "inner"]);
    assert!(t.exists("services/api/src/hsm.yaml"));
}

/// With a uv.lock, `hsm list` shows the version uv locked next to the registry's (text and
/// JSON); without one, or for a package uv.lock does not have, nothing is added.
#[test]
fn list_shows_what_uv_locked() {
    let t = Test::new()
        .manifest(&common::quick_start("qdrant-adapter"))
        .file(
            "uv.lock",
            "version = 1\nrequires-python = \">=3.9\"\n\n[[package]]\nname = \"qdrant-client\"\nversion = \"1.12.2\"\nsource = { registry = \"https://pypi.org/simple\" }\n",
        );
    let out = ok(&t, &["list"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    demo
    ├── libraries
    │   └── vector-db-adapter (1-of-N)
    │       └── qdrant-adapter 1.12.1 (prod; uv.lock: qdrant-client 1.12.2)
    ├── services
    └── implied
        └── qdrant 1.12.4 (prod) [service]

    ----- stderr -----
    ");
    let out = ok(&t, &["list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["components"][0]["installed"],
        serde_json::json!({"package": "qdrant-client", "version": "1.12.2"})
    );
    assert!(v["components"][1].get("installed").is_none());
    // A uv.lock hsm cannot read only loses the column.
    std::fs::write(t.path().join("uv.lock"), "not toml [").unwrap();
    let out = ok(&t, &["list"]);
    assert!(!out.stdout.contains("uv.lock:"), "{}", out.stdout);
}

/// `hsm env`: every variable the stack reads, where, and whether it is set (environment or
/// the project's `.env`); `--check` fails while one without a default is unset.
#[test]
fn env_lists_the_variables_the_stack_reads() {
    let t = Test::new()
        .manifest("libraries:\n  standalone: [langgraph-checkpoint-postgres]\nservices:\n  standalone: [api]\n")
        .registry_file(
            "services/api.yaml",
            "name: api\nports: [\"${API_PORT:-8000}:8000\"]\nenv:\n  TOKEN: \"${API_TOKEN}\"\n  LEVEL: \"$$literal\"\nsources:\n  prod: {type: docker-image, image: \"api:${API_TAG}\"}\n",
        )
        .registry_file(
            "libraries/langgraph-checkpoint-postgres.yaml",
            "name: langgraph-checkpoint-postgres\nimplies:\n  service:postgres: {params: {db_name: langgraph}}\n",
        )
        .registry_file(
            "services/postgres.yaml",
            "name: postgres\nenv:\n  POSTGRES_PASSWORD: \"${POSTGRES_PASSWORD}\"\n  DBS: \"${HSM_MERGED_PARAMS.db_name}\"\nsources:\n  prod: {type: docker-image, image: \"postgres:17\"}\n",
        )
        .file(".env", "# compose reads this\nexport API_TAG=1.2\n")
        .env("API_TOKEN", "secret");
    let out = ok(&t, &["env"]);
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    4 variables the stack reads from the environment (1 unset without a default):
      API_PORT           unset, has a default
                           api: ports
      API_TAG            set in .env
                           api: image
      API_TOKEN          set
                           api: env TOKEN (hsm-registry/services/api.yaml:4)
      POSTGRES_PASSWORD  UNSET
                           postgres: env POSTGRES_PASSWORD (hsm-registry/services/postgres.yaml:3)
    Set them in the environment or in .env (compose reads it); `hsm env --check` fails while any is unset

    ----- stderr -----
    ");
    let out = t.hsm(&["env", "--check"]);
    assert_eq!(out.code, 1);
    let out = ok(&t, &["env", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["missing"], 1);
    assert_eq!(v["variables"][0]["name"], "API_PORT");
    assert_eq!(v["variables"][0]["has_default"], true);
    let t = t.env("POSTGRES_PASSWORD", "x");
    ok(&t, &["env", "--check"]);
}

/// Edits of hsm.yaml report as JSON with `--format json`: written (with the change),
/// unchanged, refused (the conflict, exit 1), or an error.
#[test]
fn edits_report_as_json() {
    let t = Test::new().manifest(&common::quick_start("qdrant-adapter"));
    let json = |args: &[&str], code: i32| -> serde_json::Value {
        let out = t.hsm(args);
        assert_eq!(out.code, code, "{}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
    };
    let v = json(
        &[
            "group",
            "add",
            "vector-db-adapter",
            "--option",
            "milvus-adapter",
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(v["status"], "written");
    assert!(
        v["change"].as_str().unwrap().contains("milvus-adapter"),
        "{v}"
    );
    let v = json(&["mode", "dev", "milvus-adapter", "--format", "json"], 0);
    assert_eq!(v["status"], "written");
    let v = json(&["mode", "dev", "milvus-adapter", "--format", "json"], 0);
    assert_eq!(v["status"], "unchanged");
    let v = json(&["library", "add", "no-such-lib", "--format", "json"], 1);
    assert_eq!(v["status"], "error");
    let conflicted = Test::new()
        .manifest("libraries:\n  standalone: [a]\n")
        .registry_file("libraries/a.yaml", "name: a\nconflicts: [b]\n")
        .registry_file("libraries/b.yaml", "name: b\n");
    let out = conflicted.hsm(&["library", "add", "b", "--format", "json"]);
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "refused");
    assert_eq!(v["conflict"]["status"], "conflict");
}

/// `hsm registry test --format json`: every case with its place and failures, the counts,
/// and exit 1 when one fails.
#[test]
fn registry_test_reports_as_json() {
    let t = Test::new().file(
        "rules/r.yaml",
        "cases:\n  - name: qdrant brings its server\n    manifest:\n      libraries: {groups: {vector-db-adapter: {selection: qdrant-adapter}}}\n    expect:\n      selected: [qdrant]\n  - name: wrong on purpose\n    manifest:\n      libraries: {groups: {vector-db-adapter: {selection: qdrant-adapter}}}\n    expect:\n      selected: [milvus]\n",
    );
    let out = t.hsm(&["registry", "test", "rules", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    assert_eq!(
        (
            v["status"].as_str(),
            v["passed"].as_u64(),
            v["failed"].as_u64()
        ),
        (Some("failed"), Some(1), Some(1))
    );
    assert_eq!(v["cases"][0]["at"], "rules/r.yaml:2");
    assert_eq!(v["cases"][1]["passed"], false);
    assert!(!v["cases"][1]["failures"].as_array().unwrap().is_empty());
}

/// `hsm check` names the variables the stack reads that are unset (and have no default).
#[test]
fn check_names_unset_variables() {
    let t = Test::new().manifest("libraries:\n  standalone: [langgraph-checkpoint-postgres]\n");
    let out = t
        .command(&["check"])
        .env_remove("POSTGRES_PASSWORD")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("note: the stack reads 1 environment variable that is unset: POSTGRES_PASSWORD (`hsm env` shows where)"),
        "{stdout}"
    );
    let out = t
        .command(&["check"])
        .env("POSTGRES_PASSWORD", "x")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("note:"));
}
