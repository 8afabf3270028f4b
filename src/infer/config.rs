//! What a fit is asked to do: algorithm, family, divergence, estimator,
//! optimizer, step, budget and seed — with the defaults of `vippl infer`
//! (docs: cli.md) and the check of which combinations make sense.
//!
//! Every choice is an enum with the command-line spelling as its text form
//! (`FromStr`/`Display`), and serializes as that text, so a fit file records
//! the configuration in the words a user typed.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! text_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// The update rule, named for how it moves q.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// Forward Euler on the Bures–Wasserstein flow = path-derivative BBVI
    /// (f-divergences via particle reweighting).
    #[default]
    Bw,
    /// Forward–backward Gaussian VI: explicit step on the potential, JKO
    /// (proximal) step on the entropy; full-rank Gaussian and KL only.
    Fbgvi,
    /// Stan's ADVI, faithfully, as a like-for-like baseline.
    Advi,
}

/// The variational family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FamilyKind {
    MeanField,
    FullRank,
    /// K full-rank Gaussian components with softmax weights.
    Mixture(usize),
}

/// The divergence D(p‖q) or KL(q‖p) the update minimises.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Divergence {
    /// KL(q‖p), mode seeking; particle weight ω ≡ 1.
    #[default]
    Kl,
    /// KL(p‖q), mass covering; ω = r.
    Fkl,
    /// Pearson χ²(p‖q); ω = 2r².
    Chi2,
    /// 2 × squared Hellinger; ω = ½√r.
    Hellinger,
    /// Amari α (TFP convention); ω = r^α, α = 0 is KL, α = 1 is forward KL.
    Alpha(f64),
}

/// Per-sample gradient estimator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Estimator {
    /// Path derivative ("sticking the landing"): q's parameters frozen in log q.
    #[default]
    Path,
    /// Reparameterization gradient with the closed-form entropy gradient.
    Rep,
}

/// How a direction becomes a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Optimizer {
    /// Plain step θ ← θ + h·direction: the forward Euler scheme of the flow.
    #[default]
    Euler,
    /// Adam on the same direction (breaks the BW geometry, robust to scaling).
    Adam,
}

/// Step size h (Euler) or learning rate (Adam).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Step {
    /// Chosen from the curvature at the start and controlled during the run.
    #[default]
    Auto,
    Fixed(f64),
}

/// Where q starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// L-BFGS to the posterior mode, Laplace covariance there.
    Map,
    /// Zero mean, identity scale.
    Zero,
    /// Mean uniform(−2, 2) per coordinate (Stan's convention), identity scale.
    Random,
}

/// The coordinates the explicit flow runs in (see `precondition`): the
/// optimum is the same in all of them, the speed is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// The model's unconstrained coordinates: the plain BW flow.
    None,
    /// Coordinates whitened by the Laplace approximation at the mode.
    Laplace,
    /// Whitened by the Laplace approximation, then re-whitened by the
    /// current q at every ELBO check of the optimisation phase.
    Adaptive,
}

/// How FB-GVI estimates E_q[∇² log π].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HessianEstimate {
    /// Exact Hessians up to dimension 100, Stein's identity beyond.
    #[default]
    Auto,
    /// Average of exact Hessians at the samples (d Hessian–vector products each).
    Exact,
    /// Stein's identity from gradients only: E[∇²log π] = E[∇log π εᵀ] S⁻¹.
    Stein,
}

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
    /// `None`: [`DEFAULT_SAMPLES`] for `bw`/`fbgvi`, 1 for `advi` (Stan).
    pub samples: Option<usize>,
    /// Maximum iterations.
    pub iters: usize,
    /// Relative-ELBO tolerance: stop when the mean or median of the recent
    /// |ΔELBO| / max(1, |ELBO|) falls below it.
    pub tol: f64,
    /// `None`: `map` for `bw`/`fbgvi`, `random` for `advi` (as Stan).
    pub init: Option<Init>,
    /// Independent fits; the best ELBO is kept.
    pub restarts: usize,
    pub seed: u64,
    /// Worker threads for Monte Carlo samples; 0 = all cores.
    pub threads: usize,
    /// Self-normalise f-divergence weights (the Rényi-bound gradient).
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
}

