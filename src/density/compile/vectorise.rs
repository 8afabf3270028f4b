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
//! - `+ - * / .* ./ ^`, unary minus, the element-wise built-ins of one
//!   argument (`exp`, `inv_logit`, ...), the broadcasting ones of two
//!   (`pow`, `log_sum_exp(a, b)`, `fmin`, ...) and `log_mix(theta, a, b)`;
//! - `normal_lpdf(y | mu, sigma)` of one element inside such an expression
//!   (a per-row mixture: `log_sum_exp(log(p) + normal_lpdf(y[i] | ...), ...)`),
//!   as the array of the elements' densities; the summed call runs first,
//!   for its checks of the arguments;
//! - anything that does not mention `i` and calls no user function;
//! - a `let` of the body: read as its array form when it changes with `i`,
//!   computed once when it does not.
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
use crate::dist::{ArgShape, Cumulative, DistId};
use crate::ir::{
    BinOp, DistRef, Expr, ExprKind, Index, LocalId, LocalKind, Model, Stmt, StmtKind, UnOp,
    ValueType,
};
use crate::scalar::HALF_LOG_TWO_PI;
use crate::source::Span;
use std::cell::RefCell;

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
    if !pure(lo) || !pure(hi) || body.is_empty() {
        return None;
    }
    let mut loop_ = LoopRange {
        model,
        var,
        lo,
        hi,
        checks: RefCell::new(Vec::new()),
        lets: Vec::new(),
    };
    let mut then = Vec::new();
    for s in body {
        let mut rewritten = Vec::new();
        match &s.kind {
            StmtKind::Tilde {
                lhs,
                dist: DistRef::Builtin(d),
                args,
            } => {
                let (lhs, args) = loop_.density_call(*d, lhs, args)?;
                rewritten.push(Stmt {
                    kind: StmtKind::Tilde {
                        lhs,
                        dist: DistRef::Builtin(*d),
                        args,
                    },
                    span: s.span,
                });
            }
            StmtKind::TargetAdd(e) => {
                let mut terms = Vec::new();
                loop_.terms(e, false, &mut terms)?;
                for term in terms {
                    rewritten.push(Stmt {
                        kind: StmtKind::TargetAdd(term),
                        span: s.span,
                    });
                }
            }
            // A `let` of one value per element is read as its array form;
            // one that is the same in every iteration is computed once.
            StmtKind::Let { local, value } if value.ty.is_scalar() => match loop_.form(value)? {
                Form::Fixed => rewritten.push(s.clone()),
                Form::Elementwise(v) => loop_.lets.push((*local, v)),
            },
            _ => return None,
        }
        for check in loop_.checks.borrow_mut().drain(..) {
            then.push(Stmt {
                kind: StmtKind::If {
                    cond: check,
                    then: Vec::new(),
                    els: Vec::new(),
                },
                span: s.span,
            });
        }
        then.extend(rewritten);
    }
    let cond = Expr {
        kind: ExprKind::Binary(BinOp::Le, Box::new(lo.clone()), Box::new(hi.clone())),
        ty: ValueType::Int,
        span,
    };
    Some(Stmt {
        kind: StmtKind::If {
            cond,
            then,
            els: Vec::new(),
        },
        span,
    })
}

/// How an expression of the loop body reads over the whole range.
enum Form {
    /// The same value in every iteration: kept as it is.
    Fixed,
    /// One value per iteration: this array expression gives them all.
    Elementwise(Expr),
}

struct LoopRange<'m> {
    model: &'m Model,
    var: LocalId,
    lo: &'m Expr,
    hi: &'m Expr,
    /// Summed density calls to evaluate (for their checks of the
    /// arguments) before the statement whose element-wise densities they
    /// stand for.
    checks: RefCell<Vec<Expr>>,
    /// The `let`s of the body whose values change with the index, and
    /// their array forms (substituted where they are read).
    lets: Vec<(LocalId, Expr)>,
}

