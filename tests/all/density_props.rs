//! Engine vs oracle on random models: the reverse-mode gradient of the
//! tape equals the forward-mode dual-number derivative of the same
//! evaluator, and Hessian–vector products equal Hessian columns.
//!
//! Models are generated from a small typed grammar over a fixed set of
//! data and parameters (every transform, element-wise functions, indexing,
//! slicing, gathers, loops with `var` recursions, branches, user functions,
//! univariate and multivariate distributions), so that every node kind of
//! the engine is exercised in many combinations.

use rand::RngExt;
use vippl::data::{DataInput, DataSpec};
use vippl::density::{self, CompiledModel};
use vippl::infer::Target;
use vippl::random::{VRng, stream};
use vippl::source::SourceMap;

const N: usize = 5;

const HEADER: &str = "
data N: int
data x: real[N]
data X: real[N, 3]
data k: int<lower=1, upper=3>[N]
data z: int<lower=0, upper=1>[N]
param a: real
param b: real<lower=0>
param c: real[3]
param d: real<lower=-1, upper=2>[N]
param w: simplex[3]
param o: ordered[3]
param p: positive_ordered[2]
param e: real<lower=a, upper=a + 3>
param L: corr_cholesky[3]
fn bump(u: real, v: real) -> real = u * v + sin(u)
fn vsq(v: real[]) -> real[] {
  let t = v .* v
  return t + 1
}
";

const DATA: &str = r#"{"N": 5, "x": [0.3, -1.2, 0.8, 2.0, -0.4],
  "X": [[1, 0.5, -0.3], [0.2, -1, 0.4], [0.7, 0.1, 0.9], [-0.6, 0.3, 0.2], [0.5, 0.5, -0.8]],
  "k": [1, 3, 2, 2, 1], "z": [0, 1, 1, 0, 1]}"#;

/// A random scalar expression of depth at most `depth`.
fn scalar(r: &mut VRng, depth: u32) -> String {
    let leaf = depth == 0 || r.random::<f64>() < 0.3;
    if leaf {
        return match r.random_range(0..12) {
            0 => "a".into(),
            1 => "b".into(),
            2 => format!("c[{}]", r.random_range(1..=3)),
            3 => format!("d[{}]", r.random_range(1..=N)),
            4 => format!("w[{}]", r.random_range(1..=3)),
            5 => format!("o[{}]", r.random_range(1..=3)),
            6 => "e".into(),
            7 => format!("x[{}]", r.random_range(1..=N)),
            8 => format!("{:.2}", r.random::<f64>() * 2.0 - 1.0),
            9 => format!("p[{}]", r.random_range(1..=2)),
            10 => format!("L[{}, {}]", r.random_range(2..=3), r.random_range(1..=2)),
            _ => format!("X[{}, {}]", r.random_range(1..=N), r.random_range(1..=3)),
        };
    }
    let s = |r: &mut VRng| scalar(r, depth - 1);
    let v = |r: &mut VRng| vector(r, depth - 1);
    match r.random_range(0..22) {
        0 => format!("({} + {})", s(r), s(r)),
        1 => format!("({} - {})", s(r), s(r)),
        2 => format!("({} * {})", s(r), s(r)),
        3 => format!("({} / (1 + square({})))", s(r), s(r)),
        4 => format!("exp(tanh({}))", s(r)),
        5 => format!("log1p_exp({})", s(r)),
        6 => format!("inv_logit({})", s(r)),
        7 => format!("log(b + square({}))", s(r)),
        8 => format!("sum({})", v(r)),
        9 => format!("dot_product({}, {})", v(r), v(r)),
        10 => format!("log_sum_exp({})", v(r)),
        11 => format!("mean({})", v(r)),
        12 => format!("sd({} + x)", v(r)),
        13 => format!("bump({}, {})", s(r), s(r)),
        14 => format!("({} > 0 ? {} : {})", s(r), s(r), s(r)),
        15 => format!("pow(b, {})", ["1.5", "2", "0.5"][r.random_range(0..3)]),
        16 => format!("Phi({})", s(r)),
        17 => format!("lgamma(1 + b + square({}))", s(r)),
        18 => format!("log_sum_exp({}, {})", s(r), s(r)),
        19 => format!("fmax({}, {})", s(r), s(r)),
        20 => format!("({})[{}]", v(r), r.random_range(1..=N)),
        _ => format!("(-{})", s(r)),
    }
}

