//! `gumbel` — gumbel(mu, beta): type I extreme value with location mu and scale beta > 0; density exp(-z - exp(-z)) / beta, z = (y - mu) / beta

use super::open01;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, log1m_exp};

pub struct Gumbel;

const SPEC: DistSpec = DistSpec {
    name: "gumbel",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("mu", ArgShape::Elem, Domain::Real),
        ArgSpec::new("beta", ArgShape::Elem, Domain::Positive),
    ],
    doc: "gumbel(mu, beta): type I extreme value with location mu and scale beta > 0; density exp(-z - exp(-z)) / beta, z = (y - mu) / beta",
};

impl Univariate for Gumbel {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let z = (x[0] - x[1]) / x[2];
        -x[2].ln() - z - (-z).exp()
    }

    const HAS_CDF: bool = true;

    /// F = exp(−exp(−z)).
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        let z = (x[0] - x[1]) / x[2];
        -(-z).exp()
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        let z = (x[0] - x[1]) / x[2];
        log1m_exp(-(-z).exp())
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        args[0] - args[1] * (-open01(rng).ln()).ln()
    }
}
