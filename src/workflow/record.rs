//! The record of a fit, typed: the configuration written into every output
//! (Stan-CSV comments, the JSON summary's `config`, the fit file), the fit
//! file itself, and re-opening one. This module is the one place that knows
//! the record's keys; readers deserialize into [`RunRecord`], never look
//! keys up by name.

use super::source::ModelSource;
use crate::data::{DataInput, DataSpec};
use crate::density::CompiledModel;
use crate::infer::{
    Algorithm, Approximation, Divergence, Estimator, FamilyKind, FitConfig, FitResult, Init,
    Optimizer, Step, Target,
};
use crate::output::{ColumnSummary, Config, FitFile, FitSummary, TraceRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The configuration record of a fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The model's name.
    pub model: String,
    /// Always `variational` (CmdStan's key, for tools that read both).
    pub method: String,
    pub variational: VariationalRecord,
    pub random: RandomRecord,
    pub data: DataRecord,
    /// The engine's whole configuration (threads left out: they do not
    /// change results).
    #[serde(default)]
    pub engine: FitConfig,
}

/// The method's settings, in CmdStan's names where it has them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VariationalRecord {
    pub algorithm: Algorithm,
    pub family: FamilyKind,
    pub divergence: Divergence,
    pub estimator: Estimator,
    pub optimizer: Optimizer,
    pub step: Step,
    pub samples: u64,
    pub iter: u64,
    pub tol_rel_obj: f64,
    pub init: Init,
    pub restarts: u64,
    /// Number of output draws.
    pub output_samples: u64,
    /// Whether the output draws were resampled by importance weights.
    pub psis_resample: bool,
    /// The parameters the kept run had non-centred (`theta, u`), or empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub noncentred: String,
}

/// The seed of the run.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct RandomRecord {
    pub seed: u64,
}

/// Where the data came from.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct DataRecord {
    /// The data files, comma-separated.
    pub file: String,
}

impl Default for VariationalRecord {
    fn default() -> VariationalRecord {
        VariationalRecord::of(&FitConfig::default(), 1000, false)
    }
}

impl VariationalRecord {
    fn of(c: &FitConfig, draws: usize, psis: bool) -> VariationalRecord {
        VariationalRecord {
            algorithm: c.algorithm,
            family: c.resolved_family(),
            divergence: c.divergence,
            estimator: c.estimator,
            optimizer: c.optimizer,
            step: c.step,
            samples: c.resolved_samples() as u64,
            iter: c.iters as u64,
            tol_rel_obj: c.tol,
            init: c.resolved_init(),
            restarts: c.restarts as u64,
            output_samples: draws as u64,
            psis_resample: psis,
            noncentred: String::new(),
        }
    }
}

impl RunRecord {
    /// The record of a fit of `src` with the configuration `c` (defaults
    /// filled in), `draws` output draws, resampled or not.
    pub fn new(
        src: &ModelSource,
        data_files: &[String],
        c: &FitConfig,
        draws: usize,
        psis: bool,
    ) -> RunRecord {
        RunRecord {
            model: src.name.clone(),
            method: "variational".into(),
            variational: VariationalRecord::of(c, draws, psis),
            random: RandomRecord { seed: c.seed },
            data: DataRecord {
                file: data_files.join(", "),
            },
            // The thread count does not change results: it is not recorded,
            // so the same seed gives byte-identical files.
            engine: FitConfig {
                threads: 0,
                ..c.clone()
            },
        }
    }

    /// The record as the ordered tree the writers print.
    pub fn to_config(&self) -> Config {
        let v = &self.variational;
        Config::new()
            .set("model", self.model.clone())
            .set("method", self.method.clone())
            .section("variational", |s| {
                let s = s
                    .set("algorithm", v.algorithm.to_string())
                    .set("family", v.family.to_string())
                    .set("divergence", v.divergence.to_string())
                    .set("estimator", v.estimator.to_string())
                    .set("optimizer", v.optimizer.to_string())
                    .set("step", v.step.to_string())
                    .set("samples", v.samples)
                    .set("iter", v.iter)
                    .set("tol_rel_obj", v.tol_rel_obj)
                    .set("init", v.init.to_string())
                    .set("restarts", v.restarts)
                    .set("output_samples", v.output_samples)
                    .set("psis_resample", v.psis_resample);
                noncentred_entry(s, &v.noncentred)
            })
            .section("random", |s| s.set("seed", self.random.seed))
            .section("data", |s| s.set("file", self.data.file.clone()))
            .set("engine", sorted_keys(json_of(&self.engine)))
    }

    /// The comment header of a Stan CSV file of draws, in the layout of
    /// CmdStan's variational output so that its readers (cmdstanpy's
    /// `from_csv`, ArviZ's `from_cmdstan`) take it as one: `algorithm` is
    /// the family (`meanfield`, `fullrank`; `mixture:K` has no CmdStan
    /// name), `grad_samples`, `elbo_samples`, `eta` (the initial step),
    /// `eval_elbo` and `output_samples` are CmdStan's keys. `tol_rel_obj`
    /// is always there because those readers require it; `stopping_rule`
    /// says whether it or the natural-gradient rule (`grad_tol`) decided.
    /// `psis_resample` says whether these draws were resampled.
    pub fn stan_csv_config(&self, eta: f64, psis: bool) -> Config {
        let v = &self.variational;
        let e = &self.engine;
        let natural = e.grad_tol.filter(|_| v.algorithm != Algorithm::Advi);
        Config::new()
            .set("model", self.model.clone())
            .set("method", self.method.clone())
            .section("variational", |s| {
                let s = s
                    .set("algorithm", v.family.to_string())
                    .set("iter", v.iter)
                    .set("grad_samples", v.samples)
                    .set("elbo_samples", e.elbo_samples as u64)
                    .set("eta", eta)
                    .set("tol_rel_obj", v.tol_rel_obj)
                    .set("eval_elbo", e.eval_every.unwrap_or(100) as u64)
                    .set("output_samples", v.output_samples);
                let s = match natural {
                    Some(g) => s
                        .set("stopping_rule", "natural_gradient")
                        .set("grad_tol", g),
                    None => s.set("stopping_rule", "tol_rel_obj"),
                };
                let s = s
                    .set("flow", v.algorithm.to_string())
                    .set("divergence", v.divergence.to_string())
                    .set("estimator", v.estimator.to_string())
                    .set("optimizer", v.optimizer.to_string())
                    .set("step", v.step.to_string())
                    .set("init", v.init.to_string())
                    .set("restarts", v.restarts)
                    .set("psis_resample", psis);
                noncentred_entry(s, &v.noncentred)
            })
            .section("random", |s| s.set("seed", self.random.seed))
            .section("data", |s| s.set("file", self.data.file.clone()))
            .set("engine", sorted_keys(json_of(&self.engine)))
    }

