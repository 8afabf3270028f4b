//! `binomial_logit` — binomial_logit(N, alpha): binomial with success probability inv_logit(alpha)

use super::binomial::{check_count, draw_binomial};
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, inv_logit, lchoose};

pub struct BinomialLogit;

const SPEC: DistSpec = DistSpec {
    name: "binomial_logit",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[
        ArgSpec::new("N", ArgShape::Elem, Domain::NonNegInt),
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Real),
    ],
    doc: "binomial_logit(N, alpha): binomial with success probability inv_logit(alpha)",
};

impl Univariate for BinomialLogit {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, n, alpha) = (x[0], x[1], x[2]);
        let (log_p, log_q, _) = logistic_parts(alpha);
        lchoose(n, y) + y * log_p + (n - y) * log_q
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let (y, n, alpha) = (x[0], x[1], x[2]);
        let (log_p, log_q, p) = logistic_parts(alpha);
        d[0] = T::zero();
        d[1] = T::zero();
        d[2] = y - n * p;
        lchoose(n, y) + y * log_p + (n - y) * log_q
    }

    const CHECKS_ARGS: bool = true;

    fn check_args(x: &[f64]) -> Result<(), String> {
        check_count(x[0], x[1], "binomial_logit")
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw_binomial(args[0], inv_logit(args[1]), rng)
    }
}

/// log inv_logit(alpha), log1m_inv_logit(alpha) and inv_logit(alpha) from
/// one exponential, stable for either sign of alpha.
#[inline]
fn logistic_parts<T: Scalar>(alpha: T) -> (T, T, T) {
    if alpha.re() > 0.0 {
        let e = (-alpha).exp();
        let l = e.ln_1p();
        (-l, -alpha - l, (e + 1.0).recip())
    } else {
        let e = alpha.exp();
        let l = e.ln_1p();
        (alpha - l, -l, e / (e + 1.0))
    }
}
