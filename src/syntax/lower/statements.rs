//! Statements: pest pairs of one statement to its AST node.

use super::{Lowerer, items};
use crate::ast::*;
use crate::diagnostics::Diagnostic;
use crate::syntax::grammar::Rule;
use pest::iterators::Pair;

impl Lowerer {
    pub(super) fn stmt(&self, pair: Pair<'_, Rule>) -> Stmt {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        if rule == Rule::block {
            return Stmt {
                kind: StmtKind::Block(self.block(pair)),
                span,
            };
        }
        let mut it = items(pair);
        macro_rules! next {
            () => {
                it.next().expect("grammar guarantees the statement's parts")
            };
        }
        let kind = match rule {
            Rule::data_decl => {
                let name = self.ident(next!());
                let ty = self.ty(next!());
                let mut rest = it.peekable();
                let minibatch = rest
                    .next_if(|p| p.as_rule() == Rule::minibatch_mark)
                    .map(|p| self.span(&p));
                let default = rest.next().map(|e| self.expr(e, 0));
                StmtKind::Data {
                    name,
                    ty,
                    default,
                    minibatch,
                }
            }
            Rule::param_decl => {
                let name = self.ident(next!());
                StmtKind::Param {
                    name,
                    ty: self.ty(next!()),
                }
            }
            Rule::let_stmt => {
                let name = self.ident(next!());
                StmtKind::Let {
                    name,
                    value: self.expr(next!(), 0),
                }
            }
            Rule::var_decl => {
                let name = self.ident(next!());
                let ty = self.ty(next!());
                let init = it.next().map(|e| self.expr(e, 0));
                StmtKind::Var { name, ty, init }
            }
            Rule::gen_stmt => {
                let first = next!();
                if first.as_rule() == Rule::block {
                    return Stmt {
                        kind: StmtKind::GenBlock(self.block(first)),
                        span,
                    };
                }
                let name = self.ident(first);
                StmtKind::Gen {
                    name,
                    value: self.expr(next!(), 0),
                }
            }
            Rule::return_stmt => StmtKind::Return(self.expr(next!(), 0)),
            Rule::target_stmt => StmtKind::TargetAdd(self.expr(next!(), 0)),
            Rule::for_stmt => {
                let var = self.ident(next!());
                let lo = self.expr(next!(), 0);
                let hi = self.expr(next!(), 0);
                StmtKind::For {
                    var,
                    lo,
                    hi,
                    body: self.block(next!()),
                }
            }
            Rule::if_stmt => {
                let cond = self.expr(next!(), 0);
                let then = self.block(next!());
                let els = it.next().map(|p| match p.as_rule() {
                    Rule::block => Else::Block(self.block(p)),
                    _ => Else::If(Box::new(self.stmt(p))),
                });
                StmtKind::If { cond, then, els }
            }
            Rule::while_stmt => {
                let cond = self.expr(next!(), 0);
                StmtKind::While {
                    cond,
                    body: self.block(next!()),
                }
            }
            Rule::break_stmt => StmtKind::Break,
            Rule::continue_stmt => StmtKind::Continue,
            Rule::print_stmt => StmtKind::Print(self.print_items(it.next())),
            Rule::reject_stmt => StmtKind::Reject(self.print_items(it.next())),
            Rule::fn_def => StmtKind::Fn(self.fn_def(it)),
            Rule::simple_stmt => {
                let lhs = self.expr(next!(), 0);
                let rest = next!();
                match rest.as_rule() {
                    Rule::tilde_rest => {
                        let mut r = items(rest);
                        let dist = self.ident(r.next().expect("distribution name"));
                        let mut args = Vec::new();
                        let mut truncation = None;
                        for p in r {
                            match p.as_rule() {
                                Rule::truncation => truncation = Some(self.truncation(p)),
                                _ => args = self.args(p),
                            }
                        }
                        StmtKind::Tilde {
                            lhs,
                            dist,
                            args,
                            truncation,
                        }
                    }
                    _ => {
                        let mut r = rest.into_inner();
                        let op_pair = r.next().expect("assignment operator");
                        let op = if op_pair.as_rule() == Rule::plus_eq {
                            AssignOp::Add
                        } else {
                            AssignOp::Set
                        };
                        let value = self.expr(r.next().expect("assigned value"), 0);
                        self.check_lvalue(&lhs);
                        StmtKind::Assign {
                            target: lhs,
                            op,
                            value,
                        }
                    }
                }
            }
            _ => unreachable!("not a statement rule: {rule:?}"),
        };
        Stmt { kind, span }
    }

    fn check_lvalue(&self, lhs: &Expr) {
        let ok = match &lhs.kind {
            ExprKind::Name(_) => true,
            ExprKind::Index(base, _) => matches!(base.kind, ExprKind::Name(_)),
            _ => false,
        };
        if !ok {
            self.error(
                Diagnostic::error("bad-assignment-target", "cannot assign to this expression")
                    .with_label(lhs.span, "not a variable")
                    .with_help(
                        "only a `var` or one of its elements (`v[i]`, `v[i, j]`) can be assigned",
                    ),
            );
        }
    }

    fn fn_def<'i>(&self, mut it: impl Iterator<Item = Pair<'i, Rule>>) -> FnDef {
        let name = self.ident(it.next().expect("function name"));
        let mut args = Vec::new();
        let mut ret = None;
        let mut body = None;
        for p in it {
            match p.as_rule() {
                Rule::fn_arg => {
                    let mut a = items(p);
                    let name = self.ident(a.next().expect("argument name"));
                    let ty = self.fn_type(a.next().expect("argument type"));
                    args.push(FnArg { name, ty });
                }
                Rule::fn_type => ret = Some(self.fn_type(p)),
                Rule::block => body = Some(FnBody::Block(self.block(p))),
                _ => body = Some(FnBody::Expr(self.expr(p, 0))),
            }
        }
        FnDef {
            name,
            args,
            ret,
            body: body.expect("function body"),
        }
    }

    /// `T[L, U]` with either bound optional.
    fn truncation(&self, pair: Pair<'_, Rule>) -> Truncation {
        let span = self.span(&pair);
        let (mut lower, mut upper) = (None, None);
        for p in items(pair) {
            let bound = |p: Pair<'_, Rule>| {
                let e = p.into_inner().next().expect("bound expression");
                Some(self.expr(e, 0))
            };
            match p.as_rule() {
                Rule::trunc_lower => lower = bound(p),
                Rule::trunc_upper => upper = bound(p),
                _ => {}
            }
        }
        Truncation { lower, upper, span }
    }

    /// The strings and values of `print(...)` / `reject(...)`.
    fn print_items(&self, args: Option<Pair<'_, Rule>>) -> Vec<PrintItem> {
        let Some(args) = args else {
            return Vec::new();
        };
        items(args)
            .map(|p| match p.as_rule() {
                Rule::string => {
                    let quoted = p.as_str();
                    PrintItem::Text(quoted[1..quoted.len() - 1].to_string(), self.span(&p))
                }
                _ => PrintItem::Value(self.expr(p, 0)),
            })
            .collect()
    }
}
