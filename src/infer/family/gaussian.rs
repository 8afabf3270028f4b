//! Per-iteration factorizations and per-sample work of the Gaussian and
//! Gaussian-mixture families: draws from noise, log q, and the score ∇ₓ log q
//! by triangular solves with an LU of each scale matrix (never an inverse).

use super::diag_low_rank::{self, LowRankFactor};
use super::low_rank::LowRankStep;
use super::{Family, Param};
use crate::infer::linalg::{Lu, dot_lanes};

/// ½ log 2π.
pub(crate) const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Factorizations of the current θ, refreshed after every accepted step and
/// shared read-only by all sample threads.
#[derive(Clone, Debug)]
pub(crate) struct Factors {
    fam: Family,
    lus: Vec<Lu>,
    logdet: Vec<f64>,
    logw: Vec<f64>,
    /// S⁻¹ (row-major) of a single general scale above
    /// [`LOW_RANK_MIN_DIM`] in a flow's factorizations
    /// ([`Factors::with_inverse`]), kept up to date through low-rank steps;
    /// empty otherwise.
    inverse: Vec<f64>,
    /// The LU no longer describes S (a low-rank step updated `inverse`).
    stale_lu: bool,
    /// The Woodbury factorisation of the low-rank family (`None` otherwise).
    woodbury: Option<LowRankFactor>,
}

/// Above this dimension a single general scale keeps its inverse, so that
/// steps of rank n update it in O(n d²) (see `low_rank`); up to it every
/// step refactors S (d³ is small there).
pub(crate) const LOW_RANK_MIN_DIM: usize = 100;

impl Factors {
    pub fn new(fam: Family) -> Factors {
        let k = fam.components();
        let lus = if fam.avoids_dense() {
            Vec::new()
        } else {
            (0..k).map(|_| Lu::new(fam.d)).collect()
        };
        Factors {
            fam,
            lus,
            logdet: vec![0.0; k],
            logw: vec![0.0; k],
            inverse: Vec::new(),
            stale_lu: false,
            woodbury: fam.rank().map(|r| LowRankFactor::new(fam.d, r)),
        }
    }

    /// Factorizations that also keep S⁻¹ when [`Factors::keeps_inverse`],
    /// for [`Factors::update_low_rank`].
    pub fn with_inverse(fam: Family) -> Factors {
        let mut f = Factors::new(fam);
        if Factors::keeps_inverse(fam) {
            f.inverse = vec![0.0; fam.d * fam.d];
        }
        f
    }

    /// Whether factorizations of `fam` keep S⁻¹ for low-rank steps.
    pub fn keeps_inverse(fam: Family) -> bool {
        fam.param == Param::Dense && fam.d > LOW_RANK_MIN_DIM
    }

    /// Copies another factorization of the same family without allocating
    /// (step control keeps a backup of the last accepted one).
    pub fn copy_from(&mut self, other: &Factors) {
        for (a, b) in self.lus.iter_mut().zip(&other.lus) {
            a.copy_from(b);
        }
        self.logdet.copy_from_slice(&other.logdet);
        self.logw.copy_from_slice(&other.logw);
        self.inverse.copy_from_slice(&other.inverse);
        self.stale_lu = other.stale_lu;
        if let (Some(a), Some(b)) = (&mut self.woodbury, &other.woodbury) {
            a.copy_from(b);
        }
    }

    pub fn family(&self) -> Family {
        self.fam
    }

    /// Refactors for θ. False when a scale matrix is singular or anything is
    /// not finite (the caller rejects the step).
    pub fn prepare(&mut self, theta: &[f64]) -> bool {
        if theta.iter().any(|v| !v.is_finite()) {
            return false;
        }
        let fam = self.fam;
        match fam.param {
            Param::Diag => {
                let s = fam.scale(theta, 0);
                if s.contains(&0.0) {
                    return false;
                }
                self.logdet[0] = s.iter().map(|v| v.abs().ln()).sum();
            }
            Param::LogDiag => {
                self.logdet[0] = fam.scale(theta, 0).iter().sum();
            }
            Param::LowRank(_) => {
                let (diag, factor) = fam.scale(theta, 0).split_at(fam.d);
                let woodbury = self.woodbury.as_mut().expect("a low-rank family's factor");
                if !woodbury.prepare(diag, factor) {
                    return false;
                }
                self.logdet[0] = woodbury.half_logdet;
            }
            _ => {
                for k in 0..fam.components() {
                    if !self.lus[k].factor(fam.scale(theta, k)) {
                        return false;
                    }
                    self.logdet[k] = self.lus[k].log_abs_det();
                    if !self.logdet[k].is_finite() {
                        return false;
                    }
                }
                self.stale_lu = false;
                if !self.inverse.is_empty() {
                    self.invert();
                }
            }
        }
        if let Param::Mixture(k) = fam.param {
            let a = fam.logits(theta);
            let m = a.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z = m + a.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            for j in 0..k {
                self.logw[j] = a[j] - z;
            }
        }
        true
    }

