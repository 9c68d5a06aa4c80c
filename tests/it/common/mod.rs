//! A small builder for running the real `hsm` binary in a temporary project:
//!
//! ```ignore
//! let out = Test::new().file("hsm.yaml", "...").args(["resolve"]).run();
//! out.success().stdout_eq("...");
//! ```
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Read;
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

#[derive(Debug)]
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

    fn output(&self, out: std::process::Output) -> Output {
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

impl Output {
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

/// The path of an external tool the tests need; scripts/test installs them.
pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{name}` is not installed: run scripts/test, which installs what the tests need")
}

/// Validate a compose file with Debian's docker-compose and the compose-spec JSON schema.
#[track_caller]
pub fn assert_valid_compose(path: &Path) {
    let out = Command::new(tool("docker-compose"))
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
    let out = Command::new(tool("check-jsonschema"))
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

/// Validate a pyproject.toml with validate-pyproject.
#[track_caller]
pub fn assert_valid_pyproject(path: &Path) {
    let out = Command::new(tool("validate-pyproject"))
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "validate-pyproject rejects {}:\n{}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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

/// Run `hsm ARGS`, expect exit 1 and not a byte changed in the project; the stderr.
#[track_caller]
pub fn refused(t: &Test, args: &[&str]) -> String {
    let before = t.tree();
    let out = t.hsm(args);
    out.failure();
    assert!(
        t.tree() == before,
        "`hsm {}` failed but changed files",
        args.join(" ")
    );
    out.stderr
}
