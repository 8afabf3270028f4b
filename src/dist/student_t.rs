//! `student_t` — student_t(nu, mu, sigma): Student's t with nu > 0 degrees of freedom, location mu, scale sigma > 0

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct StudentT;

const SPEC: DistSpec = DistSpec {
    name: "student_t",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[ArgSpec::new("nu", ArgShape::Elem, Domain::Positive), ArgSpec::new("mu", ArgShape::Elem, Domain::Real), ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive)],
    doc: "student_t(nu, mu, sigma): Student's t with nu > 0 degrees of freedom, location mu, scale sigma > 0",
};

impl Univariate for StudentT {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 4;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("student_t lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("student_t rng")
    }
}