    /// S⁻¹ from the LU.
    fn invert(&mut self) {
        self.lus[0].inverse_into(&mut self.inverse);
    }

    /// b ← S_k⁻ᵀ b; `tmp` has length d.
    pub fn solve_transpose(&self, k: usize, b: &mut [f64], tmp: &mut [f64]) {
        if self.inverse.is_empty() {
            return self.lus[k].solve_transpose(b, tmp);
        }
        let d = self.fam.d;
        tmp[..d].fill(0.0);
        for i in 0..d {
            let bi = b[i];
            if bi != 0.0 {
                for (t, w) in tmp[..d].iter_mut().zip(&self.inverse[i * d..(i + 1) * d]) {
                    *t += w * bi;
                }
            }
        }
        b[..d].copy_from_slice(&tmp[..d]);
    }

    /// b ← S_k⁻¹ b; `tmp` has length d.
    pub fn solve(&self, k: usize, b: &mut [f64], tmp: &mut [f64]) {
        if self.inverse.is_empty() {
            return self.lus[k].solve(b, tmp);
        }
        let d = self.fam.d;
        for i in 0..d {
            tmp[i] = dot_lanes(&self.inverse[i * d..(i + 1) * d], &b[..d]);
        }
        b[..d].copy_from_slice(&tmp[..d]);
    }

    /// Factors θ_new = θ_old + (a step of rank n along the draws of
    /// `step`) from `old`, the factorization of θ_old, in O(n d²): S'⁻¹ by
    /// the Woodbury identity, log |det S'| by the determinant lemma. Falls
    /// back to [`Factors::prepare`] when the step is not of that form or
    /// the updated inverse has drifted (checked on a probe vector);
    /// `step.valid` says whether U and B describe the step. False when S'
    /// is singular or anything is not finite.
    pub fn update_low_rank(
        &mut self,
        old: &Factors,
        theta_old: &[f64],
        theta_new: &[f64],
        step: &mut LowRankStep,
    ) -> bool {
        step.valid = false;
        let fam = self.fam;
        if self.inverse.is_empty() || theta_new.iter().any(|v| !v.is_finite()) {
            return self.prepare(theta_new);
        }
        let (d, n) = (fam.d, step.n);
        let (s_old, s_new) = (fam.scale(theta_old, 0), fam.scale(theta_new, 0));
        // Δ = S' − S goes into `self.inverse` before it receives S'⁻¹.
        for ((o, a), b) in self.inverse.iter_mut().zip(s_new).zip(s_old) {
            *o = a - b;
        }
        let rounding = step.rounding_of_difference(s_old, s_new);
        if !step.recover(&self.inverse, rounding) {
            return self.prepare(theta_new);
        }
        let w = &old.inverse;
        // A = S⁻¹ U (rows wuₛ), B = Vᵀ S⁻¹ (rows bₛ).
        for s in 0..n {
            let us = &step.u[s * d..(s + 1) * d];
            for i in 0..d {
                step.wu[s * d + i] = dot_lanes(&w[i * d..(i + 1) * d], us);
            }
            let bs = &mut step.b[s * d..(s + 1) * d];
            bs.fill(0.0);
            for i in 0..d {
                let vi = step.v[s * d + i];
                for (b, wij) in bs.iter_mut().zip(&w[i * d..(i + 1) * d]) {
                    *b += vi * wij;
                }
            }
        }
        // K = I + Vᵀ A.
        for s in 0..n {
            for t in 0..n {
                step.small[s * n + t] =
                    dot_lanes(&step.v[s * d..(s + 1) * d], &step.wu[t * d..(t + 1) * d])
                        + f64::from(s == t);
            }
        }
        if !step.small_lu.factor(&step.small) {
            return false;
        }
        let logdet = old.logdet[0] + step.small_lu.log_abs_det();
        if !logdet.is_finite() {
            return false;
        }
        step.solve_k_b();
        // S'⁻¹ = S⁻¹ − A X.
        self.inverse.copy_from_slice(w);
        for s in 0..n {
            let xs = &step.x[s * d..(s + 1) * d];
            for i in 0..d {
                let a = step.wu[s * d + i];
                if a != 0.0 {
                    for (o, x) in self.inverse[i * d..(i + 1) * d].iter_mut().zip(xs) {
                        *o -= a * x;
                    }
                }
            }
        }
        // Drift: S' (S'⁻¹ p) must give back p.
        for i in 0..d {
            step.tmp[i] = dot_lanes(&self.inverse[i * d..(i + 1) * d], &step.probe);
        }
        let mut err = 0.0f64;
        let mut size = 0.0f64;
        for i in 0..d {
            let back = dot_lanes(&s_new[i * d..(i + 1) * d], &step.tmp);
            err = err.max((back - step.probe[i]).abs());
            size = size.max(step.probe[i].abs());
        }
        if !(err <= 1e-8 * size) {
            return self.prepare(theta_new);
        }
        self.logdet[0] = logdet;
        self.stale_lu = true;
        step.valid = true;
        true
    }

