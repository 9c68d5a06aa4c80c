//! Shared pieces of the fuzz targets in `fuzz_targets/`.
//!
//! Every target gets bytes from libFuzzer and turns them into what hsm reads: file text
//! (lossy UTF-8, since hsm refuses non-UTF-8 files before parsing) and, for the editors, a
//! list of edit operations. Whatever a parser answers, an error is rendered exactly as the
//! CLI renders it (miette code frame, `--format json`), because the lazy position lookup
//! behind those frames is a parser of its own.

use std::path::PathBuf;

use arbitrary::Unstructured;

pub mod registry;

/// The input as text: hsm reads files as UTF-8 and refuses anything else before parsing,
/// so invalid bytes become U+FFFD instead of wasting the run.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Split an editor input into file text and operation bytes at the first NUL byte. A NUL
/// is no valid YAML character, so nothing a real file holds is lost; the seed corpus is
/// plain files, and the fuzzer learns to append `\0` and operations to them.
pub fn split_ops(data: &[u8]) -> (String, &[u8]) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (text(&data[..i]), &data[i + 1..]),
        None => (text(data), &[]),
    }
}

/// Render an error as the CLI does (text and JSON): positions, code frame, help.
pub fn render(err: &hsm::Error) {
    let shown = hsm::render_error(err);
    assert!(!shown.is_empty(), "an error rendered as nothing");
    let _ = err.location();
    let _ = err.to_json().to_string();
}

/// A scratch directory of this process, for the readers that take a path.
pub fn scratch_dir() -> &'static PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("hsm-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz scratch directory");
        dir
    })
}

/// The value of the first top-level `name:` line, so a registry seed is loaded under its
/// own name (a file's `name:` must equal its file name) and the fuzzer gets past that check.
pub fn declared_name(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("name:"))
        .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        .filter(|n| hsm::is_valid_name(n))
        .unwrap_or_else(|| "x".to_string())
}

// ---------------------------------------------------------------------------------------
// Names and strings for edit operations.

/// Names that exercise the quoting rules (`yes`, `1.10`, `null` must be quoted) and the
/// names of the built-in registry's seeds.
const FIXED_NAMES: &[&str] = &[
    "a",
    "b",
    "x",
    "qdrant",
    "vector-db",
    "1.10",
    "yes",
    "null",
    "on",
    "true",
    "0x1F",
    "a.b",
    "2024-01-01",
    "name",
    "selection",
    "groups",
];

/// Valid names that occur in the text, so operations hit existing keys and items.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in text.split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c))) {
        if hsm::is_valid_name(w) && !out.iter().any(|o| o == w) {
            out.push(w.to_string());
            if out.len() == 64 {
                break;
            }
        }
    }
    out
}

/// Pick a valid name: one of the text's words or a fixed one.
pub fn name(u: &mut Unstructured, words: &[String]) -> arbitrary::Result<String> {
    let i = u.arbitrary::<u8>()? as usize;
    Ok(if !words.is_empty() && i % 4 != 0 {
        words[i % words.len()].clone()
    } else {
        FIXED_NAMES[i % FIXED_NAMES.len()].to_string()
    })
}

/// A free-form string (a description, a comment, a param value): a name, or any text.
pub fn free(u: &mut Unstructured, words: &[String]) -> arbitrary::Result<String> {
    if u.arbitrary::<bool>()? {
        name(u, words)
    } else {
        let s: String = u.arbitrary()?;
        Ok(s.chars().take(40).collect())
    }
}

// ---------------------------------------------------------------------------------------
// YAML values as hsm's loader (serde) sees them, for the editors' checks.

pub use serde_yaml::Value;

/// Parse with the loader's YAML parser; `None` if it refuses the text. Tags are looked
/// through (`!` on the root, `!!map`), as hsm's models look through them. A byte order mark
/// is no part of the text, as for hsm's loader (`SourceFile` sets it aside; yaml_serde given
/// one reads a second key as a second document).
pub fn load(text: &str) -> Option<Value> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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

/// The value at `path` (mapping keys only), if every step is there.
pub fn get<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let mut cur = v;
    for key in path {
        cur = cur.as_mapping()?.get(*key)?;
    }
    Some(cur)
}

