//! `hsm schema`: the JSON Schemas must say what hsm's loaders say. Every document here is
//! checked with the real `check-jsonschema` against the schema `hsm schema KIND` prints, and
//! with hsm's own loader; the two verdicts must agree.
//!
//! Documents: the built-in registry, the example and scenario hsm.yaml files, the README's
//! examples, what `hsm init` / `library init` / `service init` write, the files the original
//! hsm wrote and documented (reference §3.5, §3.6, §10), and a battery of small documents
//! probing each key (unknown keys, wrong types, nulls, legacy keys).

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Test, tool};
use hsm::Manifest;
use hsm::internals::registry_model::{GroupFile, LibraryFile, ServiceFile};
use hsm::internals::{SourceFile, parse_yaml};
use hsm::{Kind, Registry, Store};

const KINDS: [&str; 4] = ["manifest", "library", "service", "group"];
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A directory with the four schemas as `hsm schema` prints them.
struct Schemas {
    dir: tempfile::TempDir,
}

impl Schemas {
    fn new() -> Self {
        let t = Test::new();
        let dir = tempfile::tempdir().unwrap();
        for kind in KINDS {
            let out = t.hsm(&["schema", kind]);
            out.success();
            std::fs::write(dir.path().join(format!("{kind}.json")), &out.stdout).unwrap();
        }
        Schemas { dir }
    }

    fn path(&self, kind: &str) -> PathBuf {
        self.dir.path().join(format!("{kind}.json"))
    }

    /// The files among `files` that the schema of `kind` rejects, with the reasons.
    fn rejected(&self, kind: &str, files: &[PathBuf]) -> Vec<(PathBuf, String)> {
        if files.is_empty() {
            return Vec::new();
        }
        let out = Command::new(tool("check-jsonschema"))
            .args(["-o", "json", "--schemafile"])
            .arg(self.path(kind))
            .args(files)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "check-jsonschema: {e}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert!(
            report
                .get("parse_errors")
                .and_then(|e| e.as_array())
                .is_none_or(Vec::is_empty),
            "{report:#}"
        );
        let mut rejected: Vec<(PathBuf, String)> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    PathBuf::from(e["filename"].as_str().unwrap()),
                    format!("{}: {}", e["path"], e["message"]),
                )
            })
            .collect();
        rejected.dedup_by(|a, b| a.0 == b.0);
        rejected
    }

    #[track_caller]
    fn assert_valid(&self, kind: &str, files: &[PathBuf]) {
        let rejected = self.rejected(kind, files);
        assert!(
            rejected.is_empty(),
            "`hsm schema {kind}` rejects valid files: {rejected:#?}"
        );
    }
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    out.sort();
    out
}

/// Write `docs` into files in a temporary directory.
fn write_docs(dir: &Path, prefix: &str, docs: &[&str]) -> Vec<PathBuf> {
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            let p = dir.join(format!("{prefix}-{i:03}.yaml"));
            std::fs::write(&p, d).unwrap();
            p
        })
        .collect()
}

#[test]
fn the_schemas_are_valid_draft_07_and_what_hsm_prints() {
    require!("check-jsonschema");
    let schemas = Schemas::new();
    for kind in KINDS {
        let out = Command::new(tool("check-jsonschema"))
            .arg("--check-metaschema")
            .arg(schemas.path(kind))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let file = format!("{ROOT}/schemas/{kind}.schema.json");
        assert_eq!(
            std::fs::read_to_string(schemas.path(kind)).unwrap(),
            std::fs::read_to_string(&file).unwrap(),
            "`hsm schema {kind}` prints {file}"
        );
    }
}

#[test]
fn the_builtin_registry_matches() {
    require!("check-jsonschema");
    let schemas = Schemas::new();
    let reg = Path::new(ROOT).join("registry");
    schemas.assert_valid("library", &yaml_files(&reg.join("libraries")));
    schemas.assert_valid("service", &yaml_files(&reg.join("services")));
    let mut groups = yaml_files(&reg.join("library_groups"));
    groups.extend(yaml_files(&reg.join("service_groups")));
    schemas.assert_valid("group", &groups);
}

