//! The fitted approximation as users keep it: serializable, self-checking,
//! and able to draw and evaluate log q on its own (fit files, `vippl draws`).

use super::{Factors, Family};
use crate::infer::FamilyKind;
use crate::infer::linalg::mat_mul_t;
use crate::infer::streams;
use crate::random::stream;
use crate::scalar::linalg::{cholesky_in_place, solve_lower};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// A fitted variational distribution on the unconstrained coordinates.
///
/// Scales are stored as general matrices S with Σ = S Sᵀ (row-major): the
/// parameterization the Bures–Wasserstein flow moves, and the one that also
/// holds ADVI's lower-triangular Cholesky factor and FB-GVI's symmetric
/// square root unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "lowercase")]
pub enum Approximation {
    /// Independent Gaussians.
    #[serde(rename = "meanfield")]
    MeanField { mean: Vec<f64>, sd: Vec<f64> },
    /// N(mean, S Sᵀ), S row-major d × d.
    #[serde(rename = "fullrank")]
    FullRank { mean: Vec<f64>, scale: Vec<f64> },
    /// N(mean, D² + W Wᵀ): `diag` holds D (length d), `factor` W (d × R,
    /// row-major); never a dense d × d matrix.
    #[serde(rename = "lowrank")]
    LowRank {
        mean: Vec<f64>,
        diag: Vec<f64>,
        factor: Vec<f64>,
    },
    /// Σ_k w_k N(μ_k, S_k S_kᵀ).
    #[serde(rename = "mixture")]
    Mixture {
        weights: Vec<f64>,
        components: Vec<Component>,
    },
}

