//! Values to insert: [`New`], written in flow style or on a block line.

use super::quote::{quote, quote_block, quote_key};

/// A value to write.
#[derive(Debug, Clone)]
pub(crate) enum New {
    /// A string, quoted on output if YAML would misread it.
    Str(String),
    /// Text copied verbatim from the document (keeps the user's quoting).
    Raw(String),
    Map(Vec<NewEntry>),
    Seq(Vec<New>),
}

#[derive(Debug, Clone)]
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
