//! Loops rewritten as array statements against the statement-by-statement
//! path and against the same model written with array statements by hand:
//! the same log density and gradient (up to the order of summation), the
//! same messages when the density is not finite, the same draws; and loops
//! outside the subset left alone and right.

use crate::density::CompiledModel;
use crate::infer::Target;
use crate::ir::{Stmt, StmtKind};

fn compile(src: &str, json: &str) -> CompiledModel {
    super::compile_text(src, json).unwrap_or_else(|e| panic!("{e}"))
}

fn rewritten(cm: &CompiledModel) -> bool {
    cm.program().vector_body.is_some()
}

/// The number of `for` loops in statements, nested ones included.
fn loops(body: &[Stmt]) -> usize {
    body.iter()
        .map(|s| match &s.kind {
            StmtKind::For { body, .. } => 1 + loops(body),
            StmtKind::If { then, els, .. } => loops(then) + loops(els),
            StmtKind::Block(body) | StmtKind::While { body, .. } => loops(body),
            _ => 0,
        })
        .sum()
}

/// The loops kept as the fallback of a rewritten one (the `else` of an
/// `if` whose branch runs the rewrite: see `compile::vectorise::fill`).
fn fallbacks(body: &[Stmt]) -> usize {
    body.iter()
        .map(|s| match &s.kind {
            StmtKind::If { then, els, .. } => {
                let kept = matches!(
                    &els[..],
                    [Stmt {
                        kind: StmtKind::For { .. },
                        ..
                    }]
                );
                usize::from(kept) + fallbacks(then) + if kept { 0 } else { fallbacks(els) }
            }
            StmtKind::For { body, .. } | StmtKind::Block(body) | StmtKind::While { body, .. } => {
                fallbacks(body)
            }
            _ => 0,
        })
        .sum()
}

/// How many loops the model runs as array statements.
fn loops_rewritten(cm: &CompiledModel) -> usize {
    let p = cm.program();
    p.vector_body
        .as_ref()
        .map_or(0, |b| loops(&p.model.body) + fallbacks(b) - loops(b))
}

fn lp_grad(cm: &CompiledModel, x: &[f64]) -> (f64, Vec<f64>) {
    let mut ws = cm.workspace();
    let mut g = vec![0.0; x.len()];
    let lp = cm.log_density_and_gradient(&mut ws, x, &mut g);
    (lp, g)
}

/// Three points spread over a few units in every coordinate.
fn points(d: usize) -> Vec<Vec<f64>> {
    (0..3)
        .map(|p| {
            (0..d)
                .map(|k| 0.8 * (1.3 * k as f64 + 2.1 * p as f64 + 0.4).sin())
                .collect()
        })
        .collect()
}

/// Same value and gradient up to summation order: 1e-12 relative to the
/// size of the value (of the largest gradient component).
fn assert_close(a: &(f64, Vec<f64>), b: &(f64, Vec<f64>), what: &str) {
    assert!(a.0.is_finite(), "{what}: log density {}", a.0);
    let tol = 1e-12 * a.0.abs().max(1.0);
    assert!((a.0 - b.0).abs() <= tol, "{what}: {} vs {}", a.0, b.0);
    let scale = a.1.iter().fold(1.0f64, |m, g| m.max(g.abs()));
    for (k, (x, y)) in a.1.iter().zip(&b.1).enumerate() {
        assert!(
            (x - y).abs() <= 1e-12 * scale,
            "{what}: gradient {k}: {x} vs {y}"
        );
    }
}

