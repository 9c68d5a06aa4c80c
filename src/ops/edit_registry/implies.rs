//! Add or remove an implication of a component (its top-level `implies`) or of a group
//! option.

use std::sync::Arc;

use indexmap::IndexMap;

use super::{Change, Editable, Edited, Note, find_group, unknown_component};
use crate::error::{Error, ErrorKind};
use crate::ops::Workspace;
use crate::ops::names::{check_name, not_an_option};
use crate::registry::edit::{FileEditor, ImpliedValue, ImpliesOf};
use crate::registry::model::{LibraryFile, ServiceFile};
use crate::registry::refs::Target;
use crate::registry::{Category, Kind, Registry};
use crate::source::{KeyPath, Origin, SourceFile, did_you_mean_hint, parse_yaml};
use crate::vocab::Strategy;

/// Whose implications an `implies` command edits.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
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

impl OwnerFile {
    /// The edited text, checked and written; the change and the note about versions that
    /// keep their own `implies`.
    fn write(&self, edit: &Editable, editor: &FileEditor, change: Change) -> Result<Edited, Error> {
        edit.rewrite(&self.file, self.category, &self.name, &editor.text())?;
        let mut edited = Edited::new(change);
        if !self.overriding.is_empty() {
            edited.after.push(Note::Overriding(self.overriding.clone()));
        }
        Ok(edited)
    }
}

/// Top-level implication keys of a component file, and its versions with their own.
fn component_keys(kind: Kind, file: &Arc<SourceFile>) -> Result<(Vec<String>, Vec<String>), Error> {
    let (keys, versions): (Vec<String>, Vec<(String, bool)>) = match kind {
        Kind::Library => {
            let raw: LibraryFile = parse_yaml(file, "registry library")?;
            (
                raw.implies.keys().cloned().collect(),
                raw.versions
                    .iter()
                    .map(|v| (v.version.0.clone(), v.implies.is_some()))
                    .collect(),
            )
        }
        Kind::Service => {
            let raw: ServiceFile = parse_yaml(file, "registry service")?;
            (
                raw.implies.keys().cloned().collect(),
                raw.versions
                    .iter()
                    .map(|v| (v.version.0.clone(), v.implies.is_some()))
                    .collect(),
            )
        }
    };
    let overriding = versions
        .into_iter()
        .filter(|(_, own)| *own)
        .map(|(v, _)| v)
        .collect();
    Ok((keys, overriding))
}

