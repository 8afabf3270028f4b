//! A fitted model: the compiled model with its approximation, and what the
//! commands and the REPL make of it — output draws, summaries, the
//! diagnostics block, configuration records and fit files (as values; the
//! callers do the writing).

use crate::check;
use crate::data::{DataInput, DataSpec, RawValue};
use crate::density::{self, CompiledModel};
use crate::diagnostics::Diagnostic;
use crate::infer::Proposals;
use crate::infer::{Approximation, FitConfig, FitResult, Target, Termination};
use crate::output::{self, ColumnSummary, Config, Draws, FitFile, FitSummary, TraceRow};
use crate::random::stream;
use crate::source::SourceMap;
use rayon::prelude::*;
use serde_json::{Value, json};

/// Stream purpose of the random numbers of generated quantities ("gen").
const GEN_STREAM: u64 = 0x0067_656e;

/// The model text and data a fit was made from, as needed to rebuild it.
#[derive(Clone, Debug)]
pub struct ModelSource {
    /// The model's name (file stem), recorded in outputs.
    pub name: String,
    /// The file the text was read from, as diagnostics name it.
    pub file: String,
    pub text: String,
    pub data: DataInput,
}

impl ModelSource {
    /// Parses, checks and compiles; diagnostics come with their sources.
    pub fn compile(
        &self,
    ) -> Result<(CompiledModel, Vec<Diagnostic>), (SourceMap, Vec<Diagnostic>)> {
        let mut sources = SourceMap::new();
        let (model, mut warnings) = match check::load_model(&mut sources, &self.file, &self.text) {
            Ok(x) => x,
            Err(d) => return Err((sources, d)),
        };
        match density::compile(model, sources.clone(), &self.data) {
            Ok((cm, notes)) => {
                warnings.extend(notes);
                Ok((cm, warnings))
            }
            Err(d) => Err((sources, d)),
        }
    }

    /// The bound data as Stan JSON (keys the model declares).
    pub fn data_json(&self, cm: &CompiledModel) -> Value {
        let mut map = serde_json::Map::new();
        for e in &self.data.entries {
            if cm.model().data_by_name(&e.name).is_some() {
                map.insert(e.name.clone(), raw_to_json(&e.value));
            }
        }
        Value::Object(map)
    }
}

fn raw_to_json(v: &RawValue) -> Value {
    fn nest(values: &[f64], dims: &[usize]) -> Value {
        match dims {
            [] => output::float::to_json(values.first().copied().unwrap_or(f64::NAN)),
            [_] => Value::Array(values.iter().map(|&x| output::float::to_json(x)).collect()),
            [n, rest @ ..] => {
                let stride: usize = rest.iter().product();
                Value::Array(
                    (0..*n)
                        .map(|i| nest(&values[i * stride..(i + 1) * stride], rest))
                        .collect(),
                )
            }
        }
    }
    nest(&v.values, &v.dims)
}

/// One output draw: its values, log p and log q.
type DrawRow = (Vec<f64>, f64, f64);

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
    let points = draw_points(cm, approx, n, seed, psis, threads, pool)?;
    draws_at(cm, approx, &points, seed)
}

/// The unconstrained points behind [`output_draws`] (same draws, same
/// order): further quantities (the REPL's expressions) can then be computed
/// at exactly the draws a summary was made from, with [`draws_at`].
///
/// `pool`, the proposals a fit's diagnostics were computed from
/// ([`crate::infer::FitResult::proposals`]), are the very draws PSIS
/// resampling would make again for `approx` with this seed and `n`: when
/// they match, the output is resampled from them without evaluating the
/// model again.
pub fn draw_points(
    cm: &CompiledModel,
    approx: &Approximation,
    n: usize,
    seed: u64,
    psis: bool,
    threads: usize,
    pool: Option<&Proposals>,
) -> Result<Vec<f64>, String> {
    if psis {
        let proposals = crate::diagnose::proposals(n);
        if let Some(p) = pool.filter(|p| {
            p.seed == seed && p.log_weights.len() == proposals && p.x.len() == proposals * cm.dim()
        }) {
            return Ok(crate::infer::resample(p, n)?.0);
        }
        Ok(crate::infer::psis_resample(cm, approx, proposals, n, seed, threads)?.0)
    } else {
        approx.sample(n, seed)
    }
}

