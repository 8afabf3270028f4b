use super::*;
use crate::diagnostics::render_short;
use crate::infer::{Approximation, FitConfig, Silent, Target, fit_minibatch};
use crate::random::stream;
use crate::source::SourceMap;
use rand::RngExt;
use rand_distr::StandardNormal;

fn compiled(src: &str, json: &str) -> CompiledModel {
    crate::density::compile_text(src, json).unwrap_or_else(|e| panic!("{e}"))
}

/// The codes of the checker's errors for a model.
fn check_errors(src: &str) -> Vec<&'static str> {
    let mut sources = SourceMap::new();
    match crate::check::load_model(&mut sources, "m.vi", src) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().filter(|d| d.is_error()).map(|d| d.code).collect(),
    }
}

/// Priors, a row local, a vectorised likelihood and a loop over the rows.
const RESCALED: &str = "
data N: int<lower=1> minibatch
data K: int
data x: real[N]
data g: int<lower=1, upper=K>[N]
data y: real[N]
param a: real[K]
param b: real
param s: real<lower=0>
a ~ normal(0, 2)
b ~ normal(0, 1)
s ~ lognormal(0, 1)
let mu = a[g] + b * x
y ~ normal(mu, s)
for i in 1:N {
  target += -0.5 * square(y[i] - b * x[i])
}
";

const RESCALED_DATA: &str = r#"{"N": 6, "K": 2, "x": [0.3, -1.2, 0.8, 2.0, -0.4, 1.1],
  "g": [1, 2, 2, 1, 1, 2], "y": [0.5, -0.7, 1.9, 2.2, 0.1, -0.3]}"#;

/// All B-subsets of 0..n in increasing order.
fn subsets(n: usize, b: usize) -> Vec<Vec<usize>> {
    if b == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for last in b - 1..n {
        for mut s in subsets(last, b - 1) {
            s.push(last);
            out.push(s);
        }
    }
    out
}

#[test]
fn the_rescaled_density_averages_to_the_full_one_over_all_batches() {
    let full = compiled(RESCALED, RESCALED_DATA);
    let x = [0.4, -0.3, 0.2, -0.5];
    let d = x.len();
    let mut full_grad = vec![0.0; d];
    let mut fws = full.workspace();
    let lp = full.log_density_and_gradient(&mut fws, &x, &mut full_grad);
    for b in [1, 2, 3, 6] {
        let mb = MinibatchModel::new(&full, b, 1).expect("subsamples");
        assert_eq!(mb.scale(), 6.0 / b as f64);
        let mut ws = mb.workspace();
        let all = subsets(6, b);
        let (mut mean_lp, mut mean_grad) = (0.0, vec![0.0; d]);
        let mut grad = vec![0.0; d];
        for rows in &all {
            let l = mb.log_density_rows(&mut ws, rows, &x, Some(&mut grad));
            assert_eq!(l, mb.log_density_rows(&mut ws, rows, &x, None));
            mean_lp += l / all.len() as f64;
            for i in 0..d {
                mean_grad[i] += grad[i] / all.len() as f64;
            }
        }
        // Exact identity: each row is in a fraction B/N of the batches.
        assert!(
            (mean_lp - lp).abs() < 1e-10 * lp.abs().max(1.0),
            "B = {b}: {mean_lp} vs {lp}"
        );
        for i in 0..d {
            assert!(
                (mean_grad[i] - full_grad[i]).abs() < 1e-10 * full_grad[i].abs().max(1.0),
                "B = {b}, coordinate {i}: {} vs {}",
                mean_grad[i],
                full_grad[i]
            );
        }
    }
}

#[test]
fn a_batch_of_all_rows_is_the_full_model_and_a_smaller_one_is_not() {
    let full = compiled(RESCALED, RESCALED_DATA);
    let x = [0.1, 0.2, -0.3, 0.0];
    let lp = full.log_density(&mut full.workspace(), &x);
    let mb = MinibatchModel::new(&full, 6, 1).expect("subsamples");
    let mut ws = mb.workspace();
    let mut g = vec![0.0; 4];
    let l = mb.batch_gradient(&mut ws, 0, &x, &mut g);
    assert!((l - lp).abs() < 1e-12 * lp.abs(), "{l} vs {lp}");
    // Two rows of six: the estimate differs from the full density.
    let mb = MinibatchModel::new(&full, 2, 1).expect("subsamples");
    let mut ws = mb.workspace();
    let l = mb.log_density_rows(&mut ws, &[0, 1], &x, None);
    assert!((l - lp).abs() > 1e-3);
}

