//! The fast path of a no-op sync: proof, by `stat`, that nothing a sync depends on changed.
//!
//! A sync that found the project up to date leaves `.hsm/fingerprint`: every input it
//! looked at ([`crate::source::watch`] records them where files are read: hsm.yaml, each
//! registry file and each registry file that was missing, hsm.lock, pyproject.toml,
//! uv.lock, the env files, the artifacts it compared, the directories whose existence it
//! checked), what was there (device, inode, size, modification and change time, mode; a
//! content digest for a file written within the last seconds, whose timestamp cannot tell
//! a second write apart), and the settings it ran with (the hsm binary itself, the
//! options, the working directory, the registry settings). The next sync with the same
//! settings compares; if every input is as it was, the full sync would compute the same
//! "up to date" from the same bytes, so it answers that without parsing anything.
//!
//! The fingerprint is a cache: a missing, torn or foreign file only means the full path
//! runs. It is written only after a full sync that wrote nothing and whose every input was
//! recorded, and it is never trusted for `--dry-run`, `--up` or a JSON report (those need
//! the stack itself).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files;
use super::journal::STATE_DIR;
use crate::error::Error;
use crate::source::watch::{Input, Look, Recording, Seen, Stamp};

/// `.hsm/fingerprint`.
pub const FINGERPRINT: &str = "fingerprint";
/// Bump when the file's meaning changes.
const FORMAT: u32 = 1;
/// A fingerprint larger than this is not read (it lists one line per input file).
const MAX_BYTES: usize = 256 * 1024 * 1024;

/// What a sync ran with, besides its input files: a fingerprint holds only for the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The hsm binary (its version and its file: a rebuilt hsm may render differently).
    pub hsm: String,
    /// `--no-install`, `--locked`, `--frozen`.
    pub options: String,
    /// The working directory and the project root (messages and paths are relative to
    /// the first; the registry may be named relative to either).
    pub cwd: PathBuf,
    pub root: PathBuf,
    /// `--registry`, `HSM_REGISTRY_PATH`, `--offline`, and where git registries are cached.
    pub registry: Vec<String>,
}

impl Settings {
    /// The first setting in which `self` and `other` differ, in words.
    fn differs(&self, other: &Settings) -> Option<&'static str> {
        if self.hsm != other.hsm {
            Some("the hsm binary")
        } else if self.options != other.options {
            Some("the options (--no-install, --locked, --frozen)")
        } else if self.cwd != other.cwd {
            Some("the working directory")
        } else if self.root != other.root {
            Some("the project root")
        } else if self.registry != other.registry {
            Some("the registry settings (--registry, HSM_REGISTRY_PATH, --offline, the cache)")
        } else {
            None
        }
    }

    pub fn new(
        ws: &crate::ops::Workspace,
        options: super::Options,
    ) -> Result<Settings, std::io::Error> {
        let exe = std::env::current_exe()?;
        let stamp = Stamp::of(&std::fs::metadata(&exe)?);
        let hsm = format!(
            "{} {} {}:{}:{}:{}",
            env!("CARGO_PKG_VERSION"),
            exe.display(),
            stamp.dev,
            stamp.ino,
            stamp.size,
            stamp.mtime_ns
        );
        let super::Options {
            dry_run,
            no_install,
            locked,
            frozen,
        } = options;
        Ok(Settings {
            hsm,
            options: format!(
                "dry_run={dry_run} no_install={no_install} locked={locked} frozen={frozen}"
            ),
            cwd: ws.cwd.clone(),
            root: ws.root.clone(),
            registry: vec![
                format!("--registry={:?}", ws.registry_flag),
                format!("HSM_REGISTRY_PATH={:?}", ws.registry_env),
                format!("--offline={}", ws.offline),
                format!("cache={:?}", crate::registry::git::cache_dir().ok()),
            ],
        })
    }
}

