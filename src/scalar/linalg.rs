//! Dense linear algebra over any [`Scalar`]: the one Cholesky factorisation
//! and the triangular solves that the distributions, the density engine and
//! the inference engine share. Matrices are row-major `n × n` slices.

use super::Scalar;

/// Why a Cholesky factorisation failed: the first pivot (0-based) that was
/// not positive, and its value (NaN when an entry was not finite).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NotPositiveDefinite {
    pub pivot: usize,
    pub value: f64,
}

/// Writes the lower Cholesky factor of the symmetric positive-definite
/// matrix `a` into `l` (only the lower triangle of `a` is read; the strict
/// upper triangle of `l` is set to zero). `a` and `l` may not alias; for an
/// in-place factorisation use [`cholesky_in_place`].
pub fn cholesky_lower<S: Scalar>(
    a: &[S],
    l: &mut [S],
    n: usize,
) -> Result<(), NotPositiveDefinite> {
    l[..n * n].copy_from_slice(&a[..n * n]);
    cholesky_in_place(l, n)
}

/// Replaces the symmetric positive-definite `a` by its lower Cholesky
/// factor (the strict upper triangle is set to zero).
pub fn cholesky_in_place<S: Scalar>(a: &mut [S], n: usize) -> Result<(), NotPositiveDefinite> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        let pivot = d.re();
        if pivot <= 0.0 || !pivot.is_finite() {
            return Err(NotPositiveDefinite {
                pivot: j,
                value: pivot,
            });
        }
        let ljj = d.sqrt();
        a[j * n + j] = ljj;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / ljj;
        }
        for k in j + 1..n {
            a[j * n + k] = S::zero();
        }
    }
    Ok(())
}

/// Solves `L x = b` in place (`b` becomes `x`) for a lower-triangular `L`.
pub fn solve_lower<S: Scalar>(l: &[S], b: &mut [S], n: usize) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solves `Lᵀ x = b` in place (`b` becomes `x`) for a lower-triangular `L`.
pub fn solve_lower_transposed<S: Scalar>(l: &[S], b: &mut [S], n: usize) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Adds to `abar` (`n × n`, lower triangle) the adjoint of the lower
/// triangle of A from the adjoint `lbar` of its Cholesky factor `l`
/// (only the lower triangle of `lbar` is read). `p` and `g` (`n × n`
/// each) are working memory.
///
/// With A = L Lᵀ, differentiating gives L⁻¹ dA L⁻ᵀ = L⁻¹ dL + (L⁻¹ dL)ᵀ,
/// and L⁻¹ dL is lower-triangular, so dL = L Φ(L⁻¹ dA L⁻ᵀ) where Φ keeps
/// the lower triangle and halves the diagonal. Φ is self-adjoint for the
/// element-wise inner product, hence
/// ⟨L̄, dL⟩ = ⟨Φ(Lᵀ L̄), L⁻¹ dA L⁻ᵀ⟩ = ⟨L⁻ᵀ Φ(Lᵀ L̄) L⁻¹, dA⟩. The
/// factorisation reads only the lower triangle of A, so an entry below the
/// diagonal collects G_ij + G_ji of G = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹ and a diagonal
/// entry G_ii. Three triangular products of O(n³) each.
pub fn cholesky_adjoint<S: Scalar>(
    l: &[S],
    lbar: &[S],
    abar: &mut [S],
    n: usize,
    p: &mut [S],
    g: &mut [S],
) {
    let nn = n * n;
    let (p, g) = (&mut p[..nn], &mut g[..nn]);
    // P = Φ(Lᵀ L̄): (Lᵀ L̄)_ij = Σ_{k ≥ max(i, j)} L_ki L̄_kj, kept for i ≥ j.
    p.fill(S::zero());
    for k in 0..n {
        let lrow = &l[k * n..k * n + k + 1];
        let brow = &lbar[k * n..k * n + k + 1];
        for i in 0..=k {
            let lki = lrow[i];
            for (pj, &bj) in p[i * n..i * n + i + 1].iter_mut().zip(brow) {
                *pj += lki * bj;
            }
        }
    }
    for i in 0..n {
        p[i * n + i] *= 0.5;
    }
    // X = L⁻ᵀ P, then Gᵀ = L⁻ᵀ Xᵀ (that is, G = X L⁻¹).
    solve_upper_transposed_rows(l, p, n);
    for i in 0..n {
        for j in 0..n {
            g[j * n + i] = p[i * n + j];
        }
    }
    solve_upper_transposed_rows(l, g, n);
    // g holds Gᵀ: G_ij = g[j n + i].
    for i in 0..n {
        for j in 0..i {
            abar[i * n + j] += g[j * n + i] + g[i * n + j];
        }
        abar[i * n + i] += g[i * n + i];
    }
}

