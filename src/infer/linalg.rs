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
/// inverse is formed on the hot path below `LOW_RANK_MIN_DIM` (above it a
/// flow keeps S⁻¹, [`Lu::inverse_into`]).
#[derive(Clone, Debug)]
pub struct Lu {
    n: usize,
    /// Packed factors: strictly lower part is L (unit diagonal), upper is U.
    lu: Vec<f64>,
    /// The transpose of `lu`, written by [`Lu::factor`]: the solve with Aᵀ
    /// walks columns of the factors, and reads them as rows of this copy
    /// (a column of a d × d matrix touches d cache lines; above a few
    /// hundred rows the strided walk ran at memory latency).
    lut: Vec<f64>,
    /// `perm[i]` is the row of A that ended up in row i.
    perm: Vec<usize>,
}

impl Lu {
    pub fn new(n: usize) -> Self {
        Lu {
            n,
            lu: vec![0.0; n * n],
            lut: vec![0.0; n * n],
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
        transpose_into(&self.lu, &mut self.lut, n);
        true
    }

    /// Copies another factorization of the same size without allocating.
    pub fn copy_from(&mut self, other: &Lu) {
        self.lu.copy_from_slice(&other.lu);
        self.lut.copy_from_slice(&other.lut);
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
            tmp[i] = less_products(tmp[i], &lu[i * n..i * n + i], &tmp[..i], n);
        }
        for i in (0..n).rev() {
            let s = less_products(tmp[i], &lu[i * n + i + 1..(i + 1) * n], &tmp[i + 1..n], n);
            tmp[i] = s / lu[i * n + i];
        }
        b[..n].copy_from_slice(&tmp[..n]);
    }

    /// Solves `Aᵀ x = b` in place; `tmp` has length n.
    pub fn solve_transpose(&self, b: &mut [f64], tmp: &mut [f64]) {
        // A = Pᵀ L U, so Aᵀ = Uᵀ Lᵀ P: solve Uᵀ z = b, Lᵀ w = z, x = Pᵀ w.
        // Row i of `lut` is column i of the factors.
        let n = self.n;
        let lut = &self.lut;
        tmp[..n].copy_from_slice(&b[..n]);
        for i in 0..n {
            let s = less_products(tmp[i], &lut[i * n..i * n + i], &tmp[..i], n);
            tmp[i] = s / lut[i * n + i];
        }
        for i in (0..n).rev() {
            tmp[i] = less_products(tmp[i], &lut[i * n + i + 1..(i + 1) * n], &tmp[i + 1..n], n);
        }
        for i in 0..n {
            b[self.perm[i]] = tmp[i];
        }
    }
}

impl Lu {
    /// A⁻¹ into `out` (row-major n × n): the numbers of [`Lu::solve`] of
    /// each unit vector written as a column (bit for bit up to
    /// [`LANES_ABOVE`], where the solves subtract one product at a time),
    /// computed a row at a time. Row i of L⁻¹P is row i of P less the rows above it
    /// times L's row i, and row i of U⁻¹(L⁻¹P) likewise from the rows below:
    /// each element then receives the same subtractions, in the same order,
    /// as in the solve of its column, but every one of them is a pass over
    /// a contiguous row that the compiler vectorises, where the solves'
    /// sums wait on one addition at a time.
    pub fn inverse_into(&self, out: &mut [f64]) {
        let n = self.n;
        let lu = &self.lu;
        let out = &mut out[..n * n];
        out.fill(0.0);
        for i in 0..n {
            out[i * n + self.perm[i]] = 1.0;
            let (above, row) = out.split_at_mut(i * n);
            let row = &mut row[..n];
            for k in 0..i {
                let l = lu[i * n + k];
                for (x, y) in row.iter_mut().zip(&above[k * n..(k + 1) * n]) {
                    *x -= l * y;
                }
            }
        }
        for i in (0..n).rev() {
            let (head, below) = out.split_at_mut((i + 1) * n);
            let row = &mut head[i * n..];
            for j in i + 1..n {
                let u = lu[i * n + j];
                let rj = &below[(j - i - 1) * n..(j - i) * n];
                for (x, y) in row.iter_mut().zip(rj) {
                    *x -= u * y;
                }
            }
            let pivot = lu[i * n + i];
            for x in row.iter_mut() {
                *x /= pivot;
            }
        }
    }
}

/// Above this order the triangular solves of [`Lu`] sum their products in
/// four lanes ([`dot_lanes`]), as the O(n d²) kernels of full-rank steps do
/// above `LOW_RANK_MIN_DIM` (the same number): one running sum waits on
/// each addition, four keep the vector registers busy. At or below it they
/// subtract the products one at a time, in order, as they always did.
const LANES_ABOVE: usize = 100;

/// s − Σ aᵢ bᵢ for a triangular solve of order n: the products taken from
/// s one at a time, in order, at or below [`LANES_ABOVE`]; their sum in
/// four lanes taken from s above it.
#[inline]
fn less_products(s: f64, a: &[f64], b: &[f64], n: usize) -> f64 {
    if n > LANES_ABOVE {
        s - dot_lanes(a, b)
    } else {
        a.iter().zip(b).fold(s, |s, (x, y)| s - x * y)
    }
}

