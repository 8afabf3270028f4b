//! `multi_student_t`, `multi_normal_prec`, `dirichlet_multinomial`,
//! `lkj_corr`, `wishart` and `inv_wishart`: values against SciPy and mpmath
//! (tests/fixtures/dist/reference.json), derivatives against finite
//! differences (symmetric matrices perturbed symmetrically), samplers
//! against their moments, and a model whose matrices are built from
//! parameters.

use super::{num, nums, reference};
use num_dual::Dual64;
use vippl::dist::dirichlet_multinomial::DirichletMultinomial;
use vippl::dist::lkj_corr::LkjCorr;
use vippl::dist::multi_normal_prec::MultiNormalPrec;
use vippl::dist::multi_student_t::MultiStudentT;
use vippl::dist::wishart::{InvWishart, Wishart};
use vippl::dist::{DistId, Multivariate, View};
use vippl::random::stream;
use vippl::scalar::Scalar;

fn flat(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .flat_map(|r| if r.is_array() { nums(r) } else { vec![num(r)] })
        .collect()
}

/// One argument of a reference case: its values and (rows, cols).
type Arg = (Vec<f64>, usize, usize);

fn vector_or_rows(v: Vec<f64>, rows: usize) -> Arg {
    let n = v.len();
    if rows == 1 {
        (v, n, 1)
    } else {
        (v, rows, n / rows)
    }
}

fn square(v: Vec<f64>) -> Arg {
    let k = (v.len() as f64).sqrt().round() as usize;
    (v, k, k)
}

fn scalar(x: f64) -> Arg {
    (vec![x], 1, 1)
}

/// The reference cases of `name` as argument lists (variate first).
fn cases(name: &str) -> Vec<(Vec<Arg>, f64)> {
    let rows = |c: &serde_json::Value, key: &str| c[key].as_u64().expect("rows") as usize;
    reference()["multivariate"][name]
        .as_array()
        .unwrap_or_else(|| panic!("no reference for {name}"))
        .iter()
        .map(|c| {
            let args = match name {
                "multi_student_t" => vec![
                    vector_or_rows(flat(&c["y"]), rows(c, "y_rows")),
                    scalar(num(&c["nu"])),
                    vector_or_rows(flat(&c["mu"]), rows(c, "mu_rows")),
                    square(flat(&c["Sigma"])),
                ],
                "multi_normal_prec" => vec![
                    vector_or_rows(flat(&c["y"]), rows(c, "y_rows")),
                    vector_or_rows(flat(&c["mu"]), rows(c, "mu_rows")),
                    square(flat(&c["Omega"])),
                ],
                "dirichlet_multinomial" => {
                    let (y, a) = (flat(&c["y"]), flat(&c["alpha"]));
                    let (ny, na) = (y.len(), a.len());
                    vec![(y, ny, 1), (a, na, 1)]
                }
                "lkj_corr" => vec![square(flat(&c["Sigma"])), scalar(num(&c["eta"]))],
                _ => vec![
                    square(flat(&c["W"])),
                    scalar(num(&c["nu"])),
                    square(flat(&c["S"])),
                ],
            };
            (args, num(&c["lp"]))
        })
        .collect()
}

fn lpdf<T: Scalar>(name: &str, args: &[(Vec<T>, usize, usize)]) -> Result<T, String> {
    let views: Vec<View<'_, T>> = args
        .iter()
        .map(|(d, r, c)| View::matrix(d, *r, *c))
        .collect();
    match name {
        "multi_student_t" => MultiStudentT::lpdf(&views),
        "multi_normal_prec" => MultiNormalPrec::lpdf(&views),
        "dirichlet_multinomial" => DirichletMultinomial::lpdf(&views),
        "lkj_corr" => LkjCorr::lpdf(&views),
        "wishart" => Wishart::lpdf(&views),
        "inv_wishart" => InvWishart::lpdf(&views),
        other => panic!("unknown {other}"),
    }
}

const NAMES: [&str; 6] = [
    "multi_student_t",
    "multi_normal_prec",
    "dirichlet_multinomial",
    "lkj_corr",
    "wishart",
    "inv_wishart",
];

#[test]
fn values_match_scipy_and_mpmath() {
    for name in NAMES {
        assert!(DistId::lookup(name).is_some(), "{name} is built in");
        let cases = cases(name);
        assert!(cases.len() >= 5, "{name}: {} cases", cases.len());
        for (args, want) in cases {
            let got = lpdf::<f64>(name, &args).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                (got - want).abs() <= 1e-11 * want.abs().max(1.0),
                "{name} {args:?}: {got} vs {want}"
            );
        }
    }
}

