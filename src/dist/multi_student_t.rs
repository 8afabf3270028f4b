//! `multi_student_t` — multi_student_t(nu, mu, Sigma): multivariate Student's t with nu > 0 degrees of freedom, location mu and scale matrix Sigma; y a vector, or a matrix whose rows are observations

// Index loops mirror the formulas (rows and coordinates).
#![allow(clippy::needless_range_loop)]

use super::draw;
use super::multi_normal::cholesky;
use super::multi_normal_cholesky::{count_rows, mvn_rng, square_size};
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::linalg::solve_lower;
use crate::scalar::{Scalar, lgamma};
use std::f64::consts::PI;

pub struct MultiStudentT;

const SPEC: DistSpec = DistSpec {
    name: "multi_student_t",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::Any),
    args: &[
        ArgSpec::new("nu", ArgShape::Scalar, Domain::Positive),
        ArgSpec::new("mu", ArgShape::Vector, Domain::Any),
        ArgSpec::new("Sigma", ArgShape::Matrix, Domain::Covariance),
    ],
    doc: "multi_student_t(nu, mu, Sigma): multivariate Student's t with nu > 0 degrees of freedom, location mu and scale matrix Sigma; y a vector, or a matrix whose rows are observations",
};

impl Multivariate for MultiStudentT {
    const SPEC: DistSpec = SPEC;

    /// Per row: log Γ((nu + K) / 2) − log Γ(nu / 2) − K/2 log(nu π)
    /// − ½ log det Sigma − (nu + K)/2 log(1 + z'z / nu), z = L⁻¹(y − mu).
    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (y, nu, mu, sigma) = (&args[0], args[1].data[0], &args[2], &args[3]);
        let k = square_size(sigma, "Sigma")?;
        let l = cholesky(sigma)?;
        let n = count_rows(y, k, "y")?;
        let m = count_rows(mu, k, "mu")?;
        if m != 1 && m != n {
            return Err(format!(
                "mu has {m} rows but y has {n}: give one location vector or one per row"
            ));
        }
        let kf = k as f64;
        let mut log_det = T::zero();
        for i in 0..k {
            log_det += l[i * k + i].ln();
        }
        let mut z = vec![T::zero(); k];
        let mut tail = T::zero();
        for r in 0..n {
            let mr = if m == 1 { 0 } else { r * k };
            for i in 0..k {
                z[i] = y.data[r * k + i] - mu.data[mr + i];
            }
            solve_lower(&l, &mut z, k);
            let sum_sq = z.iter().fold(T::zero(), |a, &v| a + v * v);
            tail += (sum_sq / nu).ln_1p();
        }
        let per_row =
            lgamma((nu + kf) * 0.5) - lgamma(nu * 0.5) - (nu * PI).ln() * (kf * 0.5) - log_det;
        Ok(per_row * n as f64 - tail * (nu + kf) * 0.5)
    }

    /// mu + L z / sqrt(W / nu) with z standard normal and W ~ chi_square(nu).
    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let (nu, mu, sigma) = (args[0].data[0], &args[1], &args[2]);
        let k = square_size(sigma, "Sigma")?;
        let l = cholesky(sigma)?;
        let rows = count_rows(mu, k, "mu")?;
        let zero = vec![0.0; k];
        let lv = View::matrix(&l, k, k);
        let mut z = Vec::with_capacity(k);
        out.clear();
        for r in 0..rows {
            mvn_rng(&View::vector(&zero), &lv, k, rng, &mut z)?;
            let scale = (nu / draw(rand_distr::ChiSquared::new(nu), rng)).sqrt();
            for i in 0..k {
                out.push(mu.data[r * k + i] + z[i] * scale);
            }
        }
        Ok(())
    }
}
