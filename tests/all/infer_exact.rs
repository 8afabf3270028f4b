//! Exactness of the estimators: the per-sample test vectors of
//! algorithms.md §5.4, exact expectations on Gauss–Hermite grids (BW-SGD
//! identity, Stein closed forms), finite-difference gradients of every
//! divergence by quadrature, and the covariance-ODE comparison of §6.1.

use crate::infer_targets::{Banana, Mix1, gauss_hermite, gauss_hermite_2d};
use vippl::infer::{
    Approximation, Component, Divergence, Estimator, Target, expected_direction,
    per_sample_gradient,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

fn banana_q() -> Approximation {
    Approximation::FullRank {
        mean: vec![0.3, -0.5],
        scale: vec![0.9, 0.2, -0.4, 0.7],
    }
}

#[test]
fn per_sample_gradients_match_the_test_vectors() {
    let q = banana_q();
    let eps = [0.5, -1.2];
    let x = [0.51, -1.54];
    let mut g = [0.0; 2];
    let lp = Banana.log_density_and_gradient(&mut (), &x, &mut g);
    let cases = [
        (Divergence::Kl, [2.8753025915, -1.9382281690]),
        (Divergence::Fkl, [0.9195091034, -0.6198368308]),
        (Divergence::Chi2, [0.5881099219, -0.3964421764]),
        (Divergence::Hellinger, [0.8129986021, -0.5480385948]),
        // Amari α = 1 is forward KL, α = 0 reverse KL.
        (Divergence::Alpha(1.0), [0.9195091034, -0.6198368308]),
        (Divergence::Alpha(0.0), [2.8753025915, -1.9382281690]),
    ];
    for (div, dmu) in cases {
        let (log_r, gv, d) = per_sample_gradient(&q, 0, &eps, lp, &g, div).unwrap();
        assert!(close(log_r, -1.1400732525, 1e-9), "log r {log_r}");
        assert!(close(gv[0], -2.8753025915, 1e-9) && close(gv[1], 1.9382281690, 1e-9));
        assert!(
            close(d[0], dmu[0], 1e-9) && close(d[1], dmu[1], 1e-9),
            "{div}: {:?} vs {dmu:?}",
            &d[..2]
        );
        if div == Divergence::Kl {
            let ds = [1.4376512958, -3.4503631099, -0.9691140845, 2.3258738028];
            for i in 0..4 {
                assert!(close(d[2 + i], ds[i], 1e-9), "dS {:?}", &d[2..]);
            }
        }
    }
}

/// Exact E[∇log π] and E[∇²log π] under q = N(μ, SSᵀ) by the same grid.
fn banana_moments(nodes: &[f64], w: &[f64]) -> ([f64; 2], [f64; 4]) {
    let (mu, s) = ([0.3, -0.5], [0.9, 0.2, -0.4, 0.7]);
    let (mut b, mut h) = ([0.0; 2], [0.0; 4]);
    for (k, wk) in w.iter().enumerate() {
        let e = &nodes[2 * k..2 * k + 2];
        let x = [
            mu[0] + s[0] * e[0] + s[1] * e[1],
            mu[1] + s[2] * e[0] + s[3] * e[1],
        ];
        let mut g = [0.0; 2];
        Banana.log_density_and_gradient(&mut (), &x, &mut g);
        let hx = Banana::hess(&x);
        for i in 0..2 {
            b[i] += wk * g[i];
        }
        for i in 0..4 {
            h[i] += wk * hx[i];
        }
    }
    (b, h)
}

#[test]
fn exact_expectations_match_stein_closed_forms_and_reference_values() {
    let (nodes, w) = gauss_hermite_2d(80);
    let q = banana_q();
    let dir = expected_direction(&Banana, &q, Divergence::Kl, Estimator::Path, &nodes, &w).unwrap();
    // Reference values of §5.4.
    assert!(
        close(dir[0], -3.248, 1e-9) && close(dir[1], 2.88, 1e-9),
        "{dir:?}"
    );
    let egt = [-13.2460845070, -1.6526197183, 1.5983098592, 0.1076056338];
    for i in 0..4 {
        assert!(close(dir[2 + i], egt[i], 1e-9), "E[g εᵀ] {:?}", &dir[2..]);
    }
    // Closed forms: E[g] = E[∇log π]; E[g εᵀ] = H S + S⁻ᵀ.
    let (b, h) = banana_moments(&nodes, &w);
    let s = [0.9, 0.2, -0.4, 0.7];
    let det = s[0] * s[3] - s[1] * s[2];
    let s_inv_t = [s[3] / det, -s[2] / det, -s[1] / det, s[0] / det];
    for i in 0..2 {
        assert!((dir[i] - b[i]).abs() < 1e-12);
        for j in 0..2 {
            let hs = h[i * 2] * s[j] + h[i * 2 + 1] * s[2 + j];
            assert!((dir[2 + i * 2 + j] - (hs + s_inv_t[i * 2 + j])).abs() < 1e-12);
        }
    }
    // The reparameterization estimator has the same expectation.
    let rep = expected_direction(&Banana, &q, Divergence::Kl, Estimator::Rep, &nodes, &w).unwrap();
    for i in 0..6 {
        assert!((rep[i] - dir[i]).abs() < 1e-12, "rep {rep:?} path {dir:?}");
    }
}

#[test]
fn one_bw_step_is_lamberts_bw_sgd_step() {
    let (nodes, w) = gauss_hermite_2d(80);
    let q = banana_q();
    let eta = 0.05;
    let dir = expected_direction(&Banana, &q, Divergence::Kl, Estimator::Path, &nodes, &w).unwrap();
    let s = [0.9, 0.2, -0.4, 0.7];
    let s1: Vec<f64> = (0..4).map(|i| s[i] + eta * dir[2 + i]).collect();
    let m = |a: &[f64], b: &[f64]| {
        [
            a[0] * b[0] + a[1] * b[2],
            a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2],
            a[2] * b[1] + a[3] * b[3],
        ]
    };
    let t = |a: &[f64]| [a[0], a[2], a[1], a[3]];
    let sigma1 = m(&s1, &t(&s1));
    // Lambert: Σ₁ = (I + ηA) Σ (I + ηA), A = E[∇²log π] + Σ⁻¹.
    let (_, h) = banana_moments(&nodes, &w);
    let sigma = m(&s, &t(&s));
    let det = sigma[0] * sigma[3] - sigma[1] * sigma[2];
    let sinv = [
        sigma[3] / det,
        -sigma[1] / det,
        -sigma[2] / det,
        sigma[0] / det,
    ];
    let ia: Vec<f64> = (0..4)
        .map(|i| eta * (h[i] + sinv[i]) + if i == 0 || i == 3 { 1.0 } else { 0.0 })
        .collect();
    let lambert = m(&m(&ia, &sigma), &ia);
    for i in 0..4 {
        assert!(
            (sigma1[i] - lambert[i]).abs() < 1e-13,
            "{sigma1:?} vs {lambert:?}"
        );
    }
}

