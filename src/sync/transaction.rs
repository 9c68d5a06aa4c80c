//! All-or-nothing replacement of a set of project files.
//!
//! Protocol (every step durable before the next):
//! 1. take the project lock ([`super::lock`]);
//! 2. copy each file that will change into `.hsm/journal.new/` (or note that it was
//!    absent), write `journal.json` listing them with sizes and digests, rename
//!    `journal.new` → `journal`. The journal now exists: from here on, any failure means
//!    "roll back";
//! 3. write each new file as a new staged sibling and rename it into place (or delete);
//! 4. run the tools (uv) — they may change more files, which were journaled too; each
//!    tool's process group is recorded in the journal while it runs;
//! 5. retire the journal: rename `journal` → `journal.done.<pid>.<n>` (the commit point,
//!    one atomic step), then delete the retired copy at leisure.
//!
//! If the process dies anywhere between 2 and 5, the journal is still there, complete, and
//! the next hsm invocation of any kind stops the recorded tool, restores every journaled
//! file and retires the journal ([`recover`]). Renames within one directory are atomic, so
//! no file is ever torn; restoring is idempotent, so a kill during recovery is undone by
//! the next recovery. See [`super::journal`] for what is checked before a journal is
//! trusted.
//!
//! `HSM_FAULT=<point>` aborts the process at a named point; tests use it to kill a sync at
//! every step.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use super::files::{self, write_error};
use super::journal::{
    self, Backup, CreatedDir, Entry, JOURNAL, JOURNAL_DONE, JOURNAL_FILE, JOURNAL_NEW, Journal,
    STATE_DIR, check_project_path,
};
use super::lock::{ProjectLock, Waiting};
use super::process::{self, ProcessId};
use crate::error::{Error, ErrorKind};

/// Largest file a transaction backs up (uv.lock of a big project is a few megabytes).
const MAX_BACKUP_BYTES: u64 = 256 * 1024 * 1024;

/// Abort the process if `HSM_FAULT` names this point (crash injection for tests; the
/// abort, SIGABRT, is the whole signal: tests check the status and the files).
pub fn fault(point: &str) {
    if std::env::var("HSM_FAULT").is_ok_and(|p| p == point) {
        std::process::abort();
    }
}

/// An open transaction over some project files.
#[derive(Debug)]
pub struct Transaction<'l> {
    lock: &'l ProjectLock,
    /// `.hsm/journal`.
    dir: PathBuf,
    journal: Journal,
    /// The paths of the journal's entries, looked up per write (a list scanned per write
    /// was quadratic in the files a sync writes: one `.env` file per service).
    covered: HashSet<String>,
    writes: usize,
    /// Directories whose entries changed, made durable once at commit.
    dirs: BTreeSet<PathBuf>,
}

