//! `bernoulli` — bernoulli(theta): P(y = 1) = theta in [0, 1]

use super::open01;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, log1m};

pub struct Bernoulli;

const SPEC: DistSpec = DistSpec {
    name: "bernoulli",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Binary),
    args: &[ArgSpec::new("theta", ArgShape::Elem, Domain::Probability)],
    doc: "bernoulli(theta): P(y = 1) = theta in [0, 1]",
};

impl Univariate for Bernoulli {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        if x[0].re() == 1.0 {
            x[1].ln()
        } else {
            log1m(x[1])
        }
    }

    const HAS_CDF: bool = true;

    /// Only y = 0 reaches here (the edges of the support are the caller's).
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log1m(x[1])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        x[1].ln()
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        if open01(rng) < args[0] { 1.0 } else { 0.0 }
    }
}
