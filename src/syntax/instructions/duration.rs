//! Go's `time.ParseDuration` and `strconv.ParseInt`, for the HEALTHCHECK
//! flags, with Go's error wording (BuildKit passes those errors through).
//!
//! A duration is an optional sign and a sequence of decimal numbers, each
//! with an optional fraction and a unit: `ns`, `us` (or `µs`, `μs`), `ms`,
//! `s`, `m`, `h`. `0` needs no unit.

use super::go_quote;

const UNITS: [(&str, u64); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

const LIMIT: u64 = 1 << 63;

/// Parses a duration to nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(text));
    let (neg, mut s) = match (text.strip_prefix('-'), text.strip_prefix('+')) {
        (Some(rest), _) => (true, rest),
        (_, Some(rest)) => (false, rest),
        _ => (false, text),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !s.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut value: u64 = 0;
        for b in s.bytes().take(int_len) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .filter(|&v| v <= LIMIT)
                .ok_or_else(invalid)?;
        }
        s = &s[int_len..];
        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut frac_len = 0;
        if let Some(rest) = s.strip_prefix('.') {
            frac_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for b in rest.bytes().take(frac_len) {
                if overflow {
                    continue;
                }
                match fraction
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                {
                    Some(v) if v <= LIMIT => {
                        fraction = v;
                        scale *= 10.0;
                    }
                    _ => overflow = true,
                }
            }
            s = &rest[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(invalid());
        }
        let unit_len = s
            .bytes()
            .take_while(|&b| b != b'.' && !b.is_ascii_digit())
            .count();
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(text)));
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let Some(&(_, scale_ns)) = UNITS.iter().find(|(u, _)| *u == unit) else {
            return Err(format!(
                "time: unknown unit {} in duration {}",
                go_quote(unit),
                go_quote(text)
            ));
        };
        if value > LIMIT / scale_ns {
            return Err(invalid());
        }
        value *= scale_ns;
        if fraction > 0 {
            value += (fraction as f64 * (scale_ns as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(invalid());
            }
        }
        total = total
            .checked_add(value)
            .filter(|&t| t <= LIMIT)
            .ok_or_else(invalid)?;
    }
    if neg {
        return Ok(0i64.wrapping_sub_unsigned(total));
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// `strconv.ParseInt(text, 10, 32)`.
pub(crate) fn parse_int32(text: &str) -> Result<i32, String> {
    let syntax = || {
        format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            go_quote(text)
        )
    };
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax());
    }
    text.parse::<i64>()
        .ok()
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| {
            format!(
                "strconv.ParseInt: parsing {}: value out of range",
                go_quote(text)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(5_000_000_000));
        assert_eq!(parse_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration(".5ms"), Ok(500_000));
        assert_eq!(parse_duration("-2us"), Ok(-2_000));
        assert_eq!(parse_duration("3\u{b5}s"), Ok(3_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("50ns"), Ok(50));
    }

    #[test]
    fn duration_errors_use_go_wording() {
        assert_eq!(
            parse_duration(""),
            Err(r#"time: invalid duration """#.to_owned())
        );
        assert_eq!(
            parse_duration("5"),
            Err(r#"time: missing unit in duration "5""#.to_owned())
        );
        assert_eq!(
            parse_duration("5x"),
            Err(r#"time: unknown unit "x" in duration "5x""#.to_owned())
        );
        assert_eq!(
            parse_duration("."),
            Err(r#"time: invalid duration ".""#.to_owned())
        );
        assert_eq!(
            parse_duration("9999999999h"),
            Err(r#"time: invalid duration "9999999999h""#.to_owned())
        );
    }

    #[test]
    fn int32() {
        assert_eq!(parse_int32("3"), Ok(3));
        assert_eq!(parse_int32("+3"), Ok(3));
        assert_eq!(parse_int32("-1"), Ok(-1));
        assert_eq!(
            parse_int32("x"),
            Err(r#"strconv.ParseInt: parsing "x": invalid syntax"#.to_owned())
        );
        assert_eq!(
            parse_int32("99999999999"),
            Err(r#"strconv.ParseInt: parsing "99999999999": value out of range"#.to_owned())
        );
    }
}
