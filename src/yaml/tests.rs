//! Tests of the editor as commands use it.

use super::*;
use crate::error::Error;
use crate::source::SourceFile;
use lines::line_break;

use crate::manifest::Strategy;
use crate::manifest::edit::Editor;
use crate::registry::edit::{FileEditor, ImpliedValue, ImpliesOf};
use crate::vocab::Kind;

/// `group add g --option o` on hsm.yaml `text`.
fn select(text: &str) -> Result<String, Error> {
    let mut e = Editor::parse(text)?;
    e.group_select(Kind::Library, "g", Strategy::OneOfN, "o", None)?;
    Ok(e.to_text())
}

const SELECTED: &str =
    "libraries:\n  groups:\n    g:\n      strategy: 1-of-N\n      selection: o\n";

#[test]
fn a_multi_byte_character_at_the_end_of_the_file() {
    // The last value ends in `é`: its last byte is inside the character.
    let mut e = FileEditor::parse("x.yaml", "name: a\ndescription: café").unwrap();
    let value = ImpliedValue::Params(indexmap::IndexMap::new());
    e.implies_set(ImpliesOf::Component, "service:s", &value)
        .unwrap();
    assert_eq!(
        e.text(),
        "name: a\ndescription: café\nimplies:\n  service:s: {}\n"
    );
    for text in [
        "project:\n  name: café",
        "project: {name: café}",
        "project:\n  name: 日本😀",
    ] {
        let out = select(text).unwrap();
        assert_eq!(out, format!("{text}\n{SELECTED}"));
    }
    let mut e = FileEditor::parse(
        "g.yaml",
        "name: g\noptions:\n  - name: a\n    description: é",
    )
    .unwrap();
    e.option_add("b", Some("ü")).unwrap();
    assert_eq!(
        e.text(),
        "name: g\noptions:\n  - name: a\n    description: é\n  - name: b\n    description: ü\n"
    );
}

#[test]
fn an_empty_root_however_written() {
    // Without a last line break before, there is none after.
    assert_eq!(select("{}").unwrap(), SELECTED.trim_end());
    for text in ["{}\n", "  {}\n", "~\n", "", "# nothing yet\n", "!!map\n"] {
        let out = select(text).unwrap();
        let kept = match text {
            "# nothing yet\n" | "!!map\n" => text,
            _ => "",
        };
        assert_eq!(out, format!("{kept}{SELECTED}"), "{text:?}");
    }
    // `!!binary` with nothing after it is an empty string to the loader, not an empty
    // mapping. (At the root, fuzz/corpus/edit_manifest/binary-tag-root.yaml, the editor
    // sees no node and writes the first keys under the tag, which the loader reads as
    // a mapping: no file hsm loads as a manifest.)
    let err = select("libraries: !!binary\n").unwrap_err();
    assert_eq!(
        err.message,
        "cannot edit hsm.yaml: `libraries` is the value ``, expected a mapping"
    );
    for (text, head) in [
        ("--- {}\n", "---\n"),
        ("!!map {}\n", "!!map\n"),
        ("--- !!map {}\n", "--- !!map\n"),
        ("--- !!map\n", "--- !!map\n"),
        ("---\n", "---\n"),
    ] {
        assert_eq!(
            select(text).unwrap(),
            format!("{head}{SELECTED}"),
            "{text:?}"
        );
    }
}

#[test]
fn tags_and_anchors_stay_where_they_are() {
    // A tagged or anchored key is found by its name.
    assert_eq!(
        select("!!str libraries:\n  groups: {}\n").unwrap(),
        "!!str libraries:\n  groups:\n    g:\n      strategy: 1-of-N\n      selection: o\n"
    );
    assert_eq!(
        select("&l libraries: {}\n").unwrap(),
        "&l libraries:\n  groups:\n    g:\n      strategy: 1-of-N\n      selection: o\n"
    );
    // A core tag on a value is looked through; an anchor stays on its value.
    assert_eq!(
        select("libraries: !!map {}\n").unwrap(),
        "libraries: !!map\n  groups:\n    g:\n      strategy: 1-of-N\n      selection: o\n"
    );
    assert_eq!(
        select("libraries: &l\n  groups: !!map\n    h: {selection: p}\n").unwrap(),
        "libraries: &l\n  groups: !!map\n    h: {selection: p}\n    g:\n      strategy: 1-of-N\n      selection: o\n"
    );
    let mut e = Editor::parse("libraries:\n  standalone:\n    - &x a\n    - !!str b\n").unwrap();
    e.set_mode("a", crate::manifest::Mode::Dev).unwrap();
    e.set_mode("b", crate::manifest::Mode::Dev).unwrap();
    assert_eq!(
        e.to_text(),
        "libraries:\n  standalone:\n    - {name: &x a, mode: dev}\n    - {name: !!str b, mode: dev}\n"
    );
    let mut e = FileEditor::parse("g.yaml", "options:\n  - &o a\n").unwrap();
    let value = ImpliedValue::Params(indexmap::IndexMap::new());
    e.implies_set(ImpliesOf::Option(0), "service:s", &value)
        .unwrap();
    assert_eq!(
        e.text(),
        "options:\n  - name: &o a\n    implies:\n      service:s: {}\n"
    );
}

