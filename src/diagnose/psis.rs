//! Pareto-smoothed importance sampling (Vehtari, Simpson, Gelman, Yao,
//! Gabry, arXiv 1507.02646): the shape k̂ of a generalized Pareto fit to the
//! largest importance weights says whether importance sampling from q — and
//! hence q itself — can be trusted (Yao et al. 2018), and replacing those
//! weights by the fitted quantiles stabilises estimates.
//!
//! The GPD fit is Zhang & Stephens' (2009) empirical-Bayes estimator with
//! the weakly informative prior of the PSIS paper (as in ArviZ/loo): a grid
//! of m = 30 + ⌊√M⌋ values of θ = −k/σ placed by quantiles, profile
//! likelihood weights, the posterior mean of θ, then k̂ shrunk towards ½ by
//! (M k̂ + 10·½)/(M + 10). Tail size M = ⌈min(S/5, 3√S)⌉.

// `!(a >= b)` is used on purpose so that NaN counts as failure.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

/// Fits a generalized Pareto distribution to positive exceedances sorted
/// ascending; returns (k̂, σ̂).
pub fn gpd_fit(x: &[f64]) -> (f64, f64) {
    let n = x.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let nf = n as f64;
    let m = 30 + (nf.sqrt() as usize);
    let quart = x[((nf / 4.0 + 0.5) as usize).max(1) - 1];
    let xmax = x[n - 1];
    let mut b = vec![0.0; m];
    for (j, bj) in b.iter_mut().enumerate() {
        *bj = (1.0 - (m as f64 / (j as f64 + 0.5)).sqrt()) / (3.0 * quart) + 1.0 / xmax;
    }
    let k_of = |bj: f64| x.iter().map(|&v| (-bj * v).ln_1p()).sum::<f64>() / nf;
    let ell: Vec<f64> = b
        .iter()
        .map(|&bj| {
            let k = k_of(bj);
            nf * ((-bj / k).ln() - k - 1.0)
        })
        .collect();
    // w_j = 1 / Σ_l exp(ℓ_l − ℓ_j)
    let mut w: Vec<f64> = ell
        .iter()
        .map(|&lj| {
            let s: f64 = ell.iter().map(|&ll| (ll - lj).exp()).sum();
            1.0 / s
        })
        .collect();
    for wj in w.iter_mut() {
        if !(*wj >= 10.0 * f64::EPSILON) {
            *wj = 0.0;
        }
    }
    let total: f64 = w.iter().sum();
    if !(total > 0.0) {
        return (f64::NAN, f64::NAN);
    }
    let b_post: f64 = b.iter().zip(&w).map(|(bj, wj)| bj * wj).sum::<f64>() / total;
    let k = k_of(b_post);
    let sigma = -k / b_post;
    let k = (nf * k + 10.0 * 0.5) / (nf + 10.0);
    (k, sigma)
}

/// Quantile function of the generalized Pareto distribution.
fn gpd_quantile(p: f64, k: f64, sigma: f64) -> f64 {
    if k.abs() < f64::EPSILON {
        -sigma * (-p).ln_1p()
    } else {
        sigma * (-k * (-p).ln_1p()).exp_m1() / k
    }
}

/// Result of Pareto smoothing.
#[derive(Clone, Debug)]
pub struct Psis {
    /// Smoothed log weights, normalised so that Σ exp = 1.
    pub log_weights: Vec<f64>,
    /// Shape of the tail; `None` when the tail is too short to fit
    /// (fewer than 5 distinct exceedances).
    pub khat: Option<f64>,
    pub tail_len: usize,
}

/// Pareto-smooths log importance weights (non-finite entries count as
/// zero weight).
pub fn psis(log_weights: &[f64]) -> Psis {
    let s = log_weights.len();
    let lw: Vec<f64> = log_weights
        .iter()
        .map(|&v| if v.is_nan() { f64::NEG_INFINITY } else { v })
        .collect();
    let max = lw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if s == 0 || !max.is_finite() {
        return Psis {
            log_weights: vec![f64::NEG_INFINITY; s],
            khat: None,
            tail_len: 0,
        };
    }
    let mut x: Vec<f64> = lw.iter().map(|v| v - max).collect();
    let sf = s as f64;
    let m = (0.2 * sf).min(3.0 * sf.sqrt()).ceil() as usize;
    let mut order: Vec<usize> = (0..s).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let cut_index = s.saturating_sub(m + 1);
    let cutoff = x[order[cut_index]].max(f64::MIN_POSITIVE.ln());
    let tail: Vec<usize> = order.iter().cloned().filter(|&i| x[i] > cutoff).collect();
    let mut khat = None;
    if tail.len() > 4 {
        let ec = cutoff.exp();
        let ex: Vec<f64> = tail.iter().map(|&i| x[i].exp() - ec).collect();
        let (k, sigma) = gpd_fit(&ex);
        if k.is_finite() && sigma > 0.0 {
            khat = Some(k);
            let tl = tail.len() as f64;
            for (z, &i) in tail.iter().enumerate() {
                let p = (z as f64 + 0.5) / tl;
                x[i] = (gpd_quantile(p, k, sigma) + ec).ln().min(0.0);
            }
        }
    }
    let lse = log_sum_exp(&x);
    for v in x.iter_mut() {
        *v -= lse;
    }
    Psis {
        log_weights: x,
        khat,
        tail_len: tail.len(),
    }
}

/// log Σ exp.
pub fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// Effective sample size (Σw)²/Σw² of (unnormalised) log weights.
pub fn ess(log_weights: &[f64]) -> f64 {
    let m = log_weights
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return 0.0;
    }
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in log_weights {
        let w = (v - m).exp();
        if w.is_finite() {
            s1 += w;
            s2 += w * w;
        }
    }
    s1 * s1 / s2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpd_quantile_inverts_the_cdf() {
        for &(k, s) in &[(0.5, 2.0), (-0.3, 1.0), (0.0, 1.5)] {
            for &p in &[0.1, 0.5, 0.9] {
                let x: f64 = gpd_quantile(p, k, s);
                let cdf = if k == 0.0 {
                    1.0 - (-x / s).exp()
                } else {
                    1.0 - (1.0 + k * x / s).powf(-1.0 / k)
                };
                assert!((cdf - p).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn constant_weights_are_left_alone() {
        let p = psis(&[0.0; 100]);
        assert!(p.khat.is_none());
        assert!((ess(&p.log_weights) - 100.0).abs() < 1e-9);
    }
}
