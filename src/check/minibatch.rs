//! The `minibatch` marker: `data N: int<lower=1> minibatch` says that the
//! rows counted by `N` may be subsampled (`vippl infer --minibatch B`).
//!
//! Every data array whose first size is `N` is *subsampled*: a minibatch
//! evaluation sees the same B random rows of all of them, with `N` equal
//! to B. A *row quantity* is a subsampled array, `N` itself, or a local
//! computed from row quantities (a `let`, a `var` assigned from them, the
//! variable of a loop whose bounds read them). A top-level statement that
//! adds to the log density and reads a row quantity is *scaled*: its
//! contribution is multiplied by N/B, so that its expectation over the
//! random rows is the full-data contribution. Statements that read none
//! (priors) are not scaled.
//!
//! What cannot be subsampled is refused here, located: a parameter with a
//! size that reads `N` (per-row latent variables: a minibatch would update
//! B of them and leave the rest at their prior), a data array with `N` in
//! another than its first dimension, and a `~` or `target +=` inside a
//! scaled statement that reads no row quantity itself (it would be scaled
//! by N/B too).

use super::Checker;
use super::decl::DeclType;
use crate::ast::Ident;
use crate::diagnostics::Diagnostic;
use crate::ir::{DataId, Elem, Expr, ExprKind, Model, PrintItem, Shape, Stmt, StmtKind};
use crate::source::Span;

/// What a minibatch evaluation subsamples and scales.
#[derive(Clone, Debug, PartialEq)]
pub struct RowPlan {
    /// The marked row count `N`.
    pub count: DataId,
    /// The data arrays whose first size is `N`, in declaration order.
    pub arrays: Vec<DataId>,
    /// Per top-level statement of the model's body: its log density is
    /// multiplied by N/B.
    pub scaled: Vec<bool>,
    /// Per top-level statement: it reads a row quantity.
    pub reads_rows: Vec<bool>,
}

impl Checker<'_> {
    /// Checks a `minibatch` marker on the data declaration `name`; whether
    /// it stands.
    pub(super) fn minibatch_marker(&mut self, name: &Ident, dt: &DeclType, span: Span) -> bool {
        if dt.elem != Elem::Int || dt.shape != Shape::Scalar {
            self.error(
                Diagnostic::error(
                    "bad-minibatch",
                    format!(
                        "`minibatch` marks a row count, but `{}` is not an `int`",
                        name.name
                    ),
                )
                .with_label(span, "on this declaration")
                .with_help(
                    "put it on the size that counts the rows: `data N: int<lower=1> minibatch`",
                ),
            );
            return false;
        }
        if let Some(other) = self.model.data.iter().find(|d| d.minibatch) {
            self.error(
                Diagnostic::error(
                    "bad-minibatch",
                    format!(
                        "only one row count may be subsampled, and `{}` already is",
                        other.name
                    ),
                )
                .with_label(span, "a second `minibatch`")
                .with_label(other.span, "the first")
                .with_help("keep `minibatch` on one size only"),
            );
            return false;
        }
        true
    }
}

