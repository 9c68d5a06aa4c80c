//! Typed rules, checked and positioned: what a registry file *means* for the solver.
//!
//! A [`Component`] or [`Group`] is built from its serde model once, when the solve first
//! touches it. Every rule keeps its [`Origin`] so explanations can cite it. Checks that need
//! only the file itself happen here (names, versions, ranges, implication syntax); checks
//! that need other files (does the target exist?) happen when the solver follows the rule.

use std::sync::Arc;

use indexmap::IndexMap;
use semver::{Version, VersionReq};

use super::Kind;
use super::checks::{self, ENV_VALUE_HELP};
use super::model::{GroupFile, GroupType, LibraryFile, ServiceFile, Sources, Text, VersionEntry};
use super::syntax::{self, Reason};
use crate::error::{Error, ErrorKind};
use crate::source::{KeyPath, Origin, SourceFile, did_you_mean_hint};
use crate::vocab::{Strategy, check_name};

/// A reference to a component by name, with its kind when the rule said it
/// (`service:redis`) or could know it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ref {
    pub kind: Option<Kind>,
    pub name: String,
}

/// `requires: {x: ">=1.2, <2"}`: `x` must be in the stack, at a matching version.
#[derive(Debug, Clone)]
pub struct Requirement {
    pub target: Ref,
    pub req: VersionReq,
    /// The range as written, for messages.
    pub text: String,
    pub origin: Origin,
}

/// `conflicts: [x]`: `x` may not be in the stack together with this component.
#[derive(Debug, Clone)]
pub struct ConflictRule {
    pub target: Ref,
    pub origin: Origin,
}

/// What an implication selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImplyTarget {
    /// `service:x` / `library:x`.
    Component(Kind, String),
    /// `service_group:g: opt`, a list of options, or nothing (the group's default).
    Group {
        kind: Kind,
        group: String,
        options: Option<Vec<String>>,
    },
}

/// `implies: {target: value}`.
#[derive(Debug, Clone)]
pub struct Implication {
    pub target: ImplyTarget,
    /// `params` passed to an implied service (merged per key across all active implications).
    /// Shared: every solve that compiles the implication hands them on.
    pub params: Arc<IndexMap<String, String>>,
    pub origin: Origin,
}

/// One version of a component and the rules that apply to it.
#[derive(Debug, Clone)]
pub struct ComponentVersion {
    /// `None` for a component that declares no version (it has exactly one).
    pub version: Option<Version>,
    pub requires: Vec<Requirement>,
    pub conflicts: Vec<ConflictRule>,
    pub implies: Vec<Implication>,
    pub sources: Sources,
    pub origin: Origin,
}

/// The registry file a component came from, for the stages after solving.
#[derive(Debug, Clone)]
pub enum Definition {
    Library(Box<LibraryFile>),
    Service(Box<ServiceFile>),
}

/// A library or service with its versions, oldest first.
#[derive(Debug, Clone)]
pub struct Component {
    pub kind: Kind,
    pub name: String,
    pub file: Arc<SourceFile>,
    pub description: Option<String>,
    pub versions: Vec<ComponentVersion>,
    /// The file as parsed, without its rule keys: `requires`, `conflicts` and `implies` are
    /// empty here, read into `versions` instead (which is where every rule is used). Kept
    /// raw as well, they were YAML values allocated and freed one by one: lint, which
    /// loads and frees every component of a registry, took 5 % less CPU and 16 MiB less
    /// memory at 100k without them.
    pub definition: Definition,
}

/// A choice group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Libraries (`library_groups/`) or services (`service_groups/`).
    pub kind: Kind,
    pub name: String,
    pub file: Arc<SourceFile>,
    pub strategy: Strategy,
    pub comment: Option<String>,
    pub description: Option<String>,
    pub options: Vec<GroupOption>,
    /// Option names taken when the group is implied without naming one.
    pub default: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct GroupOption {
    pub name: String,
    pub description: Option<String>,
    pub implies: Vec<Implication>,
    pub origin: Origin,
}

