//! `rayleigh` — rayleigh(sigma): scale sigma > 0 on y >= 0; density y / sigma^2 exp(-y^2 / (2 sigma^2))

use super::open01;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, log1m_exp};

pub struct Rayleigh;

const SPEC: DistSpec = DistSpec {
    name: "rayleigh",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegative),
    args: &[ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive)],
    doc: "rayleigh(sigma): scale sigma > 0 on y >= 0; density y / sigma^2 exp(-y^2 / (2 sigma^2))",
};

/// y² / (2 sigma²).
fn half_square<T: Scalar>(x: &[T]) -> T {
    let z = x[0] / x[1];
    z * z * 0.5
}

impl Univariate for Rayleigh {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        x[0].ln() - x[1].ln() * 2.0 - half_square(x)
    }

    const HAS_CDF: bool = true;

    /// F = 1 − exp(−y² / (2 sigma²)).
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log1m_exp(-half_square(x))
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        -half_square(x)
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        args[0] * (-2.0 * open01(rng).ln()).sqrt()
    }
}
