//! `poisson` — poisson(lambda): rate lambda >= 0

use super::lfactorial;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, log_gamma_p, log_gamma_q};

pub struct Poisson;

const SPEC: DistSpec = DistSpec {
    name: "poisson",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[ArgSpec::new("lambda", ArgShape::Elem, Domain::NonNegative)],
    doc: "poisson(lambda): rate lambda >= 0",
};

impl Univariate for Poisson {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, lambda) = (x[0], x[1]);
        if lambda.re() == 0.0 {
            // All mass on y = 0; -lambda keeps the one-sided derivative.
            return if y.re() == 0.0 {
                -lambda
            } else {
                T::from(f64::NEG_INFINITY)
            };
        }
        y * lambda.ln() - lambda - lfactorial(y.re())
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let (y, lambda) = (x[0], x[1]);
        d[0] = T::zero();
        d[1] = y / lambda - 1.0;
        if lambda.re() == 0.0 {
            d[1] = T::from(-1.0);
        }
        Self::lpdf(x)
    }

    const HAS_CDF: bool = true;

    /// F(y) = Q(y + 1, lambda).
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_q(x[0].re() + 1.0, x[1])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_gamma_p(x[0].re() + 1.0, x[1])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw_poisson(args[0], rng)
    }
}

/// A Poisson draw; 0 for a zero rate, NaN for a rate too large to sample.
pub(crate) fn draw_poisson(lambda: f64, rng: &mut VRng) -> f64 {
    if lambda == 0.0 {
        return 0.0;
    }
    match rand_distr::Poisson::new(lambda) {
        Ok(d) => rand_distr::Distribution::sample(&d, rng),
        Err(_) => f64::NAN,
    }
}
