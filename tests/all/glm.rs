//! Stan's GLM forms (`normal_id_glm`, `bernoulli_logit_glm`,
//! `poisson_log_glm`) are the plain vectorized statements they abbreviate:
//! the same log density and gradient at any point.

use crate::density::compile;
use vippl::infer::Target;

const DATA: &str = r#"{"N": 4, "K": 2, "x": [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8], [2.0, -0.4]],
 "y": [0.7, 2.1, -0.4, 1.9], "k": [0, 1, 1, 0], "c": [3, 0, 7, 1]}"#;
const HEAD: &str = "data N: int\ndata K: int\ndata x: real[N, K]\ndata y: real[N]\n\
                    data k: int[N]\ndata c: int[N]\nparam a: real\nparam b: real[K]\n\
                    param s: real<lower=0>\n";

fn lp_grad(body: &str, theta: &[f64]) -> (f64, Vec<f64>) {
    let cm = compile(&format!("{HEAD}{body}"), DATA);
    let mut ws = cm.workspace();
    let mut g = vec![0.0; cm.dim()];
    let lp = cm.log_density_and_gradient(&mut ws, theta, &mut g);
    (lp, g)
}

#[test]
fn each_glm_form_is_its_plain_statement() {
    let theta = [0.3, -0.7, 1.2, -0.2];
    let pairs = [
        (
            "y ~ normal_id_glm(x, a, b, s)\n",
            "y ~ normal(a + x * b, s)\n",
        ),
        (
            "k ~ bernoulli_logit_glm(x, a, b)\n",
            "k ~ bernoulli_logit(a + x * b)\n",
        ),
        (
            "c ~ poisson_log_glm(x, a, b)\n",
            "c ~ poisson_log(a + x * b)\n",
        ),
        (
            "target += normal_id_glm_lpdf(y | x, a, b, s)\n",
            "target += normal_lpdf(y | a + x * b, s)\n",
        ),
    ];
    for (glm, plain) in pairs {
        let (l1, g1) = lp_grad(glm, &theta);
        let (l2, g2) = lp_grad(plain, &theta);
        assert!(
            l1.is_finite() && (l1 - l2).abs() < 1e-12,
            "{glm}: {l1} vs {l2}"
        );
        for (u, v) in g1.iter().zip(&g2) {
            assert!((u - v).abs() < 1e-12, "{glm}: {g1:?} vs {g2:?}");
        }
    }
}

// ------------------------------------------------ the distributions alone

use vippl::density::CompiledModel;
use vippl::dist::glm::{BernoulliLogitGlm, NormalIdGlm, PoissonLogGlm};
use vippl::dist::{Multivariate, View, gradient_by_duals};

/// Five rows, three columns; alpha and sigma as scalars or one per row.
const X5: [f64; 15] = [
    0.5, -1.0, 0.3, 1.5, 0.2, -0.7, -0.3, 0.8, 1.1, 2.0, -0.4, 0.0, 0.1, 0.9, -1.3,
];
const BETA: [f64; 3] = [0.4, -0.6, 0.25];
const ALPHA_V: [f64; 5] = [0.2, -0.1, 0.5, -0.4, 0.05];
const SIGMA_V: [f64; 5] = [0.7, 1.1, 0.9, 2.0, 0.5];
const Y: [f64; 5] = [0.7, 2.1, -0.4, 1.9, -1.2];
const K: [f64; 5] = [0.0, 1.0, 1.0, 0.0, 1.0];
const C: [f64; 5] = [3.0, 0.0, 7.0, 1.0, 2.0];

fn close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs().max(1.0)
}

