//! Checking expressions: operators, indexing, literals.

use super::Checker;
use super::types::{self, Dims, ParamSet, Size, TExpr};
use crate::ast::{self, ExprKind as A, IndexKind};
use crate::diagnostics::Diagnostic;
use crate::ir::{self, BinOp, ExprKind as I, Index, Ty, UnOp};
use crate::source::Span;

fn lit(kind: I, ty: Ty, span: Span) -> TExpr {
    TExpr {
        e: ir::Expr { kind, ty, span },
        dims: Dims::UNKNOWN,
        params: ParamSet::default(),
    }
}

impl Checker<'_> {
    /// Checks an expression; `None` when it has an error (already reported).
    pub(super) fn expr(&mut self, e: &ast::Expr) -> Option<TExpr> {
        let span = e.span;
        match &e.kind {
            A::Int(v) => Some(lit(I::Int(*v), Ty::Int, span)),
            A::Real(v) => Some(lit(I::Real(*v), Ty::Real, span)),
            A::Bool(b) => Some(lit(I::Int(i64::from(*b)), Ty::Int, span)),
            A::Name(n) => self.name_ref(n, span),
            A::Unary(op, x) => {
                let x = self.expr(x)?;
                self.unary(*op, x, span)
            }
            A::Binary(op, a, b) => {
                let a = self.expr(a);
                let b = self.expr(b);
                self.binary(*op, a?, b?, span)
            }
            A::Cond(c, a, b) => self.conditional(c, a, b, span),
            A::Index(base, items) => self.index(base, items, span),
            A::Call { func, args, bar } => self.call(func, args, *bar, span),
            A::VecLit(items) => self.vector_literal(items, span),
        }
    }

    /// `c ? a : b`
    fn conditional(
        &mut self,
        c: &ast::Expr,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
    ) -> Option<TExpr> {
        let c = self.expr(c);
        let a = self.expr(a);
        let b = self.expr(b);
        let (c, a, b) = (c?, a?, b?);
        if !c.ty().is_scalar() {
            self.error(
                Diagnostic::error(
                    "condition-not-scalar",
                    format!(
                        "the condition of `?:` must be a scalar, found {}",
                        c.ty().describe()
                    ),
                )
                .with_label(c.e.span, "not a scalar"),
            );
            return None;
        }
        let Some(ty) = types::join(a.ty(), b.ty()) else {
            self.error(
                Diagnostic::error(
                    "branch-types",
                    "the two branches of `?:` have different kinds",
                )
                .with_label(a.e.span, a.ty().describe())
                .with_label(b.e.span, b.ty().describe()),
            );
            return None;
        };
        let mut params = c.params;
        params.union_with(&a.params);
        params.union_with(&b.params);
        let dims = a.dims.unify(b.dims).unwrap_or(Dims::UNKNOWN);
        Some(TExpr {
            e: ir::Expr {
                kind: I::Cond(Box::new(c.e), Box::new(a.e), Box::new(b.e)),
                ty,
                span,
            },
            dims,
            params,
        })
    }

    /// `[a, b, c]`: a vector of scalars.
    fn vector_literal(&mut self, items: &[ast::Expr], span: Span) -> Option<TExpr> {
        let checked: Vec<Option<TExpr>> = items.iter().map(|i| self.expr(i)).collect();
        let mut out = Vec::new();
        let mut params = ParamSet::default();
        let mut ok = true;
        for t in checked {
            let Some(t) = t else {
                ok = false;
                continue;
            };
            if !t.ty().is_scalar() {
                self.error(
                    Diagnostic::error(
                        "vector-literal-element",
                        format!(
                            "the elements of a vector literal must be scalars, found {}",
                            t.ty().describe()
                        ),
                    )
                    .with_label(t.e.span, "not a scalar")
                    .with_help("to join vectors use `append_row(a, b)`"),
                );
                ok = false;
                continue;
            }
            params.union_with(&t.params);
            out.push(t.e);
        }
        if !ok {
            return None;
        }
        let n = out.len() as i64;
        Some(TExpr {
            e: ir::Expr {
                kind: I::VecLit(out),
                ty: Ty::Vector,
                span,
            },
            dims: Dims::vector(Size::Lit(n)),
            params,
        })
    }

    fn unary(&mut self, op: UnOp, x: TExpr, span: Span) -> Option<TExpr> {
        let ty = match (op, x.ty()) {
            (UnOp::Neg, Ty::IntArray) => Ty::Vector,
            (UnOp::Neg, t) => t,
            (UnOp::Not, t) if t.is_scalar() => Ty::Int,
            (UnOp::Not, t) => {
                self.error(
                    Diagnostic::error(
                        "bad-operand",
                        format!("`!` applies to scalars, found {}", t.describe()),
                    )
                    .with_label(x.e.span, t.describe()),
                );
                return None;
            }
        };
        // Fold negative literals so that `-1` is a literal, as users read it.
        let kind = match (op, &x.e.kind) {
            (UnOp::Neg, I::Int(v)) if *v != i64::MIN => I::Int(-v),
            (UnOp::Neg, I::Real(v)) => I::Real(-v),
            _ => I::Unary(op, Box::new(x.e)),
        };
        Some(TExpr {
            e: ir::Expr { kind, ty, span },
            dims: x.dims,
            params: x.params,
        })
    }

    pub(super) fn describe_size(&self, s: Size) -> String {
        match s {
            Size::Data(d) => format!("`{}`", self.m.data(d).name),
            Size::Lit(v) => v.to_string(),
            Size::Unknown => "unknown".into(),
        }
    }

    /// Reports a certain size mismatch between two operands.
    pub(super) fn shape_mismatch(&mut self, what: &str, a: &TExpr, b: &TExpr, span: Span) {
        let (sa, sb) = if a.dims.rows.unify(b.dims.rows).is_err() {
            (a.dims.rows, b.dims.rows)
        } else {
            (a.dims.cols, b.dims.cols)
        };
        let (da, db) = (self.describe_size(sa), self.describe_size(sb));
        self.error(
            Diagnostic::error("shape-mismatch", format!("shape mismatch in {what}: size {da} against size {db}"))
                .with_label(a.e.span, format!("size {da}"))
                .with_label(b.e.span, format!("size {db}"))
                .with_label(span, "in this expression")
                .with_help(format!(
                    "the sizes come from different data declarations; if they are always equal, declare both with {da}"
                )),
        );
    }

    pub(super) fn binary(&mut self, op: BinOp, a: TExpr, b: TExpr, span: Span) -> Option<TExpr> {
        let ty = match types::binary(op, a.ty(), b.ty()) {
            Ok(t) => t,
            Err(err) => {
                let mut d = Diagnostic::error("bad-operands", err.message)
                    .with_label(a.e.span, a.ty().describe())
                    .with_label(b.e.span, b.ty().describe());
                if let Some(h) = err.help {
                    d = d.with_help(h);
                }
                self.error(d);
                return None;
            }
        };
        let dims = match types::binary_dims(op, (a.ty(), a.dims), (b.ty(), b.dims)) {
            Ok(d) => d,
            Err(()) => {
                let what = if op == BinOp::Mul {
                    "a matrix product (columns of the left against rows of the right)"
                } else {
                    "an element-wise operation"
                };
                if op == BinOp::Mul {
                    let (ca, rb) = (
                        self.describe_size(a.dims.cols),
                        self.describe_size(b.dims.rows),
                    );
                    self.error(
                        Diagnostic::error(
                            "shape-mismatch",
                            format!("shape mismatch in {what}: {ca} columns against {rb} rows"),
                        )
                        .with_label(a.e.span, format!("{ca} columns"))
                        .with_label(b.e.span, format!("{rb} rows")),
                    );
                } else {
                    self.shape_mismatch(what, &a, &b, span);
                }
                return None;
            }
        };
        let mut params = a.params;
        params.union_with(&b.params);
        Some(TExpr {
            e: ir::Expr {
                kind: I::Binary(op, Box::new(a.e), Box::new(b.e)),
                ty,
                span,
            },
            dims,
            params,
        })
    }

    /// An int index expression, or `None` with a diagnostic.
    pub(super) fn int_expr(&mut self, e: &ast::Expr, what: &str) -> Option<TExpr> {
        let t = self.expr(e)?;
        if t.ty() != Ty::Int {
            self.error(
                Diagnostic::error(
                    "not-int",
                    format!("{what} must be an int, found {}", t.ty().describe()),
                )
                .with_label(t.e.span, t.ty().describe()),
            );
            return None;
        }
        Some(t)
    }

    fn index(&mut self, base: &ast::Expr, items: &[ast::IndexItem], span: Span) -> Option<TExpr> {
        let base = self.expr(base);
        let mut idx = Vec::new();
        let mut params = ParamSet::default();
        let mut ok = true;
        // How many elements each index selects: None for a single element.
        let mut sel: Vec<Option<Size>> = Vec::new();
        for item in items {
            match self.index_item(item, &mut params) {
                Some((i, s)) => {
                    idx.push(i);
                    sel.push(s);
                }
                None => ok = false,
            }
        }
        let base = base?;
        if !ok {
            return None;
        }
        params.union_with(&base.params);
        let (ty, dims) = self.indexed_type(&base, &idx, &sel, span)?;
        Some(TExpr {
            e: ir::Expr {
                kind: I::Index(Box::new(base.e), idx),
                ty,
                span,
            },
            dims,
            params,
        })
    }

    /// One index: the IR index and the size it selects (`None` for a
    /// single element); its parameters join `params`.
    fn index_item(
        &mut self,
        item: &ast::IndexItem,
        params: &mut ParamSet,
    ) -> Option<(Index, Option<Size>)> {
        match &item.kind {
            IndexKind::All => Some((Index::All, Some(Size::Unknown))),
            IndexKind::Slice(lo, hi) => {
                let lo = lo.as_ref().map(|e| self.int_expr(e, "a slice bound"));
                let hi = hi.as_ref().map(|e| self.int_expr(e, "a slice bound"));
                match (lo, hi) {
                    (Some(None), _) | (_, Some(None)) => None,
                    (lo, hi) => {
                        let mut bound = |t: Option<TExpr>| {
                            t.map(|t| {
                                params.union_with(&t.params);
                                t.e
                            })
                        };
                        let lo = bound(lo.flatten());
                        let hi = bound(hi.flatten());
                        Some((Index::Slice(lo, hi), Some(Size::Unknown)))
                    }
                }
            }
            IndexKind::Expr(e) => {
                let t = self.expr(e)?;
                params.union_with(&t.params);
                match t.ty() {
                    Ty::Int => Some((Index::Single(t.e), None)),
                    Ty::IntArray => {
                        let n = t.dims.rows;
                        Some((Index::Multi(t.e), Some(n)))
                    }
                    other => {
                        self.error(
                            Diagnostic::error("bad-index", format!("an index must be an int (or an int[] to gather elements), found {}", other.describe()))
                                .with_label(t.e.span, other.describe()),
                        );
                        None
                    }
                }
            }
        }
    }

    /// The type and dimensions of `base[idx]`, or a `bad-index` error.
    fn indexed_type(
        &mut self,
        base: &TExpr,
        idx: &[Index],
        sel: &[Option<Size>],
        span: Span,
    ) -> Option<(Ty, Dims)> {
        let bd = base.dims;
        // The size a selecting index keeps: all of `full` for `:`.
        let keep = |s: Option<Size>, full: Size, i: &Index| -> Size {
            match (s, i) {
                (_, Index::All) => full,
                (Some(s), _) => s,
                (None, _) => Size::Unknown,
            }
        };
        let found = match (base.ty(), idx.len()) {
            (Ty::Vector | Ty::IntArray, 1) => {
                let elem = if base.ty() == Ty::Vector {
                    Ty::Real
                } else {
                    Ty::Int
                };
                match sel[0] {
                    None => (elem, Dims::UNKNOWN),
                    s => (base.ty(), Dims::vector(keep(s, bd.rows, &idx[0]))),
                }
            }
            (Ty::Matrix, 1) => match sel[0] {
                None => (Ty::Vector, Dims::vector(bd.cols)),
                s => (
                    Ty::Matrix,
                    Dims {
                        rows: keep(s, bd.rows, &idx[0]),
                        cols: bd.cols,
                    },
                ),
            },
            (Ty::Matrix, 2) => match (sel[0], sel[1]) {
                (None, None) => (Ty::Real, Dims::UNKNOWN),
                (None, s) => (Ty::Vector, Dims::vector(keep(s, bd.cols, &idx[1]))),
                (s, None) => (Ty::Vector, Dims::vector(keep(s, bd.rows, &idx[0]))),
                (s, t) => (
                    Ty::Matrix,
                    Dims {
                        rows: keep(s, bd.rows, &idx[0]),
                        cols: keep(t, bd.cols, &idx[1]),
                    },
                ),
            },
            (t, n) => {
                let (msg, help) = match t {
                    Ty::Int | Ty::Real => (
                        format!("cannot index a scalar ({})", t.describe()),
                        "only vectors, int arrays and matrices have elements",
                    ),
                    Ty::Matrix => (
                        format!("a matrix takes one or two indices, found {n}"),
                        "write `X[i, j]`, `X[i]` (a row) or `X[:, j]` (a column)",
                    ),
                    _ => (
                        format!("a {} takes one index, found {n}", t.describe()),
                        "write `v[i]`",
                    ),
                };
                self.error(
                    Diagnostic::error("bad-index", msg)
                        .with_label(span, "indexed here")
                        .with_label(base.e.span, t.describe())
                        .with_help(help),
                );
                return None;
            }
        };
        Some(found)
    }
}
