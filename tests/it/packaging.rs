//! hsm installs the way the tools its users have do (ruff, uv): a wheel that maturin builds
//! from `pyproject.toml` (`bindings = "bin"`) and `uv tool install` or `pip install` puts on
//! PATH.
//!
//! `scripts/test` builds the wheel with maturin before `cargo test`, in the tests' own
//! target directory (so it reuses their compiled dependencies), and names it in
//! `HSM_TEST_WHEEL_DIR`. Building it here, while other tests run the hsm binary of that
//! directory, would replace the binary under them; without that variable this test builds
//! into a target directory of its own instead (slower, but never in the way).

use crate::common;

use std::path::PathBuf;
use std::process::Command;

/// The cargo target directory this test binary was built in (`<target>/debug/deps/it-…`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

#[track_caller]
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_wheel_puts_hsm_on_path_with_uv_tool_install_and_pip() {
    require!("maturin");
    require!("uv");
    let work = tempfile::tempdir().unwrap();
    let wheels = match std::env::var_os("HSM_TEST_WHEEL_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let wheels = work.path().join("wheels");
            run(Command::new("maturin")
                .args(["build", "--profile", "dev", "--locked", "--out"])
                .arg(&wheels)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .env("CARGO_TARGET_DIR", target_dir().join("packaging-test")));
            wheels
        }
    };
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("maturin wrote no wheel");
    let name = wheel.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with(&format!(
            "hyper_stack_manager-{}-",
            env!("CARGO_PKG_VERSION")
        )),
        "{name}"
    );
    let expected = format!("hsm {}\n", env!("CARGO_PKG_VERSION"));
    let offline = |cmd: &mut Command| {
        cmd.env("UV_OFFLINE", "1")
            .env("UV_NO_INDEX", "1")
            .env("UV_PYTHON_DOWNLOADS", "never")
            .env("UV_CACHE_DIR", work.path().join("cache"))
            .env_remove("VIRTUAL_ENV");
    };

    // `uv tool install`: the binary lands in the tool bin directory.
    let bin = work.path().join("bin");
    let mut install = Command::new("uv");
    install
        .args(["tool", "install"])
        .arg(&wheel)
        .env("UV_TOOL_DIR", work.path().join("tools"))
        .env("UV_TOOL_BIN_DIR", &bin);
    offline(&mut install);
    run(&mut install);
    assert_eq!(
        run(Command::new(bin.join("hsm")).arg("--version")),
        expected
    );

    // `pip install` (here uv's pip) into a virtual environment: `.venv/bin/hsm`.
    let venv = work.path().join("venv");
    let mut make = Command::new("uv");
    make.arg("venv").arg(&venv);
    offline(&mut make);
    run(&mut make);
    let mut pip = Command::new("uv");
    pip.args(["pip", "install", "--python"])
        .arg(venv.join("bin/python"))
        .arg(&wheel);
    offline(&mut pip);
    run(&mut pip);
    let installed = venv.join("bin/hsm");
    assert_eq!(run(Command::new(&installed).arg("--version")), expected);
    // The installed binary is the whole tool: it runs the quick start's resolve.
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("hsm.yaml"),
        common::quick_start("qdrant-adapter"),
    )
    .unwrap();
    let out = run(Command::new(&installed)
        .arg("resolve")
        .current_dir(project.path())
        .env_remove("HSM_REGISTRY_PATH"));
    assert!(out.contains("qdrant-adapter"), "{out}");
}
