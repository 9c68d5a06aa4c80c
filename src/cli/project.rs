//! Commands that edit hsm.yaml: `init`, `group`, `library`, `service`, `mode`, and the
//! read-only `list`.
//!
//! Every edit is lossless (see [`crate::manifest::edit`]), checked against the registry
//! (names, with a did-you-mean), and refused with the conflict explanation if it would make
//! the stack unsolvable — like `uv add` — unless `--force`. The write is one atomic rename
//! under the project lock, so a concurrent `hsm sync` sees the old file or the new one.

use std::collections::HashSet;
use std::process::ExitCode;

use super::Format;
use super::output::outln;
use crate::error::{Error, ErrorKind};
use crate::manifest::edit::{Editor, initial_document};
use crate::manifest::{MANIFEST_FILE, Manifest, Mode, Section, Strategy};
use crate::ops::Workspace;
use crate::registry::{Group, Kind, Registry};
use crate::solve::{Outcome, solve};
use crate::source::did_you_mean_hint;
use crate::sync::files::replace_file;

/// Edit hsm.yaml under the project lock: read, apply `edit`, check, write.
fn edit(
    ctx: &Workspace,
    force: bool,
    edit: impl FnOnce(&mut Editor, &Registry) -> Result<String, Error>,
) -> Result<ExitCode, Error> {
    let _lock = ctx.lock()?;
    let manifest = ctx.manifest()?;
    let registry = ctx.registry(Some(&manifest))?;
    let mut editor = Editor::parse(manifest.file.text())?;
    let message = edit(&mut editor, &registry)?;
    let text = editor.to_text();
    if text == **manifest.file.text() {
        outln!("Nothing to change: hsm.yaml already says that");
        return Ok(ExitCode::SUCCESS);
    }
    // Problems found in the edited text cite it as such: those lines are not on disk.
    let display = format!("{} (as edited)", manifest.file.display());
    let edited = Manifest::from_text(&display, &ctx.root, text.as_str())?;
    match solve(&edited, &registry)? {
        Outcome::Solved(_) => {}
        Outcome::Conflict(conflict) if !force => {
            eprintln!("error: this edit would leave no consistent stack; hsm.yaml was not changed");
            eprint!(
                "{}",
                conflict.render().replacen(
                    "error: no stack satisfies hsm.yaml and the registry\n",
                    "",
                    1
                )
            );
            eprintln!("hint: pass --force to write it anyway");
            return Ok(ExitCode::from(1));
        }
        Outcome::Conflict(_) => {
            outln!("warning: the stack is unsolvable after this edit (written because of --force)")
        }
    }
    let text = manifest.file.on_disk(&text);
    replace_file(&ctx.root.join(MANIFEST_FILE), text.as_bytes())?;
    outln!("{message}. Run `hsm sync` to apply.");
    Ok(ExitCode::SUCCESS)
}

/// The registry group named `name`: a library group or a service group.
fn find_group(
    registry: &Registry,
    name: &str,
    kind: Option<Kind>,
) -> Result<std::sync::Arc<Group>, Error> {
    let kinds: &[Kind] = match kind {
        Some(Kind::Library) => &[Kind::Library],
        Some(Kind::Service) => &[Kind::Service],
        None => &[Kind::Library, Kind::Service],
    };
    for k in kinds {
        if let Some(g) = registry.group(*k, name)? {
            return Ok(g);
        }
    }
    let mut candidates = registry
        .store()
        .list(crate::registry::Category::LibraryGroups);
    candidates.extend(
        registry
            .store()
            .list(crate::registry::Category::ServiceGroups),
    );
    let what = match kind {
        Some(k) => format!("{k} group"),
        None => "group".to_string(),
    };
    let hint = did_you_mean_hint(name, &candidates);
    let list = crate::registry::known(&what, &candidates);
    Err(Error::new(
        ErrorKind::UnknownName,
        format!(
            "no {what} `{name}` in the registry ({})",
            registry.store().display()
        ),
    )
    .with_help(hint.unwrap_or(list)))
}

