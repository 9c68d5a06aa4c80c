//! The JSON Schemas (draft-07) of hsm.yaml and of the registry files, so editors (the YAML
//! language server, JetBrains IDEs) validate and complete them (`hsm schema KIND`).
//!
//! They are generated with `schemars` from the serde models themselves
//! ([`crate::manifest::model`], [`crate::registry::model`], the enums of [`crate::vocab`]):
//! `deny_unknown_fields` gives `additionalProperties: false`, a key without a default is
//! `required`, the doc comments of the fields are the descriptions. What serde alone does
//! not say is said where it is decided: the types read by a hand-written `Deserialize`
//! (`Text`, `PathList`, `Selection`, `Standalone`, `GroupOption`) describe what their
//! visitor accepts by a hand-written `JsonSchema`, and the rules the loader checks after
//! serde (names, rule keys, compose values) are the schema-only types of [`defs`].
//!
//! The generated schemas are also committed in `schemas/`, for those who want a file to
//! point at; a test keeps them equal (`HSM_UPDATE_SCHEMAS=1 cargo test --lib schema`
//! rewrites them). `tests/it/schema.rs` runs documents through both the schemas and the
//! loader and checks that their verdicts agree.

pub mod defs;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::Value;

use crate::manifest::model::ManifestFile;
use crate::registry::model::{GroupFile, LibraryFile, ServiceFile};

/// Which file's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// hsm.yaml
    Manifest,
    /// libraries/<name>.yaml
    Library,
    /// services/<name>.yaml
    Service,
    /// library_groups/<name>.yaml and service_groups/<name>.yaml
    Group,
}

impl SchemaKind {
    /// Every kind, in the order of `hsm schema`'s help.
    pub const ALL: [SchemaKind; 4] = [
        SchemaKind::Manifest,
        SchemaKind::Library,
        SchemaKind::Service,
        SchemaKind::Group,
    ];

    /// The word `hsm schema` takes, also the stem of the file in `schemas/`.
    pub fn word(self) -> &'static str {
        match self {
            SchemaKind::Manifest => "manifest",
            SchemaKind::Library => "library",
            SchemaKind::Service => "service",
            SchemaKind::Group => "group",
        }
    }

    /// The schema as a JSON value.
    pub fn schema(self) -> Value {
        let generator = SchemaSettings::draft07().into_generator();
        let mut schema = match self {
            SchemaKind::Manifest => root::<ManifestFile>(generator),
            SchemaKind::Library => root::<LibraryFile>(generator),
            SchemaKind::Service => root::<ServiceFile>(generator),
            SchemaKind::Group => root::<GroupFile>(generator),
        };
        tidy(&mut schema);
        if let Some(Value::String(d)) = schema.get_mut("description") {
            d.push_str(&format!(" Printed by `hsm schema {}`.", self.word()));
        }
        schema
    }

    /// The schema as JSON text (pretty, with a final newline): what `hsm schema` prints and
    /// what `schemas/<word>.schema.json` holds.
    pub fn text(self) -> String {
        let mut text = serde_json::to_string_pretty(&self.schema())
            .expect("a serde_json::Value always serializes");
        text.push('\n');
        text
    }
}

fn root<T: JsonSchema>(generator: SchemaGenerator) -> Value {
    generator.into_root_schema_for::<T>().to_value()
}

/// Post-processing of the generated schema:
/// - a description written as a doc comment over several lines gets its line breaks back
///   as spaces (rustdoc joins them too; an editor would show them as they are);
/// - an empty `default` (`null`, `[]`, `{}`), which schemars writes for the fields whose
///   type happens to be `Serialize`, is dropped: it says nothing a missing key does not,
///   and editors would complete `key: null`; a scalar default (`runtime: docker`) stays;
/// - what is then left of schemars' wrapping of a `$ref` with siblings (draft-07 ignores
///   them), an `allOf` of the one reference alone, becomes the reference.
fn tidy(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let empty = |v: &Value| match v {
                Value::Null => true,
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                _ => false,
            };
            if map.get("default").is_some_and(empty) {
                map.remove("default");
            }
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if key == "description" || key == "title" => {
                        *s = s.split('\n').map(str::trim).collect::<Vec<_>>().join(" ");
                    }
                    _ => tidy(v),
                }
            }
            if map.len() == 1
                && let Some(Value::Array(all)) = map.get_mut("allOf")
                && all.len() == 1
            {
                *value = all.remove(0);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_draft_07_and_closed() {
        for kind in SchemaKind::ALL {
            let schema = kind.schema();
            assert_eq!(schema["additionalProperties"], false, "{kind:?}");
            assert_eq!(schema["type"], "object", "{kind:?}");
            assert_eq!(
                schema["$schema"], "http://json-schema.org/draft-07/schema#",
                "{kind:?}"
            );
        }
    }

    /// Library and service files share their sources and rule keys; their definitions must
    /// not drift apart.
    #[test]
    fn shared_definitions_are_identical() {
        let defs = |k: SchemaKind| k.schema()["definitions"].clone();
        let (lib, svc) = (defs(SchemaKind::Library), defs(SchemaKind::Service));
        let lib = lib.as_object().expect("library definitions");
        for (name, def) in lib {
            assert_eq!(Some(def), svc.get(name), "definition `{name}` differs");
        }
        for kind in [SchemaKind::Manifest, SchemaKind::Service, SchemaKind::Group] {
            assert_eq!(defs(kind)["name"], lib["name"], "{kind:?}: `name` differs");
        }
    }

    /// `schemas/*.schema.json` are the generated schemas, committed.
    /// `HSM_UPDATE_SCHEMAS=1 cargo test --lib schema` rewrites them.
    #[test]
    fn the_committed_schemas_are_the_generated_ones() {
        let update = std::env::var_os("HSM_UPDATE_SCHEMAS").is_some_and(|v| v != "0");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let mut stale = Vec::new();
        for kind in SchemaKind::ALL {
            let path = dir.join(format!("{}.schema.json", kind.word()));
            let text = kind.text();
            if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
                continue;
            }
            if update {
                std::fs::write(&path, text).expect("write the schema");
            } else {
                stale.push(path.display().to_string());
            }
        }
        assert!(
            stale.is_empty(),
            "{} differ from the schemas generated from the models; regenerate them with \
             `HSM_UPDATE_SCHEMAS=1 cargo test --lib schema` and commit the result",
            stale.join(", ")
        );
    }
}
