//! The maths of the divergences (algorithms.md §5): for D_f(p‖q) =
//! E_q[f(r)], r = π̃/q, the particle weight ω(r) = r² f″(r) = c·r^α that
//! multiplies each sample's path-derivative direction, and
//! h(r) = r f′(r) − f(r), from which mixture weights learn.
//!
//! | divergence  | c   | α   |
//! |-------------|-----|-----|
//! | `kl`        | 1   | 0   |
//! | `fkl`       | 1   | 1   |
//! | `chi2`      | 2   | 2   |
//! | `hellinger` | ½   | ½   |
//! | `alpha:A`   | 1   | A   |

use super::choices::Divergence;

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

/// An estimate of the objective a fit minimises, J(q) = D(p‖q) − const
/// with a constant that depends on the target alone (its normaliser Z), so
/// estimates for different q — restarts, successive iterates — compare
/// like the divergence itself, with its Monte Carlo standard error:
///
/// | divergence | J |
/// |---|---|
/// | KL(q‖p) (α = 0) | −ELBO = KL(q‖p) − log Z |
/// | KL(p‖q) (α = 1) | −E_p[log q] = KL(p‖q) − E_p[log p] |
/// | power, α ∉ {0, 1} | log E_q[r^α] / (α(α−1)) = log(1 + α(α−1)·D_α) / (α(α−1)) + α log Z / (α(α−1)) |
///
/// (D_α the Amari α-divergence of normalised p, which the last J follows
/// monotonically.) E_p is taken by self-normalised importance sampling.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Objective {
    pub value: f64,
    pub se: f64,
}

impl Objective {
    /// Whether `self` is worse than `earlier` by more than `sigmas` joint
    /// standard errors plus `slack` nats plus `relative`·|earlier|.
    pub fn worse_than(&self, earlier: &Objective, sigmas: f64, slack: f64, relative: f64) -> bool {
        let se = (earlier.se.powi(2) + self.se.powi(2)).sqrt();
        !(self.value <= earlier.value + sigmas * se + slack + relative * earlier.value.abs())
    }
}

impl Divergence {
    /// J from `n` draws of q with log π̃ − log q = `lr(i)`, log q = `lq(i)`
    /// and probability `mass(i)` (summing to one). For KL the ELBO with
    /// its closed-form entropy is the better estimate; this one is −Ê[log r].
    pub fn objective(
        &self,
        n: usize,
        lr: impl Fn(usize) -> f64,
        lq: impl Fn(usize) -> f64,
        mass: impl Fn(usize) -> f64,
    ) -> Objective {
        let (_, a) = self.power();
        if n == 0 {
            return Objective {
                value: f64::NAN,
                se: f64::NAN,
            };
        }
        if a == 0.0 {
            let (mut m, mut m2) = (0.0, 0.0);
            for i in 0..n {
                let (v, w) = (lr(i), mass(i));
                m += w * v;
                m2 += w * v * v;
            }
            let se = ((m2 - m * m).max(0.0) * effective_inverse(n, &mass)).sqrt();
            return Objective { value: -m, se };
        }
        // Weights exp(β log r − shift), β = α (power) or 1 (the E_p of KL(p‖q)).
        let beta = if a == 1.0 { 1.0 } else { a };
        let shift = (0..n)
            .map(|i| beta * lr(i))
            .filter(|v| !v.is_nan())
            .fold(f64::NEG_INFINITY, f64::max);
        if !shift.is_finite() {
            // every weight 0 (α > 0) or some infinite (α < 0): the objective
            // is not finite for this q
            return Objective {
                value: f64::INFINITY,
                se: f64::INFINITY,
            };
        }
        let (mut s, mut s2) = (0.0, 0.0);
        for i in 0..n {
            let u = mass(i) * (beta * lr(i) - shift).exp();
            s += u;
            s2 += u * u;
        }
        if a == 1.0 {
            // −E_p[log q] by self-normalised weights u/s
            let mut m = 0.0;
            for i in 0..n {
                let u = mass(i) * (lr(i) - shift).exp() / s;
                if u > 0.0 {
                    m -= u * lq(i);
                }
            }
            let mut var = 0.0;
            for i in 0..n {
                let u = mass(i) * (lr(i) - shift).exp() / s;
                if u > 0.0 {
                    var += u * u * (-lq(i) - m).powi(2);
                }
            }
            return Objective {
                value: m,
                se: var.sqrt(),
            };
        }
        // log of the mean, and its delta-method standard error
        let scale = a * (a - 1.0);
        let value = (shift + s.ln()) / scale;
        let rel_var = (s2 / (s * s) - effective_inverse(n, &mass)).max(0.0);
        Objective {
            value,
            se: rel_var.sqrt() / scale.abs(),
        }
    }
}

