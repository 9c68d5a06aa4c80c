//! A scenario file (`hsm registry test`): loaded, and its first cases run against the
//! built-in registry (each case's manifest is parsed and solved).
#![no_main]

use hsm::Registry;
use hsm::Suite;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = hsm_fuzz::text(data);
    let dir = hsm_fuzz::scratch_dir();
    let path = dir.join("cases.yaml");
    std::fs::write(&path, &text).expect("write the scenario file");
    let suite = match Suite::load(&path, dir) {
        Ok(s) => s,
        Err(e) => return hsm_fuzz::render(&e),
    };
    let registry = Registry::builtin();
    for case in suite.cases.iter().take(4) {
        let result = case.run(&registry, dir);
        let _ = (result.name, result.at, result.failures);
    }
});
