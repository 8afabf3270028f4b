//! Every declared shape indexes, sizes and evaluates as declared: data and
//! `var`s of each shape, read with every indexing form of the language
//! (`v[i]`, `v[g]`, slices, `X[i]`, `X[i, j]`, `X[:, j]`, `X[g]`,
//! `X[g, j]`), sized with `size`/`rows`/`cols`/`num_elements`, looped over
//! row by row, and matrix `var`s assigned row by row. The expected values
//! come from plain Rust indexing of the same arrays.

use crate::density::compile;
use std::collections::HashMap;
use std::fmt::Write;
use vippl::infer::Target;

const N: usize = 3;
const K: usize = 4;
/// The row (or element) indices used for gathers: `g = [3, 1]`.
const G: [usize; 2] = [3, 1];
/// The one parameter's value at which everything is evaluated.
const MU: f64 = 0.5;

fn int_vector() -> Vec<f64> {
    vec![4.0, 7.0, 9.0]
}

fn int_matrix() -> Vec<Vec<f64>> {
    (1..=N)
        .map(|i| (1..=K).map(|j| (10 * i + j) as f64).collect())
        .collect()
}

fn plus(v: &[f64], d: f64) -> Vec<f64> {
    v.iter().map(|x| x + d).collect()
}

fn scaled_matrix(m: &[Vec<f64>], s: f64) -> Vec<Vec<f64>> {
    m.iter()
        .map(|r| r.iter().map(|x| x * s).collect())
        .collect()
}

const DATA: &str = "data N: int\ndata K: int\ndata G: int\ndata g: int[G]\n\
data vi: int[N]\ndata vr: real[N]\ndata vs: vector[N]\n\
data mi: int[N, K]\ndata mr: real[N, K]\ndata ms: matrix[N, K]\n\
param mu: real\nmu ~ normal(0, 1)\n";

/// `var`s filled from the data: element by element, from a parameter,
/// and row by row (`=` and `+=`).
const VARS: &str = "var wv: real[N]\nfor i in 1:N { wv[i] = mu * vr[i] }\n\
var wi: int[N]\nfor i in 1:N { wi[i] = vi[i] }\n\
var wm: real[N, K]\nfor i in 1:N { for j in 1:K { wm[i, j] = mu * mr[i, j] } }\n\
var wr: real[N, K]\nfor i in 1:N { wr[i] = mu * mr[i] }\n\
var wa: real[N, K]\nfor i in 1:N { wa[i] = mr[i] }\nfor i in 1:N { wa[i] += (mu - 1) * mr[i] }\n\
var wd: real[N, K]\nfor i in 1:N { wd[i] = ms[i] }\n";

/// The gens reading a vector `s`, and their expected values from `b`.
fn vector_forms(s: &str, b: &[f64], src: &mut String, want: &mut Vec<(String, f64)>) {
    let forms = [
        ("at", format!("{s}[2]"), vec![b[1]]),
        (
            "gather",
            format!("{s}[g]"),
            G.iter().map(|&i| b[i - 1]).collect(),
        ),
        ("slice", format!("{s}[2:N]"), b[1..].to_vec()),
        ("head", format!("{s}[:2]"), b[..2].to_vec()),
        ("tail", format!("{s}[2:]"), b[1..].to_vec()),
        ("by_int", format!("{s}[g[1]]"), vec![b[G[0] - 1]]),
        ("size", format!("size({s})"), vec![N as f64]),
        ("count", format!("num_elements({s})"), vec![N as f64]),
    ];
    for (form, expr, values) in forms {
        let name = format!("{s}_{form}");
        writeln!(src, "gen {name} = {expr}").unwrap();
        push_vector(want, &name, &values);
    }
    let acc = format!("{s}_loop");
    writeln!(
        src,
        "var {acc}_acc: real = 0\nfor i in 1:size({s}) {{ {acc}_acc += i * {s}[i] }}\ngen {acc} = {acc}_acc"
    )
    .unwrap();
    let weighted = b.iter().enumerate().map(|(i, x)| (i + 1) as f64 * x).sum();
    want.push((acc, weighted));
}

