//! `categorical_logit` — categorical_logit(beta): P(y = k) = softmax(beta)[k]

use super::categorical::{inverse_cdf, outcome};
use super::open01;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::{Scalar, log_sum_exp_slice};

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
        let (y, beta) = (&args[0], &args[1]);
        if beta.cols != 1 || beta.is_empty() {
            return Err("beta must be a non-empty vector".into());
        }
        let lse = log_sum_exp_slice(beta.data);
        let mut lp = T::zero();
        for &v in y.data {
            lp += beta.data[outcome(v.re(), beta.len())?] - lse;
        }
        Ok(lp)
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let beta = &args[0];
        if beta.is_empty() {
            return Err("beta must be a non-empty vector".into());
        }
        let lse = log_sum_exp_slice(beta.data);
        let p: Vec<f64> = beta.data.iter().map(|b| (b - lse).exp()).collect();
        out.clear();
        out.push(inverse_cdf(&p, open01(rng)));
        Ok(())
    }
}
