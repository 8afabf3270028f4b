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

use super::family::{Factors, Family, LowRankStep, Param, marginal_variance};
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

    /// [`ShrinkCheck::degenerates`] for a step of low rank described by
    /// `step` (see `family::LowRankStep`), in O(n d) after the step's
    /// O(n d²) update.
    pub fn degenerates_low_rank(step: &mut LowRankStep) -> bool {
        step.scale_change_outside(MIN_SHRINK, MAX_GROWTH)
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
            Param::LowRank(_) => {
                // The diagonal D and the marginal sds, each within the
                // factors a general scale's singular values must keep.
                let (so, sn) = (fam.scale(old, 0), fam.scale(new, 0));
                let ((dold, wold), (dnew, wnew)) = (so.split_at(d), sn.split_at(d));
                (0..d).any(|i| {
                    let ratio = (dnew[i] / dold[i]).abs();
                    let sd_ratio = (marginal_variance(dnew, wnew, i)
                        / marginal_variance(dold, wold, i))
                    .sqrt();
                    !(ratio >= MIN_SHRINK && (MIN_SHRINK..=MAX_GROWTH).contains(&sd_ratio))
                })
            }
            _ => {
                for k in 0..fam.components() {
                    let sn = fam.scale(new, k);
                    // Row j of M = S_new S_old⁻¹ is S_old⁻ᵀ (row j of S_new).
                    for j in 0..d {
                        let row = &mut self.m[j * d..(j + 1) * d];
                        row.copy_from_slice(&sn[j * d..(j + 1) * d]);
                        old_f.solve_transpose(k, row, &mut self.tmp);
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

#[cfg(test)]
mod low_rank_tests {
    //! Low-rank steps of a general scale (`family::LowRankStep`): the
    //! updated factors and the step check against dense ones.
    use super::*;
    use crate::infer::choices::FamilyKind;
    use rand_distr::{Distribution, StandardNormal};

    /// θ = (μ, S) with S = 2I + small noise, the draws, and U.
    fn setup(d: usize, n: usize) -> (Family, Vec<f64>, Vec<f64>, Vec<f64>) {
        let fam = Family::new(FamilyKind::FullRank, d, false);
        let mut rng = crate::random::stream(11, &[d as u64]);
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        let mut theta = vec![0.0; fam.n_params()];
        for i in 0..d {
            theta[i] = normal();
            for j in 0..d {
                theta[d + i * d + j] = 0.05 * normal() + if i == j { 2.0 } else { 0.0 };
            }
        }
        let v: Vec<f64> = (0..n * d).map(|_| normal()).collect();
        let u: Vec<f64> = (0..n * d).map(|_| 0.02 * normal()).collect();
        (fam, theta, v, u)
    }

    /// θ + a step U Vᵀ (scaled by `h`) on the scale and some change of μ.
    fn stepped(fam: Family, theta: &[f64], u: &[f64], v: &[f64], n: usize, h: f64) -> Vec<f64> {
        let d = fam.d;
        let mut new = theta.to_vec();
        for i in 0..d {
            new[i] += 0.1;
            for j in 0..d {
                let uv: f64 = (0..n).map(|s| u[s * d + i] * v[s * d + j]).sum();
                new[d + i * d + j] += h * uv;
            }
        }
        new
    }

    /// The setup's θ factored with its inverse, and a step whose draws
    /// are the setup's V.
    fn factored(
        d: usize,
        n: usize,
    ) -> (Family, Vec<f64>, Vec<f64>, Vec<f64>, Factors, LowRankStep) {
        let (fam, theta, v, u) = setup(d, n);
        let mut old = Factors::with_inverse(fam);
        assert!(old.prepare(&theta));
        let mut step = LowRankStep::new(n, d);
        step.set_noise(|s| &v[s * d..(s + 1) * d]);
        (fam, theta, v, u, old, step)
    }

    #[test]
    fn a_low_rank_step_updates_the_inverse_and_the_determinant() {
        let (d, n) = (120, 6);
        let (fam, theta, v, u, old, mut step) = factored(d, n);
        let mut shrink = ShrinkCheck::new(fam);
        let mut verdicts = Vec::new();
        for h in [1.0, 30.0, 300.0] {
            let new = stepped(fam, &theta, &u, &v, n, h);
            let mut updated = Factors::with_inverse(fam);
            let ok = updated.update_low_rank(&old, &theta, &new, &mut step);
            let mut fresh = Factors::new(fam);
            assert_eq!(ok, fresh.prepare(&new));
            assert!(step.valid, "the step is of rank {n} along the draws");
            // Same log q and score as a fresh factorization.
            let eps: Vec<f64> = (0..d).map(|i| ((i % 7) as f64 - 3.0) / 2.0).collect();
            let mut x = vec![0.0; d];
            fresh.transform(&new, 0, &eps, &mut x);
            let (mut s1, mut s2, mut t) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
            let l1 = updated.log_q_score(&new, 0, &eps, &x, &mut s1, &mut t);
            let l2 = fresh.log_q_score(&new, 0, &eps, &x, &mut s2, &mut t);
            assert!((l1 - l2).abs() < 1e-9 * l2.abs(), "{h}: {l1} vs {l2}");
            for i in 0..d {
                assert!(
                    (s1[i] - s2[i]).abs() < 1e-9 * (1.0 + s2[i].abs()),
                    "{h}: score {i}"
                );
            }
            let mut pt = vec![0.0; Factors::point_scratch_len(fam)];
            let a1 = updated.log_q_at(&new, &x, &mut pt);
            let a2 = fresh.log_q_at(&new, &x, &mut pt);
            assert!((a1 - a2).abs() < 1e-9 * a2.abs());
            // The step check agrees with the dense one.
            let dense = shrink.degenerates(fam, &theta, &old, &new);
            assert_eq!(ShrinkCheck::degenerates_low_rank(&mut step), dense, "{h}");
            verdicts.push(dense);
        }
        assert_eq!(verdicts, [false, true, true], "both verdicts are checked");
        // A step that is not of rank n along the draws falls back to a
        // full factorization.
        let mut other = theta.clone();
        other[d + 3 * d + 5] += 0.1;
        let mut updated = Factors::with_inverse(fam);
        assert!(updated.update_low_rank(&old, &theta, &other, &mut step));
        assert!(!step.valid);
    }

    /// Near the optimum the path estimator's direction vanishes and S' − S
    /// is rounding: such a step still goes by the O(n d²) update (it used
    /// to fall back to an O(d³) factorisation every iteration), and the
    /// result is the fresh factorisation's.
    #[test]
    fn a_step_at_the_rounding_level_is_still_a_low_rank_step() {
        let (d, n) = (120, 6);
        let (fam, theta, v, u, old, mut step) = factored(d, n);
        for h in [1e-10, 1e-13, 1e-15] {
            let new = stepped(fam, &theta, &u, &v, n, h);
            let mut updated = Factors::with_inverse(fam);
            assert!(updated.update_low_rank(&old, &theta, &new, &mut step));
            assert!(step.valid, "h = {h}: the step fell back to a factorisation");
            let mut fresh = Factors::new(fam);
            assert!(fresh.prepare(&new));
            let x: Vec<f64> = (0..d).map(|i| ((i % 5) as f64 - 2.0) / 3.0).collect();
            let mut pt = vec![0.0; Factors::point_scratch_len(fam)];
            let a1 = updated.log_q_at(&new, &x, &mut pt);
            let a2 = fresh.log_q_at(&new, &x, &mut pt);
            assert!((a1 - a2).abs() < 1e-9 * a2.abs(), "h = {h}: {a1} vs {a2}");
        }
    }
}
