//! Expressions: literals, names, operators, indexing, calls.

use super::ev::{Evaluator, Flow};
use super::tape::Node;
use super::value::{Buf, ConstRef, Dims, TapeRef, Value};
use super::workspace::{EvalError, EvalResult, LocalValue};
use crate::ir::{BinOp, DistRef, Expr, ExprKind, FnId, Index, UnOp};
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
    fn expr_cold(&mut self, e: &Expr) -> EvalResult<Value> {
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
                let mut buf = [Value::Int(0); 4];
                for (slot, a) in buf.iter_mut().zip(args) {
                    *slot = self.expr(a)?;
                }
                self.builtin(*f, &buf[..args.len().min(4)], args, e.span)
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
            ExprKind::Rng(d, args) => {
                let vals = self.eval_args(args)?;
                self.rng_call(*d, &vals, e.span)
            }
            ExprKind::VecLit(items) => {
                let vals = self.eval_args(items)?;
                self.vector_literal(&vals, e.span)
            }
            _ => self.expr(e),
        }
    }

    /// `base[idx]`: single int indices read one element directly.
    fn index_expr(&mut self, base: &Expr, idx: &[Index], span: Span) -> EvalResult<Value> {
        if let ExprKind::Local(id) = base.kind {
            if let LocalValue::Var { off, dims, .. } = self.workspace.locals[id.index()] {
                if let Some(k) = self.single_position(idx, dims, span)? {
                    return self.read_slot(off as usize + k, id, span);
                }
                return self.index_var(id, off as usize, dims, idx, span);
            }
        }
        let b = self.expr(base)?;
        if let Some(k) = self.single_position(idx, b.dims(), span)? {
            return Ok(match b {
                Value::Vec(r) | Value::Mat(r, ..) => Value::Real(self.const_reals(r)[k]),
                Value::IntArr(r) => Value::Int(self.const_ints(r)[k]),
                Value::TapeVec(r) | Value::TapeMat(r, ..) => Value::TapeReal(r.at(k)),
                _ => unreachable!("scalars have no single position"),
            });
        }
        self.index(b, idx, span)
    }

    /// The flat position of `v[i]` (vector) or `m[i, j]` (matrix) when every
    /// index is a single int; `None` for slices, gathers and rows.
    #[inline]
    fn single_position(
        &mut self,
        idx: &[Index],
        dims: Dims,
        span: Span,
    ) -> EvalResult<Option<usize>> {
        let (rows, cols) = match (dims, idx) {
            (Dims::Vector(n), [Index::Single(_)]) => (n, 1),
            (Dims::Matrix(r, c), [Index::Single(_), Index::Single(_)]) => (r, c),
            _ => return Ok(None),
        };
        let mut pos = 0;
        for (q, ix) in idx.iter().enumerate() {
            let Index::Single(e) = ix else {
                unreachable!("matched above")
            };
            let i = self.expr_int(e)?;
            let n = if q == 0 { rows } else { cols };
            if i < 1 || i as usize > n {
                return Err(EvalError::fatal(
                    span,
                    format!("index {i} is out of range: the value indexed is {dims}"),
                ));
            }
            pos = pos * cols + (i as usize - 1);
        }
        Ok(Some(pos))
    }

    /// Evaluates arguments into a small vector (user calls and literals are
    /// rare on hot paths; built-ins use a reused buffer).
    pub fn eval_args(&mut self, args: &[Expr]) -> EvalResult<Vec<Value>> {
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn vector_literal(&mut self, vals: &[Value], span: Span) -> EvalResult<Value> {
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
            Flow::Normal => Err(EvalError::fatal(
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
        for (slot, a) in buf[1..].iter_mut().zip(args) {
            *slot = self.expr(a)?;
        }
        let vals = &buf[..args.len() + 1];
        match d {
            DistRef::Builtin(id) => self.dist_call(id, vals, span),
            DistRef::User(f) => {
                let v = self.call_user(f, vals, span)?;
                Ok(self.promote(v))
            }
        }
    }

    // -------------------------------------------------------------- indexing

    fn index_range(
        &mut self,
        ix: &Index,
        n: usize,
        span: Span,
        what: Value,
    ) -> EvalResult<IndexSelection> {
        let oob = |i: i64| {
            EvalError::fatal(
                span,
                format!(
                    "index {i} is out of range: the value indexed is {}",
                    what.dims()
                ),
            )
        };
        match ix {
            Index::Single(e) => {
                let i = self.expr_int(e)?;
                if i < 1 || i as usize > n {
                    return Err(oob(i));
                }
                Ok(IndexSelection::One(i as usize - 1))
            }
            Index::All => Ok(IndexSelection::Range(0, n)),
            Index::Slice(lo, hi) => {
                let lo = match lo {
                    Some(e) => self.expr_int(e)?,
                    None => 1,
                };
                let hi = match hi {
                    Some(e) => self.expr_int(e)?,
                    None => n as i64,
                };
                if hi < lo {
                    return Ok(IndexSelection::Range(0, 0));
                }
                if lo < 1 {
                    return Err(oob(lo));
                }
                if hi as usize > n {
                    return Err(oob(hi));
                }
                Ok(IndexSelection::Range(
                    lo as usize - 1,
                    (hi - lo + 1) as usize,
                ))
            }
            Index::Multi(e) => {
                let v = self.expr(e)?;
                let r = match v {
                    Value::IntArr(r) => r,
                    Value::Int(i) => {
                        if i < 1 || i as usize > n {
                            return Err(oob(i));
                        }
                        return Ok(IndexSelection::One(i as usize - 1));
                    }
                    _ => {
                        return Err(EvalError::fatal(
                            e.span,
                            "a multi-index must be an int array",
                        ));
                    }
                };
                for &i in self.const_ints(r) {
                    if i < 1 || i as usize > n {
                        return Err(EvalError::fatal(
                            e.span,
                            format!(
                                "index {i} (in a multi-index) is out of range: the value indexed is {}",
                                what.dims()
                            ),
                        ));
                    }
                }
                Ok(IndexSelection::List(r))
            }
        }
    }

    fn sel_len(&self, s: &IndexSelection) -> usize {
        match s {
            IndexSelection::One(_) => 1,
            IndexSelection::Range(_, n) => *n,
            IndexSelection::List(r) => r.len as usize,
        }
    }

    fn sel_at(&self, s: &IndexSelection, k: usize) -> usize {
        match s {
            IndexSelection::One(i) => *i,
            IndexSelection::Range(a, _) => a + k,
            IndexSelection::List(r) => self.const_ints(*r)[k] as usize - 1,
        }
    }

    #[inline(never)]
    pub fn index(&mut self, base: Value, idx: &[Index], span: Span) -> EvalResult<Value> {
        let (rows, cols, is_mat) = match base.dims() {
            Dims::Vector(n) => (n, 1, false),
            Dims::Matrix(r, c) => (r, c, true),
            Dims::Scalar => return Err(EvalError::fatal(span, "a scalar cannot be indexed")),
        };
        if idx.is_empty() || idx.len() > 1 + is_mat as usize {
            return Err(EvalError::fatal(
                span,
                format!("{} indices do not fit {}", idx.len(), base.dims()),
            ));
        }
        let rsel = self.index_range(&idx[0], rows, span, base)?;
        let csel = if is_mat {
            match idx.get(1) {
                Some(ix) => self.index_range(ix, cols, span, base)?,
                None => IndexSelection::Range(0, cols),
            }
        } else {
            IndexSelection::One(0)
        };
        let keep_r = !matches!(rsel, IndexSelection::One(_));
        let keep_c = is_mat && !matches!(csel, IndexSelection::One(_));
        let nr = self.sel_len(&rsel);
        let nc = self.sel_len(&csel);
        let dims = match (keep_r, keep_c) {
            (false, false) => Dims::Scalar,
            (true, false) => Dims::Vector(nr),
            (false, true) => Dims::Vector(nc),
            (true, true) => Dims::Matrix(nr, nc),
        };
        // Contiguous selections are sub-ranges: no copy.
        let contiguous_start = match (&rsel, &csel) {
            (IndexSelection::One(i), IndexSelection::One(j)) => Some(i * cols + j),
            (IndexSelection::Range(a, _), IndexSelection::One(0)) if !is_mat => Some(*a),
            (IndexSelection::One(i), IndexSelection::Range(0, n)) if *n == cols => Some(i * cols),
            (IndexSelection::Range(a, _), IndexSelection::Range(0, n)) if *n == cols => {
                Some(a * cols)
            }
            (IndexSelection::One(i), IndexSelection::Range(b, _)) => Some(i * cols + b),
            _ => None,
        };
        let total = nr * nc;
        if let Some(start) = contiguous_start {
            return Ok(match base {
                Value::Vec(r) | Value::Mat(r, ..) => self.const_value(r.sub(start, total), dims),
                Value::IntArr(r) => match dims {
                    Dims::Scalar => Value::Int(self.const_ints(r)[start]),
                    _ => Value::IntArr(r.sub(start, total)),
                },
                Value::TapeVec(r) | Value::TapeMat(r, ..) => {
                    Self::tape_value(r.sub(start, total), dims)
                }
                _ => unreachable!("scalars rejected above"),
            });
        }
        // General selection: gather the flat positions.
        match base {
            Value::IntArr(r) => {
                let out = self.int_scratch(total);
                for a in 0..nr {
                    let i = self.sel_at(&rsel, a);
                    let x = self.const_ints(r)[i];
                    self.workspace.int_scratch[out.off as usize + a] = x;
                }
                Ok(Value::IntArr(out))
            }
            Value::Vec(r) | Value::Mat(r, ..) => {
                let out = self.scratch(total);
                for a in 0..nr {
                    for b in 0..nc {
                        let pos = self.sel_at(&rsel, a) * cols + self.sel_at(&csel, b);
                        let x = self.const_reals(r)[pos];
                        self.workspace.scratch[out.off as usize + a * nc + b] = x;
                    }
                }
                Ok(self.const_value(out, dims))
            }
            Value::TapeVec(r) | Value::TapeMat(r, ..) => {
                let idx_off = self.workspace.tape.idx.len();
                for a in 0..nr {
                    for b in 0..nc {
                        let pos = self.sel_at(&rsel, a) * cols + self.sel_at(&csel, b);
                        self.workspace.tape.idx.push(r.at(pos));
                    }
                }
                Ok(self.gather_slots(idx_off, total, dims))
            }
            _ => unreachable!("scalars rejected above"),
        }
    }

    /// Indexing a `var`: reads only the selected elements, so a recursion
    /// may read `h[t - 1]` while later elements are still unassigned.
    fn index_var(
        &mut self,
        id: crate::ir::LocalId,
        off: usize,
        dims: Dims,
        idx: &[Index],
        span: Span,
    ) -> EvalResult<Value> {
        let (rows, cols, is_mat) = match dims {
            Dims::Vector(n) => (n, 1, false),
            Dims::Matrix(r, c) => (r, c, true),
            Dims::Scalar => return Err(EvalError::fatal(span, "a scalar cannot be indexed")),
        };
        if idx.is_empty() || idx.len() > 1 + is_mat as usize {
            return Err(EvalError::fatal(
                span,
                format!("{} indices do not fit {dims}", idx.len()),
            ));
        }
        let what = match dims {
            Dims::Matrix(r, c) => Value::TapeMat(TapeRef::new(0, r * c), r as u32, c as u32),
            _ => Value::TapeVec(TapeRef::new(0, rows)),
        };
        let rsel = self.index_range(&idx[0], rows, span, what)?;
        let csel = if is_mat {
            match idx.get(1) {
                Some(ix) => self.index_range(ix, cols, span, what)?,
                None => IndexSelection::Range(0, cols),
            }
        } else {
            IndexSelection::One(0)
        };
        if let (IndexSelection::One(i), IndexSelection::One(j)) = (&rsel, &csel) {
            return self.read_slot(off + i * cols + j, id, span);
        }
        let keep_c = is_mat && !matches!(csel, IndexSelection::One(_));
        let keep_r = !matches!(rsel, IndexSelection::One(_));
        let (nr, nc) = (self.sel_len(&rsel), self.sel_len(&csel));
        let out_dims = match (keep_r, keep_c) {
            (true, true) => Dims::Matrix(nr, nc),
            (true, false) => Dims::Vector(nr),
            _ => Dims::Vector(nc),
        };
        let mut vals = Vec::with_capacity(nr * nc);
        for a in 0..nr {
            for b in 0..nc {
                let pos = self.sel_at(&rsel, a) * cols + self.sel_at(&csel, b);
                vals.push(self.read_slot(off + pos, id, span)?);
            }
        }
        if vals.iter().all(|v| matches!(v, Value::Int(_))) {
            let r = self.int_scratch(vals.len());
            for (k, v) in vals.iter().enumerate() {
                self.workspace.int_scratch[r.off as usize + k] = self.element_f64(*v, 0) as i64;
            }
            return Ok(Value::IntArr(r));
        }
        if !vals.iter().any(Value::is_var) {
            let r = self.scratch(vals.len());
            for (k, v) in vals.iter().enumerate() {
                self.workspace.scratch[r.off as usize + k] = self.element_f64(*v, 0);
            }
            return Ok(self.const_value(r, out_dims));
        }
        let idx_off = self.workspace.tape.idx.len();
        for v in &vals {
            let s = self.slots_of(*v).off;
            self.workspace.tape.idx.push(s);
        }
        Ok(self.gather_slots(idx_off, vals.len(), out_dims))
    }

    /// Gathers elements of `v` at flat positions (0-based) into a new value.
    pub fn gather_positions(&mut self, v: Value, pos: &[usize], dims: Dims) -> Value {
        match v {
            _ if v.is_var() => {
                let r = tape_ref_of(v);
                let idx_off = self.workspace.tape.idx.len();
                for &p in pos {
                    self.workspace.tape.idx.push(r.at(p));
                }
                self.gather_slots(idx_off, pos.len(), dims)
            }
            Value::IntArr(r) => {
                let out = self.int_scratch(pos.len());
                for (k, &p) in pos.iter().enumerate() {
                    self.workspace.int_scratch[out.off as usize + k] = self.const_ints(r)[p];
                }
                Value::IntArr(out)
            }
            Value::Vec(r) | Value::Mat(r, ..) => {
                // A plain copy (`col(X, j)` of a large data matrix).
                let out = self.scratch(pos.len());
                let o = out.off as usize;
                let from: &[f64] = match r.buf {
                    Buf::Data => &self.program.reals[r.range()],
                    Buf::IntMirror => &self.program.int_mirror[r.range()],
                    Buf::Scratch => {
                        for (k, &p) in pos.iter().enumerate() {
                            self.workspace.scratch[o + k] =
                                self.workspace.scratch[r.off as usize + p];
                        }
                        return self.const_value(out, dims);
                    }
                };
                for (x, &p) in self.workspace.scratch[o..o + pos.len()].iter_mut().zip(pos) {
                    *x = from[p];
                }
                self.const_value(out, dims)
            }
            _ => {
                let out = self.scratch(pos.len());
                for (k, &p) in pos.iter().enumerate() {
                    self.workspace.scratch[out.off as usize + k] = self.element_f64(v, p);
                }
                self.const_value(out, dims)
            }
        }
    }

    /// `-v`
    pub fn neg(&mut self, v: Value) -> EvalResult<Value> {
        Ok(match v {
            Value::Int(i) => Value::Int(-i),
            Value::Real(x) => Value::Real(-x),
            Value::IntArr(r) => {
                let out = self.int_scratch(r.len as usize);
                for k in 0..r.len as usize {
                    self.workspace.int_scratch[out.off as usize + k] = -self.const_ints(r)[k];
                }
                Value::IntArr(out)
            }
            Value::Vec(r) | Value::Mat(r, ..) => {
                let out = self.scratch(r.len as usize);
                for k in 0..r.len as usize {
                    self.workspace.scratch[out.off as usize + k] = -self.const_reals(r)[k];
                }
                self.const_value(out, v.dims())
            }
            _ => {
                let r = tape_ref_of(v);
                let out = self.workspace.tape.alloc(r.len as usize);
                for k in 0..r.len as usize {
                    self.workspace.tape.vals[out.off as usize + k] =
                        -self.workspace.tape.vals[r.off as usize + k];
                }
                self.workspace.tape.node(Node::Diag {
                    out,
                    inp: r.off,
                    part: super::tape::Part::NegOne,
                });
                Self::tape_value(out, v.dims())
            }
        })
    }
}

/// Arguments of calls are evaluated into a stack array of this size.
const SMALL: usize = 8;

/// The tape range of a var value.
pub fn tape_ref_of(v: Value) -> TapeRef {
    match v {
        Value::TapeReal(s) => TapeRef::new(s as usize, 1),
        Value::TapeVec(r) | Value::TapeMat(r, ..) => r,
        _ => TapeRef::new(0, 0),
    }
}

/// One index position resolved to 0-based positions.
enum IndexSelection {
    One(usize),
    Range(usize, usize),
    List(ConstRef),
}
