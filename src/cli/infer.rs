//! `vippl infer`: fit a model, print the summary, write the outputs.

use super::exit;
use super::load::{self, Failed};
use super::progress::Progress;
use crate::data::DataInput;
use crate::infer::{self, FitConfig, FitError, Target};
use crate::output::{self, TraceWriter};
use crate::session::{self, ModelSource};
use std::io::IsTerminal;
use std::time::Instant;

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

/// What a fit prints and writes (shared with the REPL's `:fit`).
#[derive(clap::Args, Debug, Clone)]
pub struct OutputOptions {
    /// Number of output draws (at least 1).
    #[arg(long, default_value_t = 1000, value_parser = at_least_one)]
    pub draws: usize,
    /// Resample the output draws by their Pareto-smoothed importance weights even when
    /// k̂ ≥ 0.7 (by default they are resampled only when k̂ < 0.7).
    #[arg(long, conflicts_with = "no_psis_resample")]
    pub psis_resample: bool,
    /// Report plain draws from the approximation, without importance resampling.
    #[arg(long)]
    pub no_psis_resample: bool,
    /// Write the draws as a Stan CSV file.
    #[arg(short = 'o', long = "output", value_name = "FILE.csv")]
    pub output: Option<String>,
    /// Save the fitted approximation (reloadable by `summary`, `draws`, `plot`, the REPL).
    #[arg(long = "fit", value_name = "FIT.json")]
    pub fit_file: Option<String>,
    /// Write the per-iteration ELBO, step and family parameters as CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub trace: Option<String>,
    /// Summary format on stdout.
    #[arg(long, value_enum, default_value_t = super::Format::Table)]
    pub format: super::Format,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl OutputOptions {
    /// Whether the output draws are resampled by their importance weights:
    /// when k̂ < 0.7 unless turned off, always with `--psis-resample`.
    pub fn resample(&self, diagnostics: &crate::diagnose::Diagnostics) -> bool {
        !self.no_psis_resample && (self.psis_resample || diagnostics.psis_reliable())
    }
}

/// The options of a fit (shared with the REPL's `:fit`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct FitOptions {
    /// bw (Bures–Wasserstein flow), fbgvi (forward–backward), advi (Stan-compatible baseline).
    #[arg(long, default_value = "bw")]
    pub algorithm: String,
    /// meanfield, fullrank or mixture:K (default: fullrank; meanfield for advi).
    #[arg(long)]
    pub family: Option<String>,
    /// kl, fkl, chi2, hellinger or alpha:A.
    #[arg(long, default_value = "kl")]
    pub divergence: String,
    /// path (sticking the landing) or rep (reparameterization, closed-form entropy).
    #[arg(long, default_value = "path")]
    pub estimator: String,
    /// euler (the flow itself) or adam.
    #[arg(long, default_value = "euler")]
    pub optimizer: String,
    /// Step size (Euler step or Adam learning rate), or auto.
    #[arg(long, default_value = "auto", allow_negative_numbers = true)]
    pub step: String,
    /// Monte Carlo samples per iteration (per component for mixtures); default 16 (1 for advi).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Maximum iterations.
    #[arg(long, default_value_t = 10000)]
    pub iters: usize,
    /// Stan's stopping rule: |ΔELBO| / max(1, |ELBO|) below this. Giving it selects that rule
    /// (unless --grad-tol is given too); by default the natural-gradient rule decides.
    #[arg(long)]
    pub tol: Option<f64>,
    /// map (optimize to the mode first), zero or random.
    #[arg(long)]
    pub init: Option<String>,
    /// Independent fits from different inits; the best ELBO is kept.
    #[arg(long, default_value_t = 1)]
    pub restarts: usize,
    /// Random seed: the same seed gives identical results.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads for Monte Carlo samples (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Self-normalized importance weights for f-divergences (Rényi-bound gradient).
    #[arg(long)]
    pub self_normalize: bool,
    /// Wasserstein–Fisher–Rao geometry for mixtures.
    #[arg(long)]
    pub wfr: bool,
    /// Coordinates of the flow: adaptive (whitened by the Laplace approximation, then by the
    /// current q), laplace, or none (the plain BW flow). Default: adaptive for bw with euler and a
    /// Gaussian family, laplace for mixtures and adam, none for fbgvi and advi.
    #[arg(long)]
    pub precondition: Option<String>,
    /// Natural-gradient stopping rule: stop when the mean may still move less than this many
    /// posterior sds (twice this for the scale) [default: 0.05]; `none`: Stan's relative-ELBO
    /// rule (--tol) alone.
    #[arg(long)]
    pub grad_tol: Option<String>,
}