/// The row plan of a model with a marked row count (`None` without one),
/// or the located problems that make it impossible to subsample.
pub fn row_plan(model: &Model) -> Result<Option<RowPlan>, Vec<Diagnostic>> {
    let Some(count) = model.data.iter().position(|d| d.minibatch) else {
        return Ok(None);
    };
    let count = DataId(count as u32);
    let mut problems = Vec::new();
    let mut arrays = Vec::new();
    for (k, d) in model.data.iter().enumerate() {
        let sizes = d.shape.sizes();
        if let Some(first) = sizes.first()
            && matches!(first.kind, ExprKind::Data(id) if id == count)
        {
            arrays.push(DataId(k as u32));
        }
        if sizes.iter().skip(1).any(|e| reads_data(e, count)) {
            problems.push(
                Diagnostic::error(
                    "minibatch-layout",
                    format!(
                        "`{}` has the subsampled count `{}` in a dimension other than its first",
                        d.name,
                        model.data(count).name
                    ),
                )
                .with_label(d.span, "declared here")
                .with_help("a minibatch picks rows: store one row per unit, e.g. `real[N, K]`"),
            );
        }
    }
    for p in &model.params {
        if p.shape.sizes().iter().any(|e| reads_data(e, count)) {
            problems.push(
                Diagnostic::error(
                    "minibatch-latent",
                    format!(
                        "the parameter `{}` has a size that reads the subsampled count `{}`: \
                         one latent variable per row cannot be fitted from minibatches",
                        p.name,
                        model.data(count).name
                    ),
                )
                .with_label(p.span, "declared here")
                .with_help(
                    "integrate the per-row variables out of the likelihood, or remove \
                     `minibatch` and fit on the full data",
                ),
            );
        }
    }
    let rows = Rows::of(model, count, &arrays);
    let mut scaled = Vec::with_capacity(model.body.len());
    let mut reads_rows = Vec::with_capacity(model.body.len());
    for s in &model.body {
        let reads = rows.stmts_read(std::slice::from_ref(s));
        let adds = matches!(s.kind, StmtKind::Gen { .. } | StmtKind::GenBlock { .. })
            .then_some(false)
            .unwrap_or_else(|| adds_density(std::slice::from_ref(s)));
        reads_rows.push(reads);
        scaled.push(reads && adds);
        if reads && adds {
            rows.unscaled_terms(std::slice::from_ref(s), false, &mut problems);
        }
    }
    if problems.is_empty() {
        Ok(Some(RowPlan {
            count,
            arrays,
            scaled,
            reads_rows,
        }))
    } else {
        Err(problems)
    }
}

/// Whether statements contain a `~` or `target +=` (outside `gen`).
fn adds_density(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        StmtKind::Tilde { .. } | StmtKind::TargetAdd(_) => true,
        StmtKind::For { body, .. } | StmtKind::While { body, .. } | StmtKind::Block(body) => {
            adds_density(body)
        }
        StmtKind::If { then, els, .. } => adds_density(then) || adds_density(els),
        _ => false,
    })
}

/// Whether an expression reads the data declaration `id`.
fn reads_data(e: &Expr, id: DataId) -> bool {
    let mut hit = false;
    e.visit(&mut |x| hit |= matches!(x.kind, ExprKind::Data(d) if d == id));
    hit
}

/// The row quantities of a model: which data and locals are per row.
struct Rows {
    data: Vec<bool>,
    locals: Vec<bool>,
}

impl Rows {
    /// Marks the row locals by a fixed point over the body (marking only
    /// ever adds, so it ends).
    fn of(model: &Model, count: DataId, arrays: &[DataId]) -> Rows {
        let mut data = vec![false; model.data.len()];
        data[count.index()] = true;
        for a in arrays {
            data[a.index()] = true;
        }
        let mut rows = Rows {
            data,
            locals: vec![false; model.locals.len()],
        };
        loop {
            let mut changed = false;
            rows.mark(&model.body, false, &mut changed);
            if !changed {
                break;
            }
        }
        rows
    }

    fn expr_reads(&self, e: &Expr) -> bool {
        let mut hit = false;
        e.visit(&mut |x| {
            hit |= match x.kind {
                ExprKind::Data(d) => self.data[d.index()],
                ExprKind::Local(l) => self.locals[l.index()],
                _ => false,
            }
        });
        hit
    }

    fn set(&mut self, local: crate::ir::LocalId, changed: &mut bool) {
        if !self.locals[local.index()] {
            self.locals[local.index()] = true;
            *changed = true;
        }
    }

