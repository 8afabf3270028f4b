//! Commands on a saved fit: `summary`, `draws`, `plot`.

use super::load::{self, Failed};
use crate::shell::options::{SelectOptions, at_least_one};
use crate::shell::{Format, emit, exit, summary_text, use_color};
use vippl::output::{self, FitFile, Selection};
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
    #[command(flatten)]
    pub select: SelectOptions,
}

/// A pattern that matches no quantity: a usage error.
fn unmatched(selection: &Selection, names: &[String], include: &str) -> Result<(), Failed> {
    selection.check_as(names, include).map_err(|m| {
        eprintln!("error: {m}");
        Failed(exit::USAGE)
    })
}

pub fn summary(args: &SummaryArgs) -> i32 {
    // The summary is recomputed from the approximation with the fit's seed:
    // it reproduces the one printed when the fit was made.
    let fitted = match reopen(&args.fit).and_then(|f| f.into_fitted().map_err(load::model_error)) {
        Ok(f) => f,
        Err(Failed(c)) => return c,
    };
    let selection = args.select.selection();
    if let Err(Failed(c)) = unmatched(&selection, &fitted.output.draws.names, "--include") {
        return c;
    }
    emit(&summary_text(
        args.format,
        &fitted.output.summary,
        &fitted.diagnostics,
        &fitted.config(),
        &selection,
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
    #[command(flatten)]
    pub select: SelectOptions,
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
    let selection = args.select.selection();
    if let Err(Failed(c)) = unmatched(&selection, &draws.names, "--include") {
        return c;
    }
    let eta = workflow::draws::recorded_eta(&f.file.diagnostics.values);
    let mut record = f.record.clone();
    record.variational.output_samples = args.n as u64;
    let mut header = record.stan_csv_config(eta, psis);
    header.push("draws_from", args.fit.clone());
    header.push("draws_seed", seed);
    let layout = workflow::draws::CsvLayout {
        header: &header,
        seed,
        eta,
        selection: &selection,
    };
    let write = |w: &mut dyn std::io::Write| {
        workflow::draws::write_draws_csv(w, &layout, &f.model, &f.approximation, &draws)
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

/// How many quantities `--kind pairs` shows when none are named.
const PAIRS_SHOWN: usize = 6;

/// The note saying which quantities a pairs plot of the first
/// [`PAIRS_SHOWN`] leaves out, and how to choose others.
fn pairs_left_out(names: &[&str], fit: &str) -> String {
    let shown = &names[..PAIRS_SHOWN];
    let rest = &names[PAIRS_SHOWN..];
    let span = |v: &[&str]| match v {
        [one] => one.to_string(),
        [first, .., last] => format!("{first} … {last}"),
        [] => String::new(),
    };
    let base = output::base_name(rest[0]);
    let example = if base.len() < rest[0].len() {
        format!("'{base}[*]'")
    } else {
        base.to_string()
    };
    format!(
        "--kind pairs shows the first {PAIRS_SHOWN} of {} quantities ({}); the other {} ({}) are left out: name 2 to 10 after the fit file to choose, e.g. `vippl plot {fit} {example} --kind pairs -o pairs.png`",
        names.len(),
        span(shown),
        rest.len(),
        span(rest)
    )
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
    /// Quantities to plot: names (`theta`: all its elements), elements (`theta[3]`) or patterns
    /// where `*` matches anything (`theta[*]`) (default: all; the first 6 for --kind pairs).
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
            let chosen = Selection::new(&args.params, &[]);
            if let Err(Failed(c)) = unmatched(&chosen, &draws.names, "PARAM") {
                return c;
            }
            let mut names: Vec<&str> = draws
                .names
                .iter()
                .filter(|n| chosen.keeps(n))
                .map(String::as_str)
                .collect();
            if kind == PlotKind::Pairs {
                if args.params.is_empty() && names.len() > PAIRS_SHOWN {
                    eprintln!("note: {}", pairs_left_out(&names, &args.fit));
                    names.truncate(PAIRS_SHOWN);
                }
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
