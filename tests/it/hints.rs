//! Proven hints: each conflict class of the hints issue, as a whole CLI run. Every hint
//! `hsm resolve --format json` prints is followed literally, command by command, in a
//! fresh copy of the project, and the stack must then solve. The text reports are pinned
//! by snapshots (each must cite file:line, use no solver words, and be the same twice).

use crate::common;

use common::Test;

/// One registry holding a small example of every class.
fn registry() -> Test {
    Test::new()
        // An M-of-N group whose first two options conflict.
        .registry_file(
            "library_groups/tools.yaml",
            "name: tools\ntype: library_group\nstrategy: M-of-N\noptions:\n  - name: ta\n  - name: tb\n  - name: tc\n",
        )
        .registry_file("libraries/ta.yaml", "name: ta\nversion: 1.0.0\nconflicts: [tb]\n")
        .registry_file("libraries/tb.yaml", "name: tb\nversion: 1.0.0\n")
        .registry_file("libraries/tc.yaml", "name: tc\nversion: 1.0.0\n")
        // A component that implies what it conflicts with.
        .registry_file(
            "libraries/selfish.yaml",
            "name: selfish\nversion: 1.0.0\nimplies:\n  service:db: {}\nconflicts: [db]\n",
        )
        // A service with an external profile, which brings nothing.
        .registry_file(
            "services/db.yaml",
            "name: db\nversion: 2.0.0\nversions:\n  - {version: 1.0.0}\n  - {version: 2.0.0}\ndeployment_profiles:\n  default: {mode: managed}\n  ext: {mode: external}\nimplies:\n  service:cache: {}\n",
        )
        .registry_file("services/cache.yaml", "name: cache\nversion: 1.0.0\n")
        .registry_file("libraries/nocache.yaml", "name: nocache\nversion: 1.0.0\nconflicts: [cache]\n")
        .registry_file("libraries/app.yaml", "name: app\nversion: 1.0.0\nrequires: {db: \">=2\"}\n")
        // A 1-of-N group demanded three ways, and once without an option.
        .registry_file(
            "service_groups/store.yaml",
            "name: store\ntype: service_group\nstrategy: 1-of-N\ndefault: s1\noptions:\n  - name: s1\n  - name: s2\n  - name: s3\n",
        )
        .registry_file("services/s1.yaml", "name: s1\nversion: 1.0.0\n")
        .registry_file("services/s2.yaml", "name: s2\nversion: 1.0.0\n")
        .registry_file("services/s3.yaml", "name: s3\nversion: 1.0.0\n")
        .registry_file("libraries/u1.yaml", "name: u1\nversion: 1.0.0\nimplies:\n  service_group:store: s1\n")
        .registry_file("libraries/u2.yaml", "name: u2\nversion: 1.0.0\nimplies:\n  service_group:store: s2\n")
        .registry_file("libraries/u3.yaml", "name: u3\nversion: 1.0.0\nimplies:\n  service_group:store: s3\n")
        .registry_file("libraries/ud.yaml", "name: ud\nversion: 1.0.0\nimplies:\n  service_group:store: null\n")
        .registry_file("libraries/hate.yaml", "name: hate\nversion: 1.0.0\nconflicts: [s1, s2, s3]\n")
        // Both sides from one entry.
        .registry_file(
            "libraries/dia.yaml",
            "name: dia\nversion: 1.0.0\nimplies:\n  library:u1: {}\n  library:u2: {}\n",
        )
        // Every version ruled out, each by its own rule.
        .registry_file(
            "libraries/multi.yaml",
            "name: multi\nversion: 3.0.0\nversions:\n  - {version: 1.0.0, requires: {db: \"<1\"}}\n  - {version: 2.0.0, conflicts: [tc]}\n  - {version: 3.0.0, requires: {db: \">=5\"}}\n",
        )
        // A conflict only the newest version has.
        .registry_file(
            "libraries/vx.yaml",
            "name: vx\nversion: 2.0.0\nversions:\n  - {version: 1.0.0}\n  - {version: 2.0.0, conflicts: [tc]}\n",
        )
}

