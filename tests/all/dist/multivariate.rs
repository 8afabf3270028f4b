//! Multivariate distributions: values against SciPy and closed forms,
//! derivatives against finite differences, and the error messages.

use super::{num, nums, reference};
use num_dual::Dual64;
use vippl::dist::categorical::Categorical;
use vippl::dist::categorical_logit::CategoricalLogit;
use vippl::dist::dirichlet::Dirichlet;
use vippl::dist::lkj_corr_cholesky::LkjCorrCholesky;
use vippl::dist::multi_normal::MultiNormal;
use vippl::dist::multi_normal_cholesky::MultiNormalCholesky;
use vippl::dist::{DistId, Multivariate, View};
use vippl::transform::{Transform, constrain};

fn flat(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .flat_map(|r| if r.is_array() { nums(r) } else { vec![num(r)] })
        .collect()
}

fn close(got: f64, want: f64, rtol: f64) -> bool {
    (got - want).abs() <= rtol * want.abs().max(1.0)
}

/// A y / mu view: a vector for one row, a matrix for several.
fn view(data: &[f64], rows: usize, k: usize) -> View<'_, f64> {
    if rows == 1 {
        View::vector(data)
    } else {
        View::matrix(data, rows, k)
    }
}

#[test]
fn every_multivariate_distribution_is_tested_here() {
    let tested = [
        "multi_normal",
        "multi_normal_cholesky",
        "dirichlet",
        "lkj_corr_cholesky",
        "categorical",
        "categorical_logit",
        "ordered_logistic",
        "multinomial",
        "multinomial_logit",
        "ordered_probit",
        "multi_student_t",
        "multi_normal_prec",
        "dirichlet_multinomial",
        "lkj_corr",
        "wishart",
        "inv_wishart",
        // against SciPy, duals and finite differences in tests/all/glm.rs
        "normal_id_glm",
        "bernoulli_logit_glm",
        "poisson_log_glm",
    ];
    let all: Vec<&str> = DistId::ALL
        .iter()
        .filter(|d| !d.is_univariate())
        .map(|d| d.name())
        .collect();
    assert_eq!(all.len(), tested.len());
    assert!(all.iter().all(|n| tested.contains(n)), "{all:?}");
}

#[test]
fn multi_normal_matches_scipy() {
    let cases = reference()["multivariate"]["multi_normal"]
        .as_array()
        .expect("cases");
    assert_eq!(cases.len(), 12);
    for c in cases {
        let sigma = flat(&c["Sigma"]);
        let l = flat(&c["L"]);
        let k = (sigma.len() as f64).sqrt() as usize;
        let (y, mu) = (flat(&c["y"]), flat(&c["mu"]));
        let (yr, mr) = (
            c["y_rows"].as_u64().expect("rows") as usize,
            c["mu_rows"].as_u64().expect("rows") as usize,
        );
        let want = num(&c["lp"]);
        let args = [
            view(&y, yr, k),
            view(&mu, mr, k),
            View::matrix(&sigma, k, k),
        ];
        let got = MultiNormal::lpdf(&args).expect("valid");
        assert!(
            close(got, want, 1e-12),
            "multi_normal k={k} rows={yr}: {got} vs {want}"
        );
        let args = [view(&y, yr, k), view(&mu, mr, k), View::matrix(&l, k, k)];
        let got = MultiNormalCholesky::lpdf(&args).expect("valid");
        assert!(
            close(got, want, 1e-12),
            "multi_normal_cholesky k={k} rows={yr}: {got} vs {want}"
        );
    }
}

