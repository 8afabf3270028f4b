//! Draws from q and their importance weights: the numbers behind a fit's
//! diagnostics (handed to [`crate::diagnose`]) and the PSIS-resampled
//! output draws.
//!
//! Draw i of a diagnosis uses stream (seed, DIAG, i), so the same draws
//! serve every restart (common random numbers), and the output draws can be
//! resampled from the very proposals the diagnostics were computed from.
//!
//! For a Gaussian q every fifth proposal is *defensive*: drawn from q
//! widened [`DEFENSIVE_WIDTH`] times, and every proposal weighted against
//! the mixture ⅘ q + ⅕ q_wide it comes from (defensive importance
//! sampling). A q fitted by reverse KL is too narrow where the posterior
//! has a long or skewed tail; its own draws rarely reach that tail, so
//! neither k̂ nor the resampled summaries could see it. The wide draws do,
//! and the mixture's weights stay bounded where q's would explode. In high
//! dimension the wide draws land where the posterior has no mass and get
//! no weight, costing at most a fifth of the effective sample size. The
//! ELBO (and a divergence's objective) come from q's own draws alone.

use super::batch::Batch;
use super::choices::Divergence;
use super::divergence::Objective;
use super::family::{Approximation, Factors, Family, pick};
use super::{Target, streams};
use crate::diagnose::{self, Diagnostics, psis};
use crate::random::stream;
use rand::RngExt;
use rand_distr::StandardNormal;

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

/// Doubles per per-sample buffer that a diagnosis fills at a time: the
/// proposals are evaluated in chunks of about this many coordinates, so a
/// high-dimensional q needs O(d) memory, not O(draws · d).
const CHUNK_BUDGET: usize = 1 << 21;
/// The largest draws × d whose points are kept for resampling; beyond it
/// the resampled points are drawn again from their random streams.
const KEEP_BUDGET: usize = 1 << 24;

/// The points, log π̃ and log weights of proposals (points only when
/// `keep_points`): `log_weights` against the proposals' mixture, `log_q`
/// q's own log density.
struct Drawn {
    x: Vec<f64>,
    log_p: Vec<f64>,
    log_q: Vec<f64>,
    log_weights: Vec<f64>,
    defensive: bool,
}

impl Drawn {
    /// Whether proposal i was drawn from q itself.
    fn drawn_from_q(&self, i: usize) -> bool {
        !(self.defensive && i % DEFENSIVE_EVERY == DEFENSIVE_EVERY - 1)
    }

    /// log π̃ and log π̃ − log q of q's own draws.
    fn own(&self) -> (Vec<f64>, Vec<f64>) {
        (0..self.log_p.len())
            .filter(|&i| self.drawn_from_q(i))
            .map(|i| {
                let lp = self.log_p[i];
                (lp, diagnose::log_weight(lp, self.log_q[i]))
            })
            .unzip()
    }
}

/// One proposal in [`DEFENSIVE_EVERY`] of a Gaussian q's diagnosis is
/// defensive (the last of each group).
pub const DEFENSIVE_EVERY: usize = 5;
/// How many times wider than q the defensive proposals are drawn.
pub const DEFENSIVE_WIDTH: f64 = 2.0;

/// A prepared approximation and its component weights.
struct Prepared {
    fam: Family,
    theta: Vec<f64>,
    factors: Factors,
    weights: Vec<f64>,
    /// Whether every [`DEFENSIVE_EVERY`]-th proposal is defensive (a
    /// single Gaussian; a mixture spreads its own components).
    defensive: bool,
}

impl Prepared {
    fn new(approx: &Approximation) -> Option<Prepared> {
        let (fam, theta, factors) = approx.prepared().ok()?;
        let weights: Vec<f64> = (0..fam.components()).map(|k| factors.weight(k)).collect();
        Some(Prepared {
            fam,
            theta,
            factors,
            defensive: weights.len() == 1,
            weights,
        })
    }

    /// Whether proposal i is drawn from the widened q.
    fn is_defensive(&self, i: usize) -> bool {
        self.defensive && i % DEFENSIVE_EVERY == DEFENSIVE_EVERY - 1
    }

    /// log of the proposals' mixture density at a point where q's log
    /// density is `log_q` and its standardised noise is `eps` (x = μ + S ε):
    /// q_wide(x) = q(μ + S ε / c) / cᵈ.
    /// For the low-rank family the noise has d + R entries: ‖ξ‖² is not
    /// the Mahalanobis distance r² = (x − μ)ᵀ Σ⁻¹ (x − μ), which comes from
    /// log q itself, r² = 2 (log q(μ) − log q(x)).
    fn log_proposal(&self, log_q: f64, eps: &[f64]) -> f64 {
        if !self.defensive {
            return log_q;
        }
        let c = DEFENSIVE_WIDTH;
        let d = self.fam.d;
        let r2: f64 = match self.factors.entropy() {
            Some(h) if self.fam.rank().is_some() => {
                // log q(μ) = d/2 − H for the entropy H.
                2.0 * (0.5 * d as f64 - h - log_q).max(0.0)
            }
            _ => eps.iter().map(|e| e * e).sum(),
        };
        let log_wide = log_q + 0.5 * r2 * (1.0 - 1.0 / (c * c)) - d as f64 * c.ln();
        let f = 1.0 / DEFENSIVE_EVERY as f64;
        let (a, b) = ((1.0 - f).ln() + log_q, f.ln() + log_wide);
        let m = a.max(b);
        m + ((a - m).exp() + (b - m).exp()).ln()
    }