#[test]
fn what_cannot_be_edited_is_refused_with_its_position() {
    let err = select("libraries: !custom {}\n").unwrap_err();
    assert_eq!(
        err.message,
        "cannot edit hsm.yaml: `libraries` is tagged `!custom`, expected a mapping"
    );
    assert_eq!(err.location().as_deref(), Some("hsm.yaml:1:12"));
    assert!(
        err.help.as_deref().unwrap().contains("remove the tag"),
        "{err:?}"
    );
    let err = select("services: &s {}\nlibraries: *s\n").unwrap_err();
    assert_eq!(
        err.message,
        "cannot edit hsm.yaml: `libraries` is an alias (`*s`), expected a mapping"
    );
    assert_eq!(err.location().as_deref(), Some("hsm.yaml:2:12"));
    let err = select("project: {name: a}\n---\nproject: {name: b}\n").unwrap_err();
    assert_eq!(err.message, "hsm.yaml holds more than one YAML document");
    assert_eq!(err.location().as_deref(), Some("hsm.yaml:2:1"));
}

#[test]
fn line_breaks_are_kept() {
    // CRLF, a lone CR (a line break in YAML), and a file without a last line break.
    assert_eq!(
        select("project:\r\n  name: x\r\n").unwrap(),
        format!(
            "project:\r\n  name: x\r\n{}",
            SELECTED.replace('\n', "\r\n")
        )
    );
    assert_eq!(
        select("project: {name: x}\rlibraries: {}\r").unwrap(),
        format!("project: {{name: x}}\r{}", SELECTED.replace('\n', "\r"))
    );
    assert_eq!(
        select("project:\n  name: x\r").unwrap(),
        format!("project:\n  name: x\r{SELECTED}")
    );
    // A stray CR in a blank line does not make the file CRLF.
    assert_eq!(
        select("project: {name: x}\n\r\n").unwrap(),
        format!("project: {{name: x}}\n{SELECTED}\r\n")
    );
    assert_eq!(line_break("a\r\nb\n"), "\r\n");
    assert_eq!(line_break("a"), "\n");
}

/// `implies add service:s` on registry file `text`.
fn implies(text: &str) -> Result<String, Error> {
    let mut e = FileEditor::parse("x.yaml", text)?;
    let value = ImpliedValue::Params(indexmap::IndexMap::new());
    let result = e.implies_set(ImpliesOf::Component, "service:s", &value);
    // A refused edit leaves the text as it was.
    if result.is_err() {
        assert_eq!(e.text(), text);
    }
    result.map(|()| e.text().into_owned())
}

#[test]
fn a_byte_order_mark_stays_at_the_start() {
    // fuzz/corpus/edit_manifest/bom-then-edit.yaml: the editor read the mark as part of
    // the first key, the loader as no part of the text.
    let text = "\u{feff}raries:\n  groups:\n    llm-client:\n      strategy: 1-of-N\n";
    let mut e = Editor::parse(text).unwrap();
    e.group_select(Kind::Library, "g", Strategy::OneOfN, "o", None)
        .unwrap();
    e.set_project_name("p").unwrap();
    assert!(e.group_remove(Kind::Library, "g").unwrap());
    e.standalone_add(Kind::Service, "s", None).unwrap();
    let out = e.to_text();
    assert_eq!(
        out,
        format!(
            "{text}libraries:\n  groups: {{}}\nproject:\n  name: p\nservices:\n  standalone:\n    - s\n"
        )
    );
    // hsm's loader reads the mark as no part of the text, as the editor does now (and
    // yaml_serde, given the mark, reads a second key as a second document).
    let body = out.strip_prefix('\u{feff}').unwrap();
    assert!(serde_yaml::from_str::<serde_yaml::Value>(body).is_ok());
    assert!(
        crate::source::parse_yaml::<serde_yaml::Value>(
            &SourceFile::new("hsm.yaml", None, out.as_str()),
            "manifest"
        )
        .is_ok()
    );
    assert_eq!(
        select("\u{feff}libraries: {}\n").unwrap(),
        format!("\u{feff}{SELECTED}")
    );
    assert_eq!(
        implies("\u{feff}name: x\n").unwrap(),
        "\u{feff}name: x\nimplies:\n  service:s: {}\n"
    );
}

