//! Gradient speed of Gaussian-process regression written as a Stan user
//! writes it — a kernel built element by element, `cholesky_decompose`,
//! `multi_normal_cholesky` — against a hand-written analytic gradient of
//! the same log density, in the same run, for N = 25, 50, 100, 200.
//! Reported: time per gradient of each, their ratio, and the growth of the
//! engine's time per doubling of N.
//!
//! The same model with the kernel from the built-in `gp_exp_quad_cov` is
//! timed beside it. Run with `cargo bench --bench gp`; `VIPPL_GP_SIZES=25,50`
//! chooses the sizes.

use std::f64::consts::PI;
use std::hint::black_box;
use std::time::Instant;
use vippl::data::{DataInput, DataSpec};
use vippl::density::{self, CompiledModel};
use vippl::infer::Target;
use vippl::scalar::linalg::{cholesky_in_place, solve_lower, solve_lower_transposed};
use vippl::source::SourceMap;

/// Data, parameters and priors shared by both ways of writing the kernel.
const GP_PRELUDE: &str = "
data N: int<lower=1>
data x: real[N]
data y: real[N]
param rho: real<lower=0>
param alpha: real<lower=0>
param sigma: real<lower=0>
rho ~ inv_gamma(5, 5)
alpha ~ std_normal()
sigma ~ std_normal()
";

/// The kernel built element by element.
const GP_LOOP: &str = "
var K: real[N, N]
for i in 1:N {
  for j in 1:N { K[i, j] = square(alpha) * exp(-0.5 * square((x[i] - x[j]) / rho)) }
  K[i, i] = K[i, i] + square(sigma)
}
y ~ multi_normal_cholesky(rep_vector(0, N), cholesky_decompose(K))
";

/// The kernel from the built-in.
const GP_BUILTIN: &str = "
let K = add_diag(gp_exp_quad_cov(x, alpha, rho), square(sigma))
y ~ multi_normal_cholesky(rep_vector(0, N), cholesky_decompose(K))
";

fn compile(src: &str, json: &str) -> CompiledModel {
    let mut input = DataInput::default();
    input
        .add(&DataSpec::Json("data.json".into()), json)
        .expect("data parses");
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "gp.vi", src)
        .unwrap_or_else(|d| panic!("model does not check: {d:?}"));
    density::compile(model, sources, &input)
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

/// The same log density on (log rho, log alpha, log sigma), differentiated
/// by hand: with K = alpha² E + sigma² I, E_ij = exp(−d_ij² / (2 rho²)),
/// a = K⁻¹ y and W = a aᵀ − K⁻¹, the likelihood's derivative along a
/// parameter t is ½ Σ_ij W_ij ∂K_ij/∂t.
struct Analytic {
    n: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    e: Vec<f64>,
    l: Vec<f64>,
    inv: Vec<f64>,
    a: Vec<f64>,
}

impl Analytic {
    fn new(x: Vec<f64>, y: Vec<f64>) -> Analytic {
        let n = x.len();
        Analytic {
            n,
            x,
            y,
            e: vec![0.0; n * n],
            l: vec![0.0; n * n],
            inv: vec![0.0; n * n],
            a: vec![0.0; n],
        }
    }

    fn grad(&mut self, th: &[f64], g: &mut [f64]) -> f64 {
        let n = self.n;
        let (rho, alpha, sigma) = (th[0].exp(), th[1].exp(), th[2].exp());
        for i in 0..n {
            for j in 0..n {
                let d = (self.x[i] - self.x[j]) / rho;
                let e = (-0.5 * d * d).exp();
                self.e[i * n + j] = e;
                self.l[i * n + j] = alpha * alpha * e;
            }
            self.l[i * n + i] += sigma * sigma;
        }
        cholesky_in_place(&mut self.l, n).expect("positive-definite");
        self.a.copy_from_slice(&self.y);
        solve_lower(&self.l, &mut self.a, n);
        let quad: f64 = self.a.iter().map(|z| z * z).sum();
        solve_lower_transposed(&self.l, &mut self.a, n);
        let log_det: f64 = (0..n).map(|i| self.l[i * n + i].ln()).sum();
        // inv = L⁻¹ (lower), column by column, then K⁻¹ = L⁻ᵀ L⁻¹ (lower half).
        self.inv.iter_mut().for_each(|v| *v = 0.0);
        for j in 0..n {
            self.inv[j * n + j] = 1.0 / self.l[j * n + j];
            for i in j + 1..n {
                let mut s = 0.0;
                for k in j..i {
                    s -= self.l[i * n + k] * self.inv[k * n + j];
                }
                self.inv[i * n + j] = s / self.l[i * n + i];
            }
        }
        let (mut d_alpha, mut d_rho, mut d_sigma) = (0.0, 0.0, 0.0);
        for i in 0..n {
            for j in 0..=i {
                let mut kinv = 0.0;
                for k in i..n {
                    kinv += self.inv[k * n + i] * self.inv[k * n + j];
                }
                let w = self.a[i] * self.a[j] - kinv;
                let both = if i == j { 0.5 } else { 1.0 };
                let e = self.e[i * n + j];
                let d = (self.x[i] - self.x[j]) / rho;
                d_alpha += both * w * 2.0 * alpha * alpha * e;
                d_rho += both * w * alpha * alpha * e * d * d;
                if i == j {
                    d_sigma += 0.5 * w * 2.0 * sigma * sigma;
                }
            }
        }
        // Derivatives along log parameters; priors and log-Jacobians.
        let lgamma5 = 24f64.ln();
        let mut lp = -0.5 * quad - log_det - 0.5 * n as f64 * (2.0 * PI).ln();
        lp += 5.0 * 5f64.ln() - lgamma5 - 6.0 * rho.ln() - 5.0 / rho;
        lp += -0.5 * alpha * alpha - 0.5 * (2.0 * PI).ln();
        lp += -0.5 * sigma * sigma - 0.5 * (2.0 * PI).ln();
        lp += th[0] + th[1] + th[2];
        g[0] = d_rho + (-6.0 + 5.0 / rho) + 1.0;
        g[1] = d_alpha - alpha * alpha + 1.0;
        g[2] = d_sigma - sigma * sigma + 1.0;
        lp
    }
}

