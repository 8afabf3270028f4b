//! `neg_binomial_2` — neg_binomial_2(mu, phi): mean mu > 0, precision phi > 0, variance mu + mu^2 / phi

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct NegBinomial2;

const SPEC: DistSpec = DistSpec {
    name: "neg_binomial_2",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[ArgSpec::new("mu", ArgShape::Elem, Domain::Positive), ArgSpec::new("phi", ArgShape::Elem, Domain::Positive)],
    doc: "neg_binomial_2(mu, phi): mean mu > 0, precision phi > 0, variance mu + mu^2 / phi",
};

impl Univariate for NegBinomial2 {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("neg_binomial_2 lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("neg_binomial_2 rng")
    }
}
