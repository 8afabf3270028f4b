//! `inv_gamma` — inv_gamma(alpha, beta): shape alpha > 0, scale beta > 0; density proportional to y^(-alpha-1) exp(-beta / y)

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, lgamma, log_gamma_lower, log_gamma_upper};

pub struct InvGamma;

const SPEC: DistSpec = DistSpec {
    name: "inv_gamma",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("beta", ArgShape::Elem, Domain::Positive),
    ],
    doc: "inv_gamma(alpha, beta): shape alpha > 0, scale beta > 0; density proportional to y^(-alpha-1) exp(-beta / y)",
};

impl Univariate for InvGamma {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, a, b) = (x[0], x[1], x[2]);
        a * b.ln() - lgamma(a) - (a + 1.0) * y.ln() - b / y
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_upper(x[1], x[2] / x[0])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_lower(x[1], x[2] / x[0])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        args[1] / draw(rand_distr::Gamma::new(args[0], 1.0), rng)
    }
}
