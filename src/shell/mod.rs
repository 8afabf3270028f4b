//! What both shells (the command line and the REPL) share: exit codes, the
//! colour decision, the summary formats, the options of a fit and their
//! parsing, and the progress display with its Ctrl-C handling.

pub mod options;
pub mod progress;

use std::io::IsTerminal;
use vippl::output::{self, ColumnSummary, Config, FitSummary, Selection};

/// Exit codes (see docs/cli.md).
pub mod exit {
    pub const OK: i32 = 0;
    /// Model or data error, or no usable approximation.
    pub const MODEL: i32 = 1;
    pub const USAGE: i32 = 2;
    /// A fit with finite draws that should not be trusted as is.
    pub const UNTRUSTED: i32 = 3;
}

/// Writes `text` to standard output. A reader that went away (`vippl draws
/// fit.json | head`) ends the output quietly; any other failure is reported
/// on stderr. Returns whether everything was written.
pub fn emit(text: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => false,
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            false
        }
    }
}

/// Whether output to `stream` may use ANSI colours: it is a terminal and
/// `NO_COLOR` is not set.
pub fn use_color(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Line width for diagnostics: `$COLUMNS`, else 100.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// Output format of summaries.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// The summary of a fit in a format: the table and diagnostics block for
/// people, one JSON object (with the configuration) for programs. Only the
/// quantities `selection` keeps are shown; without `--include`, the table
/// collapses long vectors (the JSON keeps every element).
pub fn summary_text(
    format: Format,
    summary: &[ColumnSummary],
    diagnostics: &FitSummary,
    config: &Config,
    selection: &Selection,
    color: bool,
) -> String {
    let rows = selection.summary(summary);
    match format {
        Format::Table if selection.include.is_empty() => {
            output::render_table_collapsed(&rows, diagnostics, color)
        }
        Format::Table => output::render_table(&rows, diagnostics, color),
        Format::Json => format!("{}\n", output::summary_json(&rows, diagnostics, config)),
    }
}

/// The words of a fit that found no approximation; `init_advice` says how
/// to choose another start in this shell.
pub fn fit_error_text(e: &vippl::infer::FitError, init_advice: &str) -> String {
    match e {
        vippl::infer::FitError::NoFiniteStart { tries, explanation } => format!(
            "no starting point with a finite log density was found ({tries} tries)\n  {explanation}\n  help: check the model's constraints and priors, {init_advice}"
        ),
        other => other.to_string(),
    }
}
