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
//! coordinates. With [`Precondition::Adaptive`] the map is reset to the
//! current q at every check of the optimisation phase (the step's direction
//! is carried over to the new coordinates exactly: a gradient transforms by
//! S_zᵀ); the averaging window keeps one map, so its average is an average
//! in the model's coordinates too. Windows start at `eval_every` and double
//! (up to `MAX_WINDOW`) when the natural-gradient rule finds the window
//! average too noisy to decide.

use super::batch::Batch;
use super::config::{Algorithm, FitConfig, HessianEstimate, MAX_WINDOW, Precondition};
use super::estimator::{self, BatchSummary, Scaling, Settings};
use super::family::{Factors, Family, Param};
use super::fbgvi::{self, FbWork};
use super::iterates::{Checkpoint, IterateAverage};
use super::optimizer::OptState;
use super::precondition::{Affine, Map};
use super::result::{Control, IterationInfo, Observer, Phase, Termination, TraceEntry};
use super::step_control::{Oscillation, ShrinkCheck};
use super::stopping::{NaturalGradient, RelativeElbo, Window};
use super::{Target, streams};
use crate::random::stream;
use rand::RngExt;
use rand_distr::StandardNormal;

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

/// Fills a batch at θ: noise from stream (seed, purpose, restart, batch, i),
/// x, log π̃ (with gradient and, if asked, Hessian), log q and its score.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sample_batch<T: Target>(
    batch: &mut Batch<'_, T>,
    fam: Family,
    theta: &[f64],
    factors: &Factors,
    n_per: usize,
    position: [u64; 4],
    gradients: bool,
    hessians: bool,
) {
    let n = n_per * fam.components();
    batch.run(n, |i, target, ws, s| {
        let k = i / n_per;
        let mut rng = stream(
            position[0],
            &[position[1], position[2], position[3], i as u64],
        );
        for e in s.eps.iter_mut() {
            *e = rng.sample(StandardNormal);
        }
        factors.transform(theta, k, s.eps, s.x);
        *s.logp = if gradients {
            target.log_density_and_gradient(ws, s.x, s.gradp)
        } else {
            target.log_density(ws, s.x)
        };
        if hessians {
            target.hessian(ws, s.x, s.hess);
        }
        *s.logq = factors.log_q_score(theta, k, s.eps, s.x, s.score, s.scratch);
    });
}

/// Low-variance ELBO with the run's fixed evaluation draws.
pub(crate) fn elbo_eval<T: Target>(
    batch: &mut Batch<'_, T>,
    fam: Family,
    theta: &[f64],
    factors: &Factors,
    n_per: usize,
    position: [u64; 4],
) -> f64 {
    sample_batch(batch, fam, theta, factors, n_per, position, false, false);
    let mut elbo = 0.0;
    let entropy = factors.entropy();
    for k in 0..fam.components() {
        let mut m = 0.0;
        for j in 0..n_per {
            let s = batch.get(k * n_per + j);
            m += if entropy.is_some() {
                s.logp
            } else {
                s.logp - s.logq
            };
        }
        elbo += factors.weight(k) * m / n_per as f64;
    }
    let e = elbo + entropy.unwrap_or(0.0);
    if e.is_nan() { f64::NEG_INFINITY } else { e }
}

fn batch_is_finite<T: Target>(batch: &Batch<'_, T>, hessians: bool) -> bool {
    (0..batch.len()).all(|i| {
        let s = batch.get(i);
        s.logp.is_finite()
            && s.gradp.iter().all(|v| v.is_finite())
            && (!hessians || s.hess.iter().all(|v| v.is_finite()))
    })
}

