//! `chi_square` — chi_square(nu): chi-squared with nu > 0 degrees of freedom

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, lgamma};
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

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::ChiSquared::new(args[0]), rng)
    }
}
