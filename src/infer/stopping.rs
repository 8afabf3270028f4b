//! Stan's relative-ELBO stopping rule (advi.hpp): every `eval_every`
//! iterations the relative change |ΔELBO| / max(1, |ELBO|) is pushed into a
//! circular buffer of size max(0.1 · iters / eval_every, 2); the run has
//! converged when the mean or the median of the buffer is below `tol`.
//!
//! Stan starts from a previous ELBO of 0, so its first change is 1 and the
//! rule cannot fire before the third evaluation; ADVI keeps that. `bw` and
//! `fbgvi` instead evaluate the initial q as the baseline and require two
//! changes in the buffer, which amounts to the same minimum of three
//! evaluations. The median is Stan's: the element at index ⌊n/2⌋ of the
//! sorted buffer (the upper middle for even n).
//!
//! Stan's rule alone stops too early on slow directions: a relative change
//! of 1 % of an ELBO of −2700 is 27 nats, while q is still far from the
//! optimum along a flat direction, and near an ELBO of 0 a change of 1 % is
//! below the jitter of a converged q. For `bw` and `fbgvi`
//! [`NaturalGradient`] replaces it with a rule on the ascent direction itself, whitened by the current scale S (Sᵀ applied to
//! the mean and scale blocks). For the mean block this is the natural
//! gradient: near the optimum E[∇log π] ≈ −Σ⁻¹(μ − μ*), so Sᵀ E[∇log π] ≈
//! −S⁻¹(μ − μ*), the distance to the optimal mean in posterior standard
//! deviations along each whitened axis, whatever the coordinates of the
//! flow. For the scale block Sᵀ E[g εᵀ] = Sᵀ E[∇²log π] S + I, whose
//! symmetric part is about 2δ when q's sd is off by a factor 1 + δ. Averaged
//! over a window (the average of Euler directions is also the net
//! displacement divided by h·W, so a drifting q fails the test) and compared
//! with a tolerance per entry, this says directly whether the returned q is
//! within a fraction of a posterior sd of the optimum. When the window
//! average is too noisy to decide, the engine doubles the window.
//!
//! For the f-divergences other than KL the same whitened direction, with
//! the self-normalised weights of `estimator`, measures the distance to the
//! divergence's own optimum in the same units: writing p_α ∝ p^α q^{1−α},
//! the mean block is S⁻¹(E_{p_α}[x] − μ)/α, which near the optimum is
//! S⁻¹(μ* − μ), and the scale block is E_{p_α}[εεᵀ] − I ≈ 2δ (for forward
//! KL exactly E_p[εεᵀ] − I, whatever the target's shape). But the weights
//! keep the per-sample directions noisy at the optimum (r is not constant
//! there), and a window can pass by chance while its average iterate is
//! still far off: with d_t = −A(θ_t − θ*) + ξ_t, the window's average
//! iterate is θ̄ = θ* + A⁻¹(ξ̄ − d̄), so |d̄| small is not enough — ξ̄, whose
//! standard error is the window's se (the directions' sd / √W), must be
//! small too. For these divergences a window passes only when every entry
//! has |d̄| + 2·se within its tolerance ([`NaturalGradient::precise`]);
//! windows double until the noise allows it, up to a quarter of the
//! iteration budget, and a run that never gets there reaches the iteration
//! limit and says so instead of reporting convergence. Standard errors only
//! mean something when the directions have a finite variance: a window
//! shorter than 100 iterations, or whose pooled weights r^α have a Pareto
//! tail with k̂ ≥ ½ (infinite variance; the flow checks this), cannot pass.
//! (Forward KL from a Gaussian to a Student-t has k = 1 for every q: the
//! typical batch misses the tail that sets the optimal sd, and the fits
//! came out 3–6 % narrow whatever the normalisation of the weights — per
//! batch, leave-one-out, Pareto-smoothed — or 256 samples; such a fit is
//! reported as not converged, with the reason.)
//!
//! A drift-free window is not yet an unbiased one. With a constant step h
//! the iterates jitter around their fixed point with a whitened spread of
//! about √(h·σ²/2) (σ² the per-iteration variance of the whitened
//! direction, unit rate near the optimum), and because the flow is not
//! linear their average is off by an amount second order in that spread —
//! a bias no window average of directions can see, as the directions
//! average to zero around the biased point. For forward KL on a
//! three-component mixture the sd came out 0.9 % wide at h = 1/8 and 0.1 %
//! at h = 1/16 (64 samples, 32 seeds, step control off). So a precise rule
//! also asks that the spread be at most half the tolerance
//! ([`NaturalGradient::spread_too_large`]); a window that would pass with a
//! wider spread halves the step for the rest of the run instead.

