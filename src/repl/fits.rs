//! The fits a REPL session holds (`Fit`, the rows of `:compare`) and the
//! command line of `:fit`, kept apart from the commands that use them so
//! that the session and the fitting commands both depend on this module and
//! not on each other.

use crate::shell::options::{FitOptions, OutputOptions};
use clap::{CommandFactory, Parser};
use vippl::data::DataInput;
use vippl::workflow::FittedModel;

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
    pub out: OutputOptions,
}

/// The option list of `:fit` (for `:help fit`).
pub(crate) fn fit_options_help() -> String {
    let mut c = FitCommand::command().term_width(100);
    c.render_help().to_string()
}

/// The long names of the options of `:fit`.
pub(crate) fn fit_option_names() -> Vec<String> {
    FitCommand::command()
        .get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|l| *l != "help")
        .map(str::to_string)
        .collect()
}

/// The current fit: a fitted (or re-opened) model and its number.
pub(crate) struct Fit {
    /// 1-based, as listed by `:compare`.
    pub number: usize,
    pub fitted: FittedModel,
}

impl std::ops::Deref for Fit {
    type Target = FittedModel;
    fn deref(&self) -> &FittedModel {
        &self.fitted
    }
}

/// One line of `:compare`.
#[derive(Clone, Debug)]
pub(crate) struct CompareRow {
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
    /// The verdict on the weights when it is not the plain k̂ band.
    pub khat_label: Option<String>,
    pub iterations: u64,
    pub status: String,
    pub seconds: f64,
}

impl CompareRow {
    pub(crate) fn of(number: usize, f: &FittedModel, status: String) -> CompareRow {
        let v = &f.record.variational;
        let d = &f.diagnostics;
        CompareRow {
            number,
            model: f.source.name.clone(),
            key: model_key(&f.source.text, &f.source.data),
            method: v.algorithm.to_string(),
            family: v.family.to_string(),
            divergence: v.divergence.to_string(),
            elbo: d.elbo,
            elbo_se: d.elbo_se,
            khat: d.khat,
            khat_label: d.khat_label.clone(),
            iterations: d.iterations,
            status,
            seconds: d.seconds,
        }
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

/// Whole-quantity names of element names (`theta[1]` → `theta`), in order.
pub(crate) fn base_names(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let b = n.split('[').next().unwrap_or(n).to_string();
        if !out.contains(&b) {
            out.push(b);
        }
    }
    out
}
