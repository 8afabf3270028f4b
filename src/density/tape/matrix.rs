//! Reverse rules of the matrix nodes, written once over any scalar so that
//! the same code gives gradients (`f64`) and, on dual numbers, Hessian–
//! vector products. Matrices are row-major; every rule costs what the
//! forward operation costs (O(n³) for an n × n factorisation) and works in
//! the tape's own scratch buffers, so a warm reverse pass allocates nothing.
//! The rules themselves, shared with the distributions, are in
//! [`crate::scalar::linalg`].

use super::Tape;
use crate::density::value::TapeRef;
use crate::scalar::Scalar;
use crate::scalar::linalg::{cholesky_adjoint, solve_lower_rows, solve_upper_transposed_rows};

impl<T: Scalar> Tape<T> {
    /// `l = cholesky(a)`, both `n × n`: adds Ā (lower triangle) from L̄.
    pub(super) fn cholesky_reverse(&mut self, a: TapeRef, l: TapeRef, n: usize) {
        self.tmp_a.resize(n * n, T::zero());
        self.tmp_b.resize(n * n, T::zero());
        let (lo, hi) = self.adj.split_at_mut(l.off as usize);
        cholesky_adjoint(
            &self.vals[l.range()],
            &hi[..n * n],
            &mut lo[a.range()],
            n,
            &mut self.tmp_a,
            &mut self.tmp_b,
        );
    }

    /// `x = L⁻¹ b`: from L dx = db − dL x, b̄ = L⁻ᵀ x̄ and L̄ = −b̄ xᵀ;
    /// transposed, `x = L⁻ᵀ b`: b̄ = L⁻¹ x̄ and L̄ = −x b̄ᵀ (lower triangles).
    pub(super) fn tri_solve_reverse(
        &mut self,
        l: usize,
        b: usize,
        x: TapeRef,
        n: usize,
        transposed: bool,
    ) {
        let len = x.len as usize;
        let m = len.checked_div(n).unwrap_or(0);
        let mut bbar = std::mem::take(&mut self.tmp_a);
        bbar.clear();
        bbar.extend_from_slice(&self.adj[x.range()]);
        let lv = &self.vals[l..l + n * n];
        if transposed {
            solve_lower_rows(lv, &mut bbar, n);
        } else {
            solve_upper_transposed_rows(lv, &mut bbar, n);
        }
        for (a, &g) in self.adj[b..b + len].iter_mut().zip(&bbar) {
            *a += g;
        }
        let xv = &self.vals[x.range()];
        for i in 0..n {
            for j in 0..=i {
                let (p, q) = if transposed {
                    (&xv[i * m..(i + 1) * m], &bbar[j * m..(j + 1) * m])
                } else {
                    (&bbar[i * m..(i + 1) * m], &xv[j * m..(j + 1) * m])
                };
                let s = p.iter().zip(q).fold(T::zero(), |s, (&u, &v)| s + u * v);
                self.adj[l + i * n + j] -= s;
            }
        }
        self.tmp_a = bbar;
    }

    /// `x = a⁻¹`: dx = −x da x, so ā = −xᵀ x̄ xᵀ.
    pub(super) fn inverse_reverse(&mut self, a: TapeRef, x: TapeRef, n: usize) {
        let mut t = std::mem::take(&mut self.tmp_a);
        t.clear();
        t.resize(n * n, T::zero());
        let xv = &self.vals[x.range()];
        let xbar = &self.adj[x.range()];
        // t = xᵀ x̄: t_ij = Σ_k x_ki x̄_kj.
        for k in 0..n {
            for i in 0..n {
                let xki = xv[k * n + i];
                for (tv, &g) in t[i * n..(i + 1) * n]
                    .iter_mut()
                    .zip(&xbar[k * n..(k + 1) * n])
                {
                    *tv += xki * g;
                }
            }
        }
        // ā_ij −= Σ_k t_ik x_jk.
        let a0 = a.off as usize;
        for i in 0..n {
            for j in 0..n {
                let s = t[i * n..(i + 1) * n]
                    .iter()
                    .zip(&xv[j * n..(j + 1) * n])
                    .fold(T::zero(), |s, (&u, &v)| s + u * v);
                self.adj[a0 + i * n + j] -= s;
            }
        }
        self.tmp_a = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::density::tape::Node;
    use crate::density::value::ConstBufs;
    use crate::scalar::linalg::cholesky_lower;
    use num_dual::Dual64;
    use rand::RngExt;

    /// A random symmetric positive-definite `n × n` matrix B Bᵀ + n I.
    fn random_spd(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = crate::random::stream(seed, &[n as u64]);
        let b: Vec<f64> = (0..n * n)
            .map(|_| rng.random::<f64>() * 2.0 - 1.0)
            .collect();
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|k| b[i * n + k] * b[j * n + k]).sum::<f64>();
            }
            a[i * n + i] += n as f64;
        }
        a
    }

    fn no_constants() -> ConstBufs<'static> {
        ConstBufs {
            data: &[],
            mirror: &[],
            scratch: &[],
        }
    }

    #[test]
    fn cholesky_adjoint_is_the_transposed_dual_number_jacobian() {
        for n in 1..=8 {
            let a = random_spd(n, 7);
            let mut rng = crate::random::stream(11, &[n as u64]);
            let lbar: Vec<f64> = (0..n * n).map(|_| rng.random::<f64>() - 0.5).collect();
            // The node's reverse rule.
            let mut tape: Tape<f64> = Tape::default();
            let ar = tape.alloc(n * n);
            tape.vals[ar.range()].copy_from_slice(&a);
            let lr = tape.alloc(n * n);
            cholesky_lower(&a, &mut tape.vals[lr.range()], n).unwrap();
            tape.node(Node::Cholesky {
                a: ar,
                l: lr,
                n: n as u32,
            });
            tape.reverse(no_constants(), |adj| {
                adj[lr.range()].copy_from_slice(&lbar);
            });
            // The Jacobian from forward dual sweeps over the lower triangle
            // (the factorisation reads nothing else).
            for q in 0..n * n {
                let (qi, qj) = (q / n, q % n);
                let expected = if qj > qi {
                    0.0
                } else {
                    let mut ad: Vec<Dual64> = a.iter().map(|&x| Dual64::from(x)).collect();
                    ad[q].eps = 1.0;
                    let mut ld = vec![Dual64::from(0.0); n * n];
                    cholesky_lower(&ad, &mut ld, n).unwrap();
                    ld.iter().zip(&lbar).map(|(l, b)| l.eps * b).sum::<f64>()
                };
                let got = tape.adj[ar.off as usize + q];
                assert!(
                    (got - expected).abs() < 1e-10 * (1.0 + expected.abs()),
                    "n = {n}, entry {q}: {got} vs {expected}"
                );
            }
        }
    }
}