#[test]
fn yaml_1_1_line_breaks_are_refused() {
    // fuzz/corpus/edit_manifest/line-separator-in-comment.yaml: `#<U+2028> a: 1` is a
    // comment to the editor, and `{a: 1}` to the loader.
    for (text, what, at) in [
        ("#\u{2028} a: 1\n", "a line separator (U+2028)", "1:2"),
        ("a: b\u{85}c\n", "a next-line character (U+0085)", "1:5"),
        (
            "a: 1\nb: \"\u{2029}\"\n",
            "a paragraph separator (U+2029)",
            "2:5",
        ),
    ] {
        let err = Editor::parse(text).unwrap_err();
        assert_eq!(
            err.message,
            format!("hsm cannot edit hsm.yaml losslessly: {what} at {at}")
        );
        assert_eq!(err.location(), Some(format!("hsm.yaml:{at}")));
        assert!(err.help.unwrap().contains("ordinary line break"));
        assert!(FileEditor::parse("x.yaml", text).is_err());
    }
}

#[test]
fn what_the_loader_reads_otherwise_is_refused() {
    // fuzz/corpus/edit_registry/explicit-key-root.yaml: `implies:` went inside the key.
    let err = implies("?").unwrap_err();
    assert_eq!(
        err.message,
        "hsm cannot edit x.yaml losslessly: an explicit key (`?`) at 1:1"
    );
    assert_eq!(
        err.help.as_deref(),
        Some(
            "edit x.yaml by hand, or write the entry as `key: value` in a block mapping; \
             then run the command again"
        )
    );
    // fuzz/corpus/edit_registry/multiline-flow-mapping.yaml: `implies:` went inside the
    // braces.
    let err = implies("t:\n u: {\n}").unwrap_err();
    assert_eq!(
        err.message,
        "hsm cannot edit x.yaml losslessly: a flow collection over several lines at 2:5"
    );
    // fuzz/corpus/edit_registry/tag-with-odd-handle.yaml: the editor did not see the
    // `implies` key and added a second one.
    let err = implies("a: !x$y!z\nimplies:\n  service:a: a\n").unwrap_err();
    assert_eq!(
        err.message,
        "hsm cannot edit x.yaml losslessly: the tag `!x$y!z` at 1:4"
    );
    assert_eq!(err.location().as_deref(), Some("x.yaml:1:4"));
    // The same constructs where the edit comes out right are edited.
    assert_eq!(
        implies("? a\n: b\nimplies: {}\n").unwrap(),
        "? a\n: b\nimplies:\n  service:s: {}\n"
    );
    assert_eq!(
        implies("a: {\n  b: c}\n").unwrap(),
        "a: {\n  b: c}\nimplies:\n  service:s: {}\n"
    );
    assert_eq!(
        implies("a: !x!z b\n").unwrap(),
        "a: !x!z b\nimplies:\n  service:s: {}\n"
    );
}

mod property {
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;
    use serde_yaml::{Mapping, Value};

    use crate::manifest::edit::Editor;
    use crate::manifest::{Mode, Strategy as Pick};
    use crate::registry::edit::{FileEditor, ImpliedValue, ImpliesOf};
    use crate::vocab::Kind;

