//! The doubly stochastic mode against full batch: logistic regression,
//! d = 100, n = 10⁵ by default (`VIPPL_MINIBATCH_N=1000000` for 10⁶, which
//! needs about 2 GB and minutes for the full-batch fit).
//!
//! Both fits are mean-field q's (the family `--minibatch` fits) from the
//! same model and simulated data, timed without their final diagnostics
//! (those are the same full-data computation for both). Reported: the
//! seconds of each fit; how far the minibatch answer is from the full-batch
//! one (the largest and the root-mean-square difference of the means in
//! full-batch sds, the root-mean-square log ratio of the sds); and the time
//! to the full-batch answer's accuracy: the shortest minibatch run (by
//! iteration budget, doubling) whose means are all within 0.1 sd of it.
//!
//! With `VIPPL_MINIBATCH_FULL=0` the full-batch fit is skipped (10⁶ rows
//! take minutes); then the time of one full-data gradient and the work of
//! the minibatch run in passes over the data are reported instead.
//!
//! Run: `cargo bench --bench minibatch` (`VIPPL_MINIBATCH_B=1000` sets B).

use std::time::Instant;
use vippl::data::{DataEntry, DataInput};
use vippl::density::{self, CompiledModel, MinibatchModel};
use vippl::infer::{self, Approximation, FamilyKind, FitConfig, Silent};
use vippl::random::stream;
use vippl::source::SourceMap;

use rand::RngExt;
use rand_distr::StandardNormal;

const D: usize = 100;

const LOGISTIC: &str = "
data N: int<lower=1> minibatch
data D: int
data X: matrix[N, D]
data y: int<lower=0, upper=1>[N]
param beta: vector[D]
beta ~ normal(0, 1)
y ~ bernoulli_logit(X * beta)
";

fn entry(name: &str, dims: Vec<usize>, values: Vec<f64>) -> DataEntry {
    DataEntry::in_memory(name, dims, values)
}

/// X standard normal / √d · 2, β ~ N(0, ½²), y ~ Bernoulli(logit⁻¹(Xβ)).
fn model(n: usize) -> CompiledModel {
    let mut rng = stream(7, &[n as u64]);
    let beta: Vec<f64> = (0..D)
        .map(|_| 0.5 * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let scale = 2.0 / (D as f64).sqrt();
    let x: Vec<f64> = (0..n * D)
        .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let eta: f64 = (0..D).map(|j| x[i * D + j] * beta[j]).sum();
            f64::from(rng.random::<f64>() < 1.0 / (1.0 + (-eta).exp()))
        })
        .collect();
    let input = DataInput {
        entries: vec![
            entry("N", vec![], vec![n as f64]),
            entry("D", vec![], vec![D as f64]),
            entry("X", vec![n, D], x),
            entry("y", vec![n], y),
        ],
    };
    let mut sources = SourceMap::new();
    let (m, _) = vippl::check::load_model(&mut sources, "minibatch.vi", LOGISTIC)
        .unwrap_or_else(|d| panic!("model does not check: {d:?}"));
    density::compile(m, sources, &input)
        .unwrap_or_else(|d| panic!("model does not compile: {d:?}"))
        .0
}

fn mean_sd(a: &Approximation) -> (Vec<f64>, Vec<f64>) {
    match a {
        Approximation::MeanField { mean, sd } => (mean.clone(), sd.clone()),
        _ => panic!("a mean-field q"),
    }
}

