//! What a fit reports: the approximation, why it stopped, how it got there,
//! and the observer interface through which callers watch and interrupt it.

use super::config::FitConfig;
use super::family::Approximation;
use super::proposals::Proposals;
use super::termination::Termination;
use crate::diagnose::{Diagnostics, Trust};
use serde::{Deserialize, Serialize};

/// One iteration of the chosen run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceEntry {
    pub iteration: usize,
    /// ELBO estimate from the iteration's own samples (noisy).
    pub elbo: f64,
    /// Low-variance ELBO evaluation of the stopping rule, when one was made.
    pub elbo_eval: Option<f64>,
    pub step: f64,
    /// Effective sample size of the weights the step used.
    pub ess: f64,
}

/// How one of the `--restarts` went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestartSummary {
    pub restart: usize,
    /// How it was initialised, in words.
    pub init: String,
    /// ELBO of its final q (diagnostic draws, common random numbers across
    /// restarts).
    pub elbo: f64,
    pub elbo_se: f64,
    pub termination: Termination,
    pub iterations: usize,
    pub grad_evals: usize,
    pub rescued_by_step_control: bool,
    /// For a divergence other than KL, the estimate of the objective it
    /// minimises (see [`crate::infer::Objective`]) on the same draws: the
    /// restart with the lowest is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<f64>,
    /// The Monte Carlo standard error of `objective`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective_se: Option<f64>,
}

/// The outcome of [`crate::infer::fit`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitResult {
    pub approximation: Approximation,
    pub termination: Termination,
    /// Accepted iterations of the chosen run.
    pub iterations: usize,
    /// Gradient evaluations of the target over all restarts (initialisation
    /// included).
    pub grad_evals: usize,
    /// Log density evaluations without gradient (ELBO checks, diagnostics).
    pub density_evals: usize,
    /// Per-iteration record of the chosen run.
    pub trace: Vec<TraceEntry>,
    pub restarts: Vec<RestartSummary>,
    /// Index into `restarts` of the run that was kept.
    pub best_restart: usize,
    /// The first start's mode search found no trustworthy mode, so the
    /// restarts were chosen automatically.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_trustworthy_mode: bool,
    /// Things the user should know, in words (also sent to the observer).
    pub warnings: Vec<String>,
    /// The chosen run diverged and step control pulled it back: a step led
    /// to non-finite log densities or gradients and was undone with a
    /// smaller step. (Routine shrink-and-retry of a step that would have
    /// made a scale near-singular or collapsed the ELBO is counted in
    /// `step_rejections` instead.)
    pub rescued_by_step_control: bool,
    /// Steps rejected as too large for the curvature (a scale would have
    /// shrunk more than 10× or become singular, or the ELBO collapsed),
    /// each followed by halving the step.
    pub step_rejections: usize,
    /// Step size at the start and at the end of the chosen run.
    pub initial_step: f64,
    pub final_step: f64,
    /// The configuration with the algorithm's defaults filled in.
    pub config: FitConfig,
    pub diagnostics: Diagnostics,
    /// The draws the diagnostics were computed from: PSIS-resampled output
    /// draws can be picked from them ([`crate::infer::resample`]) without
    /// evaluating the model again.
    #[serde(skip)]
    pub proposals: Option<Proposals>,
}

impl FitResult {
    pub fn converged(&self) -> bool {
        self.termination == Termination::Converged
    }

    /// Whether to trust the fit as is, and if not, why.
    pub fn trust(&self) -> Trust {
        Trust::assess(
            &self.diagnostics.weight_facts(),
            self.converged(),
            self.rescued_by_step_control,
        )
    }

    /// Why the chosen run ended, in words.
    pub fn reason(&self) -> String {
        self.termination.describe(&self.config)
    }
}

/// Why a fit produced no approximation at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("the model has no parameters to infer")]
    NoParameters,
    #[error(
        "could not find a starting point where the log density is finite ({tries} tries); \
         at the last one: {explanation}"
    )]
    NoFiniteStart { tries: usize, explanation: String },
    #[error("every run diverged: {0}")]
    Diverged(String),
    #[error("{0}")]
    Other(String),
}

/// What the engine does after telling the observer about an iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    /// Stop now and return the current q (termination `Interrupted`).
    Stop,
}

/// Which part of a run an iteration belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// ADVI's step-size search (iterations restart at 1 for every η).
    Adaptation,
    /// The main iterations.
    Optimization,
    /// The final window whose iterates are averaged.
    Averaging,
}

/// Per-iteration report. `parameters` is the family's flat parameter vector
/// in the layout of [`Approximation::flat_parameters`] (names from
/// [`Approximation::parameter_names`]).
#[derive(Debug)]
pub struct IterationInfo<'a> {
    pub restart: usize,
    pub iteration: usize,
    pub max_iterations: usize,
    pub phase: Phase,
    pub elbo: f64,
    pub elbo_se: f64,
    pub elbo_eval: Option<f64>,
    pub step: f64,
    pub ess: f64,
    pub grad_evals: usize,
    pub parameters: &'a [f64],
}

/// Watches a fit. The engine never prints: progress bars, trace files and
/// Ctrl-C handling live in the observer.
pub trait Observer {
    /// Called after every accepted iteration; return [`Control::Stop`] to end
    /// the fit with the current q.
    fn iteration(&mut self, info: &IterationInfo<'_>) -> Control;

    /// Called during the L-BFGS search for the mode (`init = map`).
    fn mode_search(&mut self, _restart: usize, _iteration: usize, _log_density: f64) -> Control {
        Control::Continue
    }

    /// A warning, as soon as it arises (also collected in the result).
    fn warning(&mut self, _message: &str) {}

    /// A restart begins (0-based, of `total`).
    fn restart(&mut self, _restart: usize, _total: usize) {}

    /// Whether [`IterationInfo::parameters`] is read. When it is not, the
    /// engine passes an empty slice and skips mapping q's parameters back
    /// to the model's coordinates at every iteration (a d × d × d product
    /// for a whitened full-rank q).
    fn wants_parameters(&self) -> bool {
        true
    }
}

/// An observer that watches nothing.
#[derive(Default)]
pub struct Silent;

impl Observer for Silent {
    fn iteration(&mut self, _info: &IterationInfo<'_>) -> Control {
        Control::Continue
    }
    fn wants_parameters(&self) -> bool {
        false
    }
}
