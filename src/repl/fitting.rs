//! Fits in the REPL: `:fit` (every `vippl infer` option), `:set` defaults,
//! `:save` and `:open` fit files.

use super::session::{Fail, Io, ModelState, Res, Session};
use crate::cli::Format;
use crate::cli::infer::FitOptions;
use crate::cli::progress::{INTERRUPTED, Progress};
use crate::data::DataInput;
use crate::density::CompiledModel;
use crate::infer::{
    self, Approximation, Control, FitError, FitResult, IterationInfo, Observer, Target, Termination,
};
use crate::output::{self, ColumnSummary, Config, Draws, FitFile, FitSummary, TraceRow};
use crate::session::{self, ModelSource};
use clap::{CommandFactory, Parser};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The arguments of `:fit`: those of `vippl infer` without the model and data.
#[derive(Parser, Debug, Clone)]
#[command(
    name = ":fit",
    about = "Fit the current model with its data.",
    args_override_self = true,
    disable_version_flag = true
)]
pub(crate) struct FitCommand {
    #[command(flatten)]
    pub fit: FitOptions,
    #[command(flatten)]
    pub out: crate::cli::infer::OutputOptions,
}

/// The option list of `:fit` (for `:help fit`).
pub(crate) fn fit_options_help() -> String {
    let mut c = FitCommand::command().term_width(100);
    c.render_help().to_string()
}

/// Where a fit came from.
pub(crate) enum Origin {
    Fitted(Box<FitResult>),
    Opened(Box<FitFile>),
}

/// The current fit and everything derived from it.
pub(crate) struct Fit {
    /// 1-based, as listed by `:compare`.
    pub number: usize,
    pub source: ModelSource,
    pub model: CompiledModel,
    pub approx: Approximation,
    pub origin: Origin,
    pub seed: u64,
    /// Unconstrained draws (`n × dim`) behind `draws`.
    pub points: Vec<f64>,
    pub draws: Draws,
    pub psis: bool,
    pub summary: Vec<ColumnSummary>,
    pub diagnostics: FitSummary,
    pub record: Config,
    pub trace: Vec<TraceRow>,
    pub threads: usize,
}

/// One line of `:compare`.
#[derive(Clone, Debug)]
pub(crate) struct FitRecord {
    pub number: usize,
    pub model: String,
    /// The model text and data the fit was made with (to tell whether ELBOs compare).
    pub key: String,
    pub method: String,
    pub family: String,
    pub divergence: String,
    pub elbo: f64,
    pub elbo_se: f64,
    pub khat: Option<f64>,
    pub iterations: u64,
    pub status: String,
    pub seconds: f64,
}

/// Watches a fit: progress and trace through [`Progress`], and a stop on
/// Ctrl-C or on the session's own interrupt flag.
struct Watch<'a, 'b> {
    inner: Progress<'b>,
    flag: &'a AtomicBool,
}

impl Watch<'_, '_> {
    fn stop(&self, c: Control) -> Control {
        if self.flag.load(Ordering::SeqCst) {
            Control::Stop
        } else {
            c
        }
    }
}

impl Observer for Watch<'_, '_> {
    fn iteration(&mut self, info: &IterationInfo<'_>) -> Control {
        let c = self.inner.iteration(info);
        self.stop(c)
    }
    fn mode_search(&mut self, restart: usize, iteration: usize, log_density: f64) -> Control {
        let c = self.inner.mode_search(restart, iteration, log_density);
        self.stop(c)
    }
    fn warning(&mut self, message: &str) {
        self.inner.warning(message)
    }
    fn restart(&mut self, restart: usize, total: usize) {
        self.inner.restart(restart, total)
    }
}

fn status_text(t: Termination) -> &'static str {
    match t {
        Termination::Converged => "converged",
        Termination::MaxIterations => "max iterations",
        Termination::Diverged => "diverged",
        Termination::Interrupted => "interrupted",
    }
}

/// A key identifying the model text and data values of a fit (not where
/// the data was read from).
fn model_key(text: &str, data: &DataInput) -> String {
    let mut entries: Vec<String> = data
        .entries
        .iter()
        .map(|e| format!("{}{:?}{:?}", e.name, e.value.dims, e.value.values))
        .collect();
    entries.sort();
    format!("{}\u{0}{}", text.trim_end(), entries.join("\u{0}"))
}