/// Default of [`FitConfig::grad_tol`]: 0.05 posterior sd for the means, a
/// whitened scale direction of 0.1 (about 5 % on an sd).
pub const DEFAULT_GRAD_TOL: f64 = 0.05;

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
            restarts: 1,
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
        }
    }
}

impl FitConfig {
    pub fn resolved_family(&self) -> FamilyKind {
        self.family.unwrap_or(match self.algorithm {
            Algorithm::Advi => FamilyKind::MeanField,
            _ => FamilyKind::FullRank,
        })
    }

    pub fn resolved_samples(&self) -> usize {
        self.samples.unwrap_or(match self.algorithm {
            Algorithm::Advi => 1,
            _ => DEFAULT_SAMPLES,
        })
    }

    pub fn resolved_init(&self) -> Init {
        self.init.unwrap_or(match self.algorithm {
            Algorithm::Advi => Init::Random,
            _ => Init::Map,
        })
    }

    /// The coordinates of the flow.
    pub fn resolved_precondition(&self) -> Precondition {
        self.precondition.unwrap_or(match self.algorithm {
            Algorithm::Bw => match (self.resolved_family(), self.optimizer) {
                (FamilyKind::Mixture(_), _) | (_, Optimizer::Adam) => Precondition::Laplace,
                _ => Precondition::Adaptive,
            },
            _ => Precondition::None,
        })
    }

    /// The ELBO evaluation interval; `time_scale` is the flow's slowest
    /// relaxation time in iterations, when known.
    pub fn resolved_eval_every(&self, time_scale: Option<f64>) -> usize {
        self.eval_every.unwrap_or(match self.algorithm {
            Algorithm::Advi => 100,
            _ if self.resolved_precondition() != Precondition::None => PRECONDITIONED_WINDOW,
            _ => match time_scale {
                Some(t) if t.is_finite() => {
                    ((2.0 * t).ceil() as usize).clamp(MIN_WINDOW, MAX_WINDOW)
                }
                _ => 100,
            },
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

    /// Checks the combination and the numbers; the message says what is
    /// allowed.
    pub fn validate(&self) -> Result<(), String> {
        let family = self.resolved_family();
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
                         --algorithm bw for mixtures and f-divergences",
                        self.divergence
                    ));
                }
            }
        }
        match (self.algorithm, self.precondition) {
            (Algorithm::Advi, Some(p)) if p != Precondition::None => {
                return Err(
                    "--algorithm advi runs in the model's coordinates, as Stan does: it takes \
                     --precondition none only"
                        .into(),
                );
            }
            (_, Some(Precondition::Adaptive))
                if self.algorithm == Algorithm::Fbgvi
                    || self.optimizer == Optimizer::Adam
                    || matches!(family, FamilyKind::Mixture(_)) =>
            {
                return Err(
                    "--precondition adaptive needs --algorithm bw with --optimizer euler and a \
                     Gaussian family (meanfield or fullrank); use --precondition laplace"
                        .into(),
                );
            }
            _ => {}
        }
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
        if self.restarts == 0 {
            return Err("--restarts must be at least 1".into());
        }
        if self.eval_every == Some(0) || self.elbo_samples == 0 {
            return Err("ELBO evaluations need a positive interval and sample count".into());
        }
        Ok(())
    }
}

impl Divergence {
    /// Whether this is KL(q‖p) (Amari α = 0 included).
    pub fn is_kl(&self) -> bool {
        matches!(self, Divergence::Kl) || *self == Divergence::Alpha(0.0)
    }

    /// Particle weights ω(r) = c·r^α: returns (c, α).
    pub fn power(&self) -> (f64, f64) {
        match *self {
            Divergence::Kl => (1.0, 0.0),
            Divergence::Fkl => (1.0, 1.0),
            Divergence::Chi2 => (2.0, 2.0),
            Divergence::Hellinger => (0.5, 0.5),
            Divergence::Alpha(a) => (1.0, a),
        }
    }

    /// Mass-covering divergences (α > 0), for which the χ² upper bound on
    /// log Z is reported.
    pub fn is_mass_covering(&self) -> bool {
        self.power().1 > 0.0
    }

    /// The particle weight ω(r) = r² f″(r) from log r (no shift).
    pub fn weight(&self, log_r: f64) -> f64 {
        let (c, a) = self.power();
        if a == 0.0 { c } else { c * (a * log_r).exp() }
    }