/// A random vector expression of length N.
fn vector(r: &mut VRng, depth: u32) -> String {
    let leaf = depth == 0 || r.random::<f64>() < 0.3;
    if leaf {
        return match r.random_range(0..7) {
            0 => "d".into(),
            1 => "x".into(),
            2 => "(X * c)".into(),
            3 => "c[k]".into(),
            4 => "rep_vector(a, N)".into(),
            5 => "append_row(c, o[1:2])".into(),
            _ => "(col(X, 2) .* d)".into(),
        };
    }
    let s = |r: &mut VRng| scalar(r, depth - 1);
    let v = |r: &mut VRng| vector(r, depth - 1);
    match r.random_range(0..14) {
        0 => format!("({} + {})", v(r), v(r)),
        1 => format!("({} - {})", v(r), s(r)),
        2 => format!("({} * {})", s(r), v(r)),
        3 => format!("({} .* {})", v(r), v(r)),
        4 => format!("({} ./ (1 + square({})))", v(r), v(r)),
        5 => format!("exp(tanh({}))", v(r)),
        6 => format!("inv_logit({})", v(r)),
        7 => format!("softmax({})", v(r)),
        8 => format!("cumulative_sum({})", v(r)),
        9 => format!("reverse({})", v(r)),
        10 => format!("vsq({})", v(r)),
        11 => format!("log_softmax({})", v(r)),
        12 => format!("[{}, {}, {}, {}, {}]", s(r), s(r), s(r), s(r), s(r)),
        _ => format!("({})[1:N]", v(r)),
    }
}

/// A random model: a few `let`s, a recursion, and density statements.
fn model(r: &mut VRng) -> String {
    let mut m = String::from(HEADER);
    let nlet = r.random_range(1..4);
    for i in 0..nlet {
        m += &format!("let s{i} = {}\n", scalar(r, 3));
        m += &format!("let v{i} = {}\n", vector(r, 2));
    }
    // Priors that make every parameter matter.
    m += "a ~ normal(0, 2)\nb ~ gamma(2, 1)\nc ~ student_t(4, 0, 1)\n";
    m += "w ~ dirichlet([1.5, 2, 2.5])\no ~ logistic(0, 2)\np ~ lognormal(0, 1)\n";
    m += "L ~ lkj_corr_cholesky(2)\ne ~ normal(a + 1, 1)\n";
    m += "d ~ double_exponential(0.5, 1)\n";
    // A recursion through a var.
    m += &format!(
        "var h: real[N]\nh[1] = {}\nfor i in 2:N {{\n  h[i] = 0.5 * h[i - 1] + {}\n}}\n",
        scalar(r, 1),
        ["d[i]", "x[i] * a", "c[k[i]]"][r.random_range(0..3)]
    );
    m += "var acc: real = 0\nfor i in 1:N {\n  if x[i] > 0 {\n    acc += h[i] * b\n  } else {\n    acc += -h[i] / (1 + b)\n  }\n}\n";
    m += "target += -0.1 * square(acc)\n";
    for i in 0..nlet {
        let y = match r.random_range(0..10) {
            0 => format!("x ~ normal(v{i}, b)\n"),
            1 => format!("x ~ student_t(3, s{i} + v{i}, 1 + b)\n"),
            2 => format!("z ~ bernoulli_logit(v{i})\n"),
            3 => format!("k ~ poisson_log(tanh(v{i}))\n"),
            4 => format!("k ~ binomial_logit(3, v{i})\n"),
            5 => format!("k ~ neg_binomial_2_log(tanh(v{i}), b)\n"),
            6 => format!("k ~ categorical_logit(c + s{i})\n"),
            7 => format!("target += normal_lpdf(s{i} | a, 1 + b) + cauchy_lpdf(x | s{i}, 2)\n"),
            8 => format!(
                "c ~ multi_normal(rep_vector(s{i}, 3), diag_matrix(rep_vector(1 + b, 3)))\n"
            ),
            _ => format!("x ~ normal(h + v{i}, 1 + exp(-b))\n"),
        };
        m += &y;
    }
    m
}

