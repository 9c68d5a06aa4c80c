//! One selected service as every deployment target sees it: its image or build, command,
//! ports, volumes, environment, network names, healthcheck and the services it waits for.
//!
//! Compose ([`super::compose`]) and Kubernetes ([`super::kubernetes`]) render the same
//! [`ServiceSpec`], so a stack means the same thing on a laptop and on a cluster: the same
//! env chain (env files → `env` → source `env` → implied params, each key defined once),
//! the same merged params, the same aliases and dependencies. Only the spelling differs.

use std::path::Path;
use std::sync::Arc;

use super::env::{Env, EnvOrigin, define_map, read_env_file};
use super::{active_source, source_path};
use crate::error::{Error, ErrorKind};
use crate::manifest::Mode;
use crate::registry::model::{KubernetesSettings, ProfileMode, Runtime, SourceType};
use crate::registry::rules::Definition;
use crate::solve::{Selected, Selection};
use crate::source::{KeyPath, Origin, SourceFile};

/// Does this selected service run in this stack's containers (managed, docker or podman)?
pub fn is_rendered(s: &Selected) -> bool {
    matches!(&s.profile, Some(p) if p.mode == ProfileMode::Managed && matches!(p.runtime, Runtime::Docker | Runtime::Podman))
}

/// Is this selected service run by hsm with uv (managed, `runtime: uv`): a Python project
/// in `services/<name>` with its own environment?
pub fn is_uv_run(s: &Selected) -> bool {
    matches!(&s.profile, Some(p) if p.mode == ProfileMode::Managed && p.runtime == Runtime::Uv)
}

/// Where a service's containers come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Image {
    /// An image to pull.
    Pull(String),
    /// Built from `path` (relative to the project root), with `dockerfile` in it.
    Build {
        path: String,
        dockerfile: Option<String>,
    },
}

/// How a name is reachable on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkName {
    Service,
    ContainerName,
    Alias,
}

/// A service to deploy.
#[derive(Debug)]
pub struct ServiceSpec<'a> {
    pub selected: &'a Selected,
    /// The image or build of that source; `None` when it has neither (see
    /// [`ServiceSpec::no_image`]).
    pub image: Option<Image>,
    /// The prod source's image, whatever the mode (what a cluster pulls).
    pub prod_image: Option<String>,
    pub container_name: Option<(String, Origin)>,
    pub command: Option<serde_yaml::Value>,
    /// Compose port specs (`"8080:80"`, `"9000"`), first-seen order.
    pub ports: Vec<String>,
    /// Compose volume specs, first-seen order.
    pub volumes: Vec<String>,
    pub env: Env,
    pub aliases: Vec<(String, Origin)>,
    pub healthcheck: Option<serde_yaml::Value>,
    /// The rendered services this one implies: `(name, has a healthcheck)`.
    pub depends_on: Vec<(String, bool)>,
    /// The registry's `kubernetes:` block (empty when it has none).
    pub kubernetes: KubernetesSettings,
    file: Arc<SourceFile>,
    source_path: KeyPath,
}

impl<'a> ServiceSpec<'a> {
    pub fn name(&self) -> &str {
        &self.selected.name
    }

    /// A position in the service's registry file.
    pub fn at(&self, path: KeyPath) -> Origin {
        Origin::at_path(&self.file, path)
    }

    /// A key of the source in use (`sources.prod.image`, ...).
    pub fn source_at(&self, key: &str) -> Origin {
        self.at(self.source_path.key(key))
    }

    /// The error for a service with neither an image nor a build in its mode.
    pub fn no_image(&self) -> Error {
        let at = if self.selected_source_exists() {
            self.source_at("type")
        } else {
            self.at(KeyPath::root().key("name"))
        };
        Error::new(
            ErrorKind::InvalidValue,
            format!(
                "service `{}` has no image or build source for {} mode",
                self.name(),
                self.selected.mode
            ),
        )
        .at(at)
        .with_label("not a docker source")
        .with_help("give it `sources: {prod: {type: docker-image, image: ...}}` (and optionally `dev: {type: build, path: ...}`), or an external profile")
    }

    fn selected_source_exists(&self) -> bool {
        active_source(self.selected).is_some()
    }

    /// Every name the service is reached by besides its own: its container name and aliases.
    pub fn network_names(&self) -> Vec<(String, NetworkName, Origin)> {
        let mut out = Vec::new();
        if let Some((c, origin)) = &self.container_name {
            out.push((c.clone(), NetworkName::ContainerName, origin.clone()));
        }
        for (a, origin) in &self.aliases {
            out.push((a.clone(), NetworkName::Alias, origin.clone()));
        }
        out
    }
}

/// The spec of every rendered service of `selection`, in the selection's order.
pub fn specs<'a>(
    root: &Path,
    selection: &'a Selection,
    read: &super::Reader<'_>,
) -> Result<Vec<ServiceSpec<'a>>, Error> {
    selection
        .components
        .iter()
        .filter(|c| is_rendered(c))
        .map(|s| spec(root, s, selection, read))
        .collect()
}