    /// h(r) = r f′(r) − f(r), the per-sample value the mixture weights learn
    /// from (never f itself; see algorithms.md §5.8).
    pub fn h(&self, log_r: f64) -> f64 {
        let (c, a) = self.power();
        if a == 0.0 {
            log_r - 1.0
        } else {
            c * ((a * log_r).exp() - 1.0) / a
        }
    }

    /// f(r) itself, so D_f(p‖q) = E_q[f(r)] can be evaluated (tests,
    /// monitoring).
    pub fn f(&self, log_r: f64) -> f64 {
        let r = log_r.exp();
        match *self {
            Divergence::Kl => -log_r,
            Divergence::Fkl => r * log_r,
            Divergence::Chi2 => (r - 1.0).powi(2),
            Divergence::Hellinger => ((0.5 * log_r).exp() - 1.0).powi(2),
            Divergence::Alpha(a) => {
                if a == 0.0 {
                    -log_r + r - 1.0
                } else if a == 1.0 {
                    r * log_r - r + 1.0
                } else {
                    (((a * log_r).exp() - 1.0) - a * (r - 1.0)) / (a * (a - 1.0))
                }
            }
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::Bw => "bw",
            Algorithm::Fbgvi => "fbgvi",
            Algorithm::Advi => "advi",
        })
    }
}

impl FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bw" => Ok(Algorithm::Bw),
            "fbgvi" => Ok(Algorithm::Fbgvi),
            "advi" => Ok(Algorithm::Advi),
            _ => Err(format!(
                "unknown algorithm `{s}`; expected bw, fbgvi or advi"
            )),
        }
    }
}

impl fmt::Display for FamilyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FamilyKind::MeanField => f.write_str("meanfield"),
            FamilyKind::FullRank => f.write_str("fullrank"),
            FamilyKind::Mixture(k) => write!(f, "mixture:{k}"),
        }
    }
}

impl FromStr for FamilyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "meanfield" => Ok(FamilyKind::MeanField),
            "fullrank" => Ok(FamilyKind::FullRank),
            _ => {
                if let Some(k) = s.strip_prefix("mixture:") {
                    match k.parse::<usize>() {
                        Ok(k) if k >= 1 => Ok(FamilyKind::Mixture(k)),
                        _ => Err(format!(
                            "in `{s}`, K must be a whole number of components ≥ 1, e.g. mixture:3"
                        )),
                    }
                } else {
                    Err(format!(
                        "unknown family `{s}`; expected meanfield, fullrank or mixture:K"
                    ))
                }
            }
        }
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Divergence::Kl => f.write_str("kl"),
            Divergence::Fkl => f.write_str("fkl"),
            Divergence::Chi2 => f.write_str("chi2"),
            Divergence::Hellinger => f.write_str("hellinger"),
            Divergence::Alpha(a) => write!(f, "alpha:{a}"),
        }
    }
}

impl FromStr for Divergence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "kl" => Ok(Divergence::Kl),
            "fkl" => Ok(Divergence::Fkl),
            "chi2" => Ok(Divergence::Chi2),
            "hellinger" => Ok(Divergence::Hellinger),
            _ => {
                if let Some(a) = s.strip_prefix("alpha:") {
                    match a.parse::<f64>() {
                        Ok(a) if a.is_finite() => Ok(Divergence::Alpha(a)),
                        _ => Err(format!(
                            "in `{s}`, A must be a finite number, e.g. alpha:0.5"
                        )),
                    }
                } else {
                    Err(format!(
                        "unknown divergence `{s}`; expected kl, fkl, chi2, hellinger or alpha:A"
                    ))
                }
            }
        }
    }
}

impl fmt::Display for Estimator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Estimator::Path => "path",
            Estimator::Rep => "rep",
        })
    }
}

impl FromStr for Estimator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "path" => Ok(Estimator::Path),
            "rep" => Ok(Estimator::Rep),
            _ => Err(format!("unknown estimator `{s}`; expected path or rep")),
        }
    }
}

impl fmt::Display for Optimizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Optimizer::Euler => "euler",
            Optimizer::Adam => "adam",
        })
    }
}

impl FromStr for Optimizer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "euler" => Ok(Optimizer::Euler),
            "adam" => Ok(Optimizer::Adam),
            _ => Err(format!("unknown optimizer `{s}`; expected euler or adam")),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Auto => f.write_str("auto"),
            Step::Fixed(h) => write!(f, "{h}"),
        }
    }
}

