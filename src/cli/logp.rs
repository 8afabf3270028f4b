//! `vippl logp`: the log density, its gradient and Hessian at a point.

use super::load::{self, Failed};
use crate::shell::{Format, emit, exit};
use serde_json::{Value, json};
use vippl::data::parse_json;
use vippl::density::CompiledModel;
use vippl::infer::Target;

#[derive(clap::Args, Debug)]
pub struct LogpArgs {
    /// The model file (`-` for standard input).
    pub model: String,
    /// Data files: Stan JSON, CSV with a header, or NAME=file.csv.
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<String>,
    /// The point: a JSON object of constrained parameter values by name
    /// (or, with --unconstrained, a JSON array of unconstrained coordinates).
    #[arg(long, value_name = "POINT.json")]
    pub at: String,
    /// Read the point as a raw unconstrained vector.
    #[arg(long)]
    pub unconstrained: bool,
    /// Also print the Hessian.
    #[arg(long)]
    pub hessian: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Reads the point and returns unconstrained coordinates.
fn read_point(cm: &CompiledModel, path: &str, raw: bool) -> Result<Vec<f64>, Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        load::error(format!("cannot read point file `{path}`: {e}"));
        Failed(exit::MODEL)
    })?;
    let d = cm.dim();
    if raw {
        let v: Vec<f64> = serde_json::from_str(&text).map_err(|e| {
            load::error(format!(
                "{path}: with --unconstrained the point must be a JSON array of {d} numbers: {e}"
            ));
            Failed(exit::MODEL)
        })?;
        if v.len() != d {
            load::error(format!(
                "{path}: the model has {d} unconstrained coordinates but the point has {}",
                v.len()
            ));
            return Err(Failed(exit::MODEL));
        }
        return Ok(v);
    }
    let point = parse_json(&text, path).map_err(|m| {
        load::error(m);
        Failed(exit::MODEL)
    })?;
    cm.unconstrain(&point).map_err(|m| {
        load::error(format!("{path}: {m}"));
        Failed(exit::MODEL)
    })
}

pub fn run(args: &LogpArgs) -> i32 {
    match run_inner(args) {
        Ok(code) => code,
        Err(Failed(code)) => code,
    }
}

fn run_inner(args: &LogpArgs) -> Result<i32, Failed> {
    let cm = load::load_compiled(&args.model, &args.data, false)?;
    let theta = read_point(&cm, &args.at, args.unconstrained)?;
    let d = cm.dim();
    let mut ws = cm.workspace();
    let (lp, lp_nj) = cm.log_density_parts(&mut ws, &theta);
    if !lp.is_finite() {
        // No number to print: say why, and exit 1 (the point or the model
        // is wrong).
        let why = cm
            .explain_nonfinite(&theta)
            .map_or_else(String::new, |w| format!("\n  {w}"));
        return Err(load::model_error(format!(
            "the log density at this point is {lp}{why}"
        )));
    }
    let mut grad = vec![0.0; d];
    cm.log_density_and_gradient(&mut ws, &theta, &mut grad);
    let hess = if args.hessian {
        let mut h = vec![0.0; d * d];
        cm.hessian(&mut ws, &theta, &mut h);
        Some(h)
    } else {
        None
    };
    let names = cm.layout().coordinate_names();
    match args.format {
        Format::Json => {
            // Keys in alphabetical order.
            let mut obj = serde_json::Map::new();
            obj.insert("gradient".into(), numbers(&grad));
            if let Some(h) = &hess {
                let rows: Vec<Vec<Value>> = (0..d)
                    .map(|i| (0..d).map(|j| num(h[i * d + j])).collect())
                    .collect();
                obj.insert("hessian".into(), json!(rows));
            }
            obj.insert("lp".into(), num(lp));
            obj.insert("lp_no_jacobian".into(), num(lp_nj));
            obj.insert("unconstrained".into(), numbers(&theta));
            emit(&format!(
                "{}\n",
                serde_json::to_string_pretty(&obj).unwrap_or_default()
            ));
        }
        Format::Table => {
            use std::fmt::Write;
            let mut t = String::new();
            let _ = writeln!(t, "log density (unconstrained, with Jacobian): {lp}");
            let _ = writeln!(t, "log density without Jacobian:              {lp_nj}");
            let w = names.iter().map(|n| n.len()).max().unwrap_or(4).max(10);
            let pad = |n: &str| format!("{n}{}", " ".repeat(w.saturating_sub(n.len())));
            let _ = writeln!(t);
            let _ = writeln!(
                t,
                "{}  {:>16}  {:>16}",
                pad("coordinate"),
                "value",
                "gradient"
            );
            for i in 0..d {
                let _ = writeln!(
                    t,
                    "{}  {:>16.8e}  {:>16.8e}",
                    pad(&names[i]),
                    theta[i],
                    grad[i]
                );
            }
            if let Some(h) = &hess {
                let _ = writeln!(t);
                let _ = writeln!(t, "Hessian (rows and columns in the order above):");
                for i in 0..d {
                    let row: Vec<String> =
                        (0..d).map(|j| format!("{:>13.5e}", h[i * d + j])).collect();
                    let _ = writeln!(t, "{}  {}", pad(&names[i]), row.join(" "));
                }
            }
            emit(&t);
        }
    }
    Ok(exit::OK)
}

/// JSON has no NaN or infinity: they are written as the strings `"NaN"`,
/// `"Infinity"`, `"-Infinity"`, as in fit files.
fn num(x: f64) -> Value {
    vippl::output::float::to_json(x)
}

fn numbers(xs: &[f64]) -> Value {
    Value::Array(xs.iter().map(|&x| num(x)).collect())
}
