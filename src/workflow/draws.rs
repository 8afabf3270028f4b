//! Output draws: constrained parameters, `let`s and `gen`s at draws from an
//! approximation, optionally resampled by Pareto-smoothed importance
//! weights, and their summary.

use crate::density::CompiledModel;
use crate::diagnose::{self, Diagnostics};
use crate::infer::{self, Proposals};
use crate::infer::{Approximation, Target};
use crate::output::{ColumnSummary, Draws, Selection};
use crate::random::stream;
use rayon::prelude::*;

/// Stream purpose of the random numbers of generated quantities ("gen").
const GEN_STREAM: u64 = 0x0067_656e;

/// When the output draws are resampled by their importance weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Resampling {
    /// When PSIS is reliable (k̂ < 0.7).
    #[default]
    WhenReliable,
    Always,
    Never,
}

impl Resampling {
    /// Whether to resample the draws of a fit with these diagnostics.
    pub fn applies(self, diagnostics: &Diagnostics) -> bool {
        match self {
            Resampling::WhenReliable => diagnostics.psis_reliable(),
            Resampling::Always => true,
            Resampling::Never => false,
        }
    }
}

/// How many output draws, and whether they were resampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawPlan {
    pub count: usize,
    pub seed: u64,
    pub psis: bool,
    /// Worker threads (0: all cores); results do not depend on it.
    pub threads: usize,
}

/// The output draws of a fit: the unconstrained points, the draws made
/// from them and their summary rows.
#[derive(Clone, Debug)]
pub struct OutputDraws {
    /// Unconstrained points (`n × dim`, row-major) behind `draws`.
    pub points: Vec<f64>,
    pub draws: Draws,
    /// Whether the points were resampled by importance weights.
    pub psis: bool,
    pub summary: Vec<ColumnSummary>,
}

impl OutputDraws {
    /// Draws as [`output_draws`] makes them, keeping the points.
    pub fn make(
        cm: &CompiledModel,
        approx: &Approximation,
        plan: DrawPlan,
        pool: Option<&Proposals>,
    ) -> Result<OutputDraws, String> {
        let points = draw_points(cm, approx, plan, pool).map_err(cannot_generate)?;
        let draws = draws_at(cm, approx, &points, plan.seed).map_err(cannot_generate)?;
        let summary = draws.summarize();
        Ok(OutputDraws {
            points,
            draws,
            psis: plan.psis,
            summary,
        })
    }
}

/// The message of a failure to make draws.
pub fn cannot_generate(m: String) -> String {
    format!("cannot generate draws: {m}")
}

/// Draws for output: constrained parameters, `let`s and `gen`s, with the
/// model's and the approximation's log densities. With `psis`, the draws
/// are resampled by their Pareto-smoothed importance weights.
pub fn output_draws(
    cm: &CompiledModel,
    approx: &Approximation,
    n: usize,
    seed: u64,
    psis: bool,
    threads: usize,
    pool: Option<&Proposals>,
) -> Result<Draws, String> {
    let plan = DrawPlan {
        count: n,
        seed,
        psis,
        threads,
    };
    let points = draw_points(cm, approx, plan, pool)?;
    draws_at(cm, approx, &points, seed)
}

/// The unconstrained points behind [`output_draws`] (same draws, same
/// order): further quantities (the REPL's expressions) can then be computed
/// at exactly the draws a summary was made from, with [`draws_at`].
///
/// `pool`, the proposals a fit's diagnostics were computed from
/// ([`crate::infer::FitResult::proposals`]), are the very draws PSIS
/// resampling would make again for `approx` with this seed and count: when
/// they match, the output is resampled from them without evaluating the
/// model again.
pub fn draw_points(
    cm: &CompiledModel,
    approx: &Approximation,
    plan: DrawPlan,
    pool: Option<&Proposals>,
) -> Result<Vec<f64>, String> {
    let DrawPlan {
        count: n,
        seed,
        psis,
        threads,
    } = plan;
    super::limits::check_draws(n, cm.dim(), 0)?;
    if psis {
        let proposals = diagnose::proposals(n);
        // An interrupted fit was diagnosed from the output draws alone
        // (count n): its pool serves too, rather than evaluating the model
        // at four times as many draws after the user asked to stop.
        if let Some(p) = pool.filter(|p| {
            let m = p.log_weights.len();
            p.seed == seed && (m == proposals || m == n) && p.x.len() == m * cm.dim()
        }) {
            return Ok(infer::resample(p, n)?.0);
        }
        Ok(infer::psis_resample(cm, approx, proposals, n, seed, threads)?.0)
    } else {
        approx.sample(n, seed)
    }
}

