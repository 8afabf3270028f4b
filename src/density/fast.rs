//! Constant scalar arithmetic without the general machinery: the element
//! assignments and index arithmetic of loops over data (for instance
//! `Xc[n, j] = X[n, j] - m[j]`), which run once per element at compile time.
//! A loop whose body is made of such assignments is translated once into
//! postfix code and run from it. Anything outside this small subset
//! (parameters, containers, calls, errors of any kind) answers `None`, and
//! the caller takes the general path, which also owns every error message.

use super::ev::Evaluator;
use super::value::{Dims, Value};
use super::workspace::{LocalValue, Slot};
use crate::ir::{AssignOp, BinOp, Expr, ExprKind, Index, LocalId, Stmt, StmtKind, UnOp};
use crate::scalar::Scalar;

/// A constant scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Number {
    Int(i64),
    Real(f64),
}

impl Number {
    fn real(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Real(x) => x,
        }
    }
}

pub(super) fn from_val(v: Value) -> Option<Number> {
    match v {
        Value::Int(i) => Some(Number::Int(i)),
        Value::Real(x) => Some(Number::Real(x)),
        _ => None,
    }
}

pub(super) fn from_slot(s: Slot) -> Option<Number> {
    match s {
        Slot::Int(i) => Some(Number::Int(i)),
        Slot::Real(x) => Some(Number::Real(x)),
        _ => None,
    }
}

#[cfg(test)]
thread_local! {
    /// Tests set this to run everything through the general path, the
    /// reference the fast paths are compared with.
    pub(super) static GENERAL_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[inline]
fn general_only() -> bool {
    #[cfg(test)]
    {
        GENERAL_ONLY.with(|g| g.get())
    }
    #[cfg(not(test))]
    {
        false
    }
}

impl<T: Scalar> Evaluator<'_, T> {
    /// The value of a constant scalar expression, or `None`.
    pub(super) fn fast_num(&self, e: &Expr) -> Option<Number> {
        match &e.kind {
            ExprKind::Int(i) => Some(Number::Int(*i)),
            ExprKind::Real(x) => Some(Number::Real(*x)),
            ExprKind::Data(id) => from_val(self.program.data_vals[id.index()]),
            ExprKind::Local(id) => match self.workspace.locals[id.index()] {
                LocalValue::Value(v) => from_val(v),
                LocalValue::Var {
                    off,
                    dims: Dims::Scalar,
                    ..
                } => from_slot(self.workspace.slots[off as usize]),
                _ => None,
            },
            ExprKind::Index(base, idx) => self.fast_element(base, idx),
            ExprKind::Unary(UnOp::Neg, a) => match self.fast_num(a)? {
                Number::Int(i) => i.checked_neg().map(Number::Int),
                Number::Real(x) => Some(Number::Real(-x)),
            },
            ExprKind::Binary(op, a, b) => {
                let (x, y) = (self.fast_num(a)?, self.fast_num(b)?);
                fast_binary(*op, x, y)
            }
            _ => None,
        }
    }

    /// `base[i]` / `base[i, j]` of a constant container with int indices.
    fn fast_element(&self, base: &Expr, idx: &[Index]) -> Option<Number> {
        let v = match base.kind {
            ExprKind::Data(id) => self.program.data_vals[id.index()],
            ExprKind::Local(id) => match self.workspace.locals[id.index()] {
                LocalValue::Value(v) => v,
                LocalValue::Var { off, dims, .. } => {
                    let k = self.fast_position(idx, dims)?;
                    return from_slot(self.workspace.slots[off as usize + k]);
                }
                LocalValue::Unset => return None,
            },
            _ => return None,
        };
        let k = self.fast_position(idx, v.dims())?;
        match v {
            Value::Vec(r) | Value::Mat(r, ..) => Some(Number::Real(self.const_reals(r)[k])),
            Value::IntArr(r) => Some(Number::Int(self.const_ints(r)[k])),
            _ => None,
        }
    }

    /// The flat position of single int indices that are in range.
    fn fast_position(&self, idx: &[Index], dims: Dims) -> Option<usize> {
        let mut vals = [Number::Int(0); 2];
        if idx.len() > 2 {
            return None;
        }
        for (slot, ix) in vals.iter_mut().zip(idx) {
            let Index::Single(e) = ix else { return None };
            *slot = self.fast_num(e)?;
        }
        position(&vals[..idx.len()], dims)
    }

    /// Runs `target[indices] (=|+=) value` when everything is a constant
    /// scalar; `false` (nothing changed) when the general path must run it.
    pub(super) fn fast_assign(
        &mut self,
        target: LocalId,
        indices: &[Expr],
        op: AssignOp,
        value: &Expr,
    ) -> bool {
        let mut idx = [Number::Int(0); 2];
        if indices.len() > 2 || general_only() {
            return false;
        }
        for (slot, e) in idx.iter_mut().zip(indices) {
            match self.fast_num(e) {
                Some(v) => *slot = v,
                None => return false,
            }
        }
        match self.fast_num(value) {
            Some(v) => self
                .store_num(target, op, &idx[..indices.len()], v)
                .is_some(),
            None => false,
        }
    }

    /// `target[idx] (=|+=) v` for a var whose element is a constant.
    fn store_num(
        &mut self,
        target: LocalId,
        op: AssignOp,
        idx: &[Number],
        mut v: Number,
    ) -> Option<()> {
        let LocalValue::Var { off, dims, int } = self.workspace.locals[target.index()] else {
            return None;
        };
        let k = if idx.is_empty() && dims == Dims::Scalar {
            0
        } else {
            position(idx, dims)?
        };
        let slot = off as usize + k;
        if op == AssignOp::Add {
            v = fast_binary(BinOp::Add, from_slot(self.workspace.slots[slot])?, v)?;
        }
        self.workspace.slots[slot] = match (v, int) {
            (Number::Int(i), true) => Slot::Int(i),
            (Number::Int(i), false) => Slot::Real(i as f64),
            (Number::Real(x), false) => Slot::Real(x),
            (Number::Real(_), true) => return None,
        };
        Some(())
    }
}

