//! The serde model of registry files: the original hsm "V2" layout plus hsm's extensions
//! (`versions`, `requires`, `conflicts`, `constraints`, `implies` of every kind, group
//! `default`, `deployment_profiles`).
//!
//! Everything the original hsm wrote loads unchanged, including its nulls (`dev: null`,
//! `container_name: null`) and its unused legacy keys (`type`, `dependencies`,
//! `entrypoints`, `library_groups`). Unknown keys are errors with a did-you-mean.
//! Rules stay loosely typed here (`implies` values are YAML values) and are checked, with
//! positions, when [`crate::registry::Component`] compiles them.

//!
//! The schemas of these files (`hsm schema library|service|group`) are derived from these
//! types: a field read with `null_as_default` is described as the `Option` of its type (null
//! is accepted), a YAML value passed through as any JSON value, and the rules the loader
//! checks after serde (`registry::checks`, [`super::rules`]) by the types of
//! [`crate::schema::defs`]. `Sources` and `Source`, null wherever they are used, accept null
//! in their own definition (`extend("type" = ...)`) rather than through an `anyOf` with
//! null, whose errors would not name an unknown key.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::schema::defs::{
    Aliases, Command, Conflicts, ContainerName, Env, Healthcheck, Implies, Name, Requires,
};
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

/// What the visitor above accepts: any scalar but null.
impl JsonSchema for Text {
    fn schema_name() -> Cow<'static, str> {
        "text".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A string; a number or boolean is read as its text.",
            "type": ["string", "number", "boolean"],
        })
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

/// What the visitor above accepts: null, a path, or a list of paths.
impl JsonSchema for PathList {
    fn schema_name() -> Cow<'static, str> {
        "path_list".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A path or a list of paths.",
            "type": ["string", "array", "null"],
            "items": { "type": "string" },
        })
    }
}

/// Where the component comes from in one mode.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "source", extend("type" = ["object", "null"]))]
pub struct Source {
    #[serde(rename = "type")]
    pub kind: SourceType,
    /// git: the repository URL.
    #[serde(default)]
    pub url: Option<String>,
    /// git: a tag, or a commit hash.
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub rev: Option<String>,
    #[serde(default)]
    pub branch: Option<String>,
    /// local/build: a directory, relative to the project root.
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub editable: Option<bool>,
    #[serde(default)]
    pub subdirectory: Option<String>,
    /// pypi: a PEP 440 specifier, e.g. ">=1.12,<2" (a bare version means ==).
    #[serde(default)]
    pub version: Option<Text>,
    /// Legacy: the original CLI wrote the pypi name here.
    #[serde(default)]
    pub name: Option<String>,
    /// docker-image: name:tag.
    #[serde(default)]
    pub image: Option<String>,
    /// build: the Dockerfile, relative to `path`.
    #[serde(default)]
    pub dockerfile: Option<String>,
    #[serde(default)]
    #[schemars(with = "ContainerName")]
    pub container_name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Aliases")]
    pub network_aliases: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<Text>>")]
    pub ports: Vec<Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<String>>")]
    pub volumes: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Env")]
    pub env: IndexMap<String, Text>,
    #[serde(default)]
    pub env_file: PathList,
}

/// The kind of a source.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "source_type")]
pub enum SourceType {
    #[default]
    Pypi,
    Git,
    Local,
    DockerImage,
    Build,
}

/// The source for each mode; dev falls back to prod.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "sources", extend("type" = ["object", "null"]))]
pub struct Sources {
    // Shared, not boxed: a `Source` is some 500 bytes of mostly empty fields, and every
    // version of every loaded component holds its file's `Sources`, once a deep copy
    // (lint keeps tens of thousands in memory; a 100,000-link chain holds them all).
    #[serde(default)]
    #[schemars(with = "Source")]
    pub prod: Option<Arc<Source>>,
    #[serde(default)]
    #[schemars(with = "Source")]
    pub dev: Option<Arc<Source>>,
}

