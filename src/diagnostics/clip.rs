//! Source text as a diagnostic shows it: a line longer than a screen is cut
//! to a window around the labels on it, so a generated model with one very
//! long line gives a readable report instead of echoing the line whole.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// The longest stretch of one line shown, in bytes.
const SHOWN_BYTES: usize = 160;
/// How much of a long line is shown before the first label on it.
const LEAD_BYTES: usize = 40;
/// Marks the cut ends of a long line.
const CUT: &str = "…";

/// A source file with its long lines cut, and how to map back to the
/// columns of the file as written.
pub(super) struct ClippedSource {
    name: String,
    text: String,
    /// The cut lines, by line number (0-based), in order.
    cuts: Vec<Cut>,
}

/// One cut line.
struct Cut {
    line: usize,
    /// Byte column in the original line where the shown part starts.
    first_column: usize,
    /// Bytes of the marker in front of the shown part (0 when the line's
    /// start is shown).
    marker: usize,
    /// Offset of the original line's start and of its content's end.
    line_start: usize,
    content_end: usize,
    /// The shown part, as offsets of the original text.
    shown: (usize, usize),
    /// Where the line starts and its content ends in the clipped text.
    clipped_start: usize,
    clipped_end: usize,
}

impl ClippedSource {
    /// Cuts the long lines of `text` around the spans given as
    /// `(offset, length)`, which are moved into the clipped text.
    pub(super) fn new(name: &str, text: &str, spans: &mut [(usize, usize)]) -> ClippedSource {
        let mut clipped = String::with_capacity(text.len().min(1 << 16));
        let mut cuts = Vec::new();
        let mut line_start = 0;
        for (line, raw) in text.split_inclusive('\n').enumerate() {
            let content = raw.trim_end_matches(['\n', '\r']);
            let content_end = line_start + content.len();
            if content.len() <= SHOWN_BYTES {
                clipped.push_str(raw);
            } else {
                let anchor = spans
                    .iter()
                    .map(|&(s, _)| s)
                    .filter(|&s| (line_start..=content_end).contains(&s))
                    .min()
                    .unwrap_or(line_start);
                let from = floor_boundary(text, anchor.saturating_sub(LEAD_BYTES).max(line_start));
                let to = floor_boundary(text, (from + SHOWN_BYTES).min(content_end));
                let marker = if from > line_start { CUT.len() } else { 0 };
                let clipped_start = clipped.len();
                if marker > 0 {
                    clipped.push_str(CUT);
                }
                clipped.push_str(&text[from..to]);
                if to < content_end {
                    clipped.push_str(CUT);
                }
                cuts.push(Cut {
                    line,
                    first_column: from - line_start,
                    marker,
                    line_start,
                    content_end,
                    shown: (from, to),
                    clipped_start,
                    clipped_end: clipped.len(),
                });
                clipped.push_str(&raw[content.len()..]);
            }
            line_start += raw.len();
        }
        let source = ClippedSource {
            name: name.to_string(),
            text: clipped,
            cuts,
        };
        for span in spans.iter_mut() {
            let start = source.moved(span.0.min(text.len()));
            let end = source.moved((span.0 + span.1).min(text.len()));
            *span = (start, end.saturating_sub(start));
        }
        source
    }

    /// Where an offset of the original text is in the clipped text (an
    /// offset in a cut-away part goes to the nearest shown end).
    fn moved(&self, offset: usize) -> usize {
        let index = self.cuts.partition_point(|c| c.line_start <= offset);
        let Some(cut) = index.checked_sub(1).map(|i| &self.cuts[i]) else {
            return offset;
        };
        if offset <= cut.content_end {
            let inside = offset.clamp(cut.shown.0, cut.shown.1) - cut.shown.0;
            cut.clipped_start + cut.marker + inside
        } else {
            cut.clipped_end + (offset - cut.content_end)
        }
    }

    /// The column of the file as written, from a column of the clipped text.
    fn original_column(&self, line: usize, column: usize) -> usize {
        match self.cuts.binary_search_by_key(&line, |c| c.line) {
            Ok(i) => {
                let cut = &self.cuts[i];
                cut.first_column + column.saturating_sub(cut.marker)
            }
            Err(_) => column,
        }
    }
}

/// The largest char boundary of `text` at or below `offset`.
fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl SourceCode for ClippedSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            self.original_column(inner.line(), inner.column()),
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_kept_and_spans_unmoved() {
        let text = "param mu: real\nmu ~ normal(0, 1)\n";
        let mut spans = [(15, 2), (20, 6)];
        let source = ClippedSource::new("m.vi", text, &mut spans);
        assert_eq!(source.text, text);
        assert_eq!(spans, [(15, 2), (20, 6)]);
    }

    #[test]
    fn a_long_line_is_cut_around_its_label_and_later_lines_follow() {
        let long = format!("let x = {}sigm", "1 + ".repeat(5_000));
        let text = format!("param mu: real\n{long}\nmu ~ normal(x, 1)\n");
        let label = text.find("sigm").unwrap();
        let later = text.find("mu ~").unwrap();
        let mut spans = [(label, 4), (later, 2)];
        let source = ClippedSource::new("m.vi", &text, &mut spans);
        assert!(source.text.len() < 300, "{}", source.text.len());
        assert_eq!(&source.text[spans[0].0..spans[0].0 + spans[0].1], "sigm");
        assert_eq!(&source.text[spans[1].0..spans[1].0 + spans[1].1], "mu");
        assert!(source.text.lines().nth(1).unwrap().starts_with(CUT));
        let shown = source
            .text
            .read_span(&(spans[0].0, 4).into(), 0, 0)
            .unwrap();
        let written = label - text.find("let x").unwrap();
        assert_eq!(
            source.original_column(shown.line(), shown.column()),
            written
        );
    }

    #[test]
    fn cuts_fall_on_char_boundaries() {
        let text = format!("{}\n", "é".repeat(1_000));
        let mut spans = [(1_000, 2)];
        let source = ClippedSource::new("m.vi", &text, &mut spans);
        assert!(source.text.is_char_boundary(spans[0].0));
        assert!(source.text.len() < 200);
    }
}
