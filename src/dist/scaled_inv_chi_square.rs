//! `scaled_inv_chi_square` — scaled_inv_chi_square(nu, s): the distribution of nu s^2 / X for X ~ chi_square(nu), nu > 0, scale s > 0, on y > 0

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, lgamma, log_gamma_lower, log_gamma_upper};

pub struct ScaledInvChiSquare;

const SPEC: DistSpec = DistSpec {
    name: "scaled_inv_chi_square",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[
        ArgSpec::new("nu", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("s", ArgShape::Elem, Domain::Positive),
    ],
    doc: "scaled_inv_chi_square(nu, s): the distribution of nu s^2 / X for X ~ chi_square(nu), nu > 0, scale s > 0, on y > 0",
};

/// nu s² / (2 y), the argument of the incomplete gamma function.
fn gamma_argument<T: Scalar>(x: &[T]) -> T {
    x[1] * x[2] * x[2] / (x[0] * 2.0)
}

impl Univariate for ScaledInvChiSquare {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, nu, s) = (x[0], x[1], x[2]);
        let h = nu * 0.5;
        h * h.ln() - lgamma(h) + nu * s.ln() - (h + 1.0) * y.ln() - gamma_argument(x)
    }

    const HAS_CDF: bool = true;

    /// F(y) = Q(nu / 2, nu s² / (2 y)).
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_upper(x[1] * 0.5, gamma_argument(x))
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_lower(x[1] * 0.5, gamma_argument(x))
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        let (nu, s) = (args[0], args[1]);
        nu * s * s / draw(rand_distr::ChiSquared::new(nu), rng)
    }
}