/// log q(x) of θ in the flow's layout, written independently of the engine.
fn log_q_1d(theta: &[f64], x: f64) -> f64 {
    let ln_n = |m: f64, s: f64| {
        let z = (x - m) / s;
        -0.5 * z * z - s.abs().ln() - 0.918_938_533_204_672_8
    };
    if theta.len() == 2 {
        ln_n(theta[0], theta[1])
    } else {
        let m = theta[0].max(theta[1]);
        let lz = m + ((theta[0] - m).exp() + (theta[1] - m).exp()).ln();
        let a = theta[0] - lz + ln_n(theta[2], theta[3]);
        let b = theta[1] - lz + ln_n(theta[4], theta[5]);
        let mx = a.max(b);
        mx + ((a - mx).exp() + (b - mx).exp()).ln()
    }
}

/// D_f(p‖q) = ∫ q f(p/q) by a fine trapezoid rule (p normalised).
fn divergence_1d(p: &Mix1, theta: &[f64], div: Divergence) -> f64 {
    let (a, b, n) = (-14.0, 16.0, 60_001);
    let h = (b - a) / (n - 1) as f64;
    let mut sum = 0.0;
    for i in 0..n {
        let x = a + i as f64 * h;
        let lq = log_q_1d(theta, x);
        let lp = p.eval(x).0;
        let v = lq.exp() * div.f(lp - lq);
        let wt = if i == 0 || i == n - 1 { 0.5 } else { 1.0 };
        if v.is_finite() {
            sum += wt * v;
        }
    }
    sum * h
}