fn check_option(group: &Group, option: &str) -> Result<(), Error> {
    if group.option_index(option).is_some() {
        return Ok(());
    }
    let options: Vec<&str> = group.option_names().collect();
    Err(Error::new(
        ErrorKind::NotAnOption,
        format!("`{option}` is not an option of group `{}`", group.name),
    )
    .add_help(did_you_mean_hint(option, &options))
    .add_help(Some(format!(
        "options of `{}`: {}",
        group.name,
        options.join(", ")
    ))))
}

/// `command` is how the user asked, with `{kind}` where the noun goes ("hsm {kind} add x"),
/// so a name of the other kind can be answered with the command that would work.
fn check_component(
    registry: &Registry,
    kind: Kind,
    name: &str,
    command: &str,
) -> Result<(), Error> {
    check_cli_name(name)?;
    if registry.component(kind, name)?.is_some() {
        return Ok(());
    }
    let other = if kind == Kind::Library {
        Kind::Service
    } else {
        Kind::Library
    };
    let mut err = unknown(registry, Some(kind), name);
    if registry.component(other, name)?.is_some() {
        err.help = Some(format!(
            "`{name}` is a {other}: did you mean `{}`?",
            command.replace("{kind}", &other.to_string())
        ));
    }
    Err(err)
}

/// "no library `x`" for a name typed on the command line (no file position to show).
fn unknown(registry: &Registry, kind: Option<Kind>, name: &str) -> Error {
    let mut err = registry.unknown_component(kind, name, &cli_origin(name));
    err.origin = None;
    err.label = None;
    err
}

pub(super) fn check_cli_name(name: &str) -> Result<(), Error> {
    crate::manifest::check_name(name, &cli_origin(name)).map_err(|mut e| {
        e.origin = None;
        e.label = None;
        e
    })
}

/// A stand-in origin for names typed on the command line (removed before reporting).
fn cli_origin(name: &str) -> crate::source::Origin {
    crate::source::Origin::file_only(&crate::source::SourceFile::new(
        "command line",
        None,
        name.to_string(),
    ))
}

fn section(kind: Kind) -> Section {
    match kind {
        Kind::Library => Section::Libraries,
        Kind::Service => Section::Services,
    }
}

pub fn init(ctx: &Workspace, name: Option<&str>) -> Result<ExitCode, Error> {
    let _lock = ctx.lock()?;
    let path = ctx.root.join(MANIFEST_FILE);
    if path.exists() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "{} already exists",
                crate::registry::location::relative_display(&path, &ctx.cwd)
            ),
        )
        .with_help(
            "hsm init never overwrites it; edit it, or use `hsm group add` / `hsm library add`",
        ));
    }
    let name = match name {
        Some(n) => n.to_string(),
        None => ctx
            .root
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("project")
            .to_string(),
    };
    let text = initial_document(&name);
    let manifest = Manifest::from_text(MANIFEST_FILE, &ctx.root, text.as_str())?;
    let pyproject = ctx.root.join(crate::render::pyproject::PYPROJECT);
    let mut wrote = vec![MANIFEST_FILE];
    if !pyproject.exists() {
        replace_file(
            &pyproject,
            crate::render::pyproject::minimal(&manifest).as_bytes(),
        )?;
        wrote.push("pyproject.toml");
    }
    replace_file(&path, text.as_bytes())?;
    outln!("Initialized project `{name}`: wrote {}", wrote.join(", "));
    Ok(ExitCode::SUCCESS)
}

pub fn group_add(
    ctx: &Workspace,
    group: &str,
    option: &str,
    force: bool,
    kind: Option<Kind>,
    profile: Option<&str>,
) -> Result<ExitCode, Error> {
    edit(ctx, force, |ed, registry| {
        let g = find_group(registry, group, kind)?;
        check_option(&g, option)?;
        ed.group_select(
            section(g.kind),
            group,
            g.strategy,
            option,
            g.comment.as_deref(),
        )?;
        if let Some(p) = profile {
            if g.kind != Kind::Service {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    "--profile applies to services only",
                ));
            }
            ed.group_set_profile(section(g.kind), group, p)?;
        }
        Ok(match g.strategy {
            Strategy::OneOfN => format!("Selected `{option}` in group `{group}` (1-of-N)"),
            Strategy::ManyOfN => format!("Added `{option}` to group `{group}` (M-of-N)"),
        })
    })
}

