//! The domain's words: the one place the kinds, strategies, modes and runtimes of hsm are
//! defined and put into words.
//!
//! Each enum here is at once the value in the files (serde), the value on the command
//! line (clap) and the word in messages (`Display`), so the three cannot drift apart and
//! no layer needs a mirror enum of its own. Counts ("2 libraries") are spelled by
//! [`count`]. Names of components and groups are checked here ([`check_name`]). Nothing
//! here knows about the manifest, the registry or the solver.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::source::Origin;

/// Libraries are Python packages; services are containers (or external endpoints).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Library,
    Service,
}

impl Kind {
    /// Both kinds, libraries first (the order of hsm.yaml's sections).
    pub const ALL: [Kind; 2] = [Kind::Library, Kind::Service];

    /// "library", "service".
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Library => "library",
            Kind::Service => "service",
        }
    }

    /// "libraries", "services": also the hsm.yaml section and the registry folder.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Library => "libraries",
            Kind::Service => "services",
        }
    }

    /// The registry folder of this kind's groups: "library_groups", "service_groups"
    /// (also the original hsm's `--type` value).
    pub fn groups_dir(self) -> &'static str {
        match self {
            Kind::Library => "library_groups",
            Kind::Service => "service_groups",
        }
    }

    /// "library_group", "service_group": a group's kind as the original hsm's `--type`
    /// spelled it.
    pub fn group_type(self) -> &'static str {
        match self {
            Kind::Library => "library_group",
            Kind::Service => "service_group",
        }
    }

    /// The other kind.
    pub fn other(self) -> Kind {
        match self {
            Kind::Library => Kind::Service,
            Kind::Service => Kind::Library,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// How many options of a choice group a project may select: 1-of-N, at most one option,
/// whoever asks; M-of-N, any number of options.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Deserialize,
    Serialize,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[schemars(rename = "strategy")]
pub enum Strategy {
    // Exactly one: selecting an option replaces the selection.
    #[serde(rename = "1-of-N")]
    #[value(name = "1-of-N")]
    OneOfN,
    // Any number: selecting an option adds to the selection.
    #[serde(rename = "M-of-N")]
    #[value(name = "M-of-N")]
    ManyOfN,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::OneOfN => "1-of-N",
            Strategy::ManyOfN => "M-of-N",
        })
    }
}

/// dev: local sources, editable installs, build contexts. prod: pinned releases and images.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Deserialize,
    Serialize,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "mode")]
pub enum Mode {
    Dev,
    #[default]
    Prod,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Dev => "dev",
            Mode::Prod => "prod",
        })
    }
}

/// What runs a service: a container engine, or a Python environment on the host. docker and
/// podman services are rendered into docker-compose.hsm.yml.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    Deserialize,
    Serialize,
    PartialEq,
    Eq,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "runtime")]
pub enum Runtime {
    // A directory with a Dockerfile, run by docker compose.
    #[default]
    Docker,
    // The same, run by podman compose.
    Podman,
    // A uv project, run with `uv run`.
    Uv,
    #[value(skip)]
    Pixi,
    #[value(skip)]
    Venv,
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Runtime::Docker => "docker",
            Runtime::Podman => "podman",
            Runtime::Uv => "uv",
            Runtime::Pixi => "pixi",
            Runtime::Venv => "venv",
        })
    }
}

/// The compose implementation that starts and stops a stack's containers
/// (`project.container_engine`; absent: the first one found, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeTool {
    /// `docker compose` (the v2 plugin).
    Docker,
    /// `docker-compose` (the v1 program).
    DockerCompose,
    /// `podman compose`.
    Podman,
}

impl ComposeTool {
    /// Every tool, in the order hsm looks for one.
    pub const ALL: [ComposeTool; 3] = [
        ComposeTool::Docker,
        ComposeTool::DockerCompose,
        ComposeTool::Podman,
    ];

