//! `hsm graph`: the stack or the whole registry as Graphviz DOT (checked by Debian's
//! `dot -Tsvg`) and as Mermaid (checked against the syntax rules the output relies on).

use crate::common;

use std::collections::HashSet;
use std::io::Write as _;
use std::process::{Command, Stdio};

use common::Test;

/// A small stack: a standalone library that picks an option of a 1-of-N group, which
/// implies a service with params; an M-of-N service group whose option requires it.
fn small(t: Test) -> Test {
    t.registry_file(
        "libraries/api.yaml",
        "name: api\nversion: 1.2.0\nimplies:\n  library_group:db-driver: pg-driver\n",
    )
    .registry_file(
        "library_groups/db-driver.yaml",
        "name: db-driver\ntype: library_group\nstrategy: 1-of-N\noptions: [pg-driver, sqlite-driver]\n",
    )
    .registry_file(
        "libraries/pg-driver.yaml",
        "name: pg-driver\nversion: 3.1.0\nimplies:\n  service:postgres: {params: {db_name: api}}\n",
    )
    .registry_file("libraries/sqlite-driver.yaml", "name: sqlite-driver\n")
    .registry_file(
        "services/postgres.yaml",
        "name: postgres\nversion: 16.4\nsources:\n  prod: {type: docker-image, image: \"postgres:16.4\"}\nconflicts: [sqlite-driver]\n",
    )
    .registry_file(
        "services/pgadmin.yaml",
        "name: pgadmin\nversion: 8.12\nrequires: {postgres: \">=16\"}\nsources:\n  prod: {type: docker-image, image: \"dpage/pgadmin4:8.12\"}\ndeployment_profiles:\n  default: {mode: managed}\n  shared: {mode: external}\n",
    )
    .registry_file(
        "service_groups/tools.yaml",
        "name: tools\ntype: service_group\nstrategy: M-of-N\noptions: [pgadmin]\n",
    )
    .manifest(
        "libraries:\n  standalone:\n    - {name: api, mode: dev}\nservices:\n  groups:\n    tools: {selection: [pgadmin], profile: shared}\n",
    )
}

/// Run `dot -Tsvg` on `text`; panic with dot's complaint if it rejects it (a missing `dot`
/// skips this check: see `common::require`).
#[track_caller]
fn assert_valid_dot(text: &str) {
    let Some(dot) = common::require("dot") else {
        return;
    };
    let mut child = Command::new(dot)
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "dot rejects the graph:\n{stderr}\n{text}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
}

