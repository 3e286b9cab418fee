//! Fuzz target: shell-word expansion of arbitrary words, with both escape
//! characters and every lexer option, against a small fixed environment.

#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use slipway::syntax::shell::{Lexer, Options};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(word) = std::str::from_utf8(rest) else {
        return;
    };
    let env: HashMap<String, String> = [("A", "a b"), ("EMPTY", ""), ("PATH", "/bin")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let lexer = Lexer::with_options(Options {
        escape: if flags & 1 == 0 { '\\' } else { '`' },
        skip_unset_env: flags & 2 != 0,
        raw_quotes: flags & 4 != 0,
        raw_escapes: flags & 8 != 0,
        skip_process_quotes: flags & 16 != 0,
    });
    let _ = lexer.process_word(word, &env);
    let _ = lexer.process_words(word, &env);
});
