//! The scaling table of `docs/scaling.md`: whole `hsm` processes at 1k, 10k and 100k
//! registry components, median wall time and peak memory of each.
//!
//! ```text
//! cargo bench --bench scaling                 # print the table
//! cargo bench --bench scaling -- --write      # and rewrite it in docs/scaling.md
//! HSM_SCALING_SIZES=1000,10000 cargo bench --bench scaling   # fewer sizes
//! ```
//!
//! Every figure of issue 14, on the shapes of `synth/scale.rs` (n libraries, n/2 services,
//! n/10 groups of 5; the project selects one option per group and 10 more libraries) and
//! `synth/chain.rs` (a chain of n implications):
//!
//! - `sync, no-op`: `hsm sync --no-install` on a project it synced before: the fast path
//!   (`.hsm/fingerprint`), which proves with `stat` that no input changed;
//! - `sync, no-op, full path`: the same with the fingerprint removed before each run, so
//!   the stack is solved, rendered and compared (what every sync did before issue 14);
//! - `sync, first`: hsm.lock, pyproject.toml, the compose file and the env files removed
//!   before each run: everything is solved, rendered and written in one transaction;
//! - `registry lint`, `registry list`: the whole registry;
//! - `resolve, chain of n`: `hsm resolve` of a stack that is one chain of n implications.
//!
//! Projects are generated once under `target/scaling/` (the 100k registry is 160,000
//! files; delete the folder after changing the generators). Peak memory is read from GNU
//! time (`/usr/bin/time`); without it the column says `-`. The binary is the release
//! `hsm` cargo builds for benchmarks. No timing is asserted anywhere: the table is for
//! people, and the issue notes quote it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "synth/chain.rs"]
#[allow(dead_code)] // only the chain shape is measured here
mod chain;
#[path = "synth/scale.rs"]
mod scale;

/// Bump when the generated projects change (regenerates `target/scaling/`).
const LAYOUT: &str = "v1";
const BEGIN: &str = "<!-- scaling:begin -->";
const END: &str = "<!-- scaling:end -->";

fn main() {
    let write = std::env::args().any(|a| a == "--write");
    let sizes: Vec<usize> = std::env::var("HSM_SCALING_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let rows = measure(&sizes);
    let table = render(&sizes, &rows);
    println!("{table}");
    if write {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scaling.md");
        let text = fs::read_to_string(&path).expect("docs/scaling.md");
        let (head, rest) = text.split_once(BEGIN).expect("the begin marker");
        let (_, tail) = rest.split_once(END).expect("the end marker");
        fs::write(&path, format!("{head}{BEGIN}\n{table}{END}{tail}")).expect("write");
        eprintln!("wrote {}", path.display());
    }
}

/// One measured command: `(median seconds, peak KiB)` per size.
struct Row {
    what: &'static str,
    cells: Vec<Option<(f64, Option<u64>)>>,
}

fn measure(sizes: &[usize]) -> Vec<Row> {
    let names = [
        "sync, no-op (fast path)",
        "sync, no-op, full path",
        "sync, first",
        "registry lint",
        "registry list",
        "resolve, chain of n",
    ];
    let mut rows: Vec<Row> = names
        .iter()
        .map(|what| Row {
            what,
            cells: Vec::new(),
        })
        .collect();
    for &n in sizes {
        let runs = if n >= 100_000 { 5 } else { 7 };
        eprintln!("n = {n}: generating (once) …");
        let project = scale_project(n);
        let chain = chain_project(n);
        let sync = ["sync", "--no-install"];
        eprintln!("n = {n}: measuring …");
        // Synced, then found up to date (which leaves the fingerprint): the next is fast.
        for _ in 0..2 {
            assert!(run(&project, &sync).is_some(), "sync at {n}");
        }
        let cells = [
            time(&project, &sync, runs, |_| {}),
            time(&project, &sync, runs, |p| {
                let _ = fs::remove_file(p.join(".hsm/fingerprint"));
            }),
            time(&project, &sync, runs, remove_artifacts),
            time(&project, &["registry", "lint"], runs, |_| {}),
            time(&project, &["registry", "list"], runs, |_| {}),
            time(&chain, &["resolve"], runs, |_| {}),
        ];
        for (row, cell) in rows.iter_mut().zip(cells) {
            row.cells.push(cell);
        }
    }
    rows
}

fn remove_artifacts(root: &Path) {
    for entry in fs::read_dir(root).expect("read_dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if ["hsm.lock", "pyproject.toml", "docker-compose.hsm.yml"].contains(&name.as_str())
            || name.starts_with(".env.")
        {
            fs::remove_file(entry.path()).expect("remove");
        }
    }
}

/// Median wall time and the largest peak memory of `runs` runs (`prepare` before each,
/// untimed); `None` if a run failed (`registry lint` exits 1 when it finds problems,
/// which counts as a run).
fn time(
    root: &Path,
    args: &[&str],
    runs: usize,
    prepare: impl Fn(&Path),
) -> Option<(f64, Option<u64>)> {
    let mut secs = Vec::new();
    let mut peak: Option<u64> = None;
    for _ in 0..runs {
        prepare(root);
        let (s, kib) = run(root, args)?;
        secs.push(s);
        peak = match (peak, kib) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    secs.sort_by(f64::total_cmp);
    Some((secs[secs.len() / 2], peak))
}

/// One run: wall seconds and, with GNU time, peak KiB.
fn run(root: &Path, args: &[&str]) -> Option<(f64, Option<u64>)> {
    let gnu_time = Path::new("/usr/bin/time");
    let report = root.with_extension("time");
    let mut cmd = if gnu_time.exists() {
        let mut c = Command::new(gnu_time);
        c.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&report)
            .arg(scale::hsm_bin());
        c
    } else {
        Command::new(scale::hsm_bin())
    };
    cmd.args(args)
        .current_dir(root)
        .env_remove("HSM_REGISTRY_PATH")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let status = cmd.status().ok()?;
    let secs = started.elapsed().as_secs_f64();
    // 0 success, 1 findings or a conflict; anything else is a failure.
    if !matches!(status.code(), Some(0 | 1)) {
        return None;
    }
    let kib = fs::read_to_string(&report)
        .ok()
        .and_then(|t| t.lines().last()?.trim().parse().ok());
    Some((secs, kib))
}

fn cache_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/scaling")
        .join(format!("{name}-{LAYOUT}"))
}