/// Values from SciPy 1.x (`stats.norm.logpdf`, `stats.bernoulli.logpmf`
/// with `expit(eta)`, `stats.poisson.logpmf` with `exp(eta)`, summed over
/// the rows of eta = alpha + x @ beta), computed outside vippl.
#[test]
fn glm_values_match_scipy() {
    let x = View::matrix(&X5, 5, 3);
    let beta = View::vector(&BETA);
    let alpha_s = [-0.3];
    let sigma_s = [1.3];
    let alphas = [
        (View::vector(&alpha_s), "scalar"),
        (View::vector(&ALPHA_V), "vector"),
    ];
    let sigmas = [View::vector(&sigma_s), View::vector(&SIGMA_V)];
    let normal = [
        [-7.624413396644844, -6.268257957997026],
        [-7.631513988360818, -6.619146418462326],
    ];
    let bernoulli = [-5.302009457010309, -4.791414054448928];
    let poisson = [-20.90806046899856, -15.17601685326657];
    for (a, (alpha, what)) in alphas.iter().enumerate() {
        for (s, sigma) in sigmas.iter().enumerate() {
            let got = NormalIdGlm::lpdf(&[View::vector(&Y), x, *alpha, beta, *sigma]).unwrap();
            assert!(
                close(got, normal[a][s], 1e-13),
                "normal alpha {what}: {got}"
            );
        }
        let got = BernoulliLogitGlm::lpdf(&[View::vector(&K), x, *alpha, beta]).unwrap();
        assert!(
            close(got, bernoulli[a], 1e-13),
            "bernoulli alpha {what}: {got}"
        );
        let got = PoissonLogGlm::lpdf(&[View::vector(&C), x, *alpha, beta]).unwrap();
        assert!(close(got, poisson[a], 1e-13), "poisson alpha {what}: {got}");
    }
}

/// Central finite differences of `f` at `v`, entry by entry.
fn finite_differences(v: &[f64], f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let mut w = v.to_vec();
    (0..v.len())
        .map(|i| {
            let h = 1e-6 * v[i].abs().max(1.0);
            w[i] = v[i] + h;
            let up = f(&w);
            w[i] = v[i] - h;
            let down = f(&w);
            w[i] = v[i];
            (up - down) / (2.0 * h)
        })
        .collect()
}

/// The fused gradient of one GLM against dual numbers and finite
/// differences, for every argument that is real-valued.
fn check_gradient<D: Multivariate>(args: &[Vec<f64>], cols: usize, real_variate: bool) {
    fn views(a: &[Vec<f64>], cols: usize) -> Vec<View<'_, f64>> {
        a.iter()
            .enumerate()
            .map(|(j, v)| {
                if j == 1 {
                    View::matrix(v, v.len() / cols, cols)
                } else {
                    View::vector(v)
                }
            })
            .collect()
    }
    let first = if real_variate { 0 } else { 1 };
    let mut fused: Vec<Vec<f64>> = args.iter().map(|a| vec![f64::NAN; a.len()]).collect();
    let mut duals = fused.clone();
    let lp = {
        let mut grads: Vec<Option<&mut [f64]>> = fused
            .iter_mut()
            .enumerate()
            .map(|(j, g)| (j >= first).then_some(&mut g[..]))
            .collect();
        D::lpdf_gradient(&views(args, cols), &mut grads, &mut Vec::new()).unwrap()
    };
    let mut grads: Vec<Option<&mut [f64]>> = duals
        .iter_mut()
        .enumerate()
        .map(|(j, g)| (j >= first).then_some(&mut g[..]))
        .collect();
    let lp2 = gradient_by_duals::<D, f64>(&views(args, cols), &mut grads).unwrap();
    assert!(close(lp, lp2, 1e-14), "{}: {lp} vs {lp2}", D::SPEC.name);
    for j in first..args.len() {
        let fd = finite_differences(&args[j], |v| {
            let mut a = args.to_vec();
            a[j] = v.to_vec();
            D::lpdf(&views(&a, cols)).unwrap()
        });
        for e in 0..args[j].len() {
            let (g, d, f) = (fused[j][e], duals[j][e], fd[e]);
            assert!(
                close(g, d, 1e-12),
                "{} arg {j}[{e}]: {g} vs duals {d}",
                D::SPEC.name
            );
            assert!(
                close(g, f, 1e-6),
                "{} arg {j}[{e}]: {g} vs fd {f}",
                D::SPEC.name
            );
        }
    }
}

