//! `target()`: the log density accumulated so far, with the Jacobians of
//! the transforms, against the closed form; its derivatives against
//! central differences; where it may not be used.

use crate::density::compile;
use std::process::Command;
use vippl::diagnostics::render_short;
use vippl::infer::Target;
use vippl::source::SourceMap;

fn check_errors(src: &str) -> String {
    let mut sources = SourceMap::new();
    match vippl::check::load_model(&mut sources, "m.vi", src) {
        Ok(_) => String::new(),
        Err(d) => render_short(&d, &sources),
    }
}

/// The density reads `target()` twice: after the prior on mu (which, with
/// the Jacobian log sigma of sigma's transform, is all that has been added)
/// and at the end, through a data-only statement whose term counts from
/// the start.
const MODEL: &str = "data y: real\nparam mu: real\nparam sigma: real<lower=0>\n\
mu ~ normal(0, 1)\nlet t1 = target()\nsigma ~ exponential(1)\n\
target += -0.5 * square(t1)\ny ~ normal(0, 2)\nlet t2 = target()\nprint(\"target = \", target())\n";

fn normal(x: f64, m: f64, s: f64) -> f64 {
    -0.5 * ((x - m) / s).powi(2) - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

fn closed_form(mu: f64, log_sigma: f64, jacobian: bool) -> f64 {
    let sigma = log_sigma.exp();
    let data_term = normal(0.7, 0.0, 2.0);
    let jac = if jacobian { log_sigma } else { 0.0 };
    let t1 = data_term + jac + normal(mu, 0.0, 1.0);
    t1 - sigma - 0.5 * t1 * t1
}

#[test]
fn target_is_the_density_so_far_with_its_derivatives() {
    let cm = compile(MODEL, r#"{"y": 0.7}"#);
    let mut ws = cm.workspace();
    for (mu, ls) in [(0.3, -0.2), (-1.4, 0.9), (2.0, 0.0)] {
        let x = [mu, ls];
        let mut g = vec![0.0; 2];
        let lp = cm.log_density_and_gradient(&mut ws, &x, &mut g);
        let want = closed_form(mu, ls, true);
        assert!((lp - want).abs() < 1e-12, "{lp} vs {want}");
        let (_, without) = cm.log_density_parts(&mut ws, &x);
        let want = closed_form(mu, ls, false);
        assert!((without - want).abs() < 1e-12, "{without} vs {want}");
        let h = 1e-6;
        let d_mu = (closed_form(mu + h, ls, true) - closed_form(mu - h, ls, true)) / (2.0 * h);
        let d_ls = (closed_form(mu, ls + h, true) - closed_form(mu, ls - h, true)) / (2.0 * h);
        assert!((g[0] - d_mu).abs() < 1e-6, "{} vs {d_mu}", g[0]);
        assert!((g[1] - d_ls).abs() < 1e-6, "{} vs {d_ls}", g[1]);
        // Forward mode (dual numbers) along (1, 2) gives the same slope.
        let (value, slope) = cm.forward_derivative(&x, &[1.0, 2.0]);
        assert!((value - lp).abs() < 1e-12);
        assert!((slope - (d_mu + 2.0 * d_ls)).abs() < 1e-5, "{slope}");
    }
}

#[test]
fn target_can_be_printed() {
    let dir = crate::cli::scratch("target-print");
    let model = crate::cli::write(&dir, "m.vi", MODEL);
    let data = crate::cli::write(&dir, "d.json", r#"{"y": 0.7}"#);
    let at = crate::cli::write(&dir, "at.json", r#"{"mu": 0.3, "sigma": 1.5}"#);
    let out = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(["logp", &model, "--data", &data, "--at", &at])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("target = "))
        .unwrap_or_else(|| panic!("no print line in {stderr}"));
    let printed: f64 = line.trim().parse().unwrap();
    let want = closed_form(0.3, 1.5f64.ln(), true);
    assert!(
        (printed - want).abs() < 1e-6 * want.abs(),
        "{printed} vs {want}"
    );
}

#[test]
fn target_is_refused_where_there_is_no_density() {
    let prior = "param mu: real\nmu ~ normal(0, 1)\n";
    assert_eq!(
        check_errors(&format!("{prior}target += -0.1 * target()\n")),
        ""
    );
    let bad = [
        (
            "gen t = target()\n",
            "cannot be used in generated quantities",
        ),
        (
            "gen {\n  let t = target()\n}\n",
            "cannot be used in generated quantities",
        ),
        (
            "fn f(x: real) -> real = x + target()\n",
            "a function cannot read `target()`",
        ),
        (
            "data n: int = 2\nparam b: real<lower=target()>\n",
            "size, bound or default",
        ),
        ("let t = target(mu)\n", "expected `)`"),
        ("let t = get_lp()\n", "written `target()`"),
    ];
    for (body, want) in bad {
        let e = check_errors(&format!("{prior}{body}"));
        assert!(e.contains(want), "{body}: expected `{want}` in\n{e}");
    }
}