impl Group {
    pub fn option_index(&self, name: &str) -> Option<usize> {
        self.options.iter().position(|o| o.name == name)
    }

    pub fn option_names(&self) -> impl Iterator<Item = &str> {
        self.options.iter().map(|o| o.name.as_str())
    }

    pub fn origin(&self) -> Origin {
        Origin::at_path(&self.file, KeyPath::root().key("name"))
    }

    pub fn strategy_origin(&self) -> Origin {
        Origin::at_path(&self.file, KeyPath::root().key("strategy"))
    }
}

impl Component {
    pub fn origin(&self) -> Origin {
        Origin::at_path(&self.file, KeyPath::root().key("name"))
    }

    /// Versions as written, newest first (for messages).
    pub fn version_list(&self) -> String {
        let v: Vec<String> = self
            .versions
            .iter()
            .rev()
            .filter_map(|v| v.version.as_ref().map(Version::to_string))
            .collect();
        if v.is_empty() {
            "no declared version".to_string()
        } else {
            v.join(", ")
        }
    }
}

/// Check that a registry file's `name` matches its file name.
pub(super) fn check_file_name(
    file: &Arc<SourceFile>,
    expected: &str,
    actual: &str,
) -> Result<(), Error> {
    if actual == expected && crate::vocab::is_valid_name(actual) {
        return Ok(());
    }
    let origin = Origin::at_path(file, KeyPath::root().key("name"));
    check_name(actual, &origin)?;
    if actual != expected {
        return Err(Error::new(
            ErrorKind::NameMismatch,
            format!(
                "{} is named `{actual}`, but its file name says `{expected}`",
                file.display()
            ),
        )
        .at(origin)
        .with_label(format!("expected `name: {expected}`"))
        .with_help(format!(
            "rename the file to `{actual}.yaml` or set `name: {expected}`"
        )));
    }
    Ok(())
}

/// The rule keys of a library or service file (the two models share them by name; serde
/// cannot flatten them into one struct under `deny_unknown_fields`).
macro_rules! rule_keys {
    ($raw:expr) => {
        RuleKeys {
            version: $raw.version.as_ref(),
            requires: &$raw.requires,
            conflicts: &$raw.conflicts,
            implies: &$raw.implies,
            sources: &$raw.sources,
            versions: &$raw.versions,
        }
    };
}

/// Empty the rule keys of a library or service file once [`versions`] has read them (see
/// [`Component::definition`]).
macro_rules! shed_rule_keys {
    ($raw:expr) => {
        $raw.requires = IndexMap::new();
        $raw.conflicts = Vec::new();
        $raw.implies = IndexMap::new();
    };
}

pub(super) fn library(
    file: Arc<SourceFile>,
    expected: &str,
    mut raw: LibraryFile,
) -> Result<Component, Error> {
    check_file_name(&file, expected, &raw.name)?;
    checks::check_library(&file, &raw)?;
    let versions = versions(&file, rule_keys!(raw))?;
    shed_rule_keys!(raw);
    Ok(Component {
        kind: Kind::Library,
        name: raw.name.clone(),
        description: raw.description.clone(),
        versions,
        file,
        definition: Definition::Library(Box::new(raw)),
    })
}

pub(super) fn service(
    file: Arc<SourceFile>,
    expected: &str,
    mut raw: ServiceFile,
) -> Result<Component, Error> {
    check_file_name(&file, expected, &raw.name)?;
    checks::check_service(&file, &raw)?;
    let versions = versions(&file, rule_keys!(raw))?;
    shed_rule_keys!(raw);
    Ok(Component {
        kind: Kind::Service,
        name: raw.name.clone(),
        description: raw.description.clone(),
        versions,
        file,
        definition: Definition::Service(Box::new(raw)),
    })
}

