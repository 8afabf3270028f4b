//! Walking the expressions of the IR.

use crate::ir::{Expr, ExprKind, Index};

/// Whether evaluating `e` once gives what evaluating it in every
/// iteration gives: no user function (which may print or reject), no
/// `target()`, no random numbers.
pub(super) fn pure(e: &Expr) -> bool {
    !any_node(e, &mut |x| {
        matches!(
            x.kind,
            ExprKind::CallUser(..) | ExprKind::Target | ExprKind::Rng(..) | ExprKind::Gen(_)
        )
    })
}

/// Whether `hit` holds for `e` or any expression inside it.
pub(super) fn any_node(e: &Expr, hit: &mut impl FnMut(&Expr) -> bool) -> bool {
    hit(e) || children(e).into_iter().any(|x| any_node(x, hit))
}

/// The expressions directly inside `e`.
fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Real(_)
        | ExprKind::Data(_)
        | ExprKind::Param(_)
        | ExprKind::Local(_)
        | ExprKind::Gen(_)
        | ExprKind::Target => Vec::new(),
        ExprKind::Unary(_, a) => vec![a],
        ExprKind::Binary(_, a, b) => vec![a, b],
        ExprKind::Cond(c, a, b) => vec![c, a, b],
        ExprKind::Index(base, idx) => std::iter::once(&**base)
            .chain(idx.iter().flat_map(index_exprs))
            .collect(),
        ExprKind::Call(_, args)
        | ExprKind::CallUser(_, args)
        | ExprKind::Rng(_, args)
        | ExprKind::VecLit(args) => args.iter().collect(),
        ExprKind::Lpdf { y, args, .. } | ExprKind::Cumulative { y, args, .. } => {
            std::iter::once(&**y).chain(args).collect()
        }
    }
}

fn index_exprs(ix: &Index) -> Vec<&Expr> {
    match ix {
        Index::Single(e) | Index::Multi(e) => vec![e],
        Index::Slice(lo, hi) => lo.iter().chain(hi.iter()).collect(),
        Index::All => Vec::new(),
    }
}