/// Calls per timed batch so that a batch takes about 20 ms.
fn batch_size(mut f: impl FnMut()) -> usize {
    let t = Instant::now();
    f();
    let once = t.elapsed().as_secs_f64();
    ((0.02 / once) as usize).clamp(1, 1000)
}

/// Time per gradient (ns) of the engine on `model` and of the analytic
/// gradient.
fn gp(model: &str, n: usize) -> (f64, f64) {
    let x: Vec<f64> = (0..n)
        .map(|i| -5.0 + 10.0 * i as f64 / (n - 1) as f64)
        .collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| v.sin() + 0.3 * ((i * 7919 % 101) as f64 / 101.0 - 0.5))
        .collect();
    let list = |v: &[f64]| {
        v.iter()
            .map(|z| format!("{z}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let json = format!(
        "{{\"N\": {n}, \"x\": [{}], \"y\": [{}]}}",
        list(&x),
        list(&y)
    );
    let cm = compile(model, &json);
    let mut hand = Analytic::new(x, y);
    let th = [1.2f64.ln(), 0.9f64.ln(), 0.4f64.ln()];
    let mut ws = cm.workspace();
    let (mut g1, mut g2) = ([0.0; 3], [0.0; 3]);
    let lp1 = cm.log_density_and_gradient(&mut ws, &th, &mut g1);
    let lp2 = hand.grad(&th, &mut g2);
    assert!(
        (lp1 - lp2).abs() < 1e-8 * (1.0 + lp2.abs()),
        "{lp1} vs {lp2}"
    );
    for j in 0..3 {
        assert!(
            (g1[j] - g2[j]).abs() < 1e-6 * (1.0 + g2[j].abs()),
            "{g1:?} vs {g2:?}"
        );
    }
    let mut engine = || {
        black_box(cm.log_density_and_gradient(&mut ws, black_box(&th), &mut g1));
    };
    let mut analytic = || {
        black_box(hand.grad(black_box(&th), &mut g2));
    };
    let (be, ba) = (batch_size(&mut engine), batch_size(&mut analytic));
    let (mut te, mut th_) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        te.push(time_ns(&mut engine, 5, be));
        th_.push(time_ns(&mut analytic, 5, ba));
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (med(&mut te), med(&mut th_))
}

fn main() {
    let sizes: Vec<usize> = std::env::var("VIPPL_GP_SIZES")
        .map(|s| {
            s.split(',')
                .map(|t| t.trim().parse().expect("a size"))
                .collect()
        })
        .unwrap_or_else(|_| vec![25, 50, 100, 200]);
    for (title, kernel) in [
        ("kernel built element by element", GP_LOOP),
        ("kernel from gp_exp_quad_cov", GP_BUILTIN),
    ] {
        table(title, &format!("{GP_PRELUDE}{kernel}"), &sizes);
    }
}

fn table(title: &str, model: &str, sizes: &[usize]) {
    println!(
        "== GP regression, {title}: engine vs hand-written analytic gradient (same run, medians) =="
    );
    println!(
        "{:>5} {:>14} {:>14} {:>8} {:>16}",
        "N", "engine ms", "analytic ms", "ratio", "growth (x2 N)"
    );
    let mut previous: Option<f64> = None;
    for &n in sizes {
        let (engine, analytic) = gp(model, n);
        let growth = previous
            .map(|p| format!("{:.2}", engine / p))
            .unwrap_or_else(|| "-".into());
        println!(
            "{n:>5} {:>14.3} {:>14.3} {:>8.2} {growth:>16}",
            engine / 1e6,
            analytic / 1e6,
            engine / analytic
        );
        previous = Some(engine);
    }
}
