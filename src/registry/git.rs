//! Registries shared from a git repository: `git+<url>[@<ref>][#subdirectory=<dir>]`.
//!
//! A team keeps one registry in git; each project names it (in `registry:`, `registries:`,
//! `--registry` or `HSM_REGISTRY_PATH`) and hsm reads it from a local cache, as cargo reads
//! git dependencies: one bare clone per URL (`<cache>/git/db/<key>`) and one checkout per
//! commit (`<cache>/git/checkouts/<key>/<commit>`), made with the system `git`. The cache is
//! `$HSM_CACHE_DIR`, else `$XDG_CACHE_HOME/hsm`, else `~/.cache/hsm`.
//!
//! hsm.lock pins the commit (and a digest of the registry's files), so every later command
//! reads the same registry without a git call, offline, until `hsm registry update` moves
//! the pin. `--locked` fetches and fails if the ref has moved; `--offline` never fetches.
//! Every step writes to a temporary name and renames it into place, so a kill or a second
//! hsm never leaves a half-made clone or checkout in the cache.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, ErrorKind};

/// A git registry as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSpec {
    /// The spec exactly as written (hsm.lock's key for its pin).
    pub text: String,
    /// The URL git clones (without `git+`).
    pub url: String,
    /// A tag, branch or commit; `None`: the remote's default branch.
    pub rev: Option<String>,
    /// The registry's directory inside the repository.
    pub subdirectory: Option<String>,
}

impl GitSpec {
    /// `Some` if `text` names a git registry (`git+…`); `Err` if it does, badly.
    pub fn parse(text: &str) -> Option<Result<GitSpec, String>> {
        let rest = text.trim().strip_prefix("git+")?;
        let (rest, fragment) = match rest.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (rest, None),
        };
        let subdirectory = match fragment {
            None => None,
            Some(f) => match f.strip_prefix("subdirectory=") {
                Some(dir) if !dir.is_empty() && !dir.split('/').any(|p| p == "..") => {
                    Some(dir.trim_matches('/').to_string())
                }
                _ => {
                    return Some(Err(format!(
                        "`#{f}` is not `#subdirectory=<dir>` (a directory inside the repository)"
                    )));
                }
            },
        };
        let (url, rev) = split_rev(rest);
        let rev = rev.map(str::to_string);
        if !url.contains("://") || url.starts_with('-') {
            return Some(Err(format!(
                "`{url}` is not a URL git can clone (`git+https://…`, `git+ssh://…`, `git+file://…`)"
            )));
        }
        if rev
            .as_deref()
            .is_some_and(|r| r.is_empty() || r.starts_with('-'))
        {
            return Some(Err(
                "the ref after `@` is empty or starts with `-`".to_string()
            ));
        }
        Some(Ok(GitSpec {
            text: text.trim().to_string(),
            url: url.to_string(),
            rev,
            subdirectory,
        }))
    }

    /// The cache's name for this repository: readable, and unique per URL.
    fn key(&self) -> String {
        let tail: String = self
            .url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("repo")
            .trim_end_matches(".git")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let hash = crate::render::lock::digest(self.url.as_bytes());
        let hash = hash.rsplit(':').next().unwrap_or(&hash).to_string();
        format!("{tail}-{hash}")
    }
}

/// A git URL and the ref after it: the ref follows the last `@` of the last path segment
/// (an `@` before it is a user name: `ssh://git@host/…`).
pub fn split_rev(url: &str) -> (&str, Option<&str>) {
    let segment = url.rfind('/').map_or(0, |i| i + 1);
    match url[segment..].rfind('@') {
        Some(at) => (&url[..segment + at], Some(&url[segment + at + 1..])),
        None => (url, None),
    }
}

/// How a command may use the network for a git registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fetch {
    /// Use the cache and hsm.lock's pin; fetch only what the cache lacks.
    #[default]
    AsNeeded,
    /// Never fetch (`--offline`).
    Offline,
    /// Fetch, and fail if the ref no longer points at hsm.lock's pin (`--locked`).
    Locked,
    /// Fetch and take what the ref points at now (`hsm registry update`).
    Update,
}

/// A git registry ready to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub spec: GitSpec,
    pub commit: String,
    /// The registry's directory in the checkout.
    pub dir: PathBuf,
}

/// The cache directory.
pub fn cache_dir() -> Result<PathBuf, Error> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = from("HSM_CACHE_DIR") {
        return Ok(dir);
    }
    if let Some(dir) = from("XDG_CACHE_HOME") {
        return Ok(dir.join("hsm"));
    }
    if let Some(home) = from("HOME") {
        return Ok(home.join(".cache").join("hsm"));
    }
    Err(Error::new(
        ErrorKind::Io,
        "no cache directory for git registries: HSM_CACHE_DIR, XDG_CACHE_HOME and HOME are unset",
    )
    .with_help("set HSM_CACHE_DIR to a directory hsm may write"))
}

