//! Fitting a compiled model and making what both shells show of it: the
//! run itself (with its ELBO trace written as it goes), the output draws,
//! the diagnostics block and the record, and the same from a saved fit.

use super::draws::{DrawPlan, OutputDraws, Resampling};
use super::record::{self, Reopened, RunRecord};
use super::report;
use super::source::ModelSource;
use super::trace::{TraceLayout, TraceShape};
use crate::density::{self, CompiledModel};
use crate::infer::{
    self, Approximation, Control, FitConfig, FitError, FitResult, IterationInfo, Observer, Target,
};
use crate::output::{self, Config, FitFile, FitSummary, TraceRow, TraceWriter};
use std::time::Instant;

/// What to fit and what to write of it.
#[derive(Clone, Debug)]
pub struct FitPlan {
    /// The engine's configuration (its `draws` is the number of output
    /// draws: the diagnostics draw the proposals they are resampled from).
    pub config: FitConfig,
    pub resampling: Resampling,
    /// The data arguments, as the record names them.
    pub data_files: Vec<String>,
    /// Where to write the per-iteration trace as it goes.
    pub trace: Option<String>,
    /// What the trace records of the family's parameters.
    pub trace_layout: super::trace::TraceLayout,
    /// What the plan changed in the options given (a thread count capped
    /// at the cores there are), for the shells to print as notes.
    pub notes: Vec<String>,
}

/// Why a fit gave nothing to look at.
#[derive(Debug)]
pub enum FitFailure {
    /// The model has no parameters.
    NoParameters,
    /// The engine found no approximation.
    Engine(FitError),
    /// A message (the trace file could not be created, draws failed).
    Message(String),
    /// The model and data do not fit the run's options (a `--minibatch`
    /// size or marker): located diagnostics, drawn like any model error.
    Diagnostics(Vec<crate::diagnostics::Diagnostic>),
}

/// A finished run of the engine, before its output draws are made.
pub struct FitRun {
    pub result: FitResult,
    /// The model in the coordinates of the kept run, with the parameters
    /// made non-centred, when that run was the non-centred one.
    pub noncentred: Option<(CompiledModel, Vec<String>)>,
    pub seconds: f64,
    /// Writing the trace file failed during or after the run.
    pub trace_error: Option<String>,
}

/// Where a fit came from.
pub enum Origin {
    Fitted(Box<FitResult>),
    Opened(Box<FitFile>),
}

/// A fit ready to be looked at: the model and its approximation, the
/// output draws with their summary, the diagnostics and the record.
pub struct FittedModel {
    pub source: ModelSource,
    pub model: CompiledModel,
    pub approximation: Approximation,
    pub origin: Origin,
    pub seed: u64,
    /// Worker threads for further draws (0: all cores).
    pub threads: usize,
    pub output: OutputDraws,
    pub diagnostics: FitSummary,
    pub record: RunRecord,
    pub trace: Vec<TraceRow>,
}

/// Runs the engine on a compiled model, writing the trace file of
/// `plan.trace` as it goes; `observer` watches (progress, interrupts).
pub fn run(
    model: &CompiledModel,
    plan: &FitPlan,
    observer: &mut dyn Observer,
) -> Result<FitRun, FitFailure> {
    if model.dim() == 0 {
        return Err(FitFailure::NoParameters);
    }
    let d = model.dim();
    let budget = super::limits::memory_budget();
    // The dimension first: the probe point below is only allocated once
    // it is known to fit.
    super::limits::check_fit(d, 0, &plan.config, budget).map_err(FitFailure::Message)?;
    let width = model
        .output_names(&vec![0.0; d])
        .map_or(d, |names| names.len());
    super::limits::check_fit(d, width, &plan.config, budget).map_err(FitFailure::Message)?;
    let minibatch = match plan.config.minibatch {
        Some(b) => Some(
            density::MinibatchModel::new(model, b, plan.config.seed)
                .map_err(FitFailure::Diagnostics)?,
        ),
        None => None,
    };
    let shape = TraceShape::new(model, &plan.config, plan.trace_layout);
    let mut writer = match &plan.trace {
        Some(path) => Some(
            TraceWriter::create(path, &shape.names(model, &plan.config)).map_err(|e| {
                FitFailure::Message(format!("cannot write trace file `{path}`: {e}"))
            })?,
        ),
        None => None,
    };
    let started = Instant::now();
    let mut tracing = Tracing {
        inner: observer,
        writer: writer.as_mut(),
        shape,
        recorded: Vec::new(),
        error: None,
    };
    let result = match &minibatch {
        Some(m) => infer::fit_minibatch(m, model, &plan.config, &mut tracing),
        None => infer::fit(model, &plan.config, &mut tracing),
    };
    // A centred hierarchy without a trustworthy mode: the same model
    // again in non-centred coordinates, the better ELBO kept.
    let alternative = match &result {
        Ok(first) if super::noncentre::wanted(&plan.config, first, d) => model.noncentred(),
        _ => None,
    };
    let (result, noncentred) = match (result, alternative) {
        (Ok(first), Some((nc, names))) => {
            let second = infer::fit(&nc, &plan.config, &mut tracing);
            let (kept, nc_kept) = super::noncentre::better(first, second, &names);
            (Ok(kept), nc_kept.then_some((nc, names)))
        }
        (result, _) => (result, None),
    };
    let seconds = started.elapsed().as_secs_f64();
    let mut trace_error = tracing.error.take().map(|e| e.to_string());
    let result = result.map_err(FitFailure::Engine)?;
    if trace_error.is_none() {
        if let Some(w) = writer {
            trace_error = w.finish().err().map(|e| e.to_string());
        }
    }
    Ok(FitRun {
        result,
        noncentred,
        seconds,
        trace_error: trace_error.map(|e| format!("cannot write the trace file: {e}")),
    })
}

