//! Add an option to a group, or remove one (and from the group's `default`).

use super::{Change, Editable, Edited, Note, check_option_component, find_group};
use crate::error::{Error, ErrorKind};
use crate::ops::Workspace;
use crate::ops::names::{check_name, not_an_option};
use crate::registry::Kind;
use crate::registry::edit::FileEditor;
use crate::registry::refs::{Target, references};

/// Add `option` (a component of the group's kind) to `group`'s options.
pub fn option_add(
    ws: &Workspace,
    group: &str,
    kind: Option<Kind>,
    option: &str,
    description: Option<&str>,
) -> Result<Edited, Error> {
    let edit = Editable::open(ws, false)?;
    let (g, _) = find_group(&edit.registry, group, kind)?;
    check_name(option)?;
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
    let note = check_option_component(&edit.registry, g.kind, option)?;
    let mut editor = FileEditor::parse(g.file.display(), g.file.text())?;
    editor.option_add(option, description)?;
    edit.rewrite(&g.file, g.kind.group_category(), group, &editor.text())?;
    let mut edited = Edited::new(Change::OptionAdded {
        kind: g.kind,
        group: group.to_string(),
        option: option.to_string(),
        file: g.file.display().to_string(),
    });
    edited.after.extend(note);
    Ok(edited)
}

/// Remove `option` from `group`'s options and `default`; warn about the implications that
/// still select it.
pub fn option_remove(
    ws: &Workspace,
    group: &str,
    kind: Option<Kind>,
    option: &str,
) -> Result<Edited, Error> {
    let edit = Editable::open(ws, false)?;
    let (g, _) = find_group(&edit.registry, group, kind)?;
    let mut editor = FileEditor::parse(g.file.display(), g.file.text())?;
    if !editor.option_remove(option)? {
        return Err(not_an_option(&g, option));
    }
    let was_default = editor.default_remove(option)?;
    edit.rewrite(&g.file, g.kind.group_category(), group, &editor.text())?;
    let mut edited = Edited::new(Change::OptionRemoved {
        kind: g.kind,
        group: group.to_string(),
        option: option.to_string(),
        was_default,
        file: g.file.display().to_string(),
    });
    // Implications that select the option now select nothing the group has.
    let (refs, _) = references(&edit.registry, &Target::Group(g.kind, group.to_string()));
    let selecting: Vec<_> = refs
        .into_iter()
        .filter(|r| r.selects.iter().any(|o| o == option))
        .collect();
    if !selecting.is_empty() {
        edited.after.push(Note::StillSelecting(selecting));
    }
    Ok(edited)
}
