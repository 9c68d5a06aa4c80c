//! Reading input files: the one way hsm reads a file a user, a registry or a project gave it.
//!
//! hsm.yaml, registry files, scenario files, env files, pyproject.toml, uv.lock and hsm.lock
//! are all read through [`read_text`] (or [`read_bytes`]), and the sync journal and its
//! backups through [`read_regular`], the core of both. Three things hold before any parser
//! sees a byte:
//!
//! - **Only regular files.** A FIFO, socket or device would block hsm forever (a FIFO
//!   waits for a writer, `/dev/zero` never ends) and a directory is a mistake. The path is
//!   checked with `stat` (which follows symlinks: a symlink to a regular file is fine),
//!   then opened with `O_NONBLOCK | O_NOCTTY`, so that even if it was swapped for a FIFO
//!   in between the open returns at once, and checked again with `fstat` on the open file,
//!   which is the check that counts.
//! - **Bounded.** At most the limit + 1 bytes are ever read, so a huge file
//!   costs that much and no more: [`MAX_FILE_BYTES`] for hsm's own formats, more for
//!   project files such as uv.lock.
//! - **UTF-8.** A UTF-8 byte order mark is accepted (and dropped by [`super::SourceFile`]);
//!   anything else that is not UTF-8 is refused with the line and column of the first bad
//!   byte, and UTF-16 (what some Windows editors save) is recognised and named.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{Origin, SourceFile, Span};
use crate::error::{Error, ErrorKind};

/// Largest file hsm reads. Registry and manifest files are a few kilobytes; a limit keeps
/// a hostile or accidental huge file from exhausting memory.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// The UTF-8 byte order mark.
pub(crate) const BOM: char = '\u{feff}';

/// Read the text of the regular file at `path`, named `display` in messages; `Ok(None)`
/// when there is no file there. The text is returned as it is on disk, including a byte
/// order mark if the file has one.
pub fn read_text(path: &Path, display: &str) -> Result<Option<String>, Error> {
    read_text_within(path, display, MAX_FILE_BYTES)
}

/// [`read_text`] with a limit of its own (project files hsm does not parse as YAML).
pub fn read_text_within(path: &Path, display: &str, limit: usize) -> Result<Option<String>, Error> {
    match read_bytes(path, display, limit)? {
        Some(bytes) => decode(display, path, bytes).map(Some),
        None => Ok(None),
    }
}

/// The bytes of the regular file at `path` (at most `limit`), named `display` in messages;
/// `Ok(None)` when there is no file there.
pub fn read_bytes(path: &Path, display: &str, limit: usize) -> Result<Option<Vec<u8>>, Error> {
    read_bytes_at(ReadAt::Path(path), display, limit)
}

/// [`read_text`] of a file given by [`ReadAt`].
pub fn read_text_at(at: ReadAt<'_>, display: &str) -> Result<Option<String>, Error> {
    match read_bytes_at(at, display, MAX_FILE_BYTES)? {
        Some(bytes) => decode(display, at.path(), bytes).map(Some),
        None => Ok(None),
    }
}

fn read_bytes_at(at: ReadAt<'_>, display: &str, limit: usize) -> Result<Option<Vec<u8>>, Error> {
    read_regular_at(at, limit).map_err(|refused| match refused {
        Refused::NotRegular(what) => not_regular(display, what),
        Refused::TooLarge(limit) => too_large(display, limit),
        Refused::Io(e) => Error::io(at.path(), &e),
    })
}

/// Why [`read_regular`] read nothing.
#[derive(Debug)]
pub enum Refused {
    /// Not a regular file: what it is instead ("a FIFO (named pipe)").
    NotRegular(&'static str),
    /// Larger than the limit (this many bytes).
    TooLarge(usize),
    Io(std::io::Error),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            Refused::TooLarge(limit) => write!(f, "it is larger than {limit} bytes"),
            Refused::Io(e) => e.fmt(f),
        }
    }
}