/// A README code block that starts with `first_line`.
fn readme_block(first_line: &str) -> String {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let start = readme
        .find(&format!("```yaml\n{first_line}"))
        .unwrap_or_else(|| panic!("README has no yaml block starting with {first_line:?}"));
    let body = &readme[start + "```yaml\n".len()..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn every_example_hsm_yaml_matches() {
    require!("check-jsonschema");
    let schemas = Schemas::new();
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![Path::new(ROOT).join("examples/rag/hsm.yaml")];

    // The manifests of the built-in scenario suites (those not meant to fail loading).
    let mut agree = Vec::new();
    for suite in yaml_files(&Path::new(ROOT).join("rules")) {
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&suite).unwrap()).unwrap();
        for (i, case) in doc["cases"].as_sequence().unwrap().iter().enumerate() {
            let text = serde_yaml::to_string(&case["manifest"]).unwrap();
            // A case with `each: {values: [...]}` stands for one manifest per value.
            let texts: Vec<String> = match case.get("each") {
                None => vec![text],
                Some(each) => each["values"]
                    .as_sequence()
                    .expect("the built-in suites use `each: {values: [...]}` only")
                    .iter()
                    .map(|v| text.replace("{value}", v.as_str().unwrap()))
                    .collect(),
            };
            for (j, text) in texts.iter().enumerate() {
                let stem = suite.file_stem().unwrap().to_str().unwrap();
                let path = dir.path().join(format!("{stem}-{i}-{j}.yaml"));
                std::fs::write(&path, text).unwrap();
                if case["expect"].get("error").is_some() {
                    agree.push(path);
                } else {
                    files.push(path);
                }
            }
        }
    }

    // The README's hsm.yaml and what `hsm init` writes.
    let readme = dir.path().join("readme.yaml");
    std::fs::write(&readme, readme_block("project:\n  name: my-rag-app")).unwrap();
    files.push(readme);
    let t = Test::new();
    t.hsm(&["init", "--name", "x"]).success();
    files.push(t.path().join("hsm.yaml"));

    // The original hsm's docs (reference §10.1, §10.2).
    files.extend(write_docs(dir.path(), "original", ORIGINAL_MANIFESTS));

    assert!(files.len() > 50, "{}", files.len());
    schemas.assert_valid("manifest", &files);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        manifest_verdict(&text).unwrap_or_else(|e| panic!("{}: hsm rejects it: {e}", f.display()));
    }
    assert_agreement(&schemas, "manifest", &agree, manifest_verdict);
}

#[test]
fn readme_registry_examples_match() {
    require!("check-jsonschema");
    let schemas = Schemas::new();
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib.yaml");
    std::fs::write(&lib, readme_block("# libraries/qdrant-adapter.yaml")).unwrap();
    schemas.assert_valid("library", &[lib]);
    let group = dir.path().join("group.yaml");
    std::fs::write(
        &group,
        readme_block("# library_groups/vector-db-adapter.yaml"),
    )
    .unwrap();
    schemas.assert_valid("group", &[group]);
}

#[test]
fn files_the_original_hsm_wrote_match() {
    require!("check-jsonschema");
    let schemas = Schemas::new();
    let dir = tempfile::tempdir().unwrap();
    for (kind, docs) in [
        ("library", ORIGINAL_LIBRARIES),
        ("service", ORIGINAL_SERVICES),
        ("group", ORIGINAL_GROUPS),
    ] {
        let files = write_docs(dir.path(), kind, docs);
        schemas.assert_valid(kind, &files);
        for (f, text) in files.iter().zip(docs) {
            structural_verdict(kind, text)
                .unwrap_or_else(|e| panic!("{}: hsm rejects it: {e}", f.display()));
        }
    }
    // V1 files with keys no current model has are rejected by both.
    let v1 = write_docs(dir.path(), "v1", ORIGINAL_V1_SERVICES);
    assert_eq!(schemas.rejected("service", &v1).len(), v1.len());
    for text in ORIGINAL_V1_SERVICES {
        assert!(structural_verdict("service", text).is_err());
    }
}

