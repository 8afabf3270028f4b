//! String literals (the messages of `print` and `reject`): skipped whole,
//! so that a `//`, a bracket or a quote inside one means nothing to the
//! scan.

use super::{LastToken, Scanner};
use crate::diagnostics::Diagnostic;

impl Scanner<'_> {
    /// `"..."` on one line; an error when the line or file ends first.
    pub(super) fn string(&mut self, start: usize) -> usize {
        self.token(start, false);
        self.last = LastToken::Other;
        let src = self.src;
        let mut i = start + 1;
        while i < src.len() && !matches!(src[i], b'"' | b'\n') {
            i += 1;
        }
        if src.get(i) == Some(&b'"') {
            return i + 1;
        }
        self.error(
            start,
            Diagnostic::error("unterminated-string", "this string is never closed")
                .with_label(self.span(start, i), "string starts here")
                .with_help("close it with `\"` on the same line"),
        );
        i
    }
}
