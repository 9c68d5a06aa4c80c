//! Which files a command depended on, recorded where files are read.
//!
//! A no-op `hsm sync` proves that nothing it depends on changed without solving again
//! (`sync::fingerprint`). Its inputs come from every layer: hsm.yaml, registry files in
//! each layer (and the files that are *not* there, since a new file in an earlier layer
//! would shadow a later one), hsm.lock, pyproject.toml, uv.lock, the env files, the old
//! artifacts, and whether `.venv`, dev paths or a service's project exist. A list kept by
//! hand would miss the next input someone adds, so the primitives record instead:
//! [`super::read_regular`] notes every file it reads or finds missing, and [`probe`] /
//! [`lprobe`] are the existence checks the sync path uses. Anything a sync depends on that
//! is neither (a directory listing) calls [`untracked`], and no fingerprint is written.
//!
//! A recording belongs to one thread ([`record`]); the sync reads on the thread that
//! started it. Outside a recording the primitives record nothing and cost nothing extra.

use std::cell::RefCell;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What was at a path when it was looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Nothing (or nothing hsm could look at).
    Absent,
    /// A directory.
    Dir,
    /// A symbolic link (seen by [`lprobe`], which does not follow it).
    Symlink,
    /// Something else that is not a regular file (a FIFO, a device, a socket).
    Other,
    /// A regular file; for a file that was read, its identity and timestamps.
    File(Option<Stamp>),
}

/// A regular file's identity, size and timestamps: any write, replacement or rename
/// changes at least one of them, except a write within the timestamp's granularity that
/// keeps the size ([`Stamp::racy`] covers that with a digest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub mode: u32,
    /// A digest of the contents read, kept when the file was modified so recently that a
    /// second write could leave the same timestamp (git's "racily clean" entries).
    pub racy: Option<u64>,
}

/// How long after a write a timestamp cannot tell a second write apart: file systems
/// stamp with a coarse clock (the kernel tick, 2 s on FAT); 3 s covers them all.
const RACY_WINDOW: Duration = Duration::from_secs(3);

impl Stamp {
    /// The stamp of `meta`, without a digest.
    pub fn of(meta: &Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
            mode: meta.mode(),
            racy: None,
        }
    }

    /// Whether a write after `now` could leave this file with the same stamp.
    pub fn is_racy(&self, now: SystemTime) -> bool {
        let ns = |d: Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        let now_ns = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, ns);
        let newest = self.mtime_ns.max(self.ctime_ns);
        newest.saturating_add(ns(RACY_WINDOW)) >= now_ns
    }

    /// The same file, unchanged: everything but the digest is equal (the digest is
    /// checked by whoever holds the contents).
    pub fn same_file(&self, other: &Stamp) -> bool {
        Stamp {
            racy: None,
            ..*self
        } == Stamp {
            racy: None,
            ..*other
        }
    }
}

/// The content digest kept for racy files (FNV-1a, 64 bits: it tells a second write in
/// the same clock tick apart; it is no defence against a forger, who could as well set
/// the timestamps).
pub fn content_digest(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// How a path was looked at, which is how it must be looked at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Look {
    /// Read (following symbolic links): its stamp and, if racy, its contents count.
    Read,
    /// Checked for existence and kind, following symbolic links.
    Probe,
    /// Checked for existence and kind without following a symbolic link.
    Lprobe,
}

/// One input: a path, how it was looked at and what was there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    pub look: Look,
    pub seen: Seen,
}

/// What a recording saw.
#[derive(Debug, Default)]
pub struct Recording {
    /// Every input, in the order first looked at; a path looked at twice the same way is
    /// kept once (the first look: later ones saw the same file or the recording is stale
    /// anyway, which a check of the fingerprint finds).
    pub inputs: Vec<Input>,
    /// Why some input could not be recorded (`None`: every input was).
    pub untracked: Option<String>,
    seen: std::collections::HashSet<(PathBuf, Look)>,
}

thread_local! {
    static RECORDING: RefCell<Option<Recording>> = const { RefCell::new(None) };
}

/// Run `f`, recording every input it looks at on this thread.
pub fn record<T>(f: impl FnOnce() -> T) -> (T, Recording) {
    let outer = RECORDING.with(|r| r.borrow_mut().replace(Recording::default()));
    let value = f();
    let recording = RECORDING
        .with(|r| std::mem::replace(&mut *r.borrow_mut(), outer))
        .unwrap_or_default();
    (value, recording)
}

fn note(path: &Path, look: Look, seen: Seen) {
    RECORDING.with(|r| {
        if let Some(rec) = r.borrow_mut().as_mut()
            && rec.seen.insert((path.to_path_buf(), look))
        {
            rec.inputs.push(Input {
                path: path.to_path_buf(),
                look,
                seen,
            });
        }
    });
}

fn recording() -> bool {
    RECORDING.with(|r| r.borrow().is_some())
}

/// Note a file read (by [`super::read_regular`]): `Some((meta, bytes))` of the open file,
/// or `None` when there was no file.
pub(crate) fn note_read(path: &Path, read: Option<(&Metadata, &[u8])>) {
    if !recording() {
        return;
    }
    let seen = match read {
        None => Seen::Absent,
        Some((meta, bytes)) => {
            let mut stamp = Stamp::of(meta);
            if stamp.is_racy(SystemTime::now()) {
                stamp.racy = Some(content_digest(bytes));
            }
            Seen::File(Some(stamp))
        }
    };
    note(path, Look::Read, seen);
}