/// The checkout of `spec` at `pin` (hsm.lock's commit) or at what its ref points at.
pub fn checkout(spec: &GitSpec, pin: Option<&str>, fetch: Fetch) -> Result<Checkout, Error> {
    let cache = cache_dir()?;
    let key = spec.key();
    let db = cache.join("git").join("db").join(&key);
    let checkouts = cache.join("git").join("checkouts").join(&key);
    let finish = |commit: String| -> Result<Checkout, Error> {
        let root = checkouts.join(&commit);
        if !root.join(DONE).is_file() {
            make_checkout(spec, &db, &root, &commit)?;
        }
        let dir = match &spec.subdirectory {
            Some(sub) => root.join(sub),
            None => root,
        };
        Ok(Checkout {
            spec: spec.clone(),
            commit,
            dir,
        })
    };

    // The common case: hsm.lock pins a commit that is checked out already. No git call.
    if let Some(pin) = pin
        && matches!(fetch, Fetch::AsNeeded | Fetch::Offline)
        && crate::source::watch::probe(&checkouts.join(pin).join(DONE)).is_file()
    {
        // A checkout is never changed once it is marked done: its commit names its files.
        return finish(pin.to_string());
    }
    // What a ref points at is the remote's to say: a sync that asked git has no fingerprint.
    crate::source::watch::untracked("a git registry's ref was resolved with git");
    let had_db = db.join("HEAD").is_file();
    if !had_db {
        if fetch == Fetch::Offline {
            return Err(offline_error(spec, "it has never been fetched"));
        }
        clone_bare(spec, &db)?;
    } else if matches!(fetch, Fetch::Locked | Fetch::Update) {
        fetch_db(spec, &db)?;
    }
    let rev = spec.rev.as_deref().unwrap_or("HEAD");
    match (pin, fetch) {
        (Some(pin), Fetch::Locked) => {
            let now = resolve(&db, rev).ok_or_else(|| missing_ref(spec, rev))?;
            if now != pin {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!(
                        "--locked: registry {} has moved: `{rev}` now points at {}, hsm.lock records {}",
                        spec.text,
                        short(&now),
                        short(pin)
                    ),
                )
                .with_help("run `hsm registry update` to take the new commit (and review what changed), then commit hsm.lock"));
            }
            finish(now)
        }
        (Some(pin), Fetch::AsNeeded | Fetch::Offline) => {
            if resolve(&db, pin).is_none() {
                if fetch == Fetch::Offline {
                    return Err(offline_error(
                        spec,
                        &format!("it lacks commit {}", short(pin)),
                    ));
                }
                fetch_db(spec, &db)?;
            }
            let commit = resolve(&db, pin).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidValue,
                    format!(
                        "registry {}: hsm.lock pins commit {}, which the repository does not have",
                        spec.text,
                        short(pin)
                    ),
                )
                .with_help("run `hsm registry update` to pin what the ref points at now")
            })?;
            finish(commit)
        }
        (None, Fetch::Locked) => Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "--locked: hsm.lock pins no commit of registry {}",
                spec.text
            ),
        )
        .with_help(
            "run `hsm sync` (or `hsm registry update`) once without --locked, and commit hsm.lock",
        )),
        (_, Fetch::Update) | (None, Fetch::AsNeeded | Fetch::Offline) => {
            let commit = match resolve(&db, rev) {
                Some(c) => c,
                None if fetch != Fetch::Offline && had_db && fetch != Fetch::Update => {
                    fetch_db(spec, &db)?;
                    resolve(&db, rev).ok_or_else(|| missing_ref(spec, rev))?
                }
                None => return Err(missing_ref(spec, rev)),
            };
            finish(commit)
        }
    }
}

/// Marks a checkout as complete (written last, before the rename into place).
const DONE: &str = ".hsm-checkout";

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

fn offline_error(spec: &GitSpec, why: &str) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("--offline: registry {} is not in the cache ({why})", spec.text),
    )
    .with_help("run the command once without --offline to fetch it (the cache is $HSM_CACHE_DIR, else ~/.cache/hsm)")
}

fn missing_ref(spec: &GitSpec, rev: &str) -> Error {
    Error::new(
        ErrorKind::InvalidValue,
        format!("registry {}: the repository has no `{rev}`", spec.text),
    )
    .with_help("check the tag, branch or commit after `@`")
}

fn git() -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    cmd
}

/// Run git; its own words on failure.
fn run(cmd: &mut Command, what: &str, spec: &GitSpec) -> Result<String, Error> {
    let out = crate::sync::process::run(cmd, &mut |_| Ok(())).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(ErrorKind::Io, "`git` is not installed (or not on PATH)")
                .with_help("install git: hsm fetches git registries with it")
        } else {
            Error::new(ErrorKind::Io, format!("cannot run git: {e}"))
        }
    })??;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(Error::new(
            ErrorKind::Io,
            format!("{what} of registry {} failed:\n{said}", spec.text),
        )
        .with_help("check the URL, your access to the repository, and the network (or use --offline with a cached registry)"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A fresh temporary sibling of `path`, unique to this process.
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp.{}", std::process::id()))
}

fn create_parent(path: &Path) -> Result<(), Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, &e))?;
    }
    Ok(())
}

