//! `.dockerignore` files read into exclude patterns the way BuildKit's
//! `ignorefile.ReadAll` does: `#` comment lines skipped, blanks trimmed,
//! `!` exceptions kept, each pattern cleaned like a path, and a leading `/`
//! dropped.

use super::paths::clean;

/// The exclude patterns of a `.dockerignore` file.
pub fn parse(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut p = String::new();
        if !pattern.is_empty() {
            p = clean(pattern);
            if p.len() > 1 && p.starts_with('/') {
                p.remove(0);
            }
        }
        if invert {
            p.insert(0, '!');
        }
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_patterns() {
        let p = parse(b"# c\n\n node_modules \n!/keep/./x\n/abs\n*.log\r\n");
        assert_eq!(p, ["node_modules", "!keep/x", "abs", "*.log"]);
    }
}
