//! Bounds checked before any YAML parser sees a file: nesting depth and alias expansion.
//!
//! The parsers hsm uses are superlinear in ways a hostile or broken file can exploit:
//! libyaml (behind serde) checks every open flow collection for each token, so 100,000
//! nested `[` take minutes; the lossless `yaml-edit` parser is worse than quadratic in
//! block nesting; and an alias repeats its anchor's whole node each time it is used, so a
//! few kilobytes of anchors ("billion laughs") expand to gigabytes. serde's own recursion
//! limit only applies *after* libyaml has read the whole file.
//!
//! [`check`] is one linear pass over the text with just enough of YAML's grammar to know
//! which characters are structure: quoted scalars (which may span lines), comments, block
//! scalars (`|`, `>`, by their indentation), plain scalars (in which `[`, `{` and `'` are
//! text, and which also span lines), flow collections and block collections (by their
//! indentation and `-`, `?` and `key:` indicators). Where the text is not valid YAML it
//! errs on the side of structure, so the parsers never find deeper nesting than it did.
//!
//! - **Depth**: open block collections plus open flow collections may not exceed
//!   [`MAX_DEPTH`]; the error points at the `[`, `{`, `-` or key that goes over.
//! - **Aliases**: each anchor's node is measured in bytes, counting what the aliases inside
//!   it repeat; the bytes all aliases of the file repeat may not exceed [`MAX_ALIAS_BYTES`].
//!   The error points at the alias that goes over. Anchors hsm files use (a shared
//!   healthcheck, say) repeat a few hundred bytes.

mod flow;

use std::collections::HashMap;

/// Deepest nesting of collections (block and flow together) hsm reads. hsm's formats need
/// six levels or so; libyaml, behind serde, refuses 128.
pub const MAX_DEPTH: usize = 64;

/// Most text the aliases of one file may repeat.
pub const MAX_ALIAS_BYTES: usize = 1024 * 1024;

/// Which limit a text goes over, and the byte offset where it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exceeded {
    Depth(usize),
    Aliases(usize),
}

/// Check `text` against [`MAX_DEPTH`] and [`MAX_ALIAS_BYTES`], in time linear in its length.
pub(crate) fn check(text: &str) -> Result<(), Exceeded> {
    Scanner::new(text).run().map(|_| ())
}

/// The deepest nesting [`check`] sees (for tests).
#[cfg(test)]
pub(crate) fn depth(text: &str) -> usize {
    let mut s = Scanner::new(text);
    s.limit = usize::MAX;
    s.run().map_or(usize::MAX, |s| s.deepest)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

/// Where an anchored node ends.
#[derive(Debug, Clone, Copy)]
enum End {
    /// In a flow collection at this depth: at a `,` at that depth, or when it closes.
    Flow(usize),
    /// At the first line indented less than `col`, or as much unless it is a `-` item and
    /// `dashes` (the value of `key:` may be a list with its dashes in the key's column).
    Within { col: usize, dashes: bool },
    /// At the first line indented less than `col`.
    Below(usize),
    /// On the first node of line `line`: the anchor is that node's (a key's: it ends at
    /// the `:`, else at the next line); alone on its line it is the anchor of the node on
    /// the lines below, and ends as [`End::Below`].
    Line {
        col: usize,
        line: usize,
        content: bool,
    },
}

#[derive(Debug)]
struct Open<'a> {
    name: &'a str,
    start: usize,
    /// Bytes the aliases inside repeat.
    extra: usize,
    end: End,
}

/// What the next character in block context can be.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A node; `push` if a block collection may start here.
    Node { push: bool, place: Place },
    /// After a quoted scalar, alias or flow collection: a `:` makes it a key (at `key`,
    /// `(column, offset)`, if a block mapping may start there).
    After { key: Option<(usize, usize)> },
}

/// Where a node in block context is, for the end of an anchor on it.
#[derive(Debug, Clone, Copy)]
enum Place {
    LineStart,
    Within { col: usize, dashes: bool },
    Below(usize),
}

