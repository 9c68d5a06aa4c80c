//! The environment of a service: env file(s) → service `env` → source `env` → implied params.
//!
//! Every key may be defined once along the chain; a second definition is an error that
//! names both places (no silent override: which value wins would depend on an order nobody
//! wrote down). Values are kept verbatim, so `${SECRET}` stays a reference for docker
//! compose to fill in, never a copy of the secret. `${HSM_MERGED_PARAMS.key}` is replaced
//! by the merged params of the service (empty when no implication passes that key), in one
//! pass: what a replacement inserts is never expanded again.
//!
//! Every value is written once, where it belongs. Values read from env files may be
//! secrets: they go only to `.env.<service>`, which compose reads through `env_file:`, and
//! never into docker-compose.hsm.yml. What the registry declares (env maps, params,
//! `${VAR}` references) goes to compose's `environment:`, where the original hsm wrote it.

use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::error::{Error, ErrorKind};
use crate::registry::model::Text;
use crate::registry::syntax;
use crate::source::{Origin, SourceFile, Span};

/// Where an env key was defined.
#[derive(Debug, Clone)]
pub struct EnvOrigin {
    /// What defined it: `env_file .env.shared:3`, `env`; see [`EnvOrigin::describe`].
    pub what: String,
    pub origin: Option<Origin>,
    /// [`EnvOrigin::describe`] adds the position of `origin` (`env (services/x.yaml:12)`).
    pub cite: bool,
    /// Read from an env file (so written only to `.env.<service>`), not declared by the
    /// registry.
    pub from_file: bool,
}

impl EnvOrigin {
    /// In words, with the line it is on when that is worth saying. Computed only when a
    /// message needs it: a position costs a second parse of its file.
    pub fn describe(&self) -> String {
        match &self.origin {
            Some(o) if self.cite => format!("{} ({})", self.what, o.short()),
            _ => self.what.clone(),
        }
    }
}

/// An ordered environment with the origin of every key.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub vars: IndexMap<String, (String, EnvOrigin)>,
}

const PARAM_REF: &str = "${HSM_MERGED_PARAMS.";

impl Env {
    /// Add `key=value`; a key already present is an error naming both definitions.
    pub fn define(
        &mut self,
        service: &str,
        key: &str,
        value: String,
        from: EnvOrigin,
    ) -> Result<(), Error> {
        if let Some((_, first)) = self.vars.get(key) {
            let (label, at) = match (&from.origin, &first.origin) {
                (Some(o), _) => ("second definition", Some(o.clone())),
                (None, Some(o)) => ("first definition", Some(o.clone())),
                (None, None) => ("", None),
            };
            let mut err = Error::new(
                ErrorKind::InvalidValue,
                format!("env key `{key}` of service `{service}` is defined twice: in {} and in {}", first.describe(), from.describe()),
            )
            .with_help(format!("remove one of the two definitions of `{key}`; hsm does not let one silently override the other"));
            if let Some(o) = at {
                err = err.at(o).with_label(label);
            }
            return Err(err);
        }
        self.vars.insert(key.to_string(), (value, from));
        Ok(())
    }

