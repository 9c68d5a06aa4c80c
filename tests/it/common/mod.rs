//! The builder every integration test uses: a temporary project, files written into it,
//! the real `hsm` binary run in it, and what it printed checked.
//!
//! ```ignore
//! let t = Test::new()
//!     .manifest("libraries:\n  standalone: [tiny]\n")
//!     .registry_file("libraries/tiny.yaml", "name: tiny\nversion: 1.0.0\n");
//! let out = ok(&t, &["resolve"]);        // or t.hsm(&[..]).success() / .failure() / .code(2)
//! hsm_snapshot!("resolve_tiny", out);     // status, stdout and stderr in one snapshot
//! let out = refused(&t, &["sync", "--bogus-stack"]); // exit 1, not a byte written
//! hsm_snapshot!(out, @r"
//! success: false
//! exit_code: 1
//! ----- stdout -----
//!
//! ----- stderr -----
//! error: ...
//! ");
//! ```
//!
//! [`hsm_snapshot!`] pins what a command printed as [`Output::snapshot`] renders it: the
//! exit status, stdout and stderr together, with the project's temporary directory shown as
//! `[TEMP]`. A short rendering is an inline snapshot in the test; a long one is a file
//! under `snapshots/`. Generated files (compose, pyproject.toml, hsm.lock, ...) are not
//! command output and keep their own file snapshots.
//!
//! External tools (uv, docker-compose, dot, check-jsonschema, validate-pyproject, strace,
//! flock, script) go through [`require`] (the `require!` macro in a test body): missing on a
//! developer's machine, the test says `skipped: <test> needs <tool>; install it with <how>`
//! and passes; missing in CI (`CI` set), the same words fail it. `scripts/test` installs
//! all of them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: Option<PathBuf>,
    /// Directories outside the project that live as long as the test (fake tool bins).
    aux: Vec<tempfile::TempDir>,
    /// Kill hsm and fail the test if a run takes longer (for inputs that used to hang).
    timeout: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub dir: PathBuf,
}

impl Test {
    pub fn new() -> Self {
        Test {
            dir: tempfile::tempdir().unwrap(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            aux: Vec::new(),
            timeout: None,
        }
    }

    /// Fail (rather than hang) if a run of hsm takes longer than `secs` seconds.
    pub fn timeout(mut self, secs: u64) -> Self {
        self.timeout = Some(Duration::from_secs(secs));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file (creating parent directories) relative to the project.
    pub fn file(self, rel: &str, contents: &str) -> Self {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// Write a registry file under `hsm-registry/`.
    pub fn registry_file(self, rel: &str, contents: &str) -> Self {
        self.file(&format!("hsm-registry/{rel}"), contents)
    }

    /// Write several registry files under `hsm-registry/`, as `(path, contents)`.
    pub fn registry_files<S: AsRef<str>>(self, files: &[(S, S)]) -> Self {
        files.iter().fold(self, |t, (rel, contents)| {
            t.registry_file(rel.as_ref(), contents.as_ref())
        })
    }

    /// Write the project's `hsm.yaml`.
    pub fn manifest(self, contents: &str) -> Self {
        self.file("hsm.yaml", contents)
    }

    /// Write the project's `pyproject.toml`.
    pub fn pyproject(self, contents: &str) -> Self {
        self.file("pyproject.toml", contents)
    }

    /// Make a FIFO (named pipe) at `rel` in the project: reading one would block forever.
    pub fn fifo(self, rel: &str) -> Self {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let made = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success(), "mkfifo {}", path.display());
        self
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_string());
        self
    }

    pub fn args<const N: usize>(mut self, args: [&str; N]) -> Self {
        self.args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Run from a subdirectory of the project.
    pub fn cwd(mut self, rel: &str) -> Self {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(&p).unwrap();
        self.cwd = Some(p);
        self
    }

    pub fn run(&self) -> Output {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        self.hsm(&args)
    }

    /// Run `hsm ARGS` in this project (same environment as `run`).
    pub fn hsm(&self, args: &[&str]) -> Output {
        let out = match self.timeout {
            None => self.command(args).output().unwrap(),
            Some(limit) => self.output_within(args, limit),
        };
        self.output(out)
    }

    /// Run `hsm ARGS` with its address space limited to `mib` MiB (`ulimit -v` in a
    /// shell that then execs hsm): a command whose memory grows out of proportion to its
    /// input fails, instead of slowing the machine down until the test times out.
    pub fn hsm_within(&self, mib: u64, args: &[&str]) -> Output {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("ulimit -v {} && exec \"$0\" \"$@\"", mib * 1024))
            .arg(env!("CARGO_BIN_EXE_hsm"))
            .args(args);
        let out = self.configure(cmd).output().unwrap();
        self.output(out)
    }

    /// A finished run of a command started with [`Test::command`], as an [`Output`].
    pub fn output(&self, out: std::process::Output) -> Output {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
            dir: self.dir.path().to_path_buf(),
        }
    }

