//! A service's env file, read as `hsm sync` reads it; what hsm writes back from it
//! (`Env::to_file`) must read back to the same keys and values.
#![no_main]

use std::sync::Arc;

use hsm::internals::env::{Env, read_env_file};
use hsm::internals::{Origin, SourceFile};
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
        &|rel: &str| hsm::internals::read_text(&root.join(rel), rel),
    )?;
    Ok(env)
}

fuzz_target!(|data: &[u8]| {
    let text = hsm_fuzz::text(data);
    let env = match read(&text, ".env.fuzz") {
        Ok(env) => env,
        Err(e) => return hsm_fuzz::render(&e),
    };
    let Some(written) = env.to_file() else {
        return assert!(
            env.is_empty(),
            "values read from an env file are not written"
        );
    };
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