#[test]
fn glm_gradients_match_duals_and_finite_differences() {
    let v = |s: &[f64]| s.to_vec();
    for alpha in [vec![-0.3], v(&ALPHA_V)] {
        for sigma in [vec![1.3], v(&SIGMA_V)] {
            let args = [v(&Y), v(&X5), alpha.clone(), v(&BETA), sigma];
            check_gradient::<NormalIdGlm>(&args, 3, true);
        }
        check_gradient::<BernoulliLogitGlm>(&[v(&K), v(&X5), alpha.clone(), v(&BETA)], 3, false);
        check_gradient::<PoissonLogGlm>(&[v(&C), v(&X5), alpha, v(&BETA)], 3, false);
    }
}

// --------------------------------------------------- in models, every form

const HEAD5: &str = "data N: int\ndata K: int\ndata x: real[N, K]\ndata y: real[N]\n\
                     data k: int[N]\ndata c: int[N]\n";

fn data5() -> String {
    let rows: Vec<String> = X5
        .chunks(3)
        .map(|r| format!("[{}, {}, {}]", r[0], r[1], r[2]))
        .collect();
    format!(
        r#"{{"N": 5, "K": 3, "x": [{}], "y": {Y:?}, "k": [0, 1, 1, 0, 1], "c": [3, 0, 7, 1, 2]}}"#,
        rows.join(", ")
    )
}

fn grad_at(cm: &CompiledModel, theta: &[f64]) -> (f64, Vec<f64>) {
    let mut ws = cm.workspace();
    let mut g = vec![0.0; cm.dim()];
    let lp = cm.log_density_and_gradient(&mut ws, theta, &mut g);
    (lp, g)
}

/// Vector alpha and sigma as parameters, x as a parameter, beta as data:
/// the fused forms give the plain statements' log density and gradient.
#[test]
fn glm_forms_with_vector_and_parameter_arguments_are_their_plain_statements() {
    let params = "param a: real[N]\nparam b: real[K]\nparam s: real<lower=0>[N]\nparam xp: real[N, K]\n\
                  param a1: real\nparam yp: real[N]\n";
    let cases = [
        ("y ~ normal_id_glm(x, a, b, s)", "y ~ normal(a + x * b, s)"),
        (
            "y ~ normal_id_glm(x, a1, b, s)",
            "y ~ normal(a1 + x * b, s)",
        ),
        (
            "y ~ normal_id_glm(xp, a, b, s)",
            "y ~ normal(a + xp * b, s)",
        ),
        (
            "y ~ normal_id_glm(xp, a1, b, 1.5)",
            "y ~ normal(a1 + xp * b, 1.5)",
        ),
        (
            "yp ~ normal_id_glm(x, a, y[1:3], s)",
            "yp ~ normal(a + x * y[1:3], s)",
        ),
        (
            "k ~ bernoulli_logit_glm(x, a, b)",
            "k ~ bernoulli_logit(a + x * b)",
        ),
        (
            "k ~ bernoulli_logit_glm(xp, a1, b)",
            "k ~ bernoulli_logit(a1 + xp * b)",
        ),
        (
            "c ~ poisson_log_glm(xp, a, b)",
            "c ~ poisson_log(a + xp * b)",
        ),
        (
            "target += poisson_log_glm_lpmf(c | x, a, y[1:3])",
            "target += poisson_log_lpmf(c | a + x * y[1:3])",
        ),
        (
            "target += bernoulli_logit_glm_lpmf(k | x, a1, b)",
            "target += bernoulli_logit_lpmf(k | a1 + x * b)",
        ),
    ];
    let json = data5();
    let dim = 5 + 3 + 5 + 15 + 1 + 5;
    let theta: Vec<f64> = (0..dim)
        .map(|i| ((i * 37 % 11) as f64 - 5.0) * 0.09)
        .collect();
    for (glm, plain) in cases {
        let fused = compile(&format!("{HEAD5}{params}{glm}\n"), &json);
        let slow = compile(&format!("{HEAD5}{params}{plain}\n"), &json);
        let (l1, g1) = grad_at(&fused, &theta);
        let (l2, g2) = grad_at(&slow, &theta);
        assert!(
            l1.is_finite() && close(l1, l2, 1e-12),
            "{glm}: {l1} vs {l2}"
        );
        for (u, v) in g1.iter().zip(&g2) {
            assert!(close(*u, *v, 1e-12), "{glm}: {g1:?} vs {g2:?}");
        }
        let (mut ws, mut ws2) = (fused.workspace(), slow.workspace());
        let (v1, v2) = (
            fused.log_density(&mut ws, &theta),
            slow.log_density(&mut ws2, &theta),
        );
        assert!(close(v1, v2, 1e-12), "{glm} without gradient: {v1} vs {v2}");
    }
}

