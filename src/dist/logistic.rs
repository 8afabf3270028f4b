//! `logistic` — logistic(mu, sigma): logistic distribution with location mu and scale sigma > 0

use super::open01;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, log1p_exp};

pub struct Logistic;

const SPEC: DistSpec = DistSpec {
    name: "logistic",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("mu", ArgShape::Elem, Domain::Real),
        ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive),
    ],
    doc: "logistic(mu, sigma): logistic distribution with location mu and scale sigma > 0",
};

impl Univariate for Logistic {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let z = (x[0] - x[1]) / x[2];
        -z - x[2].ln() - log1p_exp(-z) * 2.0
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        -log1p_exp((x[1] - x[0]) / x[2])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        -log1p_exp((x[0] - x[1]) / x[2])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        let u = open01(rng);
        args[0] + args[1] * (u.ln() - (-u).ln_1p())
    }
}