/// The perturbations to differentiate along: each entry of a vector, each
/// diagonal entry and each symmetric pair of a square matrix (the two
/// entries together), none of the integer counts or of lkj's unit diagonal.
fn directions(name: &str, args: &[Arg]) -> Vec<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    for (a, (_, r, c)) in args.iter().enumerate() {
        if name == "dirichlet_multinomial" && a == 0 {
            continue;
        }
        let symmetric = *r == *c && *r > 1 && !(name.starts_with("multi_") && a == 0);
        if !symmetric {
            (0..r * c).for_each(|e| out.push(vec![(a, e)]));
            continue;
        }
        for i in 0..*r {
            for j in 0..=i {
                if i == j && name == "lkj_corr" {
                    continue;
                }
                if i == j {
                    out.push(vec![(a, i * c + i)]);
                } else {
                    out.push(vec![(a, i * c + j), (a, j * c + i)]);
                }
            }
        }
    }
    out
}

#[test]
fn derivatives_match_finite_differences() {
    for name in NAMES {
        for (args, _) in cases(name) {
            for dir in directions(name, &args) {
                let dual_args: Vec<(Vec<Dual64>, usize, usize)> = args
                    .iter()
                    .enumerate()
                    .map(|(a, (d, r, c))| {
                        let v = d
                            .iter()
                            .enumerate()
                            .map(|(e, &x)| {
                                Dual64::new(x, if dir.contains(&(a, e)) { 1.0 } else { 0.0 })
                            })
                            .collect();
                        (v, *r, *c)
                    })
                    .collect();
                let dual = lpdf(name, &dual_args).expect("valid").eps;
                let (a0, e0) = dir[0];
                let h = 1e-6 * args[a0].0[e0].abs().max(0.1);
                let shifted = |d: f64| {
                    let mut moved = args.clone();
                    for &(a, e) in &dir {
                        moved[a].0[e] += d;
                    }
                    lpdf::<f64>(name, &moved).expect("valid")
                };
                let fd = (shifted(h) - shifted(-h)) / (2.0 * h);
                assert!(
                    (dual - fd).abs() <= 1e-5 * fd.abs().max(1.0),
                    "{name} {args:?} along {dir:?}: dual {dual} vs difference {fd}"
                );
            }
        }
    }
}

/// Draws of `D` with arguments `args`, `n` times.
fn draws<D: Multivariate>(args: &[Arg], n: usize, seed: u64) -> Vec<Vec<f64>> {
    let views: Vec<View<'_, f64>> = args
        .iter()
        .map(|(d, r, c)| View::matrix(d, *r, *c))
        .collect();
    let mut rng = stream(seed, &[]);
    (0..n)
        .map(|_| {
            let mut out = Vec::new();
            D::rng(&views, &mut rng, &mut out).expect("valid");
            out
        })
        .collect()
}

/// Each coordinate's sample mean within 5 standard errors of `mean`; the
/// standard error is sqrt(var / n), with `var` the known variance or, when
/// `None`, the sample variance.
fn check_means(what: &str, x: &[Vec<f64>], mean: &[f64], var: Option<&[f64]>) {
    let n = x.len() as f64;
    for (i, &m) in mean.iter().enumerate() {
        let avg = x.iter().map(|d| d[i]).sum::<f64>() / n;
        let sample_var = x.iter().map(|d| (d[i] - avg).powi(2)).sum::<f64>() / (n - 1.0);
        let v = var.map_or(sample_var, |v| v[i]);
        let se = (v / n).sqrt();
        assert!(
            (avg - m).abs() <= 5.0 * se + 1e-12,
            "{what}[{i}]: mean {avg}, expected {m} (se {se})"
        );
        if let Some(v) = var {
            // The sample variance of n draws has standard error about
            // sqrt((m4 − v²) / n); with m4 estimated from the sample.
            let m4 = x.iter().map(|d| (d[i] - avg).powi(4)).sum::<f64>() / n;
            let se_var = ((m4 - sample_var * sample_var) / n).sqrt();
            assert!(
                (sample_var - v[i]).abs() <= 5.0 * se_var + 1e-12,
                "{what}[{i}]: variance {sample_var}, expected {} (se {se_var})",
                v[i]
            );
        }
    }
}

