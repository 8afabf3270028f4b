//! One run of the explicit-step algorithms (`bw`, `fbgvi`): sample, estimate,
//! step, control the step, evaluate the ELBO, stop, average.
//!
//! Stopping and the returned iterate: every `eval_every` iterations the ELBO
//! is evaluated with `elbo_samples` draws that are the same at every
//! evaluation (common random numbers, closed-form entropy for Gaussians), so
//! successive values differ by the change of q rather than by noise, and
//! Stan's relative rule is applied to them (see `stopping`). When it fires
//! the run continues for one more window of `eval_every` iterations with the
//! same step and returns the average of the iterates over that window
//! (Polyak–Ruppert tail averaging): with a constant step, Monte Carlo noise
//! keeps the iterates jittering around the optimum at a level ∝ √h, and the
//! average removes most of it. A run that reaches the iteration limit
//! averages its last window the same way.
//!
//! Coordinates: the run moves θ in the coordinates z of the batch's
//! [`Affine`] target (see `precondition`) and returns θ in the model's
//! coordinates. With `--precondition adaptive` the map is reset to the
//! current q at every check of the optimisation phase (the step's direction
//! is carried over to the new coordinates exactly: a gradient transforms by
//! S_zᵀ); the averaging window keeps one map, so its average is an average
//! in the model's coordinates too. Windows start at `eval_every` and double
//! (up to `MAX_WINDOW`) when the natural-gradient rule finds the window
//! average too noisy to decide.
//!
//! An iteration, step by step (`iteration`): enter the final window when
//! the budget runs out; sample a batch and reduce it to a direction;
//! step control after the fact (undo the last step when the batch is not
//! finite or its ELBO collapsed, narrow an initial q that reaches where the
//! density is not finite); accept θ (averaging, stopping statistics); at
//! the end of a window evaluate the ELBO and ask the stopping rule; report;
//! after a check grow the step back, re-whiten and save a checkpoint;
//! propose θ' by the update rule (Euler, Adam or the forward–backward step),
//! shrinking h until step control accepts it. When h falls below its floor
//! the run rolls back to the checkpoint with a quarter of its step, up to
//! four times, before it is declared diverged.

mod collapse;
mod covariance;
mod iteration;
mod rewhiten;
mod sampling;

pub(crate) use sampling::{elbo_eval, sample_batch};

use super::Target;
use super::batch::Batch;
use super::divergence::Objective;
use super::estimator::{BatchSummary, Settings};
use super::family::{Factors, Family, LowRankStep};
use super::fbgvi::FbWork;
use super::iterates::{Checkpoint, IterateAverage};
use super::optimizer::OptState;
use super::plan::Plan;
use super::precondition::{Affine, Map};
use super::result::{Observer, TraceEntry};
use super::step_control::{Oscillation, ShrinkCheck};
use super::stopping::{NaturalGradient, RelativeElbo, StoppingRule};
use super::streams;
use super::termination::Termination;

/// What a run of `bw`, `fbgvi` or `advi` hands back to the fit.
pub(crate) struct RunOutcome {
    pub theta: Vec<f64>,
    pub termination: Termination,
    pub iterations: usize,
    pub grad_evals: usize,
    pub density_evals: usize,
    pub trace: Vec<TraceEntry>,
    pub warnings: Vec<String>,
    pub rescued: bool,
    pub step_rejections: usize,
    pub initial_step: f64,
    pub final_step: f64,
}

impl RunOutcome {
    /// An outcome not yet run: `termination` until told otherwise.
    pub fn new(theta: Vec<f64>, termination: Termination, step: f64, trace: usize) -> RunOutcome {
        RunOutcome {
            theta,
            termination,
            iterations: 0,
            grad_evals: 0,
            density_evals: 0,
            trace: Vec::with_capacity(trace),
            warnings: Vec::new(),
            rescued: false,
            step_rejections: 0,
            initial_step: step,
            final_step: step,
        }
    }
}

/// Rollbacks to the last checkpoint before a run is declared diverged.
const MAX_ROLLBACKS: usize = 4;
/// The step after a rollback, relative to the checkpoint's.
const ROLLBACK_SHRINK: f64 = 0.25;
/// Halvings of an initial q whose draws reach where the density is not
/// finite before the run gives up.
const MAX_INITIAL_SHRINKS: usize = 30;

