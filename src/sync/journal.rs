//! The sync journal: what a transaction must put back if it does not finish.
//!
//! On disk it is a directory, `.hsm/journal/`, holding `journal.json` and one backup per
//! file that existed before (`0.orig`, `1.orig`, …). The directory appears in one rename
//! (`journal.new` → `journal`) once every backup and the JSON are durable, and it
//! disappears in one rename (`journal` → `journal.done.<pid>.<n>`) at the commit or after a
//! rollback; only then is the retired copy deleted. So at any instant the journal is either
//! absent or complete — there is no window in which a kill leaves half a journal behind.
//!
//! The journal is also input: anything in the project, including `.hsm/`, may have been
//! written by someone else. [`Journal::read`] therefore trusts nothing: every path must
//! be a plain relative path inside the project that reaches its file through real
//! directories (never absolute, never `..`, never through a symbolic link), every backup
//! must be a regular file of the journal with the recorded size and digest. A journal that
//! fails any check is *invalid*: it is cleared without touching a single project file.
//!
//! A transaction may also create directories (the project of a service run with uv, cloned
//! or made by `uv init`). Such an entry is journaled *before* the directory exists, and the
//! directory's identity (device and inode) right after `mkdir`: a rollback removes the tree
//! only if the directory at that path is still the very one hsm made. A crafted journal can
//! name a directory, but cannot know its inode; and a directory whose identity was never
//! recorded (a kill right after `mkdir`) is removed only if it is empty.

use std::fs;
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};

use super::files;
use super::process::ProcessId;
use crate::source::watch::Seen;

/// hsm's state folder in the project.
pub const STATE_DIR: &str = ".hsm";
pub(super) const JOURNAL: &str = "journal";
pub(super) const JOURNAL_NEW: &str = "journal.new";
/// Prefix of a retired journal, deleted at the next opportunity.
pub(super) const JOURNAL_DONE: &str = "journal.done.";
pub(super) const JOURNAL_FILE: &str = "journal.json";
const FORMAT: u32 = 3;
/// Journals of format 2 (before directories could be created) read the same way.
const OLDEST_FORMAT: u32 = 2;
/// A journal is a handful of entries; anything larger was not written by hsm.
const MAX_JOURNAL_BYTES: u64 = 1024 * 1024;

/// `journal.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    pub format: u32,
    /// The hsm process that wrote the journal.
    pub owner: ProcessId,
    /// The process group of the tool (uv) the transaction is running, if any: recovery
    /// stops it before restoring, so it cannot write after the rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<ProcessId>,
    pub entries: Vec<Entry>,
}

/// One file of the transaction.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    /// The file as it was; `None` if it did not exist.
    pub backup: Option<Backup>,
    /// The transaction creates this directory (it did not exist): a rollback removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_dir: Option<CreatedDir>,
}

impl Entry {
    /// A file of the transaction, with its backup (`None`: it did not exist).
    pub fn file(path: String, backup: Option<Backup>) -> Entry {
        Entry {
            path,
            backup,
            created_dir: None,
        }
    }
}

/// The identity of a directory the transaction made; empty until `mkdir` has returned.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CreatedDir {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ino: Option<u64>,
}

impl CreatedDir {
    /// The identity of the directory at `path` (not following a symbolic link).
    pub fn of(path: &Path) -> std::io::Result<CreatedDir> {
        use std::os::unix::fs::MetadataExt;
        let meta = fs::symlink_metadata(path)?;
        Ok(CreatedDir {
            dev: Some(meta.dev()),
            ino: Some(meta.ino()),
        })
    }

    /// Is `path` still this directory (a real directory with the recorded identity)?
    pub fn is(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (self.dev, self.ino, fs::symlink_metadata(path)) {
            (Some(dev), Some(ino), Ok(m)) => {
                m.file_type().is_dir() && m.dev() == dev && m.ino() == ino
            }
            _ => false,
        }
    }
}

/// A copy of a file's old contents inside the journal directory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// File name inside the journal directory (`<n>.orig`).
    pub file: String,
    pub size: u64,
    /// [`files::digest`] of the contents.
    pub digest: String,
}

