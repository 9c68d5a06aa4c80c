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
