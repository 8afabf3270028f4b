//! `dirichlet` — dirichlet(alpha): density proportional to prod theta_k^(alpha_k - 1) on the simplex

use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Dirichlet;

const SPEC: DistSpec = DistSpec {
    name: "dirichlet",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::Simplex),
    args: &[ArgSpec::new("alpha", ArgShape::Vector, Domain::Positive)],
    doc: "dirichlet(alpha): density proportional to prod theta_k^(alpha_k - 1) on the simplex",
};

impl Multivariate for Dirichlet {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        todo!("dirichlet lpdf")
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        todo!("dirichlet rng")
    }
}
