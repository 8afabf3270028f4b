//! Variational families: how parameters become draws, log q and its score.
//!
//! Each family is a flat parameter vector θ with a fixed layout (so the
//! optimizers and the iterate averaging treat all families alike) plus a
//! per-iteration factorization ([`Factors`]) that makes solves with the scale
//! matrices O(d²) without forming inverses. The fitted result leaves the
//! engine as an [`Approximation`], the serializable description users keep.
//!
//! Layouts of θ (d = dimension):
//! - `Diag`     (mean-field under `bw`): `[μ (d), s (d)]`, x = μ + s ⊙ ε;
//! - `LogDiag`  (mean-field under `advi`, Stan's ω): `[μ, ω]`, s = exp(ω);
//! - `Dense`    (full rank, general S, Σ = SSᵀ): `[μ, S (d², row-major)]`;
//! - `Lower`    (full rank under `advi`, Stan's Cholesky L): as `Dense`, the
//!   strict upper triangle stays zero;
//! - `Mixture(K)`: `[a (K logits), then per component μ_k (d), S_k (d²)]`;
//! - `LowRank(R)` (Σ = D² + W Wᵀ): `[μ (d), D (d), W (d × R, row-major)]`,
//!   x = μ + D ε + W η with noise (ε, η) of length d + R (`diag_low_rank`).

mod approx;
mod diag_low_rank;
mod direction;
mod gaussian;
mod low_rank;
mod scale;

pub(crate) use approx::pick;
pub use approx::{Approximation, Component};
pub(crate) use diag_low_rank::marginal_variance;
pub(crate) use direction::{accumulate, add_entropy_gradient, precondition_low_rank};
pub(crate) use gaussian::{Factors, LOW_RANK_MIN_DIM};
pub(crate) use low_rank::LowRankStep;
pub(crate) use scale::Scale;

use super::choices::FamilyKind;
use crate::scalar::linalg::cholesky_in_place;

/// The parameterization of θ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    Diag,
    LogDiag,
    Dense,
    Lower,
    Mixture(usize),
    LowRank(usize),
}

/// A family of dimension `d` in one parameterization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Family {
    pub param: Param,
    pub d: usize,
}

impl Family {
    pub fn new(kind: FamilyKind, d: usize, stan_scale: bool) -> Family {
        let param = match (kind, stan_scale) {
            (FamilyKind::MeanField, false) => Param::Diag,
            (FamilyKind::MeanField, true) => Param::LogDiag,
            (FamilyKind::FullRank, false) => Param::Dense,
            (FamilyKind::FullRank, true) => Param::Lower,
            (FamilyKind::Mixture(k), _) => Param::Mixture(k),
            (FamilyKind::LowRank(r), _) => Param::LowRank(r),
        };
        Family { param, d }
    }

    /// Number of components (1 for Gaussians).
    pub fn components(&self) -> usize {
        match self.param {
            Param::Mixture(k) => k,
            _ => 1,
        }
    }

    pub fn is_diagonal(&self) -> bool {
        matches!(self.param, Param::Diag | Param::LogDiag)
    }

    /// The rank R of the low-rank family (`None` for the others).
    pub fn rank(&self) -> Option<usize> {
        match self.param {
            Param::LowRank(r) => Some(r),
            _ => None,
        }
    }

    /// Whether nothing of the family is d × d (mean-field and low rank):
    /// its initialisation must not form a dense curvature either.
    pub fn avoids_dense(&self) -> bool {
        self.is_diagonal() || self.rank().is_some()
    }

    /// Length of the noise of one draw: d, or d + R for the low-rank family.
    pub fn noise_len(&self) -> usize {
        self.d + self.rank().unwrap_or(0)
    }

    /// Length of one component's scale block.
    pub fn scale_len(&self) -> usize {
        match self.param {
            Param::Diag | Param::LogDiag => self.d,
            Param::LowRank(r) => self.d + self.d * r,
            _ => self.d * self.d,
        }
    }

    fn logits_len(&self) -> usize {
        match self.param {
            Param::Mixture(k) => k,
            _ => 0,
        }
    }

    /// Length of the work buffer of the estimator and the re-whitening:
    /// d + K for diagonal scales, d² + d + K for dense ones (the entropy
    /// gradient S⁻ᵀ and the change of coordinates of a dense direction).
    pub fn work_len(&self) -> usize {
        let dense = match self.param {
            Param::Diag | Param::LogDiag => 0,
            Param::LowRank(r) => r,
            _ => self.d * self.d,
        };
        dense + self.d + self.components()
    }

    /// Length of the d × d scratch of dense scales (0 for diagonal and
    /// low-rank ones).
    pub fn square_len(&self) -> usize {
        if self.avoids_dense() {
            0
        } else {
            self.d * self.d
        }
    }

    pub fn n_params(&self) -> usize {
        self.logits_len() + self.components() * (self.d + self.scale_len())
    }

    /// Offset of component k's mean in θ.
    pub fn mean_offset(&self, k: usize) -> usize {
        self.logits_len() + k * (self.d + self.scale_len())
    }

