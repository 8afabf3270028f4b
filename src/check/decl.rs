//! Declarations: `data`, `param`, and the declared types of `data`, `param` and `var`.

use super::types;
use super::{Binding, Checker, Context, DataInfo, ParamInfo};
use crate::ast::{self, BoundKind, ElemType, Ident, TypeKind};
use crate::diagnostics::Diagnostic;
use crate::ir::{self, Bounds, Constraint, DataId, Elem, ParamId, Shape, ValueType};

/// Which declaration a type belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum DeclOf {
    Data,
    Param,
    Var,
}

impl DeclOf {
    fn word(self) -> &'static str {
        match self {
            DeclOf::Data => "data",
            DeclOf::Param => "param",
            DeclOf::Var => "var",
        }
    }
}

/// A checked declared type.
pub(super) struct DeclType {
    pub elem: Elem,
    pub shape: Shape,
    pub constraint: Constraint,
}

impl Checker<'_> {
    /// A size expression (`[N]`, `simplex[K]`): an int, of what `context` allows.
    fn size_expr(&mut self, e: &ast::Expr) -> Option<ir::Expr> {
        let t = self.int_expr(e, "a size")?;
        if !t.params.is_empty() {
            self.error(
                Diagnostic::error("param-in-shape", "a size cannot depend on parameters")
                    .with_label(t.expr.span, "depends on parameters")
                    .with_help("sizes must be known before inference starts"),
            );
            return None;
        }
        Some(t.expr)
    }

    /// Checks a declared type. Sizes are checked in `size_context`, bounds in `bound_context`.
    pub(super) fn decl_type(&mut self, ty: &ast::Type, of: DeclOf) -> Option<DeclType> {
        let saved = self.context;
        let (size_context, bound_context) = match of {
            DeclOf::Data => (Context::Data, Context::Data),
            DeclOf::Param => (Context::ParamShape, Context::ParamBound),
            DeclOf::Var => (saved, saved),
        };
        let r = self.decl_type_in(ty, of, size_context, bound_context);
        self.context = saved;
        r
    }

    fn decl_type_in(
        &mut self,
        ty: &ast::Type,
        of: DeclOf,
        size_context: Context,
        bound_context: Context,
    ) -> Option<DeclType> {
        match &ty.kind {
            TypeKind::Special { kind, size, cols } => {
                self.context = size_context;
                self.special_type(ty, *kind, size, cols.as_deref(), of)
            }
            TypeKind::Basic { elem, bounds, dims } => {
                self.context = size_context;
                let (elem, shape, shape_ok) = self.basic_shape(ty, *elem, dims, of)?;
                if !bounds.is_empty() && of == DeclOf::Var {
                    self.error(
                        Diagnostic::error("var-bounds", "a `var` cannot have bounds")
                            .with_label(ty.span, "bounds on a `var`")
                            .with_help(
                                "bounds are for `data` (checked on load) and `param` (transformed)",
                            ),
                    );
                    return None;
                }
                self.context = bound_context;
                let bounds = self.declared_bounds(bounds, shape.ty(elem));
                let bounds = self.affine_allowed(bounds?, ty, of, elem)?;
                let constraint = Constraint::Bounded(bounds);
                shape_ok.then_some(DeclType {
                    elem,
                    shape,
                    constraint,
                })
            }
        }
    }

    /// `simplex[K]`, `ordered[K]`, `positive_ordered[K]`, `corr_cholesky[K]`:
    /// parameters only.
    fn special_type(
        &mut self,
        ty: &ast::Type,
        kind: ast::SpecialType,
        size: &ast::Expr,
        cols: Option<&ast::Expr>,
        of: DeclOf,
    ) -> Option<DeclType> {
        let n = self.size_expr(size);
        let cols = match cols {
            Some(c) if kind == ast::SpecialType::CholeskyCov => Some(self.size_expr(c)),
            Some(c) => {
                self.error(
                    Diagnostic::error(
                        "special-type-sizes",
                        format!("`{}` takes one size, found two", kind.keyword()),
                    )
                    .with_label(c.span, "a second size")
                    .with_help(format!("write `{}[K]`", kind.keyword())),
                );
                return None;
            }
            None => None,
        };
        if of != DeclOf::Param {
            self.error(
                Diagnostic::error(
                    "special-type-not-param",
                    format!(
                        "`{}` is a parameter type; a `{}` cannot be declared with it",
                        kind.keyword(),
                        of.word()
                    ),
                )
                .with_label(ty.span, "only for `param`")
                .with_help("declare it as `real[K]` (values are checked when data is bound)"),
            );
            return None;
        }
        let n = n?;
        if let Some(cols) = cols {
            // `cholesky_factor_cov[M, N]`: M ≥ N is checked when data is bound.
            return Some(DeclType {
                elem: Elem::Real,
                shape: Shape::Matrix(n, cols?),
                constraint: Constraint::CholeskyCov,
            });
        }
        let (shape, constraint) = match kind {
            ast::SpecialType::Simplex => (Shape::Vector(n), Constraint::Simplex),
            ast::SpecialType::Ordered => (Shape::Vector(n), Constraint::Ordered),
            ast::SpecialType::PositiveOrdered => (Shape::Vector(n), Constraint::PositiveOrdered),
            ast::SpecialType::CorrCholesky => {
                (Shape::Matrix(n.clone(), n), Constraint::CorrCholesky)
            }
            ast::SpecialType::CholeskyCov => (Shape::Matrix(n.clone(), n), Constraint::CholeskyCov),
            ast::SpecialType::CovMatrix => (Shape::Matrix(n.clone(), n), Constraint::CovMatrix),
            ast::SpecialType::CorrMatrix => (Shape::Matrix(n.clone(), n), Constraint::CorrMatrix),
            ast::SpecialType::UnitVector => (Shape::Vector(n), Constraint::UnitVector),
            ast::SpecialType::SumToZero => (Shape::Vector(n), Constraint::SumToZero),
        };
        Some(DeclType {
            elem: Elem::Real,
            shape,
            constraint,
        })
    }

    /// The element type and shape of `int<...>[...]` / `real<...>[...]`;
    /// the flag is false when an error was reported but the shape is
    /// still known (so that the bounds are checked too).
    fn basic_shape(
        &mut self,
        ty: &ast::Type,
        elem: ElemType,
        dims: &[ast::Expr],
        of: DeclOf,
    ) -> Option<(Elem, Shape, bool)> {
        let mut ok = true;
        if elem == ElemType::Int && of == DeclOf::Param {
            self.error(
                Diagnostic::error("int-param", "parameters are always real: variational inference is continuous")
                    .with_label(ty.span, "an `int` parameter")
                    .with_help("declare it `real`; to handle a discrete unknown, sum it out with `log_sum_exp` over its values"),
            );
            ok = false;
        }
        let sizes: Vec<Option<ir::Expr>> = dims.iter().map(|d| self.size_expr(d)).collect();
        if dims.len() > 3 {
            self.error(
                Diagnostic::error(
                    "too-many-dims",
                    format!(
                        "at most three dimensions (an array of matrices) are supported, found {}",
                        dims.len()
                    ),
                )
                .with_label(ty.span, "too many dimensions")
                .with_help(
                    "split the array, e.g. one `real[J, K, L]` per value of the first index",
                ),
            );
            ok = false;
        }
        if elem == ElemType::Int && dims.len() == 3 && of != DeclOf::Data {
            self.error(
                Diagnostic::error("int-array3", "3-d integer arrays exist only as data")
                    .with_label(ty.span, "an `int` 3-d array")
                    .with_help(
                        "declare it `real[J, K, L]`, or read the ints from a `data` int array",
                    ),
            );
            ok = false;
        }
        if elem == ElemType::Int && dims.len() == 2 && of != DeclOf::Data {
            self.error(
                Diagnostic::error("int-matrix", "integer matrices exist only as data")
                    .with_label(ty.span, "an `int` matrix")
                    .with_help(
                        "declare it `real[N, K]`, or read the ints from a `data` int matrix",
                    ),
            );
            ok = false;
        }
        let elem = if elem == ElemType::Int {
            Elem::Int
        } else {
            Elem::Real
        };
        let sizes: Option<Vec<ir::Expr>> = sizes.into_iter().collect();
        let shape = match sizes?.as_slice() {
            [n] => Shape::Vector(n.clone()),
            [r, c] => Shape::Matrix(r.clone(), c.clone()),
            [j, k, l] => Shape::Array3(j.clone(), k.clone(), l.clone()),
            _ => Shape::Scalar,
        };
        Some((elem, shape, ok))
    }

    /// The `lower=` and `upper=` bounds of a declaration of type `declared`.
    fn declared_bounds(&mut self, bounds: &[ast::Bound], declared: ValueType) -> Option<Bounds> {
        let mut ok = true;
        let mut checked = Bounds::default();
        for bound in bounds {
            let Some(v) = self.expr(&bound.value) else {
                ok = false;
                continue;
            };
            let fits = v.ty().is_scalar()
                || types::assignable(declared, v.ty())
                || (declared == ValueType::IntArray && v.ty() == ValueType::IntArray);
            if !fits {
                self.error(
                    Diagnostic::error(
                        "bad-bound",
                        format!(
                            "a bound must be a scalar or match the declared kind ({}), found {}",
                            declared.describe(),
                            v.ty().describe()
                        ),
                    )
                    .with_label(v.expr.span, v.ty().describe()),
                );
                ok = false;
                continue;
            }
            let word = bound.kind.word();
            let slot = match bound.kind {
                BoundKind::Lower => &mut checked.lower,
                BoundKind::Upper => &mut checked.upper,
                BoundKind::Offset => &mut checked.offset,
                BoundKind::Multiplier => &mut checked.multiplier,
            };
            if slot.is_some() {
                self.error(
                    Diagnostic::error("duplicate-bound", format!("`{word}` is given twice"))
                        .with_label(bound.span, "second bound"),
                );
                ok = false;
                continue;
            }
            *slot = Some(v.expr);
        }
        ok.then_some(checked)
    }

    /// `offset=` / `multiplier=` are for real parameters, and never with
    /// `lower=` / `upper=` (as in Stan).
    fn affine_allowed(
        &mut self,
        bounds: Bounds,
        ty: &ast::Type,
        of: DeclOf,
        elem: Elem,
    ) -> Option<Bounds> {
        if !bounds.is_affine() {
            return Some(bounds);
        }
        let problem = if of != DeclOf::Param || elem == Elem::Int {
            Some((
                "`offset` and `multiplier` apply to real parameters only".to_string(),
                "they change how a parameter is represented for inference; remove them",
            ))
        } else if bounds.lower.is_some() || bounds.upper.is_some() {
            Some((
                "`offset` and `multiplier` cannot be combined with `lower` or `upper`".to_string(),
                "keep either the bounds or the affine transform (as in Stan)",
            ))
        } else {
            None
        };
        if let Some((message, help)) = problem {
            self.error(
                Diagnostic::error("bad-affine", message)
                    .with_label(ty.span, "this declaration")
                    .with_help(help),
            );
            return None;
        }
        Some(bounds)
    }

    pub(super) fn data_decl(
        &mut self,
        name: &Ident,
        ty: &ast::Type,
        default: Option<&ast::Expr>,
        minibatch: Option<crate::source::Span>,
    ) {
        let dt = self.decl_type(ty, DeclOf::Data);
        let saved = self.context;
        self.context = Context::Data;
        let def = default.and_then(|d| self.expr(d).map(|t| (d, t)));
        self.context = saved;
        let fresh = self.check_new_name(name);
        let Some(dt) = dt else {
            self.poison(name);
            return;
        };
        let declared = dt.shape.ty(dt.elem);
        let minibatch = minibatch.is_some_and(|span| self.minibatch_marker(name, &dt, span));
        if let Some((_, t)) = &def {
            if !types::assignable(declared, t.ty()) {
                self.error(
                    Diagnostic::error(
                        "wrong-type",
                        format!(
                            "the default of `{}` must be {}, found {}",
                            name.name,
                            declared.describe(),
                            t.ty().describe()
                        ),
                    )
                    .with_label(t.expr.span, t.ty().describe())
                    .with_label(ty.span, "declared type"),
                );
            }
        }
        let Constraint::Bounded(bounds) = dt.constraint else {
            return;
        };
        let dims = self.dims_of_shape(&dt.shape);
        let id = DataId(self.model.data.len() as u32);
        self.data_info.push(DataInfo {
            used: false,
            fixed: dt.elem == Elem::Int && dt.shape == Shape::Scalar && default.is_none(),
            dims,
        });
        self.model.data.push(ir::DataDecl {
            name: name.name.clone(),
            span: name.span,
            elem: dt.elem,
            shape: dt.shape,
            bounds,
            default: def.map(|(_, t)| t.expr),
            minibatch,
        });
        if fresh {
            self.bind(name, Binding::Data(id));
        }
    }

    pub(super) fn param_decl(&mut self, name: &Ident, ty: &ast::Type) {
        self.bounding = Some(name.name.clone());
        let dt = self.decl_type(ty, DeclOf::Param);
        self.bounding = None;
        let fresh = self.check_new_name(name);
        let Some(dt) = dt else {
            self.poison(name);
            return;
        };
        let dims = self.dims_of_shape(&dt.shape);
        let id = ParamId(self.model.params.len() as u32);
        self.param_info.push(ParamInfo {
            dims,
            has_prior: false,
        });
        self.model.params.push(ir::ParamDecl {
            name: name.name.clone(),
            span: name.span,
            shape: dt.shape,
            constraint: dt.constraint,
        });
        if fresh {
            self.bind(name, Binding::Param(id));
        }
    }
}
