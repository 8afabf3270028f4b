//! `bernoulli` — bernoulli(theta): P(y = 1) = theta in [0, 1]

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Bernoulli;

const SPEC: DistSpec = DistSpec {
    name: "bernoulli",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Binary),
    args: &[ArgSpec::new("theta", ArgShape::Elem, Domain::Probability)],
    doc: "bernoulli(theta): P(y = 1) = theta in [0, 1]",
};

impl Univariate for Bernoulli {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("bernoulli lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("bernoulli rng")
    }
}
