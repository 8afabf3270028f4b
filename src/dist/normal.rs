//! `normal` — normal(mu, sigma): density exp(-((y - mu) / sigma)^2 / 2) / (sigma sqrt(2 pi)); y real, sigma > 0 is the standard deviation

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Normal;

const SPEC: DistSpec = DistSpec {
    name: "normal",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[ArgSpec::new("mu", ArgShape::Elem, Domain::Real), ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive)],
    doc: "normal(mu, sigma): density exp(-((y - mu) / sigma)^2 / 2) / (sigma sqrt(2 pi)); y real, sigma > 0 is the standard deviation",
};

impl Univariate for Normal {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("normal lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("normal rng")
    }
}