/// Solves `Lᵀ X = B` in place (`b` becomes `X`), `L` lower-triangular
/// `n × n` and `B` with `n` rows of any width, by back substitution on
/// whole rows.
pub fn solve_upper_transposed_rows<T: Scalar>(l: &[T], b: &mut [T], n: usize) {
    if n == 0 {
        return;
    }
    let m = b.len() / n;
    for i in (0..n).rev() {
        let (head, tail) = b.split_at_mut((i + 1) * m);
        let row = &mut head[i * m..];
        for k in i + 1..n {
            let lki = l[k * n + i];
            let other = &tail[(k - i - 1) * m..(k - i) * m];
            for (x, &y) in row.iter_mut().zip(other) {
                *x -= lki * y;
            }
        }
        let d = l[i * n + i].recip();
        row.iter_mut().for_each(|x| *x *= d);
    }
}

/// Solves `L X = B` in place (`b` becomes `X`), `L` lower-triangular
/// `n × n` and `B` with `n` rows of any width, by forward substitution on
/// whole rows.
pub fn solve_lower_rows<T: Scalar>(l: &[T], b: &mut [T], n: usize) {
    if n == 0 {
        return;
    }
    let m = b.len() / n;
    for i in 0..n {
        let (head, tail) = b.split_at_mut(i * m);
        let row = &mut tail[..m];
        for k in 0..i {
            let lik = l[i * n + k];
            let other = &head[k * m..(k + 1) * m];
            for (x, &y) in row.iter_mut().zip(other) {
                *x -= lik * y;
            }
        }
        let d = l[i * n + i].recip();
        row.iter_mut().for_each(|x| *x *= d);
    }
}

/// Replaces the square `a` by its LU factorisation with partial pivoting
/// (unit lower factor below the diagonal, upper factor on and above it);
/// `perm[i]` is the original row now at row `i`. Returns the sign of the
/// permutation, or the column (0-based) where every remaining pivot is
/// exactly zero (a singular matrix).
pub fn lu_in_place<S: Scalar>(a: &mut [S], perm: &mut [usize], n: usize) -> Result<f64, usize> {
    let mut sign = 1.0;
    for (i, p) in perm.iter_mut().enumerate().take(n) {
        *p = i;
    }
    for j in 0..n {
        let mut best = j;
        for i in j + 1..n {
            if a[i * n + j].re().abs() > a[best * n + j].re().abs() {
                best = i;
            }
        }
        if a[best * n + j].re() == 0.0 || !a[best * n + j].re().is_finite() {
            return Err(j);
        }
        if best != j {
            for k in 0..n {
                a.swap(j * n + k, best * n + k);
            }
            perm.swap(j, best);
            sign = -sign;
        }
        let pivot = a[j * n + j].recip();
        for i in j + 1..n {
            let f = a[i * n + j] * pivot;
            a[i * n + j] = f;
            for k in j + 1..n {
                let u = a[j * n + k];
                a[i * n + k] -= f * u;
            }
        }
    }
    Ok(sign)
}