/// q from θ in the flow's layout: `[μ, S]` or `[a₁, a₂, μ₁, S₁, μ₂, S₂]`.
fn q_of(theta: &[f64]) -> Approximation {
    if theta.len() == 2 {
        Approximation::FullRank {
            mean: vec![theta[0]],
            scale: vec![theta[1]],
        }
    } else {
        let m = theta[0].max(theta[1]);
        let z = (theta[0] - m).exp() + (theta[1] - m).exp();
        Approximation::Mixture {
            weights: vec![(theta[0] - m).exp() / z, (theta[1] - m).exp() / z],
            components: vec![
                Component {
                    mean: vec![theta[2]],
                    scale: vec![theta[3]],
                },
                Component {
                    mean: vec![theta[4]],
                    scale: vec![theta[5]],
                },
            ],
        }
    }
}

#[test]
fn every_estimator_is_the_gradient_of_its_divergence() {
    // Appendix A: the 1-D three-mode target, a Gaussian and a two-component
    // mixture; expectations by 200-point Gauss–Hermite per component, the
    // exact gradient by central differences of a 60 001-point quadrature.
    let p = Mix1::three_mode();
    let (x, w) = gauss_hermite(200);
    let thetas = [vec![0.4, 1.3], vec![0.3, -0.2, -0.5, 0.7, 1.5, 1.1]];
    let divs = [
        Divergence::Kl,
        Divergence::Fkl,
        Divergence::Chi2,
        Divergence::Hellinger,
        Divergence::Alpha(0.5),
    ];
    for theta in &thetas {
        for &div in &divs {
            let dir = expected_direction(&p, &q_of(theta), div, Estimator::Path, &x, &w).unwrap();
            for i in 0..theta.len() {
                let e = 1e-4;
                let (mut tp, mut tm) = (theta.clone(), theta.clone());
                tp[i] += e;
                tm[i] -= e;
                let fd = (divergence_1d(&p, &tp, div) - divergence_1d(&p, &tm, div)) / (2.0 * e);
                // direction = −∇D
                assert!(
                    (dir[i] + fd).abs() < 2e-4 * (1.0 + fd.abs()),
                    "{div} θ={theta:?} i={i}: estimator {} vs −∇D {}",
                    dir[i],
                    -fd
                );
            }
        }
    }
}

