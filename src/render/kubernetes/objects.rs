//! The Kubernetes objects of one service: its workload (Deployment or StatefulSet) and its
//! Services, written as [`New`] trees.

use std::collections::BTreeMap;

use super::super::service::{ServiceSpec, named_volume, string_items};
use crate::error::{Error, ErrorKind};
use crate::registry::model::ServiceType;
use crate::source::KeyPath;
use crate::yaml::{New, NewEntry};

/// The label every object of a service carries and its Services select on.
const NAME_LABEL: &str = "app.kubernetes.io/name";

/// The image of the init containers that wait for a dependency.
const WAIT_IMAGE: &str = "busybox:1.36";

/// The ConfigMap of a service's declared env.
pub fn config_name(service: &str) -> String {
    format!("{service}-config")
}

/// The Secret of a service's `${VAR}` references and env-file values.
pub fn secret_name(service: &str) -> String {
    format!("{service}-secret")
}

/// A service's environment, split by where each value may be written.
#[derive(Debug, Default)]
pub struct SplitEnv {
    /// `(key, value)` the registry declares outright: a ConfigMap.
    pub config: Vec<(String, String)>,
    /// `(key, where its value comes from)`: a Secret, whose values hsm never writes.
    pub secret: Vec<(String, String)>,
}

pub fn split_env(spec: &ServiceSpec<'_>) -> SplitEnv {
    let mut out = SplitEnv::default();
    for (key, (value, origin)) in &spec.env.vars {
        if origin.from_file {
            out.secret
                .push((key.clone(), format!("in compose, from {}", origin.what)));
        } else if value.contains("${") {
            out.secret
                .push((key.clone(), format!("in compose: {value}")));
        } else {
            out.config.push((key.clone(), value.clone()));
        }
    }
    out
}

/// A container port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub number: u16,
    pub protocol: &'static str,
}

/// The container side of each compose port spec (`"8080:80"`, `"127.0.0.1:53:53/udp"`,
/// `"9000-9001:9000-9001"`), first-seen order.
pub fn container_ports(spec: &ServiceSpec<'_>) -> Result<Vec<Port>, Error> {
    let mut out: Vec<Port> = Vec::new();
    for (i, text) in spec.ports.iter().enumerate() {
        let bad = || {
            Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "service `{}`: cannot read the container port of `{text}`",
                    spec.name()
                ),
            )
            .at(spec.at(KeyPath::root().key("ports").index(i)))
            .with_help("write ports as compose does: `HOST:CONTAINER`, `CONTAINER`, optionally `/tcp` or `/udp`")
        };
        let (spec_part, protocol) = match text.rsplit_once('/') {
            Some((p, "udp")) => (p, "UDP"),
            Some((p, "sctp")) => (p, "SCTP"),
            Some((p, "tcp")) => (p, "TCP"),
            Some(_) => return Err(bad()),
            None => (text.as_str(), "TCP"),
        };
        let container = spec_part.rsplit(':').next().unwrap_or(spec_part);
        let (first, last) = match container.split_once('-') {
            Some((a, b)) => (a, b),
            None => (container, container),
        };
        let (first, last): (u16, u16) = match (first.parse(), last.parse()) {
            (Ok(a), Ok(b)) if a > 0 && a <= b => (a, b),
            _ => return Err(bad()),
        };
        for number in first..=last {
            let port = Port { number, protocol };
            if !out.contains(&port) {
                out.push(port);
            }
        }
    }
    Ok(out)
}

/// A Kubernetes name (an RFC 1123 label): lowercase letters, digits and `-`, at most 63.
fn dns_label(
    name: &str,
    what: &str,
    spec: &ServiceSpec<'_>,
    at: crate::source::Origin,
) -> Result<String, Error> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        return Ok(name.to_string());
    }
    Err(Error::new(
        ErrorKind::InvalidValue,
        format!(
            "{what} `{name}` of service `{}` is not a valid Kubernetes name",
            spec.name()
        ),
    )
    .at(at)
    .with_label("not a Kubernetes name")
    .with_help("Kubernetes names are lowercase letters, digits and `-` (at most 63, not starting or ending with `-`); rename it in the registry"))
}

fn map(entries: Vec<(&str, New)>) -> New {
    New::Map(
        entries
            .into_iter()
            .map(|(k, v)| NewEntry::new(k, v))
            .collect(),
    )
}

fn labels(service: &str) -> New {
    map(vec![(NAME_LABEL, New::str(service))])
}

fn metadata(name: &str, service: &str) -> New {
    map(vec![("name", New::str(name)), ("labels", labels(service))])
}

