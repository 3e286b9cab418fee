//! Byte ranges into a source text, and the line index that turns them into
//! line/column pairs at render time.
//!
//! Architecture invariant: the tree stores byte offsets only. Lines and
//! columns are computed on demand from a [`LineIndex`], so the source map, the
//! diagnostics renderer and editors that count UTF-16 units all start from the
//! same numbers.

use serde::Serialize;

/// A half-open byte range `start..end` into a source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        Self {
            start: to_u32(start),
            end: to_u32(end),
        }
    }

    pub fn empty(at: usize) -> Self {
        Self::new(at, at)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn start(self) -> usize {
        self.start as usize
    }

    pub fn end(self) -> usize {
        self.end as usize
    }

    /// The smallest range that covers both.
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn as_range(self) -> std::ops::Range<usize> {
        self.start()..self.end()
    }
}

impl From<TextRange> for miette::SourceSpan {
    fn from(r: TextRange) -> Self {
        (r.start(), r.len()).into()
    }
}

fn to_u32(n: usize) -> u32 {
    // Sources are read with a size cap far below 4 GiB; saturate rather than
    // wrap if a caller ever passes something larger.
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Line starts of a text, for offset -> (line, column) conversion.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the first byte of each line; `starts[0] == 0`.
    starts: Vec<u32>,
}

/// A 1-based line and a 1-based column counted in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| to_u32(i + 1)));
        Self { starts }
    }

    /// The 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = to_u32(offset);
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        LineCol {
            line: line as u32 + 1,
            column: offset - self.starts[line] + 1,
        }
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> u32 {
        self.line_col(offset).line
    }

    /// First and last 1-based line touched by a non-empty range. For a range
    /// that ends just after a newline, the last line is the one that newline
    /// ends.
    pub fn lines(&self, range: TextRange) -> (u32, u32) {
        let first = self.line(range.start());
        let last = if range.is_empty() {
            first
        } else {
            self.line(range.end() - 1)
        };
        (first, last)
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let idx = LineIndex::new("ab\ncd\n\nx");
        assert_eq!(idx.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(idx.line_col(2), LineCol { line: 1, column: 3 });
        assert_eq!(idx.line_col(3), LineCol { line: 2, column: 1 });
        assert_eq!(idx.line_col(6), LineCol { line: 3, column: 1 });
        assert_eq!(idx.line_col(7), LineCol { line: 4, column: 1 });
        assert_eq!(idx.lines(TextRange::new(3, 7)), (2, 3));
    }
}
