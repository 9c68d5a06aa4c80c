//! The registry: which components exist and the rules between them.
//!
//! [`Registry`] loads lazily. Asking for `qdrant` reads and checks `services/qdrant.yaml`
//! the first time and caches the result (including "there is no such file"); nothing else
//! is read. A 100k-component registry therefore costs a solve what the selected stack
//! costs. Only suggestions and `registry lint` list directories.

mod checks;
pub mod edit;
pub mod git;
pub mod location;
pub mod model;
mod prefetch;
pub mod refs;
pub mod rules;
mod store;
pub mod syntax;
pub mod words;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

pub use crate::vocab::Kind;

pub use rules::{Component, Group, Implication, ImplyTarget, Ref};
pub use store::{Category, Store};

use crate::error::{Error, ErrorKind};
use crate::source::{Origin, did_you_mean_hint, parse_yaml};

/// "known libraries: a, b, c" (at most 30 names), for help lines.
pub fn known(what: &str, names: &[String]) -> String {
    const MAX: usize = 30;
    let plural = crate::vocab::plural(what);
    if names.is_empty() {
        return format!("the registry has no {plural}");
    }
    let shown: Vec<&str> = names.iter().take(MAX).map(String::as_str).collect();
    let more = if names.len() > MAX {
        format!(", and {} more", names.len() - MAX)
    } else {
        String::new()
    };
    format!("known {plural}: {}{more}", shown.join(", "))
}

impl Kind {
    pub fn category(self) -> Category {
        match self {
            Kind::Library => Category::Libraries,
            Kind::Service => Category::Services,
        }
    }

    pub fn group_category(self) -> Category {
        match self {
            Kind::Library => Category::LibraryGroups,
            Kind::Service => Category::ServiceGroups,
        }
    }
}

/// Read and check the component `name` of `kind` (`None`: no such file).
fn load_component(store: &Store, kind: Kind, name: &str) -> Result<Option<Arc<Component>>, Error> {
    let Some(file) = store.read(kind.category(), name)? else {
        return Ok(None);
    };
    Ok(Some(Arc::new(match kind {
        Kind::Library => {
            rules::library(file.clone(), name, parse_yaml(&file, "registry library")?)?
        }
        Kind::Service => {
            rules::service(file.clone(), name, parse_yaml(&file, "registry service")?)?
        }
    })))
}

/// Read and check the group `name` of `kind` (`None`: no such file).
fn load_group(store: &Store, kind: Kind, name: &str) -> Result<Option<Arc<Group>>, Error> {
    let Some(file) = store.read(kind.group_category(), name)? else {
        return Ok(None);
    };
    let data = parse_yaml(&file, "registry group")?;
    Ok(Some(Arc::new(rules::group(
        file.clone(),
        kind,
        name,
        data,
    )?)))
}

type Cache<T> = RefCell<HashMap<(Kind, String), Option<Arc<T>>>>;

/// A registry, loaded on demand.
#[derive(Debug)]
pub struct Registry {
    store: Store,
    components: Cache<Component>,
    groups: Cache<Group>,
}

impl Registry {
    pub fn new(store: Store) -> Self {
        Registry {
            store,
            components: RefCell::default(),
            groups: RefCell::default(),
        }
    }

