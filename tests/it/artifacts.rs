//! Artifacts real tools accept: a registry value that docker compose, docker or uv would
//! refuse is refused by hsm first — when the registry file is read, or when the plan puts
//! selected services together — with file:line:column and a fix, and nothing is written.
//!
//! Where the tools this suite runs can tell (docker-compose, the compose-spec schema,
//! validate-pyproject), each case also shows the tool refusing the value as it would have
//! been written before hsm checked it. The rest (a port above 65535, an image name with a
//! space, a relative mount target, two containers of one name) pass `docker-compose config`
//! and fail only at `docker compose up`: hsm refuses them for the same reason.

use crate::common;

use std::process::Command;

use common::{Test, assert_valid_compose, assert_valid_pyproject, ok, refused};

const IMAGE: &str = "sources:\n  prod: {type: docker-image, image: \"nginx:1.27\"}\n";

/// A project selecting the service `web` (and `api`, when given).
fn services(web: &str, api: Option<&str>) -> Test {
    let mut t = Test::new().registry_file("services/web.yaml", web);
    let mut selected = vec!["web"];
    if let Some(api) = api {
        t = t.registry_file("services/api.yaml", api);
        selected.push("api");
    }
    t.manifest(&format!(
        "services:\n  standalone: [{}]\n",
        selected.join(", ")
    ))
}

fn web(extra: &str) -> Test {
    services(&format!("name: web\n{extra}{IMAGE}"), None)
}

/// `hsm check` refuses (a registry file that does not load), writing nothing.
#[track_caller]
fn check_refused(t: &Test) -> common::Output {
    refused(t, &["check"])
}

/// `hsm sync` refuses (the plan), writing nothing.
#[track_caller]
fn sync_refused(t: &Test) -> common::Output {
    refused(t, &["sync", "--no-install"])
}

/// docker-compose or the compose-spec schema refuses a compose file whose service `web`
/// has these lines (indented under it). A missing tool skips this check (`common::require`).
#[track_caller]
fn compose_refuses(service_lines: &str) {
    let dir = tempfile::tempdir().unwrap();
    let body: String = service_lines
        .lines()
        .map(|l| format!("    {l}\n"))
        .collect();
    let text = format!("services:\n  web:\n    image: nginx:1.27\n{body}");
    let path = dir.path().join("docker-compose.yml");
    std::fs::write(&path, &text).unwrap();
    let (Some(compose), Some(check_jsonschema)) = (
        common::require("docker-compose"),
        common::require("check-jsonschema"),
    ) else {
        return;
    };
    let compose = Command::new(compose)
        .arg("-f")
        .arg(&path)
        .args(["config", "-q"])
        .output()
        .unwrap();
    let schema = Command::new(check_jsonschema)
        .args(["--builtin-schema", "vendor.compose-spec"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        !compose.status.success() || !schema.status.success(),
        "both docker-compose and the compose-spec schema accept:\n{text}"
    );
}

/// validate-pyproject refuses a pyproject.toml with this dependency (a missing one skips this check).
#[track_caller]
fn pyproject_refuses(requirement: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pyproject.toml");
    let dep = toml_edit::Value::from(requirement);
    std::fs::write(
        &path,
        format!("[project]\nname = \"x\"\nversion = \"0.1.0\"\ndependencies = [{dep}]\n"),
    )
    .unwrap();
    let Some(validate_pyproject) = common::require("validate-pyproject") else {
        return;
    };
    let out = Command::new(validate_pyproject)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "validate-pyproject accepts {requirement:?}"
    );
}

// ---------------------------------------------------------------- compose values

#[test]
fn container_names() {
    // Both pass `docker-compose config` and the compose-spec schema (its pattern is not
    // anchored); docker refuses them at `up`.
    let err = check_refused(&web("container_name: \"web\\nserver\"\n"));
    hsm_snapshot!("container_name_line_break", err);
    let err = check_refused(&web("container_name: \"web server\"\n"));
    hsm_snapshot!("container_name_space", err);

    // Two containers cannot share a name: a plan error, at the second declaration.
    let t = services(
        &format!("name: web\ncontainer_name: frontend\n{IMAGE}"),
        Some(&format!("name: api\n{IMAGE}    container_name: frontend\n")),
    );
    let err = sync_refused(&t);
    hsm_snapshot!("container_name_twice", err);
}

