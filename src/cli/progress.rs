//! What the user sees while hsm runs a tool (uv, git, compose): on a terminal, one progress
//! line that redraws itself and disappears when the tool ends — never on a pipe, where it
//! would only be noise in a log; with `--verbose`, each command line and the tool's own
//! output as it arrives; with `--quiet`, nothing.

use std::io::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sync::process::Watch;

/// How much to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    /// The default: a progress line when stderr is a terminal.
    Normal,
    Verbose,
}

static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether `--verbose` was given.
pub fn verbose() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Show tools on stderr (installed by [`install`]).
struct Terminal {
    verbose: bool,
    /// When the progress line was last drawn (`None`: not on screen).
    drawn: Mutex<Option<Instant>>,
}

const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/// A tool that ends sooner gets no line at all (no flicker for quick commands).
const FIRST_DRAW: Duration = Duration::from_millis(200);
const REDRAW: Duration = Duration::from_millis(100);

impl Watch for Terminal {
    fn started(&self, what: &str) {
        if self.verbose {
            eprintln!("hsm: running `{what}`");
        }
    }

    fn tick(&self, what: &str, elapsed: Duration) {
        if self.verbose || elapsed < FIRST_DRAW {
            return;
        }
        let Ok(mut drawn) = self.drawn.lock() else {
            return;
        };
        if drawn.is_some_and(|at| at.elapsed() < REDRAW) {
            return;
        }
        let frame = FRAMES[(elapsed.as_millis() / REDRAW.as_millis()) as usize % FRAMES.len()];
        let mut err = std::io::stderr().lock();
        // Carriage return and clear-line: the line is redrawn in place.
        let _ = write!(err, "\r\x1b[2K{frame} {what} ({}s)", elapsed.as_secs());
        let _ = err.flush();
        *drawn = Some(Instant::now());
    }

    fn output(&self, chunk: &[u8]) {
        if self.verbose {
            let _ = std::io::stderr().lock().write_all(chunk);
        }
    }

    fn finished(&self, what: &str, elapsed: Duration, success: bool) {
        if self.verbose {
            let how = if success { "done" } else { "failed" };
            eprintln!("hsm: `{what}` {how} after {:.1}s", elapsed.as_secs_f64());
            return;
        }
        if let Ok(mut drawn) = self.drawn.lock()
            && drawn.take().is_some()
        {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

/// Report the tools hsm runs as `verbosity` asks: a progress line only when stderr is a
/// terminal.
pub fn install(verbosity: Verbosity) {
    use std::io::IsTerminal as _;
    VERBOSE.store(
        verbosity == Verbosity::Verbose,
        std::sync::atomic::Ordering::Relaxed,
    );
    let verbose = match verbosity {
        Verbosity::Quiet => return,
        Verbosity::Verbose => true,
        Verbosity::Normal if std::io::stderr().is_terminal() => false,
        Verbosity::Normal => return,
    };
    crate::sync::process::watch_with(Box::new(Terminal {
        verbose,
        drawn: Mutex::new(None),
    }));
}