/// Write a project into `dir` with `write`, once (a marker says it is whole).
fn generate(dir: &Path, write: impl FnOnce(&Path)) {
    let done = dir.join(".generated");
    if done.exists() {
        return;
    }
    let _ = fs::remove_dir_all(dir);
    write(dir);
    fs::write(done, "").expect("marker");
}

fn scale_project(n: usize) -> PathBuf {
    let dir = cache_dir(&format!("scale-{n}"));
    generate(&dir, |d| scale::write_project(d, n));
    dir
}

fn chain_project(n: usize) -> PathBuf {
    let dir = cache_dir(&format!("chain-{n}"));
    let shape = chain::Shape::Chain;
    let manifest = shape
        .manifest()
        .replacen("project:", "registry: registry\nproject:", 1);
    generate(&dir, |d| scale::write(d, &manifest, shape.files(n)));
    dir
}

fn render(sizes: &[usize], rows: &[Row]) -> String {
    let mut out = String::from("| work |");
    for n in sizes {
        out.push_str(&format!(" n = {} |", human(*n)));
    }
    out.push_str(" growth, smallest → largest n |\n|---|");
    for _ in sizes {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for row in rows {
        out.push_str(&format!("| {} |", row.what));
        for cell in &row.cells {
            match cell {
                None => out.push_str(" failed |"),
                Some((secs, kib)) => {
                    let mem = kib.map_or_else(|| "-".to_string(), |k| format!("{} MiB", k / 1024));
                    out.push_str(&format!(" {} · {mem} |", duration(*secs)));
                }
            }
        }
        // Time per component at the largest size over that at the smallest: 1.0 is linear.
        let growth = match (
            row.cells.first(),
            row.cells.last(),
            sizes.first(),
            sizes.last(),
        ) {
            (Some(Some((a, _))), Some(Some((b, _))), Some(&na), Some(&nb)) if nb > na => {
                format!(" time ×{:.1} for n ×{} |", b / a, nb / na)
            }
            _ => " |".to_string(),
        };
        out.push_str(&growth);
        out.push('\n');
    }
    out
}

fn human(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

fn duration(secs: f64) -> String {
    if secs < 1.0 {
        format!("{:.0} ms", secs * 1000.0)
    } else {
        format!("{secs:.2} s")
    }
}
