//! `ordered_probit` — ordered_probit(eta, c): ordinal outcome k in 1..K with increasing cutpoints c (K − 1 of them); P(k) = Phi(eta − c[k−1]) − Phi(eta − c[k])

use super::categorical::{inverse_cdf, outcome};
use super::open01;
use super::ordered_logistic::check_cutpoints;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::{Phi, Scalar, log_Phi, log_diff_exp};

pub struct OrderedProbit;

const SPEC: DistSpec = DistSpec {
    name: "ordered_probit",
    variate: ArgSpec::new("k", ArgShape::Elem, Domain::PositiveInt),
    args: &[
        ArgSpec::new("eta", ArgShape::Elem, Domain::Real),
        ArgSpec::new("c", ArgShape::Vector, Domain::Any),
    ],
    doc: "ordered_probit(eta, c): ordinal outcome k in 1..K with increasing cutpoints c (K - 1 of them); P(k) = Phi(eta - c[k-1]) - Phi(eta - c[k])",
};

/// log P(k) for the 0-based category `k` of K = c.len() + 1.
fn log_probability<T: Scalar>(k: usize, eta: T, c: &[T]) -> T {
    let last = c.len();
    if last == 0 {
        return T::zero();
    }
    if k == 0 {
        return log_Phi(c[0] - eta);
    }
    if k == last {
        return log_Phi(eta - c[last - 1]);
    }
    let (above, below) = (eta - c[k - 1], eta - c[k]);
    if below.re() > 0.0 {
        // Both probabilities near 1: difference of the complements.
        log_diff_exp(log_Phi(-below), log_Phi(-above))
    } else {
        log_diff_exp(log_Phi(above), log_Phi(below))
    }
}

impl Multivariate for OrderedProbit {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
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
            lp += log_probability(outcome(v.re(), categories)?, e, c.data);
        }
        Ok(lp)
    }

    /// One outcome per element of eta.
    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let (eta, c) = (&args[0], &args[1]);
        check_cutpoints(c)?;
        out.clear();
        let mut p = Vec::with_capacity(c.len() + 1);
        for &e in eta.data {
            p.clear();
            let mut below = 1.0;
            for &cut in c.data {
                let above = Phi(e - cut);
                p.push(below - above);
                below = above;
            }
            p.push(below);
            out.push(inverse_cdf(&p, open01(rng)));
        }
        Ok(())
    }
}
