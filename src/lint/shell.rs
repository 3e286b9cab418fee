//! A small shell-command splitter for `RUN` bodies, and [`Script`], a shell
//! text with the map back to the Dockerfile bytes it came from.
//!
//! [`split`] cuts a script into simple commands at `&&`, `||`, `;`, `|`,
//! `&`, newlines and parentheses, and each command into words with quotes
//! removed. It is not a shell parser: it knows quoting, escapes, comments,
//! `$(...)`, `${...}`, backticks, redirections and heredoc bodies (which it
//! skips), which is enough for rules that look for a command and its flags.
//! Expansions are kept as written. It never panics, whatever the input
//! (a property test holds it to that).

use crate::syntax::text::TextRange;

/// One word of a command: its value with quotes removed and escapes
/// resolved, and where it is in the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub value: String,
    pub range: TextRange,
}

/// What ends a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Separator {
    /// `&&`
    And,
    /// `||`
    Or,
    /// `;` or `;;`
    Semicolon,
    /// `|` or `|&`: the output goes to the next command.
    Pipe,
    /// `&`: run in the background.
    Background,
    /// A line break.
    Newline,
    /// `(` or `)`.
    Group,
    /// The end of the script.
    End,
}

/// A simple command: `NAME=value` assignments, then the command words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Leading `NAME=value` words.
    pub assignments: Vec<Word>,
    /// The command name and its arguments; reserved words that open a
    /// compound command (`if`, `then`, `do`, `!`, `{`, …) are left out.
    pub words: Vec<Word>,
    /// Targets of redirections (`> file`, `2>&1`, heredoc delimiters).
    pub redirects: Vec<Word>,
    /// From the first to the last byte of the command.
    pub range: TextRange,
    pub separator: Separator,
}

impl Command {
    /// The command name, if the command has words.
    pub fn name(&self) -> Option<&str> {
        self.words.first().map(|w| w.value.as_str())
    }

    /// The arguments after the command name.
    pub fn args(&self) -> &[Word] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// The command name without a directory (`/usr/bin/apt-get` is
    /// `apt-get`).
    pub fn program(&self) -> Option<&str> {
        let name = self.name()?;
        Some(name.rsplit('/').next().unwrap_or(name))
    }

    /// Whether an argument is the option `-x` (also inside a group of
    /// short options such as `-qy`) for one of `short`, or exactly one of
    /// `long` (`--yes`, or `--yes=...`).
    pub fn has_option(&self, short: &[char], long: &[&str]) -> bool {
        self.args().iter().any(|w| is_option(&w.value, short, long))
    }

    /// The first word (from the arguments) that is not an option, with its
    /// index in [`Command::args`]: usually a subcommand such as `install`.
    pub fn subcommand(&self) -> Option<(usize, &Word)> {
        self.args()
            .iter()
            .enumerate()
            .find(|(_, w)| !w.value.starts_with('-'))
    }
}

/// A command with wrappers such as `sudo` or `env` looked through: the
/// program that really runs and its arguments.
#[derive(Clone, Copy, Debug)]
pub struct Invocation<'c> {
    /// The program, without a directory.
    pub program: &'c str,
    /// The word naming the program.
    pub name: &'c Word,
    /// Its arguments.
    pub args: &'c [Word],
}

impl Invocation<'_> {
    /// See [`Command::has_option`].
    pub fn has_option(&self, short: &[char], long: &[&str]) -> bool {
        self.args.iter().any(|w| is_option(&w.value, short, long))
    }

    /// The first argument that is not an option: usually a subcommand.
    pub fn subcommand(&self) -> Option<&str> {
        self.args
            .iter()
            .find(|w| !w.value.starts_with('-'))
            .map(|w| w.value.as_str())
    }
}