    /// Draw i of stream (seed, DIAG, i): its component, noise `eps` and
    /// point `x`.
    fn point(&self, seed: u64, i: usize, eps: &mut [f64], x: &mut [f64]) -> usize {
        let mut rng = stream(seed, &[streams::DIAG, i as u64]);
        let k = if self.weights.len() > 1 {
            pick(&self.weights, rng.random())
        } else {
            0
        };
        let width = if self.is_defensive(i) {
            DEFENSIVE_WIDTH
        } else {
            1.0
        };
        for e in eps.iter_mut() {
            *e = width * rng.sample::<f64, _>(StandardNormal);
        }
        self.factors.transform(&self.theta, k, eps, x);
        k
    }
}

/// Draws `n` points from q with log π̃ and log q, in chunks that bound the
/// batch's buffers; `None` when the approximation is not usable.
fn draw<T: Target>(
    batch: &mut Batch<'_, T>,
    approx: &Approximation,
    n: usize,
    seed: u64,
    keep_points: bool,
) -> Option<Drawn> {
    let q = Prepared::new(approx)?;
    let d = q.fam.d;
    let chunk = (CHUNK_BUDGET / d.max(1)).clamp(1, n.max(1));
    let mut drawn = Drawn {
        x: Vec::with_capacity(if keep_points { n * d } else { 0 }),
        log_p: Vec::with_capacity(n),
        log_q: Vec::with_capacity(n),
        log_weights: Vec::with_capacity(n),
        defensive: q.defensive,
    };
    let mut start = 0;
    while start < n {
        let len = chunk.min(n - start);
        batch.run(len, |j, target, ws, s| {
            let k = q.point(seed, start + j, s.eps, s.x);
            *s.logp = target.log_density(ws, s.x);
            *s.logq = q
                .factors
                .log_q_score(&q.theta, k, s.eps, s.x, s.score, s.scratch);
        });
        for j in 0..len {
            let s = batch.get(j);
            if keep_points {
                drawn.x.extend_from_slice(s.x);
            }
            drawn.log_p.push(s.logp);
            drawn.log_q.push(s.logq);
            let proposal = q.log_proposal(s.logq, s.eps);
            drawn
                .log_weights
                .push(diagnose::log_weight(s.logp, proposal));
        }
        start += len;
    }
    Some(drawn)
}

/// The diagnostics of `approx` from `n` draws (normally
/// [`diagnose::proposals`] of the output draws), those draws, and the
/// objective `divergence` minimises estimated from them (−ELBO for KL; see
/// [`Divergence::objective`]).
pub(crate) fn evaluate<T: Target>(
    batch: &mut Batch<'_, T>,
    approx: &Approximation,
    n: usize,
    seed: u64,
    divergence: Divergence,
) -> (Diagnostics, Option<Proposals>, Objective) {
    let none = Objective {
        value: f64::NAN,
        se: f64::NAN,
    };
    let keep = n.saturating_mul(approx.dim()) <= KEEP_BUDGET;
    let Some(drawn) = (n > 0)
        .then(|| draw(batch, approx, n, seed, keep))
        .flatten()
    else {
        return (Diagnostics::unavailable(), None, none);
    };
    // The ELBO, the CUBO and the divergence's objective are expectations
    // under q: its own draws. k̂, the evidence and the effective sample
    // sizes are those of the whole pool the output is resampled from.
    let (own_log_p, own_log_weights) = drawn.own();
    let mut diagnostics = Diagnostics::from_draws(
        &own_log_p,
        &own_log_weights,
        approx.entropy(),
        divergence.is_mass_covering(),
    );
    if drawn.defensive {
        diagnostics.reweight(&drawn.log_p, &drawn.log_weights);
    }
    diagnostics.weight_shift =
        diagnose::shift::weight_shift(&drawn.x, &drawn.log_weights, |i| drawn.drawn_from_q(i));
    let objective = if divergence.is_kl() {
        Objective {
            value: -diagnostics.elbo,
            se: diagnostics.elbo_se,
        }
    } else {
        // log q = log π̃ − log w where both are finite; a draw where π̃ is
        // zero has weight 0 and its log q is not used
        let m = own_log_p.len();
        divergence.objective(
            m,
            |i| own_log_weights[i],
            |i| {
                let lq = own_log_p[i] - own_log_weights[i];
                if lq.is_finite() { lq } else { 0.0 }
            },
            |_| 1.0 / m as f64,
        )
    };
    let Drawn { x, log_weights, .. } = drawn;
    let kept = keep.then_some(Proposals {
        seed,
        x,
        log_weights,
    });
    (diagnostics, kept, objective)
}

