//! The environment of a service: env file(s) → service `env` → source `env` → implied params.
//!
//! Every key may be defined once along the chain; a second definition is an error that
//! names both places (no silent override: which value wins would depend on an order nobody
//! wrote down). Values are kept verbatim, so `${SECRET}` stays a reference for docker
//! compose to fill in, never a copy of the secret. `${HSM_MERGED_PARAMS.key}` is replaced
//! by the merged params of the service (empty when no implication passes that key).

use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::error::{Error, ErrorKind};
use crate::registry::model::Text;
use crate::source::{Origin, SourceFile, Span, read_text};

/// Where an env key was defined.
#[derive(Debug, Clone)]
pub struct EnvOrigin {
    /// Human description: `env_file .env.shared:3`, `services/x.yaml:12 (env)`.
    pub what: String,
    pub origin: Option<Origin>,
}

/// An ordered environment with the origin of every key.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub vars: IndexMap<String, (String, EnvOrigin)>,
}

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
                format!("env key `{key}` of service `{service}` is defined twice: in {} and in {}", first.what, from.what),
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

    /// Replace `${HSM_MERGED_PARAMS.key}` in every value.
    pub fn substitute_params(&mut self, params: &IndexMap<String, Vec<String>>) {
        for (value, _) in self.vars.values_mut() {
            while let Some(start) = value.find("${HSM_MERGED_PARAMS.") {
                let Some(len) = value[start..].find('}') else {
                    break;
                };
                let key = &value[start + "${HSM_MERGED_PARAMS.".len()..start + len];
                let merged = params.get(key).map(|v| v.join(",")).unwrap_or_default();
                value.replace_range(start..=start + len, &merged);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// The `.env.<service>` file: `KEY=value` lines, keys sorted.
    pub fn to_file(&self) -> String {
        let mut keys: Vec<&String> = self.vars.keys().collect();
        keys.sort();
        keys.iter()
            .map(|k| format!("{k}={}\n", self.vars[*k].0))
            .collect()
    }
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
                what: format!("{what} ({})", origin.short()),
                origin: Some(origin),
            },
        )?;
    }
    Ok(())
}

/// Read an env file: `KEY=value` lines; blank lines and `#` comments skipped; an optional
/// `export ` prefix is accepted. A line without `=`, an empty key or a key repeated within
/// the file is an error at that line.
pub fn read_env_file(
    env: &mut Env,
    service: &str,
    root: &Path,
    rel: &str,
    declared_at: &Origin,
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
    let text = match read_text(&path, rel) {
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
        let line = raw.trim();
        let span = Span {
            offset,
            len: raw.trim_end().len(),
        };
        offset += raw.len();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let here = Origin::at_span(&file, span);
        let Some((key, value)) = line.split_once('=') else {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("invalid line in env file {rel}:{}: `{line}`", i + 1),
            )
            .at(here)
            .with_label("expected KEY=value")
            .with_help("write `KEY=value`, or start the line with `#` to comment it out"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("empty key in env file {rel}:{}", i + 1),
            )
            .at(here)
            .with_label("empty key")
            .with_help("write `KEY=value`"));
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
            value.trim().to_string(),
            EnvOrigin {
                what: format!("env_file {rel}:{}", i + 1),
                origin: Some(here),
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

    #[test]
    fn a_key_defined_twice_names_both_places() {
        let mut env = Env::default();
        env.define(
            "pg",
            "A",
            "1".into(),
            EnvOrigin {
                what: "env_file a.env:1".into(),
                origin: None,
            },
        )
        .unwrap();
        let err = env
            .define(
                "pg",
                "A",
                "2".into(),
                EnvOrigin {
                    what: "services/pg.yaml:4 (env)".into(),
                    origin: None,
                },
            )
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
        let o = || EnvOrigin {
            what: "x".into(),
            origin: None,
        };
        env.define("pg", "DBS", "${HSM_MERGED_PARAMS.db_name}".into(), o())
            .unwrap();
        env.define("pg", "PW", "${PG_PASSWORD}".into(), o())
            .unwrap();
        env.define("pg", "NONE", "x${HSM_MERGED_PARAMS.nothing}y".into(), o())
            .unwrap();
        let mut params = IndexMap::new();
        params.insert(
            "db_name".to_string(),
            vec!["auth".to_string(), "billing".to_string()],
        );
        env.substitute_params(&params);
        assert_eq!(
            env.to_file(),
            "DBS=auth,billing\nNONE=xy\nPW=${PG_PASSWORD}\n"
        );
    }

    #[test]
    fn env_files_are_strict() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.env"), "# c\nOK=1\nNOPE\n").unwrap();
        let err =
            read_env_file(&mut Env::default(), "s", dir.path(), "bad.env", &origin()).unwrap_err();
        assert_eq!(err.location().as_deref(), Some("bad.env:3:1"));
        std::fs::write(dir.path().join("dup.env"), "A=1\nexport A=2\n").unwrap();
        let err =
            read_env_file(&mut Env::default(), "s", dir.path(), "dup.env", &origin()).unwrap_err();
        assert!(err.message.contains("appears twice"), "{}", err.message);
        let err = read_env_file(
            &mut Env::default(),
            "s",
            dir.path(),
            "missing.env",
            &origin(),
        )
        .unwrap_err();
        assert!(err.message.contains("missing.env"), "{}", err.message);
    }
}
