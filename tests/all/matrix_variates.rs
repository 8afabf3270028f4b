//! Univariate distributions over matrices: `Z ~ std_normal()` on a matrix
//! parameter, `Y ~ normal(M, s)` with matrix data and mean, counts in an
//! `int[N, K]` with a matrix of rates. Element by element, as Stan does.

use crate::density::{compile, try_compile};
use vippl::infer::Target;

fn lp_grad(src: &str, data: &str, theta: &[f64]) -> (f64, Vec<f64>) {
    let cm = compile(src, data);
    let mut ws = cm.workspace();
    let mut g = vec![0.0; cm.dim()];
    let lp = cm.log_density_and_gradient(&mut ws, theta, &mut g);
    (lp, g)
}

fn normal_lpdf(y: f64, mu: f64, s: f64) -> f64 {
    let z = (y - mu) / s;
    -0.5 * z * z - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

const MODEL: &str = "data Y: real[2, 3]\nparam Z: real[2, 3]\nparam mu: real\n\
                     Z ~ std_normal()\nY ~ normal(Z + mu, 0.5)\n";
const DATA: &str = r#"{"Y": [[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]]}"#;

#[test]
fn a_matrix_variate_is_the_sum_over_its_elements() {
    let y = [[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]];
    // Parameters in row-major order, then mu.
    let theta = [0.3, -0.2, 1.1, 0.0, 0.7, -1.4, 0.25];
    let (lp, g) = lp_grad(MODEL, DATA, &theta);
    let mut want = 0.0;
    for i in 0..2 {
        for j in 0..3 {
            let z = theta[3 * i + j];
            want += normal_lpdf(z, 0.0, 1.0) + normal_lpdf(y[i][j], z + theta[6], 0.5);
        }
    }
    assert!((lp - want).abs() < 1e-12, "{lp} vs {want}");
    for k in 0..theta.len() {
        let at = |h: f64| {
            let mut t = theta;
            t[k] += h;
            lp_grad(MODEL, DATA, &t).0
        };
        let fd = (at(1e-6) - at(-1e-6)) / 2e-6;
        assert!(
            (g[k] - fd).abs() < 1e-6 * fd.abs().max(1.0),
            "entry {k}: {} vs {fd}",
            g[k]
        );
    }
}

#[test]
fn integer_matrices_of_counts_take_a_matrix_of_rates() {
    let src = "data y: int[2, 2]\nparam log_rate: real[2, 2]\ny ~ poisson_log(log_rate)\n";
    let theta = [0.1, 1.0, -0.5, 2.0];
    let counts = [0.0, 3.0, 1.0, 7.0];
    let (lp, _) = lp_grad(src, r#"{"y": [[0, 3], [1, 7]]}"#, &theta);
    let want: f64 = theta
        .iter()
        .zip(counts)
        .map(|(&l, k)| k * l - l.exp() - (1..=k as u64).map(|i| (i as f64).ln()).sum::<f64>())
        .sum();
    assert!((lp - want).abs() < 1e-12, "{lp} vs {want}");
}

#[test]
fn a_matrix_and_a_vector_or_other_sizes_are_refused() {
    let err = try_compile(
        "data Y: real[2, 3]\ndata v: real[2]\nparam s: real<lower=0>\nY ~ normal(v, s)\n",
        r#"{"Y": [[1, 2, 3], [4, 5, 6]], "v": [0, 1]}"#,
    )
    .unwrap_err();
    assert!(err.contains("mix a matrix and a vector"), "{err}");
    let err = try_compile(
        "data N: int\ndata Y: real[N, 3]\ndata M: real[N, 2]\nparam s: real<lower=0>\n\
         Y ~ normal(M, s)\n",
        r#"{"N": 2, "Y": [[1, 2, 3], [4, 5, 6]], "M": [[0, 1], [1, 0]]}"#,
    )
    .unwrap_err();
    assert!(err.contains("shape mismatch"), "{err}");
}

#[test]
fn cumulative_functions_take_matrices_too() {
    let matrix = "data Y: real[2, 2]\nparam m: real\ntarget += normal_lccdf(Y | m, 1)\n";
    let vector = "data Y: real[4]\nparam m: real\ntarget += normal_lccdf(Y | m, 1)\n";
    let (a, ga) = lp_grad(matrix, r#"{"Y": [[1, 2], [3, 4]]}"#, &[0.4]);
    let (b, gb) = lp_grad(vector, r#"{"Y": [1, 2, 3, 4]}"#, &[0.4]);
    assert!(
        (a - b).abs() < 1e-12 && (ga[0] - gb[0]).abs() < 1e-12,
        "{a} {b}"
    );
}