impl LoopRange<'_> {
    /// The additive terms of a `target +=` over the range, each summed by
    /// its own statement; `None` when a term is outside the subset.
    fn terms(&self, e: &Expr, negate: bool, out: &mut Vec<Expr>) -> Option<()> {
        match &e.kind {
            ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) if e.ty == ValueType::Real => {
                self.terms(a, negate, out)?;
                self.terms(b, negate ^ (*op == BinOp::Sub), out)
            }
            ExprKind::Unary(UnOp::Neg, a) => self.terms(a, !negate, out),
            _ => {
                let term = self.summed_term(e)?;
                out.push(if negate { negated(term) } else { term });
                Some(())
            }
        }
    }

    /// One term of a `target +=`: a density or cumulative call, or an
    /// element-wise expression of the index (summed when added).
    fn summed_term(&self, e: &Expr) -> Option<Expr> {
        let kind = match &e.kind {
            ExprKind::Lpdf {
                dist: DistRef::Builtin(d),
                y,
                args,
            } => {
                let (y, args) = self.density_call(*d, y, args)?;
                ExprKind::Lpdf {
                    dist: DistRef::Builtin(*d),
                    y: Box::new(y),
                    args,
                }
            }
            ExprKind::Cumulative {
                dist,
                kind: kind @ (Cumulative::Lcdf | Cumulative::Lccdf | Cumulative::Truncation),
                y,
                args,
            } => {
                let (y, args) = self.cumulative_call(*dist, *kind, y, args)?;
                ExprKind::Cumulative {
                    dist: *dist,
                    kind: *kind,
                    y: Box::new(y),
                    args,
                }
            }
            _ => match self.form(e)? {
                Form::Elementwise(v) if e.ty == ValueType::Real => return Some(v),
                _ => return None,
            },
        };
        Some(Expr {
            kind,
            ty: e.ty,
            span: e.span,
        })
    }

    /// The variate and arguments of a univariate density over the range:
    /// element-wise where the distribution takes vectors, and at least one
    /// element-wise (a call that is the same in every iteration would be
    /// counted once per iteration).
    fn density_call(&self, d: DistId, y: &Expr, args: &[Expr]) -> Option<(Expr, Vec<Expr>)> {
        let spec = d.spec();
        if !d.is_univariate() || spec.args.len() != args.len() {
            return None;
        }
        let shapes = std::iter::once(spec.variate.shape).chain(spec.args.iter().map(|a| a.shape));
        let exprs: Vec<&Expr> = std::iter::once(y).chain(args).collect();
        let mut out = self.positions(shapes.zip(exprs))?;
        let y = out.remove(0);
        Some((y, out))
    }

    /// `_lcdf`, `_lccdf` or the truncation term over the range; truncation
    /// bounds must be the same in every iteration.
    fn cumulative_call(
        &self,
        d: DistId,
        kind: Cumulative,
        y: &Expr,
        args: &[Expr],
    ) -> Option<(Expr, Vec<Expr>)> {
        let spec = d.spec();
        let bounds = usize::from(kind == Cumulative::Truncation) * 2;
        if !d.is_univariate() || args.len() != spec.args.len() + bounds {
            return None;
        }
        let shapes = std::iter::once(ArgShape::Elem)
            .chain(std::iter::repeat_n(ArgShape::Scalar, bounds))
            .chain(spec.args.iter().map(|a| a.shape));
        let exprs: Vec<&Expr> = std::iter::once(y).chain(args).collect();
        let mut out = self.positions(shapes.zip(exprs))?;
        let y = out.remove(0);
        Some((y, out))
    }

    /// The positions of a call, each scalar in the body: element-wise ones
    /// only where the call takes vectors; at least one element-wise.
    fn positions<'e>(
        &self,
        positions: impl Iterator<Item = (ArgShape, &'e Expr)>,
    ) -> Option<Vec<Expr>> {
        let mut out = Vec::new();
        let mut any = false;
        for (shape, e) in positions {
            if !e.ty.is_scalar() {
                return None;
            }
            match self.form(e)? {
                Form::Fixed => out.push(e.clone()),
                Form::Elementwise(v) if shape == ArgShape::Elem => {
                    any = true;
                    out.push(v);
                }
                Form::Elementwise(_) => return None,
            }
        }
        any.then_some(out)
    }

    /// How `e` (a scalar in the body) reads over the range; `None` outside
    /// the subset.
    fn form(&self, e: &Expr) -> Option<Form> {
        if !self.moves(e) {
            return pure(e).then_some(Form::Fixed);
        }
        if !e.ty.is_scalar() {
            return None;
        }
        let ty = array_of(e.ty);
        let kind = match &e.kind {
            ExprKind::Local(l) => {
                let (_, v) = self.lets.iter().find(|(id, _)| id == l)?;
                return Some(Form::Elementwise(v.clone()));
            }
            ExprKind::Index(base, idx) => return self.index(e, base, idx),
            ExprKind::Unary(UnOp::Neg, a) => ExprKind::Unary(UnOp::Neg, Box::new(self.array(a)?)),
            ExprKind::Binary(op, a, b) => {
                let op = match op {
                    BinOp::Add | BinOp::Sub | BinOp::Pow | BinOp::ElemMul | BinOp::ElemDiv => *op,
                    // A vector times a vector would be a matrix product.
                    BinOp::Mul => BinOp::ElemMul,
                    BinOp::Div => BinOp::ElemDiv,
                    _ => return None,
                };
                ExprKind::Binary(op, Box::new(self.array(a)?), Box::new(self.array(b)?))
            }
            ExprKind::Lpdf {
                dist: DistRef::Builtin(DistId::Normal),
                y,
                args,
            } if args.len() == 2 => return self.normal_elementwise(e.span, y, &args[0], &args[1]),
            ExprKind::Call(f, args) if e.ty == ValueType::Real && elementwise(*f) => {
                let args = args.iter().map(|a| self.array(a)).collect::<Option<_>>()?;
                ExprKind::Call(*f, args)
            }
            _ => return None,
        };
        Some(Form::Elementwise(Expr {
            kind,
            ty,
            span: e.span,
        }))
    }

    /// `normal_lpdf(y | mu, sigma)` of one element inside an element-wise
    /// expression (a term of a per-row mixture): the density of each
    /// element, −((y − mu)/sigma)²/2 − log(sigma) − log(2π)/2, as the
    /// distribution computes it. The summed call is kept as a check, so
    /// that arguments outside the domain reject as the loop's calls do.
    fn normal_elementwise(&self, span: Span, y: &Expr, mu: &Expr, sigma: &Expr) -> Option<Form> {
        let (y, mu, sigma) = (self.array(y)?, self.array(mu)?, self.array(sigma)?);
        self.checks.borrow_mut().push(Expr {
            kind: ExprKind::Lpdf {
                dist: DistRef::Builtin(DistId::Normal),
                y: Box::new(y.clone()),
                args: vec![mu.clone(), sigma.clone()],
            },
            ty: ValueType::Real,
            span,
        });
        let node = |kind: ExprKind, parts: &[&Expr]| Expr {
            ty: if parts.iter().all(|p| p.ty.is_scalar()) {
                ValueType::Real
            } else {
                ValueType::Vector
            },
            kind,
            span,
        };
        let real = |x: f64| Expr {
            kind: ExprKind::Real(x),
            ty: ValueType::Real,
            span,
        };
        let binary = |op: BinOp, a: Expr, b: Expr| {
            let kind = ExprKind::Binary(op, Box::new(a.clone()), Box::new(b.clone()));
            node(kind, &[&a, &b])
        };
        let call = |f: Builtin, a: Expr| node(ExprKind::Call(f, vec![a.clone()]), &[&a]);
        let z = binary(BinOp::ElemDiv, binary(BinOp::Sub, y, mu), sigma.clone());
        let quadratic = binary(BinOp::ElemMul, real(-0.5), call(Builtin::Square, z));
        let lp = binary(BinOp::Sub, quadratic, call(Builtin::Log, sigma));
        Some(Form::Elementwise(binary(
            BinOp::Sub,
            lp,
            real(HALF_LOG_TWO_PI),
        )))
    }

    /// An operand over the range: its array form, or itself when fixed.
    fn array(&self, e: &Expr) -> Option<Expr> {
        if !e.ty.is_scalar() {
            return None;
        }
        match self.form(e)? {
            Form::Fixed => Some(e.clone()),
            Form::Elementwise(v) => Some(v),
        }
    }

    /// `x[i]`, `x[i ± c]`, `x[g[i]]`, `X[i, j]`, `X[j, i]` over the range:
    /// exactly one position mentions the index, the others are fixed ints.
    fn index(&self, e: &Expr, base: &Expr, idx: &[Index]) -> Option<Form> {
        if self.moves(base) || !pure(base) || self.is_var(base) {
            return None;
        }
        let ty = match (base.ty, idx.len()) {
            (ValueType::Vector, 1) | (ValueType::Matrix, 2) => ValueType::Vector,
            (ValueType::IntArray, 1) | (ValueType::IntMatrix, 2) => ValueType::IntArray,
            _ => return None,
        };
        let mut out = Vec::with_capacity(idx.len());
        let mut moving = 0;
        for ix in idx {
            let Index::Single(p) = ix else {
                return None;
            };
            if !self.moves(p) {
                out.push(Index::Single(p.clone()));
                continue;
            }
            moving += 1;
            out.push(match self.shift(p) {
                Some(shifted) => shifted,
                None => match self.form(p)? {
                    Form::Elementwise(v) if p.ty == ValueType::Int => Index::Multi(v),
                    _ => return None,
                },
            });
        }
        (moving == 1).then(|| {
            Form::Elementwise(Expr {
                kind: ExprKind::Index(Box::new(base.clone()), out),
                ty,
                span: e.span,
            })
        })
    }

    /// `i`, `i + c`, `c + i`, `i - c` (c fixed) as the slice of the range
    /// shifted by c.
    fn shift(&self, p: &Expr) -> Option<Index> {
        let is_var = |e: &Expr| matches!(e.kind, ExprKind::Local(l) if l == self.var);
        let fixed_int = |e: &Expr| e.ty == ValueType::Int && !self.moves(e) && pure(e);
        let (op, c) = match &p.kind {
            ExprKind::Local(l) if *l == self.var => {
                return Some(Index::Slice(Some(self.lo.clone()), Some(self.hi.clone())));
            }
            ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) if is_var(a) && fixed_int(b) => {
                (*op, b)
            }
            ExprKind::Binary(BinOp::Add, a, b) if is_var(b) && fixed_int(a) => (BinOp::Add, a),
            _ => return None,
        };
        let moved = |end: &Expr| Expr {
            kind: ExprKind::Binary(op, Box::new(end.clone()), c.clone()),
            ty: ValueType::Int,
            span: p.span,
        };
        Some(Index::Slice(Some(moved(self.lo)), Some(moved(self.hi))))
    }

    /// Whether `e` changes with the index: it reads the loop variable or
    /// a `let` of the body that does.
    fn moves(&self, e: &Expr) -> bool {
        any_node(e, &mut |x| match x.kind {
            ExprKind::Local(l) => l == self.var || self.lets.iter().any(|(id, _)| *id == l),
            _ => false,
        })
    }

    /// Whether `e` names a `var` (read element by element, possibly unset).
    fn is_var(&self, e: &Expr) -> bool {
        matches!(e.kind, ExprKind::Local(l) if self.model.local(l).kind == LocalKind::Var)
    }
}

