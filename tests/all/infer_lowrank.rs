//! The low-rank family `lowrank:R` (Σ = D² + W Wᵀ): exact fits of
//! Gaussians whose covariance is in the family, log q against the dense
//! formula, the f-divergence flow, fit-file round trips and the
//! combinations it refuses.

use crate::infer_targets::{Gaussian, normal, w2_gaussian};
use vippl::infer::{
    Algorithm, Approximation, Divergence, FamilyKind, FitConfig, Init, Silent, Termination, fit,
};

/// A Gaussian target with covariance D*² + W* W*ᵀ (d, rank r), its
/// covariance, and the mean.
fn low_rank_target(d: usize, r: usize, seed: u64) -> (Gaussian, Vec<f64>) {
    let mut rng = vippl::random::stream(seed, &[7]);
    let diag: Vec<f64> = (0..d).map(|i| 0.5 + (i % 5) as f64 * 0.2).collect();
    let factor: Vec<f64> = (0..d * r).map(|_| normal(&mut rng)).collect();
    let mean: Vec<f64> = (0..d).map(|i| (i as f64 * 0.37).sin() * 2.0).collect();
    let mut cov = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            cov[i * d + j] = (0..r).map(|p| factor[i * r + p] * factor[j * r + p]).sum();
        }
        cov[i * d + i] += diag[i] * diag[i];
    }
    let prec = nalgebra::DMatrix::from_row_slice(d, d, &cov)
        .try_inverse()
        .expect("SPD");
    let prec: Vec<f64> = (0..d * d).map(|k| prec[(k / d, k % d)]).collect();
    (
        Gaussian {
            mean,
            prec,
            offset: 0.0,
        },
        cov,
    )
}

/// The smallest eigenvalue of a symmetric matrix.
fn smallest_eigenvalue(m: &[f64], d: usize) -> f64 {
    let e = nalgebra::DMatrix::from_row_slice(d, d, m).symmetric_eigen();
    e.eigenvalues.iter().cloned().fold(f64::INFINITY, f64::min)
}

/// The target lies in the family, so the KL optimum is the target itself
/// and the path estimator's noise vanishes there: the fit converges to it
/// linearly. As for the full-rank family (`infer_fit`), Stan's rule stops
/// when an ELBO change over a window falls below tol·max(1, |ELBO|), the KL
/// left is at most ~10 such changes, and Talagrand's inequality for a
/// target with smallest precision eigenvalue λ gives W₂ ≤ √(2 KL / λ).
#[test]
fn bw_recovers_a_gaussian_whose_covariance_is_diagonal_plus_low_rank() {
    for (d, r, seed) in [(12, 2, 21), (40, 3, 22)] {
        let (target, cov) = low_rank_target(d, r, seed);
        let config = FitConfig {
            family: Some(FamilyKind::LowRank(r)),
            init: Some(Init::Zero),
            tol: 1e-10,
            grad_tol: None,
            seed,
            draws: 200,
            ..FitConfig::default()
        };
        let res = fit(&target, &config, &mut Silent).unwrap();
        assert_eq!(res.termination, Termination::Converged, "d = {d}");
        let q = &res.approximation;
        assert_eq!(q.kind(), FamilyKind::LowRank(r));
        let w2 = w2_gaussian(&q.mean(), &q.covariance(), &target.mean, &cov);
        let lambda = smallest_eigenvalue(&target.prec, d);
        let elbo = res.diagnostics.elbo.abs().max(1.0);
        let bound = (2.0 * 10.0 * config.tol * elbo / lambda).sqrt();
        assert!(w2 <= bound, "d = {d}, R = {r}: W2 {w2:e} > {bound:e}");
        // The marginal sds of the summary: √(D² + row norms of W²).
        for (i, s) in q.sd().iter().enumerate() {
            let want = cov[i * d + i].sqrt();
            assert!((s - want).abs() <= bound, "sd {i}: {s} vs {want}");
        }
    }
}

/// log q at arbitrary points against the dense Gaussian density.
#[test]
fn log_q_matches_the_dense_formula() {
    let (d, r) = (9, 3);
    let mut rng = vippl::random::stream(4, &[1]);
    let mean: Vec<f64> = (0..d).map(|_| normal(&mut rng)).collect();
    let diag: Vec<f64> = (0..d).map(|_| 0.3 + normal(&mut rng).abs()).collect();
    let factor: Vec<f64> = (0..d * r).map(|_| normal(&mut rng)).collect();
    let q = Approximation::LowRank {
        mean: mean.clone(),
        diag,
        factor,
    };
    let cov = nalgebra::DMatrix::from_row_slice(d, d, &q.covariance());
    let chol = cov.clone().cholesky().expect("SPD");
    let logdet: f64 = 2.0 * chol.l().diagonal().iter().map(|v| v.ln()).sum::<f64>();
    for _ in 0..10 {
        let x: Vec<f64> = (0..d).map(|_| 2.0 * normal(&mut rng)).collect();
        let v = nalgebra::DVector::from_iterator(d, (0..d).map(|i| x[i] - mean[i]));
        let quad = v.dot(&chol.solve(&v));
        let want = -0.5 * quad - 0.5 * logdet - 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln();
        let got = q.log_q(&x).unwrap();
        assert!(
            (got - want).abs() < 1e-10 * want.abs().max(1.0),
            "{got} vs {want}"
        );
    }
    let entropy = 0.5 * logdet + 0.5 * d as f64 * (1.0 + (2.0 * std::f64::consts::PI).ln());
    assert!((q.entropy().unwrap() - entropy).abs() < 1e-10);
}