/// The loop model is rewritten, and agrees with its general path and with
/// the model written with array statements, at several points; its
/// Hessian–vector product agrees with the general path's too.
fn agree(header: &str, looped: &str, by_hand: &str, json: &str, count: usize) {
    let fast = compile(&format!("{header}\n{looped}"), json);
    assert_eq!(
        loops_rewritten(&fast),
        count,
        "loops rewritten in\n{looped}"
    );
    let general = compile(&format!("{header}\n{looped}"), json).without_array_loops();
    let array = compile(&format!("{header}\n{by_hand}"), json);
    let d = fast.dim();
    for x in points(d) {
        let f = lp_grad(&fast, &x);
        assert_close(
            &f,
            &lp_grad(&general, &x),
            &format!("general path of\n{looped}"),
        );
        assert_close(
            &f,
            &lp_grad(&array, &x),
            &format!("array form of\n{looped}"),
        );
        let v: Vec<f64> = (0..d).map(|k| 1.0 / (k as f64 + 1.0)).collect();
        let (mut hv_fast, mut hv_general) = (vec![0.0; d], vec![0.0; d]);
        fast.hessian_vector(&mut fast.workspace(), &x, &v, &mut hv_fast);
        general.hessian_vector(&mut general.workspace(), &x, &v, &mut hv_general);
        let scale = hv_fast.iter().fold(1.0f64, |m, h| m.max(h.abs()));
        for (a, b) in hv_fast.iter().zip(&hv_general) {
            assert!((a - b).abs() <= 1e-11 * scale, "Hv: {a} vs {b}");
        }
    }
}

const HEADER: &str = "data N: int\ndata J: int\ndata g: int<lower=1, upper=J>[N]\n\
     data y: real[N]\ndata x: real[N]\ndata c: int<lower=0>[N]\ndata t: int<lower=0>[N]\n\
     data k: int<lower=0>[N]\ndata b: int<lower=0, upper=1>[N]\ndata X: real[N, 3]\n\
     param m: real\nparam tau: real<lower=0>\nparam z: real[J]\nparam s: real<lower=0>\n\
     param a: real\nparam beta: real\n\
     m ~ normal(0, 5)\ntau ~ normal(0, 2)\ns ~ normal(0, 2)\nz ~ std_normal()\n\
     let mu = m + tau * z";

/// Data for [`HEADER`]: `n` rows, `j` groups, values from fixed formulas.
fn data(n: usize, j: usize) -> String {
    let list = |f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>().join(", ");
    let g = list(&|i| ((i * 7) % j + 1).to_string());
    let y = list(&|i| format!("{:.4}", (0.37 * i as f64).sin() * 2.0 + 0.1));
    let x = list(&|i| format!("{:.4}", (0.21 * i as f64 + 1.0).cos()));
    let c = list(&|i| ((i * 5) % 9).to_string());
    let t = list(&|i| (3 + i % 4).to_string());
    let k = list(&|i| ((i * 3) % (3 + i % 4)).to_string());
    let b = list(&|i| ((i * 11) % 3 % 2).to_string());
    let rows = list(&|i| {
        let r = |q: usize| format!("{:.4}", (0.13 * (i * 3 + q) as f64).sin());
        format!("[{}, {}, {}]", r(0), r(1), r(2))
    });
    format!(
        r#"{{"N": {n}, "J": {j}, "g": [{g}], "y": [{y}], "x": [{x}], "c": [{c}], "t": [{t}], "k": [{k}], "b": [{b}], "X": [{rows}]}}"#
    )
}

#[test]
fn a_grouped_normal_loop_is_its_array_statement() {
    agree(
        HEADER,
        "for i in 1:N {\n  y[i] ~ normal(mu[g[i]], s)\n}",
        "y ~ normal(mu[g], s)",
        &data(40, 6),
        1,
    );
}

#[test]
fn counts_and_trials_loops_are_their_array_statements() {
    agree(
        HEADER,
        "for i in 1:N {\n  c[i] ~ poisson_log(a + beta * x[i])\n  \
         k[i] ~ binomial_logit(t[i], mu[g[i]] * x[i])\n}",
        "c ~ poisson_log(a + beta * x)\nk ~ binomial_logit(t, mu[g] .* x)",
        &data(30, 4),
        1,
    );
}