/// Writes A⁻¹ into `inv` from the factorisation of [`lu_in_place`]:
/// column by column, L y = P e_j, then U x = y.
pub fn lu_inverse<S: Scalar>(lu: &[S], perm: &[usize], inv: &mut [S], n: usize) {
    for j in 0..n {
        for i in 0..n {
            let mut s = if perm[i] == j { S::one() } else { S::zero() };
            for k in 0..i {
                s -= lu[i * n + k] * inv[k * n + j];
            }
            inv[i * n + j] = s;
        }
        for i in (0..n).rev() {
            let mut s = inv[i * n + j];
            for k in i + 1..n {
                s -= lu[i * n + k] * inv[k * n + j];
            }
            inv[i * n + j] = s / lu[i * n + i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_dual::Dual64;

    #[test]
    fn factor_and_solve_round_trip() {
        let a = [4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let mut l = [0.0; 9];
        cholesky_lower(&a, &mut l, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
                assert!((s - a[i * 3 + j]).abs() < 1e-12);
            }
        }
        let mut x = [1.0, -2.0, 0.5];
        solve_lower(&l, &mut x, 3);
        solve_lower_transposed(&l, &mut x, 3);
        for i in 0..3 {
            let ax: f64 = (0..3).map(|k| a[i * 3 + k] * x[k]).sum();
            assert!((ax - [1.0, -2.0, 0.5][i]).abs() < 1e-12);
        }
    }

    #[test]
    fn names_the_failing_pivot() {
        let mut a = [1.0, 2.0, 2.0, 1.0];
        let e = cholesky_in_place(&mut a, 2).unwrap_err();
        assert_eq!(e.pivot, 1);
        assert!((e.value + 3.0).abs() < 1e-12);
        let mut nan = [f64::NAN];
        assert!(cholesky_in_place(&mut nan, 1).unwrap_err().value.is_nan());
    }

    #[test]
    fn derivatives_flow_through() {
        // d/dt chol([[t]]) = 1 / (2 sqrt(t)) at t = 4.
        let mut a = [Dual64::from(4.0).derivative()];
        cholesky_in_place(&mut a, 1).unwrap();
        assert!((a[0].re - 2.0).abs() < 1e-15);
        assert!((a[0].eps - 0.25).abs() < 1e-15);
    }

    #[test]
    fn row_solves_invert_the_triangular_products() {
        let l: [f64; 9] = [2.0, 0.0, 0.0, 0.5, 1.5, 0.0, -1.0, 0.25, 3.0];
        let x: [f64; 6] = [1.0, -2.0, 0.5, 4.0, 3.0, -1.0];
        // B = L X and C = Lᵀ X for the 3 × 2 right-hand side X.
        let mut b = [0.0f64; 6];
        let mut c = [0.0f64; 6];
        for i in 0..3 {
            for j in 0..2 {
                for k in 0..3 {
                    b[i * 2 + j] += l[i * 3 + k] * x[k * 2 + j];
                    c[i * 2 + j] += l[k * 3 + i] * x[k * 2 + j];
                }
            }
        }
        solve_lower_rows(&l, &mut b, 3);
        solve_upper_transposed_rows(&l, &mut c, 3);
        for k in 0..6 {
            assert!((b[k] - x[k]).abs() < 1e-14, "{b:?}");
            assert!((c[k] - x[k]).abs() < 1e-14, "{c:?}");
        }
    }

    #[test]
    fn lu_inverts_and_signs_the_determinant() {
        let a: [f64; 9] = [0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 3.0, 0.5, 2.0];
        let mut lu = a;
        let mut perm = [0; 3];
        let sign = lu_in_place(&mut lu, &mut perm, 3).unwrap();
        let det: f64 = sign * (0..3).map(|i| lu[i * 3 + i]).product::<f64>();
        // Expansion along the first row: 0 - 2 (2 - 0) + 1 (0.5 - 3).
        assert!((det - (-6.5)).abs() < 1e-12, "{det}");
        let mut inv = [0.0f64; 9];
        lu_inverse(&lu, &perm, &mut inv, 3);
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!((s - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        let mut singular = [1.0, 2.0, 2.0, 4.0];
        assert_eq!(lu_in_place(&mut singular, &mut perm[..2], 2), Err(1));
    }
}
