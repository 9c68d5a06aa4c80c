//! The registry's rules in words, as `hsm registry show` says them: "requires library `x`
//! >=1.2", "implies option `o` of service group `g`", "pypi qdrant-client >=1.12".
//!
//! These sentences describe a rule as written in the registry, with its kinds and file
//! words; `solve::words` says why a rule acted in a particular solve ("choice group",
//! "hsm.yaml selects"), which is a different sentence on purpose.

use super::model::{Source, SourceType};
use super::rules::{Implication, ImplyTarget, Ref};

/// "library `x`", or "`x`" when the rule names no kind.
pub fn reference(r: &Ref) -> String {
    match r.kind {
        Some(k) => format!("{k} `{}`", r.name),
        None => format!("`{}`", r.name),
    }
}

/// "implies service `x` with params a=1", "implies option `o` of library group `g`".
pub fn implication(imp: &Implication) -> String {
    match &imp.target {
        ImplyTarget::Component(kind, name) => {
            let mut s = format!("implies {kind} `{name}`");
            if !imp.params.is_empty() {
                let p: Vec<String> = imp.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                s.push_str(" with params ");
                s.push_str(&p.join(", "));
            }
            s
        }
        ImplyTarget::Group {
            kind,
            group,
            options,
        } => match options.as_deref() {
            None | Some([]) => format!("implies {kind} group `{group}` (its default option)"),
            Some([one]) => format!("implies option `{one}` of {kind} group `{group}`"),
            Some(many) => format!(
                "implies options {} of {kind} group `{group}`",
                many.iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    }
}

/// Where a source comes from: "pypi x 1.2", "git URL tag v1", "local path (editable)".
/// `package` is the distribution name a PyPI source without its own uses.
pub fn source(src: &Source, package: &str) -> String {
    match src.kind {
        SourceType::Pypi => {
            let name = src.name.as_deref().unwrap_or(package);
            match &src.version {
                Some(v) => format!("pypi {name} {v}"),
                None => format!("pypi {name} (any release)"),
            }
        }
        SourceType::Git => {
            let mut s = format!("git {}", src.url.as_deref().unwrap_or("(no url)"));
            for (what, v) in [
                ("ref", &src.git_ref),
                ("tag", &src.tag),
                ("rev", &src.rev),
                ("branch", &src.branch),
            ] {
                if let Some(v) = v {
                    s.push_str(&format!(" {what} {v}"));
                }
            }
            if let Some(d) = &src.subdirectory {
                s.push_str(&format!(" (subdirectory {d})"));
            }
            s
        }
        SourceType::Local => format!(
            "local {}{}",
            src.path.as_deref().unwrap_or("(no path)"),
            if src.editable == Some(true) {
                " (editable)"
            } else {
                ""
            }
        ),
        SourceType::DockerImage => {
            format!("image {}", src.image.as_deref().unwrap_or("(no image)"))
        }
        SourceType::Build => {
            let mut s = format!("build {}", src.path.as_deref().unwrap_or("(no path)"));
            if let Some(d) = &src.dockerfile {
                s.push_str(&format!(" (dockerfile {d})"));
            }
            s
        }
    }
}
