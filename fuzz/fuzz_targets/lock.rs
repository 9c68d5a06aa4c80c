//! `hsm.lock` (TOML): parsed as `hsm sync --locked/--frozen` reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = hsm_fuzz::text(data);
    match hsm::internals::lock::parse(&text) {
        Ok(lock) => {
            let _ = format!("{lock:?}");
        }
        Err(e) => hsm_fuzz::render(&e),
    }
});
