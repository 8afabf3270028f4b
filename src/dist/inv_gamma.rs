//! `inv_gamma` — inv_gamma(alpha, beta): shape alpha > 0, scale beta > 0; density proportional to y^(-alpha-1) exp(-beta / y)

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct InvGamma;

const SPEC: DistSpec = DistSpec {
    name: "inv_gamma",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive), ArgSpec::new("beta", ArgShape::Elem, Domain::Positive)],
    doc: "inv_gamma(alpha, beta): shape alpha > 0, scale beta > 0; density proportional to y^(-alpha-1) exp(-beta / y)",
};

impl Univariate for InvGamma {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        todo!("inv_gamma lpdf")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        todo!("inv_gamma rng")
    }
}
