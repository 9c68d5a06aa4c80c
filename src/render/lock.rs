//! `hsm.lock`: the resolved stack, so a sync can be checked (`--locked`) or repeated
//! without solving (`--frozen`).
//!
//! It records every package of the solution (components with their versions, the options
//! groups hold), each component's mode, profile, source and first reason, the generated
//! env files (so stale ones can be removed), and a fingerprint of hsm.yaml and every
//! registry file the solve read.

use std::fmt::Write as _;

use serde::Deserialize;
use toml_edit::Value;

use super::active_source;
use crate::error::{Error, ErrorKind};
use crate::registry::Kind;
use crate::registry::model::SourceType;
use crate::solve::Selection;

pub const LOCK_FILE: &str = "hsm.lock";
const LOCK_VERSION: u32 = 1;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Lock {
    pub version: u32,
    pub fingerprint: String,
    pub registry: String,
    #[serde(default, rename = "component")]
    pub components: Vec<LockedComponent>,
    #[serde(default, rename = "group")]
    pub groups: Vec<LockedGroup>,
    #[serde(default)]
    pub env_files: Vec<String>,
    /// Files the services' registry entries declare (`files:`), with the digest of what
    /// hsm wrote: one that was not changed since is removed with its service.
    #[serde(default, rename = "generated_file")]
    pub generated_files: Vec<GeneratedFile>,
    /// What the installed environment was last made from (absent until uv ran).
    #[serde(default)]
    pub installed: Option<Installed>,
    /// The commit of each git registry the stack was solved with.
    #[serde(default)]
    pub registry_source: Vec<LockedRegistry>,
    /// The same for each service run with uv, in its own project.
    #[serde(default)]
    pub installed_services: std::collections::BTreeMap<String, Installed>,
}

/// Digests of the files `uv sync` last installed the environment from. A sync whose
/// pyproject.toml or uv.lock no longer matches (a hand edit, a deleted uv.lock) runs uv
/// again even when nothing hsm renders changed.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Installed {
    pub pyproject: String,
    pub uv_lock: String,
    /// A service's `.env` (its builds see that environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
}

impl Installed {
    /// The digests of these file contents (`None`: the file does not exist).
    pub fn of(pyproject: Option<&[u8]>, uv_lock: Option<&[u8]>) -> Installed {
        let d = |b: Option<&[u8]>| b.map_or_else(|| "absent".to_string(), digest);
        Installed {
            pyproject: d(pyproject),
            uv_lock: d(uv_lock),
            env: None,
        }
    }

    /// [`Installed::of`] a service's project, with its `.env`.
    pub fn of_service(
        pyproject: Option<&[u8]>,
        uv_lock: Option<&[u8]>,
        env: Option<&[u8]>,
    ) -> Installed {
        Installed {
            env: Some(env.map_or_else(|| "absent".to_string(), digest)),
            ..Installed::of(pyproject, uv_lock)
        }
    }

    fn table(&self) -> toml_edit::Table {
        let mut table = toml_edit::Table::new();
        table.insert("pyproject", toml_edit::value(&self.pyproject));
        table.insert("uv_lock", toml_edit::value(&self.uv_lock));
        if let Some(env) = &self.env {
            table.insert("env", toml_edit::value(env));
        }
        table
    }
}

/// `text` (an hsm.lock) with the `[installed_services.<service>]` table set to `installed`.
pub fn with_service_installed(text: &str, service: &str, installed: &Installed) -> String {
    let Ok(mut doc) = text.parse::<toml_edit::DocumentMut>() else {
        return text.to_string();
    };
    let services = doc
        .entry("installed_services")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            t.decor_mut().set_prefix(
                "\n# What each uv-run service's environment was installed from by the last `uv sync` there.\n",
            );
            toml_edit::Item::Table(t)
        });
    if let Some(t) = services.as_table_mut() {
        t.insert(service, toml_edit::Item::Table(installed.table()));
    }
    doc.to_string()
}

/// `text` (an hsm.lock) with its `[installed]` table set to `installed`.
pub fn with_installed(text: &str, installed: &Installed) -> String {
    let Ok(mut doc) = text.parse::<toml_edit::DocumentMut>() else {
        return text.to_string();
    };
    let mut table = installed.table();
    table
        .decor_mut()
        .set_prefix("\n# What the environment (.venv) was installed from by the last `uv sync`.\n");
    doc.insert("installed", toml_edit::Item::Table(table));
    doc.to_string()
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct LockedComponent {
    pub name: String,
    pub kind: Kind,
    #[serde(default)]
    pub version: Option<String>,
    pub mode: crate::manifest::Mode,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A file hsm wrote for a service.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct GeneratedFile {
    pub path: String,
    pub digest: String,
}

/// A git registry pinned to a commit.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct LockedRegistry {
    pub spec: String,
    pub commit: String,
    pub digest: String,
}

/// The commits hsm.lock pins for git registries (spec → commit), read leniently: a lock
/// hsm cannot read pins nothing.
pub fn registry_pins(text: &str) -> std::collections::HashMap<String, String> {
    // Every command reads the pins; most locks have none, and a large hsm.lock is not
    // parsed for nothing.
    if !text.contains("[[registry_source]]") {
        return std::collections::HashMap::new();
    }
    #[derive(Deserialize)]
    struct Pins {
        #[serde(default)]
        registry_source: Vec<LockedRegistry>,
    }
    toml_edit::de::from_str::<Pins>(text)
        .map(|p| {
            p.registry_source
                .into_iter()
                .map(|r| (r.spec, r.commit))
                .collect()
        })
        .unwrap_or_default()
}

/// `text` (an hsm.lock) with the pins of `pins` (spec → commit, digest) replaced.
pub fn with_registry_pins(text: &str, pins: &[(String, String, String)]) -> String {
    let Ok(mut doc) = text.parse::<toml_edit::DocumentMut>() else {
        return text.to_string();
    };
    if let Some(array) = doc
        .get_mut("registry_source")
        .and_then(|i| i.as_array_of_tables_mut())
    {
        for table in array.iter_mut() {
            let spec = table
                .get("spec")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            if let Some((_, commit, digest)) =
                pins.iter().find(|(s, _, _)| Some(s) == spec.as_ref())
            {
                table.insert("commit", toml_edit::value(commit));
                table.insert("digest", toml_edit::value(digest));
            }
        }
    }
    doc.to_string()
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct LockedGroup {
    pub name: String,
    pub kind: Kind,
    pub options: Vec<String>,
}

/// FNV-1a, 64 bit: stable across builds and platforms (unlike `std`'s hasher).
pub fn fingerprint<'a>(parts: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    fnv(parts
        .into_iter()
        .flat_map(|(name, text)| name.bytes().chain([0]).chain(text.bytes()).chain([0])))
}

