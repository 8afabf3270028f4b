//! The options of a fit, shared by `vippl infer` and the REPL's `:fit`:
//! clap parses each into its type (the engine's choice enums read their own
//! spellings), and [`plan`] turns them into a [`FitPlan`].

use std::fmt;
use std::str::FromStr;
use vippl::infer::{
    self, Algorithm, Divergence, Estimator, FamilyKind, FitConfig, Init, Optimizer, Precondition,
    Step,
};
use vippl::output::Selection;
use vippl::workflow::{FitPlan, Resampling, TraceLayout};

/// What a fit prints and writes.
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
    /// Write the per-iteration ELBO, step, and the approximation's mean and log standard
    /// deviations as CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub trace: Option<String>,
    /// Record every parameter of the family in the trace (a full-rank family's d × d scale
    /// matrix) instead of the mean and log standard deviations.
    #[arg(long, requires = "trace")]
    pub trace_full: bool,
    /// Summary format on stdout.
    #[arg(long, value_enum, default_value_t = super::Format::Table)]
    pub format: super::Format,
    #[command(flatten)]
    pub select: SelectOptions,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl OutputOptions {
    /// When the output draws are resampled by their importance weights:
    /// when k̂ < 0.7 unless turned off, always with `--psis-resample`.
    pub fn resampling(&self) -> Resampling {
        if self.no_psis_resample {
            Resampling::Never
        } else if self.psis_resample {
            Resampling::Always
        } else {
            Resampling::WhenReliable
        }
    }
}

/// Which quantities a summary or a CSV file shows.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SelectOptions {
    /// Show only these quantities in the summary and the CSV draws: a name (`beta`: all its
    /// elements), an element (`beta[2]`) or a pattern where `*` matches anything (`beta[*]`,
    /// `theta*`). Repeatable. Long vectors are then shown in full.
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,
    /// Leave out these quantities (names or patterns, as for --include). Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
}

impl SelectOptions {
    pub fn selection(&self) -> Selection {
        Selection::new(&self.include, &self.exclude)
    }
}

/// The options of the engine.
#[derive(clap::Args, Debug, Clone)]
pub struct FitOptions {
    /// bw (Bures–Wasserstein flow), fbgvi (forward–backward), advi (Stan-compatible baseline).
    #[arg(long, default_value = "bw", value_parser = typed::<Algorithm>)]
    pub algorithm: Algorithm,
    /// meanfield, fullrank, mixture:K or lowrank:R (default for bw: fullrank up to 500
    /// parameters, lowrank:10 above; fullrank for fbgvi; meanfield for advi).
    #[arg(long, value_parser = family)]
    pub family: Option<FamilyKind>,
    /// kl, fkl, chi2, hellinger or alpha:A.
    #[arg(long, default_value = "kl", value_parser = typed::<Divergence>)]
    pub divergence: Divergence,
    /// path (sticking the landing) or rep (reparameterization, closed-form entropy).
    #[arg(long, default_value = "path", value_parser = typed::<Estimator>)]
    pub estimator: Estimator,
    /// euler (the flow itself) or adam.
    #[arg(long, default_value = "euler", value_parser = typed::<Optimizer>)]
    pub optimizer: Optimizer,
    /// Step size (Euler step or Adam learning rate), or auto.
    #[arg(long, default_value = "auto", allow_negative_numbers = true, value_parser = typed::<Step>)]
    pub step: Step,
    /// Monte Carlo samples per iteration (per component for mixtures); default 16 for kl, 64 for
    /// the other divergences (1 for advi).
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
    #[arg(long, value_parser = typed::<Init>)]
    pub init: Option<Init>,
    /// Independent fits from different inits; the best ELBO (for another divergence, its lowest
    /// estimate) is kept [default: 1; with no trustworthy mode 2, or 4 if those disagree].
    #[arg(long, value_parser = at_least_one)]
    pub restarts: Option<usize>,
    /// Random seed: the same seed gives identical results.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads for Monte Carlo samples (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Self-normalized importance weights for f-divergences (Rényi-bound gradient); always on, accepted for old command lines.
    #[arg(long)]
    pub self_normalize: bool,
    /// Wasserstein–Fisher–Rao geometry for mixtures.
    #[arg(long)]
    pub wfr: bool,
    /// Coordinates of the flow: adaptive (whitened by the Laplace approximation, then by the
    /// current q), laplace, or none (the plain BW flow). Default: adaptive for bw with euler and a
    /// Gaussian family, laplace for mixtures and adam, none for fbgvi and advi.
    #[arg(long, value_parser = typed::<Precondition>)]
    pub precondition: Option<Precondition>,
    /// Natural-gradient stopping rule: stop when the mean may still move less than this many
    /// posterior sds (twice this for the scale) [default: 0.05]; `none`: Stan's relative-ELBO
    /// rule (--tol) alone.
    #[arg(long, value_parser = typed::<GradTol>)]
    pub grad_tol: Option<GradTol>,
    /// Doubly stochastic mode: B random rows of the row count the model marks `minibatch` per
    /// step, rescaled to the full data; a mean-field q, judged on the full data at the end.
    #[arg(long, value_name = "B", value_parser = at_least_one)]
    pub minibatch: Option<usize>,
}

