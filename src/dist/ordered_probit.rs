//! `ordered_probit` — ordered_probit(eta, c): ordinal outcome k in 1..K with increasing cutpoints c (K − 1 of them); P(k) = Phi(eta − c[k−1]) − Phi(eta − c[k])

use super::ordered_logistic::{ordinal_lpdf, ordinal_rng};
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::{Phi, Scalar, log_Phi};

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

impl Multivariate for OrderedProbit {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        ordinal_lpdf(args, log_Phi)
    }

    /// One outcome per element of eta.
    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        ordinal_rng(args, rng, out, Phi)
    }
}
