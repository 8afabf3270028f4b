//! What the flow keeps of its past iterates: the average over the final
//! window (the returned q) and the checkpoint step control falls back to.

use super::family::{Factors, Family, Param};
use super::linalg::mat_mul_t;
use super::optimizer::OptState;
use super::precondition::{Affine, Map};
use super::target::Target;
use crate::scalar::linalg::cholesky_in_place;

/// The average of the iterates of the final window, taken over what
/// identifies q rather than over θ: a general scale S and S·R (R
/// orthogonal) are the same q, and the path-derivative noise lets S wander
/// along such rotations, so an average of S shrinks q (eight schools: the
/// sd of τ came out 45 % small). Means and logits are averaged as they are,
/// each scale through its covariance S Sᵀ (s² for a diagonal scale), and
/// the result is written back as the Cholesky factor (the sd).
pub(crate) struct IterateAverage {
    fam: Family,
    sum: Vec<f64>,
    tmp: Vec<f64>,
    pub count: usize,
}

impl IterateAverage {
    pub fn new(fam: Family) -> Self {
        IterateAverage {
            fam,
            sum: vec![0.0; fam.n_params()],
            tmp: vec![0.0; fam.square_len()],
            count: 0,
        }
    }

    fn through_covariance(&self) -> bool {
        matches!(
            self.fam.param,
            Param::Dense | Param::Diag | Param::Mixture(_)
        )
    }

    /// Adds (`sign` = 1) or removes (−1, an undone step) the iterate θ.
    pub fn add(&mut self, theta: &[f64], sign: f64) {
        self.add_with(theta, sign, None);
    }

    /// [`IterateAverage::add`] for a single general scale whose covariance
    /// S Sᵀ the caller already has.
    pub fn add_with(&mut self, theta: &[f64], sign: f64, covariance: Option<&[f64]>) {
        let fam = self.fam;
        if !self.through_covariance() {
            for (a, b) in self.sum.iter_mut().zip(theta) {
                *a += sign * b;
            }
        } else {
            for i in 0..fam.n_params() {
                self.sum[i] += sign * theta[i];
            }
            for k in 0..fam.components() {
                let o = fam.scale_offset(k);
                let s = &theta[o..o + fam.scale_len()];
                let acc = &mut self.sum[o..o + fam.scale_len()];
                // Replace the linear sum of this block by one of S Sᵀ.
                for (a, v) in acc.iter_mut().zip(s) {
                    *a -= sign * v;
                }
                if fam.is_diagonal() {
                    for (a, v) in acc.iter_mut().zip(s) {
                        *a += sign * v * v;
                    }
                } else if let Some(c) = covariance.filter(|_| k == 0) {
                    for (a, v) in acc.iter_mut().zip(c) {
                        *a += sign * v;
                    }
                } else {
                    mat_mul_t(s, s, &mut self.tmp, fam.d);
                    for (a, v) in acc.iter_mut().zip(&self.tmp) {
                        *a += sign * v;
                    }
                }
            }
        }
        if sign > 0.0 {
            self.count += 1;
        } else {
            self.count = self.count.saturating_sub(1);
        }
    }

    pub fn clear(&mut self) {
        self.sum.fill(0.0);
        self.count = 0;
    }

    /// The average θ, or `None` when there is none or its covariance is not
    /// positive definite.
    pub fn average(&self) -> Option<Vec<f64>> {
        if self.count == 0 {
            return None;
        }
        let fam = self.fam;
        let n = self.count as f64;
        let mut theta: Vec<f64> = self.sum.iter().map(|v| v / n).collect();
        if self.through_covariance() {
            for k in 0..fam.components() {
                let o = fam.scale_offset(k);
                let block = &mut theta[o..o + fam.scale_len()];
                if fam.is_diagonal() {
                    for v in block.iter_mut() {
                        if !(*v > 0.0) {
                            return None;
                        }
                        *v = v.sqrt();
                    }
                } else if cholesky_in_place(block, fam.d).is_err() {
                    return None;
                }
            }
        }
        let mut f = Factors::new(fam);
        f.prepare(&theta).then_some(theta)
    }
}

