//! `pareto` — pareto(y_min, alpha): type I Pareto with minimum y_min > 0 and shape alpha > 0; density alpha y_min^alpha / y^(alpha + 1) for y >= y_min, zero below

use super::open01;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, log1m_exp};

pub struct Pareto;

const SPEC: DistSpec = DistSpec {
    name: "pareto",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Positive),
    args: &[
        ArgSpec::new("y_min", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Positive),
    ],
    doc: "pareto(y_min, alpha): type I Pareto with minimum y_min > 0 and shape alpha > 0; density alpha y_min^alpha / y^(alpha + 1) for y >= y_min, zero below",
};

impl Univariate for Pareto {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, y_min, alpha) = (x[0], x[1], x[2]);
        if y.re() < y_min.re() {
            return T::from(f64::NEG_INFINITY);
        }
        alpha.ln() + alpha * y_min.ln() - (alpha + 1.0) * y.ln()
    }

    const HAS_CDF: bool = true;

    /// F = 1 − (y_min / y)^alpha above y_min.
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        if x[0].re() < x[1].re() {
            return T::from(f64::NEG_INFINITY);
        }
        log1m_exp(log_tail(x))
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        if x[0].re() < x[1].re() {
            return T::zero();
        }
        log_tail(x)
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        args[0] * open01(rng).powf(-1.0 / args[1])
    }
}

/// alpha log(y_min / y) = −alpha log1p((y − y_min) / y_min), exact near y_min.
fn log_tail<T: Scalar>(x: &[T]) -> T {
    -(x[2] * ((x[0] - x[1]) / x[1]).ln_1p())
}
