//! `hsm resolve`, `hsm why` and `hsm check` on the built-in registry and small registries:
//! the stories from the rule-engine issue, as whole CLI runs with snapshots.
#![allow(clippy::unwrap_used)]

mod common;

use common::Test;
use insta::assert_snapshot;

const QDRANT: &str = "\
project:
  name: demo
libraries:
  groups:
    vector-db-adapter:
      strategy: 1-of-N
      selection: qdrant-adapter
";

#[test]
fn qdrant_adapter_brings_the_qdrant_server_with_reasons() {
    let t = Test::new()
        .file("hsm.yaml", QDRANT)
        .args(["resolve", "--explain"]);
    let out = t.run();
    out.success();
    assert_snapshot!("qdrant_explain", out.stdout);
    assert!(out.stdout.contains("qdrant-adapter"));
    assert!(out.stdout.contains("service  qdrant"));
}

#[test]
fn why_names_every_rule_that_brings_a_component() {
    let out = Test::new()
        .file("hsm.yaml", QDRANT)
        .args(["why", "qdrant"])
        .run();
    out.success();
    assert_snapshot!("why_qdrant", out.stdout);
}

#[test]
fn why_a_component_outside_the_stack() {
    let out = Test::new()
        .file("hsm.yaml", QDRANT)
        .args(["why", "milvus"])
        .run();
    out.failure();
    assert_snapshot!("why_not_in_stack", out.stderr);
    let out = Test::new()
        .file("hsm.yaml", QDRANT)
        .args(["why", "qdrnt"])
        .run();
    out.failure();
    assert_snapshot!("why_unknown", out.stderr);
}

#[test]
fn constraints_ruling_out_the_newest_version_backtrack_to_an_older_one() {
    let manifest = format!("{QDRANT}constraints:\n  qdrant: \"<1.10\"\n");
    let out = Test::new()
        .file("hsm.yaml", &manifest)
        .args(["resolve"])
        .run();
    out.success();
    assert_snapshot!("backtracking", out.stdout);
    // The newest adapter (1.12.1) needs qdrant >=1.10, so the older 1.9.0 is chosen.
    assert!(
        out.stdout.contains("qdrant-adapter  1.9.0"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("qdrant          1.9.7"),
        "{}",
        out.stdout
    );
}

/// Two libraries each imply a different option of the 1-of-N group `vector-db-adapter`.
const TWO_PATHS: &str = "\
project:
  name: clash
libraries:
  standalone:
    - langchain-qdrant
    - langchain-milvus
";

#[test]
fn two_paths_demanding_different_options_of_one_group_is_a_conflict() {
    let t = Test::new().file("hsm.yaml", TWO_PATHS).args(["resolve"]);
    let out = t.run();
    out.failure();
    assert!(out.stdout.is_empty());
    assert_snapshot!("group_conflict", out.stderr);
    // Names the group and both culprits, cites a line for each rule, ends with hints.
    for needle in [
        "choice group `vector-db-adapter`",
        "`langchain-qdrant` implies `qdrant-adapter`",
        "`langchain-milvus` implies `milvus-adapter`",
        "<built-in>/libraries/langchain-qdrant.yaml:",
        "<built-in>/libraries/langchain-milvus.yaml:",
        "hsm.yaml:5",
        "hsm.yaml:6",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?} in\n{}",
            out.stderr
        );
    }
    assert!(
        out.stderr
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("hint: ")
    );
    for jargon in ["root", "version 0", "package", "#0", "#1"] {
        assert!(
            !out.stderr.contains(jargon),
            "solver jargon {jargon:?} in\n{}",
            out.stderr
        );
    }
    // Byte-identical across runs.
    for _ in 0..3 {
        assert_eq!(t.run().stderr, out.stderr);
    }
}

#[test]
fn a_hsm_yaml_selection_against_an_implied_option() {
    let manifest = "libraries:\n  groups:\n    vector-db-adapter: {strategy: 1-of-N, selection: qdrant-adapter}\nservices:\n  groups:\n    vector-db: {strategy: 1-of-N, selection: milvus}\n";
    let out = Test::new()
        .file("hsm.yaml", manifest)
        .args(["resolve"])
        .run();
    out.failure();
    assert_snapshot!("group_conflict_with_selection", out.stderr);
    assert!(
        out.stderr
            .contains("hsm group add vector-db-adapter --option milvus-adapter")
    );
}

