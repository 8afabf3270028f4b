//! Draws from q and their importance weights: the numbers behind a fit's
//! diagnostics (handed to [`crate::diagnose`]) and the PSIS-resampled
//! output draws.
//!
//! Draw i of a diagnosis uses stream (seed, DIAG, i), so the same draws
//! serve every restart (common random numbers), and the output draws can be
//! resampled from the very proposals the diagnostics were computed from.

use super::batch::Batch;
use super::choices::Divergence;
use super::divergence::Objective;
use super::family::{Approximation, Factors, Family, pick};
use super::{Target, streams};
use crate::diagnose::{self, Diagnostics, psis};
use crate::random::stream;
use rand::RngExt;
use rand_distr::StandardNormal;

/// The draws from q behind a fit's diagnostics, kept so that the output
/// draws can be resampled from them without evaluating the model again.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposals {
    /// The seed they were drawn with (stream (seed, DIAG, i) for draw i).
    pub seed: u64,
    /// Unconstrained points, row-major `n × d`.
    pub x: Vec<f64>,
    /// log π̃(x) − log q(x), −∞ where log π̃ is not finite.
    pub log_weights: Vec<f64>,
}

/// Draws `n` points from q into the batch with log π̃ and log q; false when
/// the approximation is not usable.
fn draw<T: Target>(batch: &mut Batch<'_, T>, approx: &Approximation, n: usize, seed: u64) -> bool {
    let Ok((fam, theta, factors)) = approx.prepared() else {
        return false;
    };
    let weights: Vec<f64> = (0..fam.components()).map(|k| factors.weight(k)).collect();
    batch.run(n, |i, target, ws, s| {
        let mut rng = stream(seed, &[streams::DIAG, i as u64]);
        let k = if weights.len() > 1 {
            pick(&weights, rng.random())
        } else {
            0
        };
        for e in s.eps.iter_mut() {
            *e = rng.sample(StandardNormal);
        }
        factors.transform(&theta, k, s.eps, s.x);
        *s.logp = target.log_density(ws, s.x);
        *s.logq = factors.log_q_score(&theta, k, s.eps, s.x, s.score, s.scratch);
    });
    true
}

/// The first `n` draws of the batch as points, log π̃ and log weights.
fn collect<T: Target>(batch: &Batch<'_, T>, n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut x = Vec::with_capacity(n * batch.target().dim());
    let mut log_p = Vec::with_capacity(n);
    let mut log_weights = Vec::with_capacity(n);
    for i in 0..n {
        let s = batch.get(i);
        x.extend_from_slice(s.x);
        log_p.push(s.logp);
        log_weights.push(diagnose::log_weight(s.logp, s.logq));
    }
    (x, log_p, log_weights)
}

/// The diagnostics of `approx` from `n` draws (normally
/// [`diagnose::proposals`] of the output draws), those draws, and the
/// objective `divergence` minimises estimated from them (−ELBO for KL; see
/// [`Divergence::objective`]).
pub(crate) fn evaluate<T: Target>(
    batch: &mut Batch<'_, T>,
    approx: &Approximation,
    n: usize,
    seed: u64,
    divergence: Divergence,
) -> (Diagnostics, Option<Proposals>, Objective) {
    let none = Objective {
        value: f64::NAN,
        se: f64::NAN,
    };
    if n == 0 || !draw(batch, approx, n, seed) {
        return (Diagnostics::unavailable(), None, none);
    }
    let (x, log_p, log_weights) = collect(batch, n);
    let mut diagnostics = Diagnostics::from_draws(
        &log_p,
        &log_weights,
        approx.entropy(),
        divergence.is_mass_covering(),
    );
    diagnostics.weight_shift = diagnose::shift::weight_shift(&x, &log_weights);
    let objective = if divergence.is_kl() {
        Objective {
            value: -diagnostics.elbo,
            se: diagnostics.elbo_se,
        }
    } else {
        // log q = log π̃ − log w where both are finite; a draw where π̃ is
        // zero has weight 0 and its log q is not used
        divergence.objective(
            n,
            |i| log_weights[i],
            |i| {
                let lq = log_p[i] - log_weights[i];
                if lq.is_finite() { lq } else { 0.0 }
            },
            |_| 1.0 / n as f64,
        )
    };
    let kept = Proposals {
        seed,
        x,
        log_weights,
    };
    (diagnostics, Some(kept), objective)
}

