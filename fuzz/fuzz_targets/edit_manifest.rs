//! The lossless hsm.yaml editor (`hsm group add`, `library add`, `mode`, ...): any text,
//! then a list of edits decoded from the bytes after the first NUL.
//!
//! An edit must never panic. A successful edit must leave text the editor parses again,
//! and text the loader parses if it parsed before; an edit that reports "no change" must
//! leave the text byte for byte. When the text was a valid hsm.yaml, it must stay one, the
//! edit must be there, and everything the edit does not touch must be as it was.
#![no_main]

use arbitrary::Unstructured;
use hsm::Kind;
use hsm::internals::Editor;
use hsm::{Manifest, Mode, Strategy};
use hsm_fuzz::{Value, check, get, is, items, mask, named, same};
use libfuzzer_sys::fuzz_target;

#[derive(Debug)]
enum Op {
    Select {
        section: Kind,
        group: String,
        strategy: Strategy,
        option: String,
        comment: Option<String>,
    },
    Unselect {
        section: Kind,
        group: String,
        option: String,
    },
    RemoveGroup {
        section: Kind,
        group: String,
    },
    SetProfile {
        section: Kind,
        group: String,
        profile: String,
    },
    AddStandalone {
        section: Kind,
        name: String,
        profile: Option<String>,
    },
    RemoveStandalone {
        section: Kind,
        name: String,
    },
    SetMode {
        name: String,
        mode: Mode,
    },
    SetProjectName {
        name: String,
    },
}

fn op(u: &mut Unstructured, words: &[String]) -> arbitrary::Result<Op> {
    use hsm_fuzz::{free, name};
    let section = if u.arbitrary()? {
        Kind::Library
    } else {
        Kind::Service
    };
    Ok(match u.int_in_range(0..=7)? {
        0 => Op::Select {
            section,
            group: name(u, words)?,
            strategy: if u.arbitrary()? {
                Strategy::OneOfN
            } else {
                Strategy::ManyOfN
            },
            option: name(u, words)?,
            comment: if u.arbitrary()? {
                Some(free(u, words)?)
            } else {
                None
            },
        },
        1 => Op::Unselect {
            section,
            group: name(u, words)?,
            option: name(u, words)?,
        },
        2 => Op::RemoveGroup {
            section,
            group: name(u, words)?,
        },
        3 => Op::SetProfile {
            section,
            group: name(u, words)?,
            profile: name(u, words)?,
        },
        4 => Op::AddStandalone {
            section,
            name: name(u, words)?,
            profile: if u.arbitrary()? {
                Some(name(u, words)?)
            } else {
                None
            },
        },
        5 => Op::RemoveStandalone {
            section,
            name: name(u, words)?,
        },
        6 => Op::SetMode {
            name: name(u, words)?,
            mode: if u.arbitrary()? {
                Mode::Dev
            } else {
                Mode::Prod
            },
        },
        _ => Op::SetProjectName {
            name: free(u, words)?,
        },
    })
}

/// Where the first standalone entry `name` is, as `set_mode` looks for it.
fn standalone_at(v: &Value, name: &str) -> Option<(Kind, usize)> {
    [Kind::Library, Kind::Service].into_iter().find_map(|s| {
        let list = get(v, &[s.plural(), "standalone"])?.as_sequence()?;
        list.iter().position(|i| named(i, name)).map(|i| (s, i))
    })
}