pub(super) fn group(
    file: Arc<SourceFile>,
    kind: Kind,
    expected: &str,
    raw: GroupFile,
) -> Result<Group, Error> {
    check_file_name(&file, expected, &raw.name)?;
    let declared = match raw.kind {
        GroupType::LibraryGroup => Kind::Library,
        GroupType::ServiceGroup => Kind::Service,
    };
    if declared != kind {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "{} says `type: {}`, but it is in {}/",
                file.display(),
                declared.group_type(),
                kind.groups_dir()
            ),
        )
        .at(Origin::at_path(&file, KeyPath::root().key("type")))
        .with_label("wrong group type")
        .with_help(format!(
            "set `type: {}` or move the file to {}/",
            kind.group_type(),
            declared.groups_dir()
        )));
    }
    let root = KeyPath::root();
    let mut options: Vec<GroupOption> = Vec::with_capacity(raw.options.len());
    for (i, opt) in raw.options.iter().enumerate() {
        let at = root.key("options").index(i);
        let origin = Origin::at_path(&file, at.clone());
        check_name(&opt.name, &origin)?;
        if options.iter().any(|o| o.name == opt.name) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "option `{}` is listed twice in group `{}`",
                    opt.name, raw.name
                ),
            )
            .at(origin)
            .with_label("duplicate option")
            .with_help("remove one of the two entries"));
        }
        options.push(GroupOption {
            name: opt.name.clone(),
            description: opt.description.clone(),
            implies: implications(&file, &at.key("implies"), &opt.implies)?,
            origin,
        });
    }
    let default_origin = Origin::at_path(&file, root.key("default"));
    let default: Vec<String> = raw
        .default
        .items()
        .into_iter()
        .map(|(_, s)| s.to_string())
        .collect();
    for d in &default {
        if !options.iter().any(|o| &o.name == d) {
            return Err(Error::new(
                ErrorKind::NotAnOption,
                format!(
                    "default `{d}` of group `{}` is not one of its options",
                    raw.name
                ),
            )
            .at(default_origin)
            .with_label("not an option")
            .add_help(did_you_mean_hint(
                d,
                options.iter().map(|o| o.name.as_str()),
            ))
            .add_help(Some(format!(
                "options: {}",
                options
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))));
        }
    }
    if raw.strategy == Strategy::OneOfN && default.len() > 1 {
        return Err(Error::new(
            ErrorKind::SelectionShape,
            format!(
                "1-of-N group `{}` has a list of {} defaults",
                raw.name,
                default.len()
            ),
        )
        .at(default_origin)
        .with_label("a 1-of-N group holds one option")
        .with_help("name a single default option"));
    }
    Ok(Group {
        kind,
        name: raw.name,
        file,
        strategy: raw.strategy,
        comment: raw.comment,
        description: raw.description,
        options,
        default,
    })
}

/// The rule keys libraries and services share, borrowed from either file model.
struct RuleKeys<'a> {
    version: Option<&'a Text>,
    requires: &'a IndexMap<String, Text>,
    conflicts: &'a [String],
    implies: &'a IndexMap<String, serde_yaml::Value>,
    sources: &'a Sources,
    versions: &'a [VersionEntry],
}

