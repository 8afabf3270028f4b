//! Diagnostics of a fit from plain numbers: PSIS k-hat, effective sample
//! sizes, ELBO and evidence bounds, and how far to trust the fit.
//!
//! After every fit, `draws` independent draws θ_s ~ q give log weights
//! lw_s = log π̃(θ_s) − log q(θ_s) (the inference engine draws them and
//! hands over the numbers), from which:
//! - ELBO = E_q[log π̃] + H(q) (closed-form entropy for Gaussians, the mean of
//!   lw for mixtures) with its Monte Carlo standard error;
//! - PSIS k̂ ([`psis`]): < 0.5 good, < 0.7 ok, otherwise do not trust q
//!   ([`Verdict`]; with convergence and step control, [`Trust`]);
//! - log Ẑ = log mean exp(lw), the importance-sampling estimate of the log
//!   normaliser of π̃ (ELBO ≤ log Z in expectation);
//! - for mass-covering divergences the χ² upper bound
//!   CUBO₂ = ½ log mean exp(2 lw) ≥ log Z (in the limit of many draws);
//! - the effective sample size of the raw and of the smoothed weights.
//!
//! Nothing here knows of models, approximations or the engine.

pub mod psis;
pub mod shift;
mod verdict;

pub use verdict::{
    Doubt, Evidence, KHAT_GOOD, KHAT_LIMIT, NEARLY_CONSTANT_ESS, Trust, Verdict, WeightFacts,
    khat_limit, limit_text,
};

use serde::{Deserialize, Serialize};

/// Numbers that say how far to trust a fitted q.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    pub draws: usize,
    pub elbo: f64,
    pub elbo_se: f64,
    pub khat: Option<f64>,
    pub verdict: Verdict,
    pub log_evidence: f64,
    pub log_evidence_se: f64,
    /// Only for mass-covering divergences (fkl, chi2, hellinger, alpha > 0).
    pub cubo: Option<f64>,
    /// Effective sample size of the raw importance weights.
    pub ess: f64,
    /// Effective sample size of the Pareto-smoothed weights.
    pub psis_ess: f64,
    /// Draws at which log π̃ was not finite (they have zero weight).
    pub nonfinite_draws: usize,
    /// How far the smoothed weights move q's means and sds, when the draws
    /// were kept to measure it.
    #[serde(default)]
    pub weight_shift: Option<shift::WeightShift>,
}

/// Draws from q behind the diagnostics of a fit asking for `draws` output
/// draws: four per output draw, at least 1000. The PSIS-resampled output
/// draws are picked from exactly these (same seed, same streams), and k̂
/// is estimated from their largest weights, 3√n of them: from 1000 draws
/// (95 weights) it varies enough between seeds to flip a verdict near 0.7.
pub fn proposals(draws: usize) -> usize {
    if draws == 0 { 0 } else { (4 * draws).max(1000) }
}

/// log π̃ of a draw, a NaN counted as −∞ (a point outside the support).
pub fn log_density_or_neg_inf(log_p: f64) -> f64 {
    if log_p.is_nan() {
        f64::NEG_INFINITY
    } else {
        log_p
    }
}

/// The log importance weight log π̃ − log q of a draw (−∞ where log π̃ is
/// NaN: zero weight).
pub fn log_weight(log_p: f64, log_q: f64) -> f64 {
    log_density_or_neg_inf(log_p) - log_q
}

impl Diagnostics {
    /// Diagnostics when there are no draws to compute them from.
    pub fn unavailable() -> Diagnostics {
        Diagnostics {
            draws: 0,
            elbo: f64::NAN,
            elbo_se: f64::NAN,
            khat: None,
            verdict: Verdict::Unavailable,
            log_evidence: f64::NAN,
            log_evidence_se: f64::NAN,
            cubo: None,
            ess: 0.0,
            psis_ess: 0.0,
            nonfinite_draws: 0,
            weight_shift: None,
        }
    }

    /// Diagnostics from independent draws of q: their log π̃ (`log_p`, NaN
    /// counted as −∞) and log weights ([`log_weight`]); `entropy` is q's
    /// closed-form entropy when it has one; `mass_covering` adds the CUBO.
    pub fn from_draws(
        log_p: &[f64],
        log_weights: &[f64],
        entropy: Option<f64>,
        mass_covering: bool,
    ) -> Diagnostics {
        let lw = log_weights;
        let lp: Vec<f64> = log_p.iter().map(|&p| log_density_or_neg_inf(p)).collect();
        let n = lw.len();
        let nf = n as f64;
        let (elbo, elbo_se) = match entropy {
            Some(h) => {
                let (m, se) = mean_se(&lp);
                (m + h, se)
            }
            None => mean_se(lw),
        };
        let cubo = mass_covering.then(|| {
            let two: Vec<f64> = lw.iter().map(|v| 2.0 * v).collect();
            0.5 * (psis::log_sum_exp(&two) - nf.ln())
        });
        let mut diagnostics = Diagnostics {
            elbo,
            elbo_se,
            cubo,
            ..Diagnostics::unavailable()
        };
        diagnostics.importance(&lp, lw);
        diagnostics
    }

