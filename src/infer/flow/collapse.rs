//! Collapse: a run that cannot converge because the target has no optimum
//! within reach along some coordinate, told apart from one that converges
//! slowly.
//!
//! Two signs, both in the model's unconstrained coordinates:
//!
//! - **Drift** ([`Watch::drift`]), checked at every ELBO check: a
//!   coordinate's mean under q has moved, since the run's first check, by
//!   at least [`TOTAL_SDS`] of its current sds; over the last [`SPAN`]
//!   checks it kept moving the same way by at least [`SPAN_SDS`] sd, the
//!   second half of that span at least [`SETTLING`] times and at most
//!   1/[`SETTLING`] times as fast (per unit of flow time Σh, so that step
//!   control changing h does not count) as the first, and over the last
//!   interval between checks at least [`SETTLING`] times the span's average
//!   rate; and the ELBO rose over the span. A run that converges, even
//!   slowly, slows down geometrically as it nears its optimum (the second
//!   half of a span of an exponential approach e^(−λt) moves e^(−λT/2) as
//!   fast as the first, and by the time the total reaches ten sds a
//!   converging run has long slowed); a scale running to a boundary where
//!   the density grows without bound (an improper prior heavier than
//!   1/scale, a mixture component on repeated values) moves at a steady
//!   rate for ever, the ELBO rising with it. A run that climbs out of a
//!   poor region (q started in the neck of a hierarchical funnel, where
//!   the group scale is tiny, is at a local optimum it leaves slowly, then
//!   ever faster) accelerates instead, and stops once it is out: neither
//!   looks like a steady drift.
//! - **Flat** ([`flat_direction`]), checked when the stopping rule fires and
//!   when the budget's final window begins: the log density at q's mean
//!   moved [`PROBE_SDS`], twice and four times as many marginal sds along one
//!   coordinate falls by less than [`FLAT_DROP`] nats at each point (up to
//!   [`FLAT_PROBE_MAX_DIM`] coordinates, as it costs 2·d log densities). A
//!   Gaussian fitted by KL to a proper posterior is never that narrow: the
//!   density must fall within a few of its sds, and (unlike a q stuck at a
//!   poor local optimum, where one point may happen to be as high) it keeps
//!   falling further out. This
//!   is what a flat, improper posterior looks like (a coefficient with no
//!   prior on separated data): its gradient vanishes over most of q, the
//!   natural-gradient rule sees nothing, and q stops wherever the noise left
//!   it.

use super::Flow;
use super::iteration::{AffineBatch, Check};
use crate::infer::Target;
use crate::infer::family::{Family, Param};
use crate::infer::termination::Collapse;

/// Checks in the span over which a drift must go on.
pub(super) const SPAN: usize = 8;
/// Smallest displacement since the first check, in current sds.
const TOTAL_SDS: f64 = 10.0;
/// Smallest displacement over the span, in current sds.
const SPAN_SDS: f64 = 1.0;
/// Smallest ratio of the second half's rate of displacement to the first's.
const SETTLING: f64 = 0.5;
/// How far the flatness probe looks, in q's marginal sds: the nearest of
/// the points it tries, each twice as far as the one before.
pub(super) const PROBE_SDS: f64 = crate::infer::termination::COLLAPSE_PROBE_SDS;
/// Points the probe tries on each side.
const PROBE_POINTS: usize = 3;
/// The most the log density may fall over the probe for it to count as flat.
pub(super) const FLAT_DROP: f64 = 1.0;
/// Largest dimension probed: the probe costs up to 2·d log densities of
/// O(d) each, which above this would outweigh the fit (O(d) per iteration
/// for mean-field).
pub(super) const FLAT_PROBE_MAX_DIM: usize = 1000;

