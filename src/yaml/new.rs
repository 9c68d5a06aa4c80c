//! Values to write: [`New`], in flow style or on a block line here, in block style by
//! [`super::write`].

use super::quote::{quote, quote_block, quote_key};

/// A value to write: inserted by the editor or a whole generated file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum New {
    /// A string, quoted on output if YAML would misread it.
    Str(String),
    /// Text written verbatim: copied from the document (keeps the user's quoting), or a
    /// number, boolean or null.
    Raw(String),
    Map(Vec<NewEntry>),
    Seq(Vec<New>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewEntry {
    pub(crate) key: String,
    pub(crate) value: New,
    /// Comment lines written above the key (block style only).
    pub(crate) comment: Option<String>,
}

impl NewEntry {
    pub(crate) fn new(key: &str, value: New) -> NewEntry {
        NewEntry {
            key: key.to_string(),
            value,
            comment: None,
        }
    }
}

impl New {
    pub(crate) fn str(s: impl Into<String>) -> New {
        New::Str(s.into())
    }

    pub(crate) fn map() -> New {
        New::Map(Vec::new())
    }

    /// Append a key to a mapping (no-op on other values).
    pub(crate) fn push(&mut self, key: impl Into<String>, value: New) {
        if let New::Map(entries) = self {
            entries.push(NewEntry {
                key: key.into(),
                value,
                comment: None,
            });
        }
    }

    /// Convert a parsed YAML value (compose pass-through such as `healthcheck`).
    pub(crate) fn from_value(v: &serde_yaml::Value) -> New {
        use serde_yaml::Value;
        match v {
            Value::Null => New::Raw("null".into()),
            Value::Bool(b) => New::Raw(b.to_string()),
            Value::Number(n) => New::Raw(n.to_string()),
            Value::String(s) => New::Str(s.clone()),
            Value::Sequence(items) => New::Seq(items.iter().map(New::from_value).collect()),
            Value::Mapping(m) => New::Map(
                m.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Value::String(s) => s.clone(),
                            other => serde_yaml::to_string(other)
                                .unwrap_or_default()
                                .trim()
                                .to_string(),
                        };
                        NewEntry {
                            key,
                            value: New::from_value(v),
                            comment: None,
                        }
                    })
                    .collect(),
            ),
            Value::Tagged(t) => New::from_value(&t.value),
        }
    }

    /// Written on the key's own line (`key: value`), not as indented lines below it.
    pub(super) fn is_inline(&self) -> bool {
        match self {
            New::Str(_) | New::Raw(_) => true,
            New::Map(e) => e.is_empty(),
            New::Seq(i) => i.is_empty(),
        }
    }

    /// The value on a block line (after `key: ` or `- `): like [`New::flow`], but a string
    /// is quoted only if a block line would misread it (`url: https://x` stays plain).
    pub(super) fn inline(&self) -> String {
        match self {
            New::Str(s) => quote_block(s),
            other => other.flow(),
        }
    }

    pub(super) fn flow(&self) -> String {
        match self {
            New::Str(s) => quote(s),
            New::Raw(r) => r.clone(),
            New::Map(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|e| format!("{}: {}", quote_key(&e.key), e.value.flow()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            New::Seq(items) => {
                let inner: Vec<String> = items.iter().map(New::flow).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }
}