/// The Mermaid rules hsm's output relies on (no Mermaid parser is available offline):
/// `flowchart LR` first; node ids of `[A-Za-z0-9_]` only, declared once, never `end`;
/// every label double-quoted with no raw `"`, `` ` ``, `|` or `<`/`>` (except `<br/>`) and
/// `#` only in entity codes; edges `a --> b` or `a -.-> b`, optionally `-->|"label"|`,
/// between declared nodes; `subgraph id["label"]` … `end` balanced.
#[track_caller]
fn assert_valid_mermaid(text: &str) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"), "{text}");
    let mut nodes: HashSet<String> = HashSet::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    let mut depth = 0usize;
    for line in lines {
        let l = line.trim_start();
        if l == "end" {
            assert!(depth > 0, "unbalanced end\n{text}");
            depth -= 1;
            continue;
        }
        if let Some(rest) = l.strip_prefix("subgraph ") {
            let (id, rest) = split_id(rest);
            assert_id(id, text);
            assert!(nodes.insert(id.to_string()), "duplicate id {id}");
            let label = rest
                .strip_prefix("[\"")
                .and_then(|r| r.strip_suffix("\"]"))
                .unwrap_or_else(|| panic!("bad subgraph line {line}"));
            assert_label(label, line);
            depth += 1;
            continue;
        }
        let (id, rest) = split_id(l);
        assert_id(id, text);
        if let Some(edge) = rest.strip_prefix(' ') {
            let (arrow, after) = edge
                .strip_prefix("-->")
                .map(|a| ("-->", a))
                .or_else(|| edge.strip_prefix("-.->").map(|a| ("-.->", a)))
                .unwrap_or_else(|| panic!("bad edge {line}"));
            let after = match after.strip_prefix("|\"") {
                Some(labelled) => {
                    let end = labelled
                        .find("\"| ")
                        .unwrap_or_else(|| panic!("bad edge label {line}"));
                    assert_label(&labelled[..end], line);
                    &labelled[end + 2..]
                }
                None => after,
            };
            let to = after
                .strip_prefix(' ')
                .unwrap_or_else(|| panic!("no space after {arrow}: {line}"));
            let (to_id, tail) = split_id(to);
            assert!(tail.is_empty(), "trailing text in {line}");
            edges.push((id.to_string(), to_id.to_string()));
            continue;
        }
        let shapes = [
            ("([\"", "\"])"),
            ("[[\"", "\"]]"),
            ("{{\"", "\"}}"),
            ("[\"", "\"]"),
            ("(\"", "\")"),
        ];
        let label = shapes
            .iter()
            .find_map(|(open, close)| rest.strip_prefix(open)?.strip_suffix(close))
            .unwrap_or_else(|| panic!("bad node line {line}"));
        assert_label(label, line);
        assert!(nodes.insert(id.to_string()), "duplicate id {id}\n{text}");
    }
    assert_eq!(depth, 0, "unclosed subgraph\n{text}");
    for (a, b) in edges {
        assert!(
            nodes.contains(&a) && nodes.contains(&b),
            "edge {a} -> {b} between undeclared nodes"
        );
    }
}

fn split_id(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    s.split_at(end)
}

#[track_caller]
fn assert_id(id: &str, text: &str) {
    assert!(!id.is_empty() && id != "end", "bad id `{id}`\n{text}");
}

#[track_caller]
fn assert_label(label: &str, line: &str) {
    let plain = label.replace("<br/>", "\n");
    assert!(
        !plain.contains(['"', '`', '|', '<', '>']),
        "unescaped character in {line}"
    );
    let mut rest = plain.as_str();
    while let Some(i) = rest.find('#') {
        let tail = &rest[i + 1..];
        let code = tail.find(';').map(|j| &tail[..j]);
        assert!(
            code.is_some_and(|c| !c.is_empty() && c.chars().all(|c| c.is_ascii_alphanumeric())),
            "bare # in {line}"
        );
        rest = &tail[code.map_or(0, str::len) + 1..];
    }
}

#[test]
fn stack_as_dot() {
    let out = small(Test::new()).args(["graph"]).run();
    out.success();
    assert_valid_dot(&out.stdout);
    hsm_snapshot!(out);
}

