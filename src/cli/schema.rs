//! `hsm schema`: prints the JSON Schemas (draft-07) of hsm.yaml and of the registry files,
//! generated from the serde models by [`crate::schema`].

pub use crate::schema::SchemaKind;
