//! Long data sums: a vectorised likelihood over more rows than one chunk
//! (the data-matrix product, its reverse and the density summed in fixed
//! chunks of rows) gives the same log density and gradient as the same
//! likelihood written element by element, and the same bits on one thread
//! or on the workers of a two-thread pool, for gradients, Hessian–vector
//! products and whole fits.

use crate::density::compile;
use vippl::density::CompiledModel;
use vippl::infer::{FamilyKind, FitConfig, Silent, Target, fit};

/// More rows than two chunks of 2 048, the last one partial.
const N: usize = 5000;

/// Deterministic data: three covariates in (−1, 1), a binary, a real and
/// a count response.
fn data_json() -> String {
    let x = |i: usize, j: usize| ((i * 7 + j * 13) as f64 * 0.618_034).sin();
    let rows: Vec<String> = (0..N)
        .map(|i| format!("[{}, {}, {}]", x(i, 0), x(i, 1), x(i, 2)))
        .collect();
    let eta = |i: usize| 0.4 - 0.8 * x(i, 0) + 0.5 * x(i, 1) + 0.3 * x(i, 2);
    let bin: Vec<String> = (0..N)
        .map(|i| {
            if (i as f64 * 0.377).fract() < 1.0 / (1.0 + (-eta(i)).exp()) {
                "1"
            } else {
                "0"
            }
            .into()
        })
        .collect();
    let real: Vec<String> = (0..N)
        .map(|i| format!("{}", eta(i) + 0.3 * x(i + 1, 2)))
        .collect();
    let count: Vec<String> = (0..N)
        .map(|i| {
            format!(
                "{}",
                (eta(i).exp() * (i as f64 * 0.123).fract() * 2.0).floor()
            )
        })
        .collect();
    format!(
        r#"{{"N": {N}, "K": 3, "X": [{}], "k": [{}], "y": [{}], "c": [{}]}}"#,
        rows.join(","),
        bin.join(","),
        real.join(","),
        count.join(",")
    )
}

const HEAD: &str = "data N: int\ndata K: int\ndata X: matrix[N, K]\ndata k: int[N]\n\
                    data y: vector[N]\ndata c: int[N]\nparam a: real\nparam b: vector[K]\n\
                    param s: real<lower=0>\ns ~ normal(0, 1)\n";

/// Each likelihood vectorised, and element by element.
const PAIRS: [(&str, &str); 6] = [
    (
        "k ~ bernoulli_logit(a + X * b)\n",
        "for i in 1:N { k[i] ~ bernoulli_logit(a + X[i, 1] * b[1] + X[i, 2] * b[2] + X[i, 3] * b[3]) }\n",
    ),
    (
        "y ~ normal(X * b + a, s)\n",
        "for i in 1:N { y[i] ~ normal(X[i, 1] * b[1] + X[i, 2] * b[2] + X[i, 3] * b[3] + a, s) }\n",
    ),
    (
        "c ~ poisson_log(a + X * b)\n",
        "for i in 1:N { c[i] ~ poisson_log(a + X[i, 1] * b[1] + X[i, 2] * b[2] + X[i, 3] * b[3]) }\n",
    ), // The GLM forms, fused in the same one pass over X.
    (
        "k ~ bernoulli_logit_glm(X, a, b)\n",
        "for i in 1:N { k[i] ~ bernoulli_logit(a + X[i, 1] * b[1] + X[i, 2] * b[2] + X[i, 3] * b[3]) }\n",
    ),
    (
        "y ~ normal_id_glm(X, a, b, s)\n",
        "for i in 1:N { y[i] ~ normal(X[i, 1] * b[1] + X[i, 2] * b[2] + X[i, 3] * b[3] + a, s) }\n",
    ),
    (
        "target += poisson_log_glm_lpmf(c | X, a, b)\n",
        "for i in 1:N { c[i] ~ poisson_log(a + X[i, 1] * b[1] + X[i, 2] * b[2] + X[i, 3] * b[3]) }\n",
    ),
];

