//! The serde model of `hsm.yaml` (the original hsm "V2" layout plus hsm's extensions).
//!
//! The model is strict: unknown keys are errors (with a did-you-mean), because a typo in
//! intent (`selction:`) would otherwise silently select nothing. Keys the original hsm
//! wrote or documented (`project.manager`, group `mode`/`profile`) are accepted.

use std::borrow::Cow;
use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::schema::defs::{Name, NameMap};
use crate::source::null_as_default;
pub use crate::vocab::{Mode, Strategy};

// The schema (`hsm schema manifest`) is derived from these types: a field read with
// `null_as_default` is described as the `Option` of its type (null is accepted), and a
// mapping keyed by component or group names as a `NameMap` (the loader checks the names).
// The sections read with `null_as_default` accept null in their own definition
// (`extend("type" = ...)`) rather than through an `anyOf` with null, whose errors would not
// name the unknown key.

/// The project manifest of hsm (Hyper Stack Manager): the choice groups, standalone
/// libraries and services a project uses, their modes and version constraints.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "hsm.yaml")]
pub struct ManifestFile {
    /// The project's name and settings.
    #[serde(default, deserialize_with = "null_as_default")]
    pub project: Project,
    /// Registry directory, relative to the directory of hsm.yaml, or a git registry
    /// (`git+<url>@<ref>[#subdirectory=<dir>]`); overridden by --registry and
    /// HSM_REGISTRY_PATH. It replaces the built-in registry.
    #[serde(default)]
    pub registry: Option<String>,
    /// Registries searched in order, each a directory or a git registry, with the built-in
    /// registry last: a project adds components on top of the built-in ones.
    #[serde(default, deserialize_with = "null_as_default")]
    pub registries: Vec<String>,
    /// Python libraries, installed with uv.
    #[serde(default, deserialize_with = "null_as_default")]
    pub libraries: Libraries,
    /// Services, run with docker or podman compose.
    #[serde(default, deserialize_with = "null_as_default")]
    pub services: Services,
    /// Per-component mode: dev (local sources, editable installs, build contexts) or prod
    /// (the default).
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "NameMap<Mode>")]
    pub modes: IndexMap<String, Mode>,
    /// Semver ranges on components, applied when they are in the stack, e.g. qdrant:
    /// ">=1.11, <2".
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "NameMap<String>")]
    pub constraints: IndexMap<String, String>,
}

/// The project's name and settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "project", extend("type" = ["object", "null"]))]
pub struct Project {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// `docker`, `docker-compose` or `podman` (absent: the first one installed).
    #[serde(default)]
    pub container_engine: Option<String>,
    /// Legacy (the original hsm's test fixtures): same as `libraries.package_manager`.
    #[serde(default)]
    pub manager: Option<String>,
}

/// hsm.yaml's `libraries:`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "libraries", extend("type" = ["object", "null"]))]
pub struct Libraries {
    /// Only `uv` is supported.
    #[serde(default)]
    pub package_manager: Option<String>,
    /// Choice groups of the registry, by name, with the option(s) selected.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "NameMap<GroupEntry>")]
    pub groups: IndexMap<String, GroupEntry>,
    /// Libraries used on their own, outside any group.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<Standalone>>")]
    pub standalone: Vec<Standalone>,
}

/// hsm.yaml's `services:`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "services", extend("type" = ["object", "null"]))]
pub struct Services {
    /// Choice groups of the registry, by name, with the option(s) selected.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "NameMap<GroupEntry>")]
    pub groups: IndexMap<String, GroupEntry>,
    /// Services used on their own, outside any group.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<Vec<Standalone>>")]
    pub standalone: Vec<Standalone>,
}

/// A choice group as used in hsm.yaml.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "group_entry")]
pub struct GroupEntry {
    /// Informational: must match the registry's group (the registry's strategy is
    /// authoritative; a disagreement is an error).
    #[serde(default)]
    pub strategy: Option<Strategy>,
    /// 1-of-N: an option name; M-of-N: a list of option names.
    #[serde(default)]
    pub selection: Selection,
    /// Mode of the selected option(s), unless a component's own mode says otherwise.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Deployment profile of the selected service(s).
    #[serde(default)]
    pub profile: Option<String>,
}

/// A group's selection: nothing, one option (1-of-N) or a list (M-of-N).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Selection {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Selection {
    /// The selected names with their index in a list selection (`None` for a plain string).
    pub fn items(&self) -> Vec<(Option<usize>, &str)> {
        match self {
            Selection::None => Vec::new(),
            Selection::One(s) => vec![(None, s.as_str())],
            Selection::Many(v) => v
                .iter()
                .enumerate()
                .map(|(i, s)| (Some(i), s.as_str()))
                .collect(),
        }
    }
}

impl<'de> Deserialize<'de> for Selection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Selection;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an option name or a list of option names")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Selection, E> {
                Ok(Selection::None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Selection, E> {
                Ok(Selection::None)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Selection, E> {
                Ok(Selection::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Selection, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(Selection::Many(items))
            }
        }
        d.deserialize_any(V)
    }
}

/// What the visitor above accepts: null, a name, or a list of names (the loader checks the
/// names).
impl JsonSchema for Selection {
    fn schema_name() -> Cow<'static, str> {
        "selection".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let name = generator.subschema_for::<Name>();
        json_schema!({
            "description": "An option name or a list of option names.",
            "anyOf": [
                name,
                { "type": "array", "items": name },
                { "type": "null" },
            ],
        })
    }
}

/// A standalone entry: a plain name or `{name, mode, profile}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standalone {
    pub name: String,
    pub mode: Option<Mode>,
    pub profile: Option<String>,
}

/// The mapping form of a standalone entry.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "standalone_map")]
struct StandaloneMap {
    #[schemars(with = "Name")]
    name: String,
    #[serde(default)]
    mode: Option<Mode>,
    /// Deployment profile (services).
    #[serde(default)]
    profile: Option<String>,
    /// Legacy (V1): ignored; use `constraints`.
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<String>,
}

impl<'de> Deserialize<'de> for Standalone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Standalone;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a component name or a mapping with `name` (and optionally `mode`, `profile`)",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Standalone, E> {
                Ok(Standalone {
                    name: v.to_string(),
                    mode: None,
                    profile: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Standalone, A::Error> {
                let m = StandaloneMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Standalone {
                    name: m.name,
                    mode: m.mode,
                    profile: m.profile,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// What the visitor above accepts: a name, or the mapping.
impl JsonSchema for Standalone {
    fn schema_name() -> Cow<'static, str> {
        "standalone".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A component name, or a mapping with `name` and optionally `mode` and `profile`.",
            "if": { "type": "string" },
            "then": generator.subschema_for::<Name>(),
            "else": generator.subschema_for::<StandaloneMap>(),
        })
    }
}
