//! Diagnostics of a fit: PSIS k-hat, effective sample sizes, ELBO and evidence bounds.
//!
//! After every fit, `draws` independent draws θ_s ~ q give log weights
//! lw_s = log π̃(θ_s) − log q(θ_s), from which:
//! - ELBO = E_q[log π̃] + H(q) (closed-form entropy for Gaussians, the mean of
//!   lw for mixtures) with its Monte Carlo standard error;
//! - PSIS k̂ ([`psis`]): < 0.5 good, < 0.7 ok, otherwise do not trust q;
//! - log Ẑ = log mean exp(lw), the importance-sampling estimate of the log
//!   normaliser of π̃ (ELBO ≤ log Z in expectation);
//! - for mass-covering divergences the χ² upper bound
//!   CUBO₂ = ½ log mean exp(2 lw) ≥ log Z (in the limit of many draws);
//! - the effective sample size of the raw and of the smoothed weights.

#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

pub mod psis;

use crate::infer::{Approximation, Batch, Factors, FitConfig, Target};
use crate::random::stream;
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What k̂ says about q.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// k̂ < 0.5: importance weights have finite variance; q is close.
    Good,
    /// 0.5 ≤ k̂ < 0.7: usable with Pareto smoothing.
    Ok,
    /// k̂ ≥ 0.7: q is a poor fit; do not trust it.
    Bad,
    /// Too few distinct weights to fit a tail.
    Unavailable,
}

impl Verdict {
    pub fn from_khat(khat: Option<f64>) -> Verdict {
        match khat {
            Some(k) if k < 0.5 => Verdict::Good,
            Some(k) if k < 0.7 => Verdict::Ok,
            Some(_) => Verdict::Bad,
            None => Verdict::Unavailable,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Good => "good",
            Verdict::Ok => "ok",
            Verdict::Bad => "do not trust",
            Verdict::Unavailable => "unavailable",
        })
    }
}

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
}

impl Diagnostics {
    /// Whether the Pareto-smoothed importance weights can correct q's
    /// summaries (k̂ < 0.7). A Gaussian q is biased even at its optimum (it
    /// cannot follow a scale that depends on other parameters, a skewed
    /// marginal); when the weights are reliable, resampling by them removes
    /// most of that bias, as Pathfinder does by default. Beyond 0.7 the
    /// weights' variance is effectively infinite and resampling would only
    /// hide how poor q is.
    pub fn psis_reliable(&self) -> bool {
        matches!(self.verdict, Verdict::Good | Verdict::Ok)
    }