impl<'l> Transaction<'l> {
    /// Journal the current state of `paths` (relative to the root).
    pub fn begin(lock: &'l ProjectLock, paths: &[String]) -> Result<Transaction<'l>, Error> {
        process::catch_interrupts();
        let root = lock.root();
        let state = files::state_dir(root)?;
        let new = state.join(JOURNAL_NEW);
        remove_dir(&new)?;
        fs::create_dir(&new).map_err(|e| write_error(&new, &e))?;
        let mut entries = Vec::new();
        for (i, rel) in paths.iter().enumerate() {
            check_project_path(root, rel).map_err(|why| {
                Error::new(ErrorKind::Io, format!("hsm will not write there: {why}"))
                    .with_help("this is a bug in hsm; please report it")
            })?;
            let backup = match read_artifact(root, rel)? {
                Some(bytes) => {
                    let file = format!("{i}.orig");
                    files::write_new(&new.join(&file), &bytes)?;
                    Some(Backup {
                        file,
                        size: bytes.len() as u64,
                        digest: files::digest(&bytes),
                    })
                }
                None => None,
            };
            entries.push(Entry::file(rel.clone(), backup));
        }
        let covered = entries.iter().map(|e| e.path.clone()).collect();
        let journal = Journal::new(ProcessId::current(), entries);
        files::write_new(&new.join(JOURNAL_FILE), journal.to_json().as_bytes())?;
        files::sync_dir(&new);
        let dir = state.join(JOURNAL);
        fs::rename(&new, &dir).map_err(|e| write_error(&dir, &e))?;
        files::sync_dir(&state);
        fault("after-journal");
        Ok(Transaction {
            lock,
            dir,
            journal,
            covered,
            writes: 0,
            dirs: BTreeSet::new(),
        })
    }

    /// Replace (or, with `None`, delete) a journaled file.
    pub fn write(&mut self, rel: &str, contents: Option<&[u8]>) -> Result<(), Error> {
        if process::interrupted() {
            return Err(process::interrupted_error());
        }
        if !self.covered.contains(rel) {
            return Err(Error::new(
                ErrorKind::Io,
                format!("hsm tried to write {rel}, which its journal does not cover"),
            )
            .with_help("this is a bug in hsm; please report it"));
        }
        let target = self.lock.root().join(rel);
        match contents {
            Some(bytes) => {
                let tmp = files::staged(&target);
                files::write_new(&tmp, bytes)?;
                files::rename(&tmp, &target)?;
            }
            None => files::remove(&target)?,
        }
        if let Some(parent) = target.parent() {
            self.dirs.insert(parent.to_path_buf());
        }
        self.writes += 1;
        fault(&format!("after-write-{}", self.writes));
        Ok(())
    }

    /// Run a tool that changes journaled files, in the project root. Its process group is
    /// journaled and it inherits the project lock, so it can never write after this
    /// transaction has been rolled back. `Ok(Err(_))` is an interruption; `Err` means the
    /// tool could not be started.
    pub fn run(&mut self, cmd: &mut Command) -> std::io::Result<Result<Output, Error>> {
        self.run_in("", cmd)
    }

    /// [`Transaction::run`] in the project directory `dir` (relative to the root; `""` is
    /// the root itself).
    pub fn run_in(
        &mut self,
        dir: &str,
        cmd: &mut Command,
    ) -> std::io::Result<Result<Output, Error>> {
        cmd.current_dir(self.lock.root().join(dir));
        if let Err(e) = self.lock.inherit(true) {
            return Ok(Err(e));
        }
        let (dir, journal) = (&self.dir, &mut self.journal);
        let out = process::run(cmd, &mut |group| {
            journal.runner = Some(group);
            rewrite(dir, journal)?;
            fault("after-runner-journaled");
            Ok(())
        });
        let restored = self.lock.inherit(false);
        match (out, restored) {
            (Ok(Ok(_)), Err(e)) => Ok(Err(e)),
            (out, _) => out,
        }
    }

    /// Create the directory `rel` (and its missing parents), which must not exist: each is
    /// journaled before it is made and identified right after, so a rollback (or the
    /// recovery after a kill) removes exactly the directories this transaction made,
    /// with whatever was put in them.
    pub fn create_dir(&mut self, rel: &str) -> Result<(), Error> {
        if process::interrupted() {
            return Err(process::interrupted_error());
        }
        let root = self.lock.root().to_path_buf();
        check_project_path(&root, rel).map_err(|why| {
            Error::new(
                ErrorKind::Io,
                format!("hsm will not create a directory there: {why}"),
            )
            .with_help("this is a bug in hsm; please report it")
        })?;
        let parts: Vec<&str> = rel.split('/').collect();
        for depth in 1..=parts.len() {
            let sub = parts[..depth].join("/");
            let path = root.join(&sub);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_dir() && depth < parts.len() => continue,
                Ok(_) => {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!("cannot create {sub}: something is already there"),
                    )
                    .with_help(format!("move {sub} out of the way and sync again")));
                }
                Err(_) => {}
            }
            if !self.covered.insert(sub.clone()) {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!("hsm tried to create {sub} twice in one transaction"),
                )
                .with_help("this is a bug in hsm; please report it"));
            }
            self.journal.entries.push(Entry {
                path: sub.clone(),
                backup: None,
                created_dir: Some(CreatedDir::default()),
            });
            rewrite(&self.dir, &self.journal)?;
            fault("before-mkdir");
            fs::create_dir(&path).map_err(|e| write_error(&path, &e))?;
            fault("after-mkdir");
            let id = CreatedDir::of(&path).map_err(|e| Error::io(&path, &e))?;
            if let Some(entry) = self.journal.entries.last_mut() {
                entry.created_dir = Some(id);
            }
            rewrite(&self.dir, &self.journal)?;
            if let Some(parent) = path.parent() {
                self.dirs.insert(parent.to_path_buf());
            }
        }
        Ok(())
    }

    /// Make the changes permanent: retire the journal.
    pub fn commit(self) -> Result<(), Error> {
        if process::interrupted() {
            self.rollback()?;
            return Err(process::interrupted_error());
        }
        fault("before-commit");
        // The renames must be on disk before the journal that could undo them is gone.
        // Until then a crash rolls back, so one directory sync per directory is enough.
        for dir in &self.dirs {
            files::sync_dir(dir);
        }
        retire(self.lock.root(), &self.dir)
    }

    /// Put every journaled file back as it was.
    pub fn rollback(self) -> Result<(), Error> {
        restore(self.lock.root(), &self.dir, &self.journal)?;
        retire(self.lock.root(), &self.dir)
    }
}

