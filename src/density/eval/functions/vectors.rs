//! Functions of whole vectors: sums and means, spreads, extremes,
//! log-sum-exp, dot products, running sums and softmax.

use super::not_here;
use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::eval::tape_ref_of;
use crate::density::eval::workspace::{EvalError, EvalResult};
use crate::density::tape::{Node, Part};
use crate::density::value::{Dims, Value};
use crate::scalar::{Scalar, log_sum_exp_slice};
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    /// Reductions and other functions of a whole vector.
    pub(super) fn vector_function(
        &mut self,
        f: Builtin,
        a: &[Value],

        span: Span,
    ) -> EvalResult<Value> {
        match f {
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
            Builtin::CumulativeSum => self.cumulative_sum(a[0]),
            Builtin::Softmax | Builtin::LogSoftmax => {
                self.softmax(a[0], f == Builtin::LogSoftmax, span)
            }
            _ => Err(not_here(f, span)),
        }
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
}
