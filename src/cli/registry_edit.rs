//! Commands that edit the registry: `hsm registry library|service|group ...`.
//!
//! The registry edited is the one every command uses (`--registry`, `HSM_REGISTRY_PATH`,
//! `registry:` in hsm.yaml, `./hsm-registry`); the built-in one cannot be edited. Edits of
//! existing files are lossless (see [`crate::registry::edit`]); new files get the shapes
//! the original hsm wrote. Every file is checked with the registry's loader before it is
//! written, written atomically, and edited under an advisory lock on the registry
//! directory. Adds never overwrite an entry without `--force`; removals ask first (only on
//! a terminal: elsewhere they need `--yes`).

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::vocab::Runtime;
use clap::{Args, Subcommand, ValueEnum};
use indexmap::IndexMap;

use super::output::outln;
use crate::error::{Error, ErrorKind};
use crate::manifest::{MANIFEST_FILE, Manifest, Strategy};
use crate::ops::Workspace;
use crate::registry::edit::{
    FileEditor, ImpliedValue, ImpliesOf, LibrarySource, NewGroup, NewLibrary, NewService, check,
    new_group, new_library, new_service,
};
use crate::registry::location::{self, RegistryChoice};
use crate::registry::model::{GroupFile, LibraryFile, ServiceFile};
use crate::registry::refs::{Target, references};
use crate::registry::{Category, Group, Kind, Registry, Store, known};
use crate::source::{KeyPath, Origin, SourceFile, did_you_mean_hint, parse_yaml};
use crate::sync::ProjectLock;
use crate::sync::files::replace_file;

// ---------------------------------------------------------------------------------------
// Command line.

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
#[command(group(clap::ArgGroup::new("source").required(true).multiple(true).args(["image", "build_path"])))]
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
    /// Runtime of the `default` deployment profile.
    #[arg(long, value_enum, default_value_t = Runtime::Docker)]
    runtime: Runtime,
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
    #[arg(long = "type", short = 't', value_parser = group_type_arg(), value_name = "TYPE")]
    kind: Kind,
    /// 1-of-N (exactly one option) or M-of-N (any number).
    #[arg(long, short = 's', value_enum)]
    strategy: Strategy,
    /// An option (a library or service of the registry); repeat for more.
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
    ctx: &Workspace,
    kind: Kind,
    command: ComponentCommand<'_>,
) -> Result<ExitCode, Error> {
    match command {
        ComponentCommand::Library(LibraryCommand::Add(a)) => library_add(ctx, a),
        ComponentCommand::Service(ServiceCommand::Add(a)) => service_add(ctx, a),
        ComponentCommand::Library(LibraryCommand::Remove(r))
        | ComponentCommand::Service(ServiceCommand::Remove(r)) => {
            remove(ctx, Target::Component(kind, r.name.clone()), r.yes)
        }
        ComponentCommand::Library(LibraryCommand::Implies(i))
        | ComponentCommand::Service(ServiceCommand::Implies(i)) => match i {
            ImpliesCommand::Add {
                name,
                target,
                values,
                force,
            } => implies_add(ctx, Owner::Component(kind, name), target, values, *force),
            ImpliesCommand::Remove { name, target } => {
                implies_remove(ctx, Owner::Component(kind, name), target)
            }
        },
    }
}

