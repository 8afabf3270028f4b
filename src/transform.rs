//! Bijections from unconstrained coordinates to constrained parameters,
//! with log-Jacobians, following Stan's conventions so that densities on
//! the unconstrained scale match Stan's.
//!
//! | transform | x from u | log abs det J |
//! |---|---|---|
//! | lower | lb + exp(u) | u |
//! | upper | ub − exp(u) | u |
//! | lower+upper | lb + (ub − lb) inv_logit(u) | log(ub − lb) + log_inv_logit(u) + log1m_inv_logit(u) |
//! | affine (offset o, multiplier m) | o + m u | log m |
//! | ordered | x₁ = u₁, x_k = x_{k−1} + exp(u_k) | Σ_{k≥2} u_k |
//! | positive_ordered | x₁ = exp(u₁), then as ordered | Σ u_k |
//! | simplex | stick-breaking, z_k = inv_logit(u_k − log(K − k)) | Σ log z_k + log(1 − z_k) + log(stick left) |
//! | corr_cholesky | CPCs z = tanh(u), rows built from the remaining length | Σ log(1 − z²) + ½ Σ log(remaining) |
//!
//! Everything is computed in log space where values can underflow (the
//! stick of a simplex, the remaining row length of a Cholesky factor,
//! 1 − tanh²), so extreme unconstrained values give finite results.
//!
//! Bounds are slices: empty (absent; a `Lower` or `Upper` transform then
//! uses 0), length 1 (broadcast) or one per element. For `Affine` the two
//! slices are the offset (absent: 0) and the multiplier (absent: 1). They are generic
//! because a bound may depend on other parameters.

mod structured;

use crate::scalar::{Scalar, inv_logit, log_inv_logit, log1m_inv_logit, logit};

/// A transform from unconstrained coordinates (see the module table).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Transform {
    Identity,
    Lower,
    Upper,
    LowerUpper,
    /// `offset=`, `multiplier=`: x = o + m u.
    Affine,
    Ordered,
    PositiveOrdered,
    Simplex,
    CorrCholesky,
    /// `cholesky_factor_cov[K]` (see `structured`).
    CholeskyCov,
    /// `cholesky_factor_cov[M, N]` with M > N rows: the square form on
    /// the first N rows, the other rows free.
    CholeskyCovTall {
        cols: usize,
    },
    /// `cov_matrix[K]`.
    CovMatrix,
    /// `corr_matrix[K]`.
    CorrMatrix,
    /// `unit_vector[K]`.
    UnitVector,
    /// `sum_to_zero_vector[K]`.
    SumToZero,
}

impl Transform {
    /// The transforms of `structured` (matrices and vectors built on a
    /// triangle or a basis).
    fn is_structured(self) -> bool {
        matches!(
            self,
            Transform::CholeskyCov
                | Transform::CholeskyCovTall { .. }
                | Transform::CovMatrix
                | Transform::CorrMatrix
                | Transform::UnitVector
                | Transform::SumToZero
        )
    }
}

/// Tolerance on the sum of a simplex and the row lengths of a Cholesky
/// factor of a correlation matrix given by the user.
pub const TOLERANCE: f64 = 1e-8;

/// Number of unconstrained coordinates for `n` constrained elements
/// (`n = K*K` for `CorrCholesky`).
pub fn free_dim(t: Transform, n: usize) -> usize {
    match t {
        Transform::Simplex => n.saturating_sub(1),
        Transform::CorrCholesky => {
            let k = side(n);
            k * k.saturating_sub(1) / 2
        }
        _ if t.is_structured() => structured::free_dim(t, n),
        _ => n,
    }
}

/// The K of a K×K matrix with n entries (rounded down).
fn side(n: usize) -> usize {
    let mut k = (n as f64).sqrt() as usize;
    while k * k > n {
        k -= 1;
    }
    while (k + 1) * (k + 1) <= n {
        k += 1;
    }
    k
}

#[inline]
fn bound<T: Scalar>(b: &[T], i: usize) -> T {
    match b.len() {
        0 => T::zero(),
        1 => b[0],
        _ => b[i],
    }
}

