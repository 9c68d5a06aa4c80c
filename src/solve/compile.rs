//! Rules → dependencies, on demand.
//!
//! The solver asks "what does package P at version V depend on?" and this module answers
//! from hsm.yaml (for the root) or from the registry rules of P, loading registry files as
//! it goes. Answers are cached, both for speed and because explanations later need to know
//! which rule produced each dependency.
//!
//! Checks that involve another file happen here, when a rule is first followed: an
//! implication to a missing component, a selection that is not an option of its group,
//! a version range on a component that declares no version. They abort the solve with a
//! positioned error rather than becoming a "conflict", because they are mistakes in the
//! input, not facts about the stack.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use semver::VersionReq;

use super::package::{Because, Deps, Pkg, Range, Ver, absent, add_dep, indices, present};
use crate::error::{Error, ErrorKind};
use crate::manifest::{Manifest, Selection, Strategy};
use crate::registry::model::{ProfileMode, Runtime};
use crate::registry::{Component, Group, Implication, ImplyTarget, Kind, Registry};
use crate::source::{KeyPath, Origin, did_you_mean_hint};

/// Compiles rules into dependencies and remembers what it compiled.
#[derive(Debug)]
pub struct Compiler<'a> {
    pub manifest: &'a Manifest,
    pub registry: &'a Registry,
    cache: RefCell<FxHashMap<(Pkg, Ver), Arc<Deps>>>,
    /// Versions made unusable by a rule about themselves, with the rules.
    unusable: RefCell<FxHashMap<(Pkg, Ver), Vec<Because>>>,
    /// [`Manifest::modes`] and [`Manifest::profiles`], built on first use.
    modes: std::cell::OnceCell<HashMap<&'a str, crate::manifest::Mode>>,
    profiles: std::cell::OnceCell<HashMap<&'a str, (&'a str, crate::source::Origin)>>,
}

/// The deployment profile a service runs with in this project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveProfile {
    pub name: String,
    pub mode: ProfileMode,
    pub runtime: Runtime,
}

impl<'a> Compiler<'a> {
    pub fn new(manifest: &'a Manifest, registry: &'a Registry) -> Self {
        Compiler {
            manifest,
            registry,
            cache: RefCell::default(),
            unusable: RefCell::default(),
            modes: std::cell::OnceCell::new(),
            profiles: std::cell::OnceCell::new(),
        }
    }

    /// The mode of a component, as [`Manifest::mode_of`] says (from a map built once).
    pub fn mode_of(&self, name: &str) -> crate::manifest::Mode {
        self.modes
            .get_or_init(|| self.manifest.modes())
            .get(name)
            .copied()
            .unwrap_or(crate::manifest::Mode::Prod)
    }

    /// Dependencies of `pkg` at `ver` (cached).
    pub fn deps(&self, pkg: &Pkg, ver: Ver) -> Result<Arc<Deps>, Error> {
        if ver == Ver::ABSENT {
            return Ok(Arc::new(Deps::new()));
        }
        let key = (pkg.clone(), ver);
        if let Some(d) = self.cache.borrow().get(&key) {
            return Ok(Arc::clone(d));
        }
        let mut deps = match pkg {
            Pkg::Root => self.root()?,
            Pkg::Component(kind, name) => self.component_deps(*kind, name, ver)?,
            Pkg::Group(kind, name) => {
                let group = self.group(*kind, name)?;
                self.option_deps(&group, ver.index().unwrap_or_default())?
            }
            Pkg::Option(kind, name, i) => {
                let group = self.group(*kind, name)?;
                self.option_deps(&group, *i as usize)?
            }
        };
        // A rule about its own owner (`ax` requires `ax <2`, an option implying its own
        // group) is not a dependency: pubgrub cannot express a package depending on
        // itself. Either this version satisfies it (drop the rule) or it never can (the
        // version is unusable, and the explanation cites the rule).
        if let Some(own) = deps.shift_remove(pkg)
            && !own.range.contains(&ver)
        {
            self.unusable.borrow_mut().insert(key.clone(), own.because);
        }
        let deps = Arc::new(deps);
        self.cache.borrow_mut().insert(key, Arc::clone(&deps));
        Ok(deps)
    }

