//! hsm (Hyper Stack Manager): declarative stacks of Python libraries and Docker services.
//!
//! Data flows one way, one module per stage:
//!
//! ```text
//! hsm.yaml ──┐
//!            ├─ load ─► compile ─► solve ─► (plan ─► commit ─► run)
//! registry ──┘
//! ```
//!
//! - [`manifest`]: hsm.yaml, the project's intent;
//! - [`registry`]: the components and their rules, loaded lazily;
//! - [`solve`]: rules → pubgrub problem → [`solve::Selection`] or [`solve::Conflict`];
//! - [`scenario`]: rule-set tests for registry maintainers (`hsm registry test`);
//! - [`lint`]: every check of a whole registry (`hsm registry lint`);
//! - [`schema`]: the JSON Schemas of hsm.yaml and the registry files, from the models;
//! - [`cli`]: argument parsing and one handler per command; the only module that prints.
//!
//! [`source`] and [`error`] are shared: file positions and the one error type.

pub mod cli;
pub mod error;
pub mod lint;
pub mod manifest;
pub mod ops;
pub mod registry;
pub mod render;
pub mod scenario;
pub mod schema;
pub mod solve;
pub mod source;
pub mod sync;
pub mod vocab;
pub(crate) mod yaml;

pub use error::{Error, ErrorKind};

/// hsm's YAML quoting policy, for the test that checks it against a YAML 1.1 reader.
#[doc(hidden)]
pub mod yaml_quoting {
    pub use crate::yaml::quote::{TRICKY, contexts, quote, quote_block, quote_key};
}