/// The gradient in Sigma through the generic Cholesky: compare with the
/// closed form −½ (Σ⁻¹ − Σ⁻¹ r rᵀ Σ⁻¹) for one 2×2 case, perturbing Σ
/// symmetrically (both off-diagonal entries), and in mu with Σ⁻¹ r.
#[test]
fn multi_normal_derivatives() {
    let s = [2.0, 0.6, 0.6, 1.0];
    let (y, mu) = ([0.3, -1.2], [0.1, 0.4]);
    let det = s[0] * s[3] - s[1] * s[2];
    let inv = [s[3] / det, -s[1] / det, -s[2] / det, s[0] / det];
    let r = [y[0] - mu[0], y[1] - mu[1]];
    let ir = [inv[0] * r[0] + inv[1] * r[1], inv[2] * r[0] + inv[3] * r[1]];
    let lift = |v: &[f64]| v.iter().map(|&a| Dual64::from(a)).collect::<Vec<_>>();
    let eval = |sd: &[Dual64], md: &[Dual64]| {
        let yd = lift(&y);
        MultiNormal::lpdf(&[View::vector(&yd), View::vector(md), View::matrix(sd, 2, 2)])
            .expect("valid")
            .eps
    };
    // d/dmu = Σ⁻¹ r
    for i in 0..2 {
        let mut md = lift(&mu);
        md[i].eps = 1.0;
        assert!((eval(&lift(&s), &md) - ir[i]).abs() < 1e-13);
    }
    // dΣ_00: −½ (inv00 − ir0²); symmetric dΣ_01 = dΣ_10 = 1: −(inv01 − ir0 ir1).
    let mut sd = lift(&s);
    sd[0].eps = 1.0;
    assert!((eval(&sd, &lift(&mu)) + 0.5 * (inv[0] - ir[0] * ir[0])).abs() < 1e-13);
    let mut sd = lift(&s);
    sd[1].eps = 1.0;
    sd[2].eps = 1.0;
    assert!((eval(&sd, &lift(&mu)) + (inv[1] - ir[0] * ir[1])).abs() < 1e-13);
}

#[test]
fn multi_normal_errors() {
    let y = [0.0, 0.0];
    let mu = [0.0, 0.0];
    let e = |s: &[f64]| {
        MultiNormal::lpdf(&[View::vector(&y), View::vector(&mu), View::matrix(s, 2, 2)])
            .unwrap_err()
    };
    assert!(e(&[1.0, 2.0, 2.0, 1.0]).contains("positive-definite"));
    assert!(e(&[1.0, 0.5, 0.4, 1.0]).contains("symmetric"));
    let bad_mu = [0.0; 3];
    let err = MultiNormal::lpdf(&[
        View::vector(&y),
        View::vector(&bad_mu),
        View::matrix(&[1.0, 0.0, 0.0, 1.0], 2, 2),
    ])
    .unwrap_err();
    assert!(err.contains("mu has 3 elements, expected 2"), "{err}");
    let e = |l: &[f64]| {
        MultiNormalCholesky::lpdf(&[View::vector(&y), View::vector(&mu), View::matrix(l, 2, 2)])
            .unwrap_err()
    };
    assert!(e(&[1.0, 0.3, 0.0, 1.0]).contains("lower-triangular"));
    assert!(e(&[1.0, 0.0, 0.3, -1.0]).contains("positive diagonal"));
    let ys = [0.0; 6];
    let mus = [0.0; 4];
    let err = MultiNormalCholesky::lpdf(&[
        View::matrix(&ys, 3, 2),
        View::matrix(&mus, 2, 2),
        View::matrix(&[1.0, 0.0, 0.0, 1.0], 2, 2),
    ])
    .unwrap_err();
    assert!(err.contains("mu has 2 rows but y has 3"), "{err}");
}

