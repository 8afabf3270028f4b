//! The matrix and vector types built on a triangle or a basis: Cholesky
//! factors of covariances, covariance and correlation matrices, unit
//! vectors and zero-sum vectors.
//!
//! | transform | x from u | log abs det J |
//! |---|---|---|
//! | cholesky_factor_cov | lower triangle row by row, diagonal exp(u) | Σ u_ii |
//! | cholesky_factor_cov[M, N] | the first N rows as above, then the M − N rows as they are | Σ u_ii |
//! | cov_matrix | L L' with L as above | K log 2 + Σ_i (K − i + 1) u_ii (i from 0) |
//! | corr_matrix | L L' with L the corr_cholesky factor | Σ_{i>j} (K − j)/2 · log(1 − tanh² u_ij) (j from 0) |
//! | unit_vector | u / ‖u‖ | −½ ‖u‖² (Stan's; the map is not a bijection) |
//! | sum_to_zero_vector | Helmert basis: u_i (1,…,1, −i, 0,…)/√(i(i+1)) | 0 (an isometry) |
//!
//! Their reverse rules are hand-written: O(K³) for the matrices (the
//! adjoint of L L' is a product with L), O(K) for the vectors, generic
//! over the scalar type like the rest of the transforms (so Hessian–vector
//! products reuse them). Tests compare them with dual-number sweeps.

use super::{Transform, log1m_tanh2, side};
use crate::scalar::Scalar;

/// Rows and columns of a Cholesky factor with `n` entries: K×K, or M×N
/// for `cholesky_factor_cov[M, N]`.
fn factor_shape(t: Transform, n: usize) -> (usize, usize) {
    match t {
        Transform::CholeskyCovTall { cols } if cols > 0 => (n / cols, cols),
        Transform::CholeskyCovTall { .. } => (0, 0),
        _ => (side(n), side(n)),
    }
}

/// N(N + 1)/2 + (M − N) N: the lower triangle of the top N×N block and
/// every entry of the rows below it.
fn factor_free_dim(rows: usize, cols: usize) -> usize {
    let top = rows.min(cols);
    top * (top + 1) / 2 + (rows - top) * cols
}

/// The position among the free coordinates of entry (i, j), j ≤ i, of an
/// M×N factor.
fn factor_index(i: usize, j: usize, cols: usize) -> usize {
    if i < cols {
        i * (i + 1) / 2 + j
    } else {
        cols * (cols + 1) / 2 + (i - cols) * cols + j
    }
}

/// The free coordinates of these transforms (`n` constrained entries,
/// K·K for the matrices).
pub(super) fn free_dim(t: Transform, n: usize) -> usize {
    let k = side(n);
    match t {
        Transform::CholeskyCov | Transform::CholeskyCovTall { .. } => {
            let (rows, cols) = factor_shape(t, n);
            factor_free_dim(rows, cols)
        }
        Transform::CovMatrix => k * (k + 1) / 2,
        Transform::CorrMatrix => k * k.saturating_sub(1) / 2,
        Transform::SumToZero => n.saturating_sub(1),
        _ => n,
    }
}

/// Writes the lower-trapezoidal factor with diagonal exp(u) into `x`
/// (row-major, `rows`×`k`, rows ≥ k); returns Σ u_ii.
fn cholesky_factor<T: Scalar>(u: &[T], x: &mut [T], rows: usize, k: usize) -> T {
    let mut c = 0;
    let mut diag = T::zero();
    for i in 0..rows {
        for j in 0..i.min(k) {
            x[i * k + j] = u[c];
            c += 1;
        }
        if i < k {
            x[i * k + i] = u[c].exp();
            diag += u[c];
            c += 1;
            for j in (i + 1)..k {
                x[i * k + j] = T::zero();
            }
        }
    }
    diag
}

/// Replaces the lower-triangular L in `x` by L L' in place: rows from the
/// last, each from its diagonal leftwards, so that every entry of L is
/// read before it is overwritten.
fn self_outer_in_place<T: Scalar>(x: &mut [T], k: usize) {
    for i in (0..k).rev() {
        for j in (0..=i).rev() {
            let mut s = T::zero();
            for m in 0..=j {
                s += x[i * k + m] * x[j * k + m];
            }
            x[i * k + j] = s;
            x[j * k + i] = s;
        }
    }
}