/// Diagnoses a given approximation against a target (e.g. one read from a
/// fit file) from [`diagnose::proposals`]`(draws)` draws;
/// `mass_covering` adds the CUBO.
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
    let mut batch = batch_for(target, fam, draws, threads)?;
    let divergence = if mass_covering {
        Divergence::Fkl
    } else {
        Divergence::Kl
    };
    Ok(evaluate(
        &mut batch,
        approx,
        diagnose::proposals(draws),
        seed,
        divergence,
    )
    .0)
}

/// Buffers for `draws` draws of the family `fam` on `threads` threads.
fn batch_for<T: Target>(
    target: &T,
    fam: Family,
    draws: usize,
    threads: usize,
) -> Result<Batch<'_, T>, String> {
    Batch::new(
        target,
        threads.max(1),
        draws,
        Factors::scratch_len(fam),
        false,
    )
    .map(|b| b.with_noise_len(fam.noise_len()))
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
    if fam.d != target.dim() {
        return Err("the approximation and the model have different dimensions".into());
    }
    let mut batch = batch_for(target, fam, draws, threads)?;
    let keep = draws.saturating_mul(fam.d) <= KEEP_BUDGET;
    let drawn =
        draw(&mut batch, approx, draws, seed, keep).ok_or("the approximation cannot be sampled")?;
    if keep {
        return resample(
            &Proposals {
                seed,
                x: drawn.x,
                log_weights: drawn.log_weights,
            },
            n_out,
        );
    }
    // Too many points to keep: draw the picked ones again.
    let q = Prepared::new(approx).ok_or("the approximation cannot be sampled")?;
    let mut eps = vec![0.0; fam.d];
    let mut x = vec![0.0; fam.d];
    resample_by(&drawn.log_weights, seed, n_out, fam.d, |i, out| {
        q.point(seed, i, &mut eps, &mut x);
        out.extend_from_slice(&x);
    })
}

/// `n_out` draws resampled from `proposals` by their Pareto-smoothed
/// importance weights (row-major `n_out × d`), with their k̂.
pub fn resample(proposals: &Proposals, n_out: usize) -> Result<(Vec<f64>, Option<f64>), String> {
    let draws = proposals.log_weights.len();
    if draws == 0 || proposals.x.len() % draws != 0 {
        return Err("no proposals to resample from".into());
    }
    let d = proposals.x.len() / draws;
    resample_by(
        &proposals.log_weights,
        proposals.seed,
        n_out,
        d,
        |i, out| out.extend_from_slice(&proposals.x[i * d..(i + 1) * d]),
    )
}

/// Systematic PSIS resampling of the proposals with `log_weights`; `point(i,
/// out)` appends proposal i's point.
fn resample_by(
    log_weights: &[f64],
    seed: u64,
    n_out: usize,
    d: usize,
    mut point: impl FnMut(usize, &mut Vec<f64>),
) -> Result<(Vec<f64>, Option<f64>), String> {
    if log_weights.is_empty() {
        return Err("no proposals to resample from".into());
    }
    let p = psis::psis(log_weights);
    if !p.log_weights.iter().any(|v| v.is_finite()) {
        return Err("every draw from the approximation has zero importance weight".into());
    }
    let offset: f64 = stream(seed, &[streams::RESAMPLE]).random::<f64>();
    let mut out = Vec::with_capacity(n_out * d);
    for i in systematic(&p.log_weights, n_out, offset) {
        point(i, &mut out);
    }
    Ok((out, p.khat))
}

/// Systematic resampling: one uniform `offset` and `n_out` evenly spaced
/// points, so each proposal is kept ⌊n_out·w⌋ or ⌈n_out·w⌉ times; the
/// summaries of the output carry far less resampling noise than with
/// independent multinomial picks. Returns the indices picked.
fn systematic(log_weights: &[f64], n_out: usize, offset: f64) -> impl Iterator<Item = usize> {
    let cum: Vec<f64> = log_weights
        .iter()
        .scan(0.0, |acc, v| {
            *acc += v.exp();
            Some(*acc)
        })
        .collect();
    let total = *cum.last().unwrap_or(&1.0);
    let last = log_weights.len() - 1;
    (0..n_out).map(move |j| {
        let u = (j as f64 + offset) / n_out as f64 * total;
        cum.partition_point(|&c| c <= u).min(last)
    })
}