impl<T: Target> Flow<'_, '_, '_, T> {
    /// At a check: a drift, and when the stopping rule has just fired, a
    /// flat direction.
    pub(super) fn collapse(
        &mut self,
        batch: &mut AffineBatch<'_, '_, T>,
        check: &Check,
    ) -> Option<Collapse> {
        let elbo = check.elbo.filter(|_| check.due)?;
        self.map.to_outer(
            self.fam,
            &self.theta,
            &mut self.outer_theta,
            &mut self.map_tmp,
        );
        if let Some(c) = self
            .watch
            .drift(self.fam, &self.outer_theta, self.flow_time, elbo)
        {
            return Some(c);
        }
        if check.fired && !self.averaging {
            return self.flat_direction(batch);
        }
        None
    }

    /// The flatness probe from the current q (module docs).
    pub(super) fn flat_direction(
        &mut self,
        batch: &mut AffineBatch<'_, '_, T>,
    ) -> Option<Collapse> {
        if self.fam.d > FLAT_PROBE_MAX_DIM {
            return None;
        }
        self.map.to_outer(
            self.fam,
            &self.theta,
            &mut self.outer_theta,
            &mut self.map_tmp,
        );
        let target = batch.target().inner();
        let mut workspace = target.workspace();
        let (mean, sd) = self.watch.moments(self.fam, &self.outer_theta);
        let mut evaluations = 0;
        let found = flat_direction(mean, sd, &mut self.probe_x, |x| {
            evaluations += 1;
            target.log_density(&mut workspace, x)
        });
        self.out.density_evals += evaluations;
        found
    }
}

/// The means, log sds, flow time and ELBO at the last `SPAN + 1` checks.
pub(super) struct Watch {
    d: usize,
    first_mean: Vec<f64>,
    means: Vec<f64>,
    log_sds: Vec<f64>,
    times: Vec<f64>,
    elbos: Vec<f64>,
    /// Checks recorded since the last reset.
    count: usize,
    mean: Vec<f64>,
    sd: Vec<f64>,
}

impl Watch {
    pub fn new(d: usize) -> Watch {
        Watch {
            d,
            first_mean: vec![0.0; d],
            means: vec![0.0; (SPAN + 1) * d],
            log_sds: vec![0.0; (SPAN + 1) * d],
            times: vec![0.0; SPAN + 1],
            elbos: vec![0.0; SPAN + 1],
            count: 0,
            mean: vec![0.0; d],
            sd: vec![0.0; d],
        }
    }

    /// Forgets the history (after a rollback to a checkpoint).
    pub fn reset(&mut self) {
        self.count = 0;
    }

    /// q's marginal means and sds from θ in the model's coordinates.
    pub fn moments(&mut self, fam: Family, theta: &[f64]) -> (&[f64], &[f64]) {
        marginal_moments(fam, theta, &mut self.mean, &mut self.sd);
        (&self.mean, &self.sd)
    }

    /// Records the check at flow time `time` with ELBO `elbo` (θ in the
    /// model's coordinates) and says whether a coordinate drifts.
    pub fn drift(&mut self, fam: Family, theta: &[f64], time: f64, elbo: f64) -> Option<Collapse> {
        let d = self.d;
        marginal_moments(fam, theta, &mut self.mean, &mut self.sd);
        if self.mean.iter().chain(&self.sd).any(|v| !v.is_finite()) {
            return None;
        }
        if self.count == 0 {
            self.first_mean.copy_from_slice(&self.mean);
        }
        let slot = self.count % (SPAN + 1);
        self.means[slot * d..(slot + 1) * d].copy_from_slice(&self.mean);
        for (l, s) in self.log_sds[slot * d..(slot + 1) * d]
            .iter_mut()
            .zip(&self.sd)
        {
            *l = s.max(f64::MIN_POSITIVE).ln();
        }
        self.times[slot] = time;
        self.elbos[slot] = elbo;
        self.count += 1;
        if self.count <= SPAN {
            return None;
        }
        let old = self.count % (SPAN + 1);
        let mid = (self.count - 1 - SPAN / 2) % (SPAN + 1);
        if !(elbo > self.elbos[old]) {
            return None;
        }
        let first_time = self.times[mid] - self.times[old];
        let second_time = time - self.times[mid];
        if !(first_time > 0.0 && second_time > 0.0) {
            return None;
        }
        let prev = (self.count - 2) % (SPAN + 1);
        let last_time = time - self.times[prev];
        if !(last_time > 0.0) {
            return None;
        }
        let mut found: Option<(usize, f64, bool)> = None;
        for i in 0..d {
            let (now, sd) = (self.mean[i], self.sd[i]);
            let total = now - self.first_mean[i];
            let span = now - self.means[old * d + i];
            let first = self.means[mid * d + i] - self.means[old * d + i];
            let second = now - self.means[mid * d + i];
            let last = now - self.means[prev * d + i];
            let steady = first * total > 0.0
                && second * total > 0.0
                && second.abs() / second_time >= SETTLING * first.abs() / first_time
                && second.abs() / second_time <= first.abs() / first_time / SETTLING
                && last * total > 0.0
                && last.abs() / last_time >= SETTLING * span.abs() / (first_time + second_time);
            let far = total.abs() >= TOTAL_SDS * sd && span.abs() >= SPAN_SDS * sd;
            if steady && far && found.is_none_or(|(_, t, _)| total.abs() / sd > t) {
                found = Some((i, total.abs() / sd, total > 0.0));
            }
        }
        found.map(|(coordinate, _, rising)| Collapse {
            coordinate,
            rising,
            flat: false,
        })
    }
}