#[test]
fn healthcheck_and_command_shapes() {
    let err = check_refused(&web("healthcheck: \"curl -f http://localhost\"\n"));
    hsm_snapshot!("healthcheck_string", err);
    compose_refuses("healthcheck: \"curl -f http://localhost\"");
    let err = check_refused(&web(
        "healthcheck:\n  test: [CMD, curl, -f, http://localhost]\n  intervall: 10s\n",
    ));
    hsm_snapshot!("healthcheck_unknown_key", err);
    compose_refuses("healthcheck:\n  test: [CMD, 'true']\n  intervall: 10s");
    let err = check_refused(&web(
        "healthcheck:\n  test: [CMD, 'true']\n  interval: 10\n",
    ));
    hsm_snapshot!("healthcheck_duration", err);
    compose_refuses("healthcheck:\n  test: [CMD, 'true']\n  interval: 10");
    let err = check_refused(&web("command:\n  serve: 8080\n"));
    hsm_snapshot!("command_mapping", err);
    compose_refuses("command: {serve: 8080}");

    // A number in a command list is the text the user wrote: hsm writes it as a string,
    // which compose needs (`[serve, --port, 8080]` is refused as written).
    compose_refuses("command: [serve, --port, 8080]");
    let t =
        web("command: [serve, --port, 8080]\nhealthcheck: {test: [CMD, check, 1], retries: 3}\n");
    ok(&t, &["sync", "--no-install"]);
    let compose = t.read("docker-compose.hsm.yml");
    assert!(compose.contains("- \"8080\""), "{compose}");
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
}

#[test]
fn ports_volumes_and_images() {
    let err = check_refused(&web("ports: [\"web\"]\n"));
    hsm_snapshot!("port_not_a_number", err);
    compose_refuses("ports: [\"web\"]");
    // Passes `docker-compose config`; docker refuses it at `up`.
    let err = check_refused(&web("ports: [\"70000:80\"]\n"));
    hsm_snapshot!("port_out_of_range", err);

    let err = check_refused(&web("volumes: [\"data:/var/lib/x:ro:z\"]\n"));
    hsm_snapshot!("volume_four_parts", err);
    compose_refuses("volumes: [\"data:/var/lib/x:ro:z\"]");
    let err = check_refused(&web("volumes: [\"my data:/var/lib/x\"]\n"));
    hsm_snapshot!("volume_name", err);
    compose_refuses("volumes: [\"my data:/var/lib/x\"]");
    // Both pass `docker-compose config`; docker refuses them at `up`.
    let err = check_refused(&web("volumes: [\"data:var/lib/x\"]\n"));
    hsm_snapshot!("volume_relative_target", err);
    let err = check_refused(&web("volumes: [\"./data:/x:readonly\"]\n"));
    hsm_snapshot!("volume_mode", err);

    // An image reference with a space or an upper-case repository cannot be pulled.
    let err = check_refused(&services(
        "name: web\nsources:\n  prod: {type: docker-image, image: \"nginx latest\"}\n",
        None,
    ));
    hsm_snapshot!("image_space", err);
    let err = check_refused(&services(
        "name: web\nsources:\n  prod: {type: docker-image, image: \"library/Nginx:1.27\"}\n",
        None,
    ));
    hsm_snapshot!("image_upper_case", err);
}

#[test]
fn network_names() {
    let err = check_refused(&web("network_aliases: [\"front end\"]\n"));
    hsm_snapshot!("alias_invalid", err);

    // One alias claimed by two selected services: DNS cannot tell them apart.
    let t = services(
        &format!("name: web\nnetwork_aliases: [frontend]\n{IMAGE}"),
        Some(&format!(
            "name: api\nnetwork_aliases: [backend, frontend]\n{IMAGE}"
        )),
    );
    let err = sync_refused(&t);
    hsm_snapshot!("alias_twice", err);
    // An alias that is another service's name.
    let t = services(
        &format!("name: web\n{IMAGE}"),
        Some(&format!("name: api\nnetwork_aliases: [web]\n{IMAGE}")),
    );
    let err = sync_refused(&t);
    hsm_snapshot!("alias_is_another_service", err);
    // A service's own name as its alias is harmless.
    let t = web("network_aliases: [web, www]\n");
    ok(&t, &["sync", "--no-install"]);
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
}