/// The multiplier of an affine transform: 1 when absent.
#[inline]
fn multiplier<T: Scalar>(m: &[T], i: usize) -> T {
    if m.is_empty() { T::one() } else { bound(m, i) }
}

#[inline]
fn add_bound<T: Scalar>(b: &mut [T], i: usize, v: T) {
    match b.len() {
        0 => {}
        1 => b[0] += v,
        _ => b[i] += v,
    }
}

/// log(1 − tanh²(u)) = 2 (log 2 − |u| − log1p(exp(−2|u|))), finite for every u.
fn log1m_tanh2<T: Scalar>(u: T) -> T {
    let a = if u.re() < 0.0 { -u } else { u };
    (-(a * 2.0)).exp().ln_1p() * -2.0 - a * 2.0 + 2.0 * std::f64::consts::LN_2
}

/// x from u (lengths: `x.len()` constrained elements, `u.len() ==
/// free_dim(t, x.len())`); returns log abs det of the Jacobian.
pub fn constrain<T: Scalar>(t: Transform, u: &[T], lb: &[T], ub: &[T], x: &mut [T]) -> T {
    debug_assert_eq!(u.len(), free_dim(t, x.len()));
    let mut lj = T::zero();
    match t {
        Transform::CholeskyCov
        | Transform::CholeskyCovTall { .. }
        | Transform::CovMatrix
        | Transform::CorrMatrix
        | Transform::UnitVector
        | Transform::SumToZero => lj = structured::constrain(t, u, x),
        Transform::Identity => x.copy_from_slice(u),
        Transform::Lower => {
            for i in 0..x.len() {
                x[i] = bound(lb, i) + u[i].exp();
                lj += u[i];
            }
        }
        Transform::Upper => {
            for i in 0..x.len() {
                x[i] = bound(ub, i) - u[i].exp();
                lj += u[i];
            }
        }
        Transform::LowerUpper => {
            for i in 0..x.len() {
                let (l, h) = (bound(lb, i), bound(ub, i));
                let w = h - l;
                // From the nearer bound, so x stays inside [l, h] and
                // keeps its precision next to either one.
                x[i] = if u[i].re() > 0.0 {
                    h - w * inv_logit(-u[i])
                } else {
                    l + w * inv_logit(u[i])
                };
                lj += w.ln() + log_inv_logit(u[i]) + log1m_inv_logit(u[i]);
            }
        }
        Transform::Affine => {
            for i in 0..x.len() {
                let m = multiplier(ub, i);
                x[i] = bound(lb, i) + m * u[i];
                lj += m.ln();
            }
        }
        Transform::Ordered | Transform::PositiveOrdered => {
            for i in 0..x.len() {
                if i == 0 {
                    if t == Transform::Ordered {
                        x[0] = u[0];
                    } else {
                        x[0] = u[0].exp();
                        lj += u[0];
                    }
                } else {
                    x[i] = x[i - 1] + u[i].exp();
                    lj += u[i];
                }
            }
        }
        Transform::Simplex => {
            let k = x.len();
            let mut log_stick = T::zero();
            for i in 0..k.saturating_sub(1) {
                let a = u[i] - ((k - 1 - i) as f64).ln();
                let lz = log_inv_logit(a);
                let l1z = log1m_inv_logit(a);
                x[i] = (log_stick + lz).exp();
                lj += lz + l1z + log_stick;
                log_stick += l1z;
            }
            if k > 0 {
                x[k - 1] = log_stick.exp();
            }
        }
        Transform::CorrCholesky => {
            let k = side(x.len());
            let mut c = 0;
            for i in 0..k {
                let mut log_rem = T::zero();
                for j in 0..i {
                    let z = u[c].tanh();
                    if j > 0 {
                        lj += log_rem * 0.5;
                    }
                    x[i * k + j] = z * (log_rem * 0.5).exp();
                    let ls = log1m_tanh2(u[c]);
                    lj += ls;
                    log_rem += ls;
                    c += 1;
                }
                x[i * k + i] = (log_rem * 0.5).exp();
                for j in (i + 1)..k {
                    x[i * k + j] = T::zero();
                }
            }
        }
    }
    lj
}

