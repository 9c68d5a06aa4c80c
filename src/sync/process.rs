//! The processes a sync starts, and the sync itself as a process others may find dead.
//!
//! Three mechanisms keep a tool (uv) from writing after the transaction that started it
//! is over:
//! - the tool runs in a process group of its own, recorded in the journal *before the
//!   tool starts*: it is spawned behind a gate (`sh` reading one line from a pipe) that hsm
//!   opens only once the group is journaled. Recovery kills that group before restoring a
//!   single file;
//! - the tool inherits the project lock's file descriptor, so the lock stays held while any
//!   process of it lives, even after hsm itself was killed. Recovery needs the lock, so it
//!   can only ever run once every such process has exited (a tool that left its group is
//!   still waited for);
//! - SIGINT, SIGTERM and SIGHUP during a transaction do not kill hsm: they set a flag that
//!   the transaction polls, so it stops the tool and rolls back before it exits. A second
//!   signal exits at once (the journal then rolls back at the next invocation).
//!
//! A process is named by its pid *and* its start time (`/proc/<pid>/stat`), so a pid that
//! the kernel has since given to another process is never mistaken for ours.

use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rustix::process::{Pid, Signal};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

/// A process, robust against pid reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessId {
    pub pid: u32,
    /// Start time in clock ticks since boot (`/proc/<pid>/stat` field 22); 0 where unknown.
    pub start: u64,
}

impl ProcessId {
    pub fn current() -> ProcessId {
        ProcessId::of(std::process::id())
    }

    /// The process with this pid now.
    pub fn of(pid: u32) -> ProcessId {
        ProcessId {
            pid,
            start: start_time(pid).map_or(0, |(start, _)| start),
        }
    }

    /// Is this very process still running (not exited, not a zombie)?
    pub fn is_alive(&self) -> bool {
        match start_time(self.pid) {
            Some((start, state)) => (self.start == 0 || start == self.start) && state != 'Z',
            None if procfs() => false,
            None => pid(self.pid).is_some_and(|p| rustix::process::test_kill_process(p).is_ok()),
        }
    }

    /// Kill the process group this process leads. A group whose leader pid now belongs to
    /// another process is left alone: that is someone else's group.
    pub fn kill_group(&self) {
        if let Some((start, _)) = start_time(self.pid)
            && self.start != 0
            && start != self.start
        {
            return;
        }
        // The leader may be gone while members of its group live on; Linux never gives a
        // new process a pid that is still some group's id, so the group is still ours.
        if let Some(p) = pid(self.pid) {
            let _ = rustix::process::kill_process_group(p, Signal::KILL);
        }
    }
}

fn pid(raw: u32) -> Option<Pid> {
    i32::try_from(raw).ok().and_then(Pid::from_raw)
}

fn procfs() -> bool {
    std::path::Path::new("/proc/self/stat").exists()
}

/// Start time and state of a process, from `/proc/<pid>/stat`.
fn start_time(pid: u32) -> Option<(u64, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain anything; the fields
    // after the last `)` are plain numbers.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    // Field 3 is `fields[0]`, so field 22 (starttime) is `fields[19]`.
    let start = fields.get(19)?.parse().ok()?;
    Some((start, state))
}

static INTERRUPTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// From now on, SIGINT/SIGTERM/SIGHUP set a flag instead of killing hsm (a second one
/// exits with status 130). Called when a transaction begins.
pub fn catch_interrupts() {
    INTERRUPTED.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            // Order matters: the shutdown check runs before the flag is set, so only a
            // signal that finds the flag already set exits.
            let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&flag));
            let _ = signal_hook::flag::register(sig, Arc::clone(&flag));
        }
        flag
    });
}

/// Has hsm been asked to stop since [`catch_interrupts`]?
pub fn interrupted() -> bool {
    INTERRUPTED.get().is_some_and(|f| f.load(Ordering::SeqCst))
}

pub fn interrupted_error() -> Error {
    Error::new(
        ErrorKind::Io,
        "interrupted; every file hsm was writing has been put back as it was",
    )
    .with_help("run the command again when you are ready")
}

/// Who watches the tools hsm runs: the CLI draws a progress line, or streams their output
/// with `--verbose` (only `cli/` prints). Set once, by [`watch_with`].
pub trait Watch: Send + Sync {
    /// A tool started (`what`: its command line, and the directory it runs in if that is
    /// not hsm's own).
    fn started(&self, what: &str);
    /// Still running (called often; throttle in the implementation).
    fn tick(&self, what: &str, elapsed: Duration);
    /// A chunk of what the tool wrote (stdout or stderr), as it arrives.
    fn output(&self, chunk: &[u8]);
    /// It ended.
    fn finished(&self, what: &str, elapsed: Duration, success: bool);
}

static WATCH: OnceLock<Box<dyn Watch>> = OnceLock::new();

/// Report every tool run from now on to `watch`.
pub fn watch_with(watch: Box<dyn Watch>) {
    let _ = WATCH.set(watch);
}