impl Command {
    /// The program that runs, looking through `sudo`, `env`, `nohup`,
    /// `exec`, `command` and `nice` and their options.
    pub fn invocation(&self) -> Option<Invocation<'_>> {
        let mut words = self.words.as_slice();
        loop {
            let (first, rest) = words.split_first()?;
            let program = first.value.rsplit('/').next().unwrap_or(&first.value);
            // Options of the wrapper that take a value in the next word.
            let with_value: &[&str] = match program {
                "sudo" => &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"],
                "env" => &["-u", "-C", "-S"],
                "nice" => &["-n"],
                "nohup" | "exec" | "command" => &[],
                _ => {
                    return Some(Invocation {
                        program,
                        name: first,
                        args: rest,
                    });
                }
            };
            let mut i = 0;
            while let Some(w) = rest.get(i) {
                let v = w.value.as_str();
                if v == "--" {
                    i += 1;
                    break;
                }
                if with_value.contains(&v) {
                    i += 2;
                } else if v.starts_with('-') || (program == "env" && is_assignment(v)) {
                    i += 1;
                } else {
                    break;
                }
            }
            words = rest.get(i..).unwrap_or(&[]);
        }
    }
}

/// Whether `word` is `-x` for an `x` in `short` (also grouped: `-qy`) or a
/// long option in `long` (with or without `=value`).
pub fn is_option(word: &str, short: &[char], long: &[&str]) -> bool {
    if let Some(rest) = word.strip_prefix("--") {
        let name = rest.split('=').next().unwrap_or(rest);
        return long.iter().any(|l| l.trim_start_matches('-') == name);
    }
    match word.strip_prefix('-') {
        // A group of short options, possibly ending with an attached
        // value (`-qO-`): its leading letters are the options.
        Some(group) if group.starts_with(|c: char| c.is_ascii_alphanumeric()) => group
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .any(|c| short.contains(&c)),
        _ => false,
    }
}

/// Reserved words that may start a command without being its name.
const OPENERS: [&str; 10] = [
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "time",
];
/// Reserved words that close a compound command.
const CLOSERS: [&str; 4] = ["fi", "done", "esac", "}"];

/// Splits a shell script into simple commands. Never panics.
pub fn split(script: &str) -> Vec<Command> {
    Lexer::new(script).run()
}

/// A pending heredoc: its delimiter and whether leading tabs are removed.
struct Pending {
    delimiter: String,
    chomp: bool,
}

/// What the word being read will be used as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Plain,
    /// The target of a redirection.
    Redirect,
    /// A heredoc delimiter (`chomp` for `<<-`).
    Heredoc {
        chomp: bool,
    },
}

struct Lexer<'s> {
    src: &'s str,
    chars: Vec<(usize, char)>,
    i: usize,
    out: Vec<Command>,
    current: Command,
    /// The word being read: its value and start, if any.
    word: Option<(String, usize)>,
    role: Role,
    pending: Vec<Pending>,
}

impl<'s> Lexer<'s> {
    fn new(src: &'s str) -> Self {
        Lexer {
            src,
            chars: src.char_indices().collect(),
            i: 0,
            out: Vec::new(),
            current: empty_command(),
            word: None,
            role: Role::Plain,
            pending: Vec::new(),
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).map(|&(_, c)| c)
    }

    /// The byte offset of the character at `i` (the end of the text past
    /// the last one).
    fn offset(&self, i: usize) -> usize {
        self.chars.get(i).map_or(self.src.len(), |&(o, _)| o)
    }

    fn push_char(&mut self, c: char) {
        let at = self.offset(self.i);
        self.word
            .get_or_insert_with(|| (String::new(), at))
            .0
            .push(c);
    }

    /// Appends the raw text of characters `from..to` to the word.
    fn push_raw(&mut self, from: usize, to: usize) {
        let start = self.offset(from);
        let text = self.src.get(start..self.offset(to)).unwrap_or("");
        let word = self.word.get_or_insert_with(|| (String::new(), start));
        word.0.push_str(text);
    }

    /// Makes sure a word exists (an empty quoted string is still a word).
    fn open_word(&mut self) {
        let at = self.offset(self.i);
        self.word.get_or_insert_with(|| (String::new(), at));
    }