#[test]
fn dirichlet_matches_scipy() {
    for c in reference()["multivariate"]["dirichlet"]
        .as_array()
        .expect("cases")
    {
        let (theta, alpha) = (nums(&c["theta"]), nums(&c["alpha"]));
        let got = Dirichlet::lpdf(&[View::vector(&theta), View::vector(&alpha)]).expect("valid");
        let want = num(&c["lp"]);
        assert!(
            close(got, want, 1e-12),
            "dirichlet {alpha:?}: {got} vs {want}"
        );
    }
    // Derivative in alpha_1: ψ(Σα) − ψ(α_1) + log θ_1.
    let theta = [0.2, 0.3, 0.5];
    let alpha = [Dual64::new(1.5, 1.0), Dual64::from(2.0), Dual64::from(0.7)];
    let td: Vec<Dual64> = theta.iter().map(|&t| Dual64::from(t)).collect();
    let d = Dirichlet::lpdf(&[View::vector(&td), View::vector(&alpha)])
        .expect("valid")
        .eps;
    let want = vippl::scalar::digamma(4.2) - vippl::scalar::digamma(1.5) + 0.2f64.ln();
    assert!((d - want).abs() < 1e-13);
    // A zero entry with alpha = 1 contributes 0^0 = 1.
    let lp =
        Dirichlet::lpdf(&[View::vector(&[0.0, 1.0]), View::vector(&[1.0, 2.0])]).expect("valid");
    assert!((lp - 2f64.ln()).abs() < 1e-14);
    let e =
        |t: &[f64], a: &[f64]| Dirichlet::lpdf(&[View::vector(t), View::vector(a)]).unwrap_err();
    assert!(e(&[0.5, 0.6], &[1.0, 1.0]).contains("sum to 1.1"));
    assert!(e(&[1.5, -0.5], &[1.0, 1.0]).contains("negative"));
    assert!(e(&[0.5, 0.5], &[1.0, 0.0]).contains("alpha must be positive"));
    assert!(e(&[0.5, 0.5], &[1.0, 1.0, 1.0]).contains("theta has 2 elements, expected 3"));
}

#[test]
fn categorical_both_forms() {
    let m = &reference()["multivariate"];
    for c in m["categorical"].as_array().expect("cases") {
        let (y, theta) = (nums(&c["y"]), nums(&c["theta"]));
        let got = Categorical::lpdf(&[View::vector(&y), View::vector(&theta)]).expect("valid");
        assert!(close(got, num(&c["lp"]), 1e-14), "categorical {y:?}");
    }
    for c in m["categorical_logit"].as_array().expect("cases") {
        let (y, beta) = (nums(&c["y"]), nums(&c["beta"]));
        let got = CategoricalLogit::lpdf(&[View::vector(&y), View::vector(&beta)]).expect("valid");
        assert!(close(got, num(&c["lp"]), 1e-14), "categorical_logit {y:?}");
        // Same outcomes through softmax probabilities.
        let lse = vippl::scalar::log_sum_exp_slice(&beta);
        let theta: Vec<f64> = beta.iter().map(|b| (b - lse).exp()).collect();
        let via = Categorical::lpdf(&[View::vector(&y), View::vector(&theta)]).expect("valid");
        assert!(close(via, got, 1e-13));
    }
    let theta = [0.2, 0.5, 0.3];
    let e = |y: &[f64]| Categorical::lpdf(&[View::vector(y), View::vector(&theta)]).unwrap_err();
    assert!(e(&[0.0]).contains("outcome y = 0 is not in 1..3"));
    assert!(e(&[4.0]).contains("not in 1..3"));
    assert!(e(&[1.5]).contains("not in 1..3"));
    assert!(
        Categorical::lpdf(&[View::vector(&[1.0]), View::vector(&[0.2, 0.5])])
            .unwrap_err()
            .contains("simplex")
    );
    assert!(
        CategoricalLogit::lpdf(&[View::vector(&[3.0]), View::vector(&[0.2, 0.5])])
            .unwrap_err()
            .contains("not in 1..2")
    );
}

fn lkj(l: &[f64], k: usize, eta: f64) -> f64 {
    LkjCorrCholesky::lpdf(&[View::matrix(l, k, k), View::vector(&[eta])]).expect("valid")
}

/// K = 2: L = [[1, 0], [r, √(1−r²)]] and the density of r is
/// (1 − r²)^(η−1) / (2^(2η−1) B(η, η)).
#[test]
fn lkj_k2_closed_form() {
    for eta in [0.5, 1.0, 2.0, 7.5] {
        for r in [-0.9, -0.3, 0.0, 0.45, 0.99] {
            let l = [1.0, 0.0, r, (1.0f64 - r * r).sqrt()];
            let want = (eta - 1.0) * (1.0 - r * r).ln()
                - (2.0 * eta - 1.0) * 2f64.ln()
                - vippl::scalar::lbeta(eta, eta);
            let got = lkj(&l, 2, eta);
            assert!(
                (got - want).abs() < 1e-12,
                "eta={eta} r={r}: {got} vs {want}"
            );
        }
    }
}

