//! `chi_square` — chi_square(nu): chi-squared with nu > 0 degrees of freedom

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, lgamma, log_gamma_lower, log_gamma_upper};
use std::f64::consts::LN_2;

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
        let (y, nu) = (x[0], x[1]);
        let h = nu * 0.5;
        (h - 1.0) * y.ln() - y * 0.5 - h * LN_2 - lgamma(h)
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_lower(x[1] * 0.5, x[0] * 0.5)
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_upper(x[1] * 0.5, x[0] * 0.5)
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::ChiSquared::new(args[0]), rng)
    }
}
