//! Minibatches of a model's likelihood, rescaled to the full data: the
//! doubly stochastic target of `vippl infer --minibatch B`.
//!
//! The model marks its row count (`data N: int<lower=1> minibatch`); the
//! checker's [`RowPlan`] names the subsampled arrays (first size `N`) and
//! the top-level statements whose log density reads them. A
//! [`MinibatchModel`] is the model bound to B rows: a second program,
//! compiled once with `N` = B and the first B rows, whose row buffers are
//! overwritten in place with the rows of each minibatch (each thread's
//! workspace holds its own copy of that small program, so nothing is
//! shared and nothing is allocated per evaluation). Its log density is the
//! sum of the unscaled statements (priors, log-Jacobians) and N/B times
//! the scaled ones: for rows drawn uniformly without replacement its
//! expectation is the full log density, and so is its gradient's.
//!
//! Row sets come from the stream (seed, MINIBATCH, key): the caller names
//! the minibatch by a key (its step), so any number of threads gives the
//! same bits. Data-only computations from subsampled rows cannot be run
//! once before fitting (they would keep the first rows): they are refused
//! when the model is bound.

mod rows;

use crate::check::minibatch::{RowPlan, row_plan};
use crate::density::eval::Evaluator;
use crate::density::eval::workspace::Workspace;
use crate::density::model::CompiledModel;
use crate::density::program::Program;
use crate::diagnostics::Diagnostic;
use crate::infer::Subsampled;
use crate::ir::StmtKind;
use rows::{RowArray, RowPicker};

/// The purpose coordinate of the minibatch row streams.
const MINIBATCH_STREAM: u64 = 21;

/// A model bound to minibatches of B of its N rows.
pub struct MinibatchModel<'a> {
    full: &'a CompiledModel,
    /// The model bound to B rows (the first B until rows are written).
    batch: Program,
    plan: RowPlan,
    arrays: Vec<RowArray>,
    rows: usize,
    size: usize,
    seed: u64,
}

/// One thread's memory: its copy of the B-row program, the evaluator's
/// workspace, and the rows of the current minibatch.
pub struct MinibatchWorkspace {
    prog: Program,
    ws: Workspace<f64>,
    picker: RowPicker,
    /// Per log-density term on the tape: its weight (1 or N/B).
    weights: Vec<f64>,
}

impl<'a> MinibatchModel<'a> {
    /// Binds `full` (a model compiled with all its data) to minibatches of
    /// `size` rows drawn with `seed`; a located diagnostic when the model
    /// marks no row count or cannot be subsampled.
    pub fn new(
        full: &'a CompiledModel,
        size: usize,
        seed: u64,
    ) -> Result<MinibatchModel<'a>, Vec<Diagnostic>> {
        let plan = match row_plan(full.model()) {
            Ok(Some(plan)) => plan,
            Ok(None) => {
                return Err(vec![Diagnostic::error(
                    "minibatch-unmarked",
                    "--minibatch needs a row count marked in the model, and this model marks none",
                )
                .with_help(
                    "mark the size that counts the data rows: `data N: int<lower=1> minibatch`",
                )]);
            }
            Err(problems) => return Err(problems),
        };
        let prog = full.program();
        let count = prog.model.data(plan.count);
        let rows = match prog.data_vals[plan.count.index()] {
            crate::density::value::Value::Int(n) if n >= 0 => n as usize,
            _ => 0,
        };
        if size == 0 || size > rows {
            return Err(vec![
                Diagnostic::error(
                    "minibatch-size",
                    format!(
                        "--minibatch {size} must be between 1 and the {rows} rows that `{}` counts",
                        count.name
                    ),
                )
                .with_label(count.span, "the subsampled row count")
                .with_help("give a batch size no larger than the data (e.g. 1000)"),
            ]);
        }
        let input = rows::first_rows(prog, &plan, size);
        let (batch, _) = crate::density::compile(prog.model.clone(), prog.sources.clone(), &input)?;
        let batch = batch.into_program();
        refuse_static_rows(&batch, &plan)?;
        let arrays = plan
            .arrays
            .iter()
            .map(|&id| RowArray::new(prog, &batch, id, rows, size))
            .collect();
        Ok(MinibatchModel {
            full,
            batch,
            plan,
            arrays,
            rows,
            size,
            seed,
        })
    }

    /// N, the rows of the full data.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// B, the rows of one minibatch.
    pub fn batch_size(&self) -> usize {
        self.size
    }

    /// The model on all the rows.
    pub fn full(&self) -> &CompiledModel {
        self.full
    }

    /// N/B, the weight of the statements that read subsampled rows.
    pub fn scale(&self) -> f64 {
        self.rows as f64 / self.size as f64
    }

    /// The rescaled log density with these rows (sorted, distinct, fewer
    /// than N) as the minibatch, and its gradient when `grad` is given.
    pub fn log_density_rows(
        &self,
        mw: &mut MinibatchWorkspace,
        rows: &[usize],
        x: &[f64],
        grad: Option<&mut [f64]>,
    ) -> f64 {
        mw.picker.set(rows);
        self.evaluate(mw, x, grad)
    }

    fn evaluate(&self, mw: &mut MinibatchWorkspace, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let full = self.full.program();
        for a in &self.arrays {
            a.write(full, &mut mw.prog, mw.picker.picked());
        }
        let record = grad.is_some();
        let weighting = (&self.plan, self.scale());
        let lp = scaled_eval(&mw.prog, weighting, &mut mw.ws, &mut mw.weights, x, record);
        if let Some(g) = grad {
            if lp.is_finite() {
                let terms = std::mem::take(&mut mw.ws.lp_terms);
                let weights = &mw.weights;
                let bufs = mw.prog.bufs(&mw.ws.scratch);
                mw.ws.tape.reverse(bufs, |adj| {
                    for (&s, &w) in terms.iter().zip(weights) {
                        adj[s as usize] += w;
                    }
                });
                mw.ws.lp_terms = terms;
                g.copy_from_slice(&mw.ws.tape.adj[..x.len()]);
            } else {
                g.iter_mut().for_each(|v| *v = f64::NAN);
            }
        }
        lp
    }
}