#[test]
fn drawn_rows_are_distinct_uniform_and_reproducible() {
    let full = compiled(RESCALED, RESCALED_DATA);
    let mb = MinibatchModel::new(&full, 2, 9).expect("subsamples");
    let mut ws = mb.workspace();
    let mut g = vec![0.0; 4];
    let x = [0.0; 4];
    let draws = 30_000;
    let mut counts = [0usize; 6];
    for key in 0..draws {
        mb.batch_gradient(&mut ws, key, &x, &mut g);
        let rows = ws.picker.picked().to_vec();
        assert!(
            rows.len() == 2 && rows[0] < rows[1] && rows[1] < 6,
            "{rows:?}"
        );
        for r in rows {
            counts[r] += 1;
        }
        if key == 7 {
            let again = {
                let mut w2 = mb.workspace();
                mb.batch_gradient(&mut w2, 7, &x, &mut g);
                w2.picker.picked().to_vec()
            };
            assert_eq!(ws.picker.picked(), again.as_slice());
        }
    }
    // Each row is drawn with probability B/N = 1/3 per batch: a count has
    // sd sqrt(draws · 1/3 · 2/3) ≈ 82; 5 sd.
    for c in counts {
        let expected = draws as f64 / 3.0;
        assert!(
            (c as f64 - expected).abs() < 5.0 * (draws as f64 * 2.0 / 9.0).sqrt(),
            "{counts:?}"
        );
    }
}

const CONJUGATE: &str = "
data N: int<lower=1> minibatch
data y: real[N]
param mu: real
mu ~ normal(0, 10)
y ~ normal(mu, 2)
";

