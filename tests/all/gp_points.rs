//! Gaussian-process kernels on points in several dimensions (`real[N, D]`,
//! one point per row, Euclidean distance) and their cross-covariance forms
//! `(x1, x2, ...)`: values against NumPy/SciPy, gradients in the
//! hyperparameters and in the points against finite differences.

use crate::density::{compile, try_compile};
use vippl::density::CompiledModel;
use vippl::infer::Target;

const DATA: &str = r#"{"x": [[0.3, -1.1], [2.0, 0.4], [-0.7, 0.9], [1.2, 1.5]],
 "z": [[0.1, 0.2], [-1.5, 0.6], [0.8, -0.9]],
 "w": [[1.0, 0.5, -0.25, 0.3], [2.0, -1.0, 0.75, 0.2], [0.1, 0.3, 1.5, -0.6], [0.4, -0.2, 0.9, 1.1]],
 "v": [[0.7, -0.3, 1.2], [0.5, 0.8, -1.0], [-0.4, 1.3, 0.2], [0.9, 0.1, -0.5]],
 "u": [[0.45, 0.35, -0.1, 0.55], [-0.05, 0.5, 0.75, 0.15], [0.7, -0.4, 0.2, -0.15]]}"#;

const HEAD: &str = "data x: real[4, 2]\ndata z: real[3, 2]\ndata w: real[4, 4]\ndata v: real[4, 3]\n\
                    data u: real[3, 4]\nparam alpha: real\nparam rho: real\nparam p: real\n\
                    param xp: real[4, 2]\n";

/// `target +=` the weighted kernels of the points `a` with themselves,
/// with `z`, and of `z` with `a`.
fn body(kernel: &str, a: &str) -> String {
    let extra = if kernel == "gp_periodic_cov" {
        ", p"
    } else {
        ""
    };
    format!(
        "target += sum(w .* {kernel}({a}, alpha, rho{extra})) + sum(v .* {kernel}({a}, z, alpha, rho{extra})) \
         + sum(u .* {kernel}(z, {a}, alpha, rho{extra}))\n"
    )
}

const KERNELS: [&str; 5] = [
    "gp_exp_quad_cov",
    "cov_exp_quad",
    "gp_matern32_cov",
    "gp_matern52_cov",
    "gp_periodic_cov",
];

/// From NumPy/SciPy (`cdist` distances and Stan's kernel formulas, alpha
/// 1.3, rho 0.7, period 2.1), computed outside vippl.
const WANT: [f64; 5] = [
    8.587705397434675,
    8.587705397434675,
    8.008503063570828,
    8.212023050490673,
    9.314522205607721,
];

fn theta() -> Vec<f64> {
    let mut t = vec![1.3, 0.7, 2.1];
    t.extend([0.25, -0.9, 1.7, 0.6, -0.4, 1.1, 1.0, 1.45]);
    t
}

fn lp(cm: &CompiledModel, th: &[f64]) -> f64 {
    let mut ws = cm.workspace();
    cm.log_density(&mut ws, th)
}

#[test]
fn kernels_on_rows_of_points_match_scipy() {
    for (kernel, want) in KERNELS.iter().zip(WANT) {
        let cm = compile(&format!("{HEAD}{}", body(kernel, "x")), DATA);
        let got = lp(&cm, &theta());
        assert!(
            (got - want).abs() < 1e-12 * want.abs(),
            "{kernel}: {got} vs {want}"
        );
        // The same with the points as parameters set to the data's values.
        let cm = compile(&format!("{HEAD}{}", body(kernel, "xp")), DATA);
        let mut th = theta();
        th[3..].copy_from_slice(&[0.3, -1.1, 2.0, 0.4, -0.7, 0.9, 1.2, 1.5]);
        let mut ws = cm.workspace();
        let mut g = vec![0.0; cm.dim()];
        let got = cm.log_density_and_gradient(&mut ws, &th, &mut g);
        assert!(
            (got - want).abs() < 1e-12 * want.abs(),
            "{kernel} (xp): {got} vs {want}"
        );
    }
}

