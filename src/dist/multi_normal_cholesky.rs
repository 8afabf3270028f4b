//! `multi_normal_cholesky` — multi_normal_cholesky(mu, L): multivariate normal with covariance L L' given its lower Cholesky factor L

use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct MultiNormalCholesky;

const SPEC: DistSpec = DistSpec {
    name: "multi_normal_cholesky",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::Any),
    args: &[ArgSpec::new("mu", ArgShape::Vector, Domain::Any), ArgSpec::new("L", ArgShape::Matrix, Domain::CholeskyFactor)],
    doc: "multi_normal_cholesky(mu, L): multivariate normal with covariance L L' given its lower Cholesky factor L",
};

impl Multivariate for MultiNormalCholesky {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        todo!("multi_normal_cholesky lpdf")
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        todo!("multi_normal_cholesky rng")
    }
}
