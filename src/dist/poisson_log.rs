//! `poisson_log` — poisson_log(alpha): Poisson with rate exp(alpha)

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct PoissonLog;

const SPEC: DistSpec = DistSpec {
    name: "poisson_log",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[ArgSpec::new("alpha", ArgShape::Elem, Domain::Real)],
    doc: "poisson_log(alpha): Poisson with rate exp(alpha)",
};

impl Univariate for PoissonLog {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("poisson_log lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("poisson_log rng")
    }
}
