//! How much the importance weights move q's own moments: over the
//! unconstrained coordinates, the largest shift of a mean (in weighted sds)
//! and the largest change of an sd (as a ratio). A large move means q is
//! wrong there and its summaries rest on the importance correction; a move
//! far below the accuracy users ask for means the summaries do not depend
//! on the weights, however heavy their tail.

use super::psis;
use serde::{Deserialize, Serialize};

/// A mean shift below this many (weighted) sds counts as small: half the
/// 0.1 sd to which a summary is asked to match the posterior.
pub const SMALL_MEAN_SHIFT: f64 = 0.05;
/// An sd ratio within this factor (either way) counts as small: half the
/// 10 % to which an sd is asked to match the posterior.
pub const SMALL_SD_RATIO: f64 = 1.05;
/// A mean shift of this many (weighted) sds or more counts as large: the
/// whole 0.1 sd to which a summary is asked to match the posterior. q alone
/// then misses the posterior by more than that, and the summaries are only
/// as good as the importance correction.
pub const LARGE_MEAN_SHIFT: f64 = 0.1;
/// Standard errors taken off each of `d` coordinates' mean shifts before
/// the largest is compared with [`LARGE_MEAN_SHIFT`], so that a shift the
/// draws cannot tell from noise does not count against a fit: 2, or more
/// for many coordinates, where the largest of `d` noisy shifts reaches
/// z standard errors about one time in ten (Bonferroni, two-sided).
pub fn noise_z(d: usize) -> f64 {
    let tail = 0.05 / d.max(1) as f64;
    crate::scalar::special::inv_phi(1.0 - tail).max(2.0)
}

/// The largest moves the Pareto-smoothed weights make to q's moments.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightShift {
    /// The largest |weighted mean − q's mean| / weighted sd.
    pub mean_shift: f64,
    /// The coordinate where the mean moves most (0-based, unconstrained).
    pub mean_coordinate: usize,
    /// The weighted sd / q's sd furthest from 1 (either way).
    pub sd_ratio: f64,
    /// The coordinate where the sd changes most.
    pub sd_coordinate: usize,
    /// The largest shift of a mean that is sure beyond Monte Carlo noise:
    /// over the coordinates, the most of |weighted mean − q's mean| less
    /// [`noise_z`] standard errors of that difference, in weighted sds
    /// (0 when no shift stands out of the noise).
    #[serde(default)]
    pub sure_mean_shift: f64,
    /// The coordinate of [`WeightShift::sure_mean_shift`].
    #[serde(default)]
    pub sure_coordinate: usize,
}

impl WeightShift {
    /// Whether no mean moves by [`SMALL_MEAN_SHIFT`] sds and no sd by the
    /// factor [`SMALL_SD_RATIO`].
    pub fn is_small(&self) -> bool {
        self.mean_shift < SMALL_MEAN_SHIFT && self.sd_ratio.ln().abs() < SMALL_SD_RATIO.ln()
    }

    /// Whether some mean surely moves ([`WeightShift::sure_mean_shift`]) by
    /// [`LARGE_MEAN_SHIFT`] sds or more.
    pub fn moves_a_mean(&self) -> bool {
        self.sure_mean_shift >= LARGE_MEAN_SHIFT
    }
}

