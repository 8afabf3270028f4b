//! Gradient speed on large data: generalised linear models with a dense
//! n × d design matrix (d = 100; n = 10⁴, 10⁵, 10⁶), written as a user
//! writes them (`y ~ bernoulli_logit(X * beta)`, `normal(X * beta, sigma)`,
//! `poisson_log(X * beta)`), against the physical limit measured in the
//! same run: two hand-written, cache-friendly matrix–vector products on the
//! same data, X·β and Xᵀ·r. Reported: ms per log density and per gradient,
//! their ratio to the two products, and the gradient on 1 and on 2 threads
//! (a gradient evaluated on a worker of a 2-thread pool splits its rows
//! into fixed chunks; the results are bit-identical, which is checked).
//!
//! The `cores` column is the CPU time over the wall time of the two-thread
//! runs: about 2 when both workers compute, 1 when the machine (shared,
//! or bandwidth-bound) gives the second worker nothing to do.
//!
//! Run: `cargo bench --bench bigdata` (`VIPPL_BIGDATA_SIZES=10000,100000`
//! chooses n; the default is 10⁴, 10⁵, 10⁶, which needs about 2 GB).
//! The data are simulated and bound in memory (no data files).

use std::hint::black_box;
use std::time::Instant;
use vippl::data::{DataEntry, DataInput};
use vippl::density::{self, CompiledModel};
use vippl::infer::Target;
use vippl::random::stream;
use vippl::source::SourceMap;

use rand::RngExt;

const D: usize = 100;

const LOGISTIC: &str = "
data N: int
data D: int
data X: matrix[N, D]
data y: int<lower=0, upper=1>[N]
param beta: vector[D]
beta ~ normal(0, 1)
y ~ bernoulli_logit(X * beta)
";

const NORMAL: &str = "
data N: int
data D: int
data X: matrix[N, D]
data yr: vector[N]
param beta: vector[D]
param sigma: real<lower=0>
beta ~ normal(0, 1)
sigma ~ normal(0, 1)
yr ~ normal(X * beta, sigma)
";

const POISSON: &str = "
data N: int
data D: int
data X: matrix[N, D]
data y: int<lower=0>[N]
param beta: vector[D]
beta ~ normal(0, 1)
y ~ poisson_log(X * beta)
";

fn entry(name: &str, dims: Vec<usize>, values: Vec<f64>) -> DataEntry {
    DataEntry::in_memory(name, dims, values)
}

/// The simulated data: X uniform on (−1, 1)/√d·2, β ~ N(0, 1)-ish, and the
/// three responses.
struct Data {
    n: usize,
    x: Vec<f64>,
    y_bin: Vec<f64>,
    y_real: Vec<f64>,
    y_count: Vec<f64>,
}

fn simulate(n: usize) -> Data {
    let mut rng = stream(7, &[n as u64]);
    let x: Vec<f64> = (0..n * D)
        .map(|_| (rng.random::<f64>() * 2.0 - 1.0) * 0.3)
        .collect();
    let beta: Vec<f64> = (0..D).map(|j| ((j % 7) as f64 - 3.0) / 3.0).collect();
    let (mut y_bin, mut y_real, mut y_count) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for i in 0..n {
        let eta: f64 = (0..D).map(|j| x[i * D + j] * beta[j]).sum();
        let u: f64 = rng.random();
        y_bin[i] = if u < 1.0 / (1.0 + (-eta).exp()) {
            1.0
        } else {
            0.0
        };
        y_real[i] = eta + 0.5 * (rng.random::<f64>() - 0.5);
        // A small count with mean near exp(eta) (the value only matters as data).
        y_count[i] = (eta.exp() * 2.0 * rng.random::<f64>()).floor();
    }
    Data {
        n,
        x,
        y_bin,
        y_real,
        y_count,
    }
}

fn compile(src: &str, data: &Data, response: (&str, &[f64])) -> CompiledModel {
    let n = data.n;
    let input = DataInput {
        entries: vec![
            entry("N", vec![], vec![n as f64]),
            entry("D", vec![], vec![D as f64]),
            entry("X", vec![n, D], data.x.clone()),
            entry(response.0, vec![n], response.1.to_vec()),
        ],
    };
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "bigdata.vi", src)
        .unwrap_or_else(|d| panic!("model does not check: {d:?}"));
    density::compile(model, sources, &input)
        .unwrap_or_else(|d| panic!("model does not compile: {d:?}"))
        .0
}

/// Median milliseconds per call of `f` over `reps` calls (after one warm-up).
fn time_ms(mut f: impl FnMut(), reps: usize) -> f64 {
    f();
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[reps / 2]
}

