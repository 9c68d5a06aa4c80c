//! The external tools a sync drives: uv for Python libraries, docker/podman compose for
//! services. Each runs in the project root; its output is captured and, on failure,
//! shown to the user as the tool wrote it.

use std::path::Path;
use std::process::{Command, Output};

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

fn spawn(root: &Path, program: &str, args: &[&str], missing_help: &str) -> Result<Output, Error> {
    Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| {
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
        })
}

/// `uv lock`, then `uv sync`.
pub fn uv(root: &Path) -> Result<(), Error> {
    let help = "install uv (https://docs.astral.sh/uv/), or run `hsm sync --no-install` to write the files without installing";
    for step in [["lock"], ["sync"]] {
        let out = spawn(root, "uv", &step, help)?;
        if !out.status.success() {
            return Err(failure(
                &format!("uv {}", step[0]),
                &out,
                "every file hsm wrote has been restored; fix the problem uv reports (or the registry source it points at) and sync again",
            ));
        }
    }
    Ok(())
}

/// `docker compose -f docker-compose.hsm.yml <args>` (or `podman compose`).
pub fn compose(root: &Path, engine: &str, args: &[&str]) -> Result<(), Error> {
    let mut full = vec!["compose", "-f", super::super::render::compose::COMPOSE_FILE];
    full.extend_from_slice(args);
    let help = format!(
        "install {engine} with the compose plugin, or set `project.container_engine` in hsm.yaml"
    );
    let out = spawn(root, engine, &full, &help)?;
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
