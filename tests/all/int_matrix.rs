//! Integer matrices of data: their elements are ints and their rows int
//! arrays, so they are discrete variates and indices. The types the checker
//! gives every indexing form, the values the engine computes for them, the
//! log density of a wide-format item-response model against its closed
//! form (gradient against central differences), and the messages for what
//! stays an error.

use crate::density::{compile, try_compile};
use std::collections::HashMap;
use vippl::diagnostics::render_short;
use vippl::infer::Target;
use vippl::ir::ValueType;
use vippl::source::SourceMap;

/// The 3×4 matrix with `y[i, j] = 10 i + j`.
const DATA: &str = "data N: int\ndata K: int\ndata y: int[N, K]\ndata g: int[2]\n\
param mu: real\nmu ~ normal(0, 1)\n";
const JSON: &str =
    r#"{"N": 3, "K": 4, "y": [[11, 12, 13, 14], [21, 22, 23, 24], [31, 32, 33, 34]], "g": [3, 1]}"#;

fn at(i: usize, j: usize) -> f64 {
    (10 * i + j) as f64
}

/// Each indexing form, the type the checker gives it, and its values.
fn forms() -> Vec<(&'static str, ValueType, Vec<f64>)> {
    use ValueType::*;
    let row = |i: usize| (1..=4).map(|j| at(i, j)).collect::<Vec<_>>();
    vec![
        ("y[2, 3]", Int, vec![at(2, 3)]),
        ("y[2][3]", Int, vec![at(2, 3)]),
        ("y[g[1], g[2]]", Int, vec![at(3, 1)]),
        ("y[2]", IntArray, row(2)),
        ("y[2, 2:3]", IntArray, vec![at(2, 2), at(2, 3)]),
        ("y[2][2:3]", IntArray, vec![at(2, 2), at(2, 3)]),
        ("y[:, 2]", IntArray, vec![at(1, 2), at(2, 2), at(3, 2)]),
        ("y[g, 4]", IntArray, vec![at(3, 4), at(1, 4)]),
        ("y[2:3]", IntMatrix, [row(2), row(3)].concat()),
        ("y[2:3, :]", IntMatrix, [row(2), row(3)].concat()),
        ("y[2:3][2]", IntArray, row(3)),
        ("y[2:3][2, 1]", Int, vec![at(3, 1)]),
        ("y[g]", Matrix, [row(3), row(1)].concat()),
        (
            "y[1:2, 3:4]",
            Matrix,
            vec![at(1, 3), at(1, 4), at(2, 3), at(2, 4)],
        ),
        ("-y[1:1]", Matrix, row(1).iter().map(|x| -x).collect()),
        ("y[1][2] + y[3, 4]", Int, vec![at(1, 2) + at(3, 4)]),
        ("y[1, 1] / 2", Real, vec![at(1, 1) / 2.0]),
        ("sum(y[3])", Int, vec![row(3).iter().sum()]),
        ("rows(y) * cols(y)", Int, vec![12.0]),
    ]
}

#[test]
fn every_indexing_form_has_the_type_of_its_elements() {
    let mut src = DATA.to_string();
    for (k, (expr, _, _)) in forms().iter().enumerate() {
        src.push_str(&format!("gen q{k} = {expr}\n"));
    }
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "m.vi", &src)
        .unwrap_or_else(|d| panic!("{}", render_short(&d, &sources)));
    for (k, (expr, ty, _)) in forms().iter().enumerate() {
        let declared = &model.gens[k];
        assert_eq!(declared.name, format!("q{k}"));
        assert_eq!(declared.ty, *ty, "`{expr}`");
    }
}

#[test]
fn every_indexing_form_evaluates_to_the_selected_elements() {
    let mut src = DATA.to_string();
    for (k, (expr, _, _)) in forms().iter().enumerate() {
        src.push_str(&format!("gen q{k} = {expr}\n"));
    }
    let cm = compile(&src, JSON);
    let names = cm.output_names(&[0.0]).unwrap();
    let mut ws = cm.workspace();
    let mut row = Vec::new();
    cm.generate(&mut ws, &[0.0], vippl::random::stream(1, &[]), &mut row)
        .unwrap();
    let got: HashMap<_, _> = names.into_iter().zip(row).collect();
    for (k, (expr, _, want)) in forms().iter().enumerate() {
        let name = format!("q{k}");
        let values: Vec<f64> = if want.len() == 1 && got.contains_key(&name) {
            vec![got[&name]]
        } else {
            let mut keys: Vec<&String> = got
                .keys()
                .filter(|n| n.starts_with(&format!("{name}[")))
                .collect();
            // Row-major order of `q[i]` and `q[i,j]`.
            keys.sort_by_key(|n| {
                n[name.len() + 1..n.len() - 1]
                    .split(',')
                    .map(|s| s.parse::<usize>().unwrap())
                    .collect::<Vec<_>>()
            });
            keys.into_iter().map(|n| got[n]).collect()
        };
        assert_eq!(&values, want, "`{expr}`");
    }
}

