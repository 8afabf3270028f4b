//! Looking at a fit and at the density: `:draws`, `:hist`, `:plot`,
//! `:logp`, `:grad`.

use super::eval::Value;
use super::input::{parse_assignments, split_args};
use super::session::{Fail, Io, Res, Session};
use super::textplot;
use vippl::data::RawValue;
use vippl::infer::Target;
use vippl::output::{self, format_sig};
use vippl::plot;
use vippl::workflow;

/// Draws printed by `:draws` without a count.
const DEFAULT_SHOWN: usize = 10;
/// Columns printed by `:draws` when no names are given.
const MAX_COLUMNS: usize = 10;
/// Histogram bars.
const HIST_BINS: usize = 20;
const HIST_WIDTH: usize = 50;

/// Takes `flag VALUE` out of an argument list.
fn take_option(args: &mut Vec<String>, flags: &[&str]) -> Result<Option<String>, Fail> {
    match args.iter().position(|a| flags.contains(&a.as_str())) {
        Some(i) if i + 1 < args.len() => {
            let v = args.remove(i + 1);
            args.remove(i);
            Ok(Some(v))
        }
        Some(i) => Err(format!("`{}` needs a value", args[i]).into()),
        None => Ok(None),
    }
}

/// A file name made of a quantity's name: `theta[1]` gives `theta_1`.
fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    s.trim_matches('_').to_string()
}

