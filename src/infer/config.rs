//! What a fit is asked to do: the choices (see `choices`), budget and seed
//! — with the defaults of `vippl infer` (docs: cli.md). Fields left `None`
//! take the chosen algorithm's default (the `resolved_*` methods); the
//! check of which combinations make sense and every other decision of a
//! run are made once, in `plan`.
//!
//! `FitConfig` serializes with every choice as its command-line text, so a
//! fit file records the configuration in the words a user typed.

use super::choices::{
    Algorithm, Divergence, Estimator, FamilyKind, HessianEstimate, Init, Optimizer, Precondition,
    Step,
};
use serde::{Deserialize, Serialize};

/// Everything a fit needs besides the target and the observer.
///
/// `Default` matches the defaults of `vippl infer`; fields left `None` take
/// the chosen algorithm's default (see the `resolved_*` methods).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FitConfig {
    pub algorithm: Algorithm,
    /// `None`: full-rank for `bw`/`fbgvi`, mean-field for `advi` (as Stan).
    pub family: Option<FamilyKind>,
    pub divergence: Divergence,
    pub estimator: Estimator,
    pub optimizer: Optimizer,
    pub step: Step,
    /// Monte Carlo samples per iteration (per component for mixtures).
    /// `None`: [`DEFAULT_SAMPLES`] for `bw`/`fbgvi` ([`DEFAULT_SAMPLES_FDIV`]
    /// for divergences other than KL), 1 for `advi` (Stan).
    pub samples: Option<usize>,
    /// Maximum iterations.
    pub iters: usize,
    /// Relative-ELBO tolerance: stop when the mean or median of the recent
    /// |ΔELBO| / max(1, |ELBO|) falls below it.
    pub tol: f64,
    /// `None`: `map` for `bw`/`fbgvi`, `random` for `advi` (as Stan).
    pub init: Option<Init>,
    /// Independent fits; the best ELBO (for another divergence, the lowest
    /// estimate of its objective) is kept. 0: automatic, one fit, or
    /// `UNTRUSTED_START_RESTARTS` when the first mode search finds no
    /// trustworthy mode. A fit's recorded configuration holds the number run.
    pub restarts: usize,
    pub seed: u64,
    /// Worker threads for Monte Carlo samples; 0 = all cores.
    pub threads: usize,
    /// Self-normalise f-divergence weights (the Rényi-bound gradient). The
    /// flow always does (see `estimator`); kept so that recorded
    /// configurations and old command lines still read.
    pub self_normalize: bool,
    /// Wasserstein–Fisher–Rao geometry for mixtures: component steps divided
    /// by their weight, multiplicative weight update.
    pub wfr: bool,
    /// Draws used for the diagnostics after the fit (and output draws).
    pub draws: usize,
    /// Iterations between ELBO evaluations for the stopping rule (and the
    /// length of the final averaging window). `None`: for `bw`/`fbgvi` twice
    /// the flow's slowest time scale 1/(h λ_min) at the start, clamped to
    /// [100, 500]; 100 for `advi` (Stan's `eval_elbo`).
    pub eval_every: Option<usize>,
    /// Draws per ELBO evaluation (per component for mixtures); Stan's 100.
    pub elbo_samples: usize,
    pub hessian: HessianEstimate,
    /// Step control of `bw`/`fbgvi` (rejecting and shrinking steps that
    /// degenerate a scale or collapse the ELBO, halving h when iterates
    /// zig-zag). Off: the textbook iteration with the given step, as when
    /// reproducing a published scheme; a state that is not finite or a
    /// singular scale then ends the run as diverged, with the last good q.
    pub step_control: bool,
    /// `None`: `adaptive` for `bw` with the Euler step and a Gaussian family,
    /// `laplace` for `bw` with mixtures or Adam, `none` for `fbgvi` and
    /// `advi`.
    pub precondition: Option<Precondition>,
    /// Tolerance of the natural-gradient stopping rule: the ascent
    /// direction averaged over an ELBO window and whitened by the current
    /// scale (the estimated distance of the mean to the optimum in posterior
    /// standard deviations; twice this for the scale) must be below it in
    /// every coordinate; it replaces Stan's relative-ELBO rule (see
    /// `stopping`). `None`: Stan's rule alone. Not used by `advi`.
    pub grad_tol: Option<f64>,
    /// Mean-field under `bw` only: the optimizer moves ρ with sd =
    /// softplus(ρ) (the published logistic-regression experiments) instead
    /// of the sd itself; the direction is chain-ruled, so the flow's fixed
    /// points are the same.
    pub softplus_scale: bool,
    /// Rows per minibatch of the doubly stochastic mode (`--minibatch B`;
    /// the model marks the row count). `None`: the full data every step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minibatch: Option<usize>,
}

