//! Statements: where each may appear, and what each becomes in the IR.

use super::decl::DeclOf;
use super::types::{self, Dims, TypedExpr};
use super::{Binding, Checker, Context};
use crate::ast::{self, Else, ExprKind as AstExpr, IndexKind, StmtKind as AstStmt};
use crate::diagnostics::Diagnostic;
use crate::ir::{self, ExprKind as IrExpr, GenId, LocalKind, StmtKind, ValueType};
use crate::source::Span;

impl Checker<'_> {
    /// A statement at the top level of a program. Declarations of data,
    /// parameters and functions are recorded and yield no statement.
    pub(super) fn top_stmt(&mut self, s: &ast::Stmt, library: bool) -> Option<ir::Stmt> {
        if library && !matches!(s.kind, AstStmt::Fn(_)) {
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
            AstStmt::Data {
                name,
                ty,
                default,
                minibatch,
            } => {
                self.data_decl(name, ty, default.as_ref(), *minibatch);
                None
            }
            AstStmt::Param { name, ty } => {
                self.param_decl(name, ty);
                None
            }
            AstStmt::Fn(f) => {
                self.function_def(f);
                None
            }
            AstStmt::Gen { name, value } => self.gen_stmt(name, value, s.span),
            AstStmt::GenBlock(b) => self.gen_block(b, s.span),
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
        let saved = self.context;
        self.context = Context::Gen;
        let v = self.expr(value);
        self.context = saved;
        let fresh = self.check_new_name(name);
        let Some(v) = v else {
            self.poison(name);
            return None;
        };
        let id = GenId(self.model.gens.len() as u32);
        self.model.gens.push(ir::GenDecl {
            name: name.name.clone(),
            span: name.span,
            ty: v.ty(),
        });
        self.gen_dims.push(v.dims);
        if fresh {
            self.bind(name, Binding::Gen(id));
        }
        Some(ir::Stmt {
            kind: StmtKind::Gen { id, value: v.expr },
            span,
        })
    }

    /// A statement inside the model body, a block or a function.
    pub(super) fn stmt(&mut self, s: &ast::Stmt) -> Option<ir::Stmt> {
        let span = s.span;
        if self.misplaced_in_gen_block(s) {
            return None;
        }
        let kind = match &s.kind {
            AstStmt::Data { .. } => self.misplaced_declaration("`data` declarations", span)?,
            AstStmt::Param { .. } => self.misplaced_declaration("`param` declarations", span)?,
            AstStmt::Fn(_) => self.misplaced_declaration("function definitions", span)?,
            AstStmt::Gen { .. } | AstStmt::GenBlock(_) => {
                self.misplaced_declaration("`gen` statements", span)?
            }
            AstStmt::Let { name, value } => self.let_stmt(name, value)?,
            AstStmt::Var { name, ty, init } => self.var_stmt(name, ty, init.as_ref())?,
            AstStmt::Tilde {
                lhs,
                dist,
                args,
                truncation,
            } => self.tilde_stmt(lhs, dist, args, truncation.as_ref(), span)?,
            AstStmt::TargetAdd(e) => self.target_add_stmt(e, span)?,
            AstStmt::Assign { target, op, value } => return self.assign(target, *op, value, span),
            AstStmt::For { var, lo, hi, body } => self.for_stmt(var, lo, hi, body)?,
            AstStmt::If { cond, then, els } => self.if_stmt(cond, then, els.as_ref())?,
            AstStmt::While { cond, body } => self.while_stmt(cond, body)?,
            AstStmt::Break => self.jump_stmt(StmtKind::Break, span)?,
            AstStmt::Continue => self.jump_stmt(StmtKind::Continue, span)?,
            AstStmt::Print(items) => StmtKind::Print(self.print_items(items)?),
            AstStmt::Reject(items) => StmtKind::Reject(self.print_items(items)?),
            AstStmt::Block(b) => StmtKind::Block(self.block(b)),
            AstStmt::Return(e) => self.return_stmt(e, span)?,
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
        Some(StmtKind::Let {
            local,
            value: v.expr,
        })
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
                        .with_label(t.expr.span, t.ty().describe())
                        .with_label(ty.span, "declared type"),
                    );
                    self.poison(name);
                    return None;
                }
                params = t.params;
                Some(t.expr)
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
        truncation: Option<&ast::Truncation>,
        span: Span,
    ) -> Option<StmtKind> {
        if self.current_fn.is_some() {
            return self.misplaced(span, "`~` cannot be used inside a function", "functions compute values: return the log density and add it with `target +=` where the function is called");
        }
        let lhs_t = self.expr(lhs);
        let args_t: Vec<Option<TypedExpr>> = args.iter().map(|a| self.expr(a)).collect();
        let lhs_t = lhs_t?;
        let args_t: Vec<TypedExpr> = args_t.into_iter().collect::<Option<_>>()?;
        let (dist_ref, args_ir) = self.tilde_dist(&lhs_t, dist, args_t, span)?;
        self.record_tilde(&lhs_t);
        if let Some(t) = truncation {
            return self.truncated_tilde(lhs_t, (dist, dist_ref), args_ir, t, span);
        }
        Some(StmtKind::Tilde {
            lhs: lhs_t.expr,
            dist: dist_ref,
            args: args_ir,
        })
    }

    fn target_add_stmt(&mut self, e: &ast::Expr, span: Span) -> Option<StmtKind> {
        if self.current_fn.is_some() {
            return self.misplaced(
                span,
                "`target +=` cannot be used inside a function",
                "return the value and add it at the call site",
            );
        }
        let t = self.expr(e)?;
        if t.ty().is_array3() {
            self.error(
                Diagnostic::error(
                    "wrong-type",
                    "`target +=` adds a scalar or the sum of a vector, found a 3-d array",
                )
                .with_label(t.expr.span, t.ty().describe())
                .with_help("add `sum(to_array_1d(...))` of it"),
            );
            return None;
        }
        if types::matrix_promoted(t.ty()) == ValueType::Matrix {
            self.error(
                Diagnostic::error(
                    "wrong-type",
                    "`target +=` adds a scalar or the sum of a vector, found a matrix",
                )
                .with_label(t.expr.span, t.ty().describe())
                .with_help("add `sum(...)` of it"),
            );
            return None;
        }
        self.record_target(&t);
        Some(StmtKind::TargetAdd(t.expr))
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
        let v = self.declare_local(var, LocalKind::Loop, ValueType::Int, Dims::UNKNOWN, params);
        let body = self.loop_body(body);
        self.pop_scope();
        Some(StmtKind::For {
            var: v,
            lo: lo?.expr,
            hi: hi?.expr,
            body,
        })
    }

    fn if_stmt(
        &mut self,
        cond: &ast::Expr,
        then: &ast::Block,
        els: Option<&Else>,
    ) -> Option<StmtKind> {
        let c = self.condition(cond, "if");
        let then = self.block(then);
        let els = match els {
            None => Vec::new(),
            Some(Else::Block(b)) => self.block(b),
            Some(Else::If(s)) => self.stmt(s).into_iter().collect(),
        };
        Some(StmtKind::If {
            cond: c?,
            then,
            els,
        })
    }

    fn return_stmt(&mut self, e: &ast::Expr, span: Span) -> Option<StmtKind> {
        let Some(f) = &self.current_fn else {
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
                    .with_label(t.expr.span, t.ty().describe()),
                );
                return None;
            }
        }
        Some(StmtKind::Return(t.expr))
    }

    fn loop_bound(&mut self, e: &ast::Expr) -> Option<TypedExpr> {
        let t = self.expr(e)?;
        if t.ty() != ValueType::Int {
            self.error(
                Diagnostic::error(
                    "loop-bound-not-int",
                    format!("loop bounds must be ints, found {}", t.ty().describe()),
                )
                .with_label(t.expr.span, t.ty().describe())
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
            AstExpr::Name(n) => (n.as_str(), target.span, &[][..]),
            AstExpr::Index(base, items) => match &base.kind {
                AstExpr::Name(n) => (n.as_str(), base.span, items.as_slice()),
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
                    Some(t) => indices.push(t.expr),
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
        let IrExpr::Local(local) = base.expr.kind else {
            let what = match base.expr.kind {
                IrExpr::Data(_) => "data",
                IrExpr::Param(_) => "a parameter",
                _ => "a generated quantity",
            };
            return self.not_assignable(name, what, name_span);
        };
        match self.model.local(local).kind {
            LocalKind::Var => {}
            LocalKind::Let => return self.not_assignable(name, "a `let` (immutable)", name_span),
            LocalKind::Loop => return self.not_assignable(name, "a loop variable", name_span),
            LocalKind::FnArg => return self.not_assignable(name, "a function argument", name_span),
        }
        let v = v?;
        if !ok {
            return None;
        }
        let ty = self.model.local(local).ty;
        let elem = match (ty, indices.len()) {
            (t, 0) => t,
            (ValueType::Vector, 1) => ValueType::Real,
            (ValueType::IntArray, 1) => ValueType::Int,
            (ValueType::Matrix, 1) => ValueType::Vector,
            (ValueType::Matrix, 2) => ValueType::Real,
            (ValueType::Array3, 1) => ValueType::Matrix,
            (ValueType::Array3, 2) => ValueType::Vector,
            (ValueType::Array3, 3) => ValueType::Real,
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
                .with_label(v.expr.span, v.ty().describe())
                .with_label(target.span, elem.describe()),
            );
            return None;
        }
        if indices.is_empty()
            && !elem.is_scalar()
            && self.locals[local.index()].dims.unify(v.dims).is_err()
        {
            let t = TypedExpr {
                expr: base.expr.clone(),
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
                value: v.expr,
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