#[test]
fn a_version_conflict_cites_the_constraint_line() {
    let manifest = format!("{QDRANT}constraints:\n  qdrant: \">=1.13\"\n");
    let out = Test::new()
        .file("hsm.yaml", &manifest)
        .args(["resolve"])
        .run();
    out.failure();
    assert_snapshot!("version_conflict", out.stderr);
    assert!(
        out.stderr
            .contains("hsm.yaml constrains `qdrant` to `>=1.13` (hsm.yaml:9)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_conflicts_rule() {
    let out = Test::new()
        .file(
            "hsm.yaml",
            "libraries:\n  standalone:\n    - faiss-cpu\n    - faiss-gpu\n",
        )
        .args(["resolve"])
        .run();
    out.failure();
    assert_snapshot!("conflicts_rule", out.stderr);
}

#[test]
fn json_output_for_a_stack_and_a_conflict() {
    let out = Test::new()
        .file("hsm.yaml", QDRANT)
        .args(["resolve", "--format", "json"])
        .run();
    out.success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "ok");
    let names: Vec<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["qdrant-adapter", "qdrant"]);
    assert_eq!(v["components"][1]["version"], "1.12.4");

    let out = Test::new()
        .file("hsm.yaml", TWO_PATHS)
        .args(["resolve", "--format", "json"])
        .run();
    out.failure();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "conflict");
    assert_eq!(v["clash"]["kind"], "group");
    assert_eq!(v["clash"]["group"], "vector-db-adapter");
    assert_snapshot!("group_conflict_json", out.stdout);
}

#[test]
fn check_validates_and_writes_nothing() {
    let t = Test::new().file("hsm.yaml", QDRANT).arg("check");
    let before = t.tree();
    let out = t.run();
    out.success();
    assert_snapshot!("check_ok", out.stdout);
    assert_eq!(t.tree(), before);

    let t = Test::new().file("hsm.yaml", TWO_PATHS).arg("check");
    let before = t.tree();
    t.run().failure();
    assert_eq!(t.tree(), before);
}

#[test]
fn merged_params_and_mode_and_profile_show_in_json() {
    let manifest = "\
libraries:
  standalone:
    - langgraph-checkpoint-postgres
    - {name: llama-index-docstore-postgres, mode: dev}
services:
  standalone:
    - {name: qdrant, profile: external}
";
    let out = Test::new()
        .file("hsm.yaml", manifest)
        .args(["resolve", "--format", "json"])
        .run();
    out.success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let find = |n: &str| {
        v["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        find("postgres")["params"]["db_name"],
        serde_json::json!(["langgraph", "docstore"])
    );
    assert_eq!(find("llama-index-docstore-postgres")["mode"], "dev");
    assert_eq!(find("qdrant")["profile"]["mode"], "external");
}

#[test]
fn check_locked_needs_a_current_lock() {
    let t = Test::new().file("hsm.yaml", QDRANT);
    let out = t.hsm(&["check", "--locked"]);
    out.failure();
    assert_snapshot!("check_locked_no_lock", out.stderr);
    t.hsm(&["sync", "--no-install"]).success();
    t.hsm(&["check", "--locked"]).success();
    std::fs::write(
        t.path().join("hsm.yaml"),
        QDRANT.replace("qdrant-adapter", "milvus-adapter"),
    )
    .unwrap();
    t.hsm(&["check", "--locked"]).failure();
}

#[test]
fn a_requirement_no_version_satisfies_blames_the_target() {
    let t = Test::new()
        .registry_file(
            "libraries/a.yaml",
            "name: a\nversion: 1.0.0\nrequires: {b: \">=5\"}\n",
        )
        .registry_file("libraries/b.yaml", "name: b\nversion: 1.0.0\n")
        .file("hsm.yaml", "libraries:\n  standalone: [a]\n");
    let out = t.hsm(&["resolve"]);
    out.failure();
    assert!(
        out.stderr
            .contains("no version of `b` satisfies every rule"),
        "{}",
        out.stderr
    );
    assert_snapshot!(out.stderr);
}