impl Session {
    pub(crate) fn cmd_draws(&mut self, args: &str, io: &mut Io<'_>) -> Res {
        let mut args = split_args(args)?;
        let file = take_option(&mut args, &["-o", "--output"])?;
        let count = match args.first().map(|a| a.parse::<usize>()) {
            Some(Ok(n)) => {
                args.remove(0);
                Some(n)
            }
            _ => None,
        };
        let fit = self.current_fit()?;
        let stored = fit.output.draws.n_draws;
        let want = count.unwrap_or(if file.is_some() {
            stored
        } else {
            DEFAULT_SHOWN
        });
        let fresh;
        let draws = if want <= stored {
            &fit.output.draws
        } else {
            fresh = workflow::output_draws(
                &fit.model,
                &fit.approximation,
                want,
                fit.seed,
                fit.output.psis,
                fit.threads,
                None,
            )
            .map_err(|m| Fail::Msg(format!("cannot generate draws: {m}")))?;
            &fresh
        };
        if let Some(path) = file {
            if !args.is_empty() {
                return Err("with `-o` every quantity is written; give no names".into());
            }
            let mut d = draws.clone();
            d.n_draws = want;
            d.values.truncate(want * d.names.len());
            d.log_p.truncate(want);
            d.log_g.truncate(want);
            output::save_stan_csv(&path, &fit.config(), &d)
                .map_err(|e| Fail::Msg(format!("cannot write `{path}`: {e}")))?;
            io.err(&format!("wrote {want} draws to {path}\n"));
            return Ok(());
        }
        let cols = if args.is_empty() {
            (0..draws.names.len()).collect()
        } else {
            Self::columns(fit, &args)?
        };
        let hidden = cols.len().saturating_sub(MAX_COLUMNS);
        let cols: Vec<usize> = if args.is_empty() {
            cols.into_iter().take(MAX_COLUMNS).collect()
        } else {
            cols
        };
        let mut cells: Vec<Vec<String>> = vec![
            std::iter::once("draw".to_string())
                .chain(cols.iter().map(|&j| draws.names[j].clone()))
                .collect(),
        ];
        for i in 0..want {
            let row = draws.row(i);
            cells.push(
                std::iter::once((i + 1).to_string())
                    .chain(cols.iter().map(|&j| format_sig(row[j], 4)))
                    .collect(),
            );
        }
        let w: Vec<usize> = (0..cells[0].len())
            .map(|c| {
                cells
                    .iter()
                    .map(|r| r[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for r in &cells {
            let line: Vec<String> = r.iter().zip(&w).map(|(c, &w)| format!("{c:>w$}")).collect();
            out.push_str(&line.join("  "));
            out.push('\n');
        }
        if hidden > 0 {
            out.push_str(&format!(
                "({hidden} more quantities; name the ones to show, e.g. `:draws 5 theta`)\n"
            ));
        }
        io.out(&out);
        Ok(())
    }

    pub(crate) fn cmd_hist(&mut self, args: &str, io: &mut Io<'_>) -> Res {
        let mut v = split_args(args)?;
        let bins = match take_option(&mut v, &["--bins"])? {
            Some(b) => b
                .parse::<usize>()
                .ok()
                .filter(|&b| (1..=200).contains(&b))
                .ok_or("`--bins` takes a number from 1 to 200")?,
            None => HIST_BINS,
        };
        let what = v.join(" ");
        if what.is_empty() {
            return Err("`:hist` needs a quantity, e.g. `:hist tau`".into());
        }
        let fit = self.current_fit()?;
        let values = if let Some(j) = fit.output.draws.index_of(&what) {
            fit.output.draws.column(j)
        } else {
            match self.evaluate(&what, io)? {
                Value::Draws { names, values, .. } if names.len() == 1 => values,
                Value::Draws { names, .. } => {
                    return Err(format!(
                        "`{what}` has {} elements; name one, e.g. `:hist {}`",
                        names.len(),
                        names[0]
                    )
                    .into());
                }
                Value::Constant { values, .. } if values.len() == 1 => {
                    vec![values[0]; self.current_fit()?.output.draws.n_draws]
                }
                Value::Constant { .. } => {
                    return Err(format!(
                        "`{what}` is a vector of data, not a quantity that varies"
                    )
                    .into());
                }
            }
        };
        io.out(&textplot::histogram(&what, &values, bins, HIST_WIDTH));
        Ok(())
    }

    pub(crate) fn cmd_plot(&mut self, args: &str, io: &mut Io<'_>) -> Res {
        let mut names = split_args(args)?;
        let file = take_option(&mut names, &["--png", "-o", "--output"])?;
        let fit = self.current_fit()?;
        if names.is_empty() {
            return Err("`:plot` needs quantities (e.g. `:plot tau`) or `elbo`".into());
        }
        let path = file.unwrap_or_else(|| {
            let stems: Vec<String> = names.iter().take(3).map(|n| file_stem(n)).collect();
            format!("{}.png", stems.join("_"))
        });
        if names.len() == 1 && names[0] == "elbo" {
            let pts: Vec<(u64, f64)> = fit.trace.iter().map(|t| (t.iteration, t.elbo)).collect();
            plot::trace(
                &path,
                &pts,
                &plot::TraceOptions {
                    title: Some(format!("ELBO of {} (fit {})", fit.source.name, fit.number)),
                    ..Default::default()
                },
            )?;
        } else {
            let cols = Self::columns(fit, &names)?;
            let selected: Vec<&str> = cols
                .iter()
                .map(|&j| fit.output.draws.names[j].as_str())
                .collect();
            plot::marginals(
                &path,
                &fit.output.draws,
                &selected,
                &plot::MarginalOptions {
                    title: Some(format!("{} (fit {})", fit.source.name, fit.number)),
                    ..Default::default()
                },
            )?;
        }
        io.err(&format!("wrote {path}\n"));
        Ok(())
    }

    pub(crate) fn cmd_logp(&mut self, args: &str, gradient: bool, io: &mut Io<'_>) -> Res {
        let mut point = parse_assignments(args)?;
        let cm = self.compiled()?;
        if point.is_empty() {
            let names: Vec<String> = cm
                .layout()
                .params
                .iter()
                .map(|p| match p.dims.as_slice() {
                    [] => format!("{}=…", p.name),
                    _ => format!("{}=[…]", p.name),
                })
                .collect();
            return Err(format!("give every parameter a value: {}", names.join(" ")).into());
        }
        // A single number fills a vector or matrix parameter.
        for (name, v) in &mut point {
            if let Some(p) = cm.layout().params.iter().find(|p| &p.name == name) {
                if v.dims.is_empty() && !p.dims.is_empty() {
                    *v = RawValue {
                        dims: p.dims.clone(),
                        values: vec![v.values[0]; p.size()],
                    };
                }
            }
        }
        let theta = cm.unconstrain(&point)?;
        let mut ws = cm.workspace();
        let (lp, lp_nj) = cm.log_density_parts(&mut ws, &theta);
        let mut out = format!(
            "log density (unconstrained, with Jacobian): {lp}\nlog density without Jacobian:              {lp_nj}\n"
        );
        if gradient {
            let d = cm.dim();
            let mut grad = vec![0.0; d];
            cm.log_density_and_gradient(&mut ws, &theta, &mut grad);
            let names = cm.layout().coordinate_names();
            let w = names.iter().map(|n| n.len()).max().unwrap_or(4).max(10);
            out.push_str(&format!(
                "\n{:<w$}  {:>16}  {:>16}\n",
                "coordinate", "value", "gradient"
            ));
            for i in 0..d {
                out.push_str(&format!(
                    "{:<w$}  {:>16.8e}  {:>16.8e}\n",
                    names[i], theta[i], grad[i]
                ));
            }
        }
        let why = (!lp.is_finite())
            .then(|| cm.explain_nonfinite(&theta))
            .flatten();
        io.out(&out);
        if let Some(why) = why {
            io.err(&format!("warning: {why}\n"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_stems() {
        let mut a: Vec<String> = ["tau", "--png", "x.png"].map(String::from).to_vec();
        assert_eq!(
            take_option(&mut a, &["--png"]).unwrap().as_deref(),
            Some("x.png")
        );
        assert_eq!(a, vec!["tau"]);
        let mut b: Vec<String> = vec!["--png".into()];
        assert!(take_option(&mut b, &["--png"]).is_err());
        assert_eq!(file_stem("theta[1]"), "theta_1");
        assert_eq!(file_stem("Sigma[1,2]"), "Sigma_1_2");
    }
}
