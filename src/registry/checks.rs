//! Checks of the values a registry file hands to docker compose or uv (sources, env,
//! ports, volumes, healthchecks, commands), made when the file is read so that a value
//! the tool would refuse is reported at its line in the registry, not later in a
//! generated artifact. The syntax of each kind of value is in [`super::syntax`].

use std::sync::Arc;

use indexmap::IndexMap;

use super::model::{LibraryFile, ServiceFile, Source, SourceType, Sources, Text, VersionEntry};
use super::syntax::{self, Reason};
use crate::error::{Error, ErrorKind};
use crate::source::{KeyPath, Origin, SourceFile, did_you_mean_hint};

/// A value the registry hands to docker compose or uv, checked where it is written.
struct Value<'a> {
    file: &'a Arc<SourceFile>,
    at: KeyPath,
    /// What the value is, for the message: `port`, `env key`.
    what: &'static str,
}

impl Value<'_> {
    fn check(
        &self,
        value: &str,
        rule: impl Fn(&str) -> Result<(), Reason>,
        help: &str,
    ) -> Result<(), Error> {
        rule(value).map_err(|why| self.refuse(value, &why, help))
    }

    fn refuse(&self, value: &str, why: &str, help: &str) -> Error {
        Error::new(
            ErrorKind::InvalidValue,
            format!(
                "{} `{}` is not valid: {why}",
                self.what,
                syntax::shown(value)
            ),
        )
        .at(Origin::at_path(self.file, self.at.clone()))
        .with_label(format!("invalid {}", self.what))
        .with_help(help.to_string())
    }
}

pub(super) const ENV_KEY_HELP: &str = "name it with letters, digits, `_` and `.`, starting with a letter or `_` (`DB_NAME`), as shells and docker compose read env names";
pub(super) const ENV_VALUE_HELP: &str = "put the value on one line; a value that needs line breaks belongs in a file the service mounts";
pub(super) const PATH_HELP: &str = "write the path on one line, relative to the project root";

/// What the library file gives uv: its distribution name and its sources.
pub(super) fn check_library(file: &Arc<SourceFile>, raw: &LibraryFile) -> Result<(), Error> {
    let root = KeyPath::root();
    let (name, key) = match &raw.package {
        Some(p) => (p.as_str(), "package"),
        None => (raw.name.as_str(), "name"),
    };
    Value { file, at: root.key(key), what: "package name" }.check(
        name,
        syntax::distribution_name,
        "write the Python distribution name alone (`qdrant-client`): letters, digits, `.`, `_`, `-`, starting and ending with a letter or digit; a version goes in the pypi source's `version`",
    )?;
    for (at, source) in all_sources(&raw.sources, &raw.versions) {
        check_library_source(file, &at, source)?;
        // A library source may carry the compose keys too (the schema shares one `source`
        // definition); they are held to the same rules.
        check_compose_keys(file, &at, ComposeKeys::of(source))?;
    }
    Ok(())
}

/// Every source of a component: the top-level ones and those `versions:` override, with
/// their key paths.
fn all_sources<'a>(top: &'a Sources, versions: &'a [VersionEntry]) -> Vec<(KeyPath, &'a Source)> {
    let mut out = Vec::new();
    let mut push = |at: KeyPath, sources: &'a Sources| {
        for (mode, s) in [("prod", &sources.prod), ("dev", &sources.dev)] {
            if let Some(s) = s {
                out.push((at.key("sources").key(mode), &**s));
            }
        }
    };
    push(KeyPath::root(), top);
    for (i, v) in versions.iter().enumerate() {
        if let Some(s) = &v.sources {
            push(KeyPath::root().key("versions").index(i), s);
        }
    }
    out
}

fn check_library_source(file: &Arc<SourceFile>, at: &KeyPath, s: &Source) -> Result<(), Error> {
    let value = |key: &str, what| Value {
        file,
        at: at.key(key),
        what,
    };
    if s.kind == SourceType::Pypi {
        if let Some(v) = &s.version {
            let spec = v.0.trim();
            value("version", "version specifier").check(
                spec,
                |spec| {
                    if spec.starts_with(['<', '>', '=', '!', '~']) {
                        syntax::version_specifiers(spec)
                    } else if syntax::is_pep440_version(spec) {
                        Ok(())
                    } else {
                        syntax::no_line_break(spec)?;
                        Err("it is neither a version nor a list of `OPERATOR VERSION` clauses".into())
                    }
                },
                "write a PEP 440 specifier such as `>=1.12,<2` or `~=2.4`, or a bare version (`1.2.3`, pinned); leave `version` out for any release",
            )?;
        }
        if let Some(n) = &s.name {
            value("name", "package name").check(
                n,
                syntax::distribution_name,
                "write the Python distribution name alone (`requests`)",
            )?;
        }
    }
    for (key, v) in [
        ("url", &s.url),
        ("ref", &s.git_ref),
        ("tag", &s.tag),
        ("rev", &s.rev),
        ("branch", &s.branch),
        ("subdirectory", &s.subdirectory),
        ("path", &s.path),
    ] {
        if let Some(v) = v {
            value(key, "source value").check(v, syntax::no_line_break, "write it on one line")?;
        }
    }
    Ok(())
}

