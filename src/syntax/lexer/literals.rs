//! Literals: numbers (checked not to end in `.`) and strings (the
//! messages of `print` and `reject`), which are skipped whole so that a
//! `//`, a bracket or a quote inside one means nothing to the scan.

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

    pub(super) fn number(&mut self, start: usize) -> usize {
        let src = self.src;
        let n = src.len();
        self.token(start, false);
        self.last = LastToken::Other;
        let mut i = start;
        while i < n && src[i].is_ascii_digit() {
            i += 1;
        }
        if i < n && src[i] == b'.' {
            let next = src.get(i + 1).copied();
            if next.is_some_and(|b| b.is_ascii_digit()) {
                i += 1;
                while i < n && src[i].is_ascii_digit() {
                    i += 1;
                }
            } else if !matches!(next, Some(b'*' | b'/')) {
                let text = String::from_utf8_lossy(&src[start..=i]).into_owned();
                let whole = &text[..text.len() - 1];
                self.error(
                    start,
                    Diagnostic::error(
                        "number-ends-in-dot",
                        format!("a number cannot end in `.`: `{text}`"),
                    )
                    .with_label(self.span(start, i + 1), "write a digit after the `.`")
                    .with_help(format!("write `{whole}.0` or `{whole}`")),
                );
                return i + 1;
            }
        }
        if i < n && (src[i] == b'e' || src[i] == b'E') {
            let mut j = i + 1;
            if j < n && (src[j] == b'+' || src[j] == b'-') {
                j += 1;
            }
            if j < n && src[j].is_ascii_digit() {
                while j < n && src[j].is_ascii_digit() {
                    j += 1;
                }
                i = j;
            }
        }
        i
    }
}
