//! `beta` — beta(alpha, beta): y in (0, 1), density y^(alpha-1) (1-y)^(beta-1) / B(alpha, beta)

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Beta;

const SPEC: DistSpec = DistSpec {
    name: "beta",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Unit),
    args: &[ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive), ArgSpec::new("beta", ArgShape::Elem, Domain::Positive)],
    doc: "beta(alpha, beta): y in (0, 1), density y^(alpha-1) (1-y)^(beta-1) / B(alpha, beta)",
};

impl Univariate for Beta {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("beta lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("beta rng")
    }
}