/// Default of [`FitConfig::grad_tol`]: 0.05 posterior sd for the means, a
/// whitened scale direction of 0.1 (about 5 % on an sd).
pub const DEFAULT_GRAD_TOL: f64 = 0.05;

/// Above this many unconstrained parameters `bw` fits `lowrank:`
/// [`DEFAULT_RANK`] by default instead of full rank (measured in
/// docs/benchmarks.md, "Default family by dimension").
pub const LOW_RANK_DEFAULT_ABOVE: usize = 500;

/// The rank of the default low-rank family.
pub const DEFAULT_RANK: usize = 10;

/// Default Monte Carlo samples per `bw` iteration. With the path-derivative
/// estimator the noise vanishes as q approaches a Gaussian posterior, so few
/// samples suffice near the optimum, and the final iterate average removes
/// most of the rest. Measured on logistic regressions (5 seeds each, error
/// against an importance-sampling reference of the posterior): d = 10,
/// n = 500 — worst mean error 0.011 / 0.007 / 0.004 posterior sd with 8 / 16
/// / 32 samples; d = 35, n = 280 — 0.130 / 0.031 / 0.033 sd. Eight samples
/// miss the 0.1-sd target in 35 dimensions, 32 cost twice as much for no
/// gain: 16.
pub const DEFAULT_SAMPLES: usize = 16;

/// Default samples per `bw` iteration for the divergences other than KL.
/// Their self-normalised weights keep the per-sample directions noisy at
/// the optimum (so the stopping rule needs small steps, see `stopping`)
/// and bias its fixed point by O(1/n): on a 10-d product of quartic
/// densities (χ², 10 seeds) the sds came out 0.3 % narrow after about 5000
/// iterations with 16 samples and 0.4 % wide after about 1100 with 64,
/// fewer gradient evaluations in all.
pub const DEFAULT_SAMPLES_FDIV: usize = 64;

/// Bounds of the automatic ELBO-evaluation window (iterations).
pub const MIN_WINDOW: usize = 100;
pub const MAX_WINDOW: usize = 500;
/// First window of a preconditioned flow, whose relaxation time is about
/// 1/(h λ) = 2 iterations (λ ≈ 1 in whitened coordinates, h = ½); windows
/// double, up to [`MAX_WINDOW`], while the Monte Carlo noise of the averaged
/// direction is too large for the natural-gradient rule to decide.
pub const PRECONDITIONED_WINDOW: usize = 20;

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            algorithm: Algorithm::Bw,
            family: None,
            divergence: Divergence::Kl,
            estimator: Estimator::Path,
            optimizer: Optimizer::Euler,
            step: Step::Auto,
            samples: None,
            iters: 10_000,
            tol: 0.01,
            init: None,
            restarts: 0,
            seed: 0,
            threads: 0,
            self_normalize: false,
            wfr: false,
            draws: 1000,
            eval_every: None,
            elbo_samples: 100,
            hessian: HessianEstimate::Auto,
            step_control: true,
            precondition: None,
            grad_tol: Some(DEFAULT_GRAD_TOL),
            softplus_scale: false,
            minibatch: None,
        }
    }
}

impl FitConfig {
    /// The family where the dimension does not matter (whether it is a
    /// mixture): as given, else full rank (mean-field for `advi`, as Stan).
    /// The family of a fit is [`FitConfig::resolved_family_in`].
    pub fn resolved_family(&self) -> FamilyKind {
        self.family.unwrap_or(match self.algorithm {
            Algorithm::Advi => FamilyKind::MeanField,
            _ => FamilyKind::FullRank,
        })
    }

