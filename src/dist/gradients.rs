//! Hand-written gradients of the multivariate log densities whose
//! dual-number partials would cost a full evaluation per matrix entry:
//! `multi_normal_cholesky` (O(n K²) for n rows of size K), `multi_normal`
//! (plus one O(K³) Cholesky adjoint) and `lkj_corr_cholesky` (O(K)).
//! Every function is generic over the scalar, so on dual numbers the
//! partials carry their own derivatives (Hessian–vector products), and
//! works in the caller's `scratch`, so a warm call allocates nothing.
//!
//! The multivariate normal with a lower Cholesky factor L: for a row y
//! with mean mu, z = L⁻¹ (y − mu) and w = L⁻ᵀ z,
//! log p = −½ zᵀz − Σ log L_ii − (K/2) log 2π. From dz = −L⁻¹ dL z,
//! ∂/∂y = −w, ∂/∂mu = w and ∂/∂L = w zᵀ − diag(1 / L_ii) (lower triangle).

use super::lkj_corr_cholesky::{check_corr_cholesky, log_normalizer};
use super::multi_normal_cholesky::{check_cholesky_factor, count_rows, square_size};
use super::{Multivariate, View};
use crate::scalar::linalg::{
    cholesky_adjoint, cholesky_lower, solve_lower, solve_lower_transposed,
};
use crate::scalar::{HALF_LOG_TWO_PI, Scalar};
use num_dual::Dual;

/// Summed multivariate normal log density of the rows of `y` given a
/// checked lower Cholesky factor `l` (`k × k`), with the partials of `y`,
/// `mu` and `l` written where asked (overwritten; `dl` lower triangle).
pub(crate) fn mvn_cholesky_gradient<T: Scalar>(
    y: &View<'_, T>,
    mu: &View<'_, T>,
    l: &[T],
    k: usize,
    grads: [Option<&mut [T]>; 3],
    work: &mut [T],
) -> Result<T, String> {
    let n = count_rows(y, k, "y")?;
    let m = count_rows(mu, k, "mu")?;
    if m != 1 && m != n {
        return Err(format!(
            "mu has {m} rows but y has {n}: give one mean vector or one per row"
        ));
    }
    let [mut dy, mut dmu, mut dl] = grads;
    for d in [&mut dy, &mut dmu, &mut dl].into_iter().flatten() {
        d.iter_mut().for_each(|x| *x = T::zero());
    }
    let (z, w) = work[..2 * k].split_at_mut(k);
    let mut sum_sq = T::zero();
    for r in 0..n {
        let mr = if m == 1 { 0 } else { r * k };
        let (yr, mur) = (&y.data[r * k..(r + 1) * k], &mu.data[mr..mr + k]);
        for ((zi, &yi), &mi) in z.iter_mut().zip(yr).zip(mur) {
            *zi = yi - mi;
        }
        solve_lower(l, z, k);
        w.copy_from_slice(z);
        solve_lower_transposed(l, w, k);
        for &zi in z.iter() {
            sum_sq += zi * zi;
        }
        if let Some(d) = dy.as_deref_mut() {
            for i in 0..k {
                d[r * k + i] = -w[i];
            }
        }
        if let Some(d) = dmu.as_deref_mut() {
            for i in 0..k {
                d[mr + i] += w[i];
            }
        }
        if let Some(d) = dl.as_deref_mut() {
            for i in 0..k {
                let wi = w[i];
                for (x, &zj) in d[i * k..i * k + i + 1].iter_mut().zip(z.iter()) {
                    *x += wi * zj;
                }
            }
        }
    }
    let nf = n as f64;
    let mut log_det = T::zero();
    for i in 0..k {
        let lii = l[i * k + i];
        log_det += lii.ln();
        if let Some(d) = dl.as_deref_mut() {
            d[i * k + i] -= lii.recip() * nf;
        }
    }
    Ok(-sum_sq * 0.5 - log_det * nf - HALF_LOG_TWO_PI * (k as f64) * nf)
}

