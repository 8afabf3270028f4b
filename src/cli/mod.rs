//! The command line: argument parsing, exit codes and the commands.

mod check;
mod fitcmds;
pub mod infer;
mod load;
mod logp;
pub mod progress;

use clap::{Parser, Subcommand};
use std::ffi::OsString;

/// Exit codes (see docs/cli.md).
pub mod exit {
    pub const OK: i32 = 0;
    /// Model or data error, or no usable approximation.
    pub const MODEL: i32 = 1;
    pub const USAGE: i32 = 2;
    /// A fit with finite draws that should not be trusted as is.
    pub const UNTRUSTED: i32 = 3;
}

/// vippl: probabilistic programs fitted by variational inference.
#[derive(Parser, Debug)]
#[command(name = "vippl", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// One variant per subcommand; each owns its arguments.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and check a model; print its parameter layout.
    Check(check::CheckArgs),
    /// Fit a model: print the summary, write draws and fit files.
    Infer(Box<infer::InferArgs>),
    /// Log density, gradient (and Hessian) at a point.
    Logp(logp::LogpArgs),
    /// Re-print the summary of a saved fit.
    Summary(fitcmds::SummaryArgs),
    /// Draw again from a saved fit (Stan CSV).
    Draws(fitcmds::DrawsArgs),
    /// Marginal densities, pair contours or the ELBO trace of a saved fit.
    Plot(fitcmds::PlotArgs),
    /// Interactive session: fit, look at draws, ask questions, build models.
    Repl(crate::repl::ReplArgs),
}

/// Output format of summaries.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    run(std::env::args_os())
}

/// Runs the command line on explicit arguments (the first is the program name).
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` are not errors.
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Infer(args) => infer::run(&args),
        Command::Logp(args) => logp::run(&args),
        Command::Summary(args) => fitcmds::summary(&args),
        Command::Draws(args) => fitcmds::draws(&args),
        Command::Plot(args) => fitcmds::plot(&args),
        Command::Repl(args) => crate::repl::run(&args),
    }
}

/// Whether stderr is a terminal that wants colour (honours `NO_COLOR`).
fn stderr_color() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
