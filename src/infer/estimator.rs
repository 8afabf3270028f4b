//! From evaluated samples to an ascent direction: the path-derivative
//! (sticking-the-landing) estimator reweighted for f-divergences, and the
//! reparameterization estimator with closed-form entropy (algorithms.md
//! §3.3, §4, §5).
//!
//! Per sample x = μ_k + S_k ε with r = π̃/q (q's parameters frozen) and
//! g = ∇log π̃ − ∇log q, the direction is ω(r)·g for the mean and ω(r)·g εᵀ
//! for the scale; mixture logits get w_j (h̄_j − Σ_k w_k h̄_k) with
//! h = r f′(r) − f(r).
//!
//! Weights are formed in log space, per batch, with nothing carried over
//! from earlier batches. For power weights ω = c·r^α the absolute scale
//! carries Z^α (Z the unknown normaliser of π̃) and is meaningless; only
//! the ratios ω_i/ω_j = (r_i/r_j)^α are. The flow uses one of:
//!
//! - [`Scaling::SelfNormalized`] (the flow's, for every divergence but KL): ω̃_i =
//!   r_i^α / Ê_q[r^α], the weights divided by their own (stratified) batch
//!   mean, so their mean is exactly 1 whatever α, Z or the spread of log r.
//!   The direction is then a weighted average of per-sample directions of
//!   the same size as a KL direction, so a step h means the same for every
//!   divergence, and its whitened form is the natural gradient (see
//!   `stopping`). It is the path-derivative gradient of the Rényi bound,
//!   consistent with bias O(1/n): for forward KL from one Gaussian to a
//!   three-component mixture the fixed point's sd was 0.3 % narrow with 16
//!   samples and within 0.1 % with 64 (long runs, 24 seeds). Weights
//!   normalised without the sample itself (leave-one-out) give an unbiased
//!   fixed point, but one sample can then weigh far more than n: on a 10-d
//!   Student-t product they blew up at a step (0.03, no step control) that
//!   per-batch normalisation survived. Pareto-smoothing each batch made the
//!   heavy-tailed fits there narrower still. Neither is used.
//! - [`Scaling::Raw`]: ω = c·r^α as in algorithms.md §5.3, for exact
//!   expectations on caller-given nodes.
//!
//! Self-normalisation shifts by max_j α log r_j (the largest r for α > 0,
//! the smallest for α < 0) before exponentiating, so every term of the
//! batch sum is at most 1 and the largest is exactly 1: nothing overflows,
//! and the batch is never all zeros, whatever the sign of α or the spread of
//! log r. (A per-batch scale instead of a running one: a scale carried over
//! from earlier batches is stale after one batch with a large ratio, and
//! the weights that follow can be e^-10 … e^-70 for hundreds of
//! iterations, which stalls the flow.)
//!
//! The public functions evaluate the same kernels on caller-given noise and
//! weights, e.g. Gauss–Hermite nodes for exact expectations.

use super::Target;
use super::batch::SampleRef;
use super::choices::{Divergence, Estimator};
use super::divergence::Objective;
use super::family::{
    Approximation, Factors, Family, Param, accumulate, add_entropy_gradient, precondition_low_rank,
};

/// How per-sample weights are scaled (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scaling {
    /// ω(r) exactly as in the table of algorithms.md §5.3 (no shift): the
    /// expectation is −∇D_f of the target as given.
    Raw,
    /// The (stratified) batch mean of the weights is 1.
    SelfNormalized,
}

pub(crate) struct Settings {
    pub divergence: Divergence,
    pub estimator: Estimator,
    pub scaling: Scaling,
    pub wfr: bool,
    /// The low-rank family's direction is preconditioned by q's covariance
    /// (see `family::diag_low_rank`); false for the other families and for
    /// exact expectations of the plain gradient.
    pub precondition_low_rank: bool,
}

