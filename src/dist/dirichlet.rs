//! `dirichlet` — dirichlet(alpha): density proportional to prod theta_k^(alpha_k - 1) on the simplex

use super::multi_normal_cholesky::count_rows;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use super::{draw, open01};
use crate::random::VRng;
use crate::scalar::{Scalar, lgamma, log_sum_exp_slice};

pub struct Dirichlet;

const SPEC: DistSpec = DistSpec {
    name: "dirichlet",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::Simplex),
    args: &[ArgSpec::new("alpha", ArgShape::Vector, Domain::Positive)],
    doc: "dirichlet(alpha): density proportional to prod theta_k^(alpha_k - 1) on the simplex",
};

impl Multivariate for Dirichlet {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (theta, alpha) = (&args[0], &args[1]);
        let k = alpha.len();
        check_alpha(alpha)?;
        let n = count_rows(theta, k, "theta")?;
        let mut norm = lgamma(alpha.data.iter().fold(T::zero(), |s, &a| s + a));
        for &a in alpha.data {
            norm -= lgamma(a);
        }
        let mut lp = norm * n as f64;
        for r in 0..n {
            let row = &theta.data[r * k..(r + 1) * k];
            check_simplex(row, "theta")?;
            for (t, a) in row.iter().zip(alpha.data) {
                if t.re() == 0.0 && a.re() == 1.0 {
                    continue; // 0^0 = 1
                }
                lp += (*a - 1.0) * t.ln();
            }
        }
        Ok(lp)
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let alpha = &args[0];
        check_alpha(alpha)?;
        // log Gamma(a) draws as log Gamma(a + 1) + log(U) / a, which stays
        // finite for tiny a, then normalized in log space.
        out.clear();
        for &a in alpha.data {
            let g = draw(rand_distr::Gamma::new(a + 1.0, 1.0), rng);
            out.push(g.ln() + open01(rng).ln() / a);
        }
        let lse = log_sum_exp_slice(out);
        for v in out.iter_mut() {
            *v = (*v - lse).exp();
        }
        Ok(())
    }
}

fn check_alpha<T: Scalar>(alpha: &View<'_, T>) -> Result<(), String> {
    if alpha.cols != 1 {
        return Err("alpha must be a vector".into());
    }
    if alpha.is_empty() {
        return Err("alpha must have at least one element".into());
    }
    for (i, a) in alpha.data.iter().enumerate() {
        if a.re().is_nan() || a.re() <= 0.0 || !a.re().is_finite() {
            return Err(format!(
                "alpha must be positive, but alpha[{}] = {}",
                i + 1,
                a.re()
            ));
        }
    }
    Ok(())
}

/// Tolerance on the sum of a simplex.
pub const SIMPLEX_TOLERANCE: f64 = 1e-8;

/// Non-negative entries summing to one within [`SIMPLEX_TOLERANCE`].
pub fn check_simplex<T: Scalar>(v: &[T], name: &str) -> Result<(), String> {
    let mut sum = 0.0;
    for (i, x) in v.iter().enumerate() {
        let x = x.re();
        if x.is_nan() || x < 0.0 {
            return Err(format!(
                "{name} must be a simplex, but {name}[{}] = {x} is negative",
                i + 1
            ));
        }
        sum += x;
    }
    if (sum - 1.0).abs() > SIMPLEX_TOLERANCE {
        return Err(format!(
            "{name} must be a simplex, but its elements sum to {sum}, not 1"
        ));
    }
    Ok(())
}
