//! Sync's promise under attack: kills at random instants and before every file-system
//! call, tools that outlive hsm, hostile `.hsm` contents, planted links, concurrent hsm
//! processes, and the lock honoured end to end.
//!
//! The invariant every test checks: after the next command, every artifact is exactly in
//! its old or its new state, all of them together — nothing torn, nothing mixed, nothing
//! left to wedge later commands, nothing written late by an orphaned tool, nothing
//! written outside the project.

use crate::common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Test, quick_start};

const PYPROJECT: &str = "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = [\"httpx>=0.27\"]\n";

/// A uv stand-in that takes its time and writes what real uv writes: `uv lock` derives
/// uv.lock from pyproject.toml, `uv sync` makes `.venv`. Each step sleeps `delay`
/// seconds first, in a child process (as real tools have children).
fn slow_uv(delay: &str) -> String {
    format!(
        "sleep {delay}\ncase \"$1\" in\n  lock) cp pyproject.toml uv.lock ;;\n  sync) mkdir -p .venv && cp uv.lock .venv/installed-from ;;\nesac"
    )
}

/// Every file of the project outside hsm's state and the environment, with contents.
fn state(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        if [".hsm", ".venv", "hsm.yaml"].contains(&name.as_str()) || e.path().is_dir() {
            continue;
        }
        out.push((name, std::fs::read(e.path()).unwrap()));
    }
    out.sort();
    out
}

/// The old and the new state of a project switched from qdrant to milvus, made once in a
/// reference project (the output is deterministic).
struct States {
    old: Vec<(String, Vec<u8>)>,
    new: Vec<(String, Vec<u8>)>,
}

fn states(uv: Option<&str>) -> States {
    let t = project(uv);
    t.hsm(&sync_args(uv)).success();
    let old = state(t.path());
    std::fs::write(t.path().join("hsm.yaml"), quick_start("milvus-adapter")).unwrap();
    t.hsm(&sync_args(uv)).success();
    let new = state(t.path());
    assert_ne!(old, new);
    States { old, new }
}

fn sync_args(uv: Option<&str>) -> Vec<&'static str> {
    if uv.is_some() {
        vec!["sync"]
    } else {
        vec!["sync", "--no-install"]
    }
}

fn project(uv: Option<&str>) -> Test {
    let t = Test::new()
        .pyproject(PYPROJECT)
        .manifest(&quick_start("qdrant-adapter"))
        // Every wait in these tests is short: a wedged project fails fast.
        .env("HSM_LOCK_TIMEOUT", "20");
    match uv {
        Some(script) => t.fake_tool("uv", script),
        None => t,
    }
}

/// A project in the old state with hsm.yaml asking for the new one.
fn about_to_sync(uv: Option<&str>, old: &[(String, Vec<u8>)]) -> Test {
    let t = project(uv);
    for (name, bytes) in old {
        std::fs::write(t.path().join(name), bytes).unwrap();
    }
    std::fs::write(t.path().join("hsm.yaml"), quick_start("milvus-adapter")).unwrap();
    t
}

/// What a kill left behind, once the next command has run.
#[derive(Debug, Default)]
struct Tally {
    old: usize,
    new: usize,
    torn: usize,
    mixed: usize,
    wedged: usize,
    late: usize,
}

impl Tally {
    /// Run the next command (recovery), then classify the project's state.
    fn judge(&mut self, t: &Test, s: &States, settle: Duration, what: &str) {
        let next = t.hsm(&["list"]);
        if next.code != 0 || t.exists(".hsm/journal") {
            self.wedged += 1;
            eprintln!("{what}: wedged: {}", next.stderr);
            return;
        }
        let now = state(t.path());
        if now == s.old {
            self.old += 1;
        } else if now == s.new {
            self.new += 1;
        } else {
            let known = |name: &str, bytes: &[u8]| {
                [&s.old, &s.new]
                    .iter()
                    .any(|st| st.iter().any(|(n, b)| n == name && b == bytes))
                    || (!s.old.iter().any(|(n, _)| n == name)
                        && !s.new.iter().any(|(n, _)| n == name))
            };
            if now.iter().all(|(n, b)| known(n, b)) {
                self.mixed += 1;
            } else {
                self.torn += 1;
            }
            eprintln!(
                "{what}: neither old nor new: {:?}",
                now.iter().map(|(n, _)| n).collect::<Vec<_>>()
            );
            return;
        }
        // An orphaned tool would write after its transaction was rolled back.
        std::thread::sleep(settle);
        if state(t.path()) != now {
            self.late += 1;
            eprintln!("{what}: a file changed after recovery");
        }
        // The next sync works and lands in the new state.
        let again = t.hsm(&sync_args(None));
        if again.code != 0 {
            self.wedged += 1;
            eprintln!("{what}: the next sync failed: {}", again.stderr);
        }
    }

    fn add(&mut self, other: &Tally) {
        self.old += other.old;
        self.new += other.new;
        self.torn += other.torn;
        self.mixed += other.mixed;
        self.wedged += other.wedged;
        self.late += other.late;
    }

