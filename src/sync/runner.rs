//! The external tools a sync drives: uv for Python libraries, docker/podman compose for
//! services. Each runs in the project root in a process group of its own (see
//! [`super::process`]); its output is captured and, on failure, shown to the user as the
//! tool wrote it.

use std::path::Path;
use std::process::{Command, Output};

use super::transaction::Transaction;
use crate::error::{Error, ErrorKind};
use crate::render::service_project::{Create, GitPin, ServiceProject};
use crate::vocab::ComposeTool;

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

/// Make the missing project of a service run with uv in its (new, empty) directory:
/// clone its git source at the pinned ref, or `uv init` it. Returns the commands run.
pub fn create_project(
    tx: &mut Transaction<'_>,
    project: &ServiceProject,
    create: &Create,
) -> Result<Vec<String>, Error> {
    let what = create.describe(&project.dir);
    let restored = "every file hsm wrote has been restored, and the directory it made removed";
    match create {
        Create::Clone { url, pin } => {
            let help = format!(
                "{restored}; check the git source of service `{}` in the registry (its url, and the tag, branch or rev it pins)",
                project.service
            );
            let branch = match pin {
                Some(GitPin::Named(name)) => Some(name.as_str()),
                _ => None,
            };
            clone_into(tx, &project.dir, url, branch, &what, &help)?;
            if let Some(GitPin::Rev(rev)) = pin {
                let mut checkout = git();
                checkout.args([
                    "-c",
                    "advice.detachedHead=false",
                    "checkout",
                    "--quiet",
                    "--detach",
                    rev,
                    "--",
                ]);
                checked(tx, &project.dir, &mut checkout, "git", &what, &help)?;
            }
        }
        Create::Init => {
            let help = format!(
                "{restored}; fix what uv reports, or create the project yourself (`hsm service init {} --runtime uv`)",
                project.service
            );
            let mut init = Command::new("uv");
            init.args([
                "init",
                "--quiet",
                "--app",
                "--vcs",
                "none",
                "--no-workspace",
            ])
            .env_remove("VIRTUAL_ENV");
            checked(tx, &project.dir, &mut init, "uv", &what, &help)?;
        }
    }
    Ok(vec![what])
}

/// Clone a dev-mode library's `repository:` into its (new, empty) dev path.
pub fn clone_dev_source(
    tx: &mut Transaction<'_>,
    checkout: &crate::render::pyproject::DevCheckout,
) -> Result<Vec<String>, Error> {
    let what = format!("git clone {} {}", checkout.url, checkout.dir);
    let help = format!(
        "every file hsm wrote has been restored, and the directory it made removed; check `repository:` of library `{}` in the registry (and your access to it), or put its source in {} yourself",
        checkout.library, checkout.dir
    );
    clone_into(
        tx,
        &checkout.dir,
        &checkout.url,
        checkout.rev.as_deref(),
        &what,
        &help,
    )?;
    Ok(vec![what])
}

/// `git clone [--branch <branch>] -- <url> .` in the (new, empty) project directory `dir`.
fn clone_into(
    tx: &mut Transaction<'_>,
    dir: &str,
    url: &str,
    branch: Option<&str>,
    what: &str,
    help: &str,
) -> Result<(), Error> {
    let mut clone = git();
    clone.args(["clone", "--quiet"]);
    if let Some(branch) = branch {
        clone.args(["--branch", branch]);
    }
    clone.args(["--", url, "."]);
    checked(tx, dir, &mut clone, "git", what, help)
}

/// `git`, never prompting for credentials (a sync must not hang on a terminal prompt).
fn git() -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_TERMINAL_PROMPT", "0");
    cmd
}

/// Run `cmd` in the project directory `dir` inside the transaction; a failure is an error
/// with the tool's own words.
fn checked(
    tx: &mut Transaction<'_>,
    dir: &str,
    cmd: &mut Command,
    program: &str,
    what: &str,
    help: &str,
) -> Result<(), Error> {
    let install = match program {
        "git" => "install git (Debian: apt-get install git)",
        _ => "install uv (https://docs.astral.sh/uv/)",
    };
    let out = tx
        .run_in(dir, cmd)
        .map_err(|e| cannot_start(program, &e, install))??;
    if !out.status.success() {
        return Err(failure(what, &out, help));
    }
    Ok(())
}

/// `uv lock` and `uv sync` in the project of a service run with uv, with the service's
/// environment (so that its builds see it) and never the caller's virtual environment.
pub fn uv_in_service(
    tx: &mut Transaction<'_>,
    project: &ServiceProject,
    mode: UvLock,
) -> Result<Vec<String>, Error> {
    let help = format!(
        "every file hsm wrote has been restored; fix the problem uv reports in {} (the service's `dependencies` or its environment) and sync again",
        project.dir
    );
    let mut ran = Vec::new();
    for step in mode.steps() {
        let what = format!("uv {} (in {})", step.join(" "), project.dir);
        let mut cmd = Command::new("uv");
        cmd.args(*step)
            .env_remove("VIRTUAL_ENV")
            .env_remove("UV_PROJECT_ENVIRONMENT")
            .envs(project.env.iter().map(|(k, v)| (k, v)));
        checked(tx, &project.dir, &mut cmd, "uv", &what, &help)?;
        ran.push(what);
    }
    Ok(ran)
}

/// The first of `candidates` that is installed and works (`<tool> version` succeeds).
pub fn find_compose(candidates: &[ComposeTool]) -> Result<ComposeTool, Error> {
    for &tool in candidates {
        let (program, prefix) = tool.command();
        let works = Command::new(program)
            .args(prefix)
            .arg("version")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if works {
            return Ok(tool);
        }
    }
    let tried: Vec<String> = candidates.iter().map(|t| format!("`{t}`")).collect();
    Err(Error::new(
        ErrorKind::Io,
        format!(
            "no compose tool to start the services: {} not found",
            crate::vocab::or_list(tried)
        ),
    )
    .with_help(
        "install Docker with the compose plugin (Debian: docker-compose-plugin), docker-compose, or podman with podman-compose; `project.container_engine` in hsm.yaml pins one",
    ))
}

/// `<tool> -f docker-compose.hsm.yml <args>`.
pub fn compose(root: &Path, tool: ComposeTool, args: &[&str]) -> Result<(), Error> {
    let (program, prefix) = tool.command();
    let mut full: Vec<&str> = prefix.to_vec();
    full.extend(["-f", crate::render::compose::COMPOSE_FILE]);
    full.extend_from_slice(args);
    let help = format!("install {tool}, or set `project.container_engine` in hsm.yaml");
    let out = super::process::run(
        Command::new(program).args(&full).current_dir(root),
        &mut |_| Ok(()),
    )
    .map_err(|e| cannot_start(program, &e, &help))??;
    if !out.status.success() {
        let help = if args.first() == Some(&"down") {
            "fix what the engine reports and run `hsm down` again"
        } else {
            "hsm.yaml's files are written and kept; fix what the engine reports and run `hsm sync --up` again"
        };
        return Err(failure(
            &format!("{program} {}", full.join(" ")),
            &out,
            help,
        ));
    }
    Ok(())
}
