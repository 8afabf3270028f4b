//! Loops that fill a `var` element by element. In
//!
//! ```text
//! for j in 1:N { K[i, j] = square(alpha) * exp(-0.5 * square((x[i] - x[j]) / rho)) }
//! ```
//!
//! every iteration writes one element of the row `K[i]` from values that
//! do not depend on the row, so the loop is the row assignment
//! `K[i] = square(alpha) * exp(-0.5 * square((x[i] - x[1:N]) / rho))`: one
//! array node per operation instead of a few scalar nodes per element (the
//! Stan User's Guide's hand-built GP kernel). The rewrite holds when the
//! loop covers the whole row, `1:n` with n the declared size, which only
//! the values can tell: the rewritten loop runs under that condition and
//! the original loop otherwise.

use super::range::{Form, LoopRange};
use super::walk::pure;
use crate::ir::ValueType;
use crate::ir::{AssignOp, BinOp, Elem, Expr, ExprKind, LocalId, Model, Shape, Stmt, StmtKind};

/// `target[fixed..., var] = value` over the loop as the assignment of the
/// whole row, and the condition under which the two are the same.
pub(super) fn row(
    loop_: &LoopRange<'_>,
    target: LocalId,
    indices: &[Expr],
    value: &Expr,
    span: crate::source::Span,
) -> Option<(Stmt, Expr)> {
    let (last, fixed) = indices.split_last()?;
    if !matches!(last.kind, ExprKind::Local(l) if l == loop_.var) || value.ty != ValueType::Real {
        return None;
    }
    let Form::Elementwise(values) = loop_.form(value)? else {
        return None;
    };
    let size = row_size(loop_.model, target, indices.len())?;
    let int = |kind| Expr {
        kind,
        ty: ValueType::Int,
        span,
    };
    let both = |op, a: &Expr, b: Expr| int(ExprKind::Binary(op, Box::new(a.clone()), Box::new(b)));
    let guard = int(ExprKind::Binary(
        BinOp::And,
        Box::new(both(BinOp::Eq, loop_.lo, int(ExprKind::Int(1)))),
        Box::new(both(BinOp::Eq, loop_.hi, size)),
    ));
    let stmt = Stmt {
        kind: StmtKind::Assign {
            target,
            indices: fixed.to_vec(),
            op: AssignOp::Set,
            value: values,
        },
        span,
    };
    Some((stmt, guard))
}

/// The declared length of the last dimension of the real `var` `target`
/// when it has `rank` dimensions and that length is an expression of the
/// data alone (the same wherever it is read).
fn row_size(model: &Model, target: LocalId, rank: usize) -> Option<Expr> {
    let (elem, shape) = declaration(&model.body, target)?;
    let last = match (shape, rank) {
        (Shape::Vector(n), 1) | (Shape::Matrix(_, n), 2) | (Shape::Array3(_, _, n), 3) => n,
        _ => return None,
    };
    let data_only = pure(last) && !last.any(&mut |x| matches!(x.kind, ExprKind::Local(_)));
    (elem == Elem::Real && data_only).then(|| last.clone())
}

/// The element type and shape of the `var` declaration of `id` in `body`.
fn declaration(body: &[Stmt], id: LocalId) -> Option<(Elem, &Shape)> {
    body.iter().find_map(|s| match &s.kind {
        StmtKind::Var {
            local, elem, shape, ..
        } if *local == id => Some((*elem, shape)),
        StmtKind::For { body, .. } | StmtKind::While { body, .. } | StmtKind::Block(body) => {
            declaration(body, id)
        }
        StmtKind::If { then, els, .. } => declaration(then, id).or_else(|| declaration(els, id)),
        _ => None,
    })
}