    fn assert_clean(&self, what: &str) {
        eprintln!("{what}: {self:?}");
        assert_eq!(
            (self.torn, self.mixed, self.wedged, self.late),
            (0, 0, 0, 0),
            "{what}: {self:?}"
        );
    }
}

/// A small deterministic generator (seeded from the clock; the seed is printed so a
/// failure can be replayed with HSM_TEST_SEED).
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("HSM_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("HSM_TEST_SEED={seed}");
        Rng(seed | 1)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// A project whose sync to the new state was killed after its second write, leaving a
/// journal for the next command to roll back.
fn interrupted_sync(s: &States) -> Test {
    let t = about_to_sync(None, &s.old);
    let out = t
        .command(&["sync", "--no-install"])
        .env("HSM_FAULT", "after-write-2")
        .output()
        .unwrap();
    assert!(!out.status.success() && t.exists(".hsm/journal"));
    t
}

/// How long `args` takes in a fresh project (the longest of three runs), to spread the
/// kills over it.
fn duration_of(uv: Option<&str>, s: &States, args: &[&str]) -> Duration {
    (0..3)
        .map(|_| {
            let t = about_to_sync(uv, &s.old);
            let start = Instant::now();
            t.hsm(args).success();
            start.elapsed()
        })
        .max()
        .unwrap_or_default()
}

/// Start `args`, SIGKILL hsm alone (not its tools) after `after`.
fn kill_after(t: &Test, args: &[&str], after: Duration) {
    let mut child = t
        .command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill();
    child.wait().unwrap();
}

#[test]
fn kill_loop_sync_without_install() {
    let s = states(None);
    let span = duration_of(None, &s, &["sync", "--no-install"]);
    let mut rng = Rng::new();
    let mut tally = Tally::default();
    for i in 0..100 {
        let t = about_to_sync(None, &s.old);
        let at = Duration::from_micros(rng.below(span.as_micros() as u64 * 15 / 10));
        kill_after(&t, &["sync", "--no-install"], at);
        tally.judge(&t, &s, Duration::ZERO, &format!("kill {i} at {at:?}"));
    }
    tally.assert_clean("sync --no-install");
    // Kills land after the commit too (how often depends on the machine's load).
    assert!(tally.old > 0, "no kill hit the transaction: {tally:?}");
}

#[test]
fn kill_loop_sync_with_a_slow_uv_killing_hsm_alone() {
    let uv = slow_uv("0.15");
    let s = states(Some(&uv));
    let span = duration_of(Some(&uv), &s, &["sync"]);
    let mut rng = Rng::new();
    let mut tally = Tally::default();
    for i in 0..60 {
        let t = about_to_sync(Some(&uv), &s.old);
        let at = Duration::from_micros(rng.below(span.as_micros() as u64 * 11 / 10));
        kill_after(&t, &["sync"], at);
        // Give an orphan every chance to write late: longer than both uv steps.
        tally.judge(
            &t,
            &s,
            Duration::from_millis(400),
            &format!("kill {i} at {at:?}"),
        );
    }
    tally.assert_clean("sync with uv");
    assert!(tally.old > 0, "kills never hit the transaction: {tally:?}");
}

#[test]
fn kill_loop_recovery() {
    let s = states(None);
    let mut rng = Rng::new();
    let mut tally = Tally::default();
    // The recovery to kill: a sync killed after its second write left a journal.
    let interrupted = || interrupted_sync(&s);
    let span = {
        let t = interrupted();
        let start = Instant::now();
        t.hsm(&["list"]).success();
        start.elapsed()
    };
    for i in 0..40 {
        let t = interrupted();
        let at = Duration::from_micros(rng.below(span.as_micros() as u64 * 12 / 10));
        kill_after(&t, &["list"], at);
        tally.judge(&t, &s, Duration::ZERO, &format!("kill {i} at {at:?}"));
        // A killed recovery is finished by the next command: always the old state.
        assert_eq!(tally.new, 0, "recovery must restore the old state");
    }
    tally.assert_clean("recovery");
}

/// `args` under strace: with `inject`, killed at a chosen call; `trace` writes every
/// file-system call to that file.
fn under_strace(t: &Test, args: &[&str], extra: &[String]) -> std::process::ExitStatus {
    let hsm = t.command(args);
    let mut cmd = Command::new(common::tool("strace"));
    cmd.args(["-f", "-qq", "-e", "trace=%file,%desc"])
        .args(extra)
        .arg("--")
        .arg(hsm.get_program())
        .args(hsm.get_args())
        .current_dir(hsm.get_current_dir().unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in hsm.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.status().unwrap()
}

/// Every file-system call `args` makes, as (system call, how many times), from one run
/// under strace in a project made by `make`.
fn calls_of(make: &(dyn Fn() -> Test + Sync), args: &[&str]) -> Vec<(String, usize)> {
    let t = make();
    let log = t.path().join("..").join(format!(
        "strace-{}.log",
        t.path().file_name().unwrap().to_string_lossy()
    ));
    let status = under_strace(&t, args, &["-o".into(), log.display().to_string()]);
    assert!(status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for line in text.lines() {
        // `1234 openat(AT_FDCWD, ...) = 3` (with -f, each line starts with the pid).
        let call = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.split('(').next());
        if let Some(call) = call.filter(|c| {
            c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') && !c.is_empty()
        }) {
            *counts.entry(call.to_string()).or_default() += 1;
        }
    }
    counts.into_iter().collect()
}

/// For every file-system call `args` makes (each system call, each time it is made): run
/// it in a fresh project from `make`, killed just before that call, then judge.
fn kill_before_every_call(
    make: &(dyn Fn() -> Test + Sync),
    args: &[&str],
    s: &States,
    what: &str,
) -> Tally {
    let calls = calls_of(make, args);
    let total: usize = calls.iter().map(|(_, n)| n).sum();
    assert!(total > 50, "{what}: only {total} calls traced: {calls:?}");
    let jobs: Vec<(&str, usize)> = calls
        .iter()
        .flat_map(|(call, count)| (1..=*count).map(move |n| (call.as_str(), n)))
        .collect();
    // Each job is a few short processes: run them on a few threads.
    let workers = 3;
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let jobs = &jobs;
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for (call, n) in jobs.iter().skip(w).step_by(workers) {
                        let t = make();
                        let inject = format!("inject={call}:signal=KILL:when={n}");
                        let extra = ["-o".into(), "/dev/null".into(), "-e".into(), inject];
                        if under_strace(&t, args, &extra).success() {
                            // This run made fewer such calls than the traced one.
                            continue;
                        }
                        tally.judge(
                            &t,
                            s,
                            Duration::ZERO,
                            &format!("{what} killed at {call} #{n}"),
                        );
                    }
                    tally
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut tally = Tally::default();
    for t in tallies {
        tally.add(&t);
    }
    eprintln!("{what}: {total} calls");
    tally
}

#[test]
fn a_kill_before_every_file_system_call_of_sync_and_of_recovery() {
    require!("strace");
    let s = states(None);
    let sync = kill_before_every_call(
        &|| about_to_sync(None, &s.old),
        &["sync", "--no-install"],
        &s,
        "sync",
    );
    sync.assert_clean("sync, every call");
    assert!(sync.old > 0 && sync.new > 0, "{sync:?}");

    // Recovery of a sync killed after its second write.
    let interrupted = || interrupted_sync(&s);
    let recovery = kill_before_every_call(&interrupted, &["list"], &s, "recovery");
    recovery.assert_clean("recovery, every call");
    assert_eq!(recovery.new, 0, "recovery must restore the old state");
}

// ---------------------------------------------------------------- hostile project state

/// `text` with the project's temporary path and process ids replaced (to compare the
/// messages of two projects).
fn scrub(t: &Test, text: &str) -> String {
    without_pids(&text.replace(&t.path().display().to_string(), "[PROJECT]"))
}

/// `out` with process ids replaced, for snapshots (which show the project's temporary path
/// as `[TEMP]`).
fn scrubbed(out: &common::Output) -> common::Output {
    common::Output {
        stdout: without_pids(&out.stdout),
        stderr: without_pids(&out.stderr),
        ..out.clone()
    }
}

/// `text` with every process id (`(pid 123`) shown as `[PID]`.
fn without_pids(text: &str) -> String {
    let mut text = text.to_string();
    let mut from = 0;
    while let Some(i) = text[from..].find("(pid ").map(|i| from + i + 5) {
        let digits = text[i..].chars().take_while(char::is_ascii_digit).count();
        text.replace_range(i..i + digits, "[PID]");
        from = i;
    }
    text
}

/// A directory outside the project, and what it holds (to prove nothing was written there).
fn outside() -> (tempfile::TempDir, impl Fn() -> Vec<(String, Vec<u8>)>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("victim"), "untouched\n").unwrap();
    let path = dir.path().to_path_buf();
    let look = move || state(&path);
    (dir, look)
}

fn write_journal(t: &Test, entries: String) {
    let dir = t.path().join(".hsm/journal");
    std::fs::create_dir_all(&dir).unwrap();
    let json = format!(
        "{{\"format\": 2, \"owner\": {{\"pid\": 1, \"start\": 1}}, \"entries\": {entries}}}"
    );
    std::fs::write(dir.join("journal.json"), json).unwrap();
}

#[test]
fn a_crafted_journal_never_reaches_outside_the_project() {
    let (out_dir, look) = outside();
    let victim = out_dir.path().join("victim");
    let before = look();
    let cases = [
        // Restore "from a backup" over an absolute path.
        format!(
            "[{{\"path\": \"{}\", \"backup\": {{\"file\": \"0.orig\", \"size\": 4, \"digest\": \"x\"}}}}]",
            victim.display()
        ),
        // Delete through `..`.
        format!(
            "[{{\"path\": \"../{}/victim\", \"backup\": null}}]",
            out_dir.path().file_name().unwrap().to_string_lossy()
        ),
        // Delete through a symbolic link in the project.
        "[{\"path\": \"link/victim\", \"backup\": null}]".to_string(),
        // A backup read from outside.
        format!(
            "[{{\"path\": \"pyproject.toml\", \"backup\": {{\"file\": \"{}\", \"size\": 10, \"digest\": \"x\"}}}}]",
            victim.display()
        ),
    ];
    let mut first = None;
    for case in &cases {
        let t = project(None);
        std::os::unix::fs::symlink(out_dir.path(), t.path().join("link")).unwrap();
        write_journal(&t, case.clone());
        std::fs::write(t.path().join(".hsm/journal/0.orig"), "evil").unwrap();
        let project_before = state(t.path());
        let out = t.hsm(&["list"]);
        out.success();
        assert_eq!(look(), before, "{case}");
        assert_eq!(
            state(t.path()),
            project_before,
            "{case}: a project file was touched"
        );
        assert!(!t.exists(".hsm/journal"), "{case}: the journal stays");
        first.get_or_insert_with(|| {
            let mut out = scrubbed(&out);
            out.stderr = out
                .stderr
                .replace(&out_dir.path().display().to_string(), "[OUTSIDE]");
            out
        });
    }
    // The journal itself planted as links out of the project.
    let t = project(None);
    std::fs::create_dir_all(t.path().join(".hsm")).unwrap();
    std::os::unix::fs::symlink(out_dir.path(), t.path().join(".hsm/journal")).unwrap();
    t.hsm(&["list"]).success();
    assert_eq!(look(), before);
    assert!(out_dir.path().exists() && !t.exists(".hsm/journal"));
    hsm_snapshot!(first.unwrap(), @"
    success: true
    exit_code: 0
    ----- stdout -----
    demo
    ├── libraries
    │   └── vector-db-adapter (1-of-N)
    │       └── qdrant-adapter 1.12.1 (prod)
    ├── services
    └── implied
        └── qdrant 1.12.4 (prod) [service]

    ----- stderr -----
    hsm: warning: cleared .hsm/journal, which was not a sync journal hsm can trust (path `[OUTSIDE]/victim` is absolute; hsm only writes inside the project); no file was restored
    ");
}

#[test]
fn a_journal_directory_without_its_journal_is_cleared_and_sync_goes_on() {
    // What an older hsm left when killed inside its commit: the journal file unlinked,
    // the backups not yet.
    let t = project(None);
    std::fs::create_dir_all(t.path().join(".hsm/journal")).unwrap();
    std::fs::write(t.path().join(".hsm/journal/0.orig"), "old").unwrap();
    let out = t.hsm(&["sync", "--no-install"]);
    out.success();
    hsm_snapshot!(scrubbed(&out), @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 2 components (1 library, 1 service)
    Wrote pyproject.toml, docker-compose.hsm.yml, hsm.lock

    ----- stderr -----
    hsm: warning: cleared .hsm/journal, which was not a sync journal hsm can trust (it has no journal.json); no file was restored
    ");
    assert!(!t.exists(".hsm/journal"));
    t.hsm(&["sync", "--no-install"]).success();
}

#[test]
fn planted_staged_links_are_never_written_through() {
    let (out_dir, look) = outside();
    let victim = out_dir.path().join("victim");
    let before = look();
    let t = project(None);
    for name in [
        "pyproject.toml",
        "hsm.lock",
        "docker-compose.hsm.yml",
        "hsm.yaml",
    ] {
        std::os::unix::fs::symlink(&victim, t.path().join(format!("{name}.hsm-new"))).unwrap();
    }
    t.hsm(&["sync", "--no-install"]).success();
    assert!(t.read("pyproject.toml").contains("qdrant-client"));
    t.hsm(&[
        "group",
        "add",
        "vector-db-adapter",
        "--option",
        "milvus-adapter",
    ])
    .success();
    assert!(t.read("hsm.yaml").contains("milvus-adapter"));
    t.hsm(&["sync", "--no-install"]).success();
    assert_eq!(look(), before);
    assert!(
        !t.tree().iter().any(|(n, _)| n.ends_with(".hsm-new")),
        "a staged file was left"
    );
}

#[test]
fn a_state_directory_that_is_a_link_is_refused() {
    let (out_dir, look) = outside();
    let before = look();
    let t = project(None);
    std::os::unix::fs::symlink(out_dir.path(), t.path().join(".hsm")).unwrap();
    let tree = t.tree();
    let sync = t.hsm(&["sync", "--no-install"]);
    sync.failure();
    // `check` runs every check sync runs before writing.
    let check = t.hsm(&["check"]);
    check.failure();
    assert_eq!(check.stderr, sync.stderr);
    assert_eq!(look(), before);
    assert_eq!(t.tree(), tree);
    hsm_snapshot!(scrubbed(&sync), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: .hsm is a symbolic link; hsm keeps its sync journal there, inside the project
      help: remove .hsm (hsm never makes it a link); hsm recreates it as a directory
    ");
}

#[test]
fn an_artifact_that_is_not_a_regular_file_is_refused_before_anything_is_written() {
    let t = project(None).fifo("uv.lock");
    let tree_before = std::fs::read_dir(t.path()).unwrap().count();
    let start = Instant::now();
    let out = t.hsm(&["sync", "--no-install"]);
    out.failure();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "blocked on the FIFO"
    );
    assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), tree_before);
    assert_eq!(t.hsm(&["check"]).stderr, out.stderr);
    hsm_snapshot!(scrubbed(&out), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: uv.lock is a FIFO (named pipe), not a regular file
      help: hsm replaces uv.lock with a regular file; move whatever is there out of the way
    ");
}

// ---------------------------------------------------------------- concurrency

/// Hold the project lock from another process (util-linux `flock`) until dropped.
struct Holder(std::process::Child);

impl Holder {
    fn new(t: &Test) -> Holder {
        let held = t
            .path()
            .join("..")
            .join(format!("held-{}", std::process::id()));
        let _ = std::fs::remove_file(&held);
        let child = Command::new(common::tool("flock"))
            .arg(t.path())
            .args(["-c", &format!("touch {}; exec sleep 30", held.display())])
            // Its own process group, so that drop can end flock, the shell and
            // the sleep together: any of them left alive keeps the lock.
            .process_group(0)
            .spawn()
            .expect("util-linux flock");
        for _ in 0..500 {
            if held.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(held.exists(), "flock never took the lock");
        let _ = std::fs::remove_file(&held);
        Holder(child)
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        // `flock -c` runs the command in a child shell, which may fork the
        // sleep: kill the whole process group, not just flock's children.
        let _ = Command::new(common::tool("kill"))
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_writer_waits_says_so_once_and_gives_up() {
    require!("flock", "kill");
    let t = project(None);
    let holder = Holder::new(&t);
    let start = Instant::now();
    let out = t.hsm(&["sync", "--no-install", "--lock-timeout", "1"]);
    out.failure();
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert!(!t.exists("hsm.lock"));
    let edit = t.hsm(&[
        "--lock-timeout",
        "0",
        "group",
        "add",
        "vector-db-adapter",
        "--option",
        "milvus-adapter",
    ]);
    edit.failure();
    assert!(t.read("hsm.yaml").contains("qdrant-adapter"));
    // Read-only commands do not wait.
    let start = Instant::now();
    t.hsm(&["list"]).success();
    t.hsm(&["check"]).success();
    t.hsm(&["sync", "--dry-run"]).success();
    assert!(start.elapsed() < Duration::from_secs(5));
    drop(holder);
    hsm_snapshot!(scrubbed(&out), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    hsm: waiting for another hsm (pid [PID]) to finish with this project (up to 1 s; see --lock-timeout)
    error: gave up after 1 s: another hsm (pid [PID]) holds the lock of [TEMP]
      help: wait for it to finish and run the command again, or wait longer with `--lock-timeout SECS`
    ");
    t.hsm(&["sync", "--no-install"]).success();
}

#[test]
fn read_only_commands_never_wait_for_a_sync_in_progress() {
    let t = project(Some(
        "touch uv-started; sleep 3; echo > uv.lock; mkdir -p .venv",
    ));
    let mut sync = t.command(&["sync"]).stderr(Stdio::piped()).spawn().unwrap();
    for _ in 0..500 {
        if t.exists("uv-started") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(t.exists("uv-started") && t.exists(".hsm/journal"));
    let start = Instant::now();
    for args in [
        &["list"][..],
        &["check"],
        &["resolve"],
        &["why", "qdrant"],
        &["graph"],
    ] {
        let out = t.hsm(args);
        out.success();
        assert!(
            !out.stderr.contains("rolled back"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "a read-only command waited"
    );
    let status = sync.wait().unwrap();
    assert!(status.success());
    assert!(!t.exists(".hsm/journal"));
}

#[test]
fn an_interrupt_while_uv_runs_stops_uv_and_rolls_back() {
    require!("kill");
    let t = project(Some(
        "echo $$ > ../uv-pid-$PPID; touch uv-started; exec sleep 30",
    ));
    let t = {
        // Start from a synced project: the interrupted sync must restore it.
        let ok = project(None);
        ok.hsm(&["sync", "--no-install"]).success();
        for (name, bytes) in state(ok.path()) {
            std::fs::write(t.path().join(name), bytes).unwrap();
        }
        std::fs::write(t.path().join("hsm.yaml"), quick_start("milvus-adapter")).unwrap();
        t
    };
    let before = state(t.path());
    let sync = t
        .command(&["sync"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..500 {
        if t.exists("uv-started") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid_file = t.path().join("..").join(format!("uv-pid-{}", sync.id()));
    let uv_pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_string();
    let _ = std::fs::remove_file(&pid_file);
    std::fs::remove_file(t.path().join("uv-started")).unwrap();
    assert!(
        Command::new(common::tool("kill"))
            .args(["-INT", &sync.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let out = t.output(sync.wait_with_output().unwrap());
    assert_eq!(out.code, 1);
    assert_eq!(state(t.path()), before);
    assert!(!t.exists(".hsm/journal"));
    std::thread::sleep(Duration::from_millis(100));
    let alive =
        std::fs::read_to_string(format!("/proc/{uv_pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
    assert!(!alive, "uv outlived the interrupted sync");
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: interrupted; every file hsm was writing has been put back as it was
      help: run the command again when you are ready
    ");
}

// ---------------------------------------------------------------- the lock, end to end

/// A uv that logs its arguments outside the project and behaves like uv: `lock` derives
/// uv.lock from pyproject.toml (and with `--locked` fails unless uv.lock is current),
/// `sync` makes `.venv` (and with `--frozen`/`--locked` needs uv.lock).
const RECORDING_UV: &str = r#"echo "$@" >> ../uv-calls-$(basename "$PWD")
case "$*" in
  "lock --locked") [ -f uv.lock ] && cmp -s pyproject.toml uv.lock || { echo "error: The lockfile at uv.lock needs to be updated" >&2; exit 2; } ;;
  lock) cp pyproject.toml uv.lock ;;
  "sync --frozen"|"sync --locked") [ -f uv.lock ] || { echo "error: Unable to find lockfile at uv.lock" >&2; exit 2; }; mkdir -p .venv ;;
  sync) mkdir -p .venv ;;
esac"#;

fn uv_calls(t: &Test) -> String {
    let log = t.path().join("..").join(format!(
        "uv-calls-{}",
        t.path().file_name().unwrap().to_string_lossy()
    ));
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    calls
}

#[test]
fn locked_and_frozen_are_passed_on_to_uv() {
    let t = project(Some(RECORDING_UV));
    t.hsm(&["sync"]).success();
    assert_eq!(uv_calls(&t), "lock\nsync\n");
    t.hsm(&["sync", "--locked"]).success();
    assert_eq!(uv_calls(&t), "", "nothing changed: uv does not run");

    // uv.lock deleted: --locked must not quietly write a new one.
    std::fs::remove_file(t.path().join("uv.lock")).unwrap();
    let before = state(t.path());
    let out = t.hsm(&["sync", "--locked"]);
    out.failure();
    assert_eq!(uv_calls(&t), "lock --locked\n");
    assert_eq!(state(t.path()), before);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `uv lock --locked` failed (exit status 2):
      │ error: The lockfile at uv.lock needs to be updated
      help: every file hsm wrote has been restored; uv.lock is missing or out of date: run `hsm sync` without --locked to update it, and commit it
    ");
    let out = t.hsm(&["sync", "--frozen"]);
    out.failure();
    assert_eq!(uv_calls(&t), "sync --frozen\n");
    assert_eq!(state(t.path()), before);

    t.hsm(&["sync"]).success();
    assert_eq!(uv_calls(&t), "lock\nsync\n");
    std::fs::remove_dir_all(t.path().join(".venv")).unwrap();
    t.hsm(&["sync", "--frozen"]).success();
    assert_eq!(uv_calls(&t), "sync --frozen\n");
}

#[test]
fn sync_runs_uv_again_after_a_hand_edit_a_deleted_uv_lock_or_a_missing_venv() {
    let t = project(Some(RECORDING_UV));
    let out = t.hsm(&["sync"]);
    out.success();
    assert_eq!(uv_calls(&t), "lock\nsync\n");
    let lock = t.read("hsm.lock");
    assert!(lock.contains("[installed]"), "{lock}");
    let out = t.hsm(&["sync"]);
    assert!(
        out.stdout.starts_with("Stack is up to date"),
        "{}",
        out.stdout
    );
    assert_eq!(uv_calls(&t), "");

    // The user adds a package by hand.
    let py = t
        .read("pyproject.toml")
        .replace("\"httpx>=0.27\"", "\"httpx>=0.27\", \"rich\"");
    std::fs::write(t.path().join("pyproject.toml"), py).unwrap();
    let out = t.hsm(&["sync"]);
    out.success();
    assert_eq!(uv_calls(&t), "lock\nsync\n");
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Resolved 2 components (1 library, 1 service)
    Wrote hsm.lock
    Ran uv lock, uv sync

    ----- stderr -----
    ");

    std::fs::remove_file(t.path().join("uv.lock")).unwrap();
    t.hsm(&["sync"]).success();
    assert_eq!(uv_calls(&t), "lock\nsync\n");
    assert!(t.exists("uv.lock"));

    std::fs::remove_dir_all(t.path().join(".venv")).unwrap();
    t.hsm(&["sync"]).success();
    assert_eq!(uv_calls(&t), "lock\nsync\n");

    t.hsm(&["sync"]).success();
    assert_eq!(uv_calls(&t), "", "all current again");
    // --no-install never runs uv, and says the stack is up to date.
    std::fs::remove_dir_all(t.path().join(".venv")).unwrap();
    t.hsm(&["sync", "--no-install"]).success();
    assert_eq!(uv_calls(&t), "");
}

/// A registry with one library that has a prod (PyPI) and a dev (local path) source.
fn two_mode_registry(t: Test) -> Test {
    t.registry_file(
        "libraries/alpha.yaml",
        "name: alpha\nversion: 1.0.0\nsources:\n  prod: {type: pypi, version: \">=1,<2\"}\n  dev: {type: local, path: packages/alpha, editable: true}\n",
    )
    .file("packages/alpha/pyproject.toml", "[project]\nname = \"alpha\"\nversion = \"1.0.0\"\n")
    .manifest(
        "project: {name: app, version: 0.1.0}\nlibraries:\n  standalone: [alpha]\n",
    )
}

#[test]
fn frozen_renders_what_hsm_lock_says_and_never_rewrites_it() {
    let t = two_mode_registry(Test::new().pyproject(PYPROJECT));
    t.hsm(&["sync", "--no-install"]).success();
    let lock = t.read("hsm.lock");
    let pyproject = t.read("pyproject.toml");
    assert!(pyproject.contains("\"alpha>=1,<2\""), "{pyproject}");

    // hsm.yaml now asks for dev mode; --frozen keeps what hsm.lock records.
    std::fs::write(
        t.path().join("hsm.yaml"),
        "project: {name: app, version: 0.1.0}\nlibraries:\n  standalone: [alpha]\nmodes:\n  alpha: dev\n",
    )
    .unwrap();
    let out = t.hsm(&["sync", "--frozen", "--no-install"]);
    out.success();
    assert_eq!(t.read("hsm.lock"), lock);
    assert_eq!(t.read("pyproject.toml"), pyproject);
    // Without --frozen the new mode applies.
    t.hsm(&["sync", "--no-install"]).success();
    assert!(
        t.read("pyproject.toml")
            .contains("path = \"packages/alpha\"")
    );
    let dev_lock = t.read("hsm.lock");

    // The registry changes a source: --frozen refuses rather than render something else.
    std::fs::write(
        t.path().join("hsm-registry/libraries/alpha.yaml"),
        "name: alpha\nversion: 1.0.0\nsources:\n  prod: {type: pypi, version: \">=1,<2\"}\n  dev: {type: local, path: libs/alpha, editable: true}\n",
    )
    .unwrap();
    std::fs::create_dir_all(t.path().join("libs/alpha")).unwrap();
    std::fs::write(
        t.path().join("libs/alpha/pyproject.toml"),
        "[project]\nname = \"alpha\"\n",
    )
    .unwrap();
    let before = t.tree();
    let out = t.hsm(&["sync", "--frozen", "--no-install"]);
    out.failure();
    assert_eq!(t.tree(), before);
    assert_eq!(t.read("hsm.lock"), dev_lock);
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: --frozen: hsm.lock records `alpha` from dev: local packages/alpha, but the registry now gives dev: local libs/alpha
      help: run `hsm sync` without --frozen to re-solve and rewrite hsm.lock
    ");
}

#[test]
fn real_uv_with_locked_never_writes_a_missing_uv_lock() {
    require!("uv");
    let t = common::python_package(Test::new().offline_uv(), "packages/alpha", "alpha")
        .registry_file(
            "libraries/alpha.yaml",
            "name: alpha\nversion: 1.0.0\nsources:\n  prod: {type: local, path: packages/alpha}\n",
        )
        .pyproject("[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = []\n")
        .manifest(
            "project: {name: app, version: 0.1.0}\nlibraries:\n  standalone: [alpha]\n",
        );
    t.hsm(&["sync"]).success();
    assert!(t.exists("uv.lock") && t.exists(".venv"));
    t.hsm(&["sync", "--locked"]).success();
    std::fs::remove_file(t.path().join("uv.lock")).unwrap();
    let before = state(t.path());
    let out = t.hsm(&["sync", "--locked"]);
    out.failure();
    assert!(
        out.stderr.contains("`uv lock --locked` failed"),
        "{}",
        out.stderr
    );
    assert_eq!(state(t.path()), before);
    assert!(!t.exists("uv.lock"));
    let out = t.hsm(&["sync", "--frozen"]);
    out.failure();
    assert!(!t.exists("uv.lock"));
    t.hsm(&["sync"]).success();
    assert!(t.exists("uv.lock"));
}

// ---------------------------------------------------------------- check = sync's checks

/// Builds a fresh project.
type Fixture = Box<dyn Fn() -> Test>;

/// Projects good and bad in every way this suite knows: `hsm check` must pass exactly
/// those that `hsm sync --no-install` writes.
fn fixtures() -> Vec<(&'static str, Fixture)> {
    let service = |extra: &str| {
        format!(
            "name: svc\n{extra}sources:\n  prod: {{type: docker-image, image: \"nginx:1.27\"}}\n  dev: {{type: build, path: services/svc}}\n"
        )
    };
    let with_service = move |extra: &str| {
        Test::new()
            .registry_file("services/svc.yaml", &service(extra))
            .manifest("services:\n  standalone: [svc]\n")
    };
    vec![
        ("the qdrant stack", Box::new(|| project(None))),
        (
            "the milvus stack",
            Box::new(|| project(None).manifest(&quick_start("milvus-adapter"))),
        ),
        (
            "an unknown option",
            Box::new(|| project(None).manifest(&quick_start("qdrant-adaptr"))),
        ),
        (
            "a conflict",
            Box::new(|| {
                project(None).manifest(
                    "libraries:\n  standalone: [qdrant-adapter, milvus-adapter]\n  groups:\n    vector-db-adapter:\n      strategy: 1-of-N\n      selection: qdrant-adapter\nconstraints:\n  qdrant-adapter: \">=99\"\n",
                )
            }),
        ),
        ("a service", Box::new(move || with_service(""))),
        (
            "an env key twice",
            Box::new(move || {
                with_service("env_file: svc.env\nenv: {A: \"2\"}\n").file("svc.env", "A=1\n")
            }),
        ),
        (
            "a missing env file",
            Box::new(move || with_service("env_file: missing.env\n")),
        ),
        (
            "a malformed env file",
            Box::new(move || with_service("env_file: svc.env\n").file("svc.env", "NOPE\n")),
        ),
        (
            "a dev service without its build context",
            Box::new(move || {
                with_service("").manifest("services:\n  standalone: [svc]\nmodes:\n  svc: dev\n")
            }),
        ),
        (
            "a dev library without its path",
            Box::new(|| {
                two_mode_registry(Test::new()).manifest(
                    "project: {name: app, version: 0.1.0}\nlibraries:\n  standalone: [alpha]\nmodes:\n  alpha: dev\n",
                )
            }),
        ),
        (
            "a dynamic dependency list",
            Box::new(|| {
                project(None).pyproject(
                    "[project]\nname = \"demo\"\nversion = \"0.1.0\"\ndynamic = [\"dependencies\"]\n",
                )
            }),
        ),
        (
            "a broken pyproject.toml",
            Box::new(|| project(None).pyproject("[project\n")),
        ),
        (
            "a broken hsm.lock",
            Box::new(|| project(None).file("hsm.lock", "version = \"x\"\n")),
        ),
        (
            "a hand-written compose file",
            Box::new(|| project(None).file("docker-compose.hsm.yml", "services: {}\n")),
        ),
        (
            "a linked .hsm",
            Box::new(|| {
                let t = project(None);
                std::os::unix::fs::symlink("/tmp", t.path().join(".hsm")).unwrap();
                t
            }),
        ),
        (
            "a FIFO where an env file goes",
            Box::new(move || with_service("env: {A: \"1\"}\n").fifo(".env.svc")),
        ),
        (
            "a directory where hsm.lock goes",
            Box::new(|| {
                let t = project(None);
                std::fs::create_dir(t.path().join("hsm.lock")).unwrap();
                t
            }),
        ),
    ]
}

#[test]
fn check_passes_exactly_the_stacks_sync_writes() {
    let (mut passed, mut failed) = (0, 0);
    for (name, make) in fixtures() {
        let c = make();
        let check = c.hsm(&["check"]);
        let t = make();
        let sync = t.hsm(&["sync", "--no-install"]);
        assert_eq!(
            check.code == 0,
            sync.code == 0,
            "{name}: check exit {}, sync exit {}\ncheck: {}{}\nsync: {}{}",
            check.code,
            sync.code,
            check.stdout,
            check.stderr,
            sync.stdout,
            sync.stderr
        );
        if sync.code == 0 {
            passed += 1;
        } else {
            failed += 1;
            // The same problem, in the same words.
            assert_eq!(scrub(&c, &check.stderr), scrub(&t, &sync.stderr), "{name}");
        }
    }
    assert!(passed >= 4 && failed >= 6, "{passed} pass, {failed} fail");
}

#[test]
fn a_tool_left_running_by_a_killed_sync_is_stopped_before_the_rollback() {
    let s = states(None);
    let t = about_to_sync(Some("touch uv-started; exec sleep 30"), &s.old);
    let mut sync = t.command(&["sync"]).spawn().unwrap();
    for _ in 0..500 {
        if t.exists("uv-started") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::remove_file(t.path().join("uv-started")).unwrap();
    // Kill hsm alone: its uv (`sleep 30`) lives on, holding the project lock.
    sync.kill().unwrap();
    sync.wait().unwrap();
    let start = Instant::now();
    let out = t.hsm(&["list"]);
    out.success();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "waited for the orphan to finish"
    );
    assert_eq!(state(t.path()), s.old);
    hsm_snapshot!(scrubbed(&out), @"
    success: true
    exit_code: 0
    ----- stdout -----
    demo
    ├── libraries
    │   └── vector-db-adapter (1-of-N)
    │       └── milvus-adapter 2.5.4 (prod)
    ├── services
    └── implied
        ├── etcd 3.5.16 (prod) [service]
        ├── milvus 2.5.4 (prod) [service]
        └── minio 2023.3.20 (prod) [service]

    ----- stderr -----
    hsm: stopping a tool (pid [PID]) that a killed sync left running
    hsm: rolled back an interrupted sync; every file is as it was before it
    ");
}