/// Resets the map to the current q: with θ = (μ_z, S_z) in the coordinates
/// of `map`, the new map is x = (m + L μ_z) + (L S_z) z', θ becomes
/// (0, I), and the batch direction `dir` taken at θ becomes S_zᵀ dir (s_z ⊙
/// dir for a diagonal scale), the same gradient in the new coordinates.
/// False (nothing changed) when the new map would be singular.
fn rewhiten(
    fam: Family,
    theta: &mut [f64],
    map: &mut Map,
    dir: &mut [f64],
    tmp: &mut [f64],
) -> bool {
    let d = fam.d;
    let mut m = vec![0.0; d];
    map.forward(&theta[..d], &mut m);
    let sz = &theta[d..];
    let new = match fam.param {
        Param::Diag => {
            let l: Vec<f64> = (0..d)
                .map(|i| {
                    if map.is_identity() {
                        sz[i]
                    } else {
                        map.l[i] * sz[i]
                    }
                })
                .collect();
            Map::diag(m, l)
        }
        Param::Dense => {
            let l = if map.is_identity() {
                sz[..d * d].to_vec()
            } else {
                let mut l = vec![0.0; d * d];
                super::linalg::mat_mul(&map.l, &sz[..d * d], &mut l, d);
                l
            };
            Map::dense(m, l)
        }
        _ => None,
    };
    let Some(new) = new else {
        return false;
    };
    match fam.param {
        Param::Diag => {
            for i in 0..d {
                dir[i] *= sz[i];
                dir[d + i] *= sz[i];
            }
        }
        _ => {
            let mut v = vec![0.0; d];
            for j in 0..d {
                v[j] = (0..d).map(|i| sz[i * d + j] * dir[i]).sum();
            }
            dir[..d].copy_from_slice(&v);
            let dd = &dir[d..d + d * d];
            tmp[..d * d].fill(0.0);
            for i in 0..d {
                for a in 0..d {
                    let sia = sz[i * d + a];
                    for b in 0..d {
                        tmp[a * d + b] += sia * dd[i * d + b];
                    }
                }
            }
            dir[d..d + d * d].copy_from_slice(&tmp[..d * d]);
        }
    }
    theta.fill(0.0);
    match fam.param {
        Param::Diag => theta[d..2 * d].fill(1.0),
        _ => {
            for i in 0..d {
                theta[d + i * d + i] = 1.0;
            }
        }
    }
    *map = new;
    true
}

/// Rollbacks to the last checkpoint before a run is declared diverged.
const MAX_ROLLBACKS: usize = 4;
/// The step after a rollback, relative to the checkpoint's.
const ROLLBACK_SHRINK: f64 = 0.25;

