//! Loops whose iterations are independent, rewritten as array statements.
//!
//! A `for i in lo:hi` loop whose body is only `~` statements, `target +=`
//! contributions and `let`s, each a function of the loop index element by
//! element, adds the same terms as one statement over the whole range:
//!
//! ```text
//! for i in 1:N { y[i] ~ normal(mu[g[i]], s) }   ≡   y[1:N] ~ normal(mu[g[1:N]], s)
//! ```
//!
//! The rewritten statement runs as array code (one gather, one vectorised
//! density) instead of one pass of the general evaluator per element. The
//! subset, per element-wise expression of the index `i`:
//!
//! - `x[i]`, `x[i + c]`, `x[i - c]` (a slice), `x[e]` for an int expression
//!   `e` of `i` (a gather, e.g. `mu[g[i]]`), and `X[i, j]` / `X[j, i]` of a
//!   matrix with `j` fixed during the loop; the base never a `var`;
//! - the index itself as an operand of real arithmetic (`beta * i`);
//! - `+ - * / .* ./ ^`, unary minus, the element-wise built-ins of one
//!   argument (`exp`, `inv_logit`, ...), the broadcasting ones of two
//!   (`pow`, `log_sum_exp(a, b)`, `fmin`, ...) and `log_mix(theta, a, b)`;
//! - `normal_lpdf(y | mu, sigma)` of one element inside such an expression
//!   (a per-row mixture: `log_sum_exp(log(p) + normal_lpdf(y[i] | ...), ...)`),
//!   as the array of the elements' densities; the summed call runs first,
//!   for its checks of the arguments;
//! - anything that does not mention `i` and calls no user function;
//! - a `let` of the body (or a scalar `var` declared with a value and never
//!   assigned): read as its array form when it changes with `i`, computed
//!   once when it does not.
//!
//! An accumulation `acc += e` (or `acc[k] += e`, k fixed) into a `var` that
//! no statement of the body reads adds the sum of `e` over the range at
//! once, split into terms as a `target +=` is. A conditional `i < k ? a : b`
//! on the index (k fixed; any of `< <= > >=`, either side) splits the range
//! at k: the statement runs over each part with one branch (`split`). A
//! loop that fills a row of a `var` (`K[i, j] = e` over j) is the row
//! assignment `K[i] = ...` when its range is the whole row (`fill`). A
//! multivariate normal or Student's t of the row `y[i]` with arguments the
//! same in every iteration is one statement over the rows `y[lo:hi]`.
//!
//! A `~` (or `_lpdf`/`_lpmf` term of `target +=`) of a built-in univariate
//! distribution takes element-wise expressions where it takes vectors, and
//! anything else where it takes scalars; `_lcdf`, `_lccdf` and truncation
//! `T[L, U]` with `L` and `U` fixed too. A `target +=` is split into its
//! terms (`a + b - c`), each summed over the range. Anything else keeps
//! the loop as it is.
//!
//! The rewritten body is an alternative: the model runs it first, and
//! re-runs the original body whenever the result is not finite, so every
//! rejection, error message and span is the one of the general path. A
//! model with a `print` anywhere is never rewritten (the re-run would print
//! its lines twice).

use crate::builtins::Builtin;
use crate::ir::{
    AssignOp, BinOp, DistRef, Expr, ExprKind, LocalId, LocalKind, Model, Shape, Stmt, StmtKind,
    ValueType,
};
use crate::source::Span;
use std::cell::RefCell;

mod fill;
mod range;
mod split;
mod walk;

use range::{Form, LoopRange};
use walk::pure;

/// The model body with every loop of the subset rewritten (same number of
/// top-level statements), or `None` when no loop is.
pub fn vectorised_body(model: &Model) -> Option<Vec<Stmt>> {
    if model.body.iter().any(prints) || model.functions.iter().any(|f| f.body.iter().any(prints)) {
        return None;
    }
    let mut changed = false;
    let body = statements(model, &model.body, &mut changed);
    changed.then_some(body)
}

fn statements(model: &Model, body: &[Stmt], changed: &mut bool) -> Vec<Stmt> {
    body.iter().map(|s| statement(model, s, changed)).collect()
}

fn statement(model: &Model, s: &Stmt, changed: &mut bool) -> Stmt {
    let kind = match &s.kind {
        StmtKind::For { var, lo, hi, body } => {
            if let Some(rewritten) = vectorise_loop(model, *var, lo, hi, body, s.span) {
                *changed = true;
                return rewritten;
            }
            StmtKind::For {
                var: *var,
                lo: lo.clone(),
                hi: hi.clone(),
                body: statements(model, body, changed),
            }
        }
        StmtKind::If { cond, then, els } => StmtKind::If {
            cond: cond.clone(),
            then: statements(model, then, changed),
            els: statements(model, els, changed),
        },
        StmtKind::Block(body) => StmtKind::Block(statements(model, body, changed)),
        StmtKind::While { cond, body } => StmtKind::While {
            cond: cond.clone(),
            body: statements(model, body, changed),
        },
        other => other.clone(),
    };
    Stmt { kind, span: s.span }
}

