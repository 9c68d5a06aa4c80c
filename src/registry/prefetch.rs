//! Loading the files a solve will ask for before it asks, on every core.
//!
//! The solve loads registry files one at a time, as pubgrub asks for each package's
//! dependencies, and for a large stack that is most of a sync: at the 10k scale of issue 14,
//! 3,000 files read and parsed, each independent of the others. [`Registry::prefetch`]
//! walks what hsm.yaml selects and what each loaded component implies, level by level, and
//! loads each level on every core; the solve then finds the files in the cache.
//!
//! It loads through [`Registry::component`] and [`Registry::group`], as the solve does, so
//! nothing the solve sees changes, only when the work is done. A file that fails to load
//! is left out of the cache, for the solve to load again and report where it would have. It may load a little more than the solve needs (the implications of every version
//! of a component, not only the one picked); that costs time, never a different answer.
//! The files each worker reads are recorded for the sync's fingerprint like any other
//! read ([`crate::source::watch`]).

use std::collections::HashSet;

use rayon::prelude::*;

use super::rules::{Implication, ImplyTarget};
use super::{Kind, Registry};
use crate::manifest::Manifest;
use crate::source::watch;

/// A file to load.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Want {
    Component(Kind, String),
    /// A group and the options of it the stack asks for (`None`: its default).
    Group(Kind, String, Option<Vec<String>>),
}

/// Levels smaller than this are loaded on the calling thread: handing them to other
/// threads would cost more than it saves.
const PARALLEL_FROM: usize = 64;

impl Registry {
    /// Load, in parallel, the files that solving `manifest` will read (see the module
    /// documentation). Errors are left for the solve to find.
    pub fn prefetch(&self, manifest: &Manifest) {
        let mut level = roots(manifest);
        let mut seen: HashSet<Want> = HashSet::new();
        while !level.is_empty() {
            level.retain(|w| seen.insert(w.clone()));
            // Each load records what it read on the thread that ran it; the recordings
            // join this thread's (the sync's fingerprint).
            let next: Vec<Want> = if level.len() < PARALLEL_FROM {
                level.iter().flat_map(|w| self.load(w)).collect()
            } else {
                let loaded: Vec<(Vec<Want>, watch::Recording)> = level
                    .par_iter()
                    .map(|w| watch::record(|| self.load(w)))
                    .collect();
                let mut next = Vec::new();
                for (wants, recording) in loaded {
                    watch::absorb(recording);
                    next.extend(wants);
                }
                next
            };
            level = next;
        }
    }

    /// Load one file (into the cache); what it implies is the next level.
    fn load(&self, want: &Want) -> Vec<Want> {
        let mut next = Vec::new();
        match want {
            Want::Component(kind, name) if crate::vocab::is_valid_name(name) => {
                if let Ok(Some(c)) = self.component(*kind, name) {
                    for v in &c.versions {
                        wants(&v.implies, &mut next);
                    }
                }
            }
            Want::Group(kind, name, options) if crate::vocab::is_valid_name(name) => {
                if let Ok(Some(g)) = self.group(*kind, name) {
                    let chosen = options.as_ref().unwrap_or(&g.default);
                    for o in g.options.iter().filter(|o| chosen.contains(&o.name)) {
                        next.push(Want::Component(*kind, o.name.clone()));
                        wants(&o.implies, &mut next);
                    }
                }
            }
            _ => {}
        }
        next
    }
}

/// hsm.yaml's groups with their selections, and its standalone entries.
fn roots(manifest: &Manifest) -> Vec<Want> {
    let data = &manifest.data;
    let mut out = Vec::new();
    for (kind, groups, standalone) in [
        (
            Kind::Library,
            &data.libraries.groups,
            &data.libraries.standalone,
        ),
        (
            Kind::Service,
            &data.services.groups,
            &data.services.standalone,
        ),
    ] {
        for (name, entry) in groups {
            let options: Vec<String> = entry
                .selection
                .items()
                .into_iter()
                .map(|(_, o)| o.to_string())
                .collect();
            out.push(Want::Group(kind, name.clone(), Some(options)));
        }
        out.extend(
            standalone
                .iter()
                .map(|s| Want::Component(kind, s.name.clone())),
        );
    }
    out
}

