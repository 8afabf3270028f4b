//! The interactive session: `vippl repl [MODEL.vi] [--data FILE]...`.
//!
//! [`Session`] holds the model (a file's text plus statements typed at the
//! prompt), its data, the current fit and the record of every fit, and
//! reads one input at a time with [`Session::handle`], writing results to
//! one writer and notes and errors to another. It needs no terminal: the
//! same code runs under line editing ([`terminal::interactive`]), from a
//! script on standard input, and in tests. Completion and hints are plain
//! functions of the line and the session's [`Names`].
//!
//! Expressions are evaluated by appending them to a copy of the model as a
//! quantity and compiling it with the same data; the fit's own draws then
//! give its value per draw (see `eval`).

mod complete;
mod eval;
mod fits;
mod fitting;
mod help;
mod input;
mod modelcmds;
mod report;
mod session;
mod show;
mod terminal;
mod textplot;

#[cfg(test)]
mod tests;

use session::{Session, SessionOptions};

use std::io::IsTerminal;

/// `vippl repl`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReplArgs {
    /// A model file to start with.
    pub model: Option<String>,
    /// Data files: Stan JSON, CSV with a header, or NAME=file.csv (repeatable).
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<String>,
    /// When reading a script, print each input line after the prompt, so
    /// the output reads as a transcript of the session.
    #[arg(long)]
    pub echo: bool,
}

/// Runs the REPL; the exit code is 0 after `:quit` or the end of input.
pub fn run(args: &ReplArgs) -> i32 {
    if args.model.as_deref() == Some("-") {
        eprintln!(
            "error: the REPL reads its commands from standard input: give the model as a file"
        );
        return crate::shell::exit::USAGE;
    }
    let interactive = std::io::stdin().is_terminal();
    let color = interactive && crate::shell::use_color(&std::io::stdout());
    let width = crate::shell::terminal_width();
    let mut session = Session::new(SessionOptions {
        color,
        progress: true,
        width,
    });
    terminal::prepare_signals();
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    for d in &args.data {
        session.load_data(d, &mut out, &mut err);
    }
    if let Some(m) = &args.model {
        session.load_file(m, &mut out, &mut err);
    }
    if interactive {
        terminal::interactive(&mut session, color);
    } else {
        terminal::script(&mut session, args.echo);
    }
    crate::shell::exit::OK
}
