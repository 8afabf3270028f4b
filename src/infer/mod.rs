//! The inference engine: variational families, update rules (Bures–Wasserstein
//! flow, forward–backward, ADVI), divergences, step control, stopping and
//! initialisation. It sees the model only through [`Target`] and never
//! prints: progress, warnings and interruption go through an [`Observer`].
//!
//! # Using it
//! ```text
//! let config = FitConfig { seed: 1, ..FitConfig::default() };
//! config.validate()?;                              // usage errors, in words
//! let result = fit(&target, &config, &mut Silent)?; // FitError: no usable q
//! let draws = result.approximation.sample(1000, config.seed)?; // n × d, unconstrained
//! ```
//! - [`FitConfig`]: every `vippl infer` option; `Default` is the command's
//!   default; `None` fields take the algorithm's default (`resolved_*`).
//!   The choices are enums spelled as on the command line (`choices`); a
//!   fit checks the configuration and makes every decision once (`plan`).
//! - [`fit`] runs `restarts` independent fits (`driver`), keeps the one
//!   with the best ELBO (all summarised in [`FitResult::restarts`]) and
//!   diagnoses it: `proposals` draws from q and hands the log weights to
//!   [`crate::diagnose`] ([`crate::diagnose::Diagnostics`]: ELBO ± se, PSIS
//!   k̂, log Ẑ, CUBO, ESS; [`FitResult::trust`]). [`diagnose`],
//!   [`psis_resample`] and [`resample`] do the same for a given
//!   approximation.
//! - [`Approximation`] (serde, tagged by `family`) draws, evaluates log q,
//!   and lists its parameters for trace files
//!   ([`Approximation::parameter_names`], [`Approximation::flat_parameters`],
//!   the layout of [`IterationInfo::parameters`]).
//! - [`Termination`] says why a run ended ([`Termination::describe`]);
//!   [`FitResult::rescued_by_step_control`] and [`FitResult::warnings`] say
//!   what the user must know.
//! - [`expected_direction`] and [`per_sample_gradient`] expose the estimator
//!   kernels on caller-given noise (exactness checks, teaching).
//!
//! # Defaults and why
//! `bw`, full rank (the parameterization under which forward Euler *is* the
//! BW flow), KL, path estimator, Euler step chosen from the curvature at the
//! mode (h = ½/λ_max, see `step_control`), `map` initialisation (L-BFGS +
//! Laplace: for near-Gaussian posteriors q starts near the optimum and the
//! flow only corrects the Laplace approximation), [`DEFAULT_SAMPLES`] = 16
//! draws per iteration. The flow runs in coordinates whitened by the
//! Laplace approximation, then by the current q (`precondition`), where
//! h = ½ suits every direction. Every window of iterations (20 at first,
//! doubled up to 500 while the Monte Carlo noise is too large to decide)
//! the natural-gradient rule (`stopping`) checks that the averaged ascent
//! direction, whitened by q's scale, puts the mean within
//! [`DEFAULT_GRAD_TOL`] posterior sd of the optimum (the scale within about
//! 5 %); then the iterates of one more window are averaged (Polyak–Ruppert)
//! and returned. A near-Gaussian posterior thus takes a few dozen
//! iterations. Accuracy on the reference posteriors of the example suite:
//! `docs/benchmarks.md`.
//!
//! # Reproducibility
//! Every random number comes from `random::stream(seed, [purpose, restart,
//! batch, sample])`; samples are evaluated on a local thread pool of
//! `threads` workers into per-sample buffers and reduced in index order, so
//! a seed gives bit-identical results for any thread count.

// Numeric kernels index several arrays in lock step, and `!(a >= b)` is
// used on purpose so that NaN counts as failure.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

mod advi;
mod batch;
mod choices;
mod config;
mod divergence;
mod driver;
mod estimator;
mod family;
mod fbgvi;
mod flow;
mod init;
mod iterates;
mod lbfgs;
mod linalg;
mod minibatch;
mod optimizer;
mod pathfinder;
mod plan;
mod precondition;
mod proposals;
mod result;
mod softplus_scale;
mod step_control;
mod stopping;
mod target;
mod termination;

pub use choices::{
    Algorithm, Divergence, EXACT_HESSIAN_MAX_DIM, Estimator, FamilyKind, HessianEstimate, Init,
    Optimizer, Precondition, Step,
};
pub use config::{
    DEFAULT_GRAD_TOL, DEFAULT_RANK, DEFAULT_SAMPLES, DEFAULT_SAMPLES_FDIV, FitConfig,
    LOW_RANK_DEFAULT_ABOVE,
};
pub use divergence::Objective;
pub use estimator::{expected_direction, per_sample_gradient};
pub use family::{Approximation, Component, NONCENTRING_ADVICE};
pub use minibatch::{Subsampled, check_minibatch, fit_minibatch};
pub use proposals::{Proposals, diagnose, psis_resample, resample};
pub use result::{
    Control, FitError, FitResult, IterationInfo, Observer, Phase, RestartSummary, Silent,
    TraceEntry,
};
pub use target::Target;
pub use termination::{COLLAPSE_PROBE_SDS, Collapse, Termination};

/// Purposes of the random streams (first coordinate after the seed).
mod streams {
    pub const TRAIN: u64 = 1;
    pub const ELBO: u64 = 2;
    pub const INIT: u64 = 3;
    pub const MIX_INIT: u64 = 4;
    pub const DIAG: u64 = 5;
    pub const DRAWS: u64 = 6;
    pub const ADVI_ELBO: u64 = 7;
    pub const RESAMPLE: u64 = 8;
    pub const PATHFINDER: u64 = 9;
    pub const LAPLACE_DIAGONAL: u64 = 10;
    pub const FIXED_POINT: u64 = 11;
}

/// Fits q to the target. Returns an error only when there is no usable
/// approximation at all; a fit that did not converge, was rescued by step
/// control or has a large k̂ is returned with that said in the result.
pub fn fit<T: Target>(
    target: &T,
    config: &FitConfig,
    observer: &mut dyn Observer,
) -> Result<FitResult, FitError> {
    driver::run_fit(target, config, None, observer)
}

/// Fits q like [`fit`] but starts every restart from `start` instead of
/// `config.init`: for reproducing a published initialisation (e.g. a
/// Gaussian far from the target, to watch the flow travel) and for
/// continuing from an earlier fit. `bw` and `fbgvi` only (ADVI keeps Stan's
/// own parameterization and initialisation); the family is `start`'s.
pub fn fit_from<T: Target>(
    target: &T,
    config: &FitConfig,
    start: &Approximation,
    observer: &mut dyn Observer,
) -> Result<FitResult, FitError> {
    if config.algorithm == Algorithm::Advi {
        return Err(FitError::Config(
            "a given starting approximation works with --algorithm bw or fbgvi, not advi".into(),
        ));
    }
    start
        .check()
        .map_err(|e| FitError::Config(format!("the starting approximation: {e}")))?;
    if start.dim() != target.dim() {
        return Err(FitError::Config(format!(
            "the starting approximation has dimension {}, the target {}",
            start.dim(),
            target.dim()
        )));
    }
    let kind = start.kind();
    if let Some(k) = config.family
        && k != kind
    {
        return Err(FitError::Config(format!(
            "the configuration asks for --family {k} but the starting approximation is {kind}"
        )));
    }
    let mut config = config.clone();
    config.family = Some(kind);
    driver::run_fit(target, &config, Some(start), observer)
}