    pub fn weight(&self, k: usize) -> f64 {
        self.logw[k].exp()
    }

    /// The LU of S_k (never stale for the callers: FB-GVI refactors
    /// every step).
    pub fn lu(&self, k: usize) -> &Lu {
        debug_assert!(!self.stale_lu, "the LU was left behind by a low-rank step");
        &self.lus[k]
    }

    /// Scratch length one sample needs in [`Factors::log_q_score`].
    pub fn scratch_len(fam: Family) -> usize {
        match fam.param {
            Param::Mixture(k) => k * fam.d + fam.d + k,
            Param::LowRank(r) => fam.d.max(r),
            _ => fam.d,
        }
    }

    /// x = μ_k + S_k ε.
    pub fn transform(&self, theta: &[f64], k: usize, eps: &[f64], x: &mut [f64]) {
        let fam = self.fam;
        let d = fam.d;
        let mu = fam.mean(theta, k);
        let s = fam.scale(theta, k);
        match fam.param {
            Param::Diag => {
                for i in 0..d {
                    x[i] = mu[i] + s[i] * eps[i];
                }
            }
            Param::LogDiag => {
                for i in 0..d {
                    x[i] = mu[i] + s[i].exp() * eps[i];
                }
            }
            Param::LowRank(_) => {
                let (diag, factor) = s.split_at(d);
                diag_low_rank::transform(mu, diag, factor, eps, x);
            }
            // Above LOW_RANK_MIN_DIM with four-lane sums, as the other
            // O(n d²) kernels of a step there (the order, and so the
            // rounding, of smaller fits is left as it was).
            _ if d > LOW_RANK_MIN_DIM => {
                for i in 0..d {
                    x[i] = mu[i] + dot_lanes(&s[i * d..(i + 1) * d], eps);
                }
            }
            _ => {
                for i in 0..d {
                    x[i] = mu[i] + crate::infer::linalg::dot(&s[i * d..(i + 1) * d], eps);
                }
            }
        }
    }

    /// Closed-form entropy (Gaussians); `None` for mixtures.
    pub fn entropy(&self) -> Option<f64> {
        match self.fam.param {
            Param::Mixture(_) => None,
            _ => Some(self.fam.d as f64 * (0.5 + HALF_LN_2PI) + self.logdet[0]),
        }
    }