pub fn group_remove_option(
    ctx: &Workspace,
    group: &str,
    option: &str,
    force: bool,
) -> Result<ExitCode, Error> {
    edit(ctx, force, |ed, registry| {
        let g = find_group(registry, group, None)?;
        if !ed.group_unselect(section(g.kind), group, option)? {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("`{option}` is not selected in group `{group}` in hsm.yaml"),
            )
            .with_help("`hsm list` shows what hsm.yaml selects"));
        }
        Ok(format!("Removed `{option}` from group `{group}`"))
    })
}

pub fn group_remove(ctx: &Workspace, group: &str, force: bool) -> Result<ExitCode, Error> {
    edit(ctx, force, |ed, _| {
        let removed = ed.group_remove(Section::Libraries, group)?
            || ed.group_remove(Section::Services, group)?;
        if !removed {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("hsm.yaml has no group `{group}`"),
            )
            .with_help("`hsm list` shows the groups hsm.yaml uses"));
        }
        Ok(format!("Removed group `{group}`"))
    })
}

pub fn component_add(
    ctx: &Workspace,
    kind: Kind,
    name: &str,
    group: Option<&str>,
    profile: Option<&str>,
    force: bool,
) -> Result<ExitCode, Error> {
    if let Some(g) = group {
        return group_add(ctx, g, name, force, Some(kind), profile);
    }
    edit(ctx, force, |ed, registry| {
        check_component(registry, kind, name, &format!("hsm {{kind}} add {name}"))?;
        ed.standalone_add(section(kind), name, profile)?;
        Ok(format!("Added {kind} `{name}`"))
    })
}

pub fn component_remove(
    ctx: &Workspace,
    kind: Kind,
    name: &str,
    group: Option<&str>,
    force: bool,
) -> Result<ExitCode, Error> {
    if let Some(g) = group {
        return group_remove_option(ctx, g, name, force);
    }
    edit(ctx, force, |ed, _| {
        if !ed.standalone_remove(section(kind), name)? {
            // Name the group that selects it, if one does.
            let current = Manifest::from_text(MANIFEST_FILE, &ctx.root, ed.to_text().as_str())?;
            let selecting = current
                .groups(section(kind))
                .iter()
                .find(|(_, e)| e.selection.items().iter().any(|(_, o)| *o == name))
                .map(|(g, _)| g.clone());
            let help = match selecting {
                Some(g) => {
                    format!("group `{g}` selects it: `hsm {kind} remove {name} --group {g}`")
                }
                None => "`hsm list` shows what hsm.yaml names".to_string(),
            };
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "hsm.yaml does not list {kind} `{name}` in `{}.standalone`",
                    section(kind).key()
                ),
            )
            .with_help(help));
        }
        Ok(format!("Removed {kind} `{name}`"))
    })
}

/// `hsm mode M [NAME...]`: no names means every component hsm.yaml names.
pub fn mode(
    ctx: &Workspace,
    mode: Mode,
    names: &[String],
    kind: Option<Kind>,
    force: bool,
) -> Result<ExitCode, Error> {
    edit(ctx, force, |ed, registry| {
        let manifest =
            crate::manifest::Manifest::from_text(MANIFEST_FILE, &ctx.root, ed.to_text().as_str())?;
        let targets: Vec<String> = if names.is_empty() {
            let mut all = Vec::new();
            for s in [Section::Libraries, Section::Services] {
                all.extend(manifest.standalone(s).iter().map(|e| e.name.clone()));
                for entry in manifest.groups(s).values() {
                    all.extend(
                        entry
                            .selection
                            .items()
                            .into_iter()
                            .map(|(_, o)| o.to_string()),
                    );
                }
            }
            all.dedup();
            all
        } else {
            names.to_vec()
        };
        for name in &targets {
            match kind {
                Some(k) => check_component(
                    registry,
                    k,
                    name,
                    &format!("hsm {{kind}} mode {name} {mode}"),
                )?,
                None => {
                    check_cli_name(name)?;
                    if registry.components_named(name)?.is_empty() {
                        return Err(unknown(registry, None, name));
                    }
                }
            }
            ed.set_mode(name, mode)?;
        }
        Ok(match targets.as_slice() {
            [] => "hsm.yaml names no components yet".to_string(),
            [one] => format!("`{one}` is now in {mode} mode"),
            many => format!("{} components are now in {mode} mode", many.len()),
        })
    })
}

