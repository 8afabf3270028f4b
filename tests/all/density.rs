//! The compiled log density: data binding, transforms, run-time messages,
//! outputs, and every posteriordb translation against its reference.

use std::path::{Path, PathBuf};
use vippl::data::{DataInput, DataSpec, RawValue};
use vippl::density::{self, CompiledModel};
use vippl::diagnostics::{Diagnostic, render_short};
use vippl::infer::Target;
use vippl::source::SourceMap;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn try_compile(src: &str, json: &str) -> Result<CompiledModel, String> {
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "m.vi", src)
        .map_err(|d| render_short(&d, &sources))?;
    let mut input = DataInput::default();
    input.add(&DataSpec::Json("d.json".into()), json)?;
    density::compile(model, sources.clone(), &input)
        .map(|(cm, _)| cm)
        .map_err(|d: Vec<Diagnostic>| render_short(&d, &sources))
}

pub(crate) fn compile(src: &str, json: &str) -> CompiledModel {
    try_compile(src, json).unwrap_or_else(|e| panic!("{e}"))
}

fn lp_grad(cm: &CompiledModel, th: &[f64]) -> (f64, Vec<f64>) {
    let mut ws = cm.workspace();
    let mut g = vec![0.0; cm.dim()];
    let lp = cm.log_density_and_gradient(&mut ws, th, &mut g);
    (lp, g)
}

// ------------------------------------------------------------ data binding

const EIGHT: &str = "data J: int<lower=1>\ndata y: real[J]\ndata sigma: real<lower=0>[J]\n\
param mu: real\nparam tau: real<lower=0>\nparam eta: real[J]\n\
mu ~ normal(0, 5)\ntau ~ cauchy(0, 5)\neta ~ std_normal()\nlet theta = mu + tau * eta\n\
y ~ normal(theta, sigma)\n";

