//! The registry: which components exist and the rules between them.
//!
//! [`Registry`] loads lazily. Asking for `qdrant` reads and checks `services/qdrant.yaml`
//! the first time and caches the result (including "there is no such file"); nothing else
//! is read. A 100k-component registry therefore costs a solve what the selected stack
//! costs. Only suggestions and `registry lint` list directories.
//!
//! A `Registry` is `Sync`: the registry-wide commands (lint, list, search, the
//! registry-wide graph) load and check files on every core, sharing one cache. They can
//! also [`Registry::forget_except`] what they loaded, so that memory follows the files in use
//! rather than the registry's size, and, since they change no file, have directory
//! listings read once ([`Registry::unchanging`]) instead of once per did-you-mean.

mod checks;
pub mod edit;
pub mod git;
mod head;
pub mod location;
pub mod model;
mod prefetch;
pub mod refs;
pub mod rules;
mod store;
pub mod syntax;
pub mod words;

use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

pub use crate::vocab::Kind;

pub use head::{GroupHead, Head, scan_agrees};
pub use rules::{Component, Group, Implication, ImplyTarget, Ref};
pub use store::{BUILTIN_PREFIX, Category, Store};

use crate::error::{Error, ErrorKind};
use crate::source::{Origin, SourceFile, did_you_mean_hint, parse_yaml};

/// The group `name` of `kind` from its file.
fn parse_group(file: Arc<SourceFile>, kind: Kind, name: &str) -> Result<Group, Error> {
    let data = parse_yaml(&file, "registry group")?;
    rules::group(file, kind, name, data)
}

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

/// Loaded files by kind and name (`None`: there is no such file). The lock is held only to
/// look up or insert, never while a file is read: two threads may load one file at once,
/// and the first to insert it wins, so every caller sees the same `Arc`.
#[derive(Debug)]
struct Cache<T>(Mutex<Loaded<T>>);

/// Files taken out of a registry's cache by [`Registry::forget_except`], freed when dropped.
#[derive(Debug)]
pub struct Forgotten {
    _components: Vec<Arc<Component>>,
    _groups: Loaded<Group>,
}

/// One map per kind (libraries, services), keyed by name: a lookup borrows the name
/// instead of building a key, and hashes it with Fx (lint looks names up millions of
/// times; SipHash and a `String` per lookup were 5 % of its time).
#[derive(Debug)]
struct Loaded<T>([FxHashMap<Box<str>, Option<Arc<T>>>; 2]);

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded([FxHashMap::default(), FxHashMap::default()])
    }
}

impl<T> Clone for Loaded<T> {
    fn clone(&self) -> Self {
        Loaded(self.0.clone())
    }
}

impl<T> Loaded<T> {
    fn of(&self, kind: Kind) -> &FxHashMap<Box<str>, Option<Arc<T>>> {
        &self.0[usize::from(kind == Kind::Service)]
    }

    fn of_mut(&mut self, kind: Kind) -> &mut FxHashMap<Box<str>, Option<Arc<T>>> {
        &mut self.0[usize::from(kind == Kind::Service)]
    }

    fn len(&self) -> usize {
        self.0.iter().map(FxHashMap::len).sum()
    }

    /// Every entry, with its kind.
    fn iter(&self) -> impl Iterator<Item = (Kind, &str, &Option<Arc<T>>)> {
        [Kind::Library, Kind::Service]
            .into_iter()
            .flat_map(move |kind| self.of(kind).iter().map(move |(n, v)| (kind, &**n, v)))
    }
}

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache(Mutex::default())
    }
}

impl<T> Cache<T> {
    fn map(&self) -> std::sync::MutexGuard<'_, Loaded<T>> {
        // A panic elsewhere cannot leave the map half-updated (each insert is one call).
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, kind: Kind, name: &str) -> Option<Option<Arc<T>>> {
        self.map().of(kind).get(name).cloned()
    }

    /// The cached value of `name`, else what `load` gives (cached, found or not; an error
    /// is not). Two threads may both load a name: the first to insert wins, and both get it.
    fn get_or_load(
        &self,
        kind: Kind,
        name: &str,
        load: impl FnOnce() -> Result<Option<T>, Error>,
    ) -> Result<Option<Arc<T>>, Error> {
        if let Some(hit) = self.get(kind, name) {
            return Ok(hit);
        }
        let loaded = load()?.map(Arc::new);
        Ok(self.insert(kind, name, loaded))
    }

    fn insert(&self, kind: Kind, name: &str, loaded: Option<Arc<T>>) -> Option<Arc<T>> {
        self.map()
            .of_mut(kind)
            .entry(name.into())
            .or_insert(loaded)
            .clone()
    }

    /// `f` of every value loaded, appended to `out`.
    fn each<R>(&self, out: &mut Vec<R>, f: impl Fn(&T) -> R) {
        let map = self.map();
        out.extend(map.iter().filter_map(|(_, _, v)| v.as_deref().map(&f)));
    }

    /// The names of the files loaded (not those looked for and absent).
    fn found(&self) -> Vec<(Kind, String)> {
        let map = self.map();
        map.iter()
            .filter(|(_, _, v)| v.is_some())
            .map(|(kind, name, _)| (kind, name.to_string()))
            .collect()
    }

    fn copy(&self) -> Cache<T> {
        Cache(Mutex::new(self.map().clone()))
    }
}

