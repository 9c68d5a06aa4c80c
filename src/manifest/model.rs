//! The serde model of `hsm.yaml` (the original hsm "V2" layout plus hsm's extensions).
//!
//! The model is strict: unknown keys are errors (with a did-you-mean), because a typo in
//! intent (`selction:`) would otherwise silently select nothing. Keys the original hsm
//! wrote or documented (`project.manager`, group `mode`/`profile`) are accepted.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::source::null_as_default;
pub use crate::vocab::{Mode, Strategy};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    #[serde(default, deserialize_with = "null_as_default")]
    pub project: Project,
    /// Registry location, relative to the directory of hsm.yaml.
    #[serde(default)]
    pub registry: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub libraries: Libraries,
    #[serde(default, deserialize_with = "null_as_default")]
    pub services: Services,
    /// Per-component mode.
    #[serde(default, deserialize_with = "null_as_default")]
    pub modes: IndexMap<String, Mode>,
    /// Version ranges (semver) on components, applied when they are in the stack.
    #[serde(default, deserialize_with = "null_as_default")]
    pub constraints: IndexMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// `docker` (default) or `podman`.
    #[serde(default)]
    pub container_engine: Option<String>,
    /// Written by the original hsm's test fixtures; same meaning as `libraries.package_manager`.
    #[serde(default)]
    pub manager: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Libraries {
    #[serde(default)]
    pub package_manager: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub groups: IndexMap<String, GroupEntry>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub standalone: Vec<Standalone>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Services {
    #[serde(default, deserialize_with = "null_as_default")]
    pub groups: IndexMap<String, GroupEntry>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub standalone: Vec<Standalone>,
}

/// A choice group as used in hsm.yaml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    /// Informational: the registry's strategy is authoritative; a disagreement is an error.
    #[serde(default)]
    pub strategy: Option<Strategy>,
    #[serde(default)]
    pub selection: Selection,
    /// Mode for the selected option(s), unless a component's own mode says otherwise.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Deployment profile for the selected service(s).
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

/// A standalone entry: a plain name or `{name, mode, profile}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standalone {
    pub name: String,
    pub mode: Option<Mode>,
    pub profile: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StandaloneMap {
    name: String,
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(default)]
    profile: Option<String>,
    /// V1 docs allowed a version here; it is accepted and ignored in favour of `constraints`.
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
