//! `double_exponential` — double_exponential(mu, sigma): Laplace, exp(-|y - mu| / sigma) / (2 sigma)

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;
use std::f64::consts::LN_2;

pub struct DoubleExponential;

const SPEC: DistSpec = DistSpec {
    name: "double_exponential",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("mu", ArgShape::Elem, Domain::Real),
        ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive),
    ],
    doc: "double_exponential(mu, sigma): Laplace, exp(-|y - mu| / sigma) / (2 sigma)",
};

impl Univariate for DoubleExponential {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let r = x[0] - x[1];
        let a = if r.re() < 0.0 { -r } else { r };
        -(a / x[2]) - x[2].ln() - LN_2
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        standard_lcdf((x[0] - x[1]) / x[2])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        standard_lcdf((x[1] - x[0]) / x[2])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        let e = rand_distr::Exp1;
        let a: f64 = rand_distr::Distribution::sample(&e, rng);
        let b: f64 = rand_distr::Distribution::sample(&e, rng);
        args[0] + args[1] * (a - b)
    }
}

/// log F(z) of the standard Laplace distribution: z − log 2 below 0,
/// log(1 − e^−z / 2) above.
fn standard_lcdf<T: Scalar>(z: T) -> T {
    if z.re() < 0.0 {
        z - LN_2
    } else {
        (-(-z).exp() * 0.5).ln_1p()
    }
}
