//! `multi_normal_cholesky` — multi_normal_cholesky(mu, L): multivariate normal with covariance L L' given its lower Cholesky factor L

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::linalg::{solve_lower, solve_lower_transposed};
use crate::scalar::{HALF_LOG_TWO_PI, Scalar};

pub struct MultiNormalCholesky;

const SPEC: DistSpec = DistSpec {
    name: "multi_normal_cholesky",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::Any),
    args: &[
        ArgSpec::new("mu", ArgShape::Vector, Domain::Any),
        ArgSpec::new("L", ArgShape::Matrix, Domain::CholeskyFactor),
    ],
    doc: "multi_normal_cholesky(mu, L): multivariate normal with covariance L L' given its lower Cholesky factor L",
};

impl Multivariate for MultiNormalCholesky {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (y, mu, l) = (&args[0], &args[1], &args[2]);
        let k = square_size(l, "L")?;
        check_cholesky_factor(l, "L")?;
        mvn_lpdf(y, mu, l, k)
    }

    const HAS_GRADIENT: bool = true;

    fn lpdf_gradient<T: Scalar>(
        args: &[View<'_, T>],
        grads: &mut [Option<&mut [T]>],
        scratch: &mut Vec<T>,
    ) -> Result<T, String> {
        multi_normal_cholesky_gradient(args, grads, scratch)
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let (mu, l) = (&args[0], &args[1]);
        let k = square_size(l, "L")?;
        check_cholesky_factor(l, "L")?;
        mvn_rng(mu, l, k, rng, out)
    }
}

/// The side of a square matrix argument.
pub(crate) fn square_size<T: Scalar>(m: &View<'_, T>, name: &str) -> Result<usize, String> {
    if m.rows != m.cols {
        return Err(format!(
            "{name} must be square, got {} x {}",
            m.rows, m.cols
        ));
    }
    Ok(m.rows)
}

/// Lower-triangular with a positive diagonal.
pub(crate) fn check_cholesky_factor<T: Scalar>(l: &View<'_, T>, name: &str) -> Result<(), String> {
    let k = l.rows;
    for i in 0..k {
        for j in (i + 1)..k {
            let v = l.at(i, j).re();
            if v != 0.0 {
                return Err(format!(
                    "{name} must be lower-triangular, but {name}[{}, {}] = {v}",
                    i + 1,
                    j + 1
                ));
            }
        }
        let d = l.at(i, i).re();
        if d.is_nan() || d <= 0.0 {
            return Err(format!(
                "{name} must have a positive diagonal, but {name}[{}, {}] = {d}",
                i + 1,
                i + 1
            ));
        }
    }
    Ok(())
}

/// Number of K-vectors in `v`: 1 for a vector of length K, the rows of an
/// N x K matrix.
pub(crate) fn count_rows<T: Scalar>(
    v: &View<'_, T>,
    k: usize,
    name: &str,
) -> Result<usize, String> {
    if v.cols == k {
        Ok(v.rows)
    } else if v.cols == 1 && v.rows == k {
        Ok(1)
    } else if v.cols == 1 {
        Err(format!("{name} has {} elements, expected {k}", v.rows))
    } else {
        Err(format!("{name} has {} columns, expected {k}", v.cols))
    }
}

/// Summed multivariate normal log density of the rows of `y` given a
/// checked lower Cholesky factor `l` of the covariance.
pub(crate) fn mvn_lpdf<T: Scalar>(
    y: &View<'_, T>,
    mu: &View<'_, T>,
    l: &View<'_, T>,
    k: usize,
) -> Result<T, String> {
    let n = count_rows(y, k, "y")?;
    let m = count_rows(mu, k, "mu")?;
    if m != 1 && m != n {
        return Err(format!(
            "mu has {m} rows but y has {n}: give one mean vector or one per row"
        ));
    }
    let mut log_det = T::zero();
    for i in 0..k {
        log_det += l.at(i, i).ln();
    }
    let mut z = vec![T::zero(); k];
    let mut sum_sq = T::zero();
    for r in 0..n {
        let yr = &y.data[r * k..(r + 1) * k];
        let mr = if m == 1 {
            &mu.data[..k]
        } else {
            &mu.data[r * k..(r + 1) * k]
        };
        // Forward substitution L z = y - mu.
        for i in 0..k {
            z[i] = yr[i] - mr[i];
        }
        solve_lower(l.data, &mut z, k);
        for &zi in &z {
            sum_sq += zi * zi;
        }
    }
    let nf = n as f64;
    Ok(-sum_sq * 0.5 - log_det * nf - HALF_LOG_TWO_PI * (k as f64) * nf)
}