/// The bytes of a project file that is about to be replaced; `None` if it does not exist.
/// Anything but a regular file there is refused: hsm would replace it with a file.
fn read_artifact(root: &Path, rel: &str) -> Result<Option<Vec<u8>>, Error> {
    let path = root.join(rel);
    match files::read_regular_bytes(&path, MAX_BACKUP_BYTES) {
        Ok(bytes) => Ok(bytes),
        Err(e) => Err(Error::new(
            ErrorKind::Io,
            format!("cannot back up {}: {e}", path.display()),
        )
        .with_help(format!(
            "hsm replaces {rel} with a regular file; move whatever is there out of the way"
        ))),
    }
}

/// Replace `journal.json` in one rename.
fn rewrite(dir: &Path, journal: &Journal) -> Result<(), Error> {
    let tmp = dir.join(format!("{JOURNAL_FILE}.new"));
    files::write_new(&tmp, journal.to_json().as_bytes())?;
    files::rename(&tmp, &dir.join(JOURNAL_FILE))?;
    files::sync_dir(dir);
    Ok(())
}

/// What [`recover`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// No interrupted transaction.
    Nothing,
    /// An interrupted transaction was rolled back: every file is as it was before it.
    RolledBack,
    /// `.hsm/journal` was not a journal hsm could trust (the reason); it was cleared and
    /// no project file was touched.
    Cleared(String),
}

/// Roll back an interrupted transaction, if there is one. Call with the project lock held.
pub fn recover(lock: &ProjectLock) -> Result<Recovery, Error> {
    let root = lock.root();
    let state = root.join(STATE_DIR);
    // A `.hsm` that is not a real directory of the project holds no journal of ours; sync
    // refuses to use it (see `files::state_dir`).
    if !fs::symlink_metadata(&state).is_ok_and(|m| m.file_type().is_dir()) {
        return Ok(Recovery::Nothing);
    }
    // Leftovers: a journal that was never completed (nothing was changed yet) and retired
    // ones whose deletion was cut short.
    remove_dir(&state.join(JOURNAL_NEW))?;
    for entry in fs::read_dir(&state).map_err(|e| Error::io(&state, &e))? {
        let entry = entry.map_err(|e| Error::io(&state, &e))?;
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(JOURNAL_DONE)
        {
            remove_dir(&entry.path())?;
        }
    }
    let dir = state.join(JOURNAL);
    let meta = match fs::symlink_metadata(&dir) {
        Ok(m) => m,
        Err(_) => return Ok(Recovery::Nothing),
    };
    if !meta.file_type().is_dir() {
        files::remove(&dir)?;
        return Ok(Recovery::Cleared(
            "it is not a directory hsm made".to_string(),
        ));
    }
    match Journal::read(root, &dir) {
        Ok(journal) => {
            // The tool of a killed sync cannot still run (it would hold the lock we hold),
            // unless it closed the inherited descriptor: stop it anyway.
            if let Some(runner) = journal.runner {
                runner.kill_group();
            }
            restore(root, &dir, &journal)?;
            retire(root, &dir)?;
            Ok(Recovery::RolledBack)
        }
        Err(reason) => {
            retire(root, &dir)?;
            Ok(Recovery::Cleared(reason))
        }
    }
}