    /// Recomputes what rests on importance weights alone (k̂ and its
    /// verdict, the evidence estimate, the effective sample sizes, the
    /// draws counted) from the log π̃ and log weights of a pool of proposals
    /// that need not all come from q itself (see
    /// [`crate::infer::proposals`]'s defensive draws); the ELBO and the
    /// CUBO stay those of q's own draws.
    pub fn reweight(&mut self, log_p: &[f64], log_weights: &[f64]) {
        let lp: Vec<f64> = log_p.iter().map(|&p| log_density_or_neg_inf(p)).collect();
        self.importance(&lp, log_weights);
    }

    fn importance(&mut self, lp: &[f64], lw: &[f64]) {
        let n = lw.len();
        self.log_evidence = psis::log_sum_exp(lw) - (n as f64).ln();
        // delta method: se(log mean w) = sd(w) / (mean(w) √n)
        self.log_evidence_se = {
            let m = lw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = lw.iter().map(|v| (v - m).exp()).collect();
            let (mw, sew) = mean_se(&w);
            sew / mw
        };
        let p = psis::psis(lw);
        self.draws = n;
        self.khat = p.khat;
        self.verdict = Verdict::from_khat_and_draws(p.khat, n);
        self.ess = psis::ess(lw);
        self.psis_ess = psis::ess(&p.log_weights);
        self.nonfinite_draws = lp.iter().filter(|p| !p.is_finite()).count();
    }

    /// The facts about the importance weights that a verdict needs.
    pub fn weight_facts(&self) -> WeightFacts {
        WeightFacts {
            khat: self.khat,
            draws: self.draws,
            ess: self.ess,
            shift: self.weight_shift,
        }
    }

    /// Whether the Pareto-smoothed importance weights can correct q's
    /// summaries (k̂ below the limit for the number of draws). A Gaussian q
    /// is biased even at its optimum (it cannot follow a scale that depends
    /// on other parameters, a skewed marginal); when the weights are
    /// reliable, resampling by them removes most of that bias, as
    /// Pathfinder does by default. Beyond the limit the weights' variance is
    /// effectively infinite and resampling would only hide how poor q is.
    pub fn psis_reliable(&self) -> bool {
        self.verdict.is_reliable()
    }

    /// Warnings for the user, in words; `remedy` says what to try when the
    /// weights speak against q (it depends on the family that was fitted).
    pub fn warnings(&self, remedy: &str) -> Vec<String> {
        let mut w = Vec::new();
        let facts = self.weight_facts();
        if let Some(k) = self.khat
            && facts.evidence() == Evidence::Against
        {
            w.push(format!(
                "PSIS k̂ = {k:.2} ≥ {}: the approximation is a poor fit to the posterior; do \
                 not trust its summaries ({remedy})",
                limit_text(khat_limit(self.draws))
            ));
        }
        if self.nonfinite_draws > 0 {
            w.push(format!(
                "the log density was not finite at {} of {} draws from the approximation",
                self.nonfinite_draws, self.draws
            ));
        }
        w
    }
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    if !m.is_finite() {
        return (m, f64::NAN);
    }
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, (var / n).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn khat_of_exactly_0_7_warns() {
        let mut d = Diagnostics::unavailable();
        d.draws = 4000;
        d.ess = 1000.0;
        d.khat = Some(0.70);
        d.verdict = Verdict::from_khat(d.khat);
        assert!(!d.psis_reliable());
        let w = d.warnings("try X");
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("PSIS k̂ = 0.70 ≥ 0.7: "), "{w:?}");
        assert!(w[0].ends_with("(try X)"), "{w:?}");
        d.khat = Some(0.6999);
        d.verdict = Verdict::from_khat(d.khat);
        assert!(d.psis_reliable() && d.warnings("try X").is_empty());
    }

    #[test]
    fn nearly_constant_weights_do_not_warn() {
        let mut d = Diagnostics::unavailable();
        d.draws = 4000;
        d.ess = 3995.0;
        d.khat = Some(1.1);
        d.verdict = Verdict::from_khat(d.khat);
        assert!(d.warnings("try X").is_empty());
    }

    #[test]
    fn the_verdict_uses_the_limit_for_the_number_of_draws() {
        // 1000 draws from N(0, 1) weighted against a slightly wider target:
        // whatever k̂ comes out, the verdict is the band for S = 1000.
        let lw: Vec<f64> = (0..1000)
            .map(|i| {
                let u = (i as f64 + 0.5) / 1000.0;
                let x = (u - 0.5) * 6.0;
                0.1 * x * x
            })
            .collect();
        let lp = vec![0.0; 1000];
        let d = Diagnostics::from_draws(&lp, &lw, None, false);
        assert_eq!(d.verdict, Verdict::from_khat_and_draws(d.khat, 1000));
    }

    #[test]
    fn nan_log_densities_have_zero_weight() {
        let lp = [f64::NAN, -1.0, -2.0];
        let lw: Vec<f64> = lp.iter().map(|&p| log_weight(p, -1.5)).collect();
        assert_eq!(lw[0], f64::NEG_INFINITY);
        let d = Diagnostics::from_draws(&lp, &lw, None, true);
        assert_eq!(d.nonfinite_draws, 1);
        assert!(d.cubo.is_some());
    }
}