/// Reverse mode through [`constrain`]: given the adjoints of x and of the
/// log-Jacobian, ADDS the adjoints of u, lb and ub (a broadcast bound
/// receives the sum). Hand-written and generic, so the same pass on duals
/// gives Hessian–vector products. `scratch` is working memory kept by the
/// caller between calls (only `corr_matrix` uses it: 2 K² entries).
#[allow(clippy::too_many_arguments)]
pub fn constrain_vjp<T: Scalar>(
    t: Transform,
    u: &[T],
    lb: &[T],
    ub: &[T],
    adj_x: &[T],
    adj_logj: T,
    adj_u: &mut [T],
    adj_lb: &mut [T],
    adj_ub: &mut [T],
    scratch: &mut Vec<T>,
) {
    let n = adj_x.len();
    match t {
        Transform::CholeskyCov
        | Transform::CholeskyCovTall { .. }
        | Transform::CovMatrix
        | Transform::CorrMatrix
        | Transform::UnitVector
        | Transform::SumToZero => structured::constrain_vjp(t, u, adj_x, adj_logj, adj_u, scratch),
        Transform::Identity => {
            for i in 0..n {
                adj_u[i] += adj_x[i];
            }
        }
        Transform::Lower | Transform::Upper => {
            let s = if t == Transform::Lower { 1.0 } else { -1.0 };
            for i in 0..n {
                adj_u[i] += adj_x[i] * u[i].exp() * s + adj_logj;
                if t == Transform::Lower {
                    add_bound(adj_lb, i, adj_x[i]);
                } else {
                    add_bound(adj_ub, i, adj_x[i]);
                }
            }
        }
        Transform::LowerUpper => {
            for i in 0..n {
                let w = bound(ub, i) - bound(lb, i);
                let s = inv_logit(u[i]);
                let s1 = inv_logit(-u[i]);
                adj_u[i] += adj_x[i] * w * s * s1 + adj_logj * (s1 - s);
                let iw = w.recip() * adj_logj;
                add_bound(adj_lb, i, adj_x[i] * s1 - iw);
                add_bound(adj_ub, i, adj_x[i] * s + iw);
            }
        }
        Transform::Affine => {
            for i in 0..n {
                let m = multiplier(ub, i);
                adj_u[i] += adj_x[i] * m;
                add_bound(adj_lb, i, adj_x[i]);
                add_bound(adj_ub, i, adj_x[i] * u[i] + adj_logj / m);
            }
        }
        Transform::Ordered | Transform::PositiveOrdered => {
            // x_i depends on u_j (j <= i): suffix sums of adj_x.
            let mut suffix = T::zero();
            for i in (0..n).rev() {
                suffix += adj_x[i];
                if i == 0 && t == Transform::Ordered {
                    adj_u[0] += suffix;
                } else {
                    adj_u[i] += suffix * u[i].exp() + adj_logj;
                }
            }
        }
        Transform::Simplex => {
            if n == 0 {
                return;
            }
            // Forward sweep for the log stick lengths, then backwards.
            let mut log_stick = T::zero();
            for (i, &ui) in u.iter().enumerate().take(n - 1) {
                log_stick += log1m_inv_logit(ui - ((n - 1 - i) as f64).ln());
            }
            // g: adjoint of the log stick after step i.
            let mut g = adj_x[n - 1] * log_stick.exp();
            for i in (0..n - 1).rev() {
                let a = u[i] - ((n - 1 - i) as f64).ln();
                let l1z = log1m_inv_logit(a);
                log_stick -= l1z; // now the stick before step i
                let xi = (log_stick + log_inv_logit(a)).exp();
                let ax = adj_x[i] * xi;
                let adj_lz = ax + adj_logj;
                let adj_l1z = g + adj_logj;
                let z = inv_logit(a);
                let z1 = inv_logit(-a);
                adj_u[i] += adj_lz * z1 - adj_l1z * z;
                g = g + ax + adj_logj;
            }
        }
        Transform::CorrCholesky => {
            let k = side(n);
            let mut start = 0;
            for i in 0..k {
                // Forward over the row for the log remaining lengths.
                let mut log_rem = T::zero();
                for j in 0..i {
                    log_rem += log1m_tanh2(u[start + j]);
                }
                let mut g = adj_x[i * k + i] * (log_rem * 0.5).exp() * 0.5;
                for j in (0..i).rev() {
                    let c = start + j;
                    let ls = log1m_tanh2(u[c]);
                    log_rem -= ls; // remaining length before entry j
                    let z = u[c].tanh();
                    let e = (log_rem * 0.5).exp();
                    let adj_l = adj_x[i * k + j];
                    let adj_z = adj_l * e;
                    let adj_ls = g + adj_logj;
                    let mut adj_lr = g + adj_l * z * e * 0.5;
                    if j > 0 {
                        adj_lr += adj_logj * 0.5;
                    }
                    // d tanh = 1 − z² = exp(ls); d ls/du = −2 tanh(u)
                    adj_u[c] += adj_z * ls.exp() - adj_ls * z * 2.0;
                    g = adj_lr;
                }
                start += i;
            }
        }
    }
}

