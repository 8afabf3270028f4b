//! The matrix nodes' reverse rules seen from a model: gradients against
//! central finite differences of the log density, and Hessian–vector
//! products (the reverse rules run on dual numbers) against finite
//! differences of the gradient.

use crate::density::compile;
use vippl::density::CompiledModel;
use vippl::infer::Target;

fn gradient(cm: &CompiledModel, x: &[f64]) -> Vec<f64> {
    let mut ws = cm.workspace();
    let mut g = vec![0.0; cm.dim()];
    let lp = cm.log_density_and_gradient(&mut ws, x, &mut g);
    assert!(lp.is_finite(), "log density {lp} at {x:?}");
    g
}

fn log_density(cm: &CompiledModel, x: &[f64]) -> f64 {
    let mut ws = cm.workspace();
    cm.log_density(&mut ws, x)
}

/// Central differences with step h: error O(h²) times the third derivative.
pub(crate) fn assert_gradient_matches_differences(cm: &CompiledModel, x: &[f64], tol: f64) {
    let g = gradient(cm, x);
    let h = 1e-5;
    for i in 0..x.len() {
        let mut xp = x.to_vec();
        let mut xm = x.to_vec();
        xp[i] += h;
        xm[i] -= h;
        let fd = (log_density(cm, &xp) - log_density(cm, &xm)) / (2.0 * h);
        assert!(
            (g[i] - fd).abs() <= tol * (1.0 + fd.abs()),
            "coordinate {i}: gradient {} vs finite difference {fd}",
            g[i]
        );
    }
}

/// The Hessian times `v` against differences of the gradient along `v`.
pub(crate) fn assert_hessian_vector_matches_differences(
    cm: &CompiledModel,
    x: &[f64],
    v: &[f64],
    tol: f64,
) {
    let mut ws = cm.workspace();
    let mut hv = vec![0.0; cm.dim()];
    cm.hessian_vector(&mut ws, x, v, &mut hv);
    let h = 1e-5;
    let xp: Vec<f64> = x.iter().zip(v).map(|(a, b)| a + h * b).collect();
    let xm: Vec<f64> = x.iter().zip(v).map(|(a, b)| a - h * b).collect();
    let (gp, gm) = (gradient(cm, &xp), gradient(cm, &xm));
    for i in 0..x.len() {
        let fd = (gp[i] - gm[i]) / (2.0 * h);
        assert!(
            (hv[i] - fd).abs() <= tol * (1.0 + fd.abs()),
            "coordinate {i}: Hessian-vector {} vs difference of gradients {fd}",
            hv[i]
        );
    }
}

/// A point with coordinates spread over [-0.6, 0.6].
pub(crate) fn spread(d: usize, phase: f64) -> Vec<f64> {
    (0..d)
        .map(|i| 0.6 * ((i as f64) * 1.7 + phase).sin())
        .collect()
}

const WEIGHTED_FACTOR: &str = "data n: int\ndata w: real[n, n]\nparam B: real[n, n]\n\
let K = B * transpose(B) + diag_matrix(rep_vector(n, n))\n\
let L = cholesky_decompose(K)\n\
target += sum(w .* L) + sum(log(diagonal_of(L)))\n";

fn weighted_factor_model(n: usize) -> CompiledModel {
    let w: Vec<String> = (0..n)
        .map(|i| {
            let row: Vec<String> = (0..n)
                .map(|j| format!("{}", ((i * 7 + j * 3) % 5) as f64 * 0.4 - 0.8))
                .collect();
            format!("[{}]", row.join(", "))
        })
        .collect();
    let diag: String = (1..=n)
        .map(|i| format!("L[{i}, {i}]"))
        .collect::<Vec<_>>()
        .join(", ");
    let src = WEIGHTED_FACTOR.replace("diagonal_of(L)", &format!("[{diag}]"));
    compile(&src, &format!(r#"{{"n": {n}, "w": [{}]}}"#, w.join(", ")))
}

#[test]
fn cholesky_gradients_match_finite_differences() {
    for n in 1..=8 {
        let cm = weighted_factor_model(n);
        let x = spread(cm.dim(), n as f64);
        assert_gradient_matches_differences(&cm, &x, 1e-6);
    }
}

#[test]
fn cholesky_hessian_vector_products_match_differences_of_gradients() {
    for n in [1, 2, 4, 6] {
        let cm = weighted_factor_model(n);
        let x = spread(cm.dim(), 0.3);
        let v = spread(cm.dim(), 2.1);
        assert_hessian_vector_matches_differences(&cm, &x, &v, 1e-6);
    }
}

const GP: &str = "data N: int\ndata x: real[N]\ndata y: real[N]\n\
param rho: real<lower=0>\nparam alpha: real<lower=0>\nparam sigma: real<lower=0>\n\
var K: real[N, N]\n\
for i in 1:N {\n  for j in 1:N { K[i, j] = square(alpha) * exp(-0.5 * square((x[i] - x[j]) / rho)) }\n\
  K[i, i] = K[i, i] + square(sigma)\n}\n\
y ~ multi_normal_cholesky(rep_vector(0, N), cholesky_decompose(K))\n";

#[test]
fn a_gaussian_process_has_exact_first_and_second_derivatives() {
    let json = r#"{"N": 7, "x": [-2.0, -1.3, -0.2, 0.4, 1.1, 1.9, 2.6],
        "y": [0.3, -0.5, 0.8, 1.2, 0.1, -0.9, -0.4]}"#;
    let cm = compile(GP, json);
    let x = [0.2, -0.1, -0.7];
    assert_gradient_matches_differences(&cm, &x, 1e-6);
    assert_hessian_vector_matches_differences(&cm, &x, &[0.5, -1.0, 0.8], 1e-5);
}

const MULTIVARIATE: &str = "data y: real[4, 3]\nparam B: real[3, 3]\nparam mu: real[3]\n\
param L: corr_cholesky[3]\nparam eta: real<lower=0>\n\
let Sigma = add_diag(tcrossprod(B), 1.0)\n\
y ~ multi_normal(mu, Sigma)\n\
y ~ multi_normal_cholesky(mu, diag_pre_multiply([1.5, 0.7, 1.1], L))\n\
L ~ lkj_corr_cholesky(eta)\neta ~ gamma(2, 1)\n";

#[test]
fn multivariate_densities_of_parameters_have_exact_first_and_second_derivatives() {
    let json = r#"{"y": [[0.3, -0.5, 0.8], [1.2, 0.1, -0.9], [-0.4, 0.6, 0.2], [0.5, 1.1, -0.3]]}"#;
    let cm = compile(MULTIVARIATE, json);
    for phase in [0.2, 1.9] {
        let x = spread(cm.dim(), phase);
        assert_gradient_matches_differences(&cm, &x, 1e-6);
        let v = spread(cm.dim(), phase + 1.1);
        assert_hessian_vector_matches_differences(&cm, &x, &v, 1e-5);
    }
}
