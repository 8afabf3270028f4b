//! `weibull` — weibull(alpha, sigma): shape alpha > 0, scale sigma > 0 on y >= 0

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, log1m_exp, pow};

pub struct Weibull;

const SPEC: DistSpec = DistSpec {
    name: "weibull",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegative),
    args: &[
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive),
    ],
    doc: "weibull(alpha, sigma): shape alpha > 0, scale sigma > 0 on y >= 0",
};

impl Univariate for Weibull {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, alpha, sigma) = (x[0], x[1], x[2]);
        if y.re() == 0.0 {
            // The factor y^(alpha - 1) at y = 0: infinite, one or zero.
            return if alpha.re() < 1.0 {
                T::from(f64::INFINITY)
            } else if alpha.re() == 1.0 {
                alpha.ln() - sigma.ln()
            } else {
                T::from(f64::NEG_INFINITY)
            };
        }
        let l = y.ln() - sigma.ln();
        alpha.ln() - sigma.ln() + (alpha - 1.0) * l - (alpha * l).exp()
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log1m_exp(-pow(x[0] / x[2], x[1]))
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        -pow(x[0] / x[2], x[1])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::Weibull::new(args[1], args[0]), rng)
    }
}
