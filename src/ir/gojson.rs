//! JSON text written the way Go's `encoding/json` writes it, for values
//! whose bytes end up in LLB attributes or result metadata
//! (`local.followpaths`, `containerimage.config`): compact, object keys in
//! the order given, and strings escaped like Go (`<`, `>` and `&` as
//! `\u003c` …, U+2028/U+2029 escaped, `\b` `\f` `\n` `\r` `\t` short forms).

/// Appends `s` as a Go JSON string literal.
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A Go JSON string literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_string(&mut out, s);
    out
}

/// A JSON array of strings (`json.Marshal([]string)`); `null` for `None`.
pub fn string_array(items: &[String]) -> String {
    let mut out = String::from("[");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(&mut out, s);
    }
    out.push(']');
    out
}

/// Writes a JSON object field by field, skipping nothing on its own: the
/// caller decides what `omitempty` leaves out.
pub struct Object {
    out: String,
    first: bool,
}

impl Object {
    pub fn new() -> Self {
        Object {
            out: String::from("{"),
            first: true,
        }
    }

    /// Adds `"key":<raw json>`.
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_string(&mut self.out, key);
        self.out.push(':');
        self.out.push_str(json);
        self
    }

    pub fn string(&mut self, key: &str, value: &str) -> &mut Self {
        self.raw(key, &string(value))
    }

    pub fn finish(&mut self) -> String {
        let mut out = std::mem::take(&mut self.out);
        out.push('}');
        out
    }
}

impl Default for Object {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        assert_eq!(
            string("a<b>&\"c\\\n\u{1}\u{2028}"),
            r#""a\u003cb\u003e\u0026\"c\\\n\u0001\u2028""#
        );
        assert_eq!(string_array(&["x".into(), "y z".into()]), r#"["x","y z"]"#);
        let mut o = Object::new();
        o.string("b", "1").raw("a", "true");
        assert_eq!(o.finish(), r#"{"b":"1","a":true}"#);
    }
}
