//! Rule-set scenarios: `hsm registry test`.
//!
//! A registry maintainer writes cases: an hsm.yaml fragment and what must come out of it
//! (components selected or not, versions, modes, a conflict or an input error whose
//! explanation contains given fragments). The runner solves each case against the registry
//! exactly as `hsm resolve` would. The file format is documented in the README.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::error::{Error, ErrorKind};
use crate::manifest::{Manifest, Mode};
use crate::registry::model::Text;
use crate::registry::rules::{parse_req, parse_version};
use crate::registry::{Registry, location};
use crate::solve::{Outcome, solve};
use crate::source::{KeyPath, Origin, SourceFile, null_as_default, parse_yaml, read_text};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    /// Registry for every case of this file, relative to the file.
    #[serde(default)]
    registry: Option<String>,
    cases: Vec<CaseFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    name: String,
    #[serde(default)]
    manifest: serde_yaml::Value,
    #[serde(default)]
    expect: Expect,
}

/// What a case must produce.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default, deserialize_with = "null_as_default")]
    pub selected: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub not_selected: Vec<String>,
    /// Exact version (`1.12.4`) or a range the chosen version must match (`>=1.12`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub versions: IndexMap<String, Text>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub modes: IndexMap<String, Mode>,
    /// The stack must be impossible, and the explanation must contain every fragment.
    #[serde(default)]
    pub conflict: Option<Vec<String>>,
    /// The input must be rejected, and the error must contain every fragment.
    #[serde(default)]
    pub error: Option<Vec<String>>,
}

/// One case, ready to run.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    /// `file:line` of the case.
    pub at: String,
    manifest_text: String,
    expect: Expect,
}

/// A scenario file.
#[derive(Debug)]
pub struct Suite {
    pub file: Arc<SourceFile>,
    pub registry: Option<PathBuf>,
    pub cases: Vec<Case>,
}

/// The result of one case: empty `failures` means it passed.
#[derive(Debug)]
pub struct CaseResult {
    pub name: String,
    pub at: String,
    pub failures: Vec<String>,
}

impl Suite {
    pub fn load(path: &Path, cwd: &Path) -> Result<Suite, Error> {
        let display = location::relative_display(path, cwd);
        let text = read_text(path, &display)?.ok_or_else(|| {
            Error::new(ErrorKind::Io, format!("no scenario file at {display}"))
                .with_help("pass scenario files or directories of them (default: ./rules)")
        })?;
        let file = SourceFile::new(display, Some(path.to_path_buf()), text);
        let raw: SuiteFile =
            parse_yaml(&file, "scenario").map_err(|e| e.with_kind(ErrorKind::Scenario))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut cases = Vec::with_capacity(raw.cases.len());
        for (i, c) in raw.cases.into_iter().enumerate() {
            let at = Origin::at_path(&file, KeyPath::root().key("cases").index(i)).short();
            let manifest_text = match &c.manifest {
                serde_yaml::Value::Null => String::new(),
                v => serde_yaml::to_string(v)
                    .map_err(|e| Error::new(ErrorKind::Scenario, format!("{at}: {e}")))?,
            };
            cases.push(Case {
                name: c.name,
                at,
                manifest_text,
                expect: c.expect,
            });
        }
        Ok(Suite {
            registry: raw.registry.map(|r| base.join(r)),
            file,
            cases,
        })
    }
}

/// Files to run for the given paths: files as given, directories searched for `*.yaml`
/// and `*.yml` (recursively, sorted).
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| Error::io(p, &e))?;
            found.sort();
            out.extend(found);
        } else if p.exists() {
            // Not only regular files: reading a FIFO or device says what it is.
            out.push(p.clone());
        } else {
            return Err(Error::new(
                ErrorKind::Io,
                format!("no scenario file or directory at {}", p.display()),
            )
            .with_help("pass scenario files or directories of them (default: ./rules)"));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

impl Case {
    /// Run this case against `registry`; `root` stands in for the project directory.
    pub fn run(&self, registry: &Registry, root: &Path) -> CaseResult {
        let mut failures = Vec::new();
        let outcome = Manifest::from_text("hsm.yaml", root, self.manifest_text.as_str())
            .and_then(|m| solve(&m, registry));
        let e = &self.expect;
        match (outcome, &e.conflict, &e.error) {
            (Err(err), _, Some(fragments)) => {
                let text = format!("{}\n{}", err.message, err.help.clone().unwrap_or_default());
                missing_fragments(&text, fragments, "error", &mut failures);
            }
            (Err(err), _, None) => failures.push(format!(
                "unexpected error: {}{}",
                err.message,
                err.location()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default()
            )),
            (Ok(Outcome::Conflict(c)), Some(fragments), _) => {
                missing_fragments(&c.render(), fragments, "conflict", &mut failures)
            }
            (Ok(Outcome::Conflict(c)), None, _) => {
                failures.push(format!("expected a stack, but: {}", c.summary))
            }
            (Ok(Outcome::Solved(_)), Some(_), _) => {
                failures.push("expected a conflict, but the stack solved".to_string())
            }
            (Ok(Outcome::Solved(_)), None, Some(_)) => {
                failures.push("expected an error, but the stack solved".to_string())
            }
            (Ok(Outcome::Solved(s)), None, None) => {
                for name in &e.selected {
                    if !s.contains(name) {
                        failures.push(format!("expected `{name}` in the stack, but it is not"));
                    }
                }
                for name in &e.not_selected {
                    if s.contains(name) {
                        failures.push(format!("expected `{name}` not in the stack, but it is"));
                    }
                }
                for (name, want) in &e.versions {
                    let got = s.get(name).and_then(|c| c.version.clone());
                    match (got, version_matcher(want)) {
                        (_, Err(msg)) => failures.push(msg),
                        (None, _) => failures.push(format!("expected `{name}` at {want}, but it is not in the stack (or has no version)")),
                        (Some(v), Ok(m)) if !m(&v) => failures.push(format!("expected `{name}` at {want}, got {v}")),
                        _ => {}
                    }
                }
                for (name, want) in &e.modes {
                    match s.get(name) {
                        Some(c) if c.mode != *want => failures
                            .push(format!("expected `{name}` in {want} mode, got {}", c.mode)),
                        None => failures.push(format!(
                            "expected `{name}` in {want} mode, but it is not in the stack"
                        )),
                        _ => {}
                    }
                }
            }
        }
        CaseResult {
            name: self.name.clone(),
            at: self.at.clone(),
            failures,
        }
    }
}

fn missing_fragments(text: &str, fragments: &[String], what: &str, failures: &mut Vec<String>) {
    for f in fragments {
        if !text.contains(f.as_str()) {
            failures.push(format!(
                "the {what} does not mention {f:?}; it says:\n{}",
                indent(text)
            ));
        }
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("          {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

type Matcher = Box<dyn Fn(&semver::Version) -> bool>;

/// `1.12.4` means exactly that version; anything starting with an operator is a range.
fn version_matcher(want: &Text) -> Result<Matcher, String> {
    let text = want.0.trim();
    let probe = Origin::file_only(&SourceFile::new("expect", None, text));
    if text.starts_with(['<', '>', '=', '~', '^', '*']) || text.contains(',') {
        let req = parse_req(text, &probe).map_err(|e| e.message)?;
        Ok(Box::new(move |v| req.matches(v)))
    } else {
        let exact = parse_version(want, &probe).map_err(|e| e.message)?;
        Ok(Box::new(move |v| *v == exact))
    }
}
