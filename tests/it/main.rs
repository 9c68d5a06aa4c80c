//! The integration tests: one binary (`cargo test --test it`), one module per area. Each test
//! runs the real `hsm` in a temporary project through the builder in `common` and pins
//! every message it prints with `hsm_snapshot!`: the exit status, stdout and stderr in one
//! insta snapshot, inline in the test when short, else `snapshots/it__<module>__<name>.snap`.
//!
//! `cargo test --test it sync::` runs one module. The tests drive real tools (uv,
//! docker-compose, dot, check-jsonschema, validate-pyproject, strace, …): `scripts/test`
//! installs them; without one a test says it is skipped (and fails in CI).

// Tests may panic on any unexpected error: that is how they fail.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

mod artifacts;
mod bad_input;
mod cli;
mod fast_path;
mod graph;
mod hints;
mod kubernetes;
mod lint;
mod messages;
mod original;
mod packaging;
mod project;
mod property;
mod registry;
mod registry_edit;
mod resolve;
mod rule_testing;
mod scaffold;
mod schema;
mod shared_registry;
mod sync;
mod transaction;
mod uv_services;
mod yaml_quote;
