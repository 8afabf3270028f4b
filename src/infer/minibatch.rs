//! The doubly stochastic mode (`--minibatch B`): a mean-field Gaussian q
//! fitted from minibatches of the likelihood rescaled to the full data,
//! then judged on the full data like any other fit.
//!
//! # The step
//! Each step draws one minibatch (rows from the stream (seed, MINIBATCH,
//! step), see `density::minibatch`) and antithetic pairs z± = m ± σ∘ε.
//! The gradient at z is estimated with a control variate anchored at a
//! reference point z₀ where the full-data gradient is known (SVRG):
//!
//! ĝ(z) = ∇log p̂_B(z) − ∇log p̂_B(z₀) + ∇log p(z₀),
//!
//! with both minibatch terms on the same rows, so ĝ is unbiased and its
//! minibatch noise shrinks with |z − z₀| (of the order of q's sd, once z₀
//! is near the optimum) instead of staying at the spread of the per-row
//! gradients. The pair ±ε cancels the linear part of the Monte Carlo
//! noise, so on a near-Gaussian posterior the averaged direction is almost
//! exact. The update is the natural gradient of the ELBO in (m, log σ):
//!
//! m ← m + h σ² ĝ,   log σ ← log σ + (h/2)(1 + σ ε ĝ),
//!
//! each clipped to one sd (and ½ in log σ) per step, so a start far from
//! the posterior cannot throw q away, with the Robbins–Monro step
//! h_t = h₀ (1 + t/W)^(−0.6) (W the window below).
//!
//! # Windows and stopping
//! Steps run in windows of W = N/B steps (one pass over the data, at
//! least 50, at most 500; `--eval-every` sets it). At the end of a window
//! the iterates' average over it (Polyak–Ruppert) becomes the reference
//! z₀, and the full-data gradient is computed there. The run stops when
//! two consecutive window averages agree: the root mean square over the
//! coordinates of the change of the mean, in q's sds, is below the
//! tolerance (`--grad-tol`, default 0.05), and that of log σ below twice
//! it. The last window's average is returned. The ELBO-based rules of the
//! full-batch algorithms are not used: a minibatch ELBO is too noisy to
//! compare across windows.
//!
//! The final diagnostics (ELBO, k̂, verdict, output draws) are those of
//! the full data, exactly as for a full-batch fit.

use super::choices::{Algorithm, Divergence, FamilyKind, Init, Optimizer, Step};
use super::config::FitConfig;
use super::family::{Approximation, Factors};
use super::result::{Control, FitError, FitResult, IterationInfo, Observer, Phase, RestartSummary};
use super::termination::Termination;
use super::{Target, TraceEntry, batch::Batch, proposals, streams};
use crate::diagnose;
use crate::random::stream;
use rand::RngExt;
use rand_distr::StandardNormal;

/// A log density whose gradient can be estimated from minibatches of its
/// data: what [`fit_minibatch`] needs besides the full target.
pub trait Subsampled: Sync {
    type Workspace: Send;

    /// Number of unconstrained coordinates.
    fn dim(&self) -> usize;

    /// N, the rows of the full data.
    fn rows(&self) -> usize;

    /// B, the rows of one minibatch.
    fn batch_size(&self) -> usize;

    /// Fresh scratch memory for one thread.
    fn workspace(&self) -> Self::Workspace;

    /// The rescaled log density of minibatch `key` (the same rows for the
    /// same key) at `x`, and its gradient in `grad`.
    fn batch_gradient(
        &self,
        ws: &mut Self::Workspace,
        key: u64,
        x: &[f64],
        grad: &mut [f64],
    ) -> f64;
}

