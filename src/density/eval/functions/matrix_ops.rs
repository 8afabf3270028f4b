//! Matrix functions composed of existing nodes at the cost of the forward
//! operation: `diagonal`, `trace`, `identity_matrix`, `add_diag`,
//! `crossprod`, `tcrossprod`, `quad_form`, `quad_form_diag`, `to_matrix`
//! and `append_col` (gathers, element-wise products and matrix products).

use super::linalg::{matrix_shape, square_side};
use super::not_here;
use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::eval::workspace::{EvalError, EvalResult};
use crate::density::value::{Dims, Value};
use crate::scalar::Scalar;
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    /// Reshaping and products of matrices.
    pub(super) fn matrix_op(&mut self, f: Builtin, a: &[Value], span: Span) -> EvalResult<Value> {
        match f {
            Builtin::Diagonal => Ok(self.diagonal(a[0])),
            Builtin::Trace => {
                square_side(a[0], f.name(), span)?;
                let d = self.diagonal(a[0]);
                Ok(self.sum(d))
            }
            Builtin::IdentityMatrix => {
                let n = self.int_of(a[0], span)?;
                if n < 0 {
                    return Err(EvalError::fatal(
                        span,
                        format!("identity_matrix: the size must not be negative, found {n}"),
                    ));
                }
                let n = n as usize;
                let out = self.scratch(n * n);
                for i in 0..n {
                    self.workspace.scratch[out.off as usize + i * n + i] = 1.0;
                }
                Ok(Value::Mat(out, n as u32, n as u32))
            }
            Builtin::AddDiag => self.add_diag(a[0], a[1], span),
            Builtin::Crossprod => {
                let m = self.promote(a[0]);
                let t = self.transposed(m);
                self.matmul(t, m, span)
            }
            Builtin::Tcrossprod => {
                let m = self.promote(a[0]);
                let t = self.transposed(m);
                self.matmul(m, t, span)
            }
            Builtin::QuadForm => {
                square_side(a[0], f.name(), span)?;
                let b = self.promote(a[1]);
                let ab = self.matmul(a[0], b, span)?;
                match b.dims() {
                    Dims::Matrix(..) => {
                        let bt = self.transposed(b);
                        self.matmul(bt, ab, span)
                    }
                    _ => {
                        let p = self.elem_mul(b, ab, span)?;
                        Ok(self.sum(p))
                    }
                }
            }
            Builtin::QuadFormDiag => {
                let n = square_side(a[0], f.name(), span)?;
                let v = self.promote(a[1]);
                if v.len() != n || v.is_scalar() {
                    return Err(EvalError::fatal(
                        span,
                        format!("quad_form_diag: a {n}×{n} matrix and {}", v.dims()),
                    ));
                }
                let rows = self.expanded(v, n, true);
                let cols = self.expanded(v, n, false);
                let left = self.elem_mul(a[0], rows, span)?;
                self.elem_mul(left, cols, span)
            }
            Builtin::ToMatrix => self.reshape_column_major(a, span),
            Builtin::ToMatrixArray => Ok(self.promote(a[0])),
            Builtin::AppendCol => self.append_col(a[0], a[1], span),
            _ => Err(not_here(f, span)),
        }
    }

    /// The diagonal of a matrix, as a vector.
    fn diagonal(&mut self, m: Value) -> Value {
        let m = self.promote(m);
        let (r, c) = matrix_shape(m);
        let k = r.min(c);
        self.gather_with(m, Dims::Vector(k), |pos| {
            pos.extend((0..k).map(|i| i * c + i));
        })
    }

    /// The `n × n` matrix whose rows (or columns) repeat the entries of `v`:
    /// entry (i, j) is v[i] (or v[j]).
    fn expanded(&mut self, v: Value, n: usize, by_row: bool) -> Value {
        self.gather_with(v, Dims::Matrix(n, n), |pos| {
            pos.extend((0..n * n).map(|k| if by_row { k / n } else { k % n }));
        })
    }

    /// Gathers `v` at the positions `fill` lists (in reused memory).
    fn gather_with(&mut self, v: Value, dims: Dims, fill: impl FnOnce(&mut Vec<usize>)) -> Value {
        let mut pos = std::mem::take(&mut self.workspace.positions);
        pos.clear();
        fill(&mut pos);
        let out = self.gather_positions(v, &pos, dims);
        self.workspace.positions = pos;
        out
    }

    fn add_diag(&mut self, m: Value, d: Value, span: Span) -> EvalResult<Value> {
        let m = self.promote(m);
        let d = self.promote(d);
        let (r, c) = matrix_shape(m);
        let k = r.min(c);
        if !d.is_scalar() && d.len() != k {
            return Err(EvalError::fatal(
                span,
                format!(
                    "add_diag: a {r}×{c} matrix and a diagonal of {} elements",
                    d.len()
                ),
            ));
        }
        let scalar = d.is_scalar();
        let mut pos = std::mem::take(&mut self.workspace.positions);
        pos.clear();
        pos.resize(r * c, usize::MAX);
        for i in 0..k {
            pos[i * c + i] = if scalar { 0 } else { i };
        }
        let dm = self.gather_with_zeros(d, &pos, Dims::Matrix(r, c));
        self.workspace.positions = pos;
        self.add(m, dm, span)
    }

    /// `to_matrix(v, m, n)`: filled column by column, as Stan.
    fn reshape_column_major(&mut self, a: &[Value], span: Span) -> EvalResult<Value> {
        let v = self.promote(a[0]);
        let (m, n) = (self.int_of(a[1], span)?, self.int_of(a[2], span)?);
        if m < 0 || n < 0 || (m * n) as usize != v.len() {
            return Err(EvalError::fatal(
                span,
                format!(
                    "to_matrix: {} elements cannot fill a {m}×{n} matrix",
                    v.len()
                ),
            ));
        }
        let (m, n) = (m as usize, n as usize);
        let (r, c) = matrix_shape(v);
        let is_matrix = matches!(v.dims(), Dims::Matrix(..));
        Ok(self.gather_with(v, Dims::Matrix(m, n), |pos| {
            for i in 0..m {
                for j in 0..n {
                    // Element k of the column-major order of the source.
                    let k = j * m + i;
                    pos.push(if is_matrix { (k % r) * c + k / r } else { k });
                }
            }
        }))
    }

    fn append_col(&mut self, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        let (a, b) = (self.promote(a), self.promote(b));
        let ((ra, ca), (rb, cb)) = (matrix_shape(a), matrix_shape(b));
        if a.is_scalar() || b.is_scalar() || ra != rb {
            return Err(EvalError::fatal(
                span,
                format!(
                    "append_col of {} and {}: the numbers of rows differ",
                    a.dims(),
                    b.dims()
                ),
            ));
        }
        let c = ca + cb;
        if !a.is_var() && !b.is_var() {
            let out = self.scratch(ra * c);
            for i in 0..ra {
                for j in 0..c {
                    let x = if j < ca {
                        self.element_f64(a, i * ca + j)
                    } else {
                        self.element_f64(b, i * cb + j - ca)
                    };
                    self.workspace.scratch[out.off as usize + i * c + j] = x;
                }
            }
            return Ok(Value::Mat(out, ra as u32, c as u32));
        }
        let sa = self.slots_of(a);
        let sb = self.slots_of(b);
        let idx_off = self.workspace.tape.idx.len();
        for i in 0..ra {
            for j in 0..c {
                let s = if j < ca {
                    sa.at(i * ca + j)
                } else {
                    sb.at(i * cb + j - ca)
                };
                self.workspace.tape.idx.push(s);
            }
        }
        Ok(self.gather_slots(idx_off, ra * c, Dims::Matrix(ra, c)))
    }
}