/// u from a constrained point (user-given inits, `logp --at`); the error
/// names the violated constraint and the offending element (1-based).
pub fn unconstrain(
    t: Transform,
    x: &[f64],
    lb: &[f64],
    ub: &[f64],
    u: &mut [f64],
) -> Result<(), String> {
    match t {
        Transform::Identity => {
            u.copy_from_slice(x);
            Ok(())
        }
        Transform::Lower => unconstrain_lower(x, lb, u),
        Transform::Upper => unconstrain_upper(x, ub, u),
        Transform::LowerUpper => unconstrain_lower_upper(x, lb, ub, u),
        Transform::Affine => unconstrain_affine(x, lb, ub, u),
        Transform::Ordered => unconstrain_ordered(x, false, u),
        Transform::PositiveOrdered => unconstrain_ordered(x, true, u),
        Transform::Simplex => unconstrain_simplex(x, u),
        Transform::CorrCholesky => unconstrain_corr_cholesky(x, u),
        _ => structured::unconstrain(t, x, u),
    }
}

fn unconstrain_lower(x: &[f64], lb: &[f64], u: &mut [f64]) -> Result<(), String> {
    for i in 0..x.len() {
        let l = bound(lb, i);
        if !x[i].is_finite() || x[i] <= l {
            return Err(format!(
                "element {} is {} but must be greater than the lower bound {l}",
                i + 1,
                x[i]
            ));
        }
        u[i] = (x[i] - l).ln();
    }
    Ok(())
}

fn unconstrain_upper(x: &[f64], ub: &[f64], u: &mut [f64]) -> Result<(), String> {
    for i in 0..x.len() {
        let h = bound(ub, i);
        if !x[i].is_finite() || x[i] >= h {
            return Err(format!(
                "element {} is {} but must be less than the upper bound {h}",
                i + 1,
                x[i]
            ));
        }
        u[i] = (h - x[i]).ln();
    }
    Ok(())
}

fn unconstrain_lower_upper(x: &[f64], lb: &[f64], ub: &[f64], u: &mut [f64]) -> Result<(), String> {
    for i in 0..x.len() {
        let (l, h) = (bound(lb, i), bound(ub, i));
        if l.is_nan() || h.is_nan() || l >= h {
            return Err(format!(
                "element {}: the lower bound {l} is not below the upper bound {h}",
                i + 1
            ));
        }
        if !(x[i] > l && x[i] < h) {
            return Err(format!(
                "element {} is {} but must lie strictly between {l} and {h}",
                i + 1,
                x[i]
            ));
        }
        // logit of (x − l)/(h − l), from the nearer bound.
        u[i] = ((x[i] - l) / (h - l)).ln() - ((h - x[i]) / (h - l)).ln();
    }
    Ok(())
}