/// Add what another thread recorded (a worker of this thread's command) to this thread's
/// recording, if there is one.
pub fn absorb(other: Recording) {
    if let Some(why) = &other.untracked {
        untracked(why);
    }
    for input in other.inputs {
        note(&input.path, input.look, input.seen);
    }
}

/// Something the current recording depends on cannot be recorded: no fingerprint.
pub fn untracked(why: &str) {
    RECORDING.with(|r| {
        if let Some(rec) = r.borrow_mut().as_mut()
            && rec.untracked.is_none()
        {
            rec.untracked = Some(why.to_string());
        }
    });
}

/// What is at `path` (following symbolic links), recorded.
pub fn probe(path: &Path) -> Seen {
    let seen = kind_of(std::fs::metadata(path));
    note(path, Look::Probe, seen);
    seen
}

/// What is at `path` itself (a symbolic link is not followed), recorded.
pub fn lprobe(path: &Path) -> Seen {
    let seen = kind_of(std::fs::symlink_metadata(path));
    note(path, Look::Lprobe, seen);
    seen
}

fn kind_of(meta: std::io::Result<Metadata>) -> Seen {
    match meta {
        Err(_) => Seen::Absent,
        Ok(m) if m.file_type().is_symlink() => Seen::Symlink,
        Ok(m) if m.is_dir() => Seen::Dir,
        Ok(m) if m.is_file() => Seen::File(None),
        Ok(_) => Seen::Other,
    }
}

impl Seen {
    pub fn is_dir(self) -> bool {
        self == Seen::Dir
    }

    pub fn is_file(self) -> bool {
        matches!(self, Seen::File(_))
    }

    pub fn exists(self) -> bool {
        self != Seen::Absent
    }
}

impl Input {
    /// Whether the path still holds what was recorded (reading the file only if its
    /// stamp was racy).
    pub fn unchanged(&self) -> bool {
        match self.look {
            Look::Probe => kind_of(std::fs::metadata(&self.path)) == self.seen,
            Look::Lprobe => kind_of(std::fs::symlink_metadata(&self.path)) == self.seen,
            Look::Read => match (self.seen, std::fs::metadata(&self.path)) {
                (Seen::Absent, Err(e)) => e.kind() == std::io::ErrorKind::NotFound,
                (Seen::File(Some(then)), Ok(meta)) if meta.is_file() => {
                    let now = Stamp::of(&meta);
                    now.same_file(&then)
                        && then.racy.is_none_or(|digest| {
                            std::fs::read(&self.path)
                                .is_ok_and(|bytes| content_digest(&bytes) == digest)
                        })
                }
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_probes_are_recorded_once_and_only_inside_a_recording() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yaml");
        std::fs::write(&file, "x: 1\n").unwrap();
        probe(&file);
        let ((), rec) = record(|| {
            crate::source::read_regular(&file, 100).unwrap();
            crate::source::read_regular(&file, 100).unwrap();
            crate::source::read_regular(&dir.path().join("missing"), 100).unwrap();
            assert!(probe(dir.path()).is_dir());
            assert_eq!(lprobe(&dir.path().join("nothing")), Seen::Absent);
        });
        let looks: Vec<(Look, bool)> = rec
            .inputs
            .iter()
            .map(|i| (i.look, i.seen.exists()))
            .collect();
        assert_eq!(
            looks,
            [
                (Look::Read, true),
                (Look::Read, false),
                (Look::Probe, true),
                (Look::Lprobe, false)
            ]
        );
        assert!(rec.untracked.is_none());
        assert!(rec.inputs.iter().all(Input::unchanged));
    }

    #[test]
    fn a_file_written_just_now_keeps_a_digest_that_catches_a_same_size_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hsm.yaml");
        std::fs::write(&file, "a: 1\n").unwrap();
        let (_, rec) = record(|| crate::source::read_regular(&file, 100).unwrap());
        let input = &rec.inputs[0];
        let Seen::File(Some(stamp)) = input.seen else {
            panic!("{input:?}")
        };
        assert!(stamp.racy.is_some(), "a file written now is racy");
        assert!(input.unchanged());
        // Same size, and the timestamps put back: only the digest can tell.
        let before = std::fs::metadata(&file).unwrap();
        std::fs::write(&file, "a: 2\n").unwrap();
        let times = std::fs::FileTimes::new().set_modified(before.modified().unwrap());
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_times(times)
            .unwrap();
        let mut same_stamp = input.clone();
        if let Seen::File(Some(s)) = &mut same_stamp.seen {
            let now = Stamp::of(&std::fs::metadata(&file).unwrap());
            s.ctime_ns = now.ctime_ns;
        }
        assert!(
            !same_stamp.unchanged(),
            "the digest tells the rewrite apart"
        );
    }

    #[test]
    fn every_kind_of_change_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "one").unwrap();
        let (_, rec) = record(|| {
            crate::source::read_regular(&file, 100).unwrap();
            lprobe(&dir.path().join("venv"));
        });
        let [read, venv] = &rec.inputs[..] else {
            panic!()
        };
        std::fs::write(&file, "three").unwrap();
        assert!(!read.unchanged(), "a longer file");
        std::fs::remove_file(&file).unwrap();
        assert!(!read.unchanged(), "a removed file");
        std::fs::create_dir(dir.path().join("venv")).unwrap();
        assert!(!venv.unchanged(), "a directory that appeared");
    }
}
