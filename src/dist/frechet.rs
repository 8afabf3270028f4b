//! `frechet` — frechet(alpha, sigma): shape alpha > 0, scale sigma > 0 on y > 0; density (alpha / sigma) (y / sigma)^(-1 - alpha) exp(-(y / sigma)^(-alpha))

use super::open01;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, log1m_exp};

pub struct Frechet;

const SPEC: DistSpec = DistSpec {
    name: "frechet",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive),
    ],
    doc: "frechet(alpha, sigma): shape alpha > 0, scale sigma > 0 on y > 0; density (alpha / sigma) (y / sigma)^(-1 - alpha) exp(-(y / sigma)^(-alpha))",
};

/// (y / sigma)^(−alpha), from logarithms.
fn power<T: Scalar>(x: &[T]) -> T {
    (-(x[1] * (x[0].ln() - x[2].ln()))).exp()
}

impl Univariate for Frechet {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, alpha, sigma) = (x[0], x[1], x[2]);
        let t = y.ln() - sigma.ln();
        alpha.ln() - sigma.ln() - (alpha + 1.0) * t - (-(alpha * t)).exp()
    }

    const HAS_CDF: bool = true;

    /// F = exp(−(y / sigma)^(−alpha)).
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        -power(x)
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log1m_exp(-power(x))
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        args[1] * (-open01(rng).ln()).powf(-1.0 / args[0])
    }
}
