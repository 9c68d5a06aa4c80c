//! `hsm resolve`, `hsm why` and `hsm check` on the built-in registry and small registries:
//! the stories from the rule-engine issue, as whole CLI runs with snapshots.

#[path = "../../benches/synth/chain.rs"]
mod chain;
use crate::common;

use chain::Shape;
use common::Test;

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
    let t = Test::new().manifest(QDRANT).args(["resolve", "--explain"]);
    let out = t.run();
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 2 components (1 library, 1 service) from registry <built-in>
      library  qdrant-adapter  1.12.1  prod
          ← hsm.yaml selects `qdrant-adapter` in choice group `vector-db-adapter` (hsm.yaml:7)
      service  qdrant          1.12.4  prod
          ← hsm.yaml selects `qdrant-adapter` in choice group `vector-db-adapter` (hsm.yaml:7)
          ← `qdrant-adapter` 1.12.1 requires `qdrant` `>=1.10, <2` (<built-in>/libraries/qdrant-adapter.yaml:13)

    ----- stderr -----
    ");
    assert!(out.stdout.contains("qdrant-adapter"));
    assert!(out.stdout.contains("service  qdrant"));
}

#[test]
fn why_names_every_rule_that_brings_a_component() {
    let out = Test::new().manifest(QDRANT).args(["why", "qdrant"]).run();
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    `qdrant` (service 1.12.4, prod) is in the stack because:
      - `qdrant-adapter` 1.12.1 requires `qdrant` `>=1.10, <2` (<built-in>/libraries/qdrant-adapter.yaml:13)
          because hsm.yaml selects `qdrant-adapter` in choice group `vector-db-adapter` (hsm.yaml:7)
      - option `qdrant-adapter` of choice group `vector-db-adapter` implies `qdrant` in choice group `vector-db` (<built-in>/library_groups/vector-db-adapter.yaml:9)
          because hsm.yaml selects `qdrant-adapter` in choice group `vector-db-adapter` (hsm.yaml:7)

    ----- stderr -----
    ");
}

#[test]
fn why_a_component_outside_the_stack() {
    let out = Test::new().manifest(QDRANT).args(["why", "milvus"]).run();
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `milvus` is not in the stack
      help: the stack has: qdrant-adapter, qdrant
    ");
    let out = Test::new().manifest(QDRANT).args(["why", "qdrnt"]).run();
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no component `qdrnt` in the registry (<built-in>)
      help: did you mean `qdrant`?
    ");
}