pub(super) fn constrain<T: Scalar>(t: Transform, u: &[T], x: &mut [T]) -> T {
    let n = x.len();
    let k = side(n);
    match t {
        Transform::CholeskyCov | Transform::CholeskyCovTall { .. } => {
            let (rows, cols) = factor_shape(t, n);
            cholesky_factor(u, x, rows, cols)
        }
        Transform::CovMatrix => {
            let mut lj = T::from(k as f64 * std::f64::consts::LN_2);
            let mut c = 0;
            for i in 0..k {
                c += i;
                lj += u[c] * (k - i + 1) as f64;
                c += 1;
            }
            cholesky_factor(u, x, k, k);
            self_outer_in_place(x, k);
            lj
        }
        Transform::CorrMatrix => {
            super::constrain(Transform::CorrCholesky, u, &[], &[], x);
            let mut lj = T::zero();
            let mut c = 0;
            for i in 0..k {
                for j in 0..i {
                    lj += log1m_tanh2(u[c]) * ((k - j) as f64 * 0.5);
                    c += 1;
                }
            }
            self_outer_in_place(x, k);
            lj
        }
        Transform::UnitVector => {
            let mut sq = T::zero();
            for &v in u {
                sq += v * v;
            }
            let r = sq.sqrt();
            for i in 0..n {
                x[i] = u[i] / r;
            }
            sq * -0.5
        }
        Transform::SumToZero => {
            x.iter_mut().for_each(|v| *v = T::zero());
            // Column i (1-based) of the basis: (1, ..., 1, −i, 0, ...)/√(i(i+1)).
            let mut running = T::zero();
            for i in (1..n).rev() {
                let w = u[i - 1] / ((i * (i + 1)) as f64).sqrt();
                running += w;
                x[i - 1] += running;
                x[i] -= w * i as f64;
            }
            T::zero()
        }
        _ => unreachable!("not a structured transform"),
    }
}

/// Adds the adjoints of u: hand-written reverse rules, O(K³) for the
/// matrices and O(K) for the vectors; `scratch` (2 K² entries, for
/// `corr_matrix` only) is the caller's, so a warm pass allocates nothing.
pub(super) fn constrain_vjp<T: Scalar>(
    t: Transform,
    u: &[T],
    adj_x: &[T],
    adj_logj: T,
    adj_u: &mut [T],
    scratch: &mut Vec<T>,
) {
    let n = adj_x.len();
    let k = side(n);
    match t {
        Transform::CholeskyCov | Transform::CholeskyCovTall { .. } => {
            let (rows, cols) = factor_shape(t, n);
            let mut c = 0;
            for i in 0..rows {
                for j in 0..i.min(cols) {
                    adj_u[c] += adj_x[i * cols + j];
                    c += 1;
                }
                if i < cols {
                    adj_u[c] += adj_x[i * cols + i] * u[c].exp() + adj_logj;
                    c += 1;
                }
            }
        }
        Transform::CovMatrix => {
            // X = L L': adj L_ij = Σ_{m >= j} (A_im + A_mi) L_mj, with L
            // read from u (off-diagonal u, diagonal exp(u)).
            for j in 0..k {
                let diag_j = u[j * (j + 1) / 2 + j].exp();
                for i in j..k {
                    let mut s = (adj_x[i * k + j] + adj_x[j * k + i]) * diag_j;
                    for m in (j + 1)..k {
                        s += (adj_x[i * k + m] + adj_x[m * k + i]) * u[m * (m + 1) / 2 + j];
                    }
                    let c = i * (i + 1) / 2 + j;
                    if i == j {
                        adj_u[c] += s * diag_j + adj_logj * (k - i + 1) as f64;
                    } else {
                        adj_u[c] += s;
                    }
                }
            }
        }
        Transform::CorrMatrix => {
            scratch.clear();
            scratch.resize(2 * n, T::zero());
            let (l, adj_l) = scratch.split_at_mut(n);
            super::constrain(Transform::CorrCholesky, u, &[], &[], l);
            lower_times_symmetrised(adj_x, l, adj_l, k);
            // The log-Jacobian Σ (K − j)/2 log(1 − tanh² u_ij): its
            // derivative is −(K − j) tanh(u_ij).
            let mut c = 0;
            for i in 0..k {
                for j in 0..i {
                    adj_u[c] -= adj_logj * u[c].tanh() * (k - j) as f64;
                    c += 1;
                }
            }
            super::constrain_vjp(
                Transform::CorrCholesky,
                u,
                &[],
                &[],
                adj_l,
                T::zero(),
                adj_u,
                &mut [],
                &mut [],
                &mut Vec::new(),
            );
        }
        Transform::UnitVector => {
            // x = u / r: adj u = (a − x (a · x)) / r − adj_logj u.
            let r = u.iter().fold(T::zero(), |s, &v| s + v * v).sqrt();
            let mut dot = T::zero();
            for i in 0..n {
                dot += adj_x[i] * u[i];
            }
            let dot = dot / (r * r);
            for i in 0..n {
                adj_u[i] += (adj_x[i] - u[i] * dot) / r - adj_logj * u[i];
            }
        }
        Transform::SumToZero => {
            // x = H u with orthonormal columns: adj u = H' adj x.
            let mut head = T::zero();
            for i in 1..n {
                head += adj_x[i - 1];
                adj_u[i - 1] += (head - adj_x[i] * i as f64) / ((i * (i + 1)) as f64).sqrt();
            }
        }
        _ => unreachable!("not a structured transform"),
    }
}

