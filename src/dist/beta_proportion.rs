//! `beta_proportion` — beta_proportion(mu, kappa): beta(mu kappa, (1 - mu) kappa) with mean mu in (0, 1) and precision kappa > 0, on y in (0, 1)

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, lbeta, log_beta_lower, log_beta_upper, log1m};

pub struct BetaProportion;

const SPEC: DistSpec = DistSpec {
    name: "beta_proportion",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Unit),
    args: &[
        ArgSpec::new("mu", ArgShape::Elem, Domain::Unit),
        ArgSpec::new("kappa", ArgShape::Elem, Domain::Positive),
    ],
    doc: "beta_proportion(mu, kappa): beta(mu kappa, (1 - mu) kappa) with mean mu in (0, 1) and precision kappa > 0, on y in (0, 1)",
};

impl Univariate for BetaProportion {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, mu, kappa) = (x[0], x[1], x[2]);
        let a = mu * kappa;
        let b = kappa - a;
        (a - 1.0) * y.ln() + (b - 1.0) * log1m(y) - lbeta(a, b)
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        let (a, b) = shapes(x);
        log_beta_lower(a, b, x[0], 1.0 - x[0].re())
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        let (a, b) = shapes(x);
        log_beta_upper(a, b, x[0], 1.0 - x[0].re())
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        let a = args[0] * args[1];
        draw(rand_distr::Beta::new(a, args[1] - a), rng)
    }
}

/// The beta shapes mu kappa and (1 − mu) kappa.
fn shapes<T: Scalar>(x: &[T]) -> (T, T) {
    let (mu, kappa) = (x[1], x[2]);
    (mu * kappa, (-mu + 1.0) * kappa)
}