#[test]
fn constraints_ruling_out_the_newest_version_backtrack_to_an_older_one() {
    let manifest = format!("{QDRANT}constraints:\n  qdrant: \"<1.10\"\n");
    let out = Test::new().manifest(&manifest).args(["resolve"]).run();
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 2 components (1 library, 1 service) from registry <built-in>
      library  qdrant-adapter  1.9.0  prod
      service  qdrant          1.9.7  prod

    ----- stderr -----
    ");
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
    let t = Test::new().manifest(TWO_PATHS).args(["resolve"]);
    let out = t.run();
    out.failure();
    assert!(out.stdout.is_empty());
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      choice group `vector-db-adapter` holds one option, but the stack needs `qdrant-adapter` and `milvus-adapter`:

      - `langchain-qdrant` implies `qdrant-adapter` in choice group `vector-db-adapter` (<built-in>/libraries/langchain-qdrant.yaml:9)
          because hsm.yaml lists `langchain-qdrant` in `libraries.standalone` (hsm.yaml:5)

      - `langchain-milvus` implies `milvus-adapter` in choice group `vector-db-adapter` (<built-in>/libraries/langchain-milvus.yaml:9)
          because hsm.yaml lists `langchain-milvus` in `libraries.standalone` (hsm.yaml:6)

    hint: remove `langchain-qdrant` from `libraries.standalone` (hsm.yaml:5): `hsm library remove langchain-qdrant`
          the stack then solves, losing `langchain-qdrant`, `qdrant-adapter`, `qdrant`
    hint: remove `langchain-milvus` from `libraries.standalone` (hsm.yaml:6): `hsm library remove langchain-milvus`
          the stack then solves, losing `langchain-milvus`, `milvus-adapter`, `etcd`, `milvus`, `minio`
    ");
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
    // Ends with hints, each proven edit followed by what it does to the stack.
    let last = out.stderr.trim_end().lines().last().unwrap();
    assert!(last.starts_with("      the stack then solves"), "{last}");
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
    let out = Test::new().manifest(manifest).args(["resolve"]).run();
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      choice group `vector-db` holds one option, but the stack needs `milvus` and `qdrant`:

      - hsm.yaml selects `milvus` in choice group `vector-db` (hsm.yaml:6)

      - option `qdrant-adapter` of choice group `vector-db-adapter` implies `qdrant` in choice group `vector-db` (<built-in>/library_groups/vector-db-adapter.yaml:9)
          because hsm.yaml selects `qdrant-adapter` in choice group `vector-db-adapter` (hsm.yaml:3)

    hint: select `milvus-adapter` instead of `qdrant-adapter` in group `vector-db-adapter` (hsm.yaml:3): `hsm group add vector-db-adapter --option milvus-adapter`
          the stack then solves, gaining `milvus-adapter` and losing `qdrant-adapter`, `qdrant`
    hint: remove group `vector-db-adapter` (hsm.yaml:3): `hsm group remove vector-db-adapter`
          the stack then solves, losing `qdrant-adapter`, `qdrant`
    hint: select `qdrant` instead of `milvus` in group `vector-db` (hsm.yaml:6): `hsm group add vector-db --option qdrant`
          the stack then solves, losing `etcd`, `milvus`, `minio`
    hint: remove group `vector-db` (hsm.yaml:6): `hsm group remove vector-db`
          the stack then solves, losing `etcd`, `milvus`, `minio`
    ");
    assert!(
        out.stderr
            .contains("hsm group add vector-db-adapter --option milvus-adapter")
    );
}

#[test]
fn a_version_conflict_cites_the_constraint_line() {
    let manifest = format!("{QDRANT}constraints:\n  qdrant: \">=1.13\"\n");
    let out = Test::new().manifest(&manifest).args(["resolve"]).run();
    out.failure();
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      no version of `qdrant` satisfies every rule on it:

      - option `qdrant-adapter` of choice group `vector-db-adapter` implies `qdrant` in choice group `vector-db` (<built-in>/library_groups/vector-db-adapter.yaml:9)
          because hsm.yaml selects `qdrant-adapter` in choice group `vector-db-adapter` (hsm.yaml:7)

      - hsm.yaml constrains `qdrant` to `>=1.13` (hsm.yaml:9)

    hint: delete the constraint `qdrant: ">=1.13"` from `constraints:` (hsm.yaml:9)
          the stack then solves, with `qdrant` 1.12.4
    hint: select `chroma-adapter` instead of `qdrant-adapter` in group `vector-db-adapter` (hsm.yaml:7): `hsm group add vector-db-adapter --option chroma-adapter`
          the stack then solves, gaining `chroma-adapter`, `chroma` and losing `qdrant-adapter`, `qdrant`
    hint: select `weaviate-adapter` instead of `qdrant-adapter` in group `vector-db-adapter` (hsm.yaml:7): `hsm group add vector-db-adapter --option weaviate-adapter`
          the stack then solves, gaining `weaviate-adapter`, `weaviate` and losing `qdrant-adapter`, `qdrant`
    hint: select `elasticsearch-adapter` instead of `qdrant-adapter` in group `vector-db-adapter` (hsm.yaml:7): `hsm group add vector-db-adapter --option elasticsearch-adapter`
          the stack then solves, gaining `elasticsearch-adapter`, `elasticsearch` and losing `qdrant-adapter`, `qdrant`
    hint: 3 more edits also work; `--format json` lists every one
    "#);
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
        .manifest("libraries:\n  standalone:\n    - faiss-cpu\n    - faiss-gpu\n")
        .args(["resolve"])
        .run();
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      `faiss-cpu` and `faiss-gpu` cannot be in the stack together:

      - `faiss-cpu` conflicts with `faiss-gpu` (<built-in>/libraries/faiss-cpu.yaml:8)
          because hsm.yaml lists `faiss-cpu` in `libraries.standalone` (hsm.yaml:3)

      - hsm.yaml lists `faiss-gpu` in `libraries.standalone` (hsm.yaml:4)

    hint: remove `faiss-cpu` from `libraries.standalone` (hsm.yaml:3): `hsm library remove faiss-cpu`
          the stack then solves, losing `faiss-cpu`
    hint: remove `faiss-gpu` from `libraries.standalone` (hsm.yaml:4): `hsm library remove faiss-gpu`
          the stack then solves, losing `faiss-gpu`
    ");
}