/// What the fast path reports: what the full sync printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub libraries: usize,
    pub services: usize,
    /// The registry, as the user names it.
    pub registry: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    format: u32,
    settings: Settings,
    summary: Summary,
    inputs: Vec<Line>,
}

/// One input: `[look, path, seen]`, the stamp inline for a file that was read.
#[derive(Debug, Serialize, Deserialize)]
struct Line(char, String, char, Option<Stamped>);

#[derive(Debug, Serialize, Deserialize)]
struct Stamped(u64, u64, u64, i64, i64, u32, Option<u64>);

fn path_of(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(FINGERPRINT)
}

/// Why the fast path did not answer (`hsm sync --verbose` says it, as cargo says why a
/// crate is dirty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// No fingerprint: no sync found this project up to date with these settings yet.
    Missing,
    /// A fingerprint hsm cannot read (torn, from another format, or not a regular file).
    Unreadable,
    /// It was left with other settings (this one differs).
    Settings(&'static str),
    /// This input changed (named relative to the working directory when below it).
    Changed(String),
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::Missing => f.write_str("no earlier sync left a fingerprint"),
            Stale::Unreadable => write!(f, "{STATE_DIR}/{FINGERPRINT} is not readable"),
            Stale::Settings(what) => write!(f, "{what} changed since the last sync"),
            Stale::Changed(path) => write!(f, "{path} changed since the last sync"),
        }
    }
}

/// The summary of the last sync, if the fingerprint it left still holds for `settings`:
/// every input is as it was.
pub fn unchanged(root: &Path, settings: &Settings) -> Result<Summary, Stale> {
    // `.hsm` must be hsm's own directory (not a link planted to feed it a fingerprint).
    let state = root.join(STATE_DIR);
    if !std::fs::symlink_metadata(&state).is_ok_and(|m| m.file_type().is_dir()) {
        return Err(Stale::Missing);
    }
    let bytes = crate::source::read_regular(&path_of(root), MAX_BYTES)
        .map_err(|_| Stale::Unreadable)?
        .ok_or(Stale::Missing)?;
    let file: File = serde_json::from_slice(&bytes).map_err(|_| Stale::Unreadable)?;
    if file.format != FORMAT {
        return Err(Stale::Unreadable);
    }
    if let Some(what) = file.settings.differs(settings) {
        return Err(Stale::Settings(what));
    }
    for line in &file.inputs {
        let input = line.input().ok_or(Stale::Unreadable)?;
        if !input.unchanged() {
            let shown = crate::registry::location::relative_display(&input.path, &settings.cwd);
            return Err(Stale::Changed(shown));
        }
    }
    Ok(file.summary)
}

/// Leave the fingerprint of a sync that found the project up to date (`recording` is what
/// it read). Nothing is written when some input could not be recorded; a failure to write
/// only costs the next sync its fast path.
pub fn write(
    root: &Path,
    settings: Settings,
    summary: Summary,
    recording: Recording,
) -> Result<(), Error> {
    if recording.untracked.is_some() {
        return Ok(());
    }
    let Some(inputs) = recording
        .inputs
        .iter()
        .map(Line::of)
        .collect::<Option<Vec<Line>>>()
    else {
        // A path that is not UTF-8 cannot be written down: no fast path for this project.
        return Ok(());
    };
    let file = File {
        format: FORMAT,
        settings,
        summary,
        inputs,
    };
    let Ok(bytes) = serde_json::to_vec(&file) else {
        return Ok(());
    };
    let dir = files::state_dir(root)?;
    files::replace_cache(&dir.join(FINGERPRINT), &bytes)
}

impl Line {
    fn of(input: &Input) -> Option<Line> {
        let look = match input.look {
            Look::Read => 'r',
            Look::Probe => 'p',
            Look::Lprobe => 'l',
        };
        let (seen, stamp) = match input.seen {
            Seen::Absent => ('a', None),
            Seen::Dir => ('d', None),
            Seen::Symlink => ('s', None),
            Seen::Other => ('o', None),
            Seen::File(None) => ('f', None),
            Seen::File(Some(s)) => (
                'f',
                Some(Stamped(
                    s.dev, s.ino, s.size, s.mtime_ns, s.ctime_ns, s.mode, s.racy,
                )),
            ),
        };
        Some(Line(look, input.path.to_str()?.to_string(), seen, stamp))
    }

