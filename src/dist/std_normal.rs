//! `std_normal` — std_normal(): the standard normal, exp(-y^2 / 2) / sqrt(2 pi)

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct StdNormal;

const SPEC: DistSpec = DistSpec {
    name: "std_normal",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[],
    doc: "std_normal(): the standard normal, exp(-y^2 / 2) / sqrt(2 pi)",
};

impl Univariate for StdNormal {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 1;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("std_normal lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("std_normal rng")
    }
}
