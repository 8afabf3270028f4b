//! Full-rank steps in O(n d²): the path estimator's direction for a
//! general scale is Σₛ cₛ gₛ εₛᵀ over the n draws of the batch, so an Euler
//! step changes S by a matrix of rank n, S' = S + U Vᵀ with V = [ε₁ … εₙ].
//! Then S'⁻¹ follows from S⁻¹ by the Woodbury identity, log |det S'| by the
//! matrix determinant lemma (`Factors::update_low_rank`), and the step
//! check's M = S' S⁻¹ = I + U (Vᵀ S⁻¹) differs from I only on the span of
//! at most 2n vectors, where its singular values are those of a 2n × 2n
//! matrix. No d × d factorisation is needed; U is recovered from the step
//! itself (U = ΔS V (VᵀV)⁻¹) and checked on a probe vector, so any step
//! that is not of this form (Adam, the reparameterisation estimator's
//! entropy term) falls back to a full factorisation.

use crate::infer::linalg::{Lu, dot_lanes};
use crate::scalar::linalg::cholesky_in_place;

/// Buffers of one low-rank step: the draws V, the recovered U, B = Vᵀ S⁻¹
/// and the small matrices (rows of n × d arrays are vectors of length d).
#[derive(Clone, Debug)]
pub(crate) struct LowRankStep {
    pub n: usize,
    pub d: usize,
    /// Row s: εₛ.
    pub v: Vec<f64>,
    /// Row s: column s of U.
    pub u: Vec<f64>,
    /// Row s: row s of Vᵀ S⁻¹ (the old scale's inverse).
    pub b: Vec<f64>,
    /// Row s: S⁻¹ uₛ.
    pub wu: Vec<f64>,
    /// K⁻¹ B, n × d.
    pub x: Vec<f64>,
    /// n × n scratch (VᵀV and its Cholesky factor; K).
    pub small: Vec<f64>,
    pub small_lu: Lu,
    /// Orthonormal basis of span{uₛ, bₛ}, rows, and its size.
    q: Vec<f64>,
    rank: usize,
    /// 2n × 2n scratch of the step check.
    c: Vec<f64>,
    cct: Vec<f64>,
    qu: Vec<f64>,
    bq: Vec<f64>,
    p: Vec<f64>,
    p2: Vec<f64>,
    pub probe: Vec<f64>,
    pub tmp: Vec<f64>,
    /// U and B describe the last step.
    pub valid: bool,
}

impl LowRankStep {
    pub fn new(n: usize, d: usize) -> LowRankStep {
        LowRankStep {
            n,
            d,
            v: vec![0.0; n * d],
            u: vec![0.0; n * d],
            b: vec![0.0; n * d],
            wu: vec![0.0; n * d],
            x: vec![0.0; n * d],
            small: vec![0.0; n * n],
            small_lu: Lu::new(n),
            q: vec![0.0; 2 * n * d],
            rank: 0,
            c: vec![0.0; 4 * n * n],
            cct: vec![0.0; 4 * n * n],
            // A fixed vector with entries of both signs and several sizes.
            probe: (0..d)
                .map(|i| 1.0 + 0.37 * ((i * 7919 % 17) as f64) - 3.0 * ((i % 2) as f64))
                .collect(),
            qu: vec![0.0; 2 * n * n],
            bq: vec![0.0; 2 * n * n],
            p: vec![0.0; n],
            p2: vec![0.0; n],
            tmp: vec![0.0; d],
            valid: false,
        }
    }

