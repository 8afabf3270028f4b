//! One iteration of the flow, in the named steps of the module docs.

use super::rewhiten::rewhiten;
use super::sampling::{batch_is_finite, sample_batch};
use super::{Flow, MAX_INITIAL_SHRINKS, MAX_ROLLBACKS, ROLLBACK_SHRINK};
use crate::diagnose::{KHAT_GOOD, psis};
use crate::infer::Target;
use crate::infer::batch::Batch;
use crate::infer::choices::Optimizer;
use crate::infer::config::MAX_WINDOW;
use crate::infer::divergence::Objective;
use crate::infer::estimator::{self, BatchSummary};
use crate::infer::fbgvi;
use crate::infer::iterates::Checkpoint;
use crate::infer::precondition::Affine;
use crate::infer::result::{Control, IterationInfo, Observer, Phase, TraceEntry};
use crate::infer::step_control::ShrinkCheck;
use crate::infer::stopping::Window;
use crate::infer::streams;
use crate::infer::termination::Termination;

/// What follows a step of an iteration.
enum Then {
    /// The iteration goes on.
    Proceed,
    /// The iteration is over; the next one begins.
    NextIteration,
    /// The run is over.
    End(Termination),
}

/// The ELBO check at the end of a window.
#[derive(Default)]
pub(super) struct Check {
    /// This iteration closed a window.
    pub(super) due: bool,
    pub(super) elbo: Option<f64>,
    /// The objective being minimised, on the same draws.
    pub(super) objective: Option<Objective>,
    /// The stopping rule fired.
    pub(super) fired: bool,
}

pub(super) type AffineBatch<'b, 'u, T> = Batch<'b, Affine<'u, T>>;

