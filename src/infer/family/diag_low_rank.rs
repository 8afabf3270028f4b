//! The low-rank family `lowrank:R`: q = N(μ, Σ) with Σ = D² + W Wᵀ, D
//! diagonal (d) and W a d × R factor, in O(d R²) time and O(d R) memory
//! per operation — no d × d matrix anywhere.
//!
//! θ is laid out `[μ (d), D (d), W (d × R, row-major)]`, and a draw uses
//! noise ξ = (ε, η) ∈ R^(d+R): x = μ + D ε + W η, so that x − μ has
//! covariance D² + W Wᵀ. With A = D⁻² W (d × R) and the R × R capacitance
//! matrix K = I + Wᵀ D⁻² W (positive definite, factored by Cholesky):
//!
//! - Woodbury: Σ⁻¹ v = D⁻² v − A K⁻¹ Aᵀ v (O(d R) after the O(d R²)
//!   factorisation);
//! - the determinant lemma: log det Σ = 2 Σᵢ log|Dᵢ| + log det K;
//! - log q(x) = −½ (x − μ)ᵀ Σ⁻¹ (x − μ) − ½ log det Σ − (d/2) log 2π and the
//!   score ∇ₓ log q = −Σ⁻¹ (x − μ);
//! - the entropy's gradient (the `rep` estimator's closed-form term):
//!   ∂ ½ log det Σ / ∂W = Σ⁻¹ W = A K⁻¹ and ∂ / ∂Dᵢ = (Σ⁻¹)ᵢᵢ Dᵢ with
//!   (Σ⁻¹)ᵢᵢ = Dᵢ⁻² − aᵢᵀ K⁻¹ aᵢ (aᵢ the i-th row of A).
//!
//! The update (`bw`): the path-derivative (sticking-the-landing) gradient
//! of the ELBO — or of an f-divergence with the particle weights ω of
//! `estimator` — with respect to (μ, D, W) themselves. Per draw, with
//! g = ∇log π̃(x) − ∇ₓ log q(x) (q's parameters frozen), the direction is
//! ω·g for μ, ω·g ⊙ ε for D and ω·g ηᵀ for W. This is the Euler step of
//! the Bures–Wasserstein flow restricted to the family: for a full-rank
//! scale S the same estimator gives ω·g εᵀ, the flow's own step, and here
//! the velocity field x ↦ E[g | x] is projected onto the maps
//! x = μ + D ε + W η the family can move along (the flow's step, projected
//! onto the family's tangent space in the Euclidean metric of θ).
//!
//! W is not identified up to rotations (W Q, Q orthogonal, is the same q);
//! the flow leaves that freedom alone, and everything that leaves the
//! engine (log q, sds, draws' distribution) is invariant to it. A W of
//! zero is a stationary point of the exact flow (E[g ηᵀ] = 0 when x does
//! not depend on η), so a fit starts from a small W ([`initial_factor`]):
//! directions in which the posterior is wider than D grow out of it
//! exponentially, the others decay.

use crate::scalar::linalg::{cholesky_in_place, solve_lower, solve_lower_transposed};

/// The factorisation of one θ of the low-rank family.
#[derive(Clone, Debug)]
pub(crate) struct LowRankFactor {
    d: usize,
    r: usize,
    /// A = D⁻² W, d × R row-major.
    a: Vec<f64>,
    /// The Cholesky factor L of K = I + Wᵀ D⁻² W, R × R row-major.
    chol: Vec<f64>,
    /// ½ log det Σ.
    pub half_logdet: f64,
}

impl LowRankFactor {
    pub fn new(d: usize, r: usize) -> LowRankFactor {
        LowRankFactor {
            d,
            r,
            a: vec![0.0; d * r],
            chol: vec![0.0; r * r],
            half_logdet: 0.0,
        }
    }

    pub fn copy_from(&mut self, other: &LowRankFactor) {
        self.a.copy_from_slice(&other.a);
        self.chol.copy_from_slice(&other.chol);
        self.half_logdet = other.half_logdet;
    }

