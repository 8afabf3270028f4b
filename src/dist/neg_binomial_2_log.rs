//! `neg_binomial_2_log` — neg_binomial_2_log(eta, phi): neg_binomial_2 with mean exp(eta)

use super::draw;
use super::neg_binomial_2::digamma_diff;
use super::poisson::draw_poisson;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, inv_logit, lchoose, log1p_exp};

pub struct NegBinomial2Log;

const SPEC: DistSpec = DistSpec {
    name: "neg_binomial_2_log",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[
        ArgSpec::new("eta", ArgShape::Elem, Domain::Real),
        ArgSpec::new("phi", ArgShape::Elem, Domain::Positive),
    ],
    doc: "neg_binomial_2_log(eta, phi): neg_binomial_2 with mean exp(eta)",
};

impl Univariate for NegBinomial2Log {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, eta, phi) = (x[0], x[1], x[2]);
        // With t = eta - log(phi) = log(mu / phi):
        // lchoose(y+phi-1, y) + y t - (y + phi) log1p_exp(t).
        let t = eta - phi.ln();
        lchoose(y + phi - 1.0, y) + y * t - (y + phi) * log1p_exp(t)
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let (y, eta, phi) = (x[0], x[1], x[2]);
        let t = eta - phi.ln();
        let l = log1p_exp(t);
        let s = inv_logit(t);
        let w = (y + phi) * s;
        d[0] = T::zero();
        d[1] = y - w;
        d[2] = digamma_diff(phi, y.re()) - (y - w) / phi - l;
        lchoose(y + phi - 1.0, y) + y * t - (y + phi) * l
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        let (mu, phi) = (args[0].exp(), args[1]);
        let rate = draw(rand_distr::Gamma::new(phi, mu / phi), rng);
        draw_poisson(rate, rng)
    }
}
