//! The summary `vippl infer` prints on stdout: a table for people, one JSON
//! object for programs.

use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table, Width, presets};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::config::Config;
use super::draws::ColumnSummary;
use super::float;
use super::number::format_sig;
use super::select::{self, TableLine};

/// What the engine and the diagnostics report about a fit, as plain data so
/// that the output layer depends on neither.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitSummary {
    /// Final ELBO estimate (NaN if it diverged).
    #[serde(with = "float")]
    pub elbo: f64,
    /// Monte Carlo standard error of `elbo`.
    #[serde(with = "float")]
    pub elbo_se: f64,
    /// PSIS Pareto k̂ of the importance ratios, if it was computed.
    #[serde(with = "float::option")]
    pub khat: Option<f64>,
    /// The verdict on the importance weights in words, when it is not the
    /// plain k̂ band ([`khat_verdict`]): a limit lowered for few draws, or
    /// weights nearly constant whatever k̂ says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub khat_label: Option<String>,
    pub iterations: u64,
    pub converged: bool,
    /// Why the run stopped, in words (e.g. "relative ELBO change below 0.01").
    pub reason: String,
    /// Wall-clock time of the fit.
    #[serde(with = "float")]
    pub seconds: f64,
    /// Gradient evaluations of the model log density.
    pub grad_evals: u64,
    /// Further labelled facts (restarts, step size, ESS...), shown after
    /// the fixed ones and added to the JSON diagnostics under their keys.
    /// Values are JSON scalars so numbers stay numbers in JSON; `&str` and
    /// `String` convert with `.into()`.
    pub extra: Vec<(String, serde_json::Value)>,
    /// The facts of `extra` for programs: snake_case keys, numbers as
    /// numbers (a value and its standard error as two keys). The JSON
    /// summary uses these when there are any, and `extra` with its keys in
    /// snake_case otherwise (fit files written before they existed).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub values: Map<String, Value>,
    /// Sentences for the user, printed after the diagnostics.
    pub warnings: Vec<String>,
    /// The line above the table when its numbers are no posterior summary
    /// (a run that collapsed); a diverged run has its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
}

/// The verdict on PSIS k̂ (Vehtari et al., 2024): below 0.5 the importance
/// ratios have finite variance ("good"), below 0.7 the estimates are still
/// usable ("ok"); above that, or if k̂ could not be computed as a number, the
/// approximation should not be trusted for anything but a rough look.
pub fn khat_verdict(k: f64) -> &'static str {
    crate::diagnose::Verdict::from_khat(Some(k)).label()
}

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// Significant digits of the table's numbers.
const DIGITS: usize = 4;
/// Narrowest name and number columns of the table, and the gap before each
/// number column.
const NAME_WIDTH: u16 = 4;
const NUMBER_WIDTH: u16 = 6;
const COLUMN_GAP: u16 = 2;

/// The parameter table alone (the REPL shows it for expressions too). Fixed
/// layout, names left-aligned, numbers right-aligned in columns at least six
/// wide, two spaces apart; `color` only bolds the header, and callers pass
/// `false` when stdout is not a terminal.
pub fn render_parameters(params: &[ColumnSummary], color: bool) -> String {
    let lines: Vec<TableLine> = params.iter().map(TableLine::Row).collect();
    render_lines(&lines, color)
}

/// The parameter table with each long vector or matrix collapsed to its
/// first elements and a note saying how to show the rest.
pub fn render_parameters_collapsed(params: &[ColumnSummary], color: bool) -> String {
    render_lines(&select::collapsed(params), color)
}