/// adj_l = (A + A') L restricted to the lower triangle (the adjoint of L
/// under X = L L' given A = adj X); the upper triangle is left zero.
fn lower_times_symmetrised<T: Scalar>(a: &[T], l: &[T], adj_l: &mut [T], k: usize) {
    for i in 0..k {
        for j in 0..=i {
            let mut s = T::zero();
            for m in j..k {
                s += (a[i * k + m] + a[m * k + i]) * l[m * k + j];
            }
            adj_l[i * k + j] = s;
        }
    }
}

fn symmetric(x: &[f64], k: usize, what: &str) -> Result<(), String> {
    for i in 0..k {
        for j in 0..i {
            let (a, b) = (x[i * k + j], x[j * k + i]);
            if (a - b).abs() > super::TOLERANCE * (1.0 + a.abs().max(b.abs())) {
                return Err(format!(
                    "a {what} must be symmetric: element [{}, {}] is {a} but [{}, {}] is {b}",
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

/// The Cholesky factor of a symmetric positive-definite K×K matrix.
fn cholesky_of(x: &[f64], k: usize, what: &str) -> Result<Vec<f64>, String> {
    symmetric(x, k, what)?;
    let mut l = vec![0.0; k * k];
    crate::scalar::linalg::cholesky_lower(x, &mut l, k).map_err(|e| {
        format!(
            "a {what} must be positive-definite (pivot {} is {})",
            e.pivot + 1,
            e.value
        )
    })?;
    Ok(l)
}

/// Free coordinates of a lower-trapezoidal `rows`×`k` factor with a
/// positive diagonal.
fn factor_coordinates(l: &[f64], rows: usize, k: usize, u: &mut [f64]) {
    for i in 0..rows {
        for j in 0..i.min(k) {
            u[factor_index(i, j, k)] = l[i * k + j];
        }
        if i < k {
            u[factor_index(i, i, k)] = l[i * k + i].ln();
        }
    }
}

fn check_cholesky_factor(x: &[f64], rows: usize, k: usize) -> Result<(), String> {
    for (i, v) in x.iter().enumerate() {
        if !v.is_finite() {
            return Err(format!(
                "a Cholesky factor has finite entries; element [{}, {}] is {v}",
                i / k + 1,
                i % k + 1
            ));
        }
    }
    for i in 0..k.min(rows) {
        let d = x[i * k + i];
        if d.is_nan() || d <= 0.0 {
            return Err(format!(
                "a Cholesky factor needs a positive diagonal; element [{}, {}] is {d}",
                i + 1,
                i + 1
            ));
        }
        for j in (i + 1)..k {
            if x[i * k + j] != 0.0 {
                return Err(format!(
                    "a Cholesky factor is lower triangular; element [{}, {}] is {}",
                    i + 1,
                    j + 1,
                    x[i * k + j]
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn unconstrain(t: Transform, x: &[f64], u: &mut [f64]) -> Result<(), String> {
    let n = x.len();
    let k = side(n);
    match t {
        Transform::CholeskyCov | Transform::CholeskyCovTall { .. } => {
            let (rows, cols) = factor_shape(t, n);
            check_cholesky_factor(x, rows, cols)?;
            factor_coordinates(x, rows, cols, u);
        }
        Transform::CovMatrix => {
            let l = cholesky_of(x, k, "covariance matrix")?;
            factor_coordinates(&l, k, k, u);
        }
        Transform::CorrMatrix => {
            for i in 0..k {
                if (x[i * k + i] - 1.0).abs() > super::TOLERANCE {
                    return Err(format!(
                        "a correlation matrix has a unit diagonal; element [{}, {}] is {}",
                        i + 1,
                        i + 1,
                        x[i * k + i]
                    ));
                }
            }
            let l = cholesky_of(x, k, "correlation matrix")?;
            super::unconstrain(Transform::CorrCholesky, &l, &[], &[], u)?;
        }
        Transform::UnitVector => {
            let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
            if (norm - 1.0).abs() > super::TOLERANCE {
                return Err(format!("a unit vector has length 1; this one has {norm}"));
            }
            u.copy_from_slice(x);
        }
        Transform::SumToZero => {
            let total: f64 = x.iter().sum();
            let scale = x.iter().map(|v| v.abs()).sum::<f64>().max(1.0);
            if total.abs() > super::TOLERANCE * scale {
                return Err(format!(
                    "a sum_to_zero_vector sums to 0; this one sums to {total}"
                ));
            }
            // The basis is orthonormal: u_i = <column i, x>.
            for i in 1..n {
                let head: f64 = x[..i].iter().sum();
                u[i - 1] = (head - i as f64 * x[i]) / ((i * (i + 1)) as f64).sqrt();
            }
        }
        _ => unreachable!("not a structured transform"),
    }
    Ok(())
}
