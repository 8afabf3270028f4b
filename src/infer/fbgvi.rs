//! The forward–backward Gaussian VI step (Diao, Balasubramanian, Chewi,
//! Salim 2023; algorithms.md §7.2) for a full-rank Gaussian and KL(q‖π):
//!
//! ```text
//! μ'     = μ + h Ê[∇log π]
//! M      = I + h Ê[∇²log π]
//! Σ_half = M Σ M
//! Σ'     = ½ (Σ_half + 2hI + [Σ_half (Σ_half + 4hI)]^{1/2})
//! ```
//!
//! The backward (JKO) step on the entropy is exact for Gaussians and maps
//! every eigenvalue λ of Σ_half to (λ + 2h + √(λ(λ + 4h)))/2 ≥ h, so Σ' is
//! positive definite by construction. E[∇²log π] is the average of exact
//! Hessians at the samples or, from gradients only, Stein's identity
//! E[∇²log π] = E[∇log π(μ + Sε) εᵀ] S⁻¹ (symmetrised). The new scale is
//! stored as the symmetric square root of Σ'.

use super::Target;
use super::batch::Batch;
use super::family::{Factors, Family};
use super::linalg::{mat_mul, mat_mul_t, symmetric_eigen};

pub(crate) struct FbWork {
    gbar: Vec<f64>,
    hbar: Vec<f64>,
    m: Vec<f64>,
    ms: Vec<f64>,
    sigma: Vec<f64>,
    tmp: Vec<f64>,
}

impl FbWork {
    pub fn new(d: usize) -> Self {
        FbWork {
            gbar: vec![0.0; d],
            hbar: vec![0.0; d * d],
            m: vec![0.0; d * d],
            ms: vec![0.0; d * d],
            sigma: vec![0.0; d * d],
            tmp: vec![0.0; d],
        }
    }
}

/// Gathers Ê[∇log π] and Ê[∇²log π] from the batch's `n` samples (with
/// Hessians when `stein` is false). Called right after sampling, before the
/// batch buffers are reused.
pub(crate) fn gather<T: Target>(
    factors: &Factors,
    batch: &Batch<'_, T>,
    n: usize,
    stein: bool,
    w: &mut FbWork,
) {
    let d = w.gbar.len();
    let inv_n = 1.0 / n as f64;
    w.gbar.fill(0.0);
    w.hbar.fill(0.0);
    for i in 0..n {
        let s = batch.get(i);
        for a in 0..d {
            w.gbar[a] += inv_n * s.gradp[a];
        }
        if stein {
            for a in 0..d {
                let ga = inv_n * s.gradp[a];
                for b in 0..d {
                    w.hbar[a * d + b] += ga * s.eps[b];
                }
            }
        } else {
            for (hb, hv) in w.hbar.iter_mut().zip(s.hess) {
                *hb += inv_n * hv;
            }
        }
    }
    if stein {
        // H = B S⁻¹: row a of H is S⁻ᵀ (row a of B).
        for a in 0..d {
            factors
                .lu(0)
                .solve_transpose(&mut w.hbar[a * d..(a + 1) * d], &mut w.tmp);
        }
    }
}

/// Writes the FB-GVI update of θ = [μ, S] with step h into `out`, from the
/// statistics of the last [`gather`].
pub(crate) fn apply(fam: Family, theta: &[f64], h: f64, out: &mut [f64], w: &mut FbWork) {
    let d = fam.d;
    // M = I + h sym(H)
    for a in 0..d {
        for b in 0..d {
            let sym = 0.5 * (w.hbar[a * d + b] + w.hbar[b * d + a]);
            w.m[a * d + b] = h * sym + if a == b { 1.0 } else { 0.0 };
        }
    }
    let s = fam.scale(theta, 0);
    mat_mul(&w.m, s, &mut w.ms, d);
    mat_mul_t(&w.ms, &w.ms, &mut w.sigma, d);
    let (vals, vecs) = symmetric_eigen(&w.sigma, d);
    let mu = fam.mean(theta, 0);
    for a in 0..d {
        out[a] = mu[a] + h * w.gbar[a];
    }
    let so = fam.scale_offset(0);
    let root: Vec<f64> = vals
        .iter()
        .map(|&l| {
            let l = l.max(0.0);
            (0.5 * (l + 2.0 * h + (l * (l + 4.0 * h)).sqrt())).sqrt()
        })
        .collect();
    for a in 0..d {
        for b in 0..d {
            let mut acc = 0.0;
            for k in 0..d {
                acc += vecs[a * d + k] * root[k] * vecs[b * d + k];
            }
            out[so + a * d + b] = acc;
        }
    }
}
