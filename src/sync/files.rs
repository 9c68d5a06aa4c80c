//! The few file operations every write of hsm goes through.
//!
//! Two rules make a write safe whatever the project contains:
//! - a new file is *created*, never opened if it exists: a staged `<file>.hsm-new` that is
//!   a planted symbolic link is removed (the link, not its target) and created afresh with
//!   `create_new`, so no write ever follows a link out of the project;
//! - a file is replaced by renaming a staged sibling over it, so readers see the old or the
//!   new contents, never a torn file.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::journal::STATE_DIR;
use crate::error::{Error, ErrorKind};

/// The name a new version of `target` is written under before it is renamed into place.
pub fn staged(target: &Path) -> PathBuf {
    let mut name = target
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".hsm-new");
    target.with_file_name(name)
}

/// Create `path` (which must not exist afterwards as anything but our file), write
/// `bytes`, flush to disk. Whatever was at `path` before — a stale staged file or a planted
/// symbolic link — is removed first; a directory there is an error.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f = create_fresh(path)?;
    f.write_all(bytes).map_err(|e| write_error(path, &e))?;
    f.sync_all().map_err(|e| write_error(path, &e))
}

/// `path` created afresh: whatever was there (a stale staged file, a planted link) is
/// removed first, never opened; a directory there is an error.
fn create_fresh(path: &Path) -> Result<File, Error> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(Error::new(
                ErrorKind::Io,
                format!("cannot write {}: a directory is in the way", path.display()),
            )
            .with_help("remove that directory; hsm uses this name for a file it is writing"));
        }
        Ok(_) => fs::remove_file(path).map_err(|e| write_error(path, &e))?,
        Err(_) => {}
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| write_error(path, &e))
}

/// Replace `path` atomically: write a staged sibling, rename it over `path`, make the
/// rename durable. `path` itself may be a symbolic link: the link is replaced, its target
/// is never written.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = staged(path);
    write_new(&tmp, bytes)?;
    rename(&tmp, path)?;
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(())
}

/// [`replace_file`] for a cache hsm can lose (`.hsm/fingerprint`): the same link-safe
/// staged write and rename, without waiting for the disk. After a crash the file is the
/// old one, the new one, or unreadable, and an unreadable cache is only a cache miss.
pub fn replace_cache(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = staged(path);
    let mut f = create_fresh(&tmp)?;
    f.write_all(bytes).map_err(|e| write_error(&tmp, &e))?;
    rename(&tmp, path)
}

pub fn rename(from: &Path, to: &Path) -> Result<(), Error> {
    fs::rename(from, to).map_err(|e| {
        let _ = fs::remove_file(from);
        write_error(to, &e)
    })
}

/// Remove a file; a file that is already gone is fine.
pub fn remove(path: &Path) -> Result<(), Error> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(write_error(path, &e)),
    }
}

/// `.hsm`, created if needed. It must be a real directory of the project: a symbolic link
/// would put the journal and its backups wherever it points.
pub fn state_dir(root: &Path) -> Result<PathBuf, Error> {
    let dir = root.join(STATE_DIR);
    match fs::symlink_metadata(&dir) {
        Ok(m) if m.file_type().is_dir() => Ok(dir),
        Ok(m) => {
            let what = if m.file_type().is_symlink() {
                "a symbolic link"
            } else {
                "not a directory"
            };
            Err(Error::new(
                ErrorKind::Io,
                format!(
                    "{STATE_DIR} is {what}; hsm keeps its sync journal there, inside the project"
                ),
            )
            .with_help(format!(
                "remove {STATE_DIR} (hsm never makes it a link); hsm recreates it as a directory"
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir(&dir).map_err(|e| write_error(&dir, &e))?;
            Ok(dir)
        }
        Err(e) => Err(write_error(&dir, &e)),
    }
}

/// Fail unless `.hsm` is absent or a real directory (what [`state_dir`] checks, without
/// creating it).
pub fn check_state_dir(root: &Path) -> Result<(), Error> {
    if fs::symlink_metadata(root.join(STATE_DIR)).is_ok() {
        state_dir(root)?;
    }
    Ok(())
}

/// Read a regular file of at most `limit` bytes; `None` if it does not exist. Anything
/// else (a FIFO, a device, a directory, a larger file) is an error, never a wait.
pub fn read_regular_bytes(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    crate::source::read_regular(path, limit).map_err(std::io::Error::from)
}

/// [`read_regular_bytes`] for a UTF-8 text file.
pub fn read_regular(path: &Path, limit: u64) -> std::io::Result<Option<String>> {
    read_regular_bytes(path, limit)?
        .map(|b| String::from_utf8(b).map_err(|_| std::io::Error::other("it is not UTF-8 text")))
        .transpose()
}

/// A digest of file contents, to tell whether a file changed.
pub fn digest(bytes: &[u8]) -> String {
    crate::render::lock::digest(bytes)
}

/// Best effort: a directory fsync makes renames durable on Linux; elsewhere it may fail.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

pub fn write_error(path: &Path, e: &std::io::Error) -> Error {
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
    fn a_planted_link_is_replaced_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, "untouched").unwrap();
        let target = dir.path().join("hsm.yaml");
        std::os::unix::fs::symlink(&victim, staged(&target)).unwrap();
        replace_file(&target, b"new").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert!(!staged(&target).exists());
    }

    #[test]
    fn the_state_dir_must_be_a_real_directory() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join(STATE_DIR)).unwrap();
        let err = state_dir(dir.path()).unwrap_err();
        assert!(err.message.contains("symbolic link"), "{}", err.message);
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_regular(dir.path(), 10).is_err());
        assert!(
            read_regular(&dir.path().join("absent"), 10)
                .unwrap()
                .is_none()
        );
        fs::write(dir.path().join("big"), "12345").unwrap();
        assert!(read_regular(&dir.path().join("big"), 4).is_err());
        assert!(read_regular(Path::new("/dev/zero"), 4).is_err());
    }
}