    fn input(&self) -> Option<Input> {
        let Line(look, path, seen, stamp) = self;
        let look = match look {
            'r' => Look::Read,
            'p' => Look::Probe,
            'l' => Look::Lprobe,
            _ => return None,
        };
        let seen = match (seen, stamp) {
            ('a', None) => Seen::Absent,
            ('d', None) => Seen::Dir,
            ('s', None) => Seen::Symlink,
            ('o', None) => Seen::Other,
            ('f', None) => Seen::File(None),
            ('f', Some(Stamped(dev, ino, size, mtime_ns, ctime_ns, mode, racy))) => {
                Seen::File(Some(Stamp {
                    dev: *dev,
                    ino: *ino,
                    size: *size,
                    mtime_ns: *mtime_ns,
                    ctime_ns: *ctime_ns,
                    mode: *mode,
                    racy: *racy,
                }))
            }
            _ => return None,
        };
        Some(Input {
            path: PathBuf::from(path),
            look,
            seen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::watch;

    fn settings() -> Settings {
        Settings {
            hsm: "test".into(),
            options: "o".into(),
            cwd: "/".into(),
            root: "/".into(),
            registry: Vec::new(),
        }
    }

    fn summary() -> Summary {
        Summary {
            libraries: 2,
            services: 1,
            registry: "<built-in>".into(),
        }
    }

    #[test]
    fn a_fingerprint_holds_until_an_input_or_a_setting_changes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("hsm.yaml"), "project: {name: x}\n").unwrap();
        let (_, rec) = watch::record(|| {
            crate::source::read_regular(&root.join("hsm.yaml"), 100).unwrap();
            watch::probe(&root.join(".venv"));
        });
        assert_eq!(unchanged(root, &settings()), Err(Stale::Missing));
        write(root, settings(), summary(), rec).unwrap();
        assert_eq!(unchanged(root, &settings()), Ok(summary()));
        let other = Settings {
            options: "p".into(),
            ..settings()
        };
        assert!(
            matches!(unchanged(root, &other), Err(Stale::Settings(s)) if s.starts_with("the options"))
        );
        std::fs::create_dir(root.join(".venv")).unwrap();
        assert!(
            matches!(unchanged(root, &settings()), Err(Stale::Changed(p)) if p.ends_with("/.venv"))
        );
    }

    #[test]
    fn nothing_is_written_when_an_input_was_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (_, rec) = watch::record(|| watch::untracked("a listing"));
        write(dir.path(), settings(), summary(), rec).unwrap();
        assert!(!path_of(dir.path()).exists());
    }

    #[test]
    fn a_torn_or_foreign_fingerprint_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (_, rec) = watch::record(|| watch::probe(&root.join("x")));
        write(root, settings(), summary(), rec).unwrap();
        let text = std::fs::read(path_of(root)).unwrap();
        std::fs::write(path_of(root), &text[..text.len() / 2]).unwrap();
        assert_eq!(unchanged(root, &settings()), Err(Stale::Unreadable));
        std::fs::write(path_of(root), b"{\"format\": 99}").unwrap();
        assert_eq!(unchanged(root, &settings()), Err(Stale::Unreadable));
    }

    #[test]
    fn why_the_fast_path_did_not_answer_in_words() {
        let said: Vec<String> = [
            Stale::Missing,
            Stale::Unreadable,
            Stale::Settings("the working directory"),
            Stale::Changed("registry/libraries/core.yaml".into()),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            said,
            [
                "no earlier sync left a fingerprint",
                ".hsm/fingerprint is not readable",
                "the working directory changed since the last sync",
                "registry/libraries/core.yaml changed since the last sync",
            ]
        );
    }
}
