//! Small dense linear algebra on row-major buffers, written for the hot loop:
//! factorizations live in reusable buffers and solves take caller scratch, so
//! an iteration of the engine allocates nothing. Cholesky factors and
//! triangular solves are the crate's one generic implementation
//! ([`crate::scalar::linalg`]); the LU of a general scale matrix lives here.
//! Eigen-decompositions, used only off the hot path (initialisation,
//! FB-GVI, diagnostics), go through nalgebra.

/// LU factorization with partial pivoting, `P A = L U`, of a square matrix.
///
/// The engine keeps one per scale matrix and refactors it after every step:
/// solves with `S` and `Sᵀ` and `log|det S|` then cost O(d²) each, and no
/// inverse is ever formed.
#[derive(Clone, Debug)]
pub struct Lu {
    n: usize,
    /// Packed factors: strictly lower part is L (unit diagonal), upper is U.
    lu: Vec<f64>,
    /// `perm[i]` is the row of A that ended up in row i.
    perm: Vec<usize>,
}

impl Lu {
    pub fn new(n: usize) -> Self {
        Lu {
            n,
            lu: vec![0.0; n * n],
            perm: (0..n).collect(),
        }
    }

    /// Factors `a` (row-major n × n). Returns false when a pivot is zero or
    /// not finite, i.e. the matrix is singular to working precision.
    pub fn factor(&mut self, a: &[f64]) -> bool {
        let n = self.n;
        self.lu.copy_from_slice(&a[..n * n]);
        for (i, p) in self.perm.iter_mut().enumerate() {
            *p = i;
        }
        let lu = &mut self.lu;
        for k in 0..n {
            let mut p = k;
            let mut best = lu[k * n + k].abs();
            for i in k + 1..n {
                let v = lu[i * n + k].abs();
                if v > best {
                    best = v;
                    p = i;
                }
            }
            if best == 0.0 || !best.is_finite() {
                return false;
            }
            if p != k {
                for j in 0..n {
                    lu.swap(k * n + j, p * n + j);
                }
                self.perm.swap(k, p);
            }
            let pivot = lu[k * n + k];
            for i in k + 1..n {
                let l = lu[i * n + k] / pivot;
                lu[i * n + k] = l;
                if l != 0.0 {
                    for j in k + 1..n {
                        lu[i * n + j] -= l * lu[k * n + j];
                    }
                }
            }
        }
        true
    }

    /// Copies another factorization of the same size without allocating.
    pub fn copy_from(&mut self, other: &Lu) {
        self.lu.copy_from_slice(&other.lu);
        self.perm.copy_from_slice(&other.perm);
    }

    /// log |det A|.
    pub fn log_abs_det(&self) -> f64 {
        (0..self.n)
            .map(|i| self.lu[i * self.n + i].abs().ln())
            .sum()
    }

    /// Solves `A x = b` in place; `tmp` has length n.
    pub fn solve(&self, b: &mut [f64], tmp: &mut [f64]) {
        let n = self.n;
        let lu = &self.lu;
        for i in 0..n {
            tmp[i] = b[self.perm[i]];
        }
        for i in 0..n {
            let mut s = tmp[i];
            for j in 0..i {
                s -= lu[i * n + j] * tmp[j];
            }
            tmp[i] = s;
        }
        for i in (0..n).rev() {
            let mut s = tmp[i];
            for j in i + 1..n {
                s -= lu[i * n + j] * tmp[j];
            }
            tmp[i] = s / lu[i * n + i];
        }
        b[..n].copy_from_slice(&tmp[..n]);
    }

    /// Solves `Aᵀ x = b` in place; `tmp` has length n.
    pub fn solve_transpose(&self, b: &mut [f64], tmp: &mut [f64]) {
        // A = Pᵀ L U, so Aᵀ = Uᵀ Lᵀ P: solve Uᵀ z = b, Lᵀ w = z, x = Pᵀ w.
        let n = self.n;
        let lu = &self.lu;
        tmp[..n].copy_from_slice(&b[..n]);
        for i in 0..n {
            let mut s = tmp[i];
            for j in 0..i {
                s -= lu[j * n + i] * tmp[j];
            }
            tmp[i] = s / lu[i * n + i];
        }
        for i in (0..n).rev() {
            let mut s = tmp[i];
            for j in i + 1..n {
                s -= lu[j * n + i] * tmp[j];
            }
            tmp[i] = s;
        }
        for i in 0..n {
            b[self.perm[i]] = tmp[i];
        }
    }
}

/// `C = A B` for row-major n × n matrices.
pub fn mat_mul(a: &[f64], b: &[f64], c: &mut [f64], n: usize) {
    c[..n * n].fill(0.0);
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            if aik != 0.0 {
                let (bk, ci) = (&b[k * n..(k + 1) * n], &mut c[i * n..(i + 1) * n]);
                for (cij, bkj) in ci.iter_mut().zip(bk) {
                    *cij += aik * bkj;
                }
            }
        }
    }
}