/// The two nouns that share handlers.
#[derive(Debug)]
pub enum ComponentCommand<'a> {
    Library(&'a LibraryCommand),
    Service(&'a ServiceCommand),
}

/// Run `hsm registry group ...`.
pub fn group(ctx: &Workspace, command: &GroupCommand) -> Result<ExitCode, Error> {
    match command {
        GroupCommand::Add(a) => group_add(ctx, a),
        GroupCommand::Remove { name, which, yes } => {
            let edit = Editable::open(ctx, false)?;
            let g = find_group_file(&edit.registry, name, which.kind)?;
            drop(edit);
            remove(ctx, Target::Group(g.0, name.clone()), *yes)
        }
        GroupCommand::AddOption {
            group,
            option,
            description,
            which,
        } => option_add(ctx, group, option, description.as_deref(), which),
        GroupCommand::RemoveOption {
            group,
            option,
            which,
        } => option_remove(ctx, group, option, which),
        GroupCommand::Option(OptionCommand::Implies(i)) => match i {
            OptionImpliesCommand::Add {
                group,
                option,
                target,
                values,
                force,
                which,
            } => implies_add(
                ctx,
                Owner::Option {
                    group,
                    option,
                    kind: which.kind,
                },
                target,
                values,
                *force,
            ),
            OptionImpliesCommand::Remove {
                group,
                option,
                target,
                which,
            } => implies_remove(
                ctx,
                Owner::Option {
                    group,
                    option,
                    kind: which.kind,
                },
                target,
            ),
        },
    }
}

// ---------------------------------------------------------------------------------------
// The registry being edited.

/// An editable registry directory, locked for the duration of the command.
struct Editable {
    root: PathBuf,
    registry: Registry,
    /// The registry directory does not exist yet: the first write creates it.
    missing: bool,
    /// `None` while the directory does not exist.
    _lock: Option<ProjectLock>,
}

impl Editable {
    /// The registry the usual order picks, which must be a directory. `create`: it may be
    /// new — missing, if `--registry`, `HSM_REGISTRY_PATH` or hsm.yaml names it (the write
    /// creates it, as the original's `add` commands did), or an empty directory.
    fn open(ctx: &Workspace, create: bool) -> Result<Editable, Error> {
        let manifest = location_manifest(ctx)?;
        let chosen = location::choose(
            ctx.registry_flag.as_deref(),
            ctx.registry_env.as_deref(),
            manifest.as_ref(),
            &ctx.root,
            &ctx.cwd,
        )
        .ok_or_else(builtin_error)?;
        let path = chosen.path.clone();
        let named = matches!(
            chosen.choice,
            RegistryChoice::Flag(_) | RegistryChoice::Env(_) | RegistryChoice::Manifest(_)
        );
        let missing = create && named && !path.exists();
        let fresh = missing || (create && is_empty_dir(&path));
        if !fresh {
            location::check_registry_dir(&path, &chosen.choice, chosen.origin)?;
        }
        let lock = if missing {
            None
        } else {
            Some(ctx.lock_dir(&path)?)
        };
        let display = location::relative_display(&path, &ctx.cwd);
        Ok(Editable {
            registry: Registry::new(Store::dir(path.clone(), display)),
            root: path,
            missing,
            _lock: lock,
        })
    }

    fn display(&self) -> &str {
        self.registry.store().display()
    }

    /// How `<category>/<name>.yaml` is shown.
    fn file_display(&self, ctx: &Workspace, path: &Path) -> String {
        location::relative_display(path, &ctx.cwd)
    }

    /// Write a whole file atomically, creating its category folder if needed.
    fn write(&self, path: &Path, text: &str) -> Result<(), Error> {
        if let Some(dir) = path.parent()
            && !dir.is_dir()
        {
            std::fs::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
        }
        replace_file(path, text.as_bytes())
    }
}

/// hsm.yaml, when it can choose the registry (no flag, no variable). A broken hsm.yaml is
/// an error: guessing past it could edit the wrong registry.
fn location_manifest(ctx: &Workspace) -> Result<Option<Manifest>, Error> {
    let env_set = ctx
        .registry_env
        .as_ref()
        .is_some_and(|p| !p.as_os_str().is_empty());
    if ctx.registry_flag.is_some() || env_set || !ctx.root.join(MANIFEST_FILE).exists() {
        return Ok(None);
    }
    ctx.manifest().map(Some)
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none())
}

fn builtin_error() -> Error {
    Error::new(
        ErrorKind::InvalidValue,
        "no registry directory is set, and the built-in registry cannot be edited",
    )
    .with_help(
        "pass `--registry DIR` (or set HSM_REGISTRY_PATH) to edit a registry of your own; \
         or create ./hsm-registry, which this project then uses instead of the built-in one",
    )
}

fn write_error(path: &Path, e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot create {}: {e}", path.display()),
    )
    .with_help("check the path and the permissions of its parent directory")
}

/// A name typed on the command line.
fn check_cli_name(name: &str) -> Result<(), Error> {
    let origin = Origin::file_only(&SourceFile::new("command line", None, name.to_string()));
    crate::manifest::check_name(name, &origin).map_err(|mut e| {
        e.origin = None;
        e.label = None;
        e
    })
}