    pub fn builtin() -> Self {
        Registry::new(Store::Builtin)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The component `name` of `kind`, or `None` if the registry has no such file.
    /// `name` must be a valid name (checked by whoever read it from a file).
    pub fn component(&self, kind: Kind, name: &str) -> Result<Option<Arc<Component>>, Error> {
        if let Some(hit) = self.components.borrow().get(&(kind, name.to_string())) {
            return Ok(hit.clone());
        }
        let loaded = load_component(&self.store, kind, name)?;
        self.components
            .borrow_mut()
            .insert((kind, name.to_string()), loaded.clone());
        Ok(loaded)
    }

    /// The group `name` of `kind` (library or service group).
    pub fn group(&self, kind: Kind, name: &str) -> Result<Option<Arc<Group>>, Error> {
        if let Some(hit) = self.groups.borrow().get(&(kind, name.to_string())) {
            return Ok(hit.clone());
        }
        let loaded = load_group(&self.store, kind, name)?;
        self.groups
            .borrow_mut()
            .insert((kind, name.to_string()), loaded.clone());
        Ok(loaded)
    }

    /// Every registry file loaded so far, in a stable order (for the lock's fingerprint).
    pub fn loaded_files(&self) -> Vec<Arc<crate::source::SourceFile>> {
        let mut files: Vec<Arc<crate::source::SourceFile>> = Vec::new();
        files.extend(
            self.components
                .borrow()
                .values()
                .flatten()
                .map(|c| Arc::clone(&c.file)),
        );
        files.extend(
            self.groups
                .borrow()
                .values()
                .flatten()
                .map(|g| Arc::clone(&g.file)),
        );
        files.sort_by(|a, b| a.display().cmp(b.display()));
        files
    }

    /// Resolve a reference that may or may not say its kind. A bare name that exists as both
    /// a library and a service is ambiguous and must be written `library:x` or `service:x`.
    pub fn resolve_ref(&self, target: &Ref, origin: &Origin) -> Result<Arc<Component>, Error> {
        if let Some(kind) = target.kind {
            return self
                .component(kind, &target.name)?
                .ok_or_else(|| self.unknown_component(Some(kind), &target.name, origin));
        }
        let lib = self.component(Kind::Library, &target.name)?;
        let svc = self.component(Kind::Service, &target.name)?;
        match (lib, svc) {
            (Some(l), None) => Ok(l),
            (None, Some(s)) => Ok(s),
            (Some(_), Some(_)) => Err(Error::new(
                ErrorKind::InvalidValue,
                format!("`{}` is both a library and a service", target.name),
            )
            .at(origin.clone())
            .with_label("ambiguous name")
            .with_help(format!("write `library:{0}` or `service:{0}`", target.name))),
            (None, None) => Err(self.unknown_component(None, &target.name, origin)),
        }
    }

    /// Both kinds of component with this name (for `modes:` and `constraints:`).
    pub fn components_named(&self, name: &str) -> Result<Vec<Arc<Component>>, Error> {
        let mut out = Vec::new();
        for kind in [Kind::Library, Kind::Service] {
            if let Some(c) = self.component(kind, name)? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// "no library `x` in the registry", with a did-you-mean from the registry's listing.
    pub fn unknown_component(&self, kind: Option<Kind>, name: &str, origin: &Origin) -> Error {
        let kinds: Vec<Kind> = kind.map_or_else(|| vec![Kind::Library, Kind::Service], |k| vec![k]);
        let what = kind.map_or_else(|| "component".to_string(), |k| k.to_string());
        let mut candidates: Vec<String> = kinds
            .iter()
            .flat_map(|k| self.store.list(k.category()))
            .collect();
        // A library and a service may share a name; list it once.
        candidates.sort();
        candidates.dedup();
        let mut err = Error::new(
            ErrorKind::UnknownName,
            format!(
                "no {what} `{name}` in the registry ({})",
                self.store.display()
            ),
        )
        .at(origin.clone())
        .with_label(format!("unknown {what}"))
        .add_help(did_you_mean_hint(name, &candidates));
        if err.help.is_none() {
            err = err.with_help(match self.store.root() {
                Some(_) => format!(
                    "{}; or add `{}/{name}.yaml` to the registry",
                    known(&what, &candidates),
                    kinds[0].category().dir()
                ),
                None => known(&what, &candidates),
            });
        }
        err
    }

    pub fn unknown_group(&self, kind: Kind, name: &str, origin: &Origin) -> Error {
        let candidates = self.store.list(kind.group_category());
        let mut err = Error::new(
            ErrorKind::UnknownName,
            format!(
                "no {kind} group `{name}` in the registry ({})",
                self.store.display()
            ),
        )
        .at(origin.clone())
        .with_label(format!("unknown {kind} group"))
        .add_help(did_you_mean_hint(name, &candidates));
        // A group of the other kind with that name is a likely mix-up of sections.
        let other = kind.other();
        if self
            .store
            .read(other.group_category(), name)
            .ok()
            .flatten()
            .is_some()
        {
            err = err.add_help(Some(format!(
                "`{name}` is a {other} group: move it under `{}.groups`",
                other.plural()
            )));
        } else if err.help.is_none() {
            err = err.with_help(known(&format!("{kind} group"), &candidates));
        }
        err
    }
}
