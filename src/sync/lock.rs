//! The project lock: one hsm at a time changes a project.
//!
//! It is an advisory `flock` on the project directory itself, so taking it creates no file
//! (a dry run or a failed sync leaves no trace) and it survives the rename of any file
//! inside (a lock on hsm.yaml would not: edits replace it).
//!
//! Commands that write (sync, down, every edit of hsm.yaml or the registry) take it and
//! wait for it — saying once who they wait for, and giving up after a timeout. Read-only
//! commands never take it: they read files that are only ever replaced by rename, so they
//! see the old or the new version, never a torn one, and never wait for a sync.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::io::{FdFlags, fcntl_getfd, fcntl_setfd};

use super::process::ProcessId;
use crate::error::{Error, ErrorKind};

/// How long a command waits for the lock unless told otherwise (`--lock-timeout`). Long
/// enough for a sync that installs packages, short enough that a forgotten process does
/// not hang CI for its whole budget (uv waits as long for its own lock).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// What a command is waiting for, for the one line it prints about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Another hsm holds the lock (its pid, when the system says).
    Hsm(Option<u32>),
    /// A sync was killed while its tool ran; the tool still holds the lock and is being
    /// stopped.
    Orphan(ProcessId),
}

/// The project lock, released on drop.
#[derive(Debug)]
pub struct ProjectLock {
    file: File,
    root: PathBuf,
}

impl ProjectLock {
    /// Take the lock if it is free.
    pub fn try_acquire(root: &Path) -> Result<Option<ProjectLock>, Error> {
        let file = open(root)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(ProjectLock {
                file,
                root: root.to_path_buf(),
            })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(lock_error(root, &e)),
        }
    }

    /// Take the lock, waiting at most `timeout`. `waiting` is told once what the wait is
    /// for (and again only if another process is then waited for); `between` runs before
    /// every retry (recovery uses it to stop the tools of a killed sync, which hold the lock).
    pub fn acquire(
        root: &Path,
        timeout: Duration,
        waiting: &mut dyn FnMut(Waiting),
        between: &mut dyn FnMut() -> Option<Waiting>,
    ) -> Result<ProjectLock, Error> {
        wait_for(root, timeout, waiting, between, &mut || holder(root))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Let the next processes hsm starts inherit the lock (`true`), or not. A tool that
    /// inherits it keeps the project locked until it exits, even if hsm dies first.
    pub(super) fn inherit(&self, yes: bool) -> Result<(), Error> {
        let flags = fcntl_getfd(&self.file).map_err(|e| lock_error(&self.root, &e.into()))?;
        let flags = if yes {
            flags - FdFlags::CLOEXEC
        } else {
            flags | FdFlags::CLOEXEC
        };
        fcntl_setfd(&self.file, flags).map_err(|e| lock_error(&self.root, &e.into()))
    }
}

/// How often the holder's pid is looked up before the first notice goes out without it.
const HOLDER_LOOKS: usize = 3;

/// [`ProjectLock::acquire`] with the lookup of the holder's pid given, so that tests can
/// make it fail.
fn wait_for(
    root: &Path,
    timeout: Duration,
    waiting: &mut dyn FnMut(Waiting),
    between: &mut dyn FnMut() -> Option<Waiting>,
    holder: &mut dyn FnMut() -> Option<u32>,
) -> Result<ProjectLock, Error> {
    let started = Instant::now();
    let mut told: Option<Waiting> = None;
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(lock) = ProjectLock::try_acquire(root)? {
            return Ok(lock);
        }
        let now = match between() {
            Some(now) => now,
            // The pid is missing when the holder is on another host (NFS) or when the
            // look fell between two changes of the kernel's lock list; look again before
            // saying "another hsm" without it.
            None if told.is_none() => Waiting::Hsm((0..HOLDER_LOOKS).find_map(|_| holder())),
            None => Waiting::Hsm(holder()),
        };
        let now = match told {
            Some(before) if before.same_wait(now) => before.or(now),
            _ => {
                waiting(now);
                now
            }
        };
        told = Some(now);
        if started.elapsed() >= timeout {
            let who = match now {
                Waiting::Hsm(Some(pid)) => format!("another hsm (pid {pid})"),
                Waiting::Hsm(None) => "another hsm".to_string(),
                Waiting::Orphan(p) => format!("a tool left by a killed sync (pid {})", p.pid),
            };
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "gave up after {} s: {who} holds the lock of {}",
                    timeout.as_secs(),
                    root.display()
                ),
            )
            .with_help(
                "wait for it to finish and run the command again, or wait longer with `--lock-timeout SECS`",
            ));
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(started.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

impl Waiting {
    /// Whether `self` and `other` are the same wait, so that it is said once. A pid that
    /// could not be read this time is not another holder.
    fn same_wait(self, other: Waiting) -> bool {
        match (self, other) {
            (Waiting::Hsm(Some(a)), Waiting::Hsm(Some(b))) => a == b,
            (Waiting::Hsm(_), Waiting::Hsm(_)) => true,
            (a, b) => a == b,
        }
    }

    /// The one of two same waits that says more.
    fn or(self, other: Waiting) -> Waiting {
        match (self, other) {
            (Waiting::Hsm(None), other) => other,
            (this, _) => this,
        }
    }
}

fn open(root: &Path) -> Result<File, Error> {
    File::open(root).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot open the project directory {}: {e}", root.display()),
        )
        .with_help("check that the directory exists and is readable")
    })
}

