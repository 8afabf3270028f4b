//! `sort_indices_asc`, `sort_indices_desc` and `rank` on vectors and int
//! arrays (values written out by hand), and `lmgamma` in a model with its
//! gradient against central differences.

use crate::density::{compile, try_compile};
use vippl::infer::Target;

const MODEL: &str = "data v: real[5]\ndata k: int[4]\n\
let up = sort_indices_asc(v)\nlet down = sort_indices_desc(v)\n\
let k_up = sort_indices_asc(k)\nlet k_down = sort_indices_desc(k)\n\
let r = [rank(v, 1), rank(v, 2), rank(v, 3), rank(v, 4), rank(v, 5)]\nlet rk = rank(k, 3)\n\
param x: real<lower=2>\nx ~ normal(3, 1)\ntarget += lmgamma(3, x)\n";

const DATA: &str = r#"{"v": [0.5, -1.0, 2.0, 0.5, -3.0], "k": [3, 1, 3, 2]}"#;

#[test]
fn orderings_have_the_values_stan_gives() {
    let cm = compile(MODEL, DATA);
    let value = |name: &str| cm.constant_value(name).unwrap().1;
    assert_eq!(value("up"), [5.0, 2.0, 1.0, 4.0, 3.0]);
    assert_eq!(value("down"), [3.0, 1.0, 4.0, 2.0, 5.0]);
    assert_eq!(value("k_up"), [2.0, 4.0, 1.0, 3.0]);
    assert_eq!(value("k_down"), [1.0, 3.0, 4.0, 2.0]);
    // Elements below v[s]: 0.5 has -1 and -3 below it, and so on.
    assert_eq!(value("r"), [2.0, 1.0, 4.0, 2.0, 0.0]);
    assert_eq!(value("rk"), [2.0]);
}

#[test]
fn lmgamma_carries_its_derivative_in_a_model() {
    let cm = compile(MODEL, DATA);
    // log Γ_3(x) = 3/2 log π + lgamma(x) + lgamma(x - 1/2) + lgamma(x - 1),
    // x = 2 + exp(u); the log-Jacobian is u.
    let lgamma = |x: f64| {
        // Stirling series with recurrence, accurate to ~1e-13 for x > 0.
        let mut shift = 0.0;
        let mut y = x;
        while y < 10.0 {
            shift -= y.ln();
            y += 1.0;
        }
        let inv = 1.0 / y;
        let inv2 = inv * inv;
        shift + (y - 0.5) * y.ln() - y
            + 0.5 * (2.0 * std::f64::consts::PI).ln()
            + inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)))
    };
    let density = |u: f64| {
        let x = 2.0 + u.exp();
        let normal = -0.5 * (x - 3.0) * (x - 3.0) - 0.5 * (2.0 * std::f64::consts::PI).ln();
        normal + 1.5 * std::f64::consts::PI.ln() + lgamma(x) + lgamma(x - 0.5) + lgamma(x - 1.0) + u
    };
    let mut ws = cm.workspace();
    for u in [-1.0, 0.2, 1.5] {
        let mut g = [0.0];
        let lp = cm.log_density_and_gradient(&mut ws, &[u], &mut g);
        assert!((lp - density(u)).abs() < 1e-10, "{lp} vs {}", density(u));
        let h = 1e-5;
        let fd = (density(u + h) - density(u - h)) / (2.0 * h);
        assert!(
            (g[0] - fd).abs() < 1e-6 * fd.abs().max(1.0),
            "{} vs {fd}",
            g[0]
        );
    }
}

#[test]
fn wrong_arguments_are_reported() {
    let e = try_compile("data v: real[2]\nlet r = rank(v, 3)\n", r#"{"v": [1, 2]}"#).unwrap_err();
    assert!(e.contains("the index must be between 1 and 2"), "{e}");
    let e = try_compile("data x: real\nlet r = lmgamma(x, 2.0)\n", r#"{"x": 1}"#).unwrap_err();
    assert!(e.contains("lmgamma"), "{e}");
    let e = try_compile(
        "data X: real[2, 2]\nlet r = sort_indices_asc(X)\n",
        r#"{"X": [[1, 2], [3, 4]]}"#,
    )
    .unwrap_err();
    assert!(e.contains("sort_indices_asc"), "{e}");
}