/// How a plain scalar stopped.
enum Stop {
    /// At the `:` (this offset) that makes it a key.
    Key(usize),
    Comment,
    EndOfLine,
}

#[derive(Debug, Clone, Copy)]
struct BlockScalar {
    /// Column of the collection holding it (-1 at the top level).
    parent: isize,
    /// Indentation of its content, once known.
    indent: Option<usize>,
}

struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    limit: usize,
    deepest: usize,
    flow: usize,
    /// In a flow collection: a node may start here (else one just ended).
    flow_node: bool,
    /// A plain scalar in a flow collection ran to the end of the line (and may go on).
    flow_plain: bool,
    /// Open block collections: column and kind.
    block: Vec<(usize, Kind)>,
    /// Inside a quoted scalar (its quote) that goes on past the line.
    quote: Option<u8>,
    block_scalar: Option<BlockScalar>,
    /// A plain scalar in block context ran to the end of the line; lines indented more
    /// than this go on with it.
    plain_parent: Option<isize>,
    line: usize,
    marked: bool,
    anchors: HashMap<&'a str, usize>,
    open: Vec<Open<'a>>,
    repeated: usize,
}

fn is_ws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn is_flow_indicator(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner {
            text,
            b: text.as_bytes(),
            limit: MAX_DEPTH,
            deepest: 0,
            flow: 0,
            flow_node: true,
            flow_plain: false,
            block: Vec::new(),
            quote: None,
            block_scalar: None,
            plain_parent: None,
            line: 0,
            marked: false,
            anchors: HashMap::new(),
            open: Vec::new(),
            repeated: 0,
        }
    }

    fn run(mut self) -> Result<Self, Exceeded> {
        let mut pos = 0;
        while pos < self.b.len() {
            // Line breaks are `\n`, `\r\n` and a lone `\r`, as in YAML.
            let end = self.b[pos..]
                .iter()
                .position(|&c| c == b'\n' || c == b'\r')
                .map_or(self.b.len(), |i| pos + i);
            self.line += 1;
            self.marked = false;
            self.line_at(pos, end)?;
            pos = match self.b.get(end..end + 2) {
                Some(b"\r\n") => end + 2,
                _ => end + 1,
            };
        }
        Ok(self)
    }

    // -----------------------------------------------------------------------------------
    // Lines.

    fn line_at(&mut self, start: usize, end: usize) -> Result<(), Exceeded> {
        if let Some(q) = self.quote {
            let Some(j) = self.close_quote(q, start, end) else {
                return Ok(());
            };
            self.quote = None;
            return self.after_quote(j, start, end);
        }
        let indent = self.b[start..end]
            .iter()
            .take_while(|&&c| c == b' ')
            .count();
        let first = (start..end).find(|&i| !is_ws(self.b[i])).unwrap_or(end);
        let marker = indent == 0 && self.document_marker(start, end);
        if let Some(bs) = self.block_scalar {
            if !marker {
                if first == end {
                    return Ok(());
                }
                match bs.indent {
                    Some(n) if indent >= n => return Ok(()),
                    None if indent as isize > bs.parent => {
                        self.block_scalar = Some(BlockScalar {
                            indent: Some(indent),
                            ..bs
                        });
                        return Ok(());
                    }
                    _ => {}
                }
            }
            self.block_scalar = None;
        }
        if self.flow > 0 {
            return self.flow_line(start, end);
        }
        if first == end {
            return Ok(());
        }
        if self.b[first] == b'#' {
            self.plain_parent = None;
            return Ok(());
        }
        if marker {
            return self.document(start, end);
        }
        if indent == 0 && self.b[start] == b'%' {
            return Ok(()); // a directive
        }
        if let Some(parent) = self.plain_parent
            && indent as isize > parent
        {
            return self.plain_continuation(start, first, end);
        }
        self.plain_parent = None;
        let dash = self.b[first] == b'-' && self.block_sep(first + 1, end);
        self.structural_line(start, indent, dash);
        self.block_rest(
            first,
            start,
            end,
            Expect::Node {
                push: true,
                place: Place::LineStart,
            },
        )
    }

    fn document_marker(&self, start: usize, end: usize) -> bool {
        let line = &self.b[start..end];
        (line.starts_with(b"---") || line.starts_with(b"...")) && self.block_sep(start + 3, end)
    }

    /// `---` or `...`: a new document (or the end of one) starts afresh.
    fn document(&mut self, start: usize, end: usize) -> Result<(), Exceeded> {
        while let Some(o) = self.open.pop() {
            self.finish(o, start);
        }
        self.block.clear();
        self.plain_parent = None;
        self.block_rest(
            start + 3,
            start,
            end,
            Expect::Node {
                push: false,
                place: Place::Below(0),
            },
        )
    }

    /// A line in block context that starts a node: it ends anchored nodes and block
    /// collections indented deeper.
    fn structural_line(&mut self, start: usize, indent: usize, dash: bool) {
        let mut i = 0;
        while i < self.open.len() {
            let ends = match &mut self.open[i].end {
                End::Flow(_) => true,
                End::Within { col, dashes } => {
                    indent < *col || (indent == *col && !(*dashes && dash))
                }
                End::Below(col) => indent < *col,
                End::Line { content: true, .. } => true,
                End::Line { col, .. } => {
                    let col = *col;
                    self.open[i].end = End::Below(col);
                    indent < col
                }
            };
            if ends {
                let o = self.open.swap_remove(i);
                self.finish(o, start);
            } else {
                i += 1;
            }
        }
        while self.block.last().is_some_and(|&(c, _)| c > indent) {
            self.block.pop();
        }
        // A list in its key's column ends at the next line that is not an item.
        let n = self.block.len();
        if !dash
            && n >= 2
            && self.block[n - 1] == (indent, Kind::Seq)
            && self.block[n - 2].0 == indent
        {
            self.block.pop();
        }
    }

    /// The next line of a plain scalar that went past its line.
    fn plain_continuation(
        &mut self,
        start: usize,
        first: usize,
        end: usize,
    ) -> Result<(), Exceeded> {
        match self.plain_block(first, first, end) {
            Stop::EndOfLine => Ok(()),
            Stop::Comment => {
                self.plain_parent = None;
                Ok(())
            }
            // Not valid YAML (a key cannot span lines); read on as if the value started.
            Stop::Key(j) => {
                self.plain_parent = None;
                self.block_rest(
                    j + 1,
                    start,
                    end,
                    Expect::Node {
                        push: false,
                        place: Place::Below(0),
                    },
                )
            }
        }
    }

    /// A line that starts inside a flow collection.
    fn flow_line(&mut self, start: usize, end: usize) -> Result<(), Exceeded> {
        let mut i = (start..end).find(|&i| !is_ws(self.b[i])).unwrap_or(end);
        if i == end {
            return Ok(());
        }
        if self.flow_plain {
            self.flow_plain = false;
            let c = self.b[i];
            let ends =
                is_flow_indicator(c) || c == b'#' || (c == b':' && self.flow_sep(i + 1, end));
            if !ends {
                let (j, eol) = self.plain_flow(i, end);
                if eol {
                    self.flow_plain = true;
                    return Ok(());
                }
                self.flow_node = false;
                i = j;
            }
        }
        match self.flow_rest(i, start, end)? {
            Some(j) => self.block_rest(j, start, end, Expect::After { key: None }),
            None => Ok(()),
        }
    }

    /// Go on after a quoted scalar that closed at `j`, on a later line than it opened.
    fn after_quote(&mut self, j: usize, start: usize, end: usize) -> Result<(), Exceeded> {
        if self.flow > 0 {
            self.flow_node = false;
            match self.flow_rest(j, start, end)? {
                Some(k) => self.block_rest(k, start, end, Expect::After { key: None }),
                None => Ok(()),
            }
        } else {
            self.block_rest(j, start, end, Expect::After { key: None })
        }
    }

    // -----------------------------------------------------------------------------------
    // Block context.

    fn block_sep(&self, i: usize, end: usize) -> bool {
        i >= end || is_ws(self.b[i])
    }

    fn flow_sep(&self, i: usize, end: usize) -> bool {
        i >= end || is_ws(self.b[i]) || is_flow_indicator(self.b[i])
    }

    fn parent_col(&self) -> isize {
        self.block.last().map_or(-1, |&(c, _)| c as isize)
    }

    fn block_rest(
        &mut self,
        mut i: usize,
        start: usize,
        end: usize,
        mut expect: Expect,
    ) -> Result<(), Exceeded> {
        loop {
            while i < end && is_ws(self.b[i]) {
                i += 1;
            }
            if i >= end {
                return Ok(());
            }
            let c = self.b[i];
            let col = i - start;
            let (push, place) = match expect {
                Expect::After { key } => {
                    if c == b':' {
                        if let Some((kc, ko)) = key {
                            self.push_block(kc, Kind::Map, ko)?;
                        }
                        self.close_line_anchors(i);
                        let kc = key.map_or(col, |(kc, _)| kc);
                        expect = Expect::Node {
                            push: false,
                            place: Place::Within {
                                col: kc,
                                dashes: true,
                            },
                        };
                        i += 1;
                        continue;
                    }
                    // A comment, or something no parser accepts here: read on as a node.
                    (false, Place::Below(0))
                }
                Expect::Node { push, place } => (push, place),
            };
            match c {
                b'#' => return Ok(()),
                b'-' | b'?' | b':' if self.block_sep(i + 1, end) => {
                    match c {
                        b'-' => self.push_block(col, Kind::Seq, i)?,
                        b'?' => self.push_block(col, Kind::Map, i)?,
                        _ => {}
                    }
                    self.mark_content();
                    expect = Expect::Node {
                        push: true,
                        place: Place::Within {
                            col,
                            dashes: c == b':',
                        },
                    };
                    i += 1;
                }
                b'[' | b'{' => {
                    self.mark_content();
                    let key = push.then_some((col, i));
                    self.flow_open(i)?;
                    match self.flow_rest(i + 1, start, end)? {
                        Some(j) => {
                            i = j;
                            expect = Expect::After { key };
                        }
                        None => return Ok(()),
                    }
                }
                b'\'' | b'"' => {
                    self.mark_content();
                    match self.close_quote(c, i + 1, end) {
                        Some(j) => {
                            expect = Expect::After {
                                key: push.then_some((col, i)),
                            };
                            i = j;
                        }
                        None => {
                            self.quote = Some(c);
                            return Ok(());
                        }
                    }
                }
                b'|' | b'>' => {
                    self.mark_content();
                    let parent = self.parent_col();
                    let digit = self.b[i + 1..end]
                        .iter()
                        .take_while(|c| c.is_ascii_digit() || **c == b'+' || **c == b'-')
                        .find(|c| c.is_ascii_digit())
                        .map(|d| usize::from(d - b'0'));
                    let indent = digit.map(|d| parent.max(0) as usize + d);
                    self.block_scalar = Some(BlockScalar { parent, indent });
                    return Ok(());
                }
                b'&' => {
                    let j = self.name_end(i + 1, end);
                    let end_at = match place {
                        Place::LineStart => End::Line {
                            col,
                            line: self.line,
                            content: false,
                        },
                        Place::Within { col, dashes } => End::Within { col, dashes },
                        Place::Below(col) => End::Below(col),
                    };
                    self.open_anchor(i, j, end_at)?;
                    i = j;
                    expect = Expect::Node { push, place };
                }
                b'!' => {
                    i = self.tag_end(i, end);
                    expect = Expect::Node { push, place };
                }
                b'*' => {
                    self.mark_content();
                    let j = self.name_end(i + 1, end);
                    self.alias(i, j)?;
                    expect = Expect::After {
                        key: push.then_some((col, i)),
                    };
                    i = j;
                }
                _ => {
                    self.mark_content();
                    match self.plain_block(i, i + 1, end) {
                        Stop::Key(j) => {
                            if push {
                                self.push_block(col, Kind::Map, i)?;
                            }
                            self.close_line_anchors(j);
                            let kc = if push {
                                col
                            } else {
                                self.parent_col().max(0) as usize
                            };
                            expect = Expect::Node {
                                push: false,
                                place: Place::Within {
                                    col: kc,
                                    dashes: true,
                                },
                            };
                            i = j + 1;
                        }
                        Stop::Comment => return Ok(()),
                        Stop::EndOfLine => {
                            self.plain_parent = Some(self.parent_col());
                            return Ok(());
                        }
                    }
                }
            }
        }
    }

    /// A plain scalar in block context starting at `i`, scanned from `from`.
    fn plain_block(&self, i: usize, from: usize, end: usize) -> Stop {
        let mut j = from;
        while j < end {
            match self.b[j] {
                b':' if self.block_sep(j + 1, end) => return Stop::Key(j),
                b'#' if j > i && is_ws(self.b[j - 1]) => return Stop::Comment,
                _ => j += 1,
            }
        }
        Stop::EndOfLine
    }

    fn push_block(&mut self, col: usize, kind: Kind, at: usize) -> Result<(), Exceeded> {
        let push = match self.block.last() {
            None => true,
            Some(&(c, k)) => col > c || (col == c && k == Kind::Map && kind == Kind::Seq),
        };
        if push {
            self.block.push((col, kind));
            self.check_depth(at)?;
        }
        Ok(())
    }

    fn check_depth(&mut self, at: usize) -> Result<(), Exceeded> {
        let depth = self.block.len() + self.flow;
        self.deepest = self.deepest.max(depth);
        if depth > self.limit {
            Err(Exceeded::Depth(at))
        } else {
            Ok(())
        }
    }

    // -----------------------------------------------------------------------------------
    // Flow context.
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset_of(text: &str, e: Result<(), Exceeded>) -> Option<(usize, usize)> {
        let at = match e {
            Ok(()) => return None,
            Err(Exceeded::Depth(at) | Exceeded::Aliases(at)) => at,
        };
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        Some((line, col))
    }

    #[test]
    fn counts_flow_and_block_nesting() {
        assert_eq!(depth("a: b\n"), 1);
        assert_eq!(depth("a: [b, {c: d}]\n"), 3);
        assert_eq!(depth("a:\n  b:\n    - c\n    - [d]\n"), 4);
        assert_eq!(depth("a:\n- b\n- c: d\n"), 3);
        assert_eq!(depth("- - - x\n"), 3);
        assert_eq!(depth("[[[x]]]\n"), 3);
        assert_eq!(depth("a: [\n  [\n    [x]]]\nb: c\n"), 4);
    }

    #[test]
    fn text_is_not_structure() {
        // Brackets in quotes, comments, plain scalars and block scalars are text.
        assert_eq!(depth("a: '[[[['\nb: \"{{{\"\n"), 1);
        assert_eq!(depth("a: x # [[[[\n# {{{{\n"), 1);
        assert_eq!(depth("a: x[[[[ {{{\nb: it's [[[[\n"), 1);
        assert_eq!(depth("a: |\n  [[[[\n  {{{{\nb: >-\n  [[[\n"), 1);
        assert_eq!(depth("a: 'multi\n  line [[[[ ''\n  quote'\nb: c\n"), 1);
        assert_eq!(depth("a: plain\n  'goes on [[[[\nb: c\n"), 1);
        assert_eq!(depth("[a\n 'b, c]\n"), 1);
        assert_eq!(depth("a: \"x\\\"[[[\"\n"), 1);
    }

    #[test]
    fn structure_after_text_is_counted() {
        // A block scalar ends where the indentation does.
        assert_eq!(depth("- a: |\n    x\n  b: [[[y]]]\n"), 5);
        // A quote inside a plain scalar opens nothing.
        assert_eq!(depth("a: it's\nb: [[[x]]]\n"), 4);
        assert_eq!(depth("[a'b, [[x]]]\n"), 3);
        // After a quoted scalar that spans lines.
        assert_eq!(depth("a: [\"x\n y\", [[z]]]\n"), 4);
    }

    #[test]
    fn deep_nesting_is_refused_where_it_goes_over() {
        let text = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(offset_of(&text, check(&text)), Some((1, 4 + 63)));
        let mut block = String::new();
        for i in 0..100 {
            block.push_str(&format!("{}k:\n", " ".repeat(i)));
        }
        assert_eq!(offset_of(&block, check(&block)), Some((65, 65)));
        let seqs = format!("{}x\n", "- ".repeat(100));
        assert_eq!(offset_of(&seqs, check(&seqs)), Some((1, 129)));
        let ok = format!("a: {}{}\n", "[".repeat(63), "]".repeat(63));
        assert_eq!(check(&ok), Ok(()));
    }

    #[test]
    fn alias_expansion_is_bounded() {
        // Billion laughs: each level repeats the previous one ten times.
        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let at = offset_of(&laughs, check(&laughs));
        assert!(matches!(at, Some((6 | 7, _))), "{at:?}");
        // The same in block style.
        let mut laughs = String::from("a0: &a0\n  - xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
        for i in 1..12 {
            laughs.push_str(&format!("a{i}: &a{i}\n"));
            for _ in 0..10 {
                laughs.push_str(&format!("  - *a{}\n", i - 1));
            }
        }
        assert!(check(&laughs).is_err());
        // Anchors used a few times are fine, as is one used many times on a small node.
        let ok = "hc: &hc {test: [CMD, pg_isready], interval: 5s}\na: *hc\nb: *hc\n";
        assert_eq!(check(ok), Ok(()));
        let many = format!("x: &x small\nl: [{}]\n", "*x, ".repeat(10_000));
        assert_eq!(check(&many), Ok(()));
        // An alias of an anchor whose node looks open does not count itself twice.
        let siblings = format!("- &a {{k: v}}\n{}", "- *a\n".repeat(10_000));
        assert_eq!(check(&siblings), Ok(()));
        let keys = format!("&a k: v\n{}", "j: *a\n".repeat(10_000));
        assert_eq!(check(&keys), Ok(()));
    }

    #[test]
    fn the_scan_is_linear() {
        // Inputs that are slow for the parsers are one pass here.
        let started = std::time::Instant::now();
        let n = 2 << 20;
        let _ = depth(&"[".repeat(n));
        let _ = depth(&"'".repeat(n));
        let _ = check(&"- &a\n".repeat(n / 5));
        let _ = check(&"- &a *a\n".repeat(n / 8));
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    mod property {
        use proptest::prelude::*;
        use serde_yaml::{Mapping, Value};

        use super::super::depth;

        fn value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                // Printable ASCII: brackets, quotes, `#`, `:`, `|`, `&`, `*` in strings.
                "[ -~]{0,12}".prop_map(Value::String),
                "[ -~\n]{0,12}".prop_map(Value::String),
                "\\PC{0,6}".prop_map(Value::String),
                any::<i32>().prop_map(|n| Value::Number(n.into())),
                Just(Value::Null),
            ];
            leaf.prop_recursive(10, 80, 5, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Sequence),
                    prop::collection::vec(("[ -~]{1,8}", inner), 0..5).prop_map(|entries| {
                        Value::Mapping(
                            entries
                                .into_iter()
                                .map(|(k, v)| (Value::String(k), v))
                                .collect::<Mapping>(),
                        )
                    }),
                ]
            })
        }

        fn nesting(v: &Value) -> usize {
            match v {
                Value::Sequence(s) => 1 + s.iter().map(nesting).max().unwrap_or(0),
                Value::Mapping(m) => 1 + m.values().map(nesting).max().unwrap_or(0),
                _ => 0,
            }
        }

        proptest! {
            /// The scan never sees less nesting than the parser builds (so no file gets past
            /// the limit), and hardly more (so no file is refused for what is text).
            #[test]
            fn the_scan_sees_the_nesting_the_parser_builds(v in value()) {
                let actual = nesting(&v);
                let block = serde_yaml::to_string(&v).unwrap();
                let seen = depth(&block);
                prop_assert!(seen >= actual && seen <= actual + 1, "{seen} vs {actual}:\n{block}");
                let flow = serde_json::to_string(&v).unwrap();
                prop_assert_eq!(depth(&flow), actual, "{}", flow);
            }
        }
    }
}
