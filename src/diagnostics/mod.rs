//! Problems found in a model, its data or at run time, and their rendering.
//!
//! Every pass collects [`Diagnostic`]s instead of stopping at the first
//! problem. Rendering (miette, no colour and a fixed width in tests) lives
//! here and nowhere else.

mod clip;

use crate::source::{SourceMap, Span};
use clip::ClippedSource;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use std::fmt::{self, Write};

#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// A labelled span inside a diagnostic.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem: what went wrong, where, and how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable short name of the problem class, e.g. `unknown-name`.
    pub code: &'static str,
    pub message: String,
    /// The first label is the primary location.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn note(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }
}

/// True if any diagnostic in the list is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// How [`render`] draws diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    /// ANSI colours (for terminals; never in tests or files).
    pub color: bool,
    /// Line width to wrap messages at.
    pub width: usize,
}

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            color: false,
            width: 100,
        }
    }
}

/// Renders diagnostics with their source lines, carets and labels, one
/// after another (miette's graphical report, Unicode box drawing).
pub fn render(diags: &[Diagnostic], sources: &SourceMap, opts: RenderOptions) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false)
        .with_urls(false);
    let mut out = String::new();
    for d in diags {
        let report = Report::new(d, sources);
        if handler.render_report(&mut out, &report).is_err() {
            // Rendering into a String cannot fail in practice; fall back to one line.
            out.push_str(&render_short(std::slice::from_ref(d), sources));
        }
    }
    out
}

/// One line per diagnostic, `file:line:col: error: message`, for logs,
/// editors and other non-terminal consumers; the help follows on an
/// indented line.
pub fn render_short(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        match d.primary_span() {
            Some(span) => {
                let _ = writeln!(out, "{}: {sev}: {}", sources.location(span), d.message);
            }
            None => {
                let _ = writeln!(out, "{sev}: {}", d.message);
            }
        }
        if let Some(h) = &d.help {
            let _ = writeln!(out, "  help: {h}");
        }
    }
    out
}

/// The most lines a label's span is drawn over; a longer span is shown by
/// its first line and a count of the rest.
const MAX_LABEL_LINES: usize = 8;

/// A diagnostic bound to its source, in the shape miette draws.
struct Report {
    message: String,
    code: &'static str,
    severity: Severity,
    help: Option<String>,
    source: Option<ClippedSource>,
    labels: Vec<LabeledSpan>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &SourceMap) -> Report {
        let file = d.primary_span().map(|s| s.file);
        let mut shown = Vec::new();
        let mut elsewhere = Vec::new();
        for l in &d.labels {
            if Some(l.span.file) == file {
                let text = &sources.get(l.span.file).text;
                let start = (l.span.start as usize).min(text.len());
                let mut len = (l.span.end as usize).min(text.len()).saturating_sub(start);
                let mut message = l.message.clone();
                // A span over many lines (a deeply nested expression) is
                // shown by its first line, not echoed whole.
                let more = text
                    .get(start..start + len)
                    .map_or(0, |s| s.matches('\n').count());
                if more > MAX_LABEL_LINES {
                    len = text[start..start + len].find('\n').unwrap_or(len);
                    message = format!("{message} (and {more} more lines)");
                }
                shown.push(((start, len), message));
            } else {
                elsewhere.push(format!("{} ({})", l.message, sources.location(l.span)));
            }
        }
        // Long lines are cut around the labels, which move with the cut.
        let mut spans: Vec<(usize, usize)> = shown.iter().map(|(span, _)| *span).collect();
        let source = file.map(|f| {
            let sf = sources.get(f);
            ClippedSource::new(&sf.name, &sf.text, &mut spans)
        });
        let labels = shown
            .into_iter()
            .zip(spans)
            .enumerate()
            .map(|(i, ((_, message), span))| {
                let label = (!message.is_empty()).then_some(message);
                if i == 0 {
                    LabeledSpan::new_primary_with_span(label, span)
                } else {
                    LabeledSpan::new_with_span(label, span)
                }
            })
            .collect();
        let mut help = d.help.clone();
        if !elsewhere.is_empty() {
            let note = elsewhere.join("; ");
            help = Some(match help {
                Some(h) => format!("{h}\nsee: {note}"),
                None => format!("see: {note}"),
            });
        }
        Report {
            message: d.message.clone(),
            code: d.code,
            severity: d.severity,
            help,
            source,
            labels,
        }
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_source_and_help() {
        let mut sm = SourceMap::new();
        let f = sm.add("m.vi", "param mu: real\nmu ~ normal(0, sigm)\n");
        let d = Diagnostic::error("unknown-name", "unknown name `sigm`")
            .with_label(Span::new(f, 30, 34), "not declared")
            .with_help("did you mean `sigma`?");
        let text = render(std::slice::from_ref(&d), &sm, RenderOptions::default());
        assert!(text.contains("m.vi:2:16"), "{text}");
        assert!(text.contains("did you mean `sigma`?"), "{text}");
        assert!(text.contains("mu ~ normal(0, sigm)"), "{text}");
        assert!(!text.contains('\u{1b}'), "no colour codes: {text}");
        let short = render_short(&[d], &sm);
        assert_eq!(
            short.lines().next(),
            Some("m.vi:2:16: error: unknown name `sigm`")
        );
    }

    #[test]
    fn a_label_over_many_lines_is_shown_by_its_first() {
        let mut sm = SourceMap::new();
        let body = format!("let x = {}1\n", "-\n".repeat(100_000));
        let f = sm.add("deep.vi", &body);
        let d = Diagnostic::error("too-deep", "too deep")
            .with_label(Span::new(f, 8, body.len() - 1), "this expression");
        let text = render(std::slice::from_ref(&d), &sm, RenderOptions::default());
        assert!(text.lines().count() < 20, "{} lines", text.lines().count());
        assert!(
            text.contains("this expression (and 100000 more lines)"),
            "{text}"
        );
        assert!(text.contains("deep.vi:1:9"), "{text}");
    }

    #[test]
    fn a_very_long_line_is_cut_around_its_label() {
        let mut sm = SourceMap::new();
        let body = format!(
            "param mu: real\nmu ~ normal(0, {} + sigm)\n",
            "1".repeat(100_000)
        );
        let f = sm.add("long.vi", &body);
        let at = body.find("sigm").unwrap();
        let d = Diagnostic::error("unknown-name", "unknown name `sigm`")
            .with_label(Span::new(f, at, at + 4), "not declared");
        let text = render(std::slice::from_ref(&d), &sm, RenderOptions::default());
        assert!(text.len() < 2_000, "{} bytes", text.len());
        assert!(text.contains("1 + sigm)"), "{text}");
        let column = at - body.find("mu ~").unwrap() + 1;
        assert!(text.contains(&format!("long.vi:2:{column}")), "{text}");
    }
}