impl From<Refused> for std::io::Error {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Io(e) => e,
            other => std::io::Error::other(other.to_string()),
        }
    }
}

/// At most `limit` bytes of the regular file at `path`; `Ok(None)` when there is none.
/// Anything else (a FIFO, a device, a directory, a larger file) is refused, never waited
/// for or read.
pub fn read_regular(path: &Path, limit: usize) -> Result<Option<Vec<u8>>, Refused> {
    read_regular_at(ReadAt::Path(path), limit)
}

/// Where a file is read from: a path, or a name in a directory that is already open.
#[derive(Clone, Copy)]
pub enum ReadAt<'a> {
    Path(&'a Path),
    /// The file `name` of the open directory `dir`; `path` is its path (for the record of
    /// what was read). A registry reads its files this way: the kernel then looks up one
    /// name per file instead of walking the directory's whole path twice (for the `stat`
    /// and the `open`), which was a third of `hsm registry list`'s time at 100k files.
    #[cfg(unix)]
    In {
        dir: std::os::fd::BorrowedFd<'a>,
        name: &'a str,
        path: &'a Path,
        /// The directory's listing said `name` is a regular file (not a symlink): it is
        /// opened without the `stat` before, with `O_NOFOLLOW`, so that if it was replaced
        /// by a symlink since (to a device, say) nothing is opened, and the `stat` path is
        /// taken instead. A FIFO put in its place is still caught by the `fstat` after the
        /// open, which `O_NONBLOCK` keeps from waiting.
        listed_regular: bool,
    },
}

impl ReadAt<'_> {
    fn listed_regular(&self) -> bool {
        match self {
            ReadAt::Path(_) => false,
            #[cfg(unix)]
            ReadAt::In { listed_regular, .. } => *listed_regular,
        }
    }

    /// The same file, read with a `stat` before the open.
    fn looked_up(self) -> Self {
        match self {
            ReadAt::Path(_) => self,
            #[cfg(unix)]
            ReadAt::In {
                dir, name, path, ..
            } => ReadAt::In {
                dir,
                name,
                path,
                listed_regular: false,
            },
        }
    }

    fn path(&self) -> &Path {
        match self {
            ReadAt::Path(path) => path,
            #[cfg(unix)]
            ReadAt::In { path, .. } => path,
        }
    }

    /// `stat`, following symlinks (a symlink to a regular file is fine): `None` for a
    /// regular file, else what it is, in words.
    fn stat(&self) -> std::io::Result<Option<&'static str>> {
        match self {
            ReadAt::Path(path) => {
                let meta = std::fs::metadata(path)?;
                Ok((!meta.is_file()).then(|| kind_of(&meta)))
            }
            #[cfg(unix)]
            ReadAt::In { dir, name, .. } => {
                use rustix::fs::{AtFlags, FileType, statat};
                let st = statat(*dir, *name, AtFlags::empty())?;
                let kind = FileType::from_raw_mode(st.st_mode);
                Ok((kind != FileType::RegularFile).then(|| kind_in_words(kind)))
            }
        }
    }

    fn open(&self) -> std::io::Result<File> {
        match self {
            ReadAt::Path(path) => open_nonblocking(path),
            #[cfg(unix)]
            ReadAt::In {
                dir,
                name,
                listed_regular,
                ..
            } => {
                use rustix::fs::{Mode, OFlags, openat};
                let mut flags =
                    OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
                if *listed_regular {
                    flags |= OFlags::NOFOLLOW;
                }
                let fd = openat(*dir, *name, flags, Mode::empty())?;
                Ok(File::from(fd))
            }
        }
    }
}
/// [`read_regular`] of a file given by [`ReadAt`].
pub fn read_regular_at(at: ReadAt<'_>, limit: usize) -> Result<Option<Vec<u8>>, Refused> {
    // `stat` first: a FIFO or device is refused without being opened at all.
    if !at.listed_regular() {
        match at.stat() {
            Ok(None) => {}
            Ok(Some(what)) => return Err(Refused::NotRegular(what)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                super::watch::note_read(at.path(), None);
                return Ok(None);
            }
            Err(e) => return Err(Refused::Io(e)),
        }
    }
    let mut file = match at.open() {
        Ok(f) => f,
        // Listed as a regular file, now something else: look before opening after all.
        Err(_) if at.listed_regular() => return read_regular_at(at.looked_up(), limit),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            super::watch::note_read(at.path(), None);
            return Ok(None);
        }
        Err(e) => return Err(Refused::Io(e)),
    };
    // The open file is what is read: check it, not the path (it may have been replaced).
    let meta = file.metadata().map_err(Refused::Io)?;
    if !meta.is_file() {
        return Err(Refused::NotRegular(kind_of(&meta)));
    }
    let expected = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    let bytes = read_to_end(&mut file, expected, limit).map_err(Refused::Io)?;
    if bytes.len() > limit {
        return Err(Refused::TooLarge(limit));
    }
    super::watch::note_read(at.path(), Some((&meta, &bytes)));
    Ok(Some(bytes))
}

