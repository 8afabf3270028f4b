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
}

impl Termination {
    /// Why a run with `config` ended, in words: "natural gradient below
    /// 0.05 posterior sd", "reached the maximum of 10000 iterations", ...
    pub fn describe(&self, config: &FitConfig) -> String {
        match self {
            Termination::Converged => StoppingRule::of(config).met(),
            Termination::MaxIterations => {
                format!("reached the maximum of {} iterations", config.iters)
            }
            Termination::Diverged => "diverged".to_string(),
            Termination::Interrupted => "interrupted by the user".to_string(),
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
    }
}
