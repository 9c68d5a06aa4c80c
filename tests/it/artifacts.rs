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
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: container_name `web\nserver` is not valid: it contains a line break
       ╭─[hsm-registry/services/web.yaml:2:1]
     1 │ name: web
     2 │ container_name: "web\nserver"
       · ───────┬──────
       ·        ╰── invalid container_name
     3 │ sources:
       ╰────
      help: use letters, digits, `_`, `.` and `-`, starting with a letter or digit, at least two characters (docker's rule), or leave `container_name` out
    "#);
    let err = check_refused(&web("container_name: \"web server\"\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: container_name `web server` is not valid: ` ` is not allowed
       ╭─[hsm-registry/services/web.yaml:2:1]
     1 │ name: web
     2 │ container_name: "web server"
       · ───────┬──────
       ·        ╰── invalid container_name
     3 │ sources:
       ╰────
      help: use letters, digits, `_`, `.` and `-`, starting with a letter or digit, at least two characters (docker's rule), or leave `container_name` out
    "#);

    // Two containers cannot share a name: a plan error, at the second declaration.
    let t = services(
        &format!("name: web\ncontainer_name: frontend\n{IMAGE}"),
        Some(&format!("name: api\n{IMAGE}    container_name: frontend\n")),
    );
    let err = sync_refused(&t);
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: hsm-registry/services/api.yaml is not valid YAML: did not find expected key while parsing a block mapping
       ╭─[hsm-registry/services/api.yaml:4:5]
     3 │   prod: {type: docker-image, image: "nginx:1.27"}
     4 │     container_name: frontend
       ·     ───────┬──────
       ·            ╰── the YAML parser stopped here
       ╰────
      help: fix the YAML syntax (indentation, quotes, a missing `:`)
    "#);
}

#[test]
fn healthcheck_and_command_shapes() {
    let err = check_refused(&web("healthcheck: \"curl -f http://localhost\"\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `healthcheck` is a string; docker compose needs a mapping with `test`
       ╭─[hsm-registry/services/web.yaml:2:1]
     1 │ name: web
     2 │ healthcheck: "curl -f http://localhost"
       · ─────┬─────
       ·      ╰── expected a mapping
     3 │ sources:
       ╰────
      help: write compose's healthcheck mapping, e.g. `healthcheck: {test: ["CMD-SHELL", "pg_isready"], interval: 10s, timeout: 5s, retries: 5}`
    "#);
    compose_refuses("healthcheck: \"curl -f http://localhost\"");
    let err = check_refused(&web(
        "healthcheck:\n  test: [CMD, curl, -f, http://localhost]\n  intervall: 10s\n",
    ));
    hsm_snapshot!(err, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: unknown healthcheck key `intervall`
       ╭─[hsm-registry/services/web.yaml:4:3]
     3 │   test: [CMD, curl, -f, http://localhost]
     4 │   intervall: 10s
       ·   ────┬────
       ·       ╰── unknown key
     5 │ sources:
       ╰────
      help: did you mean `interval`?
            compose's healthcheck keys: test, interval, timeout, retries, start_period, start_interval, disable
    ");
    compose_refuses("healthcheck:\n  test: [CMD, 'true']\n  intervall: 10s");
    let err = check_refused(&web(
        "healthcheck:\n  test: [CMD, 'true']\n  interval: 10\n",
    ));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: healthcheck `interval` must be a duration such as `10s` or `1m30s`
       ╭─[hsm-registry/services/web.yaml:4:3]
     3 │   test: [CMD, 'true']
     4 │   interval: 10
       ·   ────┬───
       ·       ╰── expected a duration
     5 │ sources:
       ╰────
      help: write compose's healthcheck mapping, e.g. `healthcheck: {test: ["CMD-SHELL", "pg_isready"], interval: 10s, timeout: 5s, retries: 5}`
    "#);
    compose_refuses("healthcheck:\n  test: [CMD, 'true']\n  interval: 10");
    let err = check_refused(&web("command:\n  serve: 8080\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `command` is a mapping; docker compose takes a string or a list of strings
       ╭─[hsm-registry/services/web.yaml:2:1]
     1 │ name: web
     2 │ command:
       · ───┬───
       ·    ╰── expected a string or a list
     3 │   serve: 8080
       ╰────
      help: write `command: ["serve", "--port", "8080"]` or `command: serve --port 8080`
    "#);
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
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: port `web` is not valid: container port `web` is not a number
       ╭─[hsm-registry/services/web.yaml:2:9]
     1 │ name: web
     2 │ ports: ["web"]
       ·         ──┬──
       ·           ╰── invalid port
     3 │ sources:
       ╰────
      help: write `HOST:CONTAINER` (`"8080:80"`), `CONTAINER`, or `IP:HOST:CONTAINER`, optionally with `/tcp` or `/udp`; ports are 1-65535
    "#);
    compose_refuses("ports: [\"web\"]");
    // Passes `docker-compose config`; docker refuses it at `up`.
    let err = check_refused(&web("ports: [\"70000:80\"]\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: port `70000:80` is not valid: host port 70000 is outside 1-65535
       ╭─[hsm-registry/services/web.yaml:2:9]
     1 │ name: web
     2 │ ports: ["70000:80"]
       ·         ─────┬────
       ·              ╰── invalid port
     3 │ sources:
       ╰────
      help: write `HOST:CONTAINER` (`"8080:80"`), `CONTAINER`, or `IP:HOST:CONTAINER`, optionally with `/tcp` or `/udp`; ports are 1-65535
    "#);

    let err = check_refused(&web("volumes: [\"data:/var/lib/x:ro:z\"]\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: volume `data:/var/lib/x:ro:z` is not valid: expected `TARGET`, `SOURCE:TARGET` or `SOURCE:TARGET:MODE`
       ╭─[hsm-registry/services/web.yaml:2:11]
     1 │ name: web
     2 │ volumes: ["data:/var/lib/x:ro:z"]
       ·           ───────────┬──────────
       ·                      ╰── invalid volume
     3 │ sources:
       ╰────
      help: write `NAME:/path` (a named volume), `./dir:/path` (a project directory) or `/path`, optionally followed by `:ro`
    "#);
    compose_refuses("volumes: [\"data:/var/lib/x:ro:z\"]");
    let err = check_refused(&web("volumes: [\"my data:/var/lib/x\"]\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: volume `my data:/var/lib/x` is not valid: ` ` is not allowed in the volume name `my data` (a path starts with `./` or `/`)
       ╭─[hsm-registry/services/web.yaml:2:11]
     1 │ name: web
     2 │ volumes: ["my data:/var/lib/x"]
       ·           ──────────┬─────────
       ·                     ╰── invalid volume
     3 │ sources:
       ╰────
      help: write `NAME:/path` (a named volume), `./dir:/path` (a project directory) or `/path`, optionally followed by `:ro`
    "#);
    compose_refuses("volumes: [\"my data:/var/lib/x\"]");
    // Both pass `docker-compose config`; docker refuses them at `up`.
    let err = check_refused(&web("volumes: [\"data:var/lib/x\"]\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: volume `data:var/lib/x` is not valid: the path in the container, `var/lib/x`, must be absolute
       ╭─[hsm-registry/services/web.yaml:2:11]
     1 │ name: web
     2 │ volumes: ["data:var/lib/x"]
       ·           ────────┬───────
       ·                   ╰── invalid volume
     3 │ sources:
       ╰────
      help: write `NAME:/path` (a named volume), `./dir:/path` (a project directory) or `/path`, optionally followed by `:ro`
    "#);
    let err = check_refused(&web("volumes: [\"./data:/x:readonly\"]\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: volume `./data:/x:readonly` is not valid: `readonly` is not a volume option (ro, rw, z, Z, nocopy, consistent, cached, delegated, shared, slave, private, rshared, rslave, rprivate)
       ╭─[hsm-registry/services/web.yaml:2:11]
     1 │ name: web
     2 │ volumes: ["./data:/x:readonly"]
       ·           ──────────┬─────────
       ·                     ╰── invalid volume
     3 │ sources:
       ╰────
      help: write `NAME:/path` (a named volume), `./dir:/path` (a project directory) or `/path`, optionally followed by `:ro`
    "#);

    // An image reference with a space or an upper-case repository cannot be pulled.
    let err = check_refused(&services(
        "name: web\nsources:\n  prod: {type: docker-image, image: \"nginx latest\"}\n",
        None,
    ));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: image `nginx latest` is not valid: ` ` is not allowed in an image name
       ╭─[hsm-registry/services/web.yaml:3:30]
     2 │ sources:
     3 │   prod: {type: docker-image, image: "nginx latest"}
       ·                              ──┬──
       ·                                ╰── invalid image
       ╰────
      help: write an image reference such as `postgres:16-alpine` or `ghcr.io/org/app:1.2`: lower-case name, optional `:tag`
    "#);
    let err = check_refused(&services(
        "name: web\nsources:\n  prod: {type: docker-image, image: \"library/Nginx:1.27\"}\n",
        None,
    ));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: image `library/Nginx:1.27` is not valid: `Nginx` must be lower case
       ╭─[hsm-registry/services/web.yaml:3:30]
     2 │ sources:
     3 │   prod: {type: docker-image, image: "library/Nginx:1.27"}
       ·                              ──┬──
       ·                                ╰── invalid image
       ╰────
      help: write an image reference such as `postgres:16-alpine` or `ghcr.io/org/app:1.2`: lower-case name, optional `:tag`
    "#);
}

#[test]
fn network_names() {
    let err = check_refused(&web("network_aliases: [\"front end\"]\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: network alias `front end` is not valid: ` ` is not allowed
       ╭─[hsm-registry/services/web.yaml:2:19]
     1 │ name: web
     2 │ network_aliases: ["front end"]
       ·                   ─────┬─────
       ·                        ╰── invalid network alias
     3 │ sources:
       ╰────
      help: an alias is a host name: letters, digits, `_`, `.` and `-`, starting with a letter or digit
    "#);

    // One alias claimed by two selected services: DNS cannot tell them apart.
    let t = services(
        &format!("name: web\nnetwork_aliases: [frontend]\n{IMAGE}"),
        Some(&format!(
            "name: api\nnetwork_aliases: [backend, frontend]\n{IMAGE}"
        )),
    );
    let err = sync_refused(&t);
    hsm_snapshot!(err, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `frontend` is a network alias of service `api` (hsm-registry/services/api.yaml:2) and a network alias of service `web`: one name on the compose network must lead to one service
       ╭─[hsm-registry/services/web.yaml:2:19]
     1 │ name: web
     2 │ network_aliases: [frontend]
       ·                   ────┬───
       ·                       ╰── `frontend` again
     3 │ sources:
       ╰────
      help: remove the alias `frontend` from one of the two services in the registry, or select only one of them
    ");
    // An alias that is another service's name.
    let t = services(
        &format!("name: web\n{IMAGE}"),
        Some(&format!("name: api\nnetwork_aliases: [web]\n{IMAGE}")),
    );
    let err = sync_refused(&t);
    hsm_snapshot!(err, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `web` is the name of service `web` (hsm-registry/services/web.yaml:1) and a network alias of service `api`: one name on the compose network must lead to one service
       ╭─[hsm-registry/services/api.yaml:2:19]
     1 │ name: api
     2 │ network_aliases: [web]
       ·                   ─┬─
       ·                    ╰── `web` again
     3 │ sources:
       ╰────
      help: remove the alias `web` from one of the two services in the registry, or select only one of them
    ");
    // A service's own name as its alias is harmless.
    let t = web("network_aliases: [web, www]\n");
    ok(&t, &["sync", "--no-install"]);
    assert_valid_compose(&t.path().join("docker-compose.hsm.yml"));
}

#[test]
fn env_names_and_line_breaks() {
    let err = check_refused(&web("env:\n  \"MY KEY\": x\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: env key `MY KEY` is not valid: ` ` is not allowed in a name
       ╭─[hsm-registry/services/web.yaml:3:3]
     2 │ env:
     3 │   "MY KEY": x
       ·   ────┬───
       ·       ╰── invalid env key
     4 │ sources:
       ╰────
      help: name it with letters, digits, `_` and `.`, starting with a letter or `_` (`DB_NAME`), as shells and docker compose read env names
    "#);
    let err = check_refused(&web("env:\n  GREETING: \"hello\\nEXTRA=1\"\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: env value `hello\nEXTRA=1` is not valid: it contains a line break
       ╭─[hsm-registry/services/web.yaml:3:3]
     2 │ env:
     3 │   GREETING: "hello\nEXTRA=1"
       ·   ────┬───
       ·       ╰── invalid env value
     4 │ sources:
       ╰────
      help: put the value on one line; a value that needs line breaks belongs in a file the service mounts
    "#);
    let err = check_refused(&services(
        "name: web\nsources:\n  prod:\n    type: docker-image\n    image: nginx:1.27\n    env: {API-KEY: x}\n",
        None,
    ));
    hsm_snapshot!(err, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: env key `API-KEY` is not valid: `-` is not allowed in a name
       ╭─[hsm-registry/services/web.yaml:6:11]
     5 │     image: nginx:1.27
     6 │     env: {API-KEY: x}
       ·           ───┬───
       ·              ╰── invalid env key
       ╰────
      help: name it with letters, digits, `_` and `.`, starting with a letter or `_` (`DB_NAME`), as shells and docker compose read env names
    ");
    let err = check_refused(&web("env_file: \"a.env\\nb.env\"\n"));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: env_file `a.env\nb.env` is not valid: it contains a line break
       ╭─[hsm-registry/services/web.yaml:2:1]
     1 │ name: web
     2 │ env_file: "a.env\nb.env"
       · ────┬───
       ·     ╰── invalid env_file
     3 │ sources:
       ╰────
      help: write the path on one line, relative to the project root
    "#);

    // Env files: each key a valid name, at file:line:column; no carriage return or NUL.
    let t = web("env_file: app.env\n").file("app.env", "OK=1\nexport MY KEY=2\n");
    hsm_snapshot!(sync_refused(&t), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: env key `MY KEY` in env file app.env:2 is not valid: ` ` is not allowed in a name
       ╭─[app.env:2:8]
     1 │ OK=1
     2 │ export MY KEY=2
       ·        ───┬──
       ·           ╰── invalid env key
       ╰────
      help: name it with letters, digits, `_` and `.`, starting with a letter or `_` (`DB_NAME`), as shells and docker compose read env names
    ");
    let t = web("env_file: app.env\n").file("app.env", "OK=1\nTOKEN=abc\rINJECTED=1\n");
    let err = sync_refused(&t);
    // The code frame shows the line as it is; the snapshot shows the carriage return.
    insta::with_settings!({filters => vec![("\r", "␍")]}, {
        hsm_snapshot!(err, @"
        success: false
        exit_code: 1
        ----- stdout -----

        ----- stderr -----
        error: the value of `TOKEN` in env file app.env:2 is not valid: it contains a carriage return
           ╭─[app.env:2:10]
         1 │ OK=1
         2 │ TOKEN=abc␍INJECTED=1
           ·          ┬
           ·          ╰── here
           ╰────
          help: remove the character: an env file holds one `KEY=value` per line
        ");
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
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: param value `auth\nEVIL=1` is not valid: it contains a line break
       ╭─[hsm-registry/libraries/client.yaml:5:3]
     4 │ implies:
     5 │   service:web:
       ·   ─────┬─────
       ·        ╰── invalid param value
     6 │     params: {db_name: "auth\nEVIL=1"}
       ╰────
      help: put the value on one line; a value that needs line breaks belongs in a file the service mounts
    "#);
    let err = check_refused(&lib("{db-name: auth}"));
    hsm_snapshot!(err, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: param name `db-name` is not valid: `-` is not allowed in a name
       ╭─[hsm-registry/libraries/client.yaml:5:3]
     4 │ implies:
     5 │   service:web:
       ·   ─────┬─────
       ·        ╰── invalid param name
     6 │     params: {db-name: auth}
       ╰────
      help: a param is also passed as an env variable of that name: use letters, digits, `_` and `.`, starting with a letter or `_` (`db_name`)
    ");
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
    hsm_snapshot!(err, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the build context `services/web` of service `web` is not a directory of the project
       ╭─[hsm-registry/services/web.yaml:5:5]
     4 │     type: build
     5 │     path: services/web
       ·     ──┬─
       ·       ╰── no such directory
       ╰────
      help: create services/web (relative to the project root) with the service's Dockerfile, or correct `path` in the registry
    ");
    compose_refuses("build: {context: ./services/web}");
    let t =
        build("    dockerfile: Dockerfile.dev\n").file("services/web/Dockerfile", "FROM nginx\n");
    hsm_snapshot!(sync_refused(&t), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: service `web` builds from `services/web`, which has no `Dockerfile.dev`
       ╭─[hsm-registry/services/web.yaml:6:5]
     5 │     path: services/web
     6 │     dockerfile: Dockerfile.dev
       ·     ─────┬────
       ·          ╰── no such file
       ╰────
      help: create services/web/Dockerfile.dev, or name the Dockerfile the build uses with `dockerfile:` (relative to `services/web`)
    ");
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
    hsm_snapshot!(err, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: package name `qdrant client` is not valid: ` ` is not allowed: it is a name, not a requirement (versions, extras and markers go elsewhere)
       ╭─[hsm-registry/libraries/client.yaml:2:1]
     1 │ name: client
     2 │ package: qdrant client
       · ───┬───
       ·    ╰── invalid package name
       ╰────
      help: write the Python distribution name alone (`qdrant-client`): letters, digits, `.`, `_`, `-`, starting and ending with a letter or digit; a version goes in the pypi source's `version`
    ");
    pyproject_refuses("qdrant client");
    let err = check_refused(&library(
        "name: client\npackage: \"qdrant-client; python_version > '3.8'\"\nsources:\n  prod: {type: pypi, version: \">=1.12\"}\n",
    ));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: package name `qdrant-client; python_version > '3.8'` is not valid: `;` is not allowed: it is a name, not a requirement (versions, extras and markers go elsewhere)
       ╭─[hsm-registry/libraries/client.yaml:2:1]
     1 │ name: client
     2 │ package: "qdrant-client; python_version > '3.8'"
       · ───┬───
       ·    ╰── invalid package name
     3 │ sources:
       ╰────
      help: write the Python distribution name alone (`qdrant-client`): letters, digits, `.`, `_`, `-`, starting and ending with a letter or digit; a version goes in the pypi source's `version`
    "#);
    pyproject_refuses("qdrant-client; python_version > '3.8'>=1.12");
    let err = check_refused(&library(
        "name: client\nsources:\n  prod: {type: pypi, version: \">=1.12\\nevil\"}\n",
    ));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: version specifier `>=1.12\nevil` is not valid: it contains a line break
       ╭─[hsm-registry/libraries/client.yaml:3:22]
     2 │ sources:
     3 │   prod: {type: pypi, version: ">=1.12\nevil"}
       ·                      ───┬───
       ·                         ╰── invalid version specifier
       ╰────
      help: write a PEP 440 specifier such as `>=1.12,<2` or `~=2.4`, or a bare version (`1.2.3`, pinned); leave `version` out for any release
    "#);
    pyproject_refuses("client>=1.12\nevil");
    let err = check_refused(&library(
        "name: client\nsources:\n  prod: {type: pypi, version: \">=1.*\"}\n",
    ));
    hsm_snapshot!(err, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: version specifier `>=1.*` is not valid: `.*` is only allowed after `==` or `!=`, not in `>=1.*`
       ╭─[hsm-registry/libraries/client.yaml:3:22]
     2 │ sources:
     3 │   prod: {type: pypi, version: ">=1.*"}
       ·                      ───┬───
       ·                         ╰── invalid version specifier
       ╰────
      help: write a PEP 440 specifier such as `>=1.12,<2` or `~=2.4`, or a bare version (`1.2.3`, pinned); leave `version` out for any release
    "#);
    pyproject_refuses("client>=1.*");
    let err = check_refused(&library(
        "name: client\nsources:\n  prod: {type: pypi, version: latest}\n",
    ));
    hsm_snapshot!(err, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: version specifier `latest` is not valid: it is neither a version nor a list of `OPERATOR VERSION` clauses
       ╭─[hsm-registry/libraries/client.yaml:3:22]
     2 │ sources:
     3 │   prod: {type: pypi, version: latest}
       ·                      ───┬───
       ·                         ╰── invalid version specifier
       ╰────
      help: write a PEP 440 specifier such as `>=1.12,<2` or `~=2.4`, or a bare version (`1.2.3`, pinned); leave `version` out for any release
    ");
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
    hsm_snapshot!(err, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the prod source of library `client` is a git source without `url`
       ╭─[hsm-registry/libraries/client.yaml:3:3]
     2 │ sources:
     3 │   prod: {type: git, ref: v1.0.0}
       ·   ──┬─
       ·     ╰── no `url`
       ╰────
      help: add `url: https://...` (and `ref:` for a tag or commit), or use a pypi or local source
    ");
    let t = library(
        "name: client\nsources:\n  prod: {type: pypi}\n  dev: {type: local, path: packages/client, editable: true}\n",
    )
    .manifest("libraries:\n  standalone: [{name: client, mode: dev}]\n");
    hsm_snapshot!(sync_refused(&t), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: library `client` is installed from `packages/client` (dev source), which does not exist
       ╭─[hsm-registry/libraries/client.yaml:4:22]
     3 │   prod: {type: pypi}
     4 │   dev: {type: local, path: packages/client, editable: true}
       ·                      ──┬─
       ·                        ╰── no such directory
       ╰────
      help: put the package's source there (relative to the project root: clone it, or `hsm library init client`); with `repository: <git url>` in its registry entry, `hsm sync` clones it there; or switch it back with `hsm mode prod client`
    ");
    let t = t.file("packages/client/README.md", "not yet a package\n");
    hsm_snapshot!(sync_refused(&t), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: library `client` is installed from `packages/client` (dev source), which has no pyproject.toml or setup.py
       ╭─[hsm-registry/libraries/client.yaml:4:22]
     3 │   prod: {type: pypi}
     4 │   dev: {type: local, path: packages/client, editable: true}
       ·                      ──┬─
       ·                        ╰── not a Python project
       ╰────
      help: make `packages/client` a Python project (`uv init --lib` there), or point `path` at the directory that has its pyproject.toml; or switch it back with `hsm mode prod client`
    ");
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
    hsm_snapshot!(sync_refused(&t), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: pyproject.toml declares its dependencies dynamic, so hsm cannot write them into `[project].dependencies`
       ╭─[pyproject.toml:4:1]
     3 │ version = "0.1.0"
     4 │ dynamic = ["dependencies"]
       · ───┬───
       ·    ╰── `dependencies` is dynamic
     5 │
       ╰────
      help: remove "dependencies" from `project.dynamic` so hsm can manage them (move what the build backend computed into `dependencies`), or remove the libraries from hsm.yaml
    "#);
    let t = with_pyproject("[tool.ruff]\nline-length = 100\n");
    hsm_snapshot!(sync_refused(&t), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: pyproject.toml has no [project] table for hsm to add dependencies to
       ╭─[pyproject.toml:1:1]
     1 │ [tool.ruff]
       · ┬
       · ╰── no [project]
     2 │ line-length = 100
       ╰────
      help: add a `[project]` table with `name`, `version` and `dependencies = []` to pyproject.toml, or remove pyproject.toml and let hsm create a minimal one
    ");
    let t = with_pyproject("project = \"app\"\n");
    hsm_snapshot!(sync_refused(&t), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `project` in pyproject.toml is not a table
       ╭─[pyproject.toml:1:1]
     1 │ project = "app"
       · ───┬───
       ·    ╰── not a table
       ╰────
      help: make `project` a table (`[project]` with `name`, `version`, `dependencies`) as PEP 621 says
    "#);
    let t = with_pyproject(
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = \"httpx\"\n",
    );
    hsm_snapshot!(sync_refused(&t), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `project.dependencies` in pyproject.toml is not an array
       ╭─[pyproject.toml:4:1]
     3 │ version = "0.1.0"
     4 │ dependencies = "httpx"
       · ──────┬─────
       ·       ╰── not an array
       ╰────
      help: write `dependencies = ["httpx>=0.27"]`: a list of PEP 508 requirement strings
    "#);
    let t = with_pyproject(
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = []\n\n[tool.uv]\nsources = [\"client\"]\n",
    );
    hsm_snapshot!(sync_refused(&t), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `tool.uv.sources` in pyproject.toml is not a table
       ╭─[pyproject.toml:7:1]
     6 │ [tool.uv]
     7 │ sources = ["client"]
       · ───┬───
       ·    ╰── not a table
       ╰────
      help: make `tool.uv.sources` a table (`[tool.uv.sources]`) so hsm can add its entries
    "#);
    let t = with_pyproject(
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = []\n\n[tool.uv.sources]\nclient = { path = \"../client\" }\n",
    );
    hsm_snapshot!(sync_refused(&t), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: pyproject.toml already has a [tool.uv.sources] entry for `client`, and hsm manages it too
       ╭─[pyproject.toml:7:1]
     6 │ [tool.uv.sources]
     7 │ client = { path = "../client" }
       · ───┬──
       ·    ╰── the user's entry
       ╰────
      help: remove `client` from [tool.uv.sources]; hsm writes it from the registry
    "#);
}

/// A pyproject.toml that starts with a byte order mark: an error says what it says without
/// one, at the same line and column, and a sync keeps the mark.
#[test]
fn a_pyproject_with_a_byte_order_mark() {
    let user = "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = []\n\n[tool.uv.sources]\nclient = { path = \"../client\" }\n";
    let without = sync_refused(&with_pyproject(user));
    assert!(
        without.stderr.contains("pyproject.toml:7:1"),
        "{}",
        without.stderr
    );
    let with = sync_refused(&with_pyproject(&format!("\u{feff}{user}")));
    assert_eq!(with.stderr, without.stderr);

    let t = with_pyproject(&format!(
        "\u{feff}{}",
        user.replace("client = { path = \"../client\" }\n", "")
    ));
    ok(&t, &["sync", "--no-install"]);
    let py = t.read("pyproject.toml");
    assert!(py.starts_with("\u{feff}[project]\n"), "{py:?}");
    assert!(py.contains("dependencies = [\"client\"]"), "{py}");
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