#[test]
fn json_output_for_a_stack_and_a_conflict() {
    let out = Test::new()
        .manifest(QDRANT)
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
        .manifest(TWO_PATHS)
        .args(["resolve", "--format", "json"])
        .run();
    out.failure();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "conflict");
    assert_eq!(v["clash"]["kind"], "group");
    assert_eq!(v["clash"]["group"], "vector-db-adapter");
    hsm_snapshot!("group_conflict_json", out);
}

#[test]
fn check_validates_and_writes_nothing() {
    let t = Test::new().manifest(QDRANT).arg("check");
    let before = t.tree();
    let out = t.run();
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    hsm.yaml is valid: 2 components (1 library, 1 service) resolve from registry <built-in>

    ----- stderr -----
    ");
    assert_eq!(t.tree(), before);

    let t = Test::new().manifest(TWO_PATHS).arg("check");
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
        .manifest(manifest)
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
    let t = Test::new().manifest(QDRANT);
    let out = t.hsm(&["check", "--locked"]);
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
    t.hsm(&["check", "--locked"]).success();
    std::fs::write(
        t.path().join("hsm.yaml"),
        QDRANT.replace("qdrant-adapter", "milvus-adapter"),
    )
    .unwrap();
    t.hsm(&["check", "--locked"]).failure();
}