    /// `project.container_engine`'s spelling.
    pub fn name(self) -> &'static str {
        match self {
            ComposeTool::Docker => "docker",
            ComposeTool::DockerCompose => "docker-compose",
            ComposeTool::Podman => "podman",
        }
    }

    /// The program and the arguments before compose's own.
    pub fn command(self) -> (&'static str, &'static [&'static str]) {
        match self {
            ComposeTool::Docker => ("docker", &["compose"]),
            ComposeTool::DockerCompose => ("docker-compose", &[]),
            ComposeTool::Podman => ("podman", &["compose"]),
        }
    }
}

impl Serialize for ComposeTool {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for ComposeTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (program, args) = self.command();
        f.write_str(program)?;
        for a in args {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

/// [`is_valid_name`] as a JSON Schema (ECMA-262) pattern, for the schemas of hsm's files;
/// the length limit is the schema's `maxLength`.
pub const NAME_PATTERN: &str = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]*$";

/// The longest name [`is_valid_name`] accepts.
pub const NAME_MAX_LEN: u32 = 128;

/// Names become file names (`libraries/<name>.yaml`) and compose keys, so they are limited
/// to letters, digits, `-`, `_` and `.`, must start with a letter or digit, and may not
/// contain `..`. This rejects path traversal (`../../etc/passwd`) before any path is built.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() <= NAME_MAX_LEN as usize
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub fn check_name(name: &str, origin: &Origin) -> Result<(), Error> {
    if is_valid_name(name) {
        return Ok(());
    }
    Err(Error::new(ErrorKind::InvalidName, format!("`{name}` is not a valid component or group name"))
        .at(origin.clone())
        .with_label("invalid name")
        .with_help("names may use letters, digits, `-`, `_` and `.`, must start with a letter or digit, and may not contain `..` or `/`"))
}

/// "1 library", "2 libraries", "0 services": `noun` is the singular.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        return format!("1 {noun}");
    }
    format!("{n} {}", plural(noun))
}

/// "`a`", "`a` and `b`", "`a`, `b` and `c`".
pub fn and_list(items: impl IntoIterator<Item = String>) -> String {
    joined(items, "and")
}

/// "a", "a or b", "a, b or c".
pub fn or_list(items: impl IntoIterator<Item = String>) -> String {
    joined(items, "or")
}

fn joined(items: impl IntoIterator<Item = String>, word: &str) -> String {
    let items: Vec<String> = items.into_iter().collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

/// The plural of an English noun as hsm uses them ("library" → "libraries").
pub fn plural(noun: &str) -> String {
    match noun.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ies"),
        _ if noun.ends_with('s') || noun.ends_with("sh") || noun.ends_with("ch") => {
            format!("{noun}es")
        }
        _ => format!("{noun}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_english() {
        assert_eq!(count(1, "library"), "1 library");
        assert_eq!(count(2, "library"), "2 libraries");
        assert_eq!(count(0, "service"), "0 services");
        assert_eq!(count(3, "key"), "3 keys");
        assert_eq!(count(2, "case"), "2 cases");
        assert_eq!(count(2, "match"), "2 matches");
        assert_eq!(count(2, "entry"), "2 entries");
    }

    #[test]
    fn the_cli_values_are_the_file_values() {
        use clap::ValueEnum;
        for m in [Mode::Dev, Mode::Prod] {
            let cli = m.to_possible_value().map(|v| v.get_name().to_string());
            assert_eq!(cli, Some(m.to_string()));
            assert_eq!(serde_json::to_value(m).ok(), Some(m.to_string().into()));
        }
        for s in [Strategy::OneOfN, Strategy::ManyOfN] {
            let cli = s.to_possible_value().map(|v| v.get_name().to_string());
            assert_eq!(cli, Some(s.to_string()));
            assert_eq!(serde_json::to_value(s).ok(), Some(s.to_string().into()));
        }
        for k in Kind::ALL {
            assert_eq!(serde_json::to_value(k).ok(), Some(k.to_string().into()));
        }
        for r in [Runtime::Docker, Runtime::Podman, Runtime::Uv] {
            let cli = r.to_possible_value().map(|v| v.get_name().to_string());
            assert_eq!(cli, Some(r.to_string()));
        }
    }
}
