//! Which computations depend on parameters.
//!
//! Anything that depends on data alone runs once when data is bound: the
//! compiler finds it from dependencies, there is no "transformed data"
//! block. A local depends on parameters if any of its definitions reads a
//! parameter or a parameter-dependent local, or happens under a condition
//! or loop bound that does. A top-level statement that reads and writes
//! only data-only things (and generates nothing) is run at bind time.

use crate::ir::{Expr, ExprKind, LocalId, Model, PrintItem, Stmt, StmtKind};

/// The result of the analysis.
pub struct Classes {
    /// Per local: depends on parameters.
    pub param_dependent: Vec<bool>,
    /// Per top-level statement: run once at bind time.
    pub static_stmt: Vec<bool>,
}

pub fn classify(model: &Model) -> Classes {
    let mut dep = vec![false; model.locals.len()];
    // Fixed point: marking only ever adds, so this terminates.
    loop {
        let mut changed = false;
        mark(&model.body, false, &mut dep, &mut changed);
        for f in &model.functions {
            // Function arguments and locals: a function's result depends on
            // parameters when any argument does; its locals are treated as
            // parameter-dependent so that calls are never hoisted wrongly.
            for a in &f.args {
                if !dep[a.index()] {
                    dep[a.index()] = true;
                    changed = true;
                }
            }
            mark(&f.body, true, &mut dep, &mut changed);
        }
        if !changed {
            break;
        }
    }
    let mut static_stmt: Vec<bool> = model.body.iter().map(|s| stmt_is_static(s, &dep)).collect();
    // A local written by a statement that runs in the density is "dynamic":
    // statements that declare, write or read it cannot run at bind time.
    let mut dynamic = vec![false; model.locals.len()];
    loop {
        let mut changed = false;
        for (s, st) in model.body.iter().zip(static_stmt.iter()) {
            if !*st {
                touched(
                    std::slice::from_ref(s),
                    &mut |l, _| {
                        if !dynamic[l.index()] {
                            dynamic[l.index()] = true;
                            changed = true;
                        }
                    },
                    true,
                );
            }
        }
        for (s, st) in model.body.iter().zip(static_stmt.iter_mut()) {
            if *st {
                let mut hits = false;
                touched(
                    std::slice::from_ref(s),
                    &mut |l, _| hits |= dynamic[l.index()],
                    false,
                );
                if hits {
                    *st = false;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    Classes {
        param_dependent: dep,
        static_stmt,
    }
}

/// Calls `f(local, is_write)` for locals a statement declares or writes
/// (and, unless `writes_only`, reads).
fn touched(stmts: &[Stmt], f: &mut impl FnMut(LocalId, bool), writes_only: bool) {
    let reads = |e: &Expr, f: &mut dyn FnMut(LocalId, bool)| {
        if !writes_only {
            e.visit(&mut |x| {
                if let ExprKind::Local(l) = x.kind {
                    f(l, false)
                }
            });
        }
    };
    for s in stmts {
        match &s.kind {
            StmtKind::Let { local, value } => {
                f(*local, true);
                reads(value, f);
            }
            StmtKind::Var { local, init, .. } => {
                f(*local, true);
                if let Some(e) = init {
                    reads(e, f);
                }
            }
            StmtKind::Assign {
                target,
                indices,
                value,
                ..
            } => {
                f(*target, true);
                reads(value, f);
                indices.iter().for_each(|e| reads(e, f));
            }
            StmtKind::Tilde { lhs, args, .. } => {
                reads(lhs, f);
                args.iter().for_each(|e| reads(e, f));
            }
            StmtKind::TargetAdd(e) | StmtKind::Return(e) | StmtKind::Gen { value: e, .. } => {
                reads(e, f)
            }
            StmtKind::For { var, lo, hi, body } => {
                f(*var, true);
                reads(lo, f);
                reads(hi, f);
                touched(body, f, writes_only);
            }
            StmtKind::If { cond, then, els } => {
                reads(cond, f);
                touched(then, f, writes_only);
                touched(els, f, writes_only);
            }
            StmtKind::While { cond, body } => {
                reads(cond, f);
                touched(body, f, writes_only);
            }
            StmtKind::Print(items) | StmtKind::Reject(items) => {
                print_values(items).for_each(|e| reads(e, f))
            }
            StmtKind::Break | StmtKind::Continue => {}
            StmtKind::Block(b) | StmtKind::GenBlock { body: b, .. } => touched(b, f, writes_only),
        }
    }
}

fn set(dep: &mut [bool], l: LocalId, v: bool, changed: &mut bool) {
    if v && !dep[l.index()] {
        dep[l.index()] = true;
        *changed = true;
    }
}

fn mark(stmts: &[Stmt], ctrl: bool, dep: &mut [bool], changed: &mut bool) {
    for s in stmts {
        match &s.kind {
            StmtKind::Let { local, value } => {
                let d = ctrl || expr_dep(value, dep);
                set(dep, *local, d, changed);
            }
            StmtKind::Var { local, init, .. } => {
                let d = ctrl || init.as_ref().is_some_and(|e| expr_dep(e, dep));
                set(dep, *local, d, changed);
            }
            StmtKind::Assign {
                target,
                indices,
                value,
                ..
            } => {
                let d = ctrl || expr_dep(value, dep) || indices.iter().any(|e| expr_dep(e, dep));
                set(dep, *target, d, changed);
            }
            StmtKind::For { var, lo, hi, body } => {
                let c = ctrl || expr_dep(lo, dep) || expr_dep(hi, dep) || jump_depends(body, dep);
                set(dep, *var, c, changed);
                mark(body, c, dep, changed);
            }
            StmtKind::While { cond, body } => {
                let c = ctrl || expr_dep(cond, dep) || jump_depends(body, dep);
                mark(body, c, dep, changed);
            }
            StmtKind::If { cond, then, els } => {
                let c = ctrl || expr_dep(cond, dep);
                mark(then, c, dep, changed);
                mark(els, c, dep, changed);
            }
            StmtKind::Block(b) => mark(b, ctrl, dep, changed),
            // Generated quantities are computed per draw, never hoisted.
            StmtKind::GenBlock { body, .. } => mark(body, true, dep, changed),
            StmtKind::Tilde { .. }
            | StmtKind::TargetAdd(_)
            | StmtKind::Gen { .. }
            | StmtKind::Return(_)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Print(_)
            | StmtKind::Reject(_) => {}
        }
    }
}

/// Whether a `break` or `continue` in a loop body sits under a condition
/// that depends on parameters: then how far the loop runs, and so every
/// write in it, depends on parameters too.
fn jump_depends(stmts: &[Stmt], dep: &[bool]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        StmtKind::If { cond, then, els } => {
            (expr_dep(cond, dep) && (has_jump(then) || has_jump(els)))
                || jump_depends(then, dep)
                || jump_depends(els, dep)
        }
        StmtKind::Block(b) => jump_depends(b, dep),
        _ => false,
    })
}

/// Whether `break` or `continue` appears in `stmts` (outside nested loops,
/// whose jumps are their own).
fn has_jump(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        StmtKind::Break | StmtKind::Continue => true,
        StmtKind::If { then, els, .. } => has_jump(then) || has_jump(els),
        StmtKind::Block(b) => has_jump(b),
        _ => false,
    })
}

