//! The lossless registry-file editor (`hsm registry ... implies/option/default`): any
//! text, then a list of edits decoded from the bytes after the first NUL.
//!
//! An edit must never panic. A successful edit must leave text the editor parses again,
//! and text the loader's YAML parser reads if it read the original; an edit that reports
//! "no change" must leave the text byte for byte; the edit must be there, and everything
//! it does not touch must be as it was.
#![no_main]

use arbitrary::Unstructured;
use hsm::internals::registry_edit::{FileEditor, ImpliedValue, ImpliesOf};
use hsm_fuzz::{Value, check, get, is, items, mask, named, same};
use indexmap::IndexMap;
use libfuzzer_sys::fuzz_target;

#[derive(Debug)]
enum Op {
    ImpliesSet {
        of: ImpliesOf,
        key: String,
        value: ImpliedValue,
    },
    ImpliesRemove {
        of: ImpliesOf,
        key: String,
    },
    OptionAdd {
        name: String,
        description: Option<String>,
    },
    OptionRemove {
        name: String,
    },
    DefaultRemove {
        name: String,
    },
}

fn op(u: &mut Unstructured, words: &[String]) -> arbitrary::Result<Op> {
    use hsm_fuzz::{free, name};
    let of = |u: &mut Unstructured| -> arbitrary::Result<ImpliesOf> {
        Ok(match u.int_in_range(0u8..=3)? {
            0 => ImpliesOf::Component,
            i => ImpliesOf::Option(usize::from(i - 1)),
        })
    };
    let key = |u: &mut Unstructured| -> arbitrary::Result<String> {
        let kind = *u.choose(&["service", "library", "service_group", "library_group"])?;
        Ok(format!("{kind}:{}", name(u, words)?))
    };
    Ok(match u.int_in_range(0..=4)? {
        0 => Op::ImpliesSet {
            of: of(u)?,
            key: key(u)?,
            value: if u.arbitrary()? {
                let mut p = IndexMap::new();
                for _ in 0..u.int_in_range(0..=2)? {
                    p.insert(name(u, words)?, free(u, words)?);
                }
                ImpliedValue::Params(p)
            } else {
                let n = u.int_in_range(0..=3)?;
                ImpliedValue::Options((0..n).map(|_| name(u, words)).collect::<Result<_, _>>()?)
            },
        },
        1 => Op::ImpliesRemove {
            of: of(u)?,
            key: key(u)?,
        },
        2 => Op::OptionAdd {
            name: name(u, words)?,
            description: if u.arbitrary()? {
                Some(free(u, words)?)
            } else {
                None
            },
        },
        3 => Op::OptionRemove {
            name: name(u, words)?,
        },
        _ => Op::DefaultRemove {
            name: name(u, words)?,
        },
    })
}

/// What `implies.<key>` must hold after `implies_set`.
fn written(value: &ImpliedValue, v: Option<&Value>) -> bool {
    match value {
        ImpliedValue::Params(p) if p.is_empty() => {
            v.and_then(Value::as_mapping).is_some_and(|m| m.is_empty())
        }
        ImpliedValue::Params(p) => v.and_then(Value::as_mapping).is_some_and(|m| {
            m.len() == 1
                && m.get("params")
                    .and_then(Value::as_mapping)
                    .is_some_and(|params| {
                        params.len() == p.len()
                            && p.iter().all(|(k, val)| is(params.get(k.as_str()), val))
                    })
        }),
        ImpliedValue::Options(o) => match o.as_slice() {
            [] => v.is_some_and(Value::is_null),
            [one] => is(v, one),
            many => v.and_then(Value::as_sequence).is_some_and(|s| {
                s.len() == many.len() && s.iter().zip(many).all(|(x, y)| is(Some(x), y))
            }),
        },
    }
}

/// Compare two lists item by item, except `skip`.
fn same_items(a: &[Value], b: &[Value], skip: Option<usize>) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .enumerate()
            .all(|(i, (x, y))| Some(i) == skip || same(x, y))
}