/// Remove the entry at `path` (its last key) if it is there.
pub fn remove(v: &mut Value, path: &[&str]) {
    let Some((last, parents)) = path.split_last() else {
        *v = Value::Null;
        return;
    };
    let mut cur = v;
    for key in parents {
        match cur.as_mapping_mut().and_then(|m| m.get_mut(*key)) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_mapping_mut() {
        m.shift_remove(*last);
    }
}

/// After the entry at `path` was masked in both: mappings the edit created on the way
/// (where `before` had nothing, `null` or `{}`) are made what they were before.
pub fn unwind_created(before: &Value, after: &mut Value, path: &[&str]) {
    for depth in (1..path.len()).rev() {
        let prefix = &path[..depth];
        let was = get(before, prefix).cloned();
        let (last, parents) = prefix.split_last().expect("depth >= 1");
        let Some(parent) = get_mut(after, parents).and_then(Value::as_mapping_mut) else {
            continue;
        };
        let now_empty = parent
            .get(*last)
            .is_some_and(|v| v.as_mapping().is_some_and(|m| m.is_empty()));
        if !now_empty {
            continue;
        }
        match was {
            None => {
                parent.shift_remove(*last);
            }
            Some(w) if w.is_null() || w.as_mapping().is_some_and(|m| m.is_empty()) => {
                if let Some(slot) = parent.get_mut(*last) {
                    *slot = w;
                }
            }
            Some(_) => {}
        }
    }
    // An empty document that got its first key (`!!map` alone reads as "").
    if (before.is_null() || before.as_str() == Some(""))
        && after.as_mapping().is_some_and(|m| m.is_empty())
    {
        *after = before.clone();
    }
}

pub fn get_mut<'v>(v: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    let mut cur = v;
    for key in path {
        cur = cur.as_mapping_mut()?.get_mut(*key)?;
    }
    Some(cur)
}

/// The name of a list item as the editors see it: a string, or a mapping's `name`.
pub fn item_name(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Mapping(m) => m.get("name").and_then(Value::as_str),
        _ => None,
    }
}

/// The items of a list, or none for a missing or null value.
pub fn items(v: Option<&Value>) -> Option<Vec<Value>> {
    match v {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Sequence(s)) => Some(s.clone()),
        Some(_) => None,
    }
}

/// Values compared with their order and NaN included (`Debug`, unlike `==`, sees both).
pub fn same(a: &Value, b: &Value) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// Fail with both documents shown.
#[track_caller]
pub fn check(ok: bool, what: &str, before: &str, after: &str) {
    assert!(
        ok,
        "{what}\n--- before ---\n{before}\n--- after ---\n{after}\n--- end ---"
    );
}

/// `v` is the string `s` as YAML reads it back (`1.10` is a number on both sides).
pub fn is(v: Option<&Value>, s: &str) -> bool {
    match v {
        Some(Value::String(t)) => t == s,
        Some(other) => load(s).is_some_and(|w| same(&w, other)),
        None => false,
    }
}

/// `v` is the item `name`: the string, or a mapping with that `name:`.
pub fn named(v: &Value, name: &str) -> bool {
    match v {
        Value::Mapping(m) => is(m.get("name"), name),
        other => is(Some(other), name),
    }
}

/// Take the edited key out of both documents (and what the edit created to hold it), so
/// the rest can be compared.
pub fn mask(b: &mut Value, a: &mut Value, path: &[&str]) {
    remove(b, path);
    remove(a, path);
    unwind_created(b, a, path);
}

/// The checks every edit of every editor shares: a failed edit leaves the text as it was
/// (its error renders), an edit that says it changed nothing changed nothing, and an edit
/// that changed the text leaves text the editor (`parses`) reads again. Returns whether
/// the text changed and the target should check the edit itself.
pub fn edit_outcome(
    result: Result<bool, hsm::Error>,
    op: &dyn std::fmt::Debug,
    before: &str,
    after: &str,
    parses: impl FnOnce(&str) -> bool,
) -> bool {
    let changed = match result {
        Err(e) => {
            render(&e);
            check(
                before == after,
                &format!("{op:?} failed but changed the text"),
                before,
                after,
            );
            return false;
        }
        Ok(changed) => changed,
    };
    if !changed {
        check(
            before == after,
            &format!("{op:?} reported no change but changed the text"),
            before,
            after,
        );
        return false;
    }
    check(
        parses(after),
        &format!("{op:?}: the editor cannot read its own output"),
        before,
        after,
    );
    true
}

/// The edits of an input without operation bytes (a plain seed file): a few of each kind.
pub const DEFAULT_OPS: &[u8] = &[
    0, 0, 5, 1, 9, 0, 1, 1, 2, 3, 0, 4, 7, 1, 1, 2, 2, 1, 3, 5, 6, 0, 4, 4, 1, 6, 9, 1, 5, 3, 0, 7,
    2, 1, 1, 6, 4, 0, 2, 5, 7, 3, 1, 0, 6, 2, 8,
];

// ---------------------------------------------------------------------------------------
// Known bugs owned elsewhere.

/// Whether to check everything, known bugs included (`HSM_FUZZ_STRICT=1`): the targets
/// step around the open bugs of `fuzz/crashes-found/` unless it is set.
pub fn strict() -> bool {
    static STRICT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("HSM_FUZZ_STRICT").is_some_and(|v| v == "1"))
}