impl FromStr for Step {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "auto" {
            return Ok(Step::Auto);
        }
        match s.parse::<f64>() {
            Ok(h) if h > 0.0 && h.is_finite() => Ok(Step::Fixed(h)),
            _ => Err(format!("step `{s}` must be `auto` or a positive number")),
        }
    }
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Init::Map => "map",
            Init::Zero => "zero",
            Init::Random => "random",
        })
    }
}

impl FromStr for Init {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "map" => Ok(Init::Map),
            "zero" => Ok(Init::Zero),
            "random" => Ok(Init::Random),
            _ => Err(format!("unknown init `{s}`; expected map, zero or random")),
        }
    }
}

impl fmt::Display for HessianEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HessianEstimate::Auto => "auto",
            HessianEstimate::Exact => "exact",
            HessianEstimate::Stein => "stein",
        })
    }
}

impl FromStr for HessianEstimate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(HessianEstimate::Auto),
            "exact" => Ok(HessianEstimate::Exact),
            "stein" => Ok(HessianEstimate::Stein),
            _ => Err(format!(
                "unknown Hessian estimate `{s}`; expected auto, exact or stein"
            )),
        }
    }
}

text_serde!(Algorithm);
text_serde!(FamilyKind);
text_serde!(Divergence);
text_serde!(Estimator);
text_serde!(Optimizer);
text_serde!(Step);
text_serde!(Init);
text_serde!(HessianEstimate);
text_serde!(Precondition);

impl fmt::Display for Precondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Precondition::None => "none",
            Precondition::Laplace => "laplace",
            Precondition::Adaptive => "adaptive",
        })
    }
}

impl FromStr for Precondition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Precondition::None),
            "laplace" => Ok(Precondition::Laplace),
            "adaptive" => Ok(Precondition::Adaptive),
            _ => Err(format!(
                "unknown preconditioning `{s}`; expected adaptive, laplace or none"
            )),
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
    fn text_round_trips() {
        for s in ["meanfield", "fullrank", "mixture:4"] {
            assert_eq!(s.parse::<FamilyKind>().unwrap().to_string(), s);
        }
        for s in ["kl", "fkl", "chi2", "hellinger", "alpha:0.5"] {
            assert_eq!(s.parse::<Divergence>().unwrap().to_string(), s);
        }
        assert!("mixture:0".parse::<FamilyKind>().is_err());
        assert!("alpha:x".parse::<Divergence>().is_err());
        assert_eq!("0.25".parse::<Step>().unwrap(), Step::Fixed(0.25));
        assert!("-1".parse::<Step>().is_err());
        let c = FitConfig {
            family: Some(FamilyKind::Mixture(2)),
            divergence: Divergence::Alpha(0.5),
            ..FitConfig::default()
        };
        let json = serde_json::to_string(&c).unwrap();
        let back: FitConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn h_is_r_fprime_minus_f_and_weight_is_r_hprime() {
        for div in [
            Divergence::Kl,
            Divergence::Fkl,
            Divergence::Chi2,
            Divergence::Hellinger,
            Divergence::Alpha(0.3),
            Divergence::Alpha(2.5),
        ] {
            for &lr in &[-1.5, -0.2, 0.0, 0.4, 1.1] {
                let e = 1e-5;
                let r: f64 = f64::exp(lr);
                // d/dr via d/dlogr: f'(r) = (df/dlogr)/r
                let fprime = (div.f(lr + e) - div.f(lr - e)) / (2.0 * e) / r;
                let h = r * fprime - div.f(lr);
                let hd = h - div.h(lr);
                // h is defined up to an additive constant for the power family
                let h0 = {
                    let r0 = 1.0;
                    let fp0 = (div.f(e) - div.f(-e)) / (2.0 * e) / r0;
                    r0 * fp0 - div.f(0.0) - div.h(0.0)
                };
                assert!((hd - h0).abs() < 1e-6, "{div} {lr}");
                let hprime = (div.h(lr + e) - div.h(lr - e)) / (2.0 * e); // = r h'(r)
                assert!((hprime - div.weight(lr)).abs() < 1e-6 * (1.0 + hprime.abs()));
            }
        }
    }
}
