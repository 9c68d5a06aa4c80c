//! Lines and text.
//!
//! Positions are byte offsets. Those that come from the parser or from searching for an
//! ASCII character are character boundaries; arithmetic on them (`end - 1`, the last byte
//! of a value) need not be. So lines are found by scanning bytes, which works from any
//! offset, and text is only ever sliced through [`at`], and spliced after checking the
//! boundaries: a position inside a character is a bug to report, never a panic.
//!
//! A line ends at `\n`, `\r\n` or a lone `\r`, as the YAML parsers see it.

use std::ops::Range;

/// Whether `pos` starts a line: the start of the text, or just past a line break.
pub(super) fn at_line_start(text: &str, pos: usize) -> bool {
    let b = text.as_bytes();
    match pos.checked_sub(1).and_then(|i| b.get(i)) {
        None => true,
        Some(b'\n') => true,
        Some(b'\r') => b.get(pos) != Some(&b'\n'),
        Some(_) => false,
    }
}

/// Start of the line holding `pos`.
pub(super) fn line_start(text: &str, pos: usize) -> usize {
    let mut i = pos.min(text.len());
    while !at_line_start(text, i) {
        i -= 1;
    }
    i
}

/// End of the line holding `pos`, past its line break.
pub(super) fn line_end(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    let pos = pos.min(b.len());
    match b[pos..].iter().position(|&c| c == b'\n' || c == b'\r') {
        None => b.len(),
        Some(i) if b[pos + i] == b'\r' && b.get(pos + i + 1) == Some(&b'\n') => pos + i + 2,
        Some(i) => pos + i + 1,
    }
}

/// `text[range]`, or `""` for a range that is not on character boundaries.
pub(super) fn at(text: &str, range: Range<usize>) -> &str {
    text.get(range).unwrap_or_default()
}

/// The line starting at `start`, without its line break, and its indentation.
pub(super) fn line_at(text: &str, start: usize) -> (&str, usize) {
    let line = at(text, start..line_end(text, start)).trim_end_matches(['\n', '\r']);
    let indent = line.len() - line.trim_start_matches(' ').len();
    (line, indent)
}

/// The line break a file uses: that of its first line (`\n` for a file of one line).
pub(super) fn line_break(text: &str) -> &'static str {
    let end = line_end(text, 0);
    match &text.as_bytes()[..end] {
        [.., b'\r', b'\n'] => "\r\n",
        [.., b'\r'] => "\r",
        _ => "\n",
    }
}

pub(super) fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

pub(super) fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// A block list item: `- x` or a lone `-`.
pub(super) fn is_dash_line(line: &str) -> bool {
    let t = line.trim_start();
    t == "-" || t.starts_with("- ")
}

/// The line before the one starting at `start`, if any.
pub(super) fn prev_line(text: &str, start: usize) -> Option<usize> {
    (start > 0).then(|| line_start(text, start - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_helpers_work_from_any_byte() {
        let text = "a: é\r\nb: c\rd\n";
        for pos in 0..=text.len() {
            let start = line_start(text, pos);
            let end = line_end(text, pos);
            assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
            assert!(start <= pos.min(text.len()) && end >= start);
        }
        // Inside `é`, the line is the first one.
        assert_eq!((line_start(text, 4), line_end(text, 4)), (0, 7));
        assert_eq!((line_start(text, 8), line_end(text, 8)), (7, 12));
        assert_eq!(at(text, 4..5), "");
    }
}