use super::choices::Algorithm;
use super::config::FitConfig;
use super::family::{Factors, Family, LowRankStep, Param, marginal_variance};

/// The rule that ends the optimisation phase of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum StoppingRule {
    /// [`NaturalGradient`] with this tolerance in posterior sd (`bw`,
    /// `fbgvi`).
    NaturalGradient(f64),
    /// Stan's [`RelativeElbo`] rule with this tolerance.
    RelativeElbo(f64),
}

impl StoppingRule {
    /// The rule of a configuration: the natural-gradient rule when it has a
    /// tolerance and the algorithm is not `advi`, Stan's otherwise.
    pub fn of(config: &FitConfig) -> StoppingRule {
        match config.grad_tol {
            Some(g) if config.algorithm != Algorithm::Advi => StoppingRule::NaturalGradient(g),
            _ => StoppingRule::RelativeElbo(config.tol),
        }
    }

    /// The rule as met, in words.
    pub fn met(&self) -> String {
        match self {
            StoppingRule::NaturalGradient(g) => format!("natural gradient below {g} posterior sd"),
            StoppingRule::RelativeElbo(t) => format!("relative ELBO change below {t}"),
        }
    }

    /// The rule's tolerance, in words.
    pub fn tolerance(&self) -> String {
        match self {
            StoppingRule::NaturalGradient(g) => {
                format!("natural-gradient tolerance {g} posterior sd")
            }
            StoppingRule::RelativeElbo(t) => format!("relative ELBO tolerance {t}"),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct RelativeElbo {
    tol: f64,
    buf: Vec<f64>,
    cap: usize,
    head: usize,
    prev: Option<f64>,
    min_entries: usize,
    sorted: Vec<f64>,
    pub last_mean: f64,
    pub last_median: f64,
}

impl RelativeElbo {
    /// `stan_start`: begin from a previous ELBO of 0 as Stan does.
    pub fn new(tol: f64, iters: usize, eval_every: usize, stan_start: bool) -> Self {
        let cap = ((0.1 * iters as f64 / eval_every as f64) as usize).max(2);
        RelativeElbo {
            tol,
            buf: Vec::with_capacity(cap),
            cap,
            head: 0,
            prev: if stan_start { Some(0.0) } else { None },
            min_entries: if stan_start { 1 } else { 2 },
            sorted: Vec::with_capacity(cap),
            last_mean: f64::INFINITY,
            last_median: f64::INFINITY,
        }
    }

    /// Records an ELBO evaluation; true when the rule fires.
    pub fn push(&mut self, elbo: f64) -> bool {
        let Some(prev) = self.prev.replace(elbo) else {
            return false;
        };
        let rel = if elbo.is_finite() && prev.is_finite() {
            (elbo - prev).abs() / elbo.abs().max(1.0)
        } else {
            f64::INFINITY
        };
        if self.buf.len() < self.cap {
            self.buf.push(rel);
        } else {
            self.buf[self.head] = rel;
            self.head = (self.head + 1) % self.cap;
        }
        self.sorted.clear();
        self.sorted.extend_from_slice(&self.buf);
        self.sorted.sort_by(f64::total_cmp);
        self.last_mean = self.buf.iter().sum::<f64>() / self.buf.len() as f64;
        self.last_median = self.sorted[self.sorted.len() / 2];
        self.buf.len() >= self.min_entries
            && (self.last_mean < self.tol || self.last_median < self.tol)
    }

    /// Stan's "may be diverging" condition (checked after 10 evaluations).
    pub fn diverging(&self) -> bool {
        self.last_mean > 0.5 || self.last_median > 0.5
    }
}

/// What a window of whitened directions says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Window {
    /// Every averaged entry is within its tolerance.
    Pass,
    /// Some entry is not, and the average is precise enough to tell that q
    /// is still moving.
    Moving,
    /// The Monte Carlo noise of the average is too large to decide.
    Noisy,
}

/// The natural-gradient rule (module docs): running sums of whitened
/// directions over one window.
pub(crate) struct NaturalGradient {
    tol: Vec<f64>,
    sum: Vec<f64>,
    sum2: Vec<f64>,
    w: Vec<f64>,
    tmp: Vec<f64>,
    count: usize,
    wfr: bool,
    /// A window passes only if every entry's |mean| + 2·se is within its
    /// tolerance (module docs), and the failure of a window at its largest
    /// size is not excused as noise.
    pub precise: bool,
    /// max |mean| / tolerance of the last window (for reports).
    pub last_ratio: f64,
    /// max over entries of the per-iteration variance of the whitened
    /// direction over tolerance², in the last window: with an Euler step h
    /// the iterates jitter around their fixed point with a whitened spread
    /// of about √(h·variance/2) (see [`NaturalGradient::spread_too_large`]).
    pub last_variance: f64,
}

/// Largest noise-to-tolerance ratio (standard error of a window average
/// over its tolerance) at which a failed test still counts as "moving".
const NOISY: f64 = 0.35;
/// The same for a [`NaturalGradient::precise`] rule: a window whose
/// standard errors exceed a quarter of the tolerance cannot pass.
const NOISY_PRECISE: f64 = 0.25;
/// The shortest window a precise rule certifies: the standard error of a
/// shorter average of heavy-tailed directions is itself too uncertain.
const PRECISE_MIN_WINDOW: usize = 100;

impl NaturalGradient {
    pub fn new(fam: Family, tol: f64, wfr: bool, precise: bool) -> Self {
        let n = fam.n_params();
        // scale entries ≈ 2δ for an sd off by 1 + δ: 2·tol allows δ = tol,
        // a precise rule asks for δ ≤ tol/2 (its bias and noise come on top)
        let mut t = vec![if precise { tol } else { 2.0 * tol }; n];
        for k in 0..fam.components() {
            let o = fam.mean_offset(k);
            for v in &mut t[o..o + fam.d] {
                *v = tol;
            }
        }
        NaturalGradient {
            tol: t,
            sum: vec![0.0; n],
            sum2: vec![0.0; n],
            w: vec![0.0; n],
            tmp: vec![0.0; fam.square_len()],
            count: 0,
            wfr,
            precise,
            last_ratio: f64::INFINITY,
            last_variance: f64::INFINITY,
        }
    }

    /// Adds the direction `dir` taken at θ. With `low_rank` (a single
    /// general scale, the draws of the batch the direction came from) a
    /// scale block of rank n along the draws is whitened in O(n d²).
    pub fn add(
        &mut self,
        fam: Family,
        theta: &[f64],
        factors: &Factors,
        dir: &[f64],
        low_rank: Option<&mut LowRankStep>,
    ) {
        let d = fam.d;
        let step = match low_rank {
            Some(step) if fam.param == Param::Dense => {
                let ok = step.recover(&dir[d..d + d * d], 0.0);
                ok.then_some(step)
            }
            _ => None,
        };
        match step {
            Some(step) => whiten_low_rank(fam, theta, dir, step, &mut self.w, &mut self.tmp),
            None => whiten(
                fam,
                theta,
                factors,
                dir,
                self.wfr,
                &mut self.w,
                &mut self.tmp,
            ),
        }
        for i in 0..self.w.len() {
            let v = self.w[i];
            self.sum[i] += v;
            self.sum2[i] += v * v;
        }
        self.count += 1;
    }

    /// The verdict on the window so far; `last_chance` (the window cannot
    /// grow any more) accepts a failure explained by 2.5 standard errors of
    /// noise. Resets the sums.
    pub fn close(&mut self, last_chance: bool) -> Window {
        let short = self.precise && self.count < PRECISE_MIN_WINDOW;
        let n = self.count.max(1) as f64;
        let (mut ratio, mut noise, mut excess, mut bound) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let mut variance = 0.0f64;
        for i in 0..self.sum.len() {
            let m = self.sum[i] / n;
            let var = (self.sum2[i] / n - m * m).max(0.0) * n / (n - 1.0).max(1.0);
            let se = (var / n).sqrt();
            let t = self.tol[i];
            ratio = ratio.max(m.abs() / t);
            noise = noise.max(se / t);
            excess = excess.max((m.abs() - 2.5 * se) / t);
            bound = bound.max((m.abs() + 2.0 * se) / t);
            variance = variance.max(var / (t * t));
        }
        self.sum.fill(0.0);
        self.sum2.fill(0.0);
        self.count = 0;
        self.last_ratio = ratio;
        self.last_variance = variance;
        if !(ratio.is_finite() && noise.is_finite()) {
            Window::Moving
        } else if self.precise {
            if short {
                Window::Noisy
            } else if bound <= 1.0 {
                Window::Pass
            } else if noise > NOISY_PRECISE {
                Window::Noisy
            } else {
                Window::Moving
            }
        } else if ratio <= 1.0 || (last_chance && excess <= 1.0) {
            Window::Pass
        } else if noise > NOISY {
            Window::Noisy
        } else {
            Window::Moving
        }
    }
}

impl NaturalGradient {
    /// Whether Euler steps of size `h` leave the iterates of the last window
    /// jittering too much for a precise rule to certify them (module docs):
    /// a whitened spread √(h·σ²/2) above [`SPREAD`] tolerances, σ² the
    /// per-iteration variance of the whitened direction.
    pub fn spread_too_large(&self, h: f64) -> bool {
        self.precise && !(0.5 * h * self.last_variance <= SPREAD * SPREAD)
    }
}

/// Largest stationary spread of the iterates of a precise rule, in
/// tolerances: the bias of their average is second order in it, about
/// (SPREAD·tol)² = 0.06 % for the default tolerance.
const SPREAD: f64 = 0.5;

/// [`whiten`] for a single general scale whose direction's scale block is
/// U Vᵀ (U recovered in `step`): Sᵀ U Vᵀ = (Sᵀ U) Vᵀ in O(n d²).
fn whiten_low_rank(
    fam: Family,
    theta: &[f64],
    dir: &[f64],
    step: &mut LowRankStep,
    out: &mut [f64],
    tmp: &mut [f64],
) {
    let (d, n) = (fam.d, step.n);
    let s = fam.scale(theta, 0);
    for j in 0..d {
        out[j] = (0..d).map(|i| s[i * d + j] * dir[i]).sum();
    }
    // Rows y_s = Sᵀ u_s, kept in `step.wu` (free until the next step).
    for r in 0..n {
        let y = &mut step.wu[r * d..(r + 1) * d];
        y.fill(0.0);
        for i in 0..d {
            let ui = step.u[r * d + i];
            if ui != 0.0 {
                for (yv, sv) in y.iter_mut().zip(&s[i * d..(i + 1) * d]) {
                    *yv += ui * sv;
                }
            }
        }
    }
    tmp[..d * d].fill(0.0);
    for r in 0..n {
        let (y, v) = (&step.wu[r * d..(r + 1) * d], &step.v[r * d..(r + 1) * d]);
        for a in 0..d {
            let ya = y[a];
            for (t, vb) in tmp[a * d..(a + 1) * d].iter_mut().zip(v) {
                *t += ya * vb;
            }
        }
    }
    for a in 0..d {
        for b in 0..d {
            out[d + a * d + b] = 0.5 * (tmp[a * d + b] + tmp[b * d + a]);
        }
    }
}

/// The direction whitened by the current scales: Sₖᵀ on the mean and scale
/// blocks of each component (s ⊙ for diagonal scales), the scale block
/// symmetrised (its antisymmetric part only rotates S and leaves q alone);
/// mixture components and logits divided by the weight factor the
/// estimator put in front of them.
pub(crate) fn whiten(
    fam: Family,
    theta: &[f64],
    factors: &Factors,
    dir: &[f64],
    wfr: bool,
    out: &mut [f64],
    tmp: &mut [f64],
) {
    let d = fam.d;
    out.copy_from_slice(dir);
    let kk = fam.components();
    for k in 0..kk {
        let w = if kk > 1 && !wfr {
            factors.weight(k).max(1e-300)
        } else {
            1.0
        };
        let mo = fam.mean_offset(k);
        let so = fam.scale_offset(k);
        let s = fam.scale(theta, k);
        match fam.param {
            Param::Diag => {
                for i in 0..d {
                    out[mo + i] = s[i] * dir[mo + i];
                    out[so + i] = s[i] * dir[so + i];
                }
            }
            Param::LogDiag => {
                for i in 0..d {
                    out[mo + i] = s[i].exp() * dir[mo + i];
                }
            }
            Param::LowRank(r) => {
                // The direction is already preconditioned by Σ (see
                // `family::diag_low_rank`): near the optimum the mean block
                // is μ* − μ and the W block the change of W, so row i is
                // divided by q's marginal sd σᵢ, and the D block, a change
                // of D, by D itself; every entry is zero at the optimum.
                let (diag, factor) = s.split_at(d);
                for i in 0..d {
                    let sd = marginal_variance(diag, factor, i).sqrt();
                    out[mo + i] = dir[mo + i] / sd;
                    out[so + i] = dir[so + i] / diag[i].abs();
                    for j in 0..r {
                        let k = so + d + i * r + j;
                        out[k] = dir[k] / sd;
                    }
                }
            }
            _ => {
                // mean: Sᵀ g
                for j in 0..d {
                    let mut v = 0.0;
                    for i in 0..d {
                        v += s[i * d + j] * dir[mo + i];
                    }
                    out[mo + j] = v / w;
                }
                // scale: V = Sᵀ D, then its symmetric part
                let dd = &dir[so..so + d * d];
                tmp.fill(0.0);
                for i in 0..d {
                    for a in 0..d {
                        let sia = s[i * d + a];
                        if sia != 0.0 {
                            let row = &dd[i * d..(i + 1) * d];
                            let t = &mut tmp[a * d..(a + 1) * d];
                            for (tv, r) in t.iter_mut().zip(row) {
                                *tv += sia * r;
                            }
                        }
                    }
                }
                for a in 0..d {
                    for b in 0..d {
                        out[so + a * d + b] = 0.5 * (tmp[a * d + b] + tmp[b * d + a]) / w;
                    }
                }
            }
        }
    }
    if kk > 1 {
        for j in 0..kk {
            let rho = if wfr {
                1.0
            } else {
                factors.weight(j).max(1e-300)
            };
            out[j] = dir[j] / rho;
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    /// A precise window whose whitened directions alternate ±σ (mean 0,
    /// per-iteration variance σ²·W/(W−1)) passes, and the spread test
    /// flags steps h with √(h·σ²/2) above half the tolerance, not below.
    #[test]
    fn spread_is_judged_from_the_step_and_the_direction_variance() {
        let fam = Family::new(crate::infer::choices::FamilyKind::MeanField, 1, false);
        let mut factors = Factors::new(fam);
        let theta = [0.0, 1.0];
        assert!(factors.prepare(&theta));
        let tol = 0.05;
        let sigma = 0.5;
        let mut ng = NaturalGradient::new(fam, tol, false, true);
        let w = 200;
        for t in 0..w {
            let v = if t % 2 == 0 { sigma } else { -sigma };
            ng.add(fam, &theta, &factors, &[v, v], None);
        }
        assert_eq!(ng.close(false), Window::Noisy, "se σ/√W = 0.035 > tol/4");
        let var = sigma * sigma * w as f64 / (w - 1) as f64;
        assert!((ng.last_variance - var / (tol * tol)).abs() < 1e-9);
        // spread² = h·var/2 against (tol/2)²
        let h_edge = 2.0 * (0.5 * tol).powi(2) / var;
        assert!(ng.spread_too_large(1.01 * h_edge));
        assert!(!ng.spread_too_large(0.99 * h_edge));
    }

    /// A scale direction of rank n along the draws is whitened as the
    /// dense rule whitens it.
    #[test]
    fn a_low_rank_direction_is_whitened_as_a_dense_one() {
        let (d, n) = (5, 2);
        let fam = Family::new(crate::infer::choices::FamilyKind::FullRank, d, false);
        let wave = |k: usize| ((k * 37 % 11) as f64 - 5.0) / 4.0;
        let mut theta = vec![0.0; fam.n_params()];
        for k in 0..d * d {
            theta[d + k] = wave(k) + if k % (d + 1) == 0 { 3.0 } else { 0.0 };
        }
        let mut factors = Factors::new(fam);
        assert!(factors.prepare(&theta));
        let mut step = LowRankStep::new(n, d);
        let v: Vec<f64> = (0..n * d).map(|k| wave(k + 3)).collect();
        step.set_noise(|s| &v[s * d..(s + 1) * d]);
        let mut dir = vec![0.0; fam.n_params()];
        for i in 0..d {
            dir[i] = wave(i + 7);
            for j in 0..d {
                dir[d + i * d + j] = (0..n).map(|s| wave(s * d + i + 1) * v[s * d + j]).sum();
            }
        }
        let mut dense = NaturalGradient::new(fam, 0.05, false, false);
        let mut low = NaturalGradient::new(fam, 0.05, false, false);
        dense.add(fam, &theta, &factors, &dir, None);
        low.add(fam, &theta, &factors, &dir, Some(&mut step));
        for (a, b) in dense.w.iter().zip(&low.w) {
            assert!((a - b).abs() < 1e-12 * (1.0 + a.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn stan_start_needs_three_evaluations() {
        let mut r = RelativeElbo::new(0.01, 10_000, 100, true);
        assert!(!r.push(-100.0)); // change 1 vs the initial 0
        assert!(!r.push(-100.0)); // buffer [1, 0]: mean .5, median (upper) 1
        assert!(r.push(-100.0)); // [1, 0, 0]: median 0
    }

    #[test]
    fn baseline_start_needs_two_changes_and_uses_max_one() {
        let mut r = RelativeElbo::new(0.01, 10_000, 50, false);
        assert!(!r.push(0.3));
        assert!(!r.push(0.305)); // |Δ| / max(1, |ELBO|) = 0.005, one entry only
        assert!(r.push(0.309));
        let mut r = RelativeElbo::new(0.01, 10_000, 50, false);
        r.push(-10.0);
        r.push(-5.0);
        assert!(!r.push(-4.0));
        assert!(r.diverging());
    }
}
