//! The guard behind every edit: the edited text, read by the loader's YAML parser, must be
//! the document before with the edit applied, and nothing else.
//!
//! yaml-edit (which the editor splices by) and the loader's parser (libyaml rules, YAML 1.1
//! line breaks) read some constructs differently: explicit keys (`? key`), flow collections
//! over several lines, tags with odd handles. Where they disagree, a splice that looks right
//! to the editor can put a key in the wrong place, add a duplicate, or break the text. So
//! after each edit the text is read as the loader reads it and compared with what the edit
//! means ([`Intent`]) applied to the document as the loader read it before; a difference
//! refuses the edit (and the text is put back), naming the construct when one is found.

use serde_yaml::{Mapping, Value};

use super::New;

/// A step of a path, owned (the path of a [`super::Slot`]): the step of a
/// [`crate::source::KeyPath`], the one owned key-path type.
pub(crate) use crate::source::Seg as Step;

/// What an edit means for the document, as the loader reads it.
#[derive(Debug, Clone)]
pub(crate) enum Intent {
    /// The value at the path becomes this one (missing or null mappings on the way are
    /// created).
    Set(Vec<Step>, New),
    /// The list at the path gets this item at its end (a missing or null list is created).
    Push(Vec<Step>, New),
    /// The mapping entry at the path is gone.
    RemoveKey(Vec<Step>),
    /// Item `usize` of the list at the path is gone.
    RemoveItem(Vec<Step>, usize),
    /// The list item at the path, unless it is a mapping, becomes `{key: item}`.
    ItemToMapping(Vec<Step>, String),
}

/// `text` as the loader reads it (tags looked through, as hsm's models look through them);
/// `None` if the loader refuses it.
pub(crate) fn load(text: &str) -> Option<Value> {
    serde_yaml::from_str::<Value>(text).ok().map(untag)
}

fn untag(v: Value) -> Value {
    match v {
        Value::Tagged(t) => untag(t.value),
        Value::Sequence(s) => Value::Sequence(s.into_iter().map(untag).collect()),
        Value::Mapping(m) => {
            Value::Mapping(m.into_iter().map(|(k, v)| (untag(k), untag(v))).collect())
        }
        other => other,
    }
}

/// A value that matches anything: text copied from the document that does not read on its
/// own (an alias, `*a`).
fn anything() -> Value {
    Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
        tag: serde_yaml::value::Tag::new("hsm-anything"),
        value: Value::Null,
    }))
}

fn is_anything(v: &Value) -> bool {
    matches!(v, Value::Tagged(t) if t.tag == serde_yaml::value::Tag::new("hsm-anything"))
}

/// What the loader reads for a value the editor writes: strings are quoted so that they
/// stay strings, keys likewise.
fn value_of(new: &New) -> Value {
    match new {
        New::Str(s) => Value::String(s.clone()),
        New::Raw(r) => load(r).unwrap_or_else(anything),
        New::Map(entries) => Value::Mapping(
            entries
                .iter()
                .map(|e| (Value::String(e.key.clone()), value_of(&e.value)))
                .collect(),
        ),
        New::Seq(items) => Value::Sequence(items.iter().map(value_of).collect()),
    }
}

/// Whether mapping key `k` is the key `name` the editor found: the same string, or a plain
/// scalar the loader reads as something else (`1.10`, `null`).
fn key_is(k: &Value, name: &str) -> bool {
    match k {
        Value::String(s) => s == name,
        other => load(name).is_some_and(|v| same(&v, other)),
    }
}

fn find_key(m: &Mapping, name: &str) -> Option<Value> {
    if m.contains_key(name) {
        return Some(Value::String(name.to_string()));
    }
    m.keys().find(|k| key_is(k, name)).cloned()
}

/// Whether the editor may write a collection in place of `v`: a null, or the empty string
/// the loader reads for a core tag with nothing after it (`key: !!map`, which the editor
/// takes for null).
fn is_empty(v: &Value) -> bool {
    v.is_null() || v.as_str() == Some("")
}

