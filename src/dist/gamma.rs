//! `gamma` — gamma(alpha, beta): shape alpha > 0 and RATE beta > 0; mean alpha / beta

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Gamma;

const SPEC: DistSpec = DistSpec {
    name: "gamma",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive), ArgSpec::new("beta", ArgShape::Elem, Domain::Positive)],
    doc: "gamma(alpha, beta): shape alpha > 0 and RATE beta > 0; mean alpha / beta",
};

impl Univariate for Gamma {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("gamma lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("gamma rng")
    }
}