/// Which coordinate, if any, the log density `log_p` (in the model's
/// coordinates, `x` a scratch of length d) is flat along from q's mean:
/// falling by less than [`FLAT_DROP`] over [`PROBE_SDS`] marginal sds.
pub(super) fn flat_direction(
    mean: &[f64],
    sd: &[f64],
    x: &mut Vec<f64>,
    mut log_p: impl FnMut(&[f64]) -> f64,
) -> Option<Collapse> {
    x.clear();
    x.extend_from_slice(mean);
    let at_mean = log_p(x);
    if !at_mean.is_finite() {
        return None;
    }
    for i in 0..mean.len() {
        if !(sd[i].is_finite() && sd[i] > 0.0) {
            continue;
        }
        // The log density at the farthest probe on each side where it is
        // flat. Flat both ways (a tiny sd, as at a scale's spike near 0,
        // where 40 sds are no distance), q was headed where the density is
        // higher.
        let mut farthest = [None; 2];
        for (side, slot) in [1.0, -1.0].into_iter().zip(farthest.iter_mut()) {
            let mut last = None;
            for k in 0..PROBE_POINTS {
                let far = PROBE_SDS * (1u32 << k) as f64;
                x[i] = mean[i] + side * far * sd[i];
                let there = log_p(x);
                if !(there.is_finite() && there >= at_mean - FLAT_DROP) {
                    last = None;
                    break;
                }
                last = Some(there);
            }
            x[i] = mean[i];
            *slot = last;
        }
        let rising = match farthest {
            [Some(up), Some(down)] => up >= down,
            [Some(_), None] => true,
            [None, Some(_)] => false,
            [None, None] => continue,
        };
        return Some(Collapse {
            coordinate: i,
            rising,
            flat: true,
        });
    }
    None
}