    /// Marks the locals defined from row quantities, or under a loop or
    /// branch controlled by them (`ctrl`).
    fn mark(&mut self, stmts: &[Stmt], ctrl: bool, changed: &mut bool) {
        for s in stmts {
            match &s.kind {
                StmtKind::Let { local, value } if ctrl || self.expr_reads(value) => {
                    self.set(*local, changed);
                }
                StmtKind::Var {
                    local, shape, init, ..
                } => {
                    let sized = shape.sizes().iter().any(|e| self.expr_reads(e));
                    if ctrl || sized || init.as_ref().is_some_and(|e| self.expr_reads(e)) {
                        self.set(*local, changed);
                    }
                }
                StmtKind::Assign {
                    target,
                    indices,
                    value,
                    ..
                } if ctrl
                    || self.expr_reads(value)
                    || indices.iter().any(|e| self.expr_reads(e)) =>
                {
                    self.set(*target, changed);
                }
                StmtKind::For { var, lo, hi, body } => {
                    let row = ctrl || self.expr_reads(lo) || self.expr_reads(hi);
                    if row {
                        self.set(*var, changed);
                    }
                    self.mark(body, row, changed);
                }
                StmtKind::While { cond, body } => {
                    let row = ctrl || self.expr_reads(cond);
                    self.mark(body, row, changed);
                }
                StmtKind::If { cond, then, els } => {
                    let row = ctrl || self.expr_reads(cond);
                    self.mark(then, row, changed);
                    self.mark(els, row, changed);
                }
                StmtKind::Block(body) => self.mark(body, ctrl, changed),
                _ => {}
            }
        }
    }

    /// Whether any expression in the statements reads a row quantity.
    fn stmts_read(&self, stmts: &[Stmt]) -> bool {
        let items = |items: &[PrintItem]| {
            items.iter().any(|i| match i {
                PrintItem::Value(e) => self.expr_reads(e),
                PrintItem::Text(_) => false,
            })
        };
        stmts.iter().any(|s| match &s.kind {
            StmtKind::Let { value, .. } | StmtKind::TargetAdd(value) => self.expr_reads(value),
            StmtKind::Var { shape, init, .. } => {
                shape.sizes().iter().any(|e| self.expr_reads(e))
                    || init.as_ref().is_some_and(|e| self.expr_reads(e))
            }
            StmtKind::Assign {
                target,
                indices,
                value,
                ..
            } => {
                self.locals[target.index()]
                    || self.expr_reads(value)
                    || indices.iter().any(|e| self.expr_reads(e))
            }
            StmtKind::Tilde { lhs, args, .. } => {
                self.expr_reads(lhs) || args.iter().any(|e| self.expr_reads(e))
            }
            StmtKind::For { lo, hi, body, .. } => {
                self.expr_reads(lo) || self.expr_reads(hi) || self.stmts_read(body)
            }
            StmtKind::While { cond, body } => self.expr_reads(cond) || self.stmts_read(body),
            StmtKind::If { cond, then, els } => {
                self.expr_reads(cond) || self.stmts_read(then) || self.stmts_read(els)
            }
            StmtKind::Block(body) => self.stmts_read(body),
            StmtKind::Print(i) | StmtKind::Reject(i) => items(i),
            StmtKind::Return(e) => self.expr_reads(e),
            _ => false,
        })
    }

    /// Reports the `~` and `target +=` of a scaled statement that read no
    /// row quantity and are not under a loop or branch controlled by one.
    fn unscaled_terms(&self, stmts: &[Stmt], ctrl: bool, problems: &mut Vec<Diagnostic>) {
        for s in stmts {
            let (terms, row) = match &s.kind {
                StmtKind::Tilde { .. } | StmtKind::TargetAdd(_) => {
                    if !ctrl && !self.stmts_read(std::slice::from_ref(s)) {
                        problems.push(mixed(s.span));
                    }
                    continue;
                }
                StmtKind::For { lo, hi, body, .. } => {
                    (vec![body], self.expr_reads(lo) || self.expr_reads(hi))
                }
                StmtKind::While { cond, body } => (vec![body], self.expr_reads(cond)),
                StmtKind::If { cond, then, els } => (vec![then, els], self.expr_reads(cond)),
                StmtKind::Block(body) => (vec![body], false),
                _ => continue,
            };
            for body in terms {
                self.unscaled_terms(body, ctrl || row, problems);
            }
        }
    }
}

fn mixed(span: Span) -> Diagnostic {
    Diagnostic::error(
        "minibatch-mixed",
        "this term reads no subsampled rows, but the statement around it does: \
         in a minibatch its log density would be multiplied by N/B too",
    )
    .with_label(span, "reads no subsampled rows")
    .with_help("move it out of the loop or block, to a statement of its own")
}
