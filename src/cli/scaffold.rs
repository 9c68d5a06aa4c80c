//! `hsm library init` and `hsm service init`: [`crate::ops::scaffold`], reported.

use std::path::Path;
use std::process::ExitCode;

use super::output::outln;
use crate::error::Error;
use crate::ops::Workspace;
use crate::ops::scaffold::{Plan, scaffold};
use crate::registry::Kind;
use crate::vocab::Runtime;

pub fn library(
    ws: &Workspace,
    name: &str,
    path: Option<&Path>,
    git_init: bool,
    register: bool,
) -> Result<ExitCode, Error> {
    run(
        ws,
        &Plan {
            kind: Kind::Library,
            name,
            runtime: None,
            path,
            git_init,
            register,
        },
    )
}

pub fn service(
    ws: &Workspace,
    name: &str,
    runtime: Option<Runtime>,
    path: Option<&Path>,
    git_init: bool,
    register: bool,
) -> Result<ExitCode, Error> {
    run(
        ws,
        &Plan {
            kind: Kind::Service,
            name,
            runtime,
            path,
            git_init,
            register,
        },
    )
}

fn run(ws: &Workspace, plan: &Plan<'_>) -> Result<ExitCode, Error> {
    outln!("{}", scaffold(ws, plan)?);
    Ok(ExitCode::SUCCESS)
}
