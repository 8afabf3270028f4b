//! `uniform` — uniform(alpha, beta): constant density 1 / (beta - alpha) on [alpha, beta], requires alpha < beta

use super::open01;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Uniform;

const SPEC: DistSpec = DistSpec {
    name: "uniform",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Real),
        ArgSpec::new("beta", ArgShape::Elem, Domain::Real),
    ],
    doc: "uniform(alpha, beta): constant density 1 / (beta - alpha) on [alpha, beta], requires alpha < beta",
};

impl Univariate for Uniform {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, a, b) = (x[0], x[1], x[2]);
        if y.re() < a.re() || y.re() > b.re() {
            return T::from(f64::NEG_INFINITY);
        }
        -(b - a).ln()
    }

    const CHECKS_ARGS: bool = true;

    fn check_args(x: &[f64]) -> Result<(), String> {
        if x[1] < x[2] {
            Ok(())
        } else {
            Err(format!(
                "uniform(alpha, beta) requires alpha < beta, got alpha = {}, beta = {}",
                x[1], x[2]
            ))
        }
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        let (y, a, b) = (x[0], x[1], x[2]);
        if y.re() <= a.re() {
            return T::from(f64::NEG_INFINITY);
        }
        if y.re() >= b.re() {
            return T::zero();
        }
        ((y - a) / (b - a)).ln()
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        let (y, a, b) = (x[0], x[1], x[2]);
        if y.re() <= a.re() {
            return T::zero();
        }
        if y.re() >= b.re() {
            return T::from(f64::NEG_INFINITY);
        }
        ((b - y) / (b - a)).ln()
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        args[0] + (args[1] - args[0]) * open01(rng)
    }
}