#[test]
fn samplers_match_their_moments() {
    let n = 20_000;
    let sigma = vec![2.0, 0.6, -0.3, 0.6, 1.0, 0.2, -0.3, 0.2, 0.5];
    let mu = vec![1.0, -1.0, 0.5];
    // multi_student_t(6, mu, Sigma): mean mu, covariance 6/4 Sigma.
    let x = draws::<MultiStudentT>(
        &[scalar(6.0), (mu.clone(), 3, 1), square(sigma.clone())],
        n,
        1,
    );
    let var: Vec<f64> = (0..3).map(|i| 1.5 * sigma[i * 3 + i]).collect();
    check_means("multi_student_t", &x, &mu, None);
    let products: Vec<Vec<f64>> = x
        .iter()
        .map(|d| vec![(d[0] - mu[0]) * (d[1] - mu[1])])
        .collect();
    check_means(
        "multi_student_t cov[1,2]",
        &products,
        &[1.5 * sigma[1]],
        None,
    );
    let squares: Vec<Vec<f64>> = x
        .iter()
        .map(|d| (0..3).map(|i| (d[i] - mu[i]).powi(2)).collect())
        .collect();
    check_means("multi_student_t var", &squares, &var, None);
    // multi_normal_prec(mu, Omega) with Omega = inverse of Sigma: covariance Sigma.
    let omega = inverse3(&sigma);
    let x = draws::<MultiNormalPrec>(&[(mu.clone(), 3, 1), square(omega)], n, 2);
    let var: Vec<f64> = (0..3).map(|i| sigma[i * 3 + i]).collect();
    check_means("multi_normal_prec", &x, &mu, Some(&var));
    let products: Vec<Vec<f64>> = x
        .iter()
        .map(|d| vec![(d[0] - mu[0]) * (d[2] - mu[2])])
        .collect();
    check_means("multi_normal_prec cov[1,3]", &products, &[sigma[2]], None);
    // dirichlet_multinomial(alpha) with N trials: mean N p, variance
    // N p (1 − p) (N + a0) / (1 + a0), p = alpha / a0.
    let alpha = vec![0.5, 2.0, 3.5];
    let (a0, trials) = (6.0, 15.0);
    let x = draws::<DirichletMultinomial>(&[(alpha.clone(), 3, 1), scalar(trials)], n, 3);
    assert!(x.iter().all(|d| d.iter().sum::<f64>() == trials));
    let mean: Vec<f64> = alpha.iter().map(|a| trials * a / a0).collect();
    let var: Vec<f64> = alpha
        .iter()
        .map(|a| trials * a / a0 * (1.0 - a / a0) * (trials + a0) / (1.0 + a0))
        .collect();
    check_means("dirichlet_multinomial", &x, &mean, Some(&var));
    // lkj_corr_rng(4, eta): unit diagonal, off-diagonal mean 0 and variance 1 / (2 eta + K − 1).
    let eta = 1.5;
    let x = draws::<LkjCorr>(&[scalar(4.0), scalar(eta)], n, 4);
    assert!(x.iter().all(|d| (0..4).all(|i| d[i * 4 + i] == 1.0)));
    let off: Vec<Vec<f64>> = x.iter().map(|d| vec![d[1], d[6], d[11]]).collect();
    let v = 1.0 / (2.0 * eta + 3.0);
    check_means("lkj_corr", &off, &[0.0; 3], Some(&[v; 3]));
    // wishart(nu, S): mean nu S, Var(W_ij) = nu (S_ij² + S_ii S_jj).
    let nu = 7.0;
    let x = draws::<Wishart>(&[scalar(nu), square(sigma.clone())], n, 5);
    let mean: Vec<f64> = sigma.iter().map(|s| nu * s).collect();
    let var: Vec<f64> = (0..9)
        .map(|e| {
            let (i, j) = (e / 3, e % 3);
            nu * (sigma[e].powi(2) + sigma[i * 3 + i] * sigma[j * 3 + j])
        })
        .collect();
    check_means("wishart", &x, &mean, Some(&var));
    // inv_wishart(nu, S): mean S / (nu − K − 1) (variance from the sample; finite for nu > K + 3).
    let nu = 12.0;
    let x = draws::<InvWishart>(&[scalar(nu), square(sigma.clone())], n, 6);
    let mean: Vec<f64> = sigma.iter().map(|s| s / (nu - 4.0)).collect();
    check_means("inv_wishart", &x, &mean, None);
}