/// The moves of each coordinate's mean and sd under the Pareto-smoothed
/// weights of `log_weights`, for draws `x` (row-major, one row per
/// weight); q's own moments are those of the rows `from_q` accepts (the
/// others are defensive proposals from a wider distribution). `None` when
/// there are too few draws or usable weights, or a coordinate's spread is
/// not finite and positive under both.
pub fn weight_shift(
    x: &[f64],
    log_weights: &[f64],
    from_q: impl Fn(usize) -> bool,
) -> Option<WeightShift> {
    let n = log_weights.len();
    if n < 2 || x.is_empty() || x.len() % n != 0 {
        return None;
    }
    let d = x.len() / n;
    let z = noise_z(d);
    let smoothed = psis::psis(log_weights);
    let w: Vec<f64> = smoothed.log_weights.iter().map(|v| v.exp()).collect();
    let total: f64 = w.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return None;
    }
    let mut shift = WeightShift {
        mean_shift: 0.0,
        mean_coordinate: 0,
        sd_ratio: 1.0,
        sd_coordinate: 0,
        sure_mean_shift: 0.0,
        sure_coordinate: 0,
    };
    let rows = || x.chunks_exact(d).zip(&w);
    let own = || x.chunks_exact(d).enumerate().filter(|(i, _)| from_q(*i));
    let n_q = (0..n).filter(|&i| from_q(i)).count();
    if n_q < 2 {
        return None;
    }
    for j in 0..d {
        let (mut plain, mut weighted) = (0.0, 0.0);
        for (_, row) in own() {
            plain += row[j];
        }
        for (row, &wi) in rows() {
            weighted += wi * row[j];
        }
        let (m_q, m_w) = (plain / n_q as f64, weighted / total);
        // Variances, and the delta-method variances of the two means (the
        // self-normalised weighted one: Σ w̃ᵢ² (xᵢ − m_w)²); their sum
        // bounds the variance of the difference, as both means come from
        // the same draws and move together.
        let (mut v_q, mut v_w, mut var_m_w) = (0.0, 0.0, 0.0);
        for (_, row) in own() {
            v_q += (row[j] - m_q).powi(2);
        }
        for (row, &wi) in rows() {
            let r2 = (row[j] - m_w).powi(2);
            v_w += wi * r2;
            var_m_w += wi * wi * r2;
        }
        let var_m_q = v_q / (n_q as f64 * (n_q - 1) as f64);
        let se = (var_m_w / (total * total) + var_m_q).sqrt();
        let (sd_q, sd_w) = ((v_q / (n_q - 1) as f64).sqrt(), (v_w / total).sqrt());
        if !(sd_q.is_finite() && sd_w.is_finite() && sd_q > 0.0 && sd_w > 0.0) {
            return None;
        }
        let mean_shift = (m_w - m_q).abs() / sd_w;
        if mean_shift > shift.mean_shift {
            shift.mean_shift = mean_shift;
            shift.mean_coordinate = j;
        }
        let sure = ((m_w - m_q).abs() - z * se) / sd_w;
        if sure > shift.sure_mean_shift {
            shift.sure_mean_shift = sure;
            shift.sure_coordinate = j;
        }
        let ratio = sd_w / sd_q;
        if ratio.ln().abs() > shift.sd_ratio.ln().abs() {
            shift.sd_ratio = ratio;
            shift.sd_coordinate = j;
        }
    }
    Some(shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn equal_weights_move_nothing() {
        let x: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin()).collect();
        let s = weight_shift(&x, &[0.0; 100], |_| true).unwrap();
        assert!(
            s.mean_shift < 1e-12 && (s.sd_ratio - 1.0).abs() < 0.01,
            "{s:?}"
        );
        assert!(s.is_small());
    }

    #[test]
    fn tilted_weights_move_the_mean_of_the_tilted_coordinate() {
        // Draws of N(0, 1) on a grid of quantiles in coordinate 1 (coordinate
        // 0 constant but for a tiny spread); weights e^{0.5 x} tilt N(0, 1)
        // to N(0.5, 1): the weighted mean moves by about 0.5 sd.
        let n = 4000;
        let mut x = Vec::with_capacity(2 * n);
        let mut lw = Vec::with_capacity(n);
        for i in 0..n {
            let u = (i as f64 + 0.5) / n as f64;
            let z = inverse_normal(u);
            x.push(1.0 + 1e-3 * z.signum());
            x.push(z);
            lw.push(0.5 * z);
        }
        let s = weight_shift(&x, &lw, |_| true).unwrap();
        assert_eq!(s.mean_coordinate, 1);
        assert!((s.mean_shift - 0.5).abs() < 0.03, "{s:?}");
        assert!(!s.is_small());
    }

    #[test]
    fn widening_weights_change_the_sd() {
        // Weights N(0, 2²)/N(0, 1) on draws of N(0, 1): the weighted sd is
        // larger than q's by a clear factor (the grid stops at |z| ≈ 3.5, so
        // not the full factor 2).
        let (x, lw) = quantile_grid(4000, |z| 0.375 * z * z);
        let s = weight_shift(&x, &lw, |_| true).unwrap();
        assert!(s.sd_ratio > 1.3, "{s:?}");
        assert!(s.mean_shift < SMALL_MEAN_SHIFT, "{s:?}");
        assert!(!s.is_small());
    }

    #[test]
    fn the_noise_allowance_grows_with_the_coordinates() {
        assert_eq!(noise_z(1), 2.0);
        assert_eq!(noise_z(0), 2.0);
        // Φ⁻¹(1 − 0.005) = 2.576 for 10 coordinates, Φ⁻¹(1 − 0.0005) = 3.29
        // for 100.
        assert!((noise_z(10) - 2.5758).abs() < 1e-3, "{}", noise_z(10));
        assert!((noise_z(100) - 3.2905).abs() < 1e-3, "{}", noise_z(100));
    }

    #[test]
    fn a_tilt_is_sure_and_noise_is_not() {
        // The tilt above moves the mean by 0.5 sd; from 4000 draws with an
        // importance ESS near 3100 its standard error is about 0.02 sd, so
        // the sure shift is the shift less about 0.04.
        let n = 4000;
        let (x, lw) = quantile_grid(n, |z| 0.5 * z);
        let s = weight_shift(&x, &lw, |_| true).unwrap();
        let lost = s.mean_shift - s.sure_mean_shift;
        assert!(lost > 0.02 && lost < 0.08, "{s:?}");
        assert!(s.moves_a_mean());
        // Weights that do not depend on the draws (log weights N(0, 1),
        // importance ESS about 1500 of 4000) move 20 coordinates' means only
        // by noise: up to about 0.08 sd, none of it sure.
        let d = 20;
        let mut rng = crate::random::stream(11, &[3]);
        let x: Vec<f64> = (0..n * d)
            .map(|_| rng.sample::<f64, _>(rand_distr::StandardNormal))
            .collect();
        let lw: Vec<f64> = (0..n)
            .map(|_| rng.sample::<f64, _>(rand_distr::StandardNormal))
            .collect();
        let s = weight_shift(&x, &lw, |_| true).unwrap();
        assert!(s.mean_shift > 0.02, "{s:?}");
        assert!(s.sure_mean_shift < 0.01, "{s:?}");
        assert!(!s.moves_a_mean());
    }

    /// `n` draws of N(0, 1) on a grid of quantiles, and their log weights.
    fn quantile_grid(n: usize, log_weight: impl Fn(f64) -> f64) -> (Vec<f64>, Vec<f64>) {
        (0..n)
            .map(|i| {
                let z = inverse_normal((i as f64 + 0.5) / n as f64);
                (z, log_weight(z))
            })
            .unzip()
    }

    /// Φ⁻¹ by bisection on erfc (tests only).
    fn inverse_normal(u: f64) -> f64 {
        let (mut lo, mut hi) = (-10.0_f64, 10.0_f64);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if 0.5 * libm_erfc(-mid / std::f64::consts::SQRT_2) < u {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    fn libm_erfc(x: f64) -> f64 {
        crate::scalar::special::erfc(x)
    }
}
