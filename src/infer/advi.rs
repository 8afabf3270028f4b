//! Stan's ADVI (Kucukelbir et al. 2017; stan-dev/stan `advi.hpp`,
//! `normal_meanfield.hpp`, `normal_fullrank.hpp`), reproduced as a baseline:
//!
//! - families: mean-field ζ = μ + exp(ω) ⊙ η, or full rank ζ = μ + Lη with
//!   L lower triangular; starts at μ = the initial point (uniform(−2, 2)
//!   by default), ω = 0 or L = I;
//! - gradient: reparameterization with closed-form entropy, `samples`
//!   (default 1) draws: μ: mean ∇log p; ω: mean(∇log p ⊙ η) ⊙ exp(ω) + 1;
//!   L: tril(mean ∇log p ηᵀ) + diag(1/L_ii);
//! - step sequence: s_1 = g_1², s_k = 0.1 g_k² + 0.9 s_{k−1},
//!   ρ_k = η k^{−1/2} / (1 + √s_k);
//! - η: with `--step auto`, try 100, 10, 1, 0.1, 0.01 for 50 iterations each
//!   from the initial q, stopping at the first η whose ELBO is worse than
//!   the previous one (provided that one beat the initial ELBO);
//! - stopping: every `eval_every` = 100 iterations an ELBO from 100 fresh
//!   draws; relative changes in a circular buffer; stop when the mean or
//!   median is below `tol`; "may be diverging" when either exceeds 0.5 after
//!   10 evaluations. The final iterate is returned (no averaging).
//!
//! Differences, documented: the relative change is divided by
//! max(1, |ELBO|) rather than |ELBO| (identical when |ELBO| ≥ 1, finite
//! near 0); an ELBO evaluation averages its finite draws instead of redrawing
//! the non-finite ones (it fails, as Stan's does, when none is finite).

use super::batch::Batch;
use super::choices::{Divergence, Estimator, Step};
use super::estimator::{self, Scaling, Settings};
use super::family::{Factors, Family};
use super::flow::{RunOutcome, sample_batch};
use super::plan::Plan;
use super::result::{Control, IterationInfo, Observer, Phase, TraceEntry};
use super::stopping::RelativeElbo;
use super::streams;
use super::termination::Termination;

const ETAS: [f64; 5] = [100.0, 10.0, 1.0, 0.1, 0.01];
const ADAPT_ITERS: usize = 50;
const TAU: f64 = 1.0;

struct Advi<'a, 'b, 't, T: super::Target> {
    batch: &'a mut Batch<'t, T>,
    plan: &'b Plan,
    fam: Family,
    restart: usize,
    factors: Factors,
    dir: Vec<f64>,
    work: Vec<f64>,
    hist: Vec<f64>,
    flat: Vec<f64>,
    draw_id: u64,
    elbo_id: u64,
    grad_evals: usize,
    density_evals: usize,
}

