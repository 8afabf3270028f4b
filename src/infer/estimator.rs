//! From evaluated samples to an ascent direction: the path-derivative
//! (sticking-the-landing) estimator reweighted for f-divergences, and the
//! reparameterization estimator with closed-form entropy (algorithms.md
//! §3.3, §4, §5).
//!
//! Per sample x = μ_k + S_k ε with r = π̃/q (q's parameters frozen) and
//! g = ∇log π̃ − ∇log q, the direction is ω(r)·g for the mean and ω(r)·g εᵀ
//! for the scale; mixture logits get w_j (h̄_j − Σ_k w_k h̄_k) with
//! h = r f′(r) − f(r). Weights are formed in log space with one global
//! max-shift per batch. Their absolute scale (which for power weights
//! ω ∝ r^α carries Z^α and the shift) is fixed by dividing by a running
//! estimate of E_q[ω] from earlier batches, so a step h means the same for
//! every divergence and the direction stays an unbiased gradient of D_f up to
//! that positive factor; the running normaliser is raised when needed so that
//! no single sample carries more than the whole batch's worth of weight. With
//! `self_normalize` the weights are divided by their own batch sum instead
//! (the Rényi-bound gradient, biased O(1/n) but scale free).
//!
//! The public functions evaluate the same kernels on caller-given noise and
//! weights, e.g. Gauss–Hermite nodes for exact expectations.

use super::Target;
use super::batch::SampleRef;
use super::choices::{Divergence, Estimator};
use super::family::{Approximation, Factors, Family, Param, accumulate, add_entropy_gradient};

/// How per-sample weights are scaled.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scaling {
    /// ω(r) exactly as in the table of algorithms.md §5.3 (no shift): the
    /// expectation is −∇D_f of the target as given.
    Raw,
    /// Running-mean normalisation (see module docs).
    Normalized,
    /// Weights divided by their own batch mean.
    SelfNormalized,
}

pub(crate) struct Settings {
    pub divergence: Divergence,
    pub estimator: Estimator,
    pub scaling: Scaling,
    pub wfr: bool,
}

/// What a batch says about the current q besides the direction.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BatchSummary {
    /// ELBO estimate (closed-form entropy for Gaussians).
    pub elbo: f64,
    pub elbo_se: f64,
    /// Effective sample size of the weights the step used.
    pub ess: f64,
}

/// Forms the ascent direction in θ-space from `n_total` samples, `n_per`
/// per component (sample i belongs to component i / n_per), with base
/// weights `base(i)` that sum to one within each component. `log_norm` is
/// the running log E_q[ω] of [`Scaling::Normalized`], updated here. `work`
/// has length ≥ d² + d.
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
    log_norm: &mut Option<f64>,
    dir: &mut [f64],
    work: &mut [f64],
) -> BatchSummary {
    let d = fam.d;
    let kk = fam.components();
    dir.fill(0.0);
    let (elbo, elbo_se) = elbo_and_se(factors, kk, n_per, &get, &base);
    let weights = ParticleWeights::new(settings, factors, n_total, n_per, &get, &base, log_norm);
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
    let ess = if sum_u2 > 0.0 {
        sum_u * sum_u / sum_u2
    } else {
        0.0
    };
    BatchSummary { elbo, elbo_se, ess }
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

/// The particle weights of one batch, ω(r) = coef · exp(α(log r − shift) −
/// offset) (the constant c for KL), scaled as [`Scaling`] says.
struct ParticleWeights {
    c: f64,
    alpha: f64,
    shift: f64,
    offset: f64,
    coef: f64,
}

impl ParticleWeights {
    fn new<'a>(
        settings: &Settings,
        factors: &Factors,
        n_total: usize,
        n_per: usize,
        get: &impl Fn(usize) -> SampleRef<'a>,
        base: &impl Fn(usize) -> f64,
        log_norm: &mut Option<f64>,
    ) -> ParticleWeights {
        let (c, alpha) = settings.divergence.power();
        let shift = if alpha == 0.0 {
            0.0
        } else {
            (0..n_total)
                .map(|i| {
                    let s = get(i);
                    s.logp - s.logq
                })
                .fold(f64::NEG_INFINITY, f64::max)
        };
        // log of the (stratified) mean of exp(α(log r − shift))
        let log_mean_shifted = if alpha == 0.0 {
            0.0
        } else {
            let mut acc = 0.0;
            for i in 0..n_total {
                let s = get(i);
                acc +=
                    factors.weight(i / n_per) * base(i) * (alpha * (s.logp - s.logq - shift)).exp();
            }
            acc.ln()
        };
        // Weight of sample i = exp(alpha*(log r_i - shift) - offset) (times c when raw).
        let (offset, coef) = match (alpha == 0.0, settings.scaling) {
            (true, _) => (0.0, c),
            (false, Scaling::Raw) => (-alpha * shift, c),
            (false, Scaling::SelfNormalized) => (log_mean_shifted, 1.0),
            (false, Scaling::Normalized) => {
                let log_m = alpha * shift + log_mean_shifted;
                let prev = log_norm.unwrap_or(log_m);
                let floor = alpha * shift - (n_total as f64).ln();
                let eff = prev.max(floor);
                // running mean in linear space, in logs
                let (a, b) = (0.9f64.ln() + prev, 0.1f64.ln() + log_m);
                let hi = a.max(b);
                *log_norm = Some(hi + ((a - hi).exp() + (b - hi).exp()).ln());
                (eff - alpha * shift, 1.0)
            }
        };
        ParticleWeights {
            c,
            alpha,
            shift,
            offset,
            coef,
        }
    }

    /// ω̃ at log r.
    fn omega(&self, lr: f64) -> f64 {
        if self.alpha == 0.0 {
            self.c
        } else {
            self.coef * (self.alpha * (lr - self.shift) - self.offset).exp()
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
    };
    let mut dir = vec![0.0; fam.n_params()];
    let mut work = vec![0.0; d * d + d + kk];
    let mut norm = None;
    reduce(
        fam,
        &theta,
        &factors,
        n_total,
        m,
        get,
        |i| node_weights[i % m],
        &settings,
        &mut norm,
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
