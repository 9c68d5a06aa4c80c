//! `hsm render kubernetes`: the solved stack as a kustomize directory, checked with the
//! real tools: `kubectl kustomize` builds both overlays and `kubernetes-validate --strict`
//! accepts every object for the oldest and the newest Kubernetes version it ships.

use std::path::Path;
use std::process::Command;

use crate::common;

use common::{Test, quick_start, tool};

const OUT: &str = "deploy/kubernetes";

/// Give every Secret its file: each key of `secrets/<service>.env.example` with a dummy
/// value (what a user does before `kubectl apply -k`).
fn fill_secrets(t: &Test) {
    let dir = t.path().join(OUT).join("base/secrets");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(service) = name.strip_suffix(".env.example") {
            let text = std::fs::read_to_string(e.path()).unwrap();
            let values: String = text
                .lines()
                .filter(|l| !l.starts_with('#') && l.ends_with('='))
                .map(|l| format!("{l}dummy-{service}\n"))
                .collect();
            std::fs::write(dir.join(format!("{service}.env")), values).unwrap();
        }
    }
}

/// `kubectl kustomize` of an overlay: the objects `kubectl apply -k` would send.
#[track_caller]
fn kustomize(t: &Test, overlay: &str) -> String {
    let out = Command::new(tool("kubectl"))
        .args(["kustomize", &format!("{OUT}/overlays/{overlay}")])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl kustomize {overlay} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The oldest and the newest Kubernetes version kubernetes-validate ships schemas for.
fn validator_versions() -> (String, String) {
    let out = Command::new(tool("python3"))
        .args([
            "-c",
            "import kubernetes_validate, os\n\
             d = os.path.join(os.path.dirname(kubernetes_validate.__file__), 'kubernetes-json-schema')\n\
             v = sorted({n.split('-')[0][1:] for n in os.listdir(d) if n.startswith('v')}, key=lambda s: tuple(map(int, s.split('.'))))\n\
             print(v[0], v[-1])",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut words = text.split_whitespace();
    (
        words.next().expect("oldest version").to_string(),
        words.next().expect("newest version").to_string(),
    )
}

/// `kubernetes-validate --strict` of `objects` for `version`, and every kind one Kubernetes
/// knows (the validator only warns on unknown kinds).
#[track_caller]
fn validate(t: &Test, objects: &str, version: &str) {
    let file = t.path().join(format!("objects-{version}.yaml"));
    std::fs::write(&file, objects).unwrap();
    let out = Command::new(tool("kubernetes-validate"))
        .args(["--strict", "--quiet", "-k", version])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(
        out.status.success(),
        "kubernetes-validate {version}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for line in objects.lines().filter(|l| l.starts_with("kind: ")) {
        let kind = &line["kind: ".len()..];
        assert!(
            [
                "Deployment",
                "StatefulSet",
                "Service",
                "ConfigMap",
                "Secret"
            ]
            .contains(&kind),
            "unexpected kind {kind}"
        );
    }
}

/// Every file under the rendered directory, concatenated (for "nothing leaks" checks).
fn rendered_text(dir: &Path) -> String {
    let mut out = String::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if !p.to_string_lossy().ends_with(".env") {
                out.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn the_quick_start_and_the_milvus_swap_render_and_validate() {
    require!("kubectl", "kubernetes-validate", "python3");
    let (oldest, newest) = validator_versions();
    for adapter in ["qdrant-adapter", "milvus-adapter"] {
        let t = Test::new().manifest(&quick_start(adapter));
        let out = t.hsm(&["render", "kubernetes"]);
        out.success();
        if adapter == "qdrant-adapter" {
            hsm_snapshot!(out, @"
            success: true
            exit_code: 0
            ----- stdout -----
            Rendered the stack for Kubernetes in deploy/kubernetes: 4 files written, 0 removed
            Apply with `kubectl apply -k deploy/kubernetes/overlays/prod` (or `overlays/dev`).

            ----- stderr -----
            ");
        }
        fill_secrets(&t);
        for overlay in ["dev", "prod"] {
            let objects = kustomize(&t, overlay);
            for version in [&oldest, &newest] {
                validate(&t, &objects, version);
            }
            let namespace = if overlay == "dev" { "demo-dev" } else { "demo" };
            assert!(
                objects.contains(&format!("namespace: {namespace}")),
                "{objects}"
            );
        }
    }
}

#[test]
fn the_objects_follow_the_stack() {
    let t = Test::new().manifest(&quick_start("milvus-adapter"));
    t.hsm(&["render", "kubernetes"]).success();
    let milvus = t.read(&format!("{OUT}/base/milvus.yaml"));
    // A service with a named volume is a StatefulSet with a claim template per volume.
    assert!(milvus.contains("kind: StatefulSet"), "{milvus}");
    assert!(milvus.contains("volumeClaimTemplates:"), "{milvus}");
    assert!(milvus.contains("name: milvus-data"), "{milvus}");
    assert!(milvus.contains("storage: 10Gi"), "{milvus}");
    // depends_on: init containers that wait for each dependency's Service.
    assert!(milvus.contains("name: wait-for-etcd"), "{milvus}");
    assert!(milvus.contains("name: wait-for-minio"), "{milvus}");
    assert!(milvus.contains("nc -z -w 2 minio 9000"), "{milvus}");
    // Probes from the healthcheck.
    assert!(milvus.contains("readinessProbe:"), "{milvus}");
    assert!(milvus.contains("livenessProbe:"), "{milvus}");
    assert!(milvus.contains("http://localhost:9091/healthz"), "{milvus}");
    // The alias `vector-db` is a Service too.
    assert!(milvus.contains("name: vector-db\n"), "{milvus}");
    // etcd publishes no port but milvus waits for it: a headless Service.
    let etcd = t.read(&format!("{OUT}/base/etcd.yaml"));
    assert!(etcd.contains("kind: Service"), "{etcd}");
    assert!(etcd.contains("clusterIP: None"), "{etcd}");
    // Re-rendering an unchanged stack writes nothing.
    let before = t.tree();
    let again = t.hsm(&["render", "kubernetes"]);
    again.success();
    assert!(again.stdout.contains("is up to date"), "{}", again.stdout);
    assert_eq!(t.tree(), before);
}

#[test]
fn kustomize_hashes_the_generated_names_and_the_references_follow() {
    require!("kubectl");
    let t = Test::new().manifest("project: {name: shop}\nservices:\n  standalone: [postgres]\n");
    t.hsm(&["render", "kubernetes"]).success();
    fill_secrets(&t);
    let objects = kustomize(&t, "prod");
    for base in ["postgres-config", "postgres-secret"] {
        let hashed: Vec<&str> = objects
            .lines()
            .filter_map(|l| l.trim().strip_prefix("name: "))
            .filter(|n| n.starts_with(&format!("{base}-")))
            .collect();
        assert!(
            hashed.len() >= 2,
            "{base} is not defined and referenced: {objects}"
        );
        assert!(hashed.iter().all(|n| *n == hashed[0]), "{hashed:?}");
    }
}

#[test]
fn no_secret_value_is_ever_written() {
    let t = Test::new()
        .registry_file(
            "services/api.yaml",
            "name: api\nversion: 1.0.0\nports: [\"8080:80\"]\nenv_file: [api.env]\nenv:\n  LOG_LEVEL: info\n  TOKEN: \"${API_TOKEN}\"\nsources:\n  prod: {type: docker-image, image: \"example/api:1.0\"}\n",
        )
        .file("api.env", "DB_PASSWORD=s3cr3t-from-file\n")
        .env("API_TOKEN", "s3cr3t-from-the-shell")
        .manifest("services:\n  standalone: [api]\n");
    t.hsm(&["render", "kubernetes"]).success();
    let all = rendered_text(&t.path().join(OUT));
    assert!(!all.contains("s3cr3t"), "{all}");
    let example = t.read(&format!("{OUT}/base/secrets/api.env.example"));
    assert!(example.contains("\nDB_PASSWORD=\n"), "{example}");
    assert!(example.contains("\nTOKEN=\n"), "{example}");
    let kustomization = t.read(&format!("{OUT}/base/kustomization.yaml"));
    assert!(kustomization.contains("LOG_LEVEL=info"), "{kustomization}");
    assert_eq!(
        t.read(&format!("{OUT}/base/secrets/.gitignore"))
            .lines()
            .last(),
        Some("*.env")
    );
}

#[test]
fn a_service_only_built_from_source_needs_an_image() {
    let t = Test::new()
        .registry_file(
            "services/api.yaml",
            "name: api\nversion: 1.0.0\nports: [\"8080\"]\nsources:\n  dev: {type: build, path: api}\n",
        )
        .file("api/Dockerfile", "FROM scratch\n")
        .manifest("project: {name: shop}\nservices:\n  standalone: [{name: api, mode: dev}]\n");
    let before = t.tree();
    let out = t.hsm(&["render", "kubernetes"]);
    out.failure();
    assert_eq!(t.tree(), before, "a refused render wrote something");
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: service `api` is only built from source; a cluster needs an image to pull
       ╭─[hsm-registry/services/api.yaml:5:22]
     4 │ sources:
     5 │   dev: {type: build, path: api}
       ·                      ──┬─
       ·                        ╰── a build, not an image
       ╰────
      help: push the image you build and pass it: `hsm render kubernetes --image api=REGISTRY/api:TAG`, or give the service a prod source `{type: docker-image, image: ...}`
    ");
    t.hsm(&[
        "render",
        "kubernetes",
        "--image",
        "api=ghcr.io/shop/api:1.0",
    ])
    .success();
    assert!(
        t.read(&format!("{OUT}/base/api.yaml"))
            .contains("image: ghcr.io/shop/api:1.0")
    );
    // The dev overlay runs what a dev build produces, tagged by the project.
    let dev = t.read(&format!("{OUT}/overlays/dev/kustomization.yaml"));
    assert!(dev.contains("name: ghcr.io/shop/api\n"), "{dev}");
    assert!(dev.contains("newName: shop-api\n"), "{dev}");
    assert!(dev.contains("newTag: dev\n"), "{dev}");
}

#[test]
fn external_services_are_not_rendered_and_gpu_servers_ask_for_a_gpu() {
    let t = Test::new().manifest(
        "project: {name: llm}\nservices:\n  standalone: [vllm, {name: postgres, profile: external}]\n",
    );
    t.hsm(&["render", "kubernetes"]).success();
    assert!(!t.exists(&format!("{OUT}/base/postgres.yaml")));
    let vllm = t.read(&format!("{OUT}/base/vllm.yaml"));
    assert!(vllm.contains("nvidia.com/gpu: \"1\""), "{vllm}");
}

#[test]
fn only_files_hsm_wrote_are_replaced_or_removed() {
    let t = Test::new().manifest(&quick_start("milvus-adapter")).file(
        &format!("{OUT}/overlays/staging/kustomization.yaml"),
        "resources: [../../base]\n",
    );
    t.hsm(&["render", "kubernetes"]).success();
    // Swapping milvus for qdrant removes milvus's files, never the user's overlay.
    t.hsm(&[
        "group",
        "add",
        "vector-db-adapter",
        "--option",
        "qdrant-adapter",
    ])
    .success();
    let out = t.hsm(&["render", "kubernetes"]);
    out.success();
    assert!(!t.exists(&format!("{OUT}/base/milvus.yaml")));
    assert!(t.exists(&format!("{OUT}/base/qdrant.yaml")));
    assert!(t.exists(&format!("{OUT}/overlays/staging/kustomization.yaml")));
    // A file of the user's where hsm would write: refused, nothing written.
    std::fs::write(t.path().join(OUT).join("base/qdrant.yaml"), "# mine\n").unwrap();
    let before = t.tree();
    let out = t.hsm(&["render", "kubernetes"]);
    out.failure();
    assert_eq!(t.tree(), before);
    hsm_snapshot!(out, @r"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: deploy/kubernetes/base/qdrant.yaml exists, and hsm did not write it
      help: hsm replaces only the files it wrote in deploy/kubernetes; move deploy/kubernetes/base/qdrant.yaml away, or render elsewhere with `--out DIR`
    ");
}

#[test]
fn out_must_stay_inside_the_project() {
    let t = Test::new().manifest(&quick_start("qdrant-adapter"));
    for out in ["../elsewhere", "/tmp/k8s", ".hsm/x", "."] {
        let run = t.hsm(&["render", "kubernetes", "--out", out]);
        run.failure();
        assert!(run.stderr.contains("--out"), "{}", run.stderr);
    }
}

#[test]
fn a_render_killed_midway_is_rolled_back_by_the_next_command() {
    let t = Test::new().manifest(&quick_start("milvus-adapter"));
    t.hsm(&["render", "kubernetes"]).success();
    t.hsm(&[
        "group",
        "add",
        "vector-db-adapter",
        "--option",
        "qdrant-adapter",
    ])
    .success();
    let before = t.tree();
    // Abort after the first file of the new render is in place.
    let killed = t
        .command(&["render", "kubernetes"])
        .env("HSM_FAULT", "after-write-2")
        .output()
        .unwrap();
    assert!(!killed.status.success());
    assert_ne!(
        t.tree(),
        before,
        "the fault fired before anything was written"
    );
    // Any next command finds the journal and puts every file back.
    t.hsm(&["list"]);
    assert_eq!(t.tree(), before);
    t.hsm(&["render", "kubernetes"]).success();
    assert!(!t.exists(&format!("{OUT}/base/milvus.yaml")));
}

#[test]
fn frozen_renders_what_hsm_lock_records_and_prod_gets_the_registry_replicas() {
    let t = Test::new()
        .registry_file(
            "services/web.yaml",
            "name: web\nversion: 1.0.0\nports: [\"80\"]\nsources:\n  prod: {type: docker-image, image: \"nginx:1.27\"}\nkubernetes:\n  replicas: 3\n  service_type: LoadBalancer\n",
        )
        .manifest("services:\n  standalone: [web]\n");
    let out = t.hsm(&["render", "kubernetes", "--frozen"]);
    out.failure();
    assert!(
        out.stderr.contains("--frozen needs hsm.lock"),
        "{}",
        out.stderr
    );
    t.hsm(&["sync", "--no-install"]).success();
    t.hsm(&["render", "kubernetes", "--frozen"]).success();
    let prod = t.read(&format!("{OUT}/overlays/prod/kustomization.yaml"));
    assert!(
        prod.contains("replicas:\n  - name: web\n    count: 3\n"),
        "{prod}"
    );
    let web = t.read(&format!("{OUT}/base/web.yaml"));
    assert!(web.contains("type: LoadBalancer"), "{web}");
}

#[test]
fn what_render_refuses_says_what_and_how_to_fix_it() {
    let t = Test::new().manifest(&quick_start("qdrant-adapter"));
    let out = t.hsm(&["render", "kubernetes", "--out", "../elsewhere"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: --out ../elsewhere: the directory must be inside the project
      help: give a path relative to the project root without `..`, e.g. `deploy/kubernetes`
    ");
    let out = t.hsm(&["render", "kubernetes", "--image", "qdrant"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: --image qdrant: expected SERVICE=IMAGE
      help: e.g. `--image api=ghcr.io/me/api:1.0`
    ");
    let out = t.hsm(&["render", "kubernetes", "--image", "postgres=postgres:17"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: --image names `postgres`, which is not in the stack
      help: `hsm list` shows the stack's services
    ");
    // Nothing to run on a cluster.
    let t = Test::new().manifest("libraries:\n  standalone: [langchain-qdrant]\nservices:\n  standalone: [{name: qdrant, profile: external}]\n");
    let out = t.hsm(&["render", "kubernetes"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the stack has no service to run on Kubernetes
      help: services on an external profile, or run by uv, are not rendered; add a managed service (`hsm service add NAME`)
    ");
    // A name Kubernetes refuses.
    let t = Test::new()
        .registry_file(
            "services/My_Api.yaml",
            "name: My_Api\nversion: 1.0.0\nsources:\n  prod: {type: docker-image, image: \"example/api:1\"}\n",
        )
        .manifest("services:\n  standalone: [My_Api]\n");
    let out = t.hsm(&["render", "kubernetes"]);
    out.failure();
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the name `My_Api` of service `My_Api` is not a valid Kubernetes name
       ╭─[hsm-registry/services/My_Api.yaml:1:1]
     1 │ name: My_Api
       · ──┬─
       ·   ╰── not a Kubernetes name
     2 │ version: 1.0.0
       ╰────
      help: Kubernetes names are lowercase letters, digits and `-` (at most 63, not starting or ending with `-`); rename it in the registry
    ");
}

/// Killed after each write of a render in turn: the next command puts every file back,
/// whichever instant it was.
#[test]
fn a_render_killed_after_any_write_is_rolled_back() {
    let t = Test::new().manifest(&quick_start("milvus-adapter"));
    t.hsm(&["render", "kubernetes"]).success();
    t.hsm(&[
        "group",
        "add",
        "vector-db-adapter",
        "--option",
        "qdrant-adapter",
    ])
    .success();
    let before = t.tree();
    let mut fired = 0;
    for n in 1..=20 {
        let killed = t
            .command(&["render", "kubernetes"])
            .env("HSM_FAULT", format!("after-write-{n}"))
            .output()
            .unwrap();
        if killed.status.success() {
            // Fewer writes than n: the render finished; undo it for the next round.
            break;
        }
        fired += 1;
        t.hsm(&["list"]);
        assert_eq!(t.tree(), before, "not rolled back after write {n}");
    }
    assert!(fired >= 3, "only {fired} fault points fired");
}

/// A planted link where hsm renders: nothing is created outside the project.
#[test]
fn a_linked_output_directory_is_refused_before_anything_is_created() {
    let outside = tempfile::tempdir().unwrap();
    let t = Test::new().manifest(&quick_start("qdrant-adapter"));
    std::os::unix::fs::symlink(outside.path(), t.path().join("deploy")).unwrap();
    let out = t.hsm(&["render", "kubernetes"]);
    out.failure();
    assert!(
        std::fs::read_dir(outside.path()).unwrap().next().is_none(),
        "hsm created something outside the project"
    );
    hsm_snapshot!(out, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm will not write deploy/kubernetes/base/kustomization.yaml: path `deploy/kubernetes/base/kustomization.yaml` goes through a symbolic link
      help: make deploy/kubernetes a plain directory of the project, or render elsewhere with `--out DIR`
    ");
}

/// A network alias Kubernetes refuses is cited where the registry writes it.
#[test]
fn a_name_kubernetes_refuses_is_cited_where_it_is_written() {
    let t = Test::new()
        .registry_file(
            "services/web.yaml",
            "name: web\nversion: 1.0.0\nports: [\"80\"]\nnetwork_aliases: [Front_End]\nvolumes: [\"Web_Data:/data\"]\nsources:\n  prod: {type: docker-image, image: \"nginx:1\"}\n",
        )
        .manifest("services:\n  standalone: [web]\n");
    let out = t.hsm(&["render", "kubernetes"]);
    out.failure();
    hsm_snapshot!(out, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the volume `Web_Data` of service `web` is not a valid Kubernetes name
       ╭─[hsm-registry/services/web.yaml:5:11]
     4 │ network_aliases: [Front_End]
     5 │ volumes: ["Web_Data:/data"]
       ·           ────────┬───────
       ·                   ╰── not a Kubernetes name
     6 │ sources:
       ╰────
      help: Kubernetes names are lowercase letters, digits and `-` (at most 63, not starting or ending with `-`); rename it in the registry
    "#);
    // With the volume renamed, the alias is cited at its own line.
    let file = t.path().join("hsm-registry/services/web.yaml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("Web_Data", "web-data");
    std::fs::write(&file, text).unwrap();
    let out = t.hsm(&["render", "kubernetes"]);
    out.failure();
    assert!(
        out.stderr.contains("network name `Front_End`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("web.yaml:4:"), "{}", out.stderr);
}

/// What render says about secrets still to supply, and about an unchanged stack.
#[test]
fn render_names_the_secrets_still_missing() {
    let t = Test::new().manifest("project: {name: shop}\nservices:\n  standalone: [postgres]\n");
    let out = t.hsm(&["render", "kubernetes"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    Rendered the stack for Kubernetes in deploy/kubernetes: 6 files written, 0 removed
    note: create deploy/kubernetes/base/secrets/postgres.env from deploy/kubernetes/base/secrets/postgres.env.example with the secret values before applying
    Apply with `kubectl apply -k deploy/kubernetes/overlays/prod` (or `overlays/dev`).

    ----- stderr -----
    ");
    std::fs::write(
        t.path().join(OUT).join("base/secrets/postgres.env"),
        "POSTGRES_PASSWORD=x\n",
    )
    .unwrap();
    let out = t.hsm(&["render", "kubernetes"]);
    out.success();
    hsm_snapshot!(out, @"
    success: true
    exit_code: 0
    ----- stdout -----
    deploy/kubernetes is up to date
    Apply with `kubectl apply -k deploy/kubernetes/overlays/prod` (or `overlays/dev`).

    ----- stderr -----
    ");
}
