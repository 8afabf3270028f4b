//! Loops and messages: `while`, `break`, `continue`, `print` and `reject`.

use super::Checker;
use crate::ast;
use crate::diagnostics::Diagnostic;
use crate::ir::{self, StmtKind};
use crate::source::Span;

impl Checker<'_> {
    /// `while cond { body }`: a scalar condition, and a body in which
    /// `break` and `continue` are allowed.
    pub(super) fn while_stmt(&mut self, cond: &ast::Expr, body: &ast::Block) -> Option<StmtKind> {
        let c = self.expr(cond);
        if let Some(c) = &c {
            if !c.ty().is_scalar() {
                self.error(
                    Diagnostic::error(
                        "condition-not-scalar",
                        format!(
                            "a `while` condition must be a scalar, found {}",
                            c.ty().describe()
                        ),
                    )
                    .with_label(c.expr.span, c.ty().describe())
                    .with_help(
                        "compare elements, e.g. `while y[i] > 0`, or reduce with `sum`/`max`",
                    ),
                );
            }
        }
        let body = self.loop_body(body);
        let c = c.filter(|c| c.ty().is_scalar())?;
        Some(StmtKind::While { cond: c.expr, body })
    }

    /// The body of a `for` or `while` loop.
    pub(super) fn loop_body(&mut self, body: &ast::Block) -> Vec<ir::Stmt> {
        self.loop_depth += 1;
        let out = self.block(body);
        self.loop_depth -= 1;
        out
    }

    /// `break` or `continue`, which need an enclosing loop.
    pub(super) fn jump_stmt(&mut self, kind: StmtKind, span: Span) -> Option<StmtKind> {
        if self.loop_depth > 0 {
            return Some(kind);
        }
        let word = if kind == StmtKind::Break {
            "break"
        } else {
            "continue"
        };
        self.error(
            Diagnostic::error(
                "jump-outside-loop",
                format!("`{word}` is only allowed inside a `for` or `while` loop"),
            )
            .with_label(span, "not inside a loop")
            .with_help(if self.current_fn.is_some() {
                "to leave the function, use `return`"
            } else {
                "put it in the body of the loop it should leave or continue"
            }),
        );
        None
    }

    /// The items of `print(...)` or `reject(...)`: strings, and values of
    /// any type.
    pub(super) fn print_items(&mut self, items: &[ast::PrintItem]) -> Option<Vec<ir::PrintItem>> {
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match item {
                ast::PrintItem::Text(t, _) => out.push(ir::PrintItem::Text(t.clone())),
                ast::PrintItem::Value(e) => match self.expr(e) {
                    Some(v) => out.push(ir::PrintItem::Value(v.expr)),
                    None => ok = false,
                },
            }
        }
        ok.then_some(out)
    }
}