/// The child of `v` at `step`; with `create`, an empty value becomes a mapping and a
/// missing key is added (null). `None` where the loader's document has another shape.
fn child<'v>(v: &'v mut Value, step: &Step, create: bool) -> Option<&'v mut Value> {
    match step {
        Step::Key(k) => {
            if create && is_empty(v) {
                *v = Value::Mapping(Mapping::new());
            }
            let m = v.as_mapping_mut()?;
            let key = match find_key(m, k) {
                Some(key) => key,
                None if create => {
                    m.insert(Value::String(k.to_string()), Value::Null);
                    Value::String(k.to_string())
                }
                None => return None,
            };
            m.get_mut(&key)
        }
        Step::Index(i) => v.as_sequence_mut()?.get_mut(*i),
    }
}

fn at_path<'v>(mut v: &'v mut Value, path: &[Step], create: bool) -> Option<&'v mut Value> {
    for step in path {
        v = child(v, step, create)?;
    }
    Some(v)
}

/// `before` with `intent` applied; `None` if the loader's document has not got the shape
/// the editor saw (a mapping where the editor found a list, a key it did not find).
pub(crate) fn apply(before: &Value, intent: &Intent) -> Option<Value> {
    let mut v = before.clone();
    match intent {
        Intent::Set(path, new) => {
            let slot = at_path(&mut v, path, true)?;
            *slot = value_of(new);
        }
        Intent::Push(path, item) => {
            let slot = at_path(&mut v, path, true)?;
            if is_empty(slot) {
                *slot = Value::Sequence(Vec::new());
            }
            slot.as_sequence_mut()?.push(value_of(item));
        }
        Intent::RemoveKey(path) => {
            let (Step::Key(k), parent) = path.split_last()? else {
                return None;
            };
            let m = at_path(&mut v, parent, false)?.as_mapping_mut()?;
            let key = find_key(m, k)?;
            m.shift_remove(&key)?;
        }
        Intent::RemoveItem(path, i) => {
            let s = at_path(&mut v, path, false)?.as_sequence_mut()?;
            if *i >= s.len() {
                return None;
            }
            s.remove(*i);
        }
        Intent::ItemToMapping(path, key) => {
            let item = at_path(&mut v, path, false)?;
            if !item.is_mapping() {
                let mut m = Mapping::new();
                m.insert(Value::String(key.clone()), item.clone());
                *item = Value::Mapping(m);
            }
        }
    }
    Some(v)
}

