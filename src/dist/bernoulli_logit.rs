//! `bernoulli_logit` — bernoulli_logit(alpha): P(y = 1) = inv_logit(alpha), computed stably

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct BernoulliLogit;

const SPEC: DistSpec = DistSpec {
    name: "bernoulli_logit",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Binary),
    args: &[ArgSpec::new("alpha", ArgShape::Elem, Domain::Real)],
    doc: "bernoulli_logit(alpha): P(y = 1) = inv_logit(alpha), computed stably",
};

impl Univariate for BernoulliLogit {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("bernoulli_logit lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("bernoulli_logit rng")
    }
}