/// One mixture component, N(mean, S Sᵀ) with S row-major d × d.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Approximation {
    /// Dimension of the unconstrained space.
    pub fn dim(&self) -> usize {
        match self {
            Approximation::MeanField { mean, .. }
            | Approximation::FullRank { mean, .. }
            | Approximation::LowRank { mean, .. } => mean.len(),
            Approximation::Mixture { components, .. } => {
                components.first().map_or(0, |c| c.mean.len())
            }
        }
    }

    /// The family it belongs to.
    pub fn kind(&self) -> FamilyKind {
        match self {
            Approximation::MeanField { .. } => FamilyKind::MeanField,
            Approximation::FullRank { .. } => FamilyKind::FullRank,
            Approximation::LowRank { mean, factor, .. } => {
                FamilyKind::LowRank(factor.len() / mean.len().max(1))
            }
            Approximation::Mixture { weights, .. } => FamilyKind::Mixture(weights.len()),
        }
    }

    /// The family name as `--family` spells it.
    pub fn family_name(&self) -> String {
        self.kind().to_string()
    }

    /// Checks shapes and values, e.g. after reading a fit file written by
    /// hand; the message says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        let d = self.dim();
        if d == 0 {
            return Err("the approximation has dimension 0".into());
        }
        let finite = |v: &[f64], what: &str| -> Result<(), String> {
            if v.iter().all(|x| x.is_finite()) {
                Ok(())
            } else {
                Err(format!(
                    "the approximation's {what} contains a non-finite number"
                ))
            }
        };
        match self {
            Approximation::MeanField { mean, sd } => {
                if sd.len() != d {
                    return Err(format!("meanfield: {} means but {} sds", d, sd.len()));
                }
                finite(mean, "mean")?;
                finite(sd, "sd")?;
                if sd.iter().any(|&s| s <= 0.0) {
                    return Err("meanfield: every sd must be positive".into());
                }
            }
            Approximation::FullRank { mean, scale } => {
                if scale.len() != d * d {
                    return Err(format!(
                        "fullrank: the scale must have {} entries (d × d, d = {d}), found {}",
                        d * d,
                        scale.len()
                    ));
                }
                finite(mean, "mean")?;
                finite(scale, "scale")?;
            }
            Approximation::LowRank { mean, diag, factor } => {
                if diag.len() != d || factor.is_empty() || factor.len() % d != 0 {
                    return Err(format!(
                        "lowrank: expected {d} diagonal entries and a d × R factor (a multiple \
                         of d = {d} entries, R ≥ 1), found {} and {}",
                        diag.len(),
                        factor.len()
                    ));
                }
                finite(mean, "mean")?;
                finite(diag, "diagonal")?;
                finite(factor, "factor")?;
                if diag.iter().any(|&s| s <= 0.0) {
                    return Err("lowrank: every diagonal entry must be positive".into());
                }
            }
            Approximation::Mixture {
                weights,
                components,
            } => {
                if weights.len() != components.len() || weights.is_empty() {
                    return Err(format!(
                        "mixture: {} weights for {} components",
                        weights.len(),
                        components.len()
                    ));
                }
                finite(weights, "weights")?;
                if weights.iter().any(|&w| w < 0.0)
                    || (weights.iter().sum::<f64>() - 1.0).abs() > 1e-6
                {
                    return Err("mixture: weights must be non-negative and sum to 1".into());
                }
                for (k, c) in components.iter().enumerate() {
                    if c.mean.len() != d || c.scale.len() != d * d {
                        return Err(format!(
                            "mixture component {}: expected a mean of length {d} and a {d} × {d} scale",
                            k + 1
                        ));
                    }
                    finite(&c.mean, "component mean")?;
                    finite(&c.scale, "component scale")?;
                }
            }
        }
        let (fam, theta) = Family::from_approximation(self);
        let mut f = Factors::new(fam);
        if !f.prepare(&theta) {
            return Err("the approximation's scale matrix is singular".into());
        }
        Ok(())
    }

    pub(crate) fn prepared(&self) -> Result<(Family, Vec<f64>, Factors), String> {
        self.check()?;
        let (fam, theta) = Family::from_approximation(self);
        let mut f = Factors::new(fam);
        f.prepare(&theta);
        Ok((fam, theta, f))
    }

    /// `n` draws, row-major n × d, on the unconstrained scale. Draw i depends
    /// only on (seed, i), so the first draws do not change with n.
    pub fn sample(&self, n: usize, seed: u64) -> Result<Vec<f64>, String> {
        let (fam, theta, f) = self.prepared()?;
        let d = fam.d;
        let mut out = vec![0.0; n * d];
        let mut eps = vec![0.0; fam.noise_len()];
        for i in 0..n {
            let mut rng = stream(seed, &[streams::DRAWS, i as u64]);
            let k = match self {
                Approximation::Mixture { weights, .. } => {
                    let u: f64 = rng.random();
                    pick(weights, u)
                }
                _ => 0,
            };
            for e in eps.iter_mut() {
                *e = rng.sample(StandardNormal);
            }
            f.transform(&theta, k, &eps, &mut out[i * d..(i + 1) * d]);
        }
        Ok(out)
    }

    /// log q(x).
    pub fn log_q(&self, x: &[f64]) -> Result<f64, String> {
        let (fam, theta, f) = self.prepared()?;
        if x.len() != fam.d {
            return Err(format!(
                "log q: point of length {} for dimension {}",
                x.len(),
                fam.d
            ));
        }
        let mut scratch = vec![0.0; Factors::point_scratch_len(fam)];
        Ok(f.log_q_at(&theta, x, &mut scratch))
    }

    /// log q at each of the row-major points (each of length d), the scale
    /// factored once for all of them (a full-rank q's factorisation costs
    /// O(d³), its log density at a point O(d²)); in parallel, each value
    /// the same as [`Approximation::log_q`]'s.
    pub fn log_q_many(&self, points: &[f64]) -> Result<Vec<f64>, String> {
        use rayon::prelude::*;
        let (fam, theta, f) = self.prepared()?;
        let d = fam.d;
        if d == 0 || points.len() % d != 0 {
            return Err(format!(
                "log q: {} coordinates are not a whole number of points of dimension {d}",
                points.len()
            ));
        }
        Ok(points
            .par_chunks(d)
            .map_init(
                || vec![0.0; Factors::point_scratch_len(fam)],
                |scratch, x| f.log_q_at(&theta, x, scratch),
            )
            .collect())
    }

    /// Closed-form entropy for Gaussians; `None` for mixtures.
    pub fn entropy(&self) -> Option<f64> {
        let (_, _, f) = self.prepared().ok()?;
        f.entropy()
    }

    /// Mean of q.
    pub fn mean(&self) -> Vec<f64> {
        match self {
            Approximation::MeanField { mean, .. }
            | Approximation::FullRank { mean, .. }
            | Approximation::LowRank { mean, .. } => mean.clone(),
            Approximation::Mixture {
                weights,
                components,
            } => {
                let d = self.dim();
                let mut m = vec![0.0; d];
                for (w, c) in weights.iter().zip(components) {
                    for i in 0..d {
                        m[i] += w * c.mean[i];
                    }
                }
                m
            }
        }
    }

    /// Covariance of q, row-major d × d.
    pub fn covariance(&self) -> Vec<f64> {
        let d = self.dim();
        let sss = |s: &[f64]| {
            let mut c = vec![0.0; d * d];
            mat_mul_t(s, s, &mut c, d);
            c
        };
        match self {
            Approximation::MeanField { sd, .. } => {
                let mut c = vec![0.0; d * d];
                for i in 0..d {
                    c[i * d + i] = sd[i] * sd[i];
                }
                c
            }
            Approximation::FullRank { scale, .. } => sss(scale),
            Approximation::LowRank { diag, factor, .. } => {
                let r = factor.len() / d;
                let mut c = vec![0.0; d * d];
                for i in 0..d {
                    for j in 0..d {
                        c[i * d + j] = crate::infer::linalg::dot(
                            &factor[i * r..(i + 1) * r],
                            &factor[j * r..(j + 1) * r],
                        );
                    }
                    c[i * d + i] += diag[i] * diag[i];
                }
                c
            }
            Approximation::Mixture {
                weights,
                components,
            } => {
                let m = self.mean();
                let mut c = vec![0.0; d * d];
                for (w, comp) in weights.iter().zip(components) {
                    let ck = sss(&comp.scale);
                    for i in 0..d {
                        for j in 0..d {
                            c[i * d + j] +=
                                w * (ck[i * d + j] + (comp.mean[i] - m[i]) * (comp.mean[j] - m[j]));
                        }
                    }
                }
                c
            }
        }
    }

    /// Marginal standard deviations.
    pub fn sd(&self) -> Vec<f64> {
        let d = self.dim();
        match self {
            Approximation::MeanField { sd, .. } => return sd.clone(),
            Approximation::FullRank { scale, .. } => {
                return super::Scale::Dense(scale.clone()).sds();
            }
            Approximation::LowRank { diag, factor, .. } => {
                return (0..d)
                    .map(|i| super::diag_low_rank::marginal_variance(diag, factor, i).sqrt())
                    .collect();
            }
            Approximation::Mixture { .. } => {}
        }
        let c = self.covariance();
        (0..d).map(|i| c[i * d + i].sqrt()).collect()
    }

    /// Names of [`Approximation::flat_parameters`] (for trace files).
    pub fn parameter_names(&self) -> Vec<String> {
        self.kind().parameter_names(self.dim())
    }

    /// The family's parameters as one flat vector: mixture weights first,
    /// then per component the mean and the scale (sd for mean-field, S
    /// row-major otherwise) — the layout of `IterationInfo::parameters`.
    pub fn flat_parameters(&self) -> Vec<f64> {
        let (fam, theta) = Family::from_approximation(self);
        let mut out = vec![0.0; fam.n_params()];
        fam.flat_parameters(&theta, &mut out);
        out
    }
}

