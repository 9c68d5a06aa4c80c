//! Rule-set scenarios: `hsm registry test`.
//!
//! A registry maintainer writes cases: an hsm.yaml fragment and what must come out of it
//! (components selected or not, versions, modes, the reasons a component is in the stack,
//! a conflict with its hints, or an input error whose explanation contains given
//! fragments). A case may stand for many ([`Each`]): one per option of a group, per version
//! of a component, or per listed value. The runner solves each case against the registry
//! exactly as `hsm resolve` would. The file format is documented in the README.
//!
//! On top of the cases: [`coverage`] says which rules of the registry some case made
//! matter, [`mutate`] whether the cases would notice a rule that changed, and [`junit`]
//! writes the results for CI systems.

pub mod coverage;
pub mod junit;
pub mod mutate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::manifest::{Manifest, Mode};
use crate::registry::Kind;
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
    /// Mutants no case can kill because they cannot change any stack, each with why.
    #[serde(default, deserialize_with = "null_as_default")]
    equivalent_mutants: Vec<Equivalent>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    name: String,
    #[serde(default)]
    each: Option<EachFile>,
    #[serde(default)]
    manifest: serde_yaml::Value,
    #[serde(default)]
    expect: serde_yaml::Value,
}

/// `each:` as written: exactly one of its keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EachFile {
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    versions: Option<String>,
    #[serde(default)]
    values: Option<Vec<String>>,
}

impl EachFile {
    fn read(self, at: &Origin) -> Result<Each, Error> {
        match (self.group, self.versions, self.values) {
            (Some(g), None, None) => Ok(Each::Group(g)),
            (None, Some(c), None) => Ok(Each::Versions(c)),
            (None, None, Some(v)) => Ok(Each::Values(v)),
            _ => Err(Error::new(
                ErrorKind::Scenario,
                "`each` takes exactly one of `group`, `versions` and `values`",
            )
            .at(at.clone())
            .with_help(
                "write `each: {group: NAME}`, `each: {versions: NAME}` or `each: {values: [a, b]}`",
            )),
        }
    }
}

/// A case that stands for one case per value: `{option}`, `{version}` or `{value}` in its
/// name, manifest and expectations is replaced by each value in turn.
#[derive(Debug, Clone)]
pub enum Each {
    /// Every option of this group (a library group, else a service group): `{option}`.
    Group(String),
    /// Every version of this component (a library, else a service), oldest first:
    /// `{version}`.
    Versions(String),
    /// Each of these values: `{value}`.
    Values(Vec<String>),
}

/// A mutant a scenario file declares equivalent: no stack can tell it from the registry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Equivalent {
    /// The mutant, as `--mutate` names it.
    pub mutant: String,
    /// Why no stack can change.
    pub reason: String,
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
    /// What a choice group must hold: an option, or a list of options (M-of-N).
    #[serde(default, deserialize_with = "null_as_default")]
    pub groups: IndexMap<String, crate::manifest::Selection>,
    /// The deployment profile a service must run with.
    #[serde(default, deserialize_with = "null_as_default")]
    pub profiles: IndexMap<String, String>,
    /// The stack must be impossible, and the explanation must contain every fragment.
    #[serde(default)]
    pub conflict: Option<Vec<String>>,
    /// The input must be rejected, and the error must contain every fragment.
    #[serde(default)]
    pub error: Option<Vec<String>>,
    /// The stack must be impossible, and its hints (the `hint:` lines) must contain every
    /// fragment.
    #[serde(default, deserialize_with = "null_as_default")]
    pub hints: Vec<String>,
    /// For a component of the stack, fragments its chain of reasons (as `hsm resolve
    /// --explain` prints it) must contain.
    #[serde(default, deserialize_with = "null_as_default")]
    pub explain: IndexMap<String, Vec<String>>,
}

impl Expect {
    fn conflict(&self) -> Option<&[String]> {
        match &self.conflict {
            Some(f) => Some(f),
            None if !self.hints.is_empty() => Some(&[]),
            None => None,
        }
    }
}

/// One case, ready to run.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    /// `file:line` of the case.
    pub at: String,
    /// The scenario file, as messages name it.
    pub file: String,
    manifest_text: String,
    expect: Expect,
}

/// A case as written: [`Suite::cases`] makes it one [`Case`], or one per value of `each`.
#[derive(Debug)]
pub struct Written {
    pub name: String,
    pub origin: Origin,
    each: Option<Each>,
    manifest: serde_yaml::Value,
    expect: serde_yaml::Value,
}

/// A scenario file.
#[derive(Debug)]
pub struct Suite {
    pub file: Arc<SourceFile>,
    pub registry: Option<PathBuf>,
    pub written: Vec<Written>,
    pub equivalent: Vec<Equivalent>,
}

