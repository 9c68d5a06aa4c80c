//! A service's env file, read as `hsm sync` reads it; what hsm writes back from it
//! (`Env::to_file`) must read back to the same keys and values.
#![no_main]

use std::sync::Arc;

use hsm::render::env::{Env, read_env_file};
use hsm::source::{Origin, SourceFile};
use libfuzzer_sys::fuzz_target;

fn read(text: &str, rel: &str) -> Result<Env, hsm::Error> {
    let root = hsm_fuzz::scratch_dir();
    std::fs::write(root.join(rel), text).expect("write the env file");
    let registry_file: Arc<SourceFile> = SourceFile::new(
        "services/svc.yaml",
        None,
        "name: svc\nenv_file: [.env.fuzz]\n",
    );
    let mut env = Env::default();
    read_env_file(
        &mut env,
        "svc",
        root,
        rel,
        &Origin::file_only(&registry_file),
    )?;
    Ok(env)
}

fuzz_target!(|data: &[u8]| {
    let text = hsm_fuzz::text(data);
    let env = match read(&text, ".env.fuzz") {
        Ok(env) => env,
        Err(e) => return hsm_fuzz::render(&e),
    };
    // Known, reported (fuzz/crashes-found/env_file/): after `export ` is stripped, the rest
    // of the line is taken as is, so a key may hold blanks (`export export A=1` reads as
    // `export A`) or start with `#` (`export #=1`), and neither reads back from the file
    // hsm writes. The reader's rules are being changed in src/render/env.rs.
    if !hsm_fuzz::strict()
        && env
            .vars
            .keys()
            .any(|k| k.starts_with('#') || k.contains(char::is_whitespace))
    {
        return;
    }
    let written = env.to_file();
    let again = match read(&written, ".env.again") {
        Ok(env) => env,
        Err(e) => panic!(
            "hsm cannot read the env file it wrote: {}\n--- read ---\n{text}\n--- written ---\n{written}",
            e.message
        ),
    };
    let pairs = |e: &Env| -> Vec<(String, String)> {
        let mut v: Vec<_> = e
            .vars
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        pairs(&env),
        pairs(&again),
        "the env file hsm wrote reads back differently\n--- read ---\n{text}\n--- written ---\n{written}"
    );
});
