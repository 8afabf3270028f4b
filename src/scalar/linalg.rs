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
}