/// What the service file gives docker compose.
pub(super) fn check_service(file: &Arc<SourceFile>, raw: &ServiceFile) -> Result<(), Error> {
    let root = KeyPath::root();
    check_compose_keys(
        file,
        &root,
        ComposeKeys {
            container_name: raw.container_name.as_deref(),
            network_aliases: &raw.network_aliases,
            ports: &raw.ports,
            volumes: &raw.volumes,
            env: &raw.env,
            env_file: &raw.env_file.0,
        },
    )?;
    if let Some(h) = &raw.healthcheck {
        check_healthcheck(file, &root.key("healthcheck"), h)?;
    }
    if let Some(c) = &raw.command {
        check_command(file, &root.key("command"), c)?;
    }
    for (at, s) in all_sources(&raw.sources, &raw.versions) {
        check_compose_keys(file, &at, ComposeKeys::of(s))?;
        let value = |key: &str, what| Value {
            file,
            at: at.key(key),
            what,
        };
        if let Some(image) = &s.image {
            value("image", "image").check(
                image,
                syntax::image,
                "write an image reference such as `postgres:16-alpine` or `ghcr.io/org/app:1.2`: lower-case name, optional `:tag`",
            )?;
        }
        if let Some(p) = &s.path {
            value("path", "build path").check(p, syntax::no_line_break, PATH_HELP)?;
        }
        if let Some(d) = &s.dockerfile {
            value("dockerfile", "dockerfile").check(
                d,
                |d| {
                    syntax::no_line_break(d)?;
                    if d.trim().is_empty() { Err("it is empty".into()) } else { Ok(()) }
                },
                "name the Dockerfile relative to the build path (`Dockerfile.dev`), or leave `dockerfile` out for `Dockerfile`",
            )?;
        }
    }
    Ok(())
}

impl<'a> ComposeKeys<'a> {
    fn of(s: &'a Source) -> ComposeKeys<'a> {
        ComposeKeys {
            container_name: s.container_name.as_deref(),
            network_aliases: &s.network_aliases,
            ports: &s.ports,
            volumes: &s.volumes,
            env: &s.env,
            env_file: &s.env_file.0,
        }
    }
}

/// The keys a service and its sources share.
struct ComposeKeys<'a> {
    container_name: Option<&'a str>,
    network_aliases: &'a [String],
    ports: &'a [Text],
    volumes: &'a [String],
    env: &'a IndexMap<String, Text>,
    env_file: &'a [String],
}

fn check_compose_keys(
    file: &Arc<SourceFile>,
    at: &KeyPath,
    keys: ComposeKeys<'_>,
) -> Result<(), Error> {
    if let Some(c) = keys.container_name {
        Value { file, at: at.key("container_name"), what: "container_name" }.check(
            c,
            syntax::container_name,
            "use letters, digits, `_`, `.` and `-`, starting with a letter or digit, at least two characters (docker's rule), or leave `container_name` out",
        )?;
    }
    for (i, a) in keys.network_aliases.iter().enumerate() {
        Value { file, at: at.key("network_aliases").index(i), what: "network alias" }.check(
            a,
            syntax::network_alias,
            "an alias is a host name: letters, digits, `_`, `.` and `-`, starting with a letter or digit",
        )?;
    }
    for (i, p) in keys.ports.iter().enumerate() {
        Value { file, at: at.key("ports").index(i), what: "port" }.check(
            &p.0,
            syntax::port,
            "write `HOST:CONTAINER` (`\"8080:80\"`), `CONTAINER`, or `IP:HOST:CONTAINER`, optionally with `/tcp` or `/udp`; ports are 1-65535",
        )?;
    }
    for (i, v) in keys.volumes.iter().enumerate() {
        Value { file, at: at.key("volumes").index(i), what: "volume" }.check(
            v,
            syntax::volume,
            "write `NAME:/path` (a named volume), `./dir:/path` (a project directory) or `/path`, optionally followed by `:ro`",
        )?;
    }
    for (k, v) in keys.env {
        let value = Value {
            file,
            at: at.key("env").key(k.as_str()),
            what: "env key",
        };
        value.check(k, syntax::env_name, ENV_KEY_HELP)?;
        Value {
            what: "env value",
            ..value
        }
        .check(&v.0, syntax::no_line_break, ENV_VALUE_HELP)?;
    }
    for (i, f) in keys.env_file.iter().enumerate() {
        Value {
            file,
            at: at.key("env_file").index(i),
            what: "env_file",
        }
        .check(
            f,
            |f| {
                syntax::no_line_break(f)?;
                if f.trim().is_empty() {
                    Err("it is empty".into())
                } else {
                    Ok(())
                }
            },
            PATH_HELP,
        )?;
    }
    Ok(())
}