#[test]
fn a_requirement_no_version_satisfies_makes_its_owner_impossible() {
    let t = Test::new()
        .registry_file(
            "libraries/a.yaml",
            "name: a\nversion: 1.0.0\nrequires: {b: \">=5\"}\n",
        )
        .registry_file("libraries/b.yaml", "name: b\nversion: 1.0.0\n")
        .manifest("libraries:\n  standalone: [a]\n");
    let out = t.hsm(&["resolve"]);
    out.failure();
    assert!(
        out.stderr
            .contains("`a` can never be in a stack: no stack satisfies its own rules"),
        "{}",
        out.stderr
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      `a` can never be in a stack: no stack satisfies its own rules:

      - `a` requires `b` `>=5`, but `b` has only 1.0.0 (hsm-registry/libraries/a.yaml:3)
          because hsm.yaml lists `a` in `libraries.standalone` (hsm.yaml:2)

    hint: `a` can never be in a stack, whatever hsm.yaml says (hsm-registry/libraries/a.yaml:1): fix its rules in the registry (`hsm registry lint` finds every such component)
    hint: remove `a` from `libraries.standalone` (hsm.yaml:2): `hsm library remove a`
          the stack then solves, losing `a`, `b`
    ");
}

// ------------------------------------------------------------------------------ deep stacks

/// Address space (MiB) a command on a stack of 20 000 components may use. The linear
/// implementation needs about 150 MiB; the quadratic one it replaced (every component
/// storing its whole chain of reasons) needed tens of gigabytes for this stack, so a
/// regression fails here on memory (deterministically) instead of on time.
const DEEP_STACK_MIB: u64 = 1024;

/// How many rules of a chain `resolve --explain` always prints (`solve::selection::CHAIN_STEPS`).
const CHAIN_STEPS: usize = 8;

fn deep_project(shape: Shape, n: usize) -> Test {
    shape
        .files(n)
        .into_iter()
        .fold(Test::new().manifest(&shape.manifest()), |t, (rel, text)| {
            t.registry_file(&rel, &text)
        })
}

/// `resolve --explain` as `(component, chain lines)`, in the order printed.
fn explained(stdout: &str) -> Vec<(&str, Vec<&str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for line in stdout.lines().skip(1) {
        match line.strip_prefix("      ← ") {
            Some(step) => out.last_mut().unwrap().1.push(step),
            None => out.push((line.split_whitespace().nth(1).unwrap(), Vec::new())),
        }
    }
    out
}

/// "`c7` 1.0.0 implies `c8` (…)" → ("c7", "c8").
fn implication(step: &str) -> Option<(&str, &str)> {
    let (from, rest) = step.strip_prefix('`')?.split_once('`')?;
    let to = rest.split_once("implies `")?.1.split_once('`')?.0;
    Some((from, to))
}

#[test]
fn a_chain_of_twenty_thousand_implications_stays_linear() {
    const N: usize = 20_000;
    let t = deep_project(Shape::Chain, N);
    let last = format!("c{N}");

    // Every component with its chain; short chains in full, exactly as before.
    let out = t.hsm_within(DEEP_STACK_MIB, &["resolve", "--explain"]);
    out.success();
    assert!(
        out.stdout
            .starts_with("Resolved 20000 components (20000 libraries, 0 services)"),
        "{}",
        &out.stdout[..200]
    );
    let rows = explained(&out.stdout);
    assert_eq!(rows.len(), N);
    let c3 = &rows.iter().find(|(name, _)| *name == "c3").unwrap().1;
    assert_eq!(c3.len(), 3, "{c3:#?}");
    assert_eq!(
        c3[0],
        "hsm.yaml lists `c1` in `libraries.standalone` (hsm.yaml:5)"
    );
    assert_eq!(implication(c3[1]), Some(("c1", "c2")));
    assert_eq!(implication(c3[2]), Some(("c2", "c3")));
    // A long chain prints its nearest rules, then stops at a component whose chain is
    // already above: each chain is unbroken, and the listing stays linear.
    let mut shown: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut cut = 0;
    for (name, steps) in &rows {
        let (first, rest) = steps.split_first().unwrap();
        let mut at = match first.strip_prefix("… (the chain to `") {
            Some(above) => {
                let above = above.strip_suffix("` is shown above)").unwrap();
                assert!(
                    shown.contains(above),
                    "`{name}` points up to `{above}`, not above"
                );
                assert!(rest.len() >= CHAIN_STEPS, "`{name}` cut early: {steps:#?}");
                cut += 1;
                above
            }
            None => {
                assert_eq!(*first, c3[0], "{name}");
                "c1"
            }
        };
        shown.insert(at);
        for step in rest {
            let (from, to) = implication(step).unwrap_or_else(|| panic!("{name}: {step}"));
            assert_eq!(from, at, "`{name}`: chain broken at {step}");
            at = to;
            shown.insert(at);
        }
        assert_eq!(at, *name);
    }
    assert!(cut > N / 2, "only {cut} chains were cut");
    // At most CHAIN_STEPS + 2 lines per component, plus each rule once past that.
    let lines: usize = rows.iter().map(|(_, steps)| steps.len()).sum();
    assert!(lines < (CHAIN_STEPS + 3) * N, "{lines} lines of reasons");

    // `why` prints one whole chain: every rule from hsm.yaml to the last component.
    let out = t.hsm_within(DEEP_STACK_MIB, &["why", &last]);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), N + 1);
    assert_eq!(
        implication(lines[1].trim_start_matches("  - ")),
        Some(("c19999", "c20000"))
    );
    assert_eq!(
        lines[N],
        "      because hsm.yaml lists `c1` in `libraries.standalone` (hsm.yaml:5)"
    );

    let out = t.hsm_within(DEEP_STACK_MIB, &["list"]);
    out.success();
    assert_eq!(out.stdout.matches("[library]").count(), N - 1);

    let out = t.hsm_within(DEEP_STACK_MIB, &["graph"]);
    out.success();
    assert_eq!(out.stdout.matches("implies").count(), N - 1);

    let out = t.hsm_within(DEEP_STACK_MIB, &["sync", "--no-install"]);
    out.success();
    let lock = t.read("hsm.lock");
    assert_eq!(lock.matches("[[component]]").count(), N);
    assert!(lock.contains(&format!(
        "name = \"{last}\"\nkind = \"library\"\nversion = \"1.0.1\"\nmode = \"prod\"\nsource = \"prod: pypi >=1\"\nreason = \"`c19999` 1.0.0 implies `{last}`\"\n"
    )), "{}", &lock[lock.len() - 400..]);
    let pyproject = t.read("pyproject.toml");
    assert_eq!(pyproject.matches(">=1\"").count(), N, "one dependency each");
    assert!(pyproject.contains(&format!("\"py-{last}>=1\"")));

    let out = t.hsm_within(DEEP_STACK_MIB, &["check", "--locked"]);
    out.success();
    assert!(out.stdout.contains("20000 components"), "{}", out.stdout);
}