    /// Run `hsm ARGS`, killing it and failing the test if it runs longer than `limit`.
    fn output_within(&self, args: &[&str], limit: Duration) -> std::process::Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.read_to_end(&mut buf);
                buf
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > limit {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("`hsm {}` took longer than {limit:?}", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        std::process::Output {
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        }
    }

    /// The `hsm ARGS` command, not started (for tests that kill or race it).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hsm"));
        cmd.args(args);
        self.configure(cmd)
    }

    /// The external `tool` (found with [`tool`]), run in the project with the environment
    /// hsm's runs get (so `Test::offline_uv` makes a direct `uv` run offline too).
    pub fn tool_command(&self, tool_name: &str) -> Command {
        self.configure(Command::new(tool(tool_name)))
    }

    /// The working directory and environment every run gets.
    fn configure(&self, mut cmd: Command) -> Command {
        cmd.current_dir(self.cwd.as_deref().unwrap_or(self.dir.path()))
            .env_remove("HSM_REGISTRY_PATH")
            .env_remove("COLUMNS")
            .env("NO_COLOR", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.dir.path().join(rel).exists()
    }

    /// Make uv work offline in this project: its own cache, no index, the uv_build wheel
    /// from `HSM_TEST_WHEELS` (scripts/test downloads it), never download a Python.
    pub fn offline_uv(self) -> Self {
        let wheels = std::env::var("HSM_TEST_WHEELS").unwrap_or_else(|_| {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/test-wheels");
            assert!(
                Path::new(dir).exists(),
                "no uv_build wheel: run scripts/test (it downloads it into target/test-wheels)"
            );
            dir.to_string()
        });
        let cache = self.dir.path().join(".uv-cache").display().to_string();
        self.env("UV_OFFLINE", "1")
            .env("UV_NO_INDEX", "1")
            .env("UV_FIND_LINKS", &wheels)
            .env("UV_CACHE_DIR", &cache)
            .env("UV_PYTHON_DOWNLOADS", "never")
            .env("UV_NO_PROGRESS", "1")
    }

    /// Run hsm with a PATH that has every program of the current PATH except `missing`
    /// (to simulate a machine without git or uv).
    pub fn path_without(mut self, missing: &[&str]) -> Self {
        let bin = tempfile::tempdir().unwrap();
        let path = std::env::var_os("PATH").unwrap_or_default();
        for dir in std::env::split_paths(&path) {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name();
                let link = bin.path().join(&name);
                if missing.iter().any(|m| name == *m) || link.exists() || e.path().is_dir() {
                    continue;
                }
                let _ = std::os::unix::fs::symlink(e.path(), link);
            }
        }
        let value = bin.path().display().to_string();
        self.aux.push(bin);
        self.env("PATH", &value)
    }

