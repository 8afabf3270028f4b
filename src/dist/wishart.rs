//! `wishart` and `inv_wishart` — wishart(nu, S) and inv_wishart(nu, S):
//! distributions of K × K symmetric positive-definite matrices with nu > K − 1
//! degrees of freedom and scale matrix S, in Stan's parameterisation
//! (E[W] = nu S for the Wishart, E[W] = S / (nu − K − 1) for the inverse).

use super::multi_normal::cholesky;
use super::multi_normal_cholesky::square_size;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View, draw};
use crate::random::VRng;
use crate::scalar::linalg::{solve_lower, solve_lower_transposed};
use crate::scalar::{Scalar, lgamma};
use std::f64::consts::{LN_2, PI};

pub struct Wishart;
pub struct InvWishart;

const SPEC: DistSpec = DistSpec {
    name: "wishart",
    variate: ArgSpec::new("W", ArgShape::Matrix, Domain::Covariance),
    args: &[
        ArgSpec::new("nu", ArgShape::Scalar, Domain::Positive),
        ArgSpec::new("S", ArgShape::Matrix, Domain::Covariance),
    ],
    doc: "wishart(nu, S): K x K symmetric positive-definite W with nu > K - 1 degrees of freedom and scale matrix S; E[W] = nu S",
};

const INV_SPEC: DistSpec = DistSpec {
    name: "inv_wishart",
    variate: ArgSpec::new("W", ArgShape::Matrix, Domain::Covariance),
    args: &[
        ArgSpec::new("nu", ArgShape::Scalar, Domain::Positive),
        ArgSpec::new("S", ArgShape::Matrix, Domain::Covariance),
    ],
    doc: "inv_wishart(nu, S): K x K symmetric positive-definite W whose inverse is wishart(nu, inverse(S)); nu > K - 1; E[W] = S / (nu - K - 1)",
};

/// The checked size K, the Cholesky factors of W and S, and nu.
type Factored<T> = (usize, Vec<T>, Vec<T>, T);

fn factor<T: Scalar>(args: &[View<'_, T>]) -> Result<Factored<T>, String> {
    let (w, nu, s) = (&args[0], args[1].data[0], &args[2]);
    let k = square_size(s, "S")?;
    if square_size(w, "W")? != k {
        return Err(format!("W is {0} x {0} but S is {k} x {k}", w.rows));
    }
    check_degrees(nu.re(), k)?;
    let lw = cholesky(w).map_err(|m| m.replace("Sigma", "W"))?;
    let ls = cholesky(s).map_err(|m| m.replace("Sigma", "S"))?;
    Ok((k, lw, ls, nu))
}

fn check_degrees(nu: f64, k: usize) -> Result<(), String> {
    if nu > k as f64 - 1.0 {
        Ok(())
    } else {
        Err(format!(
            "the degrees of freedom nu = {nu} must be above K - 1 = {}",
            k as f64 - 1.0
        ))
    }
}

/// log det of a matrix from its Cholesky factor.
fn log_det<T: Scalar>(l: &[T], k: usize) -> T {
    (0..k).fold(T::zero(), |a, i| a + l[i * k + i].ln() * 2.0)
}

/// tr(A⁻¹ B) with A = L L': Σ over the columns b of B of b' A⁻¹ e_j, from
/// A⁻¹ b = L'⁻¹ L⁻¹ b.
fn trace_solve<T: Scalar>(l: &[T], b: &View<'_, T>, k: usize) -> T {
    let mut col = vec![T::zero(); k];
    let mut trace = T::zero();
    for j in 0..k {
        for (i, c) in col.iter_mut().enumerate() {
            *c = b.at(i, j);
        }
        solve_lower(l, &mut col, k);
        solve_lower_transposed(l, &mut col, k);
        trace += col[j];
    }
    trace
}

/// log Γ_K(x) = K(K − 1)/4 log π + Σ_{j=1..K} log Γ(x + (1 − j)/2).
pub fn lmgamma<T: Scalar>(k: usize, x: T) -> T {
    let mut s = T::from((k * (k.saturating_sub(1))) as f64 / 4.0 * PI.ln());
    for j in 1..=k {
        s += lgamma(x + (1.0 - j as f64) / 2.0);
    }
    s
}

impl Multivariate for Wishart {
    const SPEC: DistSpec = SPEC;

    /// (nu − K − 1)/2 log det W − ½ tr(S⁻¹ W) − nu K/2 log 2 − nu/2 log det S − log Γ_K(nu/2).
    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (k, lw, ls, nu) = factor(args)?;
        let kf = k as f64;
        Ok((nu - kf - 1.0) * 0.5 * log_det(&lw, k)
            - trace_solve(&ls, &args[0], k) * 0.5
            - nu * (kf * 0.5 * LN_2)
            - nu * 0.5 * log_det(&ls, k)
            - lmgamma(k, nu * 0.5))
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let (nu, s) = (args[0].data[0], &args[1]);
        let k = square_size(s, "S")?;
        check_degrees(nu, k)?;
        let ls = cholesky(s).map_err(|m| m.replace("Sigma", "S"))?;
        bartlett(nu, &ls, k, rng, out);
        Ok(())
    }
}