impl FitOptions {
    /// The engine configuration, or a usage error in words.
    pub fn to_config(&self) -> Result<FitConfig, String> {
        fn parse<T: std::str::FromStr>(what: &str, v: &str) -> Result<T, String>
        where
            T::Err: std::fmt::Display,
        {
            v.parse::<T>()
                .map_err(|e| format!("invalid --{what} `{v}`: {e}"))
        }
        let c = FitConfig {
            algorithm: parse("algorithm", &self.algorithm)?,
            family: self
                .family
                .as_deref()
                .map(|f| parse("family", f))
                .transpose()?,
            divergence: parse("divergence", &self.divergence)?,
            estimator: parse("estimator", &self.estimator)?,
            optimizer: parse("optimizer", &self.optimizer)?,
            step: parse("step", &self.step)?,
            samples: self.samples,
            iters: self.iters,
            tol: self.tol.unwrap_or(FitConfig::default().tol),
            init: self.init.as_deref().map(|i| parse("init", i)).transpose()?,
            restarts: self.restarts,
            seed: self.seed,
            threads: self.threads,
            self_normalize: self.self_normalize,
            wfr: self.wfr,
            precondition: self
                .precondition
                .as_deref()
                .map(|p| parse("precondition", p))
                .transpose()?,
            grad_tol: match (self.grad_tol.as_deref(), self.tol) {
                (Some("none"), _) | (None, Some(_)) => None,
                (None, None) => Some(infer::DEFAULT_GRAD_TOL),
                (Some(g), _) => Some(g.parse::<f64>().map_err(|_| {
                    format!("invalid --grad-tol `{g}`: expected a number or `none`")
                })?),
            },
            ..FitConfig::default()
        };
        c.validate()?;
        Ok(c)
    }
}

/// A count that must be positive (`--draws`): zero draws have no summary.
pub fn at_least_one(v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
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
    let mut config = args.fit.to_config().map_err(usage)?;
    // The diagnostics draw the proposals the output draws are resampled from.
    config.draws = args.out.draws;
    let (name, text) = load::read_model_text(&args.model)?;
    let data: DataInput = load::read_data(&args.data)?;
    let src = ModelSource {
        name: model_name(&name),
        file: name,
        text,
        data,
    };
    let cm = match src.compile() {
        Ok((cm, warnings)) => {
            if !args.out.quiet {
                load::report(&warnings, cm.sources());
            }
            cm
        }
        Err((sm, diags)) => {
            load::report(&diags, &sm);
            return Err(Failed(exit::MODEL));
        }
    };
    if cm.dim() == 0 {
        eprintln!("error: the model has no parameters: there is nothing to infer");
        return Err(Failed(exit::MODEL));
    }
    let mut trace = match &args.out.trace {
        Some(path) => Some(
            TraceWriter::create(path, &session::trace_parameter_names(&cm, &config)).map_err(
                |e| {
                    load::error(format!("cannot write trace file `{path}`: {e}"));
                    Failed(exit::MODEL)
                },
            )?,
        ),
        None => None,
    };
    let started = Instant::now();
    let mut progress = Progress::new(args.out.quiet, config.iters, trace.as_mut());
    let result = infer::fit(&cm, &config, &mut progress);
    let trace_error = progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            report_fit_error(&e);
            return Err(Failed(exit::MODEL));
        }
    };
    if let Some(e) = trace_error {
        load::error(format!("cannot write the trace file: {e}"));
    } else if let Some(t) = trace {
        if let Err(e) = t.finish() {
            load::error(format!("cannot write the trace file: {e}"));
        }
    }
    let psis = args.out.resample(&result.diagnostics);
    let draws = session::output_draws(
        &cm,
        &result.approximation,
        args.out.draws,
        config.seed,
        psis,
        config.threads,
        result.proposals.as_ref(),
    )
    .map_err(|m| {
        load::error(format!("cannot generate draws: {m}"));
        Failed(exit::MODEL)
    })?;
    let summary = session::summarize(&draws);
    let mut fit_summary = session::fit_summary(&result, seconds);
    if psis {
        fit_summary
            .extra
            .push(("draws".into(), "PSIS-resampled".into()));
    }
    let record = session::config_record(&src, &args.data, &result.config, args.out.draws, psis);
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match args.out.format {
        super::Format::Table => print!("{}", output::render_table(&summary, &fit_summary, color)),
        super::Format::Json => {
            println!("{}", output::summary_json(&summary, &fit_summary, &record))
        }
    }
    let mut code = if session::trustworthy(&result) {
        exit::OK
    } else {
        exit::UNTRUSTED
    };
    if let Some(path) = &args.out.output {
        if let Err(e) = output::save_stan_csv(path, &record, &draws) {
            load::error(format!("cannot write draws to `{path}`: {e}"));
            code = exit::MODEL;
        }
    }
    if let Some(path) = &args.out.fit_file {
        let saved = session::fit_file(&src, &cm, &result, record.clone(), summary, fit_summary)
            .and_then(|f| f.save(path).map_err(|e| e.to_string()));
        if let Err(e) = saved {
            load::error(format!("cannot write fit file `{path}`: {e}"));
            code = exit::MODEL;
        }
    }
    if code == exit::UNTRUSTED && !args.out.quiet {
        eprintln!(
            "warning: this fit should not be trusted as is (see the diagnostics above); exit code 3"
        );
    }
    Ok(code)
}

/// The model's name: the file stem.
pub fn model_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

pub fn report_fit_error(e: &FitError) {
    match e {
        FitError::NoFiniteStart { tries, explanation } => {
            eprintln!(
                "error: no starting point with a finite log density was found ({tries} tries)"
            );
            eprintln!("  {explanation}");
            eprintln!(
                "  help: check the model's constraints and priors, or give `--init zero`/`--init random`"
            );
        }
        other => eprintln!("error: {other}"),
    }
}