/// `C = A Bᵀ` for row-major n × n matrices.
pub fn mat_mul_t(a: &[f64], b: &[f64], c: &mut [f64], n: usize) {
    for i in 0..n {
        for j in 0..n {
            c[i * n + j] = dot(&a[i * n..(i + 1) * n], &b[j * n..(j + 1) * n]);
        }
    }
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// [`dot`] with four independent partial sums, which the compiler keeps in
/// vector registers (one running sum waits on each addition): for the
/// O(n d²) kernels of full-rank steps above `LOW_RANK_MIN_DIM`. Sums in
/// another order than [`dot`], so the two differ by rounding.
pub fn dot_lanes(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let (ca, ra) = a.split_at(n - n % 4);
    let (cb, rb) = b.split_at(n - n % 4);
    for (x, y) in ca.chunks_exact(4).zip(cb.chunks_exact(4)) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

/// Eigen-decomposition of a symmetric row-major matrix: eigenvalues
/// ascending and the matching eigenvectors as the columns of a row-major
/// matrix. Off the hot path (allocates).
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let m = nalgebra::DMatrix::from_fn(n, n, |i, j| 0.5 * (a[i * n + j] + a[j * n + i]));
    let eig = m.symmetric_eigen();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| eig.eigenvalues[i].total_cmp(&eig.eigenvalues[j]));
    let values = order.iter().map(|&i| eig.eigenvalues[i]).collect();
    let mut vectors = vec![0.0; n * n];
    for (c, &i) in order.iter().enumerate() {
        for r in 0..n {
            vectors[r * n + c] = eig.eigenvectors[(r, i)];
        }
    }
    (values, vectors)
}

/// `Q diag(f(λ)) Qᵀ` from an eigen-decomposition.
pub fn spectral_apply(values: &[f64], vectors: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    let n = values.len();
    let fv: Vec<f64> = values.iter().map(|&l| f(l)).collect();
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let mut s = 0.0;
            for k in 0..n {
                s += vectors[i * n + k] * fv[k] * vectors[j * n + k];
            }
            out[i * n + j] = s;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four partial sums and a tail give the plain dot product up to
    /// rounding, for every length modulo 4, with integer-valued entries
    /// exactly.
    #[test]
    fn dot_lanes_is_the_dot_product() {
        for n in 0..13 {
            let a: Vec<f64> = (0..n).map(|i| (i as f64) - 3.0).collect();
            let b: Vec<f64> = (0..n).map(|i| 2.0 * (i % 5) as f64 + 1.0).collect();
            assert_eq!(dot_lanes(&a, &b), dot(&a, &b), "n = {n}");
        }
        let a: Vec<f64> = (0..1001).map(|i| (0.37 * i as f64).sin()).collect();
        let b: Vec<f64> = (0..1001).map(|i| (0.11 * i as f64).cos()).collect();
        assert!((dot_lanes(&a, &b) - dot(&a, &b)).abs() < 1e-12);
    }

    #[test]
    fn lu_solves_and_determinant() {
        let a = [2.0, 1.0, 0.5, -1.0, 3.0, 0.2, 0.3, -0.4, 1.5];
        let mut lu = Lu::new(3);
        assert!(lu.factor(&a));
        let x = [0.7, -1.1, 2.0];
        let mut b = [0.0; 3];
        for i in 0..3 {
            b[i] = dot(&a[i * 3..i * 3 + 3], &x);
        }
        let mut tmp = [0.0; 3];
        lu.solve(&mut b, &mut tmp);
        for i in 0..3 {
            assert!((b[i] - x[i]).abs() < 1e-13);
        }
        // Aᵀ x
        let mut bt = [0.0; 3];
        for i in 0..3 {
            bt[i] = (0..3).map(|k| a[k * 3 + i] * x[k]).sum();
        }
        lu.solve_transpose(&mut bt, &mut tmp);
        for i in 0..3 {
            assert!((bt[i] - x[i]).abs() < 1e-13);
        }
        let det: f64 =
            2.0 * (3.0 * 1.5 - 0.2 * -0.4) - (-1.5 - 0.2 * 0.3) + 0.5 * (0.4 - 3.0 * 0.3);
        assert!((lu.log_abs_det() - det.abs().ln()).abs() < 1e-13);
        assert!(!lu.factor(&[1.0, 2.0, 2.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0]));
    }

    #[test]
    fn eigen() {
        let (vals, vecs) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((vals[0] - 1.0).abs() < 1e-14 && (vals[1] - 3.0).abs() < 1e-14);
        let back = spectral_apply(&vals, &vecs, |l| l);
        assert!((back[1] - 1.0).abs() < 1e-14);
    }
}
