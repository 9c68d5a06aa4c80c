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
//! Each stage is a private module (`manifest`, `registry`, `solve`, `render`, `sync`),
//! the use cases are `ops`, and `cli` is the only module that prints; docs/ARCHITECTURE.md
//! has the code map. The crate's public surface is the handful of re-exports below: the
//! binary's entry point, the models and the solve.

mod cli;
mod error;
mod lint;
mod manifest;
mod ops;
mod registry;
mod render;
mod scenario;
mod schema;
mod solve;
mod source;
mod sync;
mod vocab;
mod yaml;

// The surface: what the binary and a program driving hsm use. The modules themselves
// are private, so their layout can change without breaking anyone.
pub use cli::{Cli, main, render_error};
pub use error::{Error, ErrorKind};
pub use lint::lint_files;
pub use manifest::Manifest;
pub use ops::{Notice, Workspace};
pub use registry::{Category, Registry, Store};
pub use render::{OldLock, Plan, plan};
pub use scenario::Suite;
pub use solve::hint;
pub use solve::{Conflict, Outcome, Selection, solve, solve_plain};
pub use vocab::{Kind, Mode, Runtime, Strategy, is_valid_name};

/// The parsers, editors and file formats the fuzz harness, the benchmarks and the
/// integration tests drive directly. Not a stable interface.
#[doc(hidden)]
pub mod internals {
    pub use crate::manifest::edit::Editor;
    pub use crate::manifest::model as manifest_model;
    pub use crate::registry::edit as registry_edit;
    pub use crate::registry::model as registry_model;
    pub use crate::registry::rules::Definition;
    pub use crate::registry::scan_agrees as registry_head_scan_agrees;
    pub use crate::render::{env, lock, pyproject};
    pub use crate::scenario::{Case, Equivalent, coverage, mutate};
    pub use crate::source::simple::agrees as simple_yaml_agrees;
    pub use crate::source::{KeyPath, Origin, SourceFile, parse_yaml, read_text};
    pub use crate::sync::journal;
}

/// hsm's YAML quoting policy, for the test that checks it against a YAML 1.1 reader.
#[doc(hidden)]
pub mod yaml_quoting {
    pub use crate::yaml::quote::{TRICKY, contexts, quote, quote_block, quote_key};
}