/// A digest of a file's contents (to tell whether it changed since hsm last saw it).
pub fn digest(bytes: &[u8]) -> String {
    fnv(bytes.iter().copied())
}

fn fnv(bytes: impl Iterator<Item = u8>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

pub fn render(
    selection: &Selection,
    store: &crate::registry::Store,
    root: &std::path::Path,
    fingerprint: &str,
    env_files: &[String],
    generated: &[(String, String)],
) -> String {
    let registry = store.display_from(root);
    let registry = registry.as_str();
    let mut out = String::new();
    let q = |s: &str| Value::from(s).to_string();
    let _ = writeln!(
        out,
        "# Generated by hsm. Do not edit: run `hsm sync` to regenerate."
    );
    let _ = writeln!(out, "version = {LOCK_VERSION}");
    let _ = writeln!(out, "fingerprint = {}", q(fingerprint));
    let _ = writeln!(out, "registry = {}", q(registry));
    let files: Vec<String> = env_files.iter().map(|f| q(f)).collect();
    let _ = writeln!(out, "env_files = [{}]", files.join(", "));
    for (path, digest) in generated {
        let _ = writeln!(out, "\n[[generated_file]]");
        let _ = writeln!(out, "path = {}", q(path));
        let _ = writeln!(out, "digest = {}", q(digest));
    }
    // The commit of each git registry: every later command reads exactly that one.
    for (spec, commit, digest) in store.git_pins() {
        let _ = writeln!(out, "\n[[registry_source]]");
        let _ = writeln!(out, "spec = {}", q(&spec));
        let _ = writeln!(out, "commit = {}", q(&commit));
        let _ = writeln!(out, "digest = {}", q(&digest));
    }
    for g in &selection.groups {
        let _ = writeln!(out, "\n[[group]]");
        let _ = writeln!(out, "name = {}", q(&g.group));
        let _ = writeln!(out, "kind = {}", q(&g.kind.to_string()));
        let options: Vec<String> = g.options.iter().map(|o| q(o)).collect();
        let _ = writeln!(out, "options = [{}]", options.join(", "));
    }
    for c in &selection.components {
        let _ = writeln!(out, "\n[[component]]");
        let _ = writeln!(out, "name = {}", q(&c.name));
        let _ = writeln!(out, "kind = {}", q(&c.kind.to_string()));
        if let Some(v) = &c.version {
            let _ = writeln!(out, "version = {}", q(&v.to_string()));
        }
        let _ = writeln!(out, "mode = {}", q(&c.mode.to_string()));
        if let Some(p) = &c.profile {
            let _ = writeln!(out, "profile = {}", q(&p.name));
        }
        if let Some(source) = describe_source(c) {
            let _ = writeln!(out, "source = {}", q(&source));
        }
        if let Some(reason) = selection.reason(c) {
            let _ = writeln!(out, "reason = {}", q(&reason.text));
        }
    }
    out
}

fn describe_source(c: &crate::solve::Selected) -> Option<String> {
    let (mode, src) = active_source(c)?;
    let detail = match src.kind {
        SourceType::Pypi => format!(
            "pypi {}",
            src.version.as_ref().map(|v| v.0.as_str()).unwrap_or("")
        ),
        SourceType::Git => format!(
            "git {}{}",
            src.url.as_deref().unwrap_or(""),
            src.tag
                .as_ref()
                .or(src.rev.as_ref())
                .or(src.git_ref.as_ref())
                .map(|r| format!("@{r}"))
                .unwrap_or_default()
        ),
        SourceType::Local => format!("local {}", src.path.as_deref().unwrap_or("")),
        SourceType::Build => format!("build {}", src.path.as_deref().unwrap_or("")),
        SourceType::DockerImage => format!("image {}", src.image.as_deref().unwrap_or("")),
    };
    Some(format!("{mode}: {}", detail.trim_end()))
}

pub fn parse(text: &str) -> Result<Lock, Error> {
    let lock: Lock = toml_edit::de::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::InvalidValue,
            format!("{LOCK_FILE} cannot be read: {}", e.message()),
        )
        .with_help(format!(
            "run `hsm sync` (without --frozen) to write a fresh {LOCK_FILE}"
        ))
    })?;
    if lock.version != LOCK_VERSION {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "{LOCK_FILE} has version {}, this hsm writes {LOCK_VERSION}",
                lock.version
            ),
        )
        .with_help(format!("run `hsm sync` to rewrite {LOCK_FILE}")));
    }
    Ok(lock)
}
