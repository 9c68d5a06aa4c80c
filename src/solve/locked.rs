//! A selection rebuilt from the stack hsm.lock records, without solving
//! (`hsm sync --frozen`).
//!
//! The caller (sync) reads hsm.lock and hands over its pins as plain values; this module
//! turns them into the solver's packages and builds the [`Selection`] exactly as a solve
//! would have, so that `--frozen` renders what the lock says even if hsm.yaml changed.

use super::compile::Compiler;
use super::package::{Pkg, Ver};
use super::selection::Selection;
use crate::error::{Error, ErrorKind};
use crate::manifest::Manifest;
use crate::registry::{Kind, Registry};

/// A component version hsm.lock records.
#[derive(Debug, Clone, Copy)]
pub struct Pin<'a> {
    pub kind: Kind,
    pub name: &'a str,
    /// `None`: the component has no versions.
    pub version: Option<&'a str>,
}

/// The options of a group hsm.lock records as selected.
#[derive(Debug, Clone, Copy)]
pub struct GroupPin<'a> {
    pub kind: Kind,
    pub name: &'a str,
    pub options: &'a [String],
}

/// "hsm.lock names X, which the registry does not have".
pub fn stale(what: String) -> Error {
    Error::new(
        ErrorKind::InvalidValue,
        format!("hsm.lock names {what}, which the registry does not have"),
    )
    .with_help("run `hsm sync` without --frozen to re-solve and rewrite hsm.lock")
}

/// The selection of exactly these pins (modes and profiles as `manifest` gives them; the
/// caller applies hsm.lock's own).
pub fn from_pins(
    manifest: &Manifest,
    registry: &Registry,
    components: &[Pin<'_>],
    groups: &[GroupPin<'_>],
) -> Result<Selection, Error> {
    let compiler = Compiler::new(manifest, registry);
    let mut solution: Vec<(Pkg, Ver)> = vec![(Pkg::Root, Ver::ONE)];
    for c in components {
        let component = registry
            .component(c.kind, c.name)?
            .ok_or_else(|| stale(format!("the {} `{}`", c.kind, c.name)))?;
        let index = component
            .versions
            .iter()
            .position(|v| v.version.as_ref().map(ToString::to_string).as_deref() == c.version)
            .ok_or_else(|| {
                stale(format!(
                    "`{}` {}",
                    c.name,
                    c.version.unwrap_or("(unversioned)")
                ))
            })?;
        solution.push((
            Pkg::Component(c.kind, c.name.into()),
            Ver::from_index(index),
        ));
    }
    for g in groups {
        let group = registry
            .group(g.kind, g.name)?
            .ok_or_else(|| stale(format!("the {} group `{}`", g.kind, g.name)))?;
        for o in g.options {
            let i = group
                .option_index(o)
                .ok_or_else(|| stale(format!("option `{o}` of group `{}`", g.name)))?;
            solution.push(Pkg::option(g.kind, g.name, group.strategy, i));
        }
    }
    Selection::from_solution(solution, &compiler)
}
