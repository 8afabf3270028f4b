//! Declarations: `data`, `param`, the types of `var`s, and functions.

use super::types::{self, Dims, ParamSet};
use super::{Binding, Checker, Ctx, DataInfo, FnCtx, FnInfo, ParamInfo};
use crate::ast::{self, BoundKind, ElemType, FnBody, FnDims, Ident, TypeKind};
use crate::builtins::Builtin;
use crate::diagnostics::Diagnostic;
use crate::dist::DistId;
use crate::ir::{
    self, Bounds, Constraint, DataId, Elem, FnId, LocalKind, ParamId, Shape, StmtKind, Ty,
};
use crate::source::Span;

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

fn fn_ty(t: ast::FnType) -> Option<Ty> {
    match (t.elem, t.dims) {
        (ElemType::Int, FnDims::Scalar) => Some(Ty::Int),
        (ElemType::Real, FnDims::Scalar) => Some(Ty::Real),
        (ElemType::Int, FnDims::Vector) => Some(Ty::IntArray),
        (ElemType::Real, FnDims::Vector) => Some(Ty::Vector),
        (ElemType::Real, FnDims::Matrix) => Some(Ty::Matrix),
        (ElemType::Int, FnDims::Matrix) => None,
    }
}

/// Every path through `stmts` ends in `return`.
fn always_returns(stmts: &[ir::Stmt]) -> bool {
    match stmts.last().map(|s| &s.kind) {
        Some(StmtKind::Return(_)) => true,
        Some(StmtKind::If { then, els, .. }) => always_returns(then) && always_returns(els),
        Some(StmtKind::Block(b)) => always_returns(b),
        _ => false,
    }
}

