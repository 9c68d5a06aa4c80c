//! `hsm registry library|service|group ...`: the command line of the registry edits in
//! [`crate::ops::edit_registry`], the question a removal asks, and the lines that report
//! each edit.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::output::outln;
use crate::error::{Error, ErrorKind};
use crate::ops::Workspace;
use crate::ops::edit_registry::{self as ops, Edited, Entry, Owner, Question, Removal};
use crate::registry::Kind;
use crate::registry::edit::{LibrarySource, NewGroup, NewLibrary, NewService};
use crate::vocab::Runtime;
use crate::vocab::{Strategy, is_valid_name};

/// `hsm registry library ...`
#[derive(Debug, Subcommand)]
pub enum LibraryCommand {
    /// Write libraries/NAME.yaml.
    #[command(disable_version_flag = true)]
    Add(Box<LibraryAdd>),
    /// Delete libraries/NAME.yaml (asks first; --yes to skip).
    Remove(Remove),
    /// Add or remove an implication of a library.
    #[command(subcommand)]
    Implies(ImpliesCommand),
}

/// `hsm registry service ...`
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Write services/NAME.yaml.
    #[command(disable_version_flag = true)]
    Add(Box<ServiceAdd>),
    /// Delete services/NAME.yaml (asks first; --yes to skip).
    Remove(Remove),
    /// Add or remove an implication of a service.
    #[command(subcommand)]
    Implies(ImpliesCommand),
}

/// `hsm registry group ...`
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Write library_groups/NAME.yaml or service_groups/NAME.yaml.
    Add(Box<GroupAdd>),
    /// Delete a group's file (asks first; --yes to skip).
    Remove {
        name: String,
        #[command(flatten)]
        which: WhichGroup,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Add OPTION to GROUP's options.
    AddOption {
        group: String,
        option: String,
        /// The option's description.
        #[arg(long, short = 'd')]
        description: Option<String>,
        #[command(flatten)]
        which: WhichGroup,
    },
    /// Remove OPTION from GROUP's options (and from its `default`).
    RemoveOption {
        group: String,
        option: String,
        #[command(flatten)]
        which: WhichGroup,
    },
    /// Edit a group option's rules.
    #[command(subcommand)]
    Option(OptionCommand),
}

/// `hsm registry group option ...`
#[derive(Debug, Subcommand)]
pub enum OptionCommand {
    /// Add or remove an implication of a group option.
    #[command(subcommand)]
    Implies(OptionImpliesCommand),
}

/// `hsm registry group option implies ...`
#[derive(Debug, Subcommand)]
pub enum OptionImpliesCommand {
    /// OPTION of GROUP implies TARGET (`service:X [K=V]...`, `library:X`,
    /// `service_group:G [OPTION]...`, `library_group:G [OPTION]...`).
    Add {
        group: String,
        option: String,
        target: String,
        values: Vec<String>,
        /// Replace an implication of TARGET that is already there.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        which: WhichGroup,
    },
    /// Remove the implication of TARGET from OPTION of GROUP.
    Remove {
        group: String,
        option: String,
        target: String,
        #[command(flatten)]
        which: WhichGroup,
    },
}

/// `hsm registry library|service implies ...`
#[derive(Debug, Subcommand)]
pub enum ImpliesCommand {
    /// NAME implies TARGET (`service:X [K=V]...`, `library:X`, `service_group:G [OPTION]...`,
    /// `library_group:G [OPTION]...`).
    Add {
        name: String,
        target: String,
        /// `KEY=VALUE` params for a component, option names for a group.
        values: Vec<String>,
        /// Replace an implication of TARGET that is already there.
        #[arg(long)]
        force: bool,
    },
    /// Remove NAME's implication of TARGET.
    Remove { name: String, target: String },
}

#[derive(Debug, Args)]
pub struct Remove {
    name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
}

/// Which kind of group, when a library group and a service group share a name.
#[derive(Debug, Args)]
pub struct WhichGroup {
    /// library_group or service_group (needed only when both exist with that name).
    #[arg(long = "type", short = 't', value_parser = group_type_arg(), value_name = "TYPE")]
    kind: Option<Kind>,
}

impl WhichGroup {
    /// OPTION of GROUP, as the owner of implications.
    fn owner<'a>(&self, group: &'a str, option: &'a str) -> Owner<'a> {
        Owner::Option {
            group,
            option,
            kind: self.kind,
        }
    }
}

