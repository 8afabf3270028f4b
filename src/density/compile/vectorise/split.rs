//! Conditions on the loop index. In the body of `for t in lo:hi`, a
//! conditional `t < s ? e : l` (s fixed during the loop) takes its first
//! branch on the iterations lo..s − 1 and its second on s..hi, so a
//! statement holding it is the same statement over those two parts of the
//! range, each with one branch: the change-point model's
//! `lp[s] += poisson_lpmf(D[t] | t < s ? e : l)` becomes a sum over t < s
//! with rate e and one over t ≥ s with rate l.

use super::walk::{pure, replace_first};
use crate::ir::{BinOp, Expr, ExprKind, LocalId, Stmt, StmtKind, ValueType};

/// One part of the range and the statement over it.
pub(super) struct Part {
    pub lo: Expr,
    pub hi: Expr,
    pub stmt: Stmt,
}

/// The iterations on which a condition holds: `i ≤ k` or `i ≥ k`.
enum Bound {
    UpTo(Expr),
    From(Expr),
}

/// `s` as two statements over the parts of `lo:hi` where the first
/// conditional on the index it holds takes either branch; `None` when it
/// holds none.
pub(super) fn split(var: LocalId, lo: &Expr, hi: &Expr, s: &Stmt) -> Option<[Part; 2]> {
    let mut found = None;
    for e in expressions(s) {
        e.visit(&mut |x| {
            if found.is_none()
                && let ExprKind::Cond(c, a, b) = &x.kind
                && let Some(bounds) = bounds(var, c)
            {
                found = Some((x.clone(), (**a).clone(), (**b).clone(), bounds));
            }
        });
        if found.is_some() {
            break;
        }
    }
    let (cond, then, els, (on_then, on_else)) = found?;
    let part = |branch: Expr, bound: Bound| {
        let stmt = with_replaced(s, &mut |x: &Expr| (*x == cond).then(|| branch.clone()))?;
        let (lo, hi) = match bound {
            Bound::UpTo(k) => (lo.clone(), smaller(hi, &k)),
            Bound::From(k) => (larger(lo, &k), hi.clone()),
        };
        Some(Part { lo, hi, stmt })
    };
    Some([part(then, on_then)?, part(els, on_else)?])
}

/// The iterations where `c` holds and where it does not, when `c` compares
/// the index with a fixed int (`i < k`, `k >= i`, ...).
fn bounds(var: LocalId, c: &Expr) -> Option<(Bound, Bound)> {
    let ExprKind::Binary(op, a, b) = &c.kind else {
        return None;
    };
    let is_var = |e: &Expr| matches!(e.kind, ExprKind::Local(l) if l == var);
    let fixed = |e: &Expr| {
        e.ty == ValueType::Int
            && pure(e)
            && !e.any(&mut |x| matches!(x.kind, ExprKind::Local(l) if l == var))
    };
    // As `i op k`.
    let (op, k) = if is_var(a) && fixed(b) {
        (*op, (**b).clone())
    } else if is_var(b) && fixed(a) {
        let flipped = match op {
            BinOp::Lt => BinOp::Gt,
            BinOp::Le => BinOp::Ge,
            BinOp::Gt => BinOp::Lt,
            BinOp::Ge => BinOp::Le,
            _ => return None,
        };
        (flipped, (**a).clone())
    } else {
        return None;
    };
    let shifted = |by: i64| int_binary(BinOp::Add, k.clone(), int(by, k.span));
    Some(match op {
        BinOp::Lt => (Bound::UpTo(shifted(-1)), Bound::From(k)),
        BinOp::Le => (Bound::UpTo(k.clone()), Bound::From(shifted(1))),
        BinOp::Gt => (Bound::From(shifted(1)), Bound::UpTo(k)),
        BinOp::Ge => (Bound::From(k.clone()), Bound::UpTo(shifted(-1))),
        _ => return None,
    })
}

/// min(a, b) of two ints.
fn smaller(a: &Expr, b: &Expr) -> Expr {
    pick(BinOp::Lt, a, b)
}

/// max(a, b) of two ints.
fn larger(a: &Expr, b: &Expr) -> Expr {
    pick(BinOp::Gt, a, b)
}

/// `a op b ? a : b`.
fn pick(op: BinOp, a: &Expr, b: &Expr) -> Expr {
    let span = a.span;
    Expr {
        kind: ExprKind::Cond(
            Box::new(int_binary(op, a.clone(), b.clone())),
            Box::new(a.clone()),
            Box::new(b.clone()),
        ),
        ty: ValueType::Int,
        span,
    }
}

fn int_binary(op: BinOp, a: Expr, b: Expr) -> Expr {
    let span = a.span;
    Expr {
        kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
        ty: ValueType::Int,
        span,
    }
}

fn int(v: i64, span: crate::source::Span) -> Expr {
    Expr {
        kind: ExprKind::Int(v),
        ty: ValueType::Int,
        span,
    }
}

/// The expressions of a statement the loop rewriter takes.
fn expressions(s: &Stmt) -> Vec<&Expr> {
    match &s.kind {
        StmtKind::Tilde { lhs, args, .. } => std::iter::once(lhs).chain(args).collect(),
        StmtKind::TargetAdd(e) => vec![e],
        StmtKind::Assign { value, .. } => vec![value],
        _ => Vec::new(),
    }
}

/// `s` with the first expression `pick` replaces replaced.
fn with_replaced(s: &Stmt, pick: &mut impl FnMut(&Expr) -> Option<Expr>) -> Option<Stmt> {
    let kind = match &s.kind {
        StmtKind::Tilde { lhs, dist, args } => {
            let mut all: Vec<Expr> = std::iter::once(lhs.clone()).chain(args.clone()).collect();
            let (at, e) = all
                .iter()
                .enumerate()
                .find_map(|(k, e)| Some((k, replace_first(e, pick)?)))?;
            all[at] = e;
            let lhs = all.remove(0);
            StmtKind::Tilde {
                lhs,
                dist: *dist,
                args: all,
            }
        }
        StmtKind::TargetAdd(e) => StmtKind::TargetAdd(replace_first(e, pick)?),
        StmtKind::Assign {
            target,
            indices,
            op,
            value,
        } => StmtKind::Assign {
            target: *target,
            indices: indices.clone(),
            op: *op,
            value: replace_first(value, pick)?,
        },
        _ => return None,
    };
    Some(Stmt { kind, span: s.span })
}
