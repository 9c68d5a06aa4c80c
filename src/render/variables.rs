//! The environment variables a stack reads when it runs: every `${VAR}` (or `$VAR`) that
//! hsm leaves for compose, Kubernetes or the process to fill in, where it is used, and
//! whether it has a default. `hsm env` reports them with whether each is set.

use super::service::ServiceSpec;

/// One `${VAR}` reference in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    /// `${VAR:-x}` or `${VAR-x}`: compose falls back to the default when it is unset.
    pub has_default: bool,
}

/// Every variable reference in `value`, in compose's syntax: `$VAR`, `${VAR}`,
/// `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, …; `$$` is a literal `$`.
pub fn references(value: &str) -> Vec<Reference> {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let is_start = |b: u8| b.is_ascii_alphabetic() || b == b'_';
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => {
                let start = i + 2;
                let mut end = start;
                while end < bytes.len() && is_name(bytes[end]) {
                    end += 1;
                }
                let name = &value[start..end];
                let rest = &value[end..];
                let close = rest.find('}');
                if !name.is_empty() && is_start(bytes[start]) && close.is_some() {
                    let modifier = &rest[..close.unwrap_or(0)];
                    out.push(Reference {
                        name: name.to_string(),
                        has_default: modifier.starts_with(":-") || modifier.starts_with('-'),
                    });
                }
                i = end + close.map_or(0, |c| c + 1);
            }
            Some(&b) if is_start(b) => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && is_name(bytes[end]) {
                    end += 1;
                }
                out.push(Reference {
                    name: value[start..end].to_string(),
                    has_default: false,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// A variable reference in a service: where it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub service: String,
    /// `env POSTGRES_PASSWORD`, `ports`, `image`, …
    pub field: String,
    /// The registry file and line that wrote it, when known.
    pub at: Option<String>,
    pub has_default: bool,
}

/// Every variable the specs read, with each use (in the specs' order).
pub fn uses(specs: &[ServiceSpec<'_>]) -> Vec<(String, Use)> {
    let mut out = Vec::new();
    for spec in specs {
        let service = spec.name().to_string();
        let mut add = |value: &str, field: String, at: Option<String>| {
            for r in references(value) {
                out.push((
                    r.name,
                    Use {
                        service: service.clone(),
                        field: field.clone(),
                        at: at.clone(),
                        has_default: r.has_default,
                    },
                ));
            }
        };
        for (key, (value, origin)) in &spec.env.vars {
            let at = origin
                .origin
                .as_ref()
                .map(|o| o.to_string())
                .or_else(|| Some(origin.describe()));
            add(value, format!("env {key}"), at);
        }
        for p in &spec.ports {
            add(p, "ports".to_string(), None);
        }
        for v in &spec.volumes {
            add(v, "volumes".to_string(), None);
        }
        if let Some(super::service::Image::Pull(image)) = &spec.image {
            add(image, "image".to_string(), None);
        }
        if let Some(command) = &spec.command {
            let text = serde_yaml::to_string(command).unwrap_or_default();
            add(&text, "command".to_string(), None);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_follow_composes_syntax() {
        let names = |v: &str| {
            references(v)
                .into_iter()
                .map(|r| format!("{}{}", r.name, if r.has_default { "?" } else { "" }))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names("${A}:${B:-1}/$C-$$D ${E-x} ${F:?no} ${ 1}"),
            ["A", "B?", "C", "E?", "F"]
        );
        assert_eq!(names("plain"), Vec::<String>::new());
        assert_eq!(names("$"), Vec::<String>::new());
        assert_eq!(names("${UNCLOSED"), Vec::<String>::new());
    }
}