/// The gens reading a matrix `s`, and their expected values from `m`.
fn matrix_forms(s: &str, m: &[Vec<f64>], src: &mut String, want: &mut Vec<(String, f64)>) {
    let column = |j: usize| m.iter().map(|r| r[j]).collect::<Vec<_>>();
    let vectors = [
        ("at", format!("{s}[2, 3]"), vec![m[1][2]]),
        ("chain", format!("{s}[2][3]"), vec![m[1][2]]),
        ("row", format!("{s}[2]"), m[1].clone()),
        ("row_slice", format!("{s}[2][2:3]"), m[1][1..3].to_vec()),
        ("col", format!("{s}[:, 2]"), column(1)),
        (
            "rows_col",
            format!("{s}[g, 2]"),
            G.iter().map(|&i| m[i - 1][1]).collect(),
        ),
        (
            "by_int",
            format!("{s}[g[1], g[2]]"),
            vec![m[G[0] - 1][G[1] - 1]],
        ),
        ("size", format!("size({s})"), vec![N as f64]),
        ("rows", format!("rows({s})"), vec![N as f64]),
        ("cols", format!("cols({s})"), vec![K as f64]),
        ("count", format!("num_elements({s})"), vec![(N * K) as f64]),
        (
            "times",
            format!("{s} * rep_vector(1, K)"),
            m.iter().map(|r| r.iter().sum()).collect(),
        ),
    ];
    for (form, expr, values) in vectors {
        let name = format!("{s}_{form}");
        writeln!(src, "gen {name} = {expr}").unwrap();
        push_vector(want, &name, &values);
    }
    let name = format!("{s}_rows_g");
    writeln!(src, "gen {name} = {s}[g]").unwrap();
    for (r, &i) in G.iter().enumerate() {
        for (j, &x) in m[i - 1].iter().enumerate() {
            want.push((format!("{name}[{},{}]", r + 1, j + 1), x));
        }
    }
    // A loop over rows, weighted so that a wrong row or order shows.
    let acc = format!("{s}_loop");
    writeln!(
        src,
        "var {acc}_acc: real = 0\nfor i in 1:size({s}) {{ {acc}_acc += i * sum({s}[i]) }}\ngen {acc} = {acc}_acc"
    )
    .unwrap();
    let weighted = m
        .iter()
        .enumerate()
        .map(|(i, r)| (i + 1) as f64 * r.iter().sum::<f64>())
        .sum();
    want.push((acc, weighted));
}

fn push_vector(want: &mut Vec<(String, f64)>, name: &str, values: &[f64]) {
    if values.len() == 1 && !name.ends_with("_row_slice") && !name.ends_with("_rows_col") {
        want.push((name.to_string(), values[0]));
    } else {
        for (i, &x) in values.iter().enumerate() {
            want.push((format!("{name}[{}]", i + 1), x));
        }
    }
}

/// The value of every reported quantity at `mu = MU`.
fn evaluate(src: &str, json: &str) -> HashMap<String, f64> {
    let cm = compile(src, json);
    let theta = [MU];
    let names = cm.output_names(&theta).unwrap();
    let mut ws = cm.workspace();
    let mut row = Vec::new();
    cm.generate(&mut ws, &theta, vippl::random::stream(1, &[]), &mut row)
        .unwrap();
    assert_eq!(names.len(), row.len());
    names.into_iter().zip(row).collect()
}

