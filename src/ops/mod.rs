//! The use cases of hsm, one per file: an options value in, an outcome value out.
//!
//! An op never parses arguments and never prints: `cli/` turns arguments into the
//! options, calls one op, and renders its outcome as text or JSON. What an op has to say
//! while it works (waiting for the lock, a rollback) goes through
//! [`Workspace::notify`]. Ops and `sync/` are the only code that writes to disk.

pub mod check;
pub mod edit_manifest;
pub mod graph;
pub mod init;
pub mod list;
pub mod names;
pub mod render_kubernetes;
pub mod resolve;
pub mod sync;
pub mod why;
// Registry use cases (branch regops).
pub mod edit_registry;
pub mod env;
pub mod registry_check;
pub mod registry_update;
pub mod registry_view;
pub mod scaffold;
mod workspace;

pub use workspace::{Notice, Workspace, discover_root};
