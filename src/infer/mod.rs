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
//! - [`fit`] runs `restarts` independent fits, keeps the one with the best
//!   ELBO (all summarised in [`FitResult::restarts`]) and diagnoses it
//!   ([`crate::diagnose::Diagnostics`]: ELBO ± se, PSIS k̂, log Ẑ, CUBO, ESS).
//! - [`Approximation`] (serde, tagged by `family`) draws, evaluates log q,
//!   and lists its parameters for trace files
//!   ([`Approximation::parameter_names`], [`Approximation::flat_parameters`],
//!   the layout of [`IterationInfo::parameters`]).
//! - [`Termination`] says why a run ended; [`FitResult::rescued_by_step_control`]
//!   and [`FitResult::warnings`] say what the user must know.
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
mod config;
mod engine;
pub mod estimator;
mod family;
mod fbgvi;
mod init;
mod iterates;
mod lbfgs;
mod linalg;
mod optimizer;
mod precondition;
mod result;
mod step_control;
mod stopping;
mod target;

pub use config::{
    Algorithm, DEFAULT_GRAD_TOL, DEFAULT_SAMPLES, Divergence, Estimator, FamilyKind, FitConfig,
    HessianEstimate, Init, Optimizer, Precondition, Step,
};
pub use estimator::{expected_direction, per_sample_gradient};
pub use family::{Approximation, Component};
pub use result::{
    Control, FitError, FitResult, IterationInfo, Observer, Phase, RestartSummary, Silent,
    Termination, TraceEntry,
};
pub use target::Target;

pub(crate) use batch::Batch;
pub(crate) use family::{Factors, Family, pick as family_pick};

use crate::diagnose;

/// Purposes of the random streams (first coordinate after the seed).
pub(crate) mod streams {
    pub const TRAIN: u64 = 1;
    pub const ELBO: u64 = 2;
    pub const INIT: u64 = 3;
    pub const MIX_INIT: u64 = 4;
    pub const DIAG: u64 = 5;
    pub const DRAWS: u64 = 6;
    pub const ADVI_ELBO: u64 = 7;
    pub const RESAMPLE: u64 = 8;
}

/// Fits q to the target. Returns an error only when there is no usable
/// approximation at all; a fit that did not converge, was rescued by step
/// control or has a large k̂ is returned with that said in the result.
pub fn fit<T: Target>(
    target: &T,
    config: &FitConfig,
    observer: &mut dyn Observer,
) -> Result<FitResult, FitError> {
    run_fit(target, config, None, observer)
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
    let kind = estimator::family_kind(start);
    if let Some(k) = config.family
        && k != kind
    {
        return Err(FitError::Config(format!(
            "the configuration asks for --family {k} but the starting approximation is {kind}"
        )));
    }
    let mut config = config.clone();
    config.family = Some(kind);
    run_fit(target, &config, Some(start), observer)
}