/// The result of one case: empty `failures` means it passed.
#[derive(Debug)]
pub struct CaseResult {
    pub name: String,
    pub at: String,
    /// The scenario file, as messages name it.
    pub file: String,
    pub failures: Vec<String>,
    /// How long the case took (zero unless the runner timed it).
    pub elapsed: std::time::Duration,
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
        let mut written = Vec::with_capacity(raw.cases.len());
        for (i, c) in raw.cases.into_iter().enumerate() {
            let origin = Origin::at_path(&file, KeyPath::root().key("cases").index(i));
            // The expectations are checked now, placeholders and all, so a misspelt key
            // is an error before anything runs.
            expectations(&c.expect, &origin.key("expect"))?;
            let each = c.each.map(|e| e.read(&origin.key("each"))).transpose()?;
            written.push(Written {
                name: c.name,
                origin,
                each,
                manifest: c.manifest,
                expect: c.expect,
            });
        }
        Ok(Suite {
            registry: raw.registry.map(|r| base.join(r)),
            file,
            written,
            equivalent: raw.equivalent_mutants,
        })
    }
}

/// Read a case's `expect:`.
fn expectations(value: &serde_yaml::Value, at: &Origin) -> Result<Expect, Error> {
    match value {
        serde_yaml::Value::Null => Ok(Expect::default()),
        v => serde_yaml::from_value(v.clone()).map_err(|e| {
            Error::new(ErrorKind::Scenario, format!("{}: `expect`: {e}", at.short()))
                .at(at.clone())
                .with_help("`expect` takes selected, not_selected, versions, modes, groups, profiles, explain, conflict, hints and error (README, \"Scenario files\")")
        }),
    }
}

impl Written {
    /// The cases this one stands for: itself, or one per value of `each` (the values read
    /// from `registry`), named `NAME [VALUE]`.
    pub fn cases(&self, registry: &Registry) -> Result<Vec<Case>, Error> {
        let file = self.origin.file().display().to_string();
        let at = self.origin.short();
        let Some(each) = &self.each else {
            return Ok(vec![self.case(
                &self.name,
                &self.manifest,
                &self.expect,
                &file,
                &at,
            )?]);
        };
        let (placeholder, values) = self.values(each, registry)?;
        values
            .iter()
            .map(|value| {
                let put = |v: &serde_yaml::Value| substitute(v, placeholder, value);
                let name = format!("{} [{value}]", self.name.replace(placeholder, value));
                self.case(&name, &put(&self.manifest), &put(&self.expect), &file, &at)
            })
            .collect()
    }

    fn values(
        &self,
        each: &Each,
        registry: &Registry,
    ) -> Result<(&'static str, Vec<String>), Error> {
        let at = self.origin.key("each");
        if let Each::Group(name) | Each::Versions(name) = each {
            // A name becomes a file name: `../x` must never be read.
            crate::vocab::check_name(name, &at)?;
        }
        match each {
            Each::Values(values) => Ok(("{value}", values.clone())),
            Each::Group(name) => {
                for kind in [Kind::Library, Kind::Service] {
                    if let Some(g) = registry.group(kind, name)? {
                        return Ok(("{option}", g.option_names().map(str::to_string).collect()));
                    }
                }
                Err(registry.unknown_group(Kind::Library, name, &at))
            }
            Each::Versions(name) => {
                for kind in [Kind::Library, Kind::Service] {
                    if let Some(c) = registry.component(kind, name)? {
                        let versions: Vec<String> = c
                            .versions
                            .iter()
                            .filter_map(|v| v.version.as_ref().map(ToString::to_string))
                            .collect();
                        if versions.is_empty() {
                            return Err(Error::new(
                                ErrorKind::Scenario,
                                format!("`{name}` declares no version, so `each: {{versions: {name}}}` has no case"),
                            )
                            .at(at)
                            .with_help("add versions to the component, or list the values with `each: {values: [...]}`"));
                        }
                        return Ok(("{version}", versions));
                    }
                }
                Err(registry.unknown_component(None, name, &at))
            }
        }
    }

    fn case(
        &self,
        name: &str,
        manifest: &serde_yaml::Value,
        expect: &serde_yaml::Value,
        file: &str,
        at: &str,
    ) -> Result<Case, Error> {
        let manifest_text = match manifest {
            serde_yaml::Value::Null => String::new(),
            v => serde_yaml::to_string(v)
                .map_err(|e| Error::new(ErrorKind::Scenario, format!("{at}: {e}")))?,
        };
        Ok(Case {
            name: name.to_string(),
            at: at.to_string(),
            file: file.to_string(),
            manifest_text,
            expect: expectations(expect, &self.origin.key("expect"))?,
        })
    }
}