/// Wide-format item responses: `J` persons × `T` items, each form of
/// reading them (row as an int array, element by two indices and chained
/// indices, element as an index).
const IRT: &str = "data J: int\ndata T: int\ndata y: int<lower=0, upper=1>[J, T]\n\
param theta: real[J]\nparam b: real[T]\nparam c: real[2]\n\
theta ~ normal(0, 1)\nb ~ normal(0, 2)\nc ~ normal(0, 1)\n\
for j in 1:J { y[j] ~ bernoulli_logit(theta[j] - b) }\n\
for j in 1:J { for t in 1:T { y[j, t] ~ bernoulli_logit(theta[j] - b[t]) } }\n\
for j in 1:J { target += bernoulli_logit_lpmf(y[j][1] | theta[j]) }\n\
for j in 1:J { target += c[y[j, 2] + 1] }\n\
target += poisson_lpmf(y[:, 3] | exp(c[1]))\n";

const Y: [[i64; 3]; 4] = [[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 1]];

fn irt_json() -> String {
    serde_json::json!({"J": 4, "T": 3, "y": Y}).to_string()
}

/// The same log density written out by hand.
fn irt_closed_form(x: &[f64]) -> f64 {
    let (theta, rest) = x.split_at(4);
    let (b, c) = rest.split_at(3);
    let normal =
        |z: f64, s: f64| -0.5 * (z / s).powi(2) - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
    let bern_logit = |k: i64, eta: f64| k as f64 * eta - eta.exp().ln_1p();
    let mut lp = theta.iter().map(|&t| normal(t, 1.0)).sum::<f64>()
        + b.iter().map(|&v| normal(v, 2.0)).sum::<f64>()
        + c.iter().map(|&v| normal(v, 1.0)).sum::<f64>();
    for (j, row) in Y.iter().enumerate() {
        for (t, &k) in row.iter().enumerate() {
            lp += 2.0 * bern_logit(k, theta[j] - b[t]);
        }
        lp += bern_logit(row[0], theta[j]);
        lp += c[row[1] as usize];
        let lambda = c[0].exp();
        let k = row[2];
        let log_factorial: f64 = (1..=k).map(|i| (i as f64).ln()).sum();
        lp += k as f64 * lambda.ln() - lambda - log_factorial;
    }
    lp
}

#[test]
fn wide_format_item_responses_match_the_closed_form() {
    let cm = compile(IRT, &irt_json());
    let x = [0.3, -0.7, 1.1, 0.05, 0.5, -1.0, 0.25, -0.4, 0.9];
    assert_eq!(cm.dim(), x.len());
    let mut ws = cm.workspace();
    let mut g = vec![0.0; x.len()];
    let lp = cm.log_density_and_gradient(&mut ws, &x, &mut g);
    let want = irt_closed_form(&x);
    assert!((lp - want).abs() < 1e-12 * want.abs(), "{lp} vs {want}");
    // Central differences of the closed form: error O(h²) ≈ 1e-10 here.
    let h = 1e-5;
    for i in 0..x.len() {
        let (mut up, mut down) = (x, x);
        up[i] += h;
        down[i] -= h;
        let fd = (irt_closed_form(&up) - irt_closed_form(&down)) / (2.0 * h);
        assert!((g[i] - fd).abs() < 1e-7, "coordinate {i}: {} vs {fd}", g[i]);
    }
}

fn check_errors(src: &str) -> String {
    let mut sources = SourceMap::new();
    match vippl::check::load_model(&mut sources, "m.vi", src) {
        Ok(_) => panic!("`{src}` checks"),
        Err(d) => render_short(&d, &sources),
    }
}

#[test]
fn what_stays_an_error_says_why() {
    // A gathered block is copied into a real matrix.
    let e = check_errors(&format!("{DATA}target += bernoulli_lpmf(y[g][1] | 0.5)\n"));
    assert!(
        e.contains("the variate of `bernoulli` must be an int or int[]"),
        "{e}"
    );
    assert!(e.contains("int[N, K]"), "{e}");
    assert!(!e.contains("read as real"), "{e}");
    // Univariate distributions take a matrix element by element, but not
    // a matrix against a vector.
    let e = check_errors(&format!("{DATA}y ~ poisson(rep_vector(3, N))\n"));
    assert!(e.contains("mix a matrix and a vector"), "{e}");
    // `var`s and function arguments cannot be int matrices.
    let e = check_errors(&format!("{DATA}var w: int[2, 2]\n"));
    assert!(e.contains("integer matrices exist only as data"), "{e}");
    assert!(!e.contains("read as real"), "{e}");
}

#[test]
fn an_element_out_of_range_names_the_index() {
    // Found when data is bound, for a data-only expression...
    let e = try_compile(&format!("{DATA}target += y[2, 5]\n"), JSON)
        .err()
        .unwrap();
    assert!(
        e.contains("index 5 is out of range: the value indexed is a 3×4 matrix"),
        "{e}"
    );
    // ... and at evaluation, with an index that depends on a parameter.
    let src = format!("{DATA}target += y[2, (mu > 0 ? 5 : 1)]\n");
    let cm = compile(&src, JSON);
    let mut ws = cm.workspace();
    let mut g = vec![0.0];
    let lp = cm.log_density_and_gradient(&mut ws, &[0.5], &mut g);
    assert!(lp.is_nan(), "{lp}");
    let why = cm.explain_nonfinite(&[0.5]).unwrap_or_default();
    assert!(why.contains("index 5 is out of range"), "{why}");
    // Data that is not an integer is refused when bound.
    let e = try_compile(DATA, &JSON.replace("22", "22.5"))
        .err()
        .unwrap();
    assert!(e.contains("y"), "{e}");
}