    /// Reads a record back from the tree a fit file holds.
    pub fn from_config(config: &Config) -> Result<RunRecord, String> {
        serde_json::to_value(config)
            .and_then(serde_json::from_value)
            .map_err(|e| e.to_string())
    }
}

/// The `noncentred` entry of the variational section, present only for a
/// fit kept in non-centred coordinates.
fn noncentred_entry(s: Config, names: &str) -> Config {
    if names.is_empty() {
        s
    } else {
        s.set("noncentred", names.to_string())
    }
}

/// A serializable value as JSON (plain data: this cannot fail).
fn json_of<T: Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or(Value::Null)
}

/// Objects with their keys in alphabetical order, as the files have always
/// had them (JSON objects elsewhere keep the order they are built in).
fn sorted_keys(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted_keys).collect()),
        other => other,
    }
}

/// The approximation as the fit file stores it.
pub fn approximation_json(approx: &Approximation) -> Value {
    sorted_keys(json_of(approx))
}

/// A fit file for a finished fit.
pub fn fit_file(
    src: &ModelSource,
    cm: &CompiledModel,
    result: &FitResult,
    record: &RunRecord,
    summary: Vec<ColumnSummary>,
    diagnostics: FitSummary,
) -> FitFile {
    let mut f = FitFile::new(&src.name, &src.text, result.config.seed);
    f.data = src.data_json(cm);
    f.config = record.to_config();
    f.approximation = approximation_json(&result.approximation);
    f.trace = trace_rows(result);
    f.diagnostics = diagnostics;
    f.summary = summary;
    f
}

/// The ELBO trace of a fit, as the fit file keeps it.
pub fn trace_rows(result: &FitResult) -> Vec<TraceRow> {
    result
        .trace
        .iter()
        .map(|t| TraceRow {
            iteration: t.iteration as u64,
            elbo: t.elbo,
            step: t.step,
        })
        .collect()
}

/// Everything rebuilt from a fit file.
pub struct Reopened {
    pub source: ModelSource,
    pub model: CompiledModel,
    pub approximation: Approximation,
    pub record: RunRecord,
    pub file: FitFile,
}

/// Rebuilds the model and the approximation from a fit file's contents;
/// `origin` names the file in messages.
pub fn reopen(file: FitFile, origin: &str) -> Result<Reopened, String> {
    let mut data = DataInput::default();
    let text = serde_json::to_string(&file.data).map_err(|e| e.to_string())?;
    data.add(&DataSpec::Json(format!("{origin} (embedded data)")), &text)?;
    let source = ModelSource {
        name: file.model_name.clone(),
        file: format!("{} (from {origin})", file.model_name),
        text: file.model_source.clone(),
        data,
    };
    let model = source
        .compile()
        .map_err(|r| {
            format!(
                "{origin}: the embedded model no longer compiles:\n{}",
                crate::diagnostics::render_short(&r.diagnostics, &r.sources)
            )
        })?
        .model;
    let record = RunRecord::from_config(&file.config)
        .map_err(|e| format!("{origin}: the fit's configuration cannot be read: {e}"))?;
    let model = super::noncentre::as_recorded(model, &record.variational.noncentred)
        .map_err(|m| format!("{origin}: {m}"))?;
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
    Ok(Reopened {
        source,
        model,
        approximation,
        record,
        file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> ModelSource {
        ModelSource {
            name: "m".into(),
            file: "m.vi".into(),
            text: String::new(),
            data: DataInput::default(),
        }
    }

    #[test]
    fn the_record_reads_back_as_written() {
        let c = FitConfig {
            seed: 7,
            family: Some(FamilyKind::Mixture(3)),
            step: Step::Fixed(0.25),
            ..FitConfig::default()
        };
        let r = RunRecord::new(&source(), &["a.json".into(), "b.csv".into()], &c, 400, true);
        let config = r.to_config();
        assert_eq!(
            config.get("variational.output_samples"),
            Some(&serde_json::json!(400))
        );
        assert_eq!(
            config.get("data.file"),
            Some(&serde_json::json!("a.json, b.csv"))
        );
        let text = serde_json::to_string(&config).unwrap();
        let back: Config = serde_json::from_str(&text).unwrap();
        assert_eq!(RunRecord::from_config(&back).unwrap(), r);
    }

    #[test]
    fn the_engine_record_keeps_alphabetical_keys() {
        let r = RunRecord::new(&source(), &[], &FitConfig::default(), 10, false);
        let line = r.to_config().comment_lines();
        let engine = line.lines().last().unwrap();
        assert!(engine.starts_with("# engine = {\"algorithm\":"), "{engine}");
    }
}