    /// The rules that make `pkg` at `ver` unusable, if any (after [`Compiler::deps`]).
    pub fn unusable(&self, pkg: &Pkg, ver: Ver) -> Option<Vec<Because>> {
        let unusable = self.unusable.borrow();
        // Asked once per package version the solve visits, and nearly always empty: the
        // key's copy would touch the name's reference count, a cache miss at 100k.
        if unusable.is_empty() {
            return None;
        }
        unusable.get(&(pkg.clone(), ver)).cloned()
    }

    /// Every dependency compiled so far, taken out of the cache (which starts again
    /// empty): for building the selection once the solve is over, which moves the rules
    /// into its graph instead of copying each and freeing the compiler's copy.
    pub fn take_compiled(&self) -> FxHashMap<(Pkg, Ver), Arc<Deps>> {
        self.cache.take()
    }

    /// Dependencies compiled so far (for explanations).
    pub fn cached(&self, pkg: &Pkg, ver: Ver) -> Option<Arc<Deps>> {
        self.cache.borrow().get(&(pkg.clone(), ver)).cloned()
    }

    pub fn component(&self, kind: Kind, name: &str) -> Result<Arc<Component>, Error> {
        // Packages are only created for components that exist, so this is a cache hit.
        self.registry.component(kind, name)?.ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownName,
                format!("no {kind} `{name}` in the registry"),
            )
        })
    }

    pub fn group(&self, kind: Kind, name: &str) -> Result<Arc<Group>, Error> {
        self.registry.group(kind, name)?.ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownName,
                format!("no {kind} group `{name}` in the registry"),
            )
        })
    }

    /// How many versions a package has (component versions or group options).
    pub fn version_count(&self, pkg: &Pkg) -> Result<usize, Error> {
        Ok(match pkg {
            Pkg::Root | Pkg::Option(..) => 1,
            Pkg::Component(k, n) => self.component(*k, n)?.versions.len(),
            Pkg::Group(k, n) => self.group(*k, n)?.options.len(),
        })
    }

    /// The profile a service runs with: the one hsm.yaml names, else `default`.
    pub fn profile(&self, service: &Component) -> Result<Option<ActiveProfile>, Error> {
        let crate::registry::rules::Definition::Service(def) = &service.definition else {
            return Ok(None);
        };
        let profiles = self.profiles.get_or_init(|| self.manifest.profiles());
        let (name, origin) = match profiles.get(service.name.as_str()) {
            Some((n, o)) => (n.to_string(), Some(o.clone())),
            None => ("default".to_string(), None),
        };
        match def.deployment_profiles.get(&name) {
            Some(p) => Ok(Some(ActiveProfile {
                name,
                mode: p.mode,
                runtime: p.runtime,
            })),
            // A service without a `default` profile runs managed, in docker.
            None if origin.is_none() => Ok(Some(ActiveProfile {
                name,
                mode: ProfileMode::Managed,
                runtime: Runtime::Docker,
            })),
            None => {
                let known: Vec<&str> = def.deployment_profiles.keys().map(String::as_str).collect();
                Err(Error::new(
                    ErrorKind::UnknownName,
                    format!(
                        "service `{}` has no deployment profile `{name}`",
                        service.name
                    ),
                )
                .at(origin.unwrap_or_else(|| service.origin()))
                .with_label("unknown profile")
                .add_help(did_you_mean_hint(&name, &known))
                .add_help(Some(if known.is_empty() {
                    format!("{} defines no deployment_profiles", service.file.display())
                } else {
                    format!("profiles of `{}`: {}", service.name, known.join(", "))
                })))
            }
        }
    }

    // ---------------------------------------------------------------- hsm.yaml

    fn root(&self) -> Result<Deps, Error> {
        let m = self.manifest;
        let mut deps = Deps::new();
        for section in [Kind::Library, Kind::Service] {
            let kind = section;
            for (g, entry) in m.groups(section) {
                let origin = m.origin(
                    KeyPath::root()
                        .key(section.plural())
                        .key("groups")
                        .key(g.as_str()),
                );
                let group = self
                    .registry
                    .group(kind, g)?
                    .ok_or_else(|| self.registry.unknown_group(kind, g, &origin))?;
                self.check_strategy(&group, section, g, entry.strategy, &entry.selection)?;
                for (i, option) in entry.selection.items() {
                    let at = m.selection_origin(section, g, i);
                    let index = self.option_index(&group, option, &at)?;
                    let because = Because::Selects {
                        section,
                        group: g.as_str().into(),
                        option: option.into(),
                        origin: at,
                    };
                    match group.strategy {
                        Strategy::OneOfN => add_dep(
                            &mut deps,
                            Pkg::Group(kind, g.as_str().into()),
                            indices([index]),
                            because,
                        ),
                        Strategy::ManyOfN => add_dep(
                            &mut deps,
                            Pkg::Option(kind, g.as_str().into(), index as u32),
                            present(),
                            because,
                        ),
                    }
                }
            }
            for (i, s) in m.standalone(section).iter().enumerate() {
                let origin = m.standalone_origin(section, i);
                if self.registry.component(kind, &s.name)?.is_none() {
                    return Err(self
                        .registry
                        .unknown_component(Some(kind), &s.name, &origin));
                }
                add_dep(
                    &mut deps,
                    Pkg::Component(kind, s.name.as_str().into()),
                    present(),
                    Because::Lists { section, origin },
                );
            }
        }
        for name in m.data.modes.keys() {
            let origin = m.origin(KeyPath::root().key("modes").key(name.as_str()));
            if self.registry.components_named(name)?.is_empty() {
                return Err(self.registry.unknown_component(None, name, &origin));
            }
        }
        for (name, text) in &m.data.constraints {
            let origin = m.constraint_origin(name);
            let req = crate::registry::rules::parse_req(text, &origin)?;
            let components = self.registry.components_named(name)?;
            if components.is_empty() {
                return Err(self.registry.unknown_component(None, name, &origin));
            }
            for c in components {
                let range = absent().union(&self.matching(&c, &req, text, &origin)?);
                let because = Because::Constraint {
                    text: text.clone(),
                    origin: origin.clone(),
                };
                add_dep(
                    &mut deps,
                    Pkg::Component(c.kind, c.name.as_str().into()),
                    range,
                    because,
                );
            }
        }
        Ok(deps)
    }

    fn check_strategy(
        &self,
        group: &Group,
        section: Kind,
        g: &str,
        said: Option<Strategy>,
        selection: &Selection,
    ) -> Result<(), Error> {
        let m = self.manifest;
        let entry = KeyPath::root().key(section.plural()).key("groups").key(g);
        if let Some(said) = said
            && said != group.strategy
        {
            return Err(Error::new(
                ErrorKind::SelectionShape,
                format!(
                    "hsm.yaml says group `{g}` is {said}, but the registry defines it as {}",
                    group.strategy
                ),
            )
            .at(m.origin(entry.key("strategy")))
            .with_label(format!("the registry says {}", group.strategy))
            .with_help(format!(
                "write `strategy: {}` (see {})",
                group.strategy,
                group.strategy_origin()
            )));
        }
        if group.strategy == Strategy::OneOfN
            && let Selection::Many(items) = selection
        {
            let hint = match items.as_slice() {
                [one] => format!("write `selection: {one}`"),
                _ => format!(
                    "keep one of {} (e.g. `selection: {}`)",
                    items.join(", "),
                    items.first().map_or("", String::as_str)
                ),
            };
            return Err(Error::new(
                ErrorKind::SelectionShape,
                format!("group `{g}` is 1-of-N and holds one option, but hsm.yaml gives it a list"),
            )
            .at(m.origin(entry.key("selection")))
            .with_label("a list selection")
            .with_help(hint));
        }
        Ok(())
    }

    /// The index of `option` in `group`, or a did-you-mean error at `origin`.
    fn option_index(&self, group: &Group, option: &str, origin: &Origin) -> Result<usize, Error> {
        group
            .option_index(option)
            .ok_or_else(|| not_an_option(group, option, origin))
    }

    // ---------------------------------------------------------------- registry rules

    fn component_deps(&self, kind: Kind, name: &str, ver: Ver) -> Result<Deps, Error> {
        let component = self.component(kind, name)?;
        let Some(version) = ver.index().and_then(|i| component.versions.get(i)) else {
            return Ok(Deps::new());
        };
        let mut deps = Deps::new();
        for r in &version.requires {
            let target = self.registry.resolve_ref(&r.target, &r.origin)?;
            let range = self.matching(&target, &r.req, &r.text, &r.origin)?;
            add_dep(
                &mut deps,
                Pkg::Component(target.kind, target.name.as_str().into()),
                range,
                Because::Requires {
                    text: r.text.clone(),
                    origin: r.origin.clone(),
                },
            );
        }
        for c in &version.conflicts {
            let target = self.registry.resolve_ref(&c.target, &c.origin)?;
            if target.kind == kind && target.name == name {
                continue;
            }
            add_dep(
                &mut deps,
                Pkg::Component(target.kind, target.name.as_str().into()),
                absent(),
                Because::Conflicts {
                    origin: c.origin.clone(),
                },
            );
        }
        // An external service is run by someone else, with whatever it needs: its
        // implications (a database it would start, say) are not part of this stack.
        let external = self
            .profile(&component)?
            .is_some_and(|p| p.mode == ProfileMode::External);
        if !external {
            for imp in &version.implies {
                self.implication(&mut deps, imp)?;
            }
        }
        Ok(deps)
    }

    fn option_deps(&self, group: &Group, index: usize) -> Result<Deps, Error> {
        let mut deps = Deps::new();
        let Some(option) = group.options.get(index) else {
            return Ok(deps);
        };
        if self.registry.component(group.kind, &option.name)?.is_none() {
            let err =
                self.registry
                    .unknown_component(Some(group.kind), &option.name, &option.origin);
            return Err(err.with_kind(ErrorKind::MissingTarget));
        }
        add_dep(
            &mut deps,
            Pkg::Component(group.kind, option.name.as_str().into()),
            present(),
            Because::IsOption {
                group: group.name.as_str().into(),
                option: option.name.as_str().into(),
                origin: option.origin.clone(),
            },
        );
        for imp in &option.implies {
            self.implication(&mut deps, imp)?;
        }
        Ok(deps)
    }

    fn implication(&self, deps: &mut Deps, imp: &Implication) -> Result<(), Error> {
        match &imp.target {
            ImplyTarget::Component(kind, name) => {
                if self.registry.component(*kind, name)?.is_none() {
                    let err = self
                        .registry
                        .unknown_component(Some(*kind), name, &imp.origin);
                    return Err(err.with_kind(ErrorKind::MissingTarget));
                }
                add_dep(
                    deps,
                    Pkg::Component(*kind, name.as_str().into()),
                    present(),
                    Because::Implies {
                        params: Arc::clone(&imp.params),
                        origin: imp.origin.clone(),
                    },
                );
            }
            ImplyTarget::Group {
                kind,
                group: g,
                options,
            } => {
                let Some(group) = self.registry.group(*kind, g)? else {
                    let err = self.registry.unknown_group(*kind, g, &imp.origin);
                    return Err(err.with_kind(ErrorKind::MissingTarget));
                };
                let because = Because::ImpliesGroup {
                    group: g.as_str().into(),
                    options: options.clone(),
                    origin: imp.origin.clone(),
                };
                let wanted: Vec<usize> = match options {
                    Some(list) => list
                        .iter()
                        .map(|o| self.option_index(&group, o, &imp.origin))
                        .collect::<Result<_, _>>()?,
                    None => Vec::new(),
                };
                implied_group_shape(&group, options.as_deref(), &imp.origin)?;
                match group.strategy {
                    Strategy::OneOfN => {
                        // Without an option, any option will do; the default is tried first.
                        let range = if wanted.is_empty() {
                            indices(0..group.options.len())
                        } else {
                            indices(wanted)
                        };
                        add_dep(deps, Pkg::Group(*kind, g.as_str().into()), range, because);
                    }
                    Strategy::ManyOfN => {
                        let chosen: Vec<usize> = if options.is_some() {
                            wanted
                        } else {
                            group
                                .default
                                .iter()
                                .filter_map(|d| group.option_index(d))
                                .collect()
                        };
                        for i in chosen {
                            add_dep(
                                deps,
                                Pkg::Option(*kind, g.as_str().into(), i as u32),
                                present(),
                                because.clone(),
                            );
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The versions of `c` that satisfy `req`.
    fn matching(
        &self,
        c: &Component,
        req: &VersionReq,
        text: &str,
        origin: &Origin,
    ) -> Result<Range, Error> {
        if c.versions.iter().all(|v| v.version.is_none()) {
            if *req == VersionReq::STAR {
                return Ok(present());
            }
            return Err(Error::new(
                ErrorKind::InvalidVersion,
                format!(
                    "`{}` declares no version, so the range `{text}` cannot be checked",
                    c.name
                ),
            )
            .at(origin.clone())
            .with_label("range on an unversioned component")
            .with_help(format!(
                "add `version:` to {} or drop the range",
                c.file.display()
            )));
        }
        Ok(indices(
            c.versions
                .iter()
                .enumerate()
                .filter(|(_, v)| v.version.as_ref().is_some_and(|v| req.matches(v)))
                .map(|(i, _)| i),
        ))
    }
}

/// An implication of `group` names one option of a 1-of-N group (or none), and some
/// options of an M-of-N group (or none, if the group has a `default`).
pub fn implied_group_shape(
    group: &Group,
    options: Option<&[String]>,
    origin: &Origin,
) -> Result<(), Error> {
    let g = &group.name;
    match group.strategy {
        Strategy::OneOfN if options.is_some_and(|o| o.len() > 1) => Err(Error::new(
            ErrorKind::SelectionShape,
            format!(
                "group `{g}` is 1-of-N, but this implication selects {} of its options",
                options.map_or(0, <[String]>::len)
            ),
        )
        .at(origin.clone())
        .with_label("a list for a 1-of-N group")
        .with_help("imply a single option")),
        Strategy::ManyOfN if options.map_or(group.default.is_empty(), <[String]>::is_empty) => {
            Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "this implies group `{g}` without naming options, and `{g}` has no `default`"
                ),
            )
            .at(origin.clone())
            .with_label("which options?")
            .with_help(format!(
                "name the options (`{}_group:{g}: [a, b]`) or give {} a `default:`",
                group.kind,
                group.file.display()
            )))
        }
        _ => Ok(()),
    }
}

/// "`x` is not an option of group `g`", with a did-you-mean and the options.
pub fn not_an_option(group: &Group, option: &str, origin: &Origin) -> Error {
    let options: Vec<&str> = group.option_names().collect();
    Error::new(
        ErrorKind::NotAnOption,
        format!("`{option}` is not an option of group `{}`", group.name),
    )
    .at(origin.clone())
    .with_label("not an option")
    .add_help(did_you_mean_hint(option, &options))
    .add_help(Some(format!(
        "options of `{}` ({}): {}",
        group.name,
        group.file.display(),
        options.join(", ")
    )))
}