fn versions(file: &Arc<SourceFile>, keys: RuleKeys<'_>) -> Result<Vec<ComponentVersion>, Error> {
    let RuleKeys {
        version: top_version,
        requires,
        conflicts,
        implies,
        sources,
        versions: entries,
    } = keys;
    let root = KeyPath::root();
    let top = ComponentVersion {
        version: top_version
            .map(|t| parse_version(t, &Origin::at_path(file, root.key("version"))))
            .transpose()?,
        requires: requirements(file, &root.key("requires"), requires)?,
        conflicts: conflict_rules(file, &root.key("conflicts"), conflicts)?,
        implies: implications(file, &root.key("implies"), implies)?,
        sources: sources.clone(),
        origin: Origin::at_path(
            file,
            root.key(if top_version.is_some() {
                "version"
            } else {
                "name"
            }),
        ),
    };
    let mut out: Vec<ComponentVersion> = Vec::with_capacity(entries.len() + 1);
    for (i, entry) in entries.iter().enumerate() {
        let at = root.key("versions").index(i);
        let origin = Origin::at_path(file, at.key("version"));
        let version = parse_version(&entry.version, &origin)?;
        if out.iter().any(|v| v.version.as_ref() == Some(&version)) {
            return Err(Error::new(
                ErrorKind::InvalidVersion,
                format!("version {version} is listed twice"),
            )
            .at(origin)
            .with_label("duplicate version")
            .with_help("remove one of the two entries"));
        }
        out.push(ComponentVersion {
            version: Some(version),
            requires: match &entry.requires {
                Some(r) => requirements(file, &at.key("requires"), r)?,
                None => top.requires.clone(),
            },
            conflicts: match &entry.conflicts {
                Some(c) => conflict_rules(file, &at.key("conflicts"), c)?,
                None => top.conflicts.clone(),
            },
            implies: match &entry.implies {
                Some(m) => implications(file, &at.key("implies"), m)?,
                None => top.implies.clone(),
            },
            sources: entry.sources.clone().unwrap_or_else(|| top.sources.clone()),
            origin,
        });
    }
    // The top-level version is a version too, unless `versions:` already lists it.
    if !out.iter().any(|v| v.version == top.version) && (top.version.is_some() || out.is_empty()) {
        out.push(top);
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(out)
}

/// Parse a component version. Two- and one-part versions (`1.10`, `3`) and a leading `v`
/// are accepted, since image tags and Python releases often look like that.
pub fn parse_version(text: &Text, origin: &Origin) -> Result<Version, Error> {
    parse_version_at(text, || origin.clone())
}

/// [`parse_version`] with the place made only for an error (a listing parses a version
/// per file, and a place is a path of keys).
pub fn parse_version_at(text: &Text, origin: impl FnOnce() -> Origin) -> Result<Version, Error> {
    let raw = text.0.trim();
    let s = raw.strip_prefix('v').unwrap_or(raw);
    let (core, rest) = match s.find(['-', '+']) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    // Padded only when it needs to be: a listing parses a version per file.
    let parsed = match core.matches('.').count() {
        0 => Version::parse(&format!("{core}.0.0{rest}")),
        1 => Version::parse(&format!("{core}.0{rest}")),
        _ => Version::parse(s),
    };
    parsed.map_err(|e| {
        Error::new(
            ErrorKind::InvalidVersion,
            format!("`{raw}` is not a valid version: {e}"),
        )
        .at(origin())
        .with_label("invalid version")
        .with_help("write a semantic version such as `1.12.0`")
    })
}

/// Parse a semver range. `==1.2.3` is read as `=1.2.3` for people used to PEP 440.
pub fn parse_req(text: &str, origin: &Origin) -> Result<VersionReq, Error> {
    let normalized = text.replace("==", "=");
    VersionReq::parse(&normalized).map_err(|e| {
        Error::new(
            ErrorKind::InvalidVersion,
            format!("`{text}` is not a valid version range: {e}"),
        )
        .at(origin.clone())
        .with_label("invalid range")
        .with_help("write a semver range such as `>=1.10, <2` (comparators separated by commas)")
    })
}

/// A rule target: `name`, `library:name` or `service:name`.
fn parse_ref(text: &str, origin: &Origin) -> Result<Ref, Error> {
    let (kind, name) = match text.split_once(':') {
        Some(("library", n)) => (Some(Kind::Library), n),
        Some(("service", n)) => (Some(Kind::Service), n),
        Some((prefix, _)) => {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("unknown prefix `{prefix}:` in `{text}`"),
            )
            .at(origin.clone())
            .with_label("unknown prefix")
            .add_help(did_you_mean_hint(prefix, ["library", "service"]))
            .add_help(Some(
                "write a component name, optionally as `library:<name>` or `service:<name>`".into(),
            )));
        }
        None => (None, text),
    };
    check_name(name, origin)?;
    Ok(Ref {
        kind,
        name: name.to_string(),
    })
}