    /// log q(x) and its score ∇ₓ log q(x) for x = μ_k + S_k ε drawn from
    /// component k. For a single Gaussian both come from ε directly
    /// (log q = −½‖ε‖² − log|det S| − d/2 log 2π, score = −S⁻ᵀε); for a
    /// mixture the score is Σ_j γ_j(x)(−S_j⁻ᵀ z_j), z_j = S_j⁻¹(x − μ_j),
    /// with responsibilities γ from a log-sum-exp.
    pub fn log_q_score(
        &self,
        theta: &[f64],
        k: usize,
        eps: &[f64],
        x: &[f64],
        score: &mut [f64],
        scratch: &mut [f64],
    ) -> f64 {
        let fam = self.fam;
        let d = fam.d;
        let c = d as f64 * HALF_LN_2PI;
        match fam.param {
            Param::Diag | Param::LogDiag => {
                let s = fam.scale(theta, 0);
                let mut q = 0.0;
                for i in 0..d {
                    let si = if fam.param == Param::Diag {
                        s[i]
                    } else {
                        s[i].exp()
                    };
                    score[i] = -eps[i] / si;
                    q += eps[i] * eps[i];
                }
                -0.5 * q - self.logdet[0] - c
            }
            Param::LowRank(_) => {
                let mu = fam.mean(theta, 0);
                for i in 0..d {
                    score[i] = x[i] - mu[i];
                }
                let quad = self.low_rank_inverse(theta, score, scratch);
                for v in score.iter_mut() {
                    *v = -*v;
                }
                -0.5 * quad - self.logdet[0] - c
            }
            Param::Dense | Param::Lower => {
                score.copy_from_slice(eps);
                self.solve_transpose(0, score, &mut scratch[..d]);
                for v in score.iter_mut() {
                    *v = -*v;
                }
                -0.5 * crate::infer::linalg::dot(eps, eps) - self.logdet[0] - c
            }
            Param::Mixture(kk) => {
                let (zs, rest) = scratch.split_at_mut(kk * d);
                let (tmp, ell) = rest.split_at_mut(d);
                for j in 0..kk {
                    let z = &mut zs[j * d..(j + 1) * d];
                    if j == k {
                        z.copy_from_slice(eps);
                    } else {
                        let mu = fam.mean(theta, j);
                        for i in 0..d {
                            z[i] = x[i] - mu[i];
                        }
                        self.solve(j, z, tmp);
                    }
                    ell[j] =
                        self.logw[j] - 0.5 * crate::infer::linalg::dot(z, z) - self.logdet[j] - c;
                }
                let m = ell[..kk].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let lq = m + ell[..kk].iter().map(|v| (v - m).exp()).sum::<f64>().ln();
                score.fill(0.0);
                for j in 0..kk {
                    let gamma = (ell[j] - lq).exp();
                    if gamma == 0.0 {
                        continue;
                    }
                    let z = &mut zs[j * d..(j + 1) * d];
                    self.solve_transpose(j, z, tmp);
                    for i in 0..d {
                        score[i] -= gamma * z[i];
                    }
                }
                lq
            }
        }
    }

    /// log q(x) at an arbitrary point; `scratch` has length
    /// [`Factors::scratch_len`].
    pub fn log_q_at(&self, theta: &[f64], x: &[f64], scratch: &mut [f64]) -> f64 {
        let fam = self.fam;
        let d = fam.d;
        let c = d as f64 * HALF_LN_2PI;
        match fam.param {
            Param::Diag | Param::LogDiag => {
                let mu = fam.mean(theta, 0);
                let s = fam.scale(theta, 0);
                let mut q = 0.0;
                for i in 0..d {
                    let si = if fam.param == Param::Diag {
                        s[i]
                    } else {
                        s[i].exp()
                    };
                    let z = (x[i] - mu[i]) / si;
                    q += z * z;
                }
                -0.5 * q - self.logdet[0] - c
            }
            Param::LowRank(_) => {
                let mu = fam.mean(theta, 0);
                let (z, t) = scratch.split_at_mut(d);
                for i in 0..d {
                    z[i] = x[i] - mu[i];
                }
                -0.5 * self.low_rank_inverse(theta, z, t) - self.logdet[0] - c
            }
            _ => {
                let kk = fam.components();
                let (z, rest) = scratch.split_at_mut(d);
                let (tmp, rest) = rest.split_at_mut(d);
                let ell = &mut rest[..kk];
                for j in 0..kk {
                    let mu = fam.mean(theta, j);
                    for i in 0..d {
                        z[i] = x[i] - mu[i];
                    }
                    self.solve(j, z, tmp);
                    ell[j] =
                        self.logw[j] - 0.5 * crate::infer::linalg::dot(z, z) - self.logdet[j] - c;
                }
                let m = ell.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                if m == f64::NEG_INFINITY {
                    return m;
                }
                m + ell.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
            }
        }
    }

    /// Scratch length for [`Factors::log_q_at`].
    pub fn point_scratch_len(fam: Family) -> usize {
        2 * fam.d + fam.components() + fam.rank().unwrap_or(0)
    }

    /// The Woodbury factorisation of the low-rank family.
    pub(super) fn woodbury(&self) -> &LowRankFactor {
        self.woodbury.as_ref().expect("a low-rank family's factor")
    }

    /// v ← Σ⁻¹ v for the low-rank family, returning the old vᵀ Σ⁻¹ v;
    /// `t` has length ≥ R.
    fn low_rank_inverse(&self, theta: &[f64], v: &mut [f64], t: &mut [f64]) -> f64 {
        let diag = &self.fam.scale(theta, 0)[..self.fam.d];
        self.woodbury().apply_inverse(diag, v, t)
    }
}
