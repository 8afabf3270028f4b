//! `lkj_corr` — lkj_corr(eta): LKJ distribution of a K x K correlation matrix Sigma, eta > 0; density det(Sigma)^(eta - 1) / c_K(eta); lkj_corr_rng(K, eta)

use super::lkj_corr_cholesky::{LkjCorrCholesky, log_normalizer};
use super::multi_normal::cholesky;
use super::multi_normal_cholesky::square_size;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct LkjCorr;

const SPEC: DistSpec = DistSpec {
    name: "lkj_corr",
    variate: ArgSpec::new("y", ArgShape::Matrix, Domain::Covariance),
    args: &[ArgSpec::new("eta", ArgShape::Scalar, Domain::Positive)],
    doc: "lkj_corr(eta): LKJ distribution of a K x K correlation matrix, eta > 0; density det(Sigma)^(eta - 1) / c_K(eta); lkj_corr_rng(K, eta)",
};

impl Multivariate for LkjCorr {
    const SPEC: DistSpec = SPEC;

    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (sigma, eta) = (&args[0], args[1].data[0]);
        let k = square_size(sigma, "y")?;
        for i in 0..k {
            let d = sigma.at(i, i).re();
            if (d - 1.0).abs() > 1e-8 {
                return Err(format!(
                    "y must be a correlation matrix, but y[{0}, {0}] = {d}, not 1",
                    i + 1
                ));
            }
        }
        let l = cholesky(sigma).map_err(|m| m.replace("Sigma", "y"))?;
        let mut log_det = T::zero();
        for i in 0..k {
            log_det += l[i * k + i].ln() * 2.0;
        }
        Ok((eta - 1.0) * log_det - log_normalizer(k, eta))
    }

    /// L L' for a draw L of lkj_corr_cholesky(eta); `args` = (K, eta).
    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let mut l = Vec::new();
        LkjCorrCholesky::rng(args, rng, &mut l)?;
        let k = (l.len() as f64).sqrt().round() as usize;
        out.clear();
        out.resize(k * k, 0.0);
        for i in 0..k {
            for j in 0..=i {
                let v: f64 = (0..=j).map(|m| l[i * k + m] * l[j * k + m]).sum();
                out[i * k + j] = if i == j { 1.0 } else { v };
                out[j * k + i] = out[i * k + j];
            }
        }
        Ok(())
    }
}