    fn run(mut self) -> Vec<Command> {
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' => {
                    self.end_word();
                    self.i += 1;
                }
                '\\' => match self.peek(1) {
                    Some('\n') => self.i += 2,
                    Some('\r') if self.peek(2) == Some('\n') => self.i += 3,
                    Some(next) => {
                        self.open_word();
                        self.i += 1;
                        self.push_char(next);
                        self.i += 1;
                    }
                    None => {
                        self.push_char('\\');
                        self.i += 1;
                    }
                },
                '\'' => {
                    self.open_word();
                    let end = self.find_char(self.i + 1, '\'');
                    let start = self.i + 1;
                    self.push_raw(start, end);
                    self.i = end + 1;
                }
                '"' => {
                    self.open_word();
                    self.i += 1;
                    self.double_quoted();
                }
                '$' => self.dollar(),
                '`' => {
                    let end = self.backtick_end(self.i + 1);
                    let start = self.i;
                    self.push_raw(start, (end + 1).min(self.chars.len()));
                    self.i = end + 1;
                }
                '#' if self.word.is_none() => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                }
                '\n' => {
                    self.end_word();
                    self.finish(Separator::Newline);
                    self.i += 1;
                    self.heredoc_bodies();
                }
                ';' => {
                    self.end_word();
                    self.finish(Separator::Semicolon);
                    self.i += if matches!(self.peek(1), Some(';' | '&')) {
                        2
                    } else {
                        1
                    };
                }
                '&' => match self.peek(1) {
                    Some('&') => {
                        self.end_word();
                        self.finish(Separator::And);
                        self.i += 2;
                    }
                    Some('>') => {
                        self.end_word();
                        self.i += if self.peek(2) == Some('>') { 3 } else { 2 };
                        self.role = Role::Redirect;
                    }
                    _ => {
                        self.end_word();
                        self.finish(Separator::Background);
                        self.i += 1;
                    }
                },
                '|' => {
                    self.end_word();
                    if self.peek(1) == Some('|') {
                        self.finish(Separator::Or);
                        self.i += 2;
                    } else {
                        self.finish(Separator::Pipe);
                        self.i += if self.peek(1) == Some('&') { 2 } else { 1 };
                    }
                }
                '(' | ')' => {
                    self.end_word();
                    self.finish(Separator::Group);
                    self.i += 1;
                }
                '<' | '>' => self.redirection(c),
                _ => {
                    self.push_char(c);
                    self.i += 1;
                }
            }
        }
        self.end_word();
        self.finish(Separator::End);
        self.out
    }

    /// The index of the next `quote` at or after `from` (the end if none).
    fn find_char(&self, from: usize, quote: char) -> usize {
        (from..self.chars.len())
            .find(|&j| self.chars.get(j).is_some_and(|&(_, c)| c == quote))
            .unwrap_or(self.chars.len())
    }

    /// Reads a double-quoted string after its opening quote.
    fn double_quoted(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                '"' => {
                    self.i += 1;
                    return;
                }
                '\\' => match self.peek(1) {
                    Some('\n') => self.i += 2,
                    Some(next @ ('$' | '`' | '"' | '\\')) => {
                        self.i += 1;
                        self.push_char(next);
                        self.i += 1;
                    }
                    _ => {
                        self.push_char('\\');
                        self.i += 1;
                    }
                },
                '$' => self.dollar(),
                '`' => {
                    let end = self.backtick_end(self.i + 1);
                    let start = self.i;
                    self.push_raw(start, (end + 1).min(self.chars.len()));
                    self.i = end + 1;
                }
                _ => {
                    self.push_char(c);
                    self.i += 1;
                }
            }
        }
    }

    /// `$(...)`, `$((...))`, `${...}`, `$'...'` or a plain `$`: kept as
    /// written in the word.
    fn dollar(&mut self) {
        let start = self.i;
        let end = match self.peek(1) {
            Some('(') => self.balanced(self.i + 2, '(', ')'),
            Some('{') => self.balanced(self.i + 2, '{', '}'),
            Some('\'') => {
                // ANSI-C quoting: the value is the raw text between quotes.
                self.open_word();
                let mut j = self.i + 2;
                while let Some(&(_, c)) = self.chars.get(j) {
                    match c {
                        '\\' => j += 2,
                        '\'' => break,
                        _ => j += 1,
                    }
                }
                let j = j.min(self.chars.len());
                self.push_raw(self.i + 2, j);
                self.i = j + 1;
                return;
            }
            _ => self.i,
        };
        let end = (end + 1).min(self.chars.len());
        self.push_raw(start, end);
        self.i = end.max(start + 1);
    }

    /// The index of the `close` that matches an `open` before `from`,
    /// skipping quoted text (the end of the script if unbalanced).
    fn balanced(&self, from: usize, open: char, close: char) -> usize {
        let mut depth = 1usize;
        let mut j = from;
        while let Some(&(_, c)) = self.chars.get(j) {
            match c {
                '\\' => j += 1,
                '\'' => j = self.find_char(j + 1, '\''),
                '"' => {
                    j += 1;
                    while let Some(&(_, d)) = self.chars.get(j) {
                        match d {
                            '\\' => j += 1,
                            '"' => break,
                            _ => {}
                        }
                        j += 1;
                    }
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return j;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        self.chars.len()
    }

    /// The index of the backtick closing one that starts before `from`.
    fn backtick_end(&self, from: usize) -> usize {
        let mut j = from;
        while let Some(&(_, c)) = self.chars.get(j) {
            match c {
                '\\' => j += 2,
                '`' => return j,
                _ => j += 1,
            }
        }
        self.chars.len()
    }

    /// A redirection operator; a word of digits just before it is a file
    /// descriptor, not an argument.
    fn redirection(&mut self, c: char) {
        if let Some((value, _)) = &self.word
            && !value.is_empty()
            && value.chars().all(|d| d.is_ascii_digit())
        {
            self.word = None;
        }
        self.end_word();
        let next = self.peek(1);
        let (len, role) = match (c, next) {
            ('<', Some('<')) => match self.peek(2) {
                Some('<') => (3, Role::Redirect),
                Some('-') => (3, Role::Heredoc { chomp: true }),
                _ => (2, Role::Heredoc { chomp: false }),
            },
            (_, Some('&' | '>' | '|')) if c == '>' => (2, Role::Redirect),
            ('<', Some('&' | '>')) => (2, Role::Redirect),
            _ => (1, Role::Redirect),
        };
        self.i += len;
        self.role = role;
    }

    /// Ends the word being read, giving it to the current command.
    fn end_word(&mut self) {
        let Some((value, start)) = self.word.take() else {
            return;
        };
        let range = TextRange::new(start, self.offset(self.i).max(start));
        let word = Word { value, range };
        let role = std::mem::replace(&mut self.role, Role::Plain);
        let cmd = &mut self.current;
        cmd.range =
            if cmd.words.is_empty() && cmd.assignments.is_empty() && cmd.redirects.is_empty() {
                range
            } else {
                cmd.range.cover(range)
            };
        match role {
            Role::Heredoc { chomp } => {
                self.pending.push(Pending {
                    delimiter: word.value.clone(),
                    chomp,
                });
                cmd.redirects.push(word);
            }
            Role::Redirect => cmd.redirects.push(word),
            Role::Plain if cmd.words.is_empty() && is_assignment(&word.value) => {
                cmd.assignments.push(word);
            }
            Role::Plain if cmd.words.is_empty() && OPENERS.contains(&word.value.as_str()) => {}
            Role::Plain => cmd.words.push(word),
        }
    }

    /// Ends the current command with `separator` (an empty one is dropped,
    /// as are the closing reserved words of compound commands).
    fn finish(&mut self, separator: Separator) {
        let mut cmd = std::mem::replace(&mut self.current, empty_command());
        cmd.separator = separator;
        if cmd.words.len() == 1 && cmd.name().is_some_and(|n| CLOSERS.contains(&n)) {
            cmd.words.clear();
        }
        if !(cmd.words.is_empty() && cmd.assignments.is_empty() && cmd.redirects.is_empty()) {
            self.out.push(cmd);
        } else if separator == Separator::Pipe
            && let Some(last) = self.out.last_mut()
        {
            // `( a ) | b`: the group's last command feeds the pipe.
            last.separator = Separator::Pipe;
        }
    }

    /// After a line break: skips the bodies of the heredocs opened on the
    /// line, up to each delimiter line.
    fn heredoc_bodies(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            while self.i < self.chars.len() {
                let start = self.offset(self.i);
                let end_i = self.find_char(self.i, '\n');
                let line = self.src.get(start..self.offset(end_i)).unwrap_or("");
                let line = line.strip_suffix('\r').unwrap_or(line);
                let line = if p.chomp {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                self.i = end_i + 1;
                if line == p.delimiter {
                    break;
                }
            }
        }
        self.i = self.i.min(self.chars.len());
    }
}

fn empty_command() -> Command {
    Command {
        assignments: Vec::new(),
        words: Vec::new(),
        redirects: Vec::new(),
        range: TextRange::default(),
        separator: Separator::End,
    }
}

/// `NAME=value` with a valid shell name.
fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// A shell text assembled from pieces of a Dockerfile, with the map from
/// its byte offsets back to the source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub text: String,
    /// `(offset in text, offset in source)` at the start of each piece, in
    /// order; offsets inside a piece map linearly.
    segments: Vec<(usize, usize)>,
}

impl Script {
    /// Appends `text`, which starts at `source_offset` in the source.
    pub fn push(&mut self, text: &str, source_offset: usize) {
        self.segments.push((self.text.len(), source_offset));
        self.text.push_str(text);
    }

    /// The pieces: `(offset in text, offset in source, length)`.
    pub fn pieces(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.segments.iter().enumerate().map(|(i, &(t, s))| {
            let next = self.segments.get(i + 1).map_or(self.text.len(), |n| n.0);
            (t, s, next - t)
        })
    }

    /// The source offset of a text offset.
    pub fn to_source(&self, offset: usize) -> usize {
        let i = self.segments.partition_point(|&(t, _)| t <= offset);
        match i.checked_sub(1).and_then(|i| self.segments.get(i)) {
            Some(&(t, s)) => s + (offset - t),
            None => self.segments.first().map_or(0, |&(_, s)| s),
        }
    }

    /// The source range of a text range. The end maps from its last byte,
    /// so a range that ends at a piece boundary stays in its piece.
    pub fn range_to_source(&self, range: TextRange) -> TextRange {
        let start = self.to_source(range.start());
        if range.is_empty() {
            return TextRange::empty(start);
        }
        let end = self.to_source(range.end() - 1) + 1;
        TextRange::new(start, end.max(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The commands of `script` as `name args… <sep>` strings.
    fn check(script: &str) -> Vec<String> {
        split(script)
            .iter()
            .map(|c| {
                let mut s: Vec<String> = c
                    .assignments
                    .iter()
                    .map(|w| format!("[{}]", w.value))
                    .collect();
                s.extend(c.words.iter().map(|w| w.value.clone()));
                s.extend(c.redirects.iter().map(|w| format!(">{}", w.value)));
                format!("{} {:?}", s.join(" "), c.separator)
            })
            .collect()
    }

    #[test]
    fn splits_on_operators() {
        assert_eq!(
            check("apt-get update && apt-get install -y a || true; ls | wc -l & echo\nx"),
            [
                "apt-get update And",
                "apt-get install -y a Or",
                "true Semicolon",
                "ls Pipe",
                "wc -l Background",
                "echo Newline",
                "x End",
            ]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            check(r#"echo "a && b" 'c|d' e\ f "x\"y" $'q' "#),
            [r#"echo a && b c|d e f x"y q End"#]
        );
        assert_eq!(
            check("echo \"$(a && b)\" `c;d` ${x:-;}"),
            ["echo $(a && b) `c;d` ${x:-;} End"]
        );
        assert_eq!(check("a \\\n  b && c"), ["a b And", "c End"]);
        assert_eq!(check("echo ''"), ["echo  End"]);
    }

    #[test]
    fn assignments_keywords_groups_and_comments() {
        assert_eq!(
            check("A=1 B=\"2 3\" make x # cmd && no\nif true; then cd /x; fi"),
            [
                "[A=1] [B=2 3] make x Newline",
                "true Semicolon",
                "cd /x Semicolon",
            ]
        );
        assert_eq!(
            check("(cd a && make) | tee log"),
            ["cd a And", "make Pipe", "tee log End"]
        );
        assert_eq!(check("echo a#b"), ["echo a#b End"]);
    }

    #[test]
    fn redirections_and_heredocs() {
        assert_eq!(
            check("cat <<-EOF >/etc/x 2>&1\n\tapt install\n\tEOF\necho 3>x"),
            ["cat >EOF >/etc/x >1 Newline", "echo >x End"]
        );
        assert_eq!(
            check("a &>/dev/null; b <<<'x'"),
            ["a >/dev/null Semicolon", "b >x End"]
        );
    }

    #[test]
    fn word_ranges_point_into_the_script() {
        let script = "x=1  apt-get  'in'stall";
        let cmds = split(script);
        let ranges: Vec<&str> = cmds[0]
            .words
            .iter()
            .map(|w| &script[w.range.as_range()])
            .collect();
        assert_eq!(ranges, ["apt-get", "'in'stall"]);
        assert_eq!(&script[cmds[0].range.as_range()], script);
    }

    #[test]
    fn options() {
        let cmd = &split("apt-get -qy install --no-install-recommends=1 x")[0];
        assert!(cmd.has_option(&['y'], &["--yes"]));
        assert!(cmd.has_option(&[], &["--no-install-recommends"]));
        assert!(!cmd.has_option(&['n'], &["--yes"]));
        assert_eq!(
            cmd.subcommand().map(|(i, w)| (i, w.value.as_str())),
            Some((1, "install"))
        );
        assert_eq!(split("/usr/bin/pip install")[0].program(), Some("pip"));
    }

    #[test]
    fn invocations_look_through_wrappers() {
        let cmds = split("sudo -u app -E env -i A=1 /usr/bin/apt-get -y install x; sudo; nohup");
        let inv = cmds[0].invocation().expect("invocation");
        assert_eq!(inv.program, "apt-get");
        assert_eq!(inv.subcommand(), Some("install"));
        assert!(inv.has_option(&['y'], &[]));
        assert!(cmds[1].invocation().is_none());
        assert!(cmds[2].invocation().is_none());
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for s in [
            "'", "\"", "$(", "${", "`", "$'", "\\", "<<", "a <<E\nb", "é'ü", "$", "a|",
        ] {
            let _ = split(s);
        }
        assert_eq!(check("echo 'abc"), ["echo abc End"]);
    }

    #[test]
    fn script_maps_offsets_to_the_source() {
        let mut s = Script::default();
        s.push("abc ", 10);
        s.push("def", 30);
        assert_eq!(s.text, "abc def");
        assert_eq!(s.to_source(0), 10);
        assert_eq!(s.to_source(3), 13);
        assert_eq!(s.to_source(5), 31);
        assert_eq!(
            s.range_to_source(TextRange::new(0, 4)),
            TextRange::new(10, 14)
        );
        assert_eq!(
            s.range_to_source(TextRange::new(4, 7)),
            TextRange::new(30, 33)
        );
        assert_eq!(Script::default().to_source(5), 0);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(script in "[a-z \\t\\n'\"$(){}`\\\\|&;<>#=-]{0,60}") {
            let cmds = split(&script);
            for c in cmds {
                for w in c.words.iter().chain(&c.assignments).chain(&c.redirects) {
                    proptest::prop_assert!(w.range.end() <= script.len());
                    proptest::prop_assert!(script.is_char_boundary(w.range.start()));
                }
            }
        }

        #[test]
        fn never_panics_on_any_text(script in "\\PC{0,40}") {
            let _ = split(&script);
        }
    }
}