/// A string entry of a fit file's configuration.
fn config_text(c: &Config, key: &str) -> String {
    c.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or("?")
        .to_string()
}

impl Session {
    /// The `:fit` arguments with the `:set` defaults first.
    fn fit_args(&self, args: &[String]) -> Vec<String> {
        let mut v = vec![":fit".to_string()];
        for (k, val) in &self.settings {
            v.push(format!("--{k}"));
            if let Some(x) = val {
                v.push(x.clone());
            }
        }
        v.extend(args.iter().cloned());
        v
    }

    pub(crate) fn cmd_fit(&mut self, args: &str, io: &mut Io<'_>) -> Res {
        let args = super::input::split_args(args)?;
        let cmd = match FitCommand::try_parse_from(self.fit_args(&args)) {
            Ok(c) => c,
            Err(e) if !e.use_stderr() => {
                io.out(&e.to_string());
                return Ok(());
            }
            Err(e) => return Err(Fail::Shown(clap_error(&e))),
        };
        let mut config = cmd.fit.to_config()?;
        // The diagnostics draw the proposals the output draws are resampled from.
        config.draws = cmd.out.draws;
        let src = self.model_source();
        let data_files = self.data_files.clone();
        let (cm, warnings) =
            super::session::compile_text(&self.model.source_name(), &src.text, &src.data)
                .map_err(|(sm, d)| Fail::Shown(self.render(&d, &sm)))?;
        if !warnings.is_empty() && !cmd.out.quiet {
            io.err(&self.render(&warnings, cm.sources()));
        }
        if cm.dim() == 0 {
            return Err("the model has no parameters: there is nothing to fit".into());
        }
        let mut trace = match &cmd.out.trace {
            Some(path) => Some(
                output::TraceWriter::create(path, &session::trace_parameter_names(&cm, &config))
                    .map_err(|e| Fail::Msg(format!("cannot write trace file `{path}`: {e}")))?,
            ),
            None => None,
        };
        self.interrupt.store(false, Ordering::SeqCst);
        let started = Instant::now();
        let quiet = cmd.out.quiet || !self.opts.progress;
        let (result, trace_error) = {
            let mut watch = Watch {
                inner: Progress::new(quiet, config.iters, trace.as_mut()),
                flag: &self.interrupt,
            };
            let r = infer::fit(&cm, &config, &mut watch);
            (r, watch.inner.finish())
        };
        let seconds = started.elapsed().as_secs_f64();
        INTERRUPTED.store(false, Ordering::SeqCst);
        self.interrupt.store(false, Ordering::SeqCst);
        let result = result.map_err(|e| Fail::Msg(fit_error_text(&e)))?;
        if let Some(e) = trace_error {
            io.err(&format!("error: cannot write the trace file: {e}\n"));
        } else if let Some(t) = trace {
            if let Err(e) = t.finish() {
                io.err(&format!("error: cannot write the trace file: {e}\n"));
            }
        }
        if result.termination == Termination::Interrupted {
            io.err(&format!(
                "interrupted after {} iterations: the partial fit is kept\n",
                result.iterations
            ));
        }
        let threads = config.threads;
        let psis = cmd.out.resample(&result.diagnostics);
        let points = session::draw_points(
            &cm,
            &result.approximation,
            cmd.out.draws,
            config.seed,
            psis,
            threads,
            result.proposals.as_ref(),
        )
        .map_err(|m| Fail::Msg(format!("cannot generate draws: {m}")))?;
        let draws = session::draws_at(&cm, &result.approximation, &points, config.seed)
            .map_err(|m| Fail::Msg(format!("cannot generate draws: {m}")))?;
        let summary = session::summarize(&draws);
        let mut diagnostics = session::fit_summary(&result, seconds);
        // The engine and the diagnostics may say the same thing: once is enough.
        let mut seen = std::collections::HashSet::new();
        diagnostics.warnings.retain(|w| seen.insert(w.clone()));
        if psis {
            diagnostics
                .extra
                .push(("draws".into(), "PSIS-resampled".into()));
        }
        let record = session::config_record(&src, &data_files, &result.config, cmd.out.draws, psis);
        match cmd.out.format {
            Format::Table => io.out(&output::render_table(
                &summary,
                &diagnostics,
                self.opts.color,
            )),
            Format::Json => io.out(&format!(
                "{}\n",
                output::summary_json(&summary, &diagnostics, &record)
            )),
        }
        let number = self.fits.len() + 1;
        self.fits.push(FitRecord {
            number,
            model: src.name.clone(),
            key: model_key(&src.text, &src.data),
            method: result.config.algorithm.to_string(),
            family: result.config.resolved_family().to_string(),
            divergence: result.config.divergence.to_string(),
            elbo: diagnostics.elbo,
            elbo_se: diagnostics.elbo_se,
            khat: diagnostics.khat,
            iterations: diagnostics.iterations,
            status: status_text(result.termination).into(),
            seconds,
        });
        let fit = Fit {
            number,
            source: src,
            approx: result.approximation.clone(),
            seed: config.seed,
            points,
            draws,
            psis,
            summary,
            diagnostics,
            record,
            trace: result
                .trace
                .iter()
                .map(|t| TraceRow {
                    iteration: t.iteration as u64,
                    elbo: t.elbo,
                    step: t.step,
                })
                .collect(),
            origin: Origin::Fitted(Box::new(result)),
            model: cm,
            threads,
        };
        let mut failed = Vec::new();
        if let Some(path) = &cmd.out.output {
            match output::save_stan_csv(path, &fit.record, &fit.draws) {
                Ok(()) => io.err(&format!("wrote draws to {path}\n")),
                Err(e) => failed.push(format!("cannot write draws to `{path}`: {e}")),
            }
        }
        self.fit = Some(fit);
        if let Some(path) = cmd.out.fit_file.clone() {
            if let Err(Fail::Msg(m)) = self.cmd_save(&path, io) {
                failed.push(m);
            }
        }
        match failed.is_empty() {
            true => Ok(()),
            false => Err(Fail::Msg(failed.join("\nerror: "))),
        }
    }