/// Refuses the options a minibatch run does not combine with, in words.
pub fn check_minibatch(config: &FitConfig) -> Result<(), String> {
    let Some(b) = config.minibatch else {
        return Ok(());
    };
    let clash = if b == 0 {
        Some("--minibatch must be at least 1".to_string())
    } else if config.algorithm != Algorithm::Bw {
        Some(format!("--algorithm {}", config.algorithm))
    } else if config.family.is_some_and(|k| k != FamilyKind::MeanField) {
        Some(format!(
            "--family {}",
            config.family.unwrap_or(FamilyKind::MeanField)
        ))
    } else if config.divergence != Divergence::Kl {
        Some(format!("--divergence {}", config.divergence))
    } else if config.optimizer != Optimizer::Euler {
        Some(format!("--optimizer {}", config.optimizer))
    } else if config.init == Some(Init::Map) {
        Some("--init map".to_string())
    } else if config.restarts > 1 {
        Some(format!("--restarts {}", config.restarts))
    } else if matches!(config.step, Step::Fixed(h) if !(h > 0.0 && h <= 1.0)) {
        Some(format!(
            "--step {} (the first natural-gradient step must be in (0, 1])",
            config.step
        ))
    } else {
        None
    };
    match clash {
        Some(c) if b == 0 => Err(c),
        Some(c) => Err(format!(
            "--minibatch fits a mean-field q by its own natural-gradient steps and does not \
             combine with {c}"
        )),
        None => Ok(()),
    }
}

fn tolerance(config: &FitConfig) -> f64 {
    config.grad_tol.unwrap_or(super::DEFAULT_GRAD_TOL)
}

/// Antithetic pairs of draws per step (`--samples` sets 2 × pairs). The
/// pair cancels the odd part of the Monte Carlo noise; the even part moves
/// log σ by (h/2)(1 − ε²), whose window average over W steps of P pairs
/// has sd about sqrt(1/(2 W P)): 4 pairs keep it near 2.5 % for W = 100.
const DEFAULT_PAIRS: usize = 4;
/// First step of the natural-gradient update.
const FIRST_STEP: f64 = 0.3;
/// Exponent of the Robbins–Monro decay of the step.
const DECAY: f64 = 0.6;
/// Largest change of a log sd in one step.
const MAX_LOG_SD_STEP: f64 = 0.5;
/// The fewest windows before the stopping rule may fire.
const MIN_WINDOWS: usize = 3;

/// The window length: one pass over the data in steps, within [50, 500].
fn window(config: &FitConfig, rows: usize, size: usize) -> usize {
    config
        .eval_every
        .unwrap_or_else(|| rows.div_ceil(size.max(1)).clamp(50, 500))
        .max(1)
}

/// The state of q and what a window accumulates.
struct State {
    mean: Vec<f64>,
    log_sd: Vec<f64>,
    sum_mean: Vec<f64>,
    sum_log_sd: Vec<f64>,
    steps_in_window: usize,
}

/// Fits a mean-field q to `full` from minibatches of `stochastic` and
/// diagnoses it on `full`.
pub fn fit_minibatch<S: Subsampled, T: Target>(
    stochastic: &S,
    full: &T,
    config: &FitConfig,
    observer: &mut dyn Observer,
) -> Result<FitResult, FitError> {
    let d = full.dim();
    if d == 0 {
        return Err(FitError::NoParameters);
    }
    if stochastic.dim() != d {
        return Err(FitError::Other(
            "the minibatch model and the full model differ in dimension".into(),
        ));
    }
    check_minibatch(config).map_err(FitError::Config)?;
    let threads = resolved_threads(config.threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| FitError::Other(format!("cannot start {threads} worker threads: {e}")))?;
    let mut config = config.clone();
    config.family = Some(FamilyKind::MeanField);
    let run = iterate(stochastic, (full, &pool), &config, observer)?;
    finish(full, &config, run, threads)
}

fn resolved_threads(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
}

/// The outcome of the steps.
struct Run {
    approx: Approximation,
    termination: Termination,
    steps: usize,
    grad_evals: usize,
    trace: Vec<TraceEntry>,
    first_step: f64,
    last_step: f64,
}