/// What a batch says about the current q besides the direction.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BatchSummary {
    /// ELBO estimate (closed-form entropy for Gaussians).
    pub elbo: f64,
    pub elbo_se: f64,
    /// Effective sample size of the weights the step used.
    pub ess: f64,
    /// The objective being minimised (−ELBO for KL), see
    /// [`Divergence::objective`].
    pub objective: Objective,
}

/// Forms the ascent direction in θ-space from `n_total` samples, `n_per`
/// per component (sample i belongs to component i / n_per), with base
/// weights `base(i)` that sum to one within each component. `work` has
/// length ≥ d² + d + K.
#[allow(clippy::too_many_arguments)]
pub(crate) fn reduce<'a>(
    fam: Family,
    theta: &[f64],
    factors: &Factors,
    n_total: usize,
    n_per: usize,
    get: impl Fn(usize) -> SampleRef<'a>,
    base: impl Fn(usize) -> f64,
    settings: &Settings,
    dir: &mut [f64],
    work: &mut [f64],
) -> BatchSummary {
    let d = fam.d;
    let kk = fam.components();
    dir.fill(0.0);
    let (elbo, elbo_se) = elbo_and_se(factors, kk, n_per, &get, &base);
    let weights = ParticleWeights::new(settings, factors, n_total, n_per, &get, &base);
    let rep = settings.estimator == Estimator::Rep;
    let (g, hb) = work.split_at_mut(d);
    let mut sum_u = 0.0;
    let mut sum_u2 = 0.0;
    let mut hbar_weighted = 0.0;
    for k in 0..kk {
        let wk = factors.weight(k);
        let pik = if kk > 1 && !settings.wfr { wk } else { 1.0 };
        let mut hbar = 0.0;
        for j in 0..n_per {
            let i = k * n_per + j;
            let s = get(i);
            let lr = s.logp - s.logq;
            let b = base(i);
            if rep {
                g.copy_from_slice(s.gradp);
                accumulate(fam, theta, k, b, g, s.eps, dir);
                sum_u += b;
                sum_u2 += b * b;
            } else {
                let w = weights.omega(lr);
                for t in 0..d {
                    g[t] = s.gradp[t] - s.score[t];
                }
                accumulate(fam, theta, k, pik * b * w, g, s.eps, dir);
                let u = wk * b * w;
                sum_u += u;
                sum_u2 += u * u;
            }
            if kk > 1 {
                hbar += b * weights.h(lr);
            }
        }
        if kk > 1 {
            hb[k] = hbar;
            hbar_weighted += wk * hbar;
        }
    }
    if kk > 1 {
        for j in 0..kk {
            let rho = if settings.wfr { 1.0 } else { factors.weight(j) };
            dir[j] = rho * (hb[j] - hbar_weighted);
        }
    }
    if rep {
        add_entropy_gradient(factors, theta, 1.0, dir, work);
    }
    if settings.precondition_low_rank {
        precondition_low_rank(factors, theta, dir, work);
    }
    let ess = if sum_u2 > 0.0 {
        sum_u * sum_u / sum_u2
    } else {
        0.0
    };
    let objective = if settings.divergence.is_kl() {
        Objective {
            value: -elbo,
            se: elbo_se,
        }
    } else {
        settings.divergence.objective(
            n_total,
            |i| {
                let s = get(i);
                s.logp - s.logq
            },
            |i| get(i).logq,
            |i| factors.weight(i / n_per.max(1)) * base(i),
        )
    };
    BatchSummary {
        elbo,
        elbo_se,
        ess,
        objective,
    }
}