/// Σ mass², i.e. 1/n for equal masses: the variance factor of a weighted
/// mean of independent draws.
fn effective_inverse(n: usize, mass: &impl Fn(usize) -> f64) -> f64 {
    (0..n).map(|i| mass(i) * mass(i)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

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

#[cfg(test)]
mod objective_tests {
    use super::*;

    /// J against closed forms for p̃ = Z·N(0, 1) and q = N(μ, s²), with
    /// q's expectation taken on a fine grid (masses ∝ q): the estimator's
    /// algebra (shift, self-normalisation, sign and scale) for every kind.
    #[test]
    fn objective_matches_closed_forms_for_gaussians() {
        let log_z: f64 = 0.7;
        let l2pi = (2.0 * std::f64::consts::PI).ln();
        let log_p = |x: f64| log_z - 0.5 * l2pi - 0.5 * x * x;
        for (mu, s) in [(0.3f64, 1.2f64), (-0.8, 0.7), (0.0, 1.0)] {
            let log_q = |x: f64| -0.5 * l2pi - s.ln() - 0.5 * ((x - mu) / s).powi(2);
            let n = 8001;
            let xs: Vec<f64> = (0..n)
                .map(|i| mu + s * (-14.0 + 28.0 * i as f64 / (n - 1) as f64))
                .collect();
            let qs: Vec<f64> = xs.iter().map(|&x| log_q(x).exp()).collect();
            let total: f64 = qs.iter().sum();
            for div in [
                Divergence::Kl,
                Divergence::Fkl,
                Divergence::Chi2,
                Divergence::Hellinger,
                Divergence::Alpha(-1.0),
                Divergence::Alpha(-2.5),
                Divergence::Alpha(0.3),
            ] {
                let (_, a) = div.power();
                let want = if a == 0.0 {
                    -(log_z - 0.5 * l2pi - 0.5 * (s * s + mu * mu)) + (-0.5 * l2pi - s.ln() - 0.5)
                } else if a == 1.0 {
                    0.5 * l2pi + s.ln() + (1.0 + mu * mu) / (2.0 * s * s)
                } else {
                    let ia = a + (1.0 - a) / (s * s);
                    if ia <= 0.0 {
                        continue;
                    }
                    let b = (1.0 - a) * mu / (s * s);
                    let c = (1.0 - a) * mu * mu / (s * s);
                    let log_i = -0.5 * l2pi - (1.0 - a) * s.ln()
                        + 0.5 * (l2pi - ia.ln())
                        + 0.5 * (b * b / ia - c);
                    (a * log_z + log_i) / (a * (a - 1.0))
                };
                let got = div.objective(
                    n,
                    |i| log_p(xs[i]) - log_q(xs[i]),
                    |i| log_q(xs[i]),
                    |i| qs[i] / total,
                );
                assert!(
                    (got.value - want).abs() < 1e-6 * (1.0 + want.abs()),
                    "{div} μ {mu} s {s}: {} vs {want}",
                    got.value
                );
            }
        }
    }

    /// At q = p (r constant) the estimates that depend on r alone are exact:
    /// standard error 0.
    #[test]
    fn objective_has_no_error_when_r_is_constant() {
        for div in [Divergence::Kl, Divergence::Chi2, Divergence::Alpha(-1.0)] {
            let o = div.objective(50, |_| 0.4, |i| -(i as f64) * 0.1, |_| 0.02);
            assert!(o.value.is_finite() && o.se.abs() < 1e-9, "{div}: {o:?}");
        }
    }
}
