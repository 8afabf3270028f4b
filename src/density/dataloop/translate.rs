//! Translating a loop body made of constant scalar assignments into postfix
//! code, once per loop.

use super::{Number, from_value, general_only};
use crate::density::value::Value;
use crate::ir::{AssignOp, BinOp, Expr, ExprKind, Index, LocalId, Stmt, StmtKind, UnOp};

/// One postfix instruction of a translated loop body.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
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
pub(crate) struct TranslatedStmt {
    pub target: LocalId,
    pub op: AssignOp,
    pub code: (u32, u32),
    pub n_idx: u8,
}

/// A translated loop body.
pub(crate) struct TranslatedBody {
    pub ops: Vec<Op>,
    pub stmts: Vec<TranslatedStmt>,
    /// The locals the body assigns to.
    pub targets: Vec<LocalId>,
}

/// The deepest stack a translated statement may need.
pub(crate) const STACK: usize = 16;

/// Translates a loop body made only of assignments of constant scalar
/// expressions; `None` when any statement is something else.
pub(crate) fn translate(body: &[Stmt], data: &[Value]) -> Option<TranslatedBody> {
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
        ExprKind::Data(id) => ops.push(Op::Const(from_value(data[id.index()])?)),
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
