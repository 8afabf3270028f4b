//! Reading a model and its data for the commands, with problems printed
//! to stderr and turned into exit codes.

use crate::shell::{exit, terminal_width, use_color};
use vippl::check;
use vippl::data::{DataInput, DataSpec};
use vippl::density::CompiledModel;
use vippl::diagnostics::{self, Diagnostic, RenderOptions};
use vippl::ir;
use vippl::source::SourceMap;
use vippl::workflow::outputs::{Input, Output, OutputProblem};
use vippl::workflow::{self, Rejected};

/// A failure already explained to the user, with the exit code to use.
#[derive(Debug)]
pub struct Failed(pub i32);

/// How diagnostics are printed on stderr.
pub fn render_options() -> RenderOptions {
    RenderOptions {
        color: use_color(&std::io::stderr()),
        width: terminal_width(),
    }
}

/// Prints diagnostics to stderr.
pub fn report(diags: &[Diagnostic], sources: &SourceMap) {
    if diags.is_empty() {
        return;
    }
    eprint!("{}", diagnostics::render(diags, sources, render_options()));
}

/// Prints a model that was rejected and gives the exit code.
pub fn rejected(r: Rejected) -> Failed {
    report(&r.diagnostics, &r.sources);
    Failed(exit::MODEL)
}

/// Prints a plain error message (no source location) to stderr.
pub fn error(msg: impl std::fmt::Display) {
    eprintln!("error: {msg}");
}

/// An error about the model or data (exit code 1), printed.
pub fn model_error(msg: impl std::fmt::Display) -> Failed {
    error(msg);
    Failed(exit::MODEL)
}

/// Reads a model file (`-` for stdin): the name diagnostics give it, and
/// its text.
pub fn read_model_text(path: &str) -> Result<(String, String), Failed> {
    workflow::read_model_text(path).map_err(model_error)
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

/// Checks a command's output paths against its inputs and each other
/// (see [`workflow::outputs`]): a clash is a usage error (exit 2), a path
/// that cannot be a file exit 1.
pub fn output_paths(inputs: &[Input<'_>], outputs: &[Output<'_>]) -> Result<(), Failed> {
    match workflow::outputs::check_outputs(inputs, outputs) {
        Ok(()) => Ok(()),
        Err(p @ OutputProblem::Clash(_)) => {
            error(p);
            Err(Failed(exit::USAGE))
        }
        Err(p @ OutputProblem::Unwritable(_)) => {
            error(p);
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
        workflow::read_data_file(&mut input, &spec).map_err(model_error)?;
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
    let compiled = workflow::compile_checked(model, sources, input).map_err(rejected)?;
    if !quiet {
        report(&compiled.warnings, compiled.model.sources());
    }
    Ok(compiled.model)
}
