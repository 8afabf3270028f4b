//! How far to trust a fit: the k̂ band ([`Verdict`]), the evidence the
//! importance weights give ([`Evidence`]) and the overall judgement
//! ([`Trust`]) from plain facts about the run. The thresholds live here and
//! nowhere else: the summary table, the warnings and the exit code of
//! `vippl infer` all read them through these types.

use super::shift::{LARGE_MEAN_SHIFT, SMALL_MEAN_SHIFT, SMALL_SD_RATIO, WeightShift};
use serde::{Deserialize, Serialize};
use std::fmt;

/// k̂ below this: the importance ratios have finite variance and q is close.
pub const KHAT_GOOD: f64 = 0.5;
/// k̂ at or above this: the importance ratios' variance is effectively
/// infinite; q is a poor fit and must not be trusted. With few draws the
/// limit is lower ([`khat_limit`]).
pub const KHAT_LIMIT: f64 = 0.7;
/// The share of the draws the importance ESS must reach for the weights to
/// count as nearly constant ([`Evidence::NearlyConstantWeights`]).
pub const NEARLY_CONSTANT_ESS: f64 = 0.98;

/// A k̂ limit as the messages print it: two decimals at most (0.7, 0.67).
pub fn limit_text(limit: f64) -> String {
    let t = format!("{limit:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The largest k̂ that can be trusted from `draws` importance ratios:
/// min(1 − 1/log₁₀ S, 0.7) (Vehtari et al., 2024). From fewer than about
/// 2200 draws the tail fit cannot tell a usable k̂ from an unusable one as
/// high up; with the default 4000 proposals the limit is 0.7.
pub fn khat_limit(draws: usize) -> f64 {
    let s = draws as f64;
    if s <= 1.0 {
        return f64::NEG_INFINITY;
    }
    (1.0 - 1.0 / s.log10()).min(KHAT_LIMIT)
}

/// What k̂ says about q (Vehtari et al., 2024).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// k̂ < 0.5: importance weights have finite variance; q is close.
    Good,
    /// 0.5 ≤ k̂ < 0.7: usable with Pareto smoothing.
    Ok,
    /// k̂ ≥ 0.7 (or not a number): q is a poor fit; do not trust it.
    Bad,
    /// Too few distinct weights to fit a tail.
    Unavailable,
}

impl Verdict {
    /// The band of a k̂ estimated from many draws (limit 0.7).
    pub fn from_khat(khat: Option<f64>) -> Verdict {
        Verdict::with_limit(khat, KHAT_LIMIT)
    }

    /// The band of a k̂ estimated from `draws` importance ratios
    /// ([`khat_limit`]).
    pub fn from_khat_and_draws(khat: Option<f64>, draws: usize) -> Verdict {
        Verdict::with_limit(khat, khat_limit(draws))
    }

    fn with_limit(khat: Option<f64>, limit: f64) -> Verdict {
        match khat {
            Some(k) if k < KHAT_GOOD.min(limit) => Verdict::Good,
            Some(k) if k < limit => Verdict::Ok,
            Some(_) => Verdict::Bad,
            None => Verdict::Unavailable,
        }
    }

    /// The verdict in words, as the summary table prints it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Good => "good",
            Verdict::Ok => "ok",
            Verdict::Bad => "do not trust",
            Verdict::Unavailable => "unavailable",
        }
    }

    /// Whether the Pareto-smoothed importance weights are reliable (k̂ < 0.7).
    pub fn is_reliable(self) -> bool {
        matches!(self, Verdict::Good | Verdict::Ok)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What the importance weights of q against the posterior say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// k̂ is below the limit for the number of draws: the weights' tail is
    /// light enough for importance sampling to correct q.
    Khat,
    /// k̂ is at or above the limit, but the weights are nearly constant
    /// (importance ESS at least 98 % of the draws). The tail fit then has
    /// nothing to measure, and by Cauchy–Schwarz a weighted mean differs
    /// from q's own by at most sd(w)/mean(w) = √(S/ESS − 1) ≤ 0.14 of q's sd.
    NearlyConstantWeights,
    /// k̂ is at or above the limit (but below 1, where weighted means still
    /// converge) and the weights vary, yet they move no coordinate's mean
    /// by [`SMALL_MEAN_SHIFT`] sds nor its sd by the factor
    /// [`SMALL_SD_RATIO`]: the summaries agree with their importance
    /// correction to well within the accuracy asked of them.
    SmallCorrection,
    /// k̂ is in the usable band (at least [`KHAT_GOOD`], below the limit),
    /// but the Pareto-smoothed weights surely move some coordinate's mean
    /// by [`LARGE_MEAN_SHIFT`] sds or more (beyond the Monte Carlo noise,
    /// [`super::shift::noise_z`] standard errors): q itself misses the
    /// posterior by more than a summary may, so the summaries rest on the
    /// importance correction; in this band its bias shrinks slowly with the
    /// number of draws, and mass that no proposal reaches (a funnel's neck)
    /// goes uncorrected. Below 0.5 the weights have finite variance and a
    /// large correction is taken as sound: a mean-field fit of a correlated
    /// posterior can be corrected by 0.1 sd and end within its reference.
    LargeCorrection,
    /// k̂ is at or above the limit (or not computed) and the weights vary.
    Against,
}