impl FitRun {
    /// The output draws, summary, diagnostics block and record of the run.
    pub fn finish(
        self,
        source: ModelSource,
        model: CompiledModel,
        plan: &FitPlan,
    ) -> Result<FittedModel, FitFailure> {
        let result = self.result;
        let (model, noncentred) = match self.noncentred {
            Some((nc, names)) => (nc, names),
            None => (model, Vec::new()),
        };
        let psis = plan.resampling.applies(&result.diagnostics);
        let draw_plan = DrawPlan {
            count: plan.config.draws,
            seed: plan.config.seed,
            psis,
            threads: plan.config.threads,
        };
        let output = OutputDraws::make(
            &model,
            &result.approximation,
            draw_plan,
            result.proposals.as_ref(),
        )
        .map_err(FitFailure::Message)?;
        let mut diagnostics = report::fit_summary(&result, self.seconds);
        report::name_collapse(&mut diagnostics, &result, &model);
        report::name_correction(&mut diagnostics, &result, &model);
        if psis {
            diagnostics
                .extra
                .push(("draws".into(), "PSIS-resampled".into()));
        }
        diagnostics
            .values
            .insert("psis_resampled".into(), psis.into());
        let mut record = RunRecord::new(
            &source,
            &plan.data_files,
            &result.config,
            draw_plan.count,
            psis,
        );
        record.variational.noncentred = noncentred.join(", ");
        Ok(FittedModel {
            source,
            model,
            approximation: result.approximation.clone(),
            seed: draw_plan.seed,
            threads: draw_plan.threads,
            output,
            diagnostics,
            record,
            trace: record::trace_rows(&result),
            origin: Origin::Fitted(Box::new(result)),
        })
    }
}

impl Reopened {
    /// The saved fit with its output draws made again as they were made
    /// when it was fitted (same number, seed and resampling): its summary
    /// is the one printed then.
    pub fn into_fitted(self) -> Result<FittedModel, String> {
        let draw_plan = self.recorded_draws();
        let output = OutputDraws::make(&self.model, &self.approximation, draw_plan, None)?;
        let mut diagnostics = self.file.diagnostics.clone();
        diagnostics.warnings = report::once_each(diagnostics.warnings);
        Ok(FittedModel {
            source: self.source,
            model: self.model,
            approximation: self.approximation,
            seed: draw_plan.seed,
            threads: draw_plan.threads,
            output,
            diagnostics,
            record: self.record,
            trace: self.file.trace.clone(),
            origin: Origin::Opened(Box::new(self.file)),
        })
    }

    /// The output draws as the fit made them.
    pub fn recorded_draws(&self) -> DrawPlan {
        DrawPlan {
            count: self.record.variational.output_samples as usize,
            seed: self.file.seed,
            psis: self.record.variational.psis_resample,
            threads: self.record.engine.threads,
        }
    }
}

impl FittedModel {
    /// The configuration as the output files print it (a re-opened fit's
    /// exactly as its file has it).
    pub fn config(&self) -> Config {
        match &self.origin {
            Origin::Opened(file) => file.config.clone(),
            Origin::Fitted(_) => self.record.to_config(),
        }
    }

    /// The fit file of this fit.
    pub fn fit_file(&self) -> FitFile {
        match &self.origin {
            Origin::Fitted(result) => record::fit_file(
                &self.source,
                &self.model,
                result,
                &self.record,
                self.output.summary.clone(),
                self.diagnostics.clone(),
            ),
            Origin::Opened(file) => (**file).clone(),
        }
    }