    /// Keeps the draws εₛ of the batch the direction came from.
    pub fn set_noise<'a>(&mut self, eps: impl Fn(usize) -> &'a [f64]) {
        let d = self.d;
        for s in 0..self.n {
            self.v[s * d..(s + 1) * d].copy_from_slice(eps(s));
        }
        self.valid = false;
    }

    /// U = Δ V (VᵀV)⁻¹ for the change Δ (row-major d × d) of the scale;
    /// false when VᵀV is singular or Δ ≠ U Vᵀ on the probe (the step is not
    /// of rank n along the draws) by more than `rounding`, the error with
    /// which Δ p is known (Δ is a difference of two scales: near the
    /// optimum, where the path estimator's direction vanishes, it is
    /// rounding alone).
    pub fn recover(&mut self, delta: &[f64], rounding: f64) -> bool {
        let (n, d) = (self.n, self.d);
        for s in 0..n {
            for t in 0..=s {
                let g = dot_lanes(&self.v[s * d..(s + 1) * d], &self.v[t * d..(t + 1) * d]);
                self.small[s * n + t] = g;
                self.small[t * n + s] = g;
            }
        }
        if cholesky_in_place(&mut self.small, n).is_err() {
            return false;
        }
        let p = &mut self.p;
        for i in 0..d {
            let row = &delta[i * d..(i + 1) * d];
            for s in 0..n {
                p[s] = dot_lanes(row, &self.v[s * d..(s + 1) * d]);
            }
            // (VᵀV) y = p by the Cholesky factor L Lᵀ.
            for s in 0..n {
                let mut acc = p[s];
                for t in 0..s {
                    acc -= self.small[s * n + t] * p[t];
                }
                p[s] = acc / self.small[s * n + s];
            }
            for s in (0..n).rev() {
                let mut acc = p[s];
                for t in s + 1..n {
                    acc -= self.small[t * n + s] * p[t];
                }
                p[s] = acc / self.small[s * n + s];
            }
            for s in 0..n {
                self.u[s * d + i] = p[s];
            }
        }
        // Check Δ p = U (Vᵀ p) on the probe.
        for s in 0..n {
            p[s] = dot_lanes(&self.v[s * d..(s + 1) * d], &self.probe);
        }
        let mut err = 0.0f64;
        let mut size = 0.0f64;
        for i in 0..d {
            let want = dot_lanes(&delta[i * d..(i + 1) * d], &self.probe);
            let got: f64 = (0..n).map(|s| self.u[s * d + i] * p[s]).sum();
            err = err.max((want - got).abs());
            size = size.max(want.abs());
        }
        err <= 1e-9 * size + rounding + 1e-300
    }

    /// The rounding error of Δ p for Δ = S' − S: a few units in the last
    /// place of max_i Σ_j (|S_ij| + |S'_ij|) |p_j|.
    pub fn rounding_of_difference(&self, s_old: &[f64], s_new: &[f64]) -> f64 {
        let d = self.d;
        let mut worst = 0.0f64;
        for i in 0..d {
            let row = s_old[i * d..(i + 1) * d]
                .iter()
                .zip(&s_new[i * d..(i + 1) * d])
                .zip(&self.probe)
                .map(|((a, b), p)| (a.abs() + b.abs()) * p.abs())
                .sum::<f64>();
            worst = worst.max(row);
        }
        8.0 * f64::EPSILON * worst
    }

    /// X = K⁻¹ B (K factored in `small_lu`), column by column.
    pub fn solve_k_b(&mut self) {
        let (n, d) = (self.n, self.d);
        for j in 0..d {
            for s in 0..n {
                self.p[s] = self.b[s * d + j];
            }
            self.small_lu.solve(&mut self.p, &mut self.p2);
            for s in 0..n {
                self.x[s * d + j] = self.p[s];
            }
        }
    }

    /// Whether M = I + U B has a singular value below `min` or above `max`:
    /// its singular values are 1 off span{uₛ, bₛ} and those of C = Qᵀ M Q
    /// on it (M and Mᵀ map the span into itself).
    pub fn scale_change_outside(&mut self, min: f64, max: f64) -> bool {
        let (n, d) = (self.n, self.d);
        self.rank = 0;
        for j in 0..2 * n {
            let src = if j < n {
                &self.u[j * d..(j + 1) * d]
            } else {
                &self.b[(j - n) * d..(j - n + 1) * d]
            };
            let r = self.rank;
            let (done, rest) = self.q.split_at_mut(r * d);
            let col = &mut rest[..d];
            col.copy_from_slice(src);
            let norm0 = dot_lanes(col, col).sqrt();
            for _ in 0..2 {
                for k in 0..r {
                    let qk = &done[k * d..(k + 1) * d];
                    let c = dot_lanes(qk, col);
                    for (a, b) in col.iter_mut().zip(qk) {
                        *a -= c * b;
                    }
                }
            }
            let norm = dot_lanes(col, col).sqrt();
            if norm > 1e-10 * norm0 && norm > 0.0 {
                for a in col.iter_mut() {
                    *a /= norm;
                }
                self.rank += 1;
            }
        }
        let r = self.rank;
        if r == 0 {
            return !(min <= 1.0 && 1.0 <= max);
        }
        // C = I + (Q U)(B Qᵀ), r × r.
        let (qu, bq) = (&mut self.qu, &mut self.bq);
        for a in 0..r {
            let qa = &self.q[a * d..(a + 1) * d];
            for s in 0..n {
                qu[a * n + s] = dot_lanes(qa, &self.u[s * d..(s + 1) * d]);
                bq[s * r + a] = dot_lanes(&self.b[s * d..(s + 1) * d], qa);
            }
        }
        for a in 0..r {
            for b in 0..r {
                let v: f64 = (0..n).map(|s| qu[a * n + s] * bq[s * r + b]).sum();
                self.c[a * r + b] = v + f64::from(a == b);
            }
        }
        // C Cᵀ − min² I and max² I − C Cᵀ must be positive definite.
        let cct = |c: &[f64], out: &mut [f64], sign: f64, shift: f64| {
            for a in 0..r {
                for b in 0..r {
                    let v = dot_lanes(&c[a * r..(a + 1) * r], &c[b * r..(b + 1) * r]);
                    out[a * r + b] = sign * v + if a == b { shift } else { 0.0 };
                }
            }
        };
        cct(&self.c, &mut self.cct, 1.0, -min * min);
        if cholesky_in_place(&mut self.cct[..r * r], r).is_err() {
            return true;
        }
        cct(&self.c, &mut self.cct, -1.0, max * max);
        cholesky_in_place(&mut self.cct[..r * r], r).is_err()
    }
}