/// The facts about a fit's importance weights that a verdict needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightFacts {
    /// PSIS k̂ of the weights, if a tail could be fitted.
    pub khat: Option<f64>,
    /// Number of draws from q the weights come from.
    pub draws: usize,
    /// Effective sample size of the raw weights.
    pub ess: f64,
    /// How far the smoothed weights move q's means and sds.
    pub shift: Option<WeightShift>,
}

impl WeightFacts {
    /// The k̂ band for this many draws.
    pub fn verdict(&self) -> Verdict {
        Verdict::from_khat_and_draws(self.khat, self.draws)
    }

    /// Whether the weights are nearly constant ([`NEARLY_CONSTANT_ESS`]).
    pub fn nearly_constant(&self) -> bool {
        self.draws > 0 && self.ess >= NEARLY_CONSTANT_ESS * self.draws as f64
    }

    /// Which evidence the weights give.
    pub fn evidence(&self) -> Evidence {
        let verdict = self.verdict();
        if verdict == Verdict::Ok && self.shift.is_some_and(|s| s.moves_a_mean()) {
            Evidence::LargeCorrection
        } else if verdict.is_reliable() {
            Evidence::Khat
        } else if self.nearly_constant() {
            Evidence::NearlyConstantWeights
        } else if self.khat.is_some_and(|k| k < 1.0) && self.shift.is_some_and(|s| s.is_small()) {
            Evidence::SmallCorrection
        } else {
            Evidence::Against
        }
    }

    /// The verdict in words, with the evidence it rests on when that is not
    /// k̂ alone: "ok", "do not trust", or "weights nearly constant: raw
    /// importance ESS 3993 of 4000".
    pub fn label(&self) -> String {
        match self.evidence() {
            Evidence::NearlyConstantWeights => format!(
                "weights nearly constant: raw importance ESS {:.0} of {}",
                self.ess, self.draws
            ),
            Evidence::SmallCorrection => match self.shift {
                Some(s) => format!(
                    "high, but the weights move no mean by {SMALL_MEAN_SHIFT} sd nor sd by \
                     {:.0} %: largest {:.3} sd, sd ×{:.3}",
                    (SMALL_SD_RATIO - 1.0) * 100.0,
                    s.mean_shift,
                    s.sd_ratio
                ),
                None => self.verdict().label().to_string(),
            },
            Evidence::LargeCorrection => match self.shift {
                Some(s) => format!(
                    "do not trust: the weights move a mean by at least {:.2} sd (≥ \
                     {LARGE_MEAN_SHIFT}) at k̂ ≥ {KHAT_GOOD}, where their correction may be partial",
                    s.sure_mean_shift
                ),
                None => self.verdict().label().to_string(),
            },
            _ => self.verdict().label().to_string(),
        }
    }
}

/// A reason not to trust a fit as it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Doubt {
    /// k̂ is at or above `limit` (or could not be computed) and the weights
    /// are not nearly constant.
    Khat { verdict: Verdict, limit: f64 },
    /// k̂ is usable, but the weights surely move a mean by `mean_shift`
    /// sds, at least [`LARGE_MEAN_SHIFT`] ([`Evidence::LargeCorrection`]).
    LargeCorrection { mean_shift: f64 },
    /// The run did not converge (iteration limit, divergence, interruption).
    NotConverged,
    /// The run diverged and step control pulled it back.
    RescuedByStepControl,
}

impl fmt::Display for Doubt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Doubt::Khat {
                verdict: Verdict::Unavailable,
                ..
            } => f.write_str("PSIS k̂ could not be computed"),
            Doubt::Khat { limit, .. } => write!(f, "PSIS k̂ ≥ {}", limit_text(*limit)),
            Doubt::LargeCorrection { mean_shift } => write!(
                f,
                "the importance weights move a mean by at least {mean_shift:.2} sd at PSIS k̂ ≥ \
                 {KHAT_GOOD}"
            ),
            Doubt::NotConverged => f.write_str("the fit did not converge"),
            Doubt::RescuedByStepControl => {
                f.write_str("the run diverged and was rescued by step control")
            }
        }
    }
}