fn iterate<S: Subsampled, T: Target>(
    stochastic: &S,
    (full, pool): (&T, &rayon::ThreadPool),
    config: &FitConfig,
    observer: &mut dyn Observer,
) -> Result<Run, FitError> {
    let d = full.dim();
    let pairs = config
        .samples
        .map_or(DEFAULT_PAIRS, |s| s.div_ceil(2))
        .max(1);
    let w = window(config, stochastic.rows(), stochastic.batch_size());
    let tol = tolerance(config);
    let mut state = State {
        mean: start_mean(config, d),
        log_sd: vec![0.0; d],
        sum_mean: vec![0.0; d],
        sum_log_sd: vec![0.0; d],
        steps_in_window: 0,
    };
    let mut ws = stochastic.workspace();
    let mut full_ws = full.workspace();
    let mut anchor = state.mean.clone();
    let mut anchor_grad = vec![0.0; d];
    let mut anchor_lp =
        pool.install(|| full.log_density_and_gradient(&mut full_ws, &anchor, &mut anchor_grad));
    let mut grad_evals = 1;
    if !anchor_lp.is_finite() || anchor_grad.iter().any(|g| !g.is_finite()) {
        return Err(FitError::NoFiniteStart {
            tries: 1,
            explanation: full
                .explain_nonfinite(&anchor)
                .unwrap_or_else(|| "the gradient is not finite".into()),
        });
    }
    let mut buffers = Buffers::new(d);
    let mut previous: Option<(Vec<f64>, Vec<f64>)> = None;
    let mut trace = Vec::new();
    let mut windows = 0;
    let mut last_step = first_step(config);
    let mut termination = Termination::MaxIterations;
    for t in 0..config.iters {
        let h = first_step(config) * (1.0 + t as f64 / w as f64).powf(-DECAY);
        last_step = h;
        let elbo = step(
            stochastic,
            &mut ws,
            &mut state,
            &mut buffers,
            (config.seed, t as u64, pairs, h),
            (&anchor, &anchor_grad, anchor_lp),
        );
        grad_evals += 1 + 2 * pairs;
        trace.push(TraceEntry {
            iteration: t + 1,
            elbo,
            elbo_eval: None,
            step: h,
            ess: f64::NAN,
        });
        if report(observer, &state, t, config.iters, elbo, h, grad_evals) == Control::Stop {
            termination = Termination::Interrupted;
            break;
        }
        if state.steps_in_window < w {
            continue;
        }
        windows += 1;
        let (mean, log_sd) = state.close_window();
        let settled = previous
            .as_ref()
            .is_some_and(|(m0, s0)| agree(m0, s0, &mean, &log_sd, tol));
        anchor.copy_from_slice(&mean);
        anchor_lp =
            pool.install(|| full.log_density_and_gradient(&mut full_ws, &anchor, &mut anchor_grad));
        grad_evals += 1;
        if !anchor_lp.is_finite() || anchor_grad.iter().any(|g| !g.is_finite()) {
            return Err(FitError::Diverged(
                "the full-data log density is not finite at the mean of a window".into(),
            ));
        }
        previous = Some((mean, log_sd));
        if settled && windows >= MIN_WINDOWS {
            termination = Termination::Converged;
            break;
        }
    }
    let (mean, log_sd) = match (&previous, state.steps_in_window) {
        (Some(p), _) if termination != Termination::Interrupted => p.clone(),
        (Some(p), 0) => p.clone(),
        (_, n) if n > 0 => state.close_window(),
        _ => (state.mean.clone(), state.log_sd.clone()),
    };
    Ok(Run {
        approx: Approximation::MeanField {
            mean,
            sd: log_sd.iter().map(|s| s.exp()).collect(),
        },
        termination,
        steps: trace.len(),
        grad_evals,
        trace,
        first_step: first_step(config),
        last_step,
    })
}

fn first_step(config: &FitConfig) -> f64 {
    match config.step {
        Step::Fixed(h) => h,
        Step::Auto => FIRST_STEP,
    }
}