/// Apply `op`, then check what must hold; the documents are compared only when the text
/// before was a valid hsm.yaml (the only text the CLI edits).
fn run(ed: &mut Editor, op: &Op) {
    let before = ed.to_text();
    let result = match op {
        Op::Select {
            section,
            group,
            strategy,
            option,
            comment,
        } => ed
            .group_select(*section, group, *strategy, option, comment.as_deref())
            .map(|()| true),
        Op::Unselect {
            section,
            group,
            option,
        } => ed.group_unselect(*section, group, option),
        Op::RemoveGroup { section, group } => ed.group_remove(*section, group),
        Op::SetProfile {
            section,
            group,
            profile,
        } => ed
            .group_set_profile(*section, group, profile)
            .map(|()| true),
        Op::AddStandalone {
            section,
            name,
            profile,
        } => ed.standalone_add(*section, name, profile.as_deref()),
        Op::RemoveStandalone { section, name } => ed.standalone_remove(*section, name),
        Op::SetMode { name, mode } => ed.set_mode(name, *mode).map(|()| true),
        Op::SetProjectName { name } => ed.set_project_name(name).map(|()| true),
    };
    let after = ed.to_text();
    if !hsm_fuzz::edit_outcome(result, op, &before, &after, |t| Editor::parse(t).is_ok()) {
        return;
    }
    let what = |s: &str| format!("{op:?}: {s}");
    let Some(b) = hsm_fuzz::load(&before) else {
        return;
    };
    let a = hsm_fuzz::load(&after);
    check(
        a.is_some(),
        &what("the loader's YAML parser refuses the edited text"),
        &before,
        &after,
    );
    let a = a.expect("checked");
    if Manifest::from_text("hsm.yaml", std::path::Path::new("/p"), before.as_str()).is_err() {
        return;
    }
    if let Err(e) = Manifest::from_text("hsm.yaml", std::path::Path::new("/p"), after.as_str()) {
        check(
            false,
            &what(&format!("a valid hsm.yaml became invalid: {}", e.message)),
            &before,
            &after,
        );
    }

    // The edit is there; then mask it in both documents and compare the rest.
    let (mut b, mut a) = (b, a);
    match op {
        Op::Select {
            section,
            group,
            strategy,
            option,
            ..
        } => {
            let sel = get(&a, &[section.plural(), "groups", group, "selection"]);
            let ok = match strategy {
                Strategy::OneOfN => is(sel, option),
                Strategy::ManyOfN => {
                    is(sel, option)
                        || sel
                            .and_then(Value::as_sequence)
                            .is_some_and(|s| s.iter().any(|i| is(Some(i), option)))
                }
            };
            check(ok, &what("the option is not selected"), &before, &after);
            mask(&mut b, &mut a, &[section.plural(), "groups", group]);
        }
        Op::Unselect {
            section,
            group,
            option,
        } => {
            let sel = get(&a, &[section.plural(), "groups", group, "selection"]);
            let still = is(sel, option)
                || sel
                    .and_then(Value::as_sequence)
                    .is_some_and(|s| s.iter().any(|i| is(Some(i), option)));
            check(
                !still,
                &what("the option is still selected"),
                &before,
                &after,
            );
            mask(&mut b, &mut a, &[section.plural(), "groups", group]);
        }
        Op::RemoveGroup { section, group } => {
            check(
                get(&a, &[section.plural(), "groups", group]).is_none(),
                &what("the group is still there"),
                &before,
                &after,
            );
            mask(&mut b, &mut a, &[section.plural(), "groups", group]);
        }
        Op::SetProfile {
            section,
            group,
            profile,
        } => {
            check(
                is(
                    get(&a, &[section.plural(), "groups", group, "profile"]),
                    profile,
                ),
                &what("the profile is not set"),
                &before,
                &after,
            );
            mask(&mut b, &mut a, &[section.plural(), "groups", group]);
        }
        Op::AddStandalone {
            section,
            name,
            profile,
        } => {
            let path = [section.plural(), "standalone"];
            let (Some(old), Some(new)) = (items(get(&b, &path)), items(get(&a, &path))) else {
                return check(false, &what("standalone is not a list"), &before, &after);
            };
            let ok = new.len() == old.len() + 1
                && new.iter().zip(&old).all(|(x, y)| same(x, y))
                && new.last().is_some_and(|l| {
                    named(l, name) && profile.as_ref().is_none_or(|p| is(l.get("profile"), p))
                });
            check(
                ok,
                &what("the list is not the old one plus the new entry"),
                &before,
                &after,
            );
            mask(&mut b, &mut a, &path);
        }
        Op::RemoveStandalone { section, name } => {
            let path = [section.plural(), "standalone"];
            let (Some(old), Some(new)) = (items(get(&b, &path)), items(get(&a, &path))) else {
                return check(false, &what("standalone is not a list"), &before, &after);
            };
            let kept: Vec<&Value> = old.iter().filter(|i| !named(i, name)).collect();
            let ok = new.len() == kept.len() && new.iter().zip(kept).all(|(x, y)| same(x, y));
            check(
                ok,
                &what("the list is not the old one without the entry"),
                &before,
                &after,
            );
            mask(&mut b, &mut a, &path);
        }
        Op::SetMode { name, mode } => match standalone_at(&b, name) {
            Some((section, i)) => {
                let path = [section.plural(), "standalone"];
                let (Some(mut old), Some(mut new)) = (items(get(&b, &path)), items(get(&a, &path)))
                else {
                    return check(false, &what("standalone is not a list"), &before, &after);
                };
                let entry = new.get(i);
                let ok =
                    entry.is_some_and(|e| named(e, name) && is(e.get("mode"), &mode.to_string()));
                check(ok, &what("the entry has not got the mode"), &before, &after);
                if let (Some(x), Some(y)) = (old.get_mut(i), new.get_mut(i)) {
                    *x = Value::Null;
                    *y = Value::Null;
                }
                check(
                    old.len() == new.len() && old.iter().zip(&new).all(|(x, y)| same(x, y)),
                    &what("other standalone entries changed"),
                    &before,
                    &after,
                );
                mask(&mut b, &mut a, &path);
            }
            None => {
                check(
                    is(get(&a, &["modes", name]), &mode.to_string()),
                    &what("modes has not got the mode"),
                    &before,
                    &after,
                );
                mask(&mut b, &mut a, &["modes", name]);
            }
        },
        Op::SetProjectName { name } => {
            check(
                is(get(&a, &["project", "name"]), name),
                &what("the name is not set"),
                &before,
                &after,
            );
            mask(&mut b, &mut a, &["project", "name"]);
        }
    }
    check(
        same(&b, &a),
        &what("content the edit does not touch changed"),
        &before,
        &after,
    );
}

fuzz_target!(|data: &[u8]| {
    let (text, ops) = hsm_fuzz::split_ops(data);
    let mut ed = match Editor::parse(&text) {
        Ok(ed) => ed,
        Err(e) => return hsm_fuzz::render(&e),
    };
    let words = hsm_fuzz::words(&text);
    let mut u = Unstructured::new(if ops.is_empty() {
        hsm_fuzz::DEFAULT_OPS
    } else {
        ops
    });
    for _ in 0..8 {
        if u.is_empty() {
            break;
        }
        let Ok(op) = op(&mut u, &words) else { break };
        run(&mut ed, &op);
    }
});
