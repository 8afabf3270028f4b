//! `neg_binomial_2` — neg_binomial_2(mu, phi): mean mu > 0, precision phi > 0, variance mu + mu^2 / phi

use super::draw;
use super::poisson::draw_poisson;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, digamma, lchoose, log_beta_lower, log_beta_upper};

pub struct NegBinomial2;

const SPEC: DistSpec = DistSpec {
    name: "neg_binomial_2",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[
        ArgSpec::new("mu", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("phi", ArgShape::Elem, Domain::Positive),
    ],
    doc: "neg_binomial_2(mu, phi): mean mu > 0, precision phi > 0, variance mu + mu^2 / phi",
};

impl Univariate for NegBinomial2 {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, mu, phi) = (x[0], x[1], x[2]);
        // (y+phi-1 choose y) (mu/(mu+phi))^y (phi/(mu+phi))^phi, with
        // log(phi/(mu+phi)) = -log1p(mu/phi) accurate for large phi.
        lchoose(y + phi - 1.0, y) + y * (mu.ln() - phi.ln()) - (y + phi) * (mu / phi).ln_1p()
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let (y, mu, phi) = (x[0], x[1], x[2]);
        let l = (mu / phi).ln_1p();
        let inv_mp = (mu + phi).recip();
        d[0] = T::zero();
        d[1] = y / mu - (y + phi) * inv_mp;
        d[2] = digamma_diff(phi, y.re()) + (mu - y) * inv_mp - l;
        lchoose(y + phi - 1.0, y) + y * (mu.ln() - phi.ln()) - (y + phi) * l
    }

    const HAS_CDF: bool = true;

    /// F(y) = I_p(phi, y + 1) with p = phi / (mu + phi).
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        let (y, mu, phi) = (x[0].re(), x[1], x[2]);
        let p = phi / (mu + phi);
        let q = (mu / (mu + phi)).re();
        log_beta_lower(phi, T::from(y + 1.0), p, q)
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        let (y, mu, phi) = (x[0].re(), x[1], x[2]);
        let p = phi / (mu + phi);
        let q = (mu / (mu + phi)).re();
        log_beta_upper(phi, T::from(y + 1.0), p, q)
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        let (mu, phi) = (args[0], args[1]);
        let rate = draw(rand_distr::Gamma::new(phi, mu / phi), rng);
        draw_poisson(rate, rng)
    }
}

/// ψ(phi + y) − ψ(phi) for a count y: a finite sum for moderate y, which
/// avoids the cancellation of two nearly equal digammas when phi is large.
pub(crate) fn digamma_diff<T: Scalar>(phi: T, y: f64) -> T {
    if y <= 64.0 {
        let mut s = T::zero();
        let mut j = 0.0;
        while j < y {
            s += (phi + j).recip();
            j += 1.0;
        }
        s
    } else {
        digamma(phi + y) - digamma(phi)
    }
}
