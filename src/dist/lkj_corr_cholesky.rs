//! `lkj_corr_cholesky` — lkj_corr_cholesky(eta): LKJ distribution on the Cholesky factor L of a correlation matrix, eta > 0

use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct LkjCorrCholesky;

const SPEC: DistSpec = DistSpec {
    name: "lkj_corr_cholesky",
    variate: ArgSpec::new("y", ArgShape::Matrix, Domain::CorrCholesky),
    args: &[ArgSpec::new("eta", ArgShape::Scalar, Domain::Positive)],
    doc: "lkj_corr_cholesky(eta): LKJ distribution on the Cholesky factor L of a correlation matrix, eta > 0",
};

impl Multivariate for LkjCorrCholesky {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        todo!("lkj_corr_cholesky lpdf")
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        todo!("lkj_corr_cholesky rng")
    }
}