fn wants(implies: &[Implication], out: &mut Vec<Want>) {
    for i in implies {
        out.push(match &i.target {
            ImplyTarget::Component(kind, name) => Want::Component(*kind, name.clone()),
            ImplyTarget::Group {
                kind,
                group,
                options,
            } => Want::Group(*kind, group.clone(), options.clone()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Store;
    use crate::solve::{Outcome, solve_plain};

    /// Groups of two options, each option implying a service with a param; `n` groups.
    fn registry(n: usize) -> Vec<(String, String)> {
        let mut files = Vec::new();
        for g in 0..n {
            files.push((
                format!("library_groups/g{g}.yaml"),
                format!(
                    "name: g{g}\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - name: a{g}\n    implies: {{service:s{g}: {{params: {{k: v{g}}}}}}}\n  - name: b{g}\n"
                ),
            ));
            for lib in [format!("a{g}"), format!("b{g}")] {
                files.push((
                    format!("libraries/{lib}.yaml"),
                    format!("name: {lib}\nversion: 1.0.0\nimplies:\n  service_group:sg:\n"),
                ));
            }
            files.push((
                format!("services/s{g}.yaml"),
                format!("name: s{g}\nversion: 1.0.0\n"),
            ));
        }
        files.push((
            "service_groups/sg.yaml".into(),
            "name: sg\ntype: service_group\nstrategy: 1-of-N\ndefault: [x]\noptions:\n  - name: x\n  - name: y\n".into(),
        ));
        for s in ["x", "y"] {
            files.push((
                format!("services/{s}.yaml"),
                format!("name: {s}\nversion: 1.0.0\n"),
            ));
        }
        files
    }

    fn manifest(n: usize) -> Manifest {
        let mut text = String::from("project: {name: p}\nlibraries:\n  groups:\n");
        for g in 0..n {
            text.push_str(&format!("    g{g}: {{selection: a{g}}}\n"));
        }
        Manifest::from_text("hsm.yaml", std::path::Path::new("/p"), text).unwrap()
    }

    fn names(outcome: &Outcome) -> Vec<String> {
        let Outcome::Solved(s) = outcome else {
            panic!("no stack")
        };
        s.components.iter().map(|c| c.name.clone()).collect()
    }

    #[test]
    fn prefetching_loads_what_the_solve_reads_and_changes_nothing() {
        // Enough groups for the levels to be loaded on several threads.
        let n = 2 * PARALLEL_FROM;
        let manifest = manifest(n);
        let lazy = Registry::new(Store::memory(registry(n)));
        let expected = names(&solve_plain(&manifest, &lazy).unwrap());
        let eager = Registry::new(Store::memory(registry(n)));
        eager.prefetch(&manifest);
        let prefetched: HashSet<String> = eager
            .loaded_files()
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        assert_eq!(names(&solve_plain(&manifest, &eager).unwrap()), expected);
        // The solve read nothing the prefetch had not: every chosen option, its service,
        // the implied group's default; never the options not chosen.
        let after: HashSet<String> = eager
            .loaded_files()
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        assert_eq!(after, prefetched);
        assert!(prefetched.contains("<memory>/services/x.yaml"));
        assert!(!prefetched.contains("<memory>/libraries/b0.yaml"));
        assert!(!prefetched.contains("<memory>/services/y.yaml"));
    }

    #[test]
    fn a_file_that_fails_to_load_is_left_for_the_solve_to_report() {
        let mut files = registry(1);
        files.push(("libraries/a0.yaml".into(), "name: a0\nversion: [\n".into()));
        let manifest = manifest(1);
        let lazy = Registry::new(Store::memory(files.clone()));
        let expected = solve_plain(&manifest, &lazy).unwrap_err().to_string();
        let eager = Registry::new(Store::memory(files));
        eager.prefetch(&manifest);
        assert_eq!(
            solve_plain(&manifest, &eager).unwrap_err().to_string(),
            expected
        );
    }

    #[test]
    fn files_read_by_the_workers_are_recorded_for_the_fingerprint() {
        let n = 2 * PARALLEL_FROM;
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in registry(n) {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let registry = Registry::new(Store::dir(dir.path().to_path_buf(), "reg".into()));
        let ((), recording) = watch::record(|| registry.prefetch(&manifest(n)));
        let read: HashSet<std::path::PathBuf> =
            recording.inputs.iter().map(|i| i.path.clone()).collect();
        for f in registry.loaded_files() {
            assert!(
                read.contains(f.path().unwrap()),
                "{} not recorded",
                f.display()
            );
        }
        assert!(registry.loaded_files().len() > 3 * n);
    }
}
