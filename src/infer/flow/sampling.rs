//! Filling a batch of Monte Carlo samples at the current q and the
//! low-variance ELBO of the stopping rule.

use crate::infer::Target;
use crate::infer::batch::Batch;
use crate::infer::choices::Divergence;
use crate::infer::divergence::Objective;
use crate::infer::family::{Factors, Family};
use crate::random::stream;
use rand::RngExt;
use rand_distr::StandardNormal;

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

/// Low-variance ELBO with the run's fixed evaluation draws, and the
/// objective `divergence` minimises from the same draws (−ELBO for KL).
pub(crate) fn elbo_eval<T: Target>(
    batch: &mut Batch<'_, T>,
    fam: Family,
    theta: &[f64],
    factors: &Factors,
    n_per: usize,
    position: [u64; 4],
    divergence: Divergence,
) -> (f64, Objective) {
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
    let e = if e.is_nan() { f64::NEG_INFINITY } else { e };
    let objective = if divergence.is_kl() {
        Objective { value: -e, se: 0.0 }
    } else {
        divergence.objective(
            n_per * fam.components(),
            |i| {
                let s = batch.get(i);
                s.logp - s.logq
            },
            |i| batch.get(i).logq,
            |i| factors.weight(i / n_per) / n_per as f64,
        )
    };
    (e, objective)
}

pub(crate) fn batch_is_finite<T: Target>(batch: &Batch<'_, T>, hessians: bool) -> bool {
    (0..batch.len()).all(|i| {
        let s = batch.get(i);
        s.logp.is_finite()
            && s.gradp.iter().all(|v| v.is_finite())
            && (!hessians || s.hess.iter().all(|v| v.is_finite()))
    })
}