/// Runs the B-row program at `x`, weighting the terms of scaled
/// statements by `scale`; the rescaled log density (−∞ or NaN when the
/// evaluation stopped).
fn scaled_eval(
    prog: &Program,
    (plan, scale): (&RowPlan, f64),
    ws: &mut Workspace<f64>,
    weights: &mut Vec<f64>,
    x: &[f64],
    record: bool,
) -> f64 {
    ws.reset(record);
    ws.lp_const = prog.lp_const;
    weights.clear();
    let th = ws.tape.alloc(x.len());
    ws.tape.vals[th.range()].copy_from_slice(x);
    let mut ev = Evaluator::new(prog, ws, false);
    if ev.constrain_params(th).is_err() {
        return f64::NEG_INFINITY;
    }
    // Loops of independent iterations run as their array statements (the
    // rewritten body has the same top-level statements, so the weights line
    // up); a non-finite result stops the step either way.
    let body = prog.vector_body.as_deref().unwrap_or(&prog.model.body);
    for (k, s) in body.iter().enumerate() {
        if prog.static_stmt[k] {
            continue;
        }
        let weight = if plan.scaled[k] { scale } else { 1.0 };
        let before = ev.workspace.lp_const;
        let run = ev.run(std::slice::from_ref(s), false);
        let added = ev.workspace.lp_const - before;
        ev.workspace.lp_const = before + weight * added;
        let n = ev.workspace.lp_terms.len();
        weights.resize(n, weight);
        if let Err(e) = run {
            return match e.kind {
                crate::density::eval::workspace::Stop::Reject => f64::NEG_INFINITY,
                crate::density::eval::workspace::Stop::Fatal => f64::NAN,
            };
        }
    }
    let mut lp = ws.lp_const;
    for (&s, &w) in ws.lp_terms.iter().zip(weights.iter()) {
        lp += w * ws.tape.vals[s as usize];
    }
    lp
}

/// Refuses data-only statements that compute from subsampled rows: they
/// run once, before fitting, and would keep the first rows.
fn refuse_static_rows(batch: &Program, plan: &RowPlan) -> Result<(), Vec<Diagnostic>> {
    let problems: Vec<Diagnostic> = batch
        .model
        .body
        .iter()
        .enumerate()
        .filter(|&(k, s)| {
            batch.static_stmt[k]
                && plan.reads_rows[k]
                && !matches!(s.kind, StmtKind::Tilde { .. } | StmtKind::TargetAdd(_))
        })
        .map(|(_, s)| {
            Diagnostic::error(
                "minibatch-data-computation",
                "this computes from subsampled rows before fitting, once: with --minibatch it \
                 would keep the first rows",
            )
            .with_label(s.span, "reads subsampled data only")
            .with_help("compute it in the data file, or write it inside the statement that uses it")
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

impl Subsampled for MinibatchModel<'_> {
    type Workspace = MinibatchWorkspace;

    fn dim(&self) -> usize {
        self.full.layout().dim
    }

    fn rows(&self) -> usize {
        self.rows
    }

    fn batch_size(&self) -> usize {
        self.size
    }

    fn workspace(&self) -> MinibatchWorkspace {
        let m = &self.batch.model;
        MinibatchWorkspace {
            prog: self.batch.clone(),
            ws: Workspace::new(m.locals.len(), m.params.len(), m.gens.len()),
            picker: RowPicker::new(self.rows, self.size),
            weights: Vec::new(),
        }
    }

    fn batch_gradient(
        &self,
        mw: &mut MinibatchWorkspace,
        key: u64,
        x: &[f64],
        grad: &mut [f64],
    ) -> f64 {
        let mut rng = crate::random::stream(self.seed, &[MINIBATCH_STREAM, key]);
        mw.picker.draw(&mut rng);
        self.evaluate(mw, x, Some(grad))
    }
}

#[cfg(test)]
mod tests;