#[test]
fn every_shape_indexes_sizes_and_evaluates_as_declared() {
    let vi = int_vector();
    let vr = plus(&vi, 0.25);
    let mi = int_matrix();
    let mr = scaled_matrix(&mi, 1.0)
        .into_iter()
        .map(|r| plus(&r, 0.5))
        .collect::<Vec<_>>();
    let json = serde_json::json!({
        "N": N, "K": K, "G": G.len(), "g": G,
        "vi": vi, "vr": vr, "vs": vr, "mi": mi, "mr": mr, "ms": mr,
    })
    .to_string();
    let mut src = format!("{DATA}{VARS}");
    let mut want = Vec::new();
    let vr_mu: Vec<f64> = vr.iter().map(|x| x * MU).collect();
    for (s, b) in [
        ("vi", &vi),
        ("vr", &vr),
        ("vs", &vr),
        ("wv", &vr_mu),
        ("wi", &vi),
    ] {
        vector_forms(s, b, &mut src, &mut want);
    }
    let mr_mu = scaled_matrix(&mr, MU);
    for (s, m) in [
        ("mi", &mi),
        ("mr", &mr),
        ("ms", &mr),
        ("wm", &mr_mu),
        ("wr", &mr_mu),
        ("wa", &mr_mu),
        ("wd", &mr),
    ] {
        matrix_forms(s, m, &mut src, &mut want);
    }
    let got = evaluate(&src, &json);
    assert!(want.len() > 200, "{}", want.len());
    for (name, x) in &want {
        let y = got
            .get(name)
            .unwrap_or_else(|| panic!("`{name}` is not reported"));
        // Exact but for one rounding of `mu * x` and of `(mu - 1) * x + x`.
        assert!(
            (x - y).abs() <= 1e-12 * x.abs().max(1.0),
            "{name}: expected {x}, found {y}"
        );
    }
}

#[test]
fn an_int_matrix_from_csv_indexes_by_row_and_column() {
    use vippl::data::{DataInput, DataSpec};
    use vippl::source::SourceMap;
    let src = "data N: int\ndata K: int\ndata y: int<lower=0>[N, K]\nparam mu: real\n\
mu ~ normal(0, 1)\ngen a = y[2, 3]\ngen r = y[3]\ngen n = size(y)\n";
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "m.vi", src).unwrap();
    let mut input = DataInput::default();
    input
        .add(
            &DataSpec::Named("y".into(), "y.csv".into()),
            "1,2,3\n4,5,6\n7,8,9\n",
        )
        .unwrap();
    let (cm, _) = vippl::density::compile(model, sources, &input).unwrap();
    let names = cm.output_names(&[0.0]).unwrap();
    let mut ws = cm.workspace();
    let mut row = Vec::new();
    cm.generate(&mut ws, &[0.0], vippl::random::stream(1, &[]), &mut row)
        .unwrap();
    let got: HashMap<_, _> = names.into_iter().zip(row).collect();
    assert_eq!(got["a"], 6.0);
    assert_eq!([got["r[1]"], got["r[2]"], got["r[3]"]], [7.0, 8.0, 9.0]);
    assert_eq!(got["n"], 3.0);
}

#[test]
fn a_bound_violated_in_an_int_matrix_names_its_row_and_column() {
    let src = "data y: int<lower=0>[2, 3]\nparam mu: real\nmu ~ normal(0, 1)\n";
    let Err(e) = crate::density::try_compile(src, r#"{"y": [[1, 2, 3], [4, -5, 6]]}"#) else {
        panic!("a negative count is refused");
    };
    assert!(
        e.contains("data `y[2,2]` = -5 violates its lower bound"),
        "{e}"
    );
}

#[test]
fn a_row_of_the_wrong_length_is_a_located_error() {
    let src = "data x: real[3]\nparam mu: real\nmu ~ normal(0, 1)\nvar w: real[2, 2]\n\
w[1] = mu * x\ntarget += sum(w[1])\n";
    let cm = compile(src, r#"{"x": [1, 2, 3]}"#);
    let mut ws = cm.workspace();
    let mut g = vec![0.0];
    let lp = cm.log_density_and_gradient(&mut ws, &[0.5], &mut g);
    assert!(lp.is_nan(), "{lp}");
    let why = cm.explain_nonfinite(&[0.5]).unwrap_or_default();
    assert!(
        why.contains("a row of `w` has 2 elements but the value assigned is a vector of length 3"),
        "{why}"
    );
}