/// Runs `bw` or `fbgvi` from θ₀ (in the coordinates of the batch's map)
/// with first step `h0` and ELBO window `eval_every`; the returned θ is in
/// the model's coordinates.
pub(crate) fn run<T: Target>(
    batch: &mut Batch<'_, Affine<'_, T>>,
    plan: &Plan,
    theta0: Vec<f64>,
    h0: f64,
    eval_every: usize,
    restart: usize,
    observer: &mut dyn Observer,
) -> RunOutcome {
    let affine = batch.target();
    let mut flow = Flow::new(affine, plan, theta0, h0, eval_every, restart);
    if !flow.factors.prepare(&flow.theta) {
        let mut out = flow.out;
        out.termination = Termination::Diverged;
        out.warnings
            .push("the initial scale matrix is singular; nothing was fitted".into());
        out.theta = flow.theta;
        return out;
    }
    flow.backup_factors.copy_from(&flow.factors);
    flow.evaluate_initial_elbo(batch);
    let termination = loop {
        if flow.t >= plan.config.iters {
            break Termination::MaxIterations;
        }
        if let Some(end) = flow.iteration(batch, observer) {
            break end;
        }
    };
    flow.finish(termination)
}

/// The state of one run.
struct Flow<'p, 'a, 'u, T: Target> {
    plan: &'p Plan,
    fam: Family,
    affine: &'a Affine<'u, T>,
    restart: usize,
    /// Accepted iterations so far (the index of the current iterate).
    t: usize,
    // The iterate, in the coordinates of `map`.
    theta: Vec<f64>,
    factors: Factors,
    map: Map,
    // Update rule: the direction of the last batch and how it becomes a step.
    settings: Settings,
    dir: Vec<f64>,
    work: Vec<f64>,
    opt: OptState,
    fb: Option<FbWork>,
    batch_id: u64,
    // Step control: the step, the last accepted iterate to undo to, the
    // checks that reject a step.
    h: f64,
    h_floor: f64,
    /// The largest step a calm window may grow back to; lowered by a rollback.
    h_cap: f64,
    /// No rejection, collapse or oscillation since the last check.
    calm: bool,
    backup: Vec<f64>,
    backup_factors: Factors,
    /// The draws of the last batch, for steps that update the factors in
    /// O(n d²) (a general scale above `LOW_RANK_MIN_DIM`, Euler steps).
    low_rank: Option<LowRankStep>,
    /// S Sᵀ followed through those steps, for the iterate average.
    covariance: Option<covariance::TrackedCovariance>,
    opt_backup: OptState,
    have_backup: bool,
    prev: Option<BatchSummary>,
    shrink: ShrinkCheck,
    osc: Oscillation,
    initial_shrinks: usize,
    // Checkpoint and rollback.
    checkpoint: Option<Checkpoint>,
    rollbacks: usize,
    // Stopping.
    rule: RelativeElbo,
    natural: Option<NaturalGradient>,
    window: usize,
    last_check: usize,
    converged: bool,
    elbo_position: [u64; 4],
    // Averaging over the final window.
    average: IterateAverage,
    averaging: bool,
    average_window: usize,
    // Reporting.
    flat: Vec<f64>,
    outer_theta: Vec<f64>,
    map_tmp: Vec<f64>,
    low_ess: usize,
    /// Log self-normalised weights of the current window's batches (a
    /// precise stopping rule checks their tail, see `stopping`).
    window_log_w: Vec<f64>,
    /// k̂ of the last window whose weights were too heavy-tailed to certify.
    heavy_khat: Option<f64>,
    // Collapse: the history of q at the checks, the flow time Σh of the
    // accepted steps, the probe's point.
    watch: collapse::Watch,
    flow_time: f64,
    probe_x: Vec<f64>,
    out: RunOutcome,
}

