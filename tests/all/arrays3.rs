//! Three-dimensional arrays (`real[J, K, L]`, Stan's `array[J] matrix[K, L]`
//! and `array[J, K, L] real`): the type of every indexing form and the
//! values it selects, the log density of a model that reads them in every
//! way against its closed form, a conjugate fit against the exact
//! posterior, a `gen` block that fills them in loops and the names of
//! their coordinates, and the messages for data of the wrong shape and
//! for what stays an error.

use crate::density::{compile, try_compile};
use std::collections::HashMap;
use std::process::Command;
use vippl::diagnostics::render_short;
use vippl::infer::{FitConfig, Silent, Target, Termination, fit};
use vippl::ir::ValueType;
use vippl::source::SourceMap;

/// `z[j, k, l] = 100 j + 10 k + l` as reals and as ints, 2×3×4.
const DATA: &str = "data J: int\ndata K: int\ndata L: int\ndata z: real[J, K, L]\n\
data n: int[J, K, L]\nparam mu: real\nmu ~ normal(0, 1)\n";

fn cell(j: usize, k: usize, l: usize) -> f64 {
    (100 * j + 10 * k + l) as f64
}

/// A nested JSON list of shape J×K×L with `f(j, k, l)` (1-based).
fn nested(sizes: [usize; 3], f: impl Fn(usize, usize, usize) -> f64) -> serde_json::Value {
    let [nj, nk, nl] = sizes;
    serde_json::json!(
        (1..=nj)
            .map(|j| (1..=nk)
                .map(|k| (1..=nl).map(|l| f(j, k, l)).collect::<Vec<_>>())
                .collect::<Vec<_>>())
            .collect::<Vec<_>>()
    )
}

fn data_json() -> String {
    serde_json::json!({
        "J": 2, "K": 3, "L": 4,
        "z": nested([2, 3, 4], cell),
        "n": nested([2, 3, 4], cell),
    })
    .to_string()
}

/// Each indexing form, the type the checker gives it, and its values in
/// row-major order.
fn forms() -> Vec<(&'static str, ValueType, Vec<f64>)> {
    use ValueType::*;
    let row = |j: usize, k: usize| (1..=4).map(|l| cell(j, k, l)).collect::<Vec<_>>();
    let matrix = |j: usize| (1..=3).flat_map(|k| row(j, k)).collect::<Vec<_>>();
    let all: Vec<f64> = (1..=2).flat_map(matrix).collect();
    vec![
        ("z[2, 3, 4]", Real, vec![cell(2, 3, 4)]),
        ("z[2][3][4]", Real, vec![cell(2, 3, 4)]),
        ("z[2, 3][4]", Real, vec![cell(2, 3, 4)]),
        ("z[2][3, 4]", Real, vec![cell(2, 3, 4)]),
        ("z[2]", Matrix, matrix(2)),
        ("z[2, 3]", Vector, row(2, 3)),
        ("z[2][3]", Vector, row(2, 3)),
        (
            "z[2, :, 4]",
            Vector,
            vec![cell(2, 1, 4), cell(2, 2, 4), cell(2, 3, 4)],
        ),
        ("z[1, 2:3, 2]", Vector, vec![cell(1, 2, 2), cell(1, 3, 2)]),
        ("z[2, 2:3]", Matrix, [row(2, 2), row(2, 3)].concat()),
        ("n[1, 2, 3]", Int, vec![cell(1, 2, 3)]),
        ("n[1]", IntMatrix, matrix(1)),
        ("n[1, 2]", IntArray, row(1, 2)),
        ("n[2][3, 1]", Int, vec![cell(2, 3, 1)]),
        ("sum(n[2, 3])", Int, vec![row(2, 3).iter().sum()]),
        ("to_array_1d(z)", Vector, all.clone()),
        ("to_array_1d(n)", IntArray, all),
        ("size(z)", Int, vec![2.0]),
        ("num_elements(n)", Int, vec![24.0]),
        (
            "z[2, 1, 1] + n[1, 1, 1]",
            Real,
            vec![cell(2, 1, 1) + cell(1, 1, 1)],
        ),
    ]
}

fn with_forms() -> String {
    let mut src = DATA.to_string();
    for (k, (expr, _, _)) in forms().iter().enumerate() {
        src.push_str(&format!("gen q{k} = {expr}\n"));
    }
    src
}