/// Whether a statement, or one nested in it, prints.
fn prints(s: &Stmt) -> bool {
    match &s.kind {
        StmtKind::Print(_) => true,
        StmtKind::For { body, .. } | StmtKind::While { body, .. } | StmtKind::Block(body) => {
            body.iter().any(prints)
        }
        StmtKind::If { then, els, .. } => then.iter().chain(els).any(prints),
        StmtKind::GenBlock { body, .. } => body.iter().any(prints),
        _ => false,
    }
}

/// `for var in lo:hi { body }` as `if lo <= hi { array statements }`, when
/// the whole body is in the subset.
fn vectorise_loop(
    model: &Model,
    var: LocalId,
    lo: &Expr,
    hi: &Expr,
    body: &[Stmt],
    span: Span,
) -> Option<Stmt> {
    if !pure(lo) || !pure(hi) || body.is_empty() || !independent_writes(model, var, body) {
        return None;
    }
    let mut loop_ = LoopRange {
        model,
        var,
        lo,
        hi,
        checks: RefCell::new(Vec::new()),
        lets: Vec::new(),
        guards: RefCell::new(Vec::new()),
    };
    let mut then = Vec::new();
    for s in body {
        // A `let` of one value per element is read as its array form; one
        // that is the same in every iteration is computed once.
        if let Some((local, value)) = as_let(s, body) {
            match loop_.form(value)? {
                Form::Fixed => then.push(s.clone()),
                Form::Elementwise(v) => loop_.lets.push((local, v)),
            }
            continue;
        }
        then.extend(over_range(&loop_, s, 0)?);
    }
    // Rows filled element by element are whole-row assignments only when
    // the range covers the row: otherwise the loop runs as it is.
    if let Some(guard) = loop_.guards.take().into_iter().reduce(|a, b| Expr {
        span: a.span,
        kind: ExprKind::Binary(BinOp::And, Box::new(a), Box::new(b)),
        ty: ValueType::Int,
    }) {
        let original = Stmt {
            kind: StmtKind::For {
                var,
                lo: lo.clone(),
                hi: hi.clone(),
                body: body.to_vec(),
            },
            span,
        };
        then = vec![Stmt {
            kind: StmtKind::If {
                cond: guard,
                then,
                els: vec![original],
            },
            span,
        }];
    }
    Some(if_nonempty(lo, hi, then, span))
}

/// A `let` of a scalar, or a scalar `var` declared with a value that the
/// loop never assigns (Stan's `real mu = ...;` in a loop body), which is
/// the same thing: its name and value.
fn as_let<'s>(s: &'s Stmt, body: &[Stmt]) -> Option<(LocalId, &'s Expr)> {
    match &s.kind {
        StmtKind::Let { local, value } if value.ty.is_scalar() => Some((*local, value)),
        StmtKind::Var {
            local,
            shape: Shape::Scalar,
            init: Some(value),
            ..
        } if !body
            .iter()
            .any(|t| matches!(t.kind, StmtKind::Assign { target, .. } if target == *local)) =>
        {
            Some((*local, value))
        }
        _ => None,
    }
}

/// Conditionals on the index split a statement at most this many times
/// (2^depth statements).
const MAX_SPLITS: usize = 3;

