//! Arithmetic, comparisons and element-wise functions with broadcasting.

use super::elementwise::{eval_binary, eval_unary};
use super::workspace::{EvalError, EvalResult};
use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::eval::tape_ref_of;
use crate::density::tape::{MatOperand, Node, Part};
use crate::density::value::element_count;
use crate::density::value::{Buf, Dims, Value};
use crate::ir::BinOp;
use crate::scalar::Scalar;
use crate::source::Span;
use num_dual::Dual;

impl<T: Scalar> Evaluator<'_, T> {
    /// The shape of an element-wise result (scalars broadcast).
    pub fn broadcast_dims(&self, a: Value, b: Value, span: Span) -> EvalResult<Dims> {
        let (da, db) = (a.dims(), b.dims());
        if da == Dims::Scalar {
            Ok(db)
        } else if db == Dims::Scalar || da == db {
            Ok(da)
        } else {
            Err(EvalError::fatal(
                span,
                format!("the operands have different sizes: {da} and {db}"),
            ))
        }
    }

    /// Registers that `out` depends on var operand `v` with the given partials.
    pub(super) fn depend(&mut self, out: crate::density::value::TapeRef, v: Value, part: Part) {
        if !v.is_var() || !self.record() {
            return;
        }
        let r = tape_ref_of(v);
        if r.len == 1 && out.len != 1 {
            self.workspace.tape.node(Node::Broadcast {
                out,
                inp: r.off,
                part,
            });
        } else {
            self.workspace.tape.node(Node::Diag {
                out,
                inp: r.off,
                part,
            });
        }
    }

    /// The partial "the values of `v`" (a constant or the tape values).
    pub(super) fn part_of_values(&self, v: Value) -> Part {
        match v {
            Value::Real(x) => Part::ConstScalar(x),
            Value::Int(i) => Part::ConstScalar(i as f64),
            Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => Part::Const(r),
            Value::TapeReal(s) => Part::TapeValue(s),
            Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => {
                Part::TapeValues(r.off)
            }
            Value::IntArr(_) => Part::One, // promoted before use
        }
    }

    pub(super) fn int_binary(
        &mut self,
        op: BinOp,
        a: Value,
        b: Value,
        span: Span,
    ) -> EvalResult<Option<Value>> {
        let (Value::Int(x), Value::Int(y)) = (a, b) else {
            return Ok(None);
        };
        let r = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            BinOp::Mul => x.checked_mul(y),
            BinOp::IntDiv | BinOp::Mod => {
                if y == 0 {
                    return Err(EvalError::fatal(span, "integer division by zero"));
                }
                if op == BinOp::IntDiv {
                    x.checked_div(y)
                } else {
                    x.checked_rem(y)
                }
            }
            BinOp::Lt => Some((x < y) as i64),
            BinOp::Le => Some((x <= y) as i64),
            BinOp::Gt => Some((x > y) as i64),
            BinOp::Ge => Some((x >= y) as i64),
            BinOp::Eq => Some((x == y) as i64),
            BinOp::Ne => Some((x != y) as i64),
            _ => return Ok(None),
        };
        match r {
            Some(v) => Ok(Some(Value::Int(v))),
            None => Err(EvalError::fatal(span, "integer overflow")),
        }
    }

    pub fn binary(&mut self, op: BinOp, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        if let Some(v) = self.int_binary(op, a, b, span)? {
            return Ok(v);
        }
        match op {
            BinOp::Add => self.add(a, b, span),
            BinOp::Sub => self.sub(a, b, span),
            BinOp::Mul => {
                if a.is_scalar() || b.is_scalar() {
                    self.elem_mul(a, b, span)
                } else {
                    self.matmul(a, b, span)
                }
            }
            BinOp::ElemMul => self.elem_mul(a, b, span),
            BinOp::Div | BinOp::ElemDiv => self.div(a, b, span),
            BinOp::Pow => self.map_binary(Builtin::Pow, a, b, span),
            BinOp::IntDiv | BinOp::Mod => Err(EvalError::fatal(span, "`%/%` and `%` need ints")),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => {
                if !a.is_scalar() || !b.is_scalar() {
                    return Err(EvalError::fatal(span, "comparisons need scalars"));
                }
                let (x, y) = (self.scalar_f64(a), self.scalar_f64(b));
                let r = match op {
                    BinOp::Lt => x < y,
                    BinOp::Le => x <= y,
                    BinOp::Gt => x > y,
                    BinOp::Ge => x >= y,
                    BinOp::Eq => x == y,
                    _ => x != y,
                };
                Ok(Value::Int(r as i64))
            }
            BinOp::And | BinOp::Or => {
                let r = match op {
                    BinOp::And => self.scalar_f64(a) != 0.0 && self.scalar_f64(b) != 0.0,
                    _ => self.scalar_f64(a) != 0.0 || self.scalar_f64(b) != 0.0,
                };
                Ok(Value::Int(r as i64))
            }
        }
    }

    /// Element-wise ints (`int[] + int`, ...), or `None` if not both int-valued.
    pub(super) fn int_elementwise(
        &mut self,
        a: Value,
        b: Value,
        span: Span,
        f: fn(i64, i64) -> Option<i64>,
    ) -> EvalResult<Option<Value>> {
        if !(a.is_int() && b.is_int()) || (a.is_scalar() && b.is_scalar()) {
            return Ok(None);
        }
        let dims = self.broadcast_dims(a, b, span)?;
        let n = element_count(dims);
        let out = self.int_scratch(n);
        for i in 0..n {
            let x = self.element_f64(a, if a.is_scalar() { 0 } else { i }) as i64;
            let y = self.element_f64(b, if b.is_scalar() { 0 } else { i }) as i64;
            let v = f(x, y).ok_or_else(|| EvalError::fatal(span, "integer overflow"))?;
            self.workspace.int_scratch[out.off as usize + i] = v;
        }
        Ok(Some(Value::IntArr(out)))
    }

    pub fn add(&mut self, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        if let Some(v) = self.int_binary(BinOp::Add, a, b, span)? {
            return Ok(v);
        }
        if let Some(v) = self.int_elementwise(a, b, span, i64::checked_add)? {
            return Ok(v);
        }
        self.linear(a, b, 1.0, span)
    }

    pub fn sub(&mut self, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        if let Some(v) = self.int_elementwise(a, b, span, i64::checked_sub)? {
            return Ok(v);
        }
        self.linear(a, b, -1.0, span)
    }

    /// `a + sign * b` element-wise.
    pub(super) fn linear(
        &mut self,
        a: Value,
        b: Value,
        sign: f64,
        span: Span,
    ) -> EvalResult<Value> {
        if let Some((x, y)) = const_scalars(a, b) {
            return Ok(Value::Real(x + sign * y));
        }
        let a = self.promote(a);
        let b = self.promote(b);
        let dims = self.broadcast_dims(a, b, span)?;
        let n = element_count(dims);
        let (sa, sb) = (a.is_scalar(), b.is_scalar());
        if !a.is_var() && !b.is_var() {
            let out = self.scratch(n);
            for i in 0..n {
                let x = self.element_f64(a, if sa { 0 } else { i });
                let y = self.element_f64(b, if sb { 0 } else { i });
                self.workspace.scratch[out.off as usize + i] = x + sign * y;
            }
            return Ok(self.const_value(out, dims));
        }
        let out = self.workspace.tape.alloc(n);
        for i in 0..n {
            let x = self.element(a, if sa { 0 } else { i });
            let y = self.element(b, if sb { 0 } else { i });
            self.workspace.tape.vals[out.off as usize + i] = x + y * sign;
        }
        self.depend(out, a, Part::One);
        self.depend(out, b, if sign > 0.0 { Part::One } else { Part::NegOne });
        Ok(Self::tape_value(out, dims))
    }

    /// Element-wise product (and scalar × anything).
    pub fn elem_mul(&mut self, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        if let Some((x, y)) = const_scalars(a, b) {
            return Ok(Value::Real(x * y));
        }
        if let Some(v) = self.int_elementwise(a, b, span, i64::checked_mul)? {
            return Ok(v);
        }
        let a = self.promote(a);
        let b = self.promote(b);
        let dims = self.broadcast_dims(a, b, span)?;
        let n = element_count(dims);
        let (sa, sb) = (a.is_scalar(), b.is_scalar());
        if !a.is_var() && !b.is_var() {
            let out = self.scratch(n);
            for i in 0..n {
                let x = self.element_f64(a, if sa { 0 } else { i });
                let y = self.element_f64(b, if sb { 0 } else { i });
                self.workspace.scratch[out.off as usize + i] = x * y;
            }
            return Ok(self.const_value(out, dims));
        }
        let out = self.workspace.tape.alloc(n);
        for i in 0..n {
            let x = self.element(a, if sa { 0 } else { i });
            let y = self.element(b, if sb { 0 } else { i });
            self.workspace.tape.vals[out.off as usize + i] = x * y;
        }
        let (pa, pb) = (self.part_of_values(b), self.part_of_values(a));
        self.depend(out, a, pa);
        self.depend(out, b, pb);
        Ok(Self::tape_value(out, dims))
    }

    /// Element-wise quotient (and division by a scalar).
    pub fn div(&mut self, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        if let Some((x, y)) = const_scalars(a, b) {
            return Ok(Value::Real(x / y));
        }
        let a = self.promote(a);
        let b = self.promote(b);
        let dims = self.broadcast_dims(a, b, span)?;
        let n = element_count(dims);
        let (sa, sb) = (a.is_scalar(), b.is_scalar());
        if !a.is_var() && !b.is_var() {
            let out = self.scratch(n);
            for i in 0..n {
                let x = self.element_f64(a, if sa { 0 } else { i });
                let y = self.element_f64(b, if sb { 0 } else { i });
                self.workspace.scratch[out.off as usize + i] = x / y;
            }
            return Ok(self.const_value(out, dims));
        }
        let rec = self.record();
        let out = self.workspace.tape.alloc(n);
        let pa = (a.is_var() && rec).then(|| self.workspace.tape.alloc_parts(n));
        let pb = (b.is_var() && rec).then(|| self.workspace.tape.alloc_parts(n));
        for i in 0..n {
            let x = self.element(a, if sa { 0 } else { i });
            let y = self.element(b, if sb { 0 } else { i });
            let q = x / y;
            self.workspace.tape.vals[out.off as usize + i] = q;
            if let Some(p) = pa {
                self.workspace.tape.parts[p as usize + i] = y.recip();
            }
            if let Some(p) = pb {
                self.workspace.tape.parts[p as usize + i] = -q / y;
            }
        }
        if let Some(p) = pa {
            self.depend(out, a, Part::Tape(p));
        }
        if let Some(p) = pb {
            self.depend(out, b, Part::Tape(p));
        }
        Ok(Self::tape_value(out, dims))
    }

    /// An element-wise two-argument built-in with broadcasting; partials
    /// from dual numbers.
    pub fn map_binary(&mut self, f: Builtin, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        if matches!(f, Builtin::Min2 | Builtin::Max2) {
            let g: fn(i64, i64) -> Option<i64> = if f == Builtin::Min2 {
                |x, y| Some(x.min(y))
            } else {
                |x, y| Some(x.max(y))
            };
            if let (Value::Int(x), Value::Int(y)) = (a, b) {
                return Ok(Value::Int(g(x, y).unwrap_or(0)));
            }
            if let Some(v) = self.int_elementwise(a, b, span, g)? {
                return Ok(v);
            }
        }
        let f = match f {
            Builtin::Min2 => Builtin::Fmin,
            Builtin::Max2 => Builtin::Fmax,
            f => f,
        };
        if let Some((x, y)) = const_scalars(a, b) {
            return Ok(Value::Real(eval_binary(f, x, y)));
        }
        let a = self.promote(a);
        let b = self.promote(b);
        let dims = self.broadcast_dims(a, b, span)?;
        let n = element_count(dims);
        let (sa, sb) = (a.is_scalar(), b.is_scalar());
        if !a.is_var() && !b.is_var() {
            let out = self.scratch(n);
            for i in 0..n {
                let x = self.element_f64(a, if sa { 0 } else { i });
                let y = self.element_f64(b, if sb { 0 } else { i });
                self.workspace.scratch[out.off as usize + i] = eval_binary(f, x, y);
            }
            return Ok(self.const_value(out, dims));
        }
        let rec = self.record();
        let out = self.workspace.tape.alloc(n);
        let pa = (a.is_var() && rec).then(|| self.workspace.tape.alloc_parts(n));
        let pb = (b.is_var() && rec).then(|| self.workspace.tape.alloc_parts(n));
        for i in 0..n {
            let x = self.element(a, if sa { 0 } else { i });
            let y = self.element(b, if sb { 0 } else { i });
            let v = if let Some(p) = pa {
                let r = eval_binary(f, Dual::new(x, T::one()), Dual::from_re(y));
                self.workspace.tape.parts[p as usize + i] = r.eps;
                r.re
            } else {
                eval_binary(f, x, y)
            };
            if let Some(p) = pb {
                let r = eval_binary(f, Dual::from_re(x), Dual::new(y, T::one()));
                self.workspace.tape.parts[p as usize + i] = r.eps;
            }
            self.workspace.tape.vals[out.off as usize + i] = v;
        }
        if let Some(p) = pa {
            self.depend(out, a, Part::Tape(p));
        }
        if let Some(p) = pb {
            self.depend(out, b, Part::Tape(p));
        }
        Ok(Self::tape_value(out, dims))
    }

    /// An element-wise one-argument built-in.
    pub fn map_unary(&mut self, f: Builtin, v: Value) -> EvalResult<Value> {
        if f == Builtin::Abs {
            match v {
                Value::Int(i) => return Ok(Value::Int(i.abs())),
                Value::IntArr(r) => {
                    let out = self.int_scratch(r.len as usize);
                    for k in 0..r.len as usize {
                        self.workspace.int_scratch[out.off as usize + k] =
                            self.const_ints(r)[k].abs();
                    }
                    return Ok(Value::IntArr(out));
                }
                _ => {}
            }
        }
        match v {
            Value::Real(x) => return Ok(Value::Real(eval_unary(f, x))),
            Value::Int(i) => return Ok(Value::Real(eval_unary(f, i as f64))),
            _ => {}
        }
        let v = self.promote(v);
        let n = v.len();
        let dims = v.dims();
        if !v.is_var() {
            let out = self.scratch(n);
            for i in 0..n {
                let x = self.element_f64(v, i);
                self.workspace.scratch[out.off as usize + i] = eval_unary(f, x);
            }
            return Ok(self.const_value(out, dims));
        }
        let r = tape_ref_of(v);
        let out = self.workspace.tape.alloc(n);
        if self.record() {
            let p = self.workspace.tape.alloc_parts(n);
            for i in 0..n {
                let x = self.workspace.tape.vals[r.off as usize + i];
                let d = eval_unary(f, Dual::new(x, T::one()));
                self.workspace.tape.vals[out.off as usize + i] = d.re;
                self.workspace.tape.parts[p as usize + i] = d.eps;
            }
            self.workspace.tape.node(Node::Diag {
                out,
                inp: r.off,
                part: Part::Tape(p),
            });
        } else {
            for i in 0..n {
                let x = self.workspace.tape.vals[r.off as usize + i];
                self.workspace.tape.vals[out.off as usize + i] = eval_unary(f, x);
            }
        }
        Ok(Self::tape_value(out, dims))
    }

    /// Matrix × vector and matrix × matrix.
    #[inline(never)]
    pub fn matmul(&mut self, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        let a = self.promote(a);
        let b = self.promote(b);
        let (r, k) = match a.dims() {
            Dims::Matrix(r, k) => (r, k),
            Dims::Vector(_) if matches!(b.dims(), Dims::Vector(_)) => {
                return Err(EvalError::fatal(
                    span,
                    "`vector * vector` is not defined: use `.*` or `dot_product`",
                ));
            }
            d => {
                return Err(EvalError::fatal(
                    span,
                    format!("the left operand of a matrix product must be a matrix, found {d}"),
                ));
            }
        };
        let (k2, c, out_dims) = match b.dims() {
            Dims::Vector(n) => (n, 1, Dims::Vector(r)),
            Dims::Matrix(k2, c) => (k2, c, Dims::Matrix(r, c)),
            Dims::Scalar | Dims::Array3(..) => {
                unreachable!("checked: scalars multiply element-wise")
            }
        };
        if k != k2 {
            return Err(EvalError::fatal(
                span,
                format!(
                    "matrix product of a {r}×{k} matrix and {}: inner sizes differ",
                    b.dims()
                ),
            ));
        }
        let n = r * c;
        if !a.is_var() && !b.is_var() {
            let out = self.scratch(n);
            for i in 0..r {
                for j in 0..c {
                    let mut s = 0.0;
                    for l in 0..k {
                        s += self.element_f64(a, i * k + l) * self.element_f64(b, l * c + j);
                    }
                    self.workspace.scratch[out.off as usize + i * c + j] = s;
                }
            }
            return Ok(self.const_value(out, out_dims));
        }
        let out = self.workspace.tape.alloc(n);
        match (a, b) {
            (Value::Mat(ra, ..), Value::TapeVec(rb)) => {
                // The hot path: data matrix times a parameter vector.
                let bufs = self.program.bufs(&self.workspace.scratch);
                let am = bufs.get(ra);
                let (lo, hi) = self.workspace.tape.vals.split_at_mut(out.off as usize);
                crate::density::tape::rows::data_mat_vec(
                    &am[..r * k],
                    &lo[rb.range()],
                    &mut hi[..r],
                );
            }
            _ => {
                for i in 0..r {
                    for j in 0..c {
                        let mut s = T::zero();
                        for l in 0..k {
                            s += self.element(a, i * k + l) * self.element(b, l * c + j);
                        }
                        self.workspace.tape.vals[out.off as usize + i * c + j] = s;
                    }
                }
            }
        }
        let mop = |v: Value| match v {
            Value::Mat(r, ..) | Value::Vec(r) => MatOperand::Const(r),
            v => MatOperand::Tape(tape_ref_of(v).off),
        };
        self.workspace.tape.node(Node::MatMul {
            out,
            a: mop(a),
            b: mop(b),
            r: r as u32,
            k: k as u32,
            c: c as u32,
        });
        Ok(Self::tape_value(out, out_dims))
    }

    /// Sum of all elements (a scalar).
    pub fn sum(&mut self, v: Value) -> Value {
        match v {
            Value::IntArr(r) => Value::Int(self.const_ints(r).iter().sum()),
            Value::Int(_) | Value::Real(_) | Value::TapeReal(_) => v,
            Value::Arr3(r, _) if r.buf == Buf::IntMatrix => {
                Value::Int(self.const_ints(r).iter().sum())
            }
            Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => {
                Value::Real(self.const_reals(r).iter().sum())
            }
            Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => {
                let s = self.workspace.tape.vals[r.range()]
                    .iter()
                    .fold(T::zero(), |s, &x| s + x);
                let out = self.workspace.tape.push(s);
                self.workspace.tape.node(Node::Reduce {
                    out,
                    inp: r,
                    part: Part::One,
                });
                Value::TapeReal(out)
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
            Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => {
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
                    part: crate::density::tape::Part::NegOne,
                });
                Self::tape_value(out, v.dims())
            }
        })
    }
}

/// Both operands as reals when both are constant scalars (the common case
/// in loops over data, which must not touch any buffer).
#[inline]
fn const_scalars(a: Value, b: Value) -> Option<(f64, f64)> {
    let f = |v: Value| match v {
        Value::Real(x) => Some(x),
        Value::Int(i) => Some(i as f64),
        _ => None,
    };
    Some((f(a)?, f(b)?))
}
