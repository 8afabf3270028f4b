//! `binomial` — binomial(N, theta): successes out of N trials with success probability theta; requires y <= N

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Binomial;

const SPEC: DistSpec = DistSpec {
    name: "binomial",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[ArgSpec::new("N", ArgShape::Elem, Domain::NonNegInt), ArgSpec::new("theta", ArgShape::Elem, Domain::Probability)],
    doc: "binomial(N, theta): successes out of N trials with success probability theta; requires y <= N",
};

impl Univariate for Binomial {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("binomial lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("binomial rng")
    }
}