impl Multivariate for InvWishart {
    const SPEC: DistSpec = INV_SPEC;

    /// nu/2 log det S − nu K/2 log 2 − log Γ_K(nu/2) − (nu + K + 1)/2 log det W − ½ tr(S W⁻¹).
    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (k, lw, ls, nu) = factor(args)?;
        let kf = k as f64;
        Ok(nu * 0.5 * log_det(&ls, k)
            - nu * (kf * 0.5 * LN_2)
            - lmgamma(k, nu * 0.5)
            - (nu + kf + 1.0) * 0.5 * log_det(&lw, k)
            - trace_solve(&lw, &args[2], k) * 0.5)
    }

    /// The inverse of a wishart(nu, S⁻¹) draw.
    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let (nu, s) = (args[0].data[0], &args[1]);
        let k = square_size(s, "S")?;
        check_degrees(nu, k)?;
        let ls = cholesky(s).map_err(|m| m.replace("Sigma", "S"))?;
        let s_inv = inverse_from_cholesky(&ls, k);
        let l_inv = cholesky(&View::matrix(&s_inv, k, k)).map_err(|m| m.replace("Sigma", "S"))?;
        let mut w = Vec::new();
        bartlett(nu, &l_inv, k, rng, &mut w);
        let lw = cholesky(&View::matrix(&w, k, k))?;
        out.clear();
        out.extend(inverse_from_cholesky(&lw, k));
        Ok(())
    }
}

/// A⁻¹ (row-major) from the Cholesky factor of A.
fn inverse_from_cholesky(l: &[f64], k: usize) -> Vec<f64> {
    let mut inv = vec![0.0; k * k];
    let mut col = vec![0.0; k];
    for j in 0..k {
        col.iter_mut().for_each(|c| *c = 0.0);
        col[j] = 1.0;
        solve_lower(l, &mut col, k);
        solve_lower_transposed(l, &mut col, k);
        for i in 0..k {
            inv[i * k + j] = col[i];
        }
    }
    // Exactly symmetric.
    for i in 0..k {
        for j in 0..i {
            let m = 0.5 * (inv[i * k + j] + inv[j * k + i]);
            inv[i * k + j] = m;
            inv[j * k + i] = m;
        }
    }
    inv
}

/// Bartlett's decomposition: W = L A A' L' with A lower-triangular,
/// A_ii = sqrt(chi_square(nu − i)) (0-based i) and standard normal entries below.
fn bartlett(nu: f64, l: &[f64], k: usize, rng: &mut VRng, out: &mut Vec<f64>) {
    let mut a = vec![0.0; k * k];
    for i in 0..k {
        a[i * k + i] = draw(rand_distr::ChiSquared::new(nu - i as f64), rng).sqrt();
        for j in 0..i {
            a[i * k + j] = draw(Ok::<_, ()>(rand_distr::StandardNormal), rng);
        }
    }
    // B = L A (lower-triangular), W = B B'.
    let mut b = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            b[i * k + j] = (j..=i).map(|m| l[i * k + m] * a[m * k + j]).sum();
        }
    }
    out.clear();
    out.resize(k * k, 0.0);
    for i in 0..k {
        for j in 0..=i {
            let v: f64 = (0..=j).map(|m| b[i * k + m] * b[j * k + m]).sum();
            out[i * k + j] = v;
            out[j * k + i] = v;
        }
    }
}
