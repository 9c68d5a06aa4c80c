//! Bad input is a feature: every mistake exits 1 with what, where (file:line:column) and
//! how to fix it, writes nothing, and its wording is pinned by a snapshot.
#![allow(clippy::unwrap_used)]

mod common;

use common::Test;
use insta::assert_snapshot;

/// A tiny registry with one 1-of-N group, a library with a requirement and a service.
fn project() -> Test {
    Test::new()
        .registry_file(
            "library_groups/db-client.yaml",
            "name: db-client\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - name: pg-client\n  - name: sqlite-client\n",
        )
        .registry_file("libraries/pg-client.yaml", "name: pg-client\nversion: 1.0.0\nimplies:\n  service:postgres: {params: {db_name: app}}\n")
        .registry_file("libraries/sqlite-client.yaml", "name: sqlite-client\nversion: 1.0.0\n")
        .registry_file("services/postgres.yaml", "name: postgres\nversion: 16.4.0\nsources:\n  prod: {type: docker-image, image: postgres:16.4}\n")
}

/// Run `hsm check`, expect exit 1 and an unchanged tree; return stderr.
#[track_caller]
fn check_fails(t: Test) -> String {
    let before = t.tree();
    let t = t.arg("check");
    let out = t.run();
    out.failure();
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(t.tree(), before, "check wrote something");
    out.stderr
}

#[test]
fn malformed_manifest_yaml() {
    let err = check_fails(project().file(
        "hsm.yaml",
        "libraries:\n  groups:\n    db-client: {selection: pg-client\n",
    ));
    assert_snapshot!(err);
    assert!(err.contains("hsm.yaml:"), "{err}");
}

#[test]
fn malformed_registry_yaml() {
    let err = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nversion: [1.0.0\n",
            )
            .file("hsm.yaml", "libraries:\n  standalone: [pg-client]\n"),
    );
    assert_snapshot!(err);
}

#[test]
fn unknown_key_in_manifest() {
    let err = check_fails(project().file("hsm.yaml", "libraries:\n  groups:\n    db-client:\n      strategy: 1-of-N\n      selction: pg-client\n"));
    assert_snapshot!(err);
    assert!(err.contains("did you mean `selection`?"), "{err}");
}

#[test]
fn unknown_key_in_registry() {
    let err = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nversion: 1.0.0\nrequirs: {postgres: \">=16\"}\n",
            )
            .file("hsm.yaml", "libraries:\n  standalone: [pg-client]\n"),
    );
    assert_snapshot!(err);
    assert!(
        err.contains("hsm-registry/libraries/pg-client.yaml:3:1"),
        "{err}"
    );
}

#[test]
fn unknown_component() {
    let err = check_fails(project().file("hsm.yaml", "libraries:\n  standalone: [pg-clinet]\n"));
    assert_snapshot!(err);
    assert!(err.contains("did you mean `pg-client`?"), "{err}");
}

#[test]
fn unknown_group() {
    let err = check_fails(project().file(
        "hsm.yaml",
        "libraries:\n  groups:\n    db-clients: {strategy: 1-of-N, selection: pg-client}\n",
    ));
    assert_snapshot!(err);
    assert!(err.contains("did you mean `db-client`?"), "{err}");
}

#[test]
fn group_in_the_wrong_section() {
    let err = check_fails(project().file(
        "hsm.yaml",
        "services:\n  groups:\n    db-client: {strategy: 1-of-N, selection: pg-client}\n",
    ));
    assert_snapshot!(err);
}

#[test]
fn selection_that_is_not_an_option() {
    let err = check_fails(project().file(
        "hsm.yaml",
        "libraries:\n  groups:\n    db-client: {strategy: 1-of-N, selection: pg-clients}\n",
    ));
    assert_snapshot!(err);
    assert!(err.contains("did you mean `pg-client`?"), "{err}");
}

#[test]
fn list_selection_for_a_one_of_n_group() {
    let err = check_fails(project().file("hsm.yaml", "libraries:\n  groups:\n    db-client:\n      strategy: 1-of-N\n      selection: [pg-client, sqlite-client]\n"));
    assert_snapshot!(err);
}

#[test]
fn strategy_that_disagrees_with_the_registry() {
    let err = check_fails(project().file(
        "hsm.yaml",
        "libraries:\n  groups:\n    db-client: {strategy: M-of-N, selection: [pg-client]}\n",
    ));
    assert_snapshot!(err);
}