/// `multi_normal_cholesky(y | mu, L)` with partials.
pub(crate) fn multi_normal_cholesky<T: Scalar>(
    args: &[View<'_, T>],
    grads: &mut [Option<&mut [T]>],
    scratch: &mut Vec<T>,
) -> Result<T, String> {
    let (y, mu, l) = (&args[0], &args[1], &args[2]);
    let k = square_size(l, "L")?;
    check_cholesky_factor(l, "L")?;
    scratch.clear();
    scratch.resize(2 * k, T::zero());
    mvn_cholesky_gradient(y, mu, l.data, k, take3(grads), scratch)
}

/// `multi_normal(y | mu, Sigma)` with partials: the factor's adjoint from
/// [`mvn_cholesky_gradient`], then the Cholesky adjoint to Sigma (its lower
/// triangle, the part the factorisation reads).
pub(crate) fn multi_normal<T: Scalar>(
    args: &[View<'_, T>],
    grads: &mut [Option<&mut [T]>],
    scratch: &mut Vec<T>,
) -> Result<T, String> {
    let (y, mu, sigma) = (&args[0], &args[1], &args[2]);
    let k = square_size(sigma, "Sigma")?;
    check_symmetric(sigma)?;
    let [dy, dmu, dsigma] = take3(grads);
    let kk = k * k;
    // scratch: L, L̄, two k × k blocks for the Cholesky adjoint, 2k for rows.
    scratch.clear();
    scratch.resize(4 * kk + 2 * k, T::zero());
    let (l, rest) = scratch.split_at_mut(kk);
    let (lbar, rest) = rest.split_at_mut(kk);
    let (p, rest) = rest.split_at_mut(kk);
    let (g, rows) = rest.split_at_mut(kk);
    cholesky_lower(sigma.data, l, k).map_err(|e| {
        format!(
            "Sigma must be positive-definite (Cholesky pivot {} is {})",
            e.pivot + 1,
            e.value
        )
    })?;
    let want_sigma = dsigma.is_some();
    let dl = want_sigma.then_some(&mut *lbar);
    let value = mvn_cholesky_gradient(y, mu, l, k, [dy, dmu, dl], rows)?;
    if let Some(ds) = dsigma {
        ds.iter_mut().for_each(|x| *x = T::zero());
        cholesky_adjoint(l, lbar, ds, k, p, g);
    }
    Ok(value)
}

/// `lkj_corr_cholesky(L | eta)` with partials: O(K).
pub(crate) fn lkj_corr_cholesky<T: Scalar>(
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

/// The first three entries of `grads`, as mutable slices.
fn take3<'a, T>(grads: &'a mut [Option<&mut [T]>]) -> [Option<&'a mut [T]>; 3] {
    let (a, rest) = grads.split_at_mut(1);
    let (b, c) = rest.split_at_mut(1);
    [
        a[0].as_deref_mut(),
        b[0].as_deref_mut(),
        c[0].as_deref_mut(),
    ]
}

/// Sigma symmetric within 1e-8 relative (the check of `multi_normal`).
fn check_symmetric<T: Scalar>(a: &View<'_, T>) -> Result<(), String> {
    for i in 0..a.rows {
        for j in 0..i {
            let (x, y) = (a.at(i, j).re(), a.at(j, i).re());
            if (x - y).abs() > 1e-8 * x.abs().max(y.abs()).max(1.0) || x.is_nan() {
                return Err(format!(
                    "Sigma must be symmetric, but Sigma[{}, {}] = {x} and Sigma[{}, {}] = {y}",
                    i + 1,
                    j + 1,
                    j + 1,
                    i + 1
                ));
            }
        }
    }
    Ok(())
}

/// The partials of `D`'s log density by forward dual sweeps, one per
/// entry of each argument that asks for them: the reference the
/// hand-written gradients are tested against.
pub fn gradient_by_duals<D: Multivariate, T: Scalar>(
    args: &[View<'_, T>],
    grads: &mut [Option<&mut [T]>],
) -> Result<T, String> {
    let mut dual: Vec<Vec<Dual<T>>> = args
        .iter()
        .map(|a| a.data.iter().map(|&x| Dual::from_re(x)).collect())
        .collect();
    let value = D::lpdf(args)?;
    for j in 0..args.len() {
        let Some(d) = grads[j].as_deref_mut() else {
            continue;
        };
        for e in 0..args[j].len() {
            dual[j][e].eps = T::one();
            let views: Vec<View<'_, Dual<T>>> = dual
                .iter()
                .zip(args)
                .map(|(v, a)| View::matrix(v, a.rows, a.cols))
                .collect();
            d[e] = D::lpdf(&views)?.eps;
            dual[j][e].eps = T::zero();
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::lkj_corr_cholesky::LkjCorrCholesky;
    use crate::dist::multi_normal::MultiNormal;
    use crate::dist::multi_normal_cholesky::MultiNormalCholesky;
    use rand::RngExt;

    fn uniform(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = crate::random::stream(seed, &[n as u64]);
        (0..n).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect()
    }

    /// B Bᵀ + k I for a random B, and its lower Cholesky factor.
    fn spd(k: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let b = uniform(k * k, seed);
        let mut a = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                a[i * k + j] = (0..k).map(|q| b[i * k + q] * b[j * k + q]).sum();
            }
            a[i * k + i] += k as f64;
        }
        let mut l = vec![0.0; k * k];
        cholesky_lower(&a, &mut l, k).unwrap();
        (a, l)
    }

    /// Compares `D`'s hand-written partials with the dual-number ones.
    fn compare<D: Multivariate>(args: &[View<'_, f64>]) {
        let mut hand: Vec<Vec<f64>> = args.iter().map(|a| vec![0.0; a.len()]).collect();
        let mut duals = hand.clone();
        let mut g: Vec<Option<&mut [f64]>> = hand.iter_mut().map(|v| Some(&mut v[..])).collect();
        let mut scratch = Vec::new();
        let v1 = D::lpdf_gradient(args, &mut g, &mut scratch).unwrap();
        let mut g: Vec<Option<&mut [f64]>> = duals.iter_mut().map(|v| Some(&mut v[..])).collect();
        let v2 = gradient_by_duals::<D, f64>(args, &mut g).unwrap();
        assert!((v1 - v2).abs() < 1e-12 * (1.0 + v2.abs()), "{v1} vs {v2}");
        for (h, d) in hand.iter().flatten().zip(duals.iter().flatten()) {
            assert!(
                (h - d).abs() < 1e-10 * (1.0 + d.abs()),
                "{hand:?}\nvs\n{duals:?}"
            );
        }
    }

    #[test]
    fn hand_written_gradients_match_dual_numbers() {
        for k in 1..=6 {
            let (sigma, l) = spd(k, 3);
            let y = uniform(3 * k, 5);
            let mu = uniform(k, 6);
            let mu_rows = uniform(3 * k, 7);
            for mean in [&mu, &mu_rows] {
                let rows = mean.len() / k;
                let args = [
                    View::matrix(&y, 3, k),
                    View::matrix(mean, rows, if rows == 1 { 1 } else { k }),
                    View::matrix(&l, k, k),
                ];
                let args_vec = if rows == 1 {
                    [args[0], View::vector(mean), args[2]]
                } else {
                    args
                };
                compare::<MultiNormalCholesky>(&args_vec);
                let with_sigma = [args_vec[0], args_vec[1], View::matrix(&sigma, k, k)];
                compare::<MultiNormal>(&with_sigma);
            }
            // A correlation factor: the rows of L scaled to unit length.
            let mut corr = l.clone();
            for i in 0..k {
                let norm = (0..=i).map(|j| l[i * k + j].powi(2)).sum::<f64>().sqrt();
                for j in 0..=i {
                    corr[i * k + j] /= norm;
                }
            }
            let eta = [1.7];
            compare::<LkjCorrCholesky>(&[View::matrix(&corr, k, k), View::vector(&eta)]);
        }
    }
}
