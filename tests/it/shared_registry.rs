//! Registries shared from git (`git+<url>@<ref>[#subdirectory=<dir>]`) and layered
//! registries (`registries:`), with real git on `git+file://` repositories: fetched into
//! the cache once, pinned in hsm.lock, read without a git call afterwards, checked by
//! `--locked`, moved by `hsm registry update`, refused by `--offline` when not cached.

use crate::common;

use std::process::Command;

use common::{Test, git, ok};

const TEAM_LIB: &str =
    "name: team-lib\nversion: VERSION\nsources:\n  prod: {type: pypi, version: \"VERSION\"}\n";

/// A project whose registry repository is `remote/` (inside the temporary directory, so
/// messages show `[TEMP]`), with `team-lib` 1.0.0 tagged `v1`; git calls are logged to
/// `git.log`, and the cache is `.cache/`.
fn project(registry_key: &str, subdirectory: Option<&str>) -> Test {
    let real_git = common::tool("git").display().to_string();
    let t = Test::new().fake_tool(
        "git",
        &format!("echo \"$*\" >> \"$HSM_TEST_GIT_LOG\"\nexec {real_git} \"$@\""),
    );
    let log = t.path().join("git.log").display().to_string();
    let cache = t.path().join(".cache").display().to_string();
    let t = t.env("HSM_TEST_GIT_LOG", &log).env("HSM_CACHE_DIR", &cache);
    let reg = match subdirectory {
        Some(sub) => format!("remote/{sub}"),
        None => "remote".to_string(),
    };
    let t = t.file(
        &format!("{reg}/libraries/team-lib.yaml"),
        &TEAM_LIB.replace("VERSION", "1.0.0"),
    );
    let remote = t.path().join("remote");
    git(&remote, &["init", "-q", "-b", "main"]);
    git(&remote, &["add", "."]);
    git(&remote, &["commit", "-qm", "v1"]);
    git(&remote, &["tag", "v1"]);
    let fragment = subdirectory
        .map(|s| format!("#subdirectory={s}"))
        .unwrap_or_default();
    let spec = format!("git+file://{}@v1{fragment}", remote.display());
    let value = if registry_key == "registries" {
        format!("registries: [\"{spec}\"]\n")
    } else {
        format!("registry: \"{spec}\"\n")
    };
    t.manifest(&format!(
        "project: {{name: p}}\n{value}libraries:\n  standalone: [team-lib]\n"
    ))
}

