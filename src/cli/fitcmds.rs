//! Commands on a saved fit: `summary`, `draws`, `plot`.

use super::load::{self, Failed};
use crate::shell::options::at_least_one;
use crate::shell::{Format, emit, exit, summary_text, use_color};
use vippl::output::{self, FitFile};
use vippl::plot;
use vippl::workflow::outputs::{Input, Output};
use vippl::workflow::{self, Reopened, draws::cannot_generate};

/// Reads a fit file and rebuilds its model and approximation.
fn reopen(path: &str) -> Result<Reopened, Failed> {
    let file = FitFile::load(path).map_err(load::model_error)?;
    workflow::reopen(file, path).map_err(load::model_error)
}

/// Draws from a saved fit (not resampled unless `psis`).
fn draw(f: &Reopened, n: usize, seed: u64, psis: bool) -> Result<output::Draws, Failed> {
    let threads = f.recorded_draws().threads;
    workflow::output_draws(&f.model, &f.approximation, n, seed, psis, threads, None)
        .map_err(|m| load::model_error(cannot_generate(m)))
}

#[derive(clap::Args, Debug)]
pub struct SummaryArgs {
    /// A fit file written by `vippl infer --fit`.
    pub fit: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn summary(args: &SummaryArgs) -> i32 {
    // The summary is recomputed from the approximation with the fit's seed:
    // it reproduces the one printed when the fit was made.
    let fitted = match reopen(&args.fit).and_then(|f| f.into_fitted().map_err(load::model_error)) {
        Ok(f) => f,
        Err(Failed(c)) => return c,
    };
    emit(&summary_text(
        args.format,
        &fitted.output.summary,
        &fitted.diagnostics,
        &fitted.config(),
        use_color(&std::io::stdout()),
    ));
    exit::OK
}

#[derive(clap::Args, Debug)]
pub struct DrawsArgs {
    /// A fit file written by `vippl infer --fit`.
    pub fit: String,
    /// Number of draws.
    #[arg(short = 'n', long = "draws", default_value_t = 1000, value_parser = at_least_one)]
    pub n: usize,
    /// Random seed (default: the fit's own seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Resample by Pareto-smoothed importance weights even when k̂ ≥ 0.7 (by default, as
    /// `vippl infer` does, they are resampled only when k̂ < 0.7).
    #[arg(long, conflicts_with = "no_psis_resample")]
    pub psis_resample: bool,
    /// Plain draws from the approximation, without importance resampling.
    #[arg(long)]
    pub no_psis_resample: bool,
    /// Write a Stan CSV file (default: standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE.csv")]
    pub output: Option<String>,
}

pub fn draws(args: &DrawsArgs) -> i32 {
    if let Some(path) = &args.output {
        let checked = load::output_paths(
            &[Input {
                what: "the fit file",
                path: &args.fit,
            }],
            &[Output { option: "-o", path }],
        );
        if let Err(Failed(c)) = checked {
            return c;
        }
    }
    let f = match reopen(&args.fit) {
        Ok(f) => f,
        Err(Failed(c)) => return c,
    };
    let seed = args.seed.unwrap_or(f.file.seed);
    // The same rule as `vippl infer`: resampled when PSIS is reliable.
    let psis = if args.no_psis_resample {
        false
    } else if args.psis_resample {
        true
    } else {
        f.file
            .diagnostics
            .khat
            .is_some_and(|k| workflow::khat_verdict(k) != "do not trust")
    };
    let draws = match draw(&f, args.n, seed, psis) {
        Ok(d) => d,
        Err(Failed(c)) => return c,
    };
    let eta = workflow::draws::recorded_eta(&f.file.diagnostics.values);
    let mut record = f.record.clone();
    record.variational.output_samples = args.n as u64;
    let mut header = record.stan_csv_config(eta, psis);
    header.push("draws_from", args.fit.clone());
    header.push("draws_seed", seed);
    let write = |w: &mut dyn std::io::Write| {
        workflow::draws::write_draws_csv(w, &header, &f.model, &f.approximation, &draws, seed, eta)
    };
    match &args.output {
        Some(path) => {
            if let Err(e) = output::write_atomic(path, write) {
                load::error(format!("cannot write `{path}`: {e}"));
                return exit::MODEL;
            }
        }
        None => {
            let mut buf = Vec::new();
            if let Err(e) = write(&mut buf) {
                load::error(e);
                return exit::MODEL;
            }
            emit(&String::from_utf8_lossy(&buf));
        }
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
    #[arg(short = 'n', long = "draws", default_value_t = 4000, value_parser = at_least_one)]
    pub n: usize,
}

pub fn plot(args: &PlotArgs) -> i32 {
    if !args.output.to_ascii_lowercase().ends_with(".png") {
        eprintln!(
            "error: -o `{}`: plots are written as PNG images; give a file name ending in `.png`",
            args.output
        );
        return exit::USAGE;
    }
    let checked = load::output_paths(
        &[Input {
            what: "the fit file",
            path: &args.fit,
        }],
        &[Output {
            option: "-o",
            path: &args.output,
        }],
    );
    if let Err(Failed(c)) = checked {
        return c;
    }
    let f = match reopen(&args.fit) {
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
            let draws = match draw(&f, args.n, f.file.seed, false) {
                Ok(d) => d,
                Err(Failed(c)) => return c,
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
