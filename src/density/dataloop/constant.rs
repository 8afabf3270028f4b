//! Constant scalar arithmetic without the general machinery: the element
//! assignments and index arithmetic of loops over data (for instance
//! `Xc[n, j] = X[n, j] - m[j]`), evaluated directly on the loop's memory.
//! Anything outside this small subset (parameters, containers, calls, errors
//! of any kind) answers `None`, and the caller takes the general path, which
//! also owns every error message.

use super::{LoopMemory, Number, from_slot, from_value, general_only};
use crate::density::value::{Buf, Dims, LocalValue, Slot, Value};
use crate::ir::{AssignOp, BinOp, Expr, ExprKind, Index, LocalId, UnOp};

impl LoopMemory<'_> {
    /// The value of a constant scalar expression, or `None`.
    pub(crate) fn number(&self, e: &Expr) -> Option<Number> {
        match &e.kind {
            ExprKind::Int(i) => Some(Number::Int(*i)),
            ExprKind::Real(x) => Some(Number::Real(*x)),
            ExprKind::Data(id) => from_value(self.data[id.index()]),
            ExprKind::Local(id) => match self.locals[id.index()] {
                LocalValue::Value(v) => from_value(v),
                LocalValue::Var {
                    off,
                    dims: Dims::Scalar,
                    ..
                } => from_slot(self.slots[off as usize]),
                _ => None,
            },
            ExprKind::Index(base, idx) => self.element(base, idx),
            ExprKind::Unary(UnOp::Neg, a) => match self.number(a)? {
                Number::Int(i) => i.checked_neg().map(Number::Int),
                Number::Real(x) => Some(Number::Real(-x)),
            },
            ExprKind::Binary(op, a, b) => {
                let (x, y) = (self.number(a)?, self.number(b)?);
                binary(*op, x, y)
            }
            _ => None,
        }
    }

    /// `base[i]` / `base[i, j]` of a constant container with int indices.
    fn element(&self, base: &Expr, idx: &[Index]) -> Option<Number> {
        let v = match base.kind {
            ExprKind::Data(id) => self.data[id.index()],
            ExprKind::Local(id) => match self.locals[id.index()] {
                LocalValue::Value(v) => v,
                LocalValue::Var { off, dims, .. } => {
                    let k = self.index_position(idx, dims)?;
                    return from_slot(self.slots[off as usize + k]);
                }
                LocalValue::Unset => return None,
            },
            _ => return None,
        };
        let k = self.index_position(idx, v.dims())?;
        match v {
            Value::Mat(r, ..) if r.buf == Buf::IntMatrix => {
                Some(Number::Int(self.const_ints(r)[k]))
            }
            Value::Vec(r) | Value::Mat(r, ..) => Some(Number::Real(self.const_reals(r)[k])),
            Value::IntArr(r) => Some(Number::Int(self.const_ints(r)[k])),
            _ => None,
        }
    }

    /// The flat position of single int indices that are in range.
    fn index_position(&self, idx: &[Index], dims: Dims) -> Option<usize> {
        let mut vals = [Number::Int(0); 2];
        if idx.len() > 2 {
            return None;
        }
        for (slot, ix) in vals.iter_mut().zip(idx) {
            let Index::Single(e) = ix else { return None };
            *slot = self.number(e)?;
        }
        position(&vals[..idx.len()], dims)
    }

    /// Runs `target[indices] (=|+=) value` when everything is a constant
    /// scalar; `false` (nothing changed) when the general path must run it.
    pub(crate) fn assign(
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
            match self.number(e) {
                Some(v) => *slot = v,
                None => return false,
            }
        }
        match self.number(value) {
            Some(v) => self
                .store_number(target, op, &idx[..indices.len()], v)
                .is_some(),
            None => false,
        }
    }

    /// `target[idx] (=|+=) v` for a var whose element is a constant.
    fn store_number(
        &mut self,
        target: LocalId,
        op: AssignOp,
        idx: &[Number],
        mut v: Number,
    ) -> Option<()> {
        let LocalValue::Var { off, dims, int } = self.locals[target.index()] else {
            return None;
        };
        let k = if idx.is_empty() && dims == Dims::Scalar {
            0
        } else {
            position(idx, dims)?
        };
        let slot = off as usize + k;
        if op == AssignOp::Add {
            v = binary(BinOp::Add, from_slot(self.slots[slot])?, v)?;
        }
        self.slots[slot] = match (v, int) {
            (Number::Int(i), true) => Slot::Int(i),
            (Number::Int(i), false) => Slot::Real(i as f64),
            (Number::Real(x), false) => Slot::Real(x),
            (Number::Real(_), true) => return None,
        };
        Some(())
    }
}

/// The flat position of one-based int indices within `dims`.
pub(crate) fn position(idx: &[Number], dims: Dims) -> Option<usize> {
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
pub(crate) fn binary(op: BinOp, x: Number, y: Number) -> Option<Number> {
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
            binary(BinOp::Sub, Number::Int(3), Number::Int(1)),
            Some(Number::Int(2))
        );
        assert_eq!(
            binary(BinOp::Div, Number::Int(3), Number::Int(2)),
            Some(Number::Real(1.5))
        );
        assert_eq!(
            binary(BinOp::Mul, Number::Int(2), Number::Real(0.25)),
            Some(Number::Real(0.5))
        );
        assert_eq!(
            binary(BinOp::Lt, Number::Real(1.0), Number::Int(2)),
            Some(Number::Int(1))
        );
        // Overflow and int-only operators go to the general path.
        assert_eq!(
            binary(BinOp::Add, Number::Int(i64::MAX), Number::Int(1)),
            None
        );
        assert_eq!(binary(BinOp::Mod, Number::Int(5), Number::Int(2)), None);
        assert_eq!(binary(BinOp::Pow, Number::Real(2.0), Number::Int(2)), None);
    }
}
