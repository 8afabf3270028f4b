//! Built-in functions other than element-wise arithmetic: reductions,
//! sizes, vector and matrix constructors, and matrix functions.

use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::eval::tape_ref_of;
use crate::density::eval::workspace::{EvalError, EvalResult};
use crate::density::tape::{Node, Part};
use crate::density::value::element_count;
use crate::density::value::{Dims, Value};
use crate::ir::Expr;
use crate::scalar::linalg::{NotPositiveDefinite, cholesky_lower};
use crate::scalar::{Scalar, log_sum_exp_slice};
use crate::source::Span;
use num_dual::Dual;

impl<T: Scalar> Evaluator<'_, T> {
    pub fn builtin(
        &mut self,
        f: Builtin,
        a: &[Value],
        exprs: &[Expr],
        span: Span,
    ) -> EvalResult<Value> {
        if f.is_elementwise_unary() {
            return self.map_unary(f, a[0]);
        }
        let arg_span = |k: usize| exprs.get(k).map(|e| e.span).unwrap_or(span);
        match f {
            Builtin::Pow
            | Builtin::Fmin
            | Builtin::Fmax
            | Builtin::Lbeta
            | Builtin::LogSumExp2
            | Builtin::Min2
            | Builtin::Max2 => self.map_binary(f, a[0], a[1], span),
            Builtin::Sum => Ok(self.sum(a[0])),
            Builtin::Mean => {
                let n = a[0].len();
                if n == 0 {
                    return Err(EvalError::fatal(span, "mean of an empty vector"));
                }
                let v = self.promote(a[0]);
                let s = self.sum(v);
                self.elem_mul(s, Value::Real(1.0 / n as f64), span)
            }
            Builtin::Sd => self.sd(a[0], span),
            Builtin::Min | Builtin::Max => self.min_max(f == Builtin::Max, a[0], span),
            Builtin::LogSumExp => self.log_sum_exp(a[0], span),
            Builtin::DotProduct => {
                if a[0].len() != a[1].len() {
                    return Err(EvalError::fatal(
                        span,
                        format!(
                            "dot_product of vectors of lengths {} and {}",
                            a[0].len(),
                            a[1].len()
                        ),
                    ));
                }
                let p = self.elem_mul(a[0], a[1], span)?;
                Ok(self.sum(p))
            }
            Builtin::DotSelf => {
                let p = self.elem_mul(a[0], a[0], span)?;
                Ok(self.sum(p))
            }
            Builtin::Size => Ok(Value::Int(match a[0].dims() {
                Dims::Scalar => 1,
                Dims::Vector(n) => n as i64,
                Dims::Matrix(r, _) => r as i64,
            })),
            Builtin::Rows => Ok(Value::Int(match a[0].dims() {
                Dims::Scalar => 1,
                Dims::Vector(n) => n as i64,
                Dims::Matrix(r, _) => r as i64,
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
            Builtin::CumulativeSum => self.cumulative_sum(a[0]),
            Builtin::Softmax | Builtin::LogSoftmax => {
                self.softmax(a[0], f == Builtin::LogSoftmax, span)
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
            _ => Err(EvalError::fatal(
                span,
                format!("`{}` cannot be used here", f.name()),
            )),
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

    pub(in crate::density::eval) fn sd(&mut self, v: Value, span: Span) -> EvalResult<Value> {
        let v = self.promote(v);
        let n = v.len();
        if n < 2 {
            return Err(EvalError::fatal(span, "sd needs at least two elements"));
        }
        let mean = (0..n).fold(T::zero(), |s, i| s + self.element(v, i)) / n as f64;
        let ss = (0..n).fold(T::zero(), |s, i| {
            let d = self.element(v, i) - mean;
            s + d * d
        });
        let sd = (ss / (n - 1) as f64).sqrt();
        if !v.is_var() {
            return Ok(Value::Real(sd.re()));
        }
        let out = self.workspace.tape.push(sd);
        if self.record() {
            let p = self.workspace.tape.alloc_parts(n);
            for i in 0..n {
                let d = self.element(v, i) - mean;
                self.workspace.tape.parts[p as usize + i] = d / (sd * (n - 1) as f64);
            }
            self.workspace.tape.node(Node::Reduce {
                out,
                inp: tape_ref_of(v),
                part: Part::Tape(p),
            });
        }
        Ok(Value::TapeReal(out))
    }

    pub(in crate::density::eval) fn min_max(
        &mut self,
        max: bool,
        v: Value,
        span: Span,
    ) -> EvalResult<Value> {
        let n = v.len();
        if n == 0 {
            return Err(EvalError::fatal(span, "min/max of an empty vector"));
        }
        let mut best = 0;
        for i in 1..n {
            let (x, b) = (self.element_f64(v, i), self.element_f64(v, best));
            if (max && x > b) || (!max && x < b) {
                best = i;
            }
        }
        Ok(match v {
            Value::IntArr(r) => Value::Int(self.const_ints(r)[best]),
            Value::TapeVec(r) | Value::TapeMat(r, ..) => Value::TapeReal(r.at(best)),
            Value::Vec(_) | Value::Mat(..) => Value::Real(self.element_f64(v, best)),
            s => s,
        })
    }

    pub(in crate::density::eval) fn log_sum_exp(
        &mut self,
        v: Value,
        span: Span,
    ) -> EvalResult<Value> {
        let v = self.promote(v);
        let n = v.len();
        if n == 0 {
            return Ok(Value::Real(f64::NEG_INFINITY));
        }
        if !v.is_var() {
            let xs: Vec<f64> = (0..n).map(|i| self.element_f64(v, i)).collect();
            return Ok(Value::Real(log_sum_exp_slice(&xs)));
        }
        let r = tape_ref_of(v);
        let lse = log_sum_exp_slice(&self.workspace.tape.vals[r.range()]);
        let out = self.workspace.tape.push(lse);
        if self.record() {
            let p = self.workspace.tape.alloc_parts(n);
            for i in 0..n {
                let x = self.workspace.tape.vals[r.off as usize + i];
                self.workspace.tape.parts[p as usize + i] = (x - lse).exp();
            }
            self.workspace.tape.node(Node::Reduce {
                out,
                inp: r,
                part: Part::Tape(p),
            });
        }
        let _ = span;
        Ok(Value::TapeReal(out))
    }

    pub(in crate::density::eval) fn cumulative_sum(&mut self, v: Value) -> EvalResult<Value> {
        let n = v.len();
        match v {
            Value::IntArr(r) => {
                let out = self.int_scratch(n);
                let mut acc = 0i64;
                for k in 0..n {
                    acc += self.const_ints(r)[k];
                    self.workspace.int_scratch[out.off as usize + k] = acc;
                }
                Ok(Value::IntArr(out))
            }
            _ if !v.is_var() => {
                let v = self.promote(v);
                let out = self.scratch(n);
                let mut acc = 0.0;
                for k in 0..n {
                    acc += self.element_f64(v, k);
                    self.workspace.scratch[out.off as usize + k] = acc;
                }
                Ok(self.const_value(out, v.dims()))
            }
            _ => {
                let r = tape_ref_of(v);
                let out = self.workspace.tape.alloc(n);
                let mut acc = T::zero();
                for k in 0..n {
                    acc += self.workspace.tape.vals[r.off as usize + k];
                    self.workspace.tape.vals[out.off as usize + k] = acc;
                }
                self.workspace.tape.node(Node::CumSum { out, inp: r.off });
                Ok(Self::tape_value(out, v.dims()))
            }
        }
    }

    pub(in crate::density::eval) fn softmax(
        &mut self,
        v: Value,
        log: bool,
        span: Span,
    ) -> EvalResult<Value> {
        let v = self.promote(v);
        let n = v.len();
        if !matches!(v.dims(), Dims::Vector(_)) || n == 0 {
            return Err(EvalError::fatal(span, "softmax needs a non-empty vector"));
        }
        if !v.is_var() {
            let xs: Vec<f64> = (0..n).map(|i| self.element_f64(v, i)).collect();
            let lse = log_sum_exp_slice(&xs);
            let out = self.scratch(n);
            for (k, x) in xs.iter().enumerate() {
                self.workspace.scratch[out.off as usize + k] =
                    if log { x - lse } else { (x - lse).exp() };
            }
            return Ok(Value::Vec(out));
        }
        let r = tape_ref_of(v);
        let lse = log_sum_exp_slice(&self.workspace.tape.vals[r.range()]);
        let out = self.workspace.tape.alloc(n);
        for k in 0..n {
            let x = self.workspace.tape.vals[r.off as usize + k] - lse;
            self.workspace.tape.vals[out.off as usize + k] = if log { x } else { x.exp() };
        }
        if self.record() {
            // d softmax_i / d x_j = s_i (δ_ij − s_j); d log_softmax_i / d x_j = δ_ij − s_j.
            let jac = self.workspace.tape.alloc_parts(n * n);
            for i in 0..n {
                let si = (self.workspace.tape.vals[r.off as usize + i] - lse).exp();
                for j in 0..n {
                    let sj = (self.workspace.tape.vals[r.off as usize + j] - lse).exp();
                    let delta = if i == j { T::one() } else { T::zero() };
                    let d = if log { delta - sj } else { si * (delta - sj) };
                    self.workspace.tape.parts[jac as usize + i * n + j] = d;
                }
            }
            self.dense_node(out, &[r], jac);
        }
        Ok(Value::TapeVec(out))
    }

    pub(in crate::density::eval) fn cholesky(&mut self, m: Value, span: Span) -> EvalResult<Value> {
        let n = match m.dims() {
            Dims::Matrix(r, c) if r == c => r,
            d => {
                return Err(EvalError::fatal(
                    span,
                    format!("cholesky_decompose needs a square matrix, found {d}"),
                ));
            }
        };
        let m = self.promote(m);
        for i in 0..n {
            for j in 0..i {
                let (a, b) = (
                    self.element_f64(m, i * n + j),
                    self.element_f64(m, j * n + i),
                );
                if (a - b).abs() > 1e-8 * (1.0 + a.abs().max(b.abs())) {
                    return Err(EvalError::reject(
                        span,
                        format!(
                            "cholesky_decompose: the matrix is not symmetric (entry [{},{}] = {a}, entry [{},{}] = {b})",
                            i + 1,
                            j + 1,
                            j + 1,
                            i + 1
                        ),
                    ));
                }
            }
        }
        if !m.is_var() {
            let a: Vec<f64> = (0..n * n).map(|k| self.element_f64(m, k)).collect();
            let mut l = vec![0.0; n * n];
            cholesky_lower(&a, &mut l, n)
                .map_err(|e| EvalError::reject(span, not_positive_definite(e)))?;
            let out = self.scratch(n * n);
            self.workspace.scratch[out.range()].copy_from_slice(&l);
            return Ok(Value::Mat(out, n as u32, n as u32));
        }
        let r = tape_ref_of(m);
        let out = self.workspace.tape.alloc(n * n);
        {
            let mut a = std::mem::take(&mut self.workspace.scalar_buffer);
            let mut l = std::mem::take(&mut self.workspace.scalar_buffer2);
            a.clear();
            a.extend_from_slice(&self.workspace.tape.vals[r.range()]);
            l.clear();
            l.resize(n * n, T::zero());
            let res = cholesky_lower(&a, &mut l, n);
            self.workspace.tape.vals[out.range()].copy_from_slice(&l);
            self.workspace.scalar_buffer = a;
            self.workspace.scalar_buffer2 = l;
            res.map_err(|e| EvalError::reject(span, not_positive_definite(e)))?;
        }
        if self.record() {
            // Jacobian by forward dual sweeps over the lower-triangle inputs.
            let jac = self.workspace.tape.alloc_parts(n * n * n * n);
            let mut a: Vec<Dual<T>> = std::mem::take(&mut self.workspace.dual_buffer);
            let mut l: Vec<Dual<T>> = vec![Dual::from_re(T::zero()); n * n];
            for q in 0..n * n {
                let (qi, qj) = (q / n, q % n);
                if qj > qi {
                    continue;
                }
                a.clear();
                a.extend(
                    self.workspace.tape.vals[r.range()]
                        .iter()
                        .map(|&x| Dual::from_re(x)),
                );
                a[q].eps = T::one();
                l.iter_mut().for_each(|x| *x = Dual::from_re(T::zero()));
                let _ = cholesky_lower(&a, &mut l, n);
                for (p, lp) in l.iter().enumerate() {
                    self.workspace.tape.parts[jac as usize + p * n * n + q] = lp.eps;
                }
            }
            self.workspace.dual_buffer = a;
            self.dense_node(out, &[r], jac);
        }
        Ok(Value::TapeMat(out, n as u32, n as u32))
    }
}

/// The message of a failed `cholesky_decompose`.
fn not_positive_definite(e: NotPositiveDefinite) -> String {
    format!(
        "cholesky_decompose: the matrix is not positive-definite (pivot {} is {})",
        e.pivot + 1,
        e.value
    )
}
