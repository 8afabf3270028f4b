//! The GLM distributions against the plain statements they abbreviate:
//! `y ~ bernoulli_logit_glm(X, a, beta)` against `y ~ bernoulli_logit(a +
//! X * beta)`, and likewise for `normal_id_glm` and `poisson_log_glm`, at
//! a few sizes (K = 20 columns). Reported: ms per gradient for each form
//! and their ratio (plain over fused; above 1 means the fused form is
//! faster). Above one chunk of rows (2 048) the plain statement already
//! runs the same one pass over X, so the ratio there is about 1; below it
//! the plain statement records the product and its reverse as tape nodes.
//! The last rows take x as a parameter (N ≤ 2 000).
//!
//! Run: `cargo bench --bench glm` (`VIPPL_GLM_SIZES=500,2000` chooses N).

use std::hint::black_box;
use std::time::Instant;
use vippl::data::{DataEntry, DataInput};
use vippl::density::{self, CompiledModel};
use vippl::infer::Target;
use vippl::random::stream;
use vippl::source::SourceMap;

use rand::RngExt;

const K: usize = 20;

const HEAD: &str = "data N: int\ndata K: int\ndata X: matrix[N, K]\ndata y: vector[N]\n\
                    data k: int[N]\ndata c: int[N]\nparam a: real\nparam beta: vector[K]\n\
                    param sigma: real<lower=0>\nbeta ~ normal(0, 1)\nsigma ~ normal(0, 1)\n";

const PAIRS: [(&str, &str, &str); 3] = [
    (
        "bernoulli_logit",
        "k ~ bernoulli_logit_glm(X, a, beta)\n",
        "k ~ bernoulli_logit(a + X * beta)\n",
    ),
    (
        "normal_id",
        "y ~ normal_id_glm(X, a, beta, sigma)\n",
        "y ~ normal(a + X * beta, sigma)\n",
    ),
    (
        "poisson_log",
        "c ~ poisson_log_glm(X, a, beta)\n",
        "c ~ poisson_log(a + X * beta)\n",
    ),
];

fn entry(name: &str, dims: Vec<usize>, values: Vec<f64>) -> DataEntry {
    DataEntry::in_memory(name, dims, values)
}

fn data(n: usize) -> DataInput {
    let mut rng = stream(3, &[n as u64]);
    let x: Vec<f64> = (0..n * K)
        .map(|_| (rng.random::<f64>() * 2.0 - 1.0) * 0.4)
        .collect();
    let eta: Vec<f64> = (0..n)
        .map(|i| {
            (0..K)
                .map(|j| x[i * K + j] * ((j % 5) as f64 - 2.0) * 0.5)
                .sum()
        })
        .collect();
    let y: Vec<f64> = eta.iter().map(|e| e + rng.random::<f64>() - 0.5).collect();
    let k: Vec<f64> = eta
        .iter()
        .map(|e| f64::from(rng.random::<f64>() < 1.0 / (1.0 + (-e).exp())))
        .collect();
    let c: Vec<f64> = eta
        .iter()
        .map(|e| (e.exp() * 2.0 * rng.random::<f64>()).floor())
        .collect();
    DataInput {
        entries: vec![
            entry("N", vec![], vec![n as f64]),
            entry("K", vec![], vec![K as f64]),
            entry("X", vec![n, K], x),
            entry("y", vec![n], y),
            entry("k", vec![n], k),
            entry("c", vec![n], c),
        ],
    }
}

fn compile(src: &str, input: &DataInput) -> CompiledModel {
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "glm.vi", src)
        .unwrap_or_else(|d| panic!("model does not check: {d:?}"));
    density::compile(model, sources, input)
        .unwrap_or_else(|d| panic!("model does not compile: {d:?}"))
        .0
}

/// Median milliseconds per gradient over `reps` (after one warm-up).
fn gradient_ms(model: &CompiledModel, reps: usize) -> f64 {
    let theta: Vec<f64> = (0..model.dim())
        .map(|j| 0.02 * ((j % 7) as f64 - 3.0))
        .collect();
    let mut ws = model.workspace();
    let mut grad = vec![0.0; model.dim()];
    let mut once = || black_box(model.log_density_and_gradient(&mut ws, &theta, &mut grad));
    once();
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            once();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[reps / 2]
}

fn main() {
    let sizes: Vec<usize> = std::env::var("VIPPL_GLM_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![200, 1000, 2000, 20_000]);
    println!("GLM gradients, K = {K}: ms per gradient (median), plain / fused");
    println!(
        "{:<16} {:>7} {:>10} {:>10} {:>7}",
        "family", "N", "fused", "plain", "ratio"
    );
    for &n in &sizes {
        let input = data(n);
        let reps = (2_000_000 / (n * K)).clamp(15, 400);
        for (name, fused, plain) in PAIRS {
            let f = compile(&format!("{HEAD}{fused}"), &input);
            let p = compile(&format!("{HEAD}{plain}"), &input);
            let (tf, tp) = (gradient_ms(&f, reps), gradient_ms(&p, reps));
            println!("{name:<16} {n:>7} {tf:>10.4} {tp:>10.4} {:>7.2}", tp / tf);
        }
        if n <= 2000 {
            // x a parameter (a measurement-error model): the fused gradient
            // against the product node and its reverse.
            let head = HEAD.replace(
                "data X: matrix[N, K]",
                "data X: matrix[N, K]\nparam xp: matrix[N, K]",
            );
            let f = compile(
                &format!("{head}y ~ normal_id_glm(xp, a, beta, sigma)\n"),
                &input,
            );
            let p = compile(&format!("{head}y ~ normal(a + xp * beta, sigma)\n"), &input);
            let (tf, tp) = (gradient_ms(&f, reps), gradient_ms(&p, reps));
            println!(
                "{:<16} {n:>7} {tf:>10.4} {tp:>10.4} {:>7.2}",
                "normal_id, x par",
                tp / tf
            );
        }
    }
}