fn compile(src: &str) -> CompiledModel {
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "random.vi", src).unwrap_or_else(|d| {
        panic!(
            "generated model does not check:\n{src}\n{}",
            vippl::diagnostics::render_short(&d, &sources)
        )
    });
    let mut input = DataInput::default();
    input.add(&DataSpec::Json("d.json".into()), DATA).unwrap();
    match density::compile(model, sources.clone(), &input) {
        Ok((cm, _)) => cm,
        Err(d) => panic!(
            "generated model does not compile:\n{src}\n{}",
            vippl::diagnostics::render_short(&d, &sources)
        ),
    }
}

#[test]
fn reverse_gradient_equals_forward_oracle_on_random_models() {
    let mut finite = 0;
    for seed in 0..150u64 {
        let mut r = stream(2024, &[seed]);
        let src = model(&mut r);
        let cm = compile(&src);
        let dim = cm.dim();
        let mut ws = cm.workspace();
        for trial in 0..3u64 {
            let mut rr = stream(99, &[seed, trial]);
            let th: Vec<f64> = (0..dim).map(|_| 0.6 * (rr.random::<f64>() - 0.5)).collect();
            let mut g = vec![0.0; dim];
            let lp = cm.log_density_and_gradient(&mut ws, &th, &mut g);
            if !lp.is_finite() {
                continue;
            }
            finite += 1;
            for i in 0..dim {
                let mut e = vec![0.0; dim];
                e[i] = 1.0;
                let (lpf, di) = cm.forward_derivative(&th, &e);
                assert!(
                    (lpf - lp).abs() <= 1e-12 * (1.0 + lp.abs()),
                    "seed {seed}: value {lpf} vs {lp}\n{src}"
                );
                assert!(
                    (g[i] - di).abs() <= 1e-10 * (1.0 + di.abs()),
                    "seed {seed}, coordinate {i}: reverse {} vs forward {di}\n{src}",
                    g[i]
                );
            }
        }
    }
    // The generator keeps densities finite: nearly every trial must count.
    assert!(finite >= 400, "only {finite} finite evaluations");
}

#[test]
fn hessian_vector_products_match_hessian_columns_and_are_symmetric() {
    let mut checked = 0;
    for seed in 0..25u64 {
        let mut r = stream(77, &[seed]);
        let src = model(&mut r);
        let cm = compile(&src);
        let dim = cm.dim();
        let mut ws = cm.workspace();
        let mut rr = stream(5, &[seed]);
        let th: Vec<f64> = (0..dim).map(|_| 0.6 * (rr.random::<f64>() - 0.5)).collect();
        let mut h = vec![0.0; dim * dim];
        let lp = cm.hessian(&mut ws, &th, &mut h);
        if !lp.is_finite() {
            continue;
        }
        checked += 1;
        let v: Vec<f64> = (0..dim).map(|_| rr.random::<f64>() - 0.5).collect();
        let mut hv = vec![0.0; dim];
        cm.hessian_vector(&mut ws, &th, &v, &mut hv);
        for i in 0..dim {
            let want: f64 = (0..dim).map(|j| h[i * dim + j] * v[j]).sum();
            let scale = 1.0 + (0..dim).map(|j| (h[i * dim + j] * v[j]).abs()).sum::<f64>();
            assert!(
                (hv[i] - want).abs() <= 1e-9 * scale,
                "seed {seed} row {i}: {} vs {want}\n{src}",
                hv[i]
            );
            for j in 0..i {
                let (a, b) = (h[i * dim + j], h[j * dim + i]);
                assert!(
                    (a - b).abs() <= 1e-9 * (1.0 + a.abs()),
                    "seed {seed}: H[{i},{j}] {a} vs {b}"
                );
            }
        }
        // Hessian columns against finite differences of the gradient.
        let eps = 1e-5;
        let mut gp = vec![0.0; dim];
        let mut gm = vec![0.0; dim];
        for j in 0..dim {
            let mut tp = th.clone();
            tp[j] += eps;
            let mut tm = th.clone();
            tm[j] -= eps;
            cm.log_density_and_gradient(&mut ws, &tp, &mut gp);
            cm.log_density_and_gradient(&mut ws, &tm, &mut gm);
            for i in 0..dim {
                let fd = (gp[i] - gm[i]) / (2.0 * eps);
                let hij = h[i * dim + j];
                assert!(
                    (fd - hij).abs() <= 1e-4 * (1.0 + hij.abs()),
                    "seed {seed}: H[{i},{j}] = {hij}, fd {fd}\n{src}"
                );
            }
        }
    }
    assert!(checked >= 20, "only {checked} models had a finite density");
}
