//! `uniform` — uniform(alpha, beta): constant density 1 / (beta - alpha) on [alpha, beta], requires alpha < beta

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Uniform;

const SPEC: DistSpec = DistSpec {
    name: "uniform",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[ArgSpec::new("alpha", ArgShape::Elem, Domain::Real), ArgSpec::new("beta", ArgShape::Elem, Domain::Real)],
    doc: "uniform(alpha, beta): constant density 1 / (beta - alpha) on [alpha, beta], requires alpha < beta",
};

impl Univariate for Uniform {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("uniform lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("uniform rng")
    }
}
