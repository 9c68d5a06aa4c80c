//! Rendering shared by the command handlers: errors, selections, conflicts.

use std::fmt::Write as _;
use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::error::{Error, ErrorKind};
use crate::solve::{Conflict, Selected, Selection};
use crate::vocab::count;

/// Write to stdout. A closed pipe (`hsm resolve | head`) ends the process quietly instead
/// of panicking like `print!` would.
pub fn emit(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if out.write_fmt(args).and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}

/// `print!` through [`emit`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::output::emit(format_args!($($arg)*)) };
}

/// `println!` through [`emit`].
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::output::emit(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {out, outln};

/// Ask a yes/no question on the terminal (the answer defaults to no). hsm never prompts
/// when stdin is not a terminal (CI, pipes, agents): then this is an error telling the
/// user to pass `--yes`, which the calling command offers.
#[allow(dead_code)] // for the registry's removal commands
pub fn confirm(question: &str) -> Result<bool, Error> {
    let stdin = std::io::stdin();
    ask(
        question,
        stdin.is_terminal(),
        &mut stdin.lock(),
        &mut std::io::stderr(),
    )
}

#[allow(dead_code)]
fn ask(
    question: &str,
    interactive: bool,
    input: &mut impl std::io::BufRead,
    prompt: &mut impl std::io::Write,
) -> Result<bool, Error> {
    if !interactive {
        return Err(Error::new(
            ErrorKind::NeedsConfirmation,
            format!("\"{question}\" needs confirmation; pass --yes"),
        )
        .with_help("stdin is not a terminal, so hsm does not ask; pass --yes to confirm"));
    }
    let io = |e: std::io::Error| Error::new(ErrorKind::Io, format!("cannot ask: {e}"));
    write!(prompt, "{question} [y/N] ").map_err(io)?;
    prompt.flush().map_err(io)?;
    let mut answer = String::new();
    input.read_line(&mut answer).map_err(io)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Colours only on a terminal, and never with `NO_COLOR` set to a non-empty value (the
/// no-color.org rule, which clap follows too).
pub fn color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// An error as the user sees it: message, a code frame at file:line:column, and help.
/// Colours only on a terminal without `NO_COLOR`, so captured output is stable.
pub fn render_error(err: &Error) -> String {
    render_report(err, "error", color(std::io::stderr().is_terminal()))
}

/// Any diagnostic as `<prefix>: message`, a code frame and help (errors, lint findings).
pub fn render_report(report: &dyn miette::Diagnostic, prefix: &str, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_wrap_lines(false)
        .with_break_words(false)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, report).is_err() {
        out = format!("{prefix}: {report}\n");
    }
    // miette leaves trailing spaces on some lines; strip them so output diffs cleanly.
    let mut clean: String = out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    clean.push('\n');
    format!(
        "{prefix}: {}",
        clean
            .trim_start()
            .trim_start_matches(['×', '⚠', '☞'])
            .trim_start()
    )
}

/// One line per component: kind, name, version, mode, profile (columns aligned).
pub fn selection_table(selection: &Selection, explain: bool) -> String {
    let rows: Vec<[String; 5]> = selection.components.iter().map(row).collect();
    let mut widths = [0usize; 5];
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut chains = selection.chains();
    for (r, c) in rows.iter().zip(&selection.components) {
        let mut line = String::from(" ");
        for (cell, w) in r.iter().zip(widths) {
            let _ = write!(line, " {cell:<w$} ");
        }
        let _ = writeln!(out, "{}", line.trim_end());
        if explain {
            let chain = chains.of(c);
            if let Some(above) = chain.above_text() {
                let _ = writeln!(out, "      ← {above}");
            }
            for reason in &chain.steps {
                let _ = writeln!(out, "      ← {} ({})", reason.text, reason.at());
            }
        }
    }
    out
}

fn row(c: &Selected) -> [String; 5] {
    let profile = match &c.profile {
        Some(p)
            if p.name != "default" || p.mode != crate::registry::model::ProfileMode::Managed =>
        {
            format!("profile {} ({})", p.name, serde_plain(&p.mode))
        }
        _ => String::new(),
    };
    [
        c.kind.to_string(),
        c.name.clone(),
        c.version
            .as_ref()
            .map_or_else(|| "-".to_string(), ToString::to_string),
        c.mode.to_string(),
        profile,
    ]
}

pub fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn selection_json(selection: &Selection, registry: &str) -> serde_json::Value {
    let mut chains = selection.chains();
    let components: Vec<serde_json::Value> = selection
        .components
        .iter()
        .map(|c| {
            let chain = chains.of(c);
            let mut item = serde_json::json!({
                "kind": c.kind,
                "name": c.name,
                "version": c.version.as_ref().map(ToString::to_string),
                "mode": c.mode,
                "profile": c.profile.as_ref().map(|p| serde_json::json!({"name": p.name, "mode": p.mode, "runtime": p.runtime})),
                "params": c.params,
                "reasons": chain.steps,
            });
            if let Some(above) = chain.above {
                item["reasons_above"] = serde_json::json!(above);
            }
            item
        })
        .collect();
    serde_json::json!({
        "status": "ok",
        "registry": registry,
        "components": components,
        "groups": selection.groups,
    })
}

/// Report a stack that does not solve (JSON on stdout, or the explanation on stderr)
/// and fail.
pub fn conflict(
    conflict: &Conflict,
    format: super::Format,
) -> Result<std::process::ExitCode, Error> {
    match format {
        super::Format::Json => outln!("{:#}", conflict_json(conflict)),
        super::Format::Text => eprint!("{}", conflict.render()),
    }
    Ok(std::process::ExitCode::from(1))
}

pub fn conflict_json(conflict: &Conflict) -> serde_json::Value {
    serde_json::json!({
        "status": "conflict",
        "summary": conflict.summary,
        "clash": conflict.clash,
        "sides": conflict.sides,
        "also": conflict.also,
        "same_origin": conflict.same_origin,
        "hints": conflict.hints.iter().map(hint_json).collect::<Vec<_>>(),
    })
}

/// A hint as data: its kind and parts (each edit with its command, what the stack
/// gains and loses) and the sentence the text report prints.
fn hint_json(hint: &crate::solve::hint::Hint) -> serde_json::Value {
    let mut value = serde_json::json!(hint);
    if let Some(fields) = value.as_object_mut() {
        fields.insert("text".into(), hint.to_string().into());
    }
    value
}

pub fn count_summary(selection: &Selection) -> String {
    let (libs, svcs) = selection.counts();
    counts(libs, svcs)
}

/// "3 components (2 libraries, 1 service)".
pub fn counts(libs: usize, svcs: usize) -> String {
    format!(
        "{} ({}, {})",
        count(libs + svcs, "component"),
        count(libs, "library"),
        count(svcs, "service")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(interactive: bool, typed: &str) -> (Result<bool, Error>, String) {
        let mut prompt = Vec::new();
        let result = ask(
            "Remove library `x`?",
            interactive,
            &mut typed.as_bytes(),
            &mut prompt,
        );
        (result, String::from_utf8(prompt).unwrap())
    }

    #[test]
    fn confirm_never_prompts_without_a_terminal() {
        let (result, prompt) = answer(false, "y\n");
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::NeedsConfirmation);
        assert_eq!(
            err.message,
            "\"Remove library `x`?\" needs confirmation; pass --yes"
        );
        assert_eq!(prompt, "", "nothing may be printed or read");
    }

    #[test]
    fn confirm_on_a_terminal_takes_yes_and_defaults_to_no() {
        for (typed, expected) in [
            ("y\n", true),
            ("YES\n", true),
            (" yes \n", true),
            ("n\n", false),
            ("\n", false),
            ("", false),
            ("maybe\n", false),
        ] {
            let (result, prompt) = answer(true, typed);
            assert_eq!(result.unwrap(), expected, "{typed:?}");
            assert_eq!(prompt, "Remove library `x`? [y/N] ");
        }
    }
}