/// Diagnoses a given approximation against a target (e.g. one read from a
/// fit file) from [`diagnose::proposals`]`(draws)` draws;
/// `mass_covering` adds the CUBO.
pub fn diagnose<T: Target>(
    target: &T,
    approx: &Approximation,
    draws: usize,
    seed: u64,
    threads: usize,
    mass_covering: bool,
) -> Result<Diagnostics, String> {
    let (fam, _, _) = approx.prepared()?;
    if fam.d != target.dim() {
        return Err(format!(
            "the approximation has dimension {} but the model has {}",
            fam.d,
            target.dim()
        ));
    }
    let mut batch = batch_for(target, fam, draws, threads)?;
    let divergence = if mass_covering {
        Divergence::Fkl
    } else {
        Divergence::Kl
    };
    Ok(evaluate(
        &mut batch,
        approx,
        diagnose::proposals(draws),
        seed,
        divergence,
    )
    .0)
}

/// Buffers for `draws` draws of the family `fam` on `threads` threads.
fn batch_for<T: Target>(
    target: &T,
    fam: Family,
    draws: usize,
    threads: usize,
) -> Result<Batch<'_, T>, String> {
    Batch::new(
        target,
        threads.max(1),
        draws,
        Factors::scratch_len(fam),
        false,
    )
}

/// Draws from q resampled by their Pareto-smoothed importance weights
/// (PSIS-corrected draws), row-major `n_out × d`, with the k̂ of the
/// `draws` proposals they come from.
pub fn psis_resample<T: Target>(
    target: &T,
    approx: &Approximation,
    draws: usize,
    n_out: usize,
    seed: u64,
    threads: usize,
) -> Result<(Vec<f64>, Option<f64>), String> {
    let (fam, _, _) = approx.prepared()?;
    if fam.d != target.dim() {
        return Err("the approximation and the model have different dimensions".into());
    }
    let mut batch = batch_for(target, fam, draws, threads)?;
    draw(&mut batch, approx, draws, seed);
    let (x, _, log_weights) = collect(&batch, draws);
    resample(
        &Proposals {
            seed,
            x,
            log_weights,
        },
        n_out,
    )
}

/// `n_out` draws resampled from `proposals` by their Pareto-smoothed
/// importance weights (row-major `n_out × d`), with their k̂.
pub fn resample(proposals: &Proposals, n_out: usize) -> Result<(Vec<f64>, Option<f64>), String> {
    let draws = proposals.log_weights.len();
    if draws == 0 || proposals.x.len() % draws != 0 {
        return Err("no proposals to resample from".into());
    }
    let d = proposals.x.len() / draws;
    let p = psis::psis(&proposals.log_weights);
    if !p.log_weights.iter().any(|v| v.is_finite()) {
        return Err("every draw from the approximation has zero importance weight".into());
    }
    let offset: f64 = stream(proposals.seed, &[streams::RESAMPLE]).random::<f64>();
    let mut out = Vec::with_capacity(n_out * d);
    for i in systematic(&p.log_weights, n_out, offset) {
        out.extend_from_slice(&proposals.x[i * d..(i + 1) * d]);
    }
    Ok((out, p.khat))
}

/// Systematic resampling: one uniform `offset` and `n_out` evenly spaced
/// points, so each proposal is kept ⌊n_out·w⌋ or ⌈n_out·w⌉ times; the
/// summaries of the output carry far less resampling noise than with
/// independent multinomial picks. Returns the indices picked.
fn systematic(log_weights: &[f64], n_out: usize, offset: f64) -> impl Iterator<Item = usize> {
    let cum: Vec<f64> = log_weights
        .iter()
        .scan(0.0, |acc, v| {
            *acc += v.exp();
            Some(*acc)
        })
        .collect();
    let total = *cum.last().unwrap_or(&1.0);
    let last = log_weights.len() - 1;
    (0..n_out).map(move |j| {
        let u = (j as f64 + offset) / n_out as f64 * total;
        cum.partition_point(|&c| c <= u).min(last)
    })
}
