//! `pyproject.toml` as `hsm sync` rewrites it: any existing text, any of a few dependency
//! sets (chosen by the bytes after a NUL). A success must be valid TOML holding exactly the
//! user's entries plus hsm's, must not change when synced again with the same stack, and
//! must lose hsm's entries (only those) when synced with none.
#![no_main]

use hsm::internals::pyproject::{PyDep, normalize, requirement_name, update};
use libfuzzer_sys::fuzz_target;
use serde_json::Value as Json;
use toml_edit::{DocumentMut, InlineTable};

fn deps(choice: u8) -> Vec<PyDep> {
    let source = |pairs: &[(&str, &str)]| {
        let mut t = InlineTable::new();
        for (k, v) in pairs {
            t.insert(*k, (*v).into());
        }
        t
    };
    let all = [
        ("fastapi", "fastapi>=0.110", None),
        ("my_lib", "my-lib", Some(source(&[("path", "../my-lib")]))),
        ("qdrant-client", "qdrant-client==1.9.0", None),
        (
            "Requests",
            "requests[socks]>=2 ; python_version >= '3.9'",
            None,
        ),
        (
            "tool.x",
            "tool.x",
            Some(source(&[
                ("git", "https://example.invalid/x.git"),
                ("rev", "v1"),
            ])),
        ),
    ];
    let mut out: Vec<PyDep> = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| choice & (1 << i) != 0)
        .map(|(_, (package, requirement, uv_source))| PyDep {
            package: package.to_string(),
            requirement: requirement.to_string(),
            uv_source,
        })
        .collect();
    out.sort_by(|a, b| a.package.cmp(&b.package));
    out
}

fn json(text: &str) -> Json {
    toml_edit::de::from_str::<Json>(text).expect("valid TOML reads as data")
}

fn at<'j>(v: &'j Json, path: &[&str]) -> Option<&'j Json> {
    path.iter().try_fold(v, |cur, k| cur.get(*k))
}

/// The document without what hsm may change, and without tables left empty by that.
fn unrelated(mut v: Json) -> Json {
    for path in [
        &["project", "dependencies"][..],
        &["tool", "hsm"],
        &["tool", "uv", "sources"],
    ] {
        let (last, parents) = path.split_last().expect("non-empty");
        let mut cur = Some(&mut v);
        for p in parents {
            cur = cur.and_then(|c| c.get_mut(*p));
        }
        if let Some(Json::Object(m)) = cur {
            m.remove(*last);
        }
    }
    for path in [&["tool", "uv"][..], &["tool"], &["project"]] {
        let (last, parents) = path.split_last().expect("non-empty");
        let mut cur = Some(&mut v);
        for p in parents {
            cur = cur.and_then(|c| c.get_mut(*p));
        }
        if let Some(Json::Object(m)) = cur
            && m.get(*last)
                .is_some_and(|t| t.as_object().is_some_and(|o| o.is_empty()))
        {
            m.remove(*last);
        }
    }
    v
}

fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn keys(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let (text, ops) = hsm_fuzz::split_ops(data);
    let deps = deps(ops.first().copied().unwrap_or(0b11));
    let out = match update(&text, &deps, "pyproject.toml") {
        Ok(Some(out)) => out,
        Ok(None) => {
            return assert!(
                deps.is_empty(),
                "hsm dropped its section with libraries to write"
            );
        }
        Err(e) => return hsm_fuzz::render(&e),
    };
    let show =
        |what: &str| format!("{what}\n--- before ---\n{text}\n--- after ---\n{out}\n--- end ---");
    let doc: DocumentMut = out
        .parse()
        .unwrap_or_else(|e| panic!("{}", show(&format!("hsm wrote invalid TOML: {e}"))));
    drop(doc);
    let (before, after) = (json(&text), json(&out));

    // [project].dependencies: the user's entries, in order, then hsm's.
    let owned: Vec<String> = strings(at(&before, &["tool", "hsm", "dependencies"]))
        .iter()
        .map(|s| normalize(s))
        .collect();
    let before_deps = at(&before, &["project", "dependencies"])
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let mut expected: Vec<Json> = before_deps
        .into_iter()
        .filter(|v| {
            !v.as_str()
                .is_some_and(|r| owned.contains(&requirement_name(r)))
        })
        .collect();
    expected.extend(deps.iter().map(|d| Json::String(d.requirement.clone())));
    let got = at(&after, &["project", "dependencies"])
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(
        got == expected,
        "{}",
        show(&format!(
            "[project].dependencies is {got:?}, expected {expected:?}"
        ))
    );

    // [tool.hsm] records exactly what hsm wrote.
    let recorded = strings(at(&after, &["tool", "hsm", "dependencies"]));
    let names: Vec<String> = deps.iter().map(|d| normalize(&d.package)).collect();
    assert!(
        recorded == names,
        "{}",
        show(&format!("[tool.hsm].dependencies is {recorded:?}"))
    );

    // [tool.uv.sources]: the user's keys, then hsm's.
    let owned_sources: Vec<String> = strings(at(&before, &["tool", "hsm", "sources"]))
        .iter()
        .map(|s| normalize(s))
        .collect();
    let mut expected_keys: Vec<String> = keys(at(&before, &["tool", "uv", "sources"]))
        .into_iter()
        .filter(|k| !owned_sources.contains(&normalize(k)))
        .collect();
    expected_keys.extend(
        deps.iter()
            .filter(|d| d.uv_source.is_some())
            .map(|d| d.package.clone()),
    );
    let mut got_keys = keys(at(&after, &["tool", "uv", "sources"]));
    expected_keys.sort();
    got_keys.sort();
    assert!(
        got_keys == expected_keys,
        "{}",
        show(&format!(
            "[tool.uv.sources] has {got_keys:?}, expected {expected_keys:?}"
        ))
    );

    // Everything else is as it was.
    assert!(
        unrelated(before.clone()) == unrelated(after.clone()),
        "{}",
        show("content hsm does not own changed")
    );

    // Syncing the same stack again changes nothing.
    match update(&out, &deps, "pyproject.toml") {
        Ok(Some(again)) => assert!(
            again == out,
            "{}\n--- again ---\n{again}",
            show("a second sync changed the file")
        ),
        Ok(None) if deps.is_empty() => {}
        other => panic!(
            "{}",
            show(&format!(
                "a second sync answered {:?}",
                other.map_err(|e| e.message)
            ))
        ),
    }

    // Syncing an empty stack removes hsm's entries and nothing of the user's.
    match update(&out, &[], "pyproject.toml") {
        Ok(Some(cleared)) => {
            let c = json(&cleared);
            let left = strings(at(&c, &["project", "dependencies"]));
            for d in &deps {
                let n = normalize(&d.package);
                assert!(
                    !left
                        .iter()
                        .any(|r| requirement_name(r) == requirement_name(&d.requirement)),
                    "{}\n--- cleared ---\n{cleared}",
                    show(&format!("`{n}` survived an empty sync"))
                );
            }
        }
        Ok(None) if deps.is_empty() => {}
        other => panic!(
            "{}",
            show(&format!(
                "an empty sync answered {:?}",
                other.map_err(|e| e.message)
            ))
        ),
    }
});