    /// Factors for `diag` (D) and `factor` (W); false when some Dᵢ is zero
    /// or anything is not finite.
    pub fn prepare(&mut self, diag: &[f64], factor: &[f64]) -> bool {
        let (d, r) = (self.d, self.r);
        let mut log_d = 0.0;
        for i in 0..d {
            let di = diag[i];
            if di == 0.0 || !di.is_finite() {
                return false;
            }
            log_d += di.abs().ln();
            let inv2 = 1.0 / (di * di);
            for j in 0..r {
                self.a[i * r + j] = factor[i * r + j] * inv2;
            }
        }
        // K = I + Σᵢ wᵢ aᵢᵀ (wᵢ, aᵢ the rows of W and A).
        self.chol.fill(0.0);
        for i in 0..d {
            let (w, a) = (&factor[i * r..(i + 1) * r], &self.a[i * r..(i + 1) * r]);
            for p in 0..r {
                let wp = w[p];
                if wp != 0.0 {
                    for q in 0..=p {
                        self.chol[p * r + q] += wp * a[q];
                    }
                }
            }
        }
        for p in 0..r {
            self.chol[p * r + p] += 1.0;
            for q in p + 1..r {
                self.chol[p * r + q] = self.chol[q * r + p];
            }
        }
        if cholesky_in_place(&mut self.chol, r).is_err() {
            return false;
        }
        for p in 0..r {
            for q in p + 1..r {
                self.chol[p * r + q] = 0.0;
            }
        }
        let log_k: f64 = (0..r).map(|p| self.chol[p * r + p].ln()).sum();
        self.half_logdet = log_d + log_k;
        self.half_logdet.is_finite()
    }

    /// t ← K⁻¹ t (length R).
    fn solve_k(&self, t: &mut [f64]) {
        solve_lower(&self.chol, t, self.r);
        solve_lower_transposed(&self.chol, t, self.r);
    }

    /// On entry `v` holds x − μ; on exit it holds Σ⁻¹ (x − μ). Returns the
    /// quadratic form (x − μ)ᵀ Σ⁻¹ (x − μ). `t` has length ≥ R.
    pub fn apply_inverse(&self, diag: &[f64], v: &mut [f64], t: &mut [f64]) -> f64 {
        let (d, r) = (self.d, self.r);
        let t = &mut t[..r];
        t.fill(0.0);
        for i in 0..d {
            let vi = v[i];
            for (tj, a) in t.iter_mut().zip(&self.a[i * r..(i + 1) * r]) {
                *tj += a * vi;
            }
        }
        self.solve_k(t);
        let mut quad = 0.0;
        for i in 0..d {
            let vi = v[i];
            let at: f64 = self.a[i * r..(i + 1) * r]
                .iter()
                .zip(t.iter())
                .map(|(a, b)| a * b)
                .sum();
            let zi = vi / (diag[i] * diag[i]) - at;
            quad += vi * zi;
            v[i] = zi;
        }
        quad
    }

    /// Adds `scale` times the gradient of ½ log det Σ with respect to D and
    /// W to `dir_diag` and `dir_factor`; `t` has length ≥ R.
    pub fn add_entropy_gradient(
        &self,
        diag: &[f64],
        scale: f64,
        dir_diag: &mut [f64],
        dir_factor: &mut [f64],
        t: &mut [f64],
    ) {
        let (d, r) = (self.d, self.r);
        let t = &mut t[..r];
        for i in 0..d {
            let a = &self.a[i * r..(i + 1) * r];
            t.copy_from_slice(a);
            self.solve_k(t);
            let quad: f64 = a.iter().zip(t.iter()).map(|(x, y)| x * y).sum();
            let di = diag[i];
            dir_diag[i] += scale * (1.0 / (di * di) - quad) * di;
            for (o, v) in dir_factor[i * r..(i + 1) * r].iter_mut().zip(t.iter()) {
                *o += scale * v;
            }
        }
    }
}

impl LowRankFactor {
    /// (Σ⁻¹)ᵢᵢ = Dᵢ⁻² − aᵢᵀ K⁻¹ aᵢ; `t` has length ≥ R.
    pub fn inverse_diagonal(&self, diag: &[f64], i: usize, t: &mut [f64]) -> f64 {
        let r = self.r;
        let a = &self.a[i * r..(i + 1) * r];
        let t = &mut t[..r];
        t.copy_from_slice(a);
        self.solve_k(t);
        let quad: f64 = a.iter().zip(t.iter()).map(|(x, y)| x * y).sum();
        1.0 / (diag[i] * diag[i]) - quad
    }
}

/// v ← Σ v = D² v + W (Wᵀ v); `t` has length ≥ R.
pub(crate) fn apply_covariance(diag: &[f64], factor: &[f64], v: &mut [f64], t: &mut [f64]) {
    let d = diag.len();
    let r = factor.len() / d.max(1);
    let t = &mut t[..r];
    t.fill(0.0);
    for i in 0..d {
        for (tj, w) in t.iter_mut().zip(&factor[i * r..(i + 1) * r]) {
            *tj += w * v[i];
        }
    }
    for i in 0..d {
        let wt: f64 = factor[i * r..(i + 1) * r]
            .iter()
            .zip(t.iter())
            .map(|(a, b)| a * b)
            .sum();
        v[i] = diag[i] * diag[i] * v[i] + wt;
    }
}

