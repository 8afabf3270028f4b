//! `ordered_logistic` — ordered_logistic(eta, c): ordinal outcome k in 1..K with increasing cutpoints c (K − 1 of them); P(k) = inv_logit(eta − c[k−1]) − inv_logit(eta − c[k])

use super::categorical::{inverse_cdf, outcome};
use super::open01;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::{Scalar, inv_logit, log_diff_exp, log_inv_logit};

pub struct OrderedLogistic;

const SPEC: DistSpec = DistSpec {
    name: "ordered_logistic",
    variate: ArgSpec::new("k", ArgShape::Elem, Domain::PositiveInt),
    args: &[
        ArgSpec::new("eta", ArgShape::Elem, Domain::Real),
        ArgSpec::new("c", ArgShape::Vector, Domain::Any),
    ],
    doc: "ordered_logistic(eta, c): ordinal outcome k in 1..K with increasing cutpoints c (K - 1 of them); P(k) = inv_logit(eta - c[k-1]) - inv_logit(eta - c[k])",
};

/// The cutpoints must be a vector of finite, strictly increasing values.
pub(super) fn check_cutpoints<T: Scalar>(c: &View<'_, T>) -> Result<(), String> {
    if c.cols != 1 {
        return Err("the cutpoints c must be a vector".into());
    }
    for (i, v) in c.data.iter().enumerate() {
        if !v.re().is_finite() {
            return Err(format!("cutpoint c[{}] = {} is not finite", i + 1, v.re()));
        }
        if i > 0 && v.re() <= c.data[i - 1].re() {
            return Err(format!(
                "the cutpoints must increase, but c[{}] = {} follows c[{i}] = {}",
                i + 1,
                v.re(),
                c.data[i - 1].re()
            ));
        }
    }
    Ok(())
}

/// log P(k) for the 0-based category `k` of K = c.len() + 1 under a
/// symmetric link whose log-CDF is `log_cdf` (so log(1 − F(x)) = log F(−x)).
fn log_probability<T: Scalar>(k: usize, eta: T, c: &[T], log_cdf: fn(T) -> T) -> T {
    let last = c.len();
    if last == 0 {
        return T::zero();
    }
    if k == 0 {
        return log_cdf(c[0] - eta);
    }
    if k == last {
        return log_cdf(eta - c[last - 1]);
    }
    let (above, below) = (eta - c[k - 1], eta - c[k]);
    if below.re() > 0.0 {
        // Both probabilities near 1: difference of the complements.
        log_diff_exp(log_cdf(-below), log_cdf(-above))
    } else {
        log_diff_exp(log_cdf(above), log_cdf(below))
    }
}

/// The log mass of outcomes `k` with linear predictors `eta` (one, or one
/// per outcome) and cutpoints `c` under the link with log-CDF `log_cdf`.
pub(super) fn ordinal_lpdf<T: Scalar>(
    args: &[View<'_, T>],
    log_cdf: fn(T) -> T,
) -> Result<T, String> {
    let (k, eta, c) = (&args[0], &args[1], &args[2]);
    check_cutpoints(c)?;
    if eta.len() != 1 && eta.len() != k.len() {
        return Err(format!(
            "eta has {} elements but k has {}",
            eta.len(),
            k.len()
        ));
    }
    let categories = c.len() + 1;
    let mut lp = T::zero();
    for (i, &v) in k.data.iter().enumerate() {
        let e = eta.data[if eta.len() == 1 { 0 } else { i }];
        lp += log_probability(outcome(v.re(), categories)?, e, c.data, log_cdf);
    }
    Ok(lp)
}

/// One outcome per element of eta under the link with CDF `cdf`.
pub(super) fn ordinal_rng(
    args: &[View<'_, f64>],
    rng: &mut VRng,
    out: &mut Vec<f64>,
    cdf: fn(f64) -> f64,
) -> Result<(), String> {
    let (eta, c) = (&args[0], &args[1]);
    check_cutpoints(c)?;
    out.clear();
    let mut p = Vec::with_capacity(c.len() + 1);
    for &e in eta.data {
        p.clear();
        let mut below = 1.0;
        for &cut in c.data {
            let above = cdf(e - cut);
            p.push(below - above);
            below = above;
        }
        p.push(below);
        out.push(inverse_cdf(&p, open01(rng)));
    }
    Ok(())
}

impl Multivariate for OrderedLogistic {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        ordinal_lpdf(args, log_inv_logit)
    }

    /// One outcome per element of eta.
    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        ordinal_rng(args, rng, out, inv_logit)
    }
}
