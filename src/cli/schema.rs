//! `hsm schema`: the JSON Schemas (draft-07) of hsm.yaml and of the registry files, so
//! editors (the YAML language server, JetBrains IDEs) validate and complete them.
//!
//! The schemas are written by hand in `schemas/` and embedded here. They follow the serde
//! models in [`crate::manifest::model`] and [`crate::registry::model`] key for key
//! (`additionalProperties: false` where the model denies unknown fields); `tests/schema.rs`
//! keeps them in sync by running documents through both.

use clap::ValueEnum;

/// Which file's schema to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
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
    /// The schema as JSON text.
    pub fn text(self) -> &'static str {
        match self {
            SchemaKind::Manifest => include_str!("../../schemas/manifest.schema.json"),
            SchemaKind::Library => include_str!("../../schemas/library.schema.json"),
            SchemaKind::Service => include_str!("../../schemas/service.schema.json"),
            SchemaKind::Group => include_str!("../../schemas/group.schema.json"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_json_and_closed() {
        for kind in SchemaKind::value_variants() {
            let schema: serde_json::Value =
                serde_json::from_str(kind.text()).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert_eq!(schema["additionalProperties"], false, "{kind:?}");
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
        let defs = |k: SchemaKind| -> serde_json::Value {
            serde_json::from_str::<serde_json::Value>(k.text()).unwrap()["definitions"].clone()
        };
        let (lib, svc) = (defs(SchemaKind::Library), defs(SchemaKind::Service));
        let lib = lib.as_object().unwrap();
        for (name, def) in lib {
            assert_eq!(Some(def), svc.get(name), "definition `{name}` differs");
        }
        for kind in [SchemaKind::Manifest, SchemaKind::Service, SchemaKind::Group] {
            assert_eq!(defs(kind)["name"], lib["name"], "{kind:?}: `name` differs");
        }
    }
}