/// One postfix instruction of a translated loop body.
#[derive(Clone, Copy, Debug)]
pub(super) enum Op {
    Const(Number),
    Local(LocalId),
    /// Pops the index (1 or 2 of them) and pushes an element of a data
    /// container (resolved when translating) or of a local.
    ElemData(Value, u8),
    ElemLocal(LocalId, u8),
    Neg,
    Bin(BinOp),
}

/// `target[indices] (=|+=) value`: code that leaves the value and then the
/// indices on the stack.
#[derive(Clone, Debug)]
pub(super) struct TranslatedStmt {
    pub target: LocalId,
    pub op: AssignOp,
    pub code: (u32, u32),
    pub n_idx: u8,
}

/// A translated loop body.
pub(super) struct TranslatedBody {
    pub ops: Vec<Op>,
    pub stmts: Vec<TranslatedStmt>,
    /// The locals the body assigns to.
    pub targets: Vec<LocalId>,
}

/// The deepest stack a translated statement may need.
pub(super) const STACK: usize = 16;

/// Translates a loop body made only of assignments of constant scalar
/// expressions; `None` when any statement is something else.
pub(super) fn translate(body: &[Stmt], data: &[Value]) -> Option<TranslatedBody> {
    if general_only() {
        return None;
    }
    let mut out = TranslatedBody {
        ops: Vec::new(),
        stmts: Vec::with_capacity(body.len()),
        targets: Vec::new(),
    };
    for s in body {
        let StmtKind::Assign {
            target,
            indices,
            op,
            value,
        } = &s.kind
        else {
            return None;
        };
        if indices.len() > 2 {
            return None;
        }
        let start = out.ops.len() as u32;
        // The value first: the indices then sit on top of it, where the
        // runner can turn them into a flat position without code.
        let mut depth = 0;
        for (k, e) in std::iter::once(value).chain(indices).enumerate() {
            depth = depth.max(emit(e, data, &mut out.ops)? + k);
        }
        if depth > STACK {
            return None;
        }
        out.stmts.push(TranslatedStmt {
            target: *target,
            op: *op,
            code: (start, out.ops.len() as u32),
            n_idx: indices.len() as u8,
        });
        if !out.targets.contains(target) {
            out.targets.push(*target);
        }
    }
    Some(out)
}