#[test]
fn env_names_and_line_breaks() {
    let err = check_refused(&web("env:\n  \"MY KEY\": x\n"));
    hsm_snapshot!("env_key_space", err);
    let err = check_refused(&web("env:\n  GREETING: \"hello\\nEXTRA=1\"\n"));
    hsm_snapshot!("env_value_line_break", err);
    let err = check_refused(&services(
        "name: web\nsources:\n  prod:\n    type: docker-image\n    image: nginx:1.27\n    env: {API-KEY: x}\n",
        None,
    ));
    hsm_snapshot!("source_env_key_dash", err);
    let err = check_refused(&web("env_file: \"a.env\\nb.env\"\n"));
    hsm_snapshot!("env_file_line_break", err);

    // Env files: each key a valid name, at file:line:column; no carriage return or NUL.
    let t = web("env_file: app.env\n").file("app.env", "OK=1\nexport MY KEY=2\n");
    hsm_snapshot!("env_file_key", sync_refused(&t));
    let t = web("env_file: app.env\n").file("app.env", "OK=1\nTOKEN=abc\rINJECTED=1\n");
    let err = sync_refused(&t);
    // The code frame shows the line as it is; the snapshot shows the carriage return.
    insta::with_settings!({filters => vec![("\r", "␍")]}, {
        hsm_snapshot!("env_file_carriage_return", err);
    });

    // Implied params become env variables: names and values are checked at the implication.
    let lib = |params: &str| {
        Test::new()
            .registry_file(
                "libraries/client.yaml",
                &format!("name: client\nsources:\n  prod: {{type: pypi}}\nimplies:\n  service:web:\n    params: {params}\n"),
            )
            .registry_file("services/web.yaml", &format!("name: web\n{IMAGE}"))
            .manifest("libraries:\n  standalone: [client]\n")
    };
    let err = check_refused(&lib("{db_name: \"auth\\nEVIL=1\"}"));
    hsm_snapshot!("param_value_line_break", err);
    let err = check_refused(&lib("{db-name: auth}"));
    hsm_snapshot!("param_name", err);
}

#[test]
fn build_sources() {
    let build = |dockerfile: &str| {
        services(
            &format!(
                "name: web\nsources:\n  prod:\n    type: build\n    path: services/web\n{dockerfile}"
            ),
            None,
        )
    };
    // `docker-compose config` refuses a build context that does not exist.
    let err = sync_refused(&build(""));
    hsm_snapshot!("build_context_missing", err);
    compose_refuses("build: {context: ./services/web}");
    let t =
        build("    dockerfile: Dockerfile.dev\n").file("services/web/Dockerfile", "FROM nginx\n");
    hsm_snapshot!("dockerfile_missing", sync_refused(&t));
    let t = build("    dockerfile: Dockerfile.dev\n")
        .file("services/web/Dockerfile.dev", "FROM nginx\n");
    ok(&t, &["sync", "--no-install"]);
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
}

// ---------------------------------------------------------------- Python values

fn library(yaml: &str) -> Test {
    Test::new()
        .registry_file("libraries/client.yaml", yaml)
        .manifest("libraries:\n  standalone: [client]\n")
}