/// `out = X β`, four rows at a time (each row of X read once, in order).
fn mat_vec(x: &[f64], beta: &[f64], out: &mut [f64]) {
    let d = beta.len();
    for (o, row) in out.iter_mut().zip(x.chunks_exact(d)) {
        let (mut s0, mut s1, mut s2, mut s3) = (0.0, 0.0, 0.0, 0.0);
        let mut q = row.chunks_exact(4).zip(beta.chunks_exact(4));
        for (r, b) in &mut q {
            s0 += r[0] * b[0];
            s1 += r[1] * b[1];
            s2 += r[2] * b[2];
            s3 += r[3] * b[3];
        }
        for j in 4 * (d / 4)..d {
            s0 += row[j] * beta[j];
        }
        *o = (s0 + s1) + (s2 + s3);
    }
}

/// `g = Xᵀ r`, streaming the rows of X in order (an axpy per row).
fn mat_t_vec(x: &[f64], r: &[f64], g: &mut [f64]) {
    let d = g.len();
    g.iter_mut().for_each(|v| *v = 0.0);
    for (&ri, row) in r.iter().zip(x.chunks_exact(d)) {
        for (gj, &xj) in g.iter_mut().zip(row) {
            *gj += ri * xj;
        }
    }
}

/// CPU seconds used by this process so far (all threads), from
/// /proc/self/stat (user and system time in ticks of 1/100 s); 0 where
/// that file does not exist.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let field = |i: usize| {
        rest.split_whitespace()
            .nth(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 after the name.
    (field(11) + field(12)) / 100.0
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

fn bench_model(name: &str, model: &CompiledModel, reps: usize, limit_ms: f64) {
    let dim = model.dim();
    let theta: Vec<f64> = (0..dim).map(|j| 0.01 * ((j % 11) as f64 - 5.0)).collect();
    let mut ws = model.workspace();
    let mut grad = vec![0.0; dim];
    let value = time_ms(
        || {
            black_box(model.log_density(&mut ws, black_box(&theta)));
        },
        reps,
    );
    let gradient = time_ms(
        || {
            black_box(model.log_density_and_gradient(&mut ws, black_box(&theta), &mut grad));
        },
        reps,
    );
    let lp1 = model.log_density_and_gradient(&mut ws, &theta, &mut grad);
    let g1 = grad.clone();
    let two = pool(2);
    let (mut ws2, mut grad2) = (model.workspace(), vec![0.0; dim]);
    let (wall0, cpu0) = (Instant::now(), cpu_seconds());
    let gradient2 = two.install(|| {
        time_ms(
            || {
                black_box(model.log_density_and_gradient(&mut ws2, black_box(&theta), &mut grad2));
            },
            reps,
        )
    });
    let busy = (cpu_seconds() - cpu0) / wall0.elapsed().as_secs_f64();
    let lp2 = two.install(|| model.log_density_and_gradient(&mut ws2, &theta, &mut grad2));
    let same = lp1.to_bits() == lp2.to_bits()
        && g1
            .iter()
            .zip(&grad2)
            .all(|(a, b)| a.to_bits() == b.to_bits());
    println!(
        "  {name:<15} {value:>9.2} {gradient:>9.2} {:>7.2} {gradient2:>9.2} {:>7.2} {busy:>6.2}  {}",
        gradient / limit_ms,
        gradient / gradient2,
        if same { "identical" } else { "DIFFERENT" }
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::var("VIPPL_BIGDATA_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|t| t.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    for &n in &sizes {
        let data = simulate(n);
        let reps = if n >= 1_000_000 {
            7
        } else if n >= 100_000 {
            15
        } else {
            41
        };
        let beta: Vec<f64> = (0..D).map(|j| 0.01 * ((j % 11) as f64 - 5.0)).collect();
        let mut eta = vec![0.0; n];
        let mut g = vec![0.0; D];
        let fwd = time_ms(
            || mat_vec(black_box(&data.x), black_box(&beta), &mut eta),
            reps,
        );
        let rev = time_ms(
            || mat_t_vec(black_box(&data.x), black_box(&eta), &mut g),
            reps,
        );
        let limit = fwd + rev;
        println!(
            "n = {n}, d = {D}: hand-written X·β {fwd:.2} ms, Xᵀ·r {rev:.2} ms, both {limit:.2} ms"
        );
        println!(
            "  {:<15} {:>9} {:>9} {:>7} {:>9} {:>7} {:>6}  bits",
            "model", "value ms", "grad ms", "/limit", "2 thr ms", "speedup", "cores"
        );
        let m = compile(LOGISTIC, &data, ("y", &data.y_bin));
        bench_model("bernoulli_logit", &m, reps, limit);
        drop(m);
        let m = compile(NORMAL, &data, ("yr", &data.y_real));
        bench_model("normal", &m, reps, limit);
        drop(m);
        let m = compile(POISSON, &data, ("y", &data.y_count));
        bench_model("poisson_log", &m, reps, limit);
        println!();
    }
}