#[test]
fn invalid_semver_range_in_manifest() {
    let err = check_fails(project().file(
        "hsm.yaml",
        "libraries:\n  standalone: [pg-client]\nconstraints:\n  postgres: \">=16 <<17\"\n",
    ));
    assert_snapshot!(err);
    assert!(err.contains("hsm.yaml:4:3"), "{err}");
}

#[test]
fn invalid_semver_range_in_registry() {
    let err = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nversion: 1.0.0\nrequires:\n  postgres: \"at least 16\"\n",
            )
            .file("hsm.yaml", "libraries:\n  standalone: [pg-client]\n"),
    );
    assert_snapshot!(err);
}

#[test]
fn invalid_version_in_registry() {
    let err = check_fails(
        project()
            .registry_file(
                "services/postgres.yaml",
                "name: postgres\nversion: latest\n",
            )
            .file("hsm.yaml", "services:\n  standalone: [postgres]\n"),
    );
    assert_snapshot!(err);
}

#[test]
fn implication_to_a_missing_target() {
    let err = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nversion: 1.0.0\nimplies:\n  service:postgress: {}\n",
            )
            .file("hsm.yaml", "libraries:\n  standalone: [pg-client]\n"),
    );
    assert_snapshot!(err);
    assert!(err.contains("did you mean `postgres`?"), "{err}");
}

#[test]
fn implication_of_an_unknown_kind() {
    let err = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nversion: 1.0.0\nimplies:\n  servce:postgres: {}\n",
            )
            .file("hsm.yaml", "libraries:\n  standalone: [pg-client]\n"),
    );
    assert_snapshot!(err);
}

#[test]
fn group_option_without_a_registry_file() {
    let err = check_fails(
        project()
            .registry_file(
                "library_groups/db-client.yaml",
                "name: db-client\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - name: pg-client\n  - name: mysql-client\n",
            )
            .file("hsm.yaml", "libraries:\n  groups:\n    db-client: {selection: mysql-client}\n"),
    );
    assert_snapshot!(err);
}

#[test]
fn registry_file_name_differs_from_its_name() {
    let err = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: postgres-client\nversion: 1.0.0\n",
            )
            .file("hsm.yaml", "libraries:\n  standalone: [pg-client]\n"),
    );
    assert_snapshot!(err);
}

#[test]
fn hostile_names_never_become_paths() {
    let err = check_fails(project().file(
        "hsm.yaml",
        "libraries:\n  standalone: [\"../../../etc/passwd\"]\n",
    ));
    assert_snapshot!(err);
    let err = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nimplies:\n  service:../../x: {}\n",
            )
            .file("hsm.yaml", "libraries:\n  standalone: [pg-client]\n"),
    );
    assert!(err.contains("not a valid component or group name"), "{err}");
}

#[test]
fn unknown_profile() {
    let err = check_fails(project().file(
        "hsm.yaml",
        "services:\n  standalone:\n    - {name: postgres, profile: extrenal}\n",
    ));
    assert_snapshot!(err);
}

#[test]
fn wrong_mode_value() {
    let err = check_fails(project().file("hsm.yaml", "modes:\n  pg-client: develop\n"));
    assert_snapshot!(err);
}

#[test]
fn unknown_name_in_modes() {
    let err = check_fails(project().file("hsm.yaml", "modes:\n  pg-clinet: dev\n"));
    assert_snapshot!(err);
}

#[test]
fn empty_and_huge_files() {
    let err = check_fails(project().file("hsm.yaml", "# nothing yet\n"));
    assert_snapshot!("empty_manifest", err);
    let huge = format!(
        "libraries:\n  standalone:\n{}",
        "    - pg-client\n".repeat(600_000)
    );
    let err = check_fails(project().file("hsm.yaml", &huge));
    assert!(err.contains("too large"), "{}", &err[..err.len().min(500)]);
}

#[test]
fn no_manifest() {
    let err = check_fails(Test::new());
    assert_snapshot!(err);
}

#[test]
fn a_registry_path_that_does_not_exist() {
    let out = Test::new()
        .file("hsm.yaml", "project: {name: x}\n")
        .args(["check", "--registry", "nowhere"])
        .run();
    out.failure();
    assert_snapshot!(out.stderr.replace(&out.dir.display().to_string(), "[TMP]"));
}

#[test]
fn usage_errors_exit_2() {
    Test::new()
        .args(["resolve", "--format", "yaml"])
        .run()
        .code(2);
    Test::new().arg("frobnicate").run().code(2);
}
