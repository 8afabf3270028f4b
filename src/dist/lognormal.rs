//! `lognormal` — lognormal(mu, sigma): log(y) ~ normal(mu, sigma); y > 0

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Lognormal;

const SPEC: DistSpec = DistSpec {
    name: "lognormal",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[ArgSpec::new("mu", ArgShape::Elem, Domain::Real), ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive)],
    doc: "lognormal(mu, sigma): log(y) ~ normal(mu, sigma); y > 0",
};

impl Univariate for Lognormal {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("lognormal lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("lognormal rng")
    }
}