/// Appends the postfix code of `e`; returns the stack depth it needs.
fn emit(e: &Expr, data: &[Value], ops: &mut Vec<Op>) -> Option<usize> {
    match &e.kind {
        ExprKind::Int(i) => ops.push(Op::Const(Number::Int(*i))),
        ExprKind::Real(x) => ops.push(Op::Const(Number::Real(*x))),
        ExprKind::Data(id) => ops.push(Op::Const(from_val(data[id.index()])?)),
        ExprKind::Local(id) => ops.push(Op::Local(*id)),
        ExprKind::Unary(UnOp::Neg, a) => {
            let d = emit(a, data, ops)?;
            ops.push(Op::Neg);
            return Some(d);
        }
        ExprKind::Binary(op, a, b) => {
            let da = emit(a, data, ops)?;
            let db = emit(b, data, ops)?;
            ops.push(Op::Bin(*op));
            return Some(da.max(db + 1));
        }
        ExprKind::Index(base, idx) => {
            if idx.is_empty() || idx.len() > 2 {
                return None;
            }
            let mut depth = 0;
            for (k, ix) in idx.iter().enumerate() {
                let Index::Single(i) = ix else { return None };
                depth = depth.max(emit(i, data, ops)? + k);
            }
            let n = idx.len() as u8;
            ops.push(match base.kind {
                ExprKind::Data(id) => match data[id.index()] {
                    v @ (Value::Vec(_) | Value::Mat(..) | Value::IntArr(_)) => Op::ElemData(v, n),
                    _ => return None,
                },
                ExprKind::Local(id) => Op::ElemLocal(id, n),
                _ => return None,
            });
            return Some(depth);
        }
        _ => return None,
    }
    Some(1)
}

/// The flat position of one-based int indices within `dims`.
pub(super) fn position(idx: &[Number], dims: Dims) -> Option<usize> {
    let at = |v: Number, n: usize| match v {
        Number::Int(i) if i >= 1 && i as usize <= n => Some(i as usize - 1),
        _ => None,
    };
    match (dims, idx) {
        (Dims::Vector(n), [i]) => at(*i, n),
        (Dims::Matrix(r, c), [i, j]) => Some(at(*i, r)? * c + at(*j, c)?),
        _ => None,
    }
}

/// Arithmetic and comparisons with the language's rules: int op int stays
/// int (checked; `/` of ints is real division), anything with a real is real.
#[inline]
pub(super) fn fast_binary(op: BinOp, x: Number, y: Number) -> Option<Number> {
    if let (Number::Int(a), Number::Int(b)) = (x, y) {
        let r = match op {
            BinOp::Add => a.checked_add(b),
            BinOp::Sub => a.checked_sub(b),
            BinOp::Mul | BinOp::ElemMul => a.checked_mul(b),
            BinOp::Div | BinOp::ElemDiv => return Some(Number::Real(a as f64 / b as f64)),
            _ => compare(op, a as f64, b as f64),
        };
        return r.map(Number::Int);
    }
    let (a, b) = (x.real(), y.real());
    match op {
        BinOp::Add => Some(Number::Real(a + b)),
        BinOp::Sub => Some(Number::Real(a - b)),
        BinOp::Mul | BinOp::ElemMul => Some(Number::Real(a * b)),
        BinOp::Div | BinOp::ElemDiv => Some(Number::Real(a / b)),
        _ => compare(op, a, b).map(Number::Int),
    }
}

fn compare(op: BinOp, a: f64, b: f64) -> Option<i64> {
    let r = match op {
        BinOp::Lt => a < b,
        BinOp::Le => a <= b,
        BinOp::Gt => a > b,
        BinOp::Ge => a >= b,
        BinOp::Eq => a == b,
        BinOp::Ne => a != b,
        _ => return None,
    };
    Some(r as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_follows_the_language() {
        assert_eq!(
            fast_binary(BinOp::Sub, Number::Int(3), Number::Int(1)),
            Some(Number::Int(2))
        );
        assert_eq!(
            fast_binary(BinOp::Div, Number::Int(3), Number::Int(2)),
            Some(Number::Real(1.5))
        );
        assert_eq!(
            fast_binary(BinOp::Mul, Number::Int(2), Number::Real(0.25)),
            Some(Number::Real(0.5))
        );
        assert_eq!(
            fast_binary(BinOp::Lt, Number::Real(1.0), Number::Int(2)),
            Some(Number::Int(1))
        );
        // Overflow and int-only operators go to the general path.
        assert_eq!(
            fast_binary(BinOp::Add, Number::Int(i64::MAX), Number::Int(1)),
            None
        );
        assert_eq!(
            fast_binary(BinOp::Mod, Number::Int(5), Number::Int(2)),
            None
        );
        assert_eq!(
            fast_binary(BinOp::Pow, Number::Real(2.0), Number::Int(2)),
            None
        );
    }
}