impl<'p, 'a, 'u, T: Target> Flow<'p, 'a, 'u, T> {
    fn new(
        affine: &'a Affine<'u, T>,
        plan: &'p Plan,
        theta0: Vec<f64>,
        h0: f64,
        eval_every: usize,
        restart: usize,
    ) -> Self {
        let config = &plan.config;
        let fam = plan.family;
        let (d, np) = (fam.d, fam.n_params());
        let iters = config.iters;
        let natural = match plan.stopping {
            StoppingRule::NaturalGradient(tol) => Some(NaturalGradient::new(
                fam,
                tol,
                config.wfr,
                !config.divergence.is_kl(),
            )),
            StoppingRule::RelativeElbo(_) => None,
        };
        let mut opt = OptState::new(config.optimizer, np);
        if config.softplus_scale {
            opt = opt.with_softplus(fam.scale_offset(0)..np);
        }
        let n_total = plan.samples * fam.components();
        let low_rank = (Factors::keeps_inverse(fam)
            && !plan.is_fbgvi()
            && config.optimizer == super::Optimizer::Euler
            && 8 * n_total <= d)
            .then(|| LowRankStep::new(n_total, d));
        let factors = if low_rank.is_some() {
            Factors::with_inverse(fam)
        } else {
            Factors::new(fam)
        };
        Flow {
            plan,
            fam,
            affine,
            restart,
            t: 0,
            backup: theta0.clone(),
            theta: theta0,
            backup_factors: factors.clone(),
            factors,
            covariance: low_rank
                .as_ref()
                .map(|_| covariance::TrackedCovariance::new(d, n_total)),
            low_rank,
            map: affine.map(),
            settings: plan.settings(),
            dir: vec![0.0; np],
            work: vec![0.0; fam.work_len()],
            opt_backup: opt.clone(),
            opt,
            fb: plan.is_fbgvi().then(|| FbWork::new(d)),
            batch_id: 0,
            h: h0,
            h_floor: h0 * 1e-10,
            h_cap: h0,
            calm: true,
            have_backup: false,
            prev: None,
            shrink: ShrinkCheck::new(fam),
            osc: Oscillation::new(np),
            initial_shrinks: 0,
            checkpoint: None,
            rollbacks: 0,
            rule: RelativeElbo::new(config.tol, iters, eval_every, false),
            natural,
            window: eval_every,
            last_check: 0,
            converged: false,
            elbo_position: [config.seed, streams::ELBO, restart as u64, 0],
            average: IterateAverage::new(fam),
            averaging: false,
            average_window: eval_every.min((iters / 2).max(1)),
            flat: vec![0.0; np],
            outer_theta: vec![0.0; np],
            map_tmp: vec![0.0; d],
            low_ess: 0,
            window_log_w: Vec::new(),
            heavy_khat: None,
            watch: collapse::Watch::new(d),
            flow_time: 0.0,
            probe_x: Vec::with_capacity(d),
            out: RunOutcome::new(
                Vec::new(),
                Termination::MaxIterations,
                h0,
                iters.min(100_000),
            ),
        }
    }

    /// The baseline of the relative-ELBO rule: the ELBO of the initial q.
    fn evaluate_initial_elbo(&mut self, batch: &mut Batch<'_, Affine<'_, T>>) {
        let (e, _) = self.evaluate_elbo(batch);
        self.rule.push(e);
    }

    /// The low-variance ELBO at the current iterate (the run's fixed draws)
    /// and the objective being minimised.
    fn evaluate_elbo(&mut self, batch: &mut Batch<'_, Affine<'_, T>>) -> (f64, Objective) {
        let n = self.plan.config.elbo_samples;
        let e = elbo_eval(
            batch,
            self.fam,
            &self.theta,
            &self.factors,
            n,
            self.elbo_position,
            self.plan.config.divergence,
        );
        self.out.density_evals += n * self.fam.components();
        e
    }

    /// The outcome: warnings about how the run ended, and the window
    /// average (or the last iterate) in the model's coordinates.
    fn finish(mut self, termination: Termination) -> RunOutcome {
        let config = &self.plan.config;
        let mut out = self.out;
        out.termination = termination;
        if out.termination == Termination::MaxIterations && self.converged {
            out.termination = Termination::Converged;
        }
        let (t, h) = (self.t, self.h);
        out.iterations = t;
        out.final_step = h;
        if out.termination == Termination::Diverged && !config.step_control {
            out.warnings.push(format!(
                "with step control off, the step {h} led to a non-finite or degenerate q at \
                 iteration {t}; the last finite q is returned (use a smaller --step)"
            ));
        } else if out.termination == Termination::Diverged {
            out.warnings.push(format!(
                "step control could not find a stable step (h fell below {:.3e}); the last \
                 finite q is returned",
                self.h_floor
            ));
        }
        let low_ess = self.low_ess;
        if low_ess > 0 && low_ess * 5 > t.max(1) {
            out.warnings.push(format!(
                "the {} weights had an effective sample size below 2 in {low_ess} of {t} \
                 iterations: each step rests on about one sample; use more --samples \
                 or a divergence with a smaller power (hellinger, alpha:A with \
                 A ≤ 0.5)",
                config.divergence
            ));
        }
        if out.termination == Termination::MaxIterations
            && let Some(k) = self.heavy_khat
        {
            out.warnings.push(format!(
                "the {} weights of the last window were heavy-tailed (k̂ = {k:.2} ≥ {}): their \
                 variance is infinite, so the Monte Carlo error of the fit cannot be estimated \
                 and it was not certified as converged; the divergence's gradient cannot be \
                 estimated reliably for this target and family (try a divergence with a smaller \
                 power, e.g. hellinger or alpha:A with A < 0.5)",
                config.divergence,
                crate::diagnose::KHAT_GOOD
            ));
        }
        // Return the window average when there is one and it is a valid q.
        let mut last = std::mem::take(&mut self.theta);
        let stopped_early = matches!(
            out.termination,
            Termination::Diverged | Termination::Collapsed(_)
        );
        if !stopped_early && let Some(a) = self.average.average() {
            last = a;
        }
        out.theta = vec![0.0; self.fam.n_params()];
        self.map
            .to_outer(self.fam, &last, &mut out.theta, &mut self.map_tmp);
        out
    }
}