/// "no library `x` in the registry", with a did-you-mean, or the command for the other
/// kind when the name is one (`command` has `{kind}` where the noun goes).
fn unknown_component(registry: &Registry, kind: Kind, name: &str, command: &str) -> Error {
    let candidates = registry.store().list(kind.category());
    let mut err = Error::new(
        ErrorKind::UnknownName,
        format!(
            "no {kind} `{name}` in the registry ({})",
            registry.store().display()
        ),
    );
    let other = kind.other();
    err = if registry
        .store()
        .list(other.category())
        .iter()
        .any(|n| n == name)
    {
        err.with_help(format!(
            "`{name}` is a {other}: `{}`",
            command.replace("{kind}", &other.to_string())
        ))
    } else {
        match did_you_mean_hint(name, &candidates) {
            Some(hint) => err.with_help(hint),
            None => err.with_help(known(&kind.to_string(), &candidates)),
        }
    };
    err
}

/// The group file named `name` (of `kind`, if given): its kind and file.
fn find_group_file(
    registry: &Registry,
    name: &str,
    kind: Option<Kind>,
) -> Result<(Kind, Arc<SourceFile>), Error> {
    check_cli_name(name)?;
    let kinds: Vec<Kind> = kind.map_or_else(|| vec![Kind::Library, Kind::Service], |k| vec![k]);
    let mut found = Vec::new();
    for k in &kinds {
        if let Some(file) = registry.store().read(k.group_category(), name)? {
            found.push((*k, file));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => {
            let what = kind.map_or_else(|| "group".to_string(), |k| format!("{k} group"));
            let candidates: Vec<String> = kinds
                .iter()
                .flat_map(|k| registry.store().list(k.group_category()))
                .collect();
            Err(Error::new(
                ErrorKind::UnknownName,
                format!(
                    "no {what} `{name}` in the registry ({})",
                    registry.store().display()
                ),
            )
            .with_help(
                did_you_mean_hint(name, &candidates).unwrap_or_else(|| known(&what, &candidates)),
            ))
        }
        _ => Err(Error::new(
            ErrorKind::InvalidValue,
            format!("both a library group and a service group are named `{name}`"),
        )
        .with_help("say which with `--type library_group` or `--type service_group`")),
    }
}

/// The loaded group named `name`.
fn find_group(
    registry: &Registry,
    name: &str,
    kind: Option<Kind>,
) -> Result<(Arc<Group>, GroupFile), Error> {
    let (kind, file) = find_group_file(registry, name, kind)?;
    let group = registry
        .group(kind, name)?
        .ok_or_else(|| Error::new(ErrorKind::Io, format!("{} vanished", file.display())))?;
    let raw: GroupFile = parse_yaml(&group.file, "registry group")?;
    Ok((group, raw))
}

/// Replace an existing file with `text` after checking that it loads.
fn rewrite(
    edit: &Editable,
    file: &SourceFile,
    category: Category,
    name: &str,
    text: &str,
) -> Result<(), Error> {
    let display = format!("{} (as edited)", file.display());
    check(category, name, &display, text)?;
    let path = file
        .path()
        .ok_or_else(|| Error::new(ErrorKind::Io, format!("{} is not a file", file.display())))?;
    edit.write(path, &file.on_disk(text))
}

// ---------------------------------------------------------------------------------------
// add

fn created_note(edit: &Editable) {
    if edit.missing {
        outln!("Created the registry directory {}", edit.display());
    }
}

/// The existing file of an entry about to be written: an error unless `force`.
fn existing(
    edit: &Editable,
    category: Category,
    what: &str,
    name: &str,
    force: bool,
) -> Result<Option<PathBuf>, Error> {
    let Some(file) = edit.registry.store().read(category, name)? else {
        return Ok(None);
    };
    if force {
        return Ok(file.path().map(Path::to_path_buf));
    }
    Err(Error::new(
        ErrorKind::InvalidValue,
        format!("{what} `{name}` is already in the registry"),
    )
    .at(Origin::at_path(&file, KeyPath::root().key("name")))
    .with_label("defined here")
    .with_help(
        "pass --force to replace the whole file (its comments are lost), or edit it by hand",
    ))
}

fn same_name_warning(edit: &Editable, kind: Kind, name: &str) {
    let other = kind.other();
    if edit
        .registry
        .store()
        .list(other.category())
        .iter()
        .any(|n| n == name)
    {
        outln!(
            "warning: a {other} is also named `{name}`: rules must now name it `library:{name}` or `service:{name}`"
        );
    }
}

fn check_version(version: &str) -> Result<(), Error> {
    let origin = Origin::file_only(&SourceFile::new("command line", None, version.to_string()));
    crate::registry::rules::parse_version(&crate::registry::model::Text(version.into()), &origin)
        .map(drop)
        .map_err(|mut e| {
            e.origin = None;
            e.label = None;
            e.help = Some("pass --version with a semantic version such as `1.2.3`".into());
            e
        })
}

fn library_add(ctx: &Workspace, a: &LibraryAdd) -> Result<ExitCode, Error> {
    check_cli_name(&a.name)?;
    let version = a.version.clone().unwrap_or_else(|| "0.1.0".to_string());
    check_version(&version)?;
    let package = match (a.prod_type, &a.prod_url) {
        (ProdType::Pypi, Some(p)) if *p != a.name => {
            if !crate::manifest::is_valid_name(p) {
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
    let spec = NewLibrary {
        name: a.name.clone(),
        version,
        description: a.description.clone(),
        package,
        prod,
        dev: a.dev_path.as_ref().map(|p| LibrarySource::Local {
            path: p.clone(),
            editable: true,
        }),
    };
    add_entry(ctx, Kind::Library, &a.name, a.force, |display| {
        new_library(display, &spec)
    })?;
    Ok(ExitCode::SUCCESS)
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

fn service_add(ctx: &Workspace, a: &ServiceAdd) -> Result<ExitCode, Error> {
    check_cli_name(&a.name)?;
    if let Some(v) = &a.version {
        check_version(v)?;
    }
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
    let runtime = a.runtime.to_string();
    let spec = NewService {
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
        runtime: runtime.to_string(),
    };
    add_entry(ctx, Kind::Service, &a.name, a.force, |display| {
        new_service(display, &spec)
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Write a new library or service file (or replace it with `--force`), after checking
/// it loads, and say what was done.
fn add_entry(
    ctx: &Workspace,
    kind: Kind,
    name: &str,
    force: bool,
    render: impl FnOnce(&str) -> Result<String, Error>,
) -> Result<(), Error> {
    let category = kind.category();
    let edit = Editable::open(ctx, true)?;
    let replaced = existing(&edit, category, &kind.to_string(), name, force)?;
    let path = replaced
        .clone()
        .unwrap_or_else(|| edit.root.join(format!("{}/{name}.yaml", category.dir())));
    let display = edit.file_display(ctx, &path);
    let text = render(&display)?;
    check(category, name, &display, &text)?;
    created_note(&edit);
    edit.write(&path, &text)?;
    same_name_warning(&edit, kind, name);
    let (done, prep) = if replaced.is_some() {
        ("Replaced", "in")
    } else {
        ("Added", "to")
    };
    outln!("{done} {kind} `{name}` {prep} the registry: {display}");
    Ok(())
}

/// An option must be a component of the group's kind.
fn check_option_component(registry: &Registry, kind: Kind, option: &str) -> Result<(), Error> {
    check_cli_name(option)?;
    if registry.store().read(kind.category(), option)?.is_some() {
        return Ok(());
    }
    let mut err = unknown_component(registry, kind, option, "");
    let other = kind.other();
    err.help = Some(
        if registry.store().read(other.category(), option)?.is_some() {
            format!(
                "`{option}` is a {other}; the options of a {kind} group are {} (`--type {}` makes a group of {})",
                kind.plural(),
                other.group_type(),
                other.plural()
            )
        } else {
            let hint = err.help.take().unwrap_or_default();
            format!("{hint}\nadd it first: `hsm registry {kind} add {option}`")
        },
    );
    Err(err)
}

fn group_add(ctx: &Workspace, a: &GroupAdd) -> Result<ExitCode, Error> {
    check_cli_name(&a.name)?;
    let kind = a.kind;
    let strategy = a.strategy;
    let edit = Editable::open(ctx, true)?;
    let mut options: Vec<String> = Vec::new();
    for o in &a.options {
        check_option_component(&edit.registry, kind, o)?;
        if options.contains(o) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("--option `{o}` is given twice"),
            )
            .with_help("name each option once"));
        }
        options.push(o.clone());
    }
    if let Some(d) = &a.default
        && !options.contains(d)
    {
        return Err(Error::new(
            ErrorKind::NotAnOption,
            format!("--default `{d}` is not one of the group's options"),
        )
        .add_help(did_you_mean_hint(d, &options))
        .add_help(Some(if options.is_empty() {
            "add it with --option as well".to_string()
        } else {
            format!("options: {}", options.join(", "))
        })));
    }
    let category = kind.group_category();
    // A group of the other kind with this name would make every group command ambiguous.
    if edit
        .registry
        .store()
        .read(kind.other().group_category(), &a.name)?
        .is_some()
    {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("a {} group is already named `{}`", kind.other(), a.name),
        )
        .with_help("group names are shared by hsm.yaml's libraries and services sections; pick another name"));
    }
    let replaced = existing(&edit, category, &format!("{kind} group"), &a.name, a.force)?;
    let path = replaced.clone().unwrap_or_else(|| {
        edit.root
            .join(format!("{}/{}.yaml", category.dir(), a.name))
    });
    let display = edit.file_display(ctx, &path);
    let text = new_group(
        &display,
        &NewGroup {
            name: a.name.clone(),
            kind,
            strategy,
            description: a.description.clone(),
            comment: a.comment.clone(),
            default: a.default.clone(),
            options,
        },
    )?;
    check(category, &a.name, &display, &text)?;
    created_note(&edit);
    edit.write(&path, &text)?;
    outln!(
        "{} {kind} group `{}` ({strategy}) {} the registry: {display}",
        if replaced.is_some() {
            "Replaced"
        } else {
            "Added"
        },
        a.name,
        if replaced.is_some() { "in" } else { "to" }
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------
// remove

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

fn remove(ctx: &Workspace, target: Target, yes: bool) -> Result<ExitCode, Error> {
    let edit = Editable::open(ctx, false)?;
    let name = target.name().to_string();
    check_cli_name(&name)?;
    let (category, noun) = match &target {
        Target::Component(k, _) => (k.category(), k.to_string()),
        Target::Group(k, _) => (k.group_category(), "group".to_string()),
    };
    let file = match edit.registry.store().read(category, &name)? {
        Some(f) => f,
        None => {
            return Err(match &target {
                Target::Component(k, _) => unknown_component(
                    &edit.registry,
                    *k,
                    &name,
                    &format!("hsm registry {{kind}} remove {name}"),
                ),
                Target::Group(k, _) => find_group_file(&edit.registry, &name, Some(*k))
                    .err()
                    .unwrap_or_else(|| Error::new(ErrorKind::UnknownName, "no such group")),
            });
        }
    };
    let path = file
        .path()
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::new(ErrorKind::Io, format!("{} is not a file", file.display())))?;
    let (refs, _) = references(&edit.registry, &target);
    if !refs.is_empty() {
        outln!(
            "warning: {target} is still named by {} rule{} of the registry; {} will point at nothing:",
            refs.len(),
            if refs.len() == 1 { "" } else { "s" },
            if refs.len() == 1 { "it" } else { "they" },
        );
        for r in &refs {
            outln!("  {}: {}", r.origin, r.words());
        }
    }
    let command = format!("hsm registry {noun} remove {name}");
    let question = format!("Remove {target} from the registry?").replace('`', "'");
    if !confirm(&question, yes, &command)? {
        outln!("Aborted: nothing was removed");
        return Ok(ExitCode::from(1));
    }
    std::fs::remove_file(&path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot delete {}: {e}", file.display()),
        )
        .with_help("check the permissions of the registry directory")
    })?;
    outln!(
        "Removed {target} from the registry: deleted {}",
        file.display()
    );
    for r in &refs {
        match r.removal(&target) {
            Some(command) => outln!("hint: `{command}`"),
            None => outln!(
                "hint: edit {}, where {} {} it",
                r.origin,
                r.from,
                match r.relation {
                    crate::registry::refs::Relation::RequiredBy => "requires",
                    _ => "conflicts with",
                }
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------
// options

fn option_add(
    ctx: &Workspace,
    group: &str,
    option: &str,
    description: Option<&str>,
    which: &WhichGroup,
) -> Result<ExitCode, Error> {
    let edit = Editable::open(ctx, false)?;
    let (g, _) = find_group(&edit.registry, group, which.kind)?;
    check_cli_name(option)?;
    if let Some(existing) = g.options.iter().find(|o| o.name == option) {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "`{option}` is already an option of {} group `{group}`",
                g.kind
            ),
        )
        .at(existing.origin.clone())
        .with_label("here")
        .with_help("nothing to add; `hsm registry show` lists a group's options"));
    }
    check_option_component(&edit.registry, g.kind, option)?;
    let mut editor = FileEditor::parse(g.file.display(), g.file.text())?;
    editor.option_add(option, description)?;
    rewrite(
        &edit,
        &g.file,
        g.kind.group_category(),
        group,
        &editor.text(),
    )?;
    outln!(
        "Added option `{option}` to {} group `{group}`: {}",
        g.kind,
        g.file.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn not_an_option(g: &Group, option: &str) -> Error {
    let names: Vec<&str> = g.option_names().collect();
    Error::new(
        ErrorKind::NotAnOption,
        format!(
            "`{option}` is not an option of {} group `{}`",
            g.kind, g.name
        ),
    )
    .at(Origin::at_path(&g.file, KeyPath::root().key("options")))
    .with_label("options")
    .add_help(did_you_mean_hint(option, &names))
    .add_help(Some(if names.is_empty() {
        format!("group `{}` has no options", g.name)
    } else {
        format!("options of `{}`: {}", g.name, names.join(", "))
    }))
}

fn option_remove(
    ctx: &Workspace,
    group: &str,
    option: &str,
    which: &WhichGroup,
) -> Result<ExitCode, Error> {
    let edit = Editable::open(ctx, false)?;
    let (g, _) = find_group(&edit.registry, group, which.kind)?;
    let mut editor = FileEditor::parse(g.file.display(), g.file.text())?;
    if !editor.option_remove(option)? {
        return Err(not_an_option(&g, option));
    }
    let was_default = editor.default_remove(option)?;
    rewrite(
        &edit,
        &g.file,
        g.kind.group_category(),
        group,
        &editor.text(),
    )?;
    outln!(
        "Removed option `{option}` from {} group `{group}`{}: {}",
        g.kind,
        if was_default {
            " (and from its `default`)"
        } else {
            ""
        },
        g.file.display()
    );
    // Implications that select the option now select nothing the group has.
    let (refs, _) = references(&edit.registry, &Target::Group(g.kind, group.to_string()));
    let selecting: Vec<_> = refs
        .iter()
        .filter(|r| r.selects.iter().any(|o| o == option))
        .collect();
    if !selecting.is_empty() {
        outln!(
            "warning: {} still select{} it, and will fail when a stack follows {}:",
            if selecting.len() == 1 {
                "1 implication".to_string()
            } else {
                format!("{} implications", selecting.len())
            },
            if selecting.len() == 1 { "s" } else { "" },
            if selecting.len() == 1 { "it" } else { "them" },
        );
        for r in &selecting {
            outln!("  {}: {}", r.origin, r.words());
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------
// implies

/// Whose implications an `implies` command edits.
#[derive(Debug, Clone, Copy)]
enum Owner<'a> {
    Component(Kind, &'a str),
    Option {
        group: &'a str,
        option: &'a str,
        kind: Option<Kind>,
    },
}

/// The file an `implies` command edits, loaded.
struct OwnerFile {
    file: Arc<SourceFile>,
    category: Category,
    name: String,
    of: ImpliesOf,
    /// The implication keys as written.
    keys: Vec<String>,
    /// Where `implies` (or the owner) is, for errors.
    at: KeyPath,
    /// "library `x`", "option `o` of library group `g`".
    describe: String,
    /// The command's noun words, for hints: "library x", "group option g o".
    command: String,
    /// Versions with their own `implies` (an edit of the top level does not reach them).
    overriding: Vec<String>,
}

/// `retry` is the command as typed, with `{kind}` for the noun, for a did-you-mean when
/// NAME is a component of the other kind.
fn owner_file(registry: &Registry, owner: Owner<'_>, retry: &str) -> Result<OwnerFile, Error> {
    match owner {
        Owner::Component(kind, name) => {
            check_cli_name(name)?;
            let c = registry
                .component(kind, name)?
                .ok_or_else(|| unknown_component(registry, kind, name, retry))?;
            let (keys, versions): (Vec<String>, Vec<(String, bool)>) = match kind {
                Kind::Library => {
                    let raw: LibraryFile = parse_yaml(&c.file, "registry library")?;
                    (
                        raw.implies.keys().cloned().collect(),
                        raw.versions
                            .iter()
                            .map(|v| (v.version.0.clone(), v.implies.is_some()))
                            .collect(),
                    )
                }
                Kind::Service => {
                    let raw: ServiceFile = parse_yaml(&c.file, "registry service")?;
                    (
                        raw.implies.keys().cloned().collect(),
                        raw.versions
                            .iter()
                            .map(|v| (v.version.0.clone(), v.implies.is_some()))
                            .collect(),
                    )
                }
            };
            Ok(OwnerFile {
                file: Arc::clone(&c.file),
                category: kind.category(),
                name: name.to_string(),
                of: ImpliesOf::Component,
                keys,
                at: KeyPath::root().key("implies"),
                describe: format!("{kind} `{name}`"),
                command: format!("{kind} implies remove {name}"),
                overriding: versions
                    .into_iter()
                    .filter(|(_, own)| *own)
                    .map(|(v, _)| v)
                    .collect(),
            })
        }
        Owner::Option {
            group,
            option,
            kind,
        } => {
            let (g, raw) = find_group(registry, group, kind)?;
            let Some(index) = g.option_index(option) else {
                return Err(not_an_option(&g, option));
            };
            Ok(OwnerFile {
                file: Arc::clone(&g.file),
                category: g.kind.group_category(),
                name: group.to_string(),
                of: ImpliesOf::Option(index),
                keys: raw.options[index].implies.keys().cloned().collect(),
                at: KeyPath::root().key("options").index(index),
                describe: format!("option `{option}` of {} group `{group}`", g.kind),
                command: format!("group option implies remove {group} {option}"),
                overriding: Vec::new(),
            })
        }
    }
}

/// `service:x` → ("service", "x"); the V1 spellings `container:` / `container_group:` are
/// read as `service:` / `service_group:`.
fn split_target(key: &str) -> Option<(&'static str, &str)> {
    let (prefix, name) = key.split_once(':')?;
    let canonical = match prefix {
        "service" | "container" => "service",
        "library" => "library",
        "service_group" | "container_group" => "service_group",
        "library_group" => "library_group",
        _ => return None,
    };
    Some((canonical, name))
}

const TARGET_FORMS: &str =
    "write `service:NAME`, `library:NAME`, `service_group:GROUP` or `library_group:GROUP`";

/// Check TARGET and VALUES against the registry: the implication key to write and its value.
fn implication(
    registry: &Registry,
    target: &str,
    values: &[String],
) -> Result<(String, ImpliedValue), Error> {
    let Some((prefix, name)) = split_target(target) else {
        let (prefix, name) = target.split_once(':').unwrap_or(("", target));
        if !prefix.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("unknown kind `{prefix}` in `{target}`"),
            )
            .add_help(did_you_mean_hint(
                prefix,
                ["service", "library", "service_group", "library_group"],
            ))
            .add_help(Some(TARGET_FORMS.into())));
        }
        let err = Error::new(
            ErrorKind::InvalidValue,
            format!("`{target}` does not say what kind of thing it implies"),
        );
        // A bare name: say which spelling would work.
        let mut forms = Vec::new();
        for (k, cat) in [
            ("service", Category::Services),
            ("library", Category::Libraries),
            ("service_group", Category::ServiceGroups),
            ("library_group", Category::LibraryGroups),
        ] {
            if crate::manifest::is_valid_name(name) && registry.store().read(cat, name)?.is_some() {
                forms.push(format!("`{k}:{name}`"));
            }
        }
        return Err(if forms.is_empty() {
            err.with_help(TARGET_FORMS)
        } else {
            err.with_help(format!("did you mean {}?", forms.join(" or ")))
        });
    };
    check_cli_name(name)?;
    let key = format!("{prefix}:{name}");
    match prefix {
        "service" | "library" => {
            let kind = if prefix == "service" {
                Kind::Service
            } else {
                Kind::Library
            };
            if registry.store().read(kind.category(), name)?.is_none() {
                let mut err = unknown_component(registry, kind, name, "");
                let other = kind.other();
                if registry.store().read(other.category(), name)?.is_some() {
                    err.help = Some(format!("`{name}` is a {other}: write `{other}:{name}`"));
                }
                return Err(err);
            }
            let mut params = IndexMap::new();
            for v in values {
                match v.split_once('=') {
                    Some((k, val)) if !k.trim().is_empty() => {
                        params.insert(k.trim().to_string(), val.to_string());
                    }
                    _ => {
                        return Err(Error::new(
                            ErrorKind::InvalidValue,
                            format!("`{v}` is not KEY=VALUE"),
                        )
                        .with_help(format!(
                            "an implication of {kind} `{name}` passes params written `KEY=VALUE`, e.g. `db_name=auth`"
                        )));
                    }
                }
            }
            Ok((key, ImpliedValue::Params(params)))
        }
        _ => {
            let kind = if prefix == "service_group" {
                Kind::Service
            } else {
                Kind::Library
            };
            let (g, _) = find_group(registry, name, Some(kind))?;
            let mut options: Vec<String> = Vec::new();
            for v in values {
                if g.option_index(v).is_none() {
                    return Err(not_an_option(&g, v));
                }
                if !options.contains(v) {
                    options.push(v.clone());
                }
            }
            if g.strategy == Strategy::OneOfN && options.len() > 1 {
                return Err(Error::new(
                    ErrorKind::SelectionShape,
                    format!(
                        "1-of-N group `{name}` holds one option; {} given",
                        options.len()
                    ),
                )
                .at(g.strategy_origin())
                .with_label("1-of-N")
                .with_help("name one option"));
            }
            Ok((key, ImpliedValue::Options(options)))
        }
    }
}

/// The key already written for `target` (in any spelling).
fn find_key<'k>(keys: &'k [String], target: &str) -> Option<&'k String> {
    let wanted = split_target(target);
    keys.iter()
        .find(|k| *k == target || (wanted.is_some() && split_target(k) == wanted))
}

fn implies_add(
    ctx: &Workspace,
    owner: Owner<'_>,
    target: &str,
    values: &[String],
    force: bool,
) -> Result<ExitCode, Error> {
    let edit = Editable::open(ctx, false)?;
    let retry = match owner {
        Owner::Component(_, name) => {
            let mut words = vec!["hsm registry {kind} implies add", name, target];
            words.extend(values.iter().map(String::as_str));
            words.join(" ")
        }
        Owner::Option { .. } => String::new(),
    };
    let of = owner_file(&edit.registry, owner, &retry)?;
    let (key, value) = implication(&edit.registry, target, values)?;
    let existing = find_key(&of.keys, &key).cloned();
    if let Some(k) = &existing
        && !force
    {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("{} already implies `{k}`", of.describe),
        )
        .at(Origin::at_path(&of.file, of.at.key(k.as_str())))
        .with_label("already here")
        .with_help(format!(
            "pass --force to replace it, or remove it first: `hsm registry {} {k}`",
            of.command
        )));
    }
    let mut editor = FileEditor::parse(of.file.display(), of.file.text())?;
    editor.implies_set(of.of, existing.as_deref().unwrap_or(&key), &value)?;
    rewrite(&edit, &of.file, of.category, &of.name, &editor.text())?;
    outln!(
        "{} `{key}` {} {}: {}",
        if existing.is_some() {
            "Replaced the implication"
        } else {
            "Added the implication"
        },
        if existing.is_some() { "of" } else { "to" },
        of.describe,
        of.file.display()
    );
    overriding_note(&of.overriding);
    Ok(ExitCode::SUCCESS)
}

fn implies_remove(ctx: &Workspace, owner: Owner<'_>, target: &str) -> Result<ExitCode, Error> {
    let edit = Editable::open(ctx, false)?;
    let retry = match owner {
        Owner::Component(_, name) => {
            format!("hsm registry {{kind}} implies remove {name} {target}")
        }
        Owner::Option { .. } => String::new(),
    };
    let of = owner_file(&edit.registry, owner, &retry)?;
    let Some(key) = find_key(&of.keys, target).cloned() else {
        return Err(Error::new(
            ErrorKind::UnknownName,
            format!("{} has no implication `{target}`", of.describe),
        )
        .at(Origin::at_path(&of.file, of.at.clone()))
        .with_label(if of.keys.is_empty() {
            "no implications"
        } else {
            "its implications"
        })
        .add_help(did_you_mean_hint(target, &of.keys))
        .add_help(Some(if of.keys.is_empty() {
            "it implies nothing".to_string()
        } else {
            format!("its implications: {}", of.keys.join(", "))
        })));
    };
    let mut editor = FileEditor::parse(of.file.display(), of.file.text())?;
    if !editor.implies_remove(of.of, &key)? {
        return Err(editor_bug(&of.file));
    }
    rewrite(&edit, &of.file, of.category, &of.name, &editor.text())?;
    outln!(
        "Removed the implication `{key}` from {}: {}",
        of.describe,
        of.file.display()
    );
    overriding_note(&of.overriding);
    Ok(ExitCode::SUCCESS)
}

/// Versions with their own `implies` are not changed by an edit of the top-level one: say so.
fn overriding_note(versions: &[String]) {
    if versions.is_empty() {
        return;
    }
    let one = versions.len() == 1;
    outln!(
        "note: version{} {} set{} {} own `implies`, which this does not change",
        if one { "" } else { "s" },
        versions.join(", "),
        if one { "s" } else { "" },
        if one { "its" } else { "their" },
    );
}

fn editor_bug(file: &SourceFile) -> Error {
    Error::new(
        ErrorKind::InvalidValue,
        format!(
            "cannot edit {}: the implication was not found in the text",
            file.display()
        ),
    )
    .with_help("this is a bug in hsm; please edit the file by hand and report it")
}