    /// Text shaped like YAML often enough to reach the editing code: lines of keys,
    /// items, flow collections, comments, quotes, tags and anchors, with multi-byte
    /// characters, tabs and every kind of line break, or arbitrary printable text.
    fn text() -> impl Strategy<Value = String> {
        let word = prop_oneof![
            Just("libraries".to_string()),
            Just("services".to_string()),
            Just("groups".to_string()),
            Just("standalone".to_string()),
            Just("selection".to_string()),
            Just("options".to_string()),
            Just("implies".to_string()),
            Just("modes".to_string()),
            Just("name".to_string()),
            Just("g".to_string()),
            Just("café".to_string()),
            Just("日本".to_string()),
            "[a-zé€😀]{1,3}",
        ];
        let token = prop_oneof![
            word.clone(),
            word.clone().prop_map(|w| format!("{w}:")),
            word.clone().prop_map(|w| format!("{w}: café")),
            word.prop_map(|w| format!("- {w}")),
            Just("-".to_string()),
            Just("- ".to_string()),
            Just("{}".to_string()),
            Just("[]".to_string()),
            Just("[a, é]".to_string()),
            Just("{a: b, c: [d]}".to_string()),
            Just("'qu''oté'".to_string()),
            Just("\"dq é\"".to_string()),
            Just("# commént".to_string()),
            Just("!!map".to_string()),
            Just("!!str".to_string()),
            Just("!t".to_string()),
            Just("&a".to_string()),
            Just("*a".to_string()),
            Just("|".to_string()),
            Just("---".to_string()),
            Just("?".to_string()),
            Just(":".to_string()),
            Just("~".to_string()),
            "[ -~éü€😀\t]{0,4}",
        ];
        let line = (0..6usize, prop::collection::vec(token, 0..4))
            .prop_map(|(indent, tokens)| format!("{}{}", " ".repeat(indent), tokens.join(" ")));
        let brk = prop_oneof![
            Just("\n"),
            Just("\n"),
            Just("\n"),
            Just("\r\n"),
            Just("\r"),
            Just("")
        ];
        let lines = prop::collection::vec((line, brk), 0..8).prop_map(|lines| {
            lines
                .into_iter()
                .map(|(l, b)| format!("{l}{b}"))
                .collect::<String>()
        });
        prop_oneof![4 => lines, 1 => "\\PC{0,40}"]
    }

    fn manifest_edits(text: &str) {
        let Ok(editor) = Editor::parse(text) else {
            return;
        };
        let mut e = editor;
        let _ = e.group_select(Kind::Library, "g", Pick::OneOfN, "é", Some("a comment ü"));
        let _ = e.group_select(Kind::Service, "café", Pick::ManyOfN, "x", None);
        let _ = e.group_set_profile(Kind::Library, "g", "dev");
        let _ = e.standalone_add(Kind::Library, "日本", Some("p"));
        let _ = e.standalone_add(Kind::Service, "s", None);
        let _ = e.set_mode("日本", Mode::Dev);
        let _ = e.set_mode("café", Mode::Prod);
        let _ = e.set_project_name("n€");
        let _ = e.group_unselect(Kind::Service, "café", "x");
        let _ = e.standalone_remove(Kind::Library, "name");
        let _ = e.group_remove(Kind::Library, "g");
        let _ = e.group_remove(Kind::Library, "groups");
        let _ = e.standalone_remove(Kind::Service, "s");
    }

    fn registry_edits(text: &str) {
        let Ok(mut e) = FileEditor::parse("x.yaml", text) else {
            return;
        };
        let params: indexmap::IndexMap<String, String> =
            [("k".to_string(), "vé".to_string())].into_iter().collect();
        let _ = e.implies_set(
            ImpliesOf::Component,
            "service:s",
            &ImpliedValue::Params(params),
        );
        let _ = e.option_add("opt", Some("déscription 😀"));
        let _ = e.option_add("o2", None);
        let _ = e.implies_set(
            ImpliesOf::Option(0),
            "service_group:g",
            &ImpliedValue::Options(vec!["a".into(), "b".into()]),
        );
        let _ = e.implies_remove(ImpliesOf::Component, "service:s");
        let _ = e.option_remove("opt");
        let _ = e.default_remove("a");
        let _ = e.option_remove("o2");
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Whatever the text, editing it never panics: it is edited or refused.
        #[test]
        fn editing_never_panics(text in text()) {
            manifest_edits(&text);
            registry_edits(&text);
        }

        /// A valid hsm.yaml, however it is written, is edited, not refused, and what the
        /// edit does not touch reads the same afterwards.
        #[test]
        fn valid_files_are_edited((text, data) in valid_manifest()) {
            let mut e = Editor::parse(&text).map_err(|e| TestCaseError::fail(e.message))?;
            e.group_select(Kind::Library, "g", Pick::OneOfN, "opt", Some("ü"))
                .map_err(|e| TestCaseError::fail(e.message))?;
            e.standalone_add(Kind::Service, "s-1", None)
                .map_err(|e| TestCaseError::fail(e.message))?;
            e.set_mode("s-1", Mode::Dev).map_err(|e| TestCaseError::fail(e.message))?;
            let out = e.to_text();
            let edited: Value = serde_yaml::from_str(&out)
                .map_err(|err| TestCaseError::fail(format!("{err}:\n{out}")))?;
            prop_assert_eq!(
                &edited["libraries"]["groups"]["g"]["selection"],
                &Value::from("opt"),
                "{}", out
            );
            prop_assert_eq!(
                &edited["services"]["standalone"][0]["mode"],
                &Value::from("dev"),
                "{}", out
            );
            for (key, value) in data.as_mapping().into_iter().flatten() {
                if !matches!(key.as_str(), Some("libraries" | "services" | "modes")) {
                    prop_assert_eq!(&edited[key], value, "{}", out);
                }
            }
            // New lines use the file's line break.
            if text.contains("\r\n") && !text.replace("\r\n", "").contains('\n') {
                prop_assert!(!out.replace("\r\n", "").contains('\n'), "{:?}", out);
            }
        }
    }

