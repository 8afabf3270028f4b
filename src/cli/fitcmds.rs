//! Commands on a saved fit: `summary`, `draws`, `plot`.

use super::exit;
use super::load::{self, Failed};
use crate::output::{self, FitFile};
use crate::plot;
use crate::session::{self, LoadedFit};
use std::io::IsTerminal;

fn load(path: &str) -> Result<LoadedFit, Failed> {
    let file = FitFile::load(path).map_err(|m| {
        load::error(m);
        Failed(exit::MODEL)
    })?;
    session::load_fit(file, path).map_err(|m| {
        load::error(m);
        Failed(exit::MODEL)
    })
}

#[derive(clap::Args, Debug)]
pub struct SummaryArgs {
    /// A fit file written by `vippl infer --fit`.
    pub fit: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = super::Format::Table)]
    pub format: super::Format,
}

pub fn summary(args: &SummaryArgs) -> i32 {
    let f = match load(&args.fit) {
        Ok(f) => f,
        Err(Failed(c)) => return c,
    };
    // The summary is recomputed from the approximation with the fit's seed:
    // it reproduces the one printed when the fit was made.
    let draws_n = f
        .file
        .config
        .get("variational.output_samples")
        .and_then(|v| v.as_u64())
        .unwrap_or(1000) as usize;
    let psis = f
        .file
        .config
        .get("variational.psis_resample")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let draws = match session::output_draws(
        &f.model,
        &f.approximation,
        draws_n,
        f.file.seed,
        psis,
        f.config.threads,
        None,
    ) {
        Ok(d) => d,
        Err(m) => {
            load::error(format!("cannot generate draws: {m}"));
            return exit::MODEL;
        }
    };
    let summary = session::summarize(&draws);
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match args.format {
        super::Format::Table => print!(
            "{}",
            output::render_table(&summary, &f.file.diagnostics, color)
        ),
        super::Format::Json => println!(
            "{}",
            output::summary_json(&summary, &f.file.diagnostics, &f.file.config)
        ),
    }
    exit::OK
}

#[derive(clap::Args, Debug)]
pub struct DrawsArgs {
    /// A fit file written by `vippl infer --fit`.
    pub fit: String,
    /// Number of draws.
    #[arg(short = 'n', long = "draws", default_value_t = 1000, value_parser = super::infer::at_least_one)]
    pub n: usize,
    /// Random seed (default: the fit's own seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Resample by Pareto-smoothed importance weights.
    #[arg(long)]
    pub psis_resample: bool,
    /// Write a Stan CSV file (default: standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE.csv")]
    pub output: Option<String>,
}

pub fn draws(args: &DrawsArgs) -> i32 {
    let f = match load(&args.fit) {
        Ok(f) => f,
        Err(Failed(c)) => return c,
    };
    let seed = args.seed.unwrap_or(f.file.seed);
    let draws = match session::output_draws(
        &f.model,
        &f.approximation,
        args.n,
        seed,
        args.psis_resample,
        f.config.threads,
        None,
    ) {
        Ok(d) => d,
        Err(m) => {
            load::error(format!("cannot generate draws: {m}"));
            return exit::MODEL;
        }
    };
    let mut record = f.file.config.clone();
    record.push("draws_from", args.fit.clone());
    record.push("draws_seed", seed);
    match &args.output {
        Some(path) => {
            if let Err(e) = output::save_stan_csv(path, &record, &draws) {
                load::error(format!("cannot write `{path}`: {e}"));
                return exit::MODEL;
            }
        }
        None => match output::stan_csv_string(&record, &draws) {
            Ok(s) => print!("{s}"),
            Err(e) => {
                load::error(e);
                return exit::MODEL;
            }
        },
    }
    exit::OK
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotKind {
    /// Marginal densities of each quantity.
    Marginals,
    /// Pairwise contours (2 to 10 quantities).
    Pairs,
    /// The ELBO per iteration.
    Trace,
}

#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// A fit file written by `vippl infer --fit`.
    pub fit: String,
    /// Quantities to plot (Stan-style names such as `theta[3]`; default: all).
    pub params: Vec<String>,
    /// The picture to write.
    #[arg(short = 'o', long = "output", value_name = "OUT.png")]
    pub output: String,
    /// What to draw.
    #[arg(long, value_enum, default_value_t = PlotKind::Marginals)]
    pub kind: PlotKind,
    /// Number of draws behind the densities.
    #[arg(short = 'n', long = "draws", default_value_t = 4000, value_parser = super::infer::at_least_one)]
    pub n: usize,
}

pub fn plot(args: &PlotArgs) -> i32 {
    let f = match load(&args.fit) {
        Ok(f) => f,
        Err(Failed(c)) => return c,
    };
    let names: Vec<&str> = args.params.iter().map(String::as_str).collect();
    let result = match args.kind {
        PlotKind::Trace => {
            let pts: Vec<(u64, f64)> = f.file.trace.iter().map(|t| (t.iteration, t.elbo)).collect();
            plot::trace(
                &args.output,
                &pts,
                &plot::TraceOptions {
                    title: Some(format!("ELBO of {}", f.file.model_name)),
                    ..Default::default()
                },
            )
        }
        kind => {
            let draws = match session::output_draws(
                &f.model,
                &f.approximation,
                args.n,
                f.file.seed,
                false,
                f.config.threads,
                None,
            ) {
                Ok(d) => d,
                Err(m) => {
                    load::error(format!("cannot generate draws: {m}"));
                    return exit::MODEL;
                }
            };
            if kind == PlotKind::Pairs {
                let names: Vec<&str> = if names.is_empty() {
                    draws.names.iter().take(6).map(String::as_str).collect()
                } else {
                    names
                };
                plot::pairs(
                    &args.output,
                    &draws,
                    &names,
                    &plot::PairOptions {
                        title: Some(format!("{} (approximation)", f.file.model_name)),
                        ..Default::default()
                    },
                )
            } else {
                plot::marginals(
                    &args.output,
                    &draws,
                    &names,
                    &plot::MarginalOptions {
                        title: Some(format!("{} (approximation)", f.file.model_name)),
                        ..Default::default()
                    },
                )
            }
        }
    };
    match result {
        Ok(()) => {
            eprintln!("wrote {}", args.output);
            exit::OK
        }
        Err(m) => {
            load::error(m);
            exit::MODEL
        }
    }
}