fn render_lines(lines: &[TableLine], color: bool) -> String {
    let params = lines.iter().filter_map(|l| match l {
        TableLine::Row(p) => Some(*p),
        TableLine::More { .. } => None,
    });
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty();
    table.set_header(["", "mean", "sd", "5%", "50%", "95%"]);
    for p in params {
        let mut row = vec![p.name.clone()];
        row.extend([p.mean, p.sd, p.q5, p.q50, p.q95].map(|x| format_sig(x, DIGITS)));
        table.add_row(row);
    }
    for (i, column) in table.column_iter_mut().enumerate() {
        let (padding, width) = if i == 0 {
            (0, NAME_WIDTH)
        } else {
            column.set_cell_alignment(CellAlignment::Right);
            (COLUMN_GAP, COLUMN_GAP + NUMBER_WIDTH)
        };
        column.set_padding((padding, 0));
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(width)));
    }
    let text = table.trim_fmt();
    let (header, rows) = text.split_once('\n').unwrap_or((&text, ""));
    let mut out = paint(header, BOLD, color);
    out.push('\n');
    let mut rows = rows.lines();
    for line in lines {
        match line {
            TableLine::Row(_) => out.push_str(rows.next().unwrap_or_default()),
            TableLine::More { count, name } => out.push_str(&format!(
                "… {count} more elements of {name} (use --include {name} to show all)"
            )),
        }
        out.push('\n');
    }
    out
}

/// ELBO ± its standard error, with the ELBO rounded where the error makes
/// further digits noise (two significant digits of the error).
fn elbo_text(elbo: f64, se: f64) -> String {
    if !elbo.is_finite() {
        return format_sig(elbo, DIGITS);
    }
    if !(se.is_finite() && se > 0.0) || elbo.abs() >= 1e15 {
        return format!("{} ± {}", format_sig(elbo, 7), format_sig(se, 2));
    }
    let decimals = (1 - se.log10().floor() as i32).clamp(0, 12) as usize;
    format!("{elbo:.decimals$} ± {se:.decimals$}")
}

fn seconds_text(s: f64) -> String {
    if !s.is_finite() || s < 60.0 {
        return format!("{} s", format_sig(s, 3));
    }
    let total = s.round() as u64;
    format!(
        "{} s ({}:{:02}:{:02})",
        format_sig(s, 4),
        total / 3600,
        (total / 60) % 60,
        total % 60
    )
}

fn scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(x) if !n.is_i64() && !n.is_u64() => format_sig(x, DIGITS),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Terminal columns taken by a label: combining marks (the hat of k̂) take
/// none.
fn display_width(s: &str) -> usize {
    s.chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .count()
}

/// The diagnostics block that follows the table.
pub fn render_diagnostics(fit: &FitSummary, color: bool) -> String {
    let mut rows: Vec<(String, String)> = vec![(
        "ELBO".into(),
        format!(
            "{} (Monte Carlo standard error)",
            elbo_text(fit.elbo, fit.elbo_se)
        ),
    )];
    let khat = match fit.khat {
        Some(k) => {
            let verdict = fit.khat_label.as_deref().unwrap_or(khat_verdict(k));
            let code = match verdict {
                "good" => GREEN,
                "do not trust" => RED,
                _ => YELLOW,
            };
            let k_text = if k.is_finite() {
                format!("{k:.2}")
            } else {
                format_sig(k, 2)
            };
            format!("{k_text} ({})", paint(verdict, code, color))
        }
        None => "not computed".into(),
    };
    rows.push(("PSIS k̂".into(), khat));
    let status = if fit.converged {
        "converged"
    } else {
        "not converged"
    };
    let status = paint(status, if fit.converged { GREEN } else { YELLOW }, color);
    let iterations = if fit.reason.is_empty() {
        format!("{} ({status})", fit.iterations)
    } else {
        format!("{} ({status}: {})", fit.iterations, fit.reason)
    };
    rows.push(("iterations".into(), iterations));
    rows.push(("wall time".into(), seconds_text(fit.seconds)));
    rows.push(("gradient evals".into(), fit.grad_evals.to_string()));
    for (k, v) in &fit.extra {
        rows.push((k.clone(), scalar_text(v)));
    }
    let w = rows.iter().map(|r| display_width(&r.0)).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        let pad = w - display_width(&k);
        out.push_str(&format!("{k}{}  {v}\n", " ".repeat(pad)));
    }
    for warning in &fit.warnings {
        out.push_str(&format!("{} {warning}\n", paint("warning:", YELLOW, color)));
    }
    out
}

