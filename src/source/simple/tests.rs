//! The subset must read every text it answers for exactly as `serde_yaml` does: checked on
//! every file hsm ships, tests or fuzzes from, and on thousands of changes to each.

use std::fmt::Debug;
use std::path::Path;

use serde::de::DeserializeOwned;

use super::{agrees, from_str};
use crate::manifest::model::ManifestFile;
use crate::registry::model::{GroupFile, LibraryFile, ServiceFile};

/// The files of `dirs` (relative to the crate), each also with its first line moved to
/// the end.
pub(crate) fn files(dirs: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                files.push(text);
            }
        }
    }
    assert!(files.len() > 5, "found {} files in {dirs:?}", files.len());
    let rotated: Vec<String> = files
        .iter()
        .map(|f| {
            let mut lines: Vec<&str> = f.lines().collect();
            if !lines.is_empty() {
                lines.rotate_left(1);
            }
            lines.join("\n")
        })
        .collect();
    files.extend(rotated);
    files
}

/// Each of `files`, and each changed where YAML is easiest to get wrong: a line dropped,
/// repeated, indented or moved to column 0, `inserts` put at its start, after its colon, after
/// its dash and at its end, and a flow collection or quoted scalar opened on it and closed on
/// the next line.
pub(crate) fn mutated(files: &[String], inserts: &[&str]) -> Vec<String> {
    let mut texts = Vec::new();
    for file in files {
        let lines: Vec<&str> = file.lines().collect();
        texts.push(file.clone());
        for i in 0..lines.len() {
            let with = |line: &str| {
                let mut changed = lines.clone();
                changed[i] = line;
                changed.join("\n")
            };
            let mut dropped = lines.clone();
            dropped.remove(i);
            texts.push(dropped.join("\n"));
            let mut twice = lines.clone();
            twice.insert(i, lines[i]);
            texts.push(twice.join("\n"));
            texts.push(with(&format!("  {}", lines[i])));
            texts.push(with(&format!(" {}", lines[i])));
            texts.push(with(lines[i].trim_start()));
            for insert in inserts {
                texts.push(with(&format!("{insert}{}", lines[i])));
                texts.push(with(&format!("{}{insert}", lines[i])));
                if let Some(colon) = lines[i].find(": ") {
                    let (key, value) = lines[i].split_at(colon + 2);
                    texts.push(with(&format!("{key}{insert}{value}")));
                    texts.push(with(&format!("{key}{insert}")));
                }
                let item = lines[i].trim_start();
                if item.starts_with("- ") {
                    let dash = lines[i].len() - item.len();
                    texts.push(with(&format!("{}- {insert}", &lines[i][..dash])));
                }
            }
            if let (Some(colon), Some(next)) = (lines[i].find(": "), lines.get(i + 1)) {
                let key = &lines[i][..colon + 2];
                for (open, close) in [("{z: 1,", "}"), ("[z,", "]"), ("\"z", "\""), ("'z", "'")] {
                    let mut joined = lines.clone();
                    let opened = format!("{key}{open}");
                    let closed = format!("{next}{close}");
                    joined[i] = &opened;
                    joined[i + 1] = &closed;
                    texts.push(joined.join("\n"));
                }
            }
        }
    }
    texts
}

/// What the mutations insert: indicators, and scalars YAML resolves or quotes unusually.
pub(crate) const INSERTS: &[&str] = &[
    "{",
    "]",
    "'",
    "\"",
    "# ",
    ": ",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "|",
    "- ",
    "? ",
    "\"a\\\"b\" ",
    "'it''s' ",
    "1.10",
    "true",
    "~",
    "NULL",
    "0x1f",
    "-1",
    ".5",
    "012",
    "7",
    "a:b",
    " ",
    "{}",
    "[a, b,]",
    "{a: [b, {c: d}]}",
    "' a'",
    "%",
    "\u{a0}",
    "é",
];

/// Checks `files` and their mutations as a `T`: wherever the subset answers, `serde_yaml`
/// must agree; and the subset must answer for most of the files as written, or it saves
/// nothing.
fn check<T: DeserializeOwned + Debug>(dirs: &[&str]) {
    let files = files(dirs);
    let agree = |text: &String| match agrees::<T>(text) {
        Ok(yes) => usize::from(yes),
        Err(e) => panic!("{e}\n--- on ---\n{text}"),
    };
    let answered: usize = files.iter().map(agree).sum();
    assert!(
        answered * 2 > files.len(),
        "answered {answered} of {} files",
        files.len()
    );
    // Mutated texts grow with the square of a file's lines: long files add time, not cases.
    // (The files as written only: `files` puts the copies with a line moved after them.)
    let written = files.len() / 2;
    let short: Vec<String> = files
        .into_iter()
        .take(written)
        .filter(|f| f.lines().count() <= 40)
        .collect();
    for text in mutated(&short, INSERTS) {
        agree(&text);
    }
}

