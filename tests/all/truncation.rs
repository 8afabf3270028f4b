//! Cumulative distribution functions and truncation in models: the log
//! density of truncated models against closed forms (mpmath values in
//! tests/fixtures/dist/cumulative.json, and the zero-truncated Poisson),
//! gradients against finite differences, and the run-time messages.

use crate::density::compile;
use serde_json::Value;
use vippl::density::CompiledModel;
use vippl::infer::Target;

fn reference() -> Value {
    serde_json::from_str(include_str!("../fixtures/dist/cumulative.json"))
        .expect("cumulative.json parses")
}

fn lp_grad(cm: &CompiledModel, th: &[f64]) -> (f64, Vec<f64>) {
    let mut ws = cm.workspace();
    let mut g = vec![0.0; cm.dim()];
    let lp = cm.log_density_and_gradient(&mut ws, th, &mut g);
    (lp, g)
}

/// The gradient against central differences of the log density.
fn assert_gradient(cm: &CompiledModel, th: &[f64]) {
    let (_, g) = lp_grad(cm, th);
    for j in 0..th.len() {
        let h = 1e-6 * th[j].abs().max(1.0);
        let at = |d: f64| {
            let mut t = th.to_vec();
            t[j] += d;
            lp_grad(cm, &t).0
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        assert!(
            (g[j] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
            "d/d{j} at {th:?}: {} vs {fd}",
            g[j]
        );
    }
}

#[test]
fn truncated_normal_log_density_matches_the_closed_form() {
    let reference = reference();
    let cases = reference["truncated_normal"].as_array().expect("cases");
    assert_eq!(cases.len(), 9);
    for case in cases {
        let bound = |k: &str| case[k].as_f64().map(|b| b.to_string()).unwrap_or_default();
        let src = format!(
            "data y: real[5]\nparam mu: real\nparam sigma: real\n\
             y ~ normal(mu, sigma) T[{}, {}]\n",
            bound("lower"),
            bound("upper")
        );
        let y = case["y"].to_string();
        let cm = compile(&src, &format!(r#"{{"y": {y}}}"#));
        let th = [
            case["mu"].as_f64().unwrap(),
            case["sigma"].as_f64().unwrap(),
        ];
        let want = case["lp"].as_f64().unwrap();
        let (lp, _) = lp_grad(&cm, &th);
        assert!(
            (lp - want).abs() <= 1e-12 * want.abs(),
            "{src} at {th:?}: {lp} vs {want}"
        );
        assert_gradient(&cm, &th);
    }
}

#[test]
fn zero_truncated_poisson_matches_its_closed_form() {
    // p(y | y >= 1) = λ^y e^−λ / (y! (1 − e^−λ)).
    let src = "data y: int[4]\nparam lambda: real<lower=0>\ny ~ poisson(lambda) T[1, ]\n";
    let ys = [1.0, 3.0, 2.0, 7.0];
    let cm = compile(src, r#"{"y": [1, 3, 2, 7]}"#);
    for lambda in [0.05f64, 1.3, 9.0] {
        let th = [lambda.ln()];
        let factorial = |k: f64| (1..=k as u32).map(f64::from).product::<f64>();
        let want: f64 = ys
            .iter()
            .map(|&y| y * lambda.ln() - lambda - factorial(y).ln() - (-(-lambda).exp_m1()).ln())
            .sum::<f64>()
            + lambda.ln(); // the log-Jacobian of lambda's transform
        let (lp, _) = lp_grad(&cm, &th);
        assert!((lp - want).abs() <= 1e-12 * want.abs(), "{lp} vs {want}");
        assert_gradient(&cm, &th);
    }
    // A two-sided bound on integers includes both ends: T[2, 4] normalises
    // by P(2 <= y <= 4).
    let src = "data y: int\nparam lambda: real<lower=0>\ny ~ poisson(lambda) T[2, 4]\n";
    let cm = compile(src, r#"{"y": 4}"#);
    let lambda = 3.0f64;
    let pmf = |k: i32| lambda.powi(k) * (-lambda).exp() / (1..=k).product::<i32>() as f64;
    let want = (pmf(4) / (pmf(2) + pmf(3) + pmf(4))).ln() + lambda.ln();
    let (lp, _) = lp_grad(&cm, &[lambda.ln()]);
    assert!((lp - want).abs() < 1e-13, "{lp} vs {want}");
}

#[test]
fn cumulative_functions_in_models_match_the_reference() {
    // A right-censored normal: two values known only to exceed 9 and 22.
    let reference = reference();
    let rows = reference["normal"].as_array().expect("cases");
    let value = |y: f64, key: &str| {
        rows.iter()
            .find(|r| r["x"][0].as_f64() == Some(y) && r["x"][1].as_f64() == Some(1.5))
            .map(|r| r[key].as_f64().unwrap())
            .expect("reference row")
    };
    let src = "data c: real[2]\nparam mu: real\nparam sigma: real\n\
               target += normal_lccdf(c | mu, sigma)\n\
               target += log(normal_cdf(c[1] | mu, sigma)) - normal_lcdf(c[1] | mu, sigma)\n";
    let cm = compile(src, r#"{"c": [9.0, 22.0]}"#);
    let (lp, _) = lp_grad(&cm, &[1.5, 2.0]);
    let want = value(9.0, "lccdf") + value(22.0, "lccdf");
    assert!((lp - want).abs() <= 1e-12 * want.abs(), "{lp} vs {want}");
    assert_gradient(&cm, &[1.5, 2.0]);
}

#[test]
fn data_outside_the_bounds_is_a_located_rejection() {
    let src = "data y: real[3]\nparam mu: real\ny ~ normal(mu, 1) T[0, 4]\n";
    let cm = compile(src, r#"{"y": [1.0, 4.5, 2.0]}"#);
    let (lp, _) = lp_grad(&cm, &[0.0]);
    assert_eq!(lp, f64::NEG_INFINITY);
    let why = cm.explain_nonfinite(&[0.0]).expect("explained");
    assert!(
        why.contains("m.vi:3:1")
            && why.contains("element 2 of the variate = 4.5 lies outside the bounds"),
        "{why}"
    );
    // Bounds that cross, from data.
    let src = "data y: real\ndata lo: real\nparam mu: real\ny ~ normal(mu, 1) T[lo, 1]\n";
    let cm = compile(src, r#"{"y": 1.0, "lo": 3.0}"#);
    let why = cm.explain_nonfinite(&[0.0]).expect("explained");
    assert!(
        why.contains("the lower bound must not be above the upper bound"),
        "{why}"
    );
}

#[test]
fn a_shape_that_depends_on_a_parameter_inside_a_function_has_its_gradient() {
    // The checker sees through `~` and direct calls; inside a function the
    // argument's dependence is known only when it runs. Either way the
    // shape's derivative is carried: log Q(2.5, 1.5) from the reference.
    let src = "fn upper_tail(a: real) -> real = gamma_lccdf(1.0 | a, 1.5)\n\
               param alpha: real\ntarget += upper_tail(alpha)\n";
    let cm = compile(src, "{}");
    let (lp, _) = lp_grad(&cm, &[2.5]);
    let want = reference_row(&reference(), "gamma", &[1.0, 2.5, 1.5])["lccdf"]
        .as_f64()
        .unwrap();
    assert!((lp - want).abs() <= 1e-12 * want.abs(), "{lp} vs {want}");
    assert_gradient(&cm, &[2.5]);
    assert_gradient(&cm, &[0.3]);
    assert_gradient(&cm, &[40.0]);
}

#[test]
fn truncations_with_parameter_shapes_have_the_reference_normalising_term() {
    // The truncated model minus the plain one is −N log(F(U) − F(L)), F
    // from the mpmath rows (a missing bound is None); the gradient in the
    // shapes (gamma's alpha, Student's nu, both beta shapes,
    // neg_binomial_2's phi) and the other parameters against differences.
    let reference = reference();
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Vec<f64>,
        [Option<Vec<f64>>; 2],
    );
    let cases: [Case; 4] = [
        (
            "param a: real\nparam b: real\ndata y: real[3]\n",
            "y ~ gamma(a, b) T[, 3.0]",
            "y ~ gamma(a, b)",
            "gamma",
            vec![2.5, 1.5],
            [None, Some(vec![3.0, 2.5, 1.5])],
        ),
        (
            "param a: real\nparam b: real\ndata y: real[3]\n",
            "y ~ student_t(a, b, 1.5) T[-4.0, ]",
            "y ~ student_t(a, b, 1.5)",
            "student_t",
            vec![3.0, 0.5],
            [Some(vec![-4.0, 3.0, 0.5, 1.5]), None],
        ),
        (
            "param a: real\nparam b: real\ndata y: real[3]\n",
            "y ~ beta(a, b) T[0.05, 0.93]",
            "y ~ beta(a, b)",
            "beta",
            vec![2.0, 7.0],
            [Some(vec![0.05, 2.0, 7.0]), Some(vec![0.93, 2.0, 7.0])],
        ),
        (
            "param a: real\nparam b: real\ndata y: int[3]\n",
            "y ~ neg_binomial_2(a, b) T[, 25]",
            "y ~ neg_binomial_2(a, b)",
            "neg_binomial_2",
            vec![20.0, 8.0],
            [None, Some(vec![25.0, 20.0, 8.0])],
        ),
    ];
    for (head, truncated, plain, name, th, [lower, upper]) in cases {
        let data = if name == "neg_binomial_2" {
            r#"{"y": [3, 19, 24]}"#
        } else if name == "beta" {
            r#"{"y": [0.1, 0.35, 0.6]}"#
        } else {
            r#"{"y": [0.4, 1.1, 2.2]}"#
        };
        let cm = compile(&format!("{head}{truncated}\n"), data);
        let plain = compile(&format!("{head}{plain}\n"), data);
        let below = lower.map_or(0.0, |x| reference_cdf(&reference, name, &x));
        let above = upper.map_or(1.0, |x| reference_cdf(&reference, name, &x));
        let got = lp_grad(&cm, &th).0 - lp_grad(&plain, &th).0;
        let want = -3.0 * (above - below).ln();
        assert!(
            (got - want).abs() < 1e-11 * want.abs().max(1.0),
            "{name}: {got} vs {want}"
        );
        assert_gradient(&cm, &th);
        assert_gradient(&cm, &[th[0] * 1.4, th[1] * 0.8]);
    }
}

/// F(y) of the reference row of `name` at entries `x` (from its lcdf).
fn reference_cdf(reference: &Value, name: &str, x: &[f64]) -> f64 {
    reference_row(reference, name, x)["lcdf"]
        .as_f64()
        .expect("finite")
        .exp()
}

/// The reference row of `name` at entries `x`.
fn reference_row<'a>(reference: &'a Value, name: &str, x: &[f64]) -> &'a Value {
    reference[name]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| {
            let got: Vec<f64> = c["x"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            got == x
        })
        .unwrap_or_else(|| panic!("no reference row {name} {x:?}"))
}

#[test]
fn truncated_skew_normal_and_von_mises_have_the_reference_normalising_term() {
    // The truncated model minus the plain one is −N log(F(U) − F(L)), F
    // from the mpmath rows; the gradient in every parameter (location,
    // shape, concentration) against finite differences.
    let reference = reference();
    let cases = [
        (
            "y ~ skew_normal(xi, 1.5, a) T[-1.0, 4.0]",
            "y ~ skew_normal(xi, 1.5, a)",
            "skew_normal",
            [0.5, 2.5],
            [vec![-1.0, 0.5, 1.5, 2.5], vec![4.0, 0.5, 1.5, 2.5]],
        ),
        (
            "y ~ von_mises(xi, a) T[-2.0, 2.8]",
            "y ~ von_mises(xi, a)",
            "von_mises",
            [0.4, 2.0],
            [vec![-2.0, 0.4, 2.0], vec![2.8, 0.4, 2.0]],
        ),
    ];
    for (truncated, plain, name, th, [lower, upper]) in cases {
        let head = "data y: real[3]\nparam xi: real\nparam a: real\n";
        let data = r#"{"y": [-0.3, 0.9, 2.2]}"#;
        let cm = compile(&format!("{head}{truncated}\n"), data);
        let plain = compile(&format!("{head}{plain}\n"), data);
        let mass =
            reference_cdf(&reference, name, &upper) - reference_cdf(&reference, name, &lower);
        let got = lp_grad(&cm, &th).0 - lp_grad(&plain, &th).0;
        let want = -3.0 * mass.ln();
        assert!(
            (got - want).abs() < 1e-11 * want.abs().max(1.0),
            "{name}: {got} vs {want}"
        );
        assert_gradient(&cm, &th);
        assert_gradient(&cm, &[th[0] - 0.7, th[1] * 1.3]);
    }
}

#[test]
fn a_censored_gamma_with_an_unknown_shape_fits_its_quadrature_reference() {
    // Survival times censored through `gamma_lccdf` with the shape alpha a
    // parameter (tests/fixtures/censored_gamma: simulated data and the
    // exact posterior moments by quadrature on a fixed grid). Fitted with
    // the defaults of `vippl infer` (seed 1); the reference carries no
    // Monte Carlo error, so every mean must be within four Monte Carlo
    // standard errors of the output draws (in reference sds) and every sd
    // within four standard errors of its log ratio.
    let folder = crate::accuracy::root().join("tests/fixtures/censored_gamma");
    let posterior = crate::accuracy::Posterior {
        name: "censored_gamma".into(),
        tier: 1,
        model: folder.join("model.vi"),
        data: folder.join("data.json"),
        reference: folder.join("reference.json"),
        quantities: None,
    };
    let (o, _) =
        crate::accuracy::evaluate(&posterior, &crate::accuracy::default_config()).expect("fits");
    let line = crate::accuracy::line(&posterior, &o);
    println!("{line}; noise {:?}", o.noise);
    assert!(o.trustworthy, "{line}");
    let (mean_noise, sd_noise) = o.noise;
    assert!(mean_noise > 0.0 && sd_noise > 0.0, "{line}");
    assert!(o.mean_err <= 4.0 * mean_noise, "{line}; noise {mean_noise}");
    assert!(o.sd_err <= 4.0 * sd_noise, "{line}; noise {sd_noise}");
}
