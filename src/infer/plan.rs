//! From a [`FitConfig`] to a [`Plan`]: the configuration checked (which
//! combinations make sense, which numbers are usable) and every decision a
//! run depends on made once — the family and its parameterization, the
//! samples, the initialisation, the coordinates of the flow, the threads,
//! exact or Stein Hessians, the stopping rule and the scaling of the
//! particle weights. The engine reads the plan and decides nothing again.

use super::choices::{
    Algorithm, Divergence, Estimator, FamilyKind, Init, Optimizer, Precondition, Step,
};
use super::config::{FitConfig, MAX_WINDOW, MIN_WINDOW, PRECONDITIONED_WINDOW};
use super::estimator::{Scaling, Settings};
use super::family::{Family, Param};
use super::stopping::StoppingRule;

impl FitConfig {
    /// Checks the combination and the numbers; the message says what is
    /// allowed.
    pub fn validate(&self) -> Result<(), String> {
        let family = self.resolved_family();
        self.check_algorithm(family)?;
        self.check_precondition(family)?;
        self.check_numbers(family)
    }

    /// What each algorithm accepts of families, divergences, estimators
    /// and optimizers.
    fn check_algorithm(&self, family: FamilyKind) -> Result<(), String> {
        match self.algorithm {
            Algorithm::Bw => {
                if self.estimator == Estimator::Rep {
                    if self.divergence != Divergence::Kl
                        && self.divergence != Divergence::Alpha(0.0)
                    {
                        return Err(format!(
                            "--estimator rep (reparameterization gradient with closed-form entropy) \
                             minimises KL(q‖p) only, not --divergence {}; use --estimator path for \
                             f-divergences",
                            self.divergence
                        ));
                    }
                    if let FamilyKind::Mixture(_) = family {
                        return Err(
                            "--estimator rep needs a closed-form entropy, which mixtures \
                                    lack; use --estimator path with --family mixture:K"
                                .into(),
                        );
                    }
                }
            }
            Algorithm::Fbgvi => {
                if family != FamilyKind::FullRank || !self.divergence.is_kl() {
                    return Err(format!(
                        "--algorithm fbgvi works with --family fullrank and --divergence kl only \
                         (got --family {family} --divergence {}); use --algorithm bw for other \
                         families and divergences",
                        self.divergence
                    ));
                }
                if self.optimizer == Optimizer::Adam || self.estimator == Estimator::Rep {
                    return Err(
                        "--algorithm fbgvi takes its own forward–backward step: it accepts \
                                neither --optimizer adam nor --estimator rep"
                            .into(),
                    );
                }
            }
            Algorithm::Advi => {
                if !matches!(family, FamilyKind::MeanField | FamilyKind::FullRank)
                    || !self.divergence.is_kl()
                {
                    return Err(format!(
                        "--algorithm advi works with --family meanfield (its default) or fullrank \
                         and --divergence kl only (got --family {family} --divergence {}); use \
                         --algorithm bw for mixtures, lowrank:R and f-divergences",
                        self.divergence
                    ));
                }
            }
        }
        Ok(())
    }

    /// Which algorithms and families a given `--precondition` suits.
    fn check_precondition(&self, family: FamilyKind) -> Result<(), String> {
        match (self.algorithm, self.precondition) {
            (Algorithm::Advi, Some(p)) if p != Precondition::None => Err(
                "--algorithm advi runs in the model's coordinates, as Stan does: it takes \
                 --precondition none only"
                    .into(),
            ),
            (_, Some(Precondition::Adaptive))
                if self.algorithm == Algorithm::Fbgvi
                    || self.optimizer == Optimizer::Adam
                    || matches!(family, FamilyKind::Mixture(_)) =>
            {
                Err(
                    "--precondition adaptive needs --algorithm bw with --optimizer euler and a \
                     Gaussian family (meanfield or fullrank); use --precondition laplace"
                        .into(),
                )
            }
            _ => Ok(()),
        }
    }

