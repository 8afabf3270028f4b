//! S Sᵀ of the iterate, followed through low-rank steps: the final
//! window's average runs through the covariance of each iterate (see
//! `iterates`), which a product would make O(d³) per iteration.

use crate::infer::family::{Family, LowRankStep};
use crate::infer::linalg::{dot_lanes, mat_mul_t};

/// The covariance S Sᵀ of the current iterate and of the backup.
pub(super) struct TrackedCovariance {
    cov: Vec<f64>,
    backup: Vec<f64>,
    valid: bool,
    backup_valid: bool,
    /// Rows s: S vₛ + ½ Σₜ uₜ (vₜ·vₛ).
    q: Vec<f64>,
}

impl TrackedCovariance {
    pub fn new(d: usize, n: usize) -> Self {
        TrackedCovariance {
            cov: vec![0.0; d * d],
            backup: vec![0.0; d * d],
            valid: false,
            backup_valid: false,
            q: vec![0.0; n * d],
        }
    }

    /// S Sᵀ of θ (computed when not followed).
    pub fn of(&mut self, fam: Family, theta: &[f64]) -> &[f64] {
        if !self.valid {
            let s = fam.scale(theta, 0);
            mat_mul_t(s, s, &mut self.cov, fam.d);
            self.valid = true;
        }
        &self.cov
    }

    /// Before a step: the current covariance becomes the backup's.
    pub fn save_backup(&mut self) {
        self.backup_valid = self.valid;
        if self.valid {
            self.backup.copy_from_slice(&self.cov);
        }
    }

    /// An undone step: back to the backup's covariance.
    pub fn restore_backup(&mut self) {
        self.valid = self.backup_valid;
        if self.valid {
            self.cov.copy_from_slice(&self.backup);
        }
    }

    pub fn invalidate(&mut self) {
        self.valid = false;
    }

    /// After the accepted step S' = S + U Vᵀ from the backup θ:
    /// S'S'ᵀ = S Sᵀ + Q Uᵀ + U Qᵀ with Q = S V + ½ U VᵀV, in O(n d²);
    /// forgotten when the step was not of that form.
    pub fn after_step(&mut self, fam: Family, theta_old: &[f64], step: &LowRankStep) {
        if !self.valid || !step.valid {
            self.valid = false;
            return;
        }
        let (d, n) = (fam.d, step.n);
        let s = fam.scale(theta_old, 0);
        for a in 0..n {
            let va = &step.v[a * d..(a + 1) * d];
            let q = &mut self.q[a * d..(a + 1) * d];
            for i in 0..d {
                q[i] = dot_lanes(&s[i * d..(i + 1) * d], va);
            }
            for t in 0..n {
                let g = 0.5 * dot_lanes(&step.v[t * d..(t + 1) * d], va);
                for (qi, ui) in q.iter_mut().zip(&step.u[t * d..(t + 1) * d]) {
                    *qi += g * ui;
                }
            }
        }
        for a in 0..n {
            let (q, u) = (&self.q[a * d..(a + 1) * d], &step.u[a * d..(a + 1) * d]);
            for i in 0..d {
                let (qi, ui) = (q[i], u[i]);
                for (c, (uj, qj)) in self.cov[i * d..(i + 1) * d].iter_mut().zip(u.iter().zip(q)) {
                    *c += qi * uj + ui * qj;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::choices::FamilyKind;

    #[test]
    fn the_covariance_follows_a_low_rank_step() {
        let (d, n) = (7, 3);
        let fam = Family::new(FamilyKind::FullRank, d, false);
        let wave = |k: usize| ((k * 37 % 11) as f64 - 5.0) / 4.0;
        let mut theta = vec![0.0; fam.n_params()];
        for k in 0..d * d {
            theta[d + k] = wave(k) + if k % (d + 1) == 0 { 3.0 } else { 0.0 };
        }
        let mut step = LowRankStep::new(n, d);
        for k in 0..n * d {
            step.v[k] = wave(k + 5);
            step.u[k] = 0.3 * wave(k + 13);
        }
        step.valid = true;
        let mut tracked = TrackedCovariance::new(d, n);
        tracked.of(fam, &theta);
        tracked.save_backup();
        let mut new = theta.clone();
        for i in 0..d {
            for j in 0..d {
                new[d + i * d + j] += (0..n)
                    .map(|s| step.u[s * d + i] * step.v[s * d + j])
                    .sum::<f64>();
            }
        }
        tracked.after_step(fam, &theta, &step);
        let followed = tracked.of(fam, &new).to_vec();
        let s = fam.scale(&new, 0);
        let mut direct = vec![0.0; d * d];
        mat_mul_t(s, s, &mut direct, d);
        for k in 0..d * d {
            assert!(
                (followed[k] - direct[k]).abs() < 1e-12 * (1.0 + direct[k].abs()),
                "{k}"
            );
        }
        // Undoing the step gives back the backup's covariance.
        tracked.restore_backup();
        let back = tracked.of(fam, &theta).to_vec();
        let s = fam.scale(&theta, 0);
        mat_mul_t(s, s, &mut direct, d);
        assert_eq!(back, direct);
        // A step that is not of low rank is forgotten.
        step.valid = false;
        tracked.after_step(fam, &theta, &step);
        assert!(!tracked.valid);
    }
}
