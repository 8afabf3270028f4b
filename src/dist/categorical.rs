//! `categorical` — categorical(theta): P(y = k) = theta[k], k = 1..K

use super::dirichlet::check_simplex;
use super::open01;
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
        let (y, theta) = (&args[0], &args[1]);
        if theta.cols != 1 {
            return Err("theta must be a vector".into());
        }
        check_simplex(theta.data, "theta")?;
        let mut lp = T::zero();
        for &v in y.data {
            lp += theta.data[outcome(v.re(), theta.len())?].ln();
        }
        Ok(lp)
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let theta = &args[0];
        check_simplex(theta.data, "theta")?;
        out.clear();
        out.push(inverse_cdf(theta.data, open01(rng)));
        Ok(())
    }
}

/// The 0-based index of a 1-based outcome, checked against 1..=K.
pub(crate) fn outcome(y: f64, k: usize) -> Result<usize, String> {
    if y.is_nan() || y.fract() != 0.0 || y < 1.0 || y > k as f64 {
        return Err(format!("outcome y = {y} is not in 1..{k}"));
    }
    Ok(y as usize - 1)
}

/// The 1-based category whose cumulative probability first reaches u.
pub(crate) fn inverse_cdf(p: &[f64], u: f64) -> f64 {
    let total: f64 = p.iter().sum();
    let target = u * total;
    let mut acc = 0.0;
    let mut last = 0;
    for (i, &pi) in p.iter().enumerate() {
        if pi > 0.0 {
            last = i;
        }
        acc += pi;
        if target < acc {
            return (i + 1) as f64;
        }
    }
    (last + 1) as f64
}