/// `t = aᵀ` for a row-major n × n `a`, in tiles that keep both sides in
/// the cache.
fn transpose_into(a: &[f64], t: &mut [f64], n: usize) {
    const TILE: usize = 32;
    for i0 in (0..n).step_by(TILE) {
        for j0 in (0..n).step_by(TILE) {
            for i in i0..(i0 + TILE).min(n) {
                for j in j0..(j0 + TILE).min(n) {
                    t[j * n + i] = a[i * n + j];
                }
            }
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

    /// A matrix that needs pivoting: a wave of entries, small on the
    /// diagonal.
    fn pivoting_matrix(n: usize) -> Vec<f64> {
        (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                let wave = (0.37 * (i * j) as f64 + 0.11 * i as f64 + 0.23 * j as f64 + 0.5).sin();
                if i == j { 0.01 * wave } else { wave }
            })
            .collect()
    }

    /// [`pivoting_matrix`] of order n and its factorisation.
    fn factored(n: usize) -> (Vec<f64>, Lu) {
        let a = pivoting_matrix(n);
        let mut lu = Lu::new(n);
        assert!(lu.factor(&a), "n = {n}");
        (a, lu)
    }

    /// The transposed solve reads the transposed copy of the factors and
    /// gives the numbers, bit for bit, of the column walk it replaced (up to
    /// the order where it sums in four lanes; above it, up to rounding).
    #[test]
    fn solve_transpose_matches_the_column_walk_bit_for_bit() {
        for n in [1, 2, 3, 5, 17, 64, 100, 101, 300] {
            let (a, lu) = factored(n);
            let b: Vec<f64> = (0..n).map(|i| (0.7 * i as f64 + 0.3).sin()).collect();
            // The column walk: Uᵀ z = b, Lᵀ w = z, x = Pᵀ w on `lu` itself.
            let f = &lu.lu;
            let mut t = b.clone();
            for i in 0..n {
                let mut s = t[i];
                for j in 0..i {
                    s -= f[j * n + i] * t[j];
                }
                t[i] = s / f[i * n + i];
            }
            for i in (0..n).rev() {
                let mut s = t[i];
                for j in i + 1..n {
                    s -= f[j * n + i] * t[j];
                }
                t[i] = s;
            }
            let mut expected = vec![0.0; n];
            for i in 0..n {
                expected[lu.perm[i]] = t[i];
            }
            let (mut x, mut tmp) = (b.clone(), vec![0.0; n]);
            lu.solve_transpose(&mut x, &mut tmp);
            if n <= LANES_ABOVE {
                assert_eq!(
                    x.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    expected.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "n = {n}"
                );
            } else {
                for (u, v) in x.iter().zip(&expected) {
                    assert!(
                        (u - v).abs() <= 1e-9 * (1.0 + v.abs()),
                        "n = {n}: {u} vs {v}"
                    );
                }
            }
            // and it solves Aᵀ x = b
            for i in 0..n {
                let back: f64 = (0..n).map(|k| a[k * n + i] * x[k]).sum();
                assert!((back - b[i]).abs() < 1e-9, "n = {n}, row {i}");
            }
            // a copy solves alike
            let mut copy = Lu::new(n);
            copy.copy_from(&lu);
            let mut y = b.clone();
            copy.solve_transpose(&mut y, &mut tmp);
            assert_eq!(x, y);
        }
    }

    /// The row-at-a-time inverse is, bit for bit, the solves of the unit
    /// vectors written as columns (up to rounding where the solves sum in
    /// four lanes), and A A⁻¹ = I.
    #[test]
    fn inverse_rows_match_the_column_solves_bit_for_bit() {
        for n in [1, 2, 3, 5, 17, 64, 100, 101, 300] {
            let (a, lu) = factored(n);
            let mut inv = vec![f64::NAN; n * n];
            lu.inverse_into(&mut inv);
            let (mut col, mut tmp) = (vec![0.0; n], vec![0.0; n]);
            for j in 0..n {
                col.fill(0.0);
                col[j] = 1.0;
                lu.solve(&mut col, &mut tmp);
                for i in 0..n {
                    let (u, v) = (inv[i * n + j], col[i]);
                    if n <= LANES_ABOVE {
                        assert_eq!(u.to_bits(), v.to_bits(), "n = {n}, ({i}, {j})");
                    } else {
                        assert!(
                            (u - v).abs() <= 1e-9 * (1.0 + v.abs()),
                            "n = {n}: {u} vs {v}"
                        );
                    }
                }
            }
            let mut prod = vec![0.0; n * n];
            mat_mul(&a, &inv, &mut prod, n);
            for i in 0..n {
                for j in 0..n {
                    let want = f64::from(i == j);
                    assert!((prod[i * n + j] - want).abs() < 1e-8, "n = {n}, ({i}, {j})");
                }
            }
        }
    }

    #[test]
    fn eigen() {
        let (vals, vecs) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((vals[0] - 1.0).abs() < 1e-14 && (vals[1] - 3.0).abs() < 1e-14);
        let back = spectral_apply(&vals, &vecs, |l| l);
        assert!((back[1] - 1.0).abs() < 1e-14);
    }
}