/// One entry of `versions:`; each key present overrides the component's top-level one.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "version_entry")]
pub struct VersionEntry {
    pub version: Text,
    #[serde(default)]
    #[schemars(with = "Requires")]
    pub requires: Option<IndexMap<String, Text>>,
    #[serde(default)]
    #[schemars(with = "Conflicts")]
    pub conflicts: Option<Vec<String>>,
    #[serde(default)]
    #[schemars(with = "Implies")]
    pub implies: Option<IndexMap<String, serde_yaml::Value>>,
    #[serde(default)]
    #[schemars(with = "Sources")]
    pub sources: Option<Sources>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A library of an hsm registry: `libraries/<name>.yaml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "hsm registry library")]
pub struct LibraryFile {
    /// The library's name; must equal the file name without `.yaml`.
    #[schemars(with = "Name")]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The component's version (semver; `1.10` and `v1.2.3` are accepted). Optional.
    #[serde(default)]
    pub version: Option<Text>,
    /// Legacy (`library` or `virtual`): ignored.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The Python distribution name (default: `name`), as PEP 508 spells it.
    #[serde(default)]
    #[schemars(pattern(super::syntax::DISTRIBUTION_NAME_PATTERN))]
    pub package: Option<String>,
    /// The git repository of the library's source code (`https://…`, optionally
    /// `@<ref>`): `hsm sync` clones it into the dev source's path when a dev-mode library's
    /// directory is missing.
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub sources: Sources,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Requires")]
    pub requires: IndexMap<String, Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Conflicts")]
    pub conflicts: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Implies")]
    pub implies: IndexMap<String, serde_yaml::Value>,
    /// Several versions of the component; each key given overrides the top-level one.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<VersionEntry>>")]
    pub versions: Vec<VersionEntry>,
    /// Legacy: unused for libraries.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub dependencies: Vec<serde_yaml::Value>,
    /// Legacy: unused.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<IndexMap<String, String>>")]
    pub entrypoints: IndexMap<String, String>,
}

/// A service of an hsm registry: `services/<name>.yaml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "hsm registry service")]
pub struct ServiceFile {
    /// The service's name; must equal the file name without `.yaml`.
    #[schemars(with = "Name")]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The component's version (semver; `1.10` and `v1.2.3` are accepted). Optional.
    #[serde(default)]
    pub version: Option<Text>,
    /// Legacy (`service`): ignored.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Compose `container_name` (a source's own wins).
    #[serde(default)]
    #[schemars(with = "ContainerName")]
    pub container_name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Aliases")]
    pub network_aliases: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<Text>>")]
    pub ports: Vec<Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<String>>")]
    pub volumes: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Env")]
    pub env: IndexMap<String, Text>,
    #[serde(default)]
    pub env_file: PathList,
    /// Compose healthcheck syntax, passed through.
    #[serde(default)]
    #[schemars(with = "Healthcheck")]
    pub healthcheck: Option<serde_yaml::Value>,
    /// Compose `command`: a string or a list, passed through.
    #[serde(default)]
    #[schemars(with = "Command")]
    pub command: Option<serde_yaml::Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub sources: Sources,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Requires")]
    pub requires: IndexMap<String, Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Conflicts")]
    pub conflicts: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Implies")]
    pub implies: IndexMap<String, serde_yaml::Value>,
    /// Several versions of the component; each key given overrides the top-level one.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<VersionEntry>>")]
    pub versions: Vec<VersionEntry>,
    /// Packages for a uv-runtime service's own environment.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub dependencies: Vec<serde_yaml::Value>,
    /// Legacy: unused.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<IndexMap<String, serde_json::Value>>")]
    pub library_groups: IndexMap<String, serde_yaml::Value>,
    /// How the service is deployed, by profile name (`default` unless hsm.yaml names
    /// another).
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<IndexMap<String, Profile>>")]
    pub deployment_profiles: IndexMap<String, Profile>,
    /// How `hsm render kubernetes` deploys the service (all optional).
    #[serde(default)]
    pub kubernetes: Option<KubernetesSettings>,
    /// Files `hsm sync` writes into the project while the service is in the stack (path
    /// relative to the project → contents): an init script a volume mounts, a config file.
    #[serde(default, deserialize_with = "null_as_default")]
    pub files: IndexMap<String, String>,
}