    pub(crate) fn cmd_set(&mut self, args: &str, io: &mut Io<'_>) -> Res {
        let v = super::input::split_args(args)?;
        if v.is_empty() {
            if self.settings.is_empty() {
                io.out("no settings: `:fit` uses the defaults of `vippl infer`\n");
            } else {
                let mut s = String::new();
                for (k, val) in &self.settings {
                    s.push_str(&format!("{k} = {}\n", val.as_deref().unwrap_or("true")));
                }
                io.out(&s);
            }
            return Ok(());
        }
        if v.len() > 2 {
            return Err("`:set` takes an option and one value, e.g. `:set iters 2000`".into());
        }
        let key = v[0].trim_start_matches('-').replace('_', "-");
        let cmd = FitCommand::command();
        let Some(arg) = cmd
            .get_arguments()
            .find(|a| a.get_long() == Some(key.as_str()) && key != "help")
        else {
            let known: Vec<&str> = cmd
                .get_arguments()
                .filter_map(|a| a.get_long())
                .filter(|l| *l != "help")
                .collect();
            return Err(format!("no `:fit` option `{key}`; options: {}", known.join(", ")).into());
        };
        let is_flag = !arg.get_action().takes_values();
        let value = v.get(1).cloned();
        let entry: Option<Option<String>> = match (is_flag, value.as_deref()) {
            (_, Some("default")) => None,
            (true, None | Some("true" | "on" | "yes")) => Some(None),
            (true, Some("false" | "off" | "no")) => None,
            (true, Some(x)) => {
                return Err(format!("`{key}` is a flag: give `true` or `false`, not `{x}`").into());
            }
            (false, None) => {
                return Err(format!("`:set {key}` needs a value (or `default`)").into());
            }
            (false, Some(x)) => Some(Some(x.to_string())),
        };
        let mut trial = self.settings.clone();
        trial.retain(|(k, _)| *k != key);
        if let Some(val) = entry {
            trial.push((key.clone(), val));
        }
        let saved = std::mem::replace(&mut self.settings, trial);
        let check = FitCommand::try_parse_from(self.fit_args(&[]))
            .map_err(|e| clap_error(&e).lines().next().unwrap_or("").to_string())
            .and_then(|c| c.fit.to_config().map(|_| ()));
        if let Err(m) = check {
            self.settings = saved;
            return Err(Fail::Msg(
                m.trim_start_matches("error: ").trim_end().to_string(),
            ));
        }
        Ok(())
    }