/// x = μ + D ε + W η for the noise ξ = (ε, η).
pub(crate) fn transform(mean: &[f64], diag: &[f64], factor: &[f64], xi: &[f64], x: &mut [f64]) {
    let d = mean.len();
    let r = factor.len() / d.max(1);
    let (eps, eta) = xi.split_at(d);
    for i in 0..d {
        let w = &factor[i * r..(i + 1) * r];
        let we: f64 = w.iter().zip(eta).map(|(a, b)| a * b).sum();
        x[i] = mean[i] + diag[i] * eps[i] + we;
    }
}

/// Marginal variances Dᵢ² + ‖wᵢ‖².
pub(crate) fn marginal_variance(diag: &[f64], factor: &[f64], i: usize) -> f64 {
    let r = factor.len() / diag.len().max(1);
    let w = &factor[i * r..(i + 1) * r];
    diag[i] * diag[i] + w.iter().map(|v| v * v).sum::<f64>()
}

/// The starting factor W₀ for marginal sds `sd`: entry (i, j) is
/// `INITIAL_FACTOR` · sdᵢ / √d times a fixed pattern of ±1 and sizes in
/// [0.5, 1] (deterministic, so fits are reproducible; distinct columns so
/// that they start out in different directions). Each column then has a
/// norm of about a tenth of a (whitened) sd whatever d: a larger start
/// would add variance of order d/100 along each column, which a target
/// without low-rank structure removes only slowly (W Wᵀ W decays
/// cubically), while a useful direction grows out of a small start
/// exponentially.
pub(crate) fn initial_factor(sd: &[f64], r: usize) -> Vec<f64> {
    let d = sd.len();
    let mut w = vec![0.0; d * r];
    for i in 0..d {
        for j in 0..r {
            let h = (i.wrapping_mul(7919) ^ j.wrapping_mul(104_729)).wrapping_mul(2_654_435_761);
            let size = 0.5 + 0.5 * ((h >> 8) % 1024) as f64 / 1023.0;
            let sign = if (h >> 20) & 1 == 0 { 1.0 } else { -1.0 };
            w[i * r + j] = INITIAL_FACTOR * sd[i] * sign * size / (d as f64).sqrt();
        }
    }
    w
}