/// What hsm's loader says about a manifest.
fn manifest_verdict(text: &str) -> Result<(), String> {
    Manifest::from_text("hsm.yaml", Path::new("/p"), text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// serde's verdict on a registry file of `kind` (structure only; no rule targets).
fn structural_verdict(kind: &str, text: &str) -> Result<(), String> {
    let file = SourceFile::new("x.yaml", None, text);
    match kind {
        "library" => parse_yaml::<LibraryFile>(&file, "library").map(|_| ()),
        "service" => parse_yaml::<ServiceFile>(&file, "service").map(|_| ()),
        "group" => parse_yaml::<GroupFile>(&file, "group").map(|_| ()),
        _ => unreachable!(),
    }
    .map_err(|e| e.to_string())
}

/// The full registry loader's verdict on a registry file of `kind` (names, rules, ...),
/// in a registry that also holds the targets the battery's rules point at.
fn registry_verdict(kind: &str, text: &str) -> Result<(), String> {
    let (category, subject) = match kind {
        "library" => ("libraries", "subject"),
        "service" => ("services", "subject"),
        _ if text.contains("service_group") => ("service_groups", "g"),
        _ => ("library_groups", "g"),
    };
    let mut files = vec![
        (format!("{category}/{subject}.yaml"), text.to_string()),
        (
            "libraries/b.yaml".into(),
            "name: b\nversion: 1.0.0\n".into(),
        ),
        ("libraries/opt-a.yaml".into(), "name: opt-a\n".into()),
        ("libraries/opt-b.yaml".into(), "name: opt-b\n".into()),
        ("services/y.yaml".into(), "name: y\n".into()),
        (
            "service_groups/sg.yaml".into(),
            "name: sg\ntype: service_group\nstrategy: 1-of-N\noptions: [y]\n".into(),
        ),
    ];
    files.dedup_by(|a, b| a.0 == b.0);
    let registry = Registry::new(Store::memory(files));
    let result = match kind {
        "library" => registry.component(Kind::Library, subject).map(|_| ()),
        "service" => registry.component(Kind::Service, subject).map(|_| ()),
        _ if category == "service_groups" => registry.group(Kind::Service, subject).map(|_| ()),
        _ => registry.group(Kind::Library, subject).map(|_| ()),
    };
    result.map_err(|e| e.to_string())
}

/// The schema and hsm's loader agree on every file.
#[track_caller]
fn assert_agreement(
    schemas: &Schemas,
    kind: &str,
    files: &[PathBuf],
    verdict: impl Fn(&str) -> Result<(), String>,
) {
    let rejected: BTreeSet<PathBuf> = schemas
        .rejected(kind, files)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let mut disagreements = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        let hsm = verdict(&text);
        let schema_ok = !rejected.contains(f);
        if schema_ok != hsm.is_ok() {
            disagreements.push(format!(
                "--- {kind}: schema {}, hsm {}\n{text}",
                if schema_ok { "accepts" } else { "rejects" },
                match &hsm {
                    Ok(()) => "accepts".to_string(),
                    Err(e) => format!("rejects ({e})"),
                }
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// `(accepted?, document)` per kind: each key probed with good and bad values.
const BATTERY: &[(&str, bool, &str)] = &[
    // ---- hsm.yaml
    (
        "manifest",
        true,
        "project: {name: x, version: 0.1.0, container_engine: podman, manager: uv}\n",
    ),
    ("manifest", true, "project:\nregistry: ./reg\n"),
    (
        "manifest",
        true,
        "libraries: {groups: {g: {selection: a}}}\n",
    ),
    (
        "manifest",
        true,
        "libraries: {groups: {g: {strategy: M-of-N, selection: [a, b], mode: dev}}}\n",
    ),
    (
        "manifest",
        true,
        "libraries: {groups: {g: {selection: null}}}\n",
    ),
    ("manifest", true, "libraries: {groups: {g: {}}}\n"),
    ("manifest", false, "libraries: {groups: {g: null}}\n"),
    (
        "manifest",
        true,
        "libraries: {groups: null, standalone: null, package_manager: uv}\n",
    ),
    (
        "manifest",
        true,
        "libraries: {standalone: [a, {name: b, mode: dev}, {name: c, version: '1.0'}]}\n",
    ),
    (
        "manifest",
        true,
        "services: {groups: {infra: {selection: [pg], profile: ext}}, standalone: [{name: s, profile: p}]}\n",
    ),
    (
        "manifest",
        true,
        "modes: {a: dev, b: prod}\nconstraints: {a: '>=1, <2'}\n",
    ),
    (
        "manifest",
        true,
        "modes:\nconstraints:\nlibraries:\nservices:\n",
    ),
    ("manifest", false, "# nothing\n"),
    ("manifest", false, "- a\n"),
    ("manifest", false, "libraries: [a]\n"),
    ("manifest", false, "libraries: {groupz: {}}\n"),
    ("manifest", false, "project: {name: x, owner: me}\n"),
    ("manifest", false, "services: {package_manager: uv}\n"),
    ("manifest", false, "modes: {a: staging}\n"),
    ("manifest", false, "modes: {'../x': dev}\n"),
    ("manifest", false, "constraints: {'a b': '>=1'}\n"),
    (
        "manifest",
        false,
        "libraries: {groups: {g: {strategy: 2-of-N}}}\n",
    ),
    (
        "manifest",
        false,
        "libraries: {groups: {g: {selection: {a: 1}}}}\n",
    ),
    (
        "manifest",
        false,
        "libraries: {groups: {g: {selection: ../x}}}\n",
    ),
    (
        "manifest",
        false,
        "libraries: {groups: {g: {selction: a}}}\n",
    ),
    (
        "manifest",
        false,
        "libraries: {groups: {g: {mode: debug}}}\n",
    ),
    (
        "manifest",
        false,
        "libraries: {standalone: [{name: b, mood: dev}]}\n",
    ),
    (
        "manifest",
        false,
        "libraries: {standalone: [{mode: dev}]}\n",
    ),
    ("manifest", false, "libraries: {standalone: [../x]}\n"),
    ("manifest", false, "libraries: {standalone: [[a]]}\n"),
    ("manifest", false, "registry: [a]\n"),
    ("manifest", false, "unknown: 1\n"),
    // ---- libraries/<name>.yaml
    ("library", true, "name: subject\n"),
    (
        "library",
        true,
        "name: subject\ndescription: d\nversion: 1.2.3\npackage: subject-py\ntype: library\n",
    ),
    ("library", true, "name: subject\nversion: 1.10\n"),
    ("library", true, "name: subject\nversion: 3\n"),
    (
        "library",
        true,
        "name: subject\nsources: null\nrequires: null\nconflicts: null\nimplies: null\nversions: null\ndependencies: null\nentrypoints: null\n",
    ),
    (
        "library",
        true,
        "name: subject\nsources: {prod: null, dev: null}\n",
    ),
    (
        "library",
        true,
        "name: subject\nsources:\n  prod: {type: pypi, version: '>=1,<2'}\n  dev: {type: local, path: packages/x, editable: true}\n",
    ),
    (
        "library",
        true,
        "name: subject\nsources:\n  prod: {type: git, url: 'https://x/y.git', ref: v1, subdirectory: sub}\n  dev: {type: git, url: u, tag: t, rev: r, branch: b}\n",
    ),
    (
        "library",
        true,
        "name: subject\nsources: {prod: {type: pypi, name: legacy-name, version: 2}}\n",
    ),
    (
        "library",
        true,
        "name: subject\nsources: {prod: {type: docker-image, image: i, container_name: cc, network_aliases: [a], ports: ['80:80', 9000], volumes: ['v:/data'], env: {A: x, N: 1, B: true}, env_file: a.env}}\n",
    ),
    (
        "library",
        true,
        "name: subject\nsources: {prod: {type: build, path: ., dockerfile: D, env_file: [a.env, b.env]}}\n",
    ),
    (
        "library",
        true,
        "name: subject\nrequires: {b: '>=1'}\nconflicts: [b]\n",
    ),
    (
        "library",
        true,
        "name: subject\nimplies: {service:y: {params: {k: v}}, service_group:sg: y, library:b: null}\n",
    ),
    (
        "library",
        true,
        "name: subject\nversions:\n  - {version: 1.0.0, description: d}\n  - {version: 0.9.0, requires: {b: '*'}, conflicts: [], implies: {}, sources: {prod: {type: pypi}}}\n",
    ),
    (
        "library",
        true,
        "name: subject\ndependencies: [a, {name: b}]\nentrypoints: {cli: 'x:main'}\n",
    ),
    ("library", false, "version: 1.0.0\n"),
    ("library", false, "name: 1\n"),
    ("library", false, "name: ../evil\n"),
    ("library", false, "name: subject\nbogus: 1\n"),
    ("library", false, "name: subject\ndescription: [a]\n"),
    ("library", false, "name: subject\nversion: [1]\n"),
    (
        "library",
        false,
        "name: subject\nsources: {staging: {type: pypi}}\n",
    ),
    (
        "library",
        false,
        "name: subject\nsources: {prod: {url: x}}\n",
    ),
    (
        "library",
        false,
        "name: subject\nsources: {prod: {type: npm}}\n",
    ),
    (
        "library",
        false,
        "name: subject\nsources: {prod: {type: pypi, bogus: 1}}\n",
    ),
    (
        "library",
        false,
        "name: subject\nsources: {prod: {type: pypi, editable: 'maybe'}}\n",
    ),
    (
        "library",
        false,
        "name: subject\nsources: {prod: {type: pypi, env: {A: null}}}\n",
    ),
    (
        "library",
        false,
        "name: subject\nsources: {prod: {type: pypi, env: {A: [1]}}}\n",
    ),
    (
        "library",
        false,
        "name: subject\nsources: {prod: {type: pypi, env_file: {a: b}}}\n",
    ),
    (
        "library",
        false,
        "name: subject\nsources: {prod: {type: pypi, ports: 80}}\n",
    ),
    ("library", false, "name: subject\nsources: [a]\n"),
    ("library", false, "name: subject\nrequires: {b: [1]}\n"),
    ("library", false, "name: subject\nconflicts: b\n"),
    ("library", false, "name: subject\nimplies: {y: null}\n"),
    (
        "library",
        false,
        "name: subject\nimplies: {deployment:y: null}\n",
    ),
    ("library", false, "name: subject\nimplies: [service:y]\n"),
    (
        "library",
        false,
        "name: subject\nversions: [{requires: {}}]\n",
    ),
    (
        "library",
        false,
        "name: subject\nversions: [{version: 1.0.0, bogus: 1}]\n",
    ),
    ("library", false, "name: subject\nentrypoints: {a: [1]}\n"),
    ("library", false, "name: subject\ncontainer_name: c\n"),
    (
        "library",
        false,
        "name: subject\npackage: 'qdrant client'\n",
    ),
    (
        "library",
        false,
        "name: subject\npackage: \"qdrant-client; python_version > '3.8'\"\n",
    ),
    ("library", false, "name: subject\npackage: qdrant-client-\n"),
    // ---- services/<name>.yaml
    ("service", true, "name: subject\n"),
    (
        "service",
        true,
        "name: subject\ntype: service\ndescription: d\nversion: 16.4\ncontainer_name: db\nnetwork_aliases: [a]\nports: ['8080:80', 5432]\nvolumes: ['data:/data']\nenv: {A: x, N: 1}\nenv_file: [a.env, b.env]\n",
    ),
    (
        "service",
        true,
        "name: subject\nhealthcheck: {test: [CMD, 'true'], interval: 5s, retries: 3}\ncommand: [serve, --port, 80]\n",
    ),
    (
        "service",
        true,
        "name: subject\nsources:\n  prod: {type: docker-image, image: 'x:1'}\n  dev: {type: build, path: ., dockerfile: Dockerfile.dev}\n",
    ),
    (
        "service",
        true,
        "name: subject\ndeployment_profiles:\n  default: {mode: managed, runtime: docker}\n  ext: {mode: external, external: {host: h, port: 6333}}\n  other: {runtime: uv}\n  empty: {}\n",
    ),
    (
        "service",
        true,
        "name: subject\ndeployment_profiles: {dev: {env: {A: b}, command: x, working_dir: /w, container_name: c, ports: ['1:1']}}\n",
    ),
    (
        "service",
        true,
        "name: subject\ndeployment_profiles: {p: {runtime: pixi}, q: {runtime: venv}, r: {runtime: podman}}\n",
    ),
    (
        "service",
        true,
        "name: subject\nenv_file: a.env\nenv: null\nports: null\nvolumes: null\nnetwork_aliases: null\n",
    ),
    (
        "service",
        true,
        "name: subject\nlibrary_groups: {}\ndependencies: [a, {name: b, version: '*'}]\n",
    ),
    (
        "service",
        true,
        "name: subject\nrequires: {b: '^1'}\nimplies: {library:b: null}\nversions: [{version: 2.0.0}]\n",
    ),
    (
        "service",
        true,
        "name: subject\ndeployment_profiles: null\n",
    ),
    (
        "service",
        false,
        "name: subject\ndeployment_profiles: {default: null}\n",
    ),
    (
        "service",
        false,
        "name: subject\ndeployment_profiles: {default: {mode: null}}\n",
    ),
    (
        "service",
        false,
        "name: subject\ndeployment_profiles: {default: {mode: hosted}}\n",
    ),
    (
        "service",
        false,
        "name: subject\ndeployment_profiles: {default: {runtime: k8s}}\n",
    ),
    (
        "service",
        false,
        "name: subject\ndeployment_profiles: {default: {bogus: 1}}\n",
    ),
    (
        "service",
        false,
        "name: subject\ndeployment_profiles: [default]\n",
    ),
    (
        "service",
        true,
        "name: subject\ncontainer_name: '${PROJECT}-db'\nenv: {discovery.type: single-node, _X: 1}\nhealthcheck: {test: 'pg_isready', x-note: 1}\ncommand: serve\n",
    ),
    ("service", false, "name: subject\ncontainer_name: c\n"),
    ("service", false, "name: subject\ncontainer_name: 'my db'\n"),
    (
        "service",
        false,
        "name: subject\ncontainer_name: \"db\\n\"\n",
    ),
    (
        "service",
        false,
        "name: subject\nsources: {prod: {type: docker-image, image: x, container_name: 'a/b'}}\n",
    ),
    (
        "service",
        false,
        "name: subject\nnetwork_aliases: ['my db']\n",
    ),
    ("service", false, "name: subject\nenv: {'MY KEY': x}\n"),
    ("service", false, "name: subject\nenv: {A-B: x}\n"),
    ("service", false, "name: subject\nenv: {A: \"x\\ny\"}\n"),
    (
        "service",
        false,
        "name: subject\nsources: {dev: {type: build, env: {'1A': x}}}\n",
    ),
    (
        "service",
        false,
        "name: subject\nhealthcheck: 'curl -f localhost'\n",
    ),
    (
        "service",
        false,
        "name: subject\nhealthcheck: {test: [CMD, 'true'], interval: 5s, bogus: 1}\n",
    ),
    (
        "service",
        false,
        "name: subject\nhealthcheck: {test: {a: b}}\n",
    ),
    ("service", false, "name: subject\ncommand: {serve: 80}\n"),
    ("service", false, "name: subject\ncommand: [serve, [80]]\n"),
    ("service", false, "name: subject\nports: 8080\n"),
    ("service", false, "name: subject\nenv_file: {a: b}\n"),
    ("service", false, "name: subject\nenv: [A]\n"),
    ("service", false, "name: subject\npackage: x\n"),
    ("service", false, "name: subject\nentrypoints: {}\n"),
    (
        "service",
        false,
        "name: subject\norchestration: {service_name: x}\n",
    ),
    (
        "service",
        false,
        "name: subject\nsources: {prod: {type: docker-image, image: x, build: .}}\n",
    ),
    // ---- library_groups/ and service_groups/
    (
        "group",
        true,
        "name: g\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - opt-a\n  - {name: opt-b, description: d, implies: {service:y: null}}\ndefault: opt-a\ncomment: c\ndescription: d\n",
    ),
    (
        "group",
        true,
        "name: g\ntype: library_group\nstrategy: M-of-N\noptions: [opt-a, opt-b]\ndefault: [opt-a, opt-b]\n",
    ),
    (
        "group",
        true,
        "name: g\ntype: service_group\nstrategy: 1-of-N\noptions: [{name: y, implies: null, description: null}]\ndefault: null\ncomment: null\n",
    ),
    (
        "group",
        false,
        "name: g\nstrategy: 1-of-N\noptions: [opt-a]\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: library_group\noptions: [opt-a]\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: group\nstrategy: 1-of-N\noptions: [opt-a]\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: library_group\nstrategy: any\noptions: [opt-a]\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: [{description: x}]\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: [{name: opt-a, bogus: 1}]\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: [opt-a]\ndefault: {opt-a: 1}\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: [opt-a]\nchoices: []\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: ['../x']\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: [opt-a]\ndefault: ../x\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: library_group\nstrategy: M-of-N\noptions: [opt-a]\ndefault: [opt-a, '../x']\n",
    ),
    (
        "group",
        false,
        "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: [{name: opt-a, implies: {opt-b: null}}]\n",
    ),
];

#[test]
fn schemas_and_hsm_agree_on_every_key() {
    require!("check-jsonschema");
    let schemas = Schemas::new();
    let dir = tempfile::tempdir().unwrap();
    for kind in KINDS {
        let cases: Vec<(bool, &str)> = BATTERY
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, ok, text)| (*ok, *text))
            .collect();
        assert!(cases.len() >= 10, "{kind}: {}", cases.len());
        let texts: Vec<&str> = cases.iter().map(|(_, t)| *t).collect();
        let files = write_docs(dir.path(), kind, &texts);
        // The schema and hsm's loader agree...
        if kind == "manifest" {
            assert_agreement(&schemas, kind, &files, manifest_verdict);
        } else {
            assert_agreement(&schemas, kind, &files, |t| registry_verdict(kind, t));
        }
        // ...and both say what the battery expects.
        let rejected: BTreeSet<PathBuf> = schemas
            .rejected(kind, &files)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        for ((ok, text), file) in cases.iter().zip(&files) {
            assert_eq!(
                !rejected.contains(file),
                *ok,
                "{kind}: expected {}:\n{text}",
                if *ok { "accepted" } else { "rejected" }
            );
        }
    }
}

/// An unknown key is rejected by the schema (`additionalProperties: false`), like hsm does,
/// at every level of every kind.
#[test]
fn unknown_keys_are_rejected_everywhere() {
    require!("check-jsonschema");
    let schemas = Schemas::new();
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        ("manifest", "typo: 1\n"),
        ("manifest", "project: {typo: 1}\n"),
        ("manifest", "libraries: {typo: 1}\n"),
        ("manifest", "services: {typo: 1}\n"),
        ("manifest", "services: {groups: {g: {typo: 1}}}\n"),
        ("manifest", "services: {standalone: [{name: a, typo: 1}]}\n"),
        ("library", "name: subject\ntypo: 1\n"),
        ("library", "name: subject\nsources: {typo: 1}\n"),
        (
            "library",
            "name: subject\nsources: {prod: {type: pypi, typo: 1}}\n",
        ),
        (
            "library",
            "name: subject\nversions: [{version: 1.0.0, typo: 1}]\n",
        ),
        ("service", "name: subject\ntypo: 1\n"),
        (
            "service",
            "name: subject\ndeployment_profiles: {p: {typo: 1}}\n",
        ),
        (
            "service",
            "name: subject\nsources: {dev: {type: build, typo: 1}}\n",
        ),
        (
            "group",
            "name: g\ntype: library_group\nstrategy: 1-of-N\ntypo: 1\n",
        ),
        (
            "group",
            "name: g\ntype: library_group\nstrategy: 1-of-N\noptions: [{name: opt-a, typo: 1}]\n",
        ),
    ];
    for (i, (kind, text)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("unknown-{i}.yaml"));
        std::fs::write(&file, text).unwrap();
        let rejected = schemas.rejected(kind, std::slice::from_ref(&file));
        assert_eq!(rejected.len(), 1, "{kind} schema accepts:\n{text}");
        assert!(
            rejected[0].1.contains("'typo' was unexpected"),
            "{kind}: {rejected:?}"
        );
        let hsm = if *kind == "manifest" {
            manifest_verdict(text)
        } else {
            registry_verdict(kind, text)
        };
        let err = hsm.expect_err(text);
        assert!(err.contains("typo"), "{err}");
    }
}

// ------------------------------------------------------------ the original hsm's files

/// Reference §3.5 (as its CLI wrote them) and §3.6 (its docs).
const ORIGINAL_LIBRARIES: &[&str] = &[
    "name: test-pkg\nversion: 1.2.3\ndescription: Test description\ntype: library\nsources:\n  prod:\n    type: git\n    url: https://github.com/test/test.git\n  dev: null\n",
    "name: neo4j-client\nversion: 0.1.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: local\n    path: libs/neo4j-client\n  dev:\n    type: local\n    path: libs/neo4j-client\n    editable: true\n",
    "name: my-lib\nversion: 0.1.0\ndescription: Local library my-lib\ntype: library\nsources:\n  prod:\n    type: local\n    path: packages/my-lib\n  dev:\n    type: local\n    path: packages/my-lib\n    editable: true\n",
    "name: auth-service\nversion: 1.0.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: git\n    url: file:///tmp/x/auth_repo\n  dev: null\nimplies:\n  service:postgres:\n    params:\n      db_name: auth_db\n",
    "name: \"qdrant-adapter\"\nversion: \"1.0.0\"\nsources:\n  prod:\n    type: \"git\"\n    url: \"https://github.com/my-org/qdrant-adapter.git\"\n    ref: \"v1.0.0\"\n  dev:\n    type: \"local\"\n    path: \"./packages/qdrant-adapter\"\n    editable: true\n",
    "name: test-pkg\nversion: 0.1.0\ndescription: null\ntype: library\nsources:\n  prod:\n    type: pypi\n    name: requests\n  dev: null\n",
];

const ORIGINAL_SERVICES: &[&str] = &[
    "name: web-server\ndescription: null\ntype: service\ncontainer_name: null\nnetwork_aliases: []\nports:\n- 8080:80\nvolumes: []\nenv: {}\nenv_file: []\nsources:\n  prod:\n    type: docker-image\n    image: nginx:latest\n  dev: null\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n    runtime: docker\n",
    "name: env-svc\ndescription: null\ntype: service\ncontainer_name: null\nnetwork_aliases: []\nports: []\nvolumes: []\nenv: {}\nenv_file:\n- shared.env\nsources:\n  prod:\n    type: docker-image\n    image: redis:7\n    env_file:\n    - prod.env\n  dev:\n    type: build\n    path: services/env-svc\n    dockerfile: null\n    env_file:\n    - dev.env\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n    runtime: docker\n",
    "name: my-service\ndescription: Local service my-service\ntype: service\ncontainer_name: null\nnetwork_aliases: []\nports: []\nvolumes: []\nenv: {}\nenv_file: []\nsources:\n  prod:\n    type: local\n    path: services/my-service\n  dev:\n    type: local\n    path: services/my-service\ndependencies: []\ndeployment_profiles:\n  default:\n    mode: managed\n    runtime: uv\n",
    "name: \"qdrant\"\ntype: \"service\"\ncontainer_name: \"vector-db\" # Logical service name in compose\nsources:\n  prod:\n    type: \"docker-image\"\n    image: \"qdrant/qdrant:latest\"\n  dev:\n    type: \"git\"\n    url: \"https://github.com/qdrant/qdrant.git\"\n    volumes:\n      - \"./qdrant_data:/var/lib/qdrant\"\n",
    "name: qdrant\ndeployment_profiles:\n  external-corp:\n    mode: external\n    external:\n      host: \"10.0.0.50\"\n      port: 6333\n",
];

/// V1 (reference §3.6): `orchestration` belongs to no current model.
const ORIGINAL_V1_SERVICES: &[&str] = &[
    "name: \"qdrant\"\ntype: \"container\"\norchestration:\n  service_name: \"vector-db\"\nsources:\n  prod:\n    type: \"docker-image\"\n    image: \"qdrant/qdrant:latest\"\n",
];

const ORIGINAL_GROUPS: &[&str] = &[
    "name: test-group\ntype: library_group\nstrategy: 1-of-N\noptions:\n- name: opt1\n- name: opt2\n",
    "name: \"vector-db-client\"\ntype: \"library_group\"\nstrategy: \"1-of-N\"\ncomment: \"Group for vector database clients\" # This will appear in hsm.yaml\noptions:\n  - name: \"qdrant-adapter\"\n    description: \"Client for Qdrant\"\n  - name: \"milvus-adapter\"\n    description: \"Client for Milvus\"\n",
];

/// Reference §10.1 and §10.2.
const ORIGINAL_MANIFESTS: &[&str] = &[
    "project:\n  name: \"my-rag-app\"\n\n# Группы библиотек\nlibraries:\n  groups:\n    vector-db:\n      strategy: 1-of-N\n      selection: qdrant-adapter\n\n# Группы сервисов\nservices:\n  groups:\n    infra:\n      strategy: M-of-N\n      selection: [\"postgres\", \"redis\"]\n\nmodes:\n  qdrant-adapter: dev\n  postgres: prod\n  redis: prod\n",
    "libraries:\n  standalone:\n    - name: my-utils\n      mode: dev  # Явное намерение использовать локальный код\nservices:\n  groups:\n    databases:\n      selection: postgres\n      # Режим прописывается для выбранной опции\n      mode: prod \n",
    "libraries:\n  standalone:\n    - auth-service\n    - billing-service\n",
    "services:\n  groups:\n    vector-db:\n      selection: qdrant\n      profile: external-corp\n",
    "services:\n  groups:\n    chunker-service:\n      selection: local-chunker\n      profile: managed-dev\n    \n    vector-db-service:\n      selection: qdrant\n      profile: external-prod\n",
    "libraries:\n  standalone:\n    - name: neo4j-client\n      mode: dev\nservices:\n  groups:\n    graph-services:\n      selection: graph-builder-service\n      profile: managed-dev\n      mode: dev\n",
];

#[test]
fn what_init_commands_write_matches() {
    require!("check-jsonschema", "uv");
    let t = Test::new().offline_uv();
    t.hsm(&["init", "--name", "demo"]).success();
    t.hsm(&["library", "init", "lib"]).success();
    t.hsm(&["service", "init", "svc-docker"]).success();
    t.hsm(&["service", "init", "svc-uv", "--runtime", "uv"])
        .success();
    let schemas = Schemas::new();
    schemas.assert_valid("manifest", &[t.path().join("hsm.yaml")]);
    schemas.assert_valid(
        "library",
        &[t.path().join("hsm-registry/libraries/lib.yaml")],
    );
    schemas.assert_valid(
        "service",
        &[
            t.path().join("hsm-registry/services/svc-docker.yaml"),
            t.path().join("hsm-registry/services/svc-uv.yaml"),
        ],
    );
}
