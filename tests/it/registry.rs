//! Where the registry comes from, and the maintainer commands `registry test` / `lint`.

use crate::common;

use common::Test;

fn tiny_registry(t: Test, dir: &str, version: &str) -> Test {
    t.file(
        &format!("{dir}/libraries/tiny.yaml"),
        &format!("name: tiny\nversion: {version}\n"),
    )
}

const MANIFEST: &str = "libraries:\n  standalone: [tiny]\n";

fn version_of(out: &common::Output) -> String {
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["components"][0]["version"].as_str().unwrap().to_string()
}

#[test]
fn registry_flag_before_or_after_the_subcommand() {
    let t = tiny_registry(Test::new(), "reg", "1.0.0").manifest(MANIFEST);
    let before = t
        .args(["--registry", "reg", "resolve", "--format", "json"])
        .run();
    before.success();
    assert_eq!(version_of(&before), "1.0.0");
    let t = tiny_registry(Test::new(), "reg", "1.0.0").manifest(MANIFEST);
    let after = t
        .args(["resolve", "--format", "json", "--registry", "reg"])
        .run();
    after.success();
    assert_eq!(version_of(&after), "1.0.0");
}

#[test]
fn registry_location_order() {
    // Each more specific setting wins over the ones after it.
    let base = || {
        let t = tiny_registry(Test::new(), "flag", "1.0.0");
        let t = tiny_registry(t, "env", "2.0.0");
        let t = tiny_registry(t, "manifest", "3.0.0");
        tiny_registry(t, "hsm-registry", "4.0.0")
    };
    let with_manifest_key = format!("registry: manifest\n{MANIFEST}");
    let run = |t: Test| {
        let out = t.args(["resolve", "--format", "json"]).run();
        out.success();
        version_of(&out)
    };
    assert_eq!(
        run(base()
            .manifest(&with_manifest_key)
            .env("HSM_REGISTRY_PATH", "env")
            .args(["--registry", "flag"])),
        "1.0.0"
    );
    assert_eq!(
        run(base()
            .manifest(&with_manifest_key)
            .env("HSM_REGISTRY_PATH", "env")),
        "2.0.0"
    );
    assert_eq!(run(base().manifest(&with_manifest_key)), "3.0.0");
    assert_eq!(run(base().manifest(MANIFEST)), "4.0.0");
    // No registry anywhere: the built-in one (which has no `tiny`).
    let out = Test::new().manifest(MANIFEST).arg("check").run();
    out.failure();
    assert!(
        out.stderr
            .contains("no library `tiny` in the registry (<built-in>)"),
        "{}",
        out.stderr
    );
}

#[test]
fn directory_flag_runs_in_another_project() {
    let t =
        tiny_registry(Test::new(), "proj/hsm-registry", "1.2.3").file("proj/hsm.yaml", MANIFEST);
    let out = t.args(["--directory", "proj", "resolve"]).run();
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 1 component (1 library, 0 services) from registry proj/hsm-registry
      library  tiny  1.2.3  prod

    ----- stderr -----
    ");
}

#[test]
fn the_builtin_rule_suites_pass() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hsm"))
        .args([
            "registry",
            "test",
            "rules/",
            "--min-coverage",
            "100",
            "--mutate",
        ])
        .current_dir(root)
        .env_remove("HSM_REGISTRY_PATH")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    // Every rule covered, every mutant killed or documented as equivalent.
    assert!(
        stdout.contains("rule coverage of the built-in registry: 215 of 215 rules (100.0 %)"),
        "{stdout}"
    );
    assert!(stdout.contains(" 0 survived; score 100.0 %"), "{stdout}");
    let last = stdout.lines().find(|l| l.ends_with(" failed")).unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 40, "{last}");
    assert!(stdout.lines().filter(|l| l.starts_with("PASS  ")).count() == passed);
}