/// One output draw: its values, log p and log q.
type DrawRow = (Vec<f64>, f64, f64);

/// Output draws at given unconstrained points (`n × dim`, row-major), with
/// the random numbers of `gen` statements drawn as [`output_draws`] draws
/// them: `draws_at(cm, q, &draw_points(cm, q, plan, pool)?, plan.seed)`
/// equals `output_draws(cm, q, n, seed, psis, threads, pool)` for the same
/// plan.
pub fn draws_at(
    cm: &CompiledModel,
    approx: &Approximation,
    points: &[f64],
    seed: u64,
) -> Result<Draws, String> {
    let d = cm.dim();
    let n = points.len().checked_div(d).unwrap_or(0);
    if n * d != points.len() {
        return Err(format!(
            "{} coordinates are not a whole number of points of dimension {d}",
            points.len()
        ));
    }
    let probe = if n > 0 {
        points[..d].to_vec()
    } else {
        approx.mean()
    };
    let names = cm.output_names(&probe)?;
    let width = names.len();
    super::limits::check_draws(n, d, width)?;
    if n > 0 && approx.dim() != d {
        return Err(format!(
            "the approximation has {} coordinates, the model {d}",
            approx.dim()
        ));
    }
    let log_q = if n > 0 {
        approx.log_q_many(points)?
    } else {
        Vec::new()
    };
    let rows: Vec<Result<DrawRow, String>> = (0..n)
        .into_par_iter()
        .map_init(
            || cm.workspace(),
            |ws, i| {
                let x = &points[i * d..(i + 1) * d];
                let mut row = Vec::with_capacity(width);
                let lp = cm.generate(ws, x, stream(seed, &[GEN_STREAM, i as u64]), &mut row)?;
                Ok((row, lp, log_q[i]))
            },
        )
        .collect();
    let mut values = Vec::with_capacity(n * width);
    let mut log_p = Vec::with_capacity(n);
    let mut log_g = Vec::with_capacity(n);
    for r in rows {
        let (row, lp, lq) = r?;
        values.extend(row);
        log_p.push(lp);
        log_g.push(lq);
    }
    Draws::new(names, n, values, log_p, log_g)
}

/// The names of the output quantities, found by evaluating the model at
/// the origin of the unconstrained space; `None` when it cannot be
/// evaluated there.
pub fn names_at_zero(cm: &CompiledModel) -> Option<Vec<String>> {
    cm.output_names(&vec![0.0; cm.dim()]).ok()
}

/// The row of the approximation's mean in a Stan CSV file: the
/// constrained parameters, `let`s and `gen`s at the mean of q (in the
/// order of the draws' columns).
pub fn mean_row(cm: &CompiledModel, approx: &Approximation, seed: u64) -> Result<Vec<f64>, String> {
    let at = draws_at(cm, approx, &approx.mean(), seed)?;
    Ok(at.row(0).to_vec())
}

/// The initial step of a fit as its diagnostics recorded it (CmdStan's
/// `eta`), or 1 when they did not.
pub fn recorded_eta(values: &serde_json::Map<String, serde_json::Value>) -> f64 {
    values
        .get("step_initial")
        .and_then(serde_json::Value::as_f64)
        .filter(|x| x.is_finite() && *x > 0.0)
        .unwrap_or(1.0)
}

/// What [`write_draws_csv`] writes besides the draws.
pub struct CsvLayout<'a> {
    /// The comment block.
    pub header: &'a crate::output::Config,
    /// The seed of the `gen` statements' random numbers (for the mean row).
    pub seed: u64,
    /// The initial step (CmdStan's `eta`).
    pub eta: f64,
    /// The columns written.
    pub selection: &'a Selection,
}

/// Writes draws as CmdStan's variational output (see
/// [`crate::output::write_variational_csv`]): the mean row is computed
/// from `approx`; only the columns `layout.selection` keeps are written
/// (`lp__`, `log_p__` and `log_g__` always are).
pub fn write_draws_csv(
    w: &mut dyn std::io::Write,
    layout: &CsvLayout<'_>,
    cm: &CompiledModel,
    approx: &Approximation,
    draws: &Draws,
) -> std::io::Result<()> {
    let mean = mean_row(cm, approx, layout.seed).map_err(std::io::Error::other)?;
    if layout.selection.is_empty() {
        return crate::output::write_variational_csv(w, layout.header, draws, &mean, layout.eta);
    }
    let columns = layout.selection.columns(&draws.names);
    let mean: Vec<f64> = columns.iter().map(|&j| mean[j]).collect();
    let chosen = draws.select(&columns);
    crate::output::write_variational_csv(w, layout.header, &chosen, &mean, layout.eta)
}
