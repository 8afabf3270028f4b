//! Cumulative distribution functions (`_cdf`, `_lcdf`, `_lccdf`) and the
//! normalising term of truncated `~` statements.

use super::workspace::{EvalError, EvalResult};
use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::value::Value;
use crate::dist::{Cumulative, DistId, Univariate, UnivariateVisitor};
use crate::ir::{BinOp, Expr};
use crate::scalar::Scalar;
use crate::source::Span;

/// Arguments of a cumulative call are evaluated into a stack array of this size.
const SMALL: usize = 8;

struct CumulativeCall<'e, 'a, T: Scalar> {
    ev: &'e mut Evaluator<'a, T>,
    vals: &'e [Value],
    span: Span,
    kind: Cumulative,
}

impl<T: Scalar> UnivariateVisitor for CumulativeCall<'_, '_, T> {
    type Output = EvalResult<Value>;
    fn visit<D: Univariate>(self) -> EvalResult<Value> {
        self.ev
            .univariate_summed::<D>(self.vals, self.span, Some(self.kind))
    }
}

impl<T: Scalar> Evaluator<'_, T> {
    /// `name_cdf(y | args)` and its kin, or the normalising term of a
    /// truncated `~` (`args` = `[L, U, dist args]`).
    pub fn cumulative_call(
        &mut self,
        id: DistId,
        kind: Cumulative,
        y: Value,
        args: &[Expr],
        span: Span,
    ) -> EvalResult<Value> {
        let leading = usize::from(kind != Cumulative::Truncation);
        let count = args.len() + leading;
        if count > SMALL {
            return Err(EvalError::fatal(span, "too many arguments"));
        }
        let mut buf = [Value::Int(0); SMALL];
        buf[0] = y;
        for (slot, a) in buf[leading..].iter_mut().zip(args) {
            *slot = self.expr(a)?;
        }
        let vals = &buf[..count];
        if kind == Cumulative::Truncation {
            return self.truncation(id, y, vals, span);
        }
        let summed = self.visit_cumulative(id, kind, vals, span)?;
        if kind == Cumulative::Cdf {
            return self.map_unary(Builtin::Exp, summed);
        }
        Ok(summed)
    }

    fn visit_cumulative(
        &mut self,
        id: DistId,
        kind: Cumulative,
        vals: &[Value],
        span: Span,
    ) -> EvalResult<Value> {
        id.visit_univariate(CumulativeCall {
            ev: self,
            vals,
            span,
            kind,
        })
        .unwrap_or_else(|| {
            Err(EvalError::fatal(
                span,
                format!("`{}` has no cumulative distribution function", id.name()),
            ))
        })
    }

    /// −Σ log(F(U) − F(L)) for `y ~ dist(...) T[L, U]`, after checking that
    /// every element of `y` lies within the bounds.
    fn truncation(
        &mut self,
        id: DistId,
        y: Value,
        vals: &[Value],
        span: Span,
    ) -> EvalResult<Value> {
        let name = id.name();
        let (lower, upper) = (self.scalar_f64(vals[0]), self.scalar_f64(vals[1]));
        if lower.is_nan() || upper.is_nan() || lower > upper {
            return Err(EvalError::reject(
                span,
                format!(
                    "{name} truncated to [{lower}, {upper}]: the lower bound must not be above the upper bound"
                ),
            ));
        }
        for i in 0..y.len() {
            let v = self.element_f64(y, i);
            let which = if y.is_scalar() {
                "the variate".to_string()
            } else {
                format!("element {} of the variate", i + 1)
            };
            if v < lower || v > upper || v.is_nan() {
                return Err(EvalError::reject(
                    span,
                    format!(
                        "{name} truncated to [{lower}, {upper}]: {which} = {v} lies outside the bounds, so its density is zero"
                    ),
                ));
            }
        }
        let mass = self.visit_cumulative(id, Cumulative::Truncation, vals, span)?;
        let mass_f = self.scalar_f64(mass);
        if mass_f.is_nan() || mass_f == f64::NEG_INFINITY {
            return Err(EvalError::reject(
                span,
                format!(
                    "{name} truncated to [{lower}, {upper}]: the distribution gives the interval no mass at these parameter values"
                ),
            ));
        }
        let negated = self.neg(mass)?;
        // Arguments that are all scalars give one term, shared by every element of `y`.
        let repeats = if vals[2..].iter().all(Value::is_scalar) {
            y.len()
        } else {
            1
        };
        if repeats == 1 {
            return Ok(negated);
        }
        self.binary(BinOp::Mul, negated, Value::Real(repeats as f64), span)
    }
}
