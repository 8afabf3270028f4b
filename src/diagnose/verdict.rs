//! How far to trust a fit: the k̂ band ([`Verdict`]) and the overall
//! judgement ([`Trust`]) from plain facts about the run. The k̂ thresholds
//! live here and nowhere else: the summary table, the warnings and the exit
//! code of `vippl infer` all read them through these types.

use serde::{Deserialize, Serialize};
use std::fmt;

/// k̂ below this: the importance ratios have finite variance and q is close.
pub const KHAT_GOOD: f64 = 0.5;
/// k̂ at or above this: the importance ratios' variance is effectively
/// infinite; q is a poor fit and must not be trusted.
pub const KHAT_LIMIT: f64 = 0.7;

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
    pub fn from_khat(khat: Option<f64>) -> Verdict {
        match khat {
            Some(k) if k < KHAT_GOOD => Verdict::Good,
            Some(k) if k < KHAT_LIMIT => Verdict::Ok,
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

/// A reason not to trust a fit as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Doubt {
    /// k̂ is 0.7 or more, or could not be computed.
    Khat(Verdict),
    /// The run did not converge (iteration limit, divergence, interruption).
    NotConverged,
    /// The run diverged and step control pulled it back.
    RescuedByStepControl,
}

impl fmt::Display for Doubt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Doubt::Khat(Verdict::Unavailable) => f.write_str("PSIS k̂ could not be computed"),
            Doubt::Khat(_) => write!(f, "PSIS k̂ ≥ {KHAT_LIMIT}"),
            Doubt::NotConverged => f.write_str("the fit did not converge"),
            Doubt::RescuedByStepControl => {
                f.write_str("the run diverged and was rescued by step control")
            }
        }
    }
}

/// Whether a fit can be trusted as is (`vippl infer` exits 0) or not (exit
/// 3), with the reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trust {
    pub verdict: Verdict,
    /// Empty when the fit is trusted.
    pub doubts: Vec<Doubt>,
}

impl Trust {
    /// Judges a fit from its k̂, whether it converged and whether step
    /// control had to rescue it.
    pub fn assess(khat: Option<f64>, converged: bool, rescued_by_step_control: bool) -> Trust {
        let verdict = Verdict::from_khat(khat);
        let mut doubts = Vec::new();
        if !verdict.is_reliable() {
            doubts.push(Doubt::Khat(verdict));
        }
        if !converged {
            doubts.push(Doubt::NotConverged);
        }
        if rescued_by_step_control {
            doubts.push(Doubt::RescuedByStepControl);
        }
        Trust { verdict, doubts }
    }

    pub fn trusted(&self) -> bool {
        self.doubts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn khat_of_exactly_0_7_is_not_trusted() {
        assert_eq!(Verdict::from_khat(Some(0.70)), Verdict::Bad);
        assert_eq!(Verdict::from_khat(Some(0.70)).label(), "do not trust");
        let at = Trust::assess(Some(0.70), true, false);
        assert!(!at.trusted());
        assert_eq!(at.doubts, vec![Doubt::Khat(Verdict::Bad)]);
        let below = Trust::assess(Some(0.6999), true, false);
        assert!(below.trusted(), "{below:?}");
        assert_eq!(below.verdict, Verdict::Ok);
        assert_eq!(Verdict::from_khat(Some(0.4999)), Verdict::Good);
        assert_eq!(Verdict::from_khat(Some(0.5)), Verdict::Ok);
    }

    #[test]
    fn every_doubt_is_named() {
        let t = Trust::assess(None, false, true);
        assert_eq!(
            t.doubts,
            vec![
                Doubt::Khat(Verdict::Unavailable),
                Doubt::NotConverged,
                Doubt::RescuedByStepControl
            ]
        );
        assert!(!Trust::assess(Some(f64::NAN), true, false).trusted());
        assert_eq!(Doubt::Khat(Verdict::Bad).to_string(), "PSIS k̂ ≥ 0.7");
    }
}