/// y ~ N(1.5, 2²), n = 20 000, from a fixed stream; the data as JSON and
/// the exact posterior N(m, s²) of mu under the N(0, 10²) prior.
fn conjugate_data() -> (String, f64, f64) {
    let n = 20_000;
    let mut rng = stream(11, &[1]);
    let y: Vec<f64> = (0..n)
        .map(|_| 1.5 + 2.0 * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let precision = 1.0 / 100.0 + n as f64 / 4.0;
    let mean = y.iter().sum::<f64>() / 4.0 / precision;
    let json = serde_json::json!({"N": n, "y": y}).to_string();
    (json, mean, precision.powf(-0.5))
}

fn minibatch_config(b: usize, threads: usize) -> FitConfig {
    FitConfig {
        minibatch: Some(b),
        seed: 3,
        threads,
        draws: 250,
        eval_every: Some(400),
        ..FitConfig::default()
    }
}

#[test]
fn a_minibatch_fit_finds_the_exact_conjugate_posterior() {
    let (json, mean, sd) = conjugate_data();
    let full = compiled(CONJUGATE, &json);
    let mb = MinibatchModel::new(&full, 500, 3).expect("subsamples");
    let result = fit_minibatch(&mb, &full, &minibatch_config(500, 1), &mut Silent).expect("fits");
    let Approximation::MeanField { mean: m, sd: s } = &result.approximation else {
        panic!("a mean-field q");
    };
    // The control variate is exact here (every row's gradient changes by
    // the same −Δμ/4) and the antithetic pair cancels the Monte Carlo
    // noise of a linear gradient: the mean contracts deterministically.
    assert!((m[0] - mean).abs() < 0.01 * sd, "mean {} vs {mean}", m[0]);
    // log σ moves by (h/2)(1 − ε²) around its optimum: innovation variance
    // h²/2 per draw pair, so a window average over W = 400 steps of 4 pairs
    // has sd about sqrt(1/(2 · 400 · 4)) = 0.018; 4 sd, plus the bias of
    // order h/4 ≈ 0.03 at the final step, gives 0.1.
    assert!((s[0] / sd).ln().abs() < 0.1, "sd {} vs {sd}", s[0]);
    assert!(result.converged(), "{:?}", result.termination);
}

#[test]
fn a_minibatch_fit_is_judged_on_the_full_data_and_the_same_on_any_threads() {
    let (json, _, _) = conjugate_data();
    let full = compiled(CONJUGATE, &json);
    let mb = MinibatchModel::new(&full, 500, 3).expect("subsamples");
    let one = fit_minibatch(&mb, &full, &minibatch_config(500, 1), &mut Silent).expect("fits");
    let two = fit_minibatch(&mb, &full, &minibatch_config(500, 2), &mut Silent).expect("fits");
    assert_eq!(one.approximation, two.approximation);
    assert_eq!(
        one.diagnostics.elbo.to_bits(),
        two.diagnostics.elbo.to_bits()
    );
    // The final diagnostics are those of the full model on the same draws.
    let again = crate::infer::diagnose(&full, &one.approximation, 250, 3, 1, false).expect("runs");
    assert_eq!(one.diagnostics.elbo.to_bits(), again.elbo.to_bits());
    // (On one minibatch the log density of those draws would differ by far
    // more than the Monte Carlo error.)
    let mut ws = mb.workspace();
    let m = one.approximation.mean();
    let rows: Vec<usize> = (0..500).collect();
    let batch_lp = mb.log_density_rows(&mut ws, &rows, &m, None);
    let full_lp = full.log_density(&mut full.workspace(), &m);
    assert!((batch_lp - full_lp).abs() > 10.0 * one.diagnostics.elbo_se);
}

#[test]
fn what_cannot_be_subsampled_is_a_located_error() {
    let base = "data N: int<lower=1> minibatch\ndata y: real[N]\nparam mu: real\n";
    assert_eq!(
        check_errors(&format!("{base}y ~ normal(mu, 1)")),
        Vec::<&str>::new()
    );
    assert_eq!(
        check_errors("data N: real minibatch\nparam mu: real\nmu ~ normal(0, 1)"),
        ["bad-minibatch"]
    );
    assert_eq!(
        check_errors("data N: int[3] minibatch\nparam mu: real\nmu ~ normal(0, 1)"),
        ["bad-minibatch"]
    );
    assert_eq!(
        check_errors(&format!("{base}data M: int minibatch\ny ~ normal(mu, 1)")),
        ["bad-minibatch"]
    );
    assert_eq!(
        check_errors(&format!(
            "{base}param z: real[N]\nz ~ normal(mu, 1)\ny ~ normal(z, 1)"
        )),
        ["minibatch-latent"]
    );
    assert_eq!(
        check_errors(&format!("{base}data X: real[2, N]\ny ~ normal(mu, 1)")),
        ["minibatch-layout"]
    );
    assert_eq!(
        check_errors(&format!(
            "{base}for i in 1:N {{\n  y[i] ~ normal(mu, 1)\n}}\n{{\n  mu ~ normal(0, 1)\n  y ~ normal(mu, 1)\n}}"
        )),
        ["minibatch-mixed"]
    );
    // A loop over the rows may hold only row terms.
    let loop_ok = format!("{base}for i in 1:N {{\n  y[i] ~ normal(mu, 1)\n}}");
    assert_eq!(check_errors(&loop_ok), Vec::<&str>::new());
}

#[test]
fn bad_batch_sizes_and_unmarked_models_are_refused_in_words() {
    let full = compiled(RESCALED, RESCALED_DATA);
    for b in [0, 7] {
        let e = MinibatchModel::new(&full, b, 1).err().expect("refused");
        assert_eq!(e[0].code, "minibatch-size");
        assert!(e[0].message.contains("6 rows"), "{}", e[0].message);
    }
    let plain = compiled(
        "data N: int\ndata y: real[N]\nparam mu: real\ny ~ normal(mu, 1)",
        r#"{"N": 2, "y": [1, 2]}"#,
    );
    let e = MinibatchModel::new(&plain, 1, 1).err().expect("refused");
    assert_eq!(e[0].code, "minibatch-unmarked");
    let once = compiled(
        "data N: int<lower=1> minibatch\ndata y: real[N]\nlet ybar = mean(y)\nparam mu: real\ny ~ normal(mu + ybar, 1)",
        r#"{"N": 3, "y": [1, 2, 4]}"#,
    );
    let e = MinibatchModel::new(&once, 2, 1).err().expect("refused");
    assert_eq!(e[0].code, "minibatch-data-computation");
}

#[test]
fn the_marker_prints_back_and_is_a_word_only_after_a_type() {
    let text = "data N: int<lower=1> minibatch\ndata minibatch: real[N]\nparam mu: real\nminibatch ~ normal(mu, 1)\n";
    let mut sources = SourceMap::new();
    let file = sources.add("m.vi", text);
    let program = crate::syntax::parse(&sources, file).expect("parses");
    let printed = crate::syntax::pretty(&program);
    assert!(
        printed.starts_with("data N: int<lower=1> minibatch\n"),
        "{printed}"
    );
    assert!(crate::syntax::sexp(&program).contains(" minibatch)"));
    let mut again = SourceMap::new();
    let (model, _) = crate::check::load_model(&mut again, "m.vi", &printed)
        .unwrap_or_else(|d| panic!("{}", render_short(&d, &again)));
    assert!(model.data[0].minibatch && !model.data[1].minibatch);
    // A comparison inside a bound is still reported as such.
    assert_eq!(
        check_errors("data a: real\ndata N: int<lower=a > b>\n").len(),
        1
    );
}