#[test]
fn path_step_and_covariance_ode_agree_to_second_order() {
    // §6.1: Gaussian target N(0, Σp), Sp = [[.8,.4],[.4,.8]], q₀ = N((4,2), .64 I),
    // 5 common random numbers per step. One BBVI-path step (μ, S) ← (μ, S) + h(Ĝμ, ĜS)
    // and one Euler step of the covariance ODE Σ ← Σ + h·mean(g(x−μ)ᵀ + (x−μ)gᵀ)
    // from the same state and noise differ by exactly h² ĜS ĜSᵀ in Σ and not at
    // all in μ: the per-step difference scales as h².
    use crate::infer_targets::Gaussian;
    let sp = [0.8, 0.4, 0.4, 0.8];
    let cov = [
        sp[0] * sp[0] + sp[1] * sp[1],
        sp[0] * sp[2] + sp[1] * sp[3],
        sp[2] * sp[0] + sp[3] * sp[1],
        sp[2] * sp[2] + sp[3] * sp[3],
    ];
    let det = cov[0] * cov[3] - cov[1] * cov[2];
    let target = Gaussian {
        mean: vec![0.0, 0.0],
        prec: vec![cov[3] / det, -cov[1] / det, -cov[2] / det, cov[0] / det],
        offset: 0.0,
    };
    let (mut mu, mut s) = (vec![4.0, 2.0], vec![0.8, 0.0, 0.0, 0.8]);
    let h = 0.01;
    let mut rng = vippl::random::stream(123, &[1]);
    for step in 0..200 {
        let eps: Vec<f64> = (0..10)
            .map(|_| crate::infer_targets::normal(&mut rng))
            .collect();
        let wts = vec![0.2; 5];
        let q = Approximation::FullRank {
            mean: mu.clone(),
            scale: s.clone(),
        };
        let g =
            expected_direction(&target, &q, Divergence::Kl, Estimator::Path, &eps, &wts).unwrap();
        // ODE Euler, written independently: g = ∇log p + Σ⁻¹(x − μ).
        let sig = [
            s[0] * s[0] + s[1] * s[1],
            s[0] * s[2] + s[1] * s[3],
            s[2] * s[0] + s[3] * s[1],
            s[2] * s[2] + s[3] * s[3],
        ];
        let dt = sig[0] * sig[3] - sig[1] * sig[2];
        let si = [sig[3] / dt, -sig[1] / dt, -sig[2] / dt, sig[0] / dt];
        let (mut gm, mut gs) = ([0.0; 2], [0.0; 4]);
        for k in 0..5 {
            let e = &eps[2 * k..2 * k + 2];
            let dx = [s[0] * e[0] + s[1] * e[1], s[2] * e[0] + s[3] * e[1]];
            let x = [mu[0] + dx[0], mu[1] + dx[1]];
            let mut gp = [0.0; 2];
            target.log_density_and_gradient(&mut vec![0.0; 2], &x, &mut gp);
            let v = [
                gp[0] + si[0] * dx[0] + si[1] * dx[1],
                gp[1] + si[2] * dx[0] + si[3] * dx[1],
            ];
            for i in 0..2 {
                gm[i] += 0.2 * v[i];
                for j in 0..2 {
                    gs[i * 2 + j] += 0.2 * (v[i] * dx[j] + dx[i] * v[j]);
                }
            }
        }
        for i in 0..2 {
            assert!(
                (g[i] - gm[i]).abs() < 1e-10 * (1.0 + gm[i].abs()),
                "mean velocity"
            );
        }
        let diff = |hh: f64| {
            let s1: Vec<f64> = (0..4).map(|i| s[i] + hh * g[2 + i]).collect();
            let path = [
                s1[0] * s1[0] + s1[1] * s1[1],
                s1[0] * s1[2] + s1[1] * s1[3],
                s1[2] * s1[0] + s1[3] * s1[1],
                s1[2] * s1[2] + s1[3] * s1[3],
            ];
            (0..4)
                .map(|i| (path[i] - (sig[i] + hh * gs[i])).abs())
                .fold(0.0f64, f64::max)
        };
        let (d1, d2) = (diff(h), diff(h / 2.0));
        let gnorm2: f64 = g[2..].iter().map(|v| v * v).sum();
        assert!(d1 <= h * h * gnorm2 * 1.0001 + 1e-14, "step {step}: {d1}");
        if d2 > 1e-13 {
            assert!(
                (d1 / d2 - 4.0).abs() < 1e-3,
                "step {step}: ratio {}",
                d1 / d2
            );
        }
        for i in 0..2 {
            mu[i] += h * g[i];
        }
        for i in 0..4 {
            s[i] += h * g[2 + i];
        }
    }
    // After 200 steps the path iterates have moved most of the way to p.
    assert!(mu[0].abs() < 1.0 && mu[1].abs() < 1.0, "{mu:?}");
}
