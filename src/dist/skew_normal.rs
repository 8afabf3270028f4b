//! `skew_normal` — skew_normal(xi, omega, alpha): Azzalini's skew normal with location xi, scale omega > 0 and shape alpha; density 2 / omega phi(z) Phi(alpha z), z = (y - xi) / omega

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{HALF_LOG_TWO_PI, Scalar, log_Phi};
use std::f64::consts::LN_2;

pub struct SkewNormal;

const SPEC: DistSpec = DistSpec {
    name: "skew_normal",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("xi", ArgShape::Elem, Domain::Real),
        ArgSpec::new("omega", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Real),
    ],
    doc: "skew_normal(xi, omega, alpha): Azzalini's skew normal with location xi, scale omega > 0 and shape alpha; density 2 / omega phi(z) Phi(alpha z), z = (y - xi) / omega",
};

impl Univariate for SkewNormal {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 4;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, xi, omega, alpha) = (x[0], x[1], x[2], x[3]);
        let z = (y - xi) / omega;
        -(z * z) * 0.5 + log_Phi(alpha * z) - omega.ln() + (LN_2 - HALF_LOG_TWO_PI)
    }

    /// The representation xi + omega (delta |u0| + sqrt(1 − delta²) u1)
    /// with delta = alpha / sqrt(1 + alpha²) and independent standard
    /// normals u0, u1.
    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        let (xi, omega, alpha) = (args[0], args[1], args[2]);
        let delta = alpha / alpha.hypot(1.0);
        let standard = rand_distr::StandardNormal;
        let u0: f64 = rand_distr::Distribution::sample(&standard, rng);
        let u1: f64 = rand_distr::Distribution::sample(&standard, rng);
        xi + omega * (delta * u0.abs() + (1.0 - delta * delta).sqrt() * u1)
    }
}