/// The element-wise built-ins with an array form (`lmgamma` takes an int
/// dimension first and stays out).
fn elementwise(f: Builtin) -> bool {
    f.is_elementwise_unary()
        || (f.is_broadcasting_binary() && f != Builtin::Lmgamma)
        || f == Builtin::LogMix3
}

/// The array type of the values of a scalar expression over a range.
fn array_of(ty: ValueType) -> ValueType {
    if ty == ValueType::Int {
        ValueType::IntArray
    } else {
        ValueType::Vector
    }
}

fn negated(e: Expr) -> Expr {
    let span = e.span;
    Expr {
        ty: e.ty,
        kind: ExprKind::Unary(UnOp::Neg, Box::new(e)),
        span,
    }
}

/// Whether evaluating `e` once gives what evaluating it in every
/// iteration gives: no user function (which may print or reject), no
/// `target()`, no random numbers.
fn pure(e: &Expr) -> bool {
    !any_node(e, &mut |x| {
        matches!(
            x.kind,
            ExprKind::CallUser(..) | ExprKind::Target | ExprKind::Rng(..) | ExprKind::Gen(_)
        )
    })
}

/// Whether `hit` holds for `e` or any expression inside it.
fn any_node(e: &Expr, hit: &mut impl FnMut(&Expr) -> bool) -> bool {
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
