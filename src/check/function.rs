//! Function definitions: the name, the signature (with the extra rules of
//! `_lpdf`/`_lpmf` densities), and the body checked in a scope that sees
//! only the arguments.

use super::naming::{cumulative_suffix, split_suffix};
use super::types::{self, Dims, ParamSet};
use super::{Checker, Context, CurrentFunction, FnInfo};
use crate::ast::{self, ElemType, FnBody, FnDims};
use crate::builtins::Builtin;
use crate::diagnostics::Diagnostic;
use crate::dist::DistId;
use crate::ir::{self, FnId, LocalId, LocalKind, StmtKind, ValueType};

/// The value type of a function argument or result; `None` for `int[,]`.
fn fn_ty(t: ast::FnType) -> Option<ValueType> {
    match (t.elem, t.dims) {
        (ElemType::Int, FnDims::Scalar) => Some(ValueType::Int),
        (ElemType::Real, FnDims::Scalar) => Some(ValueType::Real),
        (ElemType::Int, FnDims::Vector) => Some(ValueType::IntArray),
        (ElemType::Real, FnDims::Vector) => Some(ValueType::Vector),
        (ElemType::Real, FnDims::Matrix) => Some(ValueType::Matrix),
        (ElemType::Int, FnDims::Matrix) => None,
    }
}

/// Every path through `stmts` ends in `return`.
fn always_returns(stmts: &[ir::Stmt]) -> bool {
    match stmts.last().map(|s| &s.kind) {
        Some(StmtKind::Return(_) | StmtKind::Reject(_)) => true,
        Some(StmtKind::If { then, els, .. }) => always_returns(then) && always_returns(els),
        Some(StmtKind::Block(b)) => always_returns(b),
        _ => false,
    }
}

/// What the checker was doing before it entered a function body.
struct Outside {
    scopes: Vec<std::collections::HashMap<String, super::Entry>>,
    context: Context,
}

