//! Sizes and shapes: `size`, `rows`, `cols`, rows and columns of a matrix,
//! reversing, repeating, appending, transposing, diagonal matrices.

use super::{argument_span, not_here};
use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::eval::tape_ref_of;
use crate::density::eval::workspace::{EvalError, EvalResult};
use crate::density::tape::{Node, Part};
use crate::density::value::element_count;
use crate::density::value::{Dims, Value};
use crate::ir::Expr;
use crate::scalar::Scalar;
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    /// Sizes, and values rearranged into a new shape.
    pub(super) fn shape_function(
        &mut self,
        f: Builtin,
        a: &[Value],
        exprs: &[Expr],
        span: Span,
    ) -> EvalResult<Value> {
        let arg_span = |k: usize| argument_span(exprs, k, span);
        match f {
            Builtin::Size | Builtin::Rows => Ok(Value::Int(match a[0].dims() {
                Dims::Scalar => 1,
                Dims::Vector(n) => n as i64,
                Dims::Matrix(r, _) | Dims::Array3(r, _, _) => r as i64,
            })),
            Builtin::Cols => Ok(Value::Int(match a[0].dims() {
                Dims::Matrix(_, c) => c as i64,
                _ => 1,
            })),
            Builtin::Col | Builtin::Row => {
                let (r, c) = match a[0].dims() {
                    Dims::Matrix(r, c) => (r, c),
                    d => {
                        return Err(EvalError::fatal(
                            arg_span(0),
                            format!("expected a matrix, found {d}"),
                        ));
                    }
                };
                let k = self.int_of(a[1], arg_span(1))?;
                let lim = if f == Builtin::Col { c } else { r };
                if k < 1 || k as usize > lim {
                    return Err(EvalError::fatal(
                        arg_span(1),
                        format!("index {k} is out of range for a {r}×{c} matrix"),
                    ));
                }
                let k = k as usize - 1;
                let pos: Vec<usize> = if f == Builtin::Col {
                    (0..r).map(|i| i * c + k).collect()
                } else {
                    (0..c).map(|j| k * c + j).collect()
                };
                let n = pos.len();
                Ok(self.gather_positions(a[0], &pos, Dims::Vector(n)))
            }
            Builtin::Reverse => {
                let n = a[0].len();
                let pos: Vec<usize> = (0..n).rev().collect();
                Ok(self.gather_positions(a[0], &pos, a[0].dims()))
            }
            Builtin::RepVector => {
                let n = self.int_of(a[1], arg_span(1))?.max(0) as usize;
                self.rep(a[0], Dims::Vector(n))
            }
            Builtin::RepMatrix => {
                let r = self.int_of(a[1], arg_span(1))?.max(0) as usize;
                let c = self.int_of(a[2], arg_span(2))?.max(0) as usize;
                self.rep(a[0], Dims::Matrix(r, c))
            }
            Builtin::RepMatrixColumns => {
                let v = self.promote(a[0]);
                let c = self.int_of(a[1], arg_span(1))?.max(0) as usize;
                let r = v.len();
                let pos: Vec<usize> = (0..r).flat_map(|i| std::iter::repeat_n(i, c)).collect();
                Ok(self.gather_positions(v, &pos, Dims::Matrix(r, c)))
            }
            Builtin::AppendRow => self.append_row(a[0], a[1], span),
            Builtin::Transpose => match a[0].dims() {
                Dims::Matrix(r, c) => {
                    let pos: Vec<usize> = (0..c)
                        .flat_map(|j| (0..r).map(move |i| i * c + j))
                        .collect();
                    Ok(self.gather_positions(a[0], &pos, Dims::Matrix(c, r)))
                }
                d => Err(EvalError::fatal(
                    span,
                    format!("transpose needs a matrix, found {d}"),
                )),
            },
            Builtin::DiagMatrix => {
                let v = self.promote(a[0]);
                let n = v.len();
                let mut pos = Vec::with_capacity(n * n);
                for i in 0..n {
                    for j in 0..n {
                        pos.push(if i == j { i } else { usize::MAX });
                    }
                }
                Ok(self.gather_with_zeros(v, &pos, Dims::Matrix(n, n)))
            }
            _ => Err(not_here(f, span)),
        }
    }

    /// Like [`Evaluator::gather_positions`], with `usize::MAX` meaning a zero.
    pub(in crate::density::eval) fn gather_with_zeros(
        &mut self,
        v: Value,
        pos: &[usize],
        dims: Dims,
    ) -> Value {
        if !v.is_var() {
            let out = self.scratch(pos.len());
            for (k, &p) in pos.iter().enumerate() {
                self.workspace.scratch[out.off as usize + k] = if p == usize::MAX {
                    0.0
                } else {
                    self.element_f64(v, p)
                };
            }
            return self.const_value(out, dims);
        }
        let r = tape_ref_of(v);
        let zero = self.workspace.tape.push(T::zero());
        let idx_off = self.workspace.tape.idx.len();
        for &p in pos {
            self.workspace
                .tape
                .idx
                .push(if p == usize::MAX { zero } else { r.at(p) });
        }
        self.gather_slots(idx_off, pos.len(), dims)
    }

    pub(in crate::density::eval) fn rep(&mut self, x: Value, dims: Dims) -> EvalResult<Value> {
        let x = self.promote(x);
        let n = element_count(dims);
        if !x.is_var() {
            let v = self.scalar_f64(x);
            let out = self.scratch(n);
            self.workspace.scratch[out.range()].fill(v);
            return Ok(self.const_value(out, dims));
        }
        let s = tape_ref_of(x).off;
        let out = self.workspace.tape.alloc(n);
        let v = self.workspace.tape.vals[s as usize];
        self.workspace.tape.vals[out.range()].fill(v);
        self.workspace.tape.node(Node::Broadcast {
            out,
            inp: s,
            part: Part::One,
        });
        Ok(Self::tape_value(out, dims))
    }

    pub(in crate::density::eval) fn append_row(
        &mut self,
        a: Value,
        b: Value,
        span: Span,
    ) -> EvalResult<Value> {
        let dims = match (a.dims(), b.dims()) {
            (Dims::Matrix(r1, c1), Dims::Matrix(r2, c2)) => {
                if c1 != c2 {
                    return Err(EvalError::fatal(
                        span,
                        format!("append_row of matrices with {c1} and {c2} columns"),
                    ));
                }
                Dims::Matrix(r1 + r2, c1)
            }
            (Dims::Matrix(..), _) | (_, Dims::Matrix(..)) => {
                return Err(EvalError::fatal(
                    span,
                    "append_row of a matrix and a vector",
                ));
            }
            _ => Dims::Vector(a.len() + b.len()),
        };
        if a.is_int() && b.is_int() {
            let out = self.int_scratch(a.len() + b.len());
            for k in 0..a.len() {
                self.workspace.int_scratch[out.off as usize + k] = self.element_f64(a, k) as i64;
            }
            for k in 0..b.len() {
                self.workspace.int_scratch[out.off as usize + a.len() + k] =
                    self.element_f64(b, k) as i64;
            }
            return Ok(Value::IntArr(out));
        }
        let a = self.promote(a);
        let b = self.promote(b);
        let n = a.len() + b.len();
        if !a.is_var() && !b.is_var() {
            let out = self.scratch(n);
            for k in 0..a.len() {
                self.workspace.scratch[out.off as usize + k] = self.element_f64(a, k);
            }
            for k in 0..b.len() {
                self.workspace.scratch[out.off as usize + a.len() + k] = self.element_f64(b, k);
            }
            return Ok(self.const_value(out, dims));
        }
        let ra = self.slots_of(a);
        let rb = self.slots_of(b);
        let idx_off = self.workspace.tape.idx.len();
        for k in 0..a.len() {
            self.workspace.tape.idx.push(ra.at(k));
        }
        for k in 0..b.len() {
            self.workspace.tape.idx.push(rb.at(k));
        }
        Ok(self.gather_slots(idx_off, n, dims))
    }
}
