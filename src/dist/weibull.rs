//! `weibull` — weibull(alpha, sigma): shape alpha > 0, scale sigma > 0 on y >= 0

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Weibull;

const SPEC: DistSpec = DistSpec {
    name: "weibull",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegative),
    args: &[ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive), ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive)],
    doc: "weibull(alpha, sigma): shape alpha > 0, scale sigma > 0 on y >= 0",
};

impl Univariate for Weibull {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("weibull lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("weibull rng")
    }
}