/// `value` with `placeholder` replaced by `by` in every string, keys included.
fn substitute(value: &serde_yaml::Value, placeholder: &str, by: &str) -> serde_yaml::Value {
    use serde_yaml::Value;
    match value {
        Value::String(s) => Value::String(s.replace(placeholder, by)),
        Value::Sequence(items) => Value::Sequence(
            items
                .iter()
                .map(|v| substitute(v, placeholder, by))
                .collect(),
        ),
        Value::Mapping(map) => Value::Mapping(
            map.iter()
                .map(|(k, v)| {
                    (
                        substitute(k, placeholder, by),
                        substitute(v, placeholder, by),
                    )
                })
                .collect(),
        ),
        Value::Tagged(t) => Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
            tag: t.tag.clone(),
            value: substitute(&t.value, placeholder, by),
        })),
        other => other.clone(),
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
        let outcome = self.solve(registry, root);
        self.result(&outcome)
    }

    /// Solve this case's hsm.yaml as `hsm resolve` would.
    pub fn solve(&self, registry: &Registry, root: &Path) -> Result<Outcome, Error> {
        Manifest::from_text("hsm.yaml", root, self.manifest_text.as_str())
            .and_then(|m| solve(&m, registry))
    }

    /// Whether `outcome` has the rules that made a difference covered: a stack, or a
    /// conflict the case expected.
    pub fn counts_for_coverage(&self, outcome: &Result<Outcome, Error>) -> bool {
        match outcome {
            Ok(Outcome::Solved(_)) => true,
            Ok(Outcome::Conflict(_)) => self.expect.conflict().is_some(),
            Err(_) => false,
        }
    }

    /// What `outcome` does not do of what the case expects.
    pub fn result(&self, outcome: &Result<Outcome, Error>) -> CaseResult {
        let mut failures = Vec::new();
        let e = &self.expect;
        match (outcome, e.conflict(), &e.error) {
            (Err(err), _, Some(fragments)) => {
                let text = format!("{}\n{}", err.message, err.help.clone().unwrap_or_default());
                missing_fragments(
                    &text,
                    fragments,
                    "the error does not mention",
                    &mut failures,
                );
            }
            (Err(err), _, None) => failures.push(format!(
                "unexpected error: {}{}",
                err.message,
                err.location()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default()
            )),
            (Ok(Outcome::Conflict(c)), Some(fragments), _) => {
                let lead = "the conflict does not mention";
                missing_fragments(&c.render(), fragments, lead, &mut failures);
                let lead = "no hint mentions";
                missing_fragments(&c.hints_text(), &e.hints, lead, &mut failures);
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
                for (group, want) in &e.groups {
                    let want: Vec<&str> = want.items().into_iter().map(|(_, o)| o).collect();
                    let held: Vec<&str> = s
                        .groups
                        .iter()
                        .filter(|g| g.group == *group)
                        .flat_map(|g| g.options.iter().map(String::as_str))
                        .collect();
                    let mut sorted = (want.clone(), held.clone());
                    sorted.0.sort_unstable();
                    sorted.1.sort_unstable();
                    if sorted.0 != sorted.1 {
                        let held = if held.is_empty() {
                            "nothing".to_string()
                        } else {
                            format!("`{}`", held.join("`, `"))
                        };
                        failures.push(format!(
                            "expected group `{group}` to hold `{}`, but it holds {held}",
                            want.join("`, `")
                        ));
                    }
                }
                for (name, want) in &e.profiles {
                    match s.get(name) {
                        Some(c) => {
                            let got = c.profile.as_ref().map_or("default", |p| p.name.as_str());
                            if got != want {
                                failures.push(format!(
                                    "expected `{name}` on profile `{want}`, got `{got}`"
                                ));
                            }
                        }
                        None => failures.push(format!(
                            "expected `{name}` on profile `{want}`, but it is not in the stack"
                        )),
                    }
                }
                for (name, fragments) in &e.explain {
                    let Some(c) = s.get(name) else {
                        failures.push(format!(
                            "expected reasons for `{name}`, but it is not in the stack"
                        ));
                        continue;
                    };
                    let chain = s.chains().of(c);
                    let text: Vec<String> = chain
                        .steps
                        .iter()
                        .map(|r| format!("← {} ({})", r.text, r.at()))
                        .collect();
                    let lead = format!("the reason for `{name}` does not mention");
                    missing_fragments(&text.join("\n"), fragments, &lead, &mut failures);
                }
            }
        }
        CaseResult {
            name: self.name.clone(),
            at: self.at.clone(),
            file: self.file.clone(),
            failures,
            elapsed: std::time::Duration::ZERO,
        }
    }
}

fn missing_fragments(text: &str, fragments: &[String], lead: &str, failures: &mut Vec<String>) {
    for f in fragments {
        if !text.contains(f.as_str()) {
            let they = if lead.starts_with("no hint") {
                "they say"
            } else {
                "it says"
            };
            failures.push(format!("{lead} {f:?}; {they}:\n{}", indent(text)));
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