/// Put `tmp` at `path`; if another hsm got there first, keep theirs.
fn publish(tmp: &Path, path: &Path) -> Result<(), Error> {
    if std::fs::rename(tmp, path).is_err() {
        let _ = std::fs::remove_dir_all(tmp);
        if !path.exists() {
            return Err(Error::new(
                ErrorKind::Io,
                format!("cannot write the registry cache at {}", path.display()),
            ));
        }
    }
    Ok(())
}

fn clone_bare(spec: &GitSpec, db: &Path) -> Result<(), Error> {
    create_parent(db)?;
    let tmp = temporary(db);
    let _ = std::fs::remove_dir_all(&tmp);
    run(
        git()
            .args(["clone", "--bare", "--quiet", "--"])
            .arg(&spec.url)
            .arg(&tmp),
        "the clone",
        spec,
    )?;
    publish(&tmp, db)
}

fn fetch_db(spec: &GitSpec, db: &Path) -> Result<(), Error> {
    run(
        git().arg("--git-dir").arg(db).args([
            "fetch",
            "--quiet",
            "--force",
            "--prune",
            "--",
            &spec.url,
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
        ]),
        "the fetch",
        spec,
    )
    .map(drop)
}

/// The commit `rev` names in `db`, if any.
fn resolve(db: &Path, rev: &str) -> Option<String> {
    let out = git()
        .arg("--git-dir")
        .arg(db)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .ok()?;
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && commit.len() >= 40).then_some(commit)
}

fn make_checkout(spec: &GitSpec, db: &Path, root: &Path, commit: &str) -> Result<(), Error> {
    create_parent(root)?;
    let tmp = temporary(root);
    let _ = std::fs::remove_dir_all(&tmp);
    run(
        git()
            .args(["clone", "--quiet", "--shared", "--no-checkout", "--"])
            .arg(db)
            .arg(&tmp),
        "the checkout",
        spec,
    )?;
    run(
        git().arg("-C").arg(&tmp).args([
            "-c",
            "advice.detachedHead=false",
            "checkout",
            "--quiet",
            "--detach",
            commit,
            "--",
        ]),
        "the checkout",
        spec,
    )?;
    std::fs::write(tmp.join(DONE), commit).map_err(|e| Error::io(&tmp, &e))?;
    publish(&tmp, root)
}

/// A digest of the registry files of a checkout (the four category folders), so hsm.lock
/// can tell the registry it was solved with.
pub fn digest(dir: &Path) -> String {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for category in super::Category::ALL {
        let Ok(entries) = std::fs::read_dir(dir.join(category.dir())) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Ok(bytes) = std::fs::read(e.path()) {
                files.push((format!("{}/{name}", category.dir()), bytes));
            }
        }
    }
    files.sort();
    let mut all = Vec::new();
    for (name, bytes) in files {
        all.extend_from_slice(name.as_bytes());
        all.push(0);
        all.extend_from_slice(&bytes);
        all.push(0);
    }
    crate::render::lock::digest(&all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_like_pip_urls() {
        let s = GitSpec::parse("git+https://github.com/org/reg.git@v1#subdirectory=registry")
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.url.as_str(), s.rev.as_deref(), s.subdirectory.as_deref()),
            (
                "https://github.com/org/reg.git",
                Some("v1"),
                Some("registry")
            )
        );
        let s = GitSpec::parse("git+ssh://git@github.com/org/reg")
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.url.as_str(), s.rev),
            ("ssh://git@github.com/org/reg", None)
        );
        let s = GitSpec::parse("git+file:///tmp/reg@main").unwrap().unwrap();
        assert_eq!(
            (s.url.as_str(), s.rev.as_deref()),
            ("file:///tmp/reg", Some("main"))
        );
        assert!(GitSpec::parse("hsm-registry").is_none());
        for bad in [
            "git+/tmp/reg",
            "git+file:///tmp/reg@",
            "git+file:///tmp/reg@-x",
            "git+file:///tmp/reg#sub=x",
            "git+file:///tmp/reg#subdirectory=../x",
        ] {
            assert!(GitSpec::parse(bad).unwrap().is_err(), "{bad}");
        }
    }

    #[test]
    fn cache_keys_are_readable_and_unique() {
        let a = GitSpec::parse("git+https://h/org/reg.git")
            .unwrap()
            .unwrap();
        let b = GitSpec::parse("git+https://h/other/reg.git")
            .unwrap()
            .unwrap();
        assert!(a.key().starts_with("reg-"));
        assert_ne!(a.key(), b.key());
    }
}
