//! Statements: where each may appear, and what each becomes in the IR.

use super::decl::DeclOf;
use super::types::{self, Dims, TExpr};
use super::{Binding, Checker, Ctx};
use crate::ast::{self, Else, ExprKind as A, IndexKind, StmtKind as S};
use crate::diagnostics::Diagnostic;
use crate::ir::{self, ExprKind as I, GenId, LocalKind, StmtKind, Ty};
use crate::source::Span;

impl Checker<'_> {
    /// A statement at the top level of a program. Declarations of data,
    /// parameters and functions are recorded and yield no statement.
    pub(super) fn top_stmt(&mut self, s: &ast::Stmt, library: bool) -> Option<ir::Stmt> {
        if library && !matches!(s.kind, S::Fn(_)) {
            self.error(
                Diagnostic::error(
                    "library-statement",
                    "a library file may only define functions",
                )
                .with_label(s.span, "not a function definition"),
            );
            return None;
        }
        match &s.kind {
            S::Data { name, ty, default } => {
                self.data_decl(name, ty, default.as_ref());
                None
            }
            S::Param { name, ty } => {
                self.param_decl(name, ty);
                None
            }
            S::Fn(f) => {
                self.function_def(f);
                None
            }
            S::Gen { name, value } => self.gen_stmt(name, value, s.span),
            _ => self.stmt(s),
        }
    }

    fn misplaced<T>(&mut self, span: Span, what: &str, help: &str) -> Option<T> {
        self.error(
            Diagnostic::error("misplaced-statement", what.to_string())
                .with_label(span, "not allowed here")
                .with_help(help.to_string()),
        );
        None
    }

    /// Checks a `{ }` block in a scope of its own.
    pub(super) fn block(&mut self, b: &ast::Block) -> Vec<ir::Stmt> {
        self.push_scope();
        let out = b.stmts.iter().filter_map(|s| self.stmt(s)).collect();
        self.pop_scope();
        out
    }

    fn gen_stmt(&mut self, name: &ast::Ident, value: &ast::Expr, span: Span) -> Option<ir::Stmt> {
        let saved = self.ctx;
        self.ctx = Ctx::Gen;
        let v = self.expr(value);
        self.ctx = saved;
        let fresh = self.check_new_name(name);
        let Some(v) = v else {
            self.poison(name);
            return None;
        };
        let id = GenId(self.m.gens.len() as u32);
        self.m.gens.push(ir::GenDecl {
            name: name.name.clone(),
            span: name.span,
            ty: v.ty(),
        });
        self.gen_dims.push(v.dims);
        if fresh {
            self.bind(name, Binding::Gen(id));
        }
        Some(ir::Stmt {
            kind: StmtKind::Gen { id, value: v.e },
            span,
        })
    }

    /// A statement inside the model body, a block or a function.
    pub(super) fn stmt(&mut self, s: &ast::Stmt) -> Option<ir::Stmt> {
        let span = s.span;
        let kind = match &s.kind {
            S::Data { .. } => self.misplaced_declaration("`data` declarations", span)?,
            S::Param { .. } => self.misplaced_declaration("`param` declarations", span)?,
            S::Fn(_) => self.misplaced_declaration("function definitions", span)?,
            S::Gen { .. } => self.misplaced_declaration("`gen` statements", span)?,
            S::Let { name, value } => self.let_stmt(name, value)?,
            S::Var { name, ty, init } => self.var_stmt(name, ty, init.as_ref())?,
            S::Tilde { lhs, dist, args } => self.tilde_stmt(lhs, dist, args, span)?,
            S::TargetAdd(e) => self.target_add_stmt(e, span)?,
            S::Assign { target, op, value } => return self.assign(target, *op, value, span),
            S::For { var, lo, hi, body } => self.for_stmt(var, lo, hi, body)?,
            S::If { cond, then, els } => self.if_stmt(cond, then, els.as_ref())?,
            S::Block(b) => StmtKind::Block(self.block(b)),
            S::Return(e) => self.return_stmt(e, span)?,
        };
        Some(ir::Stmt { kind, span })
    }

    fn misplaced_declaration(&mut self, what: &str, span: Span) -> Option<StmtKind> {
        self.misplaced(
            span,
            &format!("{what} must be at the top level of the model"),
            "move it out of the block or function",
        )
    }

    fn let_stmt(&mut self, name: &ast::Ident, value: &ast::Expr) -> Option<StmtKind> {
        let Some(v) = self.expr(value) else {
            self.poison(name);
            return None;
        };
        let local = self.declare_local(name, LocalKind::Let, v.ty(), v.dims, v.params.clone());
        Some(StmtKind::Let { local, value: v.e })
    }

    fn var_stmt(
        &mut self,
        name: &ast::Ident,
        ty: &ast::Type,
        init: Option<&ast::Expr>,
    ) -> Option<StmtKind> {
        let dt = self.decl_type(ty, DeclOf::Var);
        let init = init.map(|e| self.expr(e));
        let (Some(dt), false) = (dt, matches!(init, Some(None))) else {
            self.poison(name);
            return None;
        };
        let declared = dt.shape.ty(dt.elem);
        let mut params = Default::default();
        let init = match init {
            Some(None) => return None,
            Some(Some(t)) => {
                if !types::assignable(declared, t.ty()) {
                    self.error(
                        Diagnostic::error(
                            "wrong-type",
                            format!(
                                "`{}` is declared {}, but its initial value is {}",
                                name.name,
                                declared.describe(),
                                t.ty().describe()
                            ),
                        )
                        .with_label(t.e.span, t.ty().describe())
                        .with_label(ty.span, "declared type"),
                    );
                    return None;
                }
                params = t.params;
                Some(t.e)
            }
            None => None,
        };
        let dims = self.dims_of_shape(&dt.shape);
        let local = self.declare_local(name, LocalKind::Var, declared, dims, params);
        Some(StmtKind::Var {
            local,
            elem: dt.elem,
            shape: dt.shape,
            init,
        })
    }

    fn tilde_stmt(
        &mut self,
        lhs: &ast::Expr,
        dist: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<StmtKind> {
        if self.cur_fn.is_some() {
            return self.misplaced(span, "`~` cannot be used inside a function", "functions compute values: return the log density and add it with `target +=` where the function is called");
        }
        let lhs_t = self.expr(lhs);
        let args_t: Vec<Option<TExpr>> = args.iter().map(|a| self.expr(a)).collect();
        let lhs_t = lhs_t?;
        let args_t: Vec<TExpr> = args_t.into_iter().collect::<Option<_>>()?;
        let (dist_ref, args_ir) = self.tilde_dist(&lhs_t, dist, args_t, span)?;
        self.record_tilde(&lhs_t);
        Some(StmtKind::Tilde {
            lhs: lhs_t.e,
            dist: dist_ref,
            args: args_ir,
        })
    }

    fn target_add_stmt(&mut self, e: &ast::Expr, span: Span) -> Option<StmtKind> {
        if self.cur_fn.is_some() {
            return self.misplaced(
                span,
                "`target +=` cannot be used inside a function",
                "return the value and add it at the call site",
            );
        }
        let t = self.expr(e)?;
        if t.ty() == Ty::Matrix {
            self.error(
                Diagnostic::error(
                    "wrong-type",
                    "`target +=` adds a scalar or the sum of a vector, found a matrix",
                )
                .with_label(t.e.span, t.ty().describe())
                .with_help("add `sum(...)` of it"),
            );
            return None;
        }
        self.record_target(&t);
        Some(StmtKind::TargetAdd(t.e))
    }

    fn for_stmt(
        &mut self,
        var: &ast::Ident,
        lo: &ast::Expr,
        hi: &ast::Expr,
        body: &ast::Block,
    ) -> Option<StmtKind> {
        let lo = self.loop_bound(lo);
        let hi = self.loop_bound(hi);
        self.push_scope();
        let mut params = lo.as_ref().map(|t| t.params.clone()).unwrap_or_default();
        if let Some(h) = &hi {
            params.union_with(&h.params);
        }
        let v = self.declare_local(var, LocalKind::Loop, Ty::Int, Dims::UNKNOWN, params);
        let body = self.block(body);
        self.pop_scope();
        Some(StmtKind::For {
            var: v,
            lo: lo?.e,
            hi: hi?.e,
            body,
        })
    }

    fn if_stmt(
        &mut self,
        cond: &ast::Expr,
        then: &ast::Block,
        els: Option<&Else>,
    ) -> Option<StmtKind> {
        let c = self.expr(cond);
        if let Some(c) = &c {
            if !c.ty().is_scalar() {
                self.error(
                    Diagnostic::error(
                        "condition-not-scalar",
                        format!(
                            "an `if` condition must be a scalar, found {}",
                            c.ty().describe()
                        ),
                    )
                    .with_label(c.e.span, c.ty().describe())
                    .with_help("compare elements, e.g. `if y[i] > 0`, or reduce with `sum`/`max`"),
                );
            }
        }
        let then = self.block(then);
        let els = match els {
            None => Vec::new(),
            Some(Else::Block(b)) => self.block(b),
            Some(Else::If(s)) => self.stmt(s).into_iter().collect(),
        };
        let c = c.filter(|c| c.ty().is_scalar())?;
        Some(StmtKind::If {
            cond: c.e,
            then,
            els,
        })
    }

    fn return_stmt(&mut self, e: &ast::Expr, span: Span) -> Option<StmtKind> {
        let Some(f) = &self.cur_fn else {
            return self.misplaced(
                span,
                "`return` can only be used inside a function",
                "a model has no return value: use `~` or `target +=`",
            );
        };
        let ret = f.ret;
        let name = f.name.clone();
        let t = self.expr(e)?;
        if let Some(r) = ret {
            if !types::assignable(r, t.ty()) {
                self.error(
                    Diagnostic::error(
                        "wrong-type",
                        format!(
                            "`{name}` returns {}, found {}",
                            r.describe(),
                            t.ty().describe()
                        ),
                    )
                    .with_label(t.e.span, t.ty().describe()),
                );
                return None;
            }
        }
        Some(StmtKind::Return(t.e))
    }

    fn loop_bound(&mut self, e: &ast::Expr) -> Option<TExpr> {
        let t = self.expr(e)?;
        if t.ty() != Ty::Int {
            self.error(
                Diagnostic::error(
                    "loop-bound-not-int",
                    format!("loop bounds must be ints, found {}", t.ty().describe()),
                )
                .with_label(t.e.span, t.ty().describe())
                .with_help("use an int expression such as `N` or `size(y)`"),
            );
            return None;
        }
        Some(t)
    }

    fn assign(
        &mut self,
        target: &ast::Expr,
        op: ast::AssignOp,
        value: &ast::Expr,
        span: Span,
    ) -> Option<ir::Stmt> {
        let (name, name_span, items) = match &target.kind {
            A::Name(n) => (n.as_str(), target.span, &[][..]),
            A::Index(base, items) => match &base.kind {
                A::Name(n) => (n.as_str(), base.span, items.as_slice()),
                _ => return None,
            },
            _ => return None,
        };
        let base = self.name_ref(name, name_span);
        let mut indices = Vec::new();
        let mut ok = true;
        for it in items {
            match &it.kind {
                IndexKind::Expr(e) => match self.int_expr(e, "an assigned element's index") {
                    Some(t) => indices.push(t.e),
                    None => ok = false,
                },
                _ => {
                    self.error(
                        Diagnostic::error(
                            "bad-assignment-target",
                            "only single elements can be assigned",
                        )
                        .with_label(it.span, "a slice")
                        .with_help("assign element by element in a `for` loop"),
                    );
                    ok = false;
                }
            }
        }
        let v = self.expr(value);
        let base = base?;
        let I::Local(local) = base.e.kind else {
            let what = match base.e.kind {
                I::Data(_) => "data",
                I::Param(_) => "a parameter",
                _ => "a generated quantity",
            };
            return self.not_assignable(name, what, name_span);
        };
        match self.m.local(local).kind {
            LocalKind::Var => {}
            LocalKind::Let => return self.not_assignable(name, "a `let` (immutable)", name_span),
            LocalKind::Loop => return self.not_assignable(name, "a loop variable", name_span),
            LocalKind::FnArg => return self.not_assignable(name, "a function argument", name_span),
        }
        let v = v?;
        if !ok {
            return None;
        }
        let ty = self.m.local(local).ty;
        let elem = match (ty, indices.len()) {
            (t, 0) => t,
            (Ty::Vector, 1) => Ty::Real,
            (Ty::IntArray, 1) => Ty::Int,
            (Ty::Matrix, 1) => Ty::Vector,
            (Ty::Matrix, 2) => Ty::Real,
            (t, n) => {
                self.error(
                    Diagnostic::error(
                        "bad-index",
                        format!("`{name}` is {}: it cannot take {n} indices", t.describe()),
                    )
                    .with_label(target.span, "assigned here"),
                );
                return None;
            }
        };
        if !types::assignable(elem, v.ty()) {
            self.error(
                Diagnostic::error(
                    "wrong-type",
                    format!("cannot assign {} to {}", v.ty().describe(), elem.describe()),
                )
                .with_label(v.e.span, v.ty().describe())
                .with_label(target.span, elem.describe()),
            );
            return None;
        }
        if indices.is_empty()
            && !elem.is_scalar()
            && self.locals[local.index()].dims.unify(v.dims).is_err()
        {
            let t = TExpr {
                e: base.e.clone(),
                dims: self.locals[local.index()].dims,
                params: Default::default(),
            };
            self.shape_mismatch("an assignment", &t, &v, span);
            return None;
        }
        self.locals[local.index()].params.union_with(&v.params);
        Some(ir::Stmt {
            kind: StmtKind::Assign {
                target: local,
                indices,
                op,
                value: v.e,
            },
            span,
        })
    }

    fn not_assignable(&mut self, name: &str, what: &str, span: Span) -> Option<ir::Stmt> {
        self.error(
            Diagnostic::error("assign-to-immutable", format!("cannot assign to `{name}`: it is {what}"))
                .with_label(span, "cannot be assigned")
                .with_help("only a `var` can be assigned: declare a new `var` (e.g. `var x: real = ...`) and assign to it"),
        );
        None
    }
}
