//! `multi_normal` — multi_normal(mu, Sigma): multivariate normal with mean vector mu and covariance matrix Sigma; y a vector, or a matrix whose rows are observations

use super::multi_normal_cholesky::{
    check_cholesky_factor, mvn_cholesky_gradient, mvn_lpdf, mvn_rng, square_size, take3,
};
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::Scalar;
use crate::scalar::linalg::{cholesky_adjoint, cholesky_lower};

pub struct MultiNormal;

const SPEC: DistSpec = DistSpec {
    name: "multi_normal",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::Any),
    args: &[
        ArgSpec::new("mu", ArgShape::Vector, Domain::Any),
        ArgSpec::new("Sigma", ArgShape::Matrix, Domain::Covariance),
    ],
    doc: "multi_normal(mu, Sigma): multivariate normal with mean vector mu and covariance matrix Sigma; y a vector, or a matrix whose rows are observations",
};

impl Multivariate for MultiNormal {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (y, mu, sigma) = (&args[0], &args[1], &args[2]);
        let k = square_size(sigma, "Sigma")?;
        let l = cholesky(sigma)?;
        mvn_lpdf(y, mu, &View::matrix(&l, k, k), k)
    }

    const HAS_GRADIENT: bool = true;

    fn lpdf_gradient<T: Scalar>(
        args: &[View<'_, T>],
        grads: &mut [Option<&mut [T]>],
        scratch: &mut Vec<T>,
    ) -> Result<T, String> {
        multi_normal_gradient(args, grads, scratch)
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let (mu, sigma) = (&args[0], &args[1]);
        let k = square_size(sigma, "Sigma")?;
        let l = cholesky(sigma)?;
        let lv = View::matrix(&l, k, k);
        check_cholesky_factor(&lv, "cholesky(Sigma)")?;
        mvn_rng(mu, &lv, k, rng, out)
    }
}

/// Lower Cholesky factor (row-major) of a symmetric positive-definite
/// matrix, generic so that derivatives flow through it; an error names the
/// first asymmetric entry or the pivot that fails. The factorisation is
/// [`cholesky_lower`]; the symmetry check is this distribution's.
pub fn cholesky<T: Scalar>(a: &View<'_, T>) -> Result<Vec<T>, String> {
    let k = a.rows;
    for i in 0..k {
        for j in 0..i {
            let (x, y) = (a.at(i, j).re(), a.at(j, i).re());
            if (x - y).abs() > 1e-8 * x.abs().max(y.abs()).max(1.0) || x.is_nan() {
                return Err(format!(
                    "Sigma must be symmetric, but Sigma[{}, {}] = {x} and Sigma[{}, {}] = {y}",
                    i + 1,
                    j + 1,
                    j + 1,
                    i + 1
                ));
            }
        }
    }
    let mut l = vec![T::zero(); k * k];
    cholesky_lower(a.data, &mut l, k).map_err(|e| {
        format!(
            "Sigma must be positive-definite (Cholesky pivot {} is {})",
            e.pivot + 1,
            e.value
        )
    })?;
    Ok(l)
}

/// `multi_normal(y | mu, Sigma)` with partials: the factor's adjoint from
/// [`mvn_cholesky_gradient`], then the Cholesky adjoint to Sigma (its lower
/// triangle, the part the factorisation reads).
fn multi_normal_gradient<T: Scalar>(
    args: &[View<'_, T>],
    grads: &mut [Option<&mut [T]>],
    scratch: &mut Vec<T>,
) -> Result<T, String> {
    let (y, mu, sigma) = (&args[0], &args[1], &args[2]);
    let k = square_size(sigma, "Sigma")?;
    check_symmetric(sigma)?;
    let [dy, dmu, dsigma] = take3(grads);
    let kk = k * k;
    // scratch: L, L̄, two k × k blocks for the Cholesky adjoint, 2k for rows.
    scratch.clear();
    scratch.resize(4 * kk + 2 * k, T::zero());
    let (l, rest) = scratch.split_at_mut(kk);
    let (lbar, rest) = rest.split_at_mut(kk);
    let (p, rest) = rest.split_at_mut(kk);
    let (g, rows) = rest.split_at_mut(kk);
    cholesky_lower(sigma.data, l, k).map_err(|e| {
        format!(
            "Sigma must be positive-definite (Cholesky pivot {} is {})",
            e.pivot + 1,
            e.value
        )
    })?;
    let want_sigma = dsigma.is_some();
    let dl = want_sigma.then_some(&mut *lbar);
    let value = mvn_cholesky_gradient(y, mu, l, k, [dy, dmu, dl], rows)?;
    if let Some(ds) = dsigma {
        ds.iter_mut().for_each(|x| *x = T::zero());
        cholesky_adjoint(l, lbar, ds, k, p, g);
    }
    Ok(value)
}

/// Sigma symmetric within 1e-8 relative (the check of `multi_normal`).
fn check_symmetric<T: Scalar>(a: &View<'_, T>) -> Result<(), String> {
    for i in 0..a.rows {
        for j in 0..i {
            let (x, y) = (a.at(i, j).re(), a.at(j, i).re());
            if (x - y).abs() > 1e-8 * x.abs().max(y.abs()).max(1.0) || x.is_nan() {
                return Err(format!(
                    "Sigma must be symmetric, but Sigma[{}, {}] = {x} and Sigma[{}, {}] = {y}",
                    i + 1,
                    j + 1,
                    j + 1,
                    i + 1
                ));
            }
        }
    }
    Ok(())
}
