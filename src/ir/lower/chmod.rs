//! `--chmod` values: an octal mode up to 07777, or a symbolic mode such as
//! `u+x,g=u` (checked with the grammar of BuildKit's mode parser).

use crate::ir::build::Chmod;

/// Parses an expanded `--chmod` value.
pub(super) fn parse(s: &str) -> Result<Chmod, String> {
    let non_octal = || {
        format!("invalid chmod parameter: '{s}'. it should be octal string and between 0 and 07777")
    };
    if !s.is_empty() && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return match u32::from_str_radix(s, 8) {
            Ok(m) if m <= 0o7777 => Ok(Chmod::Octal(m)),
            _ => Err(non_octal()),
        };
    }
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return Err(non_octal());
    }
    if symbolic_ok(s) {
        Ok(Chmod::Symbolic(s.to_owned()))
    } else {
        Err("invalid syntax".to_owned())
    }
}

/// `[ugoa]*([-+=]([rwxXst]*|[ugo]))+` clauses separated by commas.
fn symbolic_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && matches!(b[i], b'u' | b'g' | b'o' | b'a') {
            i += 1;
        }
        if i >= b.len() {
            return false;
        }
        loop {
            if !matches!(b[i], b'+' | b'-' | b'=') {
                return false;
            }
            i += 1;
            while i < b.len()
                && matches!(
                    b[i],
                    b'r' | b'w' | b'x' | b'X' | b's' | b't' | b'u' | b'g' | b'o'
                )
            {
                i += 1;
            }
            if i >= b.len() {
                return true;
            }
            if b[i] == b',' {
                i += 1;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(parse("0755"), Ok(Chmod::Octal(0o755)));
        assert_eq!(parse("7777"), Ok(Chmod::Octal(0o7777)));
        assert!(
            parse("17777")
                .unwrap_err()
                .starts_with("invalid chmod parameter")
        );
        assert!(
            parse("0999")
                .unwrap_err()
                .starts_with("invalid chmod parameter")
        );
        assert_eq!(parse("u+x,g=u"), Ok(Chmod::Symbolic("u+x,g=u".into())));
        assert_eq!(parse("+x"), Ok(Chmod::Symbolic("+x".into())));
        assert_eq!(parse("a=rwx-w"), Ok(Chmod::Symbolic("a=rwx-w".into())));
        assert_eq!(parse("u"), Err("invalid syntax".into()));
        assert_eq!(parse("u+x,"), Err("invalid syntax".into()));
        assert_eq!(parse("q+x"), Err("invalid syntax".into()));
    }
}