fn requirements(
    file: &Arc<SourceFile>,
    at: &KeyPath,
    map: &IndexMap<String, Text>,
) -> Result<Vec<Requirement>, Error> {
    map.iter()
        .map(|(target, range)| {
            let origin = Origin::at_path(file, at.key(target.as_str()));
            Ok(Requirement {
                target: parse_ref(target, &origin)?,
                req: parse_req(&range.0, &origin)?,
                text: range.0.clone(),
                origin,
            })
        })
        .collect()
}

fn conflict_rules(
    file: &Arc<SourceFile>,
    at: &KeyPath,
    list: &[String],
) -> Result<Vec<ConflictRule>, Error> {
    list.iter()
        .enumerate()
        .map(|(i, target)| {
            let origin = Origin::at_path(file, at.index(i));
            Ok(ConflictRule {
                target: parse_ref(target, &origin)?,
                origin,
            })
        })
        .collect()
}

const IMPLY_PREFIXES: [&str; 6] = [
    "service",
    "library",
    "service_group",
    "library_group",
    "container_group",
    "container",
];

pub(super) fn implications(
    file: &Arc<SourceFile>,
    at: &KeyPath,
    map: &IndexMap<String, serde_yaml::Value>,
) -> Result<Vec<Implication>, Error> {
    let mut out = Vec::with_capacity(map.len());
    for (key, value) in map {
        let origin = Origin::at_path(file, at.key(key.as_str()));
        let Some((prefix, name)) = key.split_once(':') else {
            return Err(Error::new(ErrorKind::InvalidValue, format!("implication `{key}` has no target kind"))
                .at(origin)
                .with_label("expected `<kind>:<name>`")
                .with_help(format!("write `service:{key}`, `library:{key}`, `service_group:{key}` or `library_group:{key}`")));
        };
        check_name(name, &origin)?;
        let target = match super::refs::Target::key_prefix(prefix) {
            Some((kind, false)) => ImplyTarget::Component(kind, name.to_string()),
            Some((kind, true)) => ImplyTarget::Group {
                kind,
                group: name.to_string(),
                options: group_options(value, &origin)?,
            },
            None => {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("unknown implication kind `{prefix}` in `{key}`"),
                )
                .at(origin)
                .with_label("unknown kind")
                .add_help(did_you_mean_hint(prefix, IMPLY_PREFIXES))
                .add_help(Some(
                    "kinds: service, library, service_group, library_group".into(),
                )));
            }
        };
        let params = match &target {
            ImplyTarget::Component(..) => params(value, &origin)?,
            ImplyTarget::Group { .. } => IndexMap::new(),
        };
        out.push(Implication {
            target,
            params: Arc::new(params),
            origin,
        });
    }
    Ok(out)
}

fn group_options(value: &serde_yaml::Value, origin: &Origin) -> Result<Option<Vec<String>>, Error> {
    use serde_yaml::Value;
    let bad = || {
        Error::new(
            ErrorKind::InvalidValue,
            "a group implication takes an option name, a list of option names, or nothing",
        )
        .at(origin.clone())
        .with_label("expected an option name")
        .with_help("write e.g. `service_group:vector-db: qdrant`")
    };
    let options = match value {
        Value::Null => return Ok(None),
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
            .collect::<Result<_, _>>()?,
        _ => return Err(bad()),
    };
    for o in &options {
        check_name(o, origin)?;
    }
    Ok(Some(options))
}