/// Whether a fit can be trusted as is (`vippl infer` exits 0) or not (exit
/// 3), with the evidence and the reasons.
#[derive(Clone, Debug, PartialEq)]
pub struct Trust {
    pub verdict: Verdict,
    pub evidence: Evidence,
    /// Empty when the fit is trusted.
    pub doubts: Vec<Doubt>,
}

impl Trust {
    /// Judges a fit from its importance weights, whether it converged and
    /// whether step control had to rescue it.
    pub fn assess(weights: &WeightFacts, converged: bool, rescued_by_step_control: bool) -> Trust {
        let verdict = weights.verdict();
        let evidence = weights.evidence();
        let mut doubts = Vec::new();
        match (evidence, weights.shift) {
            (Evidence::Against, _) => doubts.push(Doubt::Khat {
                verdict,
                limit: khat_limit(weights.draws),
            }),
            (Evidence::LargeCorrection, Some(s)) => doubts.push(Doubt::LargeCorrection {
                mean_shift: s.sure_mean_shift,
            }),
            _ => {}
        }
        if !converged {
            doubts.push(Doubt::NotConverged);
        }
        if rescued_by_step_control {
            doubts.push(Doubt::RescuedByStepControl);
        }
        Trust {
            verdict,
            evidence,
            doubts,
        }
    }

