//! Reading a model and its data from files, for every command.

use super::exit;
use crate::check;
use crate::data::{DataInput, DataSpec};
use crate::density::{self, CompiledModel};
use crate::diagnostics::{self, Diagnostic, RenderOptions};
use crate::ir;
use crate::source::SourceMap;
use std::io::{IsTerminal, Read};

/// A failure already explained to the user, with the exit code to use.
#[derive(Debug)]
pub struct Failed(pub i32);

/// How diagnostics are printed on stderr.
pub fn render_options() -> RenderOptions {
    let tty = std::io::stderr().is_terminal();
    RenderOptions {
        color: tty && std::env::var_os("NO_COLOR").is_none(),
        width: terminal_width(),
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// Prints diagnostics to stderr.
pub fn report(diags: &[Diagnostic], sources: &SourceMap) {
    if diags.is_empty() {
        return;
    }
    eprint!("{}", diagnostics::render(diags, sources, render_options()));
}

/// Prints a plain error message (no source location) to stderr.
pub fn error(msg: impl std::fmt::Display) {
    eprintln!("error: {msg}");
}

/// Reads a model file (`-` for stdin).
pub fn read_model_text(path: &str) -> Result<(String, String), Failed> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(|e| {
            error(format!("cannot read the model from standard input: {e}"));
            Failed(exit::MODEL)
        })?;
        return Ok(("<stdin>".to_string(), s));
    }
    match std::fs::read_to_string(path) {
        Ok(s) => Ok((path.to_string(), s)),
        Err(e) => {
            error(format!("cannot read model file `{path}`: {e}"));
            Err(Failed(exit::MODEL))
        }
    }
}

/// Parses and checks a model; prints warnings; on errors prints them all.
pub fn load_checked(path: &str, quiet: bool) -> Result<(SourceMap, ir::Model), Failed> {
    let (name, text) = read_model_text(path)?;
    let mut sources = SourceMap::new();
    match check::load_model(&mut sources, &name, &text) {
        Ok((model, warnings)) => {
            if !quiet {
                report(&warnings, &sources);
            }
            Ok((sources, model))
        }
        Err(diags) => {
            report(&diags, &sources);
            Err(Failed(exit::MODEL))
        }
    }
}

/// Reads every `--data` argument.
pub fn read_data(args: &[String]) -> Result<DataInput, Failed> {
    let mut input = DataInput::default();
    for a in args {
        let spec = DataSpec::parse(a).map_err(|m| {
            error(m);
            Failed(exit::USAGE)
        })?;
        let text = std::fs::read_to_string(spec.path()).map_err(|e| {
            error(format!("cannot read data file `{}`: {e}", spec.path()));
            Failed(exit::MODEL)
        })?;
        input.add(&spec, &text).map_err(|m| {
            error(m);
            Failed(exit::MODEL)
        })?;
    }
    Ok(input)
}

/// Loads, checks and compiles a model with its data.
pub fn load_compiled(path: &str, data: &[String], quiet: bool) -> Result<CompiledModel, Failed> {
    let (sources, model) = load_checked(path, quiet)?;
    let input = read_data(data)?;
    compile_with(model, sources, &input, quiet)
}

/// Compiles a checked model with parsed data, reporting problems.
pub fn compile_with(
    model: ir::Model,
    sources: SourceMap,
    input: &DataInput,
    quiet: bool,
) -> Result<CompiledModel, Failed> {
    let report_sources = sources.clone();
    match density::compile(model, sources, input) {
        Ok((cm, notes)) => {
            if !quiet {
                report(&notes, cm.sources());
            }
            Ok(cm)
        }
        Err(diags) => {
            report(&diags, &report_sources);
            Err(Failed(exit::MODEL))
        }
    }
}