#[test]
fn several_statements_and_target_terms_split_and_sum() {
    agree(
        HEADER,
        "for i in 1:N {\n  b[i] ~ bernoulli(inv_logit(a + x[i] / s))\n  \
         target += normal_lpdf(y[i] | mu[g[i]], s) - 0.5 * square(x[i] * beta) + log_sum_exp(a * x[i], beta)\n  \
         target += -exp(-s * x[i]) + pow(s, x[i] + 2)\n}",
        "b ~ bernoulli(inv_logit(a + x / s))\n\
         target += normal_lpdf(y | mu[g], s) - 0.5 * sum(square(x * beta)) + sum(log_sum_exp(a * x, beta))\n\
         target += sum(-exp(-s * x)) + sum(pow(s, x + 2))",
        &data(25, 5),
        1,
    );
}

#[test]
fn truncated_and_cumulative_terms_are_their_array_statements() {
    agree(
        HEADER,
        "for i in 1:N {\n  y[i] ~ normal(mu[g[i]], s) T[-10, 10]\n  \
         x[i] ~ normal(a, s) T[-3, ]\n  target += normal_lccdf(x[i] | a, s) + logistic_lcdf(y[i] | beta, 2)\n}",
        "y ~ normal(mu[g], s) T[-10, 10]\nx ~ normal(a, s) T[-3, ]\n\
         target += normal_lccdf(x | a, s) + logistic_lcdf(y | beta, 2)",
        &data(20, 3),
        1,
    );
}

#[test]
fn shifted_indices_and_parameters_on_the_left_are_slices() {
    // An autoregression on a parameter vector: each `~` only reads, so the
    // iterations are independent.
    agree(
        HEADER,
        "for j in 2:J {\n  z[j] ~ normal(0.5 * z[j - 1] + a, s)\n}\n\
         for i in 1:(N - 2) {\n  y[i + 2] ~ normal(beta * y[i] + x[1 + i], s)\n}",
        "z[2:J] ~ normal(0.5 * z[1:(J - 1)] + a, s)\n\
         y[3:N] ~ normal(beta * y[1:(N - 2)] + x[2:(N - 1)], s)",
        &data(20, 7),
        2,
    );
}

#[test]
fn matrix_elements_and_nested_loops_are_rows_and_columns() {
    agree(
        HEADER,
        "for q in 1:3 {\n  for i in 1:N {\n    X[i, q] ~ normal(mu[g[i]] + z[q], s)\n  }\n}\n\
         for i in 1:N {\n  for q in 1:3 {\n    X[i, q] ~ normal(beta * z[q], s)\n  }\n}",
        "for q in 1:3 {\n  X[:, q] ~ normal(mu[g] + z[q], s)\n}\n\
         for i in 1:N {\n  X[i] ~ normal(beta * z[1:3], s)\n}",
        &data(15, 4),
        2,
    );
}

#[test]
fn an_empty_range_adds_nothing() {
    agree(
        HEADER,
        "for i in 1:N {\n  y[i] ~ normal(mu[g[i]], s)\n}\nfor i in 3:2 {\n  x[i] ~ normal(a, s)\n}",
        "y ~ normal(mu[g], s)",
        &data(10, 3),
        2,
    );
}

#[test]
fn lets_in_the_body_are_read_as_arrays_or_computed_once() {
    agree(
        HEADER,
        "for i in 1:N {\n  let eta = a + beta * x[i]\n  let group = g[i]\n  let scale = s * 2\n  \
         y[i] ~ normal(mu[group] + eta, scale)\n  c[i] ~ poisson_log(eta)\n}",
        "y ~ normal(mu[g] + (a + beta * x), s * 2)\nc ~ poisson_log(a + beta * x)",
        &data(20, 4),
        1,
    );
}

