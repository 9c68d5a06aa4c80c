//! A fast path for reading the YAML that hsm's files are nearly always written in.
//!
//! At 100k registry files, YAML's event parser and the allocations it makes were most of
//! `hsm registry lint`'s time, for files of a few plain lines. Registry files, hsm.yaml and
//! scenario files are written in a simple subset of YAML: block mappings and sequences,
//! flow collections closed on their line, scalars on one line. [`from_str`] parses that
//! subset into a tree that borrows the text and hands it to serde, as `serde_yaml` would.
//!
//! It answers only where its answer is certainly `serde_yaml`'s, and `None` otherwise;
//! the caller then asks `serde_yaml`, whose error (or value) the user sees. Left to the
//! parser: tabs, carriage returns, control characters, a BOM, documents markers and
//! directives, anchors, aliases, tags, block scalars, multi-line scalars, a
//! double-quoted scalar with an escape, a key that is not a plain word or a quoted
//! scalar, a repeated key, a plain scalar YAML may read as a number (where a string is
//! not asked for), and any value the type refuses.
//!
//! The unit tests below and the registry, manifest and scenario fuzz targets (through
//! [`agrees`]) check that wherever it answers, `serde_yaml` gives the same value.

mod de;
mod parse;

use std::fmt::Debug;

use serde::de::DeserializeOwned;

/// `text` read as a `T`, when the simple subset reads it exactly as `serde_yaml` would.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    let node = parse::document(text)?;
    T::deserialize(de::De(&node)).ok()
}

/// Whether the subset answered for `text` as a `T`, for the tests and fuzz targets
/// (`Err` with both answers when it answered and `serde_yaml` read another value or
/// failed).
pub fn agrees<T: DeserializeOwned + Debug>(text: &str) -> Result<bool, String> {
    let Some(fast) = from_str::<T>(text) else {
        return Ok(false);
    };
    match serde_yaml::from_str::<T>(text) {
        Ok(parsed) => {
            let (fast, parsed) = (format!("{fast:?}"), format!("{parsed:?}"));
            if fast == parsed {
                Ok(true)
            } else {
                Err(format!("simple read {fast}\nserde_yaml read {parsed}"))
            }
        }
        Err(e) => Err(format!("simple read {fast:?}\nserde_yaml failed: {e}")),
    }
}

#[cfg(test)]
pub(crate) mod tests;
