//! Walking the expressions of the IR.

use crate::ir::{Expr, ExprKind};

/// Whether evaluating `e` once gives what evaluating it in every
/// iteration gives: no user function (which may print or reject), no
/// `target()`, no random numbers.
pub(super) fn pure(e: &Expr) -> bool {
    !e.any(&mut |x| {
        matches!(
            x.kind,
            ExprKind::CallUser(..) | ExprKind::Target | ExprKind::Rng(..) | ExprKind::Gen(_)
        )
    })
}
