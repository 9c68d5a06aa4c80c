//! The sync journal (`.hsm/journal/journal.json`), parsed as the recovery after an
//! interrupted sync parses it; what a transaction writes must read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = hsm_fuzz::text(data);
    let Ok((entries, written)) = hsm::fuzzing::journal(&text) else {
        return;
    };
    let (again, rewritten) = hsm::fuzzing::journal(&written)
        .unwrap_or_else(|e| panic!("a written journal does not parse: {e}\n{written}"));
    assert_eq!(entries, again, "the journal changed when written back");
    assert_eq!(written, rewritten, "writing the journal is not stable");
});
