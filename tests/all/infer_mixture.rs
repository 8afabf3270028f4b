//! Mixture fits: the three-mode 1-D target of algorithms.md §6.4 and the
//! banana with five components.

use crate::infer_targets::{Banana, Mix1};
use vippl::infer::{
    Approximation, Divergence, FamilyKind, FitConfig, Silent, Target, Termination, fit,
};

/// log q of a mixture or Gaussian at a 1-D or 2-D point, written
/// independently of the engine (explicit inverses are fine in a test).
fn log_q(q: &Approximation, x: &[f64]) -> f64 {
    let comps: Vec<(f64, &[f64], &[f64])> = match q {
        Approximation::Mixture {
            weights,
            components,
        } => weights
            .iter()
            .zip(components)
            .map(|(w, c)| (*w, &c.mean[..], &c.scale[..]))
            .collect(),
        Approximation::FullRank { mean, scale } => vec![(1.0, &mean[..], &scale[..])],
        Approximation::MeanField { .. } | Approximation::LowRank { .. } => unreachable!(),
    };
    let mut terms = Vec::new();
    for (w, m, s) in comps {
        let t = if x.len() == 1 {
            let z = (x[0] - m[0]) / s[0];
            -0.5 * z * z - s[0].abs().ln() - 0.918_938_533_204_672_8
        } else {
            let det = s[0] * s[3] - s[1] * s[2];
            let (a, b) = (x[0] - m[0], x[1] - m[1]);
            let z0 = (s[3] * a - s[1] * b) / det;
            let z1 = (-s[2] * a + s[0] * b) / det;
            -0.5 * (z0 * z0 + z1 * z1) - det.abs().ln() - 2.0 * 0.918_938_533_204_672_8
        };
        terms.push(w.ln() + t);
    }
    let mx = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    mx + terms.iter().map(|t| (t - mx).exp()).sum::<f64>().ln()
}

/// KL(q‖p) by the trapezoid rule on [-10, 14].
fn kl_1d(q: &Approximation, p: &Mix1) -> f64 {
    let n = 24_001;
    let h = 24.0 / (n - 1) as f64;
    (0..n)
        .map(|i| {
            let x = -10.0 + i as f64 * h;
            let lq = log_q(q, &[x]);
            let v = lq.exp() * (lq - p.eval(x).0);
            if v.is_finite() { v * h } else { 0.0 }
        })
        .sum()
}

#[test]
fn four_components_with_restarts_cover_the_three_modes() {
    let p = Mix1::three_mode();
    let config = FitConfig {
        family: Some(FamilyKind::Mixture(4)),
        restarts: 4,
        seed: 1,
        tol: 1e-3,
        ..FitConfig::default()
    };
    let res = fit(&p, &config, &mut Silent).unwrap();
    let kl = kl_1d(&res.approximation, &p);
    for r in &res.restarts {
        eprintln!(
            "restart {}: ELBO {:.4} ({:?})",
            r.restart, r.elbo, r.termination
        );
    }
    eprintln!("{:?}\nKL(q‖p) = {kl}", res.approximation);
    assert!(kl < 0.02, "KL(q‖p) = {kl}");
}

#[test]
fn forward_kl_with_one_component_moment_matches() {
    // The forward-KL optimum in the Gaussian family matches the moments of p:
    // mean 0.74, sd 1.7639. Four seeds; the tolerance is 4 standard errors of
    // their average, from their spread, plus 0.2 % of the sd for the
    // stationary bias of a constant-step scheme.
    let p = Mix1::three_mode();
    let (sd_p, mean_p) = (3.1114f64.sqrt(), 0.74);
    assert_forward_kl_matches_moments(&p, mean_p, sd_p);
}

/// Fits one Gaussian under forward KL with four seeds and checks its mean
/// and sd against the target's: within 4 standard errors of the seeds'
/// average (from their spread) plus 0.2 % of the sd for the stationary bias
/// of a constant-step scheme.
pub fn assert_forward_kl_matches_moments<T: Target>(target: &T, mean_p: f64, sd_p: f64) {
    let mut fits = Vec::new();
    for seed in 0..4 {
        let config = FitConfig {
            divergence: Divergence::Fkl,
            samples: Some(64),
            seed,
            tol: 1e-3,
            draws: 100,
            ..FitConfig::default()
        };
        let res = fit(target, &config, &mut Silent).unwrap();
        assert_eq!(res.termination, Termination::Converged, "seed {seed}");
        let q = res.approximation;
        fits.push((q.mean()[0], q.sd()[0]));
    }
    eprintln!("fkl K=1 fits {fits:?}");
    let k = fits.len() as f64;
    for (what, vals, want) in [
        ("mean", fits.iter().map(|f| f.0).collect::<Vec<_>>(), mean_p),
        ("sd", fits.iter().map(|f| f.1).collect::<Vec<_>>(), sd_p),
    ] {
        let m = vals.iter().sum::<f64>() / k;
        let s = (vals.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
        assert!(
            (m - want).abs() <= 4.0 * s / k.sqrt() + 2e-3 * sd_p,
            "{what}: {m} vs {want} (seed sd {s})"
        );
    }
}

/// KL(q‖p) for the banana (Z = π) on the grid x₁ ∈ [−4, 6], x₂ ∈ [−6, 30].
fn kl_banana(q: &Approximation) -> f64 {
    let (n1, n2) = (401, 1201);
    let (h1, h2) = (10.0 / (n1 - 1) as f64, 36.0 / (n2 - 1) as f64);
    let mut sum = 0.0;
    for i in 0..n1 {
        for j in 0..n2 {
            let x = [-4.0 + i as f64 * h1, -6.0 + j as f64 * h2];
            let lq = log_q(q, &x);
            let lp =
                -(x[0] - 1.0).powi(2) - (x[1] - x[0] * x[0]).powi(2) - std::f64::consts::PI.ln();
            let v = lq.exp() * (lq - lp);
            if v.is_finite() {
                sum += v;
            }
        }
    }
    sum * h1 * h2
}

#[test]
fn banana_with_five_components() {
    for div in [Divergence::Kl, Divergence::Hellinger] {
        let config = FitConfig {
            family: Some(FamilyKind::Mixture(5)),
            divergence: div,
            seed: 2,
            tol: 1e-3,
            draws: 500,
            ..FitConfig::default()
        };
        let res = fit(&Banana, &config, &mut Silent).unwrap();
        let kl = kl_banana(&res.approximation);
        eprintln!(
            "banana {div}: KL {kl}, iterations {} {:?}",
            res.iterations, res.termination
        );
        assert!(kl < 0.05, "{div}: KL(q‖p) = {kl}");
    }
}