/// Output draws at given unconstrained points (`n × dim`, row-major), with
/// the random numbers of `gen` statements drawn as [`output_draws`] draws
/// them: `draws_at(cm, q, &draw_points(cm, q, n, s, p, t)?, s)` equals
/// `output_draws(cm, q, n, s, p, t)`.
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
    let rows: Vec<Result<DrawRow, String>> = (0..n)
        .into_par_iter()
        .map_init(
            || cm.workspace(),
            |ws, i| {
                let x = &points[i * d..(i + 1) * d];
                let mut row = Vec::with_capacity(width);
                let lp = cm.generate(ws, x, stream(seed, &[GEN_STREAM, i as u64]), &mut row)?;
                let lq = approx.log_q(x)?;
                Ok((row, lp, lq))
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

/// The summary rows of a set of draws.
pub fn summarize(draws: &Draws) -> Vec<ColumnSummary> {
    draws.summarize()
}

/// Why a run ended, in words.
pub fn reason_text(result: &FitResult) -> String {
    match result.termination {
        Termination::Converged => match result.config.grad_tol {
            Some(g) if result.config.algorithm != crate::infer::Algorithm::Advi => {
                format!("natural gradient below {g} posterior sd")
            }
            _ => format!("relative ELBO change below {}", result.config.tol),
        },
        Termination::MaxIterations => {
            format!("reached the maximum of {} iterations", result.config.iters)
        }
        Termination::Diverged => "diverged".to_string(),
        Termination::Interrupted => "interrupted by the user".to_string(),
    }
}

/// The diagnostics block of a fit.
pub fn fit_summary(result: &FitResult, seconds: f64) -> FitSummary {
    let dg = &result.diagnostics;
    let mut extra: Vec<(String, Value)> = vec![
        ("method".into(), method_text(&result.config).into()),
        (
            "log evidence (IS)".into(),
            json!(format!(
                "{} ± {}",
                output::format_sig(dg.log_evidence, 6),
                output::format_sig(dg.log_evidence_se, 2)
            )),
        ),
    ];
    if let Some(c) = dg.cubo {
        extra.push((
            "CUBO (χ² upper bound)".into(),
            json!(output::format_sig(c, 6)),
        ));
    }
    extra.push((
        "importance ESS".into(),
        json!(format!("{:.0} of {}", dg.psis_ess, dg.draws)),
    ));
    if result.restarts.len() > 1 {
        let elbos: Vec<String> = result
            .restarts
            .iter()
            .map(|r| output::format_sig(r.elbo, 5))
            .collect();
        extra.push((
            "restarts".into(),
            json!(format!(
                "{} (best: {}; ELBOs {})",
                result.restarts.len(),
                result.best_restart + 1,
                elbos.join(", ")
            )),
        ));
    }
    extra.push((
        "step".into(),
        json!(format!(
            "{} initial, {} final",
            output::format_sig(result.initial_step, 3),
            output::format_sig(result.final_step, 3)
        )),
    ));
    // `fit` has already added the diagnostics' own warnings.
    let mut warnings = result.warnings.clone();
    if result.rescued_by_step_control {
        warnings.push(
            "the run diverged and was rescued by step control: check the ELBO trace (--trace) and consider a smaller --step".into(),
        );
    }
    FitSummary {
        elbo: dg.elbo,
        elbo_se: dg.elbo_se,
        khat: dg.khat,
        iterations: result.iterations as u64,
        converged: result.converged(),
        reason: reason_text(result),
        seconds,
        grad_evals: result.grad_evals as u64,
        extra,
        warnings,
    }
}

/// `bw / fullrank / kl (path, euler)` — the method in one line.
pub fn method_text(c: &FitConfig) -> String {
    let family = c.resolved_family().to_string();
    format!(
        "{} / {} / {} ({}, {})",
        c.algorithm, family, c.divergence, c.estimator, c.optimizer
    )
}

/// Whether a fit should be trusted as is (exit code 0) or not (exit 3).
pub fn trustworthy(result: &FitResult) -> bool {
    result.trust().trusted()
}

/// The configuration record (Stan-CSV comments and JSON `config`).
pub fn config_record(
    src: &ModelSource,
    data_files: &[String],
    c: &FitConfig,
    draws: usize,
    psis: bool,
) -> Config {
    // The thread count does not change results: it is not recorded, so the
    // same seed gives byte-identical files.
    let engine = serde_json::to_value(FitConfig {
        threads: 0,
        ..c.clone()
    })
    .unwrap_or(Value::Null);
    Config::new()
        .set("model", src.name.clone())
        .set("method", "variational")
        .section("variational", |s| {
            s.set("algorithm", c.algorithm.to_string())
                .set("family", c.resolved_family().to_string())
                .set("divergence", c.divergence.to_string())
                .set("estimator", c.estimator.to_string())
                .set("optimizer", c.optimizer.to_string())
                .set("step", c.step.to_string())
                .set("samples", c.resolved_samples() as u64)
                .set("iter", c.iters as u64)
                .set("tol_rel_obj", c.tol)
                .set("init", c.resolved_init().to_string())
                .set("restarts", c.restarts as u64)
                .set("output_samples", draws as u64)
                .set("psis_resample", psis)
        })
        .section("random", |s| s.set("seed", c.seed))
        .section("data", |s| s.set("file", data_files.join(", ")))
        .set("engine", engine)
}

/// A fit file for a finished fit.
#[allow(clippy::too_many_arguments)]
pub fn fit_file(
    src: &ModelSource,
    cm: &CompiledModel,
    result: &FitResult,
    config: Config,
    summary: Vec<ColumnSummary>,
    diagnostics: FitSummary,
) -> Result<FitFile, String> {
    let mut f = FitFile::new(&src.name, &src.text, result.config.seed);
    f.data = src.data_json(cm);
    f.config = config;
    f.approximation = serde_json::to_value(&result.approximation).map_err(|e| e.to_string())?;
    f.trace = result
        .trace
        .iter()
        .map(|t| TraceRow {
            iteration: t.iteration as u64,
            elbo: t.elbo,
            step: t.step,
        })
        .collect();
    f.diagnostics = diagnostics;
    f.summary = summary;
    Ok(f)
}

/// Everything rebuilt from a fit file.
pub struct LoadedFit {
    pub source: ModelSource,
    pub model: CompiledModel,
    pub approximation: Approximation,
    pub config: FitConfig,
    pub file: FitFile,
}

/// Rebuilds the model and the approximation from a fit file's contents.
pub fn load_fit(file: FitFile, origin: &str) -> Result<LoadedFit, String> {
    let mut data = DataInput::default();
    let text = serde_json::to_string(&file.data).map_err(|e| e.to_string())?;
    data.add(&DataSpec::Json(format!("{origin} (embedded data)")), &text)?;
    let source = ModelSource {
        name: file.model_name.clone(),
        file: format!("{} (from {origin})", file.model_name),
        text: file.model_source.clone(),
        data,
    };
    let (model, _) = source.compile().map_err(|(sm, d)| {
        format!(
            "{origin}: the embedded model no longer compiles:\n{}",
            crate::diagnostics::render_short(&d, &sm)
        )
    })?;
    let approximation: Approximation = serde_json::from_value(file.approximation.clone())
        .map_err(|e| format!("{origin}: the approximation cannot be read: {e}"))?;
    approximation
        .check()
        .map_err(|m| format!("{origin}: {m}"))?;
    if approximation.dim() != model.dim() {
        return Err(format!(
            "{origin}: the approximation has dimension {} but the model has {}",
            approximation.dim(),
            model.dim()
        ));
    }
    let config: FitConfig = file
        .config
        .get("engine")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    Ok(LoadedFit {
        source,
        model,
        approximation,
        config,
        file,
    })
}

/// Names of the approximation's parameters for a trace file, before the
/// fit has produced an approximation.
pub fn trace_parameter_names(cm: &CompiledModel, c: &FitConfig) -> Vec<String> {
    let d = cm.dim();
    let mut eye = vec![0.0; d * d];
    for i in 0..d {
        eye[i * d + i] = 1.0;
    }
    let probe = match c.resolved_family() {
        crate::infer::FamilyKind::MeanField => Approximation::MeanField {
            mean: vec![0.0; d],
            sd: vec![1.0; d],
        },
        crate::infer::FamilyKind::Mixture(k) => Approximation::Mixture {
            weights: vec![1.0 / k as f64; k],
            components: (0..k)
                .map(|_| crate::infer::Component {
                    mean: vec![0.0; d],
                    scale: eye.clone(),
                })
                .collect(),
        },
        _ => Approximation::FullRank {
            mean: vec![0.0; d],
            scale: eye,
        },
    };
    // CmdStan's spelling (`S.2.1`): the trace is a CSV file read by the
    // same tools as the draws.
    probe
        .parameter_names()
        .iter()
        .map(|n| crate::output::cmdstan_name(n))
        .collect()
}