impl FitOptions {
    /// The engine configuration, or a usage error in words (options that
    /// do not go together).
    pub fn to_config(&self) -> Result<FitConfig, String> {
        let c = FitConfig {
            algorithm: self.algorithm,
            family: self.family,
            divergence: self.divergence,
            estimator: self.estimator,
            optimizer: self.optimizer,
            step: self.step,
            samples: self.samples,
            iters: self.iters,
            tol: self.tol.unwrap_or(FitConfig::default().tol),
            init: self.init,
            restarts: self.restarts.unwrap_or(0),
            seed: self.seed,
            threads: self.threads,
            self_normalize: self.self_normalize,
            wfr: self.wfr,
            precondition: self.precondition,
            grad_tol: match (self.grad_tol, self.tol) {
                (Some(GradTol::Off), _) | (None, Some(_)) => None,
                (None, None) => Some(infer::DEFAULT_GRAD_TOL),
                (Some(GradTol::Below(g)), _) => Some(g),
            },
            minibatch: self.minibatch,
            ..FitConfig::default()
        };
        c.validate()?;
        infer::check_minibatch(&c)?;
        Ok(c)
    }
}

/// What to fit and write, from the options of `vippl infer` or `:fit`.
pub fn plan(
    fit: &FitOptions,
    out: &OutputOptions,
    data_files: &[String],
) -> Result<FitPlan, String> {
    let mut config = fit.to_config()?;
    // The diagnostics draw the proposals the output draws are resampled from.
    config.draws = out.draws;
    let mut notes = Vec::new();
    // More threads than cores only adds overhead (the results do not
    // depend on the count).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if config.threads > cores {
        notes.push(format!(
            "--threads {}: this machine has {cores} cores; using {cores} threads",
            config.threads
        ));
        config.threads = cores;
    }
    Ok(FitPlan {
        config,
        resampling: out.resampling(),
        data_files: data_files.to_vec(),
        trace: out.trace.clone(),
        trace_layout: if out.trace_full {
            TraceLayout::Full
        } else {
            TraceLayout::Compact
        },
        notes,
    })
}

/// The most mixture components `--family mixture:K` accepts.
pub const MAX_COMPONENTS: usize = 100;

/// `--family`: the family's own spelling, with the number of mixture
/// components capped at [`MAX_COMPONENTS`].
fn family(text: &str) -> Result<FamilyKind, BadValue> {
    match typed::<FamilyKind>(text)? {
        FamilyKind::Mixture(k) if k > MAX_COMPONENTS => Err(BadValue(format!(
            "{k} components is more than the {MAX_COMPONENTS} a mixture may have (each is a Gaussian fitted at every iteration)"
        ))),
        f => Ok(f),
    }
}

/// `--grad-tol`: a number of posterior sds, or `none`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GradTol {
    /// Stan's relative-ELBO rule alone.
    Off,
    Below(f64),
}

impl FromStr for GradTol {
    type Err = String;
    fn from_str(s: &str) -> Result<GradTol, String> {
        if s == "none" {
            return Ok(GradTol::Off);
        }
        s.parse::<f64>()
            .map(GradTol::Below)
            .map_err(|_| "expected a number or `none`".to_string())
    }
}

/// A value its option's type refused, with the type's own explanation; it
/// is shown as ``invalid --NAME `VALUE`: why`` (see [`bad_value_message`]).
#[derive(Debug, Clone)]
pub struct BadValue(String);

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadValue {}

/// Parses an option value with its type's `FromStr`.
fn typed<T: FromStr<Err = String>>(text: &str) -> Result<T, BadValue> {
    text.parse().map_err(BadValue)
}

/// ``invalid --family `banana`: unknown family ...`` for a clap error
/// about a value that [`typed`] refused; `None` for any other error.
pub fn bad_value_message(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    use std::error::Error;
    let why = e.source()?.downcast_ref::<BadValue>()?;
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let arg = text(ContextKind::InvalidArg)?;
    let value = text(ContextKind::InvalidValue)?;
    let flag = arg.split_whitespace().next().unwrap_or(&arg);
    Some(format!("invalid {flag} `{value}`: {why}"))
}

/// A count that must be positive (`--draws`): zero draws have no summary.
pub fn at_least_one(v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}