/// At most `limit + 1` bytes of `file`, a regular file whose `fstat` gave `expected` bytes.
/// `Read::read_to_end` would read once more to see the end; a read that stops short at
/// exactly `expected` bytes already has (a regular file's read is short only at its end),
/// which saves a system call per file. A file that grew or shrank meanwhile is read on
/// until a read returns nothing.
fn read_to_end(file: &mut File, expected: usize, limit: usize) -> std::io::Result<Vec<u8>> {
    let cap = limit.saturating_add(1);
    let mut bytes = vec![0u8; expected.saturating_add(1).min(cap)];
    let mut filled = 0;
    loop {
        if filled == bytes.len() {
            if filled >= cap {
                break;
            }
            bytes.resize(filled.saturating_mul(2).max(64).min(cap), 0);
        }
        let asked = bytes.len() - filled;
        let n = match file.read(&mut bytes[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += n;
        if n == 0 || (n < asked && filled == expected) {
            break;
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting (reads
    // of a regular file are unaffected). O_NOCTTY: a terminal never becomes ours.
    let flags = (OFlags::NONBLOCK | OFlags::NOCTTY).bits();
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(i32::try_from(flags).unwrap_or_default())
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// What a file that is not a regular file is, in words.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use rustix::fs::FileType;
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        kind_in_words(if t.is_fifo() {
            FileType::Fifo
        } else if t.is_socket() {
            FileType::Socket
        } else if t.is_char_device() {
            FileType::CharacterDevice
        } else if t.is_block_device() {
            FileType::BlockDevice
        } else if t.is_dir() {
            FileType::Directory
        } else {
            FileType::Unknown
        })
    }
    #[cfg(not(unix))]
    if meta.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// What a file of this type is, in words. A type, not a `stat` mode: a mode is 32 bits on
/// Linux and 16 on macOS.
#[cfg(unix)]
fn kind_in_words(kind: rustix::fs::FileType) -> &'static str {
    use rustix::fs::FileType;
    match kind {
        FileType::Fifo => "a FIFO (named pipe)",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Directory => "a directory",
        _ => "not a file",
    }
}

fn not_regular(display: &str, what: &str) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("{display} is {what}, not a regular file"),
    )
    .with_help(format!(
        "hsm reads {display} only from a regular file (or a symlink to one); replace it with \
         a regular file"
    ))
}

/// The error for a file over `limit` bytes.
pub(crate) fn too_large(display: &str, limit: usize) -> Error {
    Error::new(
        ErrorKind::Limit,
        format!(
            "{display} is too large (more than {limit} bytes; the limit is {} MiB)",
            limit / (1024 * 1024)
        ),
    )
    .with_help(format!(
        "hsm's input files are small text files; check that {display} is the right file"
    ))
}

/// The bytes as UTF-8 text, or an error naming the encoding problem and where it is.
fn decode(display: &str, path: &Path, bytes: Vec<u8>) -> Result<String, Error> {
    if let Some(order) = utf16(&bytes) {
        return Err(utf16_error(display, path, &bytes, order));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let bad = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            Err(invalid_utf8(display, path, &bytes, bad))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ByteOrder {
    Little,
    Big,
}

/// Whether `bytes` look like UTF-16: a UTF-16 byte order mark, or (without one) text in
/// which most pairs of bytes are an ASCII byte and a NUL, always in the same order.
fn utf16(bytes: &[u8]) -> Option<ByteOrder> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some(ByteOrder::Little),
        [0xFE, 0xFF, ..] => return Some(ByteOrder::Big),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(512)];
    // Without a NUL it is not UTF-16 text, and nearly every file is ruled out here.
    if !head.contains(&0) {
        return None;
    }
    let pairs = || head.chunks_exact(2);
    let total = pairs().count();
    if total < 2 {
        return None;
    }
    let little = pairs().filter(|p| p[0] != 0 && p[1] == 0).count();
    let big = pairs().filter(|p| p[0] == 0 && p[1] != 0).count();
    // Three in four pairs: ASCII-heavy text, as YAML and env files are.
    if little * 4 >= total * 3 {
        Some(ByteOrder::Little)
    } else if big * 4 >= total * 3 {
        Some(ByteOrder::Big)
    } else {
        None
    }
}

fn utf16_error(display: &str, path: &Path, bytes: &[u8], order: ByteOrder) -> Error {
    // Decoded, the first lines are readable in the code frame.
    let units = bytes.chunks_exact(2).map(|p| match order {
        ByteOrder::Little => u16::from_le_bytes([p[0], p[1]]),
        ByteOrder::Big => u16::from_be_bytes([p[0], p[1]]),
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .take(4096)
        .collect();
    let file = SourceFile::new(display, Some(path.to_path_buf()), text);
    let (name, iconv) = match order {
        ByteOrder::Little => ("UTF-16 (little-endian)", "UTF-16LE"),
        ByteOrder::Big => ("UTF-16 (big-endian)", "UTF-16BE"),
    };
    Error::new(
        ErrorKind::Encoding,
        format!("{display} is {name}; save it as UTF-8"),
    )
    .at(Origin::file_only(&file))
    .with_label("this file is UTF-16")
    .with_help(format!(
        "hsm reads UTF-8 only: save the file with the encoding \"UTF-8\" in your editor, or \
         convert it with `iconv -f {iconv} -t UTF-8`"
    ))
}

fn invalid_utf8(display: &str, path: &Path, bytes: &[u8], bad: usize) -> Error {
    let byte = bytes[bad];
    // The code frame shows the file with the bad bytes as U+FFFD; up to `bad` the text is
    // the file's own, so the position is exact. A byte order mark is dropped by
    // `SourceFile`, and the offset with it.
    let text = String::from_utf8_lossy(bytes).into_owned();
    let offset = if text.starts_with(BOM) {
        bad - BOM.len_utf8()
    } else {
        bad
    };
    let file = SourceFile::new(display, Some(path.to_path_buf()), text);
    let latin1 = match byte {
        // The printable half of Latin-1 is U+00A0..=U+00FF, the same numbers as the bytes.
        0xA0..=0xFF => format!(
            " ({byte:#04X} is `{}` in Latin-1 and Windows-1252, the encoding it was probably \
             saved in)",
            char::from(byte)
        ),
        _ => String::new(),
    };
    Error::new(
        ErrorKind::Encoding,
        format!("{display} is not UTF-8 text: byte {byte:#04X} is not valid UTF-8"),
    )
    .at(Origin::at_span(
        &file,
        Span {
            offset,
            len: '\u{fffd}'.len_utf8(),
        },
    ))
    .with_label("not UTF-8")
    .with_help(format!("save {display} as UTF-8{latin1}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Make a FIFO at `path` (`mkfifo`, the tool: rustix has no `mknodat` on macOS).
    #[cfg(unix)]
    pub(crate) fn mkfifo(path: &Path) {
        let made = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo {}", path.display());
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn reads_regular_files_and_symlinks_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.yaml", b"name: x\n");
        assert_eq!(
            read_text(&p, "a.yaml").unwrap().as_deref(),
            Some("name: x\n")
        );
        #[cfg(unix)]
        {
            let link = dir.path().join("link.yaml");
            std::os::unix::fs::symlink(&p, &link).unwrap();
            assert_eq!(
                read_text(&link, "link.yaml").unwrap().as_deref(),
                Some("name: x\n")
            );
        }
        assert!(
            read_text(&dir.path().join("none"), "none")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_text(dir.path(), "dir").unwrap_err();
        assert_eq!(err.message, "dir is a directory, not a regular file");
        #[cfg(unix)]
        {
            let err = read_text(Path::new("/dev/zero"), "/dev/zero").unwrap_err();
            assert_eq!(
                err.message,
                "/dev/zero is a character device, not a regular file"
            );
            let fifo = dir.path().join("fifo");
            mkfifo(&fifo);
            let err = read_text(&fifo, "fifo").unwrap_err();
            assert_eq!(
                err.message,
                "fifo is a FIFO (named pipe), not a regular file"
            );
            // Opened directly, the FIFO does not block either.
            let file = open_nonblocking(&fifo).unwrap();
            assert!(!file.metadata().unwrap().is_file());
        }
    }

    #[test]
    fn reads_at_most_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.yaml");
        let file = File::create(&p).unwrap();
        // A sparse file far over the limit: reading it whole would take 64 GiB.
        file.set_len(64 << 30).unwrap();
        let err = read_text(&p, "big.yaml").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Limit);
        assert!(err.message.contains("too large"), "{}", err.message);
        let p = write(dir.path(), "max.yaml", &vec![b'#'; MAX_FILE_BYTES]);
        assert_eq!(
            read_text(&p, "max.yaml").unwrap().unwrap().len(),
            MAX_FILE_BYTES
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "l.yaml", b"name: x\ndescription: caf\xe9\n");
        let err = read_text(&p, "l.yaml").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Encoding);
        assert_eq!(err.location().as_deref(), Some("l.yaml:2:17"));
        assert!(
            err.help.as_deref().unwrap().contains("`é` in Latin-1"),
            "{err:?}"
        );
        // After a BOM the column is the same as without it.
        let p = write(dir.path(), "b.yaml", b"\xef\xbb\xbfa: \xff\n");
        let err = read_text(&p, "b.yaml").unwrap_err();
        assert_eq!(err.location().as_deref(), Some("b.yaml:1:4"));
        // A multi-byte character before the bad byte counts as one column.
        let p = write(dir.path(), "c.yaml", "a: é".as_bytes());
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.push(0x80);
        std::fs::write(&p, bytes).unwrap();
        let err = read_text(&p, "c.yaml").unwrap_err();
        assert_eq!(err.location().as_deref(), Some("c.yaml:1:5"));
    }

    #[test]
    fn utf16_is_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let le: Vec<u8> = "\u{feff}name: x\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let p = write(dir.path(), "le.yaml", &le);
        let err = read_text(&p, "le.yaml").unwrap_err();
        assert_eq!(
            err.message,
            "le.yaml is UTF-16 (little-endian); save it as UTF-8"
        );
        let be: Vec<u8> = "name: x\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let p = write(dir.path(), "be.yaml", &be);
        let err = read_text(&p, "be.yaml").unwrap_err();
        assert_eq!(
            err.message,
            "be.yaml is UTF-16 (big-endian); save it as UTF-8"
        );
        // A UTF-8 file with a BOM is fine, and so is one NUL in ASCII text (the YAML
        // parser reports that).
        let p = write(dir.path(), "u.yaml", b"\xef\xbb\xbfname: x\n");
        assert!(read_text(&p, "u.yaml").unwrap().is_some());
        let p = write(dir.path(), "n.yaml", b"name: x\0y\n");
        assert!(read_text(&p, "n.yaml").unwrap().is_some());
    }
}
