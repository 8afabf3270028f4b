//! `exponential` — exponential(beta): rate beta > 0, density beta exp(-beta y) on y >= 0

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, log1m_exp};

pub struct Exponential;

const SPEC: DistSpec = DistSpec {
    name: "exponential",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegative),
    args: &[ArgSpec::new("beta", ArgShape::Elem, Domain::Positive)],
    doc: "exponential(beta): rate beta > 0, density beta exp(-beta y) on y >= 0",
};

impl Univariate for Exponential {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        x[1].ln() - x[1] * x[0]
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        d[0] = -x[1];
        d[1] = x[1].recip() - x[0];
        x[1].ln() - x[1] * x[0]
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log1m_exp(-(x[0] * x[1]))
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        -(x[0] * x[1])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::Exp::new(args[0]), rng)
    }
}