/// Runs `bw` or `fbgvi` from θ₀ (in the coordinates of the batch's map);
/// the returned θ is in the model's coordinates.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<T: Target>(
    batch: &mut Batch<'_, Affine<'_, T>>,
    config: &FitConfig,
    fam: Family,
    theta0: Vec<f64>,
    h0: f64,
    e_every: usize,
    restart: usize,
    observer: &mut dyn Observer,
) -> RunOutcome {
    let affine = batch.target();
    let mut map = affine.map();
    let adaptive = config.resolved_precondition() == Precondition::Adaptive
        && matches!(fam.param, Param::Dense | Param::Diag);
    let d = fam.d;
    let np = fam.n_params();
    let n_per = config.resolved_samples();
    let n_total = n_per * fam.components();
    let iters = config.iters;
    let fb = config.algorithm == Algorithm::Fbgvi;
    let stein = fb
        && match config.hessian {
            HessianEstimate::Stein => true,
            HessianEstimate::Exact => false,
            HessianEstimate::Auto => d > 100,
        };
    let exact_hess = fb && !stein;
    let settings = Settings {
        divergence: config.divergence,
        estimator: config.estimator,
        scaling: if config.divergence.is_kl() {
            Scaling::Raw
        } else if config.self_normalize {
            Scaling::SelfNormalized
        } else {
            Scaling::Normalized
        },
        wfr: config.wfr,
    };
    let seed = config.seed;
    let r = restart as u64;

    let mut out = RunOutcome {
        theta: Vec::new(),
        termination: Termination::MaxIterations,
        iterations: 0,
        grad_evals: 0,
        density_evals: 0,
        trace: Vec::with_capacity(iters.min(100_000)),
        warnings: Vec::new(),
        rescued: false,
        step_rejections: 0,
        initial_step: h0,
        final_step: h0,
    };
    let mut theta = theta0;
    let mut factors = Factors::new(fam);
    if !factors.prepare(&theta) {
        out.termination = Termination::Diverged;
        out.warnings
            .push("the initial scale matrix is singular; nothing was fitted".into());
        out.theta = theta;
        return out;
    }
    let mut backup = theta.clone();
    let mut backup_factors = factors.clone();
    let mut have_backup = false;
    let mut opt = OptState::new(config.optimizer, np);
    let mut opt_backup = opt.clone();
    let mut dir = vec![0.0; np];
    let mut work = vec![0.0; d * d + d + fam.components()];
    let mut flat = vec![0.0; np];
    let mut avg = IterateAverage::new(fam);
    let mut averaging = false;
    let mut window = e_every;
    let mut avg_window = window.min((iters / 2).max(1));
    let mut last_check = 0usize;
    let mut natural = config
        .grad_tol
        .map(|tol| NaturalGradient::new(fam, tol, config.wfr));
    let mut xtheta = vec![0.0; np];
    let mut calm = true;
    let mut map_tmp = vec![0.0; d * d + d];
    let mut shrink = ShrinkCheck::new(d);
    let mut osc = Oscillation::new(np);
    let mut fbw = if fb { Some(FbWork::new(d)) } else { None };
    let mut log_norm: Option<f64> = None;
    let mut rule = RelativeElbo::new(config.tol, iters, e_every, false);
    let elbo_pos = [seed, streams::ELBO, r, 0];
    let mut h = h0;
    let h_floor = h0 * 1e-10;
    // The largest step a calm window may grow back to; lowered by a rollback.
    let mut h_cap = h0;
    let mut checkpoint: Option<Checkpoint> = None;
    let mut rollbacks = 0usize;
    let mut prev: Option<BatchSummary> = None;
    let mut batch_id = 0u64;
    let mut low_ess = 0usize;
    let mut initial_shrinks = 0;
    let mut converged = false;
    let elbo_n = config.elbo_samples;

    let e0 = elbo_eval(batch, fam, &theta, &factors, elbo_n, elbo_pos);
    out.density_evals += elbo_n * fam.components();
    rule.push(e0);
    let mut t = 0usize;
    // Back to the checkpoint with a quarter of its step, the run going on
    // from there; falls through when there is none (left) to go back to.
    macro_rules! roll_back_or_fall_through {
        () => {
            if rollbacks < MAX_ROLLBACKS
                && let Some(c) = checkpoint.as_ref()
            {
                rollbacks += 1;
                out.step_rejections += 1;
                c.restore(&mut theta, &mut factors, &mut map, affine, &mut opt);
                (t, last_check, h) = (c.t, c.t, c.h * ROLLBACK_SHRINK);
                h_cap = h;
                out.trace.retain(|e| e.iteration < c.t);
                if let Some(ng) = natural.as_mut() {
                    ng.close(false);
                }
                (averaging, converged) = (false, false);
                avg.clear();
                (prev, have_backup, calm) = (None, false, false);
                osc.reset();
                continue;
            }
        };
    }
    loop {
        if t >= iters {
            break;
        }
        if !averaging && t + avg_window >= iters {
            averaging = true;
            avg_window = window.min((iters / 2).max(1));
        }
        batch_id += 1;
        sample_batch(
            batch,
            fam,
            &theta,
            &factors,
            n_per,
            [seed, streams::TRAIN, r, batch_id],
            true,
            exact_hess,
        );
        out.grad_evals += n_total * if exact_hess { 1 + d } else { 1 };
        let finite = batch_is_finite(batch, exact_hess);
        let summary = if finite {
            estimator::reduce(
                fam,
                &theta,
                &factors,
                n_total,
                n_per,
                |i| batch.get(i),
                |_| 1.0 / n_per as f64,
                &settings,
                &mut log_norm,
                &mut dir,
                &mut work,
            )
        } else {
            BatchSummary::default()
        };
        if finite && let Some(w) = fbw.as_mut() {
            fbgvi::gather(&factors, batch, n_total, stein, w);
        }
        let collapsed = config.step_control
            && match prev {
                // The new estimate's own standard error counts at most 3× the
                // previous one: a degenerate state has a huge one of its own.
                Some(p) if finite => {
                    let se_new = summary.elbo_se.min(3.0 * p.elbo_se);
                    let se = (p.elbo_se.powi(2) + se_new.powi(2)).sqrt();
                    !(summary.elbo >= p.elbo - (5.0 * se + 1.0 + 0.01 * p.elbo.abs()))
                }
                _ => false,
            };
        if !finite && !config.step_control {
            // θ_t is not accepted; the run ends at θ_{t−1}.
            if have_backup {
                theta.copy_from_slice(&backup);
                factors.copy_from(&backup_factors);
            }
            out.termination = Termination::Diverged;
            break;
        }
        if !finite || collapsed {
            if have_backup {
                // Undo the last step.
                if averaging && avg.count > 0 {
                    avg.add(&backup, -1.0);
                }
                theta.copy_from_slice(&backup);
                factors.copy_from(&backup_factors);
                opt.restore(&opt_backup);
                have_backup = false;
                prev = None;
                osc.reset();
                h *= 0.5;
                calm = false;
                // Non-finite values mean the run left the posterior's
                // support: the user must hear of it. A finite ELBO drop is
                // a step too long for the current curvature (often the
                // first steps from the default h = ½ on a small data set),
                // undone like a rejected step.
                if finite {
                    out.step_rejections += 1;
                } else {
                    out.rescued = true;
                }
                t = t.saturating_sub(1);
                out.trace.pop();
                if h < h_floor {
                    roll_back_or_fall_through!();
                    out.termination = Termination::Diverged;
                    break;
                }
                continue;
            }
            if !finite {
                // The initial q reaches where the density is not finite:
                // narrow it.
                initial_shrinks += 1;
                if initial_shrinks > 30 {
                    out.termination = Termination::Diverged;
                    out.warnings.push(
                        "the log density is not finite at draws from the initial q, even after \
                         narrowing it 30 times"
                            .into(),
                    );
                    break;
                }
                for k in 0..fam.components() {
                    let so = fam.scale_offset(k);
                    for v in &mut theta[so..so + fam.scale_len()] {
                        *v *= 0.5;
                    }
                }
                factors.prepare(&theta);
                out.rescued = true;
                continue;
            }
        }
        // θ_t is accepted.
        if averaging {
            avg.add(&theta, 1.0);
        }
        if !config.divergence.is_kl() && n_total >= 4 && summary.ess < 2.0 {
            low_ess += 1;
        }
        if let Some(ng) = natural.as_mut() {
            ng.add(fam, &theta, &factors, &dir);
        }
        let mut elbo_eval_now = None;
        let mut fired = false;
        let mut check = false;
        if t > 0 && t - last_check >= window {
            check = true;
            last_check = t;
            let e = elbo_eval(batch, fam, &theta, &factors, elbo_n, elbo_pos);
            out.density_evals += elbo_n * fam.components();
            elbo_eval_now = Some(e);
            fired = rule.push(e);
            if let Some(ng) = natural.as_mut() {
                let verdict = ng.close(window >= MAX_WINDOW);
                if !averaging && verdict == Window::Noisy && window < MAX_WINDOW {
                    window = (2 * window).min(MAX_WINDOW);
                }
                // The natural-gradient rule replaces Stan's: a relative
                // ELBO change is either too lax (large |ELBO|) or below the
                // jitter of a converged q (ELBO near 0); see `stopping`.
                fired = verdict == Window::Pass;
            }
        }
        map.to_outer(fam, &theta, &mut xtheta, &mut map_tmp);
        fam.flat_parameters(&xtheta, &mut flat);
        let phase = if averaging {
            Phase::Averaging
        } else {
            Phase::Optimization
        };
        let info = IterationInfo {
            restart,
            iteration: t,
            max_iterations: iters,
            phase,
            elbo: summary.elbo,
            elbo_se: summary.elbo_se,
            elbo_eval: elbo_eval_now,
            step: h,
            ess: summary.ess,
            grad_evals: out.grad_evals,
            parameters: &flat,
        };
        let control = observer.iteration(&info);
        out.trace.push(TraceEntry {
            iteration: t,
            elbo: summary.elbo,
            elbo_eval: elbo_eval_now,
            step: h,
            ess: summary.ess,
        });
        if control == Control::Stop {
            out.termination = Termination::Interrupted;
            break;
        }
        if averaging && avg.count >= avg_window {
            out.termination = if converged {
                Termination::Converged
            } else {
                Termination::MaxIterations
            };
            break;
        }
        if fired && !averaging {
            averaging = true;
            converged = true;
            avg_window = window.min((iters / 2).max(1));
        }
        if check && !averaging {
            // A window without any rejection, collapse or oscillation lets
            // the step grow back towards h₀: one bad region (a funnel's
            // neck, an early overshoot) must not slow the rest of the run.
            if calm && h < h_cap {
                h = (2.0 * h).min(h_cap);
            }
            calm = true;
        }
        if check
            && adaptive
            && !averaging
            && rewhiten(fam, &mut theta, &mut map, &mut dir, &mut work)
        {
            affine.set(map.clone());
            factors.prepare(&theta);
            osc.reset();
        }
        if check && !averaging && config.step_control {
            // A state to come back to if the flow later blows up (a funnel
            // whose curvature grows as q spreads into it can take a run from
            // a good q to a degenerate one within a few accepted steps, each
            // no worse than the previous by more than its noise). Not taken
            // from a state whose ELBO already fell well below the last
            // checkpoint's.
            if let Some(e) = elbo_eval_now.filter(|e| e.is_finite()) {
                let fell = checkpoint
                    .as_ref()
                    .is_some_and(|c| e < c.elbo - (2.0 + 0.05 * c.elbo.abs()));
                if !fell {
                    let c = checkpoint.get_or_insert_with(|| Checkpoint::new(&theta, &factors));
                    c.save(&theta, &factors, &map, &opt, t, e, h);
                }
            }
        }
        prev = Some(summary);
        // Propose θ_{t+1}; shrink h until the step is acceptable.
        backup.copy_from_slice(&theta);
        backup_factors.copy_from(&factors);
        opt_backup.restore(&opt);
        let mut singular = false;
        loop {
            if let Some(w) = fbw.as_mut() {
                fbgvi::apply(fam, &backup, h, &mut theta, w);
            } else {
                opt.step(&mut theta, &dir, h);
            }
            let ok = factors.prepare(&theta)
                && (!config.step_control
                    || !shrink.degenerates(fam, &backup, &backup_factors, &theta));
            if ok {
                break;
            }
            if !config.step_control {
                singular = true;
                break;
            }
            theta.copy_from_slice(&backup);
            opt.restore(&opt_backup);
            h *= 0.5;
            calm = false;
            out.step_rejections += 1;
            if h < h_floor {
                break;
            }
        }
        if singular || h < h_floor {
            theta.copy_from_slice(&backup);
            factors.copy_from(&backup_factors);
            opt.restore(&opt_backup);
            if !singular {
                roll_back_or_fall_through!();
            }
            out.termination = Termination::Diverged;
            break;
        }
        have_backup = true;
        if config.step_control && osc.record(&backup, &theta) && !averaging {
            h *= 0.5;
            calm = false;
        }
        t += 1;
    }
    if out.termination == Termination::MaxIterations && converged {
        out.termination = Termination::Converged;
    }
    out.iterations = t;
    out.final_step = h;
    if out.termination == Termination::Diverged && !config.step_control {
        out.warnings.push(format!(
            "with step control off, the step {h} led to a non-finite or degenerate q at \
             iteration {t}; the last finite q is returned (use a smaller --step)"
        ));
    } else if out.termination == Termination::Diverged {
        out.warnings.push(format!(
            "step control could not find a stable step (h fell below {h_floor:.3e}); the last \
             finite q is returned"
        ));
    }
    if low_ess > 0 && low_ess * 5 > t.max(1) {
        out.warnings.push(format!(
            "the {} weights had an effective sample size below 2 in {low_ess} of {t} \
             iterations: each step rests on about one sample; use more --samples, \
             --self-normalize, or a divergence with a smaller power (hellinger, alpha:A with \
             A ≤ 0.5)",
            config.divergence
        ));
    }
    // Return the window average when there is one and it is a valid q.
    let mut last = theta;
    if out.termination != Termination::Diverged
        && let Some(a) = avg.average()
    {
        last = a;
    }
    out.theta = vec![0.0; np];
    map.to_outer(fam, &last, &mut out.theta, &mut map_tmp);
    out
}