/// The value expressions of `print` / `reject`.
fn print_values(items: &[PrintItem]) -> impl Iterator<Item = &Expr> {
    items.iter().filter_map(|i| match i {
        PrintItem::Value(e) => Some(e),
        PrintItem::Text(_) => None,
    })
}

/// Whether an expression reads a parameter (directly or through locals).
pub fn expr_dep(e: &Expr, dep: &[bool]) -> bool {
    let mut found = false;
    e.visit(&mut |x| match &x.kind {
        ExprKind::Param(_) | ExprKind::Gen(_) | ExprKind::Rng(..) | ExprKind::Target => {
            found = true
        }
        ExprKind::Local(l) if dep[l.index()] => found = true,
        _ => {}
    });
    found
}

/// A statement that touches only data-only things.
fn stmt_is_static(s: &Stmt, dep: &[bool]) -> bool {
    match &s.kind {
        StmtKind::Let { local, value } => !dep[local.index()] && !expr_dep(value, dep),
        StmtKind::Var { local, init, .. } => {
            !dep[local.index()] && !init.as_ref().is_some_and(|e| expr_dep(e, dep))
        }
        StmtKind::Assign {
            target,
            indices,
            value,
            ..
        } => {
            !dep[target.index()]
                && !expr_dep(value, dep)
                && !indices.iter().any(|e| expr_dep(e, dep))
        }
        StmtKind::Tilde { lhs, args, .. } => {
            !expr_dep(lhs, dep) && !args.iter().any(|e| expr_dep(e, dep))
        }
        StmtKind::TargetAdd(e) => !expr_dep(e, dep),
        StmtKind::For { var, lo, hi, body } => {
            !dep[var.index()]
                && !expr_dep(lo, dep)
                && !expr_dep(hi, dep)
                && body.iter().all(|b| stmt_is_static(b, dep))
        }
        StmtKind::If { cond, then, els } => {
            !expr_dep(cond, dep)
                && then.iter().all(|b| stmt_is_static(b, dep))
                && els.iter().all(|b| stmt_is_static(b, dep))
        }
        StmtKind::While { cond, body } => {
            !expr_dep(cond, dep) && body.iter().all(|b| stmt_is_static(b, dep))
        }
        StmtKind::Print(items) | StmtKind::Reject(items) => {
            !print_values(items).any(|e| expr_dep(e, dep))
        }
        StmtKind::Break | StmtKind::Continue => true,
        StmtKind::Block(b) => b.iter().all(|x| stmt_is_static(x, dep)),
        StmtKind::Gen { .. } | StmtKind::GenBlock { .. } | StmtKind::Return(_) => false,
    }
}