    /// Tolerances, steps, counts and the options that apply to mixtures only.
    fn check_numbers(&self, family: FamilyKind) -> Result<(), String> {
        if let Some(g) = self.grad_tol
            && !(g > 0.0 && g.is_finite())
        {
            return Err(format!(
                "--grad-tol must be a positive number or `none`, got {g}"
            ));
        }
        if self.wfr && !matches!(family, FamilyKind::Mixture(_)) {
            return Err(
                "--wfr (Wasserstein–Fisher–Rao weights) applies to --family mixture:K only".into(),
            );
        }
        if self.softplus_scale
            && (family != FamilyKind::MeanField || self.algorithm != Algorithm::Bw)
        {
            return Err(format!(
                "softplus scales apply to --family meanfield under --algorithm bw only (got \
                 --family {family} --algorithm {})",
                self.algorithm
            ));
        }
        if let FamilyKind::Mixture(k) = family
            && k == 0
        {
            return Err("--family mixture:K needs K ≥ 1 components".into());
        }
        if let Divergence::Alpha(a) = self.divergence
            && !a.is_finite()
        {
            return Err("--divergence alpha:A needs a finite A".into());
        }
        if let Step::Fixed(h) = self.step
            && !(h > 0.0 && h.is_finite())
        {
            return Err(format!(
                "--step must be `auto` or a positive number, got {h}"
            ));
        }
        if self.resolved_samples() == 0 {
            return Err("--samples must be at least 1".into());
        }
        if self.iters == 0 {
            return Err("--iters must be at least 1".into());
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(format!(
                "--tol must be a non-negative number, got {}",
                self.tol
            ));
        }
        if self.eval_every == Some(0) || self.elbo_samples == 0 {
            return Err("ELBO evaluations need a positive interval and sample count".into());
        }
        Ok(())
    }
}

/// A checked configuration with every decision of a run made.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// The configuration as given.
    pub config: FitConfig,
    pub kind: FamilyKind,
    /// The family in the parameterization the algorithm moves (Stan's for
    /// `advi`).
    pub family: Family,
    /// Monte Carlo samples per iteration (per component).
    pub samples: usize,
    pub init: Init,
    /// The coordinates of the flow.
    pub precondition: Precondition,
    pub threads: usize,
    /// FB-GVI averages exact Hessians at the samples (otherwise, for
    /// `fbgvi`, Stein's estimate from gradients); false for other algorithms.
    pub exact_hessians: bool,
    pub stopping: StoppingRule,
    /// How the particle weights are scaled.
    pub scaling: Scaling,
}

impl Plan {
    /// Checks `config` for a target of dimension `d` and makes the
    /// decisions; the error says what is not allowed.
    pub fn new(config: &FitConfig, d: usize) -> Result<Plan, String> {
        config.validate()?;
        let kind = config.resolved_family_in(d);
        if let FamilyKind::LowRank(r) = kind
            && d > 0
            && r >= d
        {
            let instead = if d == 1 {
                "use --family fullrank".to_string()
            } else {
                format!("use --family fullrank, or lowrank:R with R ≤ {}", d - 1)
            };
            return Err(format!(
                "--family lowrank:{r} needs a rank R below the model's {d} unconstrained \
                 parameter{} (the covariance is diagonal plus rank R); {instead}",
                if d == 1 { "" } else { "s" },
            ));
        }
        let advi = config.algorithm == Algorithm::Advi;
        let fbgvi = config.algorithm == Algorithm::Fbgvi;
        // Power weights carry Z^α: the flow divides them by their batch
        // mean (see `estimator`), with or without `self_normalize`.
        let scaling = if config.divergence.is_kl() {
            Scaling::Raw
        } else {
            Scaling::SelfNormalized
        };
        Ok(Plan {
            config: config.clone(),
            kind,
            family: Family::new(kind, d, advi),
            samples: config.resolved_samples(),
            init: config.resolved_init(),
            precondition: config.resolved_precondition(),
            threads: config.resolved_threads(),
            exact_hessians: fbgvi && config.hessian.exact_in(d),
            stopping: StoppingRule::of(config),
            scaling,
        })
    }

