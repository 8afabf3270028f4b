//! Built-in functions other than element-wise arithmetic: reductions,
//! sizes, vector and matrix constructors, and matrix functions.

use super::ev::Ev;
use super::expr::r_of;
use super::ops::dims_len;
use super::tape::{Node, Part};
use super::value::{Dims, VRef, Val};
use super::workspace::{Rt, RtError};
use crate::builtins::Builtin;
use crate::ir::Expr;
use crate::scalar::linalg::{NotPositiveDefinite, cholesky_lower};
use crate::scalar::{Scalar, log_sum_exp_slice};
use crate::source::Span;
use num_dual::Dual;

impl<T: Scalar> Ev<'_, T> {
    pub fn builtin(&mut self, f: Builtin, a: &[Val], exprs: &[Expr], span: Span) -> Rt<Val> {
        use Builtin as B;
        if f.is_elementwise_unary() {
            return self.map1(f, a[0]);
        }
        let arg_span = |k: usize| exprs.get(k).map(|e| e.span).unwrap_or(span);
        match f {
            B::Pow | B::Fmin | B::Fmax | B::Lbeta | B::LogSumExp2 | B::Min2 | B::Max2 => {
                self.map2(f, a[0], a[1], span)
            }
            B::Sum => Ok(self.sum(a[0])),
            B::Mean => {
                let n = a[0].len();
                if n == 0 {
                    return Err(RtError::fatal(span, "mean of an empty vector"));
                }
                let v = self.promote(a[0]);
                let s = self.sum(v);
                self.elem_mul(s, Val::Real(1.0 / n as f64), span)
            }
            B::Sd => self.sd(a[0], span),
            B::Min | B::Max => self.min_max(f == B::Max, a[0], span),
            B::LogSumExp => self.log_sum_exp(a[0], span),
            B::DotProduct => {
                if a[0].len() != a[1].len() {
                    return Err(RtError::fatal(
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
            B::DotSelf => {
                let p = self.elem_mul(a[0], a[0], span)?;
                Ok(self.sum(p))
            }
            B::Size => Ok(Val::Int(match a[0].dims() {
                Dims::Scalar => 1,
                Dims::Vector(n) => n as i64,
                Dims::Matrix(r, _) => r as i64,
            })),
            B::Rows => Ok(Val::Int(match a[0].dims() {
                Dims::Scalar => 1,
                Dims::Vector(n) => n as i64,
                Dims::Matrix(r, _) => r as i64,
            })),
            B::Cols => Ok(Val::Int(match a[0].dims() {
                Dims::Matrix(_, c) => c as i64,
                _ => 1,
            })),
            B::Col | B::Row => {
                let (r, c) = match a[0].dims() {
                    Dims::Matrix(r, c) => (r, c),
                    d => {
                        return Err(RtError::fatal(
                            arg_span(0),
                            format!("expected a matrix, found {d}"),
                        ));
                    }
                };
                let k = self.int_of(a[1], arg_span(1))?;
                let lim = if f == B::Col { c } else { r };
                if k < 1 || k as usize > lim {
                    return Err(RtError::fatal(
                        arg_span(1),
                        format!("index {k} is out of range for a {r}×{c} matrix"),
                    ));
                }
                let k = k as usize - 1;
                let pos: Vec<usize> = if f == B::Col {
                    (0..r).map(|i| i * c + k).collect()
                } else {
                    (0..c).map(|j| k * c + j).collect()
                };
                let n = pos.len();
                Ok(self.gather_positions(a[0], &pos, Dims::Vector(n)))
            }
            B::Reverse => {
                let n = a[0].len();
                let pos: Vec<usize> = (0..n).rev().collect();
                Ok(self.gather_positions(a[0], &pos, a[0].dims()))
            }
            B::CumulativeSum => self.cumulative_sum(a[0]),
            B::Softmax | B::LogSoftmax => self.softmax(a[0], f == B::LogSoftmax, span),
            B::RepVector => {
                let n = self.int_of(a[1], arg_span(1))?.max(0) as usize;
                self.rep(a[0], Dims::Vector(n))
            }
            B::RepMatrix => {
                let r = self.int_of(a[1], arg_span(1))?.max(0) as usize;
                let c = self.int_of(a[2], arg_span(2))?.max(0) as usize;
                self.rep(a[0], Dims::Matrix(r, c))
            }
            B::AppendRow => self.append_row(a[0], a[1], span),
            B::Transpose => match a[0].dims() {
                Dims::Matrix(r, c) => {
                    let pos: Vec<usize> = (0..c)
                        .flat_map(|j| (0..r).map(move |i| i * c + j))
                        .collect();
                    Ok(self.gather_positions(a[0], &pos, Dims::Matrix(c, r)))
                }
                d => Err(RtError::fatal(
                    span,
                    format!("transpose needs a matrix, found {d}"),
                )),
            },
            B::DiagMatrix => {
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
            B::DiagPreMultiply => {
                let v = self.promote(a[0]);
                let (r, c) = match a[1].dims() {
                    Dims::Matrix(r, c) => (r, c),
                    d => {
                        return Err(RtError::fatal(
                            span,
                            format!("expected a matrix, found {d}"),
                        ));
                    }
                };
                if v.len() != r {
                    return Err(RtError::fatal(
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
            B::CholeskyDecompose => self.cholesky(a[0], span),
            B::MultiplyLowerTriSelfTranspose => {
                let (r, c) = match a[0].dims() {
                    Dims::Matrix(r, c) => (r, c),
                    d => {
                        return Err(RtError::fatal(
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
            _ => Err(RtError::fatal(
                span,
                format!("`{}` cannot be used here", f.name()),
            )),
        }
    }

    /// Like [`Ev::gather_positions`], with `usize::MAX` meaning a zero.
    fn gather_with_zeros(&mut self, v: Val, pos: &[usize], dims: Dims) -> Val {
        if !v.is_var() {
            let out = self.scratch(pos.len());
            for (k, &p) in pos.iter().enumerate() {
                self.ws.scratch[out.off as usize + k] = if p == usize::MAX {
                    0.0
                } else {
                    self.elem_f(v, p)
                };
            }
            return self.const_val(out, dims);
        }
        let r = r_of(v);
        let zero = self.ws.tape.push(T::zero());
        let idx_off = self.ws.tape.idx.len();
        for &p in pos {
            self.ws
                .tape
                .idx
                .push(if p == usize::MAX { zero } else { r.at(p) });
        }
        self.gather_slots(idx_off, pos.len(), dims)
    }

    fn rep(&mut self, x: Val, dims: Dims) -> Rt<Val> {
        let x = self.promote(x);
        let n = dims_len(dims);
        if !x.is_var() {
            let v = self.scalar_f(x);
            let out = self.scratch(n);
            self.ws.scratch[out.range()].fill(v);
            return Ok(self.const_val(out, dims));
        }
        let s = r_of(x).off;
        let out = self.ws.tape.alloc(n);
        let v = self.ws.tape.vals[s as usize];
        self.ws.tape.vals[out.range()].fill(v);
        self.ws.tape.node(Node::BcastIn {
            out,
            inp: s,
            part: Part::One,
        });
        Ok(Self::var_val(out, dims))
    }

    fn append_row(&mut self, a: Val, b: Val, span: Span) -> Rt<Val> {
        let dims = match (a.dims(), b.dims()) {
            (Dims::Matrix(r1, c1), Dims::Matrix(r2, c2)) => {
                if c1 != c2 {
                    return Err(RtError::fatal(
                        span,
                        format!("append_row of matrices with {c1} and {c2} columns"),
                    ));
                }
                Dims::Matrix(r1 + r2, c1)
            }
            (Dims::Matrix(..), _) | (_, Dims::Matrix(..)) => {
                return Err(RtError::fatal(span, "append_row of a matrix and a vector"));
            }
            _ => Dims::Vector(a.len() + b.len()),
        };
        if a.is_int() && b.is_int() {
            let out = self.iscratch(a.len() + b.len());
            for k in 0..a.len() {
                self.ws.iscratch[out.off as usize + k] = self.elem_f(a, k) as i64;
            }
            for k in 0..b.len() {
                self.ws.iscratch[out.off as usize + a.len() + k] = self.elem_f(b, k) as i64;
            }
            return Ok(Val::IntArr(out));
        }
        let a = self.promote(a);
        let b = self.promote(b);
        let n = a.len() + b.len();
        if !a.is_var() && !b.is_var() {
            let out = self.scratch(n);
            for k in 0..a.len() {
                self.ws.scratch[out.off as usize + k] = self.elem_f(a, k);
            }
            for k in 0..b.len() {
                self.ws.scratch[out.off as usize + a.len() + k] = self.elem_f(b, k);
            }
            return Ok(self.const_val(out, dims));
        }
        let ra = self.slots_of(a);
        let rb = self.slots_of(b);
        let idx_off = self.ws.tape.idx.len();
        for k in 0..a.len() {
            self.ws.tape.idx.push(ra.at(k));
        }
        for k in 0..b.len() {
            self.ws.tape.idx.push(rb.at(k));
        }
        Ok(self.gather_slots(idx_off, n, dims))
    }

    fn sd(&mut self, v: Val, span: Span) -> Rt<Val> {
        let v = self.promote(v);
        let n = v.len();
        if n < 2 {
            return Err(RtError::fatal(span, "sd needs at least two elements"));
        }
        let mean = (0..n).fold(T::zero(), |s, i| s + self.elem_t(v, i)) / n as f64;
        let ss = (0..n).fold(T::zero(), |s, i| {
            let d = self.elem_t(v, i) - mean;
            s + d * d
        });
        let sd = (ss / (n - 1) as f64).sqrt();
        if !v.is_var() {
            return Ok(Val::Real(sd.re()));
        }
        let out = self.ws.tape.push(sd);
        if self.record() {
            let p = self.ws.tape.alloc_parts(n);
            for i in 0..n {
                let d = self.elem_t(v, i) - mean;
                self.ws.tape.parts[p as usize + i] = d / (sd * (n - 1) as f64);
            }
            self.ws.tape.node(Node::ReduceOut {
                out,
                inp: r_of(v),
                part: Part::Tape(p),
            });
        }
        Ok(Val::VReal(out))
    }

    fn min_max(&mut self, max: bool, v: Val, span: Span) -> Rt<Val> {
        let n = v.len();
        if n == 0 {
            return Err(RtError::fatal(span, "min/max of an empty vector"));
        }
        let mut best = 0;
        for i in 1..n {
            let (x, b) = (self.elem_f(v, i), self.elem_f(v, best));
            if (max && x > b) || (!max && x < b) {
                best = i;
            }
        }
        Ok(match v {
            Val::IntArr(r) => Val::Int(self.cints(r)[best]),
            Val::VVec(r) | Val::VMat(r, ..) => Val::VReal(r.at(best)),
            Val::Vec(_) | Val::Mat(..) => Val::Real(self.elem_f(v, best)),
            s => s,
        })
    }

    fn log_sum_exp(&mut self, v: Val, span: Span) -> Rt<Val> {
        let v = self.promote(v);
        let n = v.len();
        if n == 0 {
            return Ok(Val::Real(f64::NEG_INFINITY));
        }
        if !v.is_var() {
            let xs: Vec<f64> = (0..n).map(|i| self.elem_f(v, i)).collect();
            return Ok(Val::Real(log_sum_exp_slice(&xs)));
        }
        let r = r_of(v);
        let lse = log_sum_exp_slice(&self.ws.tape.vals[r.range()]);
        let out = self.ws.tape.push(lse);
        if self.record() {
            let p = self.ws.tape.alloc_parts(n);
            for i in 0..n {
                let x = self.ws.tape.vals[r.off as usize + i];
                self.ws.tape.parts[p as usize + i] = (x - lse).exp();
            }
            self.ws.tape.node(Node::ReduceOut {
                out,
                inp: r,
                part: Part::Tape(p),
            });
        }
        let _ = span;
        Ok(Val::VReal(out))
    }

    fn cumulative_sum(&mut self, v: Val) -> Rt<Val> {
        let n = v.len();
        match v {
            Val::IntArr(r) => {
                let out = self.iscratch(n);
                let mut acc = 0i64;
                for k in 0..n {
                    acc += self.cints(r)[k];
                    self.ws.iscratch[out.off as usize + k] = acc;
                }
                Ok(Val::IntArr(out))
            }
            _ if !v.is_var() => {
                let v = self.promote(v);
                let out = self.scratch(n);
                let mut acc = 0.0;
                for k in 0..n {
                    acc += self.elem_f(v, k);
                    self.ws.scratch[out.off as usize + k] = acc;
                }
                Ok(self.const_val(out, v.dims()))
            }
            _ => {
                let r = r_of(v);
                let out = self.ws.tape.alloc(n);
                let mut acc = T::zero();
                for k in 0..n {
                    acc += self.ws.tape.vals[r.off as usize + k];
                    self.ws.tape.vals[out.off as usize + k] = acc;
                }
                self.ws.tape.node(Node::CumSum { out, inp: r.off });
                Ok(Self::var_val(out, v.dims()))
            }
        }
    }

    fn softmax(&mut self, v: Val, log: bool, span: Span) -> Rt<Val> {
        let v = self.promote(v);
        let n = v.len();
        if !matches!(v.dims(), Dims::Vector(_)) || n == 0 {
            return Err(RtError::fatal(span, "softmax needs a non-empty vector"));
        }
        if !v.is_var() {
            let xs: Vec<f64> = (0..n).map(|i| self.elem_f(v, i)).collect();
            let lse = log_sum_exp_slice(&xs);
            let out = self.scratch(n);
            for (k, x) in xs.iter().enumerate() {
                self.ws.scratch[out.off as usize + k] = if log { x - lse } else { (x - lse).exp() };
            }
            return Ok(Val::Vec(out));
        }
        let r = r_of(v);
        let lse = log_sum_exp_slice(&self.ws.tape.vals[r.range()]);
        let out = self.ws.tape.alloc(n);
        for k in 0..n {
            let x = self.ws.tape.vals[r.off as usize + k] - lse;
            self.ws.tape.vals[out.off as usize + k] = if log { x } else { x.exp() };
        }
        if self.record() {
            // d softmax_i / d x_j = s_i (δ_ij − s_j); d log_softmax_i / d x_j = δ_ij − s_j.
            let jac = self.ws.tape.alloc_parts(n * n);
            for i in 0..n {
                let si = (self.ws.tape.vals[r.off as usize + i] - lse).exp();
                for j in 0..n {
                    let sj = (self.ws.tape.vals[r.off as usize + j] - lse).exp();
                    let delta = if i == j { T::one() } else { T::zero() };
                    let d = if log { delta - sj } else { si * (delta - sj) };
                    self.ws.tape.parts[jac as usize + i * n + j] = d;
                }
            }
            self.dense_node(out, &[r], jac);
        }
        Ok(Val::VVec(out))
    }

    /// Records a dense-Jacobian node over the given input ranges.
    pub fn dense_node(&mut self, out: VRef, inputs: &[VRef], jac: u32) {
        let off = self.ws.tape.idx.len() as u32;
        for r in inputs {
            self.ws.tape.idx.push(r.off);
            self.ws.tape.idx.push(r.len);
        }
        self.ws.tape.node(Node::Dense {
            out,
            inputs: off,
            n_inputs: inputs.len() as u32,
            jac,
        });
    }

    fn cholesky(&mut self, m: Val, span: Span) -> Rt<Val> {
        let n = match m.dims() {
            Dims::Matrix(r, c) if r == c => r,
            d => {
                return Err(RtError::fatal(
                    span,
                    format!("cholesky_decompose needs a square matrix, found {d}"),
                ));
            }
        };
        let m = self.promote(m);
        for i in 0..n {
            for j in 0..i {
                let (a, b) = (self.elem_f(m, i * n + j), self.elem_f(m, j * n + i));
                if (a - b).abs() > 1e-8 * (1.0 + a.abs().max(b.abs())) {
                    return Err(RtError::reject(
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
            let a: Vec<f64> = (0..n * n).map(|k| self.elem_f(m, k)).collect();
            let mut l = vec![0.0; n * n];
            cholesky_lower(&a, &mut l, n)
                .map_err(|e| RtError::reject(span, not_positive_definite(e)))?;
            let out = self.scratch(n * n);
            self.ws.scratch[out.range()].copy_from_slice(&l);
            return Ok(Val::Mat(out, n as u32, n as u32));
        }
        let r = r_of(m);
        let out = self.ws.tape.alloc(n * n);
        {
            let mut a = std::mem::take(&mut self.ws.t_buf);
            let mut l = std::mem::take(&mut self.ws.t_buf2);
            a.clear();
            a.extend_from_slice(&self.ws.tape.vals[r.range()]);
            l.clear();
            l.resize(n * n, T::zero());
            let res = cholesky_lower(&a, &mut l, n);
            self.ws.tape.vals[out.range()].copy_from_slice(&l);
            self.ws.t_buf = a;
            self.ws.t_buf2 = l;
            res.map_err(|e| RtError::reject(span, not_positive_definite(e)))?;
        }
        if self.record() {
            // Jacobian by forward dual sweeps over the lower-triangle inputs.
            let jac = self.ws.tape.alloc_parts(n * n * n * n);
            let mut a: Vec<Dual<T>> = std::mem::take(&mut self.ws.dual_buf);
            let mut l: Vec<Dual<T>> = vec![Dual::from_re(T::zero()); n * n];
            for q in 0..n * n {
                let (qi, qj) = (q / n, q % n);
                if qj > qi {
                    continue;
                }
                a.clear();
                a.extend(
                    self.ws.tape.vals[r.range()]
                        .iter()
                        .map(|&x| Dual::from_re(x)),
                );
                a[q].eps = T::one();
                l.iter_mut().for_each(|x| *x = Dual::from_re(T::zero()));
                let _ = cholesky_lower(&a, &mut l, n);
                for (p, lp) in l.iter().enumerate() {
                    self.ws.tape.parts[jac as usize + p * n * n + q] = lp.eps;
                }
            }
            self.ws.dual_buf = a;
            self.dense_node(out, &[r], jac);
        }
        Ok(Val::VMat(out, n as u32, n as u32))
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