/// The spec of one selected service: its env chain is built (and checked) here.
pub fn spec<'a>(
    root: &Path,
    s: &'a Selected,
    selection: &Selection,
    read: &super::Reader<'_>,
) -> Result<ServiceSpec<'a>, Error> {
    let Definition::Service(def) = &s.component.definition else {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("`{}` is not a service", s.name),
        ));
    };
    let file = &s.component.file;
    let at = |path: KeyPath| Origin::at_path(file, path);
    let source = active_source(s);
    let mode = source.map_or(Mode::Prod, |(m, _)| m);
    let source_key = mode.to_string();
    let source_path = source_path(s, mode);
    let source = source.map(|(_, src)| src);

    // Environment: env files → service env → source env → implied params.
    let mut env = Env::default();
    let mut files: Vec<(String, Origin)> = def
        .env_file
        .0
        .iter()
        .enumerate()
        .map(|(i, f)| (f.clone(), at(KeyPath::root().key("env_file").index(i))))
        .collect();
    if let Some(src) = source {
        for (i, f) in src.env_file.0.iter().enumerate() {
            if !files.iter().any(|(g, _)| g == f) {
                files.push((f.clone(), at(source_path.key("env_file").index(i))));
            }
        }
    }
    for (f, declared) in &files {
        read_env_file(&mut env, &s.name, root, f, declared, read)?;
    }
    define_map(
        &mut env,
        &s.name,
        &def.env,
        &format!("{} env", file.display()),
        |k| at(KeyPath::root().key("env").key(k)),
    )?;
    if let Some(src) = source {
        define_map(
            &mut env,
            &s.name,
            &src.env,
            &format!("{} {source_key} source env", file.display()),
            |k| at(source_path.key("env").key(k)),
        )?;
    }
    for (k, values) in &s.params {
        env.define(
            &s.name,
            k,
            values.join(","),
            EnvOrigin {
                what: format!("params implied for `{}`", s.name),
                origin: None,
                cite: false,
                from_file: false,
            },
        )?;
    }
    env.substitute_params(&s.params);

    let container_name = match source.and_then(|src| src.container_name.clone()) {
        Some(c) => Some((c, at(source_path.key("container_name")))),
        None => def
            .container_name
            .clone()
            .map(|c| (c, at(KeyPath::root().key("container_name")))),
    };
    let image = match source.map(|src| (src.kind, src)) {
        Some((SourceType::DockerImage, src)) => {
            let image = src.image.clone().ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidValue,
                    format!(
                        "the {source_key} source of service `{}` has no `image`",
                        s.name
                    ),
                )
                .at(at(source_path.clone()))
                .with_help("add `image: name:tag` to the source")
            })?;
            Some(Image::Pull(image))
        }
        Some((SourceType::Build | SourceType::Local, src)) => Some(Image::Build {
            path: src.path.clone().unwrap_or_else(|| ".".into()),
            dockerfile: src.dockerfile.clone(),
        }),
        _ => None,
    };
    let prod_image = s
        .component
        .versions
        .get(s.version_index)
        .and_then(|v| v.sources.prod.as_ref())
        .filter(|p| p.kind == SourceType::DockerImage)
        .and_then(|p| p.image.clone());
    let ports = merged(
        def.ports.iter().map(|p| p.0.clone()),
        source
            .into_iter()
            .flat_map(|src| src.ports.iter().map(|p| p.0.clone())),
    );
    let volumes = merged(
        def.volumes.iter().cloned(),
        source
            .into_iter()
            .flat_map(|src| src.volumes.iter().cloned()),
    );
    let mut aliases: Vec<(String, Origin)> = Vec::new();
    let declared_aliases = def
        .network_aliases
        .iter()
        .enumerate()
        .map(|(i, a)| (a, at(KeyPath::root().key("network_aliases").index(i))));
    let source_aliases = source.into_iter().flat_map(|src| {
        src.network_aliases
            .iter()
            .enumerate()
            .map(|(i, a)| (a, at(source_path.key("network_aliases").index(i))))
    });
    for (a, origin) in declared_aliases.chain(source_aliases) {
        if !aliases.iter().any(|(b, _)| b == a) {
            aliases.push((a.clone(), origin));
        }
    }
    let depends_on = selection
        .implied_services(&s.name)
        .into_iter()
        .filter(|t| is_rendered(t))
        .map(|target| {
            let healthy = matches!(&target.component.definition, Definition::Service(d) if d.healthcheck.is_some());
            (target.name.clone(), healthy)
        })
        .collect();
    Ok(ServiceSpec {
        selected: s,
        image,
        prod_image,
        container_name,
        command: def.command.clone(),
        ports,
        volumes,
        env,
        aliases,
        healthcheck: def.healthcheck.clone(),
        depends_on,
        kubernetes: def.kubernetes.clone().unwrap_or_default(),
        file: Arc::clone(file),
        source_path,
    })
}

/// The items of a command list, each as a string: compose refuses a number in
/// `[serve, --port, 80]`, and Kubernetes' `args` are strings.
pub fn string_items(items: &[serde_yaml::Value]) -> crate::yaml::New {
    use crate::yaml::New;
    New::Seq(
        items
            .iter()
            .map(|i| match New::from_value(i) {
                New::Raw(text) => New::Str(text),
                other => other,
            })
            .collect(),
    )
}

/// First-seen order, duplicates dropped.
fn merged(a: impl Iterator<Item = String>, b: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in a.chain(b) {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// `data:/var/lib/x` mounts the named volume `data`; `./x:/y`, `/abs:/y`, `~/x:/y` and
/// `${VAR}:/y` are bind mounts, and a bare `/y` is anonymous.
pub fn named_volume(spec: &str) -> Option<&str> {
    let (source, _) = spec.split_once(':')?;
    let bind =
        source.is_empty() || source.starts_with(['.', '/', '~', '$']) || source.contains('/');
    (!bind).then_some(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_volumes_are_told_from_bind_mounts() {
        assert_eq!(
            named_volume("pg-data:/var/lib/postgresql/data"),
            Some("pg-data")
        );
        assert_eq!(
            named_volume("./initdb:/docker-entrypoint-initdb.d:ro"),
            None
        );
        assert_eq!(named_volume("/srv/x:/x"), None);
        assert_eq!(named_volume("/anonymous"), None);
        assert_eq!(named_volume("${DATA}:/x"), None);
    }
}
