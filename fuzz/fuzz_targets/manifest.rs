//! hsm.yaml: parse, answer the questions later stages ask, cite every part, and solve
//! against the built-in registry; every error is rendered as the CLI shows it.
#![no_main]

use std::path::Path;

use hsm::Kind;
use hsm::Manifest;
use hsm::Registry;
use hsm::{Outcome, solve};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = hsm_fuzz::text(data);
    // Wherever the simple YAML subset reads the file, it must read what serde_yaml reads.
    use hsm::internals::manifest_model::ManifestFile;
    if let Err(e) = hsm::internals::simple_yaml_agrees::<ManifestFile>(&text) {
        panic!("the simple YAML subset disagrees with serde_yaml: {e}");
    }
    let manifest = match Manifest::from_text("hsm.yaml", Path::new("/project"), text.as_str()) {
        Ok(m) => m,
        Err(e) => return hsm_fuzz::render(&e),
    };
    for section in [Kind::Library, Kind::Service] {
        for (g, entry) in manifest.groups(section) {
            let _ = manifest.selection_origin(section, g, None).location();
            for (i, item) in entry.selection.items() {
                let _ = manifest.selection_origin(section, g, i).location();
                let _ = manifest.mode_of(item);
                let _ = manifest.profile_of(item);
            }
        }
        for (i, s) in manifest.standalone(section).iter().enumerate() {
            let _ = manifest.standalone_origin(section, i).short();
            let _ = manifest.mode_of(&s.name);
        }
    }
    for name in manifest.data.constraints.keys() {
        let _ = manifest.constraint_origin(name).position();
    }
    if let Err(e) = manifest.container_engine() {
        hsm_fuzz::render(&e);
    }
    match solve(&manifest, &Registry::builtin()) {
        Ok(Outcome::Solved(_)) => {}
        Ok(Outcome::Conflict(c)) => {
            let _ = c.render();
        }
        Err(e) => hsm_fuzz::render(&e),
    }
});