#[test]
fn stack_as_mermaid() {
    let out = small(Test::new())
        .args(["graph", "--format", "mermaid"])
        .run();
    out.success();
    assert_valid_mermaid(&out.stdout);
    hsm_snapshot!(out, @r#"
    success: true
    exit_code: 0
    ----- stdout -----
    flowchart LR
      hsm_yaml(["hsm.yaml"])
      library_group_db_driver{{"db-driver<br/>library group, 1-of-N"}}
      service_group_tools{{"tools<br/>service group, M-of-N"}}
      library_api["api<br/>1.2.0 · dev"]
      library_pg_driver["pg-driver<br/>3.1.0 · prod"]
      service_pgadmin("pgadmin<br/>8.12.0 · prod<br/>profile shared (external)")
      service_postgres("postgres<br/>16.4.0 · prod")
      hsm_yaml -->|"selects<br/>hsm.yaml:6"| service_group_tools
      hsm_yaml -->|"lists<br/>hsm.yaml:3"| library_api
      library_group_db_driver -->|"option<br/>hsm-registry/library_groups/db-driver.yaml:4"| library_pg_driver
      service_group_tools -->|"option<br/>hsm-registry/service_groups/tools.yaml:4"| service_pgadmin
      library_api -->|"implies<br/>hsm-registry/libraries/api.yaml:4"| library_group_db_driver
      library_pg_driver -->|"implies (db_name=api)<br/>hsm-registry/libraries/pg-driver.yaml:4"| service_postgres
      service_pgadmin -->|"requires #gt;=16<br/>hsm-registry/services/pgadmin.yaml:3"| service_postgres

    ----- stderr -----
    "#);
}

#[test]
fn registry_wide_as_dot_and_mermaid() {
    let t = small(Test::new());
    let dot = t.hsm(&["graph", "--registry-wide"]);
    dot.success();
    assert_valid_dot(&dot.stdout);
    hsm_snapshot!("registry_wide_dot", dot);
    let mermaid = t.hsm(&["graph", "--registry-wide", "--format", "mermaid"]);
    mermaid.success();
    assert_valid_mermaid(&mermaid.stdout);
    hsm_snapshot!("registry_wide_mermaid", mermaid);
}

#[test]
fn the_builtin_registry_draws() {
    for args in [
        &["graph", "--registry-wide"][..],
        &["graph", "--registry-wide", "--format", "mermaid"],
    ] {
        let out = Test::new().hsm(args);
        out.success();
        if args.contains(&"mermaid") {
            assert_valid_mermaid(&out.stdout);
        } else {
            assert_valid_dot(&out.stdout);
        }
        // Every group, with every option inside its box.
        assert!(
            out.stdout
                .contains("vector-db-adapter (library group, 1-of-N)")
        );
        assert!(out.stdout.contains("infra (service group, M-of-N)"));
    }
    // And the example project's stack.
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(env!("CARGO_BIN_EXE_hsm"))
        .args(["--directory", "examples/rag", "graph"])
        .current_dir(root)
        .env_remove("HSM_REGISTRY_PATH")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_valid_dot(&String::from_utf8(out.stdout).unwrap());
}

#[test]
fn the_readme_diagram_is_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let block = readme
        .split("```mermaid\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n").next())
        .expect("README has a ```mermaid block");
    let out = Command::new(env!("CARGO_BIN_EXE_hsm"))
        .args([
            "--directory",
            "examples/rag",
            "graph",
            "--format",
            "mermaid",
        ])
        .current_dir(root)
        .env_remove("HSM_REGISTRY_PATH")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(block, String::from_utf8(out.stdout).unwrap());
    assert_valid_mermaid(block);
}

#[test]
fn odd_paths_are_escaped() {
    // Citations carry the registry's path: quotes, backslashes, angle brackets, `#`, `|`
    // and spaces must not break either syntax.
    let dir = r#"reg "q" \ <x> #1 |y| `z` &"#;
    let t = Test::new()
        .file(
            &format!("{dir}/libraries/a.yaml"),
            "name: a\nimplies: {library:b: {}}\n",
        )
        .file(&format!("{dir}/libraries/b.yaml"), "name: b\n")
        .manifest("libraries:\n  standalone: [a]\n");
    for format in ["dot", "mermaid"] {
        for wide in [false, true] {
            let mut args = vec!["--registry", dir, "graph", "--format", format];
            if wide {
                args.push("--registry-wide");
            }
            let out = t.hsm(&args);
            out.success();
            assert!(out.stdout.contains("libraries/a.yaml:2"), "{}", out.stdout);
            match format {
                "dot" => assert_valid_dot(&out.stdout),
                _ => assert_valid_mermaid(&out.stdout),
            }
        }
    }
}

#[test]
fn a_stack_that_does_not_solve_draws_nothing() {
    let t = small(Test::new()).manifest("libraries:\n  standalone: [api, sqlite-driver]\n");
    let out = t.args(["graph"]).run();
    out.failure();
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .starts_with("error: no stack satisfies hsm.yaml and the registry"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_broken_registry_is_not_drawn() {
    let out = Test::new()
        .registry_file("libraries/a.yaml", "name: a\nimplies: {library:b: {}}\n")
        .args(["graph", "--registry-wide"])
        .run();
    out.failure();
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains("cannot draw the registry: no library `b` in the registry"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("`hsm registry lint`"), "{}", out.stderr);
}
