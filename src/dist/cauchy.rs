//! `cauchy` — cauchy(mu, sigma): 1 / (pi sigma (1 + ((y - mu) / sigma)^2)); location mu, scale sigma > 0

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;
use std::f64::consts::PI;

pub struct Cauchy;

const SPEC: DistSpec = DistSpec {
    name: "cauchy",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("mu", ArgShape::Elem, Domain::Real),
        ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive),
    ],
    doc: "cauchy(mu, sigma): 1 / (pi sigma (1 + ((y - mu) / sigma)^2)); location mu, scale sigma > 0",
};

impl Univariate for Cauchy {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let z = (x[0] - x[1]) / x[2];
        -(z * z).ln_1p() - x[2].ln() - PI.ln()
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let inv = x[2].recip();
        let z = (x[0] - x[1]) * inv;
        let z2 = z * z;
        let q = (z2 + 1.0).recip();
        let dy = -(z * q * inv) * 2.0;
        d[0] = dy;
        d[1] = -dy;
        d[2] = (z2 - 1.0) * q * inv;
        -z2.ln_1p() - x[2].ln() - PI.ln()
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        standard_lcdf((x[0] - x[1]) / x[2])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        standard_lcdf((x[1] - x[0]) / x[2])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::Cauchy::new(args[0], args[1]), rng)
    }
}

/// log F(z) of the standard Cauchy distribution, F(z) = ½ + atan(z)/π,
/// written as atan(−1/z)/π below z = −1 and 1 − atan(1/z)/π above z = 1
/// so that both far tails keep their digits.
fn standard_lcdf<T: Scalar>(z: T) -> T {
    if z.re() < -1.0 {
        ((-z).recip().atan() / PI).ln()
    } else if z.re() > 1.0 {
        (-(z.recip().atan() / PI)).ln_1p()
    } else {
        (z.atan() / PI + 0.5).ln()
    }
}
