//! A scenario file (`hsm registry test`): loaded, and its first cases (with `each:`
//! expanded) run against the built-in registry (each case's manifest is parsed and solved).
#![no_main]

use hsm::Registry;
use hsm::Suite;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = hsm_fuzz::text(data);
    // Wherever the simple YAML subset reads the file, it must read what serde_yaml reads.
    if let Err(e) = hsm::internals::simple_yaml_agrees::<serde_yaml::Value>(&text) {
        panic!("the simple YAML subset disagrees with serde_yaml: {e}");
    }
    let dir = hsm_fuzz::scratch_dir();
    let path = dir.join("cases.yaml");
    std::fs::write(&path, &text).expect("write the scenario file");
    let suite = match Suite::load(&path, dir) {
        Ok(s) => s,
        Err(e) => return hsm_fuzz::render(&e),
    };
    let registry = Registry::builtin();
    let mut cases = Vec::new();
    for written in suite.written.iter().take(4) {
        match written.cases(&registry) {
            Ok(more) => cases.extend(more),
            Err(e) => hsm_fuzz::render(&e),
        }
    }
    for case in cases.iter().take(8) {
        let result = case.run(&registry, dir);
        let _ = (result.name, result.at, result.failures);
    }
});