#[test]
fn every_indexing_form_has_the_type_of_its_elements() {
    let src = with_forms();
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "m.vi", &src)
        .unwrap_or_else(|d| panic!("{}", render_short(&d, &sources)));
    assert_eq!(model.data[3].ty(), ValueType::Array3);
    assert_eq!(model.data[4].ty(), ValueType::IntArray3);
    for (k, (expr, ty, _)) in forms().iter().enumerate() {
        assert_eq!(model.gens[k].ty, *ty, "`{expr}`");
    }
}

/// The values of the quantities of one draw, by name.
fn generated(src: &str, json: &str, theta: &[f64]) -> (Vec<String>, HashMap<String, f64>) {
    let cm = compile(src, json);
    let names = cm.output_names(theta).unwrap();
    let mut ws = cm.workspace();
    let mut row = Vec::new();
    cm.generate(&mut ws, theta, vippl::random::stream(1, &[]), &mut row)
        .unwrap();
    assert_eq!(names.len(), row.len());
    let values = names.iter().cloned().zip(row).collect();
    (names, values)
}

/// The elements of quantity `name`, in row-major order of their indices.
fn row_major(values: &HashMap<String, f64>, name: &str) -> Vec<f64> {
    if let Some(v) = values.get(name) {
        return vec![*v];
    }
    let mut keys: Vec<&String> = values
        .keys()
        .filter(|n| n.starts_with(&format!("{name}[")))
        .collect();
    keys.sort_by_key(|n| {
        n[name.len() + 1..n.len() - 1]
            .split(',')
            .map(|s| s.parse::<usize>().unwrap())
            .collect::<Vec<_>>()
    });
    keys.into_iter().map(|n| values[n]).collect()
}

#[test]
fn every_indexing_form_evaluates_to_the_selected_elements() {
    let (_, values) = generated(&with_forms(), &data_json(), &[0.0]);
    for (k, (expr, _, want)) in forms().iter().enumerate() {
        assert_eq!(&row_major(&values, &format!("q{k}")), want, "`{expr}`");
    }
}

/// Reads a 3-d parameter whole, by matrix, by row and by element; the
/// second parameter is affine (`offset=1, multiplier=2`), the third bounded.
const READS: &str = "data J: int\ndata K: int\ndata L: int\ndata y: real[J, K, L]\n\
param mu: real[J, K, L]\nparam t: real<offset=1, multiplier=2>[J, K, L]\n\
param s: real<lower=0>[J, K, L]\n\
mu ~ normal(0, 2)\nt ~ normal(1, 2)\ns ~ exponential(1)\n\
for j in 1:J { y[j] ~ normal(mu[j], s[j]) }\n\
y ~ normal(mu, 0.5)\n\
for j in 1:J { for k in 1:K { target += normal_lpdf(y[j, k] | t[j, k], 1) } }\n\
target += -0.5 * square(mu[2, 1, 3])\n";

const SIZES: [usize; 3] = [2, 2, 3];

fn y_cell(j: usize, k: usize, l: usize) -> f64 {
    0.3 * j as f64 - 0.2 * k as f64 + 0.1 * l as f64
}

/// The log density of `READS` written out by hand; `x` holds `mu`, then
/// the unconstrained `t` and `s` (each row-major).
fn reads_closed_form(x: &[f64]) -> f64 {
    let n = SIZES.iter().product::<usize>();
    let (mu, rest) = x.split_at(n);
    let (u, v) = rest.split_at(n);
    let normal = |y: f64, m: f64, s: f64| {
        -0.5 * ((y - m) / s).powi(2) - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
    };
    let mut lp = 0.0;
    let [_, nk, nl] = SIZES;
    for i in 0..n {
        let (j, k, l) = (i / (nk * nl) + 1, i / nl % nk + 1, i % nl + 1);
        let y = y_cell(j, k, l);
        let t = 1.0 + 2.0 * u[i];
        let s = v[i].exp();
        // The Jacobians: log 2 for the affine map, log s for the bound.
        lp += 2f64.ln() + v[i];
        lp += normal(mu[i], 0.0, 2.0) + normal(t, 1.0, 2.0) + (-s);
        lp += normal(y, mu[i], s) + normal(y, mu[i], 0.5) + normal(y, t, 1.0);
    }
    // mu[2, 1, 3]: matrix 2, row 1, column 3.
    lp - 0.5 * mu[nk * nl + 2].powi(2)
}

