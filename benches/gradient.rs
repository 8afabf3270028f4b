//! Gradient speed of the density engine against hand-written analytic
//! gradients of the same models, measured in one run and reported as
//! ratios (the machines this runs on are noisy; ratios of interleaved
//! measurements are stable).
//!
//! Run with `cargo bench --bench gradient` (`VIPPL_BENCH_ONLY=loops` for
//! the loops over rows alone, or part of an example's name for that one).

use std::hint::black_box;
use std::time::Instant;
use vippl::data::{DataInput, DataSpec};
use vippl::density::{self, CompiledModel};
use vippl::infer::Target;
use vippl::random::stream;
use vippl::source::SourceMap;

use rand::RngExt;

fn parse_data(data_json: &str) -> DataInput {
    let mut input = DataInput::default();
    input
        .add(&DataSpec::Json("data.json".into()), data_json)
        .expect("data parses");
    input
}

fn compile(src: &str, data_json: &str) -> CompiledModel {
    compile_parsed(src, &parse_data(data_json))
}

/// Parse, check, bind and compile (the data file already parsed).
fn compile_parsed(src: &str, input: &DataInput) -> CompiledModel {
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "bench.vi", src)
        .unwrap_or_else(|d| panic!("model does not check: {d:?}"));
    density::compile(model, sources, input)
        .unwrap_or_else(|d| panic!("model does not compile: {d:?}"))
        .0
}

/// Median time per call in nanoseconds of `f`, over `reps` batches.
fn time_ns(mut f: impl FnMut(), reps: usize, batch: usize) -> f64 {
    let mut v = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        v.push(t.elapsed().as_nanos() as f64 / batch as f64);
    }
    v.sort_by(f64::total_cmp);
    v[reps / 2]
}

const LOGISTIC: &str = "
data N: int
data K: int
data X: real[N, K]
data y: int<lower=0, upper=1>[N]
param alpha: real
param beta: real[K]
alpha ~ normal(0, 1)
beta ~ normal(0, 1)
y ~ bernoulli_logit(alpha + X * beta)
";

struct Logistic {
    n: usize,
    k: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    eta: Vec<f64>,
}

impl Logistic {
    fn new(n: usize, k: usize) -> Logistic {
        let mut rng = stream(42, &[n as u64, k as u64]);
        let x: Vec<f64> = (0..n * k)
            .map(|_| rng.random::<f64>() * 2.0 - 1.0)
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|_| (rng.random::<f64>() < 0.5) as u8 as f64)
            .collect();
        Logistic {
            n,
            k,
            x,
            y,
            eta: vec![0.0; n],
        }
    }

    fn json(&self) -> String {
        let rows: Vec<String> = (0..self.n)
            .map(|i| {
                let r: Vec<String> = self.x[i * self.k..(i + 1) * self.k]
                    .iter()
                    .map(|v| format!("{v}"))
                    .collect();
                format!("[{}]", r.join(","))
            })
            .collect();
        let y: Vec<String> = self.y.iter().map(|v| format!("{}", *v as i64)).collect();
        format!(
            "{{\"N\": {}, \"K\": {}, \"X\": [{}], \"y\": [{}]}}",
            self.n,
            self.k,
            rows.join(","),
            y.join(",")
        )
    }

    /// The log density and gradient written by hand (same constants).
    fn grad(&mut self, th: &[f64], g: &mut [f64]) -> f64 {
        let (n, k) = (self.n, self.k);
        let c = -0.5 * (2.0 * std::f64::consts::PI).ln();
        let mut lp = 0.0;
        for (gi, &t) in g.iter_mut().zip(th) {
            lp += c - 0.5 * t * t;
            *gi = -t;
        }
        let alpha = th[0];
        let beta = &th[1..];
        for i in 0..n {
            let row = &self.x[i * k..(i + 1) * k];
            let mut e = alpha;
            for j in 0..k {
                e += row[j] * beta[j];
            }
            self.eta[i] = e;
        }
        // log p(y | e) = y e − max(e, 0) − log1p(exp(−|e|)), one exponential
        // per row shared with the residual; the log1p terms summed as the
        // logarithm of products of 64 factors in (1, 2], as the engine does.
        let mut product = 1.0;
        for i in 0..n {
            let e = self.eta[i];
            let t = (-e.abs()).exp();
            lp += self.y[i] * e - e.max(0.0);
            product *= 1.0 + t;
            if i % 64 == 63 {
                lp -= product.ln();
                product = 1.0;
            }
            let p = if e > 0.0 {
                1.0 / (1.0 + t)
            } else {
                t / (1.0 + t)
            };
            let r = self.y[i] - p;
            g[0] += r;
            let row = &self.x[i * k..(i + 1) * k];
            for j in 0..k {
                g[1 + j] += r * row[j];
            }
        }
        lp -= product.ln();
        lp
    }
}