/// `retry` is the command as typed, with `{kind}` for the noun, for a did-you-mean when
/// NAME is a component of the other kind.
fn owner_file(registry: &Registry, owner: Owner<'_>, retry: &str) -> Result<OwnerFile, Error> {
    match owner {
        Owner::Component(kind, name) => {
            check_name(name)?;
            let c = registry
                .component(kind, name)?
                .ok_or_else(|| unknown_component(registry, kind, name, retry))?;
            let (keys, overriding) = component_keys(kind, &c.file)?;
            Ok(OwnerFile {
                file: Arc::clone(&c.file),
                category: kind.category(),
                name: name.to_string(),
                of: ImpliesOf::Component,
                keys,
                at: KeyPath::root().key("implies"),
                describe: format!("{kind} `{name}`"),
                command: format!("{kind} implies remove {name}"),
                overriding,
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

/// `service:x` → (service, component, "x"), in any spelling the loader reads.
fn split_target(key: &str) -> Option<(Kind, bool, &str)> {
    let (prefix, name) = key.split_once(':')?;
    let (kind, group) = Target::key_prefix(prefix)?;
    Some((kind, group, name))
}

const TARGET_FORMS: &str =
    "write `service:NAME`, `library:NAME`, `service_group:GROUP` or `library_group:GROUP`";

/// TARGET without a known kind: what would have worked.
fn no_kind(registry: &Registry, target: &str) -> Result<Error, Error> {
    let (prefix, name) = target.split_once(':').unwrap_or(("", target));
    if !prefix.is_empty() {
        return Ok(Error::new(
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
        if crate::vocab::is_valid_name(name) && registry.store().read(cat, name)?.is_some() {
            forms.push(format!("`{k}:{name}`"));
        }
    }
    Ok(if forms.is_empty() {
        err.with_help(TARGET_FORMS)
    } else {
        err.with_help(format!("did you mean {}?", forms.join(" or ")))
    })
}

/// Check TARGET and VALUES against the registry: the implication key to write and its value.
/// A target the registry does not have yet is written, with a [`Note::NotYet`].
fn implication(
    registry: &Registry,
    target: &str,
    values: &[String],
) -> Result<(String, ImpliedValue, Option<Note>), Error> {
    let Some((kind, group, name)) = split_target(target) else {
        return Err(no_kind(registry, target)?);
    };
    check_name(name)?;
    if !group {
        let key = Target::Component(kind, name.to_string()).implies_key();
        let mut note = None;
        if registry.store().read(kind.category(), name)?.is_none() {
            let other = kind.other();
            if registry.store().read(other.category(), name)?.is_some() {
                let mut err = unknown_component(registry, kind, name, "");
                err.help = Some(format!("`{name}` is a {other}: write `{other}:{name}`"));
                return Err(err);
            }
            note = Some(Note::NotYet {
                target: Target::Component(kind, name.to_string()),
                close: super::close_name(registry, kind.category(), name)?,
            });
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
        return Ok((key, ImpliedValue::Params(params), note));
    }
    let key = Target::Group(kind, name.to_string()).implies_key();
    if registry
        .store()
        .read(kind.group_category(), name)?
        .is_none()
        && registry
            .store()
            .read(kind.other().group_category(), name)?
            .is_none()
    {
        // Not written yet: its options cannot be checked, lint will once it exists.
        return Ok((
            key,
            ImpliedValue::Options(values.to_vec()),
            Some(Note::NotYet {
                target: Target::Group(kind, name.to_string()),
                close: super::close_name(registry, kind.group_category(), name)?,
            }),
        ));
    }
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
    Ok((key, ImpliedValue::Options(options), None))
}

/// The key already written for `target` (in any spelling).
fn find_key<'k>(keys: &'k [String], target: &str) -> Option<&'k String> {
    let wanted = split_target(target);
    keys.iter()
        .find(|k| *k == target || (wanted.is_some() && split_target(k) == wanted))
}

/// `owner` implies `target` (`service:X` with `KEY=VALUE` params, `library_group:G` with
/// options); `force` replaces an implication of the same target.
pub fn implies_add(
    ws: &Workspace,
    owner: Owner<'_>,
    target: &str,
    values: &[String],
    force: bool,
) -> Result<Edited, Error> {
    let edit = Editable::open(ws, false)?;
    let retry = match owner {
        Owner::Component(_, name) => {
            let mut words = vec!["hsm registry {kind} implies add", name, target];
            words.extend(values.iter().map(String::as_str));
            words.join(" ")
        }
        Owner::Option { .. } => String::new(),
    };
    let of = owner_file(&edit.registry, owner, &retry)?;
    let (key, value, note) = implication(&edit.registry, target, values)?;
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
    let change = Change::ImpliesSet {
        key,
        owner: of.describe.clone(),
        file: of.file.display().to_string(),
        replaced: existing.is_some(),
    };
    let mut edited = of.write(&edit, &editor, change)?;
    edited.after.extend(note);
    Ok(edited)
}

/// Remove `owner`'s implication of `target` (in any spelling of its key).
pub fn implies_remove(ws: &Workspace, owner: Owner<'_>, target: &str) -> Result<Edited, Error> {
    let edit = Editable::open(ws, false)?;
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
    let change = Change::ImpliesRemoved {
        key,
        owner: of.describe.clone(),
        file: of.file.display().to_string(),
    };
    of.write(&edit, &editor, change)
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
