//! hsm's YAML toolkit: the lossless editor of hsm.yaml and registry files.
//!
//! Files: `document.rs` ([`Document`], its public edit API and the check of every edit),
//! `find.rs` (finding places: paths, shapes, the lines a value spans), `insert.rs` and
//! `remove.rs` (the splices), `new.rs` ([`New`]: values to write), `write.rs` (the one block
//! writer of a [`New`] under a [`write::Layout`], for the editor's inserts and for whole
//! generated files), `quote.rs` (the quoting policy), `path.rs` (paths, slots, shapes),
//! `lines.rs` (line helpers), `error.rs` and `verify.rs` (the loader's reading of every
//! edit).
//!
//! # The lossless editor
//!
//! The CLI edits files people wrote by hand; everything it does not edit must survive byte
//! for byte: comments, key order, quoting, blank lines.
//!
//! [`yaml_edit`] parses the text into a lossless tree and tells us where every key, value
//! and list item is. The edits themselves are splices of the text at those byte ranges,
//! computed here, because yaml-edit's own mutations leave the comments of a removed entry
//! behind, keep a `{}`/`[]` flow collection flow when it gets its first entry and append
//! new top-level keys after a file's trailing comment. After every splice the text is
//! parsed again, so each step works on a fresh, exact tree.
//!
//! [`Document`] is the generic core: find a value by path ([`Seg`]), set it, append to a
//! list, remove a key or an item. What a command means by its edit (select an option in
//! hsm.yaml, add an implication to a registry file) lives with the file's model, in
//! [`crate::manifest::edit`] and [`crate::registry::edit`].
//!
//! Layout rules for what is written:
//! - new keys go at the end of their mapping, right after the last entry's own lines;
//! - a missing, null or empty (`{}`, `[]`) collection that gets its first entry becomes
//!   block style, indented like the rest of the file (default: mappings by 2, list dashes
//!   by 2 under their key, as the original's ruamel `indent(mapping=2, sequence=4, offset=2)`);
//! - a non-empty flow collection stays flow (`[a, b]` becomes `[a, b, c]`);
//! - list items written as mappings or lists use flow style (`- {name: x, mode: dev}`,
//!   `- [a, b]`), or block style (`- name: x` and the other keys below it, `-` and the
//!   items below it) in a document made [`Document::with_block_items`];
//! - scalars are quoted only when YAML would read them as something other than the string
//!   (`'1.10'`, `'yes'`, `'on'`, `'~'`); a key `kind:name` (`service:qdrant`) stays plain.

mod document;
mod error;
mod find;
mod insert;
mod lines;
mod new;
mod path;
pub(crate) mod quote;
mod remove;
mod verify;
pub(crate) mod write;

#[cfg(test)]
mod tests;

pub(crate) use document::{Document, Editing};
pub(crate) use new::{New, NewEntry};
pub(crate) use path::{Resolved, Seg, Shape, item_name, scalar_string};