const SUITE: &str = "\
registry: ../reg
cases:
  - name: tiny is selected
    manifest:
      libraries: {standalone: [tiny]}
    expect:
      selected: [tiny]
      versions: {tiny: \"1.0.0\"}
  - name: a wrong expectation
    manifest:
      libraries: {standalone: [tiny]}
    expect:
      not_selected: [tiny]
      versions: {tiny: \">=2\"}
  - name: an expected conflict that does not happen
    manifest:
      libraries: {standalone: [tiny]}
    expect:
      conflict: [\"`tiny`\"]
  - name: an expected input error
    manifest:
      libraries: {standalone: [tiyn]}
    expect:
      error: [\"did you mean `tiny`?\"]
";

#[test]
fn scenario_failures_are_reported_per_case() {
    let t = tiny_registry(Test::new(), "reg", "1.0.0").file("suites/tiny.yaml", SUITE);
    let out = t.args(["registry", "test", "suites"]).run();
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----
    PASS  suites/tiny.yaml:3  tiny is selected
    FAIL  suites/tiny.yaml:9  a wrong expectation
            expected `tiny` not in the stack, but it is
            expected `tiny` at >=2, got 1.0.0
    FAIL  suites/tiny.yaml:15  an expected conflict that does not happen
            expected a conflict, but the stack solved
    PASS  suites/tiny.yaml:20  an expected input error
    2 passed, 2 failed

    ----- stderr -----
    ");
    assert!(out.stdout.ends_with("2 passed, 2 failed\n"));
}

#[test]
fn a_malformed_scenario_file_is_an_error_with_position() {
    let t = Test::new().file("rules/bad.yaml", "cases:\n  - name: x\n    expcet: {}\n");
    let out = t.args(["registry", "test"]).run();
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----
    0 passed, 1 failed

    ----- stderr -----
    error: unknown key `expcet` in `cases[0]` of rules/bad.yaml
       ╭─[rules/bad.yaml:3:5]
     2 │   - name: x
     3 │     expcet: {}
       ·     ───┬──
       ·        ╰── unknown key
       ╰────
      help: did you mean `expect`? (valid keys here: name, each, manifest, expect)
    ");
}

#[test]
fn lint_reports_broken_files_and_cycles() {
    // A broken file does not stop the other checks (more in tests/lint.rs).
    let service = |name: &str, other: &str| {
        format!(
            "name: {name}\nsources: {{prod: {{type: docker-image, image: \"{name}:1\"}}}}\nimplies: {{service:{other}: {{}}}}\n"
        )
    };
    let t = Test::new()
        .registry_file("services/a.yaml", &service("a", "b"))
        .registry_file("services/b.yaml", &service("b", "a"))
        .registry_file("libraries/broken.yaml", "name: broken\nversion: one\n")
        .registry_file(
            "library_groups/g.yaml",
            "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: [broken]\n",
        );
    let out = t.args(["registry", "lint"]).run();
    out.failure();
    hsm_snapshot!(out);
}

#[test]
fn implication_cycles_are_legal_in_a_solve() {
    let t = Test::new()
        .registry_file("services/a.yaml", "name: a\nimplies: {service:b: {}}\n")
        .registry_file("services/b.yaml", "name: b\nimplies: {service:a: {}}\n")
        .manifest("services:\n  standalone: [a]\n");
    let out = t.args(["resolve", "--explain"]).run();
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 2 components (0 libraries, 2 services) from registry hsm-registry
      service  a  -  prod
          ← hsm.yaml lists `a` in `services.standalone` (hsm.yaml:2)
      service  b  -  prod
          ← hsm.yaml lists `a` in `services.standalone` (hsm.yaml:2)
          ← `a` implies `b` (hsm-registry/services/a.yaml:2)

    ----- stderr -----
    ");
}

#[test]
fn the_builtin_registry_is_a_realistic_catalogue() {
    use hsm::internals::Definition;
    use hsm::internals::registry_model::SourceType;
    use hsm::{Category, Kind, Registry};

    let registry = Registry::builtin();
    let store = registry.store();
    let libraries = store.list(Category::Libraries);
    let services = store.list(Category::Services);
    assert!(
        libraries.len() + services.len() >= 30,
        "{} components",
        libraries.len() + services.len()
    );
    for name in &libraries {
        let c = registry.component(Kind::Library, name).unwrap().unwrap();
        let Definition::Library(def) = &c.definition else {
            unreachable!()
        };
        let dev = def
            .sources
            .dev
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no dev source"));
        assert_eq!(dev.kind, SourceType::Local, "{name}");
        assert_eq!(
            dev.path.as_deref(),
            Some(format!("packages/{name}").as_str()),
            "{name}"
        );
        assert_eq!(dev.editable, Some(true), "{name}");
        assert!(def.sources.prod.is_some(), "{name} has no prod source");
    }
    for name in &services {
        registry.component(Kind::Service, name).unwrap().unwrap();
    }
    let vdb = registry
        .group(Kind::Library, "vector-db-adapter")
        .unwrap()
        .unwrap();
    for option in ["qdrant-adapter", "milvus-adapter"] {
        assert!(vdb.option_index(option).is_some(), "{option}");
    }
    for group in ["vector-db", "cache", "message-broker", "llm-server"] {
        assert!(
            registry.group(Kind::Service, group).unwrap().is_some(),
            "{group}"
        );
    }
    // Milvus needs etcd and minio.
    let milvus = registry
        .component(Kind::Service, "milvus")
        .unwrap()
        .unwrap();
    let implied: Vec<String> = milvus
        .versions
        .last()
        .unwrap()
        .implies
        .iter()
        .map(|i| format!("{:?}", i.target))
        .collect();
    assert!(
        implied.iter().any(|t| t.contains("etcd")) && implied.iter().any(|t| t.contains("minio")),
        "{implied:?}"
    );
}
