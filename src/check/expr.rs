//! Checking expressions: operators, indexing, literals.

use super::Checker;
use super::types::{self, Dims, ParamSet, Size, TypedExpr};
use crate::ast::{self, ExprKind as AstExpr, IndexKind};
use crate::diagnostics::Diagnostic;
use crate::ir::{BinOp, ExprKind as IrExpr, Index, UnOp, ValueType};
use crate::source::Span;

fn lit(kind: IrExpr, ty: ValueType, span: Span) -> TypedExpr {
    TypedExpr::new(kind, ty, span, Dims::UNKNOWN, ParamSet::default())
}

impl Checker<'_> {
    /// Checks an expression; `None` when it has an error (already reported).
    pub(super) fn expr(&mut self, e: &ast::Expr) -> Option<TypedExpr> {
        let span = e.span;
        match &e.kind {
            AstExpr::Int(v) => Some(lit(IrExpr::Int(*v), ValueType::Int, span)),
            AstExpr::Real(v) => Some(lit(IrExpr::Real(*v), ValueType::Real, span)),
            AstExpr::Bool(b) => Some(lit(IrExpr::Int(i64::from(*b)), ValueType::Int, span)),
            AstExpr::Name(n) => self.name_ref(n, span),
            AstExpr::Unary(op, x) => {
                let x = self.expr(x)?;
                self.unary(*op, x, span)
            }
            AstExpr::Binary(op, a, b) => {
                let a = self.expr(a);
                let b = self.expr(b);
                self.binary(*op, a?, b?, span)
            }
            AstExpr::Cond(c, a, b) => self.conditional(c, a, b, span),
            AstExpr::Index(base, items) => self.index(base, items, span),
            AstExpr::Call { func, args, bar } => self.call(func, args, *bar, span),
            AstExpr::VecLit(items) => self.vector_literal(items, span),
        }
    }

    /// `c ? a : b`
    fn conditional(
        &mut self,
        c: &ast::Expr,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
    ) -> Option<TypedExpr> {
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
                .with_label(c.expr.span, "not a scalar"),
            );
            return None;
        }
        let Some(ty) = types::join(a.ty(), b.ty()) else {
            self.error(
                Diagnostic::error(
                    "branch-types",
                    "the two branches of `?:` have different kinds",
                )
                .with_label(a.expr.span, a.ty().describe())
                .with_label(b.expr.span, b.ty().describe()),
            );
            return None;
        };
        let mut params = c.params;
        params.union_with(&a.params);
        params.union_with(&b.params);
        let dims = a.dims.unify(b.dims).unwrap_or(Dims::UNKNOWN);
        Some(TypedExpr::new(
            IrExpr::Cond(Box::new(c.expr), Box::new(a.expr), Box::new(b.expr)),
            ty,
            span,
            dims,
            params,
        ))
    }

    /// `[a, b, c]`: a vector of scalars.
    fn vector_literal(&mut self, items: &[ast::Expr], span: Span) -> Option<TypedExpr> {
        let checked: Vec<Option<TypedExpr>> = items.iter().map(|i| self.expr(i)).collect();
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
                    .with_label(t.expr.span, "not a scalar")
                    .with_help("to join vectors use `append_row(a, b)`"),
                );
                ok = false;
                continue;
            }
            params.union_with(&t.params);
            out.push(t.expr);
        }
        if !ok {
            return None;
        }
        let n = out.len() as i64;
        Some(TypedExpr::new(
            IrExpr::VecLit(out),
            ValueType::Vector,
            span,
            Dims::vector(Size::Lit(n)),
            params,
        ))
    }

    fn unary(&mut self, op: UnOp, x: TypedExpr, span: Span) -> Option<TypedExpr> {
        let ty = match (op, x.ty()) {
            (UnOp::Neg, ValueType::IntArray) => ValueType::Vector,
            (UnOp::Neg, ValueType::IntMatrix) => ValueType::Matrix,
            (UnOp::Neg, t) if t.is_array3() => {
                self.error(
                    Diagnostic::error("bad-operand", "arithmetic is not defined on 3-d arrays")
                        .with_label(x.expr.span, t.describe())
                        .with_help(array3_arithmetic_help()),
                );
                return None;
            }
            (UnOp::Neg, t) => t,
            (UnOp::Not, t) if t.is_scalar() => ValueType::Int,
            (UnOp::Not, t) => {
                self.error(
                    Diagnostic::error(
                        "bad-operand",
                        format!("`!` applies to scalars, found {}", t.describe()),
                    )
                    .with_label(x.expr.span, t.describe()),
                );
                return None;
            }
        };
        // Fold negative literals so that `-1` is a literal, as users read it.
        let kind = match (op, &x.expr.kind) {
            (UnOp::Neg, IrExpr::Int(v)) if *v != i64::MIN => IrExpr::Int(-v),
            (UnOp::Neg, IrExpr::Real(v)) => IrExpr::Real(-v),
            _ => IrExpr::Unary(op, Box::new(x.expr)),
        };
        Some(TypedExpr::new(kind, ty, span, x.dims, x.params))
    }

    pub(super) fn describe_size(&self, s: Size) -> String {
        match s {
            Size::Data(d) => format!("`{}`", self.model.data(d).name),
            Size::Lit(v) => v.to_string(),
            Size::Unknown => "unknown".into(),
        }
    }

    /// Reports a certain size mismatch between two operands.
    pub(super) fn shape_mismatch(&mut self, what: &str, a: &TypedExpr, b: &TypedExpr, span: Span) {
        let (sa, sb) = if a.dims.rows.unify(b.dims.rows).is_err() {
            (a.dims.rows, b.dims.rows)
        } else {
            (a.dims.cols, b.dims.cols)
        };
        let (da, db) = (self.describe_size(sa), self.describe_size(sb));
        self.error(
            Diagnostic::error("shape-mismatch", format!("shape mismatch in {what}: size {da} against size {db}"))
                .with_label(a.expr.span, format!("size {da}"))
                .with_label(b.expr.span, format!("size {db}"))
                .with_label(span, "in this expression")
                .with_help(format!(
                    "the sizes come from different data declarations; if they are always equal, declare both with {da}"
                )),
        );
    }

    pub(super) fn binary(
        &mut self,
        op: BinOp,
        a: TypedExpr,
        b: TypedExpr,
        span: Span,
    ) -> Option<TypedExpr> {
        if a.ty().is_array3() || b.ty().is_array3() {
            let sym = crate::ast::binop_symbol(op);
            self.error(
                Diagnostic::error(
                    "bad-operands",
                    format!(
                        "`{sym}` is not defined for {} and {}",
                        a.ty().describe(),
                        b.ty().describe()
                    ),
                )
                .with_label(a.expr.span, a.ty().describe())
                .with_label(b.expr.span, b.ty().describe())
                .with_help(array3_arithmetic_help()),
            );
            return None;
        }
        let ty = match types::binary(op, a.ty(), b.ty()) {
            Ok(t) => t,
            Err(err) => {
                let mut d = Diagnostic::error("bad-operands", err.message)
                    .with_label(a.expr.span, a.ty().describe())
                    .with_label(b.expr.span, b.ty().describe());
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
                        .with_label(a.expr.span, format!("{ca} columns"))
                        .with_label(b.expr.span, format!("{rb} rows")),
                    );
                } else {
                    self.shape_mismatch(what, &a, &b, span);
                }
                return None;
            }
        };
        if op == BinOp::Div && a.ty() == ValueType::Int && b.ty() == ValueType::Int {
            self.int_division_warning(&a, &b, span);
        }
        let mut params = a.params;
        params.union_with(&b.params);
        Some(TypedExpr::new(
            IrExpr::Binary(op, Box::new(a.expr), Box::new(b.expr)),
            ty,
            span,
            dims,
            params,
        ))
    }

    /// `int / int` is real division here but integer division in Stan.
    fn int_division_warning(&mut self, a: &TypedExpr, b: &TypedExpr, span: Span) {
        let (x, y) = (
            self.snippet(a.expr.span).to_string(),
            self.snippet(b.expr.span).to_string(),
        );
        self.error(
            Diagnostic::warning(
                "int-division",
                format!("`{x} / {y}` divides two ints: vippl's `/` is real division"),
            )
            .with_label(span, "real division of ints (in Stan: integer division)")
            .with_help(format!(
                "`3 / 2` is 1.5 here and 1 in Stan; write `{x} %/% {y}` for integer division, \
                 or `1.0 * {x} / {y}` to keep real division without this warning"
            )),
        );
    }

    /// An int index expression, or `None` with a diagnostic.
    pub(super) fn int_expr(&mut self, e: &ast::Expr, what: &str) -> Option<TypedExpr> {
        let t = self.expr(e)?;
        if t.ty() != ValueType::Int {
            self.error(
                Diagnostic::error(
                    "not-int",
                    format!("{what} must be an int, found {}", t.ty().describe()),
                )
                .with_label(t.expr.span, t.ty().describe()),
            );
            return None;
        }
        Some(t)
    }

    fn index(
        &mut self,
        base: &ast::Expr,
        items: &[ast::IndexItem],
        span: Span,
    ) -> Option<TypedExpr> {
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
        Some(TypedExpr::new(
            IrExpr::Index(Box::new(base.expr), idx),
            ty,
            span,
            dims,
            params,
        ))
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
                        let mut bound = |t: Option<TypedExpr>| {
                            t.map(|t| {
                                params.union_with(&t.params);
                                t.expr
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
                    ValueType::Int => Some((Index::Single(t.expr), None)),
                    ValueType::IntArray => {
                        let n = t.dims.rows;
                        Some((Index::Multi(t.expr), Some(n)))
                    }
                    other => {
                        self.error(
                            Diagnostic::error("bad-index", format!("an index must be an int (or an int[] to gather elements), found {}", other.describe()))
                                .with_label(t.expr.span, other.describe()),
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
        base: &TypedExpr,
        idx: &[Index],
        sel: &[Option<Size>],
        span: Span,
    ) -> Option<(ValueType, Dims)> {
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
            (ValueType::Vector | ValueType::IntArray, 1) => {
                let elem = if base.ty() == ValueType::Vector {
                    ValueType::Real
                } else {
                    ValueType::Int
                };
                match sel[0] {
                    None => (elem, Dims::UNKNOWN),
                    s => (base.ty(), Dims::vector(keep(s, bd.rows, &idx[0]))),
                }
            }
            (m @ (ValueType::Matrix | ValueType::IntMatrix), 1) => match sel[0] {
                None => (row_type(m), Dims::vector(bd.cols)),
                s => (
                    block_type(m, &idx[..1]),
                    Dims {
                        rows: keep(s, bd.rows, &idx[0]),
                        cols: bd.cols,
                    },
                ),
            },
            (m @ (ValueType::Matrix | ValueType::IntMatrix), 2) => match (sel[0], sel[1]) {
                (None, None) => (elem_type(m), Dims::UNKNOWN),
                (None, s) => (row_type(m), Dims::vector(keep(s, bd.cols, &idx[1]))),
                (s, None) => (row_type(m), Dims::vector(keep(s, bd.rows, &idx[0]))),
                (s, t) => (
                    block_type(m, idx),
                    Dims {
                        rows: keep(s, bd.rows, &idx[0]),
                        cols: keep(t, bd.cols, &idx[1]),
                    },
                ),
            },
            (a @ (ValueType::Array3 | ValueType::IntArray3), 1..=3) if sel[0].is_none() => {
                // `z[j]` is a matrix; the other indices select from it as
                // from any matrix.
                let m = if a == ValueType::IntArray3 {
                    ValueType::IntMatrix
                } else {
                    ValueType::Matrix
                };
                if idx.len() == 1 {
                    (m, Dims::UNKNOWN)
                } else {
                    let inner = TypedExpr {
                        expr: crate::ir::Expr {
                            kind: IrExpr::Real(0.0),
                            ty: m,
                            span: base.expr.span,
                        },
                        dims: Dims::UNKNOWN,
                        params: ParamSet::default(),
                    };
                    return self.indexed_type(&inner, &idx[1..], &sel[1..], span);
                }
            }
            (t, n) => {
                let (msg, help) = match t {
                    ValueType::Int | ValueType::Real => (
                        format!("cannot index a scalar ({})", t.describe()),
                        "only vectors, int arrays and matrices have elements",
                    ),
                    ValueType::Matrix | ValueType::IntMatrix => (
                        format!("a matrix takes one or two indices, found {n}"),
                        "write `X[i, j]`, `X[i]` (a row) or `X[:, j]` (a column)",
                    ),
                    ValueType::Array3 | ValueType::IntArray3 if n <= 3 => (
                        "the first index of a 3-d array must be a single int".to_string(),
                        "write `z[j]` (a matrix), `z[j, k]` (a row), `z[j, k, l]` or `z[j, :, l]`; \
                         to select across the first index, loop over it",
                    ),
                    ValueType::Array3 | ValueType::IntArray3 => (
                        format!("a 3-d array takes one to three indices, found {n}"),
                        "write `z[j]` (a matrix), `z[j, k]` (a row) or `z[j, k, l]`",
                    ),
                    _ => (
                        format!("a {} takes one index, found {n}", t.describe()),
                        "write `v[i]`",
                    ),
                };
                self.error(
                    Diagnostic::error("bad-index", msg)
                        .with_label(span, "indexed here")
                        .with_label(base.expr.span, t.describe())
                        .with_help(help),
                );
                return None;
            }
        };
        Some(found)
    }
}

/// How to compute with a 3-d array, which (as in Stan) has no arithmetic.
pub(super) fn array3_arithmetic_help() -> &'static str {
    "as in Stan, a 3-d array has no arithmetic: index it (`z[j]` is a matrix, `z[j, k]` a row) \
     or loop over its elements"
}

/// The element of a matrix: an int for an int matrix.
fn elem_type(m: ValueType) -> ValueType {
    if m == ValueType::IntMatrix {
        ValueType::Int
    } else {
        ValueType::Real
    }
}

/// A row or column of a matrix: an int array for an int matrix.
fn row_type(m: ValueType) -> ValueType {
    if m == ValueType::IntMatrix {
        ValueType::IntArray
    } else {
        ValueType::Vector
    }
}

/// A block of a matrix. A block of an int matrix is an int matrix when it
/// is whole rows (`X[a:b]`, `X[a:b, :]`, `X[:]`), which share the storage;
/// any other block is copied into a real matrix.
fn block_type(m: ValueType, idx: &[Index]) -> ValueType {
    if m == ValueType::IntMatrix && Index::whole_rows(idx) {
        ValueType::IntMatrix
    } else {
        ValueType::Matrix
    }
}
