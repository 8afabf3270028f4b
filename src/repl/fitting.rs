//! Fits in the REPL: `:fit` (every `vippl infer` option), `:set` defaults,
//! `:save` and `:open` fit files. The fit itself is the workflow's, as for
//! `vippl infer`.

use super::fits::{CompareRow, Fit, FitCommand, fit_option_names};
use super::session::{Fail, Io, ModelState, Res, Session};
use crate::shell::options::{self, OutputOptions, bad_value_message};
use crate::shell::progress::{INTERRUPTED, fit_with_progress};
use crate::shell::{fit_error_text, summary_text};
use clap::{CommandFactory, Parser};
use std::sync::atomic::Ordering;
use vippl::data::DataSpec;
use vippl::infer::Termination;
use vippl::output::{self, FitFile};
use vippl::source::SourceMap;
use vippl::workflow::outputs::{Input, Output, check_outputs};
use vippl::workflow::{self, FitFailure, FittedModel};

/// A clap error about `:fit`'s options, in words: a value an option's
/// type refused as `vippl infer` says it, anything else as clap does,
/// pointing at `:fit --help` rather than `--help`.
fn option_error(e: &clap::Error) -> Fail {
    match bad_value_message(e) {
        Some(m) => Fail::Msg(m),
        None => Fail::Shown(e.to_string().replace("try '--help'", "try `:fit --help`")),
    }
}