/// Values compared with their order, NaN included; [`anything`] in `expected` matches any
/// value.
pub(crate) fn matches(expected: &Value, actual: &Value) -> bool {
    if is_anything(expected) {
        return true;
    }
    match (expected, actual) {
        (Value::Mapping(a), Value::Mapping(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| same(ka, kb) && matches(va, vb))
        }
        (Value::Sequence(a), Value::Sequence(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| matches(x, y))
        }
        _ => same(expected, actual),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

// ---------------------------------------------------------------------------------------
// What the loader and yaml-edit read differently: named in the refusal.

/// A construct that the editor's parser and the loader's may read differently: where it
/// is, what it is, and how to write it instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Construct {
    pub(crate) offset: usize,
    pub(crate) len: usize,
    pub(crate) what: String,
    pub(crate) label: &'static str,
    pub(crate) fix: &'static str,
}

/// The line breaks of YAML 1.1 that YAML 1.2 (and yaml-edit) read as ordinary characters:
/// the loader's parser breaks lines there, the editor does not.
pub(crate) fn unicode_line_break(text: &str) -> Option<Construct> {
    let (offset, c) = text
        .char_indices()
        .find(|(_, c)| matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}'))?;
    let name = match c {
        '\u{85}' => "a next-line character (U+0085)",
        '\u{2028}' => "a line separator (U+2028)",
        _ => "a paragraph separator (U+2029)",
    };
    Some(Construct {
        offset,
        len: c.len_utf8(),
        what: name.to_string(),
        label: "a line break to hsm's YAML reader, not to its editor",
        fix: "replace it with an ordinary line break (or remove it)",
    })
}

/// The first construct of `text` that hsm's editor may read unlike its loader: an explicit
/// key (`? key`), a flow collection over several lines, a tag with an odd handle.
pub(crate) fn odd_construct(text: &str) -> Option<Construct> {
    if let Some(c) = unicode_line_break(text) {
        return Some(c);
    }
    let mut depth = 0usize;
    let mut open_at = 0usize;
    let mut line_start = 0usize;
    for line in text.split_inclusive(['\n', '\r']) {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start_matches([' ', '\t']);
        let indent = body.len() - trimmed.len();
        if depth == 0 && (trimmed == "?" || trimmed.starts_with("? ") || trimmed.starts_with("?\t"))
        {
            return Some(Construct {
                offset: line_start + indent,
                len: 1,
                what: "an explicit key (`?`)".to_string(),
                label: "an explicit key",
                fix: "write the entry as `key: value` in a block mapping",
            });
        }
        let (mut quote, mut prev) = (None::<char>, ' ');
        for (i, c) in body.char_indices() {
            match quote {
                Some(q) => {
                    if c == q && !(q == '"' && prev == '\\') {
                        quote = None;
                    }
                }
                None => {
                    let token_start = prev == ' ' || prev == '\t' || "[{,".contains(prev);
                    match c {
                        '\'' | '"' if token_start || i == 0 => quote = Some(c),
                        '#' if token_start || i == 0 => break,
                        '{' | '[' => {
                            if depth == 0 {
                                open_at = line_start + i;
                            }
                            depth += 1;
                        }
                        '}' | ']' => depth = depth.saturating_sub(1),
                        '!' if token_start || i == 0 => {
                            let tag: String = body[i..]
                                .chars()
                                .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
                                .collect();
                            if odd_tag(&tag) {
                                return Some(Construct {
                                    offset: line_start + i,
                                    len: tag.len(),
                                    what: format!("the tag `{tag}`"),
                                    label: "a tag hsm's editor reads unlike its loader",
                                    fix: "remove the tag",
                                });
                            }
                        }
                        _ => {}
                    }
                }
            }
            prev = c;
        }
        if depth > 0 {
            return Some(Construct {
                offset: open_at,
                len: 1,
                what: "a flow collection over several lines".to_string(),
                label: "this collection does not end on its line",
                fix: "write the collection on one line or as a block mapping or list",
            });
        }
        line_start += line.len();
    }
    None
}

/// A tag other than `!`, `!name` and `!!name` with word characters (`!x$y!z`, `!a!b`).
fn odd_tag(tag: &str) -> bool {
    let name = tag
        .strip_prefix("!!")
        .or_else(|| tag.strip_prefix('!'))
        .unwrap_or(tag);
    !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructs_are_found_where_they_are() {
        let found = |t: &str| odd_construct(t).map(|c| (c.offset, c.what));
        assert_eq!(
            found("a: 1\n? b\n: c\n"),
            Some((5, "an explicit key (`?`)".into()))
        );
        assert_eq!(
            found("t:\n u: {\n}"),
            Some((7, "a flow collection over several lines".into()))
        );
        assert_eq!(found("a: !x$y!z\n"), Some((3, "the tag `!x$y!z`".into())));
        assert_eq!(
            found("# \u{2028} a: 1\n"),
            Some((2, "a line separator (U+2028)".into()))
        );
        for fine in [
            "a: {b: [c]}\n",
            "a: '{'\n",
            "a: \"[\" # {\n",
            "a: !!map {}\n",
            "a: !custom x\n",
            "- ?x\n",
            "a: b!c\n",
        ] {
            assert_eq!(found(fine), None, "{fine:?}");
        }
    }

    #[test]
    fn intents_apply_to_the_loaders_document() {
        let v = load("a: 1\n1.10: x\nl: [p, q]\n").unwrap();
        let set = Intent::Set(
            vec![Step::Key("b".into()), Step::Key("c".into())],
            New::Str("1.10".into()),
        );
        let out = apply(&v, &set).unwrap();
        assert!(matches(
            &out,
            &load("a: 1\n1.10: x\nl: [p, q]\nb: {c: '1.10'}\n").unwrap()
        ));
        let out = apply(&v, &Intent::RemoveKey(vec![Step::Key("1.10".into())])).unwrap();
        assert!(matches(&out, &load("a: 1\nl: [p, q]\n").unwrap()));
        let path = vec![Step::Key("l".into()), Step::Index(0)];
        let out = apply(&v, &Intent::ItemToMapping(path, "name".into())).unwrap();
        assert!(matches(
            &out,
            &load("a: 1\n1.10: x\nl: [{name: p}, q]\n").unwrap()
        ));
        // The loader's document has not got the shape the editor saw.
        assert!(apply(&v, &Intent::RemoveItem(vec![Step::Key("a".into())], 0)).is_none());
        // Order counts.
        assert!(!matches(
            &load("{a: 1, b: 2}").unwrap(),
            &load("{b: 2, a: 1}").unwrap()
        ));
        assert!(matches(&anything(), &load("[x]").unwrap()));
    }
}