/// The implication edits: check `implies.<key>` (of the component or of option `i`) with
/// `ok`, then mask it and compare the rest.
fn implies(
    b: &mut Value,
    a: &mut Value,
    of: ImpliesOf,
    key: &str,
    ok: impl Fn(Option<&Value>) -> bool,
) -> Result<(), &'static str> {
    match of {
        ImpliesOf::Component => {
            if !ok(get(a, &["implies", key])) {
                return Err("the implication is not as written");
            }
            mask(b, a, &["implies", key]);
        }
        ImpliesOf::Option(i) => {
            let (Some(mut old), Some(mut new)) =
                (items(get(b, &["options"])), items(get(a, &["options"])))
            else {
                return Err("options is not a list");
            };
            if !same_items(&old, &new, Some(i)) {
                return Err("other options changed");
            }
            let (Some(x), Some(y)) = (old.get_mut(i), new.get_mut(i)) else {
                return Err("the option vanished");
            };
            if !ok(get(y, &["implies", key])) {
                return Err("the option's implication is not as written");
            }
            // A plain option `x` becomes `{name: x}` to hold its implications.
            if !x.is_mapping() && y.is_mapping() {
                let mut m = serde_yaml::Mapping::new();
                m.insert(Value::String("name".into()), x.clone());
                *x = Value::Mapping(m);
            }
            mask(x, y, &["implies", key]);
            if !same(x, y) {
                return Err("the option changed beyond its implication");
            }
            mask(b, a, &["options"]);
        }
    }
    Ok(())
}

fn run(ed: &mut FileEditor, op: &Op) {
    let before = ed.text().to_string();
    let result = match op {
        Op::ImpliesSet { of, key, value } => ed.implies_set(*of, key, value).map(|()| true),
        Op::ImpliesRemove { of, key } => ed.implies_remove(*of, key),
        Op::OptionAdd { name, description } => {
            ed.option_add(name, description.as_deref()).map(|()| true)
        }
        Op::OptionRemove { name } => ed.option_remove(name),
        Op::DefaultRemove { name } => ed.default_remove(name),
    };
    let after = ed.text().to_string();
    if !hsm_fuzz::edit_outcome(result, op, &before, &after, |t| {
        FileEditor::parse("x.yaml", t).is_ok()
    }) {
        return;
    }
    let what = |s: &str| format!("{op:?}: {s}");
    let Some(mut b) = hsm_fuzz::load(&before) else {
        return;
    };
    let a = hsm_fuzz::load(&after);
    check(
        a.is_some(),
        &what("the loader's YAML parser refuses the edited text"),
        &before,
        &after,
    );
    let mut a = a.expect("checked");
    if !b.is_mapping() {
        return;
    }
    let verdict = match op {
        Op::ImpliesSet { of, key, value } => {
            implies(&mut b, &mut a, *of, key, |v| written(value, v))
        }
        Op::ImpliesRemove { of, key } => implies(&mut b, &mut a, *of, key, |v| v.is_none()),
        Op::OptionAdd { name, description } => {
            match (items(get(&b, &["options"])), items(get(&a, &["options"]))) {
                (Some(old), Some(new)) => {
                    let last = new.last();
                    let ok = new.len() == old.len() + 1
                        && same_items(&old, &new[..old.len()], None)
                        && last.is_some_and(|l| named(l, name))
                        && description
                            .as_ref()
                            .is_none_or(|d| last.is_some_and(|l| is(l.get("description"), d)));
                    mask(&mut b, &mut a, &["options"]);
                    if ok {
                        Ok(())
                    } else {
                        Err("options is not the old list plus the new option")
                    }
                }
                _ => Err("options is not a list"),
            }
        }
        Op::OptionRemove { name } => {
            match (items(get(&b, &["options"])), items(get(&a, &["options"]))) {
                (Some(mut old), Some(new)) => {
                    if let Some(i) = old.iter().position(|o| named(o, name)) {
                        old.remove(i);
                    }
                    mask(&mut b, &mut a, &["options"]);
                    if same_items(&old, &new, None) {
                        Ok(())
                    } else {
                        Err("options is not the old list without the option")
                    }
                }
                _ => Err("options is not a list"),
            }
        }
        Op::DefaultRemove { name } => {
            let old = get(&b, &["default"]).cloned();
            let new = get(&a, &["default"]);
            let ok = match (old, new) {
                (Some(o), None) => named(&o, name),
                (Some(Value::Sequence(o)), Some(Value::Sequence(n))) => {
                    let kept: Vec<Value> = o.into_iter().filter(|i| !is(Some(i), name)).collect();
                    same_items(&kept, n, None)
                }
                _ => false,
            };
            mask(&mut b, &mut a, &["default"]);
            if ok {
                Ok(())
            } else {
                Err("default did not lose the name")
            }
        }
    };
    if let Err(problem) = verdict {
        check(false, &what(problem), &before, &after);
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
    let mut ed = match FileEditor::parse("x.yaml", &text) {
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
