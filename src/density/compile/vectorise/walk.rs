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

/// `e` with its first sub-expression (in evaluation order, `e` itself
/// included) for which `pick` gives a replacement replaced by it; `None`
/// when `pick` gives none anywhere.
pub(super) fn replace_first(
    e: &Expr,
    pick: &mut impl FnMut(&Expr) -> Option<Expr>,
) -> Option<Expr> {
    if let Some(r) = pick(e) {
        return Some(r);
    }
    let mut one = |x: &Expr| replace_first(x, pick);
    let boxed = |x: Expr| Box::new(x);
    let kind = match &e.kind {
        ExprKind::Unary(op, a) => ExprKind::Unary(*op, boxed(one(a)?)),
        ExprKind::Binary(op, a, b) => match one(a) {
            Some(a) => ExprKind::Binary(*op, boxed(a), b.clone()),
            None => ExprKind::Binary(*op, a.clone(), boxed(one(b)?)),
        },
        ExprKind::Cond(c, a, b) => {
            let mut parts = [(**c).clone(), (**a).clone(), (**b).clone()];
            replace_in(&mut parts, &mut one)?;
            let [c, a, b] = parts;
            ExprKind::Cond(boxed(c), boxed(a), boxed(b))
        }
        ExprKind::Call(f, args) => ExprKind::Call(*f, replaced(args, &mut one)?),
        ExprKind::CallUser(f, args) => ExprKind::CallUser(*f, replaced(args, &mut one)?),
        ExprKind::Rng(d, args) => ExprKind::Rng(*d, replaced(args, &mut one)?),
        ExprKind::VecLit(args) => ExprKind::VecLit(replaced(args, &mut one)?),
        ExprKind::Lpdf { dist, y, args } => {
            let mut all: Vec<Expr> = std::iter::once((**y).clone()).chain(args.clone()).collect();
            replace_in(&mut all, &mut one)?;
            let y = all.remove(0);
            ExprKind::Lpdf {
                dist: *dist,
                y: boxed(y),
                args: all,
            }
        }
        ExprKind::Cumulative {
            dist,
            kind,
            y,
            args,
        } => {
            let mut all: Vec<Expr> = std::iter::once((**y).clone()).chain(args.clone()).collect();
            replace_in(&mut all, &mut one)?;
            let y = all.remove(0);
            ExprKind::Cumulative {
                dist: *dist,
                kind: *kind,
                y: boxed(y),
                args: all,
            }
        }
        // Index positions are ints of the loop (a condition inside one
        // would select positions, not values): left alone.
        ExprKind::Index(base, idx) => ExprKind::Index(boxed(one(base)?), idx.clone()),
        // Names and constants.
        _ => return None,
    };
    Some(Expr {
        kind,
        ty: e.ty,
        span: e.span,
    })
}

/// Replaces the first expression of `parts` in which `one` finds something.
fn replace_in(parts: &mut [Expr], one: &mut impl FnMut(&Expr) -> Option<Expr>) -> Option<()> {
    for p in parts.iter_mut() {
        if let Some(r) = one(p) {
            *p = r;
            return Some(());
        }
    }
    None
}

fn replaced(args: &[Expr], one: &mut impl FnMut(&Expr) -> Option<Expr>) -> Option<Vec<Expr>> {
    let mut args = args.to_vec();
    replace_in(&mut args, one)?;
    Some(args)
}