/// The batch's ELBO estimate (closed-form entropy for Gaussians) and its
/// standard error, stratified by component.
fn elbo_and_se<'a>(
    factors: &Factors,
    kk: usize,
    n_per: usize,
    get: &impl Fn(usize) -> SampleRef<'a>,
    base: &impl Fn(usize) -> f64,
) -> (f64, f64) {
    let mut elbo = 0.0;
    let mut var = 0.0;
    let entropy = factors.entropy();
    for k in 0..kk {
        let (mut m, mut m2) = (0.0, 0.0);
        for j in 0..n_per {
            let i = k * n_per + j;
            let s = get(i);
            let v = if entropy.is_some() {
                s.logp
            } else {
                s.logp - s.logq
            };
            let b = base(i);
            m += b * v;
            m2 += b * v * v;
        }
        let wk = factors.weight(k);
        elbo += wk * m;
        var += wk * wk * (m2 - m * m).max(0.0) / n_per.max(1) as f64;
    }
    if let Some(h) = entropy {
        elbo += h;
    }
    (elbo, var.sqrt())
}

/// The particle weights of one batch: ω̃(r) = coef · exp(α log r − offset)
/// (the constant c for KL), scaled as [`Scaling`] says.
pub(crate) struct ParticleWeights {
    c: f64,
    alpha: f64,
    offset: f64,
    coef: f64,
}

impl ParticleWeights {
    /// The weights of the batch of `n_total` samples, `n_per` per component,
    /// sample i with base weight `base(i)` within its component.
    pub(crate) fn new<'a>(
        settings: &Settings,
        factors: &Factors,
        n_total: usize,
        n_per: usize,
        get: &impl Fn(usize) -> SampleRef<'a>,
        base: &impl Fn(usize) -> f64,
    ) -> ParticleWeights {
        let (c, alpha) = settings.divergence.power();
        Self::from_log_ratios(
            c,
            alpha,
            settings.scaling,
            n_total,
            |i| {
                let s = get(i);
                s.logp - s.logq
            },
            |i| factors.weight(i / n_per.max(1)) * base(i),
        )
    }

    /// The weights for ω = c·r^α from the log ratios `lr(i)` of `n` samples
    /// with mixing weights `mass(i)` (summing to one over the batch).
    pub(crate) fn from_log_ratios(
        c: f64,
        alpha: f64,
        scaling: Scaling,
        n: usize,
        lr: impl Fn(usize) -> f64,
        mass: impl Fn(usize) -> f64,
    ) -> ParticleWeights {
        if alpha == 0.0 {
            return ParticleWeights {
                c,
                alpha,
                offset: 0.0,
                coef: c,
            };
        }
        let (offset, coef) = match scaling {
            Scaling::Raw => (0.0, c),
            Scaling::SelfNormalized => {
                // The largest α log r: the largest r for α > 0, the smallest
                // for α < 0. After the shift every term is at most 1 and the
                // largest is 1, so the sum lies in [its mass, 1].
                let shift = (0..n)
                    .map(|i| alpha * lr(i))
                    .fold(f64::NEG_INFINITY, f64::max);
                let mut acc = 0.0;
                for i in 0..n {
                    acc += mass(i) * (alpha * lr(i) - shift).exp();
                }
                (shift + acc.ln(), 1.0)
            }
        };
        ParticleWeights {
            c,
            alpha,
            offset,
            coef,
        }
    }

    /// ω̃ at log r.
    pub(crate) fn omega(&self, lr: f64) -> f64 {
        if self.alpha == 0.0 {
            self.c
        } else {
            self.coef * (self.alpha * lr - self.offset).exp()
        }
    }

    /// h̃ consistent with ω̃ (dh̃/dlog r = ω̃); constants cancel in the logit
    /// direction, so the KL case uses log r.
    fn h(&self, lr: f64) -> f64 {
        if self.alpha == 0.0 {
            lr
        } else {
            self.omega(lr) / self.alpha
        }
    }
}