    /// The family of a fit with `d` unconstrained parameters: as given,
    /// else mean-field for `advi` (as Stan), and for `bw` full rank up to
    /// [`LOW_RANK_DEFAULT_ABOVE`] parameters and `lowrank:`[`DEFAULT_RANK`]
    /// above; full rank for `fbgvi`.
    pub fn resolved_family_in(&self, d: usize) -> FamilyKind {
        self.family.unwrap_or(match self.algorithm {
            Algorithm::Bw if d > LOW_RANK_DEFAULT_ABOVE => FamilyKind::LowRank(DEFAULT_RANK),
            _ => self.resolved_family(),
        })
    }

    /// Whether `family` is what a fit of dimension `d` gets by default
    /// because of its dimension (a low-rank family above
    /// [`LOW_RANK_DEFAULT_ABOVE`]).
    pub fn is_default_by_dimension(&self, family: FamilyKind, d: usize) -> bool {
        let default = FitConfig {
            family: None,
            ..self.clone()
        };
        matches!(family, FamilyKind::LowRank(_)) && default.resolved_family_in(d) == family
    }

    /// Samples per iteration: as given, else [`DEFAULT_SAMPLES`]
    /// ([`DEFAULT_SAMPLES_FDIV`] for divergences other than KL; 1 for `advi`).
    pub fn resolved_samples(&self) -> usize {
        self.samples.unwrap_or(match self.algorithm {
            Algorithm::Advi => 1,
            _ if !self.divergence.is_kl() => DEFAULT_SAMPLES_FDIV,
            _ => DEFAULT_SAMPLES,
        })
    }

    /// The initialisation: as given, else `map` (`random` for `advi`).
    pub fn resolved_init(&self) -> Init {
        self.init.unwrap_or(match self.algorithm {
            Algorithm::Advi => Init::Random,
            _ => Init::Map,
        })
    }

    /// The coordinates of the flow: as given, else the default of
    /// [`FitConfig::precondition`].
    pub fn resolved_precondition(&self) -> Precondition {
        self.precondition.unwrap_or(match self.algorithm {
            Algorithm::Bw => match (self.resolved_family(), self.optimizer) {
                (FamilyKind::Mixture(_), _) | (_, Optimizer::Adam) => Precondition::Laplace,
                _ => Precondition::Adaptive,
            },
            _ => Precondition::None,
        })
    }

    /// Worker threads actually used.
    pub fn resolved_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_family_of_bw_turns_low_rank_above_the_threshold() {
        let bw = FitConfig::default();
        let d = LOW_RANK_DEFAULT_ABOVE;
        assert_eq!(bw.resolved_family_in(d), FamilyKind::FullRank);
        assert_eq!(
            bw.resolved_family_in(d + 1),
            FamilyKind::LowRank(DEFAULT_RANK)
        );
        assert!(bw.is_default_by_dimension(FamilyKind::LowRank(DEFAULT_RANK), d + 1));
        assert!(!bw.is_default_by_dimension(FamilyKind::LowRank(DEFAULT_RANK), d));
        assert!(!bw.is_default_by_dimension(FamilyKind::FullRank, 10 * d));
        for (algorithm, family) in [
            (Algorithm::Advi, FamilyKind::MeanField),
            (Algorithm::Fbgvi, FamilyKind::FullRank),
        ] {
            let c = FitConfig {
                algorithm,
                ..FitConfig::default()
            };
            assert_eq!(c.resolved_family_in(10 * d), family, "{algorithm}");
        }
        let given = FitConfig {
            family: Some(FamilyKind::FullRank),
            ..FitConfig::default()
        };
        assert_eq!(given.resolved_family_in(10 * d), FamilyKind::FullRank);
    }

    #[test]
    fn serializes_as_the_words_a_user_typed() {
        let c = FitConfig {
            family: Some(FamilyKind::Mixture(2)),
            divergence: Divergence::Alpha(0.5),
            ..FitConfig::default()
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""family":"mixture:2""#), "{json}");
        assert!(json.contains(r#""divergence":"alpha:0.5""#), "{json}");
        let back: FitConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }
}