    pub fn is_advi(&self) -> bool {
        self.config.algorithm == Algorithm::Advi
    }

    pub fn is_fbgvi(&self) -> bool {
        self.config.algorithm == Algorithm::Fbgvi
    }

    /// FB-GVI estimates E[∇²log π] by Stein's identity.
    pub fn stein(&self) -> bool {
        self.is_fbgvi() && !self.exact_hessians
    }

    /// The same plan in the model's own coordinates (the fallback of a
    /// whitened flow that diverged).
    pub fn in_model_coordinates(&self) -> Plan {
        Plan {
            config: FitConfig {
                precondition: Some(Precondition::None),
                ..self.config.clone()
            },
            precondition: Precondition::None,
            ..self.clone()
        }
    }

    /// The map is reset to the current q at every check of the
    /// optimisation phase.
    pub fn rewhitens(&self) -> bool {
        self.precondition == Precondition::Adaptive
            && matches!(
                self.family.param,
                Param::Dense | Param::Diag | Param::LowRank(_)
            )
    }

    /// The ELBO evaluation interval; `time_scale` is the flow's slowest
    /// relaxation time in iterations, when known.
    pub fn eval_every(&self, time_scale: Option<f64>) -> usize {
        self.config
            .eval_every
            .unwrap_or(match self.config.algorithm {
                Algorithm::Advi => 100,
                _ if self.precondition != Precondition::None => PRECONDITIONED_WINDOW,
                _ => match time_scale {
                    Some(t) if t.is_finite() => {
                        ((2.0 * t).ceil() as usize).clamp(MIN_WINDOW, MAX_WINDOW)
                    }
                    _ => 100,
                },
            })
    }

    /// The estimator settings of the explicit flow.
    pub fn settings(&self) -> Settings {
        Settings {
            divergence: self.config.divergence,
            estimator: self.config.estimator,
            scaling: self.scaling,
            wfr: self.config.wfr,
            precondition_low_rank: self.family.rank().is_some(),
        }
    }

    /// The configuration with the algorithm's defaults filled in, as a fit
    /// records it (`eval_every` before the flow measured its time scale).
    pub fn recorded(&self) -> FitConfig {
        FitConfig {
            family: Some(self.kind),
            samples: Some(self.samples),
            init: Some(self.init),
            eval_every: Some(self.eval_every(None)),
            precondition: Some(self.precondition),
            ..self.config.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let c = FitConfig::default();
        assert!(c.validate().is_ok());
        assert_eq!(c.resolved_family(), FamilyKind::FullRank);
        assert_eq!(c.resolved_init(), Init::Map);
        let advi = FitConfig {
            algorithm: Algorithm::Advi,
            ..FitConfig::default()
        };
        assert!(advi.validate().is_ok());
        assert_eq!(advi.resolved_family(), FamilyKind::MeanField);
        assert_eq!(advi.resolved_samples(), 1);
        let bad = FitConfig {
            algorithm: Algorithm::Fbgvi,
            family: Some(FamilyKind::MeanField),
            ..FitConfig::default()
        };
        let msg = bad.validate().unwrap_err();
        assert!(msg.contains("fullrank") && msg.contains("kl"), "{msg}");
        let bad = FitConfig {
            algorithm: Algorithm::Advi,
            divergence: Divergence::Chi2,
            ..FitConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("meanfield"));
        let bad = FitConfig {
            family: Some(FamilyKind::Mixture(3)),
            estimator: Estimator::Rep,
            ..FitConfig::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn hessians_are_exact_up_to_dimension_100_under_auto() {
        let fb = FitConfig {
            algorithm: Algorithm::Fbgvi,
            ..FitConfig::default()
        };
        assert!(Plan::new(&fb, 100).unwrap().exact_hessians);
        assert!(Plan::new(&fb, 101).unwrap().stein());
        assert!(!Plan::new(&FitConfig::default(), 5).unwrap().exact_hessians);
    }
}
