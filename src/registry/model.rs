//! The serde model of registry files: the original hsm "V2" layout plus hsm's extensions
//! (`versions`, `requires`, `conflicts`, `constraints`, `implies` of every kind, group
//! `default`, `deployment_profiles`).
//!
//! Everything the original hsm wrote loads unchanged, including its nulls (`dev: null`,
//! `container_name: null`) and its unused legacy keys (`type`, `dependencies`,
//! `entrypoints`, `library_groups`). Unknown keys are errors with a did-you-mean.
//! Rules stay loosely typed here (`implies` values are YAML values) and are checked, with
//! positions, when [`crate::registry::Component`] compiles them.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::source::null_as_default;
pub use crate::vocab::Runtime;

/// A YAML scalar read as text: `1.10` stays `1.10`, `8080` becomes `"8080"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(pub String);

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `env_file`: a path or a list of paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathList(pub Vec<String>);

impl<'de> Deserialize<'de> for PathList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PathList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a path or a list of paths")
            }
            fn visit_unit<E: de::Error>(self) -> Result<PathList, E> {
                Ok(PathList::default())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PathList, E> {
                Ok(PathList(vec![v.to_string()]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<PathList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(PathList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Where a component comes from in one mode.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    #[serde(rename = "type")]
    pub kind: SourceType,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub rev: Option<String>,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub editable: Option<bool>,
    #[serde(default)]
    pub subdirectory: Option<String>,
    /// PEP 440 specifier for `pypi` sources, e.g. `>=1.12,<2`.
    #[serde(default)]
    pub version: Option<Text>,
    /// Legacy: the original CLI wrote `name:` for pypi sources.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub dockerfile: Option<String>,
    #[serde(default)]
    pub container_name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub network_aliases: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub ports: Vec<Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub volumes: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub env: IndexMap<String, Text>,
    #[serde(default)]
    pub env_file: PathList,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SourceType {
    #[default]
    Pypi,
    Git,
    Local,
    DockerImage,
    Build,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    #[serde(default)]
    pub prod: Option<Source>,
    #[serde(default)]
    pub dev: Option<Source>,
}

/// One entry of `versions:`; each key present overrides the component's top-level one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionEntry {
    pub version: Text,
    #[serde(default)]
    pub requires: Option<IndexMap<String, Text>>,
    #[serde(default)]
    pub conflicts: Option<Vec<String>>,
    #[serde(default)]
    pub implies: Option<IndexMap<String, serde_yaml::Value>>,
    #[serde(default)]
    pub sources: Option<Sources>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `libraries/<name>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryFile {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub version: Option<Text>,
    /// Legacy: `library` or `virtual`; unused.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Python distribution name; defaults to `name`.
    #[serde(default)]
    pub package: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub sources: Sources,
    #[serde(default, deserialize_with = "null_as_default")]
    pub requires: IndexMap<String, Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub conflicts: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub implies: IndexMap<String, serde_yaml::Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub versions: Vec<VersionEntry>,
    /// Legacy: unused for libraries.
    #[serde(default, deserialize_with = "null_as_default")]
    pub dependencies: Vec<serde_yaml::Value>,
    /// Legacy: unused.
    #[serde(default, deserialize_with = "null_as_default")]
    pub entrypoints: IndexMap<String, String>,
}

/// `services/<name>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub version: Option<Text>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub container_name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub network_aliases: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub ports: Vec<Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub volumes: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub env: IndexMap<String, Text>,
    #[serde(default)]
    pub env_file: PathList,
    /// Compose healthcheck syntax, passed through.
    #[serde(default)]
    pub healthcheck: Option<serde_yaml::Value>,
    /// Compose `command` (a string or a list), passed through.
    #[serde(default)]
    pub command: Option<serde_yaml::Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub sources: Sources,
    #[serde(default, deserialize_with = "null_as_default")]
    pub requires: IndexMap<String, Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub conflicts: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub implies: IndexMap<String, serde_yaml::Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub versions: Vec<VersionEntry>,
    /// Packages for a uv-runtime service's own environment.
    #[serde(default, deserialize_with = "null_as_default")]
    pub dependencies: Vec<serde_yaml::Value>,
    /// Legacy: unused.
    #[serde(default, deserialize_with = "null_as_default")]
    pub library_groups: IndexMap<String, serde_yaml::Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub deployment_profiles: IndexMap<String, Profile>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub mode: ProfileMode,
    #[serde(default)]
    pub runtime: Runtime,
    #[serde(default)]
    pub external: Option<serde_yaml::Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub env: IndexMap<String, Text>,
    #[serde(default)]
    pub command: Option<serde_yaml::Value>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub container_name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub ports: Vec<Text>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileMode {
    #[default]
    Managed,
    External,
}

/// `library_groups/<name>.yaml` and `service_groups/<name>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupFile {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: GroupType,
    pub strategy: crate::vocab::Strategy,
    #[serde(default, deserialize_with = "null_as_default")]
    pub options: Vec<GroupOption>,
    /// Option(s) taken when the group is implied without naming one.
    #[serde(default)]
    pub default: crate::manifest::Selection,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GroupType {
    LibraryGroup,
    ServiceGroup,
}

/// A group option: a plain name or `{name, description, implies}`.
#[derive(Debug, Clone)]
pub struct GroupOption {
    pub name: String,
    pub description: Option<String>,
    pub implies: IndexMap<String, serde_yaml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupOptionMap {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    implies: IndexMap<String, serde_yaml::Value>,
}

impl<'de> Deserialize<'de> for GroupOption {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GroupOption;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an option name or a mapping with `name`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GroupOption, E> {
                Ok(GroupOption {
                    name: v.to_string(),
                    description: None,
                    implies: IndexMap::new(),
                })
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<GroupOption, A::Error> {
                let m = GroupOptionMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(GroupOption {
                    name: m.name,
                    description: m.description,
                    implies: m.implies,
                })
            }
        }
        d.deserialize_any(V)
    }
}