#[test]
fn a_model_reading_three_dimensional_parameters_matches_the_closed_form() {
    let json = serde_json::json!({"J": 2, "K": 2, "L": 3, "y": nested(SIZES, y_cell)});
    let cm = compile(READS, &json.to_string());
    let n = SIZES.iter().product::<usize>();
    assert_eq!(cm.dim(), 3 * n);
    let x: Vec<f64> = (0..3 * n)
        .map(|i| ((i * 7) % 11) as f64 / 10.0 - 0.5)
        .collect();
    let mut ws = cm.workspace();
    let mut g = vec![0.0; x.len()];
    let lp = cm.log_density_and_gradient(&mut ws, &x, &mut g);
    let want = reads_closed_form(&x);
    assert!((lp - want).abs() < 1e-11 * want.abs(), "{lp} vs {want}");
    // Central differences of the closed form: error O(h²) ≈ 1e-10 here.
    let h = 1e-5;
    for i in 0..x.len() {
        let (mut up, mut down) = (x.clone(), x.clone());
        up[i] += h;
        down[i] -= h;
        let fd = (reads_closed_form(&up) - reads_closed_form(&down)) / (2.0 * h);
        assert!((g[i] - fd).abs() < 1e-6, "coordinate {i}: {} vs {fd}", g[i]);
    }
}

/// Normal–normal per cell: mu ~ N(1, 2²), two observations with sd 0.5,
/// one read as a whole array and one matrix by matrix.
const CONJUGATE: &str = "data J: int\ndata K: int\ndata L: int\n\
data y: real[J, K, L]\ndata y2: real[J, K, L]\nparam mu: real[J, K, L]\n\
mu ~ normal(1, 2)\ny ~ normal(mu, 0.5)\nfor j in 1:J { y2[j] ~ normal(mu[j], 0.5) }\n";

#[test]
fn a_conjugate_fit_lands_on_the_exact_posterior_of_every_cell() {
    let sizes = [2, 3, 2];
    let n: usize = sizes.iter().product();
    let mut rng = vippl::random::stream(2024, &[]);
    let truth: Vec<f64> = (0..n)
        .map(|_| 1.0 + 2.0 * crate::infer_targets::normal(&mut rng))
        .collect();
    let obs = |rng: &mut vippl::random::VRng| -> Vec<f64> {
        truth
            .iter()
            .map(|m| m + 0.5 * crate::infer_targets::normal(rng))
            .collect()
    };
    let (y, y2) = (obs(&mut rng), obs(&mut rng));
    let at = |v: &[f64], j: usize, k: usize, l: usize| v[((j - 1) * 3 + k - 1) * 2 + l - 1];
    let json = serde_json::json!({
        "J": 2, "K": 3, "L": 2,
        "y": nested(sizes, |j, k, l| at(&y, j, k, l)),
        "y2": nested(sizes, |j, k, l| at(&y2, j, k, l)),
    });
    let cm = compile(CONJUGATE, &json.to_string());
    // Posterior precision 1/4 + 2/0.25 per cell.
    let precision: f64 = 0.25 + 2.0 / 0.25;
    let s_star = 1.0 / precision.sqrt();
    let m_star: Vec<f64> = (0..n)
        .map(|i| (0.25 + (y[i] + y2[i]) / 0.25) / precision)
        .collect();
    let mut fits = Vec::new();
    for seed in 0..4 {
        let config = FitConfig {
            seed,
            draws: 100,
            ..FitConfig::default()
        };
        let res = fit(&cm, &config, &mut Silent).unwrap();
        assert_eq!(res.termination, Termination::Converged);
        fits.push((res.approximation.mean(), res.approximation.sd()));
    }
    let k = fits.len() as f64;
    for i in 0..n {
        for (what, want, get) in [("mean", m_star[i], 0usize), ("sd", s_star, 1usize)] {
            let vals: Vec<f64> = fits
                .iter()
                .map(|f| if get == 0 { f.0[i] } else { f.1[i] })
                .collect();
            let mean = vals.iter().sum::<f64>() / k;
            let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
            // Within 4 standard errors of the seed-to-seed spread.
            assert!(
                (mean - want).abs() <= 4.0 * sd / k.sqrt() + 1e-3 * s_star,
                "cell {i} {what}: fits {vals:?} vs exact {want}"
            );
        }
        for (m, s) in &fits {
            assert!((m[i] - m_star[i]).abs() < 0.1 * s_star && (s[i] / s_star - 1.0).abs() < 0.1);
        }
    }
}