    /// Any value: strings with multi-byte characters, quotes, brackets and `#`.
    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            "[ -~éü€😀]{0,10}".prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            Just(Value::Null),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Sequence),
                prop::collection::vec(("[a-zé]{1,5}", inner), 0..3).prop_map(|e| {
                    Value::Mapping(e.into_iter().map(|(k, v)| (Value::from(k), v)).collect())
                }),
            ]
        })
    }

    /// A valid hsm.yaml written in one of the ways people write YAML, and its data.
    fn valid_manifest() -> impl Strategy<Value = (String, Value)> {
        let data = (
            "[ -~éü€😀]{1,10}",
            prop::option::of(any_value()),
            prop::option::of(prop::collection::vec("[a-zé€]{1,6}", 0..3)),
            any::<bool>(),
        )
            .prop_map(|(name, extra, standalone, groups)| {
                let mut m = Mapping::new();
                let mut project = Mapping::new();
                project.insert("name".into(), Value::from(name));
                m.insert("project".into(), Value::Mapping(project));
                if let Some(extra) = extra {
                    m.insert("x-notes".into(), extra);
                }
                if let Some(items) = standalone {
                    let mut libs = Mapping::new();
                    libs.insert(
                        "standalone".into(),
                        Value::Sequence(items.into_iter().map(Value::from).collect()),
                    );
                    if groups {
                        libs.insert("groups".into(), Value::Mapping(Mapping::new()));
                    }
                    m.insert("libraries".into(), Value::Mapping(libs));
                }
                Value::Mapping(m)
            });
        (data, 0..9usize, 0..4usize, any::<bool>()).prop_map(|(data, style, indent, end)| {
            let block = serde_yaml::to_string(&data).unwrap_or_default();
            let text = match style {
                // Flow style: a JSON document.
                0 => serde_json::to_string(&data).unwrap_or_default(),
                1 => block.replace('\n', "\r\n"),
                2 => block.replace('\n', "\r"),
                3 => format!("--- !!map\n{block}"),
                4 => format!("%YAML 1.2\n---\n{block}# the end é\n"),
                5 => block.replacen("project:", "!!str project:", 1),
                6 => block.replacen("project:", "&p project:", 1),
                // The whole document indented.
                7 => block
                    .lines()
                    .map(|l| format!("{}{l}\n", " ".repeat(indent + 1)))
                    .collect(),
                _ => block,
            };
            let text = if end {
                text.trim_end_matches(['\r', '\n']).to_string()
            } else {
                text
            };
            (text, data)
        })
    }
}

#[test]
fn block_items_write_mappings_in_block_style() {
    let mut doc = Document::parse("x.yaml", "options:\n- a\n")
        .unwrap()
        .with_block_items();
    doc.push(
        &[Seg::Key("options")],
        New::Map(vec![
            NewEntry::new("name", New::Str("b".into())),
            NewEntry::new(
                "implies",
                New::Map(vec![NewEntry::new("service:s", New::Map(Vec::new()))]),
            ),
        ]),
    )
    .unwrap();
    assert_eq!(
        doc.text(),
        "options:\n- a\n- name: b\n  implies:\n    service:s: {}\n"
    );
    doc.item_to_mapping(&[Seg::Key("options"), Seg::Index(0)], "name")
        .unwrap();
    assert_eq!(
        doc.text(),
        "options:\n- name: a\n- name: b\n  implies:\n    service:s: {}\n"
    );
}