/// The full `--format table` output: the parameter table, a blank line, the
/// diagnostics.
pub fn render_table(params: &[ColumnSummary], fit: &FitSummary, color: bool) -> String {
    format!(
        "{}{}\n{}",
        caveat(fit),
        render_parameters(params, color),
        render_diagnostics(fit, color)
    )
}

/// The line above the table when its numbers are no posterior summary. A
/// run that diverged returns its last finite q, often little more than its
/// start; one that collapsed, q where it was stopped.
fn caveat(fit: &FitSummary) -> String {
    match &fit.caveat {
        Some(c) => format!("{c}\n"),
        None if fit.reason == "diverged" => "the run diverged: the moments below are those \
             of its last finite q, not a posterior approximation\n"
            .into(),
        None => String::new(),
    }
}

/// [`render_table`] with long vectors and matrices collapsed
/// ([`render_parameters_collapsed`]).
pub fn render_table_collapsed(params: &[ColumnSummary], fit: &FitSummary, color: bool) -> String {
    format!(
        "{}{}\n{}",
        caveat(fit),
        render_parameters_collapsed(params, color),
        render_diagnostics(fit, color)
    )
}

fn num(x: f64) -> Value {
    float::to_json_lossy(x)
}

/// The `--format json` output (pretty-printed, newline-terminated):
/// `{"parameters": {name: {"mean","sd","q5","q50","q95"}}, "diagnostics":
/// {...}, "config": {...}}`, parameters in output order, every non-finite
/// number as `null`. Diagnostics carry the contract keys, then `khat_verdict`,
/// the `extra` entries (a key that clashes with a fixed one is written as
/// `extra.KEY`) and `warnings`. (JSON objects keep the order their keys are
/// inserted in.)
/// The version of the JSON summary's layout (`schema_version`), raised
/// when a key changes meaning or goes away.
pub const SUMMARY_SCHEMA_VERSION: u64 = 1;

/// A label in snake_case: `log evidence (IS)` → `log_evidence_is`.
pub fn snake_case(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

pub fn summary_json(params: &[ColumnSummary], fit: &FitSummary, config: &Config) -> String {
    let parameters: Map<String, Value> = params
        .iter()
        .map(|p| {
            let stats = json!({
                "mean": num(p.mean),
                "sd": num(p.sd),
                "q5": num(p.q5),
                "q50": num(p.q50),
                "q95": num(p.q95),
            });
            (p.name.clone(), stats)
        })
        .collect();
    let mut diagnostics = Map::new();
    diagnostics.insert("elbo".into(), num(fit.elbo));
    diagnostics.insert("elbo_se".into(), num(fit.elbo_se));
    diagnostics.insert("khat".into(), num(fit.khat.unwrap_or(f64::NAN)));
    diagnostics.insert("iterations".into(), fit.iterations.into());
    diagnostics.insert("converged".into(), fit.converged.into());
    diagnostics.insert("reason".into(), fit.reason.clone().into());
    diagnostics.insert("seconds".into(), num(fit.seconds));
    diagnostics.insert("grad_evals".into(), fit.grad_evals.into());
    let verdict = fit.khat.map_or(Value::Null, |k| {
        fit.khat_label.as_deref().unwrap_or(khat_verdict(k)).into()
    });
    diagnostics.insert("khat_verdict".into(), verdict);
    let facts: Vec<(String, Value)> = if fit.values.is_empty() {
        fit.extra
            .iter()
            .map(|(k, v)| (snake_case(k), v.clone()))
            .collect()
    } else {
        fit.values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    for (k, v) in facts {
        let key = if diagnostics.contains_key(&k) || k == "warnings" {
            format!("extra_{k}")
        } else {
            k
        };
        diagnostics.insert(key, v);
    }
    diagnostics.insert("warnings".into(), fit.warnings.clone().into());
    let root = json!({
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "parameters": parameters,
        "diagnostics": diagnostics,
        "config": config,
    });
    // Serializing plain JSON values into a String cannot fail.
    let mut text = serde_json::to_string_pretty(&root).unwrap_or_default();
    text.push('\n');
    text
}