/// The workload and the Services of one service.
pub fn service_objects(
    spec: &ServiceSpec<'_>,
    image: &str,
    env: &SplitEnv,
    waited_for: bool,
    ports_of: &BTreeMap<&str, Vec<Port>>,
) -> Result<Vec<New>, Error> {
    let name = dns_label(
        spec.name(),
        "the name",
        spec,
        spec.at(KeyPath::root().key("name")),
    )?;
    let ports = ports_of.get(spec.name()).cloned().unwrap_or_default();
    let claims: Vec<&str> = spec
        .volumes
        .iter()
        .filter_map(|v| named_volume(v))
        .collect();
    let stateful = !claims.is_empty();
    let mut objects = vec![workload(spec, &name, image, env, &ports, ports_of)?];
    // A StatefulSet names its Service; other services need one to be reached.
    let needs_service = !ports.is_empty() || waited_for || stateful;
    if needs_service {
        let mut names = vec![name.clone()];
        for (other, _, origin) in spec.network_names() {
            let other = dns_label(&other, "the network name", spec, origin)?;
            if !names.contains(&other) {
                names.push(other);
            }
        }
        for service_name in names {
            objects.push(service_object(spec, &service_name, &name, &ports));
        }
    }
    Ok(objects)
}

fn service_object(spec: &ServiceSpec<'_>, name: &str, service: &str, ports: &[Port]) -> New {
    let mut body = Vec::new();
    match spec.kubernetes.service_type {
        Some(t) if !ports.is_empty() => {
            let t = match t {
                ServiceType::ClusterIP => "ClusterIP",
                ServiceType::NodePort => "NodePort",
                ServiceType::LoadBalancer => "LoadBalancer",
            };
            body.push(("type", New::str(t)));
        }
        // Without ports there is nothing to balance: a headless Service gives DNS names.
        _ if ports.is_empty() => body.push(("clusterIP", New::str("None"))),
        _ => {}
    }
    body.push(("selector", labels(service)));
    if !ports.is_empty() {
        body.push((
            "ports",
            New::Seq(
                ports
                    .iter()
                    .map(|p| {
                        map(vec![
                            ("name", New::str(port_name(p))),
                            ("port", New::Raw(p.number.to_string())),
                            ("targetPort", New::Raw(p.number.to_string())),
                            ("protocol", New::str(p.protocol)),
                        ])
                    })
                    .collect(),
            ),
        ));
    }
    map(vec![
        ("apiVersion", New::str("v1")),
        ("kind", New::str("Service")),
        ("metadata", metadata(name, service)),
        ("spec", map(body)),
    ])
}

/// `tcp-5432`: a port name is at most 15 characters.
fn port_name(p: &Port) -> String {
    format!("{}-{}", p.protocol.to_ascii_lowercase(), p.number)
}

