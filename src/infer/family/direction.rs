//! The per-sample path-derivative direction of each family in θ's layout,
//! and the closed-form entropy gradient of the `rep` estimator.

use super::gaussian::Factors;
use super::{Family, Param};

/// Adds ω·g to the mean block and the matching scale-block gradient
/// (`ω g εᵀ` for a general S, its lower triangle for Cholesky L, `ω g ⊙ ε`
/// for a diagonal s, times s for Stan's log-scale ω) of component k in
/// `dir`: the per-sample path-derivative direction of algorithms.md §5.4.
/// The engine accumulates with it, and the exactness tests call it directly.
pub(crate) fn accumulate(
    fam: Family,
    theta: &[f64],
    k: usize,
    weight: f64,
    g: &[f64],
    eps: &[f64],
    dir: &mut [f64],
) {
    let d = fam.d;
    let mo = fam.mean_offset(k);
    for i in 0..d {
        dir[mo + i] += weight * g[i];
    }
    let so = fam.scale_offset(k);
    match fam.param {
        Param::Diag => {
            for i in 0..d {
                dir[so + i] += weight * g[i] * eps[i];
            }
        }
        Param::LogDiag => {
            let s = fam.scale(theta, k);
            for i in 0..d {
                dir[so + i] += weight * g[i] * eps[i] * s[i].exp();
            }
        }
        Param::Dense | Param::Mixture(_) => {
            for i in 0..d {
                let wg = weight * g[i];
                if wg != 0.0 {
                    let row = &mut dir[so + i * d..so + (i + 1) * d];
                    for (r, e) in row.iter_mut().zip(eps) {
                        *r += wg * e;
                    }
                }
            }
        }
        Param::LowRank(r) => {
            let (eps, eta) = eps.split_at(d);
            let (dir_diag, dir_factor) = dir[so..so + d + d * r].split_at_mut(d);
            for i in 0..d {
                let wg = weight * g[i];
                dir_diag[i] += wg * eps[i];
                for (o, e) in dir_factor[i * r..(i + 1) * r].iter_mut().zip(eta) {
                    *o += wg * e;
                }
            }
        }
        Param::Lower => {
            for i in 0..d {
                let wg = weight * g[i];
                let row = &mut dir[so + i * d..so + i * d + i + 1];
                for (r, e) in row.iter_mut().zip(eps) {
                    *r += wg * e;
                }
            }
        }
    }
}

/// Adds `scale` times the gradient of the entropy log|det S| (+ const) to the
/// scale block of a Gaussian: S⁻ᵀ (general S), diag(1/L_ii) (Cholesky),
/// 1/s (diagonal), 1 (log-scale). `work` has length d² + d.
pub(crate) fn add_entropy_gradient(
    factors: &Factors,
    theta: &[f64],
    scale: f64,
    dir: &mut [f64],
    work: &mut [f64],
) {
    let fam = factors.family();
    let d = fam.d;
    let so = fam.scale_offset(0);
    match fam.param {
        Param::Diag => {
            let s = fam.scale(theta, 0);
            for i in 0..d {
                dir[so + i] += scale / s[i];
            }
        }
        Param::LogDiag => {
            for i in 0..d {
                dir[so + i] += scale;
            }
        }
        Param::Lower => {
            let s = fam.scale(theta, 0);
            for i in 0..d {
                dir[so + i * d + i] += scale / s[i * d + i];
            }
        }
        Param::Dense => {
            // Column j of S⁻ᵀ solves Sᵀ c = e_j.
            let (col, tmp) = work.split_at_mut(d);
            for j in 0..d {
                col.fill(0.0);
                col[j] = 1.0;
                factors.solve_transpose(0, col, &mut tmp[..d]);
                for i in 0..d {
                    dir[so + i * d + j] += scale * col[i];
                }
            }
        }
        Param::LowRank(r) => {
            let (diag, _) = fam.scale(theta, 0).split_at(d);
            let (dir_diag, dir_factor) = dir[so..so + d + d * r].split_at_mut(d);
            factors
                .woodbury()
                .add_entropy_gradient(diag, scale, dir_diag, dir_factor, work);
        }
        Param::Mixture(_) => {}
    }
}

/// Preconditions the low-rank family's direction `dir` (module docs of
/// `diag_low_rank`): the mean block and each column of the W block by q's
/// covariance Σ, the D block by 1/(Σ⁻¹)ᵢᵢ. `work` has length ≥ d + R.
pub(crate) fn precondition_low_rank(
    factors: &Factors,
    theta: &[f64],
    dir: &mut [f64],
    work: &mut [f64],
) {
    let fam = factors.family();
    let Some(r) = fam.rank() else {
        return;
    };
    let d = fam.d;
    let (diag, factor) = fam.scale(theta, 0).split_at(d);
    let (col, t) = work.split_at_mut(d);
    super::diag_low_rank::apply_covariance(diag, factor, &mut dir[..d], t);
    let so = fam.scale_offset(0);
    let woodbury = factors.woodbury();
    for i in 0..d {
        dir[so + i] /= woodbury.inverse_diagonal(diag, i, t);
    }
    let w0 = so + d;
    for j in 0..r {
        for i in 0..d {
            col[i] = dir[w0 + i * r + j];
        }
        super::diag_low_rank::apply_covariance(diag, factor, col, t);
        for i in 0..d {
            dir[w0 + i * r + j] = col[i];
        }
    }
}