const FILLED: &str = "data J: int\ndata K: int\ndata L: int\nparam mu: real\nmu ~ normal(0, 1)\n\
gen {\n\
  var z: real[J, K, L]\n\
  for j in 1:J { for k in 1:K { for l in 1:L { z[j, k, l] = 100 * j + 10 * k + l + mu } } }\n\
  var w: real[J, K, L]\n\
  for j in 1:J { w[j] = z[j] }\n\
  var v: real[J, K, L]\n\
  for j in 1:J { for k in 1:K { v[j, k] = z[j, k] } }\n\
  v[1, 2, 3] += 1000\n\
  let total = sum(to_array_1d(v))\n\
}\n";

#[test]
fn a_gen_block_fills_three_dimensional_vars_in_loops() {
    let json = r#"{"J": 2, "K": 2, "L": 3}"#;
    let (names, values) = generated(FILLED, json, &[0.5]);
    // Column-major, as CmdStan writes arrays: the first index fastest.
    let z: Vec<&str> = names
        .iter()
        .filter(|n| n.starts_with("z["))
        .map(String::as_str)
        .collect();
    assert_eq!(
        z,
        [
            "z[1,1,1]", "z[2,1,1]", "z[1,2,1]", "z[2,2,1]", "z[1,1,2]", "z[2,1,2]", "z[1,2,2]",
            "z[2,2,2]", "z[1,1,3]", "z[2,1,3]", "z[1,2,3]", "z[2,2,3]"
        ]
    );
    let mut total = 0.0;
    for j in 1..=2 {
        for k in 1..=2 {
            for l in 1..=3 {
                let want = cell(j, k, l) + 0.5;
                let at = |q: &str| values[&format!("{q}[{j},{k},{l}]")];
                assert_eq!((at("z"), at("w")), (want, want), "[{j},{k},{l}]");
                let extra = if (j, k, l) == (1, 2, 3) { 1000.0 } else { 0.0 };
                assert_eq!(at("v"), want + extra, "[{j},{k},{l}]");
                total += want + extra;
            }
        }
    }
    assert!((values["total"] - total).abs() < 1e-9);
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
    let cases = [
        ("data w: real[2, 2, 2, 2]\n", "at most three dimensions"),
        (
            "var q: int[2, 2, 2]\n",
            "3-d integer arrays exist only as data",
        ),
        ("param p: int[2, 2, 2]\n", "parameters are always real"),
        ("let a = z + 1\n", "a 3-d array has no arithmetic"),
        ("let a = -z\n", "a 3-d array has no arithmetic"),
        (
            "let a = z[1:2]\n",
            "the first index of a 3-d array must be a single int",
        ),
        (
            "let a = z[1, 1, 1, 1]\n",
            "a 3-d array takes one to three indices",
        ),
        (
            "z ~ normal(to_array_1d(z), 1)\n",
            "mix a 3-d array and real[]",
        ),
        ("target += z\n", "found a 3-d array"),
        (
            "gen d = normal_rng(z, 1)\n",
            "draws scalars or vectors, not 3-d arrays",
        ),
        (
            "var v: real[2, 2, 2]\nv[1] = z[1, 1]\n",
            "cannot assign real[] (vector) to real[,] (matrix)",
        ),
    ];
    for (stmt, want) in cases {
        let e = check_errors(&format!("{DATA}{stmt}"));
        assert!(e.contains(want), "`{stmt}`: {e}");
    }
}

#[test]
fn three_dimensional_shapes_must_agree_element_by_element() {
    let src = "data a: real[2, 3, 2]\ndata b: real[3, 2, 2]\na ~ normal(b, 1)\n\
               param mu: real\nmu ~ normal(0, 1)\n";
    let ones = |s: [usize; 3]| nested(s, |_, _, _| 1.0);
    let json = serde_json::json!({"a": ones([2, 3, 2]), "b": ones([3, 2, 2])});
    let Err(e) = try_compile(src, &json.to_string()) else {
        panic!("arrays of different sizes were paired")
    };
    assert!(
        e.contains("`mu` is a 3×2×2 array but `y` is a 2×3×2 array"),
        "{e}"
    );
}

