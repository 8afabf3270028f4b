//! The evaluator: runs the statements of a bound model on one workspace,
//! recording the tape as it goes.

use super::program::Program;
use super::value::{Buf, CRef, Dims, VRef, Val};
use super::workspace::{LocalVal, Rt, RtError, Slot, Workspace};
use crate::ir::{AssignOp, BinOp, Elem, Expr, ExprKind, LocalId, Shape, Stmt, StmtKind};
use crate::scalar::Scalar;
use crate::source::Span;

/// What a run of statements ended with.
pub enum Flow {
    Normal,
    Return(Val),
}

/// Evaluation context: the bound model and one workspace.
pub struct Ev<'a, T: Scalar> {
    pub p: &'a Program,
    pub ws: &'a mut Workspace<T>,
    /// Evaluate `gen` statements and allow `_rng` calls.
    pub generate: bool,
}

impl<'a, T: Scalar> Ev<'a, T> {
    pub fn new(p: &'a Program, ws: &'a mut Workspace<T>, generate: bool) -> Ev<'a, T> {
        Ev { p, ws, generate }
    }

    pub fn record(&self) -> bool {
        self.ws.tape.record
    }

    /// The reals a constant vector/matrix refers to.
    pub fn creals(&self, r: CRef) -> &[f64] {
        match r.buf {
            Buf::Data => &self.p.reals[r.range()],
            Buf::IntMirror => &self.p.int_mirror[r.range()],
            Buf::Scratch => &self.ws.scratch[r.range()],
        }
    }

    /// The ints an int array refers to.
    pub fn cints(&self, r: CRef) -> &[i64] {
        match r.buf {
            Buf::Data | Buf::IntMirror => &self.p.ints[r.range()],
            Buf::Scratch => &self.ws.iscratch[r.range()],
        }
    }

    /// A new scratch range of `n` reals.
    pub fn scratch(&mut self, n: usize) -> CRef {
        let off = self.ws.scratch.len();
        self.ws.scratch.resize(off + n, 0.0);
        CRef::new(Buf::Scratch, off, n)
    }

    pub fn iscratch(&mut self, n: usize) -> CRef {
        let off = self.ws.iscratch.len();
        self.ws.iscratch.resize(off + n, 0);
        CRef::new(Buf::Scratch, off, n)
    }

    /// An int array viewed as reals (no copy for bound data).
    pub fn int_as_reals(&mut self, r: CRef) -> CRef {
        match r.buf {
            Buf::Data | Buf::IntMirror => CRef {
                buf: Buf::IntMirror,
                ..r
            },
            Buf::Scratch => {
                let out = self.scratch(r.len as usize);
                for i in 0..r.len as usize {
                    self.ws.scratch[out.off as usize + i] =
                        self.ws.iscratch[r.off as usize + i] as f64;
                }
                out
            }
        }
    }

    /// Ints promoted to reals; everything else unchanged.
    pub fn promote(&mut self, v: Val) -> Val {
        match v {
            Val::Int(i) => Val::Real(i as f64),
            Val::IntArr(r) => Val::Vec(self.int_as_reals(r)),
            v => v,
        }
    }

    /// The real value of a scalar (derivative parts dropped: for branching,
    /// sizes and messages only).
    pub fn scalar_f(&self, v: Val) -> f64 {
        match v {
            Val::Int(i) => i as f64,
            Val::Real(x) => x,
            Val::VReal(s) => self.ws.tape.vals[s as usize].re(),
            _ => f64::NAN,
        }
    }

    /// Element `i` of a (flattened) real value, as `T`.
    pub fn elem_t(&self, v: Val, i: usize) -> T {
        match v {
            Val::Int(k) => T::from(k as f64),
            Val::Real(x) => T::from(x),
            Val::VReal(s) => self.ws.tape.vals[s as usize],
            Val::IntArr(r) => T::from(self.cints(r)[i] as f64),
            Val::Vec(r) | Val::Mat(r, ..) => T::from(self.creals(r)[i]),
            Val::VVec(r) | Val::VMat(r, ..) => self.ws.tape.vals[r.off as usize + i],
        }
    }

    /// Element `i` of a value as f64.
    pub fn elem_f(&self, v: Val, i: usize) -> f64 {
        match v {
            Val::Int(k) => k as f64,
            Val::Real(x) => x,
            Val::VReal(s) => self.ws.tape.vals[s as usize].re(),
            Val::IntArr(r) => self.cints(r)[i] as f64,
            Val::Vec(r) | Val::Mat(r, ..) => self.creals(r)[i],
            Val::VVec(r) | Val::VMat(r, ..) => self.ws.tape.vals[r.off as usize + i].re(),
        }
    }

    /// The tape slots of a value, pushing constants as leaves when needed.
    pub fn slots_of(&mut self, v: Val) -> VRef {
        match v {
            Val::VReal(s) => VRef::new(s as usize, 1),
            Val::VVec(r) | Val::VMat(r, ..) => r,
            _ => {
                let n = v.len();
                let out = self.ws.tape.alloc(n);
                for i in 0..n {
                    let x = self.elem_f(v, i);
                    self.ws.tape.vals[out.off as usize + i] = T::from(x);
                }
                out
            }
        }
    }

    /// A value with the given dims living in tape slots `r`.
    pub fn var_val(r: VRef, dims: Dims) -> Val {
        match dims {
            Dims::Scalar => Val::VReal(r.off),
            Dims::Vector(_) => Val::VVec(r),
            Dims::Matrix(a, b) => Val::VMat(r, a as u32, b as u32),
        }
    }

    /// A value with the given dims in constant reals `r`.
    pub fn const_val(&self, r: CRef, dims: Dims) -> Val {
        match dims {
            Dims::Scalar => Val::Real(self.creals(r)[0]),
            Dims::Vector(_) => Val::Vec(r),
            Dims::Matrix(a, b) => Val::Mat(r, a as u32, b as u32),
        }
    }

    pub fn int_of(&self, v: Val, span: Span) -> Rt<i64> {
        match v {
            Val::Int(i) => Ok(i),
            _ => Err(RtError::fatal(span, "expected an integer")),
        }
    }

    // ------------------------------------------------------------ statements

    /// Runs a list of statements; `top` marks the model's top level, where
    /// statements already run at bind time are skipped.
    pub fn run(&mut self, stmts: &[Stmt], top: bool) -> Rt<Flow> {
        for (k, s) in stmts.iter().enumerate() {
            if top && self.p.static_stmt.get(k).copied().unwrap_or(false) {
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

    pub fn stmt(&mut self, s: &Stmt) -> Rt<Flow> {
        match &s.kind {
            StmtKind::Let { local, value } => {
                let v = self.expr(value)?;
                self.ws.locals[local.index()] = LocalVal::Val(v);
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
                    if let Some(mut code) = super::fast::translate(body, &self.p.data_vals) {
                        self.run_translated(*var, lo_i, hi_i, body, &mut code)?;
                        return Ok(Flow::Normal);
                    }
                }
                let mut i = lo_i;
                while i <= hi_i {
                    self.ws.locals[var.index()] = LocalVal::Val(Val::Int(i));
                    if let Flow::Return(v) = self.run(body, false)? {
                        return Ok(Flow::Return(v));
                    }
                    i += 1;
                }
            }
            StmtKind::If { cond, then, els } => {
                let c = self.expr(cond)?;
                let branch = if self.scalar_f(c) != 0.0 { then } else { els };
                return self.run(branch, false);
            }
            StmtKind::Block(body) => return self.run(body, false),
            StmtKind::Gen { id, value } => {
                if self.generate {
                    let v = self.expr(value)?;
                    self.ws.gens[id.index()] = v;
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
    pub fn add_target(&mut self, v: Val, span: Span) {
        let x = self.scalar_f(v);
        if !x.is_finite() && self.ws.nonfinite_at.is_none() {
            self.ws.nonfinite_at = Some((span, x));
        }
        match v {
            Val::VReal(s) => self.ws.lp_terms.push(s),
            _ => self.ws.lp_const += x,
        }
    }

    fn declare_var(
        &mut self,
        local: LocalId,
        elem: Elem,
        shape: &Shape,
        init: Option<&Expr>,
        span: Span,
    ) -> Rt<()> {
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
        let off = self.ws.slots.len();
        self.ws.slots.resize(off + n, Slot::Unset);
        self.ws.locals[local.index()] = LocalVal::Var {
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
    pub fn size_expr(&mut self, e: &Expr) -> Rt<usize> {
        let v = self.expr(e)?;
        let n = self.int_of(v, e.span)?;
        usize::try_from(n)
            .map_err(|_| RtError::fatal(e.span, format!("a size must not be negative, found {n}")))
    }

    fn var_info(&self, local: LocalId, span: Span) -> Rt<(usize, Dims, bool)> {
        match self.ws.locals[local.index()] {
            LocalVal::Var { off, dims, int } => Ok((off as usize, dims, int)),
            _ => Err(RtError::fatal(
                span,
                format!(
                    "`{}` is assigned before its declaration ran",
                    self.p.model.local(local).name
                ),
            )),
        }
    }

    /// Stores a scalar into slot `k` of a var.
    fn store_slot(&mut self, k: usize, v: Val, int: bool, span: Span) -> Rt<()> {
        self.ws.slots[k] = match v {
            Val::Int(i) => {
                if int {
                    Slot::Int(i)
                } else {
                    Slot::Real(i as f64)
                }
            }
            Val::Real(x) if !int => Slot::Real(x),
            Val::VReal(s) if !int => Slot::Var(s),
            _ => {
                return Err(RtError::fatal(
                    span,
                    format!("cannot store {} in an element of this var", v.dims()),
                ));
            }
        };
        Ok(())
    }

    fn store_whole(&mut self, local: LocalId, v: Val, span: Span) -> Rt<()> {
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
            return Err(RtError::fatal(
                span,
                format!(
                    "`{}` is {dims} but the value assigned is {}",
                    self.p.model.local(local).name,
                    v.dims()
                ),
            ));
        }
        for k in 0..v.len() {
            let e = match v {
                Val::IntArr(r) => Val::Int(self.cints(r)[k]),
                Val::Vec(r) | Val::Mat(r, ..) => Val::Real(self.creals(r)[k]),
                Val::VVec(r) | Val::VMat(r, ..) => Val::VReal(r.at(k)),
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
    ) -> Rt<()> {
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
                return Err(RtError::fatal(
                    ie.span,
                    format!(
                        "index {i} is out of range for `{}` ({dims})",
                        self.p.model.local(target).name
                    ),
                ));
            }
            idx[q] = i as usize - 1;
        }
        let k = match (dims, indices.len()) {
            (Dims::Vector(_), 1) => idx[0],
            (Dims::Matrix(_, c), 2) => idx[0] * c + idx[1],
            _ => {
                return Err(RtError::fatal(
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
    pub fn read_slot(&mut self, k: usize, local: LocalId, span: Span) -> Rt<Val> {
        match self.ws.slots[k] {
            Slot::Unset => Err(RtError::fatal(
                span,
                format!(
                    "`{}` is read before it was assigned",
                    self.p.model.local(local).name
                ),
            )),
            Slot::Int(i) => Ok(Val::Int(i)),
            Slot::Real(x) => Ok(Val::Real(x)),
            Slot::Var(s) => Ok(Val::VReal(s)),
        }
    }

    /// The whole value of a var (packed onto the tape when any element
    /// depends on parameters).
    #[inline(never)]
    pub fn read_var(&mut self, local: LocalId, span: Span) -> Rt<Val> {
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
            match self.ws.slots[off + k] {
                Slot::Unset => {
                    return Err(RtError::fatal(
                        span,
                        format!(
                            "`{}[{}]` is read before it was assigned",
                            self.p.model.local(local).name,
                            k + 1
                        ),
                    ));
                }
                Slot::Var(_) => any_var = true,
                _ => {}
            }
        }
        let ws = &mut *self.ws;
        let slots = &ws.slots[off..off + n];
        if int {
            let r = CRef::new(Buf::Scratch, ws.iscratch.len(), n);
            ws.iscratch.extend(slots.iter().map(|s| match *s {
                Slot::Int(i) => i,
                _ => 0,
            }));
            return Ok(Val::IntArr(r));
        }
        if !any_var {
            let r = CRef::new(Buf::Scratch, ws.scratch.len(), n);
            ws.scratch.extend(slots.iter().map(|s| match *s {
                Slot::Real(x) => x,
                _ => 0.0,
            }));
            return Ok(self.const_val(r, dims));
        }
        // Pack: gather the element slots (constants become leaves).
        let idx_off = self.ws.tape.idx.len();
        for k in 0..n {
            let s = match self.ws.slots[off + k] {
                Slot::Var(s) => s,
                Slot::Real(x) => self.ws.tape.push(T::from(x)),
                Slot::Int(i) => self.ws.tape.push(T::from(i as f64)),
                Slot::Unset => unreachable!("checked above"),
            };
            self.ws.tape.idx.push(s);
        }
        Ok(self.gather_slots(idx_off, n, dims))
    }

    /// A new var value whose elements copy the slots listed in the tape's
    /// index arena from `idx_off`.
    pub fn gather_slots(&mut self, idx_off: usize, n: usize, dims: Dims) -> Val {
        let out = self.ws.tape.alloc(n);
        for j in 0..n {
            let s = self.ws.tape.idx[idx_off + j] as usize;
            self.ws.tape.vals[out.off as usize + j] = self.ws.tape.vals[s];
        }
        self.ws.tape.node(super::tape::Node::Gather {
            out,
            idx: idx_off as u32,
        });
        Self::var_val(out, dims)
    }

    /// The value of a `Local` expression.
    #[inline(never)]
    pub fn local(&mut self, id: LocalId, span: Span) -> Rt<Val> {
        match self.ws.locals[id.index()] {
            LocalVal::Val(v) => Ok(v),
            LocalVal::Var { .. } => self.read_var(id, span),
            LocalVal::Unset => match self.p.const_locals.get(id.index()).copied().flatten() {
                Some(v) => Ok(v),
                None => Err(RtError::fatal(
                    span,
                    format!(
                        "`{}` is used before it has a value",
                        self.p.model.local(id).name
                    ),
                )),
            },
        }
    }

    /// Evaluates an expression that the checker typed as a constant int.
    pub fn expr_int(&mut self, e: &Expr) -> Rt<i64> {
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
            ExprKind::Local(id) => match self.ws.locals[id.index()] {
                LocalVal::Val(Val::Int(i)) => Some(i),
                _ => None,
            },
            ExprKind::Data(id) => match self.p.data_vals[id.index()] {
                Val::Int(i) => Some(i),
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