fn logistic(k: usize) {
    let n = 1000;
    let mut hand = Logistic::new(n, k);
    let cm = compile(LOGISTIC, &hand.json());
    let d = cm.dim();
    assert_eq!(d, k + 1);
    let mut rng = stream(7, &[k as u64]);
    let th: Vec<f64> = (0..d).map(|_| 0.1 * (rng.random::<f64>() - 0.5)).collect();
    let mut ws = cm.workspace();
    let mut g1 = vec![0.0; d];
    let mut g2 = vec![0.0; d];
    let lp1 = cm.log_density_and_gradient(&mut ws, &th, &mut g1);
    let lp2 = hand.grad(&th, &mut g2);
    assert!(
        (lp1 - lp2).abs() < 1e-8 * (1.0 + lp2.abs()),
        "{lp1} vs {lp2}"
    );
    for j in 0..d {
        assert!((g1[j] - g2[j]).abs() < 1e-8 * (1.0 + g2[j].abs()));
    }
    let v: Vec<f64> = (0..d).map(|j| ((j % 7) as f64 - 3.0) / 3.0).collect();
    let mut hv = vec![0.0; d];
    let (mut t_engine, mut t_hand, mut t_hvp) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..7 {
        t_engine.push(time_ns(
            || {
                black_box(cm.log_density_and_gradient(&mut ws, black_box(&th), &mut g1));
            },
            11,
            50,
        ));
        t_hand.push(time_ns(
            || {
                black_box(hand.grad(black_box(&th), &mut g2));
            },
            11,
            50,
        ));
        t_hvp.push(time_ns(
            || {
                black_box(cm.hessian_vector(&mut ws, black_box(&th), &v, &mut hv));
            },
            5,
            20,
        ));
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (e, h, hvp) = (med(&mut t_engine), med(&mut t_hand), med(&mut t_hvp));
    println!(
        "logistic regression n={n} d={d:<4}  engine {:>9.1} µs  hand-written {:>9.1} µs  ratio {:>5.2}   Hv {:>9.1} µs ({:.2}× gradient)",
        e / 1e3,
        h / 1e3,
        e / h,
        hvp / 1e3,
        hvp / e
    );
}

const GROUPED: &str = "
data N: int
data J: int
data g: int<lower=1, upper=J>[N]
data y: real[N]
param m: real
param tau: real<lower=0>
param z: real[J]
param s: real<lower=0>
m ~ normal(0, 5)
tau ~ normal(0, 2)
s ~ normal(0, 2)
z ~ std_normal()
let mu = m + tau * z
";

/// A loop of `~` statements over the rows against the same likelihood as
/// one array statement, and against the loop kept on the
/// statement-by-statement path (its body under an `if`), interleaved.
fn loops(n: usize, j: usize) {
    let mut rng = stream(7, &[n as u64, j as u64]);
    let g: Vec<String> = (0..n)
        .map(|_| (1 + rng.random_range(0..j)).to_string())
        .collect();
    let y: Vec<String> = (0..n)
        .map(|_| format!("{:.5}", rng.random::<f64>() * 4.0 - 2.0))
        .collect();
    let json = format!(
        r#"{{"N": {n}, "J": {j}, "g": [{}], "y": [{}]}}"#,
        g.join(", "),
        y.join(", ")
    );
    let forms = [
        ("array statement", "y ~ normal(mu[g], s)"),
        ("loop", "for i in 1:N {\n  y[i] ~ normal(mu[g[i]], s)\n}"),
        (
            "loop, general path",
            "for i in 1:N {\n  if N > 0 {\n    y[i] ~ normal(mu[g[i]], s)\n  }\n}",
        ),
    ];
    let models: Vec<CompiledModel> = forms
        .iter()
        .map(|(_, body)| compile(&format!("{GROUPED}{body}"), &json))
        .collect();
    let d = models[0].dim();
    let th: Vec<f64> = (0..d).map(|k| 0.1 * (k as f64).sin()).collect();
    let mut g = vec![0.0; d];
    let mut times = vec![Vec::new(); forms.len()];
    for _ in 0..5 {
        for (cm, t) in models.iter().zip(times.iter_mut()) {
            let mut ws = cm.workspace();
            t.push(time_ns(
                || {
                    black_box(cm.log_density_and_gradient(&mut ws, black_box(&th), &mut g));
                },
                5,
                4,
            ));
        }
    }
    let medians: Vec<f64> = times
        .iter_mut()
        .map(|v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect();
    for ((name, _), t) in forms.iter().zip(&medians) {
        println!(
            "y[i] ~ normal(mu[g[i]], s), N={n} J={j}  {name:<20} {:>9.1} µs  ({:.2}× the array statement)",
            t / 1e3,
            t / medians[0]
        );
    }
}

fn example(name: &str, model: &str, data: &str) {
    if let Ok(only) = std::env::var("VIPPL_BENCH_ONLY") {
        if !name.contains(only.as_str()) {
            return;
        }
    }
    let src = std::fs::read_to_string(model).expect("model file");
    let json = std::fs::read_to_string(data).expect("data file");
    // Compile time: parse + check + bind + compile, data already read.
    let input = parse_data(&json);
    let mut times = Vec::new();
    let mut cm = None;
    for _ in 0..5 {
        let t = Instant::now();
        cm = Some(compile_parsed(&src, &input));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let cm = cm.expect("compiled");
    let d = cm.dim();
    let th = vec![0.1; d];
    let mut ws = cm.workspace();
    let mut g = vec![0.0; d];
    let t = time_ns(
        || {
            black_box(cm.log_density_and_gradient(&mut ws, black_box(&th), &mut g));
        },
        21,
        20,
    );
    println!(
        "{name:<42} d={d:<4} compile {:>7.2} ms   gradient {:>9.2} µs ({:.3} µs per coordinate)",
        times[2],
        t / 1e3,
        t / 1e3 / d as f64
    );
}

fn main() {
    // Filter arguments that cargo passes to benches (e.g. `--bench`).
    println!("== gradient: engine vs hand-written (same run, medians) ==");
    let only = std::env::var("VIPPL_BENCH_ONLY").ok();
    if only.is_none() {
        for k in [24, 99, 499] {
            logistic(k);
        }
    }
    if only.as_deref().is_none_or(|o| "loops".contains(o)) {
        println!("== loops over rows: array statement, loop, loop on the general path ==");
        loops(5000, 50);
    }
    println!("== examples: compile time and gradient ==");
    let root = env!("CARGO_MANIFEST_DIR");
    for (name, dir) in [
        ("eight schools", "eight_schools-eight_schools_noncentered"),
        ("diamonds", "diamonds-diamonds"),
        ("arK", "arK-arK"),
        ("garch11", "garch-garch11"),
        ("low_dim_gauss_mix", "low_dim_gauss_mix-low_dim_gauss_mix"),
        ("kidiq interaction", "kidiq-kidscore_interaction"),
        (
            "earnings logearn_interaction",
            "earnings-logearn_interaction",
        ),
    ] {
        example(
            name,
            &format!("{root}/examples/posteriordb/{dir}/model.vi"),
            &format!("{root}/examples/posteriordb/{dir}/data.json"),
        );
    }
    example(
        "UCI ionosphere logistic (flat prior)",
        &format!("{root}/examples/uci/logistic.vi"),
        &format!("{root}/examples/uci/ionosphere_train.json"),
    );
}
