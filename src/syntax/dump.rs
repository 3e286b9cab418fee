//! BuildKit's parser dump format: one `(keyword ["flags"] "arg" …)` line per
//! instruction, arguments quoted like Go's `strconv.Quote`.
//!
//! This is the format of the `result` files in BuildKit's parser tests, so
//! `slipway parse --format dump` can be compared with them byte for byte.

use std::fmt::Write;

use super::tree::{Args, Node, SyntaxTree};

/// The dump of a whole tree, without a trailing newline.
pub fn dump(tree: &SyntaxTree) -> String {
    let mut out = String::new();
    for node in tree.nodes() {
        out.push('(');
        out.push_str(&dump_node(node));
        out.push_str(")\n");
    }
    out.trim_matches(crate::syntax::parser::is_go_space)
        .to_owned()
}

fn dump_node(node: &Node) -> String {
    let mut s = node.keyword.value.to_lowercase();
    if !node.flags.is_empty() {
        s.push_str(" [");
        for (i, f) in node.flags.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&go_quote(&f.value));
        }
        s.push(']');
    }
    match &node.args {
        Args::List(list) => {
            for a in list {
                s.push(' ');
                s.push_str(&go_quote(&a.value));
            }
        }
        Args::Nested(inner) => {
            let _ = write!(s, " ({})", dump_node(inner));
        }
    }
    s.trim_matches(crate::syntax::parser::is_go_space)
        .to_owned()
}

/// Quotes a string the way Go's `strconv.Quote` does.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint`: letters, marks, numbers,
/// punctuation, symbols and the ASCII space. Without Unicode category tables
/// we treat as unprintable the controls, every space other than U+0020, the
/// common format characters, private-use characters and non-characters.
fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    let format = matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0x110BD | 0xE0001 | 0xE0020..=0xE007F);
    let private = matches!(u, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD);
    let nonchar = (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE;
    !(format || private || nonchar)
}

#[cfg(test)]
mod tests {
    use super::go_quote;

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("\0\t\u{7f}"), r#""\x00\t\x7f""#);
        assert_eq!(go_quote("한국어 é"), "\"한국어 é\"");
        assert_eq!(go_quote("\u{a0}\u{200b}"), r#""\u00a0\u200b""#);
        assert_eq!(go_quote("\u{f0000}"), r#""\U000f0000""#);
    }
}
