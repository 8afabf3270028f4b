use super::*;
use crate::infer::lbfgs;

/// A Gaussian N(m, P⁻¹) in d = 6 with a dense, ill-conditioned precision.
struct Gauss {
    m: Vec<f64>,
    p: Vec<f64>,
}

const D: usize = 6;

fn target() -> Gauss {
    let mut p = vec![0.0; D * D];
    for i in 0..D {
        for j in 0..D {
            let scale = (1.0 + i as f64) * (1.0 + j as f64);
            p[i * D + j] = 0.3 * scale.sqrt() / (1.0 + (i as f64 - j as f64).abs());
        }
        p[i * D + i] += 0.5 + 3.0 * i as f64;
    }
    Gauss {
        m: (0..D).map(|i| 1.0 - 0.4 * i as f64).collect(),
        p,
    }
}

impl Target for Gauss {
    type Workspace = ();
    fn dim(&self) -> usize {
        D
    }
    fn workspace(&self) {}
    fn log_density(&self, _: &mut (), x: &[f64]) -> f64 {
        let r: Vec<f64> = (0..D).map(|i| x[i] - self.m[i]).collect();
        let mut q = 0.0;
        for i in 0..D {
            for j in 0..D {
                q += r[i] * self.p[i * D + j] * r[j];
            }
        }
        -0.5 * q
    }
    fn log_density_and_gradient(&self, ws: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
        for i in 0..D {
            g[i] = -(0..D)
                .map(|j| self.p[i * D + j] * (x[j] - self.m[j]))
                .sum::<f64>();
        }
        self.log_density(ws, x)
    }
    fn hessian_vector(&self, ws: &mut (), x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
        for i in 0..D {
            out[i] = -(0..D).map(|j| self.p[i * D + j] * v[j]).sum::<f64>();
        }
        self.log_density(ws, x)
    }
}

/// The points of a path with their gradients.
type Visited = Vec<(Vec<f64>, Vec<f64>)>;

/// Runs L-BFGS on the target, recording the path.
fn walk(t: &Gauss) -> (PathRecorder, Visited) {
    let mut rec = PathRecorder::new(D, 7, 0, false);
    let mut ws = ();
    let mut seen = Vec::new();
    let mut ws_fg = ();
    lbfgs::minimize(
        |x, g| {
            let lp = t.log_density_and_gradient(&mut ws_fg, x, g);
            g.iter_mut().for_each(|v| *v = -*v);
            -lp
        },
        &[3.0; D],
        200,
        |it, _, x, g| {
            rec.visit(t, &mut ws, it, x, g);
            seen.push((x.to_vec(), g.to_vec()));
            true
        },
    );
    rec.finish(t, &mut ws);
    (rec, seen)
}

#[test]
fn the_inverse_hessian_estimate_meets_the_newest_secant_equation() {
    let t = target();
    let mut rec = PathRecorder::new(D, 1, 0, false);
    let mut ws = ();
    // Three points off the mode, with the gradient of −log π̃.
    let pts = [
        [0.5, 0.1, -0.3, 0.2, 0.0, 0.4],
        [0.2, 0.3, -0.1, 0.1, 0.2, 0.1],
        [0.4, -0.2, 0.1, 0.0, 0.3, -0.2],
    ];
    let mut grads = Vec::new();
    for (k, x) in pts.iter().enumerate() {
        let mut g = vec![0.0; D];
        t.log_density_and_gradient(&mut (), x, &mut g);
        g.iter_mut().for_each(|v| *v = -*v);
        rec.visit(&t, &mut ws, k + 1, x, &g);
        grads.push(g);
    }
    let gauss = rec
        .gaussian_at(&pts[2], &grads[2])
        .expect("positive definite");
    // BFGS: H y = s for the newest pair.
    let s: Vec<f64> = (0..D).map(|i| pts[2][i] - pts[1][i]).collect();
    let y: Vec<f64> = (0..D).map(|i| grads[2][i] - grads[1][i]).collect();
    let hy = gauss.apply_h(&y);
    for i in 0..D {
        assert!(
            (hy[i] - s[i]).abs() < 1e-9 * (1.0 + s[i].abs()),
            "{i}: {} vs {}",
            hy[i],
            s[i]
        );
    }
}

#[test]
fn the_dense_scale_log_determinant_and_draws_agree_with_the_factored_form() {
    let t = target();
    let (mut rec, seen) = walk(&t);
    let (x, g) = &seen[2];
    let gauss = rec.gaussian_at(x, g).expect("positive definite");
    let a = gauss.dense_scale();
    // A Aᵀ e_j = H e_j for every j.
    for j in 0..D {
        let mut e = vec![0.0; D];
        e[j] = 1.0;
        let h = gauss.apply_h(&e);
        for i in 0..D {
            let aat: f64 = (0..D).map(|k| a[i * D + k] * a[j * D + k]).sum();
            assert!((aat - h[i]).abs() < 1e-10 * (1.0 + h[i].abs()), "({i},{j})");
        }
    }
    // log det H = 2 log |det A|.
    let mut lu = crate::infer::linalg::Lu::new(D);
    assert!(lu.factor(&a));
    assert!((2.0 * lu.log_abs_det() - gauss.log_det).abs() < 1e-9);
    // A draw is mean + A u.
    let u = [0.3, -1.2, 0.5, 2.0, -0.1, 0.7];
    let mut z = vec![0.0; D];
    gauss.draw(&u, &mut z, &mut Vec::new());
    for i in 0..D {
        let au: f64 = (0..D).map(|k| a[i * D + k] * u[k]).sum();
        assert!((z[i] - gauss.mean[i] - au).abs() < 1e-10);
    }
    // Its ELBO estimate is the same through the dense form.
    let elbo = rec.elbo(&t, &mut (), &gauss);
    let dense = rec.elbo_of_dense(&t, &mut (), &gauss.mean, &a);
    assert!((elbo - dense).abs() < 1e-9, "{elbo} vs {dense}");
}

