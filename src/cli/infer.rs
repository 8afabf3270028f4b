//! `vippl infer`: fit a model, print the summary, write the outputs.

use super::load::{self, Failed};
use crate::shell::options::{self, FitOptions, OutputOptions};
use crate::shell::progress::fit_with_progress;
use crate::shell::{exit, fit_error_text, summary_text, use_color};
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
    let run = fit_with_progress(&compiled.model, &plan, args.out.quiet, None).map_err(failed)?;
    if let Some(e) = &run.trace_error {
        load::error(e);
    }
    let fitted = run.finish(src, compiled.model, &plan).map_err(failed)?;
    let color = use_color(&std::io::stdout());
    print!(
        "{}",
        summary_text(
            args.out.format,
            &fitted.output.summary,
            &fitted.diagnostics,
            &fitted.config(),
            color
        )
    );
    Ok(write_outputs(&fitted, &args.out))
}

/// Writes the draws and the fit file asked for; the exit code.
fn write_outputs(fitted: &FittedModel, out: &OutputOptions) -> i32 {
    let mut code = match fitted.trustworthy() {
        Some(false) => exit::UNTRUSTED,
        _ => exit::OK,
    };
    if let Some(path) = &out.output {
        if let Err(e) = fitted.save_draws(path) {
            load::error(e);
            code = exit::MODEL;
        }
    }
    if let Some(path) = &out.fit_file {
        if let Err(e) = fitted.save_fit(path) {
            load::error(e);
            code = exit::MODEL;
        }
    }
    if code == exit::UNTRUSTED && !out.quiet {
        eprintln!(
            "warning: this fit should not be trusted as is (see the diagnostics above); exit code 3"
        );
    }
    code
}

/// Prints why a fit gave nothing; the exit code.
fn failed(f: FitFailure) -> Failed {
    match f {
        FitFailure::NoParameters => {
            load::error("the model has no parameters: there is nothing to infer")
        }
        FitFailure::Engine(e) => {
            load::error(fit_error_text(&e, "or give `--init zero`/`--init random`"))
        }
        FitFailure::Message(m) => load::error(m),
    }
    Failed(exit::MODEL)
}