fn unconstrain_affine(x: &[f64], offset: &[f64], m: &[f64], u: &mut [f64]) -> Result<(), String> {
    for i in 0..x.len() {
        let (o, s) = (bound(offset, i), multiplier(m, i));
        if !(s > 0.0 && s.is_finite()) {
            return Err(format!(
                "element {}: the multiplier must be positive and finite, found {s}",
                i + 1
            ));
        }
        if !x[i].is_finite() {
            return Err(format!("element {} is {}, not finite", i + 1, x[i]));
        }
        u[i] = (x[i] - o) / s;
    }
    Ok(())
}

/// `ordered` and (with `positive`) `positive_ordered`.
fn unconstrain_ordered(x: &[f64], positive: bool, u: &mut [f64]) -> Result<(), String> {
    for i in 0..x.len() {
        if !x[i].is_finite() {
            return Err(format!("element {} is {}, not finite", i + 1, x[i]));
        }
        if i == 0 {
            if positive {
                if x[0] <= 0.0 {
                    return Err(format!(
                        "element 1 is {} but a positive_ordered vector must be positive",
                        x[0]
                    ));
                }
                u[0] = x[0].ln();
            } else {
                u[0] = x[0];
            }
        } else {
            if x[i] <= x[i - 1] {
                return Err(format!(
                    "the vector must be strictly increasing, but element {} is {} and element {} is {}",
                    i,
                    x[i - 1],
                    i + 1,
                    x[i]
                ));
            }
            u[i] = (x[i] - x[i - 1]).ln();
        }
    }
    Ok(())
}

fn unconstrain_simplex(x: &[f64], u: &mut [f64]) -> Result<(), String> {
    let k = x.len();
    let sum: f64 = x.iter().sum();
    if (sum - 1.0).abs() > TOLERANCE {
        return Err(format!(
            "a simplex must sum to 1, but its elements sum to {sum}"
        ));
    }
    for (i, &xi) in x.iter().enumerate() {
        if xi.is_nan() || xi <= 0.0 {
            return Err(format!(
                "simplex element {} is {xi}; every element must be positive (the boundary has no unconstrained coordinates)",
                i + 1
            ));
        }
    }
    let mut stick = 1.0;
    for i in 0..k.saturating_sub(1) {
        let z = (x[i] / stick).min(1.0);
        u[i] = logit(z) + ((k - 1 - i) as f64).ln();
        stick -= x[i];
    }
    Ok(())
}

fn unconstrain_corr_cholesky(x: &[f64], u: &mut [f64]) -> Result<(), String> {
    let k = side(x.len());
    if k * k != x.len() {
        return Err(format!(
            "a corr_cholesky value must be a square matrix, got {} elements",
            x.len()
        ));
    }
    let mut c = 0;
    for i in 0..k {
        check_cholesky_row(x, k, i)?;
        let mut rem: f64 = 1.0;
        for j in 0..i {
            let v = x[i * k + j];
            let z = v / rem.sqrt();
            if z.is_nan() || z.abs() >= 1.0 {
                return Err(format!(
                    "L[{}, {}] = {v} lies on the boundary of the correlation matrices",
                    i + 1,
                    j + 1
                ));
            }
            u[c] = z.atanh();
            rem -= v * v;
            c += 1;
        }
    }
    Ok(())
}

/// Row `i` of a K×K Cholesky factor of a correlation matrix: zero above
/// the diagonal, unit length, positive diagonal.
fn check_cholesky_row(x: &[f64], k: usize, i: usize) -> Result<(), String> {
    let mut norm = 0.0;
    for j in 0..k {
        let v = x[i * k + j];
        if j > i && v.abs() > TOLERANCE {
            return Err(format!(
                "the Cholesky factor must be lower-triangular, but L[{}, {}] = {v}",
                i + 1,
                j + 1
            ));
        }
        if j <= i {
            norm += v * v;
        }
    }
    if (norm - 1.0).abs() > TOLERANCE {
        return Err(format!(
            "row {} of a correlation Cholesky factor must have unit length, got squared length {norm}",
            i + 1
        ));
    }
    if x[i * k + i].is_nan() || x[i * k + i] <= 0.0 {
        return Err(format!(
            "L[{}, {}] = {} but the diagonal must be positive",
            i + 1,
            i + 1,
            x[i * k + i]
        ));
    }
    Ok(())
}