/// The size of W₀ relative to the marginal sds (see [`initial_factor`]).
const INITIAL_FACTOR: f64 = 0.1;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::linalg::cholesky_in_place;

    /// Σ = D² + W Wᵀ, dense.
    fn dense(diag: &[f64], factor: &[f64], r: usize) -> Vec<f64> {
        let d = diag.len();
        let mut c = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                let v: f64 = (0..r).map(|p| factor[i * r + p] * factor[j * r + p]).sum();
                c[i * d + j] = v + if i == j { diag[i] * diag[i] } else { 0.0 };
            }
        }
        c
    }

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((*seed >> 11) as f64) / ((1u64 << 53) as f64) * 2.0 - 1.0
    }

    /// Woodbury, the determinant lemma and the entropy gradient against the
    /// dense formulas (Cholesky of D² + W Wᵀ, finite differences of
    /// ½ log det Σ) for random D, W.
    #[test]
    fn woodbury_and_determinant_lemma_match_dense_formulas() {
        let mut seed = 11u64;
        for (d, r) in [(5, 1), (7, 3), (12, 4)] {
            let diag: Vec<f64> = (0..d).map(|_| 0.3 + lcg(&mut seed).abs() * 2.0).collect();
            let factor: Vec<f64> = (0..d * r).map(|_| lcg(&mut seed)).collect();
            let mut f = LowRankFactor::new(d, r);
            assert!(f.prepare(&diag, &factor));
            let sigma = dense(&diag, &factor, r);
            let mut l = sigma.clone();
            cholesky_in_place(&mut l, d).unwrap();
            let half_logdet: f64 = (0..d).map(|i| l[i * d + i].ln()).sum();
            assert!((f.half_logdet - half_logdet).abs() < 1e-12 * (1.0 + half_logdet.abs()));
            let v: Vec<f64> = (0..d).map(|_| lcg(&mut seed)).collect();
            let mut z = v.clone();
            let mut t = vec![0.0; r];
            let quad = f.apply_inverse(&diag, &mut z, &mut t);
            // Σ z must give back v.
            let mut back = vec![0.0; d];
            for i in 0..d {
                back[i] = (0..d).map(|j| sigma[i * d + j] * z[j]).sum();
            }
            for i in 0..d {
                assert!((back[i] - v[i]).abs() < 1e-11, "{d} {r}: {back:?} {v:?}");
            }
            let mut y = v.clone();
            solve_lower(&l, &mut y, d);
            let quad_dense: f64 = y.iter().map(|a| a * a).sum();
            assert!((quad - quad_dense).abs() < 1e-11 * (1.0 + quad_dense));
            // Entropy gradient against central differences.
            let mut gd = vec![0.0; d];
            let mut gw = vec![0.0; d * r];
            f.add_entropy_gradient(&diag, 1.0, &mut gd, &mut gw, &mut t);
            let half = |dg: &[f64], w: &[f64]| {
                let mut c = dense(dg, w, r);
                cholesky_in_place(&mut c, d).unwrap();
                (0..d).map(|i| c[i * d + i].ln()).sum::<f64>()
            };
            let h = 1e-6;
            for i in 0..d {
                let (mut p, mut m) = (diag.clone(), diag.clone());
                p[i] += h;
                m[i] -= h;
                let fd = (half(&p, &factor) - half(&m, &factor)) / (2.0 * h);
                assert!((gd[i] - fd).abs() < 1e-6, "dD {i}: {} vs {fd}", gd[i]);
            }
            for k in 0..d * r {
                let (mut p, mut m) = (factor.clone(), factor.clone());
                p[k] += h;
                m[k] -= h;
                let fd = (half(&diag, &p) - half(&diag, &m)) / (2.0 * h);
                assert!((gw[k] - fd).abs() < 1e-6, "dW {k}: {} vs {fd}", gw[k]);
            }
        }
    }

    /// log q and the score −Σ⁻¹(x − μ) of a draw from the noise (ε, η)
    /// against the dense Cholesky formulas.
    #[test]
    fn factors_give_log_q_and_score_of_the_dense_gaussian() {
        use crate::infer::choices::FamilyKind;
        use crate::infer::family::{Factors, Family};
        let (d, r) = (6, 2);
        let fam = Family::new(FamilyKind::LowRank(r), d, false);
        let mut seed = 5u64;
        let theta: Vec<f64> = (0..fam.n_params())
            .map(|k| {
                let v = lcg(&mut seed);
                if (d..2 * d).contains(&k) {
                    0.4 + v.abs()
                } else {
                    v
                }
            })
            .collect();
        let mut f = Factors::new(fam);
        assert!(f.prepare(&theta));
        let (mean, scale) = theta.split_at(d);
        let (diag, factor) = scale.split_at(d);
        let mut l = dense(diag, factor, r);
        cholesky_in_place(&mut l, d).unwrap();
        let half_logdet: f64 = (0..d).map(|i| l[i * d + i].ln()).sum();
        let xi: Vec<f64> = (0..d + r).map(|_| lcg(&mut seed) * 1.5).collect();
        let mut x = vec![0.0; d];
        f.transform(&theta, 0, &xi, &mut x);
        let (mut score, mut scratch) = (vec![0.0; d], vec![0.0; Factors::scratch_len(fam)]);
        let lq = f.log_q_score(&theta, 0, &xi, &x, &mut score, &mut scratch);
        let mut z: Vec<f64> = (0..d).map(|i| x[i] - mean[i]).collect();
        solve_lower(&l, &mut z, d);
        let quad: f64 = z.iter().map(|v| v * v).sum();
        solve_lower_transposed(&l, &mut z, d);
        let want = -0.5 * quad - half_logdet - d as f64 * 0.918_938_533_204_672_8;
        assert!(
            (lq - want).abs() < 1e-12 * want.abs().max(1.0),
            "{lq} vs {want}"
        );
        for i in 0..d {
            assert!(
                (score[i] + z[i]).abs() < 1e-12 * (1.0 + z[i].abs()),
                "score {i}"
            );
        }
        let mut point = vec![0.0; Factors::point_scratch_len(fam)];
        assert!((f.log_q_at(&theta, &x, &mut point) - want).abs() < 1e-12 * want.abs().max(1.0));
    }

    /// The draws' covariance is D² + W Wᵀ: the map ξ ↦ D ε + W η is the
    /// d × (d + R) matrix [D W], whose product with its transpose is Σ.
    #[test]
    fn the_transform_has_covariance_d_squared_plus_w_w_transposed() {
        let (d, r) = (4, 2);
        let diag = [0.5, 1.5, 2.0, 0.7];
        let factor = [0.3, -0.2, 1.1, 0.4, -0.6, 0.9, 0.0, 0.25];
        let mean = [0.0; 4];
        let mut b = vec![0.0; d * (d + r)];
        let mut x = vec![0.0; d];
        for c in 0..d + r {
            let mut xi = vec![0.0; d + r];
            xi[c] = 1.0;
            transform(&mean, &diag, &factor, &xi, &mut x);
            for i in 0..d {
                b[i * (d + r) + c] = x[i];
            }
        }
        let mut bbt = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                bbt[i * d + j] = (0..d + r)
                    .map(|c| b[i * (d + r) + c] * b[j * (d + r) + c])
                    .sum();
            }
        }
        let want = dense(&diag, &factor, r);
        for (a, w) in bbt.iter().zip(&want) {
            assert!((a - w).abs() < 1e-14);
        }
        for i in 0..d {
            assert!((marginal_variance(&diag, &factor, i) - want[i * d + i]).abs() < 1e-14);
        }
    }
}
