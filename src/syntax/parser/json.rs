//! The JSON-array test behind exec form (`CMD ["a", "b"]`).
//!
//! BuildKit decodes the text with Go's `encoding/json` into a list of values;
//! anything that is not a complete JSON array quietly falls back to shell
//! form, while an array with a non-string element is a hard error. This is a
//! small strict JSON reader with the same outcomes: it never recurses (nesting
//! is counted, with Go's depth limit), decodes string escapes, and turns
//! unpaired surrogates into U+FFFD as Go does.

use std::ops::Range;

/// What the text turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum JsonArray {
    /// Not a complete JSON array: the instruction is in shell form.
    NotJson,
    /// A JSON array whose element at this byte range is not a string.
    NonString(Range<usize>),
    /// An array of strings: decoded values and the ranges of their literals.
    Strings(Vec<(String, Range<usize>)>),
}

/// Go's `encoding/json` refuses documents nested deeper than this.
const MAX_DEPTH: usize = 10_000;

pub fn parse_array(text: &str) -> JsonArray {
    let mut r = Reader {
        s: text.as_bytes(),
        pos: 0,
    };
    r.ws();
    if r.peek() != Some(b'[') {
        return JsonArray::NotJson;
    }
    r.pos += 1;
    let mut items = Vec::new();
    let mut non_string = None;
    r.ws();
    if r.peek() == Some(b']') {
        r.pos += 1;
    } else {
        loop {
            r.ws();
            let start = r.pos;
            if r.peek() == Some(b'"') {
                match r.string() {
                    Some(s) => items.push((s, start..r.pos)),
                    None => return JsonArray::NotJson,
                }
            } else {
                if !r.skip_value() {
                    return JsonArray::NotJson;
                }
                non_string.get_or_insert(start..r.pos);
            }
            r.ws();
            match r.bump() {
                Some(b',') => continue,
                Some(b']') => break,
                _ => return JsonArray::NotJson,
            }
        }
    }
    r.ws();
    if r.pos != r.s.len() {
        return JsonArray::NotJson;
    }
    match non_string {
        Some(range) => JsonArray::NonString(range),
        None => JsonArray::Strings(items),
    }
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Skips one value of any kind, iteratively. False when it is invalid.
    fn skip_value(&mut self) -> bool {
        // Stack of open containers: true for an object, false for an array.
        let mut stack: Vec<bool> = Vec::new();
        loop {
            self.ws();
            // A value.
            match self.peek() {
                Some(b'[') | Some(b'{') => {
                    let obj = self.peek() == Some(b'{');
                    self.pos += 1;
                    stack.push(obj);
                    if stack.len() > MAX_DEPTH {
                        return false;
                    }
                    self.ws();
                    let close = if obj { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        stack.pop();
                    } else {
                        if obj && !self.key() {
                            return false;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    if self.string().is_none() {
                        return false;
                    }
                }
                Some(b't') => {
                    if !self.lit(b"true") {
                        return false;
                    }
                }
                Some(b'f') => {
                    if !self.lit(b"false") {
                        return false;
                    }
                }
                Some(b'n') => {
                    if !self.lit(b"null") {
                        return false;
                    }
                }
                Some(b'-' | b'0'..=b'9') => {
                    if !self.number() {
                        return false;
                    }
                }
                _ => return false,
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&obj) = stack.last() else {
                    return true;
                };
                self.ws();
                match self.bump() {
                    Some(b',') => {
                        if obj && !self.key() {
                            return false;
                        }
                        break;
                    }
                    Some(b']') if !obj => {
                        stack.pop();
                    }
                    Some(b'}') if obj => {
                        stack.pop();
                    }
                    _ => return false,
                }
            }
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> bool {
        self.ws();
        if self.peek() != Some(b'"') || self.string().is_none() {
            return false;
        }
        self.ws();
        self.bump() == Some(b':')
    }

    fn lit(&mut self, word: &[u8]) -> bool {
        if self.s[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> bool {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return false,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return false;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return false;
            }
        }
        true
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.pos..self.pos + 4)?;
        let s = std::str::from_utf8(h).ok()?;
        let v = u32::from_str_radix(s, 16).ok()?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        self.pos += 4;
        Some(v)
    }

    /// A string literal starting at `"`; returns the decoded value.
    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The input is a &str and we stop only at ASCII bytes, so this is
            // always a valid UTF-8 slice.
            out.push_str(std::str::from_utf8(&self.s[start..self.pos]).ok()?);
            match self.bump()? {
                b'"' => return Some(out),
                b'\\' => {}
                _ => return None, // a control character
            }
            let c = match self.bump()? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let u = self.hex4()?;
                    if (0xD800..0xDC00).contains(&u) {
                        // A high surrogate pairs only with a following low one.
                        let save = self.pos;
                        if self.s.get(self.pos..self.pos + 2) == Some(b"\\u") {
                            self.pos += 2;
                            match self.hex4() {
                                Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                    let cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                                    char::from_u32(cp).unwrap_or('\u{FFFD}')
                                }
                                _ => {
                                    self.pos = save;
                                    '\u{FFFD}'
                                }
                            }
                        } else {
                            '\u{FFFD}'
                        }
                    } else {
                        char::from_u32(u).unwrap_or('\u{FFFD}')
                    }
                }
                _ => return None,
            };
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &str) -> Vec<String> {
        match parse_array(s) {
            JsonArray::Strings(v) => v.into_iter().map(|(s, _)| s).collect(),
            other => panic!("expected strings, got {other:?}"),
        }
    }

    #[test]
    fn decodes_strings_and_escapes() {
        assert_eq!(
            strings(r#"["a", "b\"c", "\u0000", "\/"]"#),
            ["a", "b\"c", "\0", "/"]
        );
        assert_eq!(strings("[]"), Vec::<String>::new());
        assert_eq!(strings(r#"["\ud83d\ude00"]"#), ["😀"]);
        assert_eq!(strings(r#"["\ud83dx"]"#), ["\u{FFFD}x"]);
    }

    #[test]
    fn invalid_json_is_shell_form() {
        for s in [
            "['a']",
            r#"["a""#,
            r#"["a"] x"#,
            r#"["a",]"#,
            "[",
            r#"["a" "b"]"#,
            "[01]",
        ] {
            assert_eq!(parse_array(s), JsonArray::NotJson, "{s}");
        }
    }

    #[test]
    fn non_string_elements_are_reported() {
        assert_eq!(
            parse_array(r#"[ "echo", [ "nested json" ] ]"#),
            JsonArray::NonString(10..27)
        );
        assert_eq!(
            parse_array("[1, {\"a\": [true, null]}]"),
            JsonArray::NonString(1..2)
        );
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let deep = format!("[{}{}]", "[".repeat(20_000), "]".repeat(20_000));
        assert_eq!(parse_array(&deep), JsonArray::NotJson);
        let ok = format!("[{}{}]", "[".repeat(100), "]".repeat(100));
        assert!(matches!(parse_array(&ok), JsonArray::NonString(_)));
    }
}