/// K = 3: the density of L is the density det(Ω)^(η−1) / c₃(η) of the
/// correlation matrix Ω = L Lᵀ times |∂Ω/∂L| over the free (strictly
/// lower) entries, here by finite differences. c₃(1) = π²/2 (the volume of
/// the 3×3 correlation matrices); c₃(2) by a midpoint rule over the cube of
/// (r12, r13, r23): the integrand det(Ω) vanishes continuously on the
/// boundary, so the rule converges at O(h²) (200 points: ~1e-4).
#[test]
fn lkj_k3_against_the_correlation_matrix_density() {
    let det = |a: f64, b: f64, c: f64| 1.0 + 2.0 * a * b * c - a * a - b * b - c * c;
    let n = 200;
    let h = 2.0 / n as f64;
    let mut c2 = 0.0;
    for i in 0..n {
        let a = -1.0 + (i as f64 + 0.5) * h;
        for j in 0..n {
            let b = -1.0 + (j as f64 + 0.5) * h;
            for m in 0..n {
                let c = -1.0 + (m as f64 + 0.5) * h;
                c2 += det(a, b, c).max(0.0);
            }
        }
    }
    c2 *= h * h * h;
    let pi2 = std::f64::consts::PI.powi(2);
    for (eta, log_c, tol) in [(1.0, (pi2 / 2.0).ln(), 1e-12), (2.0, f64::ln(c2), 1e-3f64)] {
        for u in [[0.3, -0.5, 0.8], [-1.2, 0.1, 0.4]] {
            let mut l = [0.0; 9];
            constrain(Transform::CorrCholesky, &u, &[], &[], &mut l);
            let omega = |l: &[f64; 9]| {
                let o =
                    |i: usize, j: usize| (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum::<f64>();
                [o(1, 0), o(2, 0), o(2, 1)]
            };
            // Jacobian of (L10, L20, L21) ↦ (Ω10, Ω20, Ω21), diagonals implied.
            let free = [3, 6, 7];
            let mut jac = [[0.0; 3]; 3];
            for (col, &idx) in free.iter().enumerate() {
                let step = 1e-7;
                let complete = |mut m: [f64; 9]| {
                    m[4] = (1.0 - m[3] * m[3]).sqrt();
                    m[8] = (1.0 - m[6] * m[6] - m[7] * m[7]).sqrt();
                    m
                };
                let (mut p, mut q) = (l, l);
                p[idx] += step;
                q[idx] -= step;
                let (op, oq) = (omega(&complete(p)), omega(&complete(q)));
                for row in 0..3 {
                    jac[row][col] = (op[row] - oq[row]) / (2.0 * step);
                }
            }
            let jdet = jac[0][0] * (jac[1][1] * jac[2][2] - jac[1][2] * jac[2][1])
                - jac[0][1] * (jac[1][0] * jac[2][2] - jac[1][2] * jac[2][0])
                + jac[0][2] * (jac[1][0] * jac[2][1] - jac[1][1] * jac[2][0]);
            let o = omega(&l);
            let want = (eta - 1.0) * det(o[0], o[1], o[2]).ln() - log_c + jdet.abs().ln();
            let got = lkj(&l, 3, eta);
            let tol = tol.max(1e-7);
            assert!(
                (got - want).abs() < tol,
                "eta={eta} u={u:?}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn lkj_errors_and_derivative() {
    let e = |l: &[f64], k| {
        LkjCorrCholesky::lpdf(&[View::matrix(l, k, k), View::vector(&[1.5])]).unwrap_err()
    };
    assert!(e(&[1.0, 0.0, 0.5, 0.5], 2).contains("row 2 has squared length 0.5"));
    assert!(e(&[1.0, 0.2, 0.0, 1.0], 2).contains("lower-triangular"));
    let rect = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    let err =
        LkjCorrCholesky::lpdf(&[View::matrix(&rect, 2, 3), View::vector(&[1.5])]).unwrap_err();
    assert!(err.contains("L must be square, got 2 x 3"), "{err}");
    // d/deta by finite differences.
    let mut l = [0.0; 16];
    constrain(
        Transform::CorrCholesky,
        &[0.3, -0.5, 0.8, 0.1, 0.2, -0.9],
        &[],
        &[],
        &mut l,
    );
    let ld: Vec<Dual64> = l.iter().map(|&v| Dual64::from(v)).collect();
    let g = LkjCorrCholesky::lpdf(&[
        View::matrix(&ld, 4, 4),
        View::vector(&[Dual64::new(1.7, 1.0)]),
    ])
    .expect("valid")
    .eps;
    let h = 1e-6;
    let fd = (lkj(&l, 4, 1.7 + h) - lkj(&l, 4, 1.7 - h)) / (2.0 * h);
    assert!((g - fd).abs() < 1e-7 * fd.abs().max(1.0), "{g} vs {fd}");
    assert_eq!(lkj(&[1.0], 1, 3.0), 0.0);
}

// ---- hand-written gradients against dual numbers

fn uniform_values(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = vippl::random::stream(seed, &[n as u64]);
    (0..n)
        .map(|_| rand::RngExt::random::<f64>(&mut rng) * 2.0 - 1.0)
        .collect()
}

/// B Bᵀ + k I for a random B, and its lower Cholesky factor.
fn spd(k: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let b = uniform_values(k * k, seed);
    let mut a = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            a[i * k + j] = (0..k).map(|q| b[i * k + q] * b[j * k + q]).sum();
        }
        a[i * k + i] += k as f64;
    }
    let mut l = vec![0.0; k * k];
    vippl::scalar::linalg::cholesky_lower(&a, &mut l, k).unwrap();
    (a, l)
}

/// Compares `D`'s hand-written partials with the dual-number ones.
fn compare<D: Multivariate>(args: &[View<'_, f64>]) {
    let mut hand: Vec<Vec<f64>> = args.iter().map(|a| vec![0.0; a.len()]).collect();
    let mut duals = hand.clone();
    let mut g: Vec<Option<&mut [f64]>> = hand.iter_mut().map(|v| Some(&mut v[..])).collect();
    let mut scratch = Vec::new();
    let v1 = D::lpdf_gradient(args, &mut g, &mut scratch).unwrap();
    let mut g: Vec<Option<&mut [f64]>> = duals.iter_mut().map(|v| Some(&mut v[..])).collect();
    let v2 = vippl::dist::gradient_by_duals::<D, f64>(args, &mut g).unwrap();
    assert!((v1 - v2).abs() < 1e-12 * (1.0 + v2.abs()), "{v1} vs {v2}");
    for (h, d) in hand.iter().flatten().zip(duals.iter().flatten()) {
        assert!(
            (h - d).abs() < 1e-10 * (1.0 + d.abs()),
            "{hand:?}\nvs\n{duals:?}"
        );
    }
}

#[test]
fn hand_written_gradients_match_dual_numbers() {
    for k in 1..=6 {
        let (sigma, l) = spd(k, 3);
        let y = uniform_values(3 * k, 5);
        let mu = uniform_values(k, 6);
        let mu_rows = uniform_values(3 * k, 7);
        for mean in [&mu, &mu_rows] {
            let rows = mean.len() / k;
            let args = [
                View::matrix(&y, 3, k),
                View::matrix(mean, rows, if rows == 1 { 1 } else { k }),
                View::matrix(&l, k, k),
            ];
            let args_vec = if rows == 1 {
                [args[0], View::vector(mean), args[2]]
            } else {
                args
            };
            compare::<MultiNormalCholesky>(&args_vec);
            let with_sigma = [args_vec[0], args_vec[1], View::matrix(&sigma, k, k)];
            compare::<MultiNormal>(&with_sigma);
        }
        // A correlation factor: the rows of L scaled to unit length.
        let mut corr = l.clone();
        for i in 0..k {
            let norm = (0..=i).map(|j| l[i * k + j].powi(2)).sum::<f64>().sqrt();
            for j in 0..=i {
                corr[i * k + j] /= norm;
            }
        }
        let eta = [1.7];
        compare::<LkjCorrCholesky>(&[View::matrix(&corr, k, k), View::vector(&eta)]);
    }
}