fn check_errors(text: &str) -> Vec<(&'static str, String)> {
    let mut sources = vippl::source::SourceMap::new();
    match vippl::check::load_model(&mut sources, "m.vi", text) {
        Ok(_) => Vec::new(),
        Err(d) => d
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code, d.message.clone()))
            .collect(),
    }
}

#[test]
fn wrong_glm_shapes_are_diagnosed_at_check_time() {
    let head = "data N: int\ndata K: int\ndata M: int\ndata x: real[N, K]\ndata y: real[N]\n\
                data z: real[M]\ndata k: int[N]\ndata m: real[N, N]\nparam b: real[K]\nparam a: real\n";
    let cases = [
        (
            "y ~ normal_id_glm(x, a, z, 1)",
            "shape-mismatch",
            "`beta` of `normal_id_glm` has size `M`, but x has `K` columns",
        ),
        (
            "z ~ normal_id_glm(x, a, b, 1)",
            "shape-mismatch",
            "`y` of `normal_id_glm` has size `M`, but x has `N` rows",
        ),
        (
            "y ~ normal_id_glm(x, z, b, 1)",
            "shape-mismatch",
            "`alpha` of `normal_id_glm` has size `M`, but x has `N` rows",
        ),
        (
            "y ~ normal_id_glm(x, a, b, z)",
            "shape-mismatch",
            "`sigma` of `normal_id_glm` has size `M`, but x has `N` rows",
        ),
        (
            "k ~ bernoulli_logit_glm(x, m, b)",
            "wrong-argument-type",
            "`alpha` of `bernoulli_logit_glm` must be a scalar or a vector",
        ),
        (
            "k ~ bernoulli_logit_glm(b, a, b)",
            "wrong-argument-type",
            "argument `x` of `bernoulli_logit_glm` must be a matrix",
        ),
        (
            "y ~ poisson_log_glm(x, a, b)",
            "discrete-variate",
            "poisson_log_glm",
        ),
        (
            "k ~ poisson_log_glm(x, a)",
            "wrong-arity",
            "`poisson_log_glm` takes 3 arguments",
        ),
        (
            "gen d = normal_id_glm_rng(x, a, b, 1)",
            "unknown-function",
            "there is no `normal_id_glm_rng`",
        ),
        (
            "gen d = poisson_log_glm_rng(x, a, b)",
            "unknown-function",
            "there is no `poisson_log_glm_rng`",
        ),
    ];
    for (line, code, message) in cases {
        let errs = check_errors(&format!("{head}{line}\n"));
        assert!(
            errs.iter().any(|(c, m)| *c == code && m.contains(message)),
            "{line}: {errs:?}"
        );
    }
    // bernoulli_logit_glm_rng exists (as in Stan) and draws one outcome per row.
    assert!(check_errors(&format!("{head}gen d = bernoulli_logit_glm_rng(x, a, b)\n")).is_empty());
}

/// Sizes that only the values reveal stop the evaluation with a message
/// naming the GLM's argument.
#[test]
fn wrong_glm_sizes_at_run_time_are_explained() {
    let src =
        format!("{HEAD5}param b: real[K]\ntarget += normal_id_glm_lpdf(y | x, 0, head(b, 2), 1)\n");
    let cm = crate::density::try_compile(&src, &data5());
    let message = match cm {
        Err(e) => e,
        Ok(cm) => cm.explain_nonfinite(&[0.1, 0.2, 0.3]).unwrap_or_default(),
    };
    assert!(
        message.contains("normal_id_glm: beta has 2 elements but x has 3 columns"),
        "{message}"
    );
}

