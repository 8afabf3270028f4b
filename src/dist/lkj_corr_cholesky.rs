//! `lkj_corr_cholesky` — lkj_corr_cholesky(eta): LKJ distribution on the Cholesky factor L of a correlation matrix, eta > 0

use super::draw;
use super::multi_normal_cholesky::{check_cholesky_factor, square_size};
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View};
use crate::random::VRng;
use crate::scalar::{Scalar, lbeta};
use num_dual::Dual;
use std::f64::consts::LN_2;

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
        let (l, eta) = (&args[0], &args[1]);
        let k = square_size(l, "L")?;
        let eta = scalar_eta(eta)?;
        check_corr_cholesky(l)?;
        // det(L L') = prod L_ii^2 and the Jacobian of L -> L L' on
        // correlation matrices is prod_{i>=2} L_ii^(K-i) (1-based), so the
        // density of L is c_K(eta)^-1 prod_{i>=2} L_ii^(K - i + 2 eta - 2).
        let mut lp = -log_normalizer(k, eta);
        for i in 1..k {
            lp += (eta * 2.0 + (k - i) as f64 - 3.0) * l.at(i, i).ln();
        }
        Ok(lp)
    }

    const HAS_GRADIENT: bool = true;

    fn lpdf_gradient<T: Scalar>(
        args: &[View<'_, T>],
        grads: &mut [Option<&mut [T]>],
        scratch: &mut Vec<T>,
    ) -> Result<T, String> {
        let _ = scratch;
        lkj_corr_cholesky_gradient(args, grads)
    }

    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        if args.len() != 2 {
            return Err(
                "lkj_corr_cholesky_rng needs the dimension: lkj_corr_cholesky_rng(K, eta)".into(),
            );
        }
        let kv = scalar_eta(&args[0])?;
        if kv.is_nan() || kv < 1.0 || kv.fract() != 0.0 {
            return Err(format!(
                "the dimension K must be a positive integer, got {kv}"
            ));
        }
        let k = kv as usize;
        let eta = scalar_eta(&args[1])?;
        if eta.is_nan() || eta <= 0.0 {
            return Err(format!("eta must be positive, got {eta}"));
        }
        // Canonical partial correlations of the C-vine: the one at level j
        // (0-based) is 2 Beta(b, b) - 1 with b = eta + (K - 2 - j) / 2
        // (Lewandowski, Kurowicka & Joe 2009); then the same construction
        // as the corr_cholesky transform.
        out.clear();
        out.resize(k * k, 0.0);
        out[0] = 1.0;
        for i in 1..k {
            let mut rem: f64 = 1.0;
            for j in 0..i {
                let b = eta + (k as f64 - 2.0 - j as f64) / 2.0;
                let z = 2.0 * draw(rand_distr::Beta::new(b, b), rng) - 1.0;
                out[i * k + j] = z * rem.sqrt();
                rem *= 1.0 - z * z;
            }
            out[i * k + i] = rem.sqrt();
        }
        Ok(())
    }
}

fn scalar_eta<T: Scalar>(v: &View<'_, T>) -> Result<T, String> {
    if v.len() != 1 {
        return Err(format!(
            "expected a scalar argument, got {} elements",
            v.len()
        ));
    }
    Ok(v.data[0])
}

/// log c_K(eta), where c_K(eta) = integral of det(R)^(eta - 1) over K x K
/// correlation matrices (Lewandowski, Kurowicka & Joe 2009):
/// c_K = prod_{k=1}^{K-1} [2^(2 eta - 2 + K - k) B(eta + (K-k-1)/2, eta + (K-k-1)/2)]^(K-k).
pub fn log_normalizer<T: Scalar>(k: usize, eta: T) -> T {
    let mut s = T::zero();
    for i in 1..k {
        let m = (k - i) as f64;
        let b = eta + (m - 1.0) / 2.0;
        s += ((eta * 2.0 - 2.0 + m) * LN_2 + lbeta(b, b)) * m;
    }
    s
}

/// Lower-triangular, positive diagonal, rows of unit length (within 1e-8).
pub fn check_corr_cholesky<T: Scalar>(l: &View<'_, T>) -> Result<(), String> {
    check_cholesky_factor(l, "L")?;
    for i in 0..l.rows {
        let norm: f64 = (0..=i).map(|j| l.at(i, j).re().powi(2)).sum();
        if (norm - 1.0).abs() > 1e-8 {
            return Err(format!(
                "L must be the Cholesky factor of a correlation matrix, but row {} has squared length {norm}, not 1",
                i + 1
            ));
        }
    }
    Ok(())
}

/// `lkj_corr_cholesky(L | eta)` with partials: O(K).
fn lkj_corr_cholesky_gradient<T: Scalar>(
    args: &[View<'_, T>],
    grads: &mut [Option<&mut [T]>],
) -> Result<T, String> {
    let (l, eta_view) = (&args[0], &args[1]);
    let k = square_size(l, "L")?;
    if eta_view.len() != 1 {
        return Err(format!(
            "expected a scalar argument, got {} elements",
            eta_view.len()
        ));
    }
    let eta = eta_view.data[0];
    check_corr_cholesky(l)?;
    let normalizer = log_normalizer(k, Dual::new(eta, T::one()));
    let mut lp = -normalizer.re;
    let mut deta = -normalizer.eps;
    let (dl, rest) = grads.split_at_mut(1);
    if let Some(d) = dl[0].as_deref_mut() {
        d.iter_mut().for_each(|x| *x = T::zero());
    }
    for i in 1..k {
        let lii = l.at(i, i);
        let c = eta * 2.0 + (k - i) as f64 - 3.0;
        let log_lii = lii.ln();
        lp += c * log_lii;
        deta += log_lii * 2.0;
        if let Some(d) = dl[0].as_deref_mut() {
            d[i * k + i] = c / lii;
        }
    }
    if let Some(d) = rest[0].as_deref_mut() {
        d[0] = deta;
    }
    Ok(lp)
}
