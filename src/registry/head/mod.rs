//! The head of a library or service file: what `hsm registry list` and `search` show of it
//! (name, description, newest version), read without its rules.
//!
//! Browsing reads every file of the registry, and building a component's rules (sources,
//! requirements, implications, each with its place in the file) is most of what loading
//! one costs. A head reads only the keys it shows and ignores the others, so a file whose
//! only problem is a rule lists normally; `hsm registry lint` is what reads every rule.
//! Most files are not even given to the YAML parser: [`scan`] reads their head keys from
//! the lines that start in column 0.

mod scan;

use std::sync::Arc;

use semver::Version;
use serde::Deserialize;

use super::model::Text;
use super::rules::{check_file_name, parse_version_at};
use crate::error::Error;
use crate::source::{KeyPath, Origin, SourceFile, null_as_default, parse_yaml};
use crate::vocab::Strategy;

/// What a listing shows of a library or service.
#[derive(Debug, Clone)]
pub struct Head {
    pub name: String,
    pub description: Option<String>,
    /// The newest version the file declares, if any.
    pub newest: Option<Version>,
    pub file: Arc<SourceFile>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct HeadFile {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    version: Option<Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    versions: Vec<VersionHead>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct VersionHead {
    version: Text,
}

/// What a listing shows of a choice group (and what `search` looks through).
#[derive(Debug, Clone)]
pub struct GroupHead {
    pub name: String,
    pub strategy: Strategy,
    pub description: Option<String>,
    pub comment: Option<String>,
    pub options: Vec<OptionHead>,
    pub file: Arc<SourceFile>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct GroupHeadFile {
    name: String,
    strategy: Strategy,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    options: Vec<OptionHead>,
}

/// A group option as a listing reads it: a name, or a mapping with `name` and maybe
/// `description` (its `implies` are not read).
#[derive(Debug, Clone, PartialEq)]
pub struct OptionHead {
    pub name: String,
    pub description: Option<String>,
}

impl<'de> Deserialize<'de> for OptionHead {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Map {
            name: String,
            #[serde(default)]
            description: Option<String>,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OptionHead;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an option name or a mapping with `name`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OptionHead, E> {
                Ok(OptionHead {
                    name: v.to_string(),
                    description: None,
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<OptionHead, A::Error> {
                let m = Map::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(OptionHead {
                    name: m.name,
                    description: m.description,
                })
            }
        }
        // As the group loader reads an option (`model::GroupOption`).
        d.deserialize_any(V)
    }
}

/// Read the head of the group file `file`, of the group `expected`.
pub(super) fn group_head(file: Arc<SourceFile>, expected: &str) -> Result<GroupHead, Error> {
    let raw: GroupHeadFile = match scan::scan_group(file.text()) {
        Some(raw) => raw,
        None => parse_yaml(&file, "registry group")?,
    };
    check_file_name(&file, expected, &raw.name)?;
    Ok(GroupHead {
        name: raw.name,
        strategy: raw.strategy,
        description: raw.description,
        comment: raw.comment,
        options: raw.options,
        file,
    })
}

/// Read the head of `file`, the file of the component `expected`.
pub(super) fn head(file: Arc<SourceFile>, expected: &str, what: &str) -> Result<Head, Error> {
    let raw: HeadFile = match scan::scan(file.text()) {
        Some(raw) => raw,
        None => parse_yaml(&file, what)?,
    };
    check_file_name(&file, expected, &raw.name)?;
    let root = KeyPath::root();
    let mut newest: Option<Version> = match &raw.version {
        Some(t) => Some(parse_version_at(t, || {
            Origin::at_path(&file, root.key("version"))
        })?),
        None => None,
    };
    for (i, v) in raw.versions.iter().enumerate() {
        let at = || Origin::at_path(&file, root.key("versions").index(i).key("version"));
        let version = parse_version_at(&v.version, at)?;
        if newest.as_ref().is_none_or(|n| version > *n) {
            newest = Some(version);
        }
    }
    Ok(Head {
        name: raw.name,
        description: raw.description,
        newest,
        file,
    })
}

/// Whether the head scanner agrees with the YAML parser on `text`, a component file (or a
/// group file when `group`), for the fuzz targets: `Err` with both answers when the
/// scanner answered and the parser read another head, or failed on a head key (a type, a
/// missing or repeated field). A syntax error elsewhere is one the scanner does not look
/// for (see `head/scan.rs`).
pub fn scan_agrees(text: &str, group: bool) -> Result<(), String> {
    if group {
        agrees(scan::scan_group(text), text)
    } else {
        agrees(scan::scan(text), text)
    }
}

fn agrees<T>(scanned: Option<T>, text: &str) -> Result<(), String>
where
    T: std::fmt::Debug + PartialEq + serde::de::DeserializeOwned,
{
    let Some(scanned) = scanned else {
        return Ok(());
    };
    match serde_yaml::from_str::<T>(text) {
        Ok(parsed) if parsed == scanned => Ok(()),
        Ok(parsed) => Err(format!("scanned {scanned:?}, parsed {parsed:?}")),
        Err(e) => {
            let message = e.to_string();
            let about_the_head = [
                "invalid type",
                "invalid value",
                "invalid length",
                "duplicate field",
                "missing field",
                "unknown variant",
            ]
            .iter()
            .any(|m| message.contains(m));
            if about_the_head {
                Err(format!("scanned {scanned:?}, the parser failed: {message}"))
            } else {
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of `dirs`, and each of them changed where YAML is easiest to get wrong
    /// (see `source::simple::tests::mutated`).
    fn texts(dirs: &[&str]) -> Vec<String> {
        use crate::source::simple::tests::{files, mutated};
        let inserts = [
            "{",
            "}",
            "[",
            "]",
            "'",
            "\"",
            "# ",
            ": ",
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
            "null",
        ];
        mutated(&files(dirs), &inserts)
    }

    fn check(texts: &[String], group: bool) {
        let mut scanned = 0;
        for text in texts {
            if let Err(e) = scan_agrees(text, group) {
                panic!("{e}\n--- on ---\n{text}");
            }
            scanned += usize::from(if group {
                scan::scan_group(text).is_some()
            } else {
                scan::scan(text).is_some()
            });
        }
        // The scanner must answer for most of them, or it saves nothing.
        assert!(scanned * 3 > texts.len(), "{scanned} of {}", texts.len());
    }

    #[test]
    fn the_scanner_agrees_with_the_parser_on_components() {
        let texts = texts(&[
            "registry/libraries",
            "registry/services",
            "fuzz/corpus/registry_library",
            "fuzz/corpus/registry_service",
        ]);
        check(&texts, false);
    }

    #[test]
    fn the_scanner_agrees_with_the_parser_on_groups() {
        let texts = texts(&[
            "registry/library_groups",
            "registry/service_groups",
            "fuzz/corpus/registry_library_group",
            "fuzz/corpus/registry_service_group",
        ]);
        check(&texts, true);
    }

    /// YAML 1.1 also breaks lines at NEL, U+2028 and U+2029: the parser trims one at the
    /// end of a value and starts a new line after one in the middle (found by fuzzing).
    #[test]
    fn other_line_breaks_are_left_to_the_parser() {
        for br in ['\u{85}', '\u{2028}', '\u{2029}'] {
            for text in [
                format!("name: flask\ndescription: 3.1.{br}\n"),
                format!("name: flask\ndescription: a{br}version: 1.0.0\n"),
                format!("name: flask\nsources: {{}}{br}description: b\n"),
            ] {
                assert_eq!(scan::scan(&text), None, "{text:?}");
                assert_eq!(scan_agrees(&text, false), Ok(()), "{text:?}");
            }
            let group = format!("name: g\nstrategy: 1-of-N\noptions: [a]{br}comment: c\n");
            assert_eq!(scan::scan_group(&group), None, "{group:?}");
        }
    }

    /// Shapes the mutations above do not make, each read by the scanner (it must answer)
    /// and by the parser, which must agree.
    #[test]
    fn quoted_and_null_values_agree() {
        let groups = [
            "name: g\nstrategy: '1-of-N'\noptions:\n  - a\n",
            "name: g\nstrategy: \"M-of-N\"\noptions:\n  - 'a'\n  - name: \"b\"\n    description: ~\n",
            "name: 'g'\nstrategy: 1-of-N\ndescription: null\ncomment: ''\noptions:\n- a\n- b\n",
            "name: g\nstrategy: 1-of-N\noptions:\n",
        ];
        for text in groups {
            assert!(scan::scan_group(text).is_some(), "{text:?}");
            assert_eq!(scan_agrees(text, true), Ok(()), "{text:?}");
        }
        let components = [
            "name: \"x\"\nversion: '1.10'\ndescription: 'null'\n",
            "name: x\ndescription: Null\nversions:\n- version: \"2.0\"\n  description: y\n",
            "name: x # the name\nversion: 1.0.0   # pinned\nversions: ~\n",
        ];
        for text in components {
            assert!(scan::scan(text).is_some(), "{text:?}");
            assert_eq!(scan_agrees(text, false), Ok(()), "{text:?}");
        }
    }
}
