//! Any bytes through the parser and the checker: a panic or a stack
//! overflow is a bug; diagnostics are the expected outcome.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vippl::source::SourceMap;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut sources = SourceMap::new();
    match vippl::check::load_model(&mut sources, "fuzz.vi", &text) {
        Ok((_, warnings)) => {
            let _ = vippl::diagnostics::render_short(&warnings, &sources);
        }
        Err(diags) => {
            assert!(vippl::diagnostics::has_errors(&diags));
            let _ = vippl::diagnostics::render_short(&diags, &sources);
        }
    }
});
