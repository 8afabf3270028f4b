//! `cauchy` — cauchy(mu, sigma): 1 / (pi sigma (1 + ((y - mu) / sigma)^2)); location mu, scale sigma > 0

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;
use std::f64::consts::PI;

pub struct Cauchy;

const SPEC: DistSpec = DistSpec {
    name: "cauchy",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("mu", ArgShape::Elem, Domain::Real),
        ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive),
    ],
    doc: "cauchy(mu, sigma): 1 / (pi sigma (1 + ((y - mu) / sigma)^2)); location mu, scale sigma > 0",
};

impl Univariate for Cauchy {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let z = (x[0] - x[1]) / x[2];
        -(z * z).ln_1p() - x[2].ln() - PI.ln()
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let inv = x[2].recip();
        let z = (x[0] - x[1]) * inv;
        let z2 = z * z;
        let q = (z2 + 1.0).recip();
        let dy = -(z * q * inv) * 2.0;
        d[0] = dy;
        d[1] = -dy;
        d[2] = (z2 - 1.0) * q * inv;
        -z2.ln_1p() - x[2].ln() - PI.ln()
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::Cauchy::new(args[0], args[1]), rng)
    }
}