impl<T: Target> Flow<'_, '_, '_, T> {
    /// One iteration; `Some` when the run ends.
    pub(super) fn iteration(
        &mut self,
        batch: &mut AffineBatch<'_, '_, T>,
        observer: &mut dyn Observer,
    ) -> Option<Termination> {
        if self.enter_final_window_if_due()
            && let Some(c) = self.flat_direction(batch)
        {
            return Some(Termination::Collapsed(c));
        }
        let (finite, summary) = self.sample(batch);
        match self.control_after_the_fact(finite, &summary) {
            Then::Proceed => {}
            Then::NextIteration => return None,
            Then::End(t) => return Some(t),
        }
        self.accept(&summary);
        let check = self.check_window(batch);
        if self.report(observer, &summary, check.elbo) == Control::Stop {
            return Some(Termination::Interrupted);
        }
        if let Some(c) = self.collapse(batch, &check) {
            return Some(Termination::Collapsed(c));
        }
        if self.averaging && self.average.count >= self.average_window {
            return Some(if self.converged {
                Termination::Converged
            } else {
                Termination::MaxIterations
            });
        }
        if check.fired && !self.averaging {
            self.averaging = true;
            self.converged = true;
            self.average_window = self.window.min((self.plan.config.iters / 2).max(1));
        }
        if check.due && !self.averaging {
            self.after_check(check.objective);
        }
        self.prev = Some(summary);
        match self.propose() {
            Then::Proceed => None,
            Then::NextIteration => None,
            Then::End(t) => Some(t),
        }
    }

    /// Averaging: the last window of the budget is averaged whether or not
    /// the stopping rule fired; whether it begins now.
    fn enter_final_window_if_due(&mut self) -> bool {
        let iters = self.plan.config.iters;
        if !self.averaging && self.t + self.average_window >= iters {
            self.averaging = true;
            self.average_window = self.window.min((iters / 2).max(1));
            return true;
        }
        false
    }

    /// Samples a batch at θ and reduces it to the ascent direction (and,
    /// for FB-GVI, the gradient and Hessian averages); whether the batch is
    /// finite.
    fn sample(&mut self, batch: &mut AffineBatch<'_, '_, T>) -> (bool, BatchSummary) {
        let fam = self.fam;
        let n_per = self.plan.samples;
        let n_total = n_per * fam.components();
        let exact = self.plan.exact_hessians;
        self.batch_id += 1;
        let seed = self.plan.config.seed;
        sample_batch(
            batch,
            fam,
            &self.theta,
            &self.factors,
            n_per,
            [seed, streams::TRAIN, self.restart as u64, self.batch_id],
            true,
            exact,
        );
        self.out.grad_evals += n_total * if exact { 1 + fam.d } else { 1 };
        let finite = batch_is_finite(batch, exact);
        let summary = if finite {
            let b = &*batch;
            estimator::reduce(
                fam,
                &self.theta,
                &self.factors,
                n_total,
                n_per,
                |i| b.get(i),
                |_| 1.0 / n_per as f64,
                &self.settings,
                &mut self.dir,
                &mut self.work,
            )
        } else {
            BatchSummary::default()
        };
        if finite && let Some(step) = self.low_rank.as_mut() {
            let b = &*batch;
            step.set_noise(|i| b.get(i).eps);
        }
        if finite && self.natural.as_ref().is_some_and(|n| n.precise) {
            self.record_window_weights(batch, n_total);
        }
        if finite && let Some(w) = self.fb.as_mut() {
            fbgvi::gather(&self.factors, batch, n_total, self.plan.stein(), w);
        }
        (finite, summary)
    }

    /// Keeps the batch's log weights α·log r for the tail check of the
    /// window (q moves little within a window that may pass, so one pooled
    /// sample; normalising each batch by its own sum would cut the tail).
    fn record_window_weights(&mut self, batch: &AffineBatch<'_, '_, T>, n_total: usize) {
        let (_, alpha) = self.plan.config.divergence.power();
        for i in 0..n_total {
            let s = batch.get(i);
            self.window_log_w.push(alpha * (s.logp - s.logq));
        }
    }

    /// Step control after the fact: a batch that is not finite or whose
    /// ELBO collapsed undoes the last step (or narrows an initial q).
    fn control_after_the_fact(&mut self, finite: bool, summary: &BatchSummary) -> Then {
        let step_control = self.plan.config.step_control;
        if !finite && !step_control {
            // θ_t is not accepted; the run ends at θ_{t−1}.
            if self.have_backup {
                self.theta.copy_from_slice(&self.backup);
                self.factors.copy_from(&self.backup_factors);
            }
            return Then::End(Termination::Diverged);
        }
        if finite && !self.collapsed(summary) {
            return Then::Proceed;
        }
        if self.have_backup {
            return self.undo_last_step(finite);
        }
        if !finite {
            return self.narrow_initial_q();
        }
        Then::Proceed
    }

    /// The objective being minimised (−ELBO for KL, the divergence's own
    /// estimate otherwise) rose far above the previous batch's.
    fn collapsed(&self, summary: &BatchSummary) -> bool {
        self.plan.config.step_control
            && match self.prev {
                // The new estimate's own standard error counts at most 3× the
                // previous one: a degenerate state has a huge one of its own.
                Some(p) => {
                    let mut now = summary.objective;
                    now.se = now.se.min(3.0 * p.objective.se);
                    now.worse_than(&p.objective, 5.0, 1.0, 0.01)
                }
                None => false,
            }
    }

    /// Undoes the last step and halves h.
    fn undo_last_step(&mut self, finite: bool) -> Then {
        if self.averaging && self.average.count > 0 {
            match self.covariance.as_mut() {
                Some(c) => {
                    c.restore_backup();
                    let cov = c.of(self.fam, &self.backup);
                    self.average.add_with(&self.backup, -1.0, Some(cov));
                }
                None => self.average.add(&self.backup, -1.0),
            }
        } else if let Some(c) = self.covariance.as_mut() {
            c.restore_backup();
        }
        self.theta.copy_from_slice(&self.backup);
        self.factors.copy_from(&self.backup_factors);
        self.opt.restore(&self.opt_backup);
        self.have_backup = false;
        self.prev = None;
        self.osc.reset();
        self.h *= 0.5;
        self.calm = false;
        // Non-finite values mean the run left the posterior's support: the
        // user must hear of it. A finite ELBO drop is a step too long for
        // the current curvature (often the first steps from the default
        // h = ½ on a small data set), undone like a rejected step.
        if finite {
            self.out.step_rejections += 1;
        } else {
            self.out.rescued = true;
        }
        self.t = self.t.saturating_sub(1);
        self.out.trace.pop();
        if self.h < self.h_floor {
            return self.roll_back_or_diverge();
        }
        Then::NextIteration
    }

    /// The initial q reaches where the density is not finite: halve its
    /// scales.
    fn narrow_initial_q(&mut self) -> Then {
        self.initial_shrinks += 1;
        if self.initial_shrinks > MAX_INITIAL_SHRINKS {
            self.out.warnings.push(
                "the log density is not finite at draws from the initial q, even after \
                 narrowing it 30 times"
                    .into(),
            );
            return Then::End(Termination::Diverged);
        }
        let fam = self.fam;
        for k in 0..fam.components() {
            let so = fam.scale_offset(k);
            for v in &mut self.theta[so..so + fam.scale_len()] {
                *v *= 0.5;
            }
        }
        self.factors.prepare(&self.theta);
        if let Some(c) = self.covariance.as_mut() {
            c.invalidate();
        }
        self.out.rescued = true;
        Then::NextIteration
    }

    /// Checkpoint and rollback: back to the checkpoint with a quarter of
    /// its step, the run going on from there; diverged when there is none
    /// (left) to go back to.
    fn roll_back_or_diverge(&mut self) -> Then {
        if self.rollbacks >= MAX_ROLLBACKS {
            return Then::End(Termination::Diverged);
        }
        let Some(c) = self.checkpoint.as_ref() else {
            return Then::End(Termination::Diverged);
        };
        self.rollbacks += 1;
        self.out.step_rejections += 1;
        if let Some(c) = self.covariance.as_mut() {
            c.invalidate();
        }
        c.restore(
            &mut self.theta,
            &mut self.factors,
            &mut self.map,
            self.affine,
            &mut self.opt,
        );
        (self.t, self.last_check, self.h) = (c.t, c.t, c.h * ROLLBACK_SHRINK);
        self.h_cap = self.h;
        let back_to = c.t;
        self.out.trace.retain(|e| e.iteration < back_to);
        if let Some(ng) = self.natural.as_mut() {
            ng.close(false);
        }
        (self.averaging, self.converged) = (false, false);
        self.average.clear();
        self.watch.reset();
        (self.prev, self.have_backup, self.calm) = (None, false, false);
        self.osc.reset();
        Then::NextIteration
    }

    /// θ_t is accepted: into the average, the ESS count and the
    /// natural-gradient statistics.
    fn accept(&mut self, summary: &BatchSummary) {
        if self.averaging {
            match self.covariance.as_mut() {
                Some(c) => {
                    let cov = c.of(self.fam, &self.theta);
                    self.average.add_with(&self.theta, 1.0, Some(cov));
                }
                None => self.average.add(&self.theta, 1.0),
            }
        }
        let n_total = self.plan.samples * self.fam.components();
        if !self.plan.config.divergence.is_kl() && n_total >= 4 && summary.ess < 2.0 {
            self.low_ess += 1;
        }
        if let Some(ng) = self.natural.as_mut() {
            ng.add(
                self.fam,
                &self.theta,
                &self.factors,
                &self.dir,
                self.low_rank.as_mut(),
            );
        }
    }

    /// Stopping: at the end of a window, the ELBO and the stopping rule's
    /// verdict; a window too noisy to decide doubles.
    fn check_window(&mut self, batch: &mut AffineBatch<'_, '_, T>) -> Check {
        if !(self.t > 0 && self.t - self.last_check >= self.window) {
            return Check::default();
        }
        self.last_check = self.t;
        let (e, objective) = self.evaluate_elbo(batch);
        let mut fired = self.rule.push(e);
        if let Some(ng) = self.natural.as_mut() {
            // A precise rule may need longer windows than MAX_WINDOW: up to
            // a quarter of the budget (see `stopping`).
            let cap = if ng.precise {
                MAX_WINDOW.max(self.plan.config.iters / 4)
            } else {
                MAX_WINDOW
            };
            let mut verdict = ng.close(self.window >= cap);
            // A precise rule cannot certify a window whose weights have an
            // infinite variance (k̂ ≥ ½): its standard errors mean nothing,
            // and the direction's typical batch misses the tail it needs.
            if ng.precise {
                let khat = psis::psis(&self.window_log_w).khat;
                self.window_log_w.clear();
                match khat {
                    Some(k) if k >= KHAT_GOOD => {
                        self.heavy_khat = Some(k);
                        if verdict == Window::Pass {
                            verdict = Window::Noisy;
                        }
                    }
                    _ => self.heavy_khat = None,
                }
            }
            // A window that would pass with iterates still jittering widely
            // (the bias of their average grows with the spread, see
            // `stopping`) halves the step instead, for good.
            if verdict == Window::Pass
                && !self.averaging
                && self.plan.config.step_control
                && self.plan.config.optimizer == Optimizer::Euler
                && self.fb.is_none()
                && ng.spread_too_large(self.h)
            {
                verdict = Window::Moving;
                self.h *= 0.5;
                self.h_cap = self.h;
            }
            if !self.averaging && verdict == Window::Noisy && self.window < cap {
                self.window = (2 * self.window).min(cap);
            }
            // The natural-gradient rule replaces Stan's: a relative ELBO
            // change is either too lax (large |ELBO|) or below the jitter
            // of a converged q (ELBO near 0); see `stopping`.
            fired = verdict == Window::Pass;
        }
        Check {
            due: true,
            elbo: Some(e),
            objective: Some(objective),
            fired,
        }
    }

    /// Tells the observer and the trace about the accepted iterate.
    fn report(
        &mut self,
        observer: &mut dyn Observer,
        summary: &BatchSummary,
        elbo_eval: Option<f64>,
    ) -> Control {
        let fam = self.fam;
        let wanted = observer.wants_parameters();
        if wanted {
            self.map
                .to_outer(fam, &self.theta, &mut self.outer_theta, &mut self.map_tmp);
            fam.flat_parameters(&self.outer_theta, &mut self.flat);
        }
        let phase = if self.averaging {
            Phase::Averaging
        } else {
            Phase::Optimization
        };
        let info = IterationInfo {
            restart: self.restart,
            iteration: self.t,
            max_iterations: self.plan.config.iters,
            phase,
            elbo: summary.elbo,
            elbo_se: summary.elbo_se,
            elbo_eval,
            step: self.h,
            ess: summary.ess,
            grad_evals: self.out.grad_evals,
            parameters: if wanted { &self.flat } else { &[] },
        };
        let control = observer.iteration(&info);
        self.out.trace.push(TraceEntry {
            iteration: self.t,
            elbo: summary.elbo,
            elbo_eval,
            step: self.h,
            ess: summary.ess,
        });
        control
    }

    /// After a check of the optimisation phase: grow the step back after a
    /// calm window, re-whiten, save a checkpoint.
    fn after_check(&mut self, objective: Option<Objective>) {
        // A window without any rejection, collapse or oscillation lets the
        // step grow back towards h₀: one bad region (a funnel's neck, an
        // early overshoot) must not slow the rest of the run.
        if self.calm && self.h < self.h_cap {
            self.h = (2.0 * self.h).min(self.h_cap);
        }
        self.calm = true;
        if self.plan.rewhitens()
            && rewhiten(
                self.fam,
                &mut self.theta,
                &mut self.map,
                &mut self.dir,
                &mut self.work,
            )
        {
            self.affine.set(self.map.clone());
            self.factors.prepare(&self.theta);
            if let Some(c) = self.covariance.as_mut() {
                c.invalidate();
            }
            self.osc.reset();
        }
        if self.plan.config.step_control {
            self.save_checkpoint(objective);
        }
    }

    /// A state to come back to if the flow later blows up (a funnel whose
    /// curvature grows as q spreads into it can take a run from a good q to
    /// a degenerate one within a few accepted steps, each no worse than the
    /// previous by more than its noise). Not taken from a state whose
    /// objective (−ELBO for KL, the divergence's own otherwise) already rose
    /// well above the last checkpoint's.
    fn save_checkpoint(&mut self, objective: Option<Objective>) {
        let Some(o) = objective.filter(|o| o.value.is_finite()) else {
            return;
        };
        let rose = self
            .checkpoint
            .as_ref()
            .is_some_and(|c| o.value > c.objective + (2.0 + 0.05 * c.objective.abs()));
        if !rose {
            let c = self
                .checkpoint
                .get_or_insert_with(|| Checkpoint::new(&self.theta, &self.factors));
            c.save(
                &self.theta,
                &self.factors,
                &self.map,
                &self.opt,
                self.t,
                o.value,
                self.h,
            );
        }
    }

    /// The update rule proposes θ_{t+1}; step control halves h until the
    /// step is acceptable, then watches for oscillation.
    fn propose(&mut self) -> Then {
        let step_control = self.plan.config.step_control;
        self.backup.copy_from_slice(&self.theta);
        self.backup_factors.copy_from(&self.factors);
        self.opt_backup.restore(&self.opt);
        if let Some(c) = self.covariance.as_mut() {
            c.save_backup();
        }
        let mut singular = false;
        loop {
            self.update();
            let ok = self.refactor() && (!step_control || !self.degenerates());
            if ok {
                break;
            }
            if !step_control {
                singular = true;
                break;
            }
            self.theta.copy_from_slice(&self.backup);
            self.opt.restore(&self.opt_backup);
            self.h *= 0.5;
            self.calm = false;
            self.out.step_rejections += 1;
            if self.h < self.h_floor {
                break;
            }
        }
        if singular || self.h < self.h_floor {
            self.theta.copy_from_slice(&self.backup);
            self.factors.copy_from(&self.backup_factors);
            self.opt.restore(&self.opt_backup);
            if singular {
                return Then::End(Termination::Diverged);
            }
            return self.roll_back_or_diverge();
        }
        self.have_backup = true;
        self.flow_time += self.h;
        if let (Some(c), Some(step)) = (self.covariance.as_mut(), self.low_rank.as_ref()) {
            c.after_step(self.fam, &self.backup, step);
        }
        if step_control && self.osc.record(&self.backup, &self.theta) && !self.averaging {
            self.h *= 0.5;
            self.calm = false;
        }
        self.t += 1;
        Then::Proceed
    }

    /// Factors the proposed θ: by a low-rank update of the backup's
    /// factors when the step allows it, else from scratch.
    fn refactor(&mut self) -> bool {
        match self.low_rank.as_mut() {
            Some(step) => {
                self.factors
                    .update_low_rank(&self.backup_factors, &self.backup, &self.theta, step)
            }
            None => self.factors.prepare(&self.theta),
        }
    }

    /// Whether the proposed step shrinks or stretches a scale too much.
    fn degenerates(&mut self) -> bool {
        match self.low_rank.as_mut() {
            Some(step) if step.valid => ShrinkCheck::degenerates_low_rank(step),
            _ => self
                .shrink
                .degenerates(self.fam, &self.backup, &self.backup_factors, &self.theta),
        }
    }

    /// θ ← the update rule's step of size h from the backup (FB-GVI) or
    /// along the direction (Euler, Adam).
    fn update(&mut self) {
        match self.fb.as_mut() {
            Some(w) => fbgvi::apply(self.fam, &self.backup, self.h, &mut self.theta, w),
            None => self.opt.step(&mut self.theta, &self.dir, self.h),
        }
    }
}