/// Draws from `sample` have the family's covariance D² + W Wᵀ: each
/// entry of the sample covariance is within 5 standard errors (the
/// variance of a product of jointly Gaussian variables is
/// Σᵢᵢ Σⱼⱼ + Σᵢⱼ²).
#[test]
fn draws_have_the_covariance_of_the_family() {
    let (d, r, n) = (5, 2, 40_000);
    let q = Approximation::LowRank {
        mean: vec![1.0, -1.0, 0.0, 2.0, 0.5],
        diag: vec![0.5, 1.0, 0.3, 0.8, 1.2],
        factor: vec![1.0, 0.0, 0.5, -0.7, 0.2, 0.9, -1.1, 0.4, 0.0, 0.3],
    };
    let cov = q.covariance();
    let x = q.sample(n, 3).unwrap();
    let mean = q.mean();
    for i in 0..d {
        for j in 0..d {
            let s: f64 = (0..n)
                .map(|k| (x[k * d + i] - mean[i]) * (x[k * d + j] - mean[j]))
                .sum::<f64>()
                / n as f64;
            let c = cov[i * d + j];
            let se = ((cov[i * d + i] * cov[j * d + j] + c * c) / n as f64).sqrt();
            assert!((s - c).abs() <= 5.0 * se, "({i},{j}) {s} vs {c} ± {se}");
        }
    }
    let _ = r;
}

/// The f-divergence flow (self-normalised weights) with the low-rank
/// family: for a target in the family every divergence has the target as
/// its optimum, so the fit lands on it; tolerance from the natural-gradient
/// rule's own (a fraction of a posterior sd), doubled for the weights' noise.
#[test]
fn the_f_divergence_flow_fits_the_low_rank_family() {
    let (d, r) = (10, 2);
    let (target, cov) = low_rank_target(d, r, 31);
    let config = FitConfig {
        family: Some(FamilyKind::LowRank(r)),
        divergence: Divergence::Hellinger,
        seed: 5,
        draws: 200,
        ..FitConfig::default()
    };
    let res = fit(&target, &config, &mut Silent).unwrap();
    let q = &res.approximation;
    assert_eq!(q.kind(), FamilyKind::LowRank(r));
    let tol = 2.0 * config.grad_tol.unwrap();
    for i in 0..d {
        let sd = cov[i * d + i].sqrt();
        assert!(
            (q.mean()[i] - target.mean[i]).abs() <= tol * sd,
            "mean {i}: {} vs {}",
            q.mean()[i],
            target.mean[i]
        );
        assert!(
            (q.sd()[i] / sd - 1.0).abs() <= tol,
            "sd {i}: {} vs {sd}",
            q.sd()[i]
        );
    }
}

/// Combinations that cannot work say so and name what to use instead.
#[test]
fn unsupported_combinations_are_refused_with_a_remedy() {
    let (target, _) = low_rank_target(6, 1, 1);
    let refused = |config: FitConfig| match fit(&target, &config, &mut Silent) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{config:?} was accepted"),
    };
    let rank_too_large = refused(FitConfig {
        family: Some(FamilyKind::LowRank(6)),
        ..FitConfig::default()
    });
    assert!(
        rank_too_large.contains("lowrank:6") && rank_too_large.contains("R ≤ 5"),
        "{rank_too_large}"
    );
    for algorithm in [Algorithm::Advi, Algorithm::Fbgvi] {
        let e = refused(FitConfig {
            family: Some(FamilyKind::LowRank(2)),
            algorithm,
            ..FitConfig::default()
        });
        assert!(e.contains("--algorithm bw"), "{algorithm}: {e}");
    }
}

/// A fit file keeps D and W as they are (no dense matrix) and reads back
/// to the same approximation.
#[test]
fn the_approximation_round_trips_through_json() {
    let q = Approximation::LowRank {
        mean: vec![0.5, -1.0, 2.0],
        diag: vec![0.3, 0.4, 0.5],
        factor: vec![1.0, -2.0, 0.25],
    };
    let text = serde_json::to_string(&q).unwrap();
    assert!(text.contains("\"family\":\"lowrank\"") && text.contains("\"factor\""));
    let back: Approximation = serde_json::from_str(&text).unwrap();
    assert_eq!(back, q);
    assert_eq!(back.kind(), FamilyKind::LowRank(1));
    let bad = Approximation::LowRank {
        mean: vec![0.0; 3],
        diag: vec![1.0, 1.0],
        factor: vec![1.0; 3],
    };
    assert!(bad.check().unwrap_err().contains("lowrank"));
}