/// The marginal means and sds of q (a mixture's overall ones) from θ in
/// the model's coordinates.
fn marginal_moments(fam: Family, theta: &[f64], mean: &mut [f64], sd: &mut [f64]) {
    let d = fam.d;
    let kk = fam.components();
    mean.fill(0.0);
    sd.fill(0.0); // second moments first
    let logits = fam.logits(theta);
    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = logits.iter().map(|a| (a - top).exp()).sum();
    for k in 0..kk {
        let w = if kk > 1 {
            (logits[k] - top).exp() / total
        } else {
            1.0
        };
        let m = fam.mean(theta, k);
        let s = fam.scale(theta, k);
        for i in 0..d {
            let var = match fam.param {
                Param::Diag => s[i] * s[i],
                Param::LogDiag => (2.0 * s[i]).exp(),
                Param::LowRank(_) => {
                    let (diag, factor) = s.split_at(d);
                    crate::infer::family::marginal_variance(diag, factor, i)
                }
                _ => s[i * d..(i + 1) * d].iter().map(|v| v * v).sum(),
            };
            mean[i] += w * m[i];
            sd[i] += w * (var + m[i] * m[i]);
        }
    }
    for i in 0..d {
        sd[i] = (sd[i] - mean[i] * mean[i]).max(0.0).sqrt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::choices::FamilyKind;

    /// θ of a mean-field q with these means and sds.
    fn theta(mean: &[f64], sd: &[f64]) -> Vec<f64> {
        mean.iter().chain(sd).copied().collect()
    }

    fn run(
        watch: &mut Watch,
        fam: Family,
        path: impl Fn(usize) -> (f64, f64, f64),
    ) -> Option<(usize, Collapse)> {
        for k in 0..60 {
            let (m, s, elbo) = path(k);
            let c = watch.drift(fam, &theta(&[0.5, m], &[1.0, s]), k as f64, elbo);
            if let Some(c) = c {
                return Some((k, c));
            }
        }
        None
    }

    /// A mean moving at a steady rate with the ELBO rising is caught, with
    /// its coordinate and direction; an exponential approach to an optimum
    /// 30 sds away is not, down to a rate of 0.2 per check (slower ones,
    /// whose second half-span still moves more than half as fast as the
    /// first, cannot be told from a drift).
    #[test]
    fn a_steady_drift_is_caught_and_a_slow_approach_is_not() {
        let fam = Family::new(FamilyKind::MeanField, 2, false);
        let mut w = Watch::new(2);
        let (k, c) = run(&mut w, fam, |k| (-0.3 * k as f64, 0.3, 0.3 * k as f64)).unwrap();
        assert_eq!((c.coordinate, c.rising, c.flat), (1, false, false));
        // ten sds of 0.3 = 3 units at 0.3 per check: from the tenth check on
        assert!((10..=12).contains(&k), "{k}");
        for rate in [0.2, 0.3, 0.5, 1.0, 2.0] {
            let mut w = Watch::new(2);
            let approach = |k: usize| {
                let left = (-rate * k as f64).exp();
                (30.0 * (1.0 - left), 1.0, -left)
            };
            assert!(run(&mut w, fam, approach).is_none(), "rate {rate}");
        }
        // A climb out of a funnel's neck: the mean accelerates (by 1.3× per
        // check, so the second half of a span moves 2.9× as fast as the
        // first) over 30 sds, then stops: never a collapse.
        let mut w = Watch::new(2);
        let escape = |k: usize| {
            let m = 0.02 * 1.3f64.powf(k.min(25) as f64);
            (m, 0.3, 10.0 * m)
        };
        assert!(run(&mut w, fam, escape).is_none());
        // A steady stretch that stops just when q narrows enough for it to
        // count ten sds: the last interval moved too little.
        let mut w = Watch::new(2);
        let stops = |k: usize| {
            let m = 0.1 * k.min(25) as f64 + 0.001 * k.saturating_sub(25) as f64;
            (m, if k <= 25 { 0.3 } else { 0.2 }, m)
        };
        assert!(run(&mut w, fam, stops).is_none());
        // A drift whose ELBO does not rise is no collapse.
        let mut w = Watch::new(2);
        assert!(run(&mut w, fam, |k| (-0.3 * k as f64, 0.3, -0.1 * k as f64)).is_none());
    }

    /// The probe finds the side along which the density does not fall.
    #[test]
    fn a_flat_side_is_found() {
        let mut x = Vec::new();
        // log p = −(a²)/2 − softplus(−b): flat as b → +∞
        let log_p = |v: &[f64]| -0.5 * v[0] * v[0] - (1.0 + (-v[1]).exp()).ln();
        let c = flat_direction(&[0.0, 5.0], &[1.0, 2.0], &mut x, log_p).unwrap();
        assert_eq!((c.coordinate, c.rising, c.flat), (1, true, true));
        let normal = |v: &[f64]| -0.5 * (v[0] * v[0] + v[1] * v[1]);
        assert!(flat_direction(&[0.0, 0.0], &[1.0, 1.0], &mut x, normal).is_none());
        // As high 10 sds out but falling beyond (a second bump): not flat.
        let bump = |v: &[f64]| -0.5 * v[0] * v[0] + 60.0 * (-0.5 * (v[0] - 10.0).powi(2)).exp();
        assert!(flat_direction(&[0.0], &[1.0], &mut x, bump).is_none());
        // Heavy tails still fall: a Cauchy of scale 1 probed from a q of sd 1.
        let cauchy = |v: &[f64]| -(1.0 + v[0] * v[0]).ln();
        assert!(flat_direction(&[0.0], &[1.0], &mut x, cauchy).is_none());
        // A spike at a scale's lower end: log p = −150 t in t = log τ, q at
        // t = −36 with sd 1e-5. 40 sds either way change log p by 0.06, flat
        // both ways; the density is higher below, so the scale shrinks (it
        // was reported as growing before).
        let spike = |v: &[f64]| -150.0 * v[0];
        let c = flat_direction(&[-36.0], &[1e-5], &mut x, spike).unwrap();
        assert_eq!((c.coordinate, c.rising, c.flat), (0, false, true));
        let c = flat_direction(&[-36.0], &[1e-5], &mut x, |v| 150.0 * v[0]).unwrap();
        assert!(c.rising);
    }

    #[test]
    fn the_moments_of_a_dense_scale_are_its_row_norms() {
        let fam = Family::new(FamilyKind::FullRank, 2, false);
        let mut w = Watch::new(2);
        let (m, s) = w.moments(fam, &[1.0, 2.0, 3.0, 0.0, 4.0, 3.0]);
        assert_eq!(m, &[1.0, 2.0]);
        assert!((s[0] - 3.0).abs() < 1e-12 && (s[1] - 5.0).abs() < 1e-12);
    }
}