    /// Offset of component k's scale block in θ.
    pub fn scale_offset(&self, k: usize) -> usize {
        self.mean_offset(k) + self.d
    }

    pub fn mean<'a>(&self, theta: &'a [f64], k: usize) -> &'a [f64] {
        let o = self.mean_offset(k);
        &theta[o..o + self.d]
    }

    pub fn scale<'a>(&self, theta: &'a [f64], k: usize) -> &'a [f64] {
        let o = self.scale_offset(k);
        &theta[o..o + self.scale_len()]
    }

    pub fn logits<'a>(&self, theta: &'a [f64]) -> &'a [f64] {
        &theta[..self.logits_len()]
    }

    /// θ for a Gaussian (or every mixture component) with mean `mean` and
    /// scale `scale`, written in this parameterization. Diagonal families
    /// keep the marginal sds (for a dense S the norms of its rows).
    pub fn theta_from_start(&self, means: &[Vec<f64>], scale: &Scale) -> Vec<f64> {
        let d = self.d;
        let mut theta = vec![0.0; self.n_params()];
        let sds = self.avoids_dense().then(|| scale.sds());
        let dense = match (self.param, scale) {
            (Param::Diag | Param::LogDiag | Param::LowRank(_), _) => None,
            (_, Scale::Dense(s)) => Some(std::borrow::Cow::Borrowed(s)),
            (_, Scale::Diagonal(_)) => Some(std::borrow::Cow::Owned(scale.to_dense())),
        };
        for k in 0..self.components() {
            let mo = self.mean_offset(k);
            theta[mo..mo + d].copy_from_slice(&means[k.min(means.len() - 1)]);
            let so = self.scale_offset(k);
            match (self.param, &sds, &dense) {
                (Param::Diag, Some(sd), _) => theta[so..so + d].copy_from_slice(sd),
                (Param::LowRank(r), Some(sd), _) => {
                    theta[so..so + d].copy_from_slice(sd);
                    theta[so + d..so + d + d * r]
                        .copy_from_slice(&diag_low_rank::initial_factor(sd, r));
                }
                (Param::LogDiag, Some(sd), _) => {
                    for i in 0..d {
                        theta[so + i] = sd[i].ln();
                    }
                }
                (Param::Lower, _, Some(s)) => {
                    // Cholesky of S Sᵀ.
                    let mut sigma = vec![0.0; d * d];
                    super::linalg::mat_mul_t(s, s, &mut sigma, d);
                    if cholesky_in_place(&mut sigma, d).is_ok() {
                        theta[so..so + d * d].copy_from_slice(&sigma);
                    } else {
                        for i in 0..d {
                            theta[so + i * d + i] = 1.0;
                        }
                    }
                }
                (_, _, Some(s)) => theta[so..so + d * d].copy_from_slice(&s[..d * d]),
                _ => unreachable!("a diagonal family has sds, a dense one a dense scale"),
            }
        }
        theta
    }

    /// Writes the user-facing flat parameters (weights instead of logits,
    /// sd instead of log sd) into `out` (length `n_params`).
    pub fn flat_parameters(&self, theta: &[f64], out: &mut [f64]) {
        out.copy_from_slice(theta);
        match self.param {
            Param::Mixture(k) => {
                let m = theta[..k].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = theta[..k].iter().map(|a| (a - m).exp()).sum();
                for j in 0..k {
                    out[j] = (theta[j] - m).exp() / z;
                }
            }
            Param::LogDiag => {
                for v in &mut out[self.d..2 * self.d] {
                    *v = v.exp();
                }
            }
            _ => {}
        }
    }

    /// The approximation θ describes.
    pub fn approximation(&self, theta: &[f64]) -> Approximation {
        let d = self.d;
        match self.param {
            Param::Diag => Approximation::MeanField {
                mean: theta[..d].to_vec(),
                sd: theta[d..2 * d].iter().map(|s| s.abs()).collect(),
            },
            Param::LogDiag => Approximation::MeanField {
                mean: theta[..d].to_vec(),
                sd: theta[d..2 * d].iter().map(|w| w.exp()).collect(),
            },
            Param::Dense | Param::Lower => Approximation::FullRank {
                mean: theta[..d].to_vec(),
                scale: theta[d..d + d * d].to_vec(),
            },
            Param::LowRank(_) => Approximation::LowRank {
                mean: theta[..d].to_vec(),
                diag: theta[d..2 * d].iter().map(|s| s.abs()).collect(),
                factor: theta[2 * d..self.n_params()].to_vec(),
            },
            Param::Mixture(k) => {
                let mut w = vec![0.0; self.n_params()];
                self.flat_parameters(theta, &mut w);
                Approximation::Mixture {
                    weights: w[..k].to_vec(),
                    components: (0..k)
                        .map(|c| Component {
                            mean: self.mean(theta, c).to_vec(),
                            scale: self.scale(theta, c).to_vec(),
                        })
                        .collect(),
                }
            }
        }
    }

    /// The family and θ that reproduce an approximation (for `bw` layouts).
    pub fn from_approximation(approx: &Approximation) -> (Family, Vec<f64>) {
        let d = approx.dim();
        match approx {
            Approximation::MeanField { mean, sd } => {
                let mut t = mean.clone();
                t.extend_from_slice(sd);
                (
                    Family {
                        param: Param::Diag,
                        d,
                    },
                    t,
                )
            }
            Approximation::FullRank { mean, scale } => {
                let mut t = mean.clone();
                t.extend_from_slice(scale);
                (
                    Family {
                        param: Param::Dense,
                        d,
                    },
                    t,
                )
            }
            Approximation::LowRank { mean, diag, factor } => {
                let mut t = mean.clone();
                t.extend_from_slice(diag);
                t.extend_from_slice(factor);
                (
                    Family {
                        param: Param::LowRank(factor.len() / d.max(1)),
                        d,
                    },
                    t,
                )
            }
            Approximation::Mixture {
                weights,
                components,
            } => {
                let k = weights.len();
                let mut t: Vec<f64> = weights
                    .iter()
                    .map(|w| w.max(f64::MIN_POSITIVE).ln())
                    .collect();
                for c in components {
                    t.extend_from_slice(&c.mean);
                    t.extend_from_slice(&c.scale);
                }
                (
                    Family {
                        param: Param::Mixture(k),
                        d,
                    },
                    t,
                )
            }
        }
    }
}

