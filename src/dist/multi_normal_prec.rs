//! `multi_normal_prec` — multi_normal_prec(mu, Omega): multivariate normal with mean mu and precision (inverse covariance) matrix Omega; y a vector, or a matrix whose rows are observations

// Index loops mirror the formulas (rows and coordinates).
#![allow(clippy::needless_range_loop)]

use super::multi_normal::cholesky;
use super::multi_normal_cholesky::{count_rows, square_size};
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::linalg::solve_lower_transposed;
use crate::scalar::{HALF_LOG_TWO_PI, Scalar};

pub struct MultiNormalPrec;

const SPEC: DistSpec = DistSpec {
    name: "multi_normal_prec",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::Any),
    args: &[
        ArgSpec::new("mu", ArgShape::Vector, Domain::Any),
        ArgSpec::new("Omega", ArgShape::Matrix, Domain::Covariance),
    ],
    doc: "multi_normal_prec(mu, Omega): multivariate normal with mean mu and precision (inverse covariance) matrix Omega; y a vector, or a matrix whose rows are observations",
};

impl Multivariate for MultiNormalPrec {
    const SPEC: DistSpec = SPEC;

    /// With Omega = L L': ½ log det Omega − ½ |L'(y − mu)|² − K/2 log 2π per row.
    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (y, mu, omega) = (&args[0], &args[1], &args[2]);
        let k = square_size(omega, "Omega")?;
        let l = cholesky(omega)?;
        let n = count_rows(y, k, "y")?;
        let m = count_rows(mu, k, "mu")?;
        if m != 1 && m != n {
            return Err(format!(
                "mu has {m} rows but y has {n}: give one mean vector or one per row"
            ));
        }
        let mut log_det = T::zero();
        for i in 0..k {
            log_det += l[i * k + i].ln();
        }
        let mut d = vec![T::zero(); k];
        let mut sum_sq = T::zero();
        for r in 0..n {
            let mr = if m == 1 { 0 } else { r * k };
            for i in 0..k {
                d[i] = y.data[r * k + i] - mu.data[mr + i];
            }
            // (L' d)_j = Σ_{i >= j} L_ij d_i
            for j in 0..k {
                let mut s = T::zero();
                for i in j..k {
                    s += l[i * k + j] * d[i];
                }
                sum_sq += s * s;
            }
        }
        let nf = n as f64;
        Ok(log_det * nf - sum_sq * 0.5 - HALF_LOG_TWO_PI * (k as f64) * nf)
    }

    /// mu + L'⁻¹ z with z standard normal (covariance Omega⁻¹).
    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let (mu, omega) = (&args[0], &args[1]);
        let k = square_size(omega, "Omega")?;
        let l = cholesky(omega)?;
        let rows = count_rows(mu, k, "mu")?;
        out.clear();
        let mut z = vec![0.0; k];
        for r in 0..rows {
            for zi in z.iter_mut() {
                *zi = super::draw(Ok::<_, ()>(rand_distr::StandardNormal), rng);
            }
            solve_lower_transposed(&l, &mut z, k);
            for i in 0..k {
                out.push(mu.data[r * k + i] + z[i]);
            }
        }
        Ok(())
    }
}