impl Journal {
    pub fn new(owner: ProcessId, entries: Vec<Entry>) -> Journal {
        Journal {
            format: FORMAT,
            owner,
            runner: None,
            entries,
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising plain strings and numbers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Read and check the journal in `dir` against the project at `root`.
    ///
    /// `Err(reason)` means the journal is invalid (missing, damaged, or pointing where hsm
    /// never writes); the reason is for the warning shown when it is cleared.
    pub fn read(root: &Path, dir: &Path) -> Result<Journal, String> {
        let path = dir.join(JOURNAL_FILE);
        let text = files::read_regular(&path, MAX_JOURNAL_BYTES)
            .map_err(|e| format!("{JOURNAL_FILE} cannot be read: {e}"))?
            .ok_or_else(|| format!("it has no {JOURNAL_FILE}"))?;
        let journal: Journal = serde_json::from_str(&text)
            .map_err(|e| format!("{JOURNAL_FILE} is not a journal hsm wrote: {e}"))?;
        if !(OLDEST_FORMAT..=FORMAT).contains(&journal.format) {
            return Err(format!(
                "{JOURNAL_FILE} has format {}, this hsm writes {FORMAT}",
                journal.format
            ));
        }
        journal.check(root, dir)?;
        Ok(journal)
    }

    /// Every check of [`Journal::read`] except parsing.
    fn check(&self, root: &Path, dir: &Path) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for entry in &self.entries {
            check_project_path(root, &entry.path)?;
            if !seen.insert(entry.path.as_str()) {
                return Err(format!("`{}` is listed twice", entry.path));
            }
            if entry.created_dir.is_some() && entry.backup.is_some() {
                return Err(format!(
                    "`{}` is both a created directory and a file with a backup",
                    entry.path
                ));
            }
            let Some(backup) = &entry.backup else {
                continue;
            };
            let name_ok = backup
                .file
                .strip_suffix(".orig")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if !name_ok {
                return Err(format!(
                    "backup name `{}` is not one hsm writes",
                    backup.file
                ));
            }
            let copy = dir.join(&backup.file);
            let meta = fs::symlink_metadata(&copy)
                .map_err(|e| format!("the backup of `{}` is missing: {e}", entry.path))?;
            if !meta.file_type().is_file() || meta.len() != backup.size {
                return Err(format!(
                    "the backup of `{}` is not the file hsm saved",
                    entry.path
                ));
            }
            let bytes = fs::read(&copy)
                .map_err(|e| format!("the backup of `{}` cannot be read: {e}", entry.path))?;
            if files::digest(&bytes) != backup.digest {
                return Err(format!(
                    "the backup of `{}` does not match its digest",
                    entry.path
                ));
            }
        }
        Ok(())
    }
}

/// The owner and the running tool of the journal in `dir`, read without any other check
/// (for deciding, without the lock, whether a sync is in progress).
pub fn peek(dir: &Path) -> Option<(ProcessId, Option<ProcessId>)> {
    #[derive(Deserialize)]
    struct Head {
        owner: ProcessId,
        #[serde(default)]
        runner: Option<ProcessId>,
    }
    let text = files::read_regular(&dir.join(JOURNAL_FILE), MAX_JOURNAL_BYTES).ok()??;
    let head: Head = serde_json::from_str(&text).ok()?;
    Some((head.owner, head.runner))
}

/// Accept `rel` only if it names a file inside the project at `root`, reached through real
/// directories: relative, no `.`/`..`/empty components, not inside `.hsm`, and no
/// existing ancestor is a symbolic link or anything but a directory.
pub fn check_project_path(root: &Path, rel: &str) -> Result<(), String> {
    let bad = |why: &str| format!("path `{rel}` {why}");
    if rel.is_empty() || rel.contains('\\') || rel.contains('\0') {
        return Err(bad("is not a plain relative path"));
    }
    let path = Path::new(rel);
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::RootDir | Component::Prefix(_) => {
                return Err(bad("is absolute; hsm only writes inside the project"));
            }
            Component::ParentDir => return Err(bad("leaves the project through `..`")),
            Component::CurDir => return Err(bad("is not a plain relative path")),
        }
    }
    // `Path::components` drops a trailing `/` and interior `.`: compare the spelling.
    let plain: Vec<&str> = rel.split('/').collect();
    if plain.len() != parts.len() || plain.iter().any(|p| p.is_empty() || *p == ".") {
        return Err(bad("is not a plain relative path"));
    }
    if parts[0] == STATE_DIR {
        return Err(bad("is inside hsm's own state folder"));
    }
    let mut dir = root.to_path_buf();
    for part in &parts[..parts.len() - 1] {
        dir.push(part);
        match crate::source::watch::lprobe(&dir) {
            Seen::Dir => {}
            Seen::Symlink => return Err(bad("goes through a symbolic link")),
            Seen::File(_) | Seen::Other => {
                return Err(bad("goes through something that is not a directory"));
            }
            // A directory that does not exist yet holds nothing to restore or remove.
            Seen::Absent => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_inside_the_project_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink("/tmp", root.join("link")).unwrap();
        fs::write(root.join("file"), "").unwrap();
        for ok in ["pyproject.toml", ".env.pg", "real/x", "new/dir/x"] {
            assert_eq!(check_project_path(root, ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../outside",
            "a/../../b",
            "./x",
            "a//b",
            "a/",
            "link/x",
            "file/x",
            ".hsm/journal/journal.json",
            "a\\b",
        ] {
            assert!(check_project_path(root, bad).is_err(), "{bad}");
        }
    }
}