#[test]
fn data_mismatches_name_the_declaration_and_what_was_found() {
    let cases = [
        (r#"{"J": 2, "y": [1, 2]}"#, "missing data `sigma`"),
        (
            r#"{"J": 2, "y": [1, 2, 3], "sigma": [1, 1]}"#,
            "array of length 3, but the declaration says real[2]",
        ),
        (
            r#"{"J": 2.5, "y": [1, 2], "sigma": [1, 1]}"#,
            "`J` is declared int",
        ),
        (
            r#"{"J": 2, "y": [1, 2], "sigma": [1, -1]}"#,
            "sigma[2]` = -1 violates its lower bound",
        ),
        (
            r#"{"J": 0, "y": [], "sigma": []}"#,
            "`J` = 0 violates its lower bound",
        ),
        (
            r#"{"J": 2, "y": [1, 2], "sigma": [1, "NaN"]}"#,
            "NaN, which is not allowed for bounded data",
        ),
        (
            r#"{"J": 2, "y": [[1], [2]], "sigma": [1, 1]}"#,
            "a 2×1 array",
        ),
    ];
    for (json, want) in cases {
        let e = try_compile(EIGHT, json)
            .err()
            .unwrap_or_else(|| panic!("{json} was accepted"));
        assert!(e.contains(want), "{json}: expected `{want}` in\n{e}");
    }
}

#[test]
fn sizes_are_inferred_from_the_arrays_that_use_them() {
    let cm = compile(EIGHT, r#"{"y": [1, 2, 3], "sigma": [1, 1, 2]}"#);
    assert_eq!(cm.dim(), 5);
    let e = try_compile(
        "data N: int\ndata a: real[N]\ndata b: real[N]\nparam m: real\na ~ normal(m, 1)\nb ~ normal(m, 1)\n",
        r#"{"a": [1, 2], "b": [1, 2, 3]}"#,
    )
    .unwrap_err();
    assert!(
        e.contains("disagree") && e.contains("`a`") && e.contains("`b`"),
        "{e}"
    );
}

#[test]
fn defaults_are_overridden_and_integers_are_accepted_for_reals() {
    let src = "data N: int\ndata y: real[N]\ndata s: real = 2\ndata M: int = size(y)\n\
param m: real\ny ~ normal(m, s)\ntarget += M\n";
    let a = compile(src, r#"{"N": 2, "y": [1, 3]}"#);
    let b = compile(src, r#"{"N": 2, "y": [1, 3], "s": 1}"#);
    let (la, _) = lp_grad(&a, &[2.0]);
    let (lb, _) = lp_grad(&b, &[2.0]);
    let c = 0.5 * (2.0 * std::f64::consts::PI).ln();
    // y = (1, 3), m = 2: each |y - m| = 1.
    let want_a = 2.0 * (-0.125 - 2f64.ln() - c) + 2.0;
    let want_b = 2.0 * (-0.5 - c) + 2.0;
    assert!((la - want_a).abs() < 1e-12, "{la} vs {want_a}");
    assert!((lb - want_b).abs() < 1e-12, "{lb} vs {want_b}");
}

#[test]
fn csv_columns_and_named_matrices_bind() {
    let src = "data N: int\ndata K: int\ndata X: real[N, K]\ndata y: real[N]\n\
param b: real[K]\ny ~ normal(X * b, 1)\n";
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "m.vi", src).unwrap();
    let mut input = DataInput::default();
    input
        .add(&DataSpec::Csv("y.csv".into()), "y\n1\n2\n3\n")
        .unwrap();
    input
        .add(
            &DataSpec::Named("X".into(), "x.csv".into()),
            "1,0\n0,1\n1,1\n",
        )
        .unwrap();
    let (cm, _) = density::compile(model, sources, &input).unwrap();
    assert_eq!(cm.dim(), 2);
    // Least squares for these data is b = (1, 2) - (1/3)(1, -1)... check the gradient instead:
    // grad = X'(y - X b) at b = 0 is (1 + 3, 2 + 3).
    let (_, g) = lp_grad(&cm, &[0.0, 0.0]);
    assert_eq!(g, vec![4.0, 5.0]);
}

#[test]
fn unused_keys_are_noted_not_rejected() {
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "m.vi", EIGHT).unwrap();
    let mut input = DataInput::default();
    input
        .add(
            &DataSpec::Json("d.json".into()),
            r#"{"J": 1, "y": [1], "sigma": [1], "extra": [1, 2]}"#,
        )
        .unwrap();
    let (_, notes) = density::compile(model, sources, &input).unwrap();
    assert!(
        notes.iter().any(|n| n.message.contains("ignoring `extra`")),
        "{notes:?}"
    );
}

// ------------------------------------------------------ transforms, Jacobian

#[test]
fn the_log_jacobian_is_added_exactly_once() {
    let src = "param s: real<lower=1>\nparam p: real<lower=0, upper=2>\n\
s ~ exponential(1)\np ~ uniform(0, 2)\n";
    let cm = compile(src, "{}");
    let th = [0.3, -0.7];
    let mut ws = cm.workspace();
    let (with, without) = cm.log_density_parts(&mut ws, &th);
    // s = 1 + e^u: log J = u; p = 2 σ(v): log J = log 2 + log σ(v) + log(1 − σ(v)).
    let sig = 1.0 / (1.0 + (0.7f64).exp());
    let logj = 0.3 + 2f64.ln() + sig.ln() + (1.0 - sig).ln();
    assert!(
        (with - without - logj).abs() < 1e-12,
        "{} vs {logj}",
        with - without
    );
    let s = 1.0 + 0.3f64.exp();
    assert!((without - (-s - 2f64.ln())).abs() < 1e-12);
}

#[test]
fn bounds_may_use_earlier_parameters() {
    let src = "param a: real<lower=0, upper=1>\nparam b: real<lower=0, upper=1 - a>\n";
    let cm = compile(src, "{}");
    let point = vec![
        ("a".to_string(), RawValue::scalar(0.25)),
        ("b".to_string(), RawValue::scalar(0.5)),
    ];
    let th = cm.unconstrain(&point).unwrap();
    // b = 0.75 σ(u_b) = 0.5 ⇒ σ = 2/3 ⇒ u_b = ln 2.
    assert!((th[1] - 2f64.ln()).abs() < 1e-12);
    let mut row = Vec::new();
    let mut ws = cm.workspace();
    cm.generate(&mut ws, &th, vippl::random::stream(1, &[]), &mut row)
        .unwrap();
    assert!(
        (row[0] - 0.25).abs() < 1e-12 && (row[1] - 0.5).abs() < 1e-12,
        "{row:?}"
    );
    let bad = vec![
        ("a".to_string(), RawValue::scalar(0.25)),
        ("b".to_string(), RawValue::scalar(0.9)),
    ];
    assert!(cm.unconstrain(&bad).is_err());
}

// ---------------------------------------------------------- run-time errors

#[test]
fn a_non_finite_density_is_explained_at_its_statement() {
    let src = "data y: int[3]\nparam lambda: real[3]\nlambda ~ normal(0, 1)\ny ~ poisson(lambda)\n";
    let cm = compile(src, r#"{"y": [1, 0, 2]}"#);
    let th = [0.5, 0.1, -0.2];
    let (lp, _) = lp_grad(&cm, &th);
    assert_eq!(lp, f64::NEG_INFINITY);
    let why = cm.explain_nonfinite(&th).unwrap();
    assert!(why.starts_with("m.vi:4:1"), "{why}");
    assert!(
        why.contains("y ~ poisson(lambda)") && why.contains("lambda[3]") && why.contains("-0.2"),
        "{why}"
    );
    assert!(cm.explain_nonfinite(&[0.5, 0.1, 0.2]).is_none());
}

#[test]
fn index_out_of_range_and_unassigned_reads_are_located() {
    let src = "data N: int\ndata g: int[N]\nparam a: real[2]\na ~ normal(0, 1)\n\
target += sum(a[g])\n";
    let cm = compile(src, r#"{"N": 2, "g": [1, 3]}"#);
    let (lp, _) = lp_grad(&cm, &[0.0, 0.0]);
    assert!(lp.is_nan());
    let why = cm.explain_nonfinite(&[0.0, 0.0]).unwrap();
    assert!(why.contains("index 3") && why.contains("m.vi:5"), "{why}");

    let src = "param a: real\nvar h: real[3]\nh[1] = a\nh[3] = a\ntarget += sum(h)\n";
    let cm = compile(src, "{}");
    let why = cm.explain_nonfinite(&[0.0]).unwrap();
    assert!(
        why.contains("`h[2]` is read before it was assigned"),
        "{why}"
    );
}

#[test]
fn data_only_statements_that_fail_are_compile_errors() {
    let e = try_compile(
        "data y: real[2]\nparam m: real\ny ~ exponential(1)\nm ~ normal(0, 1)\n",
        r#"{"y": [1, -1]}"#,
    )
    .unwrap_err();
    assert!(e.contains("m.vi:3") && e.contains("y[2]"), "{e}");
}

/// Loops over data run from translated code at compile time; their results
/// and their errors must be those of the general evaluator.
#[test]
fn loops_over_data_compute_what_the_language_says() {
    let src = "data N: int\ndata x: real[N]\ndata k: int[N]\ndata M: real[N, 2]\n\
var z: real[N]\nvar w: real[N, 2]\nvar s: real = 0\nvar c: int = 0\n\
for n in 1:N {\n  z[n] = -x[n] * 2 + k[n] / 2\n  s += x[n] >= 1.5\n  c += k[n] * 3 - 1\n\
  w[N + 1 - n, 2] = M[n, 2] - z[n]\n  w[n, 1] = M[n, 1]\n}\n\
param a: real\nparam b: real\nparam d: real\nparam e: real\n\
target += a * sum(z) + b * s + d * c + e * sum(w)\n";
    let x = [1.0, 2.5, -0.5];
    let k = [1i64, 4, 7];
    let m2 = [0.25, -1.0, 3.0];
    let json = r#"{"N": 3, "x": [1.0, 2.5, -0.5], "k": [1, 4, 7],
        "M": [[0.5, 0.25], [0, -1.0], [0, 3.0]]}"#;
    let cm = compile(src, json);
    let (_, g) = lp_grad(&cm, &[0.0; 4]);
    let z: Vec<f64> = (0..3).map(|n| -x[n] * 2.0 + k[n] as f64 / 2.0).collect();
    let s = x.iter().filter(|&&v| v >= 1.5).count() as f64;
    let c: i64 = k.iter().map(|v| v * 3 - 1).sum();
    let w: f64 = 0.5 + (0..3).map(|n| m2[n] - z[n]).sum::<f64>();
    let want = [z.iter().sum::<f64>(), s, c as f64, w];
    for (got, want) in g.iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{g:?} vs {want}");
    }

    // Errors inside such loops are reported like anywhere else.
    let e = try_compile(
        "data N: int\ndata x: real[N]\nvar z: real[N]\nfor n in 1:N {\n  z[n + 1] = x[n]\n}\n\
param a: real\na ~ normal(sum(z), 1)\n",
        r#"{"N": 2, "x": [1, 2]}"#,
    )
    .unwrap_err();
    assert!(
        e.contains("index 3 is out of range") && e.contains("m.vi:5"),
        "{e}"
    );
    let e = try_compile(
        "data N: int\ndata x: real[N]\nvar c: int[N]\nfor n in 1:N {\n  c[n] = x[n]\n}\n\
param a: real\na ~ normal(sum(c), 1)\n",
        r#"{"N": 2, "x": [1, 2]}"#,
    )
    .unwrap_err();
    assert!(e.contains("m.vi:5"), "{e}");
}

#[test]
fn the_squared_exponential_kernel_is_stans_with_its_derivatives() {
    // target += sum of a weighted kernel: the value and the gradient in
    // (log alpha, log rho) against the closed form.
    let src = "data x: real[3]\ndata w: real[3, 3]\n\
param alpha: real<lower=0>\nparam rho: real<lower=0>\n\
target += sum(w .* gp_exp_quad_cov(x, alpha, rho)) + sum(w .* cov_exp_quad(x, alpha, rho))\n";
    let x = [0.3f64, -1.1, 2.0];
    let w = [[1.0f64, 0.5, -0.25], [2.0, -1.0, 0.75], [0.1, 0.3, 1.5]];
    let json =
        r#"{"x": [0.3, -1.1, 2.0], "w": [[1.0, 0.5, -0.25], [2.0, -1.0, 0.75], [0.1, 0.3, 1.5]]}"#;
    let cm = compile(src, json);
    let (alpha, rho) = (1.7f64, 0.6f64);
    let (lp, g) = lp_grad(&cm, &[alpha.ln(), rho.ln()]);
    let (mut f, mut df_dalpha, mut df_drho) = (0.0, 0.0, 0.0);
    for i in 0..3 {
        for j in 0..3 {
            let r2 = (x[i] - x[j]).powi(2);
            let k = alpha * alpha * (-0.5 * r2 / (rho * rho)).exp();
            f += 2.0 * w[i][j] * k;
            df_dalpha += 2.0 * w[i][j] * 2.0 * k / alpha;
            df_drho += 2.0 * w[i][j] * k * r2 / rho.powi(3);
        }
    }
    // The log-Jacobian of the two lower bounds is log alpha + log rho.
    let want_lp = f + alpha.ln() + rho.ln();
    assert!((lp - want_lp).abs() < 1e-12, "{lp} vs {want_lp}");
    let want_g = [df_dalpha * alpha + 1.0, df_drho * rho + 1.0];
    for (got, want) in g.iter().zip(want_g) {
        assert!((got - want).abs() < 1e-10, "{g:?} vs {want_g:?}");
    }
}

// ------------------------------------------------------------------ outputs

#[test]
fn draws_report_parameters_lets_and_gens() {
    let src = format!("{EIGHT}gen y_rep = normal_rng(theta, sigma)\n");
    let cm = compile(&src, r#"{"J": 2, "y": [1, 2], "sigma": [1, 1]}"#);
    let th = [1.0, 0.0, 0.5, -0.5];
    let names = cm.output_names(&th).unwrap();
    assert_eq!(
        names,
        [
            "mu", "tau", "eta[1]", "eta[2]", "theta[1]", "theta[2]", "y_rep[1]", "y_rep[2]"
        ]
    );
    let mut ws = cm.workspace();
    let mut row = Vec::new();
    let lp = cm
        .generate(&mut ws, &th, vippl::random::stream(3, &[]), &mut row)
        .unwrap();
    // tau = e^0 = 1: theta = mu + eta.
    assert_eq!(&row[..6], &[1.0, 1.0, 0.5, -0.5, 1.5, 0.5]);
    let (lp2, _) = lp_grad(&cm, &th);
    assert!((lp - lp2).abs() < 1e-12);
    let mut row2 = Vec::new();
    cm.generate(&mut ws, &th, vippl::random::stream(3, &[]), &mut row2)
        .unwrap();
    assert_eq!(
        row, row2,
        "the same stream gives the same generated quantities"
    );
}

#[test]
fn matrices_are_reported_column_major() {
    let src = "param L: corr_cholesky[2]\nL ~ lkj_corr_cholesky(2)\n";
    let cm = compile(src, "{}");
    let names = cm.output_names(&[0.3]).unwrap();
    assert_eq!(names, ["L[1,1]", "L[2,1]", "L[1,2]", "L[2,2]"]);
    let mut ws = cm.workspace();
    let mut row = Vec::new();
    cm.generate(&mut ws, &[0.3], vippl::random::stream(0, &[]), &mut row)
        .unwrap();
    let r = 0.3f64.tanh();
    let want = [1.0, r, 0.0, (1.0 - r * r).sqrt()];
    for (a, b) in row.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{row:?}");
    }
}

// ---------------------------------------------------- posteriordb examples

/// Constrained values of every parameter from reference means, where the
/// reference reports it; `None` if some parameter is not reported.
fn reference_point(
    cm: &CompiledModel,
    reference: &serde_json::Value,
) -> Option<Vec<(String, RawValue)>> {
    let params = &reference["parameters"];
    let mut point = Vec::new();
    for p in &cm.layout().params {
        let names = vippl::density::element_names(&p.name, &p.dims);
        let mut values = Vec::new();
        for n in &names {
            values.push(params.get(n)?.get("mean")?.as_f64()?);
        }
        point.push((
            p.name.clone(),
            RawValue {
                dims: p.dims.clone(),
                values,
            },
        ));
    }
    Some(point)
}

fn posteriordb_dirs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples/posteriordb"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.vi").exists())
        .collect();
    v.sort();
    v
}

