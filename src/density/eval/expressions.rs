//! Expressions: literals, names, calls of user functions, distribution
//! references, vector literals.

use super::Evaluator;
use super::Flow;
use super::workspace::{EvalError, EvalResult};
use crate::density::value::{Dims, LocalValue, Value};
use crate::ir::{BinOp, DistRef, Expr, ExprKind, FnId, UnOp};
use crate::scalar::Scalar;
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    pub fn expr(&mut self, e: &Expr) -> EvalResult<Value> {
        match &e.kind {
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Real(x) => Ok(Value::Real(*x)),
            ExprKind::Data(id) => Ok(self.program.data_vals[id.index()]),
            ExprKind::Param(id) => Ok(self.workspace.params[id.index()]),
            ExprKind::Local(id) => match self.workspace.locals[id.index()] {
                LocalValue::Value(v) => Ok(v),
                _ => self.local(*id, e.span),
            },
            ExprKind::Gen(id) => Ok(self.workspace.gens[id.index()]),
            ExprKind::Binary(op, a, b) if !matches!(op, BinOp::And | BinOp::Or) => {
                let x = self.expr(a)?;
                let y = self.expr(b)?;
                self.binary(*op, x, y, e.span)
            }
            ExprKind::Index(base, idx) => self.index_expr(base, idx, e.span),
            _ => self.expr_cold(e),
        }
    }

    /// The less frequent expression kinds, out of line so that the hot
    /// dispatcher above stays small.
    #[inline(never)]
    pub(super) fn expr_cold(&mut self, e: &Expr) -> EvalResult<Value> {
        match &e.kind {
            ExprKind::Unary(op, a) => {
                let v = self.expr(a)?;
                match op {
                    UnOp::Neg => self.neg(v),
                    UnOp::Not => {
                        if !v.is_scalar() {
                            return Err(EvalError::fatal(e.span, "`!` needs a scalar"));
                        }
                        Ok(Value::Int((self.scalar_f64(v) == 0.0) as i64))
                    }
                }
            }
            ExprKind::Binary(op, a, b) => {
                // `&&` and `||` short-circuit.
                let x = self.expr(a)?;
                let xt = self.scalar_f64(x) != 0.0;
                let r = match op {
                    BinOp::And if !xt => false,
                    BinOp::Or if xt => true,
                    _ => {
                        let y = self.expr(b)?;
                        self.scalar_f64(y) != 0.0
                    }
                };
                Ok(Value::Int(r as i64))
            }
            ExprKind::Cond(c, a, b) => {
                let cv = self.expr(c)?;
                if self.scalar_f64(cv) != 0.0 {
                    self.expr(a)
                } else {
                    self.expr(b)
                }
            }
            ExprKind::Call(f, args) => {
                // The most arguments a built-in takes (`gp_periodic_cov(x1, x2, alpha, rho, p)`).
                let mut buf = [Value::Int(0); 5];
                for (slot, a) in buf.iter_mut().zip(args) {
                    *slot = self.expr(a)?;
                }
                self.builtin(*f, &buf[..args.len().min(5)], args, e.span)
            }
            ExprKind::CallUser(f, args) => {
                if args.len() <= SMALL {
                    let mut buf = [Value::Int(0); SMALL];
                    for (slot, a) in buf.iter_mut().zip(args) {
                        *slot = self.expr(a)?;
                    }
                    self.call_user(*f, &buf[..args.len()], e.span)
                } else {
                    let vals = self.eval_args(args)?;
                    self.call_user(*f, &vals, e.span)
                }
            }
            ExprKind::Lpdf { dist, y, args } => {
                let yv = self.expr(y)?;
                self.dist_ref(*dist, yv, args, e.span)
            }
            ExprKind::Cumulative {
                dist,
                kind,
                y,
                args,
            } => {
                let yv = self.expr(y)?;
                self.cumulative_call(*dist, *kind, yv, args, e.span)
            }
            ExprKind::Rng(d, args) => {
                let vals = self.eval_args(args)?;
                self.rng_call(*d, &vals, e.span)
            }
            ExprKind::VecLit(items) => {
                let vals = self.eval_args(items)?;
                self.vector_literal(&vals, e.span)
            }
            ExprKind::Target => self.target_so_far(e.span),
            _ => self.expr(e),
        }
    }

    /// `target()`: the constant part of the log density plus the sum of
    /// its terms on the tape so far (the Jacobians of the transforms
    /// included).
    fn target_so_far(&mut self, span: Span) -> EvalResult<Value> {
        let constant = Value::Real(self.workspace.lp_const);
        let n = self.workspace.lp_terms.len();
        if n == 0 {
            return Ok(constant);
        }
        let idx_off = self.workspace.tape.idx.len();
        for k in 0..n {
            let slot = self.workspace.lp_terms[k];
            self.workspace.tape.idx.push(slot);
        }
        let terms = self.gather_slots(idx_off, n, Dims::Vector(n));
        let sum = self.sum(terms);
        self.binary(BinOp::Add, sum, constant, span)
    }

    /// Evaluates arguments into a small vector (user calls and literals are
    /// rare on hot paths; built-ins use a reused buffer).
    pub fn eval_args(&mut self, args: &[Expr]) -> EvalResult<Vec<Value>> {
        args.iter().map(|a| self.expr(a)).collect()
    }

    pub(super) fn vector_literal(&mut self, vals: &[Value], span: Span) -> EvalResult<Value> {
        for v in vals {
            if !v.is_scalar() {
                return Err(EvalError::fatal(
                    span,
                    "elements of a vector literal must be scalars",
                ));
            }
        }
        let n = vals.len();
        if !vals.iter().any(Value::is_var) {
            let r = self.scratch(n);
            for (k, v) in vals.iter().enumerate() {
                self.workspace.scratch[r.off as usize + k] = self.scalar_f64(*v);
            }
            return Ok(Value::Vec(r));
        }
        let idx_off = self.workspace.tape.idx.len();
        for v in vals {
            let s = self.slots_of(*v).off;
            self.workspace.tape.idx.push(s);
        }
        Ok(self.gather_slots(idx_off, n, Dims::Vector(n)))
    }

    /// Calls a user (or stdlib) function.
    pub fn call_user(&mut self, f: FnId, args: &[Value], span: Span) -> EvalResult<Value> {
        let func = self.program.model.function(f);
        for (&local, &v) in func.args.iter().zip(args) {
            let decl_ty = self.program.model.local(local).ty;
            let v = if decl_ty.is_int_valued() {
                v
            } else {
                self.promote(v)
            };
            self.workspace.locals[local.index()] = LocalValue::Value(v);
        }
        match self.run(&func.body, false)? {
            Flow::Return(v) => {
                if func.ret.is_int_valued() {
                    Ok(v)
                } else {
                    Ok(self.promote(v))
                }
            }
            Flow::Normal | Flow::Break | Flow::Continue => Err(EvalError::fatal(
                span,
                format!("function `{}` ended without `return`", func.name),
            )),
        }
    }

    /// `lhs ~ dist(args)` and `dist_lpdf(lhs | args)`.
    pub fn dist_ref(
        &mut self,
        d: DistRef,
        y: Value,
        args: &[Expr],
        span: Span,
    ) -> EvalResult<Value> {
        if args.len() + 1 > SMALL {
            return Err(EvalError::fatal(span, "too many arguments"));
        }
        let mut buf = [Value::Int(0); SMALL];
        buf[0] = y;
        // A long data matrix times a parameter vector as the argument of
        // a univariate density: one pass over its rows (see `linear`).
        let fuse = match d {
            DistRef::Builtin(id) if id.is_univariate() && self.record() => {
                args.iter().position(super::linear::looks_linear)
            }
            _ => None,
        };
        let mut linear = None;
        for (j, (slot, a)) in buf[1..].iter_mut().zip(args).enumerate() {
            if fuse == Some(j) {
                match self.linear_or_value(a)? {
                    Ok(l) => linear = Some(l),
                    Err(v) => *slot = v,
                }
            } else {
                *slot = self.expr(a)?;
            }
        }
        let vals = &buf[..args.len() + 1];
        if let (Some(l), Some(j), DistRef::Builtin(id)) = (linear, fuse, d) {
            if vals.len() == id.spec().args.len() + 1 {
                return self.dist_call_linear(id, vals, j + 1, l, span);
            }
        }
        match d {
            DistRef::Builtin(id) => self.dist_call(id, vals, span),
            DistRef::User(f) => {
                let v = self.call_user(f, vals, span)?;
                Ok(self.promote(v))
            }
        }
    }

    /// Evaluates an expression that the checker typed as a constant int.
    pub fn expr_int(&mut self, e: &Expr) -> EvalResult<i64> {
        if let Some(i) = self.index_arithmetic(e) {
            return Ok(i);
        }
        let v = self.expr(e)?;
        self.int_of(v, e.span)
    }

    /// Index arithmetic (`i`, `t - 1`, `K + j`) without the general
    /// machinery; `None` when the expression is anything else.
    #[inline]
    pub(super) fn index_arithmetic(&self, e: &Expr) -> Option<i64> {
        match &e.kind {
            ExprKind::Int(i) => Some(*i),
            ExprKind::Local(id) => match self.workspace.locals[id.index()] {
                LocalValue::Value(Value::Int(i)) => Some(i),
                _ => None,
            },
            ExprKind::Data(id) => match self.program.data_vals[id.index()] {
                Value::Int(i) => Some(i),
                _ => None,
            },
            ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul), a, b) => {
                let (x, y) = (self.index_arithmetic(a)?, self.index_arithmetic(b)?);
                match op {
                    BinOp::Add => x.checked_add(y),
                    BinOp::Sub => x.checked_sub(y),
                    _ => x.checked_mul(y),
                }
            }
            _ => None,
        }
    }
}

/// Arguments of calls are evaluated into a stack array of this size.
const SMALL: usize = 8;