impl Checker<'_> {
    /// Checks a function definition and records it, so that later code
    /// can call it.
    pub(super) fn function_def(&mut self, f: &ast::FnDef) {
        let name_ok = self.check_fn_name(f);
        let id = FnId(self.model.functions.len() as u32);
        let is_density = f.name.name.ends_with("_lpdf") || f.name.name.ends_with("_lpmf");
        let arg_tys = self.fn_arg_types(f);
        let declared_ret = self.fn_return_type(f);
        if is_density {
            self.check_density_signature(f, &arg_tys, declared_ret);
        }
        self.require_return_type(f, declared_ret);
        self.reserve_function(f, &arg_tys, declared_ret, is_density);
        let outside = self.enter_function(f, id, declared_ret);
        let args = self.declare_fn_args(f, &arg_tys);
        let (body, ret) = self.function_body(f, declared_ret);
        let uses_rng = self.leave_function(outside);
        let func = &mut self.model.functions[id.index()];
        func.args = args;
        func.ret = ret;
        func.body = body;
        let info = &mut self.fn_info[id.index()];
        info.ret = ret;
        info.uses_rng = uses_rng;
        // Even a function with errors keeps its name, so that its calls do
        // not cascade into "unknown function".
        if name_ok {
            self.functions.insert(f.name.name.clone(), id);
        }
    }

    /// Whether a function may take this name; reports why not.
    fn check_fn_name(&mut self, f: &ast::FnDef) -> bool {
        let name = &f.name.name;
        if name.ends_with("__") {
            self.check_new_name(&f.name);
            return false;
        }
        let builtin_dist = split_suffix(name)
            .is_some_and(|(base, _)| DistId::lookup(base).is_some())
            || cumulative_suffix(name)
                .is_some_and(|(base, _)| DistId::lookup(base).is_some_and(DistId::has_cdf));
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
            let prev_fn = self.model.function(prev);
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

    /// The argument types; an `int[,]` argument is reported and read as `real[,]`.
    fn fn_arg_types(&mut self, f: &ast::FnDef) -> Vec<ValueType> {
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
                    arg_tys.push(ValueType::Matrix);
                }
            }
        }
        arg_tys
    }

    /// The declared return type, if one is written and valid.
    fn fn_return_type(&mut self, f: &ast::FnDef) -> Option<ValueType> {
        f.ret.and_then(|r| {
            let t = fn_ty(r);
            if t.is_none() {
                self.error(
                    Diagnostic::error("int-matrix", "integer matrices cannot be returned")
                        .with_label(r.span, "`int[,]`"),
                );
            }
            t
        })
    }

    /// An `_lpdf` takes a continuous variate first, an `_lpmf` a discrete
    /// one, and both return `real`.
    fn check_density_signature(
        &mut self,
        f: &ast::FnDef,
        arg_tys: &[ValueType],
        ret: Option<ValueType>,
    ) {
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
            }
            Some(t) if wants_int && !t.is_int_valued() => {
                self.error(
                    Diagnostic::error("density-signature", "an `_lpmf` is for discrete variates: its first argument must be `int` or `int[]`")
                        .with_label(f.args[0].ty.span, t.describe())
                        .with_help("for a continuous variate name the function `..._lpdf`"),
                );
            }
            Some(t) if !wants_int && t.is_int_valued() => {
                self.error(
                    Diagnostic::error("density-signature", "an `_lpdf` is for continuous variates: its first argument must be `real`, `real[]` or `real[,]`")
                        .with_label(f.args[0].ty.span, t.describe())
                        .with_help("for a discrete variate name the function `..._lpmf`"),
                );
            }
            _ => {}
        }
        if ret.is_some_and(|r| r != ValueType::Real) {
            self.error(
                Diagnostic::error("density-signature", "a log density returns `real`").with_label(
                    f.ret.map_or(f.name.span, |r| r.span),
                    "declared return type",
                ),
            );
        }
    }

    /// A function with a block body must say what it returns.
    fn require_return_type(&mut self, f: &ast::FnDef, declared_ret: Option<ValueType>) {
        if declared_ret.is_none() && f.ret.is_none() && matches!(f.body, FnBody::Block(_)) {
            self.error(
                Diagnostic::error(
                    "missing-return-type",
                    format!("function `{}` needs a return type", f.name.name),
                )
                .with_label(f.name.span, "no `-> type`")
                .with_help("write it after the arguments, e.g. `-> real`"),
            );
        }
    }

    /// Reserves the function's id before its body is checked, so that the
    /// body's locals can name their function.
    fn reserve_function(
        &mut self,
        f: &ast::FnDef,
        arg_tys: &[ValueType],
        declared_ret: Option<ValueType>,
        is_density: bool,
    ) {
        self.model.functions.push(ir::Function {
            name: f.name.name.clone(),
            span: f.name.span,
            args: Vec::new(),
            ret: declared_ret.unwrap_or(ValueType::Real),
            body: Vec::new(),
            is_density,
            from_stdlib: self.in_stdlib,
        });
        self.fn_info.push(FnInfo {
            args: arg_tys.to_vec(),
            ret: declared_ret.unwrap_or(ValueType::Real),
            uses_rng: false,
        });
    }

    /// Opens the function's own scope: the model's names are out of sight.
    fn enter_function(
        &mut self,
        f: &ast::FnDef,
        id: FnId,
        declared_ret: Option<ValueType>,
    ) -> Outside {
        let outside = Outside {
            scopes: std::mem::take(&mut self.scopes),
            context: self.context,
        };
        self.context = Context::Model;
        self.current_fn = Some(CurrentFunction {
            id,
            name: f.name.name.clone(),
            ret: declared_ret,
            uses_rng: false,
        });
        self.push_scope();
        outside
    }

    /// Closes the function's scope; returns whether the body draws random numbers.
    fn leave_function(&mut self, outside: Outside) -> bool {
        self.pop_scope();
        let current = self.current_fn.take();
        self.scopes = outside.scopes;
        self.context = outside.context;
        current.is_some_and(|c| c.uses_rng)
    }

    fn declare_fn_args(&mut self, f: &ast::FnDef, arg_tys: &[ValueType]) -> Vec<LocalId> {
        f.args
            .iter()
            .zip(arg_tys)
            .map(|(a, t)| {
                self.declare_local(
                    &a.name,
                    LocalKind::FnArg,
                    *t,
                    Dims::UNKNOWN,
                    ParamSet::default(),
                )
            })
            .collect()
    }

    /// The checked body and the return type (inferred for `= expr` bodies
    /// without `-> type`).
    fn function_body(
        &mut self,
        f: &ast::FnDef,
        declared_ret: Option<ValueType>,
    ) -> (Vec<ir::Stmt>, ValueType) {
        match &f.body {
            FnBody::Expr(e) => self.expression_body(f, e, declared_ret),
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
                }
                (stmts, declared_ret.unwrap_or(ValueType::Real))
            }
        }
    }

    /// `fn f(...) = expr`: the body is one `return`.
    fn expression_body(
        &mut self,
        f: &ast::FnDef,
        e: &ast::Expr,
        declared_ret: Option<ValueType>,
    ) -> (Vec<ir::Stmt>, ValueType) {
        let Some(t) = self.expr(e) else {
            return (Vec::new(), declared_ret.unwrap_or(ValueType::Real));
        };
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
                .with_label(t.expr.span, t.ty().describe()),
            );
        }
        let span = t.expr.span;
        let body = vec![ir::Stmt {
            kind: StmtKind::Return(t.expr),
            span,
        }];
        (body, ret)
    }
}
