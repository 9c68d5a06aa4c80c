//! The command line itself: `--help` of every command (snapshots), `--version`, shell
//! completions, colour only on a terminal without NO_COLOR.

use crate::common;

use std::process::Command;

use clap::CommandFactory;
use common::{Test, tool};

/// Every command path of the CLI: `[]`, `["group"]`, `["group", "add"]`, ...
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        out.push(prefix.to_vec());
        for sub in cmd.get_subcommands() {
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_string());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&hsm::Cli::command(), &[], &mut out);
    out
}

/// `hsm <command> --help` for every command and subcommand: adding a command means adding
/// its snapshot (review it with `cargo insta review`).
#[test]
fn help_of_every_command() {
    let t = Test::new();
    let paths = command_paths();
    assert!(paths.len() > 20, "{paths:?}");
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = t.hsm(&args);
        out.success();
        assert_eq!(out.stderr, "", "{args:?}");
        let name = if path.is_empty() {
            "help__hsm".to_string()
        } else {
            format!("help__hsm_{}", path.join("_"))
        };
        hsm_snapshot!(name, out, &format!("hsm {}", args.join(" ")));
    }
}

#[test]
fn version() {
    let t = Test::new();
    for flag in ["--version", "-V"] {
        let out = t.hsm(&[flag]);
        out.success();
        assert_eq!(
            out.stdout,
            format!("hsm {}\n", env!("CARGO_PKG_VERSION")),
            "{flag}"
        );
    }
    insta::with_settings!({filters => vec![(env!("CARGO_PKG_VERSION"), "[VERSION]")]}, {
        hsm_snapshot!(t.hsm(&["--version"]), @"
        success: true
        exit_code: 0
        ----- stdout -----
        hsm [VERSION]

        ----- stderr -----
        ");
    });
    // Also after a subcommand (propagated).
    t.hsm(&["library", "--version"]).success();
}

#[test]
fn usage_errors_exit_2() {
    let t = Test::new();
    let out = t.hsm(&["completions", "tcsh"]);
    out.code(2);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: invalid value 'tcsh' for '<SHELL>'
      [possible values: bash, elvish, fish, powershell, zsh]

      tip: a similar value exists: 'zsh'

    For more information, try '--help'.
    ");
    let out = t.hsm(&["schema", "lock"]);
    out.code(2);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: invalid value 'lock' for '<KIND>'
      [possible values: manifest, library, service, group]

    For more information, try '--help'.
    ");
    let out = t.hsm(&["service", "init", "x", "--runtime", "pixi"]);
    out.code(2);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: invalid value 'pixi' for '--runtime <RUNTIME>'
      [possible values: docker, podman, uv]

    For more information, try '--help'.
    ");
}

#[test]
fn bash_completions_load_and_complete() {
    require!("bash");
    let t = Test::new();
    let out = t.hsm(&["completions", "bash"]);
    out.success();
    let script = t.path().join("hsm.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let check = Command::new(tool("bash"))
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Source it and ask for completions the way bash does on TAB.
    let complete = |line: &str| -> Vec<String> {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source {}\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{line}'\nCOMP_POINT={}\n_hsm hsm '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            words.len() - 1,
            line.len(),
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = Command::new(tool("bash"))
            .arg("-c")
            .arg(program)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let top = complete("hsm re");
    assert!(top.contains(&"registry".to_string()), "{top:?}");
    assert!(top.contains(&"resolve".to_string()), "{top:?}");
    let library = complete("hsm library ");
    for sub in ["add", "remove", "mode", "init"] {
        assert!(library.contains(&sub.to_string()), "{library:?}");
    }
    let shells = complete("hsm completions ");
    assert!(shells.contains(&"fish".to_string()), "{shells:?}");
}

#[test]
fn zsh_and_fish_completions_name_the_commands() {
    let t = Test::new();
    let zsh = t.hsm(&["completions", "zsh"]);
    zsh.success();
    assert!(
        zsh.stdout.starts_with("#compdef hsm"),
        "{}",
        &zsh.stdout[..80]
    );
    let fish = t.hsm(&["completions", "fish"]);
    fish.success();
    for script in [&zsh.stdout, &fish.stdout] {
        for word in [
            "registry",
            "library",
            "completions",
            "schema",
            "init",
            "git-init",
        ] {
            assert!(script.contains(word), "{word} missing");
        }
    }
    assert!(fish.stdout.contains("complete -c hsm"));
}

/// Completions and schemas need no project and never touch one.
#[test]
fn print_only_commands_need_no_project() {
    let t = Test::new();
    for args in [&["completions", "bash"][..], &["schema", "manifest"][..]] {
        t.hsm(args).success();
    }
    assert!(t.tree().is_empty());
}

/// Run `hsm ARGS` on a pseudo-terminal (util-linux `script`); its output, stderr included.
fn on_terminal(t: &Test, args: &str, no_color: bool) -> String {
    let mut cmd = Command::new(tool("script"));
    cmd.args(["-qec"])
        .arg(format!("{} {args}", env!("CARGO_BIN_EXE_hsm")))
        .arg("/dev/null")
        .current_dir(t.path())
        .env_remove("NO_COLOR")
        .env_remove("HSM_REGISTRY_PATH");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    require!("script");
    let t = Test::new();
    // No hsm.yaml: an error.
    let coloured = on_terminal(&t, "check", false);
    assert!(coloured.contains("no hsm.yaml"), "{coloured}");
    assert!(
        coloured.contains('\x1b'),
        "a terminal gets colour: {coloured:?}"
    );
    let plain = on_terminal(&t, "check", true);
    assert!(plain.contains("no hsm.yaml"), "{plain}");
    assert!(!plain.contains('\x1b'), "NO_COLOR: {plain:?}");
    // clap's own output follows the same rule.
    let help = on_terminal(&t, "--help", true);
    assert!(help.contains("Usage:"), "{help}");
    assert!(!help.contains('\x1b'), "NO_COLOR: {help:?}");
    let usage = on_terminal(&t, "--bogus", true);
    assert!(!usage.contains('\x1b'), "NO_COLOR: {usage:?}");
    // Not a terminal: no colour even without NO_COLOR.
    let out = Command::new(env!("CARGO_BIN_EXE_hsm"))
        .arg("check")
        .current_dir(t.path())
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("no hsm.yaml") && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
}

/// While uv runs, a terminal gets one progress line that redraws itself in place and is
/// cleared when uv ends; a pipe never gets it; `--quiet` removes it; `--verbose` shows each
/// command and streams the tool's own output instead.
#[test]
fn a_progress_line_only_on_a_terminal_and_verbose_streams_the_tools() {
    require!("script");
    let t = Test::new()
        .manifest(&common::quick_start("qdrant-adapter"))
        .fake_tool(
            "uv",
            "sleep 0.6\necho \"uv says $1\" >&2\ncase \"$1\" in\n  lock) cp pyproject.toml uv.lock ;;\n  sync) mkdir -p .venv ;;\nesac",
        );
    let path = t
        .command(&[])
        .get_envs()
        .find(|(k, _)| *k == "PATH")
        .and_then(|(_, v)| v)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let terminal = |args: &str| {
        let out = Command::new(tool("script"))
            .args(["-qec"])
            .arg(format!("{} {args}", env!("CARGO_BIN_EXE_hsm")))
            .arg("/dev/null")
            .current_dir(t.path())
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env_remove("HSM_REGISTRY_PATH")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let shown = terminal("sync");
    assert!(
        shown.contains("\r\x1b[2K⠹ uv lock (0s)") || shown.contains(" uv lock (0s)"),
        "{shown:?}"
    );
    assert!(shown.contains(" uv sync (0s)"), "{shown:?}");
    // Each line is cleared at the end: the last progress output is a bare clear-line.
    let last = shown.rfind(" uv sync (0s)").unwrap();
    assert!(shown[last..].contains("\r\x1b[2K"), "{shown:?}");
    assert!(shown.contains("Ran uv lock, uv sync"), "{shown:?}");
    assert!(
        !shown.contains("uv says"),
        "the tool's output is only shown with --verbose: {shown:?}"
    );

    // A pipe: no progress line.
    std::fs::remove_file(t.path().join("hsm.lock")).unwrap();
    let out = t.hsm(&["sync"]);
    out.success();
    assert!(
        !out.stderr.contains('\x1b') && out.stderr.is_empty(),
        "{:?}",
        out.stderr
    );
    // --quiet on a terminal: none either.
    std::fs::remove_file(t.path().join("hsm.lock")).unwrap();
    let quiet = terminal("sync --quiet");
    assert!(!quiet.contains("\x1b[2K"), "{quiet:?}");
    // --verbose: each command, the tool's own output, and how it ended.
    std::fs::remove_file(t.path().join("hsm.lock")).unwrap();
    let out = t.hsm(&["sync", "--verbose"]);
    out.success();
    assert_eq!(
        out.stderr
            .lines()
            .map(|l| if l.contains(" done after ") {
                l.split(" done after ").next().unwrap_or(l)
            } else {
                l
            })
            .collect::<Vec<_>>(),
        [
            "hsm: full sync: no earlier sync left a fingerprint",
            "hsm: running `uv lock`",
            "uv says lock",
            "hsm: `uv lock`",
            "hsm: running `uv sync`",
            "uv says sync",
            "hsm: `uv sync`"
        ],
        "{}",
        out.stderr
    );
    // Both at once is a usage error.
    assert_eq!(t.hsm(&["sync", "-q", "--verbose"]).code, 2);
}

/// Dynamic completions (`source <(COMPLETE=bash hsm)`): groups, components and profiles
/// come from the registry of the project around the current directory, its own layers
/// included, through bash's real completion function.
#[test]
fn dynamic_completions_name_the_registrys_groups_components_and_profiles() {
    require!("bash");
    let t = Test::new()
        .manifest("project: {name: p}\nregistries: [reg]\n")
        .file("reg/libraries/own-lib.yaml", "name: own-lib\n")
        .file("sub/.keep", "");
    let complete = |line: &str| -> Vec<String> {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source <(COMPLETE=bash {hsm})\nCOMP_WORDS=({words})\nCOMP_CWORD={cword}\nCOMP_LINE='{line}'\nCOMP_POINT={point}\nCOMP_TYPE=9\n_clap_complete_hsm hsm '{cur}' '{prev}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
            hsm = env!("CARGO_BIN_EXE_hsm"),
            words = words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            cword = words.len() - 1,
            point = line.len(),
            cur = words[words.len() - 1],
            prev = words[words.len() - 2],
        );
        let out = Command::new(tool("bash"))
            .arg("-c")
            .arg(program)
            .current_dir(t.path().join("sub"))
            .env_remove("HSM_REGISTRY_PATH")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    };
    assert_eq!(complete("hsm group add vector-db-a"), ["vector-db-adapter"]);
    let options = complete("hsm group add vector-db-adapter --option milvus");
    assert_eq!(options, ["milvus", "milvus-adapter"]);
    assert_eq!(complete("hsm library add own"), ["own-lib"]);
    assert_eq!(complete("hsm why own-"), ["own-lib"]);
    let profiles = complete("hsm service add postgres --profile ");
    assert!(profiles.contains(&"external".to_string()), "{profiles:?}");
    // Outside any project, names come from the built-in registry.
    let bare = Test::new();
    let out = bare
        .command(&["--", "hsm", "mode", "dev", "qdrant-ad"])
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "3")
        .env("_CLAP_IFS", "\n")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "qdrant-adapter"
    );
}