impl Checker<'_> {
    /// A size expression (`[N]`, `simplex[K]`): an int, of what `ctx` allows.
    fn size_expr(&mut self, e: &ast::Expr) -> Option<ir::Expr> {
        let t = self.int_expr(e, "a size")?;
        if !t.params.is_empty() {
            self.error(
                Diagnostic::error("param-in-shape", "a size cannot depend on parameters")
                    .with_label(t.e.span, "depends on parameters")
                    .with_help("sizes must be known before inference starts"),
            );
            return None;
        }
        Some(t.e)
    }

    /// Checks a declared type. Sizes are checked in `size_ctx`, bounds in `bound_ctx`.
    pub(super) fn decl_type(&mut self, ty: &ast::Type, of: DeclOf) -> Option<DeclType> {
        let saved = self.ctx;
        let (size_ctx, bound_ctx) = match of {
            DeclOf::Data => (Ctx::Data, Ctx::Data),
            DeclOf::Param => (Ctx::ParamShape, Ctx::ParamBound),
            DeclOf::Var => (saved, saved),
        };
        let r = self.decl_type_in(ty, of, size_ctx, bound_ctx);
        self.ctx = saved;
        r
    }

    fn decl_type_in(
        &mut self,
        ty: &ast::Type,
        of: DeclOf,
        size_ctx: Ctx,
        bound_ctx: Ctx,
    ) -> Option<DeclType> {
        match &ty.kind {
            TypeKind::Special { kind, size } => {
                self.ctx = size_ctx;
                let n = self.size_expr(size);
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
                        .with_help(
                            "declare it as `real[K]` (values are checked when data is bound)",
                        ),
                    );
                    return None;
                }
                let n = n?;
                let (shape, constraint) = match kind {
                    ast::SpecialType::Simplex => (Shape::Vector(n), Constraint::Simplex),
                    ast::SpecialType::Ordered => (Shape::Vector(n), Constraint::Ordered),
                    ast::SpecialType::PositiveOrdered => {
                        (Shape::Vector(n), Constraint::PositiveOrdered)
                    }
                    ast::SpecialType::CorrCholesky => {
                        (Shape::Matrix(n.clone(), n), Constraint::CorrCholesky)
                    }
                };
                Some(DeclType {
                    elem: Elem::Real,
                    shape,
                    constraint,
                })
            }
            TypeKind::Basic { elem, bounds, dims } => {
                let mut ok = true;
                if *elem == ElemType::Int && of == DeclOf::Param {
                    self.error(
                        Diagnostic::error("int-param", "parameters are always real: variational inference is continuous")
                            .with_label(ty.span, "an `int` parameter")
                            .with_help("declare it `real`; to handle a discrete unknown, sum it out with `log_sum_exp` over its values"),
                    );
                    ok = false;
                }
                self.ctx = size_ctx;
                let sizes: Vec<Option<ir::Expr>> = dims.iter().map(|d| self.size_expr(d)).collect();
                if dims.len() > 2 {
                    self.error(
                        Diagnostic::error(
                            "too-many-dims",
                            format!(
                                "at most two dimensions (a matrix) are supported, found {}",
                                dims.len()
                            ),
                        )
                        .with_label(ty.span, "too many dimensions"),
                    );
                    ok = false;
                }
                let elem_ir = if *elem == ElemType::Int {
                    Elem::Int
                } else {
                    Elem::Real
                };
                if *elem == ElemType::Int && dims.len() == 2 && of != DeclOf::Data {
                    self.error(
                        Diagnostic::error(
                            "int-matrix",
                            "integer matrices exist only as data (they are read as real matrices)",
                        )
                        .with_label(ty.span, "an `int` matrix")
                        .with_help("declare it `real[N, K]`"),
                    );
                    ok = false;
                }
                let sizes: Option<Vec<ir::Expr>> = sizes.into_iter().collect();
                let shape = match sizes?.as_slice() {
                    [] => Shape::Scalar,
                    [n] => Shape::Vector(n.clone()),
                    [r, c] => Shape::Matrix(r.clone(), c.clone()),
                    _ => Shape::Scalar,
                };
                let declared_ty = shape.ty(elem_ir);
                let mut b = Bounds::default();
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
                self.ctx = bound_ctx;
                for bound in bounds {
                    let Some(v) = self.expr(&bound.value) else {
                        ok = false;
                        continue;
                    };
                    let fits = v.ty().is_scalar()
                        || types::assignable(declared_ty, v.ty())
                        || (declared_ty == Ty::IntArray && v.ty() == Ty::IntArray);
                    if !fits {
                        self.error(
                            Diagnostic::error("bad-bound", format!("a bound must be a scalar or match the declared kind ({}), found {}", declared_ty.describe(), v.ty().describe()))
                                .with_label(v.e.span, v.ty().describe()),
                        );
                        ok = false;
                        continue;
                    }
                    let slot = if bound.kind == BoundKind::Lower {
                        &mut b.lower
                    } else {
                        &mut b.upper
                    };
                    if slot.is_some() {
                        let word = if bound.kind == BoundKind::Lower {
                            "lower"
                        } else {
                            "upper"
                        };
                        self.error(
                            Diagnostic::error(
                                "duplicate-bound",
                                format!("`{word}` is given twice"),
                            )
                            .with_label(bound.span, "second bound"),
                        );
                        ok = false;
                        continue;
                    }
                    *slot = Some(v.e);
                }
                ok.then_some(DeclType {
                    elem: elem_ir,
                    shape,
                    constraint: Constraint::Bounded(b),
                })
            }
        }
    }

    pub(super) fn data_decl(&mut self, name: &Ident, ty: &ast::Type, default: Option<&ast::Expr>) {
        let dt = self.decl_type(ty, DeclOf::Data);
        let saved = self.ctx;
        self.ctx = Ctx::Data;
        let def = default.and_then(|d| self.expr(d).map(|t| (d, t)));
        self.ctx = saved;
        let fresh = self.check_new_name(name);
        let Some(dt) = dt else {
            self.poison(name);
            return;
        };
        let declared = dt.shape.ty(dt.elem);
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
                    .with_label(t.e.span, t.ty().describe())
                    .with_label(ty.span, "declared type"),
                );
            }
        }
        let Constraint::Bounded(bounds) = dt.constraint else {
            return;
        };
        let dims = self.dims_of_shape(&dt.shape);
        let id = DataId(self.m.data.len() as u32);
        self.data_info.push(DataInfo {
            used: false,
            fixed: dt.elem == Elem::Int && dt.shape == Shape::Scalar && default.is_none(),
            dims,
        });
        self.m.data.push(ir::DataDecl {
            name: name.name.clone(),
            span: name.span,
            elem: dt.elem,
            shape: dt.shape,
            bounds,
            default: def.map(|(_, t)| t.e),
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
        let id = ParamId(self.m.params.len() as u32);
        self.param_info.push(ParamInfo {
            dims,
            has_prior: false,
        });
        self.m.params.push(ir::ParamDecl {
            name: name.name.clone(),
            span: name.span,
            shape: dt.shape,
            constraint: dt.constraint,
        });
        if fresh {
            self.bind(name, Binding::Param(id));
        }
    }

    /// Whether a function may take this name; reports why not.
    fn check_fn_name(&mut self, f: &ast::FnDef) -> bool {
        let name = &f.name.name;
        if name.ends_with("__") {
            self.check_new_name(&f.name);
            return false;
        }
        let builtin_dist = name
            .strip_suffix("_lpdf")
            .or_else(|| name.strip_suffix("_lpmf"))
            .or_else(|| name.strip_suffix("_rng"))
            .is_some_and(|b| DistId::lookup(b).is_some());
        if Builtin::lookup(name).next().is_some() || builtin_dist {
            let whose = if self.in_stdlib {
                "the standard library"
            } else {
                "a model"
            };
            self.error(
                Diagnostic::error(
                    "redefines-builtin",
                    format!("`{name}` is built in; {whose} cannot redefine it"),
                )
                .with_label(f.name.span, "a built-in name")
                .with_help("choose another name"),
            );
            return false;
        }
        if let Some(&prev) = self.functions.get(name) {
            let prev_fn = self.m.function(prev);
            if prev_fn.from_stdlib && !self.in_stdlib {
                // A model's definition shadows the standard library's.
                return true;
            }
            let span = prev_fn.span;
            self.error(
                Diagnostic::error(
                    "duplicate-function",
                    format!("function `{name}` is already defined"),
                )
                .with_label(f.name.span, "defined again here")
                .with_label(span, "first defined here")
                .with_help("functions cannot be overloaded: choose another name"),
            );
            return false;
        }
        true
    }

    pub(super) fn function_def(&mut self, f: &ast::FnDef, span: Span) {
        let name_ok = self.check_fn_name(f);
        let id = FnId(self.m.functions.len() as u32);
        let is_density = f.name.name.ends_with("_lpdf") || f.name.name.ends_with("_lpmf");
        let mut ok = true;
        let mut arg_tys = Vec::new();
        for a in &f.args {
            match fn_ty(a.ty) {
                Some(t) => arg_tys.push(t),
                None => {
                    self.error(
                        Diagnostic::error(
                            "int-matrix",
                            "integer matrices cannot be function arguments",
                        )
                        .with_label(a.ty.span, "`int[,]`")
                        .with_help("use `real[,]`"),
                    );
                    arg_tys.push(Ty::Matrix);
                    ok = false;
                }
            }
        }
        let declared_ret = f.ret.and_then(|r| {
            let t = fn_ty(r);
            if t.is_none() {
                self.error(
                    Diagnostic::error("int-matrix", "integer matrices cannot be returned")
                        .with_label(r.span, "`int[,]`"),
                );
            }
            t
        });
        if is_density {
            let wants_int = f.name.name.ends_with("_lpmf");
            match arg_tys.first() {
                None => {
                    self.error(
                        Diagnostic::error(
                            "density-signature",
                            format!("`{}` needs the variate as its first argument", f.name.name),
                        )
                        .with_label(f.name.span, "no arguments"),
                    );
                    ok = false;
                }
                Some(t) if wants_int && !t.is_int_valued() => {
                    self.error(
                        Diagnostic::error("density-signature", "an `_lpmf` is for discrete variates: its first argument must be `int` or `int[]`")
                            .with_label(f.args[0].ty.span, t.describe())
                            .with_help("for a continuous variate name the function `..._lpdf`"),
                    );
                    ok = false;
                }
                Some(t) if !wants_int && t.is_int_valued() => {
                    self.error(
                        Diagnostic::error("density-signature", "an `_lpdf` is for continuous variates: its first argument must be `real`, `real[]` or `real[,]`")
                            .with_label(f.args[0].ty.span, t.describe())
                            .with_help("for a discrete variate name the function `..._lpmf`"),
                    );
                    ok = false;
                }
                _ => {}
            }
            if declared_ret.is_some_and(|r| r != Ty::Real) {
                self.error(
                    Diagnostic::error("density-signature", "a log density returns `real`")
                        .with_label(
                            f.ret.map_or(f.name.span, |r| r.span),
                            "declared return type",
                        ),
                );
                ok = false;
            }
        }
        if declared_ret.is_none() && f.ret.is_none() && matches!(f.body, FnBody::Block(_)) {
            self.error(
                Diagnostic::error(
                    "missing-return-type",
                    format!("function `{}` needs a return type", f.name.name),
                )
                .with_label(f.name.span, "no `-> type`")
                .with_help("write it after the arguments, e.g. `-> real`"),
            );
            ok = false;
        }
        // Reserve the id so that locals can name their function.
        self.m.functions.push(ir::Function {
            name: f.name.name.clone(),
            span: f.name.span,
            args: Vec::new(),
            ret: declared_ret.unwrap_or(Ty::Real),
            body: Vec::new(),
            is_density,
            from_stdlib: self.in_stdlib,
        });
        self.fn_info.push(FnInfo {
            args: arg_tys.clone(),
            ret: declared_ret.unwrap_or(Ty::Real),
            uses_rng: false,
        });
        let saved_scopes = std::mem::take(&mut self.scopes);
        let saved_ctx = self.ctx;
        self.ctx = Ctx::Model;
        self.cur_fn = Some(FnCtx {
            id,
            name: f.name.name.clone(),
            ret: declared_ret,
            uses_rng: false,
        });
        self.push_scope();
        let args: Vec<_> = f
            .args
            .iter()
            .zip(&arg_tys)
            .map(|(a, t)| {
                self.declare_local(
                    &a.name,
                    LocalKind::FnArg,
                    *t,
                    Dims::UNKNOWN,
                    ParamSet::default(),
                )
            })
            .collect();
        let (body, ret) = match &f.body {
            FnBody::Expr(e) => match self.expr(e) {
                Some(t) => {
                    let ret = declared_ret.unwrap_or(t.ty());
                    if !types::assignable(ret, t.ty()) {
                        self.error(
                            Diagnostic::error(
                                "wrong-type",
                                format!(
                                    "`{}` returns {}, but its body is {}",
                                    f.name.name,
                                    ret.describe(),
                                    t.ty().describe()
                                ),
                            )
                            .with_label(t.e.span, t.ty().describe()),
                        );
                        ok = false;
                    }
                    let s = t.e.span;
                    (
                        vec![ir::Stmt {
                            kind: StmtKind::Return(t.e),
                            span: s,
                        }],
                        ret,
                    )
                }
                None => {
                    ok = false;
                    (Vec::new(), declared_ret.unwrap_or(Ty::Real))
                }
            },
            FnBody::Block(b) => {
                let errors_before = self.error_count();
                let stmts = self.block(b);
                if declared_ret.is_some()
                    && !always_returns(&stmts)
                    && self.error_count() == errors_before
                {
                    self.error(
                        Diagnostic::error(
                            "missing-return",
                            format!(
                                "`{}` may reach its end without returning a value",
                                f.name.name
                            ),
                        )
                        .with_label(b.span, "this body")
                        .with_help("end every path with `return ...`"),
                    );
                    ok = false;
                }
                (stmts, declared_ret.unwrap_or(Ty::Real))
            }
        };
        self.pop_scope();
        let ctx = self.cur_fn.take();
        self.scopes = saved_scopes;
        self.ctx = saved_ctx;
        let func = &mut self.m.functions[id.index()];
        func.args = args;
        func.ret = ret;
        func.body = body;
        let info = &mut self.fn_info[id.index()];
        info.ret = ret;
        info.uses_rng = ctx.is_some_and(|c| c.uses_rng);
        // Even a function with errors keeps its name, so that its calls do
        // not cascade into "unknown function".
        if name_ok {
            self.functions.insert(f.name.name.clone(), id);
        }
        let _ = (ok, span);
    }
}