    /// Put a fake `name` (a shell script) first on PATH.
    pub fn fake_tool(mut self, name: &str, script: &str) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let bin = tempfile::tempdir().unwrap();
        let tool = bin.path().join(name);
        std::fs::write(&tool, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![bin.path().to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        let value = std::env::join_paths(dirs).unwrap().into_string().unwrap();
        self.aux.push(bin);
        self.env("PATH", &value)
    }

    /// Every file under the project with its contents (to prove a command wrote nothing).
    pub fn tree(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        walk(self.dir.path(), self.dir.path(), &mut out);
        out.sort();
        out
    }
}

/// Every file under `dir` with its contents; a symlink, FIFO, device or huge file by what it
/// is (reading a FIFO would block, and bad-input tests make all of those).
fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if meta.is_dir() {
            walk(root, &p, out);
            continue;
        }
        let contents = if meta.file_type().is_symlink() {
            format!("-> {}", std::fs::read_link(&p).unwrap().display()).into_bytes()
        } else if !meta.is_file() {
            format!("<{:?}>", meta.file_type()).into_bytes()
        } else if meta.len() > 16 << 20 {
            format!("<{} bytes>", meta.len()).into_bytes()
        } else {
            std::fs::read(&p).unwrap()
        };
        out.push((
            p.strip_prefix(root).unwrap().display().to_string(),
            contents,
        ));
    }
}

/// Snapshot what a command printed: its exit status, stdout and stderr together, as
/// [`Output::snapshot`] renders them. `hsm_snapshot!(out)` and `hsm_snapshot!("name", out)`
/// are file snapshots (`snapshots/it__<module>__<name>.snap`), `hsm_snapshot!(out, @"...")`
/// an inline one; insta's filters (`insta::with_settings!`) apply to the rendering.
macro_rules! hsm_snapshot {
    ($out:expr, @$snapshot:literal) => {
        insta::assert_snapshot!($crate::common::Output::snapshot(&$out), @$snapshot)
    };
    ($name:expr, $out:expr, $description:expr) => {
        insta::assert_snapshot!($name, $crate::common::Output::snapshot(&$out), $description)
    };
    ($name:expr, $out:expr) => {
        insta::assert_snapshot!($name, $crate::common::Output::snapshot(&$out))
    };
    ($out:expr) => {
        insta::assert_snapshot!($crate::common::Output::snapshot(&$out))
    };
}