    pub fn trusted(&self) -> bool {
        self.doubts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(khat: f64, draws: usize, ess: f64) -> WeightFacts {
        WeightFacts {
            khat: Some(khat),
            draws,
            ess,
            shift: None,
        }
    }

    #[test]
    fn khat_of_exactly_0_7_is_not_trusted() {
        assert_eq!(Verdict::from_khat(Some(0.70)), Verdict::Bad);
        assert_eq!(Verdict::from_khat(Some(0.70)).label(), "do not trust");
        let at = Trust::assess(&weights(0.70, 4000, 1200.0), true, false);
        assert!(!at.trusted());
        assert_eq!(
            at.doubts,
            vec![Doubt::Khat {
                verdict: Verdict::Bad,
                limit: 0.7
            }]
        );
        let below = Trust::assess(&weights(0.6999, 4000, 1200.0), true, false);
        assert!(below.trusted(), "{below:?}");
        assert_eq!(below.verdict, Verdict::Ok);
        assert_eq!(below.evidence, Evidence::Khat);
        assert_eq!(Verdict::from_khat(Some(0.4999)), Verdict::Good);
        assert_eq!(Verdict::from_khat(Some(0.5)), Verdict::Ok);
    }

    #[test]
    fn the_limit_depends_on_the_number_of_draws() {
        // min(1 - 1/log10 S, 0.7): 0.5 at S = 100, 2/3 at S = 1000, 0.7 from
        // S = 10^(10/3) ≈ 2154 on.
        assert!((khat_limit(100) - 0.5).abs() < 1e-12);
        assert!((khat_limit(1000) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(khat_limit(2155), 0.7);
        assert_eq!(khat_limit(4000), 0.7);
        assert!(khat_limit(2153) < 0.7);
        assert_eq!(khat_limit(1), f64::NEG_INFINITY);
        assert_eq!(Verdict::from_khat_and_draws(Some(0.68), 1000), Verdict::Bad);
        assert_eq!(Verdict::from_khat_and_draws(Some(0.68), 4000), Verdict::Ok);
        // Below S = 100 even the "good" band shrinks to the limit.
        assert_eq!(Verdict::from_khat_and_draws(Some(0.45), 50), Verdict::Bad);
    }

    #[test]
    fn weights_that_move_no_summary_outweigh_a_khat_below_one() {
        let shift = |mean_shift: f64, sd_ratio: f64| WeightShift {
            mean_shift,
            mean_coordinate: 0,
            sd_ratio,
            sd_coordinate: 1,
            sure_mean_shift: 0.0,
            sure_coordinate: 0,
        };
        let with = |khat: f64, s: WeightShift| WeightFacts {
            shift: Some(s),
            ..weights(khat, 4000, 900.0)
        };
        let small = with(0.85, shift(0.03, 1.04));
        assert_eq!(small.evidence(), Evidence::SmallCorrection);
        assert!(Trust::assess(&small, true, false).trusted());
        assert_eq!(
            small.label(),
            "high, but the weights move no mean by 0.05 sd nor sd by 5 %: largest 0.030 sd, sd ×1.040"
        );
        // A mean moved by 0.05 sd, an sd by 5 % either way, or k̂ ≥ 1: k̂ decides.
        for s in [shift(0.05, 1.0), shift(0.0, 1.05), shift(0.0, 0.95)] {
            assert_eq!(with(0.85, s).evidence(), Evidence::Against, "{s:?}");
        }
        assert_eq!(with(1.0, shift(0.0, 1.0)).evidence(), Evidence::Against);
        // It does not excuse a run that did not converge.
        assert!(!Trust::assess(&small, false, false).trusted());
    }

    #[test]
    fn a_large_correction_at_a_usable_khat_is_not_trusted() {
        // A mean moved by `sure` sds beyond its noise (and by 0.05 more).
        let moved = |sure: f64| WeightShift {
            mean_shift: sure + 0.05,
            mean_coordinate: 2,
            sd_ratio: 1.3,
            sd_coordinate: 2,
            sure_mean_shift: sure,
            sure_coordinate: 2,
        };
        let with = |khat: f64, s: WeightShift| WeightFacts {
            shift: Some(s),
            ..weights(khat, 4000, 300.0)
        };
        // k̂ in the usable band, a mean moved by the whole tolerance: flagged.
        let large = with(0.66, moved(0.24));
        assert_eq!(large.verdict(), Verdict::Ok);
        assert_eq!(large.evidence(), Evidence::LargeCorrection);
        let t = Trust::assess(&large, true, false);
        assert!(!t.trusted());
        assert_eq!(t.doubts, vec![Doubt::LargeCorrection { mean_shift: 0.24 }]);
        assert_eq!(
            t.doubts[0].to_string(),
            "the importance weights move a mean by at least 0.24 sd at PSIS k̂ ≥ 0.5"
        );
        assert_eq!(
            large.label(),
            "do not trust: the weights move a mean by at least 0.24 sd (≥ 0.1) at k̂ ≥ 0.5, where \
             their correction may be partial"
        );
        // Just below the tolerance, or with k̂ below 0.5 (finite-variance
        // weights): k̂ decides, and the fit is trusted.
        for facts in [with(0.66, moved(0.0999)), with(0.4999, moved(0.5))] {
            assert_eq!(facts.evidence(), Evidence::Khat, "{facts:?}");
            assert!(Trust::assess(&facts, true, false).trusted());
        }
        // At or above the limit it is k̂'s own doubt, named once.
        let bad = Trust::assess(&with(0.75, moved(0.3)), true, false);
        assert_eq!(
            bad.doubts,
            vec![Doubt::Khat {
                verdict: Verdict::Bad,
                limit: 0.7
            }]
        );
        // With 1000 draws the band ends at 2/3: k̂ 0.68 is k̂'s doubt.
        let few = WeightFacts {
            draws: 1000,
            ..with(0.68, moved(0.3))
        };
        assert_eq!(few.evidence(), Evidence::Against);
    }

    #[test]
    fn nearly_constant_weights_outweigh_a_high_khat() {
        // ESS 3993 of 4000: sd(w)/mean(w) = sqrt(4000/3993 - 1) = 0.04.
        let flat = weights(1.3, 4000, 3993.0);
        assert_eq!(flat.evidence(), Evidence::NearlyConstantWeights);
        let t = Trust::assess(&flat, true, false);
        assert!(t.trusted(), "{t:?}");
        assert_eq!(t.verdict, Verdict::Bad);
        assert_eq!(
            flat.label(),
            "weights nearly constant: raw importance ESS 3993 of 4000"
        );
        // Just below 98 %: k̂ decides.
        let varying = weights(1.3, 4000, 3919.0);
        assert_eq!(varying.evidence(), Evidence::Against);
        assert!(!Trust::assess(&varying, true, false).trusted());
        assert_eq!(varying.label(), "do not trust");
        // Nearly constant weights do not excuse a run that did not converge.
        assert!(!Trust::assess(&flat, false, false).trusted());
        // No draws: nothing is nearly constant.
        assert!(!weights(0.9, 0, 0.0).nearly_constant());
    }

    #[test]
    fn every_doubt_is_named() {
        let none = WeightFacts {
            khat: None,
            draws: 4000,
            ess: 10.0,
            shift: None,
        };
        let t = Trust::assess(&none, false, true);
        assert_eq!(
            t.doubts,
            vec![
                Doubt::Khat {
                    verdict: Verdict::Unavailable,
                    limit: 0.7
                },
                Doubt::NotConverged,
                Doubt::RescuedByStepControl
            ]
        );
        assert!(!Trust::assess(&weights(f64::NAN, 4000, 10.0), true, false).trusted());
        assert_eq!(t.doubts[0].to_string(), "PSIS k̂ could not be computed");
        let limit = Doubt::Khat {
            verdict: Verdict::Bad,
            limit: khat_limit(1000),
        };
        assert_eq!(limit.to_string(), "PSIS k̂ ≥ 0.67");
        assert_eq!(limit_text(KHAT_LIMIT), "0.7");
    }
}
