//! `categorical_logit` — categorical_logit(beta): P(y = k) = softmax(beta)[k]

use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct CategoricalLogit;

const SPEC: DistSpec = DistSpec {
    name: "categorical_logit",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::PositiveInt),
    args: &[ArgSpec::new("beta", ArgShape::Vector, Domain::Any)],
    doc: "categorical_logit(beta): P(y = k) = softmax(beta)[k]",
};

impl Multivariate for CategoricalLogit {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        todo!("categorical_logit lpdf")
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        todo!("categorical_logit rng")
    }
}
