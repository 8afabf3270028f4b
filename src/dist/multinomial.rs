//! `multinomial` and `multinomial_logit` — counts y[1..K] of N = sum(y)
//! trials with category probabilities theta (or softmax(gamma)):
//! log p(y) = log N! − Σ log y_k! + Σ y_k log theta_k. Their samplers take
//! the number of trials N as a last argument, as in Stan.

use super::binomial::draw_binomial;
use super::dirichlet::check_simplex;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View, lfactorial};
use crate::random::VRng;
use crate::scalar::{Scalar, log_sum_exp_slice};

pub struct Multinomial;
pub struct MultinomialLogit;

const SPEC: DistSpec = DistSpec {
    name: "multinomial",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::NonNegInt),
    args: &[ArgSpec::new("theta", ArgShape::Vector, Domain::Simplex)],
    doc: "multinomial(theta): counts y (an int[K]) of sum(y) trials with probabilities theta (a simplex); multinomial_rng(theta, N)",
};

const LOGIT_SPEC: DistSpec = DistSpec {
    name: "multinomial_logit",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::NonNegInt),
    args: &[ArgSpec::new("gamma", ArgShape::Vector, Domain::Real)],
    doc: "multinomial_logit(gamma): multinomial(softmax(gamma)); multinomial_logit_rng(gamma, N)",
};

/// log N! − Σ log y_k! after checking that the counts fit `k` categories.
pub(super) fn log_coefficient<T: Scalar>(
    y: &View<'_, T>,
    k: usize,
    what: &str,
) -> Result<f64, String> {
    if y.len() != k {
        return Err(format!(
            "y has {} counts but {what} has {k} categories",
            y.len()
        ));
    }
    let mut total = 0.0;
    let mut coefficient = 0.0;
    for (i, v) in y.data.iter().enumerate() {
        let count = v.re();
        if !Domain::NonNegInt.contains(count) {
            return Err(format!(
                "the counts must be non-negative integers, but y[{}] = {count}",
                i + 1
            ));
        }
        total += count;
        coefficient -= lfactorial(count);
    }
    Ok(coefficient + lfactorial(total))
}

/// Σ y_k log p_k over the categories with a count, so that a zero
/// probability with no count contributes nothing.
fn weighted_log<T: Scalar>(y: &View<'_, T>, log_p: impl Fn(usize) -> T) -> T {
    let mut lp = T::zero();
    for (k, v) in y.data.iter().enumerate() {
        if v.re() > 0.0 {
            lp += log_p(k) * v.re();
        }
    }
    lp
}

pub(super) fn vector_arg<T: Scalar>(v: &View<'_, T>, name: &str) -> Result<(), String> {
    if v.cols != 1 || v.is_empty() {
        return Err(format!("{name} must be a non-empty vector"));
    }
    Ok(())
}

/// The number of trials of a sampler: a non-negative integer.
pub(super) fn trials(n: &View<'_, f64>) -> Result<f64, String> {
    let n = n.data.first().copied().unwrap_or(f64::NAN);
    if !Domain::NonNegInt.contains(n) {
        return Err(format!(
            "the number of trials N must be a non-negative integer, found {n}"
        ));
    }
    Ok(n)
}

/// Counts of `n` trials over the probabilities `p` (summing to 1): each
/// category's count is binomial given the trials the earlier ones left.
pub(super) fn draw_counts(p: &[f64], n: f64, rng: &mut VRng, out: &mut Vec<f64>) {
    out.clear();
    let mut left = n;
    let mut mass = 1.0;
    for (k, &pk) in p.iter().enumerate() {
        let count = if k + 1 == p.len() {
            left
        } else if left == 0.0 || pk <= 0.0 {
            0.0
        } else {
            draw_binomial(left, (pk / mass).clamp(0.0, 1.0), rng)
        };
        out.push(count);
        left -= count;
        mass -= pk;
    }
}

impl Multivariate for Multinomial {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (y, theta) = (&args[0], &args[1]);
        vector_arg(theta, "theta")?;
        check_simplex(theta.data, "theta")?;
        let coefficient = log_coefficient(y, theta.len(), "theta")?;
        Ok(weighted_log(y, |k| theta.data[k].ln()) + coefficient)
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let theta = &args[0];
        vector_arg(theta, "theta")?;
        check_simplex(theta.data, "theta")?;
        let n = trials(&args[1])?;
        draw_counts(theta.data, n, rng, out);
        Ok(())
    }
}

impl Multivariate for MultinomialLogit {
    const SPEC: DistSpec = LOGIT_SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (y, gamma) = (&args[0], &args[1]);
        vector_arg(gamma, "gamma")?;
        check_finite(gamma.data.iter().map(|g| g.re()))?;
        let coefficient = log_coefficient(y, gamma.len(), "gamma")?;
        let lse = log_sum_exp_slice(gamma.data);
        Ok(weighted_log(y, |k| gamma.data[k] - lse) + coefficient)
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let gamma = &args[0];
        vector_arg(gamma, "gamma")?;
        check_finite(gamma.data.iter().copied())?;
        let n = trials(&args[1])?;
        let lse = log_sum_exp_slice(gamma.data);
        let p: Vec<f64> = gamma.data.iter().map(|g| (g - lse).exp()).collect();
        draw_counts(&p, n, rng, out);
        Ok(())
    }
}

fn check_finite(gamma: impl Iterator<Item = f64>) -> Result<(), String> {
    for (i, g) in gamma.enumerate() {
        if !g.is_finite() {
            return Err(format!("gamma must be finite, but gamma[{}] = {g}", i + 1));
        }
    }
    Ok(())
}