    /// Warnings for the user, in words.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(k) = self.khat
            && k >= 0.7
        {
            w.push(format!(
                "PSIS k̂ = {k:.2} ≥ 0.7: the approximation is a poor fit to the posterior; do not \
                 trust its summaries (try --family fullrank or mixture:K, or check the model)"
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

/// Draws from q into the batch: draw i uses stream (seed, DIAG, i), so the
/// same draws serve every restart (common random numbers).
fn draw<T: Target>(batch: &mut Batch<'_, T>, approx: &Approximation, n: usize, seed: u64) -> bool {
    let Ok((fam, theta, factors)) = approx.prepared() else {
        return false;
    };
    let weights: Vec<f64> = (0..fam.components()).map(|k| factors.weight(k)).collect();
    batch.run(n, |i, target, ws, s| {
        let mut rng = stream(seed, &[crate::infer::streams::DIAG, i as u64]);
        let k = if weights.len() > 1 {
            crate::infer::family_pick(&weights, rng.random())
        } else {
            0
        };
        for e in s.eps.iter_mut() {
            *e = rng.sample(StandardNormal);
        }
        factors.transform(&theta, k, s.eps, s.x);
        *s.logp = target.log_density(ws, s.x);
        *s.logq = factors.log_q_score(&theta, k, s.eps, s.x, s.score, s.scratch);
    });
    true
}

/// Draws from q behind the diagnostics of a fit asking for `draws` output
/// draws: four per output draw, at least 1000. The PSIS-resampled output
/// draws are picked from exactly these (same seed, same streams), and k̂
/// is estimated from their largest weights, 3√n of them: from 1000 draws
/// (95 weights) it varies enough between seeds to flip a verdict near 0.7.
pub fn proposals(draws: usize) -> usize {
    if draws == 0 { 0 } else { (4 * draws).max(1000) }
}

/// The draws from q behind a fit's diagnostics, kept so that the output
/// draws can be resampled from them without evaluating the model again.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposals {
    /// The seed they were drawn with (stream (seed, DIAG, i) for draw i).
    pub seed: u64,
    /// Unconstrained points, row-major `n × d`.
    pub x: Vec<f64>,
    /// log π̃(x) − log q(x), −∞ where log π̃ is not finite.
    pub log_weights: Vec<f64>,
}

/// Diagnostics from the batch's threads and buffers.
pub(crate) fn evaluate<T: Target>(
    batch: &mut Batch<'_, T>,
    approx: &Approximation,
    config: &FitConfig,
) -> Diagnostics {
    evaluate_keeping(batch, approx, config).0
}

/// [`evaluate`], also returning the draws it used.
pub(crate) fn evaluate_keeping<T: Target>(
    batch: &mut Batch<'_, T>,
    approx: &Approximation,
    config: &FitConfig,
) -> (Diagnostics, Option<Proposals>) {
    let n = proposals(config.draws);
    let mass_covering = config.divergence.is_mass_covering();
    if n == 0 || !draw(batch, approx, n, config.seed) {
        let none = Diagnostics {
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
        };
        return (none, None);
    }
    let mut lw = Vec::with_capacity(n);
    let mut lp = Vec::with_capacity(n);
    let mut xs = Vec::with_capacity(n * approx.dim());
    let mut bad = 0;
    for i in 0..n {
        let s = batch.get(i);
        xs.extend_from_slice(s.x);
        let p = if s.logp.is_nan() {
            f64::NEG_INFINITY
        } else {
            s.logp
        };
        if !p.is_finite() {
            bad += 1;
        }
        lp.push(p);
        lw.push(p - s.logq);
    }
    let dg = summarize(&lw, &lp, approx.entropy(), mass_covering, bad);
    let kept = Proposals {
        seed: config.seed,
        x: xs,
        log_weights: lw,
    };
    (dg, Some(kept))
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

fn summarize(
    lw: &[f64],
    lp: &[f64],
    entropy: Option<f64>,
    mass_covering: bool,
    bad: usize,
) -> Diagnostics {
    let n = lw.len();
    let nf = n as f64;
    let (elbo, elbo_se) = match entropy {
        Some(h) => {
            let (m, se) = mean_se(lp);
            (m + h, se)
        }
        None => mean_se(lw),
    };
    let lse = psis::log_sum_exp(lw);
    let log_evidence = lse - nf.ln();
    // delta method: se(log mean w) = sd(w) / (mean(w) √n)
    let log_evidence_se = {
        let m = lw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = lw.iter().map(|v| (v - m).exp()).collect();
        let (mw, sew) = mean_se(&w);
        sew / mw
    };
    let cubo = mass_covering.then(|| {
        let two: Vec<f64> = lw.iter().map(|v| 2.0 * v).collect();
        0.5 * (psis::log_sum_exp(&two) - nf.ln())
    });
    let p = psis::psis(lw);
    Diagnostics {
        draws: n,
        elbo,
        elbo_se,
        khat: p.khat,
        verdict: Verdict::from_khat(p.khat),
        log_evidence,
        log_evidence_se,
        cubo,
        ess: psis::ess(lw),
        psis_ess: psis::ess(&p.log_weights),
        nonfinite_draws: bad,
    }
}

/// Diagnoses a given approximation against a target (e.g. one read from a
/// fit file). `divergence_mass_covering` adds the CUBO.
pub fn diagnose<T: Target>(
    target: &T,
    approx: &Approximation,
    draws: usize,
    seed: u64,
    threads: usize,
    mass_covering: bool,
) -> Result<Diagnostics, String> {
    let (fam, _, _) = approx.prepared()?;
    if fam.d != target.dim() {
        return Err(format!(
            "the approximation has dimension {} but the model has {}",
            fam.d,
            target.dim()
        ));
    }
    let mut batch = Batch::new(
        target,
        threads.max(1),
        draws,
        Factors::scratch_len(fam),
        false,
    )?;
    let config = FitConfig {
        draws,
        seed,
        divergence: if mass_covering {
            crate::infer::Divergence::Fkl
        } else {
            crate::infer::Divergence::Kl
        },
        ..FitConfig::default()
    };
    Ok(evaluate(&mut batch, approx, &config))
}

/// Draws from q resampled by their Pareto-smoothed importance weights
/// (PSIS-corrected draws), row-major `n_out × d`, with the k̂ of the
/// `draws` proposals they come from.
pub fn psis_resample<T: Target>(
    target: &T,
    approx: &Approximation,
    draws: usize,
    n_out: usize,
    seed: u64,
    threads: usize,
) -> Result<(Vec<f64>, Option<f64>), String> {
    let (fam, _, _) = approx.prepared()?;
    let d = fam.d;
    if d != target.dim() {
        return Err("the approximation and the model have different dimensions".into());
    }
    let mut batch = Batch::new(
        target,
        threads.max(1),
        draws,
        Factors::scratch_len(fam),
        false,
    )?;
    draw(&mut batch, approx, draws, seed);
    let mut x = Vec::with_capacity(draws * d);
    let log_weights: Vec<f64> = (0..draws)
        .map(|i| {
            let s = batch.get(i);
            x.extend_from_slice(s.x);
            if s.logp.is_nan() {
                f64::NEG_INFINITY
            } else {
                s.logp - s.logq
            }
        })
        .collect();
    resample(
        &Proposals {
            seed,
            x,
            log_weights,
        },
        n_out,
    )
}

/// `n_out` draws resampled from `proposals` by their Pareto-smoothed
/// importance weights (row-major `n_out × d`), with their k̂.
pub fn resample(proposals: &Proposals, n_out: usize) -> Result<(Vec<f64>, Option<f64>), String> {
    let draws = proposals.log_weights.len();
    if draws == 0 || proposals.x.len() % draws != 0 {
        return Err("no proposals to resample from".into());
    }
    let d = proposals.x.len() / draws;
    let seed = proposals.seed;
    let p = psis::psis(&proposals.log_weights);
    if !p.log_weights.iter().any(|v| v.is_finite()) {
        return Err("every draw from the approximation has zero importance weight".into());
    }
    let cum: Vec<f64> = p
        .log_weights
        .iter()
        .scan(0.0, |acc, v| {
            *acc += v.exp();
            Some(*acc)
        })
        .collect();
    let total = *cum.last().unwrap_or(&1.0);
    // Systematic resampling: one uniform offset and n_out evenly spaced
    // points, so each proposal is kept ⌊n_out·w⌋ or ⌈n_out·w⌉ times; the
    // summaries of the output carry far less resampling noise than with
    // independent multinomial picks.
    let offset: f64 = stream(seed, &[crate::infer::streams::RESAMPLE]).random::<f64>();
    let mut out = Vec::with_capacity(n_out * d);
    for j in 0..n_out {
        let u = (j as f64 + offset) / n_out as f64 * total;
        let i = cum.partition_point(|&c| c <= u).min(draws - 1);
        out.extend_from_slice(&proposals.x[i * d..(i + 1) * d]);
    }
    Ok((out, p.khat))
}
