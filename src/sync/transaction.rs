//! All-or-nothing replacement of a set of project files.
//!
//! Protocol (every step durable before the next):
//! 1. take the project lock (an advisory lock on the project directory, held for the
//!    whole command, shared with the commands that edit hsm.yaml);
//! 2. copy each file that will change into `.hsm/journal.new/` (or note that it was
//!    absent) and write `journal.json` listing them; rename `journal.new` → `journal`.
//!    The journal now exists: from here on, any failure means "roll back";
//! 3. write each new file next to its target and rename it into place (or delete);
//! 4. run the runners (uv) — they may change more files, which were journaled too;
//! 5. delete the journal: the commit point.
//!
//! If the process dies anywhere between 2 and 5, the journal is still there and the next
//! hsm invocation of any kind restores every journaled file before doing anything else
//! ([`recover`]). Renames within one directory are atomic, so no file is ever torn.
//!
//! `HSM_FAULT=<point>` aborts the process at a named point; tests use it to kill a sync at
//! every step.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

/// hsm's state folder in the project.
pub const STATE_DIR: &str = ".hsm";
const JOURNAL: &str = "journal";
const JOURNAL_NEW: &str = "journal.new";
const JOURNAL_FILE: &str = "journal.json";

/// Abort the process if `HSM_FAULT` names this point (crash injection for tests).
pub fn fault(point: &str) {
    if std::env::var("HSM_FAULT").is_ok_and(|p| p == point) {
        eprintln!("hsm: injected fault at {point}");
        std::process::abort();
    }
}

/// The project lock: an exclusive advisory lock on the project directory, released on drop.
#[derive(Debug)]
pub struct ProjectLock {
    _file: File,
    root: PathBuf,
}

impl ProjectLock {
    /// Wait for and take the lock of the project at `root`.
    ///
    /// The lock is an advisory lock on the project directory itself, so taking it creates
    /// no file (a dry run or a failed sync leaves no trace) and it survives the rename of
    /// any file inside (a lock on hsm.yaml would not: edits replace it).
    pub fn acquire(root: &Path) -> Result<ProjectLock, Error> {
        let file = File::open(root).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot open the project directory {}: {e}", root.display()),
            )
            .with_help("check that the directory exists and is readable")
        })?;
        file.lock().map_err(|e| write_error(root, &e))?;
        Ok(ProjectLock {
            _file: file,
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// Relative to the project root.
    path: String,
    /// File name of the copy in the journal; `None` if the file did not exist.
    backup: Option<String>,
}

/// An open transaction over some project files.
#[derive(Debug)]
pub struct Transaction<'l> {
    lock: &'l ProjectLock,
    entries: Vec<Entry>,
    writes: usize,
    /// Directories whose entries changed, made durable once at commit.
    dirs: std::collections::BTreeSet<PathBuf>,
}

impl<'l> Transaction<'l> {
    /// Journal the current state of `paths` (relative to the root).
    pub fn begin(lock: &'l ProjectLock, paths: &[String]) -> Result<Transaction<'l>, Error> {
        let state = lock.root.join(STATE_DIR);
        let new = state.join(JOURNAL_NEW);
        if new.exists() {
            fs::remove_dir_all(&new).map_err(|e| write_error(&new, &e))?;
        }
        fs::create_dir_all(&new).map_err(|e| write_error(&new, &e))?;
        let mut entries = Vec::new();
        for (i, rel) in paths.iter().enumerate() {
            let src = lock.root.join(rel);
            let backup = if src.is_file() {
                let name = format!("{i}.orig");
                fs::copy(&src, new.join(&name)).map_err(|e| write_error(&src, &e))?;
                sync_file(&new.join(&name))?;
                Some(name)
            } else {
                None
            };
            entries.push(Entry {
                path: rel.clone(),
                backup,
            });
        }
        let journal = serde_json::to_string_pretty(&Journal {
            entries: entries.clone(),
        })
        .unwrap_or_default();
        write_durable(&new.join(JOURNAL_FILE), journal.as_bytes())?;
        sync_dir(&new);
        let dir = state.join(JOURNAL);
        fs::rename(&new, &dir).map_err(|e| write_error(&dir, &e))?;
        sync_dir(&state);
        fault("after-journal");
        Ok(Transaction {
            lock,
            entries,
            writes: 0,
            dirs: Default::default(),
        })
    }

    /// Replace (or, with `None`, delete) a journaled file.
    pub fn write(&mut self, rel: &str, contents: Option<&str>) -> Result<(), Error> {
        debug_assert!(
            self.entries.iter().any(|e| e.path == rel),
            "{rel} was not journaled"
        );
        let target = self.lock.root.join(rel);
        match contents {
            Some(text) => {
                let tmp = staged(&target);
                write_durable(&tmp, text.as_bytes())?;
                fs::rename(&tmp, &target).map_err(|e| write_error(&target, &e))?;
            }
            None => match fs::remove_file(&target) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(write_error(&target, &e)),
            },
        }
        if let Some(parent) = target.parent() {
            self.dirs.insert(parent.to_path_buf());
        }
        self.writes += 1;
        fault(&format!("after-write-{}", self.writes));
        Ok(())
    }