    /// Writes the fit file.
    pub fn save_fit(&self, path: &str) -> Result<(), String> {
        self.fit_file().save(path).map_err(|e| {
            let m = e.to_string();
            if m.contains(path) {
                m
            } else {
                format!("cannot write fit file `{path}`: {m}")
            }
        })
    }

    /// The comment header of the draws' Stan CSV file: CmdStan's
    /// variational layout, with whether these draws were resampled.
    pub fn stan_csv_config(&self) -> Config {
        self.record.stan_csv_config(
            super::draws::recorded_eta(&self.diagnostics.values),
            self.output.psis,
        )
    }

    /// Writes the output draws (the columns `selection` keeps) as
    /// CmdStan's variational Stan CSV.
    pub fn write_draws_csv(
        &self,
        w: &mut dyn std::io::Write,
        selection: &output::Selection,
    ) -> std::io::Result<()> {
        let layout = super::draws::CsvLayout {
            header: &self.stan_csv_config(),
            seed: self.seed,
            eta: super::draws::recorded_eta(&self.diagnostics.values),
            selection,
        };
        super::draws::write_draws_csv(
            w,
            &layout,
            &self.model,
            &self.approximation,
            &self.output.draws,
        )
    }

    /// Writes the output draws as a Stan CSV file.
    pub fn save_draws(&self, path: &str, selection: &output::Selection) -> Result<(), String> {
        output::write_atomic(path, |w| self.write_draws_csv(w, selection))
            .map_err(|e| format!("cannot write draws to `{path}`: {e}"))
    }

    /// Writes the draws (`draws`, a Stan CSV file) and the fit file (`fit`)
    /// asked for, all or nothing: both are written to temporaries first and
    /// put in place only when every one was written.
    pub fn save_outputs(
        &self,
        draws: Option<&str>,
        fit: Option<&str>,
        selection: &output::Selection,
    ) -> Result<(), String> {
        use std::io::Write;
        let mut staged = Vec::new();
        if let Some(path) = draws {
            let mut f = output::AtomicFile::create(path)
                .map_err(|e| format!("cannot write draws to `{path}`: {e}"))?;
            self.write_draws_csv(&mut f, selection)
                .map_err(|e| format!("cannot write draws to `{path}`: {e}"))?;
            staged.push((path, f));
        }
        if let Some(path) = fit {
            let mut f = output::AtomicFile::create(path)
                .map_err(|e| format!("cannot write fit file `{path}`: {e}"))?;
            f.write_all(self.fit_file().to_json_string().as_bytes())
                .map_err(|e| format!("cannot write fit file `{path}`: {e}"))?;
            staged.push((path, f));
        }
        for (path, f) in staged {
            f.commit()
                .map_err(|e| format!("cannot write `{path}`: {e}"))?;
        }
        Ok(())
    }

    /// Whether a new fit should be trusted as is; `None` for a re-opened one.
    pub fn trustworthy(&self) -> Option<bool> {
        match &self.origin {
            Origin::Fitted(result) => Some(report::trustworthy(result)),
            Origin::Opened(_) => None,
        }
    }
}

/// An observer that writes each iteration to a trace file before passing
/// it on.
struct Tracing<'a, 'w> {
    inner: &'a mut dyn Observer,
    writer: Option<&'w mut TraceWriter>,
    shape: TraceShape,
    /// The values of the row being written (reused).
    recorded: Vec<f64>,
    /// The first error writing the trace (later rows are not written).
    error: Option<std::io::Error>,
}

impl Observer for Tracing<'_, '_> {
    fn iteration(&mut self, info: &IterationInfo<'_>) -> Control {
        if let (Some(w), None) = (self.writer.as_deref_mut(), &self.error) {
            let row = TraceRow {
                iteration: info.iteration as u64,
                elbo: info.elbo,
                step: info.step,
            };
            let values = self.shape.project(info.parameters, &mut self.recorded);
            self.error = w.push(&row, values).err();
        }
        self.inner.iteration(info)
    }
    fn mode_search(&mut self, restart: usize, iteration: usize, log_density: f64) -> Control {
        self.inner.mode_search(restart, iteration, log_density)
    }
    fn warning(&mut self, message: &str) {
        self.inner.warning(message)
    }
    fn restart(&mut self, restart: usize, total: usize) {
        self.inner.restart(restart, total)
    }
    fn wants_parameters(&self) -> bool {
        self.writer.is_some() || self.inner.wants_parameters()
    }
}

/// Names of the columns of a trace file after `iteration,elbo,step`,
/// before the fit has produced an approximation.
pub fn trace_parameter_names(
    cm: &CompiledModel,
    c: &FitConfig,
    layout: TraceLayout,
) -> Vec<String> {
    // CmdStan's spelling (`S.2.1`): the trace is a CSV file read by the
    // same tools as the draws.
    TraceShape::new(cm, c, layout).names(cm, c)
}
