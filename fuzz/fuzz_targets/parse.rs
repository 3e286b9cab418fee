//! Fuzz target: any bytes through decoding, parsing, the dump and the typed
//! instruction layer. Checks the tree's invariant that it prints back to the
//! input byte for byte.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = slipway::syntax::decode(data) else {
        return;
    };
    let parsed = slipway::syntax::parse(src);
    assert_eq!(parsed.tree.print(), src);
    let _ = slipway::syntax::dump::dump(&parsed.tree);
    let _ = slipway::syntax::instructions::parse_instructions(&parsed.tree);
});
