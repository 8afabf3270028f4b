//! `logistic` — logistic(mu, sigma): logistic distribution with location mu and scale sigma > 0

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Logistic;

const SPEC: DistSpec = DistSpec {
    name: "logistic",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[ArgSpec::new("mu", ArgShape::Elem, Domain::Real), ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive)],
    doc: "logistic(mu, sigma): logistic distribution with location mu and scale sigma > 0",
};

impl Univariate for Logistic {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("logistic lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("logistic rng")
    }
}
