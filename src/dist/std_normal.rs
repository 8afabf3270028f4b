//! `std_normal` — std_normal(): the standard normal, exp(-y^2 / 2) / sqrt(2 pi)

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{HALF_LOG_TWO_PI, Scalar, log_Phi};

pub struct StdNormal;

const SPEC: DistSpec = DistSpec {
    name: "std_normal",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[],
    doc: "std_normal(): the standard normal, exp(-y^2 / 2) / sqrt(2 pi)",
};

impl Univariate for StdNormal {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 1;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        -(x[0] * x[0]) * 0.5 - HALF_LOG_TWO_PI
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        d[0] = -x[0];
        -(x[0] * x[0]) * 0.5 - HALF_LOG_TWO_PI
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_Phi(x[0])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_Phi(-x[0])
    }

    fn rng(_args: &[f64], rng: &mut VRng) -> f64 {
        rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng)
    }
}