/// Stan has `bernoulli_logit_glm_rng`: each row's draw is 1 with
/// probability inv_logit(alpha + x_i · beta) (within 4.5 Monte Carlo
/// standard errors at a fixed seed).
#[test]
fn bernoulli_logit_glm_draws_have_their_probabilities() {
    let (x, alpha, beta) = (View::matrix(&X5, 5, 3), [-0.3], View::vector(&BETA));
    let draws = 20_000;
    let mut sums = [0.0; 5];
    let mut out = Vec::new();
    let mut rng = vippl::random::stream(7, &[1]);
    for _ in 0..draws {
        BernoulliLogitGlm::rng(&[x, View::vector(&alpha), beta], &mut rng, &mut out).unwrap();
        assert_eq!(out.len(), 5);
        for (s, &v) in sums.iter_mut().zip(&out) {
            assert!(v == 0.0 || v == 1.0);
            *s += v;
        }
    }
    for i in 0..5 {
        let eta = alpha[0] + (0..3).map(|j| X5[i * 3 + j] * BETA[j]).sum::<f64>();
        let p = 1.0 / (1.0 + (-eta).exp());
        let se = (p * (1.0 - p) / draws as f64).sqrt();
        let mean = sums[i] / draws as f64;
        assert!((mean - p).abs() < 4.5 * se, "row {i}: {mean} vs {p}");
    }
}

/// A linear regression written with `normal_id_glm` (alpha and sigma
/// known, beta ~ normal(0, 2)) has a Gaussian posterior in closed form:
/// precision XᵀX/σ² + I/4, mean its inverse times Xᵀ(y − α)/σ². The
/// full-rank fit finds it.
#[test]
fn a_normal_id_glm_regression_fits_its_closed_form_posterior() {
    use vippl::infer::{FamilyKind, FitConfig, Silent, fit};
    let n = 40;
    let xs: Vec<[f64; 2]> = (0..n)
        .map(|i| [((i * 7) as f64 * 0.61).sin(), ((i * 3) as f64 * 1.3).cos()])
        .collect();
    let ys: Vec<f64> = xs
        .iter()
        .enumerate()
        .map(|(i, r)| 0.5 + 1.2 * r[0] - 0.7 * r[1] + 0.8 * ((i as f64) * 2.1).sin())
        .collect();
    let rows: Vec<String> = xs.iter().map(|r| format!("[{}, {}]", r[0], r[1])).collect();
    let json = format!(r#"{{"N": {n}, "x": [{}], "y": {ys:?}}}"#, rows.join(", "));
    let src = "data N: int\ndata x: real[N, 2]\ndata y: real[N]\nparam b: real[2]\n\
               b ~ normal(0, 2)\ny ~ normal_id_glm(x, 0.5, b, 0.8)\n";
    let cm = compile(src, &json);
    let s2 = 0.8f64 * 0.8;
    let mut p = [0.25, 0.0, 0.0, 0.25];
    let mut r = [0.0; 2];
    for (row, y) in xs.iter().zip(&ys) {
        for a in 0..2 {
            r[a] += row[a] * (y - 0.5) / s2;
            for b in 0..2 {
                p[a * 2 + b] += row[a] * row[b] / s2;
            }
        }
    }
    let det = p[0] * p[3] - p[1] * p[2];
    let cov = [p[3] / det, -p[1] / det, -p[2] / det, p[0] / det];
    let mean = [cov[0] * r[0] + cov[1] * r[1], cov[2] * r[0] + cov[3] * r[1]];
    let config = FitConfig {
        family: Some(FamilyKind::FullRank),
        seed: 5,
        ..FitConfig::default()
    };
    let result = fit(&cm, &config, &mut Silent).expect("a fit");
    let (m, sd) = (result.approximation.mean(), result.approximation.sd());
    for a in 0..2 {
        let want_sd = cov[a * 3].sqrt();
        assert!(
            (m[a] - mean[a]).abs() < 0.1 * want_sd,
            "mean {a}: {} vs {} (sd {want_sd})",
            m[a],
            mean[a]
        );
        assert!(
            (sd[a] / want_sd - 1.0).abs() < 0.1,
            "sd {a}: {} vs {want_sd}",
            sd[a]
        );
    }
}
