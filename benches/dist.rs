//! Slice kernels against hand-written f64 loops computing the same value
//! and partials: the overhead of writing the kernels once, generically.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use vippl::dist::Arg;
use vippl::dist::bernoulli_logit::bernoulli_logit_lpmf_sum;
use vippl::dist::normal::normal_lpdf_sum;

const N: usize = 5000;

fn data() -> (Vec<f64>, Vec<f64>) {
    // Deterministic pseudo-random values (no RNG dependency in the timing).
    let y: Vec<f64> = (0..N)
        .map(|i| ((i * 7919) % 1000) as f64 / 250.0 - 2.0)
        .collect();
    let mu: Vec<f64> = (0..N)
        .map(|i| ((i * 104_729) % 997) as f64 / 500.0 - 1.0)
        .collect();
    (y, mu)
}

/// normal(y | mu, sigma) summed, with partials in mu (per element) and
/// sigma (scalar): what the engine needs for `y ~ normal(X * beta, sigma)`.
fn normal_by_hand(y: &[f64], mu: &[f64], sigma: f64, d_mu: &mut [f64]) -> (f64, f64) {
    let inv2 = 1.0 / (sigma * sigma);
    let mut ss = 0.0;
    for i in 0..y.len() {
        let r = y[i] - mu[i];
        ss += r * r;
        d_mu[i] = r * inv2;
    }
    let n = y.len() as f64;
    let lp = -0.5 * ss * inv2 - n * sigma.ln() - n * 0.918_938_533_204_672_8;
    (lp, (ss * inv2 - n) / sigma)
}

fn bernoulli_logit_by_hand(y: &[f64], alpha: &[f64], d: &mut [f64]) -> f64 {
    let mut lp = 0.0;
    for i in 0..y.len() {
        let s = if y[i] == 1.0 { 1.0 } else { -1.0 };
        let t = -s * alpha[i];
        if t > 0.0 {
            let e = (-t).exp();
            lp -= t + e.ln_1p();
            d[i] = s / (1.0 + e);
        } else {
            let e = t.exp();
            lp -= e.ln_1p();
            d[i] = s * e / (1.0 + e);
        }
    }
    lp
}

fn benches(c: &mut Criterion) {
    let (y, mu) = data();
    let yb: Vec<f64> = y.iter().map(|v| if *v > 0.0 { 1.0 } else { 0.0 }).collect();
    let mut d_mu = vec![0.0; N];
    let mut d_sigma = [0.0];
    let mut g = c.benchmark_group("n=5000");
    g.bench_function("normal hand-written f64", |b| {
        b.iter(|| normal_by_hand(black_box(&y), black_box(&mu), black_box(1.3), &mut d_mu))
    });
    g.bench_function("normal_lpdf_sum f64", |b| {
        b.iter(|| {
            normal_lpdf_sum(
                Arg::ConstSlice(black_box(&y)),
                Arg::Slice(black_box(&mu)),
                Arg::Scalar(black_box(1.3)),
                None,
                Some(&mut d_mu),
                Some(&mut d_sigma),
            )
        })
    });
    g.bench_function("bernoulli_logit hand-written f64", |b| {
        b.iter(|| bernoulli_logit_by_hand(black_box(&yb), black_box(&mu), &mut d_mu))
    });
    g.bench_function("bernoulli_logit_lpmf_sum f64", |b| {
        b.iter(|| {
            bernoulli_logit_lpmf_sum(
                Arg::ConstSlice(black_box(&yb)),
                Arg::Slice(black_box(&mu)),
                Some(&mut d_mu),
            )
        })
    });
    g.finish();
}

criterion_group! {
    name = group;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(group);
