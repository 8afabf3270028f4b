//! `lognormal` — lognormal(mu, sigma): log(y) ~ normal(mu, sigma); y > 0

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{HALF_LOG_TWO_PI, Scalar, log_Phi};

pub struct Lognormal;

const SPEC: DistSpec = DistSpec {
    name: "lognormal",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[
        ArgSpec::new("mu", ArgShape::Elem, Domain::Real),
        ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive),
    ],
    doc: "lognormal(mu, sigma): log(y) ~ normal(mu, sigma); y > 0",
};

impl Univariate for Lognormal {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let ly = x[0].ln();
        let z = (ly - x[1]) / x[2];
        -(z * z) * 0.5 - x[2].ln() - ly - HALF_LOG_TWO_PI
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let ly = x[0].ln();
        let inv = x[2].recip();
        let z = (ly - x[1]) * inv;
        d[0] = -(z * inv + 1.0) / x[0];
        d[1] = z * inv;
        d[2] = (z * z - 1.0) * inv;
        -(z * z) * 0.5 - x[2].ln() - ly - HALF_LOG_TWO_PI
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_Phi((x[0].ln() - x[1]) / x[2])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_Phi((x[1] - x[0].ln()) / x[2])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::LogNormal::new(args[0], args[1]), rng)
    }
}