#[test]
fn a_var_declared_with_a_value_and_never_assigned_is_a_let() {
    // Stan's `real eta = ...;` inside a loop body.
    agree(
        HEADER,
        "for i in 1:N {\n  var eta: real = a + beta * x[i]\n  var scale: real = s * 2\n  \
         var group: int = g[i]\n  y[i] ~ normal(mu[group] + eta, scale)\n}",
        "y ~ normal(mu[g] + (a + beta * x), s * 2)",
        &data(20, 4),
        1,
    );
}

#[test]
fn the_index_as_a_number_is_the_vector_of_its_values() {
    agree(
        HEADER,
        "for q in 1:N {\n  y[q] ~ normal(a + beta * q / N, s)\n}\n\
         for q in 3:N {\n  x[q] ~ normal(exp(-0.01 * q) * x[q - 1], s)\n}",
        "y ~ normal(a + beta * linspaced_vector(N, 1, N) / N, s)\n\
         x[3:N] ~ normal(exp(-0.01 * linspaced_vector(N - 2, 3, N)) .* x[2:(N - 1)], s)",
        &data(20, 4),
        2,
    );
}

#[test]
fn per_row_mixtures_are_element_wise_densities() {
    // low_dim_gauss_mix's likelihood, and `log_mix`, one row at a time.
    agree(
        HEADER,
        "for i in 1:N {\n  target += log_mix(inv_logit(a), normal_lpdf(y[i] | mu[1], s), normal_lpdf(y[i] | mu[2], tau))\n  \
         target += log_sum_exp(log(0.3) + normal_lpdf(x[i] | a, s), log(0.7) + normal_lpdf(x[i] | beta * y[i], 2))\n}",
        "target += sum(log_sum_exp(log(inv_logit(a)) + (-0.5 * square((y - mu[1]) / s) - log(s) - 0.9189385332046727), \
         log1m(inv_logit(a)) + (-0.5 * square((y - mu[2]) / tau) - log(tau) - 0.9189385332046727)))\n\
         target += sum(log_sum_exp(log(0.3) + (-0.5 * square((x - a) / s) - log(s) - 0.9189385332046727), \
         log(0.7) + (-0.5 * square((x - beta * y) / 2) - log(2.0) - 0.9189385332046727)))",
        &data(30, 4),
        1,
    );
}

/// The explanation of a non-finite density at `x`, from the rewritten
/// model and from its general path; they must be the same.
fn explained(src: &str, json: &str) -> String {
    let fast = compile(src, json);
    assert!(rewritten(&fast));
    let general = compile(src, json).without_array_loops();
    let x = vec![0.1; fast.dim()];
    let (lp, _) = lp_grad(&fast, &x);
    assert!(!lp.is_finite());
    let e = fast.explain_nonfinite(&x).expect("an explanation");
    assert_eq!(Some(e.clone()), general.explain_nonfinite(&x));
    e
}

#[test]
fn rejections_and_errors_read_as_the_general_path_reads_them() {
    let json = data(12, 3);
    // The variate outside the truncation: the general path names no element.
    let e = explained(
        &format!("{HEADER}\nfor i in 1:N {{\n  y[i] ~ normal(mu[g[i]], s) T[0, ]\n}}"),
        &json,
    );
    assert!(
        e.contains("the variate = ") && !e.contains("element"),
        "{e}"
    );
    // A group index past the end of `mu`.
    let e = explained(
        &format!("{HEADER}\nfor i in 1:N {{\n  y[i] ~ normal(mu[g[i] + 1], s)\n}}"),
        &json,
    );
    assert!(e.contains("index 4 is out of range"), "{e}");
    // A scale that is not positive.
    let e = explained(
        &format!("{HEADER}\nfor i in 1:N {{\n  y[i] ~ normal(mu[g[i]], a - 1)\n}}"),
        &json,
    );
    assert!(e.contains("is not positive"), "{e}");
    // An infinite scale in one component of a mixture: its element-wise
    // density is −∞ and log_sum_exp would hide it, but the loop's call
    // rejects, and so does the rewritten one.
    let e = explained(
        &format!(
            "{HEADER}\nfor i in 1:N {{\n  target += log_sum_exp(normal_lpdf(y[i] | mu[1], exp(10000 * s)), normal_lpdf(y[i] | mu[2], s))\n}}"
        ),
        &json,
    );
    assert!(e.contains("= inf is not positive"), "{e}");
}