/// The inverse of a symmetric 3 x 3 matrix by cofactors.
fn inverse3(m: &[f64]) -> Vec<f64> {
    let at = |i: usize, j: usize| m[(i % 3) * 3 + (j % 3)];
    let cof = |i: usize, j: usize| {
        at(i + 1, j + 1) * at(i + 2, j + 2) - at(i + 1, j + 2) * at(i + 2, j + 1)
    };
    let det: f64 = (0..3).map(|j| at(0, j) * cof(0, j)).sum();
    (0..9).map(|e| cof(e % 3, e / 3) / det).collect()
}

#[test]
fn bad_matrices_and_degrees_of_freedom_are_explained() {
    let s = vec![1.0, 0.2, 0.2, 1.0];
    let err = lpdf(
        "wishart",
        &[square(s.clone()), scalar(0.5), square(s.clone())],
    )
    .unwrap_err();
    assert!(err.contains("must be above K - 1"), "{err}");
    let asym = vec![1.0, 0.3, 0.2, 1.0];
    let err = lpdf(
        "inv_wishart",
        &[square(asym), scalar(3.0), square(s.clone())],
    )
    .unwrap_err();
    assert!(err.contains("W must be symmetric"), "{err}");
    let not_corr = vec![2.0, 0.2, 0.2, 1.0];
    let err = lpdf("lkj_corr", &[square(not_corr), scalar(2.0)]).unwrap_err();
    assert!(err.contains("correlation matrix"), "{err}");
    let err = lpdf(
        "dirichlet_multinomial",
        &[(vec![1.0, 2.0], 2, 1), (vec![1.0, 1.0, 1.0], 3, 1)],
    )
    .unwrap_err();
    assert!(err.contains("2 counts but alpha has 3"), "{err}");
}

#[test]
fn in_a_model_on_matrices_built_from_parameters_the_gradient_matches() {
    use vippl::infer::Target;
    let src = "data m: real[3]\ndata Y: real[4, 3]\ndata S: real[3, 3]\ndata n: int[3]\n\
               param tau: real<lower=0>[3]\nparam L: corr_cholesky[3]\nparam nu: real<lower=3>\n\
               let Sigma = multiply_lower_tri_self_transpose(diag_pre_multiply(tau, L))\n\
               let R = multiply_lower_tri_self_transpose(L)\n\
               Y ~ multi_student_t(nu, m, Sigma)\nY ~ multi_normal_prec(m, Sigma)\n\
               Sigma ~ wishart(5, S)\nSigma ~ inv_wishart(nu + 2, S)\nR ~ lkj_corr(2)\n\
               n ~ dirichlet_multinomial(tau)\n\
               gen W = wishart_rng(5, Sigma)\ngen V = inv_wishart_rng(6, S)\n\
               gen C = lkj_corr_rng(3, 2)\ngen d = dirichlet_multinomial_rng(tau, 10)\n\
               gen t = multi_student_t_rng(nu, m, Sigma)\ngen p = multi_normal_prec_rng(m, Sigma)\n";
    let data = r#"{"m": [0.5, -0.2, 1.0], "Y": [[1, 0, 2], [0.3, -1, 0.8], [0, 0.4, 1.1], [1.5, 0.2, 0.1]],
                  "S": [[1, 0.3, 0], [0.3, 2, 0.1], [0, 0.1, 0.7]], "n": [3, 0, 5]}"#;
    let cm = crate::density::compile(src, data);
    let theta = [0.2, -0.3, 0.1, 0.4, -0.2, 0.3, 0.5];
    let mut ws = cm.workspace();
    let mut g = vec![0.0; theta.len()];
    let lp = cm.log_density_and_gradient(&mut ws, &theta, &mut g);
    assert!(lp.is_finite(), "{lp}");
    for j in 0..theta.len() {
        let mut at = |d: f64| {
            let mut t = theta;
            t[j] += d;
            let mut gg = vec![0.0; theta.len()];
            cm.log_density_and_gradient(&mut ws, &t, &mut gg)
        };
        let h = 1e-6;
        let fd = (at(h) - at(-h)) / (2.0 * h);
        assert!(
            (g[j] - fd).abs() < 1e-5 * fd.abs().max(1.0),
            "entry {j}: {} vs {fd}",
            g[j]
        );
    }
}
