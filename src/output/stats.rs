//! Column statistics of posterior draws, plain and importance-weighted.
//!
//! Conventions follow what Stan, NumPy and R users expect: the standard
//! deviation divides by n − 1, quantiles interpolate linearly between order
//! statistics (NumPy's default, R's type 7). The weighted versions reduce
//! exactly to these when all weights are equal, so a PSIS-corrected summary
//! with flat weights prints the same numbers as the plain one.

/// Arithmetic mean; NaN for an empty slice.
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample standard deviation with the n − 1 divisor (NaN for fewer than two
/// values). Two passes, for accuracy when the mean is large.
pub fn sd(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    let ss: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    (ss / (x.len() - 1) as f64).sqrt()
}

/// Quantile `p` ∈ [0, 1] of already sorted values, type 7: position
/// h = (n − 1)p, linear interpolation between the neighbouring order
/// statistics.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = h - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    if frac == 0.0 || a == b {
        a
    } else {
        a + frac * (b - a)
    }
}

/// Several type-7 quantiles of unsorted values (sorted once). Any NaN in
/// the input makes every quantile NaN: there is no meaningful order then.
pub fn quantiles(x: &[f64], ps: &[f64]) -> Vec<f64> {
    if x.iter().any(|v| v.is_nan()) {
        return vec![f64::NAN; ps.len()];
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    ps.iter().map(|&p| quantile_sorted(&sorted, p)).collect()
}

/// Checks importance weights and returns their sum: they must match the
/// values in number, be finite and non-negative, and not all vanish.
pub fn check_weights(n: usize, w: &[f64]) -> Result<f64, String> {
    if w.len() != n {
        return Err(format!(
            "{} importance weights given for {} draws",
            w.len(),
            n
        ));
    }
    if let Some(i) = w.iter().position(|v| !v.is_finite() || *v < 0.0) {
        return Err(format!(
            "importance weight {} of draw {} is not a finite non-negative number",
            w[i],
            i + 1
        ));
    }
    let total: f64 = w.iter().sum();
    if total <= 0.0 {
        return Err("all importance weights are zero".to_string());
    }
    Ok(total)
}

/// Turns log weights (e.g. PSIS-smoothed log p − log q) into weights scaled
/// so the largest is 1, which avoids overflow. Non-finite log weights of
/// −∞ become weight 0; NaN or +∞ are errors.
pub fn weights_from_log(log_w: &[f64]) -> Result<Vec<f64>, String> {
    if let Some(i) = log_w.iter().position(|v| v.is_nan() || *v == f64::INFINITY) {
        return Err(format!(
            "log importance weight of draw {} is {}",
            i + 1,
            log_w[i]
        ));
    }
    let max = log_w.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return Err("all importance weights are zero".to_string());
    }
    Ok(log_w.iter().map(|v| (v - max).exp()).collect())
}

/// Self-normalised weighted mean.
pub fn weighted_mean(x: &[f64], w: &[f64]) -> Result<f64, String> {
    let total = check_weights(x.len(), w)?;
    Ok(x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / total)
}

/// Weighted standard deviation with the reliability-weights correction
/// Σw(x − μ)² / (1 − Σw²) (weights normalised), which equals the n − 1
/// estimator for equal weights. NaN when the weights sit on a single draw.
pub fn weighted_sd(x: &[f64], w: &[f64]) -> Result<f64, String> {
    let total = check_weights(x.len(), w)?;
    let m = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / total;
    let mut ss = 0.0;
    let mut sw2 = 0.0;
    for (a, b) in x.iter().zip(w) {
        let wn = b / total;
        ss += wn * (a - m) * (a - m);
        sw2 += wn * wn;
    }
    let denom = 1.0 - sw2;
    if denom <= 0.0 {
        return Ok(f64::NAN);
    }
    Ok((ss / denom).sqrt())
}

/// Weighted quantiles. Draws with zero weight are dropped; the k-th of the
/// remaining sorted values (normalised weights w, cumulative C) sits at
/// plotting position (C_k − w_k/2 − w_0/2) / (1 − w_0/2 − w_last/2), which is
/// k/(n − 1) for equal weights, so this is type 7 generalised; in between,
/// linear interpolation.
pub fn weighted_quantiles(x: &[f64], w: &[f64], ps: &[f64]) -> Result<Vec<f64>, String> {
    check_weights(x.len(), w)?;
    if x.iter().zip(w).any(|(v, wi)| v.is_nan() && *wi > 0.0) {
        return Ok(vec![f64::NAN; ps.len()]);
    }
    let mut pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(w)
        .filter(|(_, wi)| **wi > 0.0)
        .map(|(v, wi)| (*v, *wi))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = pairs.len();
    if n == 1 {
        return Ok(ps
            .iter()
            .map(|p| {
                if (0.0..=1.0).contains(p) {
                    pairs[0].0
                } else {
                    f64::NAN
                }
            })
            .collect());
    }
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let w0 = pairs[0].1 / total;
    let wl = pairs[n - 1].1 / total;
    let scale = 1.0 - w0 / 2.0 - wl / 2.0;
    let mut pos = Vec::with_capacity(n);
    let mut cum = 0.0;
    for &(_, wi) in &pairs {
        let wn = wi / total;
        cum += wn;
        pos.push(((cum - wn / 2.0 - w0 / 2.0) / scale).clamp(0.0, 1.0));
    }
    pos[0] = 0.0;
    pos[n - 1] = 1.0;
    Ok(ps
        .iter()
        .map(|&p| {
            if !(0.0..=1.0).contains(&p) {
                return f64::NAN;
            }
            // First position at or above p; interpolate from its predecessor.
            let k = pos.partition_point(|&q| q < p);
            if k == 0 {
                return pairs[0].0;
            }
            let (p0, p1) = (pos[k - 1], pos[k]);
            let (a, b) = (pairs[k - 1].0, pairs[k].0);
            if p1 <= p0 || a == b {
                b
            } else {
                a + (p - p0) / (p1 - p0) * (b - a)
            }
        })
        .collect())
}