#[test]
fn library_names_and_specifiers() {
    let err = check_refused(&library("name: client\npackage: qdrant client\n"));
    hsm_snapshot!("package_space", err);
    pyproject_refuses("qdrant client");
    let err = check_refused(&library(
        "name: client\npackage: \"qdrant-client; python_version > '3.8'\"\nsources:\n  prod: {type: pypi, version: \">=1.12\"}\n",
    ));
    hsm_snapshot!("package_marker", err);
    pyproject_refuses("qdrant-client; python_version > '3.8'>=1.12");
    let err = check_refused(&library(
        "name: client\nsources:\n  prod: {type: pypi, version: \">=1.12\\nevil\"}\n",
    ));
    hsm_snapshot!("specifier_line_break", err);
    pyproject_refuses("client>=1.12\nevil");
    let err = check_refused(&library(
        "name: client\nsources:\n  prod: {type: pypi, version: \">=1.*\"}\n",
    ));
    hsm_snapshot!("specifier_wildcard", err);
    pyproject_refuses("client>=1.*");
    let err = check_refused(&library(
        "name: client\nsources:\n  prod: {type: pypi, version: latest}\n",
    ));
    hsm_snapshot!("specifier_word", err);
    pyproject_refuses("client==latest");

    // What is accepted is what validate-pyproject accepts.
    let t = library(
        "name: client\nsources:\n  prod: {type: pypi, version: \"~=1.12, !=1.12.3, ==1.*\"}\n",
    );
    ok(&t, &["sync", "--no-install"]);
    assert_valid_pyproject(&t.path().join("pyproject.toml"));
}

#[test]
fn library_sources_uv_can_install() {
    let err = sync_refused(&library(
        "name: client\nsources:\n  prod: {type: git, ref: v1.0.0}\n",
    ));
    hsm_snapshot!("git_without_url", err);
    let t = library(
        "name: client\nsources:\n  prod: {type: pypi}\n  dev: {type: local, path: packages/client, editable: true}\n",
    )
    .manifest("libraries:\n  standalone: [{name: client, mode: dev}]\n");
    hsm_snapshot!("local_path_missing", sync_refused(&t));
    let t = t.file("packages/client/README.md", "not yet a package\n");
    hsm_snapshot!("local_path_not_a_project", sync_refused(&t));
    let t = t.file(
        "packages/client/pyproject.toml",
        "[project]\nname = \"client\"\nversion = \"0.1.0\"\n",
    );
    ok(&t, &["sync", "--no-install"]);
}

// ---------------------------------------------------------------- pyproject.toml shapes

fn with_pyproject(pyproject: &str) -> Test {
    library("name: client\nsources:\n  prod: {type: git, url: \"https://example.com/client.git\", ref: v1}\n")
        .pyproject(pyproject)
}

#[test]
fn pyproject_shapes_hsm_cannot_write_into() {
    let t = with_pyproject(
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndynamic = [\"dependencies\"]\n\n[build-system]\nrequires = [\"uv_build>=0.8,<1\"]\nbuild-backend = \"uv_build\"\n",
    );
    hsm_snapshot!("pyproject_dynamic_dependencies", sync_refused(&t));
    hsm_snapshot!(
        "pyproject_no_project",
        sync_refused(&with_pyproject("[tool.ruff]\nline-length = 100\n"))
    );
    hsm_snapshot!(
        "pyproject_project_not_a_table",
        sync_refused(&with_pyproject("project = \"app\"\n"))
    );
    hsm_snapshot!(
        "pyproject_dependencies_not_an_array",
        sync_refused(&with_pyproject(
            "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = \"httpx\"\n"
        ))
    );
    hsm_snapshot!(
        "pyproject_sources_not_a_table",
        sync_refused(&with_pyproject(
            "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = []\n\n[tool.uv]\nsources = [\"client\"]\n"
        ))
    );
    hsm_snapshot!(
        "pyproject_user_source",
        sync_refused(&with_pyproject(
            "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = []\n\n[tool.uv.sources]\nclient = { path = \"../client\" }\n"
        ))
    );
}

/// uv itself refuses the file hsm used to write for a project with dynamic dependencies.
#[test]
fn uv_refuses_static_dependencies_that_are_declared_dynamic() {
    require!("uv");
    let t = Test::new().offline_uv().pyproject(
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndynamic = [\"dependencies\"]\ndependencies = [\"client\"]\n\n[build-system]\nrequires = [\"uv_build>=0.8,<1\"]\nbuild-backend = \"uv_build\"\n",
    )
    .file("src/app/__init__.py", "");
    // Offline, with the uv_build wheel: the environment `offline_uv` gives hsm's runs.
    let out = t.tool_command("uv").arg("lock").output().unwrap();
    assert!(
        !out.status.success(),
        "uv accepts it:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