/// The state at the last ELBO check whose objective (−ELBO for KL) did not
/// rise well above the previous checkpoint's: when step control can no longer find a stable step (h
/// below its floor), the run goes back to it with a smaller step.
pub(crate) struct Checkpoint {
    theta: Vec<f64>,
    factors: Factors,
    map: Map,
    opt: Option<OptState>,
    pub t: usize,
    /// The objective being minimised at the checkpoint.
    pub objective: f64,
    pub h: f64,
}

impl Checkpoint {
    pub fn new(theta: &[f64], factors: &Factors) -> Self {
        Checkpoint {
            theta: theta.to_vec(),
            factors: factors.clone(),
            map: Map::identity(),
            opt: None,
            t: 0,
            objective: f64::INFINITY,
            h: 0.0,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn save(
        &mut self,
        theta: &[f64],
        factors: &Factors,
        map: &Map,
        opt: &OptState,
        t: usize,
        objective: f64,
        h: f64,
    ) {
        self.theta.copy_from_slice(theta);
        self.factors.copy_from(factors);
        self.map.clone_from(map);
        match self.opt.as_mut() {
            Some(o) => o.restore(opt),
            None => self.opt = Some(opt.clone()),
        }
        (self.t, self.objective, self.h) = (t, objective, h);
    }

    pub fn restore<T: Target>(
        &self,
        theta: &mut [f64],
        factors: &mut Factors,
        map: &mut Map,
        affine: &Affine<'_, T>,
        opt: &mut OptState,
    ) {
        theta.copy_from_slice(&self.theta);
        factors.copy_from(&self.factors);
        map.clone_from(&self.map);
        affine.set(map.clone());
        if let Some(o) = &self.opt {
            opt.restore(o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::FamilyKind;

    #[test]
    fn rotated_scales_average_to_the_same_covariance() {
        // S and S·R (R a rotation) are one q: their average must be it too,
        // where a plain average of θ would shrink the scale by cos(angle).
        let fam = Family::new(FamilyKind::FullRank, 2, false);
        let s = [2.0, 0.0, 0.5, 1.0];
        let (c, sn) = (0.3f64.cos(), 0.3f64.sin());
        let sr = [
            s[0] * c + s[1] * sn,
            -s[0] * sn + s[1] * c,
            s[2] * c + s[3] * sn,
            -s[2] * sn + s[3] * c,
        ];
        let mut avg = IterateAverage::new(fam);
        avg.add(&[1.0, 2.0, s[0], s[1], s[2], s[3]], 1.0);
        avg.add(&[3.0, 2.0, sr[0], sr[1], sr[2], sr[3]], 1.0);
        // An undone step leaves no trace.
        avg.add(&[9.0, 9.0, 5.0, 1.0, 1.0, 5.0], 1.0);
        avg.add(&[9.0, 9.0, 5.0, 1.0, 1.0, 5.0], -1.0);
        let th = avg.average().expect("a valid q");
        assert!((th[0] - 2.0).abs() < 1e-12 && (th[1] - 2.0).abs() < 1e-12);
        let l = &th[2..];
        let cov = [
            l[0] * l[0] + l[1] * l[1],
            l[0] * l[2] + l[1] * l[3],
            l[2] * l[2] + l[3] * l[3],
        ];
        let want = [4.0, 1.0, 1.25];
        for (a, b) in cov.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{cov:?}");
        }
    }

    #[test]
    fn diagonal_scales_average_their_variances() {
        let fam = Family::new(FamilyKind::MeanField, 1, false);
        let mut avg = IterateAverage::new(fam);
        avg.add(&[0.0, 1.0], 1.0);
        avg.add(&[0.0, -7.0_f64.sqrt()], 1.0);
        let th = avg.average().expect("a valid q");
        assert!((th[1] - 2.0).abs() < 1e-12, "{th:?}");
    }
}