fn workload(
    spec: &ServiceSpec<'_>,
    name: &str,
    image: &str,
    env: &SplitEnv,
    ports: &[Port],
    ports_of: &BTreeMap<&str, Vec<Port>>,
) -> Result<New, Error> {
    let mut container = vec![("name", New::str(name)), ("image", New::str(image))];
    if let Some(cmd) = &spec.command {
        container.push(("args", args(cmd)));
    }
    if !ports.is_empty() {
        container.push((
            "ports",
            New::Seq(
                ports
                    .iter()
                    .map(|p| {
                        map(vec![
                            ("name", New::str(port_name(p))),
                            ("containerPort", New::Raw(p.number.to_string())),
                            ("protocol", New::str(p.protocol)),
                        ])
                    })
                    .collect(),
            ),
        ));
    }
    let mut env_from = Vec::new();
    if !env.config.is_empty() {
        env_from.push(map(vec![(
            "configMapRef",
            map(vec![("name", New::str(config_name(spec.name())))]),
        )]));
    }
    if !env.secret.is_empty() {
        env_from.push(map(vec![(
            "secretRef",
            map(vec![("name", New::str(secret_name(spec.name())))]),
        )]));
    }
    if !env_from.is_empty() {
        container.push(("envFrom", New::Seq(env_from)));
    }
    let mut mounts = Vec::new();
    let mut pod_volumes = Vec::new();
    let mut claims = Vec::new();
    for v in &spec.volumes {
        let parts: Vec<&str> = v.split(':').collect();
        let (volume, path, read_only) = match (named_volume(v), parts.as_slice()) {
            (Some(vol), [_, path, rest @ ..]) => (
                dns_label(vol, "the volume", spec, volume_at(spec, v))?,
                *path,
                rest.contains(&"ro"),
            ),
            // An anonymous volume: scratch space that lives as long as the pod.
            (None, [path]) => {
                let vol = format!("scratch-{}", pod_volumes.len());
                pod_volumes.push(map(vec![
                    ("name", New::str(vol.clone())),
                    ("emptyDir", New::map()),
                ]));
                (vol, *path, false)
            }
            // Bind mounts: noted in the file's header comment.
            _ => continue,
        };
        let mut mount = vec![
            ("name", New::str(volume.clone())),
            ("mountPath", New::str(path)),
        ];
        if read_only {
            mount.push(("readOnly", New::Raw("true".into())));
        }
        mounts.push(map(mount));
        if named_volume(v).is_some() && !claims.iter().any(|(n, _)| *n == volume) {
            claims.push((volume, claim(spec)));
        }
    }
    if !mounts.is_empty() {
        container.push(("volumeMounts", New::Seq(mounts)));
    }
    if let Some(probe) = spec.healthcheck.as_ref().and_then(probe) {
        container.push(("readinessProbe", probe.clone()));
        container.push(("livenessProbe", probe));
    }
    if let Some(resources) = &spec.kubernetes.resources {
        let quantities = |m: &indexmap::IndexMap<String, crate::registry::model::Text>| {
            New::Map(
                m.iter()
                    .map(|(k, v)| NewEntry::new(k, New::str(v.0.clone())))
                    .collect(),
            )
        };
        let mut r = Vec::new();
        if !resources.requests.is_empty() {
            r.push(("requests", quantities(&resources.requests)));
        }
        if !resources.limits.is_empty() {
            r.push(("limits", quantities(&resources.limits)));
        }
        if !r.is_empty() {
            container.push(("resources", map(r)));
        }
    }
    let mut pod = Vec::new();
    let waits: Vec<New> = spec
        .depends_on
        .iter()
        .map(|(dep, _)| wait_for(dep, ports_of.get(dep.as_str()).and_then(|p| p.first())))
        .collect();
    if !waits.is_empty() {
        pod.push(("initContainers", New::Seq(waits)));
    }
    pod.push(("containers", New::Seq(vec![map(container)])));
    if !pod_volumes.is_empty() {
        pod.push(("volumes", New::Seq(pod_volumes)));
    }
    let stateful = !claims.is_empty();
    let mut body = vec![("replicas", New::Raw("1".into()))];
    if stateful {
        body.push(("serviceName", New::str(name)));
    }
    body.push(("selector", map(vec![("matchLabels", labels(name))])));
    body.push((
        "template",
        map(vec![
            ("metadata", map(vec![("labels", labels(name))])),
            ("spec", map(pod)),
        ]),
    ));
    if stateful {
        body.push((
            "volumeClaimTemplates",
            New::Seq(
                claims
                    .into_iter()
                    .map(|(vol, spec)| {
                        map(vec![
                            ("metadata", map(vec![("name", New::str(vol))])),
                            ("spec", spec),
                        ])
                    })
                    .collect(),
            ),
        ));
    }
    Ok(map(vec![
        ("apiVersion", New::str("apps/v1")),
        (
            "kind",
            New::str(if stateful {
                "StatefulSet"
            } else {
                "Deployment"
            }),
        ),
        ("metadata", metadata(name, name)),
        ("spec", map(body)),
    ]))
}

/// Where volume `spec_text` is written: the service's `volumes`, else its source's.
fn volume_at(spec: &ServiceSpec<'_>, spec_text: &str) -> crate::source::Origin {
    use crate::registry::rules::Definition;
    let top = match &spec.selected.component.definition {
        Definition::Service(def) => def.volumes.iter().position(|v| v == spec_text),
        Definition::Library(_) => None,
    };
    match top {
        Some(i) => spec.at(KeyPath::root().key("volumes").index(i)),
        None => spec.source_at("volumes"),
    }
}

/// A volume claim: one node's read-write volume of the registry's size (default 1Gi).
fn claim(spec: &ServiceSpec<'_>) -> New {
    let storage = spec.kubernetes.storage.clone().unwrap_or_default();
    let mut body = vec![
        ("accessModes", New::Seq(vec![New::str("ReadWriteOnce")])),
        (
            "resources",
            map(vec![(
                "requests",
                map(vec![(
                    "storage",
                    New::str(storage.size.unwrap_or_else(|| "1Gi".into())),
                )]),
            )]),
        ),
    ];
    if let Some(class) = storage.class {
        body.push(("storageClassName", New::str(class)));
    }
    map(body)
}