/// The stack of `manifest` does not solve; every proven hint, followed command by command
/// in a fresh project, makes it solve. Returns the run of `hsm resolve` (the text report is
/// its stderr).
#[track_caller]
fn follow_every_hint(manifest: &str) -> common::Output {
    let t = registry().manifest(manifest);
    let text = t.hsm(&["resolve"]);
    text.failure();
    assert_eq!(t.hsm(&["resolve"]).stderr, text.stderr, "not deterministic");
    let json = t.hsm(&["resolve", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON report");
    let hints = report["hints"].as_array().expect("hints");
    let mut followed = 0;
    for hint in hints.iter().filter(|h| h["kind"] == "edit") {
        let edits = hint["edits"].as_array().expect("edits");
        let commands: Vec<&str> = edits.iter().filter_map(|e| e["command"].as_str()).collect();
        let fresh = registry().manifest(manifest);
        if commands.len() < edits.len() {
            // Only a constraint has no command: delete its line by hand, as the hint says.
            let mut m = fresh.read("hsm.yaml");
            for e in edits.iter().filter(|e| e["command"].is_null()) {
                let line = format!(
                    "  {}: \"{}\"\n",
                    e["component"].as_str().unwrap(),
                    e["constraint"].as_str().unwrap()
                );
                assert!(m.contains(&line), "{line} not in {m}");
                m = m.replace(&line, "");
            }
            std::fs::write(fresh.path().join("hsm.yaml"), m).unwrap();
        }
        for (i, command) in commands.iter().enumerate() {
            let args: Vec<&str> = command.split_whitespace().skip(1).collect();
            let out = fresh.hsm(&args);
            // Each edit of a pair but the last may leave a (different) clash.
            assert_eq!(
                out.code, 0,
                "`{command}` (edit {i} of {hint}) failed: {}{}",
                out.stdout, out.stderr
            );
        }
        let solved = fresh.hsm(&["resolve"]);
        assert_eq!(
            solved.code, 0,
            "after {commands:?} the stack still does not solve:\n{}",
            solved.stderr
        );
        followed += 1;
    }
    assert!(followed > 0, "no hint to follow:\n{}", text.stderr);
    for line in text.stderr.lines() {
        for word in ["root", "package", "version 0", "#0"] {
            assert!(!line.contains(word), "solver word `{word}` in: {line}");
        }
    }
    text
}

#[test]
fn m_of_n_clash_suggests_removing_an_option_not_adding_it() {
    let out = follow_every_hint(
        "libraries:\n  groups:\n    tools:\n      strategy: M-of-N\n      selection: [ta, tb, tc]\n",
    );
    let report = &out.stderr;
    assert!(
        report.contains("hsm group remove-option tools ta"),
        "{report}"
    );
    assert!(!report.contains("hsm group add"), "{report}");
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      `ta` and `tb` cannot be in the stack together:

      - `ta` conflicts with `tb` (hsm-registry/libraries/ta.yaml:3)
          because hsm.yaml selects `ta` in choice group `tools` (hsm.yaml:5)

      - hsm.yaml selects `tb` in choice group `tools` (hsm.yaml:5)

    hint: remove `ta` from group `tools` (hsm.yaml:5): `hsm group remove-option tools ta`
          the stack then solves, losing `ta`
    hint: remove `tb` from group `tools` (hsm.yaml:5): `hsm group remove-option tools tb`
          the stack then solves, losing `tb`
    hint: remove group `tools` (hsm.yaml:5): `hsm group remove tools`
          the stack then solves, losing `ta`, `tb`, `tc`
    ");
}

#[test]
fn a_component_that_implies_what_it_conflicts_with_can_never_be_in_a_stack() {
    let out = follow_every_hint("libraries:\n  standalone: [selfish, tc]\n");
    let report = &out.stderr;
    assert!(
        report.contains("`selfish` can never be in a stack"),
        "{report}"
    );
    assert!(report.contains("hsm registry lint"), "{report}");
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      `selfish` can never be in a stack: no stack satisfies its own rules:

      - `selfish` conflicts with `db` (hsm-registry/libraries/selfish.yaml:5)
      - `selfish` implies `db` (hsm-registry/libraries/selfish.yaml:4)
          because hsm.yaml lists `selfish` in `libraries.standalone` (hsm.yaml:2)

    hint: `selfish` can never be in a stack, whatever hsm.yaml says (hsm-registry/libraries/selfish.yaml:1): fix its rules in the registry (`hsm registry lint` finds every such component)
    hint: remove `selfish` from `libraries.standalone` (hsm.yaml:2): `hsm library remove selfish`
          the stack then solves, losing `selfish`, `db`
    ");
}

#[test]
fn a_constraint_against_a_requirement_offers_to_drop_it_with_the_version_then_used() {
    let out = follow_every_hint("libraries:\n  standalone: [app]\nconstraints:\n  db: \"<2\"\n");
    let report = &out.stderr;
    assert!(report.contains("with `db` 2.0.0"), "{report}");
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      no version of `db` satisfies every rule on it:

      - `app` requires `db` `>=2` (hsm-registry/libraries/app.yaml:3)
          because hsm.yaml lists `app` in `libraries.standalone` (hsm.yaml:2)

      - hsm.yaml constrains `db` to `<2` (hsm.yaml:4)

    hint: delete the constraint `db: "<2"` from `constraints:` (hsm.yaml:4)
          the stack then solves, with `db` 2.0.0
    hint: remove `app` from `libraries.standalone` (hsm.yaml:2): `hsm library remove app`
          the stack then solves, losing `app`, `cache`, `db`
    "#);
}

#[test]
fn three_demands_on_one_group_are_all_told_and_pairs_are_proven() {
    let out = follow_every_hint("libraries:\n  standalone: [u1, u2, u3]\n");
    let report = &out.stderr;
    assert!(report.contains("`s1`, `s2` and `s3`"), "{report}");
    hsm_snapshot!(out);
}

#[test]
fn every_version_ruled_out_gets_one_bullet_per_version() {
    let out = follow_every_hint("libraries:\n  standalone: [multi, tc]\n");
    let report = &out.stderr;
    for v in ["3.0.0", "2.0.0", "1.0.0"] {
        assert!(report.contains(&format!("`multi` {v}")), "{v}: {report}");
    }
    assert!(report.contains("the stack needs `multi`"), "{report}");
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      the stack needs `multi`, but each of its versions is ruled out:

      - hsm.yaml lists `multi` in `libraries.standalone` (hsm.yaml:2)

      - `multi` 3.0.0 requires `db` `>=5`, but `db` has only 2.0.0, 1.0.0 (hsm-registry/libraries/multi.yaml:6)
      - `multi` 1.0.0 requires `db` `<1`, but `db` has only 2.0.0, 1.0.0 (hsm-registry/libraries/multi.yaml:4)

      - `multi` 2.0.0 conflicts with `tc` (hsm-registry/libraries/multi.yaml:5)
          because hsm.yaml lists `tc` in `libraries.standalone` (hsm.yaml:2)

    hint: remove `multi` from `libraries.standalone` (hsm.yaml:2): `hsm library remove multi`
          the stack then solves, losing `multi`, `db`
    hint: remove `tc` from `libraries.standalone` (hsm.yaml:2): `hsm library remove tc`
          the stack then solves, losing `tc`, `db`
    ");
}

#[test]
fn an_external_profile_that_avoids_the_clash_is_suggested() {
    let out =
        follow_every_hint("libraries:\n  standalone: [nocache]\nservices:\n  standalone: [db]\n");
    let report = &out.stderr;
    assert!(
        report.contains("hsm service add db --profile ext"),
        "{report}"
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      `cache` and `nocache` cannot be in the stack together:

      - `nocache` conflicts with `cache` (hsm-registry/libraries/nocache.yaml:3)
          because hsm.yaml lists `nocache` in `libraries.standalone` (hsm.yaml:2)

      - `db` implies `cache` (hsm-registry/services/db.yaml:10)
          because hsm.yaml lists `db` in `services.standalone` (hsm.yaml:4)

    hint: run `db` with its `ext` deployment profile: `hsm service add db --profile ext`
          the stack then solves, losing `cache`
    hint: remove `nocache` from `libraries.standalone` (hsm.yaml:2): `hsm library remove nocache`
          the stack then solves, losing `nocache`
    hint: remove `db` from `services.standalone` (hsm.yaml:4): `hsm service remove db`
          the stack then solves, losing `cache`, `db`
    ");
}

#[test]
fn a_version_specific_conflict_names_the_version_and_offers_the_constraint() {
    let out =
        follow_every_hint("libraries:\n  standalone: [vx, tc]\nconstraints:\n  vx: \">=2\"\n");
    let report = &out.stderr;
    assert!(
        report.contains("`vx` 2.0.0 and `tc` cannot be in the stack together"),
        "{report}"
    );
    assert!(report.contains("with `vx` 1.0.0"), "{report}");
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      `vx` 2.0.0 and `tc` cannot be in the stack together:

      - `vx` 2.0.0 conflicts with `tc` (hsm-registry/libraries/vx.yaml:5)
          because hsm.yaml constrains `vx` to `>=2` (hsm.yaml:4)
          because hsm.yaml lists `vx` in `libraries.standalone` (hsm.yaml:2)

      - hsm.yaml lists `tc` in `libraries.standalone` (hsm.yaml:2)

    hint: delete the constraint `vx: ">=2"` from `constraints:` (hsm.yaml:4)
          the stack then solves, with `vx` 1.0.0
    hint: remove `vx` from `libraries.standalone` (hsm.yaml:2): `hsm library remove vx`
          the stack then solves, losing `vx`
    hint: remove `tc` from `libraries.standalone` (hsm.yaml:2): `hsm library remove tc`
          the stack then solves, losing `tc`
    "#);
}

#[test]
fn both_sides_from_one_entry() {
    let out = follow_every_hint("libraries:\n  standalone: [dia]\n");
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry
      `dia` can never be in a stack: no stack satisfies its own rules:
      (every side below starts at one hsm.yaml entry, hsm.yaml:2)

      - `u1` implies `s1` in choice group `store` (hsm-registry/libraries/u1.yaml:4)
          because `dia` implies `u1` (hsm-registry/libraries/dia.yaml:4)
          because hsm.yaml lists `dia` in `libraries.standalone` (hsm.yaml:2)

      - `u2` implies `s2` in choice group `store` (hsm-registry/libraries/u2.yaml:4)
          because `dia` implies `u2` (hsm-registry/libraries/dia.yaml:5)
          because hsm.yaml lists `dia` in `libraries.standalone` (hsm.yaml:2)

    hint: `dia` can never be in a stack, whatever hsm.yaml says (hsm-registry/libraries/dia.yaml:1): fix its rules in the registry (`hsm registry lint` finds every such component)
    hint: remove `dia` from `libraries.standalone` (hsm.yaml:2): `hsm library remove dia`
          the stack then solves, losing `dia`, `u1`, `u2`, `s1`, `s2`
    ");
}

#[test]
fn service_add_with_a_profile_sets_the_profile_of_a_listed_service() {
    let t = registry().manifest("services:\n  standalone: [db]\n");
    let out = t.hsm(&["service", "add", "db", "--profile", "ext"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    `db` now runs with deployment profile `ext`. Run `hsm sync` to apply.

    ----- stderr -----
    ");
    assert_eq!(
        t.read("hsm.yaml"),
        "services:\n  standalone: [{name: db, profile: ext}]\n"
    );
}

#[test]
fn hints_can_be_followed_one_at_a_time() {
    let t = registry().manifest("libraries:\n  standalone: [u1, u2, u3]\n");
    let out = t.hsm(&["library", "remove", "u1"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Removed library `u1`.
    warning: that clash is gone, but the stack still does not solve: choice group `store` holds one option, but the stack needs `s2` and `s3`
    hint: `hsm resolve` explains what is left and proves the edits that fix it

    ----- stderr -----
    ");
    // An edit that leaves the same clash is still refused, and changes nothing.
    let err = common::refused(&t, &["library", "add", "tc"]).stderr;
    assert!(err.contains("would leave no consistent stack"), "{err}");
    t.hsm(&["library", "remove", "u2"]).success();
    t.hsm(&["resolve"]).success();
}

#[test]
fn why_on_an_unsolvable_stack_says_what_asks_for_the_component() {
    let t = registry().manifest("libraries:\n  standalone: [ud, u1, u2]\n");
    let out = t.hsm(&["why", "s2"]);
    out.failure();
    assert!(!out.stdout.contains("hint: remove"), "{}", out.stdout);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----
    hsm.yaml asks for `s2`, but no stack solves:
      - `ud` implies choice group `store` without naming an option: any will do, its `default:` `s1` first, hsm-registry/service_groups/store.yaml:4 (hsm-registry/libraries/ud.yaml:4)
          because hsm.yaml lists `ud` in `libraries.standalone` (hsm.yaml:2)
      - `u2` implies `s2` in choice group `store` (hsm-registry/libraries/u2.yaml:4)
          because hsm.yaml lists `u2` in `libraries.standalone` (hsm.yaml:2)

    ----- stderr -----
    error: no stack satisfies hsm.yaml and the registry: choice group `store` holds one option, but the stack needs `s1` and `s2`
    hint: `hsm resolve` explains the conflict and proves the edits that fix it
    ");
}

#[test]
fn a_solvable_stack_names_the_option_an_implied_group_holds() {
    let t = registry().manifest("libraries:\n  standalone: [ud]\n");
    let out = t.hsm(&["why", "s1"]);
    out.success();
    assert!(out.stdout.contains("it holds `s1`"), "{}", out.stdout);
    assert!(
        out.stdout.contains("service_groups/store.yaml:4"),
        "{}",
        out.stdout
    );
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    `s1` (service 1.0.0, prod) is in the stack because:
      - `ud` 1.0.0 implies choice group `store` without naming an option: any will do, its `default:` `s1` first, hsm-registry/service_groups/store.yaml:4; it holds `s1` (hsm-registry/libraries/ud.yaml:4)
          because hsm.yaml lists `ud` in `libraries.standalone` (hsm.yaml:2)

    ----- stderr -----
    ");
}

#[test]
fn two_independent_clashes_are_fixed_by_proven_pairs_followed_in_order() {
    let out =
        follow_every_hint("libraries:\n  standalone: [u1, u2, app]\nconstraints:\n  db: \"<2\"\n");
    let report = &out.stderr;
    assert!(report.contains(", and "), "{report}");
    hsm_snapshot!(out);
}

#[test]
fn a_group_implied_without_an_option_whose_every_option_is_ruled_out() {
    let out = follow_every_hint("libraries:\n  standalone: [ud, hate]\n");
    let report = &out.stderr;
    assert!(
        report.contains("must hold one of `s1`, `s2` and `s3`, but each is ruled out"),
        "{report}"
    );
    assert!(
        report.contains("`default:` `s1` first, hsm-registry/service_groups/store.yaml:4"),
        "{report}"
    );
    hsm_snapshot!(out);
}