fn compile_dir(dir: &Path) -> CompiledModel {
    let src = std::fs::read_to_string(dir.join("model.vi")).unwrap();
    let json = std::fs::read_to_string(dir.join("data.json")).unwrap();
    try_compile(&src, &json).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

#[test]
fn every_posteriordb_translation_compiles_and_is_finite_at_its_reference() {
    let dirs = posteriordb_dirs();
    assert!(dirs.len() >= 44, "{} models", dirs.len());
    let mut at_reference = 0;
    for dir in dirs {
        let cm = compile_dir(&dir);
        let reference: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
                .unwrap();
        let th = match reference_point(&cm, &reference) {
            Some(point) => {
                at_reference += 1;
                cm.unconstrain(&point)
                    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            }
            None => vec![0.1; cm.dim()],
        };
        let (lp, g) = lp_grad(&cm, &th);
        assert!(
            lp.is_finite() && g.iter().all(|x| x.is_finite()),
            "{}: log density {lp} ({:?})",
            dir.display(),
            cm.explain_nonfinite(&th)
        );
    }
    assert!(
        at_reference >= 35,
        "only {at_reference} models are evaluated at their reference"
    );
}

/// Flat-prior linear regressions are near Gaussian in the coefficients, so
/// at the reference mean the gradient scaled by the reference sd must be
/// small: a check that the translation (data transformations included) is
/// the posterior the reference describes. σ is left out: at β = β̂ the
/// gradient in log σ is −(n − 1) + RSS/σ², zero at the joint conditional
/// mode σ² = RSS/(n − 1), while the reference mean sits near the marginal
/// σ² ≈ RSS/(n − k − 1); with k coefficients the scaled gradient there is
/// about k/√(2n), which is large for mesquite (k = 8, n = 46) without any
/// error in the model.
#[test]
fn flat_prior_regressions_have_a_small_scaled_gradient_at_the_reference_mean() {
    let mut checked = 0;
    for dir in posteriordb_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let flat = name.starts_with("earnings-")
            || name.starts_with("kidiq_with_mom_work-")
            || name.starts_with("mesquite-")
            || name.ends_with("-nes");
        if !flat {
            continue;
        }
        let cm = compile_dir(&dir);
        let reference: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
                .unwrap();
        let point = reference_point(&cm, &reference).expect("regressions report every parameter");
        let th = cm.unconstrain(&point).unwrap();
        let (_, g) = lp_grad(&cm, &th);
        let coords = cm.layout().coordinate_names();
        for (i, c) in coords.iter().enumerate() {
            if c == "sigma" {
                continue;
            }
            let sd = reference["parameters"][c]["sd"].as_f64().unwrap();
            let z = (g[i] * sd).abs();
            assert!(z < 0.5, "{name}: |∂lp/∂{c} · sd| = {z}");
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");
}

// ------------------------------------------------------- Stan's helpers

#[test]
fn stan_array_helpers_have_their_values_and_gradients() {
    let src = "data X: real[2, 3]\nparam x: real[4]\n\
        target += prod(head(x, 3)) + variance(x) + log_mix(softmax(x), x)\n\
        target += sum(sort_desc(x) .* [1, 2, 3, 4]) + sum(segment(x, 2, 2)) + sum(tail(x, 1))\n\
        target += log_mix(0.3, x[1], x[2]) + pi() + num_elements(x) + choose(5, 2)\n\
        target += is_nan(not_a_number()) + sum(rep_array(x[1], 2)) + sum(sort_asc(rep_array(3, 2)))\n\
        target += sum(one_hot_vector(4, 2) .* x) + sum(linspaced_vector(4, 0, 1) .* x)\n\
        target += dot_product(to_vector(X), [1, 10, 100, 1000, 10000, 100000])\n\
        target += dot_product(to_array_1d(X), [1, 0, 0, 0, 0, 1]) + sum(to_row_vector(x))\n";
    let cm = compile(src, r#"{"X": [[1, 2, 3], [4, 5, 6]]}"#);
    let expected = |x: &[f64]| {
        let mean = x.iter().sum::<f64>() / 4.0;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0;
        let m = x.iter().cloned().fold(f64::MIN, f64::max);
        let z: f64 = x.iter().map(|v| (v - m).exp()).sum();
        // log Σ softmax_k exp(x_k) = log Σ exp(2 x_k) − log Σ exp(x_k)
        let mix = x.iter().map(|v| (2.0 * v).exp()).sum::<f64>().ln() - (m + z.ln());
        let mut desc = x.to_vec();
        desc.sort_by(|a, b| b.total_cmp(a));
        let sorted: f64 = desc
            .iter()
            .zip([1.0, 2.0, 3.0, 4.0])
            .map(|(a, b)| a * b)
            .sum();
        let mix2 = (0.3 * x[0].exp() + 0.7 * x[1].exp()).ln();
        let lin: f64 = x
            .iter()
            .zip([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0])
            .map(|(a, b)| a * b)
            .sum();
        x[0] * x[1] * x[2]
            + var
            + mix
            + sorted
            + x[1]
            + x[2]
            + x[3]
            + mix2
            + std::f64::consts::PI
            + 4.0
            + 10.0
            + 1.0
            + 2.0 * x[0]
            + 6.0
            + x[1]
            + lin
            + x.iter().sum::<f64>()
    };
    // The data-only terms, kept apart so that differences keep their digits.
    let constant = 635_241.0 + 7.0;
    let th = [0.3, -1.2, 0.8, 2.1];
    let (lp, g) = lp_grad(&cm, &th);
    let want = expected(&th) + constant;
    assert!((lp - want).abs() < 1e-9, "{lp} vs {want}");
    for k in 0..4 {
        let h = 1e-6;
        let (mut up, mut dn) = (th, th);
        up[k] += h;
        dn[k] -= h;
        let fd = (expected(&up) - expected(&dn)) / (2.0 * h);
        assert!((g[k] - fd).abs() < 1e-6, "d/dx[{k}]: {} vs {fd}", g[k]);
    }
    // Out of range selections are run-time errors, not panics.
    let bad = compile(
        "param x: real[2]\nx ~ normal(0, 1)\ntarget += sum(segment(x, 2, 3))\n",
        "{}",
    );
    let (lp, _) = lp_grad(&bad, &[0.0, 0.0]);
    assert!(lp.is_nan());
}
