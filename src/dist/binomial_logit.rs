//! `binomial_logit` — binomial_logit(N, alpha): binomial with success probability inv_logit(alpha)

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct BinomialLogit;

const SPEC: DistSpec = DistSpec {
    name: "binomial_logit",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[ArgSpec::new("N", ArgShape::Elem, Domain::NonNegInt), ArgSpec::new("alpha", ArgShape::Elem, Domain::Real)],
    doc: "binomial_logit(N, alpha): binomial with success probability inv_logit(alpha)",
};

impl Univariate for BinomialLogit {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("binomial_logit lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("binomial_logit rng")
    }
}