/// An init container that waits until `dep`'s Service answers: on its first port, or,
/// without ports, until its name resolves.
fn wait_for(dep: &str, port: Option<&Port>) -> New {
    let check = match port {
        Some(p) if p.protocol == "TCP" => format!("nc -z -w 2 {dep} {}", p.number),
        _ => format!("nslookup {dep}"),
    };
    map(vec![
        ("name", New::str(format!("wait-for-{dep}"))),
        ("image", New::str(WAIT_IMAGE)),
        (
            "command",
            New::Seq(vec![
                New::str("sh"),
                New::str("-c"),
                New::str(format!(
                    "until {check}; do echo waiting for {dep}; sleep 2; done"
                )),
            ]),
        ),
    ])
}

/// A compose command as container `args` (it replaces the image's CMD, as in compose).
fn args(value: &serde_yaml::Value) -> New {
    match value {
        serde_yaml::Value::Sequence(items) => string_items(items),
        serde_yaml::Value::String(s) => New::Seq(s.split_whitespace().map(New::str).collect()),
        other => string_items(std::slice::from_ref(other)),
    }
}

/// A probe from a compose healthcheck: `test` as an exec command, `interval`, `timeout`,
/// `start_period` in seconds, `retries` as the failure threshold. `None` for a disabled
/// healthcheck or one without a test.
fn probe(h: &serde_yaml::Value) -> Option<New> {
    use serde_yaml::Value;
    if h.get("disable").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let command: Vec<String> = match h.get("test")? {
        Value::String(s) => vec!["/bin/sh".into(), "-c".into(), s.clone()],
        Value::Sequence(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                })
                .collect();
            match items.split_first() {
                Some((first, rest)) if first == "CMD" => rest.to_vec(),
                Some((first, rest)) if first == "CMD-SHELL" => {
                    vec!["/bin/sh".into(), "-c".into(), rest.join(" ")]
                }
                Some((first, _)) if first == "NONE" => return None,
                Some(_) => items,
                None => return None,
            }
        }
        _ => return None,
    };
    if command.is_empty() {
        return None;
    }
    let mut body = vec![(
        "exec",
        map(vec![(
            "command",
            New::Seq(command.into_iter().map(New::Str).collect()),
        )]),
    )];
    let seconds = |key: &str| {
        h.get(key)
            .and_then(Value::as_str)
            .and_then(duration_seconds)
    };
    if let Some(s) = seconds("start_period") {
        body.push(("initialDelaySeconds", New::Raw(s.to_string())));
    }
    if let Some(s) = seconds("interval") {
        body.push(("periodSeconds", New::Raw(s.to_string())));
    }
    if let Some(s) = seconds("timeout") {
        body.push(("timeoutSeconds", New::Raw(s.to_string())));
    }
    if let Some(n) = h.get("retries").and_then(Value::as_u64).filter(|n| *n > 0) {
        body.push(("failureThreshold", New::Raw(n.to_string())));
    }
    Some(map(body))
}

/// A compose duration (`1m30s`, `10s`, `500ms`, `1h`) in whole seconds, at least 1.
fn duration_seconds(text: &str) -> Option<u64> {
    let mut total_ms: u64 = 0;
    let mut number = String::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        let factor = match unit.as_str() {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "us" | "µs" | "ns" => 0,
            _ => return None,
        };
        total_ms = total_ms.checked_add(n.checked_mul(factor)?)?;
    }
    if !number.is_empty() {
        return None;
    }
    Some(total_ms.div_ceil(1000).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_durations_become_whole_seconds() {
        assert_eq!(duration_seconds("10s"), Some(10));
        assert_eq!(duration_seconds("1m30s"), Some(90));
        assert_eq!(duration_seconds("500ms"), Some(1));
        assert_eq!(duration_seconds("1h"), Some(3600));
        assert_eq!(duration_seconds("10"), None);
        assert_eq!(duration_seconds("5x"), None);
    }

    #[test]
    fn a_healthcheck_becomes_an_exec_probe() {
        let h: serde_yaml::Value = serde_yaml::from_str(
            "test: [CMD-SHELL, pg_isready -U postgres]\ninterval: 10s\ntimeout: 5s\nretries: 5\n",
        )
        .unwrap();
        let text = crate::yaml::write::to_string(&probe(&h).unwrap());
        assert_eq!(
            text,
            "exec:\n  command:\n    - /bin/sh\n    - \"-c\"\n    - pg_isready -U postgres\nperiodSeconds: 10\ntimeoutSeconds: 5\nfailureThreshold: 5\n"
        );
        let none: serde_yaml::Value = serde_yaml::from_str("test: [NONE]\n").unwrap();
        assert!(probe(&none).is_none());
        let off: serde_yaml::Value =
            serde_yaml::from_str("test: [CMD, x]\ndisable: true\n").unwrap();
        assert!(probe(&off).is_none());
    }
}