/// Ascent direction −∇θ D at the parameters of `approx`, with each
/// component's expectation taken over the given noise `nodes` (m × d,
/// row-major) with weights `node_weights` (summing to one): Gauss–Hermite
/// nodes give exact expectations, equal weights a Monte Carlo estimate with
/// common random numbers. Weights are the raw ω(r) of algorithms.md §5.3.
///
/// Layout of the result (the flow's own coordinates): mean-field
/// `[μ, s]`; full rank `[μ, S row-major]`; mixture `[a (logits), then per
/// component μ_k, S_k]`.
pub fn expected_direction<T: Target>(
    target: &T,
    approx: &Approximation,
    divergence: Divergence,
    estimator: Estimator,
    nodes: &[f64],
    node_weights: &[f64],
) -> Result<Vec<f64>, String> {
    let (fam, theta, factors) = approx.prepared()?;
    let d = fam.d;
    if fam.rank().is_some() {
        return Err("expected_direction: the low-rank family draws noise of length d + R".into());
    }
    if target.dim() != d || nodes.len() != node_weights.len() * d {
        return Err("expected_direction: dimensions do not match".into());
    }
    let m = node_weights.len();
    let kk = fam.components();
    let n_total = m * kk;
    let mut ws = target.workspace();
    let mut store = vec![0.0; n_total * (4 * d + 2)];
    let mut scratch = vec![0.0; Factors::scratch_len(fam)];
    for i in 0..n_total {
        let k = i / m;
        let eps = &nodes[(i % m) * d..(i % m + 1) * d];
        let row = &mut store[i * (4 * d + 2)..(i + 1) * (4 * d + 2)];
        let (e, rest) = row.split_at_mut(d);
        let (x, rest) = rest.split_at_mut(d);
        let (gp, rest) = rest.split_at_mut(d);
        let (sc, rest) = rest.split_at_mut(d);
        e.copy_from_slice(eps);
        factors.transform(&theta, k, e, x);
        rest[0] = target.log_density_and_gradient(&mut ws, x, gp);
        rest[1] = factors.log_q_score(&theta, k, e, x, sc, &mut scratch);
    }
    let get = |i: usize| {
        let row = &store[i * (4 * d + 2)..(i + 1) * (4 * d + 2)];
        SampleRef {
            eps: &row[..d],
            x: &row[d..2 * d],
            gradp: &row[2 * d..3 * d],
            score: &row[3 * d..4 * d],
            logp: row[4 * d],
            logq: row[4 * d + 1],
            hess: &[],
        }
    };
    let settings = Settings {
        divergence,
        estimator,
        scaling: Scaling::Raw,
        wfr: false,
        precondition_low_rank: false,
    };
    let mut dir = vec![0.0; fam.n_params()];
    let mut work = vec![0.0; fam.work_len()];
    reduce(
        fam,
        &theta,
        &factors,
        n_total,
        m,
        get,
        |i| node_weights[i % m],
        &settings,
        &mut dir,
        &mut work,
    );
    Ok(dir)
}