/// Draws mu + L z (one per row of mu) into `out`.
pub(crate) fn mvn_rng(
    mu: &View<'_, f64>,
    l: &View<'_, f64>,
    k: usize,
    rng: &mut VRng,
    out: &mut Vec<f64>,
) -> Result<(), String> {
    let n = count_rows(mu, k, "mu")?;
    out.clear();
    let mut z = vec![0.0; k];
    for r in 0..n {
        for zi in z.iter_mut() {
            *zi = draw(Ok::<_, ()>(rand_distr::StandardNormal), rng);
        }
        for i in 0..k {
            let mut s = mu.data[r * k + i];
            for (j, zj) in z.iter().enumerate().take(i + 1) {
                s += l.at(i, j) * zj;
            }
            out.push(s);
        }
    }
    Ok(())
}

// The multivariate normal with a lower Cholesky factor L: for a row y with
// mean mu, z = L⁻¹ (y − mu) and w = L⁻ᵀ z,
// log p = −½ zᵀz − Σ log L_ii − (K/2) log 2π. From dz = −L⁻¹ dL z,
// ∂/∂y = −w, ∂/∂mu = w and ∂/∂L = w zᵀ − diag(1 / L_ii) (lower triangle):
// O(n K²) for n rows, in the caller's scratch.

/// Summed multivariate normal log density of the rows of `y` given a
/// checked lower Cholesky factor `l` (`k × k`), with the partials of `y`,
/// `mu` and `l` written where asked (overwritten; `dl` lower triangle).
pub(crate) fn mvn_cholesky_gradient<T: Scalar>(
    y: &View<'_, T>,
    mu: &View<'_, T>,
    l: &[T],
    k: usize,
    grads: [Option<&mut [T]>; 3],
    work: &mut [T],
) -> Result<T, String> {
    let n = count_rows(y, k, "y")?;
    let m = count_rows(mu, k, "mu")?;
    if m != 1 && m != n {
        return Err(format!(
            "mu has {m} rows but y has {n}: give one mean vector or one per row"
        ));
    }
    let [mut dy, mut dmu, mut dl] = grads;
    for d in [&mut dy, &mut dmu, &mut dl].into_iter().flatten() {
        d.iter_mut().for_each(|x| *x = T::zero());
    }
    let (z, w) = work[..2 * k].split_at_mut(k);
    let mut sum_sq = T::zero();
    for r in 0..n {
        let mr = if m == 1 { 0 } else { r * k };
        let (yr, mur) = (&y.data[r * k..(r + 1) * k], &mu.data[mr..mr + k]);
        for ((zi, &yi), &mi) in z.iter_mut().zip(yr).zip(mur) {
            *zi = yi - mi;
        }
        solve_lower(l, z, k);
        w.copy_from_slice(z);
        solve_lower_transposed(l, w, k);
        for &zi in z.iter() {
            sum_sq += zi * zi;
        }
        if let Some(d) = dy.as_deref_mut() {
            for i in 0..k {
                d[r * k + i] = -w[i];
            }
        }
        if let Some(d) = dmu.as_deref_mut() {
            for i in 0..k {
                d[mr + i] += w[i];
            }
        }
        if let Some(d) = dl.as_deref_mut() {
            for i in 0..k {
                let wi = w[i];
                for (x, &zj) in d[i * k..i * k + i + 1].iter_mut().zip(z.iter()) {
                    *x += wi * zj;
                }
            }
        }
    }
    let nf = n as f64;
    let mut log_det = T::zero();
    for i in 0..k {
        let lii = l[i * k + i];
        log_det += lii.ln();
        if let Some(d) = dl.as_deref_mut() {
            d[i * k + i] -= lii.recip() * nf;
        }
    }
    Ok(-sum_sq * 0.5 - log_det * nf - HALF_LOG_TWO_PI * (k as f64) * nf)
}

/// `multi_normal_cholesky(y | mu, L)` with partials.
fn multi_normal_cholesky_gradient<T: Scalar>(
    args: &[View<'_, T>],
    grads: &mut [Option<&mut [T]>],
    scratch: &mut Vec<T>,
) -> Result<T, String> {
    let (y, mu, l) = (&args[0], &args[1], &args[2]);
    let k = square_size(l, "L")?;
    check_cholesky_factor(l, "L")?;
    scratch.clear();
    scratch.resize(2 * k, T::zero());
    mvn_cholesky_gradient(y, mu, l.data, k, take3(grads), scratch)
}

/// The first three entries of `grads`, as mutable slices.
pub(crate) fn take3<'a, T>(grads: &'a mut [Option<&mut [T]>]) -> [Option<&'a mut [T]>; 3] {
    let (a, rest) = grads.split_at_mut(1);
    let (b, c) = rest.split_at_mut(1);
    [
        a[0].as_deref_mut(),
        b[0].as_deref_mut(),
        c[0].as_deref_mut(),
    ]
}