/// Precision of a posterior mean estimated from independent draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanMcse {
    /// The estimate itself.
    pub mean: f64,
    /// Its Monte Carlo standard error.
    pub mcse: f64,
    /// Effective sample size: n for independent draws (bulk ESS of i.i.d.
    /// draws equals their number), Kish's (Σw)²/Σw² under importance weights.
    pub ess: f64,
}

/// Monte Carlo standard error of a mean from independent draws of the
/// approximation: sd/√n, or with importance weights the delta-method error of
/// the self-normalised estimator, √(Σ w̃ᵢ² (xᵢ − μ̂)²) with w̃ normalised.
/// Draws from a variational approximation are independent, so no
/// autocorrelation correction is needed, unlike MCMC.
pub fn mean_mcse(x: &[f64], weights: Option<&[f64]>) -> Result<MeanMcse, String> {
    let n = x.len();
    if n < 2 {
        return Err(format!(
            "a Monte Carlo standard error needs at least 2 draws, got {n}"
        ));
    }
    match weights {
        None => {
            let m = mean(x);
            Ok(MeanMcse {
                mean: m,
                mcse: sd(x) / (n as f64).sqrt(),
                ess: n as f64,
            })
        }
        Some(w) => {
            let total = check_weights(n, w)?;
            let m = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / total;
            let mut var = 0.0;
            let mut sw2 = 0.0;
            for (a, b) in x.iter().zip(w) {
                let wn = b / total;
                var += wn * wn * (a - m) * (a - m);
                sw2 += wn * wn;
            }
            Ok(MeanMcse {
                mean: m,
                mcse: var.sqrt(),
                ess: 1.0 / sw2,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_quantiles_match_numpy() {
        // numpy.quantile([3, 1, 4, 1, 5, 9, 2, 6], [0.05, 0.5, 0.95])
        // = [1.0, 3.5, 7.95]
        let x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let q = quantiles(&x, &[0.05, 0.5, 0.95, 0.0, 1.0]);
        assert!((q[0] - 1.0).abs() < 1e-12);
        assert!((q[1] - 3.5).abs() < 1e-12);
        assert!((q[2] - 7.95).abs() < 1e-12);
        assert_eq!(q[3], 1.0);
        assert_eq!(q[4], 9.0);
    }

    #[test]
    fn sd_uses_n_minus_one() {
        // numpy.std([1, 2, 3, 4], ddof=1) = 1.2909944487358056
        assert!((sd(&[1.0, 2.0, 3.0, 4.0]) - 1.2909944487358056).abs() < 1e-15);
        assert!(sd(&[1.0]).is_nan());
    }

    #[test]
    fn equal_weights_reduce_to_plain_statistics() {
        let x: Vec<f64> = (0..37).map(|i| ((i * 7919) % 101) as f64 / 10.0).collect();
        let w = vec![0.3; x.len()];
        let ps = [0.05, 0.25, 0.5, 0.95];
        let a = quantiles(&x, &ps);
        let b = weighted_quantiles(&x, &w, &ps).unwrap();
        for (u, v) in a.iter().zip(&b) {
            assert!((u - v).abs() < 1e-12, "{u} vs {v}");
        }
        assert!((weighted_mean(&x, &w).unwrap() - mean(&x)).abs() < 1e-12);
        assert!((weighted_sd(&x, &w).unwrap() - sd(&x)).abs() < 1e-12);
        let m = mean_mcse(&x, Some(&w)).unwrap();
        assert!((m.ess - 37.0).abs() < 1e-9);
        // Equal weights: delta-method error is sd_n/√n with the 1/n variance.
        let plain = mean_mcse(&x, None).unwrap();
        let ratio = ((x.len() - 1) as f64 / x.len() as f64).sqrt();
        assert!((m.mcse - plain.mcse * ratio).abs() < 1e-12);
    }

    #[test]
    fn integer_weights_act_like_repeated_draws_in_the_mean() {
        let x = [1.0, 2.0, 10.0];
        let w = [2.0, 1.0, 0.0];
        assert!((weighted_mean(&x, &w).unwrap() - 4.0 / 3.0).abs() < 1e-15);
        // Zero-weight draw never appears as a quantile.
        let q = weighted_quantiles(&x, &w, &[1.0]).unwrap();
        assert_eq!(q[0], 2.0);
    }

    #[test]
    fn bad_weights_are_errors() {
        assert!(weighted_mean(&[1.0, 2.0], &[1.0]).is_err());
        assert!(weighted_mean(&[1.0, 2.0], &[1.0, -1.0]).is_err());
        assert!(weighted_mean(&[1.0, 2.0], &[0.0, 0.0]).is_err());
        assert!(weighted_mean(&[1.0, 2.0], &[f64::NAN, 1.0]).is_err());
        assert!(weights_from_log(&[f64::NEG_INFINITY]).is_err());
        let w = weights_from_log(&[1000.0, 999.0, f64::NEG_INFINITY]).unwrap();
        assert_eq!(w[0], 1.0);
        assert!((w[1] - (-1.0f64).exp()).abs() < 1e-15);
        assert_eq!(w[2], 0.0);
    }

    #[test]
    fn nan_poisons_quantiles() {
        let q = quantiles(&[1.0, f64::NAN, 3.0], &[0.5]);
        assert!(q[0].is_nan());
    }
}