#[test]
fn kernel_gradients_in_hyperparameters_and_points_match_finite_differences() {
    for kernel in KERNELS {
        let cm = compile(&format!("{HEAD}{}", body(kernel, "xp")), DATA);
        let th = theta();
        let mut ws = cm.workspace();
        let mut g = vec![0.0; cm.dim()];
        let value = cm.log_density_and_gradient(&mut ws, &th, &mut g);
        assert!((value - lp(&cm, &th)).abs() < 1e-12, "{kernel}");
        let mut t = th.clone();
        for i in 0..th.len() {
            let h = 1e-6;
            t[i] = th[i] + h;
            let up = lp(&cm, &t);
            t[i] = th[i] - h;
            let down = lp(&cm, &t);
            t[i] = th[i];
            let fd = (up - down) / (2.0 * h);
            assert!(
                (g[i] - fd).abs() < 1e-6 * fd.abs().max(1.0),
                "{kernel} coordinate {i}: {} vs {fd}",
                g[i]
            );
        }
        if kernel == "gp_periodic_cov" {
            // p is used; the others leave it with no gradient.
            assert!(g[2] != 0.0);
        } else {
            assert_eq!(g[2], 0.0);
        }
    }
}

#[test]
fn points_of_different_dimensions_are_refused() {
    let src = "data x: real[4, 2]\ndata y: real[3, 3]\nparam a: real<lower=0>\n\
               target += sum(gp_exp_quad_cov(x, y, a, 1.0))\n";
    let message = match try_compile(
        src,
        r#"{"x": [[0,0],[1,0],[0,1],[1,1]], "y": [[0,0,0],[1,1,1],[2,2,2]]}"#,
    ) {
        Err(e) => e,
        Ok(cm) => cm.explain_nonfinite(&[0.1]).unwrap_or_default(),
    };
    assert!(
        message.contains("the points of x1 have 2 coordinates but those of x2 have 3"),
        "{message}"
    );
    // A scalar is no set of points.
    let err = try_compile(
        "param a: real<lower=0>\ntarget += sum(gp_matern32_cov(1.0, a, 1.0))\n",
        "{}",
    )
    .err()
    .unwrap_or_default();
    assert!(err.contains("gp_matern32_cov"), "{err}");
}

/// One-dimensional points (a vector) in the cross form: `k(x, x, ...)` is
/// `k(x, ...)`, in value and gradient, with the points as parameters.
#[test]
fn the_cross_form_of_a_set_with_itself_is_the_kernel_matrix() {
    for kernel in ["gp_exp_quad_cov", "gp_matern52_cov", "gp_periodic_cov"] {
        let extra = if kernel == "gp_periodic_cov" {
            ", 1.7"
        } else {
            ""
        };
        let head = "data w: real[3, 3]\nparam a: real<lower=0>\nparam r: real<lower=0>\nparam x: real[3]\n";
        let json = r#"{"w": [[1.0, 0.5, -0.25], [2.0, -1.0, 0.75], [0.1, 0.3, 1.5]]}"#;
        let one = compile(
            &format!("{head}target += sum(w .* {kernel}(x, a, r{extra}))\n"),
            json,
        );
        let two = compile(
            &format!("{head}target += sum(w .* {kernel}(x, x, a, r{extra}))\n"),
            json,
        );
        let th = [0.2, -0.3, 0.4, -1.1, 1.3];
        let grad = |cm: &CompiledModel| {
            let mut ws = cm.workspace();
            let mut g = vec![0.0; cm.dim()];
            let lp = cm.log_density_and_gradient(&mut ws, &th, &mut g);
            (lp, g)
        };
        let ((l1, g1), (l2, g2)) = (grad(&one), grad(&two));
        assert!((l1 - l2).abs() < 1e-12, "{kernel}: {l1} vs {l2}");
        for (u, v) in g1.iter().zip(&g2) {
            assert!((u - v).abs() < 1e-12, "{kernel}: {g1:?} vs {g2:?}");
        }
    }
}
