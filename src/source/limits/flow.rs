//! The flow-collection half of the [`Scanner`](super::Scanner): `[`/`{` nesting on a
//! line, quoted and plain scalars inside flow context, and the anchors and aliases whose
//! expansion [`super::MAX_ALIAS_BYTES`] bounds.

use super::{End, Exceeded, MAX_ALIAS_BYTES, MAX_DEPTH, Open, Scanner, is_flow_indicator, is_ws};

impl<'a> Scanner<'a> {
    pub(super) fn flow_open(&mut self, at: usize) -> Result<(), Exceeded> {
        self.flow += 1;
        self.flow_node = true;
        self.check_depth(at)
    }

    /// Scan a flow collection from `i` to the end of the line; `Some(j)` if the outermost
    /// collection closes (at `j`, just past its bracket).
    pub(super) fn flow_rest(
        &mut self,
        mut i: usize,
        start: usize,
        end: usize,
    ) -> Result<Option<usize>, Exceeded> {
        loop {
            while i < end && is_ws(self.b[i]) {
                i += 1;
            }
            if i >= end {
                return Ok(None);
            }
            let c = self.b[i];
            match c {
                b'#' if i == start || is_ws(self.b[i - 1]) => return Ok(None),
                b'[' | b'{' => {
                    self.flow_open(i)?;
                    i += 1;
                }
                b']' | b'}' => {
                    self.close_flow_anchors(i, self.flow);
                    self.flow = self.flow.saturating_sub(1);
                    self.flow_node = false;
                    i += 1;
                    if self.flow == 0 {
                        return Ok(Some(i));
                    }
                }
                b',' => {
                    self.close_flow_anchors(i, self.flow);
                    self.flow_node = true;
                    i += 1;
                }
                b'?' if self.flow_sep(i + 1, end) => {
                    self.flow_node = true;
                    i += 1;
                }
                // After a quoted scalar or a collection `:` needs no space (JSON).
                b':' if self.flow_sep(i + 1, end) || !self.flow_node => {
                    self.flow_node = true;
                    i += 1;
                }
                // Something no parser accepts after a node: read on as a node.
                _ if !self.flow_node => self.flow_node = true,
                b'\'' | b'"' => match self.close_quote(c, i + 1, end) {
                    Some(j) => {
                        self.flow_node = false;
                        i = j;
                    }
                    None => {
                        self.quote = Some(c);
                        return Ok(None);
                    }
                },
                b'&' => {
                    let j = self.name_end(i + 1, end);
                    self.open_anchor(i, j, End::Flow(self.flow))?;
                    i = j;
                }
                b'!' => i = self.tag_end(i, end),
                b'*' => {
                    let j = self.name_end(i + 1, end);
                    self.alias(i, j)?;
                    self.flow_node = false;
                    i = j;
                }
                _ => {
                    let (j, eol) = self.plain_flow(i, end);
                    if eol {
                        self.flow_plain = true;
                        return Ok(None);
                    }
                    self.flow_node = false;
                    i = j;
                }
            }
        }
    }

    /// A plain scalar in flow context from `i`: where it stops, and whether that is the end
    /// of the line (it may go on on the next).
    pub(super) fn plain_flow(&self, i: usize, end: usize) -> (usize, bool) {
        let mut j = i + 1;
        while j < end {
            match self.b[j] {
                c if is_flow_indicator(c) => return (j, false),
                b':' if self.flow_sep(j + 1, end) => return (j, false),
                b'#' if is_ws(self.b[j - 1]) => return (j, false),
                _ => j += 1,
            }
        }
        (end, true)
    }

    // -----------------------------------------------------------------------------------
    // Tokens.

