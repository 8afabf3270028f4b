//! Step control for the explicit (Euler / forward–backward) steps: the
//! automatic initial step, the checks that reject a step, and the decay when
//! the iterates oscillate.
//!
//! - Initial step: h = ½ / β with β the largest curvature of log π̃ at the
//!   start (Laplace precision at the mode) or of the entropy term (1/σ_min²
//!   of the initial scale), whichever is larger. Forward Euler on the BW flow
//!   is stable for h < 1/β (algorithms.md §8.5: the linearised scale map
//!   has factor 1 − 2hλ); at h = ½/β the stiffest direction of a Gaussian
//!   target converges in one step and none oscillates.
//! - Rejection: a step is undone and retried with h/2 when θ is not finite,
//!   a scale matrix is singular, or any direction of any scale shrinks by
//!   more than a factor 10 in one step (σ_min(S_new S_old⁻¹) < 0.1, checked
//!   by a Cholesky of M Mᵀ − 0.01 I): legitimate steps with h ≤ 1/β shrink
//!   a direction by at most about 2×. A step that stretches a direction by
//!   more than 3× (σ_max(M) > 3) is retried too: near a Gaussian target a
//!   scale grows by a factor 1 + hλ(1/(λs²) − 1) per step, far below that,
//!   and a larger stretch comes from a few draws in a region of huge
//!   gradients (the neck of a funnel), whose q would spread over that region
//!   and make every later step unstable. After the fact, the step is also
//!   undone when the next batch has non-finite log densities or gradients,
//!   or its ELBO collapses: drops by more than 5 combined standard errors
//!   plus 1 plus 1 % of |ELBO|, the new estimate's standard error counted at
//!   most 3× the previous one, since a degenerate state has a huge one.
//! - Oscillation: when the running mean of the cosine between successive
//!   steps falls below −0.5 the iterates zig-zag (h near 2/λ for some
//!   direction): h is halved.

use super::family::{Factors, Family, Param};
use super::linalg::mat_mul_t;
use crate::scalar::linalg::cholesky_in_place;

/// Smallest factor by which a step may shrink any direction of a scale.
const MIN_SHRINK: f64 = 0.1;
/// Largest factor by which a step may stretch any direction of a scale.
const MAX_GROWTH: f64 = 3.0;

pub(crate) fn initial_step(curvature: f64) -> f64 {
    if curvature.is_finite() && curvature > 0.0 {
        0.5 / curvature
    } else {
        0.1
    }
}

/// Buffers for [`degenerates`].
pub(crate) struct ShrinkCheck {
    m: Vec<f64>,
    mmt: Vec<f64>,
    tmp: Vec<f64>,
}

impl ShrinkCheck {
    pub fn new(fam: Family) -> Self {
        ShrinkCheck {
            m: vec![0.0; fam.square_len()],
            mmt: vec![0.0; fam.square_len()],
            tmp: vec![0.0; fam.d],
        }
    }

    /// True when the step from `old` (factored in `old_f`) to `new` shrinks
    /// some direction of some component's scale by more than 10×.
    pub fn degenerates(&mut self, fam: Family, old: &[f64], old_f: &Factors, new: &[f64]) -> bool {
        let d = fam.d;
        match fam.param {
            Param::Diag => {
                let (so, sn) = (fam.scale(old, 0), fam.scale(new, 0));
                so.iter().zip(sn).any(|(o, n)| !(n / o >= MIN_SHRINK))
            }
            Param::LogDiag => {
                let (so, sn) = (fam.scale(old, 0), fam.scale(new, 0));
                so.iter().zip(sn).any(|(o, n)| !(n - o >= MIN_SHRINK.ln()))
            }
            _ => {
                for k in 0..fam.components() {
                    let sn = fam.scale(new, k);
                    // Row j of M = S_new S_old⁻¹ is S_old⁻ᵀ (row j of S_new).
                    for j in 0..d {
                        let row = &mut self.m[j * d..(j + 1) * d];
                        row.copy_from_slice(&sn[j * d..(j + 1) * d]);
                        old_f.lu(k).solve_transpose(row, &mut self.tmp);
                    }
                    mat_mul_t(&self.m, &self.m, &mut self.mmt, d);
                    for i in 0..d {
                        self.mmt[i * d + i] -= MIN_SHRINK * MIN_SHRINK;
                    }
                    if cholesky_in_place(&mut self.mmt, d).is_err() {
                        return true;
                    }
                    // MAX_GROWTH² I − M Mᵀ must be positive definite too.
                    mat_mul_t(&self.m, &self.m, &mut self.mmt, d);
                    for v in self.mmt.iter_mut() {
                        *v = -*v;
                    }
                    for i in 0..d {
                        self.mmt[i * d + i] += MAX_GROWTH * MAX_GROWTH;
                    }
                    if cholesky_in_place(&mut self.mmt, d).is_err() {
                        return true;
                    }
                }
                false
            }
        }
    }
}

/// Detects zig-zagging iterates from the cosine of successive steps.
pub(crate) struct Oscillation {
    prev: Vec<f64>,
    has_prev: bool,
    ema: f64,
    count: usize,
}

impl Oscillation {
    pub fn new(n: usize) -> Self {
        Oscillation {
            prev: vec![0.0; n],
            has_prev: false,
            ema: 0.0,
            count: 0,
        }
    }

    /// Records the step `new − old`; true when h should be halved.
    pub fn record(&mut self, old: &[f64], new: &[f64]) -> bool {
        let (mut dot, mut n1, mut n2) = (0.0, 0.0, 0.0);
        for i in 0..old.len() {
            let s = new[i] - old[i];
            dot += s * self.prev[i];
            n1 += s * s;
            n2 += self.prev[i] * self.prev[i];
            self.prev[i] = s;
        }
        let had = self.has_prev;
        self.has_prev = true;
        if !had || n1 == 0.0 || n2 == 0.0 {
            return false;
        }
        let cos = dot / (n1.sqrt() * n2.sqrt());
        self.ema = 0.9 * self.ema + 0.1 * cos;
        self.count += 1;
        if self.count >= 20 && self.ema < -0.5 {
            self.ema = 0.0;
            self.count = 0;
            return true;
        }
        false
    }

    pub fn reset(&mut self) {
        self.has_prev = false;
        self.ema = 0.0;
        self.count = 0;
    }
}
