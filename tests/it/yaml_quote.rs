//! hsm's YAML quoting policy against a YAML 1.1 reader (PyYAML): every tricky string,
//! written by hsm in every context, reads back as the same string. The unit test in
//! `src/yaml/quote.rs` checks the same table against the loader's own reader (YAML 1.2).

use std::io::Write as _;
use std::process::{Command, Stdio};

use hsm::yaml_quoting::{TRICKY, contexts};

/// Reads `[[text, context], ...]` and prints, for each, the string found where the tricky
/// string was written (`null` when the text does not parse or holds something else).
const READER: &str = r#"
import json, sys, yaml
def read(text, context):
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(doc, dict) or len(doc) != 1:
        return None
    (k, v), = doc.items()
    if context.endswith("key"):
        return k if v == "v" and isinstance(k, str) else None
    if k != "v":
        return None
    if context.endswith("item"):
        v = v[0] if isinstance(v, list) and len(v) == 1 else None
    return v if isinstance(v, str) else None
cases = json.load(sys.stdin)
json.dump([read(t, c) for t, c in cases], sys.stdout)
"#;

#[test]
fn yaml_1_1_reads_back_what_hsm_writes() {
    require!("python3");
    let python = crate::common::require("python3").unwrap();
    let has_pyyaml = Command::new(&python)
        .args(["-c", "import yaml"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_pyyaml {
        assert!(std::env::var_os("CI").is_none(), "PyYAML is missing");
        eprintln!("skipped: PyYAML is not installed (pip install pyyaml)");
        return;
    }
    let mut cases = Vec::new();
    for s in TRICKY {
        for (text, context) in contexts(s) {
            cases.push((*s, text, context));
        }
    }
    let input: Vec<(&str, &str)> = cases.iter().map(|(_, t, c)| (t.as_str(), *c)).collect();
    let mut child = Command::new(&python)
        .args(["-c", READER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the reader failed");
    let read: Vec<Option<String>> = serde_json::from_slice(&out.stdout).unwrap();
    let wrong: Vec<String> = cases
        .iter()
        .zip(&read)
        .filter(|((s, _, _), got)| got.as_deref() != Some(*s))
        .map(|((s, text, context), got)| format!("{s:?} as {context} {text:?}: read {got:?}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "PyYAML reads otherwise:\n{}",
        wrong.join("\n")
    );
}