/// `hsm list`: the stack as a tree, with versions and modes.
pub fn list(ctx: &Workspace, format: Format) -> Result<ExitCode, Error> {
    let manifest = ctx.manifest()?;
    let registry = ctx.registry(Some(&manifest))?;
    let outcome = solve(&manifest, &registry)?;
    let selection = outcome.selection();
    if format == Format::Json {
        return match selection {
            Some(s) => {
                outln!(
                    "{:#}",
                    super::output::selection_json(s, registry.store().display())
                );
                Ok(ExitCode::SUCCESS)
            }
            None => {
                if let Outcome::Conflict(c) = &outcome {
                    outln!("{:#}", super::output::conflict_json(c));
                }
                Ok(ExitCode::from(1))
            }
        };
    }
    let label = |name: &str| -> String {
        match selection.and_then(|s| s.get(name)) {
            Some(c) => {
                let v = c
                    .version
                    .as_ref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                format!("{name}{v} ({})", c.mode)
            }
            None => format!("{name} ({})", manifest.mode_of(name)),
        }
    };
    let project = manifest
        .data
        .project
        .name
        .clone()
        .unwrap_or_else(|| "(unnamed)".into());
    outln!("{project}");
    let mut listed: HashSet<String> = HashSet::new();
    for s in [Section::Libraries, Section::Services] {
        outln!("├── {}", s.key());
        let groups = manifest.groups(s);
        let standalone = manifest.standalone(s);
        let mut rows: Vec<(String, Vec<String>)> = Vec::new();
        for (g, entry) in groups {
            let strategy = entry
                .strategy
                .map(|st| format!(" ({st})"))
                .unwrap_or_default();
            let items: Vec<String> = entry
                .selection
                .items()
                .into_iter()
                .map(|(_, o)| o.to_string())
                .collect();
            listed.extend(items.iter().cloned());
            rows.push((
                format!("{g}{strategy}"),
                items.iter().map(|o| label(o)).collect(),
            ));
        }
        if !standalone.is_empty() {
            listed.extend(standalone.iter().map(|e| e.name.clone()));
            rows.push((
                "standalone".into(),
                standalone.iter().map(|e| label(&e.name)).collect(),
            ));
        }
        print_rows(&rows);
    }
    match selection {
        Some(sel) => {
            let implied: Vec<String> = sel
                .components
                .iter()
                .filter(|c| !listed.contains(&c.name))
                .map(|c| format!("{} [{}]", label(&c.name), c.kind))
                .collect();
            outln!("└── implied");
            for (i, line) in implied.iter().enumerate() {
                let branch = if i + 1 == implied.len() {
                    "└──"
                } else {
                    "├──"
                };
                outln!("    {branch} {line}");
            }
        }
        None => {
            outln!("└── (the stack does not solve: `hsm check` explains why)");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_rows(rows: &[(String, Vec<String>)]) {
    for (i, (head, items)) in rows.iter().enumerate() {
        let last = i + 1 == rows.len();
        outln!("│   {} {head}", if last { "└──" } else { "├──" });
        for (j, item) in items.iter().enumerate() {
            let pad = if last { "    " } else { "│   " };
            outln!(
                "│   {pad}{} {item}",
                if j + 1 == items.len() {
                    "└──"
                } else {
                    "├──"
                }
            );
        }
    }
}
