//! Who points at a component or group: the reverse of the registry's rules, found by
//! reading every file. `hsm registry show` lists them; `hsm registry ... remove` warns
//! about them.

use std::collections::BTreeSet;

use serde::Serialize;

use super::rules::{Component, ImplyTarget};
use super::{Category, Kind, Registry};
use crate::error::Error;
use crate::source::Origin;

/// A component or a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Component(Kind, String),
    Group(Kind, String),
}

impl Target {
    pub fn name(&self) -> &str {
        match self {
            Target::Component(_, n) | Target::Group(_, n) => n,
        }
    }

    /// The key an implication of the target is written under: `service:x`,
    /// `library_group:g`.
    pub fn implies_key(&self) -> String {
        match self {
            Target::Component(k, n) => format!("{k}:{n}"),
            Target::Group(k, n) => format!("{k}_group:{n}"),
        }
    }

    /// What the prefix of an implication key names: a kind, and whether it is a group.
    /// `container` and `container_group` are the V1 spellings of `service` and
    /// `service_group`.
    pub fn key_prefix(prefix: &str) -> Option<(Kind, bool)> {
        Some(match prefix {
            "service" | "container" => (Kind::Service, false),
            "library" => (Kind::Library, false),
            "service_group" | "container_group" => (Kind::Service, true),
            "library_group" => (Kind::Library, true),
            _ => return None,
        })
    }
}

impl Reference {
    /// "required by library `a` at >=1.2", "implied by option `o` of ... with params x=1".
    pub fn words(&self) -> String {
        let mut s = format!("{} {}", self.relation.words(), self.from);
        if let Some(d) = &self.detail {
            s.push_str(if self.relation == Relation::RequiredBy {
                " at "
            } else {
                " "
            });
            s.push_str(d);
        }
        s
    }

    /// The `hsm registry` command that removes this rule, when there is one; `requires`
    /// and `conflicts` are edited by hand.
    pub fn removal(&self, target: &Target) -> Option<String> {
        match (&self.relation, &self.holder) {
            (Relation::OptionOf, Holder::Group(_, g)) => Some(format!(
                "hsm registry group remove-option {g} {}",
                target.name()
            )),
            (Relation::ImpliedBy, Holder::Component(k, n)) => Some(format!(
                "hsm registry {k} implies remove {n} {}",
                target.implies_key()
            )),
            (Relation::ImpliedBy, Holder::Option { group, option, .. }) => Some(format!(
                "hsm registry group option implies remove {group} {option} {}",
                target.implies_key()
            )),
            _ => None,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Component(k, n) => write!(f, "{k} `{n}`"),
            Target::Group(k, n) => write!(f, "{k} group `{n}`"),
        }
    }
}

/// How a rule points at the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The target is an option of a group.
    OptionOf,
    ImpliedBy,
    RequiredBy,
    /// A `conflicts:` entry names the target.
    ConflictsWith,
}

impl Relation {
    pub fn words(self) -> &'static str {
        match self {
            Relation::OptionOf => "option of",
            Relation::ImpliedBy => "implied by",
            Relation::RequiredBy => "required by",
            Relation::ConflictsWith => "in conflict with",
        }
    }
}

/// Who holds a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Component(Kind, String),
    Group(Kind, String),
    Option {
        kind: Kind,
        group: String,
        option: String,
    },
}

/// One rule elsewhere in the registry that names the target.
#[derive(Debug, Clone)]
pub struct Reference {
    pub relation: Relation,
    pub holder: Holder,
    /// Who holds the rule: "library `a`", "option `o` of service group `g`".
    pub from: String,
    /// The rule, for messages: "requires >=1.2, <2", "with params db=x".
    pub detail: Option<String>,
    /// The options a group implication names.
    pub selects: Vec<String>,
    pub origin: Origin,
}

/// Every rule of `registry` that names `target`, sorted by file and line. Files that do not
/// load are skipped and returned as errors (`registry lint` reports them in full).
pub fn references(registry: &Registry, target: &Target) -> (Vec<Reference>, Vec<Error>) {
    let mut out: Vec<Reference> = Vec::new();
    let mut broken = Vec::new();
    for (kind, category) in [
        (Kind::Library, Category::Libraries),
        (Kind::Service, Category::Services),
    ] {
        for name in registry.store().list(category) {
            match registry.component(kind, &name) {
                Ok(Some(c)) => component_refs(&c, target, &mut out),
                Ok(None) => {}
                Err(e) => broken.push(e),
            }
        }
    }
    for (kind, category) in [
        (Kind::Library, Category::LibraryGroups),
        (Kind::Service, Category::ServiceGroups),
    ] {
        for name in registry.store().list(category) {
            let group = match registry.group(kind, &name) {
                Ok(Some(g)) => g,
                Ok(None) => continue,
                Err(e) => {
                    broken.push(e);
                    continue;
                }
            };
            for opt in &group.options {
                if *target == Target::Component(kind, opt.name.clone()) {
                    out.push(Reference {
                        relation: Relation::OptionOf,
                        holder: Holder::Group(kind, group.name.clone()),
                        from: format!("{kind} group `{}`", group.name),
                        detail: None,
                        selects: Vec::new(),
                        origin: opt.origin.clone(),
                    });
                }
                for imp in &opt.implies {
                    if implies_target(&imp.target, target) {
                        out.push(Reference {
                            relation: Relation::ImpliedBy,
                            holder: Holder::Option {
                                kind,
                                group: group.name.clone(),
                                option: opt.name.clone(),
                            },
                            from: format!("option `{}` of {kind} group `{}`", opt.name, group.name),
                            detail: implies_detail(imp),
                            selects: selected(imp),
                            origin: imp.origin.clone(),
                        });
                    }
                }
            }
        }
    }
    // Versions that do not override a rule share it: report each rule once.
    let mut seen = BTreeSet::new();
    out.retain(|r| seen.insert((r.relation, r.origin.location())));
    out.sort_by(|a, b| {
        (a.origin.file().display(), a.origin.line(), a.relation).cmp(&(
            b.origin.file().display(),
            b.origin.line(),
            b.relation,
        ))
    });
    (out, broken)
}