/// A command as the user would type it, with where it runs.
fn label(cmd: &Command) -> String {
    let program = std::path::Path::new(cmd.get_program())
        .file_name()
        .map_or_else(
            || cmd.get_program().to_string_lossy(),
            |n| n.to_string_lossy(),
        );
    let mut out = program.into_owned();
    for a in cmd.get_args() {
        out.push(' ');
        out.push_str(&a.to_string_lossy());
    }
    if let (Some(dir), Ok(here)) = (cmd.get_current_dir(), std::env::current_dir())
        && dir != here
    {
        let shown = crate::registry::location::relative_display(dir, &here);
        out.push_str(&format!(" (in {shown})"));
    }
    out
}

/// Run `cmd` to completion in a process group of its own, capturing its output.
/// `started` is called with the new group right after the spawn (to journal it); the tool
/// itself only starts once `started` has returned: it is spawned behind a gate (`sh`
/// waiting for one line on stdin), so a kill of hsm at any instant leaves either no tool
/// or a recorded one. On an interrupt the whole group is killed and the interruption is
/// the error.
pub fn run(
    cmd: &mut Command,
    started: &mut dyn FnMut(ProcessId) -> Result<(), Error>,
) -> std::io::Result<Result<Output, Error>> {
    let program = find_program(cmd)?;
    let mut gated = Command::new("/bin/sh");
    gated
        .arg("-c")
        .arg(r#"IFS= read -r go && [ "$go" = go ] && exec "$0" "$@""#)
        .arg(program)
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => gated.env(k, v),
            None => gated.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        gated.current_dir(dir);
    }
    gated
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = gated.spawn()?;
    let group = ProcessId::of(child.id());
    let kill = |child: &mut std::process::Child| {
        group.kill_group();
        let _ = child.wait();
    };
    if let Err(e) = started(group) {
        kill(&mut child);
        return Ok(Err(e));
    }
    // Open the gate; dropping our end then gives the tool an empty stdin, as before.
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        let _ = stdin.write_all(b"go\n");
    }
    // Drain both pipes on threads so a chatty tool never blocks on a full pipe while we
    // poll for its exit and for interrupts.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            if let Some(mut p) = pipe {
                loop {
                    match p.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            buf.extend_from_slice(&chunk[..n]);
                            if let Some(w) = WATCH.get() {
                                w.output(&chunk[..n]);
                            }
                        }
                    }
                }
            }
            buf
        })
    };
    let what = label(cmd);
    let start = std::time::Instant::now();
    let watch = WATCH.get();
    if let Some(w) = watch {
        w.started(&what);
    }
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let status = loop {
        if interrupted() {
            kill(&mut child);
            if let Some(w) = watch {
                w.finished(&what, start.elapsed(), false);
            }
            return Ok(Err(interrupted_error()));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if let Some(w) = watch {
            w.tick(&what, start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(w) = watch {
        w.finished(&what, start.elapsed(), status.success());
    }
    Ok(Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }))
}

/// The program `cmd` would run, looked up on its PATH: a missing tool is reported as
/// missing, not as a failure of the gate that starts it.
fn find_program(cmd: &Command) -> std::io::Result<std::path::PathBuf> {
    let program = std::path::Path::new(cmd.get_program());
    if program.components().count() > 1 {
        return Ok(program.to_path_buf());
    }
    let path = cmd
        .get_envs()
        .find(|(k, _)| *k == "PATH")
        .and_then(|(_, v)| v.map(std::ffi::OsStr::to_os_string))
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_made_up_one_is_not() {
        let me = ProcessId::current();
        assert!(me.is_alive());
        assert!(me.start > 0);
        let reused = ProcessId {
            pid: me.pid,
            start: me.start + 1,
        };
        assert!(!reused.is_alive());
    }

    #[test]
    fn a_killed_group_takes_its_children_along() {
        let out = run(
            Command::new("sh").args(["-c", "sleep 30 & echo $!; wait"]),
            &mut |group| {
                // Once the gate is open and the shell has started its child, kill the
                // whole group.
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(300));
                    group.kill_group();
                });
                Ok(())
            },
        )
        .unwrap()
        .unwrap();
        let sleeper: u32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        assert!(sleeper > 0, "{out:?}");
        std::thread::sleep(Duration::from_millis(100));
        assert!(!ProcessId::of(sleeper).is_alive());
    }

    #[test]
    fn nothing_runs_until_the_gate_opens() {
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            Command::new("touch").arg("ran").current_dir(dir.path()),
            &mut |_| Err(Error::new(ErrorKind::Io, "journal full")),
        )
        .unwrap();
        assert!(out.is_err());
        std::thread::sleep(Duration::from_millis(50));
        assert!(!dir.path().join("ran").exists());
        let missing = run(&mut Command::new("no-such-tool-hsm"), &mut |_| Ok(()));
        assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    }
}