/// A component or group that stands in for the registry's own (see
/// [`Registry::with_replaced`]).
#[derive(Debug, Clone)]
pub enum Replaced {
    Component(Arc<Component>),
    Group(Arc<Group>),
}

/// A registry, loaded on demand.
#[derive(Debug)]
pub struct Registry {
    store: Store,
    components: Cache<Component>,
    groups: Cache<Group>,
    /// Directory listings, read once per category when the files cannot change while this
    /// registry is in use (see [`Registry::unchanging`]).
    listings: Option<[OnceLock<Vec<String>>; 4]>,
}

impl Registry {
    pub fn new(store: Store) -> Self {
        Registry {
            store,
            components: Cache::default(),
            groups: Cache::default(),
            listings: None,
        }
    }

    /// This registry, for a command that changes no registry file while it runs: each
    /// category is listed once, not once per unknown name (a registry-wide check of a
    /// registry with many dangling names would otherwise list 100k files per name).
    pub fn unchanging(mut self) -> Self {
        self.listings = Some(Default::default());
        self
    }

    /// The names of a category's entries, sorted (see [`Store::list`]).
    pub fn names(&self, category: Category) -> std::borrow::Cow<'_, [String]> {
        match self.listing(category) {
            Some(slot) => {
                std::borrow::Cow::Borrowed(slot.get_or_init(|| self.store.list(category)))
            }
            None => std::borrow::Cow::Owned(self.store.list(category)),
        }
    }

    /// [`Registry::names`], given the names of a category its caller has just listed
    /// (sorted, each once): kept as the category's listing when this registry keeps
    /// listings, so that nothing lists the folder again.
    pub fn listed(&self, category: Category, names: Vec<String>) -> std::borrow::Cow<'_, [String]> {
        match self.listing(category) {
            Some(slot) => std::borrow::Cow::Borrowed(slot.get_or_init(|| names)),
            None => std::borrow::Cow::Owned(names),
        }
    }

    fn listing(&self, category: Category) -> Option<&OnceLock<Vec<String>>> {
        let lists = self.listings.as_ref()?;
        lists.get(Category::ALL.iter().position(|c| *c == category)?)
    }

    /// Load every file of the registry into the cache, on every core (errors are left for
    /// whoever asks for the file: it is loaded again then). For the registry-wide graph,
    /// which keeps every rule anyway.
    pub fn load_all(&self) {
        use rayon::prelude::*;
        for kind in [Kind::Library, Kind::Service] {
            let names = self.names(kind.category());
            names.par_iter().for_each(|name| {
                let _ = self.component(kind, name);
            });
            let names = self.names(kind.group_category());
            names.par_iter().for_each(|name| {
                let _ = self.group(kind, name);
            });
        }
    }

    /// How many entries the cache holds (files loaded, and names found missing).
    pub fn cached(&self) -> usize {
        self.components.map().len() + self.groups.map().len()
    }

    /// How many components of `kind` the cache holds (loaded, or found missing).
    pub fn cached_of(&self, kind: Kind) -> usize {
        self.components.map().of(kind).len()
    }

    /// Take the loaded files out of the cache (the `Arc`s handed out stay valid): the
    /// components of `kinds` but those for which `keep` says yes, given the kind, the name
    /// and the component (`None` for a name found missing); and all groups: a registry-wide command
    /// that works through the registry in batches keeps memory to what a batch uses and
    /// keeps what the next batch is known to need. The files are freed when the returned
    /// value is dropped, which the caller may leave to another thread (freeing 40,000
    /// files takes a while).
    #[must_use = "the files are freed when this is dropped"]
    pub fn forget_except(
        &self,
        kinds: &[Kind],
        keep: impl Fn(Kind, &str, Option<&Component>) -> bool,
    ) -> Forgotten {
        let mut forgotten = Vec::new();
        {
            // Taken out in place: the lock is held meanwhile, so no map is rebuilt.
            let mut map = self.components.map();
            for &kind in kinds {
                let gone = map
                    .of_mut(kind)
                    .extract_if(|name, c| !keep(kind, name, c.as_deref()));
                forgotten.extend(gone.filter_map(|(_, c)| c));
            }
        }
        Forgotten {
            _components: forgotten,
            _groups: std::mem::take(&mut *self.groups.map()),
        }
    }

    /// The files this registry has loaded, by category and name: what the solves run
    /// against it read.
    pub fn loaded(&self) -> Vec<(Category, String)> {
        let components = self.components.found().into_iter();
        let groups = self.groups.found().into_iter();
        components
            .map(|(kind, name)| (kind.category(), name))
            .chain(groups.map(|(kind, name)| (kind.group_category(), name)))
            .collect()
    }

    /// This registry with one component or group replaced by `replaced` (of the same
    /// name), sharing every file it has loaded: mutation testing solves the same scenarios
    /// against many registries that differ from it by one rule.
    pub fn with_replaced(&self, replaced: Replaced) -> Registry {
        let registry = Registry {
            store: self.store.clone(),
            components: self.components.copy(),
            groups: self.groups.copy(),
            listings: self.listings.clone(),
        };
        match replaced {
            Replaced::Component(c) => {
                let name = c.name.as_str().into();
                registry
                    .components
                    .map()
                    .of_mut(c.kind)
                    .insert(name, Some(c));
            }
            Replaced::Group(g) => {
                let name = g.name.as_str().into();
                registry.groups.map().of_mut(g.kind).insert(name, Some(g));
            }
        }
        registry
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
        self.components
            .get_or_load(kind, name, || self.read_component(kind, name))
    }

    /// [`Registry::component`], read and checked without the cache: for commands that visit
    /// every file once (`registry list`, `search`), whose memory must follow what they
    /// print, and whose threads then free what they read themselves.
    pub fn read_component(&self, kind: Kind, name: &str) -> Result<Option<Component>, Error> {
        let Some(file) = self.store.read(kind.category(), name)? else {
            return Ok(None);
        };
        Ok(Some(match kind {
            Kind::Library => {
                rules::library(file.clone(), name, parse_yaml(&file, "registry library")?)?
            }
            Kind::Service => {
                rules::service(file.clone(), name, parse_yaml(&file, "registry service")?)?
            }
        }))
    }

    /// The head of the component `name` of `kind` (what a listing shows, see [`Head`]),
    /// read without the cache and without its rules.
    pub fn read_head(&self, kind: Kind, name: &str) -> Result<Option<Head>, Error> {
        let Some(file) = self.store.read(kind.category(), name)? else {
            return Ok(None);
        };
        let what = match kind {
            Kind::Library => "registry library",
            Kind::Service => "registry service",
        };
        head::head(file, name, what).map(Some)
    }

    /// The head of the group `name` of `kind` (what a listing shows, see [`GroupHead`]),
    /// read without the cache and without its rules.
    pub fn read_group_head(&self, kind: Kind, name: &str) -> Result<Option<GroupHead>, Error> {
        let Some(file) = self.store.read(kind.group_category(), name)? else {
            return Ok(None);
        };
        head::group_head(file, name).map(Some)
    }

    /// [`Registry::group`] without the cache (see [`Registry::read_component`]).
    pub fn read_group(&self, kind: Kind, name: &str) -> Result<Option<Group>, Error> {
        let Some(file) = self.store.read(kind.group_category(), name)? else {
            return Ok(None);
        };
        parse_group(file, kind, name).map(Some)
    }

    /// The group `name` of `kind` (library or service group).
    pub fn group(&self, kind: Kind, name: &str) -> Result<Option<Arc<Group>>, Error> {
        self.groups
            .get_or_load(kind, name, || self.read_group(kind, name))
    }

    /// [`Registry::group`], from `file` when the group is not in the cache: its text, read
    /// already (lint reads every group's head first, and keeps the text for the check).
    pub fn group_in(
        &self,
        kind: Kind,
        name: &str,
        file: Arc<SourceFile>,
    ) -> Result<Option<Arc<Group>>, Error> {
        self.groups
            .get_or_load(kind, name, || parse_group(file, kind, name).map(Some))
    }

    /// Every registry file loaded so far, in no particular order (hsm.lock's fingerprint
    /// sorts what it digests; sorting here too took 2 % of resolving a 100,000-link chain).
    pub fn loaded_files(&self) -> Vec<Arc<crate::source::SourceFile>> {
        let mut files: Vec<Arc<crate::source::SourceFile>> = Vec::new();
        self.components.each(&mut files, |c| Arc::clone(&c.file));
        self.groups.each(&mut files, |g| Arc::clone(&g.file));
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
        let candidates = match kind {
            Some(k) => self.names(k.category()),
            None => {
                let mut both: Vec<String> = kinds
                    .iter()
                    .flat_map(|k| self.names(k.category()).into_owned())
                    .collect();
                // A library and a service may share a name; list it once.
                both.sort();
                both.dedup();
                std::borrow::Cow::Owned(both)
            }
        };
        let mut err = Error::new(
            ErrorKind::UnknownName,
            format!(
                "no {what} `{name}` in the registry ({})",
                self.store.display()
            ),
        )
        .at(origin.clone())
        .with_label(format!("unknown {what}"))
        .add_help(did_you_mean_hint(name, candidates.iter()));
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
        let candidates = self.names(kind.group_category());
        let mut err = Error::new(
            ErrorKind::UnknownName,
            format!(
                "no {kind} group `{name}` in the registry ({})",
                self.store.display()
            ),
        )
        .at(origin.clone())
        .with_label(format!("unknown {kind} group"))
        .add_help(did_you_mean_hint(name, candidates.iter()));
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
