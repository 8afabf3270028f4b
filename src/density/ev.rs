//! The evaluator: runs the statements of a bound model on one workspace,
//! recording the tape as it goes.

use super::program::Program;
use super::value::{Buf, ConstRef, Dims, TapeRef, Value};
use super::workspace::{EvalError, EvalResult, LocalValue, Slot, Workspace};
use crate::ir::{AssignOp, BinOp, Elem, Expr, ExprKind, LocalId, Shape, Stmt, StmtKind};
use crate::scalar::Scalar;
use crate::source::Span;

/// What a run of statements ended with.
pub enum Flow {
    Normal,
    Return(Value),
}

/// Evaluation context: the bound model and one workspace.
pub struct Evaluator<'a, T: Scalar> {
    pub program: &'a Program,
    pub workspace: &'a mut Workspace<T>,
    /// Evaluate `gen` statements and allow `_rng` calls.
    pub generate: bool,
}

impl<'a, T: Scalar> Evaluator<'a, T> {
    pub fn new(
        program: &'a Program,
        workspace: &'a mut Workspace<T>,
        generate: bool,
    ) -> Evaluator<'a, T> {
        Evaluator {
            program,
            workspace,
            generate,
        }
    }

    pub fn record(&self) -> bool {
        self.workspace.tape.record
    }

    /// The reals a constant vector/matrix refers to.
    pub fn const_reals(&self, r: ConstRef) -> &[f64] {
        match r.buf {
            Buf::Data => &self.program.reals[r.range()],
            Buf::IntMirror => &self.program.int_mirror[r.range()],
            Buf::Scratch => &self.workspace.scratch[r.range()],
        }
    }

    /// The ints an int array refers to.
    pub fn const_ints(&self, r: ConstRef) -> &[i64] {
        match r.buf {
            Buf::Data | Buf::IntMirror => &self.program.ints[r.range()],
            Buf::Scratch => &self.workspace.int_scratch[r.range()],
        }
    }

    /// A new scratch range of `n` reals.
    pub fn scratch(&mut self, n: usize) -> ConstRef {
        let off = self.workspace.scratch.len();
        self.workspace.scratch.resize(off + n, 0.0);
        ConstRef::new(Buf::Scratch, off, n)
    }

    pub fn int_scratch(&mut self, n: usize) -> ConstRef {
        let off = self.workspace.int_scratch.len();
        self.workspace.int_scratch.resize(off + n, 0);
        ConstRef::new(Buf::Scratch, off, n)
    }

    /// An int array viewed as reals (no copy for bound data).
    pub fn int_as_reals(&mut self, r: ConstRef) -> ConstRef {
        match r.buf {
            Buf::Data | Buf::IntMirror => ConstRef {
                buf: Buf::IntMirror,
                ..r
            },
            Buf::Scratch => {
                let out = self.scratch(r.len as usize);
                for i in 0..r.len as usize {
                    self.workspace.scratch[out.off as usize + i] =
                        self.workspace.int_scratch[r.off as usize + i] as f64;
                }
                out
            }
        }
    }

    /// Ints promoted to reals; everything else unchanged.
    pub fn promote(&mut self, v: Value) -> Value {
        match v {
            Value::Int(i) => Value::Real(i as f64),
            Value::IntArr(r) => Value::Vec(self.int_as_reals(r)),
            v => v,
        }
    }

    /// The real value of a scalar (derivative parts dropped: for branching,
    /// sizes and messages only).
    pub fn scalar_f64(&self, v: Value) -> f64 {
        match v {
            Value::Int(i) => i as f64,
            Value::Real(x) => x,
            Value::TapeReal(s) => self.workspace.tape.vals[s as usize].re(),
            _ => f64::NAN,
        }
    }

    /// Element `i` of a (flattened) real value, as `T`.
    pub fn element(&self, v: Value, i: usize) -> T {
        match v {
            Value::Int(k) => T::from(k as f64),
            Value::Real(x) => T::from(x),
            Value::TapeReal(s) => self.workspace.tape.vals[s as usize],
            Value::IntArr(r) => T::from(self.const_ints(r)[i] as f64),
            Value::Vec(r) | Value::Mat(r, ..) => T::from(self.const_reals(r)[i]),
            Value::TapeVec(r) | Value::TapeMat(r, ..) => {
                self.workspace.tape.vals[r.off as usize + i]
            }
        }
    }

    /// Element `i` of a value as f64.
    pub fn element_f64(&self, v: Value, i: usize) -> f64 {
        match v {
            Value::Int(k) => k as f64,
            Value::Real(x) => x,
            Value::TapeReal(s) => self.workspace.tape.vals[s as usize].re(),
            Value::IntArr(r) => self.const_ints(r)[i] as f64,
            Value::Vec(r) | Value::Mat(r, ..) => self.const_reals(r)[i],
            Value::TapeVec(r) | Value::TapeMat(r, ..) => {
                self.workspace.tape.vals[r.off as usize + i].re()
            }
        }
    }

    /// The tape slots of a value, pushing constants as leaves when needed.
    pub fn slots_of(&mut self, v: Value) -> TapeRef {
        match v {
            Value::TapeReal(s) => TapeRef::new(s as usize, 1),
            Value::TapeVec(r) | Value::TapeMat(r, ..) => r,
            _ => {
                let n = v.len();
                let out = self.workspace.tape.alloc(n);
                for i in 0..n {
                    let x = self.element_f64(v, i);
                    self.workspace.tape.vals[out.off as usize + i] = T::from(x);
                }
                out
            }
        }
    }

    /// A value with the given dims living in tape slots `r`.
    pub fn tape_value(r: TapeRef, dims: Dims) -> Value {
        match dims {
            Dims::Scalar => Value::TapeReal(r.off),
            Dims::Vector(_) => Value::TapeVec(r),
            Dims::Matrix(a, b) => Value::TapeMat(r, a as u32, b as u32),
        }
    }

    /// A value with the given dims in constant reals `r`.
    pub fn const_value(&self, r: ConstRef, dims: Dims) -> Value {
        match dims {
            Dims::Scalar => Value::Real(self.const_reals(r)[0]),
            Dims::Vector(_) => Value::Vec(r),
            Dims::Matrix(a, b) => Value::Mat(r, a as u32, b as u32),
        }
    }

    pub fn int_of(&self, v: Value, span: Span) -> EvalResult<i64> {
        match v {
            Value::Int(i) => Ok(i),
            _ => Err(EvalError::fatal(span, "expected an integer")),
        }
    }

    // ------------------------------------------------------------ statements

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
                if self.fast_assign(*target, indices, *op, value) {
                    continue;
                }
            }
            if let Flow::Return(v) = self.stmt(s)? {
                return Ok(Flow::Return(v));
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
                    if let Some(mut code) = super::fast::translate(body, &self.program.data_vals) {
                        self.run_translated(*var, lo_i, hi_i, body, &mut code)?;
                        return Ok(Flow::Normal);
                    }
                }
                let mut i = lo_i;
                while i <= hi_i {
                    self.workspace.locals[var.index()] = LocalValue::Value(Value::Int(i));
                    if let Flow::Return(v) = self.run(body, false)? {
                        return Ok(Flow::Return(v));
                    }
                    i += 1;
                }
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

    fn declare_var(
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
        };
        let n = match dims {
            Dims::Scalar => 1,
            Dims::Vector(n) => n,
            Dims::Matrix(r, c) => r * c,
        };
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

    fn var_info(&self, local: LocalId, span: Span) -> EvalResult<(usize, Dims, bool)> {
        match self.workspace.locals[local.index()] {
            LocalValue::Var { off, dims, int } => Ok((off as usize, dims, int)),
            _ => Err(EvalError::fatal(
                span,
                format!(
                    "`{}` is assigned before its declaration ran",
                    self.program.model.local(local).name
                ),
            )),
        }
    }

    /// Stores a scalar into slot `k` of a var.
    fn store_slot(&mut self, k: usize, v: Value, int: bool, span: Span) -> EvalResult<()> {
        self.workspace.slots[k] = match v {
            Value::Int(i) => {
                if int {
                    Slot::Int(i)
                } else {
                    Slot::Real(i as f64)
                }
            }
            Value::Real(x) if !int => Slot::Real(x),
            Value::TapeReal(s) if !int => Slot::Var(s),
            _ => {
                return Err(EvalError::fatal(
                    span,
                    format!("cannot store {} in an element of this var", v.dims()),
                ));
            }
        };
        Ok(())
    }

    fn store_whole(&mut self, local: LocalId, v: Value, span: Span) -> EvalResult<()> {
        let (off, dims, int) = self.var_info(local, span)?;
        let v = if int { v } else { self.promote(v) };
        if v.dims() != dims {
            // A scalar initialises every element (`var acc: real[N] = 0`).
            if v.is_scalar() {
                let n = match dims {
                    Dims::Scalar => 1,
                    Dims::Vector(n) => n,
                    Dims::Matrix(r, c) => r * c,
                };
                for k in 0..n {
                    self.store_slot(off + k, v, int, span)?;
                }
                return Ok(());
            }
            return Err(EvalError::fatal(
                span,
                format!(
                    "`{}` is {dims} but the value assigned is {}",
                    self.program.model.local(local).name,
                    v.dims()
                ),
            ));
        }
        for k in 0..v.len() {
            let e = match v {
                Value::IntArr(r) => Value::Int(self.const_ints(r)[k]),
                Value::Vec(r) | Value::Mat(r, ..) => Value::Real(self.const_reals(r)[k]),
                Value::TapeVec(r) | Value::TapeMat(r, ..) => Value::TapeReal(r.at(k)),
                s => s,
            };
            self.store_slot(off + k, e, int, span)?;
        }
        Ok(())
    }

    fn assign(
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
        let mut idx = [0usize; 2];
        for (q, ie) in indices.iter().enumerate() {
            let iv = self.expr(ie)?;
            let i = self.int_of(iv, ie.span)?;
            let n = match (dims, q) {
                (Dims::Vector(n), 0) => n,
                (Dims::Matrix(r, _), 0) => r,
                (Dims::Matrix(_, c), 1) => c,
                _ => 0,
            };
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
            (Dims::Vector(_), 1) => idx[0],
            (Dims::Matrix(_, c), 2) => idx[0] * c + idx[1],
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

    /// One element of a var.
    pub fn read_slot(&mut self, k: usize, local: LocalId, span: Span) -> EvalResult<Value> {
        match self.workspace.slots[k] {
            Slot::Unset => Err(EvalError::fatal(
                span,
                format!(
                    "`{}` is read before it was assigned",
                    self.program.model.local(local).name
                ),
            )),
            Slot::Int(i) => Ok(Value::Int(i)),
            Slot::Real(x) => Ok(Value::Real(x)),
            Slot::Var(s) => Ok(Value::TapeReal(s)),
        }
    }

    /// The whole value of a var (packed onto the tape when any element
    /// depends on parameters).
    #[inline(never)]
    pub fn read_var(&mut self, local: LocalId, span: Span) -> EvalResult<Value> {
        let (off, dims, int) = self.var_info(local, span)?;
        if dims == Dims::Scalar {
            return self.read_slot(off, local, span);
        }
        let n = match dims {
            Dims::Vector(n) => n,
            Dims::Matrix(r, c) => r * c,
            Dims::Scalar => 1,
        };
        let mut any_var = false;
        for k in 0..n {
            match self.workspace.slots[off + k] {
                Slot::Unset => {
                    return Err(EvalError::fatal(
                        span,
                        format!(
                            "`{}[{}]` is read before it was assigned",
                            self.program.model.local(local).name,
                            k + 1
                        ),
                    ));
                }
                Slot::Var(_) => any_var = true,
                _ => {}
            }
        }
        let ws = &mut *self.workspace;
        let slots = &ws.slots[off..off + n];
        if int {
            let r = ConstRef::new(Buf::Scratch, ws.int_scratch.len(), n);
            ws.int_scratch.extend(slots.iter().map(|s| match *s {
                Slot::Int(i) => i,
                _ => 0,
            }));
            return Ok(Value::IntArr(r));
        }
        if !any_var {
            let r = ConstRef::new(Buf::Scratch, ws.scratch.len(), n);
            ws.scratch.extend(slots.iter().map(|s| match *s {
                Slot::Real(x) => x,
                _ => 0.0,
            }));
            return Ok(self.const_value(r, dims));
        }
        // Pack: gather the element slots (constants become leaves).
        let idx_off = self.workspace.tape.idx.len();
        for k in 0..n {
            let s = match self.workspace.slots[off + k] {
                Slot::Var(s) => s,
                Slot::Real(x) => self.workspace.tape.push(T::from(x)),
                Slot::Int(i) => self.workspace.tape.push(T::from(i as f64)),
                Slot::Unset => unreachable!("checked above"),
            };
            self.workspace.tape.idx.push(s);
        }
        Ok(self.gather_slots(idx_off, n, dims))
    }

    /// A new var value whose elements copy the slots listed in the tape's
    /// index arena from `idx_off`.
    pub fn gather_slots(&mut self, idx_off: usize, n: usize, dims: Dims) -> Value {
        let out = self.workspace.tape.alloc(n);
        for j in 0..n {
            let s = self.workspace.tape.idx[idx_off + j] as usize;
            self.workspace.tape.vals[out.off as usize + j] = self.workspace.tape.vals[s];
        }
        self.workspace.tape.node(super::tape::Node::Gather {
            out,
            idx: idx_off as u32,
        });
        Self::tape_value(out, dims)
    }

    /// The value of a `Local` expression.
    #[inline(never)]
    pub fn local(&mut self, id: LocalId, span: Span) -> EvalResult<Value> {
        match self.workspace.locals[id.index()] {
            LocalValue::Value(v) => Ok(v),
            LocalValue::Var { .. } => self.read_var(id, span),
            LocalValue::Unset => match self.program.const_locals.get(id.index()).copied().flatten()
            {
                Some(v) => Ok(v),
                None => Err(EvalError::fatal(
                    span,
                    format!(
                        "`{}` is used before it has a value",
                        self.program.model.local(id).name
                    ),
                )),
            },
        }
    }

    /// Evaluates an expression that the checker typed as a constant int.
    pub fn expr_int(&mut self, e: &Expr) -> EvalResult<i64> {
        if let Some(i) = self.int_fast(e) {
            return Ok(i);
        }
        let v = self.expr(e)?;
        self.int_of(v, e.span)
    }

    /// Index arithmetic (`i`, `t - 1`, `K + j`) without the general
    /// machinery; `None` when the expression is anything else.
    #[inline]
    fn int_fast(&self, e: &Expr) -> Option<i64> {
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
                let (x, y) = (self.int_fast(a)?, self.int_fast(b)?);
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
