//! One registry file loaded as `hsm` loads it, then linted as `hsm registry lint` does.

use hsm::{Category, Kind, Registry, Store};

/// Load `text` as the file `<category>/<name>.yaml` of an otherwise empty registry.
pub fn load(category: Category, data: &[u8]) {
    let text = crate::text(data);
    let name = crate::declared_name(&text);
    let rel = format!("{}/{name}.yaml", category.dir());
    // What `hsm registry list` reads without the parser must be what the parser reads.
    let group = matches!(category, Category::LibraryGroups | Category::ServiceGroups);
    if let Err(e) = hsm::internals::registry_head_scan_agrees(&text, group) {
        panic!("the head scanner disagrees with the parser: {e}");
    }
    // Wherever the simple subset reads the file, it must read what serde_yaml reads.
    use hsm::internals::registry_model::{GroupFile, LibraryFile, ServiceFile};
    let simple = match category {
        Category::Libraries => hsm::internals::simple_yaml_agrees::<LibraryFile>(&text),
        Category::Services => hsm::internals::simple_yaml_agrees::<ServiceFile>(&text),
        Category::LibraryGroups | Category::ServiceGroups => {
            hsm::internals::simple_yaml_agrees::<GroupFile>(&text)
        }
    };
    if let Err(e) = simple {
        panic!("the simple YAML subset disagrees with serde_yaml: {e}");
    }
    let registry = Registry::new(Store::memory([(rel.clone(), text.clone())]));
    let loaded = match category {
        Category::Libraries => registry
            .component(Kind::Library, &name)
            .map(|c| c.is_some()),
        Category::Services => registry
            .component(Kind::Service, &name)
            .map(|c| c.is_some()),
        Category::LibraryGroups => registry.group(Kind::Library, &name).map(|g| g.is_some()),
        Category::ServiceGroups => registry.group(Kind::Service, &name).map(|g| g.is_some()),
    };
    match loaded {
        Ok(found) => assert!(found, "the registry lost {rel}"),
        Err(e) => crate::render(&e),
    }
    // What `hsm registry ... --check` runs before writing a file must agree with the loader.
    let checked = hsm::internals::registry_edit::check(category, &name, &rel, &text);
    let report = hsm::lint_files([(rel, text)]);
    let _ = report.to_json().to_string();
    if let Err(e) = checked {
        crate::render(&e);
    }
}