fn start_mean(config: &FitConfig, d: usize) -> Vec<f64> {
    match config.init {
        Some(Init::Random) => {
            let mut rng = stream(config.seed, &[streams::INIT, 0]);
            (0..d).map(|_| rng.random_range(-2.0..2.0)).collect()
        }
        _ => vec![0.0; d],
    }
}

/// Whether two window averages agree: root-mean-square changes of the
/// mean (in sds) below `tol` and of the log sds below `2 tol`.
fn agree(m0: &[f64], s0: &[f64], m1: &[f64], s1: &[f64], tol: f64) -> bool {
    let d = m0.len().max(1) as f64;
    let mut mean_change = 0.0;
    let mut sd_change = 0.0;
    for i in 0..m0.len() {
        let sd = s1[i].exp();
        mean_change += ((m1[i] - m0[i]) / sd).powi(2);
        sd_change += (s1[i] - s0[i]).powi(2);
    }
    (mean_change / d).sqrt() < tol && (sd_change / d).sqrt() < 2.0 * tol
}

impl State {
    /// The window's averages; starts the next window.
    fn close_window(&mut self) -> (Vec<f64>, Vec<f64>) {
        let n = self.steps_in_window.max(1) as f64;
        let mean = self.sum_mean.iter().map(|s| s / n).collect();
        let log_sd = self.sum_log_sd.iter().map(|s| s / n).collect();
        self.sum_mean.iter_mut().for_each(|s| *s = 0.0);
        self.sum_log_sd.iter_mut().for_each(|s| *s = 0.0);
        self.steps_in_window = 0;
        (mean, log_sd)
    }
}

/// Per-step memory.
struct Buffers {
    eps: Vec<f64>,
    z: Vec<f64>,
    grad: Vec<f64>,
    anchor_batch: Vec<f64>,
    dir_mean: Vec<f64>,
    dir_log_sd: Vec<f64>,
}

impl Buffers {
    fn new(d: usize) -> Buffers {
        Buffers {
            eps: vec![0.0; d],
            z: vec![0.0; d],
            grad: vec![0.0; d],
            anchor_batch: vec![0.0; d],
            dir_mean: vec![0.0; d],
            dir_log_sd: vec![0.0; d],
        }
    }
}

/// One step: `(seed, t, pairs, h)`, the anchor `(z₀, ∇log p(z₀), log p(z₀))`.
/// Returns the step's ELBO estimate (NaN when a draw was not finite; the
/// step is then skipped).
fn step<S: Subsampled>(
    stochastic: &S,
    ws: &mut S::Workspace,
    state: &mut State,
    b: &mut Buffers,
    (seed, t, pairs, h): (u64, u64, usize, f64),
    (anchor, anchor_grad, anchor_lp): (&[f64], &[f64], f64),
) -> f64 {
    let d = state.mean.len();
    let anchor_batch_lp = stochastic.batch_gradient(ws, t, anchor, &mut b.anchor_batch);
    b.dir_mean.iter_mut().for_each(|x| *x = 0.0);
    b.dir_log_sd.iter_mut().for_each(|x| *x = 0.0);
    let mut lp_sum = 0.0;
    let draws = 2 * pairs;
    for p in 0..pairs {
        let mut rng = stream(seed, &[streams::TRAIN, t, p as u64]);
        for e in b.eps.iter_mut() {
            *e = rng.sample(StandardNormal);
        }
        for sign in [1.0, -1.0] {
            for i in 0..d {
                b.z[i] = state.mean[i] + sign * state.log_sd[i].exp() * b.eps[i];
            }
            let lp = stochastic.batch_gradient(ws, t, &b.z, &mut b.grad);
            lp_sum += lp - anchor_batch_lp + anchor_lp;
            for i in 0..d {
                let g = b.grad[i] - b.anchor_batch[i] + anchor_grad[i];
                b.dir_mean[i] += g / draws as f64;
                b.dir_log_sd[i] +=
                    (1.0 + state.log_sd[i].exp() * sign * b.eps[i] * g) / draws as f64;
            }
        }
    }
    let finite = lp_sum.is_finite()
        && b.dir_mean
            .iter()
            .chain(&b.dir_log_sd)
            .all(|x| x.is_finite());
    if finite {
        for i in 0..d {
            let sd = state.log_sd[i].exp();
            state.mean[i] += (h * sd * sd * b.dir_mean[i]).clamp(-sd, sd);
            state.log_sd[i] += (0.5 * h * b.dir_log_sd[i]).clamp(-MAX_LOG_SD_STEP, MAX_LOG_SD_STEP);
        }
    }
    for i in 0..d {
        state.sum_mean[i] += state.mean[i];
        state.sum_log_sd[i] += state.log_sd[i];
    }
    state.steps_in_window += 1;
    if !finite {
        return f64::NAN;
    }
    let entropy: f64 = state.log_sd.iter().sum::<f64>()
        + 0.5 * d as f64 * (1.0 + (2.0 * std::f64::consts::PI).ln());
    lp_sum / draws as f64 + entropy
}

