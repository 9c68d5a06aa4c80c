//! JUnit XML, the test report format CI systems display (Jenkins, GitLab, GitHub actions
//! that publish test results): `hsm registry test --junit FILE`.
//!
//! The shape is the one Jenkins' xunit plugin validates against (`junit-10.xsd`, which
//! pytest also checks its own reports with): `<testsuites>` holding one `<testsuite>` per
//! scenario file, one `<testcase>` per case, a `<failure>` per failed case whose text is
//! every failure, and an `<error>` for a file or case that does not load.

use std::fmt::Write as _;
use std::time::Duration;

use super::CaseResult;

/// One line of a run, as the report shows it.
pub enum Item<'a> {
    Case(&'a CaseResult),
    /// A scenario file or case that does not load: its file and the error.
    Broken {
        file: String,
        message: String,
    },
}

/// The report of `items`, in their order, grouped by file.
pub fn render<'a>(items: impl IntoIterator<Item = Item<'a>>) -> String {
    let mut suites: Vec<(String, Vec<Item<'a>>)> = Vec::new();
    for item in items {
        let file = match &item {
            Item::Case(c) => c.file.clone(),
            Item::Broken { file, .. } => file.clone(),
        };
        match suites.iter_mut().find(|(f, _)| *f == file) {
            Some((_, list)) => list.push(item),
            None => suites.push((file, vec![item])),
        }
    }
    let count = |items: &[Item<'_>]| {
        let failures = items
            .iter()
            .filter(|i| matches!(i, Item::Case(c) if !c.failures.is_empty()))
            .count();
        let errors = items
            .iter()
            .filter(|i| matches!(i, Item::Broken { .. }))
            .count();
        let time: Duration = items
            .iter()
            .map(|i| match i {
                Item::Case(c) => c.elapsed,
                Item::Broken { .. } => Duration::ZERO,
            })
            .sum();
        (items.len(), failures, errors, time)
    };
    let all: Vec<(usize, usize, usize, Duration)> =
        suites.iter().map(|(_, items)| count(items)).collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"hsm registry test\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
        all.iter().map(|c| c.0).sum::<usize>(),
        all.iter().map(|c| c.1).sum::<usize>(),
        all.iter().map(|c| c.2).sum::<usize>(),
        seconds(all.iter().map(|c| c.3).sum()),
    );
    for ((file, items), (tests, failures, errors, time)) in suites.iter().zip(&all) {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{f}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{}\" file=\"{f}\">",
            seconds(*time),
            f = escape(file),
        );
        let class = escape(&classname(file));
        for item in items {
            match item {
                Item::Case(c) => {
                    let head = format!(
                        "    <testcase name=\"{}\" classname=\"{class}\" time=\"{}\"",
                        escape(&c.name),
                        seconds(c.elapsed)
                    );
                    if c.failures.is_empty() {
                        let _ = writeln!(out, "{head}/>");
                        continue;
                    }
                    let first = c.failures[0].lines().next().unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "{head}>\n      <failure type=\"expectation\" message=\"{}\">{}</failure>\n    </testcase>",
                        escape(first),
                        escape(&format!("{}\n{}", c.at, c.failures.join("\n")))
                    );
                }
                Item::Broken { message, .. } => {
                    let first = message.lines().next().unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "    <testcase name=\"(scenario file)\" classname=\"{class}\" time=\"0.000\">\n      <error type=\"scenario\" message=\"{}\">{}</error>\n    </testcase>",
                        escape(first),
                        escape(message)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// `rules/brokers.yaml` → `rules.brokers`: how CI systems group cases.
fn classname(file: &str) -> String {
    let stem = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))
        .unwrap_or(file);
    stem.trim_start_matches("./").replace(['/', '\\'], ".")
}

fn seconds(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// Text as XML attribute or element content. Characters XML 1.0 cannot hold at all
/// (controls other than tab and newlines) become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b>&\"c'\u{1b}[0m"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}[0m"
        );
        assert_eq!(classname("./rules/x/y.yml"), "rules.x.y");
    }
}