/// One sample's contribution, as in the test vector of algorithms.md §5.4:
/// returns (log r, g, ∂ℓ/∂θ) where ∂ℓ/∂θ = −ω(r)·(g, g εᵀ) is the gradient of
/// the per-sample surrogate loss for component `k` (descent direction
/// convention of the reference), θ laid out as in [`expected_direction`]
/// without logits. `log_p` and `grad_log_p` are the target at x = μ_k + S_k ε.
pub fn per_sample_gradient(
    approx: &Approximation,
    k: usize,
    eps: &[f64],
    log_p: f64,
    grad_log_p: &[f64],
    divergence: Divergence,
) -> Result<(f64, Vec<f64>, Vec<f64>), String> {
    let (fam, theta, factors) = approx.prepared()?;
    let d = fam.d;
    if eps.len() != fam.noise_len() || grad_log_p.len() != d {
        return Err(format!(
            "per_sample_gradient: noise of length {} and a gradient of length {d} expected",
            fam.noise_len()
        ));
    }
    let mut x = vec![0.0; d];
    let mut score = vec![0.0; d];
    let mut scratch = vec![0.0; Factors::scratch_len(fam)];
    factors.transform(&theta, k, eps, &mut x);
    let logq = factors.log_q_score(&theta, k, eps, &x, &mut score, &mut scratch);
    let log_r = log_p - logq;
    let g: Vec<f64> = grad_log_p.iter().zip(&score).map(|(a, b)| a - b).collect();
    let mut dir = vec![0.0; fam.n_params()];
    accumulate(fam, &theta, k, -divergence.weight(log_r), &g, eps, &mut dir);
    let skip = match fam.param {
        Param::Mixture(kk) => kk + k * (d + fam.scale_len()),
        _ => 0,
    };
    let out = dir[skip..skip + d + fam.scale_len()].to_vec();
    Ok((log_r, g, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::choices::FamilyKind;

    const DIVERGENCES: [Divergence; 8] = [
        Divergence::Fkl,
        Divergence::Chi2,
        Divergence::Hellinger,
        Divergence::Alpha(-2.0),
        Divergence::Alpha(-1.0),
        Divergence::Alpha(-0.5),
        Divergence::Alpha(0.3),
        Divergence::Alpha(2.5),
    ];

    fn weights(div: Divergence, scaling: Scaling, lr: &[f64], mass: &[f64]) -> ParticleWeights {
        let (c, a) = div.power();
        ParticleWeights::from_log_ratios(c, a, scaling, lr.len(), |i| lr[i], |i| mass[i])
    }

    #[test]
    fn raw_weights_are_c_r_to_the_alpha() {
        let lr = [-3.0, -0.4, 0.0, 0.7, 2.2];
        let mass = [0.2; 5];
        for div in DIVERGENCES.into_iter().chain([Divergence::Kl]) {
            let w = weights(div, Scaling::Raw, &lr, &mass);
            let (c, a) = div.power();
            for &l in &lr {
                let want = c * (a * l).exp();
                assert!((w.omega(l) - want).abs() <= 1e-12 * want, "{div} {l}");
                assert!((w.omega(l) - div.weight(l)).abs() <= 1e-12 * want);
            }
        }
    }

    /// Self-normalised weights: mass-weighted mean exactly 1, the ratios
    /// (r_i/r_j)^α kept, the largest weight at the largest α log r (the
    /// smallest r for α < 0), nothing overflowing or vanishing even when the
    /// log ratios span ±800, and the same weights for any normaliser Z of π̃.
    #[test]
    fn self_normalized_weights_have_mean_one_for_both_signs_of_alpha() {
        let lr = [-800.0, -350.0, -2.0, 0.0, 1.5, 30.0, 700.0, 790.0];
        let mass = [0.05, 0.15, 0.1, 0.2, 0.1, 0.1, 0.2, 0.1];
        for div in DIVERGENCES {
            let (_, a) = div.power();
            let w = weights(div, Scaling::SelfNormalized, &lr, &mass);
            let om: Vec<f64> = lr.iter().map(|&l| w.omega(l)).collect();
            assert!(om.iter().all(|v| v.is_finite()), "{div}: {om:?}");
            let mean: f64 = om.iter().zip(&mass).map(|(o, m)| o * m).sum();
            assert!((mean - 1.0).abs() < 1e-12, "{div}: mean {mean}");
            let top = if a > 0.0 { lr.len() - 1 } else { 0 };
            let big = om.iter().cloned().fold(0.0, f64::max);
            assert_eq!(om[top], big, "{div}");
            assert!(big > 0.0 && big <= 1.0 / mass[top] * (1.0 + 1e-12));
            // ratios of neighbours that are representable
            for i in 0..lr.len() - 1 {
                let (x, y) = (a * lr[i], a * lr[i + 1]);
                if (x - y).abs() < 600.0 && om[i] > 1e-280 && om[i + 1] > 1e-280 {
                    let ratio = om[i] / om[i + 1];
                    assert!(((ratio.ln() - (x - y)) / (1.0 + (x - y).abs())).abs() < 1e-12);
                }
            }
            let shifted: Vec<f64> = lr.iter().map(|l| l + 123.4).collect();
            let w2 = weights(div, Scaling::SelfNormalized, &shifted, &mass);
            for (i, &l) in shifted.iter().enumerate() {
                assert!(
                    (w2.omega(l) - om[i]).abs() <= 1e-9 * om[i].max(1e-300),
                    "{div}"
                );
            }
        }
    }

    /// One fake sample: ε, ∇log π̃, score, log π̃, log q.
    type Fake = (Vec<f64>, Vec<f64>, Vec<f64>, f64, f64);

    /// A fake batch of samples for `reduce`.
    fn fake_batch(n: usize, d: usize) -> Vec<Fake> {
        (0..n)
            .map(|i| {
                let f = i as f64;
                let eps: Vec<f64> = (0..d)
                    .map(|j| ((f + 1.0) * (j as f64 + 0.7)).sin())
                    .collect();
                let gradp: Vec<f64> = (0..d).map(|j| (f * 1.3 - j as f64).cos()).collect();
                let score: Vec<f64> = (0..d).map(|j| 0.5 * (f + j as f64).sin()).collect();
                (
                    eps,
                    gradp,
                    score,
                    -1.0 - 0.6 * f + (f * 2.1).sin(),
                    -2.0 + 0.3 * f,
                )
            })
            .collect()
    }

    /// The flow's self-normalised direction is the raw (unbiased) estimate
    /// of −∇D_f divided by c·Ê[r^α]: the same direction, a positive factor
    /// fixed by the batch, for a Gaussian and for a mixture (logits
    /// included), for both signs of α.
    #[test]
    fn self_normalized_direction_is_the_raw_one_over_the_mean_weight() {
        for (kind, d) in [(FamilyKind::FullRank, 2), (FamilyKind::Mixture(2), 1)] {
            let fam = Family::new(kind, d, false);
            let kk = fam.components();
            let theta: Vec<f64> = match kind {
                FamilyKind::Mixture(_) => vec![0.3, -0.2, -1.0, 0.8, 1.2, 0.6],
                _ => vec![0.3, -0.5, 0.9, 0.2, -0.4, 0.7],
            };
            let mut factors = Factors::new(fam);
            assert!(factors.prepare(&theta));
            let n_per = 6;
            let n = n_per * kk;
            let data = fake_batch(n, d);
            let x = vec![0.0; d];
            let get = |i: usize| {
                let s = &data[i];
                SampleRef {
                    eps: &s.0,
                    x: &x,
                    gradp: &s.1,
                    score: &s.2,
                    logp: s.3,
                    logq: s.4,
                    hess: &[],
                }
            };
            for div in DIVERGENCES {
                let mut out = [vec![0.0; fam.n_params()], vec![0.0; fam.n_params()]];
                for (o, scaling) in out.iter_mut().zip([Scaling::Raw, Scaling::SelfNormalized]) {
                    let settings = Settings {
                        divergence: div,
                        estimator: Estimator::Path,
                        scaling,
                        wfr: false,
                        precondition_low_rank: false,
                    };
                    let mut work = vec![0.0; fam.work_len()];
                    let b = |_| 1.0 / n_per as f64;
                    reduce(
                        fam, &theta, &factors, n, n_per, get, b, &settings, o, &mut work,
                    );
                }
                let (c, a) = div.power();
                let mean: f64 = (0..n)
                    .map(|i| {
                        factors.weight(i / n_per) / n_per as f64
                            * (a * (data[i].3 - data[i].4)).exp()
                    })
                    .sum();
                for (raw, sn) in out[0].iter().zip(&out[1]) {
                    let want = raw / (c * mean);
                    assert!(
                        (sn - want).abs() <= 1e-10 * (1.0 + want.abs()),
                        "{div} {kind}"
                    );
                }
                assert!(out[1].iter().any(|v| v.abs() > 1e-3));
            }
        }
    }
}