    /// Make the changes permanent: drop the journal.
    pub fn commit(self) -> Result<(), Error> {
        fault("before-commit");
        // The renames must be on disk before the journal that could undo them is gone.
        // Until then a crash rolls back, so one directory sync per directory is enough.
        for dir in &self.dirs {
            sync_dir(dir);
        }
        let dir = self.lock.root.join(STATE_DIR).join(JOURNAL);
        fs::remove_dir_all(&dir).map_err(|e| write_error(&dir, &e))?;
        sync_dir(&self.lock.root.join(STATE_DIR));
        Ok(())
    }

    /// Put every journaled file back as it was.
    pub fn rollback(self) -> Result<(), Error> {
        restore(&self.lock.root)
    }
}

/// Roll back an interrupted transaction, if there is one. Returns whether it did.
/// Call with the project lock held.
pub fn recover(lock: &ProjectLock) -> Result<bool, Error> {
    let state = lock.root.join(STATE_DIR);
    // A journal that was never completed: nothing was changed yet.
    let new = state.join(JOURNAL_NEW);
    if new.exists() {
        fs::remove_dir_all(&new).map_err(|e| write_error(&new, &e))?;
    }
    if !state.join(JOURNAL).join(JOURNAL_FILE).exists() {
        return Ok(false);
    }
    restore(&lock.root)?;
    Ok(true)
}

fn restore(root: &Path) -> Result<(), Error> {
    let dir = root.join(STATE_DIR).join(JOURNAL);
    let text = fs::read_to_string(dir.join(JOURNAL_FILE))
        .map_err(|e| Error::io(&dir.join(JOURNAL_FILE), &e))?;
    let journal: Journal = serde_json::from_str(&text).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("the sync journal {} is damaged: {e}", dir.display()),
        )
        .with_help("restore the files from version control and delete .hsm/journal")
    })?;
    for entry in &journal.entries {
        let target = root.join(&entry.path);
        match &entry.backup {
            Some(name) => {
                let tmp = staged(&target);
                fs::copy(dir.join(name), &tmp).map_err(|e| write_error(&tmp, &e))?;
                sync_file(&tmp)?;
                fs::rename(&tmp, &target).map_err(|e| write_error(&target, &e))?;
            }
            None => match fs::remove_file(&target) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(write_error(&target, &e)),
            },
        }
        let _ = fs::remove_file(staged(&target));
        if let Some(parent) = target.parent() {
            sync_dir(parent);
        }
    }
    fs::remove_dir_all(&dir).map_err(|e| write_error(&dir, &e))?;
    sync_dir(&root.join(STATE_DIR));
    Ok(())
}

fn staged(target: &Path) -> PathBuf {
    let mut name = target
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".hsm-new");
    target.with_file_name(name)
}

/// Write a whole file and flush it to disk.
pub fn write_durable(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f = File::create(path).map_err(|e| write_error(path, &e))?;
    f.write_all(bytes).map_err(|e| write_error(path, &e))?;
    f.sync_all().map_err(|e| write_error(path, &e))
}

/// Replace a file atomically (write a sibling, then rename over it).
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = staged(path);
    write_durable(&tmp, bytes)?;
    fs::rename(&tmp, path).map_err(|e| write_error(path, &e))?;
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(())
}

fn sync_file(path: &Path) -> Result<(), Error> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| write_error(path, &e))
}

/// Best effort: directory fsync makes renames durable on Linux; elsewhere it may fail.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn write_error(path: &Path, e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot write {}: {e}", path.display()),
    )
    .with_help("check the permissions of the project directory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_restores_changed_created_and_deleted_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a"), "old a").unwrap();
        fs::write(root.join("c"), "old c").unwrap();
        let lock = ProjectLock::acquire(root).unwrap();
        let mut tx = Transaction::begin(&lock, &["a".into(), "b".into(), "c".into()]).unwrap();
        tx.write("a", Some("new a")).unwrap();
        tx.write("b", Some("new b")).unwrap();
        tx.write("c", None).unwrap();
        assert_eq!(fs::read_to_string(root.join("a")).unwrap(), "new a");
        // Simulate a crash: forget the transaction, recover as the next process would.
        std::mem::forget(tx);
        assert!(recover(&lock).unwrap());
        assert_eq!(fs::read_to_string(root.join("a")).unwrap(), "old a");
        assert!(!root.join("b").exists());
        assert_eq!(fs::read_to_string(root.join("c")).unwrap(), "old c");
        assert!(!recover(&lock).unwrap());
    }

    #[test]
    fn commit_keeps_the_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let lock = ProjectLock::acquire(dir.path()).unwrap();
        let mut tx = Transaction::begin(&lock, &["x".into()]).unwrap();
        tx.write("x", Some("1")).unwrap();
        tx.commit().unwrap();
        assert!(!recover(&lock).unwrap());
        assert_eq!(fs::read_to_string(dir.path().join("x")).unwrap(), "1");
    }
}