fn implies_target(imp: &ImplyTarget, target: &Target) -> bool {
    match (imp, target) {
        (ImplyTarget::Component(k, n), Target::Component(tk, tn)) => k == tk && n == tn,
        (ImplyTarget::Group { kind, group, .. }, Target::Group(tk, tn)) => {
            kind == tk && group == tn
        }
        _ => false,
    }
}

fn selected(imp: &super::Implication) -> Vec<String> {
    match &imp.target {
        ImplyTarget::Group {
            options: Some(o), ..
        } => o.clone(),
        _ => Vec::new(),
    }
}

/// What an implication passes: its params, or the options it selects in a group.
fn implies_detail(imp: &super::Implication) -> Option<String> {
    match &imp.target {
        ImplyTarget::Component(..) => (!imp.params.is_empty()).then(|| {
            let p: Vec<String> = imp.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("with params {}", p.join(", "))
        }),
        ImplyTarget::Group { options, .. } => Some(match options.as_deref() {
            None | Some([]) => "taking its default option".to_string(),
            Some(o) => format!(
                "selecting {}",
                o.iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

fn component_refs(c: &Component, target: &Target, out: &mut Vec<Reference>) {
    let from = format!("{} `{}`", c.kind, c.name);
    let holder = Holder::Component(c.kind, c.name.clone());
    let names = |r: &super::Ref| match target {
        Target::Component(k, n) => r.name == *n && r.kind.is_none_or(|rk| rk == *k),
        Target::Group(..) => false,
    };
    for v in &c.versions {
        for req in &v.requires {
            if names(&req.target) {
                out.push(Reference {
                    relation: Relation::RequiredBy,
                    holder: holder.clone(),
                    from: from.clone(),
                    detail: Some(req.text.clone()),
                    selects: Vec::new(),
                    origin: req.origin.clone(),
                });
            }
        }
        for con in &v.conflicts {
            if names(&con.target) {
                out.push(Reference {
                    relation: Relation::ConflictsWith,
                    holder: holder.clone(),
                    from: from.clone(),
                    detail: None,
                    selects: Vec::new(),
                    origin: con.origin.clone(),
                });
            }
        }
        for imp in &v.implies {
            if implies_target(&imp.target, target) {
                out.push(Reference {
                    relation: Relation::ImpliedBy,
                    holder: holder.clone(),
                    from: from.clone(),
                    detail: implies_detail(imp),
                    selects: selected(imp),
                    origin: imp.origin.clone(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Store;

    #[test]
    fn finds_every_kind_of_reference() {
        let registry = Registry::new(Store::memory([
            ("services/pg.yaml".to_string(), "name: pg\n".to_string()),
            (
                "libraries/a.yaml".to_string(),
                "name: a\nrequires: {pg: '>=1'}\nimplies:\n  service:pg: {params: {db: a}}\n"
                    .to_string(),
            ),
            (
                "libraries/b.yaml".to_string(),
                "name: b\nconflicts: [service:pg]\nimplies: {service_group:db: pg}\n".to_string(),
            ),
            (
                "service_groups/db.yaml".to_string(),
                "name: db\ntype: service_group\nstrategy: 1-of-N\noptions:\n  - pg\n".to_string(),
            ),
            ("libraries/broken.yaml".to_string(), "name: [\n".to_string()),
        ]));
        let (refs, broken) = references(&registry, &Target::Component(Kind::Service, "pg".into()));
        let lines: Vec<String> = refs
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {:?}",
                    r.origin,
                    r.relation.words(),
                    r.from,
                    r.detail
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                "<memory>/libraries/a.yaml:2 required by library `a` Some(\">=1\")",
                "<memory>/libraries/a.yaml:4 implied by library `a` Some(\"with params db=a\")",
                "<memory>/libraries/b.yaml:2 in conflict with library `b` None",
                "<memory>/service_groups/db.yaml:5 option of service group `db` None",
            ]
        );
        assert_eq!(broken.len(), 1);
        let (refs, _) = references(&registry, &Target::Group(Kind::Service, "db".into()));
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].from, "library `b`");
        // A library named like the service is not referenced by `service:pg` rules.
        let (refs, _) = references(&registry, &Target::Component(Kind::Library, "pg".into()));
        assert_eq!(
            refs.len(),
            1,
            "only the bare `requires: {{pg}}` could mean it"
        );
    }
}
