//! `chi_square` — chi_square(nu): chi-squared with nu > 0 degrees of freedom

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct ChiSquare;

const SPEC: DistSpec = DistSpec {
    name: "chi_square",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[ArgSpec::new("nu", ArgShape::Elem, Domain::Positive)],
    doc: "chi_square(nu): chi-squared with nu > 0 degrees of freedom",
};

impl Univariate for ChiSquare {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("chi_square lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("chi_square rng")
    }
}
