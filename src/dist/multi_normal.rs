//! `multi_normal` — multi_normal(mu, Sigma): multivariate normal with mean vector mu and covariance matrix Sigma; y a vector, or a matrix whose rows are observations

use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct MultiNormal;

const SPEC: DistSpec = DistSpec {
    name: "multi_normal",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::Any),
    args: &[ArgSpec::new("mu", ArgShape::Vector, Domain::Any), ArgSpec::new("Sigma", ArgShape::Matrix, Domain::Covariance)],
    doc: "multi_normal(mu, Sigma): multivariate normal with mean vector mu and covariance matrix Sigma; y a vector, or a matrix whose rows are observations",
};

impl Multivariate for MultiNormal {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        todo!("multi_normal lpdf")
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        todo!("multi_normal rng")
    }
}
