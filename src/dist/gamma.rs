//! `gamma` — gamma(alpha, beta): shape alpha > 0 and RATE beta > 0; mean alpha / beta

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, digamma, lgamma, log_gamma_lower, log_gamma_upper};

pub struct Gamma;

const SPEC: DistSpec = DistSpec {
    name: "gamma",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("beta", ArgShape::Elem, Domain::Positive),
    ],
    doc: "gamma(alpha, beta): shape alpha > 0 and RATE beta > 0; mean alpha / beta",
};

impl Univariate for Gamma {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, a, b) = (x[0], x[1], x[2]);
        a * b.ln() - lgamma(a) + (a - 1.0) * y.ln() - b * y
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let (y, a, b) = (x[0], x[1], x[2]);
        let (ly, lb) = (y.ln(), b.ln());
        d[0] = (a - 1.0) / y - b;
        d[1] = lb - digamma(a) + ly;
        d[2] = a / b - y;
        a * lb - lgamma(a) + (a - 1.0) * ly - b * y
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_lower(x[1], x[0] * x[2])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_upper(x[1], x[0] * x[2])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::Gamma::new(args[0], 1.0 / args[1]), rng)
    }
}
