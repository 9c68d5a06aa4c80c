//! The command line: clap definitions, shared context, and one handler file per noun.
//! This is the only module that prints or decides exit codes.

mod check;
mod complete;
mod env;
mod graph;
mod output;
mod progress;
mod project;
mod registry;
mod registry_edit;
mod registry_view;
mod render;
mod resolve;
mod scaffold;
mod schema;
mod sync;
mod why;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::Error;
use crate::manifest::Mode;
use crate::ops::Workspace;
use crate::ops::edit_manifest::ManifestEdit;
use crate::registry::Kind;

use output::outln;
pub use output::render_error;

/// Hyper Stack Manager (hsm): declarative stacks of Python libraries and Docker services.
#[derive(Debug, Parser)]
#[command(name = "hsm", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Registry directory (overrides HSM_REGISTRY_PATH, `registry:` in hsm.yaml and ./hsm-registry).
    #[arg(long, short = 'r', global = true, value_name = "PATH")]
    pub registry: Option<PathBuf>,

    /// Run as if hsm was started in DIR (the project root, holding hsm.yaml).
    #[arg(long, global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// Seconds a command that changes the project waits for another hsm using it (0: fail at
    /// once).
    #[arg(long, global = true, value_name = "SECS", env = "HSM_LOCK_TIMEOUT", hide_env_values = true, default_value_t = crate::sync::lock::DEFAULT_TIMEOUT.as_secs())]
    pub lock_timeout: u64,

    /// Read git registries from the cache only; never fetch.
    #[arg(long, global = true)]
    pub offline: bool,

    /// Print no progress line and no notices (errors still go to stderr).
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Show each command hsm runs (uv, git, compose) and stream its output.
    #[arg(long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Solve hsm.yaml against the registry and print the stack.
    Resolve {
        /// Show, for each component, the chain of rules from hsm.yaml that brought it in.
        #[arg(long)]
        explain: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Explain why a component is in the stack.
    Why {
        /// A library or service name.
        #[arg(add = complete::components())]
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Check hsm.yaml, the registry files it uses, and that the stack solves. Writes nothing.
    Check {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also fail if hsm.lock is missing or would change (for CI).
        #[arg(long)]
        locked: bool,
    },
    /// The environment variables the stack reads when it runs (`${VAR}` in env, ports,
    /// volumes, images, commands), where each is used, and whether it is set.
    Env {
        /// Exit 1 if a variable without a default is unset (for CI).
        #[arg(long)]
        check: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write pyproject.toml, docker-compose.hsm.yml, .env files and hsm.lock for the stack,
    /// in one transaction, then run `uv lock` and `uv sync`.
    Sync {
        /// Print a unified diff of every file; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the files but do not run uv.
        #[arg(long)]
        no_install: bool,
        /// Fail if solving would change hsm.lock (for CI).
        #[arg(long, conflicts_with = "frozen")]
        locked: bool,
        /// Render from hsm.lock without solving.
        #[arg(long)]
        frozen: bool,
        /// Also start the services: `docker compose -f docker-compose.hsm.yml up -d --remove-orphans`.
        #[arg(long)]
        up: bool,
        /// Accepted from the original hsm (its default): hsm checks the whole stack before it
        /// writes anything, so a sync that succeeds is verified.
        #[arg(long, overrides_with = "no_verify")]
        verify: bool,
        /// Accepted from the original hsm: there is no separate verification to skip.
        #[arg(long, overrides_with = "verify")]
        no_verify: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Stop the services started by `hsm sync --up`.
    Down,
    /// Start a project: write hsm.yaml (and a minimal pyproject.toml if there is none).
    Init {
        /// Project name (default: the directory's name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Choose options of the registry's choice groups.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Add, remove or set the mode of libraries; create a new one.
    #[command(subcommand)]
    Library(LibraryCommand),
    /// Add, remove or set the mode of services; create a new one.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Set the mode (dev or prod) of the named components, or of every component in hsm.yaml.
    Mode {
        #[arg(value_enum)]
        mode: Mode,
        #[arg(add = complete::components())]
        names: Vec<String>,
        #[command(flatten)]
        flags: EditFlags,
    },
    /// Show the stack as a tree, with versions and modes.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the stack, or the whole registry, as a Graphviz DOT or Mermaid graph.
    ///
    /// The stack: hsm.yaml, choice groups, components, and every rule that brought one
    /// from another, each labelled with the rule and its file:line.
    Graph {
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        /// Every component, group option and rule of the registry, not just the stack.
        #[arg(long)]
        registry_wide: bool,
    },
    /// The Python package manager hsm.yaml names (hsm drives uv only).
    #[command(subcommand, name = "python-manager")]
    PythonManager(PythonManagerCommand),
    /// Render the stack for another platform: `hsm render kubernetes`.
    #[command(subcommand)]
    Render(render::RenderCommand),
    /// Work with the registry itself.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Print a shell completion script, e.g. `source <(hsm completions bash)`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the JSON Schema of hsm.yaml or of a registry file, for editors.
    Schema {
        #[arg(value_enum)]
        kind: schema::SchemaKind,
    },
}

/// `hsm python-manager ...`
#[derive(Debug, Subcommand)]
pub enum PythonManagerCommand {
    /// Write `libraries.package_manager: NAME` into hsm.yaml (sync refuses anything but uv).
    Set { name: String },
}

/// Output syntax of `hsm graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT (`hsm graph | dot -Tsvg > stack.svg`).
    Dot,
    /// A Mermaid flowchart (paste into Markdown in a ```mermaid block).
    Mermaid,
}

/// What every edit of hsm.yaml takes.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct EditFlags {
    /// Write hsm.yaml even if the stack would not solve.
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Select OPTION in GROUP (1-of-N: replaces the selection; M-of-N: adds to it).
    Add {
        #[arg(add = complete::groups())]
        group: String,
        #[arg(long, short = 'o', add = complete::components())]
        option: String,
        #[command(flatten)]
        flags: EditFlags,
    },
    /// Add OPTION to GROUP's selection (same as `group add`).
    AddOption {
        #[arg(add = complete::groups())]
        group: String,
        #[arg(add = complete::components())]
        option: String,
        #[command(flatten)]
        flags: EditFlags,
    },
    /// Remove OPTION from GROUP's selection.
    RemoveOption {
        #[arg(add = complete::groups())]
        group: String,
        #[arg(add = complete::components())]
        option: String,
        #[command(flatten)]
        flags: EditFlags,
    },
    /// Remove GROUP from hsm.yaml.
    Remove {
        #[arg(add = complete::groups())]
        group: String,
        #[command(flatten)]
        flags: EditFlags,
    },
}

#[derive(Debug, Subcommand)]
pub enum ComponentCommand {
    /// Add NAME (standalone, or as an option of --group).
    Add {
        #[arg(add = complete::components())]
        name: String,
        #[arg(long, short = 'g', add = complete::groups())]
        group: Option<String>,
        /// Deployment profile (services only).
        #[arg(long, add = complete::profiles())]
        profile: Option<String>,
        #[command(flatten)]
        flags: EditFlags,
    },
    /// Remove NAME (standalone, or from --group's selection).
    Remove {
        #[arg(add = complete::components())]
        name: String,
        #[arg(long, short = 'g', add = complete::groups())]
        group: Option<String>,
        #[command(flatten)]
        flags: EditFlags,
    },
    /// Set NAME's mode.
    Mode {
        #[arg(add = complete::components())]
        name: String,
        #[arg(value_enum)]
        mode: Mode,
        #[command(flatten)]
        flags: EditFlags,
    },
}

#[derive(Debug, Subcommand)]
pub enum LibraryCommand {
    #[command(flatten)]
    Project(ComponentCommand),
    /// Create a uv library project (packages/NAME) and register it in the project's registry.
    Init {
        /// The library's name (also its Python distribution name).
        name: String,
        /// The directory to create, inside the project (default: packages/NAME).
        #[arg(long, short = 'p', value_name = "PATH")]
        path: Option<PathBuf>,
        /// Also make it a git repository of its own (`git init`).
        #[arg(long)]
        git_init: bool,
        /// Do not write libraries/NAME.yaml into the registry.
        #[arg(long, overrides_with = "register")]
        no_register: bool,
        /// Register it (the default; the opposite of --no-register).
        #[arg(long, overrides_with = "no_register", hide = true)]
        register: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    #[command(flatten)]
    Project(ComponentCommand),
    /// Create a service (services/NAME) and register it in the project's registry.
    Init {
        /// The service's name.
        name: String,
        /// docker/podman: a directory with a Dockerfile; uv: a uv project [default: the
        /// runtime the registry gives NAME, else docker].
        #[arg(long, value_enum)]
        runtime: Option<crate::vocab::Runtime>,
        /// The directory to create, inside the project (default: services/NAME).
        #[arg(long, short = 'p', value_name = "PATH")]
        path: Option<PathBuf>,
        /// Also make it a git repository of its own (`git init`).
        #[arg(long)]
        git_init: bool,
        /// Do not write services/NAME.yaml into the registry.
        #[arg(long, overrides_with = "register")]
        no_register: bool,
        /// Register it (the default; the opposite of --no-register).
        #[arg(long, overrides_with = "no_register", hide = true)]
        register: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Run rule-set scenario files (default: ./rules) and report each case.
    Test {
        /// Scenario files or directories of them.
        paths: Vec<PathBuf>,
        /// Run only the cases whose name contains NAME.
        #[arg(long, value_name = "NAME")]
        filter: Option<String>,
        /// Report which rules of the registry the cases made matter, and list the others.
        #[arg(long)]
        coverage: bool,
        /// Fail when rule coverage is below PCT percent (implies --coverage).
        #[arg(long, value_name = "PCT", value_parser = percent)]
        min_coverage: Option<f64>,
        /// Change one rule of the registry at a time in memory and report each change no
        /// case notices (exit 1 if any survives).
        #[arg(long)]
        mutate: bool,
        /// Also write the results as JUnit XML to FILE, for CI systems.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Fetch the git registries the project uses and move hsm.lock's pins to what their
    /// refs point at now.
    Update,
    /// Check the whole registry: broken files, dangling rules, options no stack can hold,
    /// implication cycles, missing sources, duplicate names.
    Lint {
        /// Exit 1 on warnings too (errors always fail).
        #[arg(long)]
        deny_warnings: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List every library, service and group of the registry.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Find entries whose name or description contains QUERY (any case).
    Search {
        query: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show an entry's rules in words, and what in the registry points at it.
    Show {
        #[arg(add = complete::entries())]
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Add, remove or edit the libraries of the registry.
    #[command(subcommand)]
    Library(registry_edit::LibraryCommand),
    /// Add, remove or edit the services of the registry.
    #[command(subcommand)]
    Service(registry_edit::ServiceCommand),
    /// Add, remove or edit the choice groups of the registry.
    #[command(subcommand)]
    Group(registry_edit::GroupCommand),
    /// The registry this project uses.
    #[command(subcommand)]
    Path(RegistryPathCommand),
}

/// `hsm registry path ...`
#[derive(Debug, Subcommand)]
pub enum RegistryPathCommand {
    /// Write `registry: PATH` into hsm.yaml: the project's registry from now on (a
    /// directory, relative to the project root; --registry and HSM_REGISTRY_PATH still
    /// come first).
    Set { path: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The workspace the command line describes.
fn workspace(cli: &Cli) -> Result<Workspace, Error> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(Path::new("."), &e))?;
    let start = match &cli.directory {
        Some(d) => cwd.join(d),
        None => cwd.clone(),
    };
    // `hsm init` makes a project where it is run; every other command works on the
    // project around it, as cargo and uv do.
    let root = if matches!(cli.command, Command::Init { .. }) {
        start
    } else {
        crate::ops::discover_root(&start)
    };
    Ok(Workspace {
        root,
        cwd,
        registry_flag: cli.registry.clone(),
        registry_env: std::env::var_os("HSM_REGISTRY_PATH").map(PathBuf::from),
        lock_timeout: std::time::Duration::from_secs(cli.lock_timeout),
        offline: cli.offline,
        notify: if cli.quiet {
            |_| {}
        } else {
            |notice| {
                if !notice.verbose_only() || progress::verbose() {
                    eprintln!("hsm: {notice}")
                }
            }
        },
    })
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // `COMPLETE=<shell> hsm …`: print completions (names from the project's registry) and
    // exit; otherwise nothing happens here.
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command).complete();
    let cli = Cli::parse_from(original_spellings(std::env::args_os()));
    if let Some(code) = print_only(&cli.command) {
        return code;
    }
    progress::install(if cli.quiet {
        progress::Verbosity::Quiet
    } else if cli.verbose {
        progress::Verbosity::Verbose
    } else {
        progress::Verbosity::Normal
    });
    let json = cli.command.format() == Format::Json;
    let result = workspace(&cli).and_then(|ctx| {
        // Commands that change the project recover under the lock they take themselves.
        if !changes_project(&cli.command) {
            ctx.recover_if_interrupted()?;
        }
        run(&ctx, &cli.command)
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            if json {
                outln!(
                    "{}",
                    serde_json::json!({"status": "error", "error": err.to_json()})
                );
            } else {
                eprint!("{}", render_error(&err));
            }
            ExitCode::from(1)
        }
    }
}

/// The original hsm's multi-letter short flags, which clap cannot express: `-rt` is
/// `--runtime` and `-dep` is `--dependency` after `service add`/`service init`. Anywhere
/// else they keep clap's meaning (`-rt` elsewhere is `-r t`, a registry named `t`).
fn original_spellings(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let args: Vec<std::ffi::OsString> = args.collect();
    let is = |a: &std::ffi::OsString, s: &str| a.to_str() == Some(s);
    let in_service_add =
        args.iter().any(|a| is(a, "service")) && args.iter().any(|a| is(a, "add") || is(a, "init"));
    if !in_service_add {
        return args;
    }
    args.into_iter()
        .map(|a| match a.to_str() {
            Some("-rt") => "--runtime".into(),
            Some("-dep") => "--dependency".into(),
            _ => a,
        })
        .collect()
}

impl EditFlags {
    fn text() -> EditFlags {
        EditFlags {
            force: false,
            format: Format::Text,
        }
    }
}

impl Command {
    /// The flags of an edit of hsm.yaml.
    fn edit_flags(&self) -> Option<EditFlags> {
        let component = |c: &ComponentCommand| match c {
            ComponentCommand::Add { flags, .. }
            | ComponentCommand::Remove { flags, .. }
            | ComponentCommand::Mode { flags, .. } => *flags,
        };
        match self {
            Command::Mode { flags, .. } => Some(*flags),
            Command::Group(g) => Some(group(g).1),
            Command::Library(LibraryCommand::Project(c))
            | Command::Service(ServiceCommand::Project(c)) => Some(component(c)),
            _ => None,
        }
    }

    /// The `--format` the command was given (text for commands without one): an error
    /// is reported in that format too.
    fn format(&self) -> Format {
        match self {
            Command::Resolve { format, .. }
            | Command::Why { format, .. }
            | Command::Check { format, .. }
            | Command::Env { format, .. }
            | Command::List { format }
            | Command::Sync { format, .. }
            | Command::Registry(
                RegistryCommand::Lint { format, .. }
                | RegistryCommand::Test { format, .. }
                | RegistryCommand::List { format }
                | RegistryCommand::Search { format, .. }
                | RegistryCommand::Show { format, .. },
            ) => *format,
            other => other.edit_flags().map_or(Format::Text, |f| f.format),
        }
    }
}

/// Does this command change the project (and so take the project lock)?
fn changes_project(command: &Command) -> bool {
    match command {
        Command::Resolve { .. }
        | Command::Why { .. }
        | Command::Check { .. }
        | Command::Env { .. }
        | Command::List { .. }
        | Command::Graph { .. }
        | Command::Completions { .. }
        | Command::Schema { .. } => false,
        Command::Sync { dry_run, .. } => !dry_run,
        Command::Registry(r) => !matches!(
            r,
            RegistryCommand::Test { .. }
                | RegistryCommand::Lint { .. }
                | RegistryCommand::List { .. }
                | RegistryCommand::Search { .. }
                | RegistryCommand::Show { .. }
        ),
        _ => true,
    }
}

/// Commands that only print something fixed: they need no project and run no recovery.
fn print_only(command: &Command) -> Option<ExitCode> {
    match command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            let mut cli = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cli, "hsm", &mut script);
            output::emit(format_args!("{}", String::from_utf8_lossy(&script)));
        }
        Command::Schema { kind } => output::emit(format_args!("{}", kind.text())),
        _ => return None,
    }
    Some(ExitCode::SUCCESS)
}

/// The hsm.yaml edit of `hsm library|service add|remove|mode`.
fn component(kind: Kind, command: &ComponentCommand) -> (ManifestEdit, EditFlags) {
    match command {
        ComponentCommand::Add {
            name,
            group: Some(group),
            profile,
            flags,
        } => (
            ManifestEdit::Select {
                group: group.clone(),
                option: name.clone(),
                kind: Some(kind),
                profile: profile.clone(),
            },
            *flags,
        ),
        ComponentCommand::Add {
            name,
            group: None,
            profile,
            flags,
        } => (
            ManifestEdit::Add {
                kind,
                name: name.clone(),
                profile: profile.clone(),
            },
            *flags,
        ),
        ComponentCommand::Remove {
            name,
            group: Some(group),
            flags,
        } => (
            ManifestEdit::Unselect {
                group: group.clone(),
                option: name.clone(),
            },
            *flags,
        ),
        ComponentCommand::Remove {
            name,
            group: None,
            flags,
        } => (
            ManifestEdit::Remove {
                kind,
                name: name.clone(),
            },
            *flags,
        ),
        ComponentCommand::Mode { name, mode, flags } => (
            ManifestEdit::SetMode {
                mode: *mode,
                names: vec![name.clone()],
                kind: Some(kind),
            },
            *flags,
        ),
    }
}

/// The hsm.yaml edit of `hsm group ...`.
fn group(command: &GroupCommand) -> (ManifestEdit, EditFlags) {
    match command {
        GroupCommand::Add {
            group,
            option,
            flags,
        }
        | GroupCommand::AddOption {
            group,
            option,
            flags,
        } => (
            ManifestEdit::Select {
                group: group.clone(),
                option: option.clone(),
                kind: None,
                profile: None,
            },
            *flags,
        ),
        GroupCommand::RemoveOption {
            group,
            option,
            flags,
        } => (
            ManifestEdit::Unselect {
                group: group.clone(),
                option: option.clone(),
            },
            *flags,
        ),
        GroupCommand::Remove { group, flags } => (
            ManifestEdit::RemoveGroup {
                group: group.clone(),
            },
            *flags,
        ),
    }
}

fn run(ctx: &Workspace, command: &Command) -> Result<ExitCode, Error> {
    match command {
        Command::Resolve { explain, format } => resolve::run(ctx, *explain, *format),
        Command::Why { name, format } => why::run(ctx, name, *format),
        Command::Check { format, locked } => check::run(ctx, *format, *locked),
        Command::Sync {
            dry_run,
            no_install,
            locked,
            frozen,
            up,
            format,
            ..
        } => {
            let options = crate::ops::sync::SyncOptions {
                sync: crate::sync::Options {
                    dry_run: *dry_run,
                    no_install: *no_install,
                    locked: *locked,
                    frozen: *frozen,
                },
                up: *up,
                // The JSON report describes the whole stack, which the fast path never
                // loads.
                fast_path: *format != Format::Json,
            };
            sync::run(ctx, options, *format)
        }
        Command::Down => sync::down(ctx),
        Command::Init { name } => project::init(ctx, name.as_deref()),
        Command::Group(g) => {
            let (edit, flags) = group(g);
            project::edit(ctx, edit, flags)
        }
        Command::Library(LibraryCommand::Project(c)) => {
            let (edit, flags) = component(Kind::Library, c);
            project::edit(ctx, edit, flags)
        }
        Command::Service(ServiceCommand::Project(c)) => {
            let (edit, flags) = component(Kind::Service, c);
            project::edit(ctx, edit, flags)
        }
        Command::Library(LibraryCommand::Init {
            name,
            path,
            git_init,
            no_register,
            ..
        }) => scaffold::library(ctx, name, path.as_deref(), *git_init, !*no_register),
        Command::Service(ServiceCommand::Init {
            name,
            runtime,
            path,
            git_init,
            no_register,
            ..
        }) => scaffold::service(
            ctx,
            name,
            *runtime,
            path.as_deref(),
            *git_init,
            !*no_register,
        ),
        Command::Mode { mode, names, flags } => project::edit(
            ctx,
            ManifestEdit::SetMode {
                mode: *mode,
                names: names.clone(),
                kind: None,
            },
            *flags,
        ),
        Command::List { format } => project::list(ctx, *format),
        Command::Env { check, format } => env::run(ctx, *check, *format),
        Command::Registry(RegistryCommand::Test {
            paths,
            filter,
            coverage,
            min_coverage,
            mutate,
            junit,
            format,
        }) => {
            let options = crate::ops::registry_check::TestOptions {
                paths: paths.clone(),
                filter: filter.clone(),
                coverage: *coverage || min_coverage.is_some(),
                mutate: *mutate,
            };
            registry::test(ctx, &options, *min_coverage, junit.as_deref(), *format)
        }
        Command::Registry(RegistryCommand::Update) => registry::update(ctx),
        Command::Registry(RegistryCommand::Lint {
            deny_warnings,
            format,
        }) => registry::lint(ctx, *deny_warnings, *format),
        Command::Graph {
            format,
            registry_wide,
        } => graph::run(ctx, *format, *registry_wide),
        Command::Render(r) => render::run(ctx, r),
        Command::Registry(RegistryCommand::Path(RegistryPathCommand::Set { path })) => {
            project::edit(
                ctx,
                ManifestEdit::SetRegistry { path: path.clone() },
                EditFlags::text(),
            )
        }
        Command::PythonManager(PythonManagerCommand::Set { name }) => project::edit(
            ctx,
            ManifestEdit::SetPackageManager { name: name.clone() },
            EditFlags::text(),
        ),
        Command::Completions { .. } | Command::Schema { .. } => {
            Ok(print_only(command).unwrap_or(ExitCode::SUCCESS))
        }
        Command::Registry(RegistryCommand::List { format }) => registry_view::list(ctx, *format),
        Command::Registry(RegistryCommand::Search { query, format }) => {
            registry_view::search(ctx, query, *format)
        }
        Command::Registry(RegistryCommand::Show { name, format }) => {
            registry_view::show(ctx, name, *format)
        }
        Command::Registry(RegistryCommand::Library(c)) => registry_edit::component(
            ctx,
            Kind::Library,
            registry_edit::ComponentCommand::Library(c),
        ),
        Command::Registry(RegistryCommand::Service(c)) => registry_edit::component(
            ctx,
            Kind::Service,
            registry_edit::ComponentCommand::Service(c),
        ),
        Command::Registry(RegistryCommand::Group(c)) => registry_edit::group(ctx, c),
    }
}

/// A percentage from 0 to 100 (`--min-coverage`).
fn percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}
