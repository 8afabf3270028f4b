//! `double_exponential` — double_exponential(mu, sigma): Laplace, exp(-|y - mu| / sigma) / (2 sigma)

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct DoubleExponential;

const SPEC: DistSpec = DistSpec {
    name: "double_exponential",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[ArgSpec::new("mu", ArgShape::Elem, Domain::Real), ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive)],
    doc: "double_exponential(mu, sigma): Laplace, exp(-|y - mu| / sigma) / (2 sigma)",
};

impl Univariate for DoubleExponential {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("double_exponential lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("double_exponential rng")
    }
}