    pub(crate) fn cmd_save(&mut self, path: &str, io: &mut Io<'_>) -> Res {
        let fit = self.fit.as_ref().ok_or("no fit to save: `:fit` first")?;
        let file = match &fit.origin {
            Origin::Fitted(result) => session::fit_file(
                &fit.source,
                &fit.model,
                result,
                fit.record.clone(),
                fit.summary.clone(),
                fit.diagnostics.clone(),
            )?,
            Origin::Opened(file) => (**file).clone(),
        };
        file.save(path).map_err(|e| {
            let m = e.to_string();
            Fail::Msg(if m.contains(path) {
                m
            } else {
                format!("cannot write fit file `{path}`: {m}")
            })
        })?;
        io.err(&format!("saved fit {} to {path}\n", fit.number));
        Ok(())
    }

    pub(crate) fn cmd_open(&mut self, path: &str, io: &mut Io<'_>) -> Res {
        let file = FitFile::load(path)?;
        let lf = session::load_fit(file, path)?;
        let n = lf
            .file
            .config
            .get("variational.output_samples")
            .and_then(|v| v.as_u64())
            .unwrap_or(1000) as usize;
        let psis = lf
            .file
            .config
            .get("variational.psis_resample")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let seed = lf.file.seed;
        let threads = lf.config.threads;
        let points =
            session::draw_points(&lf.model, &lf.approximation, n, seed, psis, threads, None)
                .map_err(|m| Fail::Msg(format!("cannot generate draws: {m}")))?;
        let draws = session::draws_at(&lf.model, &lf.approximation, &points, seed)
            .map_err(|m| Fail::Msg(format!("cannot generate draws: {m}")))?;
        let summary = session::summarize(&draws);
        let mut diagnostics = lf.file.diagnostics.clone();
        let mut seen = std::collections::HashSet::new();
        diagnostics.warnings.retain(|w| seen.insert(w.clone()));
        io.out(&output::render_table(
            &summary,
            &diagnostics,
            self.opts.color,
        ));
        let number = self.fits.len() + 1;
        // The method is read from the recorded options (plain strings).
        let c = &lf.file.config;
        self.fits.push(FitRecord {
            number,
            model: lf.source.name.clone(),
            key: model_key(&lf.source.text, &lf.source.data),
            method: config_text(c, "variational.algorithm"),
            family: config_text(c, "variational.family"),
            divergence: config_text(c, "variational.divergence"),
            elbo: diagnostics.elbo,
            elbo_se: diagnostics.elbo_se,
            khat: diagnostics.khat,
            iterations: diagnostics.iterations,
            status: format!("opened {}", super::modelcmds::stem(path)),
            seconds: diagnostics.seconds,
        });
        self.model = ModelState {
            name: lf.source.name.clone(),
            path: None,
            text: lf.source.text.clone(),
            typed: 0,
        };
        self.data = lf.source.data.clone();
        self.data_files = vec![format!("{path} (embedded data)")];
        self.changed();
        self.fit = Some(Fit {
            number,
            source: lf.source,
            model: lf.model,
            approx: lf.approximation,
            seed,
            points,
            draws,
            psis,
            summary,
            diagnostics,
            record: lf.file.config.clone(),
            trace: lf.file.trace.clone(),
            origin: Origin::Opened(Box::new(lf.file)),
            threads,
        });
        io.err(&format!(
            "opened {path}: fit {number}; its model and data are now the current ones\n"
        ));
        Ok(())
    }
}

/// A clap error, pointing at `:fit --help` rather than `--help`.
fn clap_error(e: &clap::Error) -> String {
    e.to_string().replace("try '--help'", "try `:fit --help`")
}

fn fit_error_text(e: &FitError) -> String {
    match e {
        FitError::NoFiniteStart { tries, explanation } => format!(
            "no starting point with a finite log density was found ({tries} tries)\n  {explanation}\n  help: check the model's constraints and priors, or `:fit --init zero` / `--init random`"
        ),
        other => other.to_string(),
    }
}
