//! Loops and messages: `while`, `break`, `continue`, `print` and `reject`.

use super::Checker;
use super::types::TypedExpr;
use crate::ast;
use crate::diagnostics::Diagnostic;
use crate::ir::{self, StmtKind};
use crate::source::Span;

impl Checker<'_> {
    /// `while cond { body }`: a scalar condition, and a body in which
    /// `break` and `continue` are allowed.
    pub(super) fn while_stmt(&mut self, cond: &ast::Expr, body: &ast::Block) -> Option<StmtKind> {
        let c = self.condition(cond, "while");
        let body = self.loop_body(body);
        Some(StmtKind::While { cond: c?, body })
    }

    /// The condition of an `if` or `while`: a scalar, or an error (and
    /// `None`) that shows how to make one.
    pub(super) fn condition(&mut self, cond: &ast::Expr, keyword: &str) -> Option<ir::Expr> {
        let c = self.expr(cond)?;
        if c.ty().is_scalar() {
            return Some(c.expr);
        }
        let article = if keyword == "if" { "an" } else { "a" };
        self.error(
            Diagnostic::error(
                "condition-not-scalar",
                format!(
                    "{article} `{keyword}` condition must be a scalar, found {}",
                    c.ty().describe()
                ),
            )
            .with_label(c.expr.span, c.ty().describe())
            .with_help(format!(
                "compare elements, e.g. `{keyword} y[i] > 0`, or reduce with `sum`/`max`"
            )),
        );
        None
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

    /// `rep_matrix(rv, m)` of a name declared `row_vector`: Stan repeats a
    /// row vector as rows, but here every vector is a column.
    pub(super) fn warn_rep_matrix_of_row_vector(&mut self, v: &TypedExpr, span: Span) {
        let name = match v.expr.kind {
            ir::ExprKind::Data(id) => self.model.data(id).name.clone(),
            ir::ExprKind::Param(id) => self.model.param(id).name.clone(),
            _ => return,
        };
        let Some((at, _)) = self.declared.get(&name) else {
            return;
        };
        let text = &self.sources.get(at.file).text;
        let after = text.get(at.end as usize..).unwrap_or("");
        let declared_row = after
            .split('\n')
            .next()
            .and_then(|line| line.trim_start().strip_prefix(':'))
            .is_some_and(|ty| ty.trim_start().starts_with("row_vector"));
        if declared_row {
            self.diags.push(
                Diagnostic::warning(
                    "rep-matrix-row-vector",
                    format!(
                        "`{name}` is declared `row_vector`, but vectors are columns here: \
                         `rep_matrix({name}, n)` repeats it as n columns"
                    ),
                )
                .with_label(span, "n columns equal to the vector")
                .with_help(format!(
                    "for Stan's meaning, rows equal to `{name}`, write `rep_matrix({name}, n)'`"
                )),
            );
        }
    }
}
