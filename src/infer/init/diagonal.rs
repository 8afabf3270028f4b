//! The mean-field Laplace approximation without a d × d matrix.
//!
//! Up to [`EXACT_MARGINALS_MAX_DIM`] a mean-field start is the full-rank one
//! reduced to its marginal sds (the exact Hessian costs d Hessian–vector
//! products and its eigen-decomposition d³, both negligible there). Above
//! it the precision's diagonal is estimated from [`PROBES`] Hessian–vector
//! products with random ±1 vectors v (Bekas, Kokiopoulou & Saad 2007):
//! E[vᵢ (H v)ᵢ] = Hᵢᵢ, exact for a diagonal H (independent coordinates),
//! with an error of ‖off-diagonal row i‖/√PROBES otherwise. The sd of
//! coordinate i is then 1/√Pᵢᵢ, the mean-field optimum of KL(q‖π) for a
//! Gaussian π with precision P. The cost is O(PROBES) gradients and O(d)
//! memory; the flow corrects what the estimate misses, and the Gaussians
//! of the L-BFGS path (mean-field versions, see `pathfinder`) compete with
//! it on the same draws.

use crate::infer::{Target, streams};
use crate::random::stream;
use rand::RngExt;

/// The largest dimension at which a mean-field start comes from the dense
/// Laplace covariance.
pub(crate) const EXACT_MARGINALS_MAX_DIM: usize = 100;

/// Random ±1 probes of the diagonal estimate.
const PROBES: usize = 8;

/// Whether a start of the family in dimension `d` is built diagonal from
/// the beginning.
pub(crate) fn builds_diagonal(diagonal_family: bool, d: usize) -> bool {
    diagonal_family && d > EXACT_MARGINALS_MAX_DIM
}

/// The mean-field Laplace sds at `mode`: 1/√Pᵢᵢ from the estimated
/// diagonal of P = −∇² log π̃, entries that are negative or numerically zero
/// (below 1e-8 of the largest) raised to the smallest well-determined one.
/// Returns (sd, largest Pᵢᵢ, smallest well-determined Pᵢᵢ, warning).
#[allow(clippy::type_complexity)]
pub(crate) fn laplace_sds<T: Target>(
    target: &T,
    ws: &mut T::Workspace,
    mode: &[f64],
    seed: u64,
    restart: usize,
    evals: &mut usize,
) -> Option<(Vec<f64>, f64, f64, Option<String>)> {
    let d = mode.len();
    let mut precision = vec![0.0; d];
    let mut v = vec![0.0; d];
    let mut hv = vec![0.0; d];
    for k in 0..PROBES {
        let mut rng = stream(seed, &[streams::LAPLACE_DIAGONAL, restart as u64, k as u64]);
        for x in v.iter_mut() {
            *x = if rng.random::<bool>() { 1.0 } else { -1.0 };
        }
        target.hessian_vector(ws, mode, &v, &mut hv);
        *evals += 1;
        for i in 0..d {
            precision[i] -= v[i] * hv[i] / PROBES as f64;
        }
    }
    if precision.iter().any(|p| !p.is_finite()) {
        return None;
    }
    let pmax = precision.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !(pmax > 0.0) {
        return None;
    }
    let cut = 1e-8 * pmax;
    let good_min = precision
        .iter()
        .cloned()
        .filter(|&p| p > cut)
        .fold(f64::INFINITY, f64::min);
    let bad = precision.iter().filter(|&&p| p <= cut).count();
    let warning = (bad > 0).then(|| {
        format!(
            "the estimated curvature at the mode is not positive in {bad} coordinate(s); the \
             mean-field Laplace scale was regularised there (the flow will adapt it)"
        )
    });
    let sd = precision
        .iter()
        .map(|&p| 1.0 / (if p > cut { p } else { good_min }).sqrt())
        .collect();
    Some((sd, pmax, good_min, warning))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent normals with precisions 1, 2, …, d, plus one coupled
    /// pair (0, 1) with a negative-definite block.
    struct Independent(usize);

    impl Target for Independent {
        type Workspace = ();
        fn dim(&self) -> usize {
            self.0
        }
        fn workspace(&self) {}
        fn log_density(&self, _: &mut (), x: &[f64]) -> f64 {
            -0.5 * x
                .iter()
                .enumerate()
                .map(|(i, v)| (i + 1) as f64 * v * v)
                .sum::<f64>()
        }
        fn log_density_and_gradient(&self, ws: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
            for (i, v) in x.iter().enumerate() {
                g[i] = -((i + 1) as f64) * v;
            }
            self.log_density(ws, x)
        }
        fn hessian_vector(&self, ws: &mut (), x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
            for (i, vi) in v.iter().enumerate() {
                out[i] = -((i + 1) as f64) * vi;
            }
            self.log_density(ws, x)
        }
    }

    #[test]
    fn independent_coordinates_get_their_exact_sds() {
        let t = Independent(500);
        let mut evals = 0;
        let mode = vec![0.0; 500];
        let (sd, pmax, pmin, warning) =
            laplace_sds(&t, &mut (), &mode, 3, 0, &mut evals).expect("a precision");
        assert_eq!(evals, PROBES);
        assert!(warning.is_none());
        assert!((pmax - 500.0).abs() < 1e-9 && (pmin - 1.0).abs() < 1e-12);
        for (i, s) in sd.iter().enumerate() {
            let want = 1.0 / ((i + 1) as f64).sqrt();
            assert!((s - want).abs() < 1e-12 * want, "{i}: {s} vs {want}");
        }
        assert!(!builds_diagonal(true, EXACT_MARGINALS_MAX_DIM));
        assert!(builds_diagonal(true, EXACT_MARGINALS_MAX_DIM + 1));
        assert!(!builds_diagonal(false, 10 * EXACT_MARGINALS_MAX_DIM));
    }
}