#[test]
fn libraries_read_alike() {
    check::<LibraryFile>(&["registry/libraries", "fuzz/corpus/registry_library"]);
}

#[test]
fn services_read_alike() {
    check::<ServiceFile>(&["registry/services", "fuzz/corpus/registry_service"]);
}

#[test]
fn groups_read_alike() {
    check::<GroupFile>(&[
        "registry/library_groups",
        "registry/service_groups",
        "fuzz/corpus/registry_library_group",
        "fuzz/corpus/registry_service_group",
    ]);
}

#[test]
fn manifests_read_alike() {
    check::<ManifestFile>(&["fuzz/corpus/manifest"]);
}

#[test]
fn any_value_reads_alike() {
    check::<serde_yaml::Value>(&["fuzz/corpus/scenario"]);
}

/// The built-in rule suites, as written (they are long: mutating each line of each would
/// take minutes and add nothing the shorter files do not).
#[test]
fn rule_suites_read_alike() {
    let files = files(&["rules"]);
    let answered = files
        .iter()
        .filter(|t| agrees::<serde_yaml::Value>(t) == Ok(true))
        .count();
    for text in &files {
        if let Err(e) = agrees::<serde_yaml::Value>(text) {
            panic!("{e}\n--- on ---\n{text}");
        }
    }
    assert!(
        answered * 2 > files.len(),
        "answered {answered} of {} files",
        files.len()
    );
}
/// Shapes the mutations do not make, each read by the subset (it must answer) exactly as
/// by `serde_yaml`.
#[test]
fn hand_written_shapes_read_alike() {
    let shapes = [
        "a: b\n",
        "a: 'b'\nc: \"d\"\n",
        "a: 'it''s'\n",
        "a:\n  b: c\n  d:\n    - e\n    - f: g\n      h: i\n",
        "a:\n- b\n- c\nd: e\n",
        "a: [b, 'c', \"d\", {e: f}]\n",
        "a: {service:b-1: {}, library:c: {p: q}}\n",
        "a: b # comment\n# c\n  # d\ne: f\n",
        "a:\nb: ~\nc: null\n",
        "a: b:c\n",
        "a: http://x.y/z?q=1#f\n",
        "a: x#y\n",
        "a: []\nb: {}\n",
        "- \n",
        "a:\n  -\n  - b\n",
        "a: true\nb: False\n",
        "a: 1\nb: 0\nc: 123456789012345678\n",
        "'a b': c\n\"d\": e\n",
        "a: é ü\n",
        "a: \u{a0}b\n",
    ];
    for shape in shapes {
        match agrees::<serde_yaml::Value>(shape) {
            Ok(true) => {}
            Ok(false) if shape == "- \n" => {}
            Ok(false) => panic!("the subset left this to serde_yaml:\n{shape}"),
            Err(e) => panic!("{e}\n--- on ---\n{shape}"),
        }
    }
}

/// Texts the subset must leave to `serde_yaml`, which reads them differently from what a
/// line-by-line reading suggests or refuses them.
#[test]
fn tricky_texts_are_left_to_the_parser() {
    let tricky = [
        "a: b\n  c\n",
        "a: 'b\n  c'\n",
        "a: [b,\n  c]\n",
        "a: &x b\nc: *x\n",
        "a: !!str 1\n",
        "a: |\n  b\n",
        "a: b\na: c\n",
        "a: 1.5\n",
        "a: 0x1f\n",
        "a: \"b\\tc\"\n",
        "a:\tb\n",
        "a: b\r\n",
        "\u{feff}a: b\n",
        "---\na: b\n",
        "a: b\n---\nc: d\n",
        "? a\n: b\n",
        "a: [b, c,]\n",
        "a: {b: c: d}\n",
        "  a: b\n",
        "- a\n",
        "a: b: c\n",
    ];
    for text in tricky {
        assert_eq!(
            from_str::<serde_yaml::Value>(text),
            None,
            "the subset answered for:\n{text}"
        );
    }
}

/// A mapping with many keys is read (the manifests of large stacks have thousands of
/// groups), and a key repeated far down it is still found.
#[test]
fn large_mappings_are_read_and_their_repeated_keys_found() {
    let many: String = (0..300).map(|i| format!("k{i}: {{a: v{i}}}\n")).collect();
    assert_eq!(agrees::<serde_yaml::Value>(&many), Ok(true));
    for flow in [false, true] {
        let mut keys: Vec<String> = (0..40).map(|i| format!("k{i}: v")).collect();
        keys.push("k3: w".to_string());
        let text = if flow {
            format!("a: {{{}}}\n", keys.join(", "))
        } else {
            keys.join("\n") + "\n"
        };
        assert_eq!(from_str::<serde_yaml::Value>(&text), None, "{text}");
    }
}