fn vippl(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("vippl-arrays3-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn data_of_the_wrong_shape_is_reported_with_what_where_and_the_shape_expected() {
    let d = scratch("shapes");
    std::fs::write(d.join("m.vi"), DATA).unwrap();
    let good = serde_json::from_str::<serde_json::Value>(&data_json()).unwrap();
    let mut ragged = good.clone();
    ragged["z"][1][2] = serde_json::json!([1, 2]);
    let mut flat = good.clone();
    flat["z"] = good["z"][0].clone();
    let mut fraction = good.clone();
    fraction["n"][1][0][3] = serde_json::json!(1.5);
    let cases = [
        (
            ragged,
            "`z` is ragged: `z[2][3]` has 2 elements, but its first sibling has 4",
        ),
        (
            flat,
            "data `z` in d.json is a 3×4 array (list of 3 rows of length 4), but the declaration \
             says real[2, 3, 4] (a list of 2 lists of 3 rows of length 4)",
        ),
        (
            fraction,
            "data `n[2,1,4]` in d.json is 1.5, but `n` is declared int",
        ),
    ];
    for (json, want) in cases {
        std::fs::write(d.join("d.json"), json.to_string()).unwrap();
        let (code, _, err) = vippl(&["infer", "m.vi", "--data", "d.json", "-q"], &d);
        assert_eq!(code, 1, "{err}");
        // (Long messages wrap, with a frame character at the line start.)
        let err = err
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let want = want.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(err.contains(&want), "{err}");
    }
    // A table (`NAME=file.csv`) has two dimensions at most.
    let mut rest = good.clone();
    rest.as_object_mut().unwrap().remove("z");
    std::fs::write(d.join("d.json"), rest.to_string()).unwrap();
    std::fs::write(d.join("z.csv"), "1,2\n3,4\n").unwrap();
    let (code, _, err) = vippl(
        &["infer", "m.vi", "--data", "d.json", "--data", "z=z.csv"],
        &d,
    );
    assert_eq!(code, 1, "{err}");
    let err = err
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        err.contains("a 3-d array can only come from a JSON file"),
        "{err}"
    );
}

#[test]
fn check_shows_the_declared_shape_and_the_coordinate_count() {
    let d = scratch("layout");
    std::fs::write(
        d.join("m.vi"),
        "data J: int\ndata K: int\nparam z: real<lower=0>[J, K, 3]\n\
        z ~ exponential(1)\n",
    )
    .unwrap();
    std::fs::write(d.join("d.json"), r#"{"J": 4, "K": 5}"#).unwrap();
    let (code, out, err) = vippl(&["check", "m.vi"], &d);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("z          [J, K, 3]  lower=0     J*K*3"),
        "{out}"
    );
    let (code, out, err) = vippl(&["check", "m.vi", "--data", "d.json"], &d);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("total dimension: 60 (J*K*3)"), "{out}");
}

#[test]
fn stan_spellings_of_three_dimensional_arrays_get_the_vippl_spelling() {
    let d = scratch("stan");
    let cases = [
        (
            "data {\n  array[J] matrix[K, L] z;\n}\n",
            "write `data z: real[J, K, L]`",
        ),
        (
            "data {\n  array[J, K, L] int<lower=0> n;\n}\n",
            "write `data n: int<lower=0>[J, K, L]`",
        ),
        (
            "parameters {\n  array[J, K] vector[L] u;\n}\n",
            "write `param u: real[J, K, L]`",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(d.join("m.vi"), text).unwrap();
        let (code, _, err) = vippl(&["check", "m.vi"], &d);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(want), "{text}: {err}");
    }
}

#[test]
fn a_block_of_the_wrong_shape_is_a_located_error() {
    let src = "data x: real[3]\nparam mu: real\nmu ~ normal(0, 1)\nvar w: real[2, 2, 2]\n\
w[1] = rep_matrix(mu * x, 2)\ntarget += sum(w[1])\n";
    let cm = compile(src, r#"{"x": [1, 2, 3]}"#);
    let mut ws = cm.workspace();
    let mut g = vec![0.0];
    let lp = cm.log_density_and_gradient(&mut ws, &[0.5], &mut g);
    assert!(lp.is_nan(), "{lp}");
    let why = cm.explain_nonfinite(&[0.5]).unwrap_or_default();
    assert!(
        why.contains("a matrix of `w` is a 2×2 matrix but the value assigned is a 3×2 matrix"),
        "{why}"
    );
}
