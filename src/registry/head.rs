//! The head of a library or service file: what `hsm registry list` and `search` show of it
//! (name, description, newest version), read without its rules.
//!
//! Browsing reads every file of the registry, and building a component's rules (sources,
//! requirements, implications, each with its place in the file) is most of what loading
//! one costs. A head reads only the keys it shows and ignores the others, so a file whose
//! only problem is a rule lists normally; `hsm registry lint` is what reads every rule.

use std::sync::Arc;

use semver::Version;
use serde::Deserialize;

use super::model::Text;
use super::rules::{check_file_name, parse_version};
use crate::error::Error;
use crate::source::{KeyPath, Origin, SourceFile, null_as_default, parse_yaml};

/// What a listing shows of a library or service.
#[derive(Debug, Clone)]
pub struct Head {
    pub name: String,
    pub description: Option<String>,
    /// The newest version the file declares, if any.
    pub newest: Option<Version>,
    pub file: Arc<SourceFile>,
}

#[derive(Deserialize)]
struct HeadFile {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    version: Option<Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    versions: Vec<VersionHead>,
}

#[derive(Deserialize)]
struct VersionHead {
    version: Text,
}

/// Read the head of `file`, the file of the component `expected`.
pub(super) fn head(file: Arc<SourceFile>, expected: &str, what: &str) -> Result<Head, Error> {
    let raw: HeadFile = parse_yaml(&file, what)?;
    check_file_name(&file, expected, &raw.name)?;
    let root = KeyPath::root();
    let mut newest: Option<Version> = match &raw.version {
        Some(t) => Some(parse_version(
            t,
            &Origin::at_path(&file, root.key("version")),
        )?),
        None => None,
    };
    for (i, v) in raw.versions.iter().enumerate() {
        let at = root.key("versions").index(i).key("version");
        let version = parse_version(&v.version, &Origin::at_path(&file, at))?;
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
