//! The shape issue 14 measures: `n` libraries, `n/2` docker services, `n/10` 1-of-N library
//! groups of 5 options. Every library implies one service with a param (`db_name`), so each
//! service is implied twice; every group option implies its library's service too. The
//! project selects the first option of every group and 10 standalone libraries: at
//! n = 10 000 the stack holds 1 010 libraries and about 1 010 services, and a sync reads
//! about 4 000 registry files.

/// The files of the registry, as `(relative path, text)`.
pub fn files(n: usize) -> Vec<(String, String)> {
    let services = n / 2;
    let mut out = Vec::with_capacity(n + services + n / 10);
    for i in 0..n {
        let s = i % services;
        out.push((
            format!("libraries/lib-{i:06}.yaml"),
            format!(
                "name: lib-{i:06}\nversion: 1.0.{}\nsources:\n  prod: {{type: pypi, version: \">=1.0\"}}\nimplies:\n  service:svc-{s:06}:\n    params: {{db_name: db_{i:06}}}\n",
                i % 7
            ),
        ));
    }
    for s in 0..services {
        out.push((
            format!("services/svc-{s:06}.yaml"),
            format!(
                "name: svc-{s:06}\nversion: 2.0.0\nports: [\"{}:80\"]\nenv:\n  DATABASES: \"${{HSM_MERGED_PARAMS.db_name}}\"\n  TOKEN: \"${{SVC_TOKEN}}\"\nsources:\n  prod: {{type: docker-image, image: \"svc-{s:06}:2.0\"}}\n",
                10_000 + s
            ),
        ));
    }
    for g in 0..n / 10 {
        let mut text =
            format!("name: lgrp-{g:06}\ntype: library_group\nstrategy: 1-of-N\noptions:\n");
        for j in 0..5 {
            let i = 5 * g + j;
            text.push_str(&format!(
                "  - name: lib-{i:06}\n    implies: {{service:svc-{:06}: {{}}}}\n",
                i % services
            ));
        }
        out.push((format!("library_groups/lgrp-{g:06}.yaml"), text));
    }
    out
}

/// hsm.yaml: the first option of every group, and 10 libraries that are no option.
pub fn manifest(n: usize) -> String {
    let mut text =
        String::from("project: {name: scale}\nregistry: registry\nlibraries:\n  groups:\n");
    for g in 0..n / 10 {
        text.push_str(&format!(
            "    lgrp-{g:06}: {{strategy: 1-of-N, selection: lib-{:06}}}\n",
            5 * g
        ));
    }
    text.push_str("  standalone:\n");
    for k in 0..10 {
        text.push_str(&format!("    - lib-{:06}\n", n / 2 + k));
    }
    text
}

/// The release `hsm` cargo builds for benchmarks (or `target/release/hsm`).
pub fn hsm_bin() -> std::path::PathBuf {
    option_env!("CARGO_BIN_EXE_hsm")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/hsm")
        })
}

/// Write the project of size `n` into `dir`: `registry/` and `hsm.yaml`.
pub fn write_project(dir: &std::path::Path, n: usize) {
    write(dir, &manifest(n), files(n));
}

/// Write `files` under `dir/registry/` and `manifest` as `dir/hsm.yaml`.
pub fn write(dir: &std::path::Path, manifest: &str, files: Vec<(String, String)>) {
    for (rel, text) in files {
        let path = dir.join("registry").join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    std::fs::write(dir.join("hsm.yaml"), manifest).expect("hsm.yaml");
}
