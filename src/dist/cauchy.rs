//! `cauchy` — cauchy(mu, sigma): 1 / (pi sigma (1 + ((y - mu) / sigma)^2)); location mu, scale sigma > 0

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Cauchy;

const SPEC: DistSpec = DistSpec {
    name: "cauchy",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[ArgSpec::new("mu", ArgShape::Elem, Domain::Real), ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive)],
    doc: "cauchy(mu, sigma): 1 / (pi sigma (1 + ((y - mu) / sigma)^2)); location mu, scale sigma > 0",
};

impl Univariate for Cauchy {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("cauchy lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("cauchy rng")
    }
}