impl<T: super::Target> Advi<'_, '_, '_, T> {
    /// `n` draws at θ from stream (seed, purpose, restart, id, i).
    fn draw(&mut self, theta: &[f64], n: usize, [purpose, id]: [u64; 2], gradients: bool) {
        let pos = [self.plan.config.seed, purpose, self.restart as u64, id];
        let (fam, factors) = (self.fam, &self.factors);
        sample_batch(self.batch, fam, theta, factors, n, pos, gradients, false);
    }

    /// Stan's calc_ELBO: fresh draws each call.
    fn elbo(&mut self, theta: &[f64]) -> Option<f64> {
        if !self.factors.prepare(theta) {
            return None;
        }
        self.elbo_id += 1;
        let n = self.plan.config.elbo_samples;
        self.draw(theta, n, [streams::ADVI_ELBO, self.elbo_id], false);
        self.density_evals += n;
        let (mut sum, mut count) = (0.0, 0usize);
        for i in 0..n {
            let lp = self.batch.get(i).logp;
            if lp.is_finite() {
                sum += lp;
                count += 1;
            }
        }
        if count == 0 {
            return None;
        }
        Some(sum / count as f64 + self.factors.entropy().unwrap_or(0.0))
    }

    /// Stan's calc_ELBO_grad into `self.dir`; None when anything is not
    /// finite. Returns the ELBO estimate of the gradient draws.
    fn gradient(&mut self, theta: &[f64]) -> Option<f64> {
        if !self.factors.prepare(theta) {
            return None;
        }
        self.draw_id += 1;
        let n = self.plan.samples;
        self.draw(theta, n, [streams::TRAIN, self.draw_id], true);
        self.grad_evals += n;
        for i in 0..n {
            let s = self.batch.get(i);
            if !s.logp.is_finite() || s.gradp.iter().any(|v| !v.is_finite()) {
                return None;
            }
        }
        let settings = Settings {
            divergence: Divergence::Kl,
            estimator: Estimator::Rep,
            scaling: Scaling::Raw,
            wfr: false,
            precondition_low_rank: false,
        };
        let batch = &*self.batch;
        let summary = estimator::reduce(
            self.fam,
            theta,
            &self.factors,
            n,
            n,
            |i| batch.get(i),
            |_| 1.0 / n as f64,
            &settings,
            &mut self.dir,
            &mut self.work,
        );
        if self.dir.iter().any(|v| !v.is_finite()) {
            return None;
        }
        Some(summary.elbo)
    }

    /// One adaGrad step at iteration k (1-based).
    fn update(&mut self, theta: &mut [f64], k: usize, eta: f64) {
        for i in 0..theta.len() {
            let g = self.dir[i];
            self.hist[i] = if k == 1 {
                self.hist[i] + g * g
            } else {
                0.9 * self.hist[i] + 0.1 * g * g
            };
            theta[i] += eta / (k as f64).sqrt() * g / (TAU + self.hist[i].sqrt());
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        &mut self,
        observer: &mut dyn Observer,
        theta: &[f64],
        iteration: usize,
        phase: Phase,
        elbo: f64,
        elbo_eval: Option<f64>,
        step: f64,
    ) -> Control {
        self.fam.flat_parameters(theta, &mut self.flat);
        observer.iteration(&IterationInfo {
            restart: self.restart,
            iteration,
            max_iterations: self.plan.config.iters,
            phase,
            elbo,
            elbo_se: f64::NAN,
            elbo_eval,
            step,
            ess: self.plan.samples as f64,
            grad_evals: self.grad_evals,
            parameters: &self.flat,
        })
    }
}

/// Runs ADVI from θ₀ (layout `LogDiag` or `Lower`).
pub(crate) fn run<T: super::Target>(
    batch: &mut Batch<'_, T>,
    plan: &Plan,
    fam: Family,
    theta0: Vec<f64>,
    restart: usize,
    observer: &mut dyn Observer,
) -> RunOutcome {
    let np = fam.n_params();
    let mut a = Advi {
        batch,
        plan,
        fam,
        restart,
        factors: Factors::new(fam),
        dir: vec![0.0; np],
        work: vec![0.0; fam.work_len()],
        hist: vec![0.0; np],
        flat: vec![0.0; np],
        draw_id: 0,
        elbo_id: 0,
        grad_evals: 0,
        density_evals: 0,
    };
    let mut out = RunOutcome::new(theta0.clone(), Termination::Diverged, f64::NAN, 0);
    let Some(elbo_init) = a.elbo(&theta0) else {
        out.warnings
            .push("ADVI cannot compute the ELBO of the initial variational distribution".into());
        return out;
    };
    let eta = match plan.config.step {
        Step::Fixed(eta) => eta,
        Step::Auto => match a.adapt_eta(&theta0, elbo_init, observer) {
            Adapted::Eta(eta) => eta,
            Adapted::Interrupted => {
                out.termination = Termination::Interrupted;
                return a.count_evals(out);
            }
            Adapted::Failed => {
                out.warnings.push(
                    "ADVI: all proposed step-sizes failed; the model may be severely \
                     ill-conditioned or misspecified"
                        .into(),
                );
                return a.count_evals(out);
            }
        },
    };
    out.initial_step = eta;
    out.final_step = eta;
    a.hist.fill(0.0);
    a.optimize(theta0, eta, &mut out, observer);
    a.count_evals(out)
}

/// The outcome of Stan's step-size search.
enum Adapted {
    Eta(f64),
    Interrupted,
    Failed,
}

