//! `categorical` — categorical(theta): P(y = k) = theta[k], k = 1..K

use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct Categorical;

const SPEC: DistSpec = DistSpec {
    name: "categorical",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::PositiveInt),
    args: &[ArgSpec::new("theta", ArgShape::Vector, Domain::Simplex)],
    doc: "categorical(theta): P(y = k) = theta[k], k = 1..K",
};

impl Multivariate for Categorical {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        todo!("categorical lpdf")
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        todo!("categorical rng")
    }
}
