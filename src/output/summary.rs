//! The summary `vippl infer` prints on stdout: a table for people, one JSON
//! object for programs.

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::config::Config;
use super::draws::ColumnSummary;
use super::float;
use super::number::format_sig;

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
    /// Sentences for the user, printed after the diagnostics.
    pub warnings: Vec<String>,
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

/// The parameter table alone (the REPL shows it for expressions too). Fixed
/// layout, names left-aligned, numbers right-aligned; `color` only bolds the
/// header, and callers pass `false` when stdout is not a terminal.
pub fn render_parameters(params: &[ColumnSummary], color: bool) -> String {
    let headers = ["mean", "sd", "5%", "50%", "95%"];
    let cells: Vec<[String; 5]> = params
        .iter()
        .map(|p| [p.mean, p.sd, p.q5, p.q50, p.q95].map(|x| format_sig(x, DIGITS)))
        .collect();
    let name_w = params
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut widths = [0usize; 5];
    for (i, h) in headers.iter().enumerate() {
        let data_w = cells.iter().map(|c| c[i].len()).max().unwrap_or(0);
        widths[i] = data_w.max(h.len()).max(6);
    }
    let mut header = format!("{:name_w$}", "");
    for (h, w) in headers.iter().zip(widths) {
        header.push_str(&format!("  {h:>w$}"));
    }
    let mut out = paint(&header, BOLD, color);
    out.push('\n');
    for (p, c) in params.iter().zip(&cells) {
        let pad = name_w - p.name.chars().count();
        out.push_str(&p.name);
        out.push_str(&" ".repeat(pad));
        for (text, w) in c.iter().zip(widths) {
            out.push_str(&format!("  {text:>w$}"));
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
            let verdict = khat_verdict(k);
            let code = match verdict {
                "good" => GREEN,
                "ok" => YELLOW,
                _ => RED,
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
        "{}\n{}",
        render_parameters(params, color),
        render_diagnostics(fit, color)
    )
}

/// A JSON value whose objects keep their key order when serialized.
enum J<'a> {
    V(serde_json::Value),
    O(Vec<(String, J<'a>)>),
    /// Serialized directly: a detour through `serde_json::Value` would sort keys.
    C(&'a Config),
}

impl Serialize for J<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            J::V(v) => v.serialize(s),
            J::C(c) => c.serialize(s),
            J::O(entries) => {
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

fn num(x: f64) -> J<'static> {
    J::V(float::to_json_lossy(x))
}

/// The `--format json` output (pretty-printed, newline-terminated):
/// `{"parameters": {name: {"mean","sd","q5","q50","q95"}}, "diagnostics":
/// {...}, "config": {...}}`, parameters in output order, every non-finite
/// number as `null`. Diagnostics carry the contract keys, then `khat_verdict`,
/// the `extra` entries (a key that clashes with a fixed one is written as
/// `extra.KEY`) and `warnings`.
pub fn summary_json(params: &[ColumnSummary], fit: &FitSummary, config: &Config) -> String {
    let parameters = J::O(
        params
            .iter()
            .map(|p| {
                let stats = J::O(vec![
                    ("mean".into(), num(p.mean)),
                    ("sd".into(), num(p.sd)),
                    ("q5".into(), num(p.q5)),
                    ("q50".into(), num(p.q50)),
                    ("q95".into(), num(p.q95)),
                ]);
                (p.name.clone(), stats)
            })
            .collect(),
    );
    let mut diag: Vec<(String, J)> = vec![
        ("elbo".into(), num(fit.elbo)),
        ("elbo_se".into(), num(fit.elbo_se)),
        ("khat".into(), num(fit.khat.unwrap_or(f64::NAN))),
        ("iterations".into(), J::V(fit.iterations.into())),
        ("converged".into(), J::V(fit.converged.into())),
        ("reason".into(), J::V(fit.reason.clone().into())),
        ("seconds".into(), num(fit.seconds)),
        ("grad_evals".into(), J::V(fit.grad_evals.into())),
        (
            "khat_verdict".into(),
            J::V(match fit.khat {
                Some(k) => khat_verdict(k).into(),
                None => serde_json::Value::Null,
            }),
        ),
    ];
    for (k, v) in &fit.extra {
        let key = if diag.iter().any(|(d, _)| d == k) || k == "warnings" {
            format!("extra.{k}")
        } else {
            k.clone()
        };
        diag.push((key, J::V(v.clone())));
    }
    diag.push((
        "warnings".into(),
        J::V(serde_json::Value::from(fit.warnings.clone())),
    ));
    let root = J::O(vec![
        ("parameters".into(), parameters),
        ("diagnostics".into(), J::O(diag)),
        ("config".into(), J::C(config)),
    ]);
    // Serializing plain JSON values into a String cannot fail.
    let mut text = serde_json::to_string_pretty(&root).unwrap_or_default();
    text.push('\n');
    text
}
