//! The command line: argument parsing and the commands (exit codes and the
//! options shared with the REPL are in `shell`).

mod check;
mod fitcmds;
mod infer;
mod load;
mod logp;

use crate::shell::exit;
use crate::shell::options::bad_value_message;
use clap::{Parser, Subcommand};
use std::ffi::OsString;

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
    let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // `vippl help --help` asks for the help of `help`: the same as `vippl help`.
    if args.get(1).is_some_and(|a| a == "help") {
        args.retain(|a| a != "--help" && a != "-h");
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            if let Some(m) = bad_value_message(&e) {
                // A value the engine's own types refuse (only `infer` has them).
                eprintln!("error: {m}");
                eprintln!("(see `vippl infer --help`)");
                return exit::USAGE;
            }
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
