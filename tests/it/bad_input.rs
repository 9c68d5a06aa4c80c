//! Bad input is a feature: every mistake exits 1 with what, where (file:line:column) and
//! how to fix it, writes nothing, and its wording is pinned by a snapshot.

use crate::common;

use common::{Test, refused};

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

/// Run `hsm check`, expect exit 1, nothing on stdout and an unchanged tree.
#[track_caller]
fn check_fails(t: Test) -> common::Output {
    let before = t.tree();
    let t = t.arg("check");
    let out = t.run();
    out.failure();
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(t.tree(), before, "check wrote something");
    out
}

#[test]
fn malformed_manifest_yaml() {
    let out = check_fails(
        project().manifest("libraries:\n  groups:\n    db-client: {selection: pg-client\n"),
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.yaml is not valid YAML: did not find expected ',' or '}' while parsing a flow mapping
       ╭─[hsm.yaml:4:1]
     3 │     db-client: {selection: pg-client
       ╰────
      help: fix the YAML syntax (indentation, quotes, a missing `:`)
    ");
    assert!(out.stderr.contains("hsm.yaml:"), "{}", out.stderr);
}

#[test]
fn malformed_registry_yaml() {
    let out = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nversion: [1.0.0\n",
            )
            .manifest("libraries:\n  standalone: [pg-client]\n"),
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: wrong kind of value in `version` of hsm-registry/libraries/pg-client.yaml: sequence, expected a string or number
       ╭─[hsm-registry/libraries/pg-client.yaml:2:10]
     1 │ name: pg-client
     2 │ version: [1.0.0
       ·          ───┬──
       ·             ╰── here
       ╰────
      help: see the registry library format in the README
    ");
}

#[test]
fn unknown_key_in_manifest() {
    let out = check_fails(project().manifest("libraries:\n  groups:\n    db-client:\n      strategy: 1-of-N\n      selction: pg-client\n"));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: unknown key `selction` in `libraries.groups.db-client` of hsm.yaml
       ╭─[hsm.yaml:5:7]
     4 │       strategy: 1-of-N
     5 │       selction: pg-client
       ·       ────┬───
       ·           ╰── unknown key
       ╰────
      help: did you mean `selection`? (valid keys here: strategy, selection, mode, profile)
    ");
    assert!(
        out.stderr.contains("did you mean `selection`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_key_in_registry() {
    let out = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nversion: 1.0.0\nrequirs: {postgres: \">=16\"}\n",
            )
            .manifest("libraries:\n  standalone: [pg-client]\n"),
    );
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: unknown key `requirs` of hsm-registry/libraries/pg-client.yaml
       ╭─[hsm-registry/libraries/pg-client.yaml:3:1]
     2 │ version: 1.0.0
     3 │ requirs: {postgres: ">=16"}
       · ───┬───
       ·    ╰── unknown key
       ╰────
      help: did you mean `requires`? (valid keys here: name, description, version, type, package, repository, sources, requires, conflicts, implies, versions, dependencies, entrypoints)
    "#);
    assert!(
        out.stderr
            .contains("hsm-registry/libraries/pg-client.yaml:3:1"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_component() {
    let out = check_fails(project().manifest("libraries:\n  standalone: [pg-clinet]\n"));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no library `pg-clinet` in the registry (hsm-registry)
       ╭─[hsm.yaml:2:16]
     1 │ libraries:
     2 │   standalone: [pg-clinet]
       ·                ────┬────
       ·                    ╰── unknown library
       ╰────
      help: did you mean `pg-client`?
    ");
    assert!(
        out.stderr.contains("did you mean `pg-client`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_group() {
    let out = check_fails(project().manifest(
        "libraries:\n  groups:\n    db-clients: {strategy: 1-of-N, selection: pg-client}\n",
    ));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no library group `db-clients` in the registry (hsm-registry)
       ╭─[hsm.yaml:3:5]
     2 │   groups:
     3 │     db-clients: {strategy: 1-of-N, selection: pg-client}
       ·     ─────┬────
       ·          ╰── unknown library group
       ╰────
      help: did you mean `db-client`?
    ");
    assert!(
        out.stderr.contains("did you mean `db-client`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn group_in_the_wrong_section() {
    let out = check_fails(project().manifest(
        "services:\n  groups:\n    db-client: {strategy: 1-of-N, selection: pg-client}\n",
    ));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no service group `db-client` in the registry (hsm-registry)
       ╭─[hsm.yaml:3:5]
     2 │   groups:
     3 │     db-client: {strategy: 1-of-N, selection: pg-client}
       ·     ────┬────
       ·         ╰── unknown service group
       ╰────
      help: `db-client` is a library group: move it under `libraries.groups`
    ");
}

#[test]
fn selection_that_is_not_an_option() {
    let out = check_fails(project().manifest(
        "libraries:\n  groups:\n    db-client: {strategy: 1-of-N, selection: pg-clients}\n",
    ));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `pg-clients` is not an option of group `db-client`
       ╭─[hsm.yaml:3:35]
     2 │   groups:
     3 │     db-client: {strategy: 1-of-N, selection: pg-clients}
       ·                                   ────┬────
       ·                                       ╰── not an option
       ╰────
      help: did you mean `pg-client`?
            options of `db-client` (hsm-registry/library_groups/db-client.yaml): pg-client, sqlite-client
    ");
    assert!(
        out.stderr.contains("did you mean `pg-client`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn list_selection_for_a_one_of_n_group() {
    let out = check_fails(project().manifest("libraries:\n  groups:\n    db-client:\n      strategy: 1-of-N\n      selection: [pg-client, sqlite-client]\n"));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: group `db-client` is 1-of-N and holds one option, but hsm.yaml gives it a list
       ╭─[hsm.yaml:5:7]
     4 │       strategy: 1-of-N
     5 │       selection: [pg-client, sqlite-client]
       ·       ────┬────
       ·           ╰── a list selection
       ╰────
      help: keep one of pg-client, sqlite-client (e.g. `selection: pg-client`)
    ");
}

#[test]
fn strategy_that_disagrees_with_the_registry() {
    let out = check_fails(project().manifest(
        "libraries:\n  groups:\n    db-client: {strategy: M-of-N, selection: [pg-client]}\n",
    ));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.yaml says group `db-client` is M-of-N, but the registry defines it as 1-of-N
       ╭─[hsm.yaml:3:17]
     2 │   groups:
     3 │     db-client: {strategy: M-of-N, selection: [pg-client]}
       ·                 ────┬───
       ·                     ╰── the registry says 1-of-N
       ╰────
      help: write `strategy: 1-of-N` (see hsm-registry/library_groups/db-client.yaml:3)
    ");
}

#[test]
fn invalid_semver_range_in_manifest() {
    let out = check_fails(project().manifest(
        "libraries:\n  standalone: [pg-client]\nconstraints:\n  postgres: \">=16 <<17\"\n",
    ));
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `>=16 <<17` is not a valid version range: expected comma after major version number, found '<'
       ╭─[hsm.yaml:4:3]
     3 │ constraints:
     4 │   postgres: ">=16 <<17"
       ·   ────┬───
       ·       ╰── invalid range
       ╰────
      help: write a semver range such as `>=1.10, <2` (comparators separated by commas)
    "#);
    assert!(out.stderr.contains("hsm.yaml:4:3"), "{}", out.stderr);
}

#[test]
fn invalid_semver_range_in_registry() {
    let out = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nversion: 1.0.0\nrequires:\n  postgres: \"at least 16\"\n",
            )
            .manifest("libraries:\n  standalone: [pg-client]\n"),
    );
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `at least 16` is not a valid version range: unexpected character 'a' while parsing major version number
       ╭─[hsm-registry/libraries/pg-client.yaml:4:3]
     3 │ requires:
     4 │   postgres: "at least 16"
       ·   ────┬───
       ·       ╰── invalid range
       ╰────
      help: write a semver range such as `>=1.10, <2` (comparators separated by commas)
    "#);
}

#[test]
fn invalid_version_in_registry() {
    let out = check_fails(
        project()
            .registry_file(
                "services/postgres.yaml",
                "name: postgres\nversion: latest\n",
            )
            .manifest("services:\n  standalone: [postgres]\n"),
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `latest` is not a valid version: unexpected character 'l' while parsing major version number
       ╭─[hsm-registry/services/postgres.yaml:2:1]
     1 │ name: postgres
     2 │ version: latest
       · ───┬───
       ·    ╰── invalid version
       ╰────
      help: write a semantic version such as `1.12.0`
    ");
}

#[test]
fn implication_to_a_missing_target() {
    let out = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nversion: 1.0.0\nimplies:\n  service:postgress: {}\n",
            )
            .manifest("libraries:\n  standalone: [pg-client]\n"),
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no service `postgress` in the registry (hsm-registry)
       ╭─[hsm-registry/libraries/pg-client.yaml:4:3]
     3 │ implies:
     4 │   service:postgress: {}
       ·   ────────┬────────
       ·           ╰── unknown service
       ╰────
      help: did you mean `postgres`?
    ");
    assert!(
        out.stderr.contains("did you mean `postgres`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn implication_of_an_unknown_kind() {
    let out = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nversion: 1.0.0\nimplies:\n  servce:postgres: {}\n",
            )
            .manifest("libraries:\n  standalone: [pg-client]\n"),
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: unknown implication kind `servce` in `servce:postgres`
       ╭─[hsm-registry/libraries/pg-client.yaml:4:3]
     3 │ implies:
     4 │   servce:postgres: {}
       ·   ───────┬───────
       ·          ╰── unknown kind
       ╰────
      help: did you mean `service`?
            kinds: service, library, service_group, library_group
    ");
}

#[test]
fn group_option_without_a_registry_file() {
    let out = check_fails(
        project()
            .registry_file(
                "library_groups/db-client.yaml",
                "name: db-client\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - name: pg-client\n  - name: mysql-client\n",
            )
            .manifest("libraries:\n  groups:\n    db-client: {selection: mysql-client}\n"),
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no library `mysql-client` in the registry (hsm-registry)
       ╭─[hsm-registry/library_groups/db-client.yaml:6:5]
     5 │   - name: pg-client
     6 │   - name: mysql-client
       ·     ─────────┬─────────
       ·              ╰── unknown library
       ╰────
      help: did you mean `sqlite-client`?
    ");
}

#[test]
fn registry_file_name_differs_from_its_name() {
    let out = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: postgres-client\nversion: 1.0.0\n",
            )
            .manifest("libraries:\n  standalone: [pg-client]\n"),
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm-registry/libraries/pg-client.yaml is named `postgres-client`, but its file name says `pg-client`
       ╭─[hsm-registry/libraries/pg-client.yaml:1:1]
     1 │ name: postgres-client
       · ──┬─
       ·   ╰── expected `name: pg-client`
     2 │ version: 1.0.0
       ╰────
      help: rename the file to `postgres-client.yaml` or set `name: pg-client`
    ");
}

#[test]
fn hostile_names_never_become_paths() {
    let out =
        check_fails(project().manifest("libraries:\n  standalone: [\"../../../etc/passwd\"]\n"));
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `../../../etc/passwd` is not a valid component or group name
       ╭─[hsm.yaml:2:16]
     1 │ libraries:
     2 │   standalone: ["../../../etc/passwd"]
       ·                ──────────┬──────────
       ·                          ╰── invalid name
       ╰────
      help: names may use letters, digits, `-`, `_` and `.`, must start with a letter or digit, and may not contain `..` or `/`
    "#);
    let out = check_fails(
        project()
            .registry_file(
                "libraries/pg-client.yaml",
                "name: pg-client\nimplies:\n  service:../../x: {}\n",
            )
            .manifest("libraries:\n  standalone: [pg-client]\n"),
    );
    assert!(
        out.stderr.contains("not a valid component or group name"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_profile() {
    let out = check_fails(
        project().manifest("services:\n  standalone:\n    - {name: postgres, profile: extrenal}\n"),
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: service `postgres` has no deployment profile `extrenal`
       ╭─[hsm.yaml:3:24]
     2 │   standalone:
     3 │     - {name: postgres, profile: extrenal}
       ·                        ───┬───
       ·                           ╰── unknown profile
       ╰────
      help: hsm-registry/services/postgres.yaml defines no deployment_profiles
    ");
}

#[test]
fn wrong_mode_value() {
    let out = check_fails(project().manifest("modes:\n  pg-client: develop\n"));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: invalid value `develop` in `modes.pg-client` of hsm.yaml
       ╭─[hsm.yaml:2:14]
     1 │ modes:
     2 │   pg-client: develop
       ·              ───┬───
       ·                 ╰── invalid value
       ╰────
      help: did you mean `dev`? (expected one of: dev, prod)
    ");
}

#[test]
fn unknown_name_in_modes() {
    let out = check_fails(project().manifest("modes:\n  pg-clinet: dev\n"));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no component `pg-clinet` in the registry (hsm-registry)
       ╭─[hsm.yaml:2:3]
     1 │ modes:
     2 │   pg-clinet: dev
       ·   ────┬────
       ·       ╰── unknown component
       ╰────
      help: did you mean `pg-client`?
    ");
}

#[test]
fn empty_and_huge_files() {
    let out = check_fails(project().manifest("# nothing yet\n"));
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.yaml is empty
       ╭─[hsm.yaml:1:1]
     1 │ # nothing yet
       · ─
       ╰────
      help: write the hsm.yaml as a YAML mapping
    ");
    let huge = format!(
        "libraries:\n  standalone:\n{}",
        "    - pg-client\n".repeat(600_000)
    );
    let out = check_fails(project().manifest(&huge));
    assert!(
        out.stderr.contains("too large"),
        "{}",
        &out.stderr[..out.stderr.len().min(500)]
    );
}

#[test]
fn no_manifest() {
    let out = check_fails(Test::new());
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no hsm.yaml in the current directory or any directory above it
      help: run `hsm init` to create one, or pass `--directory` to point at the project
    ");
}

#[test]
fn a_registry_path_that_does_not_exist() {
    let out = Test::new()
        .manifest("project: {name: x}\n")
        .args(["check", "--registry", "nowhere"])
        .run();
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: registry [TEMP]/nowhere (from --registry) does not exist
      help: point at a directory with libraries/, services/, library_groups/ and service_groups/, or drop the setting to use the built-in registry
    ");
}

#[test]
fn usage_errors_exit_2() {
    Test::new()
        .args(["resolve", "--format", "yaml"])
        .run()
        .code(2);
    Test::new().arg("frobnicate").run().code(2);
}

// ---------------------------------------------------------------------------------------
// Reading files: regular files only, bounded, UTF-8, nesting and aliases bounded.

/// A service with an env file, selected in hsm.yaml (its env file is read by the plan, which
/// `check --locked` renders).
fn with_env_service(t: Test) -> Test {
    t.registry_file(
        "services/web.yaml",
        "name: web\nenv_file: [web.env]\nsources:\n  prod: {type: docker-image, image: nginx:1}\n",
    )
    .manifest("services:\n  standalone: [web]\n")
}

#[test]
fn a_fifo_is_refused_wherever_hsm_reads_a_file() {
    let t = project().timeout(30).fifo("hsm.yaml");
    hsm_snapshot!(refused(&t, &["check"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.yaml is a FIFO (named pipe), not a regular file
      help: hsm reads hsm.yaml only from a regular file (or a symlink to one); replace it with a regular file
    ");

    let t = project()
        .timeout(30)
        .manifest("libraries:\n  standalone: [fifo-client]\n")
        .fifo("hsm-registry/libraries/fifo-client.yaml");
    hsm_snapshot!(refused(&t, &["check"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm-registry/libraries/fifo-client.yaml is a FIFO (named pipe), not a regular file
      help: hsm reads hsm-registry/libraries/fifo-client.yaml only from a regular file (or a symlink to one); replace it with a regular file
    ");

    let t = with_env_service(project().timeout(30)).fifo("web.env");
    hsm_snapshot!(refused(&t, &["check", "--locked"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: env_file `web.env` of service `web` cannot be read: web.env is a FIFO (named pipe), not a regular file
       ╭─[hsm-registry/services/web.yaml:2:12]
     1 │ name: web
     2 │ env_file: [web.env]
       ·            ───┬───
       ·               ╰── env_file
     3 │ sources:
       ╰────
      help: hsm reads web.env only from a regular file (or a symlink to one); replace it with a regular file
    ");

    let t = project()
        .timeout(30)
        .manifest("libraries:\n  standalone: [pg-client]\n")
        .fifo("pyproject.toml");
    hsm_snapshot!(refused(&t, &["check", "--locked"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: pyproject.toml is a FIFO (named pipe), not a regular file
      help: hsm reads pyproject.toml only from a regular file (or a symlink to one); replace it with a regular file
    ");

    let t = project()
        .timeout(30)
        .manifest("services:\n  standalone: [postgres]\n")
        .fifo("hsm.lock");
    hsm_snapshot!(refused(&t, &["check", "--locked"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.lock is a FIFO (named pipe), not a regular file
      help: hsm reads hsm.lock only from a regular file (or a symlink to one); replace it with a regular file
    ");

    // A scenario file, given by name or found in a directory.
    let t = project().timeout(30).fifo("rules/a.yaml");
    hsm_snapshot!(refused(&t, &["registry", "test", "rules/a.yaml"]), @"
    success: false
    exit_code: 1
    ----- stdout -----
    0 passed, 1 failed

    ----- stderr -----
    error: rules/a.yaml is a FIFO (named pipe), not a regular file
      help: hsm reads rules/a.yaml only from a regular file (or a symlink to one); replace it with a regular file
    ");
    assert!(
        refused(&t, &["registry", "test", "rules"])
            .stderr
            .contains("is a FIFO")
    );
}

#[test]
fn directories_and_devices_are_not_files() {
    let t = project().timeout(30);
    std::fs::create_dir(t.path().join("hsm.yaml")).unwrap();
    hsm_snapshot!(refused(&t, &["check"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.yaml is a directory, not a regular file
      help: hsm reads hsm.yaml only from a regular file (or a symlink to one); replace it with a regular file
    ");

    // A symlink is followed: to a regular file it is fine, to a device it is not.
    let t = project()
        .timeout(30)
        .file("real.yaml", "libraries:\n  standalone: [pg-client]\n");
    std::os::unix::fs::symlink("real.yaml", t.path().join("hsm.yaml")).unwrap();
    common::ok(&t, &["check"]);
    let t = project().timeout(30);
    std::os::unix::fs::symlink("/dev/zero", t.path().join("hsm.yaml")).unwrap();
    hsm_snapshot!(refused(&t, &["check"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.yaml is a character device, not a regular file
      help: hsm reads hsm.yaml only from a regular file (or a symlink to one); replace it with a regular file
    ");
}

#[test]
fn a_huge_file_is_read_only_up_to_the_limit() {
    // 64 GiB, sparse: reading it whole would take minutes and all the memory there is.
    let t = project().timeout(30);
    let file = std::fs::File::create(t.path().join("hsm.yaml")).unwrap();
    file.set_len(64 << 30).unwrap();
    hsm_snapshot!(refused(&t, &["check"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.yaml is too large (more than 8388608 bytes; the limit is 8 MiB)
      help: hsm's input files are small text files; check that hsm.yaml is the right file
    ");
}

#[test]
fn deep_nesting_is_refused_at_once() {
    // 100,000 nested flow sequences took over a minute to parse.
    let deep = format!(
        "libraries:\n  standalone: [pg-client]\nconstraints: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let t = project().timeout(30).manifest(&deep);
    hsm_snapshot!(refused(&t, &["check"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.yaml nests collections more than 64 levels deep
       ╭─[hsm.yaml:3:77]
     3 │ [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
       ·                                                             ┬
       ·                                                             ╰── level 65
       ╰────
      help: hsm's files need a few levels; look for unclosed `[` or `{`, or flatten the value (the limit keeps reading fast whatever the input)
    ");

    // Block nesting, by indentation, in a registry file.
    let mut deep = String::from("name: pg-client\nversion: 1.0.0\nimplies:\n");
    for i in 1..3000 {
        deep.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
    }
    let t = project()
        .timeout(30)
        .registry_file("libraries/pg-client.yaml", &deep)
        .manifest("libraries:\n  standalone: [pg-client]\n");
    hsm_snapshot!(refused(&t, &["check"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm-registry/libraries/pg-client.yaml nests collections more than 64 levels deep
        ╭─[hsm-registry/libraries/pg-client.yaml:67:65]
     66 │                                                                k63:
     67 │                                                                 k64:
        ·                                                                 ┬
        ·                                                                 ╰── level 65
     68 │                                                                  k65:
        ╰────
      help: hsm's files need a few levels; look for unclosed `[` or `{`, or flatten the value (the limit keeps reading fast whatever the input)
    ");

    // The editor refuses it too, before its own parser sees it.
    let t = project().timeout(30).manifest(&format!(
        "project:\n  name: {}{}\n",
        "{a: ".repeat(100),
        "}".repeat(100)
    ));
    assert!(
        refused(&t, &["group", "add", "db-client", "--option", "pg-client"])
            .stderr
            .contains("more than 64 levels deep")
    );
}

#[test]
fn aliases_may_not_repeat_a_billion_laughs() {
    // Each anchor repeats the one before ten times: 10^30 copies of `lol` at the end.
    let mut laughs = String::from(
        "name: pg-client\nversion: 1.0.0\ndependencies:\n  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..30 {
        let refs = vec![format!("*l{}", i - 1); 10].join(", ");
        laughs.push_str(&format!("  - &l{i} [{refs}]\n"));
    }
    let t = project()
        .timeout(30)
        .registry_file("libraries/pg-client.yaml", &laughs)
        .manifest("libraries:\n  standalone: [pg-client]\n");
    hsm_snapshot!(refused(&t, &["check"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the aliases in hsm-registry/libraries/pg-client.yaml repeat more than 1 MiB of text
        ╭─[hsm-registry/libraries/pg-client.yaml:9:10]
      8 │   - &l4 [*l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3]
      9 │   - &l5 [*l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4]
        ·          ┬
        ·          ╰── this alias goes over the limit
     10 │   - &l6 [*l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5]
        ╰────
      help: write the values out instead of repeating large anchors through aliases (the limit keeps reading fast whatever the input)
    ");

    // A shared value used a few times is fine.
    let t = project()
        .timeout(30)
        .registry_file(
            "libraries/pg-client.yaml",
            "name: pg-client\nversion: 1.0.0\ndependencies:\n  - &common {a: b}\n  - *common\n  - *common\n",
        )
        .manifest("libraries:\n  standalone: [pg-client]\n");
    common::ok(&t, &["check"]);
}

#[test]
fn a_byte_order_mark_is_accepted_and_kept() {
    let t = project()
        .registry_file(
            "libraries/pg-client.yaml",
            "\u{feff}name: pg-client\nversion: 1.0.0\n",
        )
        .manifest("\u{feff}libraries:\n  standalone: [pg-client]\n");
    common::ok(&t, &["check"]);
    // Positions count from after it.
    let t = t.manifest("\u{feff}libraries:\n  standalone: [pg-clinet]\n");
    assert!(refused(&t, &["check"]).stderr.contains("hsm.yaml:2:16"));
    // An edit keeps it.
    let t = t.manifest("\u{feff}libraries:\n  standalone: [pg-client]\n");
    common::ok(
        &t,
        &["group", "add", "db-client", "--option", "sqlite-client"],
    );
    assert!(t.read("hsm.yaml").starts_with("\u{feff}libraries:\n"));
    common::ok(
        &t,
        &[
            "registry",
            "library",
            "implies",
            "add",
            "pg-client",
            "service:postgres",
        ],
    );
    assert!(
        t.read("hsm-registry/libraries/pg-client.yaml")
            .starts_with("\u{feff}name: pg-client\n")
    );
}

#[test]
fn encoding_errors_say_where_and_how_to_fix_them() {
    // Latin-1: `é` is one byte, 0xE9.
    let t = project();
    std::fs::write(
        t.path().join("hsm.yaml"),
        b"project:\n  name: caf\xe9\nlibraries:\n  standalone: [pg-client]\n",
    )
    .unwrap();
    hsm_snapshot!(refused(&t, &["check"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm.yaml is not UTF-8 text: byte 0xE9 is not valid UTF-8
       ╭─[hsm.yaml:2:12]
     1 │ project:
     2 │   name: caf�
       ·            ┬
       ·            ╰── not UTF-8
     3 │ libraries:
       ╰────
      help: save hsm.yaml as UTF-8 (0xE9 is `é` in Latin-1 and Windows-1252, the encoding it was probably saved in)
    ");

    // UTF-16, as some Windows editors save.
    let t = project().manifest("libraries:\n  standalone: [pg-client]\n");
    let utf16: Vec<u8> = "\u{feff}name: pg-client\nversion: 1.0.0\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(
        t.path().join("hsm-registry/libraries/pg-client.yaml"),
        utf16,
    )
    .unwrap();
    hsm_snapshot!(refused(&t, &["check"]), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm-registry/libraries/pg-client.yaml is UTF-16 (little-endian); save it as UTF-8
       ╭─[hsm-registry/libraries/pg-client.yaml:1:1]
     1 │ name: pg-client
       · ┬
       · ╰── this file is UTF-16
     2 │ version: 1.0.0
       ╰────
      help: hsm reads UTF-8 only: save the file with the encoding "UTF-8" in your editor, or convert it with `iconv -f UTF-16LE -t UTF-8`
    "#);

    // An env file: the position is in the env file itself.
    let t = with_env_service(project());
    std::fs::write(t.path().join("web.env"), b"A=1\nB=\xff\xfe\n").unwrap();
    hsm_snapshot!(refused(&t, &["check", "--locked"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: web.env is not UTF-8 text: byte 0xFF is not valid UTF-8
       ╭─[web.env:2:3]
     1 │ A=1
     2 │ B=��
       ·   ┬
       ·   ╰── not UTF-8
       ╰────
      help: save web.env as UTF-8 (0xFF is `ÿ` in Latin-1 and Windows-1252, the encoding it was probably saved in)
    ");

    // The user's pyproject.toml, which sync edits: refused (and left as it is), never
    // rewritten from a lossy reading.
    let t = project().file("hsm.yaml", "libraries:\n  standalone: [sqlite-client]\n");
    std::fs::write(
        t.path().join("pyproject.toml"),
        b"[project]\nname = \"demo\"\n# caf\xe9\ndependencies = []\n",
    )
    .unwrap();
    hsm_snapshot!(refused(&t, &["sync", "--no-install"]), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: pyproject.toml is not UTF-8 text: byte 0xE9 is not valid UTF-8
       ╭─[pyproject.toml:3:6]
     2 │ name = "demo"
     3 │ # caf�
       ·      ┬
       ·      ╰── not UTF-8
     4 │ dependencies = []
       ╰────
      help: save pyproject.toml as UTF-8 (0xE9 is `é` in Latin-1 and Windows-1252, the encoding it was probably saved in)
    "#);
}

#[test]
fn editing_a_file_that_ends_in_a_multi_byte_character() {
    // The editor used to slice inside `é` and panic (exit 101).
    let t = project()
        .registry_file(
            "libraries/pg-client.yaml",
            "name: pg-client\nversion: 1.0.0\ndescription: café",
        )
        .manifest("project:\n  name: café");
    common::ok(
        &t,
        &[
            "registry",
            "library",
            "implies",
            "add",
            "pg-client",
            "service:postgres",
        ],
    );
    assert_eq!(
        t.read("hsm-registry/libraries/pg-client.yaml"),
        "name: pg-client\nversion: 1.0.0\ndescription: café\nimplies:\n  service:postgres: {}\n"
    );
    common::ok(&t, &["group", "add", "db-client", "--option", "pg-client"]);
    assert!(
        t.read("hsm.yaml")
            .starts_with("project:\n  name: café\nlibraries:\n"),
        "{}",
        t.read("hsm.yaml")
    );
}

#[test]
fn edits_hsm_cannot_make_as_written_are_refused() {
    let t = project().manifest("libraries: !custom {}\n");
    hsm_snapshot!(refused(&t, &["group", "add", "db-client", "--option", "pg-client"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: cannot edit hsm.yaml: `libraries` is tagged `!custom`, expected a mapping
       ╭─[hsm.yaml:1:12]
     1 │ libraries: !custom {}
       ·            ─────┬────
       ·                 ╰── expected a mapping
       ╰────
      help: hsm cannot edit a value with a tag of its own without losing the tag: remove the tag, then run the command again
    ");
    let t = project().manifest("services: &shared {}\nlibraries: *shared\n");
    hsm_snapshot!(refused(&t, &["group", "add", "db-client", "--option", "pg-client"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: cannot edit hsm.yaml: `libraries` is an alias (`*shared`), expected a mapping
       ╭─[hsm.yaml:2:12]
     1 │ services: &shared {}
     2 │ libraries: *shared
       ·            ───┬───
       ·               ╰── expected a mapping
       ╰────
      help: an edit through an alias would change every place its anchor is used: write the value out in place of the alias, then run the command again
    ");
}

/// What hsm's editor would read unlike its loader (found by the fuzzer): refused, nothing
/// written, with where it is and how to rewrite it.
#[test]
fn edits_hsm_cannot_make_losslessly_are_refused() {
    let add = ["group", "add", "db-client", "--option", "pg-client"];
    // A line break to the loader (YAML 1.1), a character to the editor.
    let t = project().file(
        "hsm.yaml",
        "# notes\u{2028}\nlibraries:\n  standalone: [pg-client]\n",
    );
    hsm_snapshot!(refused(&t, &add), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm cannot edit hsm.yaml losslessly: a line separator (U+2028) at 1:8
       ╭─[hsm.yaml:1:8]
     1 │ # notes
       ·        ┬
       ·        ╰── a line break to hsm's YAML reader, not to its editor
     2 │ libraries:
       ╰────
      help: edit hsm.yaml by hand, or replace it with an ordinary line break (or remove it); then run the command again
    ");
    let t = project().file("hsm.yaml", "? libraries\n: {standalone: [pg-client]}\n");
    hsm_snapshot!(refused(&t, &["service", "add", "postgres"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm cannot edit hsm.yaml losslessly: an explicit key (`?`) at 1:1
       ╭─[hsm.yaml:1:1]
     1 │ ? libraries
       · ┬
       · ╰── an explicit key
     2 │ : {standalone: [pg-client]}
       ╰────
      help: edit hsm.yaml by hand, or write the entry as `key: value` in a block mapping; then run the command again
    ");
    let t = project().file(
        "hsm.yaml",
        "libraries:\n  standalone: [\n    pg-client\n]\n",
    );
    hsm_snapshot!(refused(&t, &["service", "add", "postgres"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm cannot edit hsm.yaml losslessly: a flow collection over several lines at 2:15
       ╭─[hsm.yaml:2:15]
     1 │ libraries:
     2 │   standalone: [
       ·               ┬
       ·               ╰── this collection does not end on its line
     3 │     pg-client
       ╰────
      help: edit hsm.yaml by hand, or write the collection on one line or as a block mapping or list; then run the command again
    ");
    // The editor does not see `implies` after the odd tag and would add a second one.
    let t = project().registry_file(
        "libraries/pg-client.yaml",
        "name: pg-client\nversion: 1.0.0\ndescription: !x$y!z\nimplies:\n  service:postgres: {}\n",
    );
    let out = refused(
        &t,
        &[
            "registry",
            "library",
            "implies",
            "add",
            "pg-client",
            "service:postgres",
            "db_name=x",
            "--force",
        ],
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm cannot edit hsm-registry/libraries/pg-client.yaml losslessly: the tag `!x$y!z` at 3:14
       ╭─[hsm-registry/libraries/pg-client.yaml:3:14]
     2 │ version: 1.0.0
     3 │ description: !x$y!z
       ·              ───┬──
       ·                 ╰── a tag hsm's editor reads unlike its loader
     4 │ implies:
       ╰────
      help: edit hsm-registry/libraries/pg-client.yaml by hand, or remove the tag; then run the command again
    ");
}
