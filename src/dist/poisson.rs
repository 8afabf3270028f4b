//! `poisson` — poisson(lambda): rate lambda >= 0

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Poisson;

const SPEC: DistSpec = DistSpec {
    name: "poisson",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[ArgSpec::new("lambda", ArgShape::Elem, Domain::NonNegative)],
    doc: "poisson(lambda): rate lambda >= 0",
};

impl Univariate for Poisson {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("poisson lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("poisson rng")
    }
}