impl<T: super::Target> Advi<'_, '_, '_, T> {
    /// Stan's adapt_eta: try each η of [`ETAS`] for [`ADAPT_ITERS`]
    /// iterations from θ₀, stopping at the first whose ELBO is worse than
    /// the previous one's (provided that one beat the initial ELBO).
    fn adapt_eta(
        &mut self,
        theta0: &[f64],
        elbo_init: f64,
        observer: &mut dyn Observer,
    ) -> Adapted {
        let mut elbo_best = f64::MIN;
        let mut eta_best = 0.0;
        for (idx, &eta) in ETAS.iter().enumerate() {
            let mut theta = theta0.to_vec();
            for k in 1..=ADAPT_ITERS {
                let elbo = if self.gradient(&theta).is_some() {
                    self.elbo_of_last()
                } else {
                    self.dir.fill(0.0);
                    f64::NAN
                };
                self.update(&mut theta, k, eta);
                if self.report(observer, &theta, k, Phase::Adaptation, elbo, None, eta)
                    == Control::Stop
                {
                    return Adapted::Interrupted;
                }
            }
            let elbo = self.elbo(&theta).unwrap_or(f64::MIN);
            let elbo = if elbo.is_nan() { f64::MIN } else { elbo };
            if elbo < elbo_best && elbo_best > elbo_init {
                return Adapted::Eta(eta_best);
            }
            if idx < ETAS.len() - 1 {
                elbo_best = elbo;
                eta_best = eta;
            } else if elbo > elbo_init {
                return Adapted::Eta(eta);
            }
            self.hist.fill(0.0);
        }
        Adapted::Failed
    }

    /// The main iterations with step size η: Stan's stopping rule every
    /// `eval_every` iterations; the final iterate is returned.
    fn optimize(
        &mut self,
        theta0: Vec<f64>,
        eta: f64,
        out: &mut RunOutcome,
        observer: &mut dyn Observer,
    ) {
        let config = &self.plan.config;
        let e_every = self.plan.eval_every(None);
        let mut rule = RelativeElbo::new(config.tol, config.iters, e_every, true);
        let mut theta = theta0;
        let mut warned = false;
        out.termination = Termination::MaxIterations;
        let mut k = 0;
        while k < config.iters {
            k += 1;
            if self.gradient(&theta).is_none() {
                out.termination = Termination::Diverged;
                out.warnings.push(format!(
                    "ADVI: the gradient is not finite at iteration {k} (Stan stops here too); the \
                     last finite q is returned"
                ));
                k -= 1;
                break;
            }
            let elbo = self.elbo_of_last();
            let keep = theta.clone();
            self.update(&mut theta, k, eta);
            if theta.iter().any(|v| !v.is_finite()) {
                theta = keep;
                out.termination = Termination::Diverged;
                k -= 1;
                break;
            }
            let mut eval = None;
            let mut fired = false;
            if k % e_every == 0 {
                let e = self.elbo(&theta).unwrap_or(f64::NEG_INFINITY);
                eval = Some(e);
                fired = rule.push(e);
                if k > 10 * e_every && rule.diverging() && !warned {
                    warned = true;
                    out.warnings.push(
                        "ADVI: the relative ELBO change stays above 0.5 — it may be diverging; \
                         inspect the ELBO trace"
                            .into(),
                    );
                }
            }
            out.trace.push(TraceEntry {
                iteration: k,
                elbo,
                elbo_eval: eval,
                step: eta / (k as f64).sqrt(),
                ess: self.plan.samples as f64,
            });
            if self.report(observer, &theta, k, Phase::Optimization, elbo, eval, eta)
                == Control::Stop
            {
                out.termination = Termination::Interrupted;
                break;
            }
            if fired {
                out.termination = Termination::Converged;
                break;
            }
        }
        out.iterations = k;
        out.theta = theta;
    }

    /// The evaluation counts of the run so far, into the outcome.
    fn count_evals(&self, mut out: RunOutcome) -> RunOutcome {
        out.grad_evals = self.grad_evals;
        out.density_evals = self.density_evals;
        out
    }
}

impl<T: super::Target> Advi<'_, '_, '_, T> {
    /// ELBO estimate from the last gradient draws (closed-form entropy).
    fn elbo_of_last(&self) -> f64 {
        let n = self.plan.samples;
        let m: f64 = (0..n).map(|i| self.batch.get(i).logp).sum::<f64>() / n as f64;
        m + self.factors.entropy().unwrap_or(0.0)
    }
}