/// Why a fit gave nothing: in words, or the located diagnostics drawn.
fn fit_failure(f: FitFailure, session: &Session, sources: &SourceMap) -> Fail {
    match f {
        FitFailure::NoParameters => {
            Fail::Msg("the model has no parameters: there is nothing to fit".into())
        }
        FitFailure::Engine(e) => Fail::Msg(fit_error_text(
            &e,
            "or `:fit --init zero` / `--init random`",
        )),
        FitFailure::Message(m) => Fail::Msg(m),
        FitFailure::Diagnostics(d) => Fail::Shown(session.render(&d, sources)),
    }
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
            Err(e) => return Err(option_error(&e)),
        };
        let plan = options::plan(&cmd.fit, &cmd.out, &self.data_files)?;
        self.check_output_paths(&[
            ("-o", cmd.out.output.as_deref()),
            ("--fit", cmd.out.fit_file.as_deref()),
            ("--trace", cmd.out.trace.as_deref()),
        ])?;
        if !cmd.out.quiet {
            for n in &plan.notes {
                io.err(&format!("note: {n}\n"));
            }
        }
        let src = self.model_source();
        let compiled = src
            .compile()
            .map_err(|r| Fail::Shown(self.render(&r.diagnostics, &r.sources)))?;
        if !compiled.warnings.is_empty() && !cmd.out.quiet {
            io.err(&self.render(&compiled.warnings, compiled.model.sources()));
        }
        self.interrupt.store(false, Ordering::SeqCst);
        let quiet = cmd.out.quiet || !self.opts.progress;
        let run = fit_with_progress(&compiled.model, &plan, quiet, Some(&self.interrupt));
        INTERRUPTED.store(false, Ordering::SeqCst);
        self.interrupt.store(false, Ordering::SeqCst);
        let sources = compiled.model.sources().clone();
        let run = run.map_err(|f| fit_failure(f, self, &sources))?;
        if let Some(e) = &run.trace_error {
            io.err(&format!("error: {e}\n"));
        }
        let termination = run.result.termination;
        if termination == Termination::Interrupted {
            io.err(&format!(
                "interrupted after {} iterations: the partial fit is kept\n",
                run.result.iterations
            ));
        }
        let fitted = run
            .finish(src, compiled.model, &plan)
            .map_err(|f| fit_failure(f, self, &sources))?;
        let selection = cmd.out.select.selection();
        let chosen = selection.check(&fitted.output.draws.names);
        if chosen.is_ok() {
            io.out(&summary_text(
                cmd.out.format,
                &fitted.output.summary,
                &fitted.diagnostics,
                &fitted.config(),
                &selection,
                self.opts.color,
            ));
        }
        let status = termination.status().to_string();
        self.keep_fit(fitted, status);
        chosen.map_err(Fail::Msg)?;
        self.write_fit_outputs(&cmd.out, io)
    }

    /// Makes a fit the current one and lists it for `:compare`.
    fn keep_fit(&mut self, fitted: FittedModel, status: String) -> usize {
        let number = self.fits.len() + 1;
        self.fits.push(CompareRow::of(number, &fitted, status));
        self.fit = Some(Fit { number, fitted });
        number
    }

    /// Refuses output paths that are the model file, a data file or each
    /// other, or that cannot be files, before anything is fitted or written.
    pub(crate) fn check_output_paths(&self, outputs: &[(&str, Option<&str>)]) -> Res {
        let specs: Vec<String> = self
            .data_files
            .iter()
            .map(|a| DataSpec::parse(a).map_or_else(|_| a.clone(), |s| s.path().to_string()))
            .collect();
        let mut inputs: Vec<Input> = specs
            .iter()
            .map(|p| Input {
                what: "the data file",
                path: p,
            })
            .collect();
        if let Some(m) = &self.model.path {
            inputs.push(Input {
                what: "the model",
                path: m,
            });
        }
        let outputs: Vec<Output> = outputs
            .iter()
            .filter_map(|(option, p)| p.map(|path| Output { option, path }))
            .collect();
        check_outputs(&inputs, &outputs).map_err(|p| Fail::Msg(p.to_string()))
    }

    /// Writes the draws and the fit file `:fit` was asked for.
    fn write_fit_outputs(&mut self, out: &OutputOptions, io: &mut Io<'_>) -> Res {
        let mut failed = Vec::new();
        if let (Some(path), Some(fit)) = (&out.output, &self.fit) {
            match fit.save_draws(path, &out.select.selection()) {
                Ok(()) => io.err(&format!("wrote draws to {path}\n")),
                Err(m) => failed.push(m),
            }
        }
        if let Some(path) = &out.fit_file {
            if let Err(Fail::Msg(m)) = self.cmd_save(path, io) {
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
            io.out(&self.settings_listing());
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
            let known = fit_option_names().join(", ");
            return Err(format!("no `:fit` option `{key}`; options: {known}").into());
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
        if let Err(m) = self.check_settings() {
            self.settings = saved;
            return Err(Fail::Msg(m));
        }
        Ok(())
    }

    /// `:set` without arguments: the settings, one a line.
    fn settings_listing(&self) -> String {
        if self.settings.is_empty() {
            return "no settings: `:fit` uses the defaults of `vippl infer`\n".into();
        }
        let mut s = String::new();
        for (k, val) in &self.settings {
            s.push_str(&format!("{k} = {}\n", val.as_deref().unwrap_or("true")));
        }
        s
    }

    /// Whether `:fit` with the settings alone would start: the first line
    /// of what is wrong otherwise.
    fn check_settings(&self) -> Result<(), String> {
        let first_line = |e: clap::Error| match option_error(&e) {
            Fail::Msg(m) | Fail::Shown(m) => m.lines().next().unwrap_or("").to_string(),
        };
        FitCommand::try_parse_from(self.fit_args(&[]))
            .map_err(first_line)
            .and_then(|c| c.fit.to_config().map(|_| ()))
            .map_err(|m| m.trim_start_matches("error: ").trim_end().to_string())
    }

    pub(crate) fn cmd_save(&mut self, path: &str, io: &mut Io<'_>) -> Res {
        let fit = self.fit.as_ref().ok_or("no fit to save: `:fit` first")?;
        self.check_output_paths(&[("fit file", Some(path))])?;
        fit.save_fit(path)?;
        io.err(&format!("saved fit {} to {path}\n", fit.number));
        Ok(())
    }

    pub(crate) fn cmd_open(&mut self, path: &str, io: &mut Io<'_>) -> Res {
        let file = FitFile::load(path)?;
        let fitted = workflow::reopen(file, path)?.into_fitted()?;
        io.out(&output::render_table(
            &fitted.output.summary,
            &fitted.diagnostics,
            self.opts.color,
        ));
        self.model = ModelState {
            name: fitted.source.name.clone(),
            path: None,
            text: fitted.source.text.clone(),
            typed: 0,
        };
        self.data = fitted.source.data.clone();
        self.data_files = vec![format!("{path} (embedded data)")];
        self.changed();
        let status = format!("opened {}", workflow::model_name(path));
        let number = self.keep_fit(fitted, status);
        io.err(&format!(
            "opened {path}: fit {number}; its model and data are now the current ones\n"
        ));
        Ok(())
    }
}
