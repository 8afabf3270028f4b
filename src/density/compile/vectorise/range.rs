//! One loop's range and the array forms of the expressions of its body.

use super::walk::pure;
use crate::builtins::Builtin;
use crate::dist::{ArgShape, Cumulative, DistId};
use crate::ir::{
    BinOp, DistRef, Expr, ExprKind, Index, LocalId, LocalKind, Model, UnOp, ValueType,
};
use crate::scalar::HALF_LOG_TWO_PI;
use crate::source::Span;
use std::cell::RefCell;

/// How an expression of the loop body reads over the whole range.
pub(super) enum Form {
    /// The same value in every iteration: kept as it is.
    Fixed,
    /// One value per iteration: this array expression gives them all.
    Elementwise(Expr),
}

pub(super) struct LoopRange<'m> {
    pub(super) model: &'m Model,
    pub(super) var: LocalId,
    pub(super) lo: &'m Expr,
    pub(super) hi: &'m Expr,
    /// Summed density calls to evaluate (for their checks of the
    /// arguments) before the statement whose element-wise densities they
    /// stand for.
    pub(super) checks: RefCell<Vec<Expr>>,
    /// The `let`s of the body whose values change with the index, and
    /// their array forms (substituted where they are read).
    pub(super) lets: Vec<(LocalId, Expr)>,
    /// Conditions under which the rewritten statements are the loop's (see
    /// `fill`): the whole loop runs as it is when one fails.
    pub(super) guards: RefCell<Vec<Expr>>,
}

impl LoopRange<'_> {
    /// The additive terms of a `target +=` over the range, each summed by
    /// its own statement; `None` when a term is outside the subset.
    pub(super) fn terms(&self, e: &Expr, negate: bool, out: &mut Vec<Expr>) -> Option<()> {
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
    pub(super) fn density_call(
        &self,
        d: DistId,
        y: &Expr,
        args: &[Expr],
    ) -> Option<(Expr, Vec<Expr>)> {
        let spec = d.spec();
        if !d.is_univariate() {
            return self.rows_call(d, y, args);
        }
        if spec.args.len() != args.len() {
            return None;
        }
        let shapes = std::iter::once(spec.variate.shape).chain(spec.args.iter().map(|a| a.shape));
        let exprs: Vec<&Expr> = std::iter::once(y).chain(args).collect();
        let mut out = self.positions(shapes.zip(exprs))?;
        let y = out.remove(0);
        Some((y, out))
    }

    /// A multivariate normal or Student's t density of one row per
    /// iteration, `y[i] ~ multi_normal_cholesky(mu, L)` with the arguments
    /// the same in every iteration: the rows lo..hi of the matrix y, which
    /// these distributions take as observations, with the arguments (and
    /// the factorisations they need) evaluated once.
    fn rows_call(&self, d: DistId, y: &Expr, args: &[Expr]) -> Option<(Expr, Vec<Expr>)> {
        let rows_are_observations = matches!(
            d,
            DistId::MultiNormal
                | DistId::MultiNormalCholesky
                | DistId::MultiNormalPrec
                | DistId::MultiStudentT
        );
        if !rows_are_observations || args.iter().any(|a| self.moves(a) || !pure(a)) {
            return None;
        }
        let ExprKind::Index(base, idx) = &y.kind else {
            return None;
        };
        let [Index::Single(p)] = &idx[..] else {
            return None;
        };
        let by_index = matches!(p.kind, ExprKind::Local(l) if l == self.var);
        if !by_index
            || base.ty != ValueType::Matrix
            || self.moves(base)
            || !pure(base)
            || self.is_var(base)
        {
            return None;
        }
        let range = Index::Slice(Some(self.lo.clone()), Some(self.hi.clone()));
        let rows = Expr {
            kind: ExprKind::Index(base.clone(), vec![range]),
            ty: ValueType::Matrix,
            span: y.span,
        };
        Some((rows, args.to_vec()))
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
    pub(super) fn form(&self, e: &Expr) -> Option<Form> {
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
                let (a, b) = (self.operand(a, e.ty)?, self.operand(b, e.ty)?);
                ExprKind::Binary(op, Box::new(a), Box::new(b))
            }
            ExprKind::Lpdf {
                dist: DistRef::Builtin(DistId::Normal),
                y,
                args,
            } if args.len() == 2 => return self.normal_elementwise(e.span, y, &args[0], &args[1]),
            ExprKind::Call(f, args) if e.ty == ValueType::Real && elementwise(*f) => {
                let args = args
                    .iter()
                    .map(|a| self.operand(a, e.ty))
                    .collect::<Option<_>>()?;
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

    /// An operand of an operation whose result has type `ty`: the index
    /// itself is a vector of its values when the result is real (`a * i`,
    /// `exp(0.1 * i)`), where an int would be promoted anyway.
    fn operand(&self, e: &Expr, ty: ValueType) -> Option<Expr> {
        if ty != ValueType::Real || !matches!(e.kind, ExprKind::Local(l) if l == self.var) {
            return self.array(e);
        }
        // lo, lo + 1, ..., hi: the step (hi − lo)/(n − 1) is exactly 1.
        let int = |kind| Expr {
            kind,
            ty: ValueType::Int,
            span: e.span,
        };
        let (lo, hi) = (Box::new(self.lo.clone()), Box::new(self.hi.clone()));
        let count = int(ExprKind::Binary(
            BinOp::Add,
            Box::new(int(ExprKind::Binary(BinOp::Sub, hi, lo))),
            Box::new(int(ExprKind::Int(1))),
        ));
        Some(Expr {
            kind: ExprKind::Call(
                Builtin::LinspacedVector,
                vec![count, self.lo.clone(), self.hi.clone()],
            ),
            ty: ValueType::Vector,
            span: e.span,
        })
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
        e.any(&mut |x| match x.kind {
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
