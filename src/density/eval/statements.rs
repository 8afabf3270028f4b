//! Statements: runs of statements, `var` declarations, assignments and
//! contributions to the log density.

use super::Evaluator;
use super::Flow;
use super::workspace::{EvalError, EvalResult};
use crate::density::dataloop;
use crate::density::value::{Dims, LocalValue, Slot, Value, element_count};
use crate::ir::{AssignOp, Elem, Expr, LocalId, Shape, Stmt, StmtKind};
use crate::scalar::Scalar;
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    /// Runs a list of statements; `top` marks the model's top level, where
    /// statements already run at bind time are skipped.
    pub fn run(&mut self, stmts: &[Stmt], top: bool) -> EvalResult<Flow> {
        for (k, s) in stmts.iter().enumerate() {
            if top && self.program.static_stmt.get(k).copied().unwrap_or(false) {
                continue;
            }
            // Constant scalar assignments (loops over data) skip the
            // general machinery.
            if let StmtKind::Assign {
                target,
                indices,
                op,
                value,
            } = &s.kind
            {
                if self.assign_constant(*target, indices, *op, value) {
                    continue;
                }
            }
            match self.stmt(s)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    pub fn stmt(&mut self, s: &Stmt) -> EvalResult<Flow> {
        match &s.kind {
            StmtKind::Let { local, value } => {
                let v = self.expr(value)?;
                self.workspace.locals[local.index()] = LocalValue::Value(v);
            }
            StmtKind::Var {
                local,
                elem,
                shape,
                init,
            } => self.declare_var(*local, *elem, shape, init.as_ref(), s.span)?,
            StmtKind::Assign {
                target,
                indices,
                op,
                value,
            } => self.assign(*target, indices, *op, value, s.span)?,
            StmtKind::Tilde { lhs, dist, args } => {
                let y = self.expr(lhs)?;
                let lp = self.dist_ref(*dist, y, args, s.span)?;
                self.add_target(lp, s.span);
            }
            StmtKind::TargetAdd(e) => {
                let v = self.expr(e)?;
                let v = self.promote(v);
                let v = if v.is_scalar() { v } else { self.sum(v) };
                self.add_target(v, s.span);
            }
            StmtKind::For { var, lo, hi, body } => {
                let lo_v = self.expr(lo)?;
                let lo_i = self.int_of(lo_v, lo.span)?;
                let hi_v = self.expr(hi)?;
                let hi_i = self.int_of(hi_v, hi.span)?;
                // Without a tape, a body of constant scalar assignments
                // (a loop over data) runs from translated code.
                if !self.record() && hi_i >= lo_i {
                    if let Some(code) = dataloop::translate(body, &self.program.data_vals) {
                        self.run_translated(*var, lo_i, hi_i, body, &code)?;
                        return Ok(Flow::Normal);
                    }
                }
                let mut i = lo_i;
                while i <= hi_i {
                    self.workspace.locals[var.index()] = LocalValue::Value(Value::Int(i));
                    match self.run(body, false)? {
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                    }
                    i += 1;
                }
            }
            StmtKind::While { cond, body } => return self.while_loop(cond, body),
            StmtKind::Break => return Ok(Flow::Break),
            StmtKind::Continue => return Ok(Flow::Continue),
            StmtKind::Print(items) => self.print(items)?,
            StmtKind::Reject(items) => {
                let message = self.message(items)?;
                return Err(EvalError::reject(s.span, format!("rejected: {message}")));
            }
            StmtKind::If { cond, then, els } => {
                let c = self.expr(cond)?;
                let branch = if self.scalar_f64(c) != 0.0 { then } else { els };
                return self.run(branch, false);
            }
            StmtKind::Block(body) => return self.run(body, false),
            StmtKind::Gen { id, value } => {
                if self.generate {
                    let v = self.expr(value)?;
                    self.workspace.gens[id.index()] = v;
                }
            }
            StmtKind::GenBlock { body, outputs } => {
                if self.generate {
                    self.run(body, false)?;
                    for &(local, id) in outputs {
                        let v = self.local(local, s.span)?;
                        self.workspace.gens[id.index()] = v;
                    }
                }
            }
            StmtKind::Return(e) => {
                let v = self.expr(e)?;
                return Ok(Flow::Return(v));
            }
        }
        Ok(Flow::Normal)
    }

    /// Adds a scalar contribution to the log density.
    pub fn add_target(&mut self, v: Value, span: Span) {
        let x = self.scalar_f64(v);
        if !x.is_finite() && self.workspace.nonfinite_at.is_none() {
            self.workspace.nonfinite_at = Some((span, x));
        }
        match v {
            Value::TapeReal(s) => self.workspace.lp_terms.push(s),
            _ => self.workspace.lp_const += x,
        }
    }

    pub(super) fn declare_var(
        &mut self,
        local: LocalId,
        elem: Elem,
        shape: &Shape,
        init: Option<&Expr>,
        span: Span,
    ) -> EvalResult<()> {
        let dims = match shape {
            Shape::Scalar => Dims::Scalar,
            Shape::Vector(n) => Dims::Vector(self.size_expr(n)?),
            Shape::Matrix(r, c) => Dims::Matrix(self.size_expr(r)?, self.size_expr(c)?),
            Shape::Array3(j, k, l) => {
                Dims::Array3(self.size_expr(j)?, self.size_expr(k)?, self.size_expr(l)?)
            }
        };
        let n = element_count(dims);
        let off = self.workspace.slots.len();
        self.workspace.slots.resize(off + n, Slot::Unset);
        self.workspace.locals[local.index()] = LocalValue::Var {
            off: off as u32,
            dims,
            int: elem == Elem::Int,
        };
        if let Some(e) = init {
            let v = self.expr(e)?;
            self.store_whole(local, v, span)?;
        }
        Ok(())
    }

    /// Evaluates a size expression (a non-negative int).
    pub fn size_expr(&mut self, e: &Expr) -> EvalResult<usize> {
        let v = self.expr(e)?;
        let n = self.int_of(v, e.span)?;
        usize::try_from(n).map_err(|_| {
            EvalError::fatal(e.span, format!("a size must not be negative, found {n}"))
        })
    }

    pub(super) fn assign(
        &mut self,
        target: LocalId,
        indices: &[Expr],
        op: AssignOp,
        value: &Expr,
        span: Span,
    ) -> EvalResult<()> {
        let v = self.expr(value)?;
        if indices.is_empty() {
            let v = match op {
                AssignOp::Set => v,
                AssignOp::Add => {
                    let old = self.read_var(target, span)?;
                    self.add(old, v, span)?
                }
            };
            return self.store_whole(target, v, span);
        }
        let (off, dims, int) = self.var_info(target, span)?;
        let mut idx = [0usize; 3];
        let sizes = dims.sizes();
        for (q, ie) in indices.iter().enumerate() {
            let iv = self.expr(ie)?;
            let i = self.int_of(iv, ie.span)?;
            let n = sizes.get(q).copied().unwrap_or(0);
            if i < 1 || i as usize > n {
                return Err(EvalError::fatal(
                    ie.span,
                    format!(
                        "index {i} is out of range for `{}` ({dims})",
                        self.program.model.local(target).name
                    ),
                ));
            }
            idx[q] = i as usize - 1;
        }
        let k = match (dims, indices.len()) {
            (Dims::Matrix(_, c), 1) => {
                let row = Dims::Vector(c);
                return self.assign_block(target, off + idx[0] * c, row, op, v, span);
            }
            (Dims::Array3(_, r, c), 1) => {
                let block = Dims::Matrix(r, c);
                return self.assign_block(target, off + idx[0] * r * c, block, op, v, span);
            }
            (Dims::Array3(_, r, c), 2) => {
                let row = Dims::Vector(c);
                let start = off + (idx[0] * r + idx[1]) * c;
                return self.assign_block(target, start, row, op, v, span);
            }
            (Dims::Vector(_), 1) => idx[0],
            (Dims::Matrix(_, c), 2) => idx[0] * c + idx[1],
            (Dims::Array3(_, r, c), 3) => (idx[0] * r + idx[1]) * c + idx[2],
            _ => {
                return Err(EvalError::fatal(
                    span,
                    format!("{} indices do not fit {dims}", indices.len()),
                ));
            }
        };
        let v = match op {
            AssignOp::Set => v,
            AssignOp::Add => {
                let old = self.read_slot(off + k, target, span)?;
                self.add(old, v, span)?
            }
        };
        let v = if int { v } else { self.promote(v) };
        self.store_slot(off + k, v, int, span)
    }

    /// `X[i] (=|+=) v` (a row of a matrix var) and `z[j] = M`, `z[j, k] = v`
    /// (a matrix or a row of a 3-d array var): the block of shape `want`
    /// whose elements start at slot `start`.
    fn assign_block(
        &mut self,
        target: LocalId,
        start: usize,
        want: Dims,
        op: AssignOp,
        v: Value,
        span: Span,
    ) -> EvalResult<()> {
        let v = self.promote(v);
        if v.dims() != want {
            let name = &self.program.model.local(target).name;
            let part = match want {
                Dims::Vector(n) => format!("a row of `{name}` has {n} elements"),
                _ => format!("a matrix of `{name}` is {want}"),
            };
            return Err(EvalError::fatal(
                span,
                format!("{part} but the value assigned is {}", v.dims()),
            ));
        }
        for j in 0..element_count(want) {
            let element = match v {
                Value::Vec(r) | Value::Mat(r, ..) => Value::Real(self.const_reals(r)[j]),
                Value::TapeVec(r) | Value::TapeMat(r, ..) => Value::TapeReal(r.at(j)),
                other => other,
            };
            let element = match op {
                AssignOp::Set => element,
                AssignOp::Add => {
                    let old = self.read_slot(start + j, target, span)?;
                    self.add(old, element, span)?
                }
            };
            self.store_slot(start + j, element, false, span)?;
        }
        Ok(())
    }
}