    /// Just past the closing quote `q`, scanning from `from`; `None` if not on this line.
    pub(super) fn close_quote(&self, q: u8, from: usize, end: usize) -> Option<usize> {
        let mut j = from;
        while j < end {
            let c = self.b[j];
            if q == b'"' && c == b'\\' {
                j += 2;
                continue;
            }
            if c == q {
                if q == b'\'' && self.b.get(j + 1) == Some(&b'\'') && j + 1 < end {
                    j += 2;
                    continue;
                }
                return Some(j + 1);
            }
            j += 1;
        }
        None
    }

    /// End of an anchor or alias name starting at `i`.
    pub(super) fn name_end(&self, i: usize, end: usize) -> usize {
        (i..end)
            .find(|&j| is_ws(self.b[j]) || is_flow_indicator(self.b[j]))
            .unwrap_or(end)
    }

    /// End of the tag at `i` (`!x`, `!!str`, `!<verbatim>`).
    pub(super) fn tag_end(&self, i: usize, end: usize) -> usize {
        if self.b.get(i + 1) == Some(&b'<') && i + 1 < end {
            return (i + 2..end)
                .find(|&j| self.b[j] == b'>')
                .map_or(end, |j| j + 1);
        }
        self.name_end(i + 1, end)
    }

    // -----------------------------------------------------------------------------------
    // Anchors and aliases.

    pub(super) fn open_anchor(
        &mut self,
        at: usize,
        name_end: usize,
        end: End,
    ) -> Result<(), Exceeded> {
        // Anchored nodes nest like collections (one anchor per node).
        if self.open.len() >= 2 * MAX_DEPTH {
            return Err(Exceeded::Depth(at));
        }
        self.open.push(Open {
            name: &self.text[at + 1..name_end],
            start: at,
            extra: 0,
            end,
        });
        Ok(())
    }

    pub(super) fn finish(&mut self, o: Open<'a>, at: usize) {
        let size = at.saturating_sub(o.start).saturating_add(o.extra);
        self.anchors.insert(o.name, size);
    }

    pub(super) fn alias(&mut self, at: usize, name_end: usize) -> Result<(), Exceeded> {
        let name = &self.text[at + 1..name_end];
        // An alias of an anchor that looks open: its node ended before (or the file is
        // recursive, which the parsers refuse).
        if let Some(k) = self.open.iter().position(|o| o.name == name) {
            let o = self.open.swap_remove(k);
            self.finish(o, at);
        }
        let size = self.anchors.get(name).copied().unwrap_or(0);
        for o in &mut self.open {
            o.extra = o.extra.saturating_add(size);
        }
        self.repeated = self.repeated.saturating_add(size);
        if self.repeated > MAX_ALIAS_BYTES {
            return Err(Exceeded::Aliases(at));
        }
        Ok(())
    }

    /// Something other than properties follows on this line: an anchor at its start is
    /// the anchor of that node, not of the lines below.
    pub(super) fn mark_content(&mut self) {
        if self.marked {
            return;
        }
        self.marked = true;
        let line = self.line;
        for o in &mut self.open {
            if let End::Line {
                line: l, content, ..
            } = &mut o.end
                && *l == line
            {
                *content = true;
            }
        }
    }

    /// A `:` after the first node of the line: an anchor on that node was a key's.
    pub(super) fn close_line_anchors(&mut self, at: usize) {
        let line = self.line;
        let mut i = 0;
        while i < self.open.len() {
            if matches!(self.open[i].end, End::Line { line: l, .. } if l == line) {
                let o = self.open.swap_remove(i);
                self.finish(o, at);
            } else {
                i += 1;
            }
        }
    }

    /// A `,` or closing bracket at flow depth `depth` ends the anchored nodes at that depth.
    pub(super) fn close_flow_anchors(&mut self, at: usize, depth: usize) {
        let mut i = 0;
        while i < self.open.len() {
            if matches!(self.open[i].end, End::Flow(d) if d >= depth) {
                let o = self.open.swap_remove(i);
                self.finish(o, at);
            } else {
                i += 1;
            }
        }
    }
}
