//! `gen { ... }` blocks: statements that compute generated quantities.
//!
//! The block runs only when draws are generated. Its statements are
//! checked like the model's, in the context of a `gen` statement (so `_rng`
//! calls and earlier generated quantities may be used), except that they
//! cannot add to the log density. Every `var` and `let` declared at the
//! block's top level becomes a generated quantity: reported in the output
//! and visible, after the block, to later `gen` statements.

use super::{Binding, Checker, Context};
use crate::ast;
use crate::diagnostics::Diagnostic;
use crate::ir::{self, GenId, StmtKind};
use crate::source::Span;

impl Checker<'_> {
    /// `gen { ... }` at the top level of the model.
    pub(super) fn gen_block(&mut self, block: &ast::Block, span: Span) -> Option<ir::Stmt> {
        let saved = self.context;
        self.context = Context::Gen;
        self.push_scope();
        let mut body = Vec::with_capacity(block.stmts.len());
        // The block's own declarations, with the names they were written with.
        let mut declared = Vec::new();
        for s in &block.stmts {
            let Some(checked) = self.stmt(s) else {
                continue;
            };
            let name = match &s.kind {
                ast::StmtKind::Let { name, .. } | ast::StmtKind::Var { name, .. } => Some(name),
                _ => None,
            };
            if let (Some(name), StmtKind::Let { local, .. } | StmtKind::Var { local, .. }) =
                (name, &checked.kind)
            {
                declared.push((name.clone(), *local));
            }
            body.push(checked);
        }
        self.pop_scope();
        self.context = saved;
        let mut outputs = Vec::with_capacity(declared.len());
        for (name, local) in declared {
            let id = GenId(self.model.gens.len() as u32);
            self.model.gens.push(ir::GenDecl {
                name: name.name.clone(),
                span: name.span,
                ty: self.model.local(local).ty,
            });
            self.gen_dims.push(self.locals[local.index()].dims);
            self.bind(&name, Binding::Gen(id));
            outputs.push((local, id));
        }
        Some(ir::Stmt {
            kind: StmtKind::GenBlock { body, outputs },
            span,
        })
    }

    /// Reports `~`, `target +=` and nested `gen` inside a `gen { }` block;
    /// false when the statement is allowed.
    pub(super) fn misplaced_in_gen_block(&mut self, s: &ast::Stmt) -> bool {
        if self.context != Context::Gen || self.current_fn.is_some() {
            return false;
        }
        let (what, help) = match &s.kind {
            ast::StmtKind::Tilde { .. } | ast::StmtKind::TargetAdd(_) => (
                "a `gen` block cannot add to the log density",
                "move the statement out of the `gen` block; to record a log density, assign \
                 it, as in `log_lik[n] = normal_lpdf(y[n] | mu, sigma)`",
            ),
            ast::StmtKind::Gen { .. } | ast::StmtKind::GenBlock(_) => (
                "`gen` cannot be nested inside a `gen` block",
                "declare the quantity with `var` or `let` at the top of the block: \
                 those are reported as generated quantities",
            ),
            _ => return false,
        };
        self.error(
            Diagnostic::error("misplaced-statement", what)
                .with_label(s.span, "not allowed in a `gen` block")
                .with_help(help),
        );
        true
    }
}
