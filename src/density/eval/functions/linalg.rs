//! Linear algebra on parameters: triangular and positive-definite solves,
//! determinants and inverses. Each is one matrix node whose reverse rule
//! costs what the forward operation costs (see `density::tape`), or a
//! composition of such nodes (`mdivide_left_spd` is a Cholesky node and two
//! triangular solves). Constants are computed in `f64` without a tape.

use super::not_here;
use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::eval::tape_ref_of;
use crate::density::eval::workspace::{EvalError, EvalResult};
use crate::density::tape::{Node, Part};
use crate::density::value::{Dims, Value};
use crate::scalar::Scalar;
use crate::scalar::linalg::{
    cholesky_in_place, lu_in_place, lu_inverse, solve_lower_rows, solve_upper_transposed_rows,
};
use crate::source::Span;

/// The side of a square matrix argument.
pub(super) fn square_side(v: Value, name: &str, span: Span) -> EvalResult<usize> {
    match v.dims() {
        Dims::Matrix(r, c) if r == c => Ok(r),
        d => Err(EvalError::fatal(
            span,
            format!("{name} needs a square matrix, found {d}"),
        )),
    }
}

/// Rows and columns of a matrix, or of a vector read as one column.
pub(super) fn matrix_shape(v: Value) -> (usize, usize) {
    match v.dims() {
        Dims::Scalar => (1, 1),
        Dims::Vector(n) => (n, 1),
        Dims::Matrix(r, c) => (r, c),
        Dims::Array3(j, k, l) => (j * k, l),
    }
}

