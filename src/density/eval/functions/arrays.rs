//! Stan's array and vector helpers: conversions (`to_vector`,
//! `to_array_1d`), selections (`head`, `tail`, `segment`), constructors
//! (`rep_array`, `linspaced_vector`, `one_hot_vector`), sorting, and the
//! small reductions and constants (`prod`, `variance`, `num_elements`,
//! `log_mix`, `choose`, `is_nan`, `pi()`, ...).

use super::{argument_span, not_here};
use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::eval::tape_ref_of;
use crate::density::eval::workspace::{EvalError, EvalResult};
use crate::density::tape::{Node, Part};
use crate::density::value::{Buf, ConstRef, Dims, Value};
use crate::ir::{BinOp, Expr};
use crate::scalar::Scalar;
use crate::source::Span;

/// Flat positions of a row-major r×c matrix in column-major order.
fn column_major(r: usize, c: usize) -> Vec<usize> {
    (0..c)
        .flat_map(|j| (0..r).map(move |i| i * c + j))
        .collect()
}

impl<T: Scalar> Evaluator<'_, T> {
    /// The helpers of this file; see its documentation.
    pub(super) fn array_function(
        &mut self,
        f: Builtin,
        a: &[Value],
        exprs: &[Expr],
        span: Span,
    ) -> EvalResult<Value> {
        let arg_span = |k: usize| argument_span(exprs, k, span);
        match f {
            Builtin::Pi => Ok(Value::Real(std::f64::consts::PI)),
            Builtin::E => Ok(Value::Real(std::f64::consts::E)),
            Builtin::Sqrt2 => Ok(Value::Real(std::f64::consts::SQRT_2)),
            Builtin::NotANumber => Ok(Value::Real(f64::NAN)),
            Builtin::PositiveInfinity => Ok(Value::Real(f64::INFINITY)),
            Builtin::NegativeInfinity => Ok(Value::Real(f64::NEG_INFINITY)),
            Builtin::MachinePrecision => Ok(Value::Real(f64::EPSILON)),
            Builtin::IsNan => Ok(Value::Int(self.scalar_f64(a[0]).is_nan() as i64)),
            Builtin::IsInf => Ok(Value::Int(self.scalar_f64(a[0]).is_infinite() as i64)),
            Builtin::Choose => {
                let n = self.int_of(a[0], arg_span(0))?;
                let k = self.int_of(a[1], arg_span(1))?;
                choose(n, k)
                    .map(Value::Int)
                    .ok_or_else(|| EvalError::fatal(span, format!("choose({n}, {k}) overflows")))
            }
            Builtin::NumElements => Ok(Value::Int(a[0].len().max(1) as i64)),
            Builtin::Prod => self.prod(a[0]),
            Builtin::Variance => self.variance(a[0], span),
            Builtin::LogMix => self.log_mix(a[0], a[1], span),
            Builtin::LogMix3 => {
                // log_sum_exp(log(theta) + lp1, log1m(theta) + lp2)
                let lt = self.map_unary(Builtin::Log, a[0])?;
                let l1mt = self.map_unary(Builtin::Log1m, a[0])?;
                let x = self.binary(BinOp::Add, lt, a[1], span)?;
                let y = self.binary(BinOp::Add, l1mt, a[2], span)?;
                self.map_binary(Builtin::LogSumExp2, x, y, span)
            }
            Builtin::ToVector | Builtin::ToRowVector | Builtin::ToArray1d => match a[0].dims() {
                Dims::Matrix(r, c) => {
                    Ok(self.gather_positions(a[0], &column_major(r, c), Dims::Vector(r * c)))
                }
                // A 3-d array in row-major order, as Stan: its own storage.
                Dims::Array3(..) => Ok(match a[0] {
                    Value::Arr3(r, _) if r.buf == Buf::IntMatrix => Value::IntArr(ConstRef {
                        buf: Buf::Data,
                        ..r
                    }),
                    Value::Arr3(r, _) => Value::Vec(r),
                    Value::TapeArr3(r, _) => Value::TapeVec(r),
                    v => v,
                }),
                _ if f == Builtin::ToArray1d => Ok(a[0]),
                _ => Ok(self.promote(a[0])),
            },
            Builtin::Head | Builtin::Tail | Builtin::Segment => {
                let len = a[0].len() as i64;
                let (start, n) = match f {
                    Builtin::Head => (1, self.int_of(a[1], arg_span(1))?),
                    Builtin::Tail => {
                        let n = self.int_of(a[1], arg_span(1))?;
                        (len - n + 1, n)
                    }
                    _ => (
                        self.int_of(a[1], arg_span(1))?,
                        self.int_of(a[2], arg_span(2))?,
                    ),
                };
                if n < 0 || start < 1 || start + n - 1 > len {
                    return Err(EvalError::fatal(
                        span,
                        format!(
                            "{}: {n} elements from element {start} do not fit in {len}",
                            f.name()
                        ),
                    ));
                }
                let pos: Vec<usize> = (0..n as usize).map(|k| start as usize - 1 + k).collect();
                Ok(self.gather_positions(a[0], &pos, Dims::Vector(n as usize)))
            }
            Builtin::RepArray => {
                let n = self.int_of(a[1], arg_span(1))?.max(0) as usize;
                if let Value::Int(x) = a[0] {
                    let out = self.int_scratch(n);
                    self.workspace.int_scratch[out.range()].fill(x);
                    return Ok(Value::IntArr(out));
                }
                self.rep(a[0], Dims::Vector(n))
            }
            Builtin::LinspacedVector => {
                let n = self.int_of(a[0], arg_span(0))?.max(0) as usize;
                let (lo, hi) = (self.scalar_f64(a[1]), self.scalar_f64(a[2]));
                let out = self.scratch(n);
                for k in 0..n {
                    let x = match n {
                        1 => hi,
                        _ if k + 1 == n => hi,
                        _ => lo + (hi - lo) * k as f64 / (n - 1) as f64,
                    };
                    self.workspace.scratch[out.off as usize + k] = x;
                }
                Ok(Value::Vec(out))
            }
            Builtin::OneHotVector => {
                let n = self.int_of(a[0], arg_span(0))?;
                let k = self.int_of(a[1], arg_span(1))?;
                if n < 1 || k < 1 || k > n {
                    return Err(EvalError::fatal(
                        span,
                        format!("one_hot_vector({n}, {k}): need 1 <= k <= n"),
                    ));
                }
                let out = self.scratch(n as usize);
                self.workspace.scratch[out.off as usize + k as usize - 1] = 1.0;
                Ok(Value::Vec(out))
            }
            Builtin::SortAsc | Builtin::SortDesc => {
                let n = a[0].len();
                let mut pos: Vec<usize> = (0..n).collect();
                let key: Vec<f64> = (0..n).map(|i| self.element_f64(a[0], i)).collect();
                pos.sort_by(|&i, &j| key[i].total_cmp(&key[j]));
                if f == Builtin::SortDesc {
                    pos.reverse();
                }
                Ok(self.gather_positions(a[0], &pos, a[0].dims()))
            }
            Builtin::SortIndicesAsc | Builtin::SortIndicesDesc => {
                let n = a[0].len();
                let key: Vec<f64> = (0..n).map(|i| self.element_f64(a[0], i)).collect();
                let mut pos: Vec<usize> = (0..n).collect();
                // Stable: equal elements keep the order of their indices.
                if f == Builtin::SortIndicesAsc {
                    pos.sort_by(|&i, &j| key[i].total_cmp(&key[j]));
                } else {
                    pos.sort_by(|&i, &j| key[j].total_cmp(&key[i]));
                }
                let out = self.int_scratch(n);
                for (k, p) in pos.into_iter().enumerate() {
                    self.workspace.int_scratch[out.off as usize + k] = p as i64 + 1;
                }
                Ok(Value::IntArr(out))
            }
            Builtin::Rank => {
                let n = a[0].len();
                let s = self.int_of(a[1], arg_span(1))?;
                if s < 1 || s as usize > n {
                    return Err(EvalError::fatal(
                        arg_span(1),
                        format!("rank(v, {s}): the index must be between 1 and {n}"),
                    ));
                }
                let at = self.element_f64(a[0], s as usize - 1);
                let below = (0..n).filter(|&i| self.element_f64(a[0], i) < at).count();
                Ok(Value::Int(below as i64))
            }
            _ => Err(not_here(f, span)),
        }
    }

    /// The product of the elements; its partials are the products of the
    /// others (prefix times suffix, so zeros are exact).
    fn prod(&mut self, v: Value) -> EvalResult<Value> {
        let n = v.len();
        if let Value::IntArr(r) = v {
            let p = self
                .const_ints(r)
                .iter()
                .try_fold(1i64, |p, &x| p.checked_mul(x));
            return Ok(Value::Int(p.unwrap_or(i64::MAX)));
        }
        if !v.is_var() {
            return Ok(Value::Real(
                (0..n).map(|i| self.element_f64(v, i)).product(),
            ));
        }
        let r = tape_ref_of(v);
        let x = |ev: &Self, i: usize| ev.workspace.tape.vals[r.off as usize + i];
        let total = (0..n).fold(T::one(), |p, i| p * x(self, i));
        let out = self.workspace.tape.push(total);
        if self.record() {
            let p = self.workspace.tape.alloc_parts(n) as usize;
            let mut prefix = T::one();
            for i in 0..n {
                self.workspace.tape.parts[p + i] = prefix;
                prefix *= x(self, i);
            }
            let mut suffix = T::one();
            for i in (0..n).rev() {
                self.workspace.tape.parts[p + i] *= suffix;
                suffix *= x(self, i);
            }
            self.workspace.tape.node(Node::Reduce {
                out,
                inp: r,
                part: Part::Tape(p as u32),
            });
        }
        Ok(Value::TapeReal(out))
    }

    /// Σ (x − x̄)² / (n − 1), with partials 2 (x_i − x̄) / (n − 1).
    fn variance(&mut self, v: Value, span: Span) -> EvalResult<Value> {
        let v = self.promote(v);
        let n = v.len();
        if n < 2 {
            return Err(EvalError::fatal(
                span,
                "variance needs at least two elements",
            ));
        }
        let mean = (0..n).fold(T::zero(), |s, i| s + self.element(v, i)) / n as f64;
        let ss = (0..n).fold(T::zero(), |s, i| {
            let d = self.element(v, i) - mean;
            s + d * d
        });
        let var = ss / (n - 1) as f64;
        if !v.is_var() {
            return Ok(Value::Real(var.re()));
        }
        let out = self.workspace.tape.push(var);
        if self.record() {
            let p = self.workspace.tape.alloc_parts(n);
            for i in 0..n {
                let d = self.element(v, i) - mean;
                self.workspace.tape.parts[p as usize + i] = d * (2.0 / (n - 1) as f64);
            }
            self.workspace.tape.node(Node::Reduce {
                out,
                inp: tape_ref_of(v),
                part: Part::Tape(p),
            });
        }
        Ok(Value::TapeReal(out))
    }

    /// log Σ θ_k exp(λ_k) = log_sum_exp(log θ + λ).
    fn log_mix(&mut self, theta: Value, lps: Value, span: Span) -> EvalResult<Value> {
        if theta.len() != lps.len() {
            return Err(EvalError::fatal(
                span,
                format!(
                    "log_mix: {} weights but {} log densities",
                    theta.len(),
                    lps.len()
                ),
            ));
        }
        let lt = self.map_unary(Builtin::Log, theta)?;
        let s = self.binary(BinOp::Add, lt, lps, span)?;
        self.log_sum_exp(s, span)
    }
}

/// The binomial coefficient, exactly; `None` when it overflows an i64.
fn choose(n: i64, k: i64) -> Option<i64> {
    if k < 0 || n < 0 || k > n {
        return Some(0);
    }
    let k = k.min(n - k);
    let mut c: i128 = 1;
    for i in 0..k {
        c = c * (n - i) as i128 / (i + 1) as i128;
        if c > i64::MAX as i128 {
            return None;
        }
    }
    Some(c as i64)
}