#[test]
fn the_mean_field_version_keeps_the_marginal_sds_without_a_dense_matrix() {
    let t = target();
    let (mut rec, seen) = walk(&t);
    let (x, g) = &seen[2];
    let gauss = rec.gaussian_at(x, g).expect("positive definite");
    let a = gauss.dense_scale();
    let sds = gauss.marginal_sds();
    for i in 0..D {
        let row: f64 = (0..D).map(|k| a[i * D + k].powi(2)).sum::<f64>().sqrt();
        assert!(
            (sds[i] - row).abs() < 1e-10 * row,
            "{i}: {} vs {row}",
            sds[i]
        );
    }
    let diag = gauss.diagonalised();
    assert!(diag.is_diagonal() && !gauss.is_diagonal());
    assert_eq!(diag.mean, gauss.mean);
    assert_eq!(diag.marginal_sds(), sds);
    // Its ELBO estimate is that of N(mean, diag(sd²)).
    let elbo = rec.elbo(&t, &mut (), &diag);
    let direct = rec.elbo_of_diagonal(&t, &mut (), &diag.mean, &sds);
    assert!((elbo - direct).abs() < 1e-9, "{elbo} vs {direct}");
    let dense = rec.elbo_of_dense(&t, &mut (), &diag.mean, &diag.dense_scale());
    assert!((elbo - dense).abs() < 1e-9, "{elbo} vs {dense}");
}

#[test]
fn on_a_gaussian_target_the_best_point_of_the_path_is_the_target() {
    // After the path has seen the curvature, N(x + H∇log π, H) is the
    // target itself: its ELBO estimate is log Z = ½ log det(2π P⁻¹) up to
    // the Monte Carlo error of 16 draws, and its mean is the target's.
    let t = target();
    let (mut rec, _) = walk(&t);
    let (best, _) = rec.take_best().expect("a finite candidate");
    let mut lu = crate::infer::linalg::Lu::new(D);
    assert!(lu.factor(&t.p));
    let log_z = 0.5 * D as f64 * (2.0 * std::f64::consts::PI).ln() - 0.5 * lu.log_abs_det();
    assert!(
        best.elbo <= log_z + 1e-6,
        "an ELBO above log Z: {} > {log_z}",
        best.elbo
    );
    assert!(
        log_z - best.elbo < 0.05,
        "ELBO {} against log Z {log_z}",
        best.elbo
    );
    for i in 0..D {
        assert!((best.gaussian.mean[i] - t.m[i]).abs() < 0.05, "mean {i}");
    }
}

#[test]
fn pairs_without_positive_curvature_are_not_kept() {
    let mut rec = PathRecorder::new(2, 1, 0, false);
    rec.push_pair(vec![1.0, 0.0], vec![-1.0, 0.0]);
    rec.push_pair(vec![0.0, 0.0], vec![0.0, 0.0]);
    assert!(rec.pairs.is_empty());
    rec.push_pair(vec![1.0, 0.0], vec![2.0, 0.0]);
    assert_eq!(rec.pairs.len(), 1);
    assert!(rec.diag.iter().all(|v| v.is_finite() && *v > 0.0));
}

#[test]
fn clearly_better_needs_more_than_two_standard_errors() {
    let a = [1.0, 1.2, 0.8, 1.1, 0.9];
    let worse: Vec<f64> = a.iter().map(|v| v - 1.5).collect();
    assert!(clearly_better(&a, &worse));
    // A consistent but small gain is no reason to leave a good start.
    let slightly: Vec<f64> = a.iter().map(|v| v - 0.2).collect();
    assert!(!clearly_better(&a, &slightly));
    let noisy = [-5.0, 4.4, -5.4, 4.2, -2.2];
    assert!(!clearly_better(&a, &noisy));
    assert!(!clearly_better(&noisy, &a));
    assert!(!clearly_better(&a, &a));
}

#[test]
fn one_wild_draw_does_not_hide_a_much_worse_gaussian() {
    // Fifteen draws where `b` is far worse, one where it is astronomically
    // worse: the standard error is huge, the sign test is not.
    let a = vec![-100.0; 16];
    let mut b: Vec<f64> = (0..16).map(|i| -130.0 - i as f64).collect();
    b[3] = -1e24;
    assert!(clearly_better(&a, &b));
    assert!(!clearly_better(&b, &a));
    // Twelve wins of sixteen and four larger losses, a mean gain of 1.4
    // nats: neither the mean (within two standard errors) nor the signs
    // (p = 0.038) decide.
    let b2 = vec![0.0; 16];
    let a2: Vec<f64> = (0..16).map(|i| if i < 12 { 3.5 } else { -5.0 }).collect();
    assert!((sign_test_p(12, 16) - 0.0384).abs() < 1e-3);
    assert!(sign_test_p(13, 16) < 0.011);
    assert!(!clearly_better(&a2, &b2));
}