fn lock_error(root: &Path, e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot lock the project directory {}: {e}", root.display()),
    )
    .with_help("check the permissions of the project directory")
}

/// The pid that took the `flock` on `root`, from `/proc/locks` (Linux; `None` elsewhere).
pub fn holder(root: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(root).ok()?;
    let dev = meta.dev();
    let (major, minor) = (
        ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff),
        (dev & 0xff) | ((dev >> 12) & !0xff),
    );
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|line| {
        // `1: FLOCK  ADVISORY  WRITE 2716 fd:01:1311777 0 EOF`
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) != Some(&"FLOCK") {
            return None;
        }
        let mut id = fields.get(5)?.split(':');
        let (ma, mi, ino) = (id.next()?, id.next()?, id.next()?);
        let same = u64::from_str_radix(ma, 16).ok()? == major
            && u64::from_str_radix(mi, 16).ok()? == minor
            && ino.parse::<u64>().ok()? == meta.ino();
        same.then(|| fields.get(4)?.parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_waits_names_the_holder_and_gives_up() {
        let dir = tempfile::tempdir().unwrap();
        let held = ProjectLock::try_acquire(dir.path()).unwrap().unwrap();
        assert_eq!(holder(dir.path()), Some(std::process::id()));
        assert!(ProjectLock::try_acquire(dir.path()).unwrap().is_none());
        let mut told = Vec::new();
        let err = ProjectLock::acquire(
            dir.path(),
            Duration::from_millis(50),
            &mut |w| told.push(w),
            &mut || None,
        )
        .unwrap_err();
        assert_eq!(told, vec![Waiting::Hsm(Some(std::process::id()))]);
        assert!(
            err.message.starts_with("gave up after 0 s"),
            "{}",
            err.message
        );
        drop(held);
        assert!(ProjectLock::try_acquire(dir.path()).unwrap().is_some());
    }

    /// The holder's pid is read from a list the kernel changes while it is read, so a look
    /// may miss it: the waiter still says once what it waits for, with the pid when any
    /// look found it, and gives up naming it.
    #[test]
    fn a_pid_missed_by_a_look_is_not_another_wait() {
        let dir = tempfile::tempdir().unwrap();
        let _held = ProjectLock::try_acquire(dir.path()).unwrap().unwrap();
        // The pids each look finds, what the waiter says, and who it names when it gives up.
        type Case<'a> = (&'a [Option<u32>], &'a [Waiting], &'a str);
        let cases: [Case; 4] = [
            // Missed at first, then found, lost and found again.
            (
                &[None, Some(7), None, Some(7), None],
                &[Waiting::Hsm(Some(7))],
                "another hsm (pid 7)",
            ),
            // Never found: said once without it.
            (&[None], &[Waiting::Hsm(None)], "another hsm holds"),
            // Found only after the first notice: not said again, but named at the end.
            (
                &[None, None, None, None, Some(7), None],
                &[Waiting::Hsm(None)],
                "another hsm (pid 7)",
            ),
            // Another hsm took the lock in between: that is another wait.
            (
                &[Some(7), None, Some(8), None],
                &[Waiting::Hsm(Some(7)), Waiting::Hsm(Some(8))],
                "another hsm (pid 8)",
            ),
        ];
        for (looks, want, named) in cases {
            let mut looks = looks.iter().copied().chain(std::iter::repeat(None));
            let mut told = Vec::new();
            let err = wait_for(
                dir.path(),
                Duration::from_millis(300),
                &mut |w| told.push(w),
                &mut || None,
                &mut || looks.next().flatten(),
            )
            .unwrap_err();
            assert_eq!(told, want);
            assert!(err.message.contains(named), "{}", err.message);
        }
    }
}
