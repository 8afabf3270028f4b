//! `binomial` — binomial(N, theta): successes out of N trials with success probability theta; requires y <= N

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, lchoose, log_beta_i, log_beta_ic, log1m};

pub struct Binomial;

const SPEC: DistSpec = DistSpec {
    name: "binomial",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[
        ArgSpec::new("N", ArgShape::Elem, Domain::NonNegInt),
        ArgSpec::new("theta", ArgShape::Elem, Domain::Probability),
    ],
    doc: "binomial(N, theta): successes out of N trials with success probability theta; requires y <= N",
};

impl Univariate for Binomial {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, n, theta) = (x[0], x[1], x[2]);
        let mut lp = lchoose(n, y);
        // Terms with a zero count are dropped so that theta = 0 or 1 gives
        // probability one to the only possible outcome.
        if y.re() > 0.0 {
            lp += y * theta.ln();
        }
        if n.re() - y.re() > 0.0 {
            lp += (n - y) * log1m(theta);
        }
        lp
    }

    const CHECKS_ARGS: bool = true;

    fn check_args(x: &[f64]) -> Result<(), String> {
        check_count(x[0], x[1], "binomial")
    }

    const HAS_CDF: bool = true;

    /// F(y) = I_{1−theta}(N − y, y + 1), 1 from y = N on.
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        let (y, n, theta) = (x[0].re(), x[1].re(), x[2]);
        if y >= n {
            return T::zero();
        }
        log_beta_i(n - y, y + 1.0, -theta + 1.0, theta.re())
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        let (y, n, theta) = (x[0].re(), x[1].re(), x[2]);
        if y >= n {
            return T::from(f64::NEG_INFINITY);
        }
        log_beta_ic(n - y, y + 1.0, -theta + 1.0, theta.re())
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw_binomial(args[0], args[1], rng)
    }
}

/// `y <= N` for the binomial family.
pub(crate) fn check_count(y: f64, n: f64, name: &str) -> Result<(), String> {
    if y <= n {
        Ok(())
    } else {
        Err(format!(
            "{name}(N, ...) requires the outcome y <= N, got y = {y} and N = {n}"
        ))
    }
}

pub(crate) fn draw_binomial(n: f64, theta: f64, rng: &mut VRng) -> f64 {
    match rand_distr::Binomial::new(n as u64, theta) {
        Ok(d) => rand_distr::Distribution::sample(&d, rng) as f64,
        Err(_) => f64::NAN,
    }
}
