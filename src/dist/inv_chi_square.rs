//! `inv_chi_square` — inv_chi_square(nu): the distribution of 1 / X for X ~ chi_square(nu), nu > 0, on y > 0

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, lgamma, log_gamma_lower, log_gamma_upper};
use std::f64::consts::LN_2;

pub struct InvChiSquare;

const SPEC: DistSpec = DistSpec {
    name: "inv_chi_square",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[ArgSpec::new("nu", ArgShape::Elem, Domain::Positive)],
    doc: "inv_chi_square(nu): the distribution of 1 / X for X ~ chi_square(nu), nu > 0, on y > 0",
};

impl Univariate for InvChiSquare {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, nu) = (x[0], x[1]);
        let h = nu * 0.5;
        -h * LN_2 - lgamma(h) - (h + 1.0) * y.ln() - (y * 2.0).recip()
    }

    const HAS_CDF: bool = true;

    /// F(y) = Q(nu / 2, 1 / (2 y)).
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_upper(x[1] * 0.5, (x[0] * 2.0).recip())
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_lower(x[1] * 0.5, (x[0] * 2.0).recip())
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        1.0 / draw(rand_distr::ChiSquared::new(args[0]), rng)
    }
}