const HEALTHCHECK_KEYS: [&str; 7] = [
    "test",
    "interval",
    "timeout",
    "retries",
    "start_period",
    "start_interval",
    "disable",
];

/// Compose's healthcheck: a mapping of known keys; `test` a command, durations as `10s`.
fn check_healthcheck(
    file: &Arc<SourceFile>,
    at: &KeyPath,
    h: &serde_yaml::Value,
) -> Result<(), Error> {
    use serde_yaml::Value as Y;
    let bad = |at: KeyPath, message: String, label: &str| {
        Error::new(ErrorKind::InvalidValue, message)
            .at(Origin::at_path(file, at))
            .with_label(label.to_string())
            .with_help("write compose's healthcheck mapping, e.g. `healthcheck: {test: [\"CMD-SHELL\", \"pg_isready\"], interval: 10s, timeout: 5s, retries: 5}`")
    };
    let map = match h {
        Y::Null => return Ok(()),
        Y::Mapping(m) => m,
        Y::String(_) => {
            return Err(bad(
                at.clone(),
                "`healthcheck` is a string; docker compose needs a mapping with `test`".into(),
                "expected a mapping",
            ));
        }
        _ => {
            return Err(bad(
                at.clone(),
                "`healthcheck` must be a mapping with `test`".into(),
                "expected a mapping",
            ));
        }
    };
    for (k, v) in map {
        let Some(key) = k.as_str() else {
            return Err(bad(
                at.clone(),
                "a healthcheck key is not a string".into(),
                "unexpected key",
            ));
        };
        let here = at.key(key);
        match key {
            "test" => check_command(file, &here, v)?,
            "interval" | "timeout" | "start_period" | "start_interval" => {
                if !v.as_str().is_some_and(is_duration) {
                    return Err(bad(
                        here,
                        format!("healthcheck `{key}` must be a duration such as `10s` or `1m30s`"),
                        "expected a duration",
                    ));
                }
            }
            "retries" => {
                if v.as_u64().is_none() {
                    return Err(bad(
                        here,
                        "healthcheck `retries` must be a whole number".into(),
                        "expected a number",
                    ));
                }
            }
            "disable" => {
                if v.as_bool().is_none() {
                    return Err(bad(
                        here,
                        "healthcheck `disable` must be true or false".into(),
                        "expected true or false",
                    ));
                }
            }
            other if other.starts_with("x-") => {}
            other => {
                return Err(Error::new(
                    ErrorKind::UnknownKey,
                    format!("unknown healthcheck key `{other}`"),
                )
                .at(Origin::at_path(file, here))
                .with_label("unknown key")
                .add_help(did_you_mean_hint(other, HEALTHCHECK_KEYS))
                .add_help(Some(format!(
                    "compose's healthcheck keys: {}",
                    HEALTHCHECK_KEYS.join(", ")
                ))));
            }
        }
    }
    Ok(())
}

/// A Go duration as compose reads it: `10s`, `1m30s`, `500ms`.
fn is_duration(s: &str) -> bool {
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return false;
        }
        rest = &rest[n..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .find(|u| rest.starts_with(u) && !(*u == "m" && rest.starts_with("ms")))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

/// A command (compose `command`, healthcheck `test`): a string or a list of scalars.
fn check_command(file: &Arc<SourceFile>, at: &KeyPath, c: &serde_yaml::Value) -> Result<(), Error> {
    use serde_yaml::Value as Y;
    let ok = match c {
        Y::Null | Y::String(_) => true,
        Y::Sequence(items) => items
            .iter()
            .all(|i| matches!(i, Y::String(_) | Y::Number(_) | Y::Bool(_))),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let what = match c {
        Y::Mapping(_) => "a mapping",
        Y::Sequence(_) => "a list with a nested list or mapping",
        _ => "neither a string nor a list",
    };
    let key = match at.segs().last() {
        Some(crate::source::Seg::Key(k)) => k.to_string(),
        _ => "command".into(),
    };
    Err(Error::new(
        ErrorKind::InvalidValue,
        format!("`{key}` is {what}; docker compose takes a string or a list of strings"),
    )
    .at(Origin::at_path(file, at.clone()))
    .with_label("expected a string or a list")
    .with_help(format!(
        "write `{key}: [\"serve\", \"--port\", \"8080\"]` or `{key}: serve --port 8080`"
    )))
}