    /// Replace `${HSM_MERGED_PARAMS.key}` in every value, left to right in one pass.
    pub fn substitute_params(&mut self, params: &IndexMap<String, Vec<String>>) {
        for (value, _) in self.vars.values_mut() {
            if value.contains(PARAM_REF) {
                *value = expand_params(value, params);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// What the registry declares, in chain order: compose's `environment:`.
    pub fn declared(&self) -> impl Iterator<Item = (&String, &String)> {
        self.vars
            .iter()
            .filter(|(_, (_, o))| !o.from_file)
            .map(|(k, (v, _))| (k, v))
    }

    /// The `.env.<service>` file: the values read from env files as `KEY=value` lines,
    /// keys sorted; `None` when no env file gave any.
    pub fn to_file(&self) -> Option<String> {
        let mut keys: Vec<&String> = self
            .vars
            .iter()
            .filter(|(_, (_, o))| o.from_file)
            .map(|(k, _)| k)
            .collect();
        if keys.is_empty() {
            return None;
        }
        keys.sort();
        Some(
            keys.iter()
                .map(|k| format!("{k}={}\n", self.vars[*k].0))
                .collect(),
        )
    }
}

impl Env {
    /// The whole environment as `KEY=value` lines in definition order, for a process that
    /// reads one `.env` (a service run with uv: no compose `environment:` to split it
    /// with); `None` when it is empty. `${VAR}` references stay as written.
    pub fn to_dotenv(&self) -> Option<String> {
        if self.vars.is_empty() {
            return None;
        }
        Some(
            self.vars
                .iter()
                .map(|(k, (v, _))| format!("{k}={v}\n"))
                .collect(),
        )
    }
}

/// `value` with every `${HSM_MERGED_PARAMS.key}` replaced by the merged params of `key`.
/// A reference without its closing `}` is kept as written.
fn expand_params(value: &str, params: &IndexMap<String, Vec<String>>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find(PARAM_REF) {
        let after = &rest[start + PARAM_REF.len()..];
        let Some(end) = after.find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        if let Some(values) = params.get(&after[..end]) {
            out.push_str(&values.join(","));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Add the entries of a registry `env:` map.
pub fn define_map(
    env: &mut Env,
    service: &str,
    map: &IndexMap<String, Text>,
    what: &str,
    origin_of: impl Fn(&str) -> Origin,
) -> Result<(), Error> {
    for (k, v) in map {
        let origin = origin_of(k);
        env.define(
            service,
            k,
            v.0.clone(),
            EnvOrigin {
                what: what.to_string(),
                origin: Some(origin),
                cite: true,
                from_file: false,
            },
        )?;
    }
    Ok(())
}

/// Read an env file: `KEY=value` lines; blank lines and `#` comments skipped; an optional
/// `export ` prefix is accepted. A line without `=`, an empty key or a key repeated within
/// the file is an error at that line. The file is read through `read` (the project's
/// reader, as every file a plan reads), relative to the project root `root`.
pub fn read_env_file(
    env: &mut Env,
    service: &str,
    root: &Path,
    rel: &str,
    declared_at: &Origin,
    read: &super::Reader<'_>,
) -> Result<(), Error> {
    let path = root.join(rel);
    let cannot_read = |why: String| {
        Error::new(
            ErrorKind::Io,
            format!("env_file `{rel}` of service `{service}` cannot be read: {why}"),
        )
        .at(declared_at.clone())
        .with_label("env_file")
    };
    let text = match read(rel) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Err(cannot_read("there is no such file".to_string()).with_help(format!(
                "create {rel} (relative to the project root) or remove it from the registry entry"
            )));
        }
        // An encoding error points into the env file itself; the others at the declaration.
        Err(e) if e.origin.is_some() => return Err(e),
        Err(e) => return Err(cannot_read(e.message).add_help(e.help)),
    };
    let file = SourceFile::new(rel.to_string(), Some(path), text);
    let text = Arc::clone(file.text());
    let mut own: Vec<String> = Vec::new();
    let mut offset = 0usize;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += raw.len();
        let trimmed = raw.trim_end();
        let lead = raw.len() - raw.trim_start().len();
        let line = trimmed.trim_start();
        let span = Span {
            offset: line_start,
            len: trimmed.len(),
        };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let here = Origin::at_span(&file, span);
        let (line, key_at) = match line.strip_prefix("export ") {
            Some(rest) => (rest, line_start + lead + "export ".len()),
            None => (line, line_start + lead),
        };
        let Some((raw_key, value)) = line.split_once('=') else {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "invalid line in env file {rel}:{}: `{}`",
                    i + 1,
                    syntax::shown(line)
                ),
            )
            .at(here)
            .with_label("expected KEY=value")
            .with_help("write `KEY=value`, or start the line with `#` to comment it out"));
        };
        let key = raw_key.trim();
        let key_span = Span {
            offset: key_at + (raw_key.len() - raw_key.trim_start().len()),
            len: key.len(),
        };
        if key.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("empty key in env file {rel}:{}", i + 1),
            )
            .at(here)
            .with_label("empty key")
            .with_help("write `KEY=value`"));
        }
        if let Err(why) = syntax::env_name(key) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "env key `{}` in env file {rel}:{} is not valid: {why}",
                    syntax::shown(key),
                    i + 1
                ),
            )
            .at(Origin::at_span(&file, key_span))
            .with_label("invalid env key")
            .with_help("name it with letters, digits, `_` and `.`, starting with a letter or `_` (`DB_NAME`), as shells and docker compose read env names"));
        }
        let value = value.trim();
        if let Err(why) = syntax::no_line_break(value) {
            // A carriage return or NUL inside the line: point at it.
            let bad = raw
                .trim_end()
                .find(['\r', '\0'])
                .map_or(line_start, |at| line_start + at);
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "the value of `{key}` in env file {rel}:{} is not valid: {why}",
                    i + 1
                ),
            )
            .at(Origin::at_span(
                &file,
                Span {
                    offset: bad,
                    len: 1,
                },
            ))
            .with_label("here")
            .with_help("remove the character: an env file holds one `KEY=value` per line"));
        }
        if own.iter().any(|k| k == key) {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("key `{key}` appears twice in env file {rel}"),
            )
            .at(here)
            .with_label("repeated key")
            .with_help("keep one of the two lines"));
        }
        own.push(key.to_string());
        env.define(
            service,
            key,
            value.to_string(),
            EnvOrigin {
                what: format!("env_file {rel}:{}", i + 1),
                origin: Some(here),
                cite: false,
                from_file: true,
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::file_only(&SourceFile::new("services/x.yaml", None, "name: x\n"))
    }

    /// The files of `root`, read as a plan reads project files.
    fn disk(root: &Path) -> impl Fn(&str) -> Result<Option<String>, Error> + '_ {
        move |rel| crate::source::read_text(&root.join(rel), rel)
    }

    fn declared(what: &str) -> EnvOrigin {
        EnvOrigin {
            what: what.into(),
            origin: None,
            cite: false,
            from_file: false,
        }
    }

    #[test]
    fn a_key_defined_twice_names_both_places() {
        let mut env = Env::default();
        env.define("pg", "A", "1".into(), declared("env_file a.env:1"))
            .unwrap();
        let err = env
            .define("pg", "A", "2".into(), declared("services/pg.yaml:4 (env)"))
            .unwrap_err();
        assert!(
            err.message.contains("env_file a.env:1") && err.message.contains("services/pg.yaml:4"),
            "{}",
            err.message
        );
    }

    #[test]
    fn merged_params_are_substituted_and_secrets_kept() {
        let mut env = Env::default();
        env.define(
            "pg",
            "DBS",
            "${HSM_MERGED_PARAMS.db_name}".into(),
            declared("x"),
        )
        .unwrap();
        env.define("pg", "PW", "${PG_PASSWORD}".into(), declared("x"))
            .unwrap();
        env.define(
            "pg",
            "NONE",
            "x${HSM_MERGED_PARAMS.nothing}y".into(),
            declared("x"),
        )
        .unwrap();
        let mut params = IndexMap::new();
        params.insert(
            "db_name".to_string(),
            vec!["auth".to_string(), "billing".to_string()],
        );
        env.substitute_params(&params);
        let declared: Vec<(&String, &String)> = env.declared().collect();
        assert_eq!(
            format!("{declared:?}"),
            r#"[("DBS", "auth,billing"), ("PW", "${PG_PASSWORD}"), ("NONE", "xy")]"#
        );
        assert_eq!(env.to_file(), None, "nothing came from an env file");
    }

    #[test]
    fn param_expansion_is_one_pass() {
        let mut params = IndexMap::new();
        // A param whose value refers to itself (and to another param) is inserted as
        // written, never expanded again: no loop, no growth.
        params.insert("x".to_string(), vec!["${HSM_MERGED_PARAMS.x}".to_string()]);
        params.insert("y".to_string(), vec!["${HSM_MERGED_PARAMS.x}!".to_string()]);
        assert_eq!(
            expand_params("a${HSM_MERGED_PARAMS.x}b${HSM_MERGED_PARAMS.y}", &params),
            "a${HSM_MERGED_PARAMS.x}b${HSM_MERGED_PARAMS.x}!"
        );
        assert_eq!(
            expand_params("${HSM_MERGED_PARAMS.x", &params),
            "${HSM_MERGED_PARAMS.x",
            "an unclosed reference stays as written"
        );
        let mut env = Env::default();
        env.define("s", "X", "${HSM_MERGED_PARAMS.x}".into(), declared("x"))
            .unwrap();
        env.substitute_params(&params);
        assert_eq!(env.vars["X"].0, "${HSM_MERGED_PARAMS.x}");
    }

    #[test]
    fn only_env_file_values_go_to_the_env_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.env"), "SECRET=hunter2\nA=\"x y\"\n").unwrap();
        let mut env = Env::default();
        read_env_file(
            &mut env,
            "s",
            dir.path(),
            "s.env",
            &origin(),
            &disk(dir.path()),
        )
        .unwrap();
        env.define("s", "PUBLIC", "1".into(), declared("x"))
            .unwrap();
        assert_eq!(
            env.to_file().as_deref(),
            Some("A=\"x y\"\nSECRET=hunter2\n")
        );
        assert_eq!(
            env.declared().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["PUBLIC"]
        );
    }

    #[test]
    fn env_files_are_strict() {
        let dir = tempfile::tempdir().unwrap();
        let read = |text: &str| {
            std::fs::write(dir.path().join("f.env"), text).unwrap();
            read_env_file(
                &mut Env::default(),
                "s",
                dir.path(),
                "f.env",
                &origin(),
                &disk(dir.path()),
            )
        };
        let err = read("# c\nOK=1\nNOPE\n").unwrap_err();
        assert_eq!(err.location().as_deref(), Some("f.env:3:1"));
        let err = read("A=1\nexport A=2\n").unwrap_err();
        assert!(err.message.contains("appears twice"), "{}", err.message);
        // Keys: shell-safe names, positioned at the key.
        let err = read("OK=1\n  export MY KEY=2\n").unwrap_err();
        assert_eq!(
            err.location().as_deref(),
            Some("f.env:2:10"),
            "{}",
            err.message
        );
        assert!(err.message.contains("`MY KEY`"), "{}", err.message);
        let err = read("A-B=1\n").unwrap_err();
        assert_eq!(err.location().as_deref(), Some("f.env:1:1"));
        // A carriage return inside a line or a NUL is refused at its column; CRLF is fine.
        read("A=1\r\nB=2\r\n").unwrap();
        let err = read("A=1\rB=2\n").unwrap_err();
        assert_eq!(
            err.location().as_deref(),
            Some("f.env:1:4"),
            "{}",
            err.message
        );
        let err = read("A=x\0y\n").unwrap_err();
        assert_eq!(
            err.location().as_deref(),
            Some("f.env:1:4"),
            "{}",
            err.message
        );
        let err = read_env_file(
            &mut Env::default(),
            "s",
            dir.path(),
            "missing.env",
            &origin(),
            &disk(dir.path()),
        )
        .unwrap_err();
        assert!(err.message.contains("missing.env"), "{}", err.message);
    }
}