const THETA: [f64; 5] = [0.3, -0.7, 0.4, 0.2, -0.5];

fn lp_grad(cm: &CompiledModel, theta: &[f64]) -> (f64, Vec<f64>) {
    let mut ws = cm.workspace();
    let mut g = vec![0.0; cm.dim()];
    let lp = cm.log_density_and_gradient(&mut ws, theta, &mut g);
    (lp, g)
}

fn two_threads() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a pool")
}

#[test]
fn chunked_vectorised_likelihoods_equal_their_element_loops() {
    let json = data_json();
    for (vectorised, looped) in PAIRS {
        let fast = compile(&format!("{HEAD}{vectorised}"), &json);
        let slow = compile(&format!("{HEAD}{looped}"), &json);
        let (l1, g1) = lp_grad(&fast, &THETA);
        let (l2, g2) = lp_grad(&slow, &THETA);
        let scale = l2.abs().max(1.0);
        assert!(
            l1.is_finite() && (l1 - l2).abs() <= 1e-12 * scale,
            "{vectorised}: {l1} vs {l2}"
        );
        for (u, v) in g1.iter().zip(&g2) {
            assert!(
                (u - v).abs() <= 1e-12 * v.abs().max(1.0),
                "{vectorised}: {g1:?} vs {g2:?}"
            );
        }
        // Second derivatives (the same code on dual numbers) agree too.
        let direction = [0.1, -0.2, 0.3, 0.5, -1.0];
        let hv = |cm: &CompiledModel| {
            let mut ws = cm.workspace();
            let mut out = vec![0.0; cm.dim()];
            cm.hessian_vector(&mut ws, &THETA, &direction, &mut out);
            out
        };
        let (h1, h2) = (hv(&fast), hv(&slow));
        for (u, v) in h1.iter().zip(&h2) {
            assert!(
                u.is_finite() && (u - v).abs() <= 1e-10 * v.abs().max(1.0),
                "{vectorised}: {h1:?} vs {h2:?}"
            );
        }
    }
}

#[test]
fn long_likelihoods_give_identical_bits_on_one_and_two_threads() {
    let json = data_json();
    let pool = two_threads();
    let v = [0.1, -0.2, 0.3, 0.5, -1.0];
    for (vectorised, _) in PAIRS {
        let cm = compile(&format!("{HEAD}{vectorised}"), &json);
        let (l1, g1) = lp_grad(&cm, &THETA);
        let (l2, g2) = pool.install(|| lp_grad(&cm, &THETA));
        assert_eq!(l1.to_bits(), l2.to_bits(), "{vectorised}");
        let bits = |g: &[f64]| g.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&g1), bits(&g2), "{vectorised}");
        let hv = |cm: &CompiledModel| {
            let mut ws = cm.workspace();
            let mut out = vec![0.0; cm.dim()];
            cm.hessian_vector(&mut ws, &THETA, &v, &mut out);
            out
        };
        let h1 = hv(&cm);
        let h2 = pool.install(|| hv(&cm));
        assert!(h1.iter().all(|x| x.is_finite()), "{vectorised}: {h1:?}");
        assert_eq!(bits(&h1), bits(&h2), "{vectorised}");
    }
}

#[test]
fn a_fit_on_long_data_is_identical_for_one_and_two_threads() {
    let cm = compile(&format!("{HEAD}{}", PAIRS[0].0), &data_json());
    let run = |threads: usize| {
        let config = FitConfig {
            threads,
            seed: 11,
            iters: 30,
            draws: 4,
            family: Some(FamilyKind::MeanField),
            ..FitConfig::default()
        };
        fit(&cm, &config, &mut Silent).expect("a fit")
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.approximation, b.approximation);
    assert_eq!(a.trace, b.trace);
    assert_eq!(a.diagnostics, b.diagnostics);
}