/// A statement of the body as array statements over the loop's range,
/// preceded by the checks they need; `None` outside the subset.
fn over_range(loop_: &LoopRange<'_>, s: &Stmt, depth: usize) -> Option<Vec<Stmt>> {
    // The `let`s' array forms span the whole range, so a body with such a
    // `let` is not split.
    if loop_.lets.is_empty()
        && depth < MAX_SPLITS
        && let Some(parts) = split::split(loop_.var, loop_.lo, loop_.hi, s)
    {
        let mut out = Vec::new();
        for part in &parts {
            let sub = LoopRange {
                model: loop_.model,
                var: loop_.var,
                lo: &part.lo,
                hi: &part.hi,
                checks: RefCell::new(Vec::new()),
                lets: Vec::new(),
                guards: RefCell::new(Vec::new()),
            };
            let inner = over_range(&sub, &part.stmt, depth + 1)?;
            // A part of the range never fills a whole row.
            if !sub.guards.borrow().is_empty() {
                return None;
            }
            out.push(if_nonempty(&part.lo, &part.hi, inner, s.span));
        }
        return Some(out);
    }
    let mut rewritten = Vec::new();
    let statement = |kind| Stmt { kind, span: s.span };
    match &s.kind {
        StmtKind::Tilde {
            lhs,
            dist: DistRef::Builtin(d),
            args,
        } => {
            let (lhs, args) = loop_.density_call(*d, lhs, args)?;
            rewritten.push(statement(StmtKind::Tilde {
                lhs,
                dist: DistRef::Builtin(*d),
                args,
            }));
        }
        StmtKind::TargetAdd(e) => {
            let mut terms = Vec::new();
            loop_.terms(e, false, &mut terms)?;
            for term in terms {
                rewritten.push(statement(StmtKind::TargetAdd(term)));
            }
        }
        // `acc += e` (see [`independent_writes`]): the sum of e over the
        // range, added once.
        StmtKind::Assign {
            target,
            indices,
            op: AssignOp::Add,
            value,
        } if value.ty == ValueType::Real => {
            let mut terms = Vec::new();
            loop_.terms(value, false, &mut terms)?;
            let total = terms.into_iter().map(summed).reduce(|a, b| Expr {
                span: a.span,
                kind: ExprKind::Binary(BinOp::Add, Box::new(a), Box::new(b)),
                ty: ValueType::Real,
            })?;
            rewritten.push(statement(StmtKind::Assign {
                target: *target,
                indices: indices.clone(),
                op: AssignOp::Add,
                value: total,
            }));
        }
        // `v[..., i] = e` (see [`independent_writes`]): the whole row at once.
        StmtKind::Assign {
            target,
            indices,
            op: AssignOp::Set,
            value,
        } => {
            let (row, guard) = fill::row(loop_, *target, indices, value, s.span)?;
            loop_.guards.borrow_mut().push(guard);
            rewritten.push(row);
        }
        _ => return None,
    }
    let mut out: Vec<Stmt> = loop_
        .checks
        .borrow_mut()
        .drain(..)
        .map(|check| {
            statement(StmtKind::If {
                cond: check,
                then: Vec::new(),
                els: Vec::new(),
            })
        })
        .collect();
    out.extend(rewritten);
    Some(out)
}

/// A term over the range as one real: an array's elements summed.
fn summed(term: Expr) -> Expr {
    if term.ty.is_scalar() {
        return term;
    }
    Expr {
        span: term.span,
        kind: ExprKind::Call(Builtin::Sum, vec![term]),
        ty: ValueType::Real,
    }
}

/// Whether the iterations only write where no other iteration reads or
/// writes: every assignment of the body is to a `var` that nothing in the
/// body reads, assigned by one statement only, and is either an
/// accumulation `acc += e` (or `acc[k] += e`) at a position the same in
/// every iteration (their sum can be added at once), or `v[k, i] = e` with
/// the index last and the other positions fixed (each iteration writes its
/// own element: see `fill`).
fn independent_writes(model: &Model, var: LocalId, body: &[Stmt]) -> bool {
    let defined: Vec<LocalId> = body
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Let { local, .. } | StmtKind::Var { local, .. } => Some(*local),
            _ => None,
        })
        .chain(std::iter::once(var))
        .collect();
    let mentions = |e: &Expr, ids: &[LocalId]| {
        e.any(&mut |x| matches!(x.kind, ExprKind::Local(l) if ids.contains(&l)))
    };
    let fixed = |i: &Expr| pure(i) && !mentions(i, &defined);
    let assigned = |id: LocalId| {
        body.iter()
            .filter(|t| matches!(t.kind, StmtKind::Assign { target, .. } if target == id))
            .count()
    };
    body.iter().all(|s| match &s.kind {
        StmtKind::Assign {
            target,
            indices,
            op,
            ..
        } => {
            let positions = match op {
                AssignOp::Add => indices.iter().all(fixed),
                AssignOp::Set => indices.split_last().is_some_and(|(last, rest)| {
                    matches!(last.kind, ExprKind::Local(l) if l == var) && rest.iter().all(fixed)
                }),
            };
            positions
                && model.local(*target).kind == LocalKind::Var
                && assigned(*target) == 1
                && !body.iter().any(|t| reads(t, *target))
        }
        _ => true,
    })
}

/// Whether a statement of a loop body reads the local `id`.
fn reads(s: &Stmt, id: LocalId) -> bool {
    let hit = |e: &Expr| e.any(&mut |x| matches!(x.kind, ExprKind::Local(l) if l == id));
    match &s.kind {
        StmtKind::Let { value, .. } | StmtKind::TargetAdd(value) => hit(value),
        StmtKind::Tilde { lhs, args, .. } => hit(lhs) || args.iter().any(hit),
        StmtKind::Assign { indices, value, .. } => indices.iter().any(hit) || hit(value),
        StmtKind::Var { init, .. } => init.as_ref().is_some_and(hit),
        // Other statements keep the loop as it is anyway.
        _ => true,
    }
}

/// `if lo <= hi { then }`.
fn if_nonempty(lo: &Expr, hi: &Expr, then: Vec<Stmt>, span: Span) -> Stmt {
    let cond = Expr {
        kind: ExprKind::Binary(BinOp::Le, Box::new(lo.clone()), Box::new(hi.clone())),
        ty: ValueType::Int,
        span,
    };
    Stmt {
        kind: StmtKind::If {
            cond,
            then,
            els: Vec::new(),
        },
        span,
    }
}
