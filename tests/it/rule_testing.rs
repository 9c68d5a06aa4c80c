//! `hsm registry test --coverage / --mutate / --junit / --filter`, and what scenario files
//! can say (`each:`, `groups:`, `profiles:`, `explain:`, `hints:`, `equivalent_mutants:`).

use crate::common;

use common::Test;

/// A registry with rules no case exercises (`unused`, `plugin`, `other`, db 1.0.0, db's
/// external profile, the client default) and rules a weak case exercises without checking
/// (app's requires, conflicts and implies).
fn planted() -> Test {
    Test::new()
        .file(
            "reg/libraries/app.yaml",
            "name: app\nversion: 1.0.0\nrequires: {db: \">=1\"}\nconflicts: [other]\nimplies:\n  service:db: {params: {db_name: app}}\n",
        )
        .file("reg/libraries/other.yaml", "name: other\nversion: 1.0.0\n")
        .file("reg/libraries/unused.yaml", "name: unused\nversion: 0.1.0\n")
        .file(
            "reg/libraries/plugin.yaml",
            "name: plugin\nversion: 2.0.0\nimplies:\n  library_group:client:\n",
        )
        .file(
            "reg/services/db.yaml",
            "name: db\nversions:\n  - {version: 1.0.0}\n  - {version: 2.0.0}\nsources:\n  prod: {type: docker-image, image: \"db:2\"}\ndeployment_profiles:\n  default: {mode: managed, runtime: docker}\n  external: {mode: external, runtime: docker}\n",
        )
        .file(
            "reg/library_groups/client.yaml",
            "name: client\ntype: library_group\nstrategy: 1-of-N\ndefault: app\noptions:\n  - name: app\n  - name: other\n",
        )
}

const WEAK: &str = "\
registry: ../reg
cases:
  - name: the app client is selected
    manifest:
      libraries:
        groups:
          client: {selection: app}
    expect:
      selected: [app]
";

#[test]
fn coverage_lists_exactly_the_rules_no_case_made_matter() {
    let t = planted().file("suites/weak.yaml", WEAK);
    let out = t.args(["registry", "test", "suites", "--coverage"]).run();
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    PASS  suites/weak.yaml:3  the app client is selected
    1 passed, 0 failed

    rule coverage of reg: 7 of 15 rules (46.7 %)
      group options           1 of 2    (50.0 %)
      component versions      2 of 6    (33.3 %)
      implies                 1 of 2    (50.0 %)
      requires                1 of 1    (100.0 %)
      conflicts               1 of 1    (100.0 %)
      group defaults          0 of 1    (0.0 %)
      deployment profiles     1 of 2    (50.0 %)
    uncovered rules (no case made them matter):
      reg/libraries/other.yaml:2  version 1.0.0 of library `other`
      reg/libraries/plugin.yaml:2  version 2.0.0 of library `plugin`
      reg/libraries/plugin.yaml:4  library `plugin` implies library group `client` (its default option)
      reg/libraries/unused.yaml:2  version 0.1.0 of library `unused`
      reg/library_groups/client.yaml:4  default `app` of library group `client`
      reg/library_groups/client.yaml:7  option `other` of library group `client`
      reg/services/db.yaml:3  version 1.0.0 of service `db`
      reg/services/db.yaml:9  deployment profile `external` of service `db`

    ----- stderr -----
    ");
    let t = planted().file("suites/weak.yaml", WEAK);
    let out = t
        .args(["registry", "test", "suites", "--min-coverage", "50"])
        .run();
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----
    PASS  suites/weak.yaml:3  the app client is selected
    1 passed, 0 failed

    rule coverage of reg: 7 of 15 rules (46.7 %)
      group options           1 of 2    (50.0 %)
      component versions      2 of 6    (33.3 %)
      implies                 1 of 2    (50.0 %)
      requires                1 of 1    (100.0 %)
      conflicts               1 of 1    (100.0 %)
      group defaults          0 of 1    (0.0 %)
      deployment profiles     1 of 2    (50.0 %)
    uncovered rules (no case made them matter):
      reg/libraries/other.yaml:2  version 1.0.0 of library `other`
      reg/libraries/plugin.yaml:2  version 2.0.0 of library `plugin`
      reg/libraries/plugin.yaml:4  library `plugin` implies library group `client` (its default option)
      reg/libraries/unused.yaml:2  version 0.1.0 of library `unused`
      reg/library_groups/client.yaml:4  default `app` of library group `client`
      reg/library_groups/client.yaml:7  option `other` of library group `client`
      reg/services/db.yaml:3  version 1.0.0 of service `db`
      reg/services/db.yaml:9  deployment profile `external` of service `db`
    error: rule coverage 46.7 % is below --min-coverage 50

    ----- stderr -----
    ");
    assert!(
        out.stdout
            .contains("error: rule coverage 46.7 % is below --min-coverage 50"),
        "{}",
        out.stdout
    );
    let t = planted().file("suites/weak.yaml", WEAK);
    let json = t
        .args([
            "registry",
            "test",
            "suites",
            "--coverage",
            "--format",
            "json",
        ])
        .run();
    json.success();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let cov = &v["registries"][0]["coverage"];
    assert_eq!(
        (cov["covered"].as_u64(), cov["total"].as_u64()),
        (Some(7), Some(15))
    );
    assert_eq!(cov["uncovered"].as_array().unwrap().len(), 8);
    assert_eq!(cov["uncovered"][0]["file"], "reg/libraries/other.yaml");
}

