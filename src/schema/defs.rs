//! Schema-only types: the definitions whose rule is not in a serde type but in a check the
//! loader makes after serde (names, rule keys, the values handed to docker compose). A
//! model field names one with `#[schemars(with = "...")]`; none of them is ever built.
//!
//! Each pattern here says what the loader's check says ([`crate::vocab::is_valid_name`],
//! [`crate::registry::syntax`]), in the ECMA-262 syntax JSON Schema uses.

use std::borrow::Cow;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::registry::model::Text;
use crate::vocab::{NAME_MAX_LEN, NAME_PATTERN};

/// A line of text a value is written on: no line break, no NUL.
const ONE_LINE: &str = r"^[^\n\r\u0000]*$";

/// A compose `${VAR}` reference, which compose fills in (hsm does not check it further).
const DOLLAR_REFERENCE: &str = r"[^\n\r\u0000]*\$[^\n\r\u0000]*";

/// A component, group or option name ([`crate::vocab::is_valid_name`]).
#[derive(Debug)]
pub enum Name {}

impl JsonSchema for Name {
    fn schema_name() -> Cow<'static, str> {
        "name".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A component, group or option name: letters, digits, `-`, `_`, `.`; starts with a letter or digit; no `..`.",
            "type": "string",
            "pattern": NAME_PATTERN,
            "maxLength": NAME_MAX_LEN,
        })
    }
}

/// A mapping (or null) keyed by component or group names, of `V`s.
#[derive(Debug)]
pub struct NameMap<V>(PhantomData<V>);

impl<V: JsonSchema> JsonSchema for NameMap<V> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("NameMap_of_{}", V::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["object", "null"],
            "propertyNames": generator.subschema_for::<Name>(),
            "additionalProperties": generator.subschema_for::<V>(),
        })
    }
}

/// `requires:` of a component or of one of its versions.
#[derive(Debug)]
pub enum Requires {}

impl JsonSchema for Requires {
    fn schema_name() -> Cow<'static, str> {
        "requires".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Hard requirements: component name (or `service:X` / `library:X`) → semver range. The target is brought into the stack.",
            "type": ["object", "null"],
            "additionalProperties": generator.subschema_for::<Text>(),
        })
    }
}

/// `conflicts:` of a component or of one of its versions.
#[derive(Debug)]
pub enum Conflicts {}

impl JsonSchema for Conflicts {
    fn schema_name() -> Cow<'static, str> {
        "conflicts".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Components that may never be in the stack together with this one.",
            "type": ["array", "null"],
            "items": { "type": "string" },
        })
    }
}

/// `implies:` of a component, of one of its versions or of a group option: its keys are
/// `kind:name` references ([`crate::registry::refs`]).
#[derive(Debug)]
pub enum Implies {}

impl JsonSchema for Implies {
    fn schema_name() -> Cow<'static, str> {
        "implies".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let name = NAME_PATTERN.trim_start_matches('^');
        json_schema!({
            "description": "What this brings into the stack: `service:X` / `library:X` (value: null or {params: {...}}), `service_group:G` / `library_group:G` (value: an option, a list of options, or null for the group's default).",
            "type": ["object", "null"],
            "propertyNames": {
                "pattern": format!("^(service|library|service_group|library_group|container|container_group):{name}"),
            },
        })
    }
}

/// Compose `container_name` ([`crate::registry::syntax::container_name`]).
#[derive(Debug)]
pub enum ContainerName {}

impl JsonSchema for ContainerName {
    fn schema_name() -> Cow<'static, str> {
        "container_name".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Docker's rule: letters, digits, `_`, `.`, `-`, starting with a letter or digit, at least two characters (or a `$` reference for compose to fill in).",
            "type": ["string", "null"],
            "pattern": format!("^(?:[a-zA-Z0-9][a-zA-Z0-9_.-]+|{DOLLAR_REFERENCE})$"),
        })
    }
}

/// Compose `networks.*.aliases` ([`crate::registry::syntax::network_alias`]).
#[derive(Debug)]
pub enum Aliases {}

impl JsonSchema for Aliases {
    fn schema_name() -> Cow<'static, str> {
        "aliases".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Network aliases: host names other services resolve.",
            "type": ["array", "null"],
            "items": {
                "type": "string",
                "pattern": format!("^(?:[a-zA-Z0-9][a-zA-Z0-9_.-]*|{DOLLAR_REFERENCE})$"),
            },
        })
    }
}

/// Compose `environment` ([`crate::registry::syntax::env_name`],
/// [`crate::registry::syntax::no_line_break`]).
#[derive(Debug)]
pub enum Env {}

impl JsonSchema for Env {
    fn schema_name() -> Cow<'static, str> {
        "env".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Environment variables: names of letters, digits, `_` and `.`, starting with a letter or `_`; values on one line.",
            "type": ["object", "null"],
            "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_.]*$" },
            "additionalProperties": {
                "type": ["string", "number", "boolean"],
                "pattern": ONE_LINE,
            },
        })
    }
}

/// Compose `command` and healthcheck `test`: a string or a list of scalars.
#[derive(Debug)]
pub enum Command {}

impl JsonSchema for Command {
    fn schema_name() -> Cow<'static, str> {
        "command".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A command: a string or a list of strings (numbers and booleans are read as text).",
            "type": ["string", "array", "null"],
            "items": { "type": ["string", "number", "boolean"] },
        })
    }
}

/// Compose `healthcheck`: the keys compose knows, and `x-` extensions.
#[derive(Debug)]
pub enum Healthcheck {}

impl JsonSchema for Healthcheck {
    fn schema_name() -> Cow<'static, str> {
        "healthcheck".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Compose healthcheck syntax.",
            "type": ["object", "null"],
            "additionalProperties": false,
            "patternProperties": { "^x-": true },
            "properties": {
                "test": generator.subschema_for::<Command>(),
                "interval": { "type": "string" },
                "timeout": { "type": "string" },
                "start_period": { "type": "string" },
                "start_interval": { "type": "string" },
                "retries": { "type": "integer", "minimum": 0 },
                "disable": { "type": "boolean" },
            },
        })
    }
}
