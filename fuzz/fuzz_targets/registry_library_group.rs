//! A registry `LibraryGroups` file: loaded, checked and linted (see `hsm_fuzz::registry`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hsm_fuzz::registry::load(hsm::Category::LibraryGroups, data));