#[test]
fn draws_are_the_same_on_both_paths() {
    let src = format!(
        "{HEADER}\nfor i in 1:N {{\n  y[i] ~ normal(mu[g[i]], s)\n}}\ngen yrep = normal_rng(mu[1], s)"
    );
    let json = data(16, 4);
    let fast = compile(&src, &json);
    assert_eq!(loops_rewritten(&fast), 1);
    let general = compile(&src, &json).without_array_loops();
    for (p, x) in points(fast.dim()).iter().enumerate() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let rng = || crate::random::stream(7, &[p as u64]);
        let la = fast.generate(&mut fast.workspace(), x, rng(), &mut a);
        let lb = general.generate(&mut general.workspace(), x, rng(), &mut b);
        let (la, lb) = (la.expect("draw"), lb.expect("draw"));
        assert!((la - lb).abs() <= 1e-12 * la.abs().max(1.0), "{la} vs {lb}");
        assert_eq!(a, b);
    }
}

/// log N(y | mean, 1).
fn std_normal_lpdf(y: f64, mean: f64) -> f64 {
    -0.5 * (y - mean).powi(2) - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

#[test]
fn a_rewritten_loop_matches_the_closed_form() {
    let src = "data N: int\ndata g: int[N]\ndata y: real[N]\nparam m: real\nparam z: real[3]\n\
               for i in 1:N {\n  y[i] ~ normal(m + z[g[i]], 1)\n}";
    let (g, y) = ([1, 3, 2, 3, 1], [0.5, -1.0, 2.0, 0.25, 1.5]);
    let json = r#"{"N": 5, "g": [1, 3, 2, 3, 1], "y": [0.5, -1.0, 2.0, 0.25, 1.5]}"#;
    let cm = compile(src, json);
    assert!(rewritten(&cm));
    let x = [0.3, -0.2, 0.7, 1.1];
    let (lp, grad) = lp_grad(&cm, &x);
    let mut want = 0.0;
    let mut want_grad = [0.0; 4];
    for (&gi, &yi) in g.iter().zip(&y) {
        let mean = x[0] + x[gi];
        want += std_normal_lpdf(yi, mean);
        want_grad[0] += yi - mean;
        want_grad[gi] += yi - mean;
    }
    assert!((lp - want).abs() < 1e-12, "{lp} vs {want}");
    for (a, b) in grad.iter().zip(&want_grad) {
        assert!((a - b).abs() < 1e-12, "{grad:?} vs {want_grad:?}");
    }
}

#[test]
fn loops_that_write_or_print_keep_the_general_path_and_are_right() {
    let data = r#"{"N": 4, "x": [1.0, -0.5, 2.0, 0.25], "y": [0.3, 0.1, -0.4, 1.2]}"#;
    let head = "data N: int\ndata x: real[N]\ndata y: real[N]\nparam a: real\nparam beta: real\n";
    // An accumulation and a recursion through a `var`: each iteration
    // reads what the one before wrote.
    let src = format!(
        "{head}var acc: real = 0\nfor i in 1:N {{\n  acc += beta * x[i]\n}}\ntarget += -0.5 * square(acc)\n\
         var h: real[N]\nh[1] = a\nfor i in 2:N {{\n  h[i] = beta * h[i - 1] + x[i]\n}}\n\
         for i in 1:N {{\n  y[i] ~ normal(h[i], 1)\n}}"
    );
    let cm = compile(&src, data);
    // The accumulation is added at once; the recursion and the loop that
    // reads its `var` stay as they are.
    assert_eq!(loops_rewritten(&cm), 1);
    let (a, beta) = (0.4, -0.7);
    let (lp, _) = lp_grad(&cm, &[a, beta]);
    let (x, y) = ([1.0, -0.5, 2.0, 0.25], [0.3, 0.1, -0.4, 1.2]);
    let acc: f64 = x.iter().map(|xi| beta * xi).sum();
    let mut want = -0.5 * acc * acc;
    let mut h = a;
    for i in 0..4 {
        if i > 0 {
            h = beta * h + x[i];
        }
        want += std_normal_lpdf(y[i], h);
    }
    assert!((lp - want).abs() < 1e-12, "{lp} vs {want}");
    // A model that prints anywhere keeps every loop as it is.
    let printing =
        format!("{head}print(a)\nfor i in 1:N {{\n  y[i] ~ normal(a + beta * x[i], 1)\n}}");
    assert!(!rewritten(&compile(&printing, data)));
    // A stride (the index in int arithmetic), a `var` in the body, a user function, a
    // statement that adds the same term in every iteration.
    for body in [
        "y[i] ~ normal(a + x[2 * i - i], 1)",
        "var e: real = a + x[i]\n  e += beta\n  y[i] ~ normal(e, 1)",
        // An accumulation that reads itself, or whose position moves.
        "acc += acc * x[i]",
        "acc += x[i]\n  y[i] ~ normal(acc, 1)",
        "h[i] += a * x[i]",
        "y[i] ~ normal(f(a, x[i]), 1)",
        "a ~ normal(0, 1)",
    ] {
        let src = format!(
            "fn f(p: real, q: real) -> real = p + q\n{head}var acc: real = 0\nvar h: real[N]\n\
             for i in 1:N {{\n  h[i] = 0\n}}\nfor i in 1:N {{\n  {body}\n}}\ntarget += acc + h[1]"
        );
        assert!(!rewritten(&compile(&src, data)), "{body}");
    }
}

#[test]
fn accumulations_into_a_var_are_sums() {
    agree(
        HEADER,
        "var acc: real = 0\nfor i in 1:N {\n  acc += normal_lpdf(y[i] | mu[g[i]], s) - beta * x[i]\n}\n\
         var lp: real[2]\nlp[1] = 0\nlp[2] = a\nfor q in 1:2 {\n  for i in 1:N {\n    lp[q] += poisson_log_lpmf(c[i] | a * q + x[i])\n  }\n}\n\
         target += acc + log_sum_exp(lp)",
        "var acc: real = 0\nacc += normal_lpdf(y | mu[g], s) - sum(beta * x)\n\
         var lp: real[2]\nlp[1] = 0\nlp[2] = a\nfor q in 1:2 {\n  lp[q] += poisson_log_lpmf(c | a * q + x)\n}\n\
         target += acc + log_sum_exp(lp)",
        &data(25, 4),
        2,
    );
}

/// The change-point model of the Stan User's Guide: the rate in `t < s ? e
/// : l` is a conditional on the index, so each sum over t splits at s.
const CHANGE_POINT: &str = "data T: int<lower=1>\ndata D: int<lower=0>[T]\n\
     param e: real<lower=0>\nparam l: real<lower=0>\n\
     e ~ exponential(0.5)\nl ~ exponential(0.5)\nvar lp: real[T]\nfor s in 1:T {\n  lp[s] = -log(T)\n  \
     for t in 1:T {\n    lp[s] += poisson_lpmf(D[t] | COND)\n  }\n}\ntarget += log_sum_exp(lp)";

/// The rate of count t when the change point is s, from e and l.
type Rate = dyn Fn(usize, usize, f64, f64) -> f64;

#[test]
fn conditionals_on_the_index_split_the_range() {
    let counts = [4, 5, 4, 1, 0, 4, 3, 4, 0, 6, 3, 3, 1, 1, 0, 2];
    let json = format!(r#"{{"T": {}, "D": {counts:?}}}"#, counts.len());
    // Every way of writing the comparison, the index on either side, and
    // two conditionals in one term (a middle segment with its own rate).
    let forms: [(&str, &Rate); 6] = [
        ("t < s ? e : l", &|t, s, e, l| if t < s { e } else { l }),
        ("t <= s ? e : l", &|t, s, e, l| if t <= s { e } else { l }),
        ("t > s ? e : l", &|t, s, e, l| if t > s { e } else { l }),
        ("s > t ? e : l", &|t, s, e, l| if s > t { e } else { l }),
        ("s <= t ? l : e", &|t, s, e, l| if s <= t { l } else { e }),
        ("t >= s ? (t < s + 3 ? e + l : l) : e", &|t, s, e, l| {
            if t >= s {
                if t < s + 3 { e + l } else { l }
            } else {
                e
            }
        }),
    ];
    for (cond, rate) in forms {
        let src = CHANGE_POINT.replace("COND", cond);
        let fast = compile(&src, &json);
        assert_eq!(loops_rewritten(&fast), 1, "{cond}");
        let general = compile(&src, &json).without_array_loops();
        for x in points(2) {
            let f = lp_grad(&fast, &x);
            assert_close(&f, &lp_grad(&general, &x), cond);
            // The closed form: the exponential priors on the unconstrained
            // scale (log e, log l) with their Jacobians, the change point
            // summed out.
            let (e, l) = (x[0].exp(), x[1].exp());
            let n = counts.len();
            let per_s: Vec<f64> = (1..=n)
                .map(|s| {
                    -(n as f64).ln()
                        + (1..=n)
                            .map(|t| {
                                let (k, r) = (counts[t - 1] as f64, rate(t, s, e, l));
                                k * r.ln() - r - crate::scalar::lgamma(k + 1.0)
                            })
                            .sum::<f64>()
                })
                .collect();
            let top = per_s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = top + per_s.iter().map(|v| (v - top).exp()).sum::<f64>().ln();
            let prior = |v: f64, z: f64| 0.5f64.ln() - 0.5 * v + z;
            let want = prior(e, x[0]) + prior(l, x[1]) + lse;
            assert!(
                (f.0 - want).abs() <= 1e-10 * want.abs(),
                "{cond}: {} vs {want}",
                f.0
            );
        }
    }
}

#[test]
fn loops_that_fill_a_var_are_row_assignments() {
    agree(
        HEADER,
        "var v: real[N]\nfor i in 1:N {\n  v[i] = a + beta * x[i]\n}\ny ~ normal(v, s)\n\
         var R: real[3, N]\nfor q in 1:3 {\n  for i in 1:N {\n    R[q, i] = mu[g[i]] * q - x[i]\n  }\n  \
         R[q, q] = R[q, q] + tau\n}\nfor q in 1:3 {\n  X[:, q] ~ normal(R[q], s)\n}",
        "let v = a + beta * x\ny ~ normal(v, s)\nvar R: real[3, N]\nfor q in 1:3 {\n  \
         R[q] = mu[g] * q - x\n  R[q, q] = R[q, q] + tau\n}\nfor q in 1:3 {\n  X[:, q] ~ normal(R[q], s)\n}",
        &data(20, 4),
        2,
    );
}

#[test]
fn a_hand_built_gp_kernel_is_the_built_in_one() {
    let header = "data N: int\ndata x: real[N]\ndata y: real[N]\nparam rho: real<lower=0>\n\
                  param alpha: real<lower=0>\nparam sigma: real<lower=0>\nrho ~ inv_gamma(5, 5)\n\
                  alpha ~ std_normal()\nsigma ~ std_normal()";
    let n = 12;
    let list = |f: &dyn Fn(usize) -> f64| {
        (0..n)
            .map(|i| format!("{:.4}", f(i)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let json = format!(
        r#"{{"N": {n}, "x": [{}], "y": [{}]}}"#,
        list(&|i| 0.4 * i as f64 - 2.0),
        list(&|i| (0.7 * i as f64).sin())
    );
    agree(
        header,
        "var K: real[N, N]\nfor i in 1:N {\n  for j in 1:N {\n    \
         K[i, j] = square(alpha) * exp(-0.5 * square((x[i] - x[j]) / rho))\n  }\n  \
         K[i, i] = K[i, i] + square(sigma)\n}\n\
         y ~ multi_normal_cholesky(rep_vector(0, N), cholesky_decompose(K))",
        "let K = add_diag(gp_exp_quad_cov(x, alpha, rho), square(sigma))\n\
         y ~ multi_normal_cholesky(rep_vector(0, N), cholesky_decompose(K))",
        &json,
        1,
    );
}

#[test]
fn a_fill_of_part_of_a_row_or_out_of_order_keeps_its_loop() {
    // Part of the row: rewritten, but the original loop runs (its range is
    // not the whole row), with the same result.
    agree(
        HEADER,
        "var v: real[N]\nv[1] = a\nfor i in 2:N {\n  v[i] = a + beta * x[i]\n}\ny ~ normal(v, s)",
        "var v: real[N]\nv[1] = a\nfor i in 2:N {\n  v[i] = a + beta * x[i]\n}\ny ~ normal(v, s)",
        &data(15, 3),
        1,
    );
    let json = data(10, 3);
    // The index not last, the var read in the loop, two writes to it.
    for body in [
        "R[i, 1] = a * x[i]\n  R[i, 2] = beta",
        "v[i] = a * x[i]\n  y[i] ~ normal(v[i], s)",
        "v[i] = a * x[i]\n  v[i] = beta",
    ] {
        let src = format!(
            "{HEADER}\nvar v: real[N]\nvar R: real[N, 2]\nfor i in 1:N {{\n  {body}\n}}\n\
             target += v[1] + R[1, 1]"
        );
        assert!(!rewritten(&compile(&src, &json)), "{body}");
    }
}

#[test]
fn rows_of_a_multivariate_normal_are_one_statement() {
    // Varying intercepts and slopes: one row per group, the covariance the
    // same for all; the data matrix's rows as observations too.
    agree(
        HEADER,
        "for j in 1:J {\n  z[j] ~ normal(0, 1)\n}\nvar rows: real[3]\nrows[1] = a\nrows[2] = beta\nrows[3] = m\n\
         for i in 1:N {\n  X[i] ~ multi_normal_cholesky(to_vector(rows), diag_pre_multiply(rep_vector(s, 3), \
         cholesky_decompose(add_diag(rep_matrix(0.3, 3, 3), 0.7))))\n  \
         target += multi_student_t_lpdf(X[i] | 5, rep_vector(tau, 3), add_diag(rep_matrix(0.2, 3, 3), s))\n}\n\
         for r in 2:(N - 1) {\n  X[r] ~ multi_normal_prec(rep_vector(a, 3), add_diag(rep_matrix(-0.1, 3, 3), tau + 0.5))\n}",
        "z ~ normal(0, 1)\nvar rows: real[3]\nrows[1] = a\nrows[2] = beta\nrows[3] = m\n\
         X ~ multi_normal_cholesky(to_vector(rows), diag_pre_multiply(rep_vector(s, 3), \
         cholesky_decompose(add_diag(rep_matrix(0.3, 3, 3), 0.7))))\n\
         target += multi_student_t_lpdf(X | 5, rep_vector(tau, 3), add_diag(rep_matrix(0.2, 3, 3), s))\n\
         X[2:(N - 1)] ~ multi_normal_prec(rep_vector(a, 3), add_diag(rep_matrix(-0.1, 3, 3), tau + 0.5))",
        &data(12, 4),
        3,
    );
}