#[test]
fn mutation_lists_exactly_the_changes_no_case_notices() {
    let t = planted().file("suites/weak.yaml", WEAK);
    let out = t.args(["registry", "test", "suites", "--mutate"]).run();
    out.failure();
    insta::with_settings!({filters => vec![(r"\(\d+\.\d+ s\)", "([time] s)")]}, {
        hsm_snapshot!(out, @"
        success: false
        exit_code: 1
        ----- stdout -----
        PASS  suites/weak.yaml:3  the app client is selected
        1 passed, 0 failed

        mutation testing of reg: 8 mutants, 1 killed, 0 equivalent, 7 survived; score 12.5 % ([time] s)
          not made: 1 change that cannot alter any stack (a default no rule reads, a range that would admit the same versions)
        surviving mutants (no case fails when the rule changes):
          reg/libraries/app.yaml:3  library `app` requires `db` >=1: narrowed to >=1, <2.0.0
          reg/libraries/app.yaml:4  library `app` conflicts with `other`: dropped
          reg/libraries/app.yaml:6  library `app` implies service `db` with params db_name=app: dropped
          reg/libraries/plugin.yaml:4  library `plugin` implies library group `client` (its default option): dropped
          reg/library_groups/client.yaml:3  library group `client` (1-of-N): made M-of-N
          reg/library_groups/client.yaml:4  default `app` of library group `client`: changed to `other`
          reg/library_groups/client.yaml:7  option `other` of library group `client`: removed
          help: add a case that fails with the change, or, if no stack can change, list it under `equivalent_mutants:` with the reason

        ----- stderr -----
        ");
    });
}

/// The weak suite made strong: every rule checked, the one mutant no stack can tell
/// apart documented, and a stale entry warned about.
const STRONG: &str = "\
registry: ../reg
cases:
  - name: each client option alone
    each: {group: client}
    manifest:
      libraries:
        groups:
          client: {selection: \"{option}\"}
    expect:
      selected: [\"{option}\"]
      groups: {client: \"{option}\"}
  - name: the app brings the newest db with its database
    manifest:
      libraries:
        standalone: [app]
    expect:
      versions: {db: \"2.0.0\"}
      explain: {db: [\"`app` 1.0.0 requires `db`\"]}
  - name: db 1 on its own, external
    manifest:
      services:
        standalone: [{name: db, profile: external}]
      constraints: {db: \"=1.0.0\"}
    expect:
      versions: {db: \"1.0.0\"}
      profiles: {db: external}
  - name: app and other cannot be together
    manifest:
      libraries:
        standalone: [app, other]
    expect:
      conflict: [\"`app` conflicts with `other`\"]
      hints: [\"hsm library remove other\"]
  - name: the plugin takes the client default
    manifest:
      libraries:
        standalone: [plugin]
    expect:
      groups: {client: app}
  - name: the client group holds one option
    manifest:
      libraries:
        standalone: [plugin]
        groups:
          client: {selection: other}
    expect:
      groups: {client: other}
      not_selected: [app]
  - name: unused
    manifest:
      libraries:
        standalone: [unused]
    expect:
      versions: {unused: \"0.1.0\"}
equivalent_mutants:
  - mutant: \"library `app` implies service `db` with params db_name=app: dropped\"
    reason: app requires db too, so every stack with app holds db; the params only reach db's env
  - mutant: \"a mutant that does not exist\"
    reason: stale
";

#[test]
fn a_strong_suite_covers_every_rule_and_kills_every_mutant() {
    let t = planted().file("suites/strong.yaml", STRONG);
    let out = t
        .args([
            "registry",
            "test",
            "suites",
            "--coverage",
            "--mutate",
            "--min-coverage",
            "100",
        ])
        .run();
    insta::with_settings!({filters => vec![(r"\(\d+\.\d+ s\)", "([time] s)")]}, {
        hsm_snapshot!(out, @"
        success: true
        exit_code: 0
        ----- stdout -----
        PASS  suites/strong.yaml:3  each client option alone [app]
        PASS  suites/strong.yaml:3  each client option alone [other]
        PASS  suites/strong.yaml:12  the app brings the newest db with its database
        PASS  suites/strong.yaml:19  db 1 on its own, external
        PASS  suites/strong.yaml:27  app and other cannot be together
        PASS  suites/strong.yaml:34  the plugin takes the client default
        PASS  suites/strong.yaml:40  the client group holds one option
        PASS  suites/strong.yaml:49  unused
        8 passed, 0 failed

        rule coverage of reg: 15 of 15 rules (100.0 %)
          group options           2 of 2    (100.0 %)
          component versions      6 of 6    (100.0 %)
          implies                 2 of 2    (100.0 %)
          requires                1 of 1    (100.0 %)
          conflicts               1 of 1    (100.0 %)
          group defaults          1 of 1    (100.0 %)
          deployment profiles     2 of 2    (100.0 %)

        mutation testing of reg: 8 mutants, 7 killed, 1 equivalent, 0 survived; score 100.0 % ([time] s)
          not made: 1 change that cannot alter any stack (a default no rule reads, a range that would admit the same versions)
        equivalent mutants (declared in `equivalent_mutants:`):
          reg/libraries/app.yaml:6  library `app` implies service `db` with params db_name=app: dropped
              because app requires db too, so every stack with app holds db; the params only reach db's env
        warning: `equivalent_mutants:` names a mutant that does not survive (or does not exist): a mutant that does not exist

        ----- stderr -----
        ");
    });
}

#[test]
fn filter_runs_the_cases_whose_name_contains_it() {
    let t = planted().file("suites/strong.yaml", STRONG);
    let out = t
        .args(["registry", "test", "suites", "--filter", "client option"])
        .run();
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    PASS  suites/strong.yaml:3  each client option alone [app]
    PASS  suites/strong.yaml:3  each client option alone [other]
    2 passed, 0 failed

    ----- stderr -----
    ");
}

#[test]
fn new_expectations_say_what_they_found() {
    let suite = "\
registry: ../reg
cases:
  - name: wrong group, profile, reasons and hints
    manifest:
      libraries:
        groups:
          client: {selection: app}
    expect:
      groups: {client: other}
      profiles: {db: external}
      explain: {db: [\"implied by nothing\"]}
  - name: hints that are not there
    manifest:
      libraries:
        standalone: [app, other]
    expect:
      hints: [\"hsm do-magic\"]
  - name: each over a misspelt group
    each: {group: clinet}
    manifest: {}
  - name: each over a path
    each: {versions: ../../etc/passwd}
    manifest: {}
";
    let two = "cases:\n  - name: each with two keys\n    each: {group: client, values: [a]}\n";
    let t = planted()
        .file("suites/s.yaml", suite)
        .file("suites/t.yaml", two);
    let out = t.args(["registry", "test", "suites"]).run();
    out.failure();
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----
    FAIL  suites/s.yaml:3  wrong group, profile, reasons and hints
            expected group `client` to hold `other`, but it holds `app`
            expected `db` on profile `external`, got `default`
            the reason for `db` does not mention "implied by nothing"; it says:
              ← hsm.yaml selects `app` in choice group `client` (hsm.yaml:4)
              ← `app` 1.0.0 requires `db` `>=1` (reg/libraries/app.yaml:3)
    FAIL  suites/s.yaml:12  hints that are not there
            no hint mentions "hsm do-magic"; they say:
              hint: remove `other` from `libraries.standalone` (hsm.yaml:4): `hsm library remove other`
                    the stack then solves, losing `other`
              hint: remove `app` from `libraries.standalone` (hsm.yaml:3): `hsm library remove app`
                    the stack then solves, losing `app`, `db`
    0 passed, 5 failed

    ----- stderr -----
    error: no library group `clinet` in the registry (reg)
        ╭─[suites/s.yaml:19:5]
     18 │   - name: each over a misspelt group
     19 │     each: {group: clinet}
        ·     ──┬─
        ·       ╰── unknown library group
     20 │     manifest: {}
        ╰────
      help: did you mean `client`?
    error: `../../etc/passwd` is not a valid component or group name
        ╭─[suites/s.yaml:22:5]
     21 │   - name: each over a path
     22 │     each: {versions: ../../etc/passwd}
        ·     ──┬─
        ·       ╰── invalid name
     23 │     manifest: {}
        ╰────
      help: names may use letters, digits, `-`, `_` and `.`, must start with a letter or digit, and may not contain `..` or `/`
    error: `each` takes exactly one of `group`, `versions` and `values`
       ╭─[suites/t.yaml:3:5]
     2 │   - name: each with two keys
     3 │     each: {group: client, values: [a]}
       ·     ────
       ╰────
      help: write `each: {group: NAME}`, `each: {versions: NAME}` or `each: {values: [a, b]}`
    "#);
}

#[test]
fn junit_output_validates_against_the_junit_schema() {
    let Some(xmllint) = common::require("xmllint") else {
        return;
    };
    let Some(xsd) = std::env::var_os("HSM_TEST_JUNIT_XSD") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set HSM_TEST_JUNIT_XSD"
        );
        eprintln!(
            "skipped: junit_output_validates_against_the_junit_schema needs HSM_TEST_JUNIT_XSD"
        );
        return;
    };
    let suite = format!(
        "{WEAK}  - name: a failing case with <xml> & \"quotes\"\n    manifest: {{libraries: {{standalone: [app]}}}}\n    expect: {{selected: [nothing]}}\n"
    );
    let t = planted()
        .file("suites/weak.yaml", &suite)
        .file("suites/broken.yaml", "cases: [\n")
        .args(["registry", "test", "suites", "--junit", "out/report.xml"]);
    let out = t.run();
    out.failure();
    let report = t.path().join("out/report.xml");
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(
        xml.contains("tests=\"3\" failures=\"1\" errors=\"1\""),
        "{xml}"
    );
    let check = std::process::Command::new(xmllint)
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}\n{xml}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn a_registry_layered_over_the_built_in_one_is_tested_alone() {
    // The project's registries: `reg`, then the built-in one; the suite names none.
    let suite = WEAK.replace("registry: ../reg\n", "");
    let t = planted()
        .manifest("registries: [reg]\n")
        .file("suites/weak.yaml", &suite)
        .args([
            "registry",
            "test",
            "suites",
            "--coverage",
            "--mutate",
            "--format",
            "json",
        ]);
    let out = t.run();
    out.failure();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let tested = &v["registries"][0];
    assert_eq!(tested["registry"], "reg + <built-in>", "{}", out.stdout);
    // Only reg's rules and mutants: the built-in registry's are hsm's own to test.
    assert_eq!(tested["coverage"]["total"], 15, "{}", out.stdout);
    assert_eq!(tested["mutation"]["mutants"], 8, "{}", out.stdout);
    assert_eq!(tested["coverage"]["unread_defaults"], serde_json::json!([]));
}

#[test]
fn each_version_of_a_component_is_a_case() {
    let suite = "\
registry: ../reg
cases:
  - name: db alone at each version
    each: {versions: db}
    manifest:
      services: {standalone: [db]}
      constraints: {db: \"={version}\"}
    expect:
      versions: {db: \"{version}\"}
  - name: a component without versions has no case
    each: {versions: plain}
    manifest: {}
";
    let t = planted()
        .file("reg/libraries/plain.yaml", "name: plain\n")
        .file("suites/v.yaml", suite)
        .args(["registry", "test", "suites"]);
    let out = t.run();
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----
    PASS  suites/v.yaml:3  db alone at each version [1.0.0]
    PASS  suites/v.yaml:3  db alone at each version [2.0.0]
    2 passed, 1 failed

    ----- stderr -----
    error: `plain` declares no version, so `each: {versions: plain}` has no case
        ╭─[suites/v.yaml:11:5]
     10 │   - name: a component without versions has no case
     11 │     each: {versions: plain}
        ·     ────
     12 │     manifest: {}
        ╰────
      help: add versions to the component, or list the values with `each: {values: [...]}`
    ");
}