/// The remedy a poor fit suggests for a centred hierarchy (left out once
/// the fit has also run non-centred).
pub const NONCENTRING_ADVICE: &str = "a non-centred parameterisation of hierarchical scales";

impl FamilyKind {
    /// What to try when importance sampling rejects a fit of this family:
    /// only remedies that change something (a full-rank fit is not told to
    /// try full rank).
    pub fn poor_fit_remedy(&self) -> String {
        match self {
            FamilyKind::MeanField => {
                "try --family fullrank or mixture:K, or check the model".to_string()
            }
            FamilyKind::FullRank => {
                format!("try --family mixture:K, {NONCENTRING_ADVICE}, or check the model")
            }
            FamilyKind::Mixture(k) => {
                format!("try more components than {k}, {NONCENTRING_ADVICE}, or check the model")
            }
            FamilyKind::LowRank(r) => format!(
                "try --family fullrank or a rank above {r}, {NONCENTRING_ADVICE}, or check the \
                 model"
            ),
        }
    }

    /// Names of the family's parameters in dimension `d`, in the layout of
    /// [`Approximation::flat_parameters`] and `IterationInfo::parameters`
    /// (1-based, Stan-style): `w[1]`… for mixture weights, then per
    /// component (`c1.`, `c2.`… for mixtures) `mu[i]` and `sd[i]`
    /// (mean-field) or `S[i,j]` (a dense scale). Trace files spell them as
    /// CmdStan does (`mu.1`, `S.2.1`, `c1.S.1.1`).
    pub fn parameter_names(&self, d: usize) -> Vec<String> {
        let fam = Family::new(*self, d, false);
        let mut names = Vec::with_capacity(fam.n_params());
        if let Param::Mixture(k) = fam.param {
            for j in 0..k {
                names.push(format!("w[{}]", j + 1));
            }
        }
        for c in 0..fam.components() {
            let pre = match fam.param {
                Param::Mixture(_) => format!("c{}.", c + 1),
                _ => String::new(),
            };
            for i in 0..d {
                names.push(format!("{pre}mu[{}]", i + 1));
            }
            if fam.is_diagonal() {
                for i in 0..d {
                    names.push(format!("{pre}sd[{}]", i + 1));
                }
            } else if let Some(r) = fam.rank() {
                for i in 0..d {
                    names.push(format!("{pre}D[{}]", i + 1));
                }
                for i in 0..d {
                    for j in 0..r {
                        names.push(format!("{pre}W[{},{}]", i + 1, j + 1));
                    }
                }
            } else {
                for i in 0..d {
                    for j in 0..d {
                        names.push(format!("{pre}S[{},{}]", i + 1, j + 1));
                    }
                }
            }
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_follow_the_flat_layout() {
        assert_eq!(
            FamilyKind::MeanField.parameter_names(2),
            ["mu[1]", "mu[2]", "sd[1]", "sd[2]"]
        );
        assert_eq!(
            FamilyKind::FullRank.parameter_names(2)[2..],
            ["S[1,1]", "S[1,2]", "S[2,1]", "S[2,2]"]
        );
        let mix = FamilyKind::Mixture(2).parameter_names(1);
        assert_eq!(
            mix,
            [
                "w[1]",
                "w[2]",
                "c1.mu[1]",
                "c1.S[1,1]",
                "c2.mu[1]",
                "c2.S[1,1]"
            ]
        );
        assert_eq!(
            mix.len(),
            Family::new(FamilyKind::Mixture(2), 1, false).n_params()
        );
        let low = FamilyKind::LowRank(2).parameter_names(2);
        assert_eq!(
            low,
            [
                "mu[1]", "mu[2]", "D[1]", "D[2]", "W[1,1]", "W[1,2]", "W[2,1]", "W[2,2]"
            ]
        );
        assert_eq!(
            low.len(),
            Family::new(FamilyKind::LowRank(2), 2, false).n_params()
        );
    }
}