fn params(value: &serde_yaml::Value, origin: &Origin) -> Result<IndexMap<String, String>, Error> {
    use serde_yaml::Value;
    let bad = |what: &str| {
        Error::new(
            ErrorKind::InvalidValue,
            format!("implication value must be empty or `{{params: {{...}}}}`, found {what}"),
        )
        .at(origin.clone())
        .with_label("unexpected value")
        .with_help("write `service:postgres: {params: {db_name: auth}}` or leave the value empty")
    };
    let map = match value {
        Value::Null => return Ok(IndexMap::new()),
        Value::Mapping(m) => m,
        Value::String(_) => return Err(bad("a string")),
        Value::Sequence(_) => return Err(bad("a list")),
        _ => return Err(bad("a scalar")),
    };
    let mut out = IndexMap::new();
    for (k, v) in map {
        match k.as_str() {
            Some("params") => {}
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::UnknownKey,
                    format!("unknown key `{other}` in an implication"),
                )
                .at(origin.clone())
                .with_label("unknown key")
                .add_help(did_you_mean_hint(other, ["params"]))
                .add_help(Some(
                    "an implication of a component takes only `params`".into(),
                )));
            }
            None => return Err(bad("a non-string key")),
        }
        match v {
            Value::Null => {}
            Value::Mapping(p) => {
                for (pk, pv) in p {
                    let key = scalar_text(pk).ok_or_else(|| bad("a non-scalar param name"))?;
                    let value = scalar_text(pv).ok_or_else(|| bad("a non-scalar param value"))?;
                    check_param(&key, &value, origin)?;
                    out.insert(key, value);
                }
            }
            _ => return Err(bad("`params` that is not a mapping")),
        }
    }
    Ok(out)
}

/// A param becomes an env variable of the service it is passed to (`db_name=a,b`), and its
/// value is joined into others: both must survive an env file and a compose file.
fn check_param(key: &str, value: &str, origin: &Origin) -> Result<(), Error> {
    let refuse = |what: &str, shown: &str, why: Reason, help: &str| {
        Error::new(
            ErrorKind::InvalidValue,
            format!(
                "param {what} `{}` is not valid: {why}",
                syntax::shown(shown)
            ),
        )
        .at(origin.clone())
        .with_label(format!("invalid param {what}"))
        .with_help(help.to_string())
    };
    syntax::env_name(key).map_err(|why| {
        refuse(
            "name",
            key,
            why,
            "a param is also passed as an env variable of that name: use letters, digits, `_` and `.`, starting with a letter or `_` (`db_name`)",
        )
    })?;
    syntax::no_line_break(value).map_err(|why| refuse("value", value, why, ENV_VALUE_HELP))
}

fn scalar_text(v: &serde_yaml::Value) -> Option<String> {
    use serde_yaml::Value;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::file_only(&SourceFile::new("x.yaml", None, "name: x\n"))
    }

    #[test]
    fn versions_are_read_leniently() {
        for (text, want) in [
            ("1.2.3", "1.2.3"),
            ("1.10", "1.10.0"),
            ("3", "3.0.0"),
            ("v1.12.4", "1.12.4"),
            ("2.0-rc1", "2.0.0-rc1"),
        ] {
            assert_eq!(
                parse_version(&Text(text.into()), &origin())
                    .unwrap()
                    .to_string(),
                want,
                "{text}"
            );
        }
        assert!(parse_version(&Text("latest".into()), &origin()).is_err());
    }

    #[test]
    fn ranges_accept_pep440_equality() {
        let req = parse_req("==1.2.3", &origin()).unwrap();
        assert!(req.matches(&Version::new(1, 2, 3)));
        assert!(
            parse_req(">=1.10, <2", &origin())
                .unwrap()
                .matches(&Version::new(1, 12, 0))
        );
        assert_eq!(
            parse_req(">=>1", &origin()).unwrap_err().kind,
            ErrorKind::InvalidVersion
        );
    }
}
