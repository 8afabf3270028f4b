//! How a run ended, and the words for it: [`Termination::describe`] (the
//! reason a summary prints), [`Termination::status`] (one or two words for
//! a table) and `Display` (a restart's outcome).

use super::config::FitConfig;
use super::stopping::StoppingRule;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why the iterations ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Termination {
    /// The stopping rule fired (and, for `bw`/`fbgvi`, the final averaging
    /// window completed).
    Converged,
    /// The iteration budget ran out first.
    MaxIterations,
    /// Step control could not find a step that keeps q finite and
    /// non-degenerate; the last good q is returned.
    Diverged,
    /// The observer asked to stop (e.g. Ctrl-C); the partial result is kept.
    Interrupted,
    /// The target has no optimum within reach along one coordinate: q ran
    /// towards a boundary or off to infinity there (see `flow::collapse`);
    /// q when the run was stopped is returned.
    Collapsed(Collapse),
}

/// How far the flatness probe of a run looks from q's mean, in q's
/// marginal sds (see `flow::collapse`).
pub const COLLAPSE_PROBE_SDS: f64 = 10.0;

/// Where a run collapsed, in the model's unconstrained coordinates (the
/// caller names the coordinate: the engine does not know the model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collapse {
    /// The unconstrained coordinate, from 0.
    pub coordinate: usize,
    /// q moved (or the density stays flat) towards +∞ rather than −∞.
    pub rising: bool,
    /// Found by the flatness probe (the log density does not fall along the
    /// coordinate) rather than by a steady drift of q's mean.
    pub flat: bool,
}

impl Termination {
    /// Why a run with `config` ended, in words: "natural gradient below
    /// 0.05 posterior sd", "reached the maximum of 10000 iterations", ...
    pub fn describe(&self, config: &FitConfig) -> String {
        match self {
            // The rule of `--minibatch` runs (see `minibatch`).
            Termination::Converged if config.minibatch.is_some() => format!(
                "minibatch window averages agree within {} sd",
                config.grad_tol.unwrap_or(super::config::DEFAULT_GRAD_TOL)
            ),
            Termination::Converged => StoppingRule::of(config).met(),
            Termination::MaxIterations => {
                format!("reached the maximum of {} iterations", config.iters)
            }
            Termination::Diverged => "diverged".to_string(),
            Termination::Interrupted => "interrupted by the user".to_string(),
            Termination::Collapsed(c) => format!(
                "collapsed: unconstrained coordinate {} {}",
                c.coordinate + 1,
                if c.rising {
                    "runs off to +∞"
                } else {
                    "runs off to −∞"
                }
            ),
        }
    }

    /// The outcome in one or two words ("converged", "max iterations",
    /// "diverged", "interrupted").
    pub fn status(&self) -> &'static str {
        match self {
            Termination::Converged => "converged",
            Termination::MaxIterations => "max iterations",
            Termination::Diverged => "diverged",
            Termination::Interrupted => "interrupted",
            Termination::Collapsed(_) => "collapsed",
        }
    }

    /// The warning for a run with `config` that reached its iteration limit.
    pub(crate) fn max_iterations_warning(config: &FitConfig) -> String {
        format!(
            "the fit did not converge within {} iterations ({}); consider more --iters",
            config.iters,
            StoppingRule::of(config).tolerance()
        )
    }
}

impl fmt::Display for Termination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Termination::Converged => "converged",
            Termination::MaxIterations => "maximum iterations reached",
            Termination::Diverged => "diverged",
            Termination::Interrupted => "interrupted",
            Termination::Collapsed(_) => "collapsed",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::Algorithm;

    #[test]
    fn the_reason_names_the_rule_that_fired() {
        let c = FitConfig::default();
        assert_eq!(
            Termination::Converged.describe(&c),
            "natural gradient below 0.05 posterior sd"
        );
        let advi = FitConfig {
            algorithm: Algorithm::Advi,
            ..FitConfig::default()
        };
        assert_eq!(
            Termination::Converged.describe(&advi),
            "relative ELBO change below 0.01"
        );
        assert_eq!(
            Termination::MaxIterations.describe(&c),
            "reached the maximum of 10000 iterations"
        );
        assert_eq!(
            Termination::max_iterations_warning(&c),
            "the fit did not converge within 10000 iterations (natural-gradient tolerance 0.05 \
             posterior sd); consider more --iters"
        );
        assert_eq!(Termination::MaxIterations.status(), "max iterations");
        assert_eq!(
            Termination::MaxIterations.to_string(),
            "maximum iterations reached"
        );
        let c = Termination::Collapsed(Collapse {
            coordinate: 1,
            rising: false,
            flat: false,
        });
        assert_eq!(c.status(), "collapsed");
        assert_eq!(
            c.describe(&FitConfig::default()),
            "collapsed: unconstrained coordinate 2 runs off to −∞"
        );
    }
}
