//! The scale of a starting Gaussian: diagonal for the mean-field family (so
//! that nothing of size d × d exists on its path), dense otherwise.

use crate::infer::linalg::{dot, mat_mul_t, symmetric_eigen};

/// Σ = diag(sd²) or Σ = S Sᵀ.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scale {
    /// Marginal standard deviations.
    Diagonal(Vec<f64>),
    /// S, row-major d × d.
    Dense(Vec<f64>),
}

impl Scale {
    /// The identity in dimension d, diagonal or dense.
    pub fn identity(d: usize, diagonal: bool) -> Scale {
        if diagonal {
            return Scale::Diagonal(vec![1.0; d]);
        }
        let mut eye = vec![0.0; d * d];
        for i in 0..d {
            eye[i * d + i] = 1.0;
        }
        Scale::Dense(eye)
    }

    pub fn dim(&self) -> usize {
        match self {
            Scale::Diagonal(s) => s.len(),
            Scale::Dense(s) => s.len().isqrt(),
        }
    }

    pub fn is_diagonal(&self) -> bool {
        matches!(self, Scale::Diagonal(_))
    }

    /// The marginal sds: √Σᵢᵢ, the norm of row i of a dense S.
    pub fn sds(&self) -> Vec<f64> {
        match self {
            Scale::Diagonal(s) => s.clone(),
            Scale::Dense(s) => {
                let d = self.dim();
                (0..d)
                    .map(|i| {
                        s[i * d..(i + 1) * d]
                            .iter()
                            .map(|v| v * v)
                            .sum::<f64>()
                            .sqrt()
                    })
                    .collect()
            }
        }
    }

    /// The mean-field scale with the same marginal sds.
    pub fn into_diagonal(self) -> Scale {
        match self {
            Scale::Diagonal(_) => self,
            Scale::Dense(_) => Scale::Diagonal(self.sds()),
        }
    }

    /// S as a dense row-major d × d matrix (a diagonal one placed on the
    /// diagonal).
    pub fn to_dense(&self) -> Vec<f64> {
        match self {
            Scale::Dense(s) => s.clone(),
            Scale::Diagonal(s) => {
                let d = s.len();
                let mut out = vec![0.0; d * d];
                for i in 0..d {
                    out[i * d + i] = s[i];
                }
                out
            }
        }
    }

    /// out += S ε.
    pub fn add_applied(&self, eps: &[f64], out: &mut [f64]) {
        match self {
            Scale::Diagonal(s) => {
                for i in 0..s.len() {
                    out[i] += s[i] * eps[i];
                }
            }
            Scale::Dense(s) => {
                let d = eps.len();
                for i in 0..d {
                    out[i] += dot(&s[i * d..(i + 1) * d], eps);
                }
            }
        }
    }

    /// λ_max(Σ⁻¹) = 1 / σ_min(S)², the entropy term's curvature (0 when S
    /// is singular).
    pub fn largest_precision(&self) -> f64 {
        match self {
            Scale::Diagonal(s) => {
                let min = s.iter().fold(f64::INFINITY, |m, v| m.min(v * v));
                if min > 0.0 && min.is_finite() {
                    1.0 / min
                } else {
                    0.0
                }
            }
            Scale::Dense(s) => {
                let d = self.dim();
                let mut sst = vec![0.0; d * d];
                mat_mul_t(s, s, &mut sst, d);
                let (vals, _) = symmetric_eigen(&sst, d);
                match vals.first() {
                    Some(&m) if m > 0.0 => 1.0 / m,
                    _ => 0.0,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagonal_scale_agrees_with_its_dense_form() {
        let diag = Scale::Diagonal(vec![2.0, 0.5, 3.0]);
        let dense = Scale::Dense(diag.to_dense());
        assert_eq!(dense.dim(), 3);
        assert_eq!(dense.sds(), diag.sds());
        assert_eq!(dense.clone().into_diagonal(), diag);
        assert!((dense.largest_precision() - 4.0).abs() < 1e-12);
        assert!((diag.largest_precision() - 4.0).abs() < 1e-12);
        let eps = [1.0, -2.0, 0.5];
        let (mut a, mut b) = ([1.0; 3], [1.0; 3]);
        diag.add_applied(&eps, &mut a);
        dense.add_applied(&eps, &mut b);
        assert_eq!(a, b);
        assert_eq!(a, [3.0, 0.0, 2.5]);
        // Row norms of a rotated scale are the marginal sds.
        let s = Scale::Dense(vec![0.6, 0.8, 0.0, 2.0]);
        assert_eq!(s.sds(), vec![1.0, 2.0]);
        assert_eq!(Scale::identity(2, true), Scale::Diagonal(vec![1.0, 1.0]));
    }
}