/// The other shapes, smaller (a run of the debug binary costs seconds per 10 000
/// components): still far past the memory limit if quadratic, as the chain was at 4 000.
#[test]
fn deep_group_and_service_chains_and_a_wide_fan_stay_linear() {
    const N: usize = 5_000;

    // cK implies `library_group:gK: c(K+1)`: every other step is a group.
    let t = deep_project(Shape::GroupChain, N);
    let out = t.hsm_within(DEEP_STACK_MIB, &["resolve", "--explain"]);
    out.success();
    let rows = explained(&out.stdout);
    assert_eq!(rows.len(), N);
    let lines: usize = rows.iter().map(|(_, steps)| steps.len()).sum();
    assert!(lines < (CHAIN_STEPS + 3) * N, "{lines} lines of reasons");
    let c3 = &rows.iter().find(|(name, _)| *name == "c3").unwrap().1;
    assert_eq!(
        c3[1..],
        [
            "`c1` 1.0.1 implies `c2` in choice group `g1` (hsm-registry/libraries/c1.yaml:7)",
            "`c2` 1.0.2 implies `c3` in choice group `g2` (hsm-registry/libraries/c2.yaml:7)",
        ]
    );
    t.hsm_within(DEEP_STACK_MIB, &["sync", "--no-install"])
        .success();
    let lock = t.read("hsm.lock");
    assert_eq!(lock.matches("[[group]]").count(), N - 1);
    assert!(
        lock.contains("reason = \"`c4999` 1.0.1 implies `c5000` in choice group `g4999`\""),
        "{}",
        &lock[lock.len() - 400..]
    );

    // sK implies sK+1: compose `depends_on` is a chain of services.
    let t = deep_project(Shape::ServiceChain, N);
    t.hsm_within(DEEP_STACK_MIB, &["sync", "--no-install"])
        .success();
    let compose = t.read("docker-compose.hsm.yml");
    assert_eq!(compose.matches("depends_on:").count(), N - 1);
    assert!(
        compose.contains("  s1:\n    image: example/s1:1\n    depends_on:\n      s2:\n        condition: service_started\n"),
        "{}",
        &compose[..400]
    );

    // c1 implies each of c2 … cN: one component with N - 1 rules.
    let t = deep_project(Shape::Fan, N);
    let out = t.hsm_within(DEEP_STACK_MIB, &["resolve", "--explain"]);
    out.success();
    let rows = explained(&out.stdout);
    assert_eq!(rows.len(), N);
    for (name, steps) in &rows[1..] {
        assert_eq!(steps.len(), 2, "{name}: {steps:#?}");
        assert_eq!(implication(steps[1]), Some(("c1", *name)));
    }
    let out = t.hsm_within(DEEP_STACK_MIB, &["why", "c1"]);
    out.success();
    assert_eq!(
        out.stdout.lines().nth(1),
        Some("  - hsm.yaml lists `c1` in `libraries.standalone` (hsm.yaml:5)")
    );
}
