//! `neg_binomial_2_log` — neg_binomial_2_log(eta, phi): neg_binomial_2 with mean exp(eta)

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct NegBinomial2Log;

const SPEC: DistSpec = DistSpec {
    name: "neg_binomial_2_log",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[ArgSpec::new("eta", ArgShape::Elem, Domain::Real), ArgSpec::new("phi", ArgShape::Elem, Domain::Positive)],
    doc: "neg_binomial_2_log(eta, phi): neg_binomial_2 with mean exp(eta)",
};

impl Univariate for NegBinomial2Log {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("neg_binomial_2_log lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("neg_binomial_2_log rng")
    }
}