fn run_fit<T: Target>(
    target: &T,
    config: &FitConfig,
    given: Option<&Approximation>,
    observer: &mut dyn Observer,
) -> Result<FitResult, FitError> {
    config.validate().map_err(FitError::Config)?;
    let d = target.dim();
    if d == 0 {
        return Err(FitError::NoParameters);
    }
    let kind = config.resolved_family();
    let advi = config.algorithm == Algorithm::Advi;
    let fam = Family::new(kind, d, advi);
    let mut resolved = config.clone();
    resolved.family = Some(kind);
    resolved.samples = Some(config.resolved_samples());
    resolved.init = Some(config.resolved_init());
    resolved.eval_every = Some(config.resolved_eval_every(None));
    let n_per = config.resolved_samples();
    let capacity = n_per.max(config.elbo_samples) * fam.components();
    let exact_hess = config.algorithm == Algorithm::Fbgvi
        && match config.hessian {
            HessianEstimate::Exact => true,
            HessianEstimate::Stein => false,
            HessianEstimate::Auto => d <= 100,
        };
    resolved.precondition = Some(config.resolved_precondition());
    let affine = precondition::Affine::new(target);
    let mut batch = Batch::new(
        &affine,
        config.resolved_threads(),
        capacity,
        Factors::scratch_len(fam),
        exact_hess,
    )
    .map_err(FitError::Other)?;

    struct Kept {
        outcome: engine::RunOutcome,
        approx: Approximation,
        diag: diagnose::Diagnostics,
        proposals: Option<diagnose::Proposals>,
    }
    let mut best: Option<(usize, Kept)> = None;
    let mut summaries = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut grad_evals = 0;
    let mut density_evals = 0;
    let mut last_error = None;
    let multi = config.restarts > 1;
    for r in 0..config.restarts {
        observer.restart(r, config.restarts);
        let mut say = |w: String, observer: &mut dyn Observer| {
            let w = if multi {
                format!("restart {}: {w}", r + 1)
            } else {
                w
            };
            observer.warning(&w);
            warnings.push(w);
        };
        affine.set(precondition::Map::identity());
        let started = match given {
            Some(a) => Ok(init::given(&affine, batch.workspace(), a)),
            None => init::start(
                &affine,
                batch.workspace(),
                config,
                fam.components(),
                r,
                observer,
            ),
        };
        let mut start = match started {
            Ok(s) => s,
            Err(e) => {
                say(e.to_string(), observer);
                last_error = Some(e);
                continue;
            }
        };
        grad_evals += start.grad_evals;
        for w in std::mem::take(&mut start.warnings) {
            say(w, observer);
        }
        let mut theta0 = match given {
            Some(a) => Family::from_approximation(a).1,
            None => fam.theta_from_dense(&start.means, &start.scale),
        };
        let precond = config.resolved_precondition();
        let mut curvature = start.curvature;
        let mut flattest = start.flattest;
        // A given start is in the model's own coordinates: no Laplace
        // whitening (the current-q whitening of the run still applies).
        let mut whitened = false;
        if !advi
            && given.is_none()
            && precond != Precondition::None
            && let Some((map, theta_z)) = precondition::initial(fam, &start)
        {
            whitened = true;
            // The flow starts at q = N(0, I) (or its mixture spread) in
            // coordinates where the Laplace approximation is N(0, I): its
            // curvature there is about 1 unless the Laplace scale was
            // regularised or unavailable, so measure it.
            affine.set(map);
            theta0 = theta_z;
            let mut ev = 0;
            let z0 = vec![0.0; d];
            let (c, f) = init::curvature(&affine, batch.workspace(), &z0, &mut ev);
            grad_evals += ev;
            curvature = if c.is_finite() { c.max(1.0) } else { 1.0 };
            flattest = f.map(|f| f.min(1.0));
        }
        // A whitened flow that diverges (a funnel's neck seen through the
        // Laplace approximation) runs again in the model's own coordinates.
        let plain = FitConfig {
            precondition: Some(Precondition::None),
            ..config.clone()
        };
        let mut cfg = config;
        let outcome = loop {
            let outcome = if advi {
                advi::run(&mut batch, cfg, fam, theta0, r, observer)
            } else {
                let h0 = match (cfg.step, cfg.optimizer) {
                    (Step::Fixed(h), _) => h,
                    (Step::Auto, Optimizer::Euler) => step_control::initial_step(curvature),
                    (Step::Auto, Optimizer::Adam) => {
                        let mut sds: Vec<f64> = (0..d)
                            .map(|i| {
                                start.scale[i * d..(i + 1) * d]
                                    .iter()
                                    .map(|v| v * v)
                                    .sum::<f64>()
                                    .sqrt()
                            })
                            .collect();
                        sds.sort_by(f64::total_cmp);
                        0.02 * sds[d / 2]
                    }
                };
                // The flow relaxes its flattest direction at rate h·λ_min per
                // iteration: evaluate (and average) over that time scale.
                let scale = flattest
                    .filter(|_| cfg.optimizer == Optimizer::Euler)
                    .map(|l| 1.0 / (h0 * l));
                let e_every = cfg.resolved_eval_every(scale);
                if r == 0 {
                    resolved.eval_every = Some(e_every);
                }
                if cfg.eval_every.is_none()
                    && config.resolved_precondition() == Precondition::None
                    && scale.is_some_and(|t| 2.0 * t > config::MAX_WINDOW as f64)
                {
                    say(
                        format!(
                            "the posterior is ill-conditioned: the flow needs about {:.0} iterations \
                             to relax its flattest direction, more than the {} between ELBO checks, \
                             so the stopping rule may fire before it has; consider \
                             --precondition adaptive",
                            scale.unwrap_or(0.0),
                            config::MAX_WINDOW
                        ),
                        observer,
                    );
                }
                engine::run(&mut batch, cfg, fam, theta0, h0, e_every, r, observer)
            };
            if whitened && outcome.termination == Termination::Diverged {
                grad_evals += outcome.grad_evals;
                density_evals += outcome.density_evals;
                say(
                    "the flow in coordinates whitened by the Laplace approximation diverged; \
                     it ran again in the model's own coordinates"
                        .to_string(),
                    observer,
                );
                affine.set(precondition::Map::identity());
                theta0 = fam.theta_from_dense(&start.means, &start.scale);
                curvature = start.curvature;
                flattest = start.flattest;
                cfg = &plain;
                whitened = false;
                continue;
            }
            break outcome;
        };
        grad_evals += outcome.grad_evals;
        density_evals += outcome.density_evals;
        for w in &outcome.warnings {
            say(w.clone(), observer);
        }
        affine.set(precondition::Map::identity());
        let approx = fam.approximation(&outcome.theta);
        let (diag, proposals) = diagnose::evaluate_keeping(&mut batch, &approx, config);
        density_evals += diagnose::proposals(config.draws);
        summaries.push(RestartSummary {
            restart: r,
            init: start.describe,
            elbo: diag.elbo,
            elbo_se: diag.elbo_se,
            termination: outcome.termination,
            iterations: outcome.iterations,
            grad_evals: outcome.grad_evals + start.grad_evals,
            rescued_by_step_control: outcome.rescued,
        });
        let interrupted = outcome.termination == Termination::Interrupted;
        let better = match &best {
            None => true,
            Some((_, k)) => diag.elbo > k.diag.elbo || k.diag.elbo.is_nan(),
        };
        if better {
            best = Some((
                summaries.len() - 1,
                Kept {
                    outcome,
                    approx,
                    diag,
                    proposals,
                },
            ));
        }
        if interrupted {
            break;
        }
    }
    let Some((best_index, kept)) = best else {
        return Err(last_error.unwrap_or_else(|| FitError::Other("no run completed".into())));
    };
    if !kept.diag.elbo.is_finite() && kept.outcome.termination == Termination::Diverged {
        return Err(FitError::Diverged(
            "no run produced an approximation with a finite ELBO".into(),
        ));
    }
    for w in kept.approx.mixture_issues() {
        observer.warning(&w);
        warnings.push(w);
    }
    for w in kept.diag.warnings() {
        observer.warning(&w);
        warnings.push(w);
    }
    if kept.outcome.termination == Termination::MaxIterations {
        let rule = match config.grad_tol {
            Some(g) if config.algorithm != Algorithm::Advi => {
                format!("natural-gradient tolerance {g} posterior sd")
            }
            _ => format!("relative ELBO tolerance {}", config.tol),
        };
        let w = format!(
            "the fit did not converge within {} iterations ({rule}); consider more --iters",
            config.iters
        );
        observer.warning(&w);
        warnings.push(w);
    }
    Ok(FitResult {
        approximation: kept.approx,
        termination: kept.outcome.termination,
        iterations: kept.outcome.iterations,
        grad_evals,
        density_evals,
        trace: kept.outcome.trace,
        restarts: summaries,
        best_restart: best_index,
        warnings,
        rescued_by_step_control: kept.outcome.rescued,
        step_rejections: kept.outcome.step_rejections,
        initial_step: kept.outcome.initial_step,
        final_step: kept.outcome.final_step,
        config: resolved,
        diagnostics: kept.diag,
        proposals: kept.proposals,
    })
}
