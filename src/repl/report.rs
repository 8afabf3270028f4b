//! Reports on fits: `:summary`, `:diag`, `:compare`.

use super::fits::{Fit, base_names};
use super::modelcmds::table;
use super::session::{Fail, Io, Res, Session};
use super::textplot;
use vippl::output::{self, format_sig};
use vippl::workflow::{Origin, khat_verdict};

/// Width and height of the ELBO chart of `:diag`.
const CHART: (usize, usize) = (60, 8);

impl Session {
    pub(crate) fn current_fit(&self) -> Result<&Fit, Fail> {
        self.fit
            .as_ref()
            .ok_or_else(|| Fail::Msg("no fit yet: `:fit` first (or `:open FIT.json`)".into()))
    }

    /// Columns of the fit's draws named by `names`: an element (`theta[2]`)
    /// or a whole quantity (`theta`, every element).
    pub(crate) fn columns(fit: &Fit, names: &[String]) -> Result<Vec<usize>, Fail> {
        let mut idx = Vec::new();
        for n in names {
            let draws = &fit.output.draws;
            if let Some(j) = draws.index_of(n) {
                idx.push(j);
                continue;
            }
            let prefix = format!("{n}[");
            let all: Vec<usize> = (0..draws.names.len())
                .filter(|&j| draws.names[j].starts_with(&prefix))
                .collect();
            if all.is_empty() {
                return Err(Fail::Msg(output::unknown_name(
                    n,
                    &base_names(&draws.names),
                )));
            }
            idx.extend(all);
        }
        Ok(idx)
    }

    pub(crate) fn cmd_summary(&mut self, args: &str, io: &mut Io<'_>) -> Res {
        let fit = self.current_fit()?;
        let names = super::input::split_args(args)?;
        if names.is_empty() {
            io.out(&output::render_table(
                &fit.output.summary,
                &fit.diagnostics,
                self.opts.color,
            ));
        } else {
            // Some quantities: their rows only.
            let rows: Vec<_> = Self::columns(fit, &names)?
                .into_iter()
                .map(|j| fit.output.summary[j].clone())
                .collect();
            io.out(&output::render_parameters(&rows, self.opts.color));
        }
        Ok(())
    }

    pub(crate) fn cmd_diag(&mut self, io: &mut Io<'_>) -> Res {
        let fit = self.current_fit()?;
        let mut out = String::new();
        let pts: Vec<(f64, f64)> = fit
            .trace
            .iter()
            .map(|t| (t.iteration as f64, t.elbo))
            .collect();
        if pts.is_empty() {
            out.push_str("no ELBO trace was recorded\n");
        } else {
            let per = pts.len().div_ceil(CHART.0.min(pts.len()));
            out.push_str(&format!(
                "ELBO per iteration ({} iterations; each column averages {per}):\n",
                pts.len()
            ));
            out.push_str(&textplot::area_chart(&pts, CHART.0, CHART.1));
            out.push('\n');
        }
        out.push_str(&output::render_diagnostics(
            &fit.diagnostics,
            self.opts.color,
        ));
        if let Origin::Fitted(r) = &fit.origin {
            let d = &r.diagnostics;
            out.push_str(&format!(
                "importance ESS (raw weights): {:.0} of {}\n",
                d.ess, d.draws
            ));
            if d.nonfinite_draws > 0 {
                out.push_str(&format!(
                    "draws with a non-finite log density: {} of {}\n",
                    d.nonfinite_draws, d.draws
                ));
            }
            if r.step_rejections > 0 {
                out.push_str(&format!("rejected steps: {}\n", r.step_rejections));
            }
            if r.restarts.len() > 1 {
                let rows: Vec<[String; 5]> = r
                    .restarts
                    .iter()
                    .map(|s| {
                        [
                            format!(
                                "{}{}",
                                s.restart + 1,
                                if s.restart == r.best_restart {
                                    " *"
                                } else {
                                    ""
                                }
                            ),
                            s.init.clone(),
                            format!("{} ± {}", format_sig(s.elbo, 6), format_sig(s.elbo_se, 2)),
                            s.iterations.to_string(),
                            s.termination.to_string(),
                        ]
                    })
                    .collect();
                out.push_str("restarts (* kept):\n");
                out.push_str(&table(
                    &["restart", "init", "ELBO", "iterations", "end"],
                    &rows,
                ));
            }
        }
        io.out(&out);
        Ok(())
    }

    pub(crate) fn cmd_compare(&mut self, io: &mut Io<'_>) -> Res {
        if self.fits.is_empty() {
            io.out("no fits yet: `:fit` makes one\n");
            return Ok(());
        }
        let current = self.fit.as_ref().map(|f| f.number);
        let rows: Vec<[String; 10]> = self
            .fits
            .iter()
            .map(|r| {
                [
                    format!(
                        "{}{}",
                        r.number,
                        if Some(r.number) == current { " *" } else { "" }
                    ),
                    r.model.clone(),
                    r.method.clone(),
                    r.family.clone(),
                    r.divergence.clone(),
                    if r.elbo.is_finite() {
                        format!("{} ± {}", format_sig(r.elbo, 6), format_sig(r.elbo_se, 2))
                    } else {
                        format_sig(r.elbo, 4)
                    },
                    match r.khat {
                        // The verdict's first words: the ESS it may cite is in `:diag`.
                        Some(k) => format!(
                            "{k:.2} ({})",
                            r.khat_label
                                .as_deref()
                                .and_then(|l| l.split(':').next())
                                .unwrap_or(khat_verdict(k))
                        ),
                        None => "-".into(),
                    },
                    r.iterations.to_string(),
                    r.status.clone(),
                    format!("{} s", format_sig(r.seconds, 3)),
                ]
            })
            .collect();
        let mut out = table(
            &[
                "fit",
                "model",
                "method",
                "family",
                "divergence",
                "ELBO",
                "k̂",
                "iterations",
                "status",
                "time",
            ],
            &rows,
        );
        if current.is_some() {
            out.push_str("* the current fit\n");
        }
        let first = &self.fits[0].key;
        if self.fits.iter().any(|r| &r.key != first) {
            out.push_str(
                "note: these fits are of different models or data; only ELBOs of the same model and data compare\n",
            );
        } else if self.fits.len() > 1 {
            out.push_str(
                "higher ELBO: closer to the posterior in KL(q‖p), up to the Monte Carlo error\n",
            );
        }
        io.out(&out);
        Ok(())
    }
}