fn rev(t: &Test, rev: &str) -> String {
    let out = Command::new("git")
        .args(["rev-parse", rev])
        .current_dir(t.path().join("remote"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn git_calls(t: &Test) -> String {
    std::fs::read_to_string(t.path().join("git.log")).unwrap_or_default()
}

/// Move tag `v1` to a new commit where team-lib is 1.1.0.
fn move_tag(t: &Test) {
    let remote = t.path().join("remote");
    std::fs::write(
        remote.join("libraries/team-lib.yaml"),
        TEAM_LIB.replace("VERSION", "1.1.0"),
    )
    .unwrap();
    git(&remote, &["commit", "-qam", "v1.1"]);
    git(&remote, &["tag", "-f", "v1"]);
}

#[test]
fn a_git_registry_is_fetched_once_pinned_in_hsm_lock_and_read_from_the_cache() {
    require!("git");
    let t = project("registry", None);
    let out = ok(&t, &["sync", "--no-install"]);
    assert!(
        out.stdout.contains("Wrote pyproject.toml, hsm.lock"),
        "{}",
        out.stdout
    );
    assert!(t.read("pyproject.toml").contains("team-lib==1.0.0"));
    let lock = t.read("hsm.lock");
    let commit = rev(&t, "v1");
    assert!(lock.contains(&format!("commit = \"{commit}\"")), "{lock}");
    assert!(
        lock.contains("[[registry_source]]") && lock.contains("digest = \"fnv1a64:"),
        "{lock}"
    );
    assert!(git_calls(&t).contains("clone --bare"), "{}", git_calls(&t));
    // Every later command reads the pinned checkout: no git call at all.
    std::fs::remove_file(t.path().join("git.log")).unwrap();
    ok(&t, &["list"]);
    let again = ok(&t, &["sync", "--no-install"]);
    assert!(again.stdout.contains("up to date"), "{}", again.stdout);
    ok(&t, &["--offline", "resolve"]);
    assert_eq!(git_calls(&t), "", "a git call after the first fetch");
    // Files of the registry are cited by the registry's spec.
    let out = ok(&t, &["why", "team-lib"]);
    assert!(out.stdout.contains("team-lib"), "{}", out.stdout);
}

#[test]
fn locked_fails_when_the_ref_moved_and_registry_update_moves_the_pin() {
    require!("git");
    let t = project("registries", None);
    ok(&t, &["sync", "--no-install"]);
    let old = rev(&t, "v1");
    move_tag(&t);
    let new = rev(&t, "v1");
    // Without --locked the pin holds: same registry, same stack, no fetch.
    let same = ok(&t, &["sync", "--no-install"]);
    assert!(same.stdout.contains("up to date"), "{}", same.stdout);
    let before = t.tree();
    let out = t.hsm(&["sync", "--no-install", "--locked"]);
    out.failure();
    let text = out
        .stderr
        .replace(&old[..12], "[OLD]")
        .replace(&new[..12], "[NEW]");
    hsm_snapshot!(common::Output { stderr: text, ..out }, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: --locked: registry git+file://[TEMP]/remote@v1 has moved: `v1` now points at [NEW], hsm.lock records [OLD]
       ╭─[hsm.yaml:2:14]
     1 │ project: {name: p}
     2 │ registries: ["git+file://[TEMP]/remote@v1"]
       ·              ───────────────────┬──────────────────
       ·                                 ╰── this registry
     3 │ libraries:
       ╰────
      help: run `hsm registry update` to take the new commit (and review what changed), then commit hsm.lock
    "#);
    assert_eq!(
        t.tree()
            .into_iter()
            .filter(|(p, _)| !p.starts_with(".cache/") && p != "git.log")
            .collect::<Vec<_>>(),
        before
            .into_iter()
            .filter(|(p, _)| !p.starts_with(".cache/") && p != "git.log")
            .collect::<Vec<_>>()
    );
    // `registry update` moves the pin; the next sync applies the new registry.
    let out = ok(&t, &["registry", "update"]);
    let text = out
        .stdout
        .replace(&old[..12], "[OLD]")
        .replace(&new[..12], "[NEW]");
    assert!(text.contains("@v1: [OLD] -> [NEW]"), "{text}");
    assert!(t.read("hsm.lock").contains(&new));
    ok(&t, &["sync", "--no-install"]);
    assert!(t.read("pyproject.toml").contains("team-lib==1.1.0"));
    ok(&t, &["sync", "--no-install", "--locked"]);
    let out = ok(&t, &["registry", "update"]);
    assert!(out.stdout.contains("(unchanged)"), "{}", out.stdout);
}

#[test]
fn offline_with_an_empty_cache_fails_clearly() {
    require!("git");
    let t = project("registry", None);
    let out = common::refused(&t, &["--offline", "sync", "--no-install"]);
    let text = out
        .stderr
        .replace(&format!("file://{}", t.path().display()), "file://[TEMP]");
    hsm_snapshot!(common::Output { stderr: text, ..out }, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: --offline: registry git+file://[TEMP]/remote@v1 is not in the cache (it has never been fetched)
       ╭─[hsm.yaml:2:1]
     1 │ project: {name: p}
     2 │ registry: "git+file://[TEMP]/remote@v1"
       · ────┬───
       ·     ╰── this registry
     3 │ libraries:
       ╰────
      help: run the command once without --offline to fetch it (the cache is $HSM_CACHE_DIR, else ~/.cache/hsm)
    "#);
    assert_eq!(git_calls(&t), "");
    // Once fetched, --offline works.
    ok(&t, &["resolve"]);
    ok(&t, &["--offline", "sync", "--no-install"]);
    let out = common::refused(&t, &["--offline", "registry", "update"]);
    assert!(out.stderr.contains("--offline"), "{}", out.stderr);
}

#[test]
fn a_registry_in_a_subdirectory_of_the_repository() {
    require!("git");
    let t = project("registry", Some("hsm/registry"));
    ok(&t, &["sync", "--no-install"]);
    assert!(t.read("pyproject.toml").contains("team-lib==1.0.0"));
}

#[test]
fn a_layered_registry_adds_components_on_top_of_the_builtin_one() {
    require!("git");
    // A local layer with one component, in front of the built-in registry.
    let t = Test::new()
        .manifest("project: {name: p}\nregistries: [my-registry]\nlibraries:\n  standalone: [own-lib]\n  groups:\n    vector-db-adapter: {selection: qdrant-adapter}\n")
        .file("my-registry/libraries/own-lib.yaml", "name: own-lib\nversion: 2.0.0\nsources:\n  prod: {type: pypi, version: \"2.0.0\"}\n");
    ok(&t, &["sync", "--no-install"]);
    let py = t.read("pyproject.toml");
    assert!(
        py.contains("own-lib==2.0.0") && py.contains("qdrant-client"),
        "{py}"
    );
    // A layer's entry hides the built-in one of the same name.
    let t = t.file(
        "my-registry/libraries/qdrant-adapter.yaml",
        "name: qdrant-adapter\nversion: 9.0.0\nsources:\n  prod: {type: pypi, name: qdrant-client, version: \"9.0.0\"}\n",
    );
    ok(&t, &["sync", "--no-install"]);
    assert!(t.read("pyproject.toml").contains("qdrant-client==9.0.0"));
    // `registry list` shows the layers together; editing writes to the first one.
    let listed = ok(&t, &["registry", "list"]);
    assert!(
        listed.stdout.contains("own-lib") && listed.stdout.contains("milvus-adapter"),
        "{}",
        listed.stdout
    );
    ok(&t, &["registry", "library", "add", "extra", "--no-input"]);
    assert!(t.exists("my-registry/libraries/extra.yaml"));
    // A git layer in front of a local one.
    let g = project("registries", None);
    let spec = g.read("hsm.yaml");
    let spec = spec.split('"').nth(1).unwrap().to_string();
    std::fs::write(
        g.path().join("hsm.yaml"),
        format!("project: {{name: p}}\nregistries: [\"{spec}\", local]\nlibraries:\n  standalone: [team-lib, local-lib]\n"),
    )
    .unwrap();
    let g = g.file("local/libraries/local-lib.yaml", "name: local-lib\n");
    ok(&g, &["sync", "--no-install"]);
    let py = g.read("pyproject.toml");
    assert!(
        py.contains("team-lib==1.0.0") && py.contains("local-lib"),
        "{py}"
    );
    // The first layer is the git one: editing commands refuse it.
    let out = common::refused(&g, &["registry", "library", "add", "x", "--no-input"]);
    assert!(out.stderr.contains("is a git repository"), "{}", out.stderr);
}

#[test]
fn bad_git_registry_specs_are_refused_where_they_are_written() {
    let t = Test::new().manifest("project: {name: p}\nregistries: [\"git+/not/a/url@v1\"]\n");
    let out = common::refused(&t, &["resolve"]);
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `git+/not/a/url@v1` is not a git registry: `/not/a/url` is not a URL git can clone (`git+https://…`, `git+ssh://…`, `git+file://…`)
       ╭─[hsm.yaml:2:14]
     1 │ project: {name: p}
     2 │ registries: ["git+/not/a/url@v1"]
       ·              ─────────┬─────────
       ·                       ╰── here
       ╰────
      help: write `git+<url>@<tag or commit>`, with `#subdirectory=<dir>` when the registry is not at the repository's root
    "#);
}