fn report(
    observer: &mut dyn Observer,
    state: &State,
    t: usize,
    iters: usize,
    elbo: f64,
    h: f64,
    grad_evals: usize,
) -> Control {
    let parameters = if observer.wants_parameters() {
        Approximation::MeanField {
            mean: state.mean.clone(),
            sd: state.log_sd.iter().map(|s| s.exp()).collect(),
        }
        .flat_parameters()
    } else {
        Vec::new()
    };
    observer.iteration(&IterationInfo {
        restart: 0,
        iteration: t + 1,
        max_iterations: iters,
        phase: Phase::Optimization,
        elbo,
        elbo_se: f64::NAN,
        elbo_eval: None,
        step: h,
        ess: f64::NAN,
        grad_evals,
        parameters: &parameters,
    })
}

/// The full-data diagnostics of the fitted q, and the result.
fn finish<T: Target>(
    full: &T,
    config: &FitConfig,
    run: Run,
    threads: usize,
) -> Result<FitResult, FitError> {
    let n = if run.termination == Termination::Interrupted {
        config.draws
    } else {
        diagnose::proposals(config.draws)
    };
    let (fam, _, _) = run.approx.prepared().map_err(FitError::Other)?;
    let mut batch =
        Batch::new(full, threads, n, Factors::scratch_len(fam), false).map_err(FitError::Other)?;
    let (diagnostics, kept, _) =
        proposals::evaluate(&mut batch, &run.approx, n, config.seed, Divergence::Kl);
    let summary = RestartSummary {
        restart: 0,
        init: match config.init {
            Some(Init::Random) => "random mean, unit scale".to_string(),
            _ => "zero mean, unit scale".to_string(),
        },
        elbo: diagnostics.elbo,
        elbo_se: diagnostics.elbo_se,
        termination: run.termination,
        iterations: run.steps,
        grad_evals: run.grad_evals,
        rescued_by_step_control: false,
        objective: None,
        objective_se: None,
    };
    let mut warnings = Vec::new();
    if run.termination == Termination::MaxIterations {
        warnings.push(format!(
            "the minibatch windows had not settled after {} steps: raise --iters or --minibatch",
            config.iters
        ));
    }
    Ok(FitResult {
        approximation: run.approx,
        termination: run.termination,
        iterations: run.steps,
        grad_evals: run.grad_evals,
        density_evals: n,
        trace: run.trace,
        restarts: vec![summary],
        no_trustworthy_mode: false,
        best_restart: 0,
        warnings,
        rescued_by_step_control: false,
        step_rejections: 0,
        initial_step: run.first_step,
        final_step: run.last_step,
        config: config.clone(),
        diagnostics,
        proposals: kept,
    })
}
