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
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
}

#[test]
fn unknown_key_in_manifest() {
    let out = check_fails(project().manifest("libraries:\n  groups:\n    db-client:\n      strategy: 1-of-N\n      selction: pg-client\n"));
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
}

#[test]
fn selection_that_is_not_an_option() {
    let out = check_fails(project().manifest(
        "libraries:\n  groups:\n    db-client: {strategy: 1-of-N, selection: pg-clients}\n",
    ));
    hsm_snapshot!(out);
    assert!(
        out.stderr.contains("did you mean `pg-client`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn list_selection_for_a_one_of_n_group() {
    let out = check_fails(project().manifest("libraries:\n  groups:\n    db-client:\n      strategy: 1-of-N\n      selection: [pg-client, sqlite-client]\n"));
    hsm_snapshot!(out);
}

#[test]
fn strategy_that_disagrees_with_the_registry() {
    let out = check_fails(project().manifest(
        "libraries:\n  groups:\n    db-client: {strategy: M-of-N, selection: [pg-client]}\n",
    ));
    hsm_snapshot!(out);
}

#[test]
fn invalid_semver_range_in_manifest() {
    let out = check_fails(project().manifest(
        "libraries:\n  standalone: [pg-client]\nconstraints:\n  postgres: \">=16 <<17\"\n",
    ));
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
}

#[test]
fn hostile_names_never_become_paths() {
    let out =
        check_fails(project().manifest("libraries:\n  standalone: [\"../../../etc/passwd\"]\n"));
    hsm_snapshot!(out);
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
    hsm_snapshot!(out);
}

#[test]
fn wrong_mode_value() {
    let out = check_fails(project().manifest("modes:\n  pg-client: develop\n"));
    hsm_snapshot!(out);
}

#[test]
fn unknown_name_in_modes() {
    let out = check_fails(project().manifest("modes:\n  pg-clinet: dev\n"));
    hsm_snapshot!(out);
}

#[test]
fn empty_and_huge_files() {
    let out = check_fails(project().manifest("# nothing yet\n"));
    hsm_snapshot!("empty_manifest", out);
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
    hsm_snapshot!(out);
}

#[test]
fn a_registry_path_that_does_not_exist() {
    let out = Test::new()
        .manifest("project: {name: x}\n")
        .args(["check", "--registry", "nowhere"])
        .run();
    out.failure();
    hsm_snapshot!(out);
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
    hsm_snapshot!("fifo_manifest", refused(&t, &["check"]));

    let t = project()
        .timeout(30)
        .manifest("libraries:\n  standalone: [fifo-client]\n")
        .fifo("hsm-registry/libraries/fifo-client.yaml");
    hsm_snapshot!("fifo_registry_file", refused(&t, &["check"]));

    let t = with_env_service(project().timeout(30)).fifo("web.env");
    hsm_snapshot!("fifo_env_file", refused(&t, &["check", "--locked"]));

    let t = project()
        .timeout(30)
        .manifest("libraries:\n  standalone: [pg-client]\n")
        .fifo("pyproject.toml");
    hsm_snapshot!("fifo_pyproject", refused(&t, &["check", "--locked"]));

    let t = project()
        .timeout(30)
        .manifest("services:\n  standalone: [postgres]\n")
        .fifo("hsm.lock");
    hsm_snapshot!("fifo_lock", refused(&t, &["check", "--locked"]));

    // A scenario file, given by name or found in a directory.
    let t = project().timeout(30).fifo("rules/a.yaml");
    hsm_snapshot!(
        "fifo_scenario",
        refused(&t, &["registry", "test", "rules/a.yaml"])
    );
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
    hsm_snapshot!("directory_manifest", refused(&t, &["check"]));

    // A symlink is followed: to a regular file it is fine, to a device it is not.
    let t = project()
        .timeout(30)
        .file("real.yaml", "libraries:\n  standalone: [pg-client]\n");
    std::os::unix::fs::symlink("real.yaml", t.path().join("hsm.yaml")).unwrap();
    common::ok(&t, &["check"]);
    let t = project().timeout(30);
    std::os::unix::fs::symlink("/dev/zero", t.path().join("hsm.yaml")).unwrap();
    hsm_snapshot!("device_manifest", refused(&t, &["check"]));
}

#[test]
fn a_huge_file_is_read_only_up_to_the_limit() {
    // 64 GiB, sparse: reading it whole would take minutes and all the memory there is.
    let t = project().timeout(30);
    let file = std::fs::File::create(t.path().join("hsm.yaml")).unwrap();
    file.set_len(64 << 30).unwrap();
    hsm_snapshot!("huge_manifest", refused(&t, &["check"]));
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
    hsm_snapshot!("deep_flow_nesting", refused(&t, &["check"]));

    // Block nesting, by indentation, in a registry file.
    let mut deep = String::from("name: pg-client\nversion: 1.0.0\nimplies:\n");
    for i in 1..3000 {
        deep.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
    }
    let t = project()
        .timeout(30)
        .registry_file("libraries/pg-client.yaml", &deep)
        .manifest("libraries:\n  standalone: [pg-client]\n");
    hsm_snapshot!("deep_block_nesting", refused(&t, &["check"]));

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
    hsm_snapshot!("billion_laughs", refused(&t, &["check"]));

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
    hsm_snapshot!("latin1_manifest", refused(&t, &["check"]));

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
    hsm_snapshot!("utf16_registry_file", refused(&t, &["check"]));

    // An env file: the position is in the env file itself.
    let t = with_env_service(project());
    std::fs::write(t.path().join("web.env"), b"A=1\nB=\xff\xfe\n").unwrap();
    hsm_snapshot!("invalid_utf8_env_file", refused(&t, &["check", "--locked"]));

    // The user's pyproject.toml, which sync edits: refused (and left as it is), never
    // rewritten from a lossy reading.
    let t = project().file("hsm.yaml", "libraries:\n  standalone: [sqlite-client]\n");
    std::fs::write(
        t.path().join("pyproject.toml"),
        b"[project]\nname = \"demo\"\n# caf\xe9\ndependencies = []\n",
    )
    .unwrap();
    hsm_snapshot!("latin1_pyproject", refused(&t, &["sync", "--no-install"]));
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
    hsm_snapshot!(
        "edit_custom_tag",
        refused(&t, &["group", "add", "db-client", "--option", "pg-client"])
    );
    let t = project().manifest("services: &shared {}\nlibraries: *shared\n");
    hsm_snapshot!(
        "edit_through_alias",
        refused(&t, &["group", "add", "db-client", "--option", "pg-client"])
    );
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
    hsm_snapshot!("edit_line_separator", refused(&t, &add));
    let t = project().file("hsm.yaml", "? libraries\n: {standalone: [pg-client]}\n");
    hsm_snapshot!(
        "edit_explicit_key",
        refused(&t, &["service", "add", "postgres"])
    );
    let t = project().file(
        "hsm.yaml",
        "libraries:\n  standalone: [\n    pg-client\n]\n",
    );
    hsm_snapshot!(
        "edit_multi_line_flow",
        refused(&t, &["service", "add", "postgres"])
    );
    // The editor does not see `implies` after the odd tag and would add a second one.
    let t = project().registry_file(
        "libraries/pg-client.yaml",
        "name: pg-client\nversion: 1.0.0\ndescription: !x$y!z\nimplies:\n  service:postgres: {}\n",
    );
    hsm_snapshot!(
        "edit_odd_tag",
        refused(
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
            ]
        )
    );
}
