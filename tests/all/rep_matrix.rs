//! `rep_matrix` in its three forms and `to_vector` of a matrix: values
//! against plain Rust loops, gradients against central differences.

use crate::density::compile;
use vippl::infer::Target;

/// Columns of `rep_matrix(x, 3)` (x a parameter vector of length 2),
/// `rep_matrix(k, 2)` (k an int array), `rep_matrix(s, 2, 2)`, and
/// `to_vector` of them, weighted by distinct powers so that a misplaced
/// element shows.
const SRC: &str = "data k: int[3]\nparam x: real[2]\nparam s: real\n\
    let A = rep_matrix(x, 3)\nlet B = rep_matrix(k, 2)\nlet C = rep_matrix(s, 2, 2)\n\
    target += dot_product(to_vector(A), [1, 2, 4, 8, 16, 32])\n\
    target += sum(B * [1, 10]) + rows(A) * 100 + cols(A) * 1000\n\
    target += sum(C * x) * x[1] + A[2, 3] * s\n";

fn closed_form(t: &[f64]) -> f64 {
    let (x, s) = ([t[0], t[1]], t[2]);
    // A is 2×3 with A[i, j] = x[i]; to_vector reads column by column.
    let a_weighted: f64 = (0..3)
        .flat_map(|j| (0..2).map(move |i| (i, j)))
        .zip([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
        .map(|((i, _), w)| x[i] * w)
        .sum();
    // B is 3×2 with B[i, j] = k[i]: B * [1, 10] sums to 11 Σ k.
    let b = 11.0 * (3.0 + 5.0 + 7.0);
    let c = 2.0 * s * (x[0] + x[1]) * x[0];
    a_weighted + b + 200.0 + 3000.0 + c + x[1] * s
}

#[test]
fn rep_matrix_forms_match_their_definitions() {
    let cm = compile(SRC, r#"{"k": [3, 5, 7]}"#);
    let t = [0.7, -1.3, 2.1];
    let mut ws = cm.workspace();
    let mut g = vec![0.0; 3];
    let lp = cm.log_density_and_gradient(&mut ws, &t, &mut g);
    let want = closed_form(&t);
    assert!((lp - want).abs() < 1e-10 * want.abs(), "{lp} vs {want}");
    for j in 0..3 {
        let h = 1e-6;
        let (mut up, mut dn) = (t, t);
        up[j] += h;
        dn[j] -= h;
        let fd = (closed_form(&up) - closed_form(&dn)) / (2.0 * h);
        assert!(
            (g[j] - fd).abs() < 1e-6 * fd.abs().max(1.0),
            "{j}: {} vs {fd}",
            g[j]
        );
    }
}

#[test]
fn rep_matrix_of_a_matrix_is_a_type_error() {
    let mut sources = vippl::source::SourceMap::new();
    let src = "data X: real[2, 2]\nparam mu: real\nmu ~ normal(0, 1)\nlet Y = rep_matrix(X, 2)\n";
    let e = vippl::check::load_model(&mut sources, "m.vi", src)
        .err()
        .map(|d| vippl::diagnostics::render_short(&d, &sources))
        .unwrap_or_default();
    assert!(e.contains("rep_matrix(v, n): vector, int -> matrix"), "{e}");
}

#[test]
fn rep_matrix_of_a_declared_row_vector_warns_that_it_repeats_columns() {
    let warnings = |ty: &str| {
        let mut sources = vippl::source::SourceMap::new();
        let src = format!(
            "data v: {ty}[3]\nparam mu: real\nmu ~ normal(0, 1)\n\
             target += sum(rep_matrix(v, 2)) * mu\n"
        );
        let (_, w) = vippl::check::load_model(&mut sources, "m.vi", &src).expect("checks");
        vippl::diagnostics::render_short(&w, &sources)
    };
    let w = warnings("row_vector");
    assert!(
        w.contains("`v` is declared `row_vector`, but vectors are columns"),
        "{w}"
    );
    assert!(w.contains("rep_matrix(v, n)'"), "{w}");
    assert!(!warnings("vector").contains("row_vector"));
    assert!(!warnings("real").contains("row_vector"));
}
