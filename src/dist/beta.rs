//! `beta` — beta(alpha, beta): y in (0, 1), density y^(alpha-1) (1-y)^(beta-1) / B(alpha, beta)

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, digamma, lbeta, log_beta_lower, log_beta_upper, log1m};

pub struct Beta;

const SPEC: DistSpec = DistSpec {
    name: "beta",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Unit),
    args: &[
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("beta", ArgShape::Elem, Domain::Positive),
    ],
    doc: "beta(alpha, beta): y in (0, 1), density y^(alpha-1) (1-y)^(beta-1) / B(alpha, beta)",
};

impl Univariate for Beta {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, a, b) = (x[0], x[1], x[2]);
        (a - 1.0) * y.ln() + (b - 1.0) * log1m(y) - lbeta(a, b)
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let (y, a, b) = (x[0], x[1], x[2]);
        let (ly, l1y) = (y.ln(), log1m(y));
        let dab = digamma(a + b);
        d[0] = (a - 1.0) / y - (b - 1.0) / (-y + 1.0);
        d[1] = ly - digamma(a) + dab;
        d[2] = l1y - digamma(b) + dab;
        (a - 1.0) * ly + (b - 1.0) * l1y - lbeta(a, b)
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_beta_lower(x[1], x[2], x[0], 1.0 - x[0].re())
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_beta_upper(x[1], x[2], x[0], 1.0 - x[0].re())
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::Beta::new(args[0], args[1]), rng)
    }
}