/// The `kubernetes:` block of a service: what a cluster needs that compose does not say.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "kubernetes")]
pub struct KubernetesSettings {
    /// Pods in the prod overlay (default 1; the dev overlay always runs 1).
    #[serde(default)]
    pub replicas: Option<u32>,
    /// The type of the service's Service: `ClusterIP` (default), `NodePort` or
    /// `LoadBalancer`.
    #[serde(default)]
    pub service_type: Option<ServiceType>,
    /// Container resources, as Kubernetes writes them:
    /// `{requests: {cpu: 500m, memory: 1Gi}, limits: {nvidia.com/gpu: 1}}`.
    #[serde(default)]
    pub resources: Option<Resources>,
    /// The volume claims of a service with named volumes.
    #[serde(default)]
    pub storage: Option<Storage>,
}

/// `kubernetes.service_type`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
}

/// `kubernetes.resources`: quantities by resource name.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Text>>")]
    pub requests: IndexMap<String, Text>,
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Text>>")]
    pub limits: IndexMap<String, Text>,
}

/// `kubernetes.storage`: size (default `1Gi`) and storage class of each volume claim.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub class: Option<String>,
}

/// One deployment profile of a service.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "profile")]
pub struct Profile {
    #[serde(default)]
    pub mode: ProfileMode,
    #[serde(default)]
    pub runtime: Runtime,
    /// Connection details of an external service (host, port, ...).
    #[serde(default)]
    #[schemars(with = "serde_json::Value")]
    pub external: Option<serde_yaml::Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<IndexMap<String, Text>>")]
    pub env: IndexMap<String, Text>,
    #[serde(default)]
    #[schemars(with = "serde_json::Value")]
    pub command: Option<serde_yaml::Value>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub container_name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<Text>>")]
    pub ports: Vec<Text>,
}

/// managed: hsm runs it; external: someone else does (not rendered into compose).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "profile_mode")]
pub enum ProfileMode {
    #[default]
    Managed,
    External,
}

/// A choice group of an hsm registry: `library_groups/<name>.yaml` or
/// `service_groups/<name>.yaml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "hsm registry choice group")]
pub struct GroupFile {
    /// The group's name; must equal the file name without `.yaml`.
    #[schemars(with = "Name")]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: GroupType,
    pub strategy: crate::vocab::Strategy,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<GroupOption>>")]
    pub options: Vec<GroupOption>,
    /// The option(s) taken when the group is implied without naming one.
    #[serde(default)]
    pub default: crate::manifest::Selection,
    /// Written above the group in hsm.yaml by `hsm group add`.
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Must match the folder: library_group in library_groups/, service_group in
/// service_groups/.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "group_type")]
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

/// The mapping form of a group option.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "option_map")]
struct GroupOptionMap {
    #[schemars(with = "Name")]
    name: String,
    #[serde(default)]
    description: Option<String>,
    /// What selecting this option brings into the stack (as a component's `implies`).
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Implies")]
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

/// What the visitor above accepts: a name, or the mapping.
impl JsonSchema for GroupOption {
    fn schema_name() -> Cow<'static, str> {
        "option".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An option: a component name, or a mapping with `name` and optionally `description` and `implies`.",
            "if": { "type": "string" },
            "then": generator.subschema_for::<Name>(),
            "else": generator.subschema_for::<GroupOptionMap>(),
        })
    }
}