/// Index of the category whose cumulative weight first exceeds u.
pub(crate) fn pick(weights: &[f64], u: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    for (k, w) in weights.iter().enumerate() {
        acc += w / total;
        if u < acc {
            return k;
        }
    }
    weights.len() - 1
}

impl Approximation {
    /// Collapsed (weight below 10⁻³) and duplicated (Bhattacharyya
    /// coefficient above 0.99) mixture components, in words; empty for
    /// Gaussians.
    pub fn mixture_issues(&self) -> Vec<String> {
        let Approximation::Mixture {
            weights,
            components,
        } = self
        else {
            return Vec::new();
        };
        let d = self.dim();
        let mut out = Vec::new();
        for (k, &w) in weights.iter().enumerate() {
            if w < 1e-3 {
                out.push(format!(
                    "mixture component {} has collapsed (weight {w:.2e}); fewer components \
                     would describe the posterior as well",
                    k + 1
                ));
            }
        }
        let cov = |s: &[f64]| {
            let mut c = vec![0.0; d * d];
            mat_mul_t(s, s, &mut c, d);
            c
        };
        let logdet_chol = |c: &[f64]| -> Option<(Vec<f64>, f64)> {
            let mut l = c.to_vec();
            cholesky_in_place(&mut l, d).ok()?;
            let ld = 2.0 * (0..d).map(|i| l[i * d + i].ln()).sum::<f64>();
            Some((l, ld))
        };
        for a in 0..components.len() {
            for b in a + 1..components.len() {
                if weights[a] < 1e-3 || weights[b] < 1e-3 {
                    continue;
                }
                let (ca, cb) = (cov(&components[a].scale), cov(&components[b].scale));
                let avg: Vec<f64> = ca.iter().zip(&cb).map(|(x, y)| 0.5 * (x + y)).collect();
                let (Some((l, ld)), Some((_, la)), Some((_, lb))) =
                    (logdet_chol(&avg), logdet_chol(&ca), logdet_chol(&cb))
                else {
                    continue;
                };
                // Δμᵀ Σ̄⁻¹ Δμ via the Cholesky factor.
                let mut z: Vec<f64> = (0..d)
                    .map(|i| components[a].mean[i] - components[b].mean[i])
                    .collect();
                solve_lower(&l, &mut z, d);
                let maha: f64 = z.iter().map(|v| v * v).sum();
                let db = maha / 8.0 + 0.5 * (ld - 0.5 * (la + lb));
                if (-db).exp() > 0.99 {
                    out.push(format!(
                        "mixture components {} and {} are nearly identical (overlap {:.3}); \
                         the fit may need fewer components or another restart",
                        a + 1,
                        b + 1,
                        (-db).exp()
                    ));
                }
            }
        }
        out
    }
}
