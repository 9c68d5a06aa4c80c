//! The sync journal (`.hsm/journal/journal.json`), read and checked as the recovery after
//! an interrupted sync reads it (`Journal::read`), in a scratch project whose journal holds
//! one backup, `0.orig`. Recovery itself is not run: a fuzzed journal would touch files.
//!
//! A journal the check accepts must name only files inside the project (the journal is
//! input: a repository may carry one), must read back the same when written, and `peek`
//! must see its owner.
#![no_main]

use std::path::{Component, Path, PathBuf};

use hsm::internals::journal::{self, Journal};
use libfuzzer_sys::fuzz_target;

/// The backup every seed journal refers to.
const BACKUP: &[u8] = b"old\n";

fn project() -> &'static (PathBuf, PathBuf) {
    static DIRS: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    DIRS.get_or_init(|| {
        let root = hsm_fuzz::scratch_dir().join("project");
        let dir = root.join(journal::STATE_DIR).join("journal");
        std::fs::create_dir_all(&dir).expect("create the scratch journal");
        std::fs::write(dir.join("0.orig"), BACKUP).expect("write the scratch backup");
        (root, dir)
    })
}

fuzz_target!(|data: &[u8]| {
    let text = hsm_fuzz::text(data);
    let (root, dir) = project();
    std::fs::write(dir.join("journal.json"), &text).expect("write the journal");
    let head = journal::peek(dir);
    let Ok(j) = Journal::read(root, dir) else {
        return;
    };
    for entry in &j.entries {
        let p = Path::new(&entry.path);
        assert!(
            p.components().all(|c| matches!(c, Component::Normal(_)))
                && p.components()
                    .next()
                    .is_some_and(|c| c.as_os_str() != ".hsm"),
            "an accepted journal names a file outside the project: {:?}",
            entry.path
        );
        if let Some(b) = &entry.backup {
            assert!(
                !b.file.contains('/') && b.file.ends_with(".orig"),
                "an accepted journal names a backup outside the journal: {:?}",
                b.file
            );
        }
    }
    assert_eq!(head, Some((j.owner, j.runner)), "peek disagrees with read");
    let written = j.to_json();
    let again: Journal = serde_json::from_str(&written)
        .unwrap_or_else(|e| panic!("a written journal does not parse: {e}\n{written}"));
    assert_eq!(j, again, "the journal changed when written back");
});
