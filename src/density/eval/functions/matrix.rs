//! Matrix functions: `diag_pre_multiply`, `cholesky_decompose` (one
//! `Cholesky` node, O(n³) forward and reverse) and
//! `multiply_lower_tri_self_transpose`.

use super::not_here;
use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::eval::tape_ref_of;
use crate::density::eval::workspace::{EvalError, EvalResult};
use crate::density::tape::Node;
use crate::density::value::{Dims, Value};
use crate::scalar::Scalar;
use crate::scalar::linalg::{NotPositiveDefinite, cholesky_in_place, cholesky_lower};
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    /// Products and factorisations of matrices.
    pub(super) fn matrix_function(
        &mut self,
        f: Builtin,
        a: &[Value],

        span: Span,
    ) -> EvalResult<Value> {
        match f {
            Builtin::DiagPreMultiply => {
                let v = self.promote(a[0]);
                let (r, c) = match a[1].dims() {
                    Dims::Matrix(r, c) => (r, c),
                    d => {
                        return Err(EvalError::fatal(
                            span,
                            format!("expected a matrix, found {d}"),
                        ));
                    }
                };
                if v.len() != r {
                    return Err(EvalError::fatal(
                        span,
                        format!(
                            "diag_pre_multiply: vector of length {} and a {r}×{c} matrix",
                            v.len()
                        ),
                    ));
                }
                let pos: Vec<usize> = (0..r).flat_map(|i| std::iter::repeat_n(i, c)).collect();
                let expanded = self.gather_positions(v, &pos, Dims::Matrix(r, c));
                self.elem_mul(expanded, a[1], span)
            }
            Builtin::CholeskyDecompose => self.cholesky(a[0], span),
            Builtin::MultiplyLowerTriSelfTranspose => {
                let (r, c) = match a[0].dims() {
                    Dims::Matrix(r, c) => (r, c),
                    d => {
                        return Err(EvalError::fatal(
                            span,
                            format!("expected a matrix, found {d}"),
                        ));
                    }
                };
                let v = self.promote(a[0]);
                let low: Vec<usize> = (0..r)
                    .flat_map(|i| (0..c).map(move |j| if j <= i { i * c + j } else { usize::MAX }))
                    .collect();
                let l = self.gather_with_zeros(v, &low, Dims::Matrix(r, c));
                let tpos: Vec<usize> = (0..c)
                    .flat_map(|j| (0..r).map(move |i| i * c + j))
                    .collect();
                let lt = self.gather_positions(l, &tpos, Dims::Matrix(c, r));
                self.matmul(l, lt, span)
            }
            _ => Err(not_here(f, span)),
        }
    }

    pub(in crate::density::eval) fn cholesky(&mut self, m: Value, span: Span) -> EvalResult<Value> {
        self.cholesky_named(m, "cholesky_decompose", span)
    }

    /// The lower Cholesky factor of a symmetric positive-definite matrix;
    /// `name` is the function named in messages.
    pub(in crate::density::eval) fn cholesky_named(
        &mut self,
        m: Value,
        name: &str,
        span: Span,
    ) -> EvalResult<Value> {
        let n = match m.dims() {
            Dims::Matrix(r, c) if r == c => r,
            d => {
                return Err(EvalError::fatal(
                    span,
                    format!("{name} needs a square matrix, found {d}"),
                ));
            }
        };
        let m = self.promote(m);
        self.check_symmetric(m, n, name, span)?;
        if !m.is_var() {
            let a: Vec<f64> = (0..n * n).map(|k| self.element_f64(m, k)).collect();
            let mut l = vec![0.0; n * n];
            cholesky_lower(&a, &mut l, n)
                .map_err(|e| EvalError::reject(span, not_positive_definite(name, e)))?;
            let out = self.scratch(n * n);
            self.workspace.scratch[out.range()].copy_from_slice(&l);
            return Ok(Value::Mat(out, n as u32, n as u32));
        }
        let r = tape_ref_of(m);
        let out = self.workspace.tape.alloc(n * n);
        let vals = &mut self.workspace.tape.vals;
        vals.copy_within(r.range(), out.off as usize);
        cholesky_in_place(&mut vals[out.range()], n)
            .map_err(|e| EvalError::reject(span, not_positive_definite(name, e)))?;
        self.workspace.tape.node(Node::Cholesky {
            a: r,
            l: out,
            n: n as u32,
        });
        Ok(Value::TapeMat(out, n as u32, n as u32))
    }
}

/// The message of a failed `cholesky_decompose`.
fn not_positive_definite(name: &str, e: NotPositiveDefinite) -> String {
    format!(
        "{name}: the matrix is not positive-definite (pivot {} is {})",
        e.pivot + 1,
        e.value
    )
}