/// (largest |Δmean|/sd, RMS |Δmean|/sd, RMS log sd ratio) against `reference`.
fn distance(a: &Approximation, reference: &Approximation) -> (f64, f64, f64) {
    let ((m, s), (m0, s0)) = (mean_sd(a), mean_sd(reference));
    let d = m.len() as f64;
    let z: Vec<f64> = (0..m.len()).map(|i| (m[i] - m0[i]) / s0[i]).collect();
    let largest = z.iter().fold(0.0f64, |acc, x| acc.max(x.abs()));
    let rms = (z.iter().map(|x| x * x).sum::<f64>() / d).sqrt();
    let log_sd = ((0..m.len())
        .map(|i| (s[i] / s0[i]).ln().powi(2))
        .sum::<f64>()
        / d)
        .sqrt();
    (largest, rms, log_sd)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The minibatch fit alone: its time, and its work in passes over the data
/// against the time of one full-data gradient.
fn minibatch_only(cm: &CompiledModel, n: usize, b: usize, threads: usize) {
    use vippl::infer::Target;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut ws = cm.workspace();
    let x = vec![0.01; D];
    let mut g = vec![0.0; D];
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            pool.install(|| cm.log_density_and_gradient(&mut ws, &x, &mut g));
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let mb = MinibatchModel::new(cm, b, 1).unwrap_or_else(|d| panic!("{d:?}"));
    let config = FitConfig {
        minibatch: Some(b),
        draws: 0,
        threads,
        seed: 1,
        ..FitConfig::default()
    };
    let t = Instant::now();
    let fit = infer::fit_minibatch(&mb, cm, &config, &mut Silent).expect("minibatch fits");
    let s = t.elapsed().as_secs_f64();
    let window = n.div_ceil(b).clamp(50, 500);
    let windows = fit.iterations / window;
    // Per step one minibatch at the anchor and 8 draws; per window one
    // full gradient.
    let passes = (fit.iterations * 9 * b) as f64 / n as f64 + windows as f64 + 1.0;
    println!(
        "logistic regression n = {n}, d = {D}, {threads} threads\n\
         one full-data gradient: {:.1} ms (median of 5)\n\
         minibatch B = {b}: {s:.2} s, {} steps ({:?}), {passes:.1} passes over the data",
        times[2] * 1e3,
        fit.iterations,
        fit.termination
    );
}

fn main() {
    let n = env("VIPPL_MINIBATCH_N", 100_000);
    let b = env("VIPPL_MINIBATCH_B", 1000);
    let threads = env("VIPPL_MINIBATCH_THREADS", 2);
    let cm = model(n);
    if env("VIPPL_MINIBATCH_FULL", 1) == 0 {
        minibatch_only(&cm, n, b, threads);
        return;
    }
    let full_config = FitConfig {
        family: Some(FamilyKind::MeanField),
        draws: 0,
        threads,
        seed: 1,
        ..FitConfig::default()
    };
    let t = Instant::now();
    let full = infer::fit(&cm, &full_config, &mut Silent).expect("full batch fits");
    let full_s = t.elapsed().as_secs_f64();
    println!(
        "logistic regression n = {n}, d = {D}, {threads} threads\n\
         full batch (bw, meanfield):  {full_s:8.2} s  {} iterations, {} gradients",
        full.iterations, full.grad_evals
    );
    let mb = MinibatchModel::new(&cm, b, 1).unwrap_or_else(|d| panic!("{d:?}"));
    let config = FitConfig {
        minibatch: Some(b),
        draws: 0,
        threads,
        seed: 1,
        ..FitConfig::default()
    };
    let t = Instant::now();
    let fit = infer::fit_minibatch(&mb, &cm, &config, &mut Silent).expect("minibatch fits");
    let mb_s = t.elapsed().as_secs_f64();
    let (largest, rms, log_sd) = distance(&fit.approximation, &full.approximation);
    println!(
        "minibatch B = {b}:            {mb_s:8.2} s  {} steps ({:?}), time ratio {:.3}\n\
         \x20 vs full batch: mean max {largest:.3} sd, rms {rms:.3} sd; sd rms log ratio {log_sd:.3}",
        fit.iterations,
        fit.termination,
        mb_s / full_s
    );
    // The time to 0.1 sd of the full-batch answer: budgets doubling from
    // one window.
    let mut iters = 50;
    while iters <= 100_000 {
        let capped = FitConfig {
            iters,
            ..config.clone()
        };
        let t = Instant::now();
        let f = infer::fit_minibatch(&mb, &cm, &capped, &mut Silent).expect("fits");
        let s = t.elapsed().as_secs_f64();
        let (largest, _, log_sd) = distance(&f.approximation, &full.approximation);
        println!(
            "  budget {iters:6} steps: {s:7.2} s, mean max {largest:.3} sd, sd rms log ratio {log_sd:.3}"
        );
        if largest <= 0.1 {
            println!(
                "time to 0.1 sd of the full-batch answer: {s:.2} s = {:.3} of the full-batch time",
                s / full_s
            );
            break;
        }
        iters *= 2;
    }
}