impl<T: Scalar> Evaluator<'_, T> {
    /// Solves, determinants and inverses.
    pub(super) fn linalg_function(
        &mut self,
        f: Builtin,
        a: &[Value],
        span: Span,
    ) -> EvalResult<Value> {
        match f {
            Builtin::MdivideLeftTriLow => {
                let n = square_side(a[0], f.name(), span)?;
                self.check_rows(f, n, a[1], span)?;
                self.tri_solve(a[0], a[1], n, false, span)
            }
            Builtin::MdivideRightTriLow => {
                let n = square_side(a[1], f.name(), span)?;
                match a[0].dims() {
                    // A vector is a row: x L = b is Lᵀ xᵀ = bᵀ.
                    Dims::Vector(_) | Dims::Scalar | Dims::Array3(..) => {
                        self.check_rows(f, n, a[0], span)?;
                        self.tri_solve(a[1], a[0], n, true, span)
                    }
                    Dims::Matrix(r, c) => {
                        if c != n {
                            return Err(EvalError::fatal(
                                span,
                                format!("{}: a {r}×{c} matrix and a {n}×{n} factor", f.name()),
                            ));
                        }
                        let bt = self.transposed(a[0]);
                        let xt = self.tri_solve(a[1], bt, n, true, span)?;
                        Ok(self.transposed(xt))
                    }
                }
            }
            Builtin::MdivideLeftSpd => {
                let n = square_side(a[0], f.name(), span)?;
                self.check_rows(f, n, a[1], span)?;
                let l = self.cholesky_named(a[0], "mdivide_left_spd", span)?;
                let z = self.tri_solve(l, a[1], n, false, span)?;
                self.tri_solve(l, z, n, true, span)
            }
            Builtin::LogDeterminant | Builtin::Determinant => self.determinant(f, a[0], span),
            Builtin::Inverse => self.inverse(a[0], false, span),
            Builtin::InverseSpd => self.inverse(a[0], true, span),
            _ => Err(not_here(f, span)),
        }
    }

    fn check_rows(&self, f: Builtin, n: usize, b: Value, span: Span) -> EvalResult<()> {
        let (r, _) = matrix_shape(b);
        if r != n {
            return Err(EvalError::fatal(
                span,
                format!(
                    "{}: a {n}×{n} matrix and {}: the sizes differ",
                    f.name(),
                    b.dims()
                ),
            ));
        }
        Ok(())
    }

    /// The transpose of a matrix (a copy, or a gather on the tape).
    pub(super) fn transposed(&mut self, m: Value) -> Value {
        let (r, c) = matrix_shape(m);
        let mut pos = std::mem::take(&mut self.workspace.positions);
        pos.clear();
        pos.extend((0..c).flat_map(|j| (0..r).map(move |i| i * c + j)));
        let out = self.gather_positions(m, &pos, Dims::Matrix(c, r));
        self.workspace.positions = pos;
        out
    }

    /// `L⁻¹ b` (or `L⁻ᵀ b`), the lower triangle of the `n × n` `l` read.
    fn tri_solve(
        &mut self,
        l: Value,
        b: Value,
        n: usize,
        transposed: bool,
        span: Span,
    ) -> EvalResult<Value> {
        let (l, b) = (self.promote(l), self.promote(b));
        for i in 0..n {
            let d = self.element_f64(l, i * n + i);
            if d == 0.0 || !d.is_finite() {
                return Err(EvalError::reject(
                    span,
                    format!(
                        "the triangular factor has L[{}, {}] = {d}: the system has no unique solution",
                        i + 1,
                        i + 1
                    ),
                ));
            }
        }
        let dims = b.dims();
        let len = b.len();
        if !l.is_var() && !b.is_var() {
            let out = self.scratch(len);
            let mut lv = std::mem::take(&mut self.workspace.real_buffer);
            lv.clear();
            lv.extend((0..n * n).map(|k| self.element_f64(l, k)));
            for k in 0..len {
                self.workspace.scratch[out.off as usize + k] = self.element_f64(b, k);
            }
            let xv = &mut self.workspace.scratch[out.range()];
            if transposed {
                solve_upper_transposed_rows(&lv, xv, n);
            } else {
                solve_lower_rows(&lv, xv, n);
            }
            self.workspace.real_buffer = lv;
            return Ok(self.const_value(out, dims));
        }
        let lr = self.slots_of(l);
        let br = self.slots_of(b);
        let x = self.workspace.tape.alloc(len);
        let vals = &mut self.workspace.tape.vals;
        vals.copy_within(br.range(), x.off as usize);
        let (lo, hi) = vals.split_at_mut(x.off as usize);
        let lv = &lo[lr.range()];
        if transposed {
            solve_upper_transposed_rows(lv, &mut hi[..len], n);
        } else {
            solve_lower_rows(lv, &mut hi[..len], n);
        }
        self.workspace.tape.node(Node::TriSolve {
            l: lr.off,
            b: br.off,
            x,
            n: n as u32,
            transposed,
        });
        Ok(Self::tape_value(x, dims))
    }

    /// `log_determinant` (log |det|) or `determinant`, by LU with partial
    /// pivoting; the partials det · A⁻ᵀ (or A⁻ᵀ) are stored for one
    /// `Reduce` node.
    fn determinant(&mut self, f: Builtin, m: Value, span: Span) -> EvalResult<Value> {
        let n = square_side(m, f.name(), span)?;
        let m = self.promote(m);
        let log = f == Builtin::LogDeterminant;
        let mut lu = std::mem::take(&mut self.workspace.matrix_scratch);
        let mut perm = std::mem::take(&mut self.workspace.pivots);
        lu.clear();
        lu.extend((0..n * n).map(|k| self.element(m, k)));
        lu.resize(2 * n * n, T::zero());
        perm.clear();
        perm.resize(n, 0);
        let factored = lu_in_place(&mut lu[..n * n], &mut perm, n);
        let result = match factored {
            Err(col) => Err(EvalError::reject(
                span,
                format!(
                    "{}: the matrix is singular (no pivot in column {})",
                    f.name(),
                    col + 1
                ),
            )),
            Ok(sign) => {
                let mut value = if log { T::zero() } else { T::from(sign) };
                for i in 0..n {
                    let u = lu[i * n + i];
                    if log {
                        value += u.abs().ln();
                    } else {
                        value *= u;
                    }
                }
                Ok(value)
            }
        };
        let value = match result {
            Ok(v) => v,
            Err(e) => {
                self.workspace.matrix_scratch = lu;
                self.workspace.pivots = perm;
                return Err(e);
            }
        };
        let out = if m.is_var() {
            let (factor, inv) = lu.split_at_mut(n * n);
            lu_inverse(factor, &perm, &mut inv[..n * n], n);
            let scale = if log { T::one() } else { value };
            let parts = self.workspace.tape.alloc_parts(n * n);
            for i in 0..n {
                for j in 0..n {
                    self.workspace.tape.parts[parts as usize + i * n + j] = inv[j * n + i] * scale;
                }
            }
            let out = self.workspace.tape.push(value);
            self.workspace.tape.node(Node::Reduce {
                out,
                inp: tape_ref_of(m),
                part: Part::Tape(parts),
            });
            Value::TapeReal(out)
        } else {
            Value::Real(value.re())
        };
        self.workspace.matrix_scratch = lu;
        self.workspace.pivots = perm;
        Ok(out)
    }

    /// `inverse` by LU, `inverse_spd` by Cholesky (after its symmetry and
    /// positive-definiteness checks); one `Inverse` node either way.
    fn inverse(&mut self, m: Value, spd: bool, span: Span) -> EvalResult<Value> {
        let name = if spd { "inverse_spd" } else { "inverse" };
        let n = square_side(m, name, span)?;
        let m = self.promote(m);
        if spd {
            self.check_symmetric(m, n, name, span)?;
        }
        let mut work = std::mem::take(&mut self.workspace.matrix_scratch);
        let mut perm = std::mem::take(&mut self.workspace.pivots);
        work.clear();
        work.extend((0..n * n).map(|k| self.element(m, k)));
        work.resize(2 * n * n, T::zero());
        perm.clear();
        perm.resize(n, 0);
        let (factor, inv) = work.split_at_mut(n * n);
        let done = if spd {
            cholesky_in_place(factor, n)
                .map(|_| {
                    // A⁻¹ = L⁻ᵀ L⁻¹: solve L Y = I, then Lᵀ X = Y.
                    inv.fill(T::zero());
                    for i in 0..n {
                        inv[i * n + i] = T::one();
                    }
                    solve_lower_rows(factor, inv, n);
                    solve_upper_transposed_rows(factor, inv, n);
                })
                .map_err(|e| {
                    format!(
                        "{name}: the matrix is not positive-definite (pivot {} is {})",
                        e.pivot + 1,
                        e.value
                    )
                })
        } else {
            lu_in_place(factor, &mut perm, n)
                .map(|_| lu_inverse(factor, &perm, inv, n))
                .map_err(|col| {
                    format!(
                        "{name}: the matrix is singular (no pivot in column {})",
                        col + 1
                    )
                })
        };
        let result = match done {
            Err(msg) => Err(EvalError::reject(span, msg)),
            Ok(()) if !m.is_var() => {
                let out = self.scratch(n * n);
                let o = out.off as usize;
                for (dst, v) in self.workspace.scratch[o..o + n * n]
                    .iter_mut()
                    .zip(inv.iter())
                {
                    *dst = v.re();
                }
                Ok(Value::Mat(out, n as u32, n as u32))
            }
            Ok(()) => {
                let out = self.workspace.tape.alloc(n * n);
                self.workspace.tape.vals[out.range()].copy_from_slice(inv);
                self.workspace.tape.node(Node::Inverse {
                    a: tape_ref_of(m),
                    x: out,
                    n: n as u32,
                });
                Ok(Value::TapeMat(out, n as u32, n as u32))
            }
        };
        self.workspace.matrix_scratch = work;
        self.workspace.pivots = perm;
        result
    }

    /// Rejects a matrix whose mirrored entries differ by more than 1e-8
    /// relative.
    pub(in crate::density::eval) fn check_symmetric(
        &self,
        m: Value,
        n: usize,
        name: &str,
        span: Span,
    ) -> EvalResult<()> {
        for i in 0..n {
            for j in 0..i {
                let (a, b) = (
                    self.element_f64(m, i * n + j),
                    self.element_f64(m, j * n + i),
                );
                if (a - b).abs() > 1e-8 * (1.0 + a.abs().max(b.abs())) || a.is_nan() {
                    return Err(EvalError::reject(
                        span,
                        format!(
                            "{name}: the matrix is not symmetric (entry [{},{}] = {a}, entry [{},{}] = {b})",
                            i + 1,
                            j + 1,
                            j + 1,
                            i + 1
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
