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