/// Is there an interrupted transaction that [`recover`] would act on?
pub fn interrupted(root: &Path) -> bool {
    fs::symlink_metadata(root.join(STATE_DIR).join(JOURNAL)).is_ok()
}

/// While waiting for the lock: if the hsm that owns the journal is dead, its tool holds the
/// lock; stop it. Returns what the wait is for, when it is not an ordinary hsm.
pub fn stop_orphans(root: &Path) -> Option<Waiting> {
    let dir = root.join(STATE_DIR).join(JOURNAL);
    let (owner, runner) = journal::peek(&dir)?;
    if owner.is_alive() {
        return None;
    }
    let runner = runner?;
    runner.kill_group();
    Some(Waiting::Orphan(runner))
}

/// Is the hsm that owns the journal in `root` alive (a sync in progress)?
pub fn owner_alive(root: &Path) -> bool {
    journal::peek(&root.join(STATE_DIR).join(JOURNAL)).is_some_and(|(owner, _)| owner.is_alive())
}

fn restore(root: &Path, dir: &Path, journal: &Journal) -> Result<(), Error> {
    // `Journal::read` verified every backup before we got here; read them all before the
    // first file is touched, so a failure cannot leave old and new files mixed.
    let mut backups = Vec::with_capacity(journal.entries.len());
    for entry in &journal.entries {
        backups.push(match &entry.backup {
            Some(b) => {
                let copy = dir.join(&b.file);
                Some(fs::read(&copy).map_err(|e| Error::io(&copy, &e))?)
            }
            None => None,
        });
    }
    for (entry, backup) in journal.entries.iter().zip(backups) {
        if entry.created_dir.is_some() {
            continue;
        }
        let target = root.join(&entry.path);
        let tmp = files::staged(&target);
        match backup {
            Some(bytes) => {
                files::write_new(&tmp, &bytes)?;
                files::rename(&tmp, &target)?;
            }
            None => {
                files::remove(&target)?;
                files::remove(&tmp)?;
            }
        }
        fault("during-restore");
        if let Some(parent) = target.parent() {
            files::sync_dir(parent);
        }
    }
    // The directories the transaction made, innermost first.
    for entry in journal.entries.iter().rev() {
        let Some(id) = &entry.created_dir else {
            continue;
        };
        let target = root.join(&entry.path);
        if id.is(&target) {
            fs::remove_dir_all(&target).map_err(|e| write_error(&target, &e))?;
        } else if id.ino.is_none() {
            // Made, but killed before its identity was recorded: it can only hold what
            // hsm put there after recording it, which is nothing.
            let _ = fs::remove_dir(&target);
        }
        fault("during-restore");
        if let Some(parent) = target.parent() {
            files::sync_dir(parent);
        }
    }
    Ok(())
}

/// Retire the journal in one atomic rename, then delete the retired copy.
fn retire(root: &Path, dir: &Path) -> Result<(), Error> {
    static RETIRED: AtomicU32 = AtomicU32::new(0);
    let state = root.join(STATE_DIR);
    let done = state.join(format!(
        "{JOURNAL_DONE}{}.{}",
        std::process::id(),
        RETIRED.fetch_add(1, Ordering::Relaxed)
    ));
    remove_dir(&done)?;
    fs::rename(dir, &done).map_err(|e| write_error(dir, &e))?;
    files::sync_dir(&state);
    fault("after-retire");
    // The commit is durable; a failure to delete the copy is cleaned up next time.
    let _ = fs::remove_dir_all(&done);
    Ok(())
}

