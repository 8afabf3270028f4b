//! `exponential` — exponential(beta): rate beta > 0, density beta exp(-beta y) on y >= 0

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Exponential;

const SPEC: DistSpec = DistSpec {
    name: "exponential",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegative),
    args: &[ArgSpec::new("beta", ArgShape::Elem, Domain::Positive)],
    doc: "exponential(beta): rate beta > 0, density beta exp(-beta y) on y >= 0",
};

impl Univariate for Exponential {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("exponential lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("exponential rng")
    }
}