impl Output {
    /// The exit status, stdout and stderr in one text (the shape of uv's `uv_snapshot!`),
    /// each stream verbatim but for the project's temporary directory, shown as `[TEMP]`:
    ///
    /// ```text
    /// success: false
    /// exit_code: 1
    /// ----- stdout -----
    ///
    /// ----- stderr -----
    /// error: ...
    /// ```
    pub fn snapshot(&self) -> String {
        let temp = self.dir.display().to_string();
        format!(
            "success: {}\nexit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
            self.code == 0,
            self.code,
            self.stdout.replace(&temp, "[TEMP]"),
            self.stderr.replace(&temp, "[TEMP]"),
        )
    }

    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn failure(&self) -> &Self {
        assert_eq!(
            self.code, 1,
            "expected exit 1\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

// ---------------------------------------------------------------- external tools

/// How to install each external tool the tests run (scripts/test installs them all).
const INSTALL: &[(&str, &str)] = &[
    ("uv", "`python3 -m pip install uv`"),
    ("maturin", "`python3 -m pip install maturin`"),
    (
        "check-jsonschema",
        "`python3 -m pip install check-jsonschema`",
    ),
    (
        "validate-pyproject",
        "`python3 -m pip install validate-pyproject packaging`",
    ),
    ("docker-compose", "`apt-get install docker-compose`"),
    ("dot", "`apt-get install graphviz`"),
    ("strace", "`apt-get install strace`"),
    ("xmllint", "`apt-get install libxml2-utils`"),
    ("pkill", "`apt-get install procps`"),
    ("kill", "`apt-get install procps`"),
    ("flock", "`apt-get install util-linux`"),
    ("script", "`apt-get install util-linux`"),
    ("bash", "`apt-get install bash`"),
    ("git", "`apt-get install git`"),
    (
        "kubectl",
        "kubectl (with its built-in kustomize), e.g. from https://kubernetes.io/docs/tasks/tools/",
    ),
    (
        "kubernetes-validate",
        "`python3 -m pip install kubernetes-validate`",
    ),
    ("python3", "`apt-get install python3`"),
];

/// Skip the running test (return from it, after [`require`] said why) unless every tool
/// named is installed; in CI a missing one fails the test.
macro_rules! require {
    ($($tool:expr),+ $(,)?) => {
        $(
            if $crate::common::require($tool).is_none() {
                return;
            }
        )+
    };
}
/// Where `name` is on PATH, if anywhere.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The name of the running test (the test harness names each test's thread after it).
fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string()
}

/// `skipped: <test> needs <tool>; install it with <how>`.
fn missing_message(name: &str) -> String {
    let how = INSTALL
        .iter()
        .find(|(tool, _)| *tool == name)
        .map_or("your package manager", |(_, how)| how);
    format!(
        "skipped: {} needs {name}; install it with {how} (scripts/test installs every tool the tests need, at pinned versions)",
        test_name()
    )
}

/// The path of the external tool `name`, or `None` when it is missing: then, on a
/// developer's machine, say so on stderr (`skipped: <test> needs <tool>; install it with
/// <how>`) so that the caller can skip; in CI (env `CI` set) fail the test with those words.
/// A test body uses the `require!` macro, which returns from the test.
pub fn require(name: &str) -> Option<PathBuf> {
    if let Some(path) = find_on_path(name) {
        return Some(path);
    }
    let message = missing_message(name);
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    // Straight to stderr: the test harness captures `eprintln!` of a passing test.
    let _ = writeln!(std::io::stderr(), "{message}");
    None
}

/// The path of the external tool `name`, for a helper that cannot skip its test: a test
/// that runs a tool says so first with `require!`, so a missing one is caught there; this
/// panics with the same words if one was forgotten.
#[track_caller]
pub fn tool(name: &str) -> PathBuf {
    find_on_path(name).unwrap_or_else(|| panic!("{}", missing_message(name)))
}

/// Validate a compose file with Debian's docker-compose and the compose-spec JSON schema
/// (a missing tool skips this check: see [`require`]).
#[track_caller]
pub fn assert_valid_compose(path: &Path) {
    let (Some(compose), Some(check_jsonschema)) =
        (require("docker-compose"), require("check-jsonschema"))
    else {
        return;
    };
    let out = Command::new(compose)
        .arg("-f")
        .arg(path)
        .args(["config", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker-compose config rejects {}:\n{}\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap()
    );
    let out = Command::new(check_jsonschema)
        .args(["--builtin-schema", "vendor.compose-spec"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "compose-spec schema rejects {}:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Validate a pyproject.toml with validate-pyproject (a missing one skips this check).
#[track_caller]
pub fn assert_valid_pyproject(path: &Path) {
    let Some(validate_pyproject) = require("validate-pyproject") else {
        return;
    };
    let out = Command::new(validate_pyproject).arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "validate-pyproject rejects {}:\n{}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The quick start's hsm.yaml (built-in registry) with `adapter` chosen for the
/// `vector-db-adapter` group.
pub fn quick_start(adapter: &str) -> String {
    format!(
        "project:\n  name: demo\n  version: 0.1.0\nlibraries:\n  package_manager: uv\n  groups:\n    vector-db-adapter:\n      strategy: 1-of-N\n      selection: {adapter}\n  standalone: []\nservices:\n  groups: {{}}\n  standalone: []\n"
    )
}

/// A Python package `name` at `dir` in the project, built with uv_build (offline).
pub fn python_package(t: Test, dir: &str, name: &str) -> Test {
    let module = name.replace('-', "_");
    t.file(
        &format!("{dir}/pyproject.toml"),
        &format!("[project]\nname = \"{name}\"\nversion = \"1.0.0\"\nrequires-python = \">=3.9\"\n\n[build-system]\nrequires = [\"uv_build>=0.8,<1\"]\nbuild-backend = \"uv_build\"\n"),
    )
    .file(&format!("{dir}/src/{module}/__init__.py"), "VALUE = 1\n")
}

/// Run git in `dir` with a fixed identity.
pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run `hsm ARGS` and expect success.
#[track_caller]
pub fn ok(t: &Test, args: &[&str]) -> Output {
    let out = t.hsm(args);
    out.success();
    out
}

/// Run `hsm ARGS`, expect exit 1 and not a byte changed in the project.
#[track_caller]
pub fn refused(t: &Test, args: &[&str]) -> Output {
    let before = t.tree();
    let out = t.hsm(args);
    out.failure();
    assert!(
        t.tree() == before,
        "`hsm {}` failed but changed files",
        args.join(" ")
    );
    out
}