/// Remove a directory tree if it exists (a symbolic link in its place is removed, never
/// followed).
fn remove_dir(path: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_dir() => {
            fs::remove_dir_all(path).map_err(|e| write_error(path, &e))
        }
        Ok(_) => files::remove(path),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(root: &Path) -> ProjectLock {
        ProjectLock::try_acquire(root).unwrap().unwrap()
    }

    #[test]
    fn rollback_restores_changed_created_and_deleted_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a"), "old a").unwrap();
        fs::write(root.join("c"), "old c").unwrap();
        let lock = lock(root);
        let mut tx = Transaction::begin(&lock, &["a".into(), "b".into(), "c".into()]).unwrap();
        tx.write("a", Some(b"new a")).unwrap();
        tx.write("b", Some(b"new b")).unwrap();
        tx.write("c", None).unwrap();
        assert_eq!(fs::read_to_string(root.join("a")).unwrap(), "new a");
        // Simulate a crash: forget the transaction, recover as the next process would.
        std::mem::forget(tx);
        assert_eq!(recover(&lock).unwrap(), Recovery::RolledBack);
        assert_eq!(fs::read_to_string(root.join("a")).unwrap(), "old a");
        assert!(!root.join("b").exists());
        assert_eq!(fs::read_to_string(root.join("c")).unwrap(), "old c");
        assert_eq!(recover(&lock).unwrap(), Recovery::Nothing);
        assert_eq!(fs::read_dir(root.join(STATE_DIR)).unwrap().count(), 0);
    }

    #[test]
    fn commit_keeps_the_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let lock = lock(dir.path());
        let mut tx = Transaction::begin(&lock, &["x".into()]).unwrap();
        tx.write("x", Some(b"1")).unwrap();
        tx.commit().unwrap();
        assert_eq!(recover(&lock).unwrap(), Recovery::Nothing);
        assert_eq!(fs::read_to_string(dir.path().join("x")).unwrap(), "1");
    }

    #[test]
    fn a_journal_with_a_missing_backup_touches_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a"), "old a").unwrap();
        fs::write(root.join("b"), "old b").unwrap();
        let lock = lock(root);
        let mut tx = Transaction::begin(&lock, &["a".into(), "b".into()]).unwrap();
        tx.write("a", Some(b"new a")).unwrap();
        tx.write("b", Some(b"new b")).unwrap();
        std::mem::forget(tx);
        fs::remove_file(root.join(".hsm/journal/1.orig")).unwrap();
        let Recovery::Cleared(why) = recover(&lock).unwrap() else {
            panic!("expected the journal to be cleared")
        };
        assert!(why.contains("backup of `b` is missing"), "{why}");
        // Not a single file was restored: no mix of old and new.
        assert_eq!(fs::read_to_string(root.join("a")).unwrap(), "new a");
        assert_eq!(fs::read_to_string(root.join("b")).unwrap(), "new b");
        assert!(!root.join(".hsm/journal").exists());
    }

    #[test]
    fn a_crafted_journal_cannot_reach_outside_the_project() {
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, "untouched").unwrap();
        for path in [
            victim.display().to_string(),
            "../victim".to_string(),
            "link/victim".to_string(),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
            let journal = root.join(".hsm/journal");
            fs::create_dir_all(&journal).unwrap();
            let text = serde_json::json!({
                "format": 2,
                "owner": {"pid": 1, "start": 1},
                "entries": [{"path": path, "backup": null}],
            });
            fs::write(journal.join(JOURNAL_FILE), text.to_string()).unwrap();
            let lock = lock(root);
            assert!(
                matches!(recover(&lock).unwrap(), Recovery::Cleared(_)),
                "{path}"
            );
            assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched", "{path}");
        }
    }

    #[test]
    fn a_journal_directory_without_its_journal_is_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join(".hsm/journal")).unwrap();
        fs::write(root.join(".hsm/journal/0.orig"), "x").unwrap();
        fs::create_dir_all(root.join(".hsm/journal.done.1.0")).unwrap();
        let lock = lock(root);
        assert!(matches!(recover(&lock).unwrap(), Recovery::Cleared(_)));
        assert_eq!(fs::read_dir(root.join(STATE_DIR)).unwrap().count(), 0);
        // And a sync can start again.
        let tx = Transaction::begin(&lock, &["x".into()]).unwrap();
        tx.commit().unwrap();
    }

    #[test]
    fn rollback_removes_the_directories_it_made_and_only_those() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("services")).unwrap();
        fs::write(root.join("services/keep"), "mine").unwrap();
        let lock = lock(root);
        let mut tx = Transaction::begin(&lock, &["services/api/pyproject.toml".into()]).unwrap();
        tx.create_dir("services/api").unwrap();
        tx.create_dir("deep/a/b").unwrap();
        fs::create_dir_all(root.join("services/api/src/pkg")).unwrap();
        fs::write(root.join("services/api/src/pkg/x.py"), "x").unwrap();
        tx.write("services/api/pyproject.toml", Some(b"[project]"))
            .unwrap();
        let err = tx.create_dir("services/api").unwrap_err();
        assert!(err.message.contains("already there"), "{}", err.message);
        std::mem::forget(tx);
        assert_eq!(recover(&lock).unwrap(), Recovery::RolledBack);
        assert!(!root.join("services/api").exists());
        assert!(!root.join("deep").exists());
        assert_eq!(
            fs::read_to_string(root.join("services/keep")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn a_journal_cannot_remove_a_directory_hsm_did_not_make() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("src")).unwrap();
        fs::write(root.join("src/main.py"), "code").unwrap();
        fs::create_dir_all(root.join("empty")).unwrap();
        let journal = root.join(".hsm/journal");
        fs::create_dir_all(&journal).unwrap();
        let text = serde_json::json!({
            "format": 3,
            "owner": {"pid": 1, "start": 1},
            "entries": [
                {"path": "src", "backup": null, "created_dir": {"dev": 1, "ino": 2}},
                {"path": "src", "backup": null, "created_dir": {}},
            ],
        });
        fs::write(journal.join(JOURNAL_FILE), text.to_string()).unwrap();
        let lock = lock(root);
        // Listed twice: invalid, cleared, nothing touched.
        assert!(matches!(recover(&lock).unwrap(), Recovery::Cleared(_)));
        for entries in [
            serde_json::json!([{"path": "src", "backup": null, "created_dir": {"dev": 1, "ino": 2}}]),
            serde_json::json!([{"path": "src", "backup": null, "created_dir": {}}]),
        ] {
            fs::create_dir_all(&journal).unwrap();
            let text = serde_json::json!({"format": 3, "owner": {"pid": 1, "start": 1}, "entries": entries});
            fs::write(journal.join(JOURNAL_FILE), text.to_string()).unwrap();
            assert_eq!(recover(&lock).unwrap(), Recovery::RolledBack);
            assert_eq!(
                fs::read_to_string(root.join("src/main.py")).unwrap(),
                "code"
            );
        }
        // A directory whose identity was never recorded goes only if it is empty.
        fs::create_dir_all(&journal).unwrap();
        let text = serde_json::json!({"format": 3, "owner": {"pid": 1, "start": 1},
            "entries": [{"path": "empty", "backup": null, "created_dir": {}}]});
        fs::write(journal.join(JOURNAL_FILE), text.to_string()).unwrap();
        assert_eq!(recover(&lock).unwrap(), Recovery::RolledBack);
        assert!(!root.join("empty").exists());
    }
}
