//! `beta_binomial` — beta_binomial(N, alpha, beta): successes out of N trials whose success probability is beta(alpha, beta); requires y <= N

use super::binomial::{check_count, draw_binomial};
use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, lbeta, lchoose, log_sum_exp, log1m_exp};
use std::f64::consts::LN_2;

pub struct BetaBinomial;

const SPEC: DistSpec = DistSpec {
    name: "beta_binomial",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[
        ArgSpec::new("N", ArgShape::Elem, Domain::NonNegInt),
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("beta", ArgShape::Elem, Domain::Positive),
    ],
    doc: "beta_binomial(N, alpha, beta): successes out of N trials whose success probability is beta(alpha, beta); requires y <= N",
};

/// log P(y = k) given N, alpha, beta.
fn log_mass<T: Scalar>(k: f64, n: T, alpha: T, beta: T) -> T {
    let k_t = T::from(k);
    lchoose(n, k_t) + lbeta(k_t + alpha, n - k_t + beta) - lbeta(alpha, beta)
}

/// log Σ P(y = k) over k in `from..=to` (a finite sum in log space, so
/// that every argument keeps its derivatives).
fn log_mass_between<T: Scalar>(from: f64, to: f64, x: &[T]) -> T {
    let (n, alpha, beta) = (x[1], x[2], x[3]);
    let mut total = log_mass(from, n, alpha, beta);
    let mut k = from + 1.0;
    while k <= to {
        total = log_sum_exp(total, log_mass(k, n, alpha, beta));
        k += 1.0;
    }
    total
}

impl Univariate for BetaBinomial {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 4;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        log_mass(x[0].re(), x[1], x[2], x[3])
    }

    const CHECKS_ARGS: bool = true;

    fn check_args(x: &[f64]) -> Result<(), String> {
        check_count(x[0], x[1], "beta_binomial")
    }

    const HAS_CDF: bool = true;

    /// Each function sums the masses of its own side, unless that side
    /// holds more than half the mass: then it is log1m_exp of the other
    /// side, which keeps the digits of a probability near one.
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        let (y, n) = (x[0].re(), x[1].re());
        if y >= n {
            return T::zero();
        }
        one_side(log_mass_between(0.0, y, x), || {
            log_mass_between(y + 1.0, n, x)
        })
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        let (y, n) = (x[0].re(), x[1].re());
        if y >= n {
            return T::from(f64::NEG_INFINITY);
        }
        one_side(log_mass_between(y + 1.0, n, x), || {
            log_mass_between(0.0, y, x)
        })
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        let theta = draw(rand_distr::Beta::new(args[1], args[2]), rng);
        draw_binomial(args[0], theta, rng)
    }
}

/// `direct` (the log of a sum of masses), or log(1 − exp(other side)) when
/// `direct` is above log ½.
fn one_side<T: Scalar>(direct: T, other: impl Fn() -> T) -> T {
    if direct.re() > -LN_2 {
        log1m_exp(other())
    } else {
        direct
    }
}
