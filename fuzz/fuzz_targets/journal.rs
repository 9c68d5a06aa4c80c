//! The sync journal (`.hsm/journal/journal.json`), parsed as the recovery after an
//! interrupted sync parses it; what a transaction writes must read back the same.
//! (Parse only: recovering from a fuzzed journal would touch real files.)
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
    // Known, reported (fuzz/crashes-found/journal/): recovery trusts the journal's paths, so
    // a journal committed to a repository can make any hsm command in it delete or
    // overwrite files outside the project. Checked only with HSM_FUZZ_STRICT=1 until the
    // journal (being rewritten) refuses such entries.
    if hsm_fuzz::strict() {
        use std::path::{Component, Path};
        let inside = |p: &str| {
            !p.is_empty()
                && Path::new(p)
                    .components()
                    .all(|c| matches!(c, Component::Normal(_)))
        };
        for (path, backup) in &entries {
            assert!(inside(path), "journal entry outside the project: {path:?}");
            if let Some(b) = backup {
                assert!(
                    inside(b) && !b.contains('/'),
                    "journal backup outside the journal: {b:?}"
                );
            }
        }
    }
});