/// `--type library_group|service_group` (the original hsm's words): a kind of group.
fn group_type_arg() -> impl clap::builder::TypedValueParser<Value = Kind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Kind::ALL.map(Kind::group_type)).map(|t| {
        if t == Kind::Library.group_type() {
            Kind::Library
        } else {
            Kind::Service
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProdType {
    Pypi,
    Git,
    Local,
}

#[derive(Debug, Args)]
pub struct LibraryAdd {
    name: String,
    /// Component version, semver [default: 0.1.0].
    #[arg(long, short = 'v')]
    version: Option<String>,
    /// A one-line description (shown by `list`, `search` and `show`).
    #[arg(long, short = 'd')]
    description: Option<String>,
    /// Where the prod source comes from.
    #[arg(long, value_enum, default_value_t = ProdType::Pypi)]
    prod_type: ProdType,
    /// git: the repository URL; pypi: the distribution name, if it is not NAME.
    #[arg(long, required_if_eq("prod_type", "git"))]
    prod_url: Option<String>,
    /// git: a tag, branch or commit.
    #[arg(long)]
    prod_ref: Option<String>,
    /// pypi: a PEP 440 specifier (`>=1.12,<2`); default: --version if given, else any release.
    #[arg(long)]
    prod_version: Option<String>,
    /// The dev source: a local path, installed editable (also the prod path with --prod-type local).
    #[arg(long, required_if_eq("prod_type", "local"))]
    dev_path: Option<String>,
    /// Never prompt (hsm's add commands take everything from flags; accepted for scripts).
    #[arg(long)]
    no_input: bool,
    /// Replace libraries/NAME.yaml if it exists (its comments are lost).
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct ServiceAdd {
    name: String,
    /// Component version (semver); optional for services.
    #[arg(long)]
    version: Option<String>,
    /// A one-line description (shown by `list`, `search` and `show`).
    #[arg(long, short = 'd')]
    description: Option<String>,
    /// The prod source: a docker image.
    #[arg(long)]
    image: Option<String>,
    /// The dev source: a build context (relative to the project).
    #[arg(long)]
    build_path: Option<String>,
    /// The Dockerfile of the dev build.
    #[arg(long, requires = "build_path")]
    dockerfile: Option<String>,
    /// A published port, compose syntax (`8080:80`).
    #[arg(long = "port", short = 'p', value_name = "PORT")]
    ports: Vec<String>,
    /// A volume, compose syntax (`data:/var/lib/x`).
    #[arg(long = "volume", short = 'v', value_name = "VOLUME")]
    volumes: Vec<String>,
    /// An environment variable, `KEY=VALUE`.
    #[arg(long = "env", short = 'e', value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// An env file read first (service level).
    #[arg(long = "env-file", value_name = "PATH")]
    env_files: Vec<String>,
    /// An env file of the prod source.
    #[arg(long = "prod-env-file", value_name = "PATH", requires = "image")]
    prod_env_files: Vec<String>,
    /// An env file of the dev source.
    #[arg(long = "dev-env-file", value_name = "PATH", requires = "build_path")]
    dev_env_files: Vec<String>,
    /// Runtime of the `default` deployment profile (`-rt` as in the original). A docker or
    /// podman service needs --image or --build-path; a uv one may have neither.
    #[arg(long, value_enum, default_value_t = Runtime::Docker)]
    runtime: Runtime,
    /// A package of a uv-run service's own environment (`-dep` as in the original);
    /// repeat for more.
    #[arg(long = "dependency", value_name = "PACKAGE")]
    dependencies: Vec<String>,
    /// Never prompt (accepted for scripts; hsm's add commands do not prompt).
    #[arg(long)]
    no_input: bool,
    /// Replace services/NAME.yaml if it exists (its comments are lost).
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct GroupAdd {
    name: String,
    /// library_group (options are libraries) or service_group (options are services).
    #[arg(long = "type", short = 't', value_parser = group_type_arg(), value_name = "TYPE", default_value = "library_group")]
    kind: Kind,
    /// 1-of-N (exactly one option) or M-of-N (any number).
    #[arg(long, short = 's', value_enum, default_value_t = Strategy::OneOfN)]
    strategy: Strategy,
    /// An option (a library or service; one the registry does not have yet is written with
    /// a warning); repeat for more.
    #[arg(long = "option", short = 'o', value_name = "OPTION")]
    options: Vec<String>,
    /// A one-line description (shown by `list`, `search` and `show`).
    #[arg(long, short = 'd')]
    description: Option<String>,
    /// Written as a comment above the group in hsm.yaml by `hsm group add`.
    #[arg(long)]
    comment: Option<String>,
    /// The option taken when something implies the group without naming one.
    #[arg(long)]
    default: Option<String>,
    /// Never prompt (accepted for scripts; hsm's add commands do not prompt).
    #[arg(long)]
    no_input: bool,
    /// Replace the group's file if it exists (its comments are lost).
    #[arg(long)]
    force: bool,
}

/// Run `hsm registry library ...` / `service ...`.
pub fn component(
    ws: &Workspace,
    kind: Kind,
    command: ComponentCommand<'_>,
) -> Result<ExitCode, Error> {
    let edited = match command {
        ComponentCommand::Library(LibraryCommand::Add(a)) => {
            ops::add_library(ws, &library_spec(a)?, a.force)?
        }
        ComponentCommand::Service(ServiceCommand::Add(a)) => {
            ops::add_service(ws, &service_spec(a)?, a.force)?
        }
        ComponentCommand::Library(LibraryCommand::Remove(r))
        | ComponentCommand::Service(ServiceCommand::Remove(r)) => {
            return remove(ws, &Entry::Component(kind, r.name.clone()), r.yes);
        }
        ComponentCommand::Library(LibraryCommand::Implies(i))
        | ComponentCommand::Service(ServiceCommand::Implies(i)) => match i {
            ImpliesCommand::Add {
                name,
                target,
                values,
                force,
            } => ops::implies_add(ws, Owner::Component(kind, name), target, values, *force)?,
            ImpliesCommand::Remove { name, target } => {
                ops::implies_remove(ws, Owner::Component(kind, name), target)?
            }
        },
    };
    report(&edited);
    Ok(ExitCode::SUCCESS)
}

/// The two nouns that share handlers.
#[derive(Debug)]
pub enum ComponentCommand<'a> {
    Library(&'a LibraryCommand),
    Service(&'a ServiceCommand),
}

/// Run `hsm registry group ...`.
pub fn group(ws: &Workspace, command: &GroupCommand) -> Result<ExitCode, Error> {
    let edited = match command {
        GroupCommand::Add(a) => ops::add_group(
            ws,
            &NewGroup {
                name: a.name.clone(),
                kind: a.kind,
                strategy: a.strategy,
                description: a.description.clone(),
                comment: a.comment.clone(),
                default: a.default.clone(),
                options: a.options.clone(),
            },
            a.force,
        )?,
        GroupCommand::Remove { name, which, yes } => {
            return remove(ws, &Entry::Group(which.kind, name.clone()), *yes);
        }
        GroupCommand::AddOption {
            group,
            option,
            description,
            which,
        } => ops::option_add(ws, group, which.kind, option, description.as_deref())?,
        GroupCommand::RemoveOption {
            group,
            option,
            which,
        } => ops::option_remove(ws, group, which.kind, option)?,
        GroupCommand::Option(OptionCommand::Implies(i)) => match i {
            OptionImpliesCommand::Add {
                group,
                option,
                target,
                values,
                force,
                which,
            } => ops::implies_add(ws, which.owner(group, option), target, values, *force)?,
            OptionImpliesCommand::Remove {
                group,
                option,
                target,
                which,
            } => ops::implies_remove(ws, which.owner(group, option), target)?,
        },
    };
    report(&edited);
    Ok(ExitCode::SUCCESS)
}

/// The notes before the change, the change, the notes after it.
fn report(edited: &Edited) {
    for note in &edited.before {
        outln!("{note}");
    }
    outln!("{}", edited.change);
    for note in &edited.after {
        outln!("{note}");
    }
}

/// `--prod-type`, `--prod-url`, `--prod-ref`, `--prod-version` and `--dev-path`, read
/// together: the library file to write.
fn library_spec(a: &LibraryAdd) -> Result<NewLibrary, Error> {
    let package = match (a.prod_type, &a.prod_url) {
        (ProdType::Pypi, Some(p)) if *p != a.name => {
            if !is_valid_name(p) {
                return Err(Error::new(
                    ErrorKind::InvalidName,
                    format!("--prod-url `{p}` is not a PyPI distribution name"),
                )
                .with_help(
                    "with --prod-type pypi, --prod-url names the distribution on PyPI \
                     (letters, digits, `-`, `_`, `.`), when it differs from NAME",
                ));
            }
            Some(p.clone())
        }
        _ => None,
    };
    let only = |flag: &str, given: bool, prod_type: ProdType| {
        if given && a.prod_type != prod_type {
            let t = prod_type
                .to_possible_value()
                .map(|v| v.get_name().to_string());
            usage_exit(
                &["registry", "library", "add"],
                &format!(
                    "{flag} applies to --prod-type {} only",
                    t.unwrap_or_default()
                ),
            );
        }
    };
    only("--prod-ref", a.prod_ref.is_some(), ProdType::Git);
    only("--prod-version", a.prod_version.is_some(), ProdType::Pypi);
    if a.prod_type == ProdType::Local && a.prod_url.is_some() {
        usage_exit(
            &["registry", "library", "add"],
            "--prod-url is not used with --prod-type local: the path is --dev-path",
        );
    }
    let prod = match a.prod_type {
        ProdType::Pypi => LibrarySource::Pypi {
            version: a.prod_version.clone().or_else(|| a.version.clone()),
        },
        ProdType::Git => LibrarySource::Git {
            url: a.prod_url.clone().unwrap_or_default(),
            git_ref: a.prod_ref.clone(),
        },
        ProdType::Local => LibrarySource::Local {
            path: a.dev_path.clone().unwrap_or_default(),
            editable: false,
        },
    };
    Ok(NewLibrary {
        name: a.name.clone(),
        version: a.version.clone().unwrap_or_else(|| "0.1.0".to_string()),
        description: a.description.clone(),
        package,
        prod,
        dev: a.dev_path.as_ref().map(|p| LibrarySource::Local {
            path: p.clone(),
            editable: true,
        }),
    })
}

/// A usage error clap cannot see (flags that contradict each other): printed the way clap
/// prints its own, with the command's usage line, and exit status 2. Nothing has been
/// written when this runs.
fn usage_exit(path: &[&str], message: &str) -> ! {
    use clap::CommandFactory as _;
    let mut cmd = super::Cli::command();
    cmd.build();
    let mut sub = &mut cmd;
    for name in path {
        sub = sub
            .find_subcommand_mut(name)
            .expect("a subcommand path of hsm's own");
    }
    sub.error(clap::error::ErrorKind::ArgumentConflict, message)
        .exit()
}

/// The service file to write; `--env` pairs split at the first `=`.
fn service_spec(a: &ServiceAdd) -> Result<NewService, Error> {
    let mut env = Vec::new();
    for pair in &a.env {
        match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => env.push((k.trim().to_string(), v.to_string())),
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("--env `{pair}` is not KEY=VALUE"),
                )
                .with_help("write `--env KEY=VALUE`, e.g. `--env POSTGRES_DB=app`"));
            }
        }
    }
    if a.image.is_none() && a.build_path.is_none() && a.runtime != Runtime::Uv {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "a {} service needs --image (its prod source) or --build-path (its dev source)",
                a.runtime
            ),
        )
        .with_help("give one or both; only a `--runtime uv` service may have neither"));
    }
    Ok(NewService {
        name: a.name.clone(),
        version: a.version.clone(),
        description: a.description.clone(),
        image: a.image.clone(),
        build: a
            .build_path
            .as_ref()
            .map(|p| (p.clone(), a.dockerfile.clone())),
        ports: a.ports.clone(),
        volumes: a.volumes.clone(),
        env,
        env_file: a.env_files.clone(),
        prod_env_file: a.prod_env_files.clone(),
        dev_env_file: a.dev_env_files.clone(),
        runtime: a.runtime.to_string(),
        dependencies: a.dependencies.clone(),
    })
}

/// Remove an entry, asking first (on a terminal; elsewhere only `--yes` removes).
fn remove(ws: &Workspace, entry: &Entry, yes: bool) -> Result<ExitCode, Error> {
    let mut confirm = |q: &Question| {
        if let Some(warning) = &q.warning {
            outln!("{warning}");
        }
        confirm(&q.question, yes, &q.command)
    };
    match ops::remove(ws, entry, &mut confirm)? {
        Removal::Aborted => {
            outln!("Aborted: nothing was removed");
            Ok(ExitCode::from(1))
        }
        Removal::Removed(edited) => {
            report(&edited);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Ask on the terminal; without one, only `--yes` removes.
fn confirm(question: &str, yes: bool, command: &str) -> Result<bool, Error> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("`{command}` asks for confirmation, and stdin is not a terminal"),
        )
        .with_help(format!(
            "pass --yes to remove it without asking: `{command} --yes`"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
