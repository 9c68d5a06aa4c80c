//! The external tools a sync drives: uv for Python libraries, docker/podman compose for
//! services. Each runs in the project root in a process group of its own (see
//! [`super::process`]); its output is captured and, on failure, shown to the user as the
//! tool wrote it.

use std::path::Path;
use std::process::{Command, Output};

use super::transaction::Transaction;
use crate::error::{Error, ErrorKind};

/// How a finished tool ended (`exit status 1`, `a signal`) and what it said (stderr, or
/// stdout when stderr is empty), for error messages.
pub fn describe(out: &Output) -> (String, String) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let said = if stderr.trim().is_empty() {
        stdout.trim().to_string()
    } else {
        stderr.trim().to_string()
    };
    let code = out
        .status
        .code()
        .map_or_else(|| "a signal".to_string(), |c| format!("exit status {c}"));
    (code, said)
}

/// A tool invocation that failed, with the tool's own output.
fn failure(what: &str, out: &Output, help: &str) -> Error {
    let (code, text) = describe(out);
    Error::new(ErrorKind::Io, format!("`{what}` failed ({code}):\n{text}"))
        .with_help(help.to_string())
}

fn cannot_start(program: &str, e: &std::io::Error, missing_help: &str) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::new(
            ErrorKind::Io,
            format!("`{program}` is not installed (or not on PATH)"),
        )
        .with_help(missing_help.to_string())
    } else {
        Error::new(ErrorKind::Io, format!("cannot run `{program}`: {e}"))
            .with_help(missing_help.to_string())
    }
}

/// How uv may treat uv.lock, from `hsm sync`'s own flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UvLock {
    /// `uv lock` then `uv sync`: uv.lock is updated as needed.
    Update,
    /// `--locked`: `uv lock --locked` and `uv sync --locked`; uv fails if uv.lock is
    /// missing or out of date instead of writing it.
    Locked,
    /// `--frozen`: `uv sync --frozen`; uv installs what uv.lock says without checking it.
    Frozen,
}

impl UvLock {
    /// The uv commands to run, in order.
    pub fn steps(self) -> &'static [&'static [&'static str]] {
        match self {
            UvLock::Update => &[&["lock"], &["sync"]],
            UvLock::Locked => &[&["lock", "--locked"], &["sync", "--locked"]],
            UvLock::Frozen => &[&["sync", "--frozen"]],
        }
    }
}

/// Run uv inside the transaction; returns the commands run, for the report.
pub fn uv(tx: &mut Transaction<'_>, mode: UvLock) -> Result<Vec<String>, Error> {
    let help = "install uv (https://docs.astral.sh/uv/), or run `hsm sync --no-install` to write the files without installing";
    let mut ran = Vec::new();
    for step in mode.steps() {
        let what = format!("uv {}", step.join(" "));
        let out = tx
            .run(Command::new("uv").args(*step))
            .map_err(|e| cannot_start("uv", &e, help))??;
        if !out.status.success() {
            let help = match mode {
                UvLock::Locked => {
                    "every file hsm wrote has been restored; uv.lock is missing or out of date: run `hsm sync` without --locked to update it, and commit it"
                }
                UvLock::Frozen => {
                    "every file hsm wrote has been restored; `--frozen` installs exactly what uv.lock says: run `hsm sync` without --frozen if uv.lock is missing"
                }
                UvLock::Update => {
                    "every file hsm wrote has been restored; fix the problem uv reports (or the registry source it points at) and sync again"
                }
            };
            return Err(failure(&what, &out, help));
        }
        ran.push(what);
    }
    Ok(ran)
}

/// `docker compose -f docker-compose.hsm.yml <args>` (or `podman compose`).
pub fn compose(root: &Path, engine: &str, args: &[&str]) -> Result<(), Error> {
    let mut full = vec!["compose", "-f", crate::render::compose::COMPOSE_FILE];
    full.extend_from_slice(args);
    let help = format!(
        "install {engine} with the compose plugin, or set `project.container_engine` in hsm.yaml"
    );
    let out = super::process::run(
        Command::new(engine).args(&full).current_dir(root),
        &mut |_| Ok(()),
    )
    .map_err(|e| cannot_start(engine, &e, &help))??;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        // Without the compose plugin, `docker compose -f` reads as `docker -f`.
        let help = if said.contains("unknown shorthand flag: 'f'")
            || said.contains("is not a docker command")
        {
            format!(
                "`{engine} compose` is not available: install the compose plugin (Debian: docker-compose-plugin)"
            )
        } else if args.first() == Some(&"down") {
            "fix what the engine reports and run `hsm down` again".to_string()
        } else {
            "hsm.yaml's files are written and kept; fix what the engine reports and run `hsm sync --up` again".to_string()
        };
        return Err(failure(
            &format!("{engine} {}", full.join(" ")),
            &out,
            &help,
        ));
    }
    Ok(())
}
