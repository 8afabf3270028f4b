//! `vippl infer`: fit a model, print the summary, write the outputs.

use super::load::{self, Failed};
use crate::shell::options::{self, FitOptions, OutputOptions};
use crate::shell::progress::fit_with_progress;
use crate::shell::{emit, exit, fit_error_text, summary_text, use_color};
use vippl::data::DataSpec;
use vippl::output::Selection;
use vippl::source::SourceMap;
use vippl::workflow::outputs::{Input, Output};
use vippl::workflow::{self, FitFailure, FittedModel, ModelSource};

#[derive(clap::Args, Debug, Clone)]
pub struct InferArgs {
    /// The model file (`-` for standard input).
    pub model: String,
    /// Data files: Stan JSON, CSV with a header, or NAME=file.csv (repeatable).
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<String>,
    #[command(flatten)]
    pub fit: FitOptions,
    #[command(flatten)]
    pub out: OutputOptions,
}

pub fn run(args: &InferArgs) -> i32 {
    match run_inner(args) {
        Ok(code) | Err(Failed(code)) => code,
    }
}

fn usage(msg: impl std::fmt::Display) -> Failed {
    eprintln!("error: {msg}");
    eprintln!("(see `vippl infer --help`)");
    Failed(exit::USAGE)
}

fn run_inner(args: &InferArgs) -> Result<i32, Failed> {
    let plan = options::plan(&args.fit, &args.out, &args.data).map_err(usage)?;
    check_output_paths(args)?;
    if !args.out.quiet {
        for n in &plan.notes {
            eprintln!("note: {n}");
        }
    }
    let (file, text) = load::read_model_text(&args.model)?;
    let src = ModelSource {
        name: workflow::model_name(&file),
        file,
        text,
        data: load::read_data(&args.data)?,
    };
    let compiled = src.compile().map_err(load::rejected)?;
    if !args.out.quiet {
        load::report(&compiled.warnings, compiled.model.sources());
    }
    let selection = args.out.select.selection();
    // Patterns that match nothing are refused before the fit when the
    // names can be known without one.
    if let Some(names) = workflow::draws::names_at_zero(&compiled.model) {
        selection.check(&names).map_err(usage)?;
    }
    let sources = compiled.model.sources();
    let run = fit_with_progress(&compiled.model, &plan, args.out.quiet, None)
        .map_err(|f| failed(f, sources))?;
    if let Some(e) = &run.trace_error {
        // The trace asked for could not be written: nothing else is.
        return Err(load::model_error(e));
    }
    let sources = compiled.model.sources().clone();
    let fitted = run
        .finish(src, compiled.model, &plan)
        .map_err(|f| failed(f, &sources))?;
    selection.check(&fitted.output.draws.names).map_err(usage)?;
    let color = use_color(&std::io::stdout());
    emit(&summary_text(
        args.out.format,
        &fitted.output.summary,
        &fitted.diagnostics,
        &fitted.config(),
        &selection,
        color,
    ));
    Ok(write_outputs(&fitted, &args.out, &selection))
}

/// Refuses output paths that are inputs, each other, or cannot be files,
/// before anything is read or fitted.
fn check_output_paths(args: &InferArgs) -> Result<(), Failed> {
    let specs: Vec<String> = args
        .data
        .iter()
        .map(|a| DataSpec::parse(a).map_or_else(|_| a.clone(), |s| s.path().to_string()))
        .collect();
    let mut inputs = vec![Input {
        what: "the model",
        path: &args.model,
    }];
    inputs.extend(specs.iter().map(|p| Input {
        what: "the data file",
        path: p,
    }));
    let outputs: Vec<Output> = [
        ("-o", &args.out.output),
        ("--fit", &args.out.fit_file),
        ("--trace", &args.out.trace),
    ]
    .into_iter()
    .filter_map(|(option, p)| p.as_deref().map(|path| Output { option, path }))
    .collect();
    load::output_paths(&inputs, &outputs)
}

/// Writes the draws and the fit file asked for, all or nothing; the exit
/// code.
fn write_outputs(fitted: &FittedModel, out: &OutputOptions, selection: &Selection) -> i32 {
    let code = match fitted.trustworthy() {
        Some(false) => exit::UNTRUSTED,
        _ => exit::OK,
    };
    if let Err(e) = fitted.save_outputs(out.output.as_deref(), out.fit_file.as_deref(), selection) {
        load::error(e);
        return exit::MODEL;
    }
    if code == exit::UNTRUSTED && !out.quiet {
        eprintln!(
            "warning: this fit should not be trusted as is (see the diagnostics above); exit code 3"
        );
    }
    code
}

/// Prints why a fit gave nothing; the exit code.
fn failed(f: FitFailure, sources: &SourceMap) -> Failed {
    match f {
        FitFailure::NoParameters => {
            load::error("the model has no parameters: there is nothing to infer")
        }
        FitFailure::Engine(e) => {
            load::error(fit_error_text(&e, "or give `--init zero`/`--init random`"))
        }
        FitFailure::Message(m) => load::error(m),
        FitFailure::Diagnostics(d) => load::report(&d, sources),
    }
    Failed(exit::MODEL)
}
