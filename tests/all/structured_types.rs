//! `cholesky_factor_cov`, `cov_matrix`, `corr_matrix`, `unit_vector` and
//! `sum_to_zero_vector`: round trips, the constraints, log-Jacobians
//! against finite-difference Jacobians on the standard free coordinates,
//! the reverse rule against dual numbers, the log density through the
//! engine, and a fit of a zero-sum vector's Gaussian posterior.

#![allow(clippy::needless_range_loop)]

use crate::density::{compile, try_compile};
use num_dual::Dual64;
use rand::RngExt;
use vippl::infer::Target;
use vippl::random::stream;
use vippl::transform::{Transform, constrain, constrain_vjp, free_dim, unconstrain};

const SQUARE: [Transform; 3] = [
    Transform::CholeskyCov,
    Transform::CovMatrix,
    Transform::CorrMatrix,
];

/// log |det A| by Gaussian elimination with partial pivoting.
fn log_abs_det(mut a: Vec<Vec<f64>>) -> f64 {
    let n = a.len();
    let mut s = 0.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap();
        a.swap(c, p);
        let piv = a[c][c];
        s += piv.abs().ln();
        for r in (c + 1)..n {
            let f = a[r][c] / piv;
            for k in c..n {
                a[r][k] -= f * a[c][k];
            }
        }
    }
    s
}

/// The entries that determine x: the lower triangle (with the diagonal
/// for covariances and their factors, without it for correlations).
fn free_coords(t: Transform, x: &[f64], k: usize) -> Vec<f64> {
    let strict = t == Transform::CorrMatrix;
    let mut v = Vec::new();
    for i in 0..k {
        for j in 0..=i {
            if !(strict && i == j) {
                v.push(x[i * k + j]);
            }
        }
    }
    v
}

/// The reverse rule of an unbounded transform: adds to `au` the gradient
/// in u of Σ w·x + c·log|J|.
fn vjp<S: vippl::scalar::Scalar>(
    t: Transform,
    u: &[S],
    w: &[S],
    c: S,
    au: &mut [S],
    scratch: &mut Vec<S>,
) {
    constrain_vjp(t, u, &[], &[], w, c, au, &mut [], &mut [], scratch);
}

fn random_u(rng: &mut vippl::random::VRng, m: usize, scale: f64) -> Vec<f64> {
    (0..m).map(|_| rng.random_range(-scale..scale)).collect()
}

#[test]
fn matrices_round_trip_hold_their_constraint_and_have_the_finite_difference_jacobian() {
    let mut rng = stream(5, &[1]);
    for t in SQUARE {
        for k in 1..=4 {
            let n = k * k;
            let m = free_dim(t, n);
            let want_m = if t == Transform::CorrMatrix {
                k * (k - 1) / 2
            } else {
                k * (k + 1) / 2
            };
            assert_eq!(m, want_m);
            let u = random_u(&mut rng, m, 1.2);
            let mut x = vec![0.0; n];
            let lj = constrain(t, &u, &[], &[], &mut x);
            // The constraint.
            for i in 0..k {
                match t {
                    Transform::CholeskyCov => {
                        assert!(x[i * k + i] > 0.0);
                        assert!((i + 1..k).all(|j| x[i * k + j] == 0.0));
                    }
                    _ => {
                        for j in 0..k {
                            assert_eq!(x[i * k + j], x[j * k + i], "{t:?} symmetric");
                        }
                        if t == Transform::CorrMatrix {
                            assert!((x[i * k + i] - 1.0).abs() < 1e-12);
                        }
                    }
                }
            }
            if t != Transform::CholeskyCov {
                let mut l = vec![0.0; n];
                vippl::scalar::linalg::cholesky_lower(&x, &mut l, k).expect("positive-definite");
            }
            // Round trip.
            let mut back = vec![f64::NAN; m];
            unconstrain(t, &x, &[], &[], &mut back).unwrap();
            for (a, b) in u.iter().zip(&back) {
                assert!((a - b).abs() < 1e-9, "{t:?} k={k}: {u:?} {back:?}");
            }
            if m == 0 {
                assert_eq!(lj, 0.0);
                continue;
            }
            // log |det J| of u -> free coordinates of x.
            let h = 1e-6;
            let mut jac = vec![vec![0.0; m]; m];
            for j in 0..m {
                let (mut up, mut um) = (u.clone(), u.clone());
                up[j] += h;
                um[j] -= h;
                let (mut xp, mut xm) = (vec![0.0; n], vec![0.0; n]);
                constrain(t, &up, &[], &[], &mut xp);
                constrain(t, &um, &[], &[], &mut xm);
                let (fp, fm) = (free_coords(t, &xp, k), free_coords(t, &xm, k));
                for i in 0..m {
                    jac[i][j] = (fp[i] - fm[i]) / (2.0 * h);
                }
            }
            let want = log_abs_det(jac);
            assert!(
                (lj - want).abs() < 1e-6 * want.abs().max(1.0),
                "{t:?} k={k}: log|J| {lj}, finite differences {want}"
            );
        }
    }
}

#[test]
fn unit_and_zero_sum_vectors() {
    let mut rng = stream(5, &[2]);
    for k in 1..=6 {
        // unit_vector: x = u/|u|, log-Jacobian term -|u|^2/2.
        let u = random_u(&mut rng, k, 2.0);
        let mut x = vec![0.0; k];
        let lj = constrain(Transform::UnitVector, &u, &[], &[], &mut x);
        let sq: f64 = u.iter().map(|v| v * v).sum();
        assert!((lj + 0.5 * sq).abs() < 1e-12);
        let norm: f64 = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-12);
        for i in 0..k {
            assert!((x[i] - u[i] / sq.sqrt()).abs() < 1e-12);
        }
        let mut back = vec![0.0; k];
        unconstrain(Transform::UnitVector, &x, &[], &[], &mut back).unwrap();
        assert_eq!(back, x, "a unit vector is its own free point");
        // sum_to_zero_vector: K − 1 free coordinates, sum 0, an isometry
        // (J'J = I, so log sqrt(det J'J) = 0), zero log-Jacobian.
        let m = free_dim(Transform::SumToZero, k);
        assert_eq!(m, k - 1);
        let u = random_u(&mut rng, m, 2.0);
        let lj = constrain(Transform::SumToZero, &u, &[], &[], &mut x);
        assert_eq!(lj, 0.0);
        assert!(x.iter().sum::<f64>().abs() < 1e-12);
        let x_sq: f64 = x.iter().map(|v| v * v).sum();
        let u_sq: f64 = u.iter().map(|v| v * v).sum();
        assert!((x_sq - u_sq).abs() < 1e-12, "isometry");
        let columns: Vec<Vec<f64>> = (0..m)
            .map(|j| {
                let mut e = vec![0.0; m];
                e[j] = 1.0;
                let mut c = vec![0.0; k];
                constrain(Transform::SumToZero, &e, &[], &[], &mut c);
                c
            })
            .collect();
        for a in 0..m {
            for b in 0..m {
                let dot: f64 = (0..k).map(|i| columns[a][i] * columns[b][i]).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-12, "J'J[{a},{b}] = {dot}");
            }
        }
        let mut back = vec![0.0; m];
        unconstrain(Transform::SumToZero, &x, &[], &[], &mut back).unwrap();
        for (a, b) in u.iter().zip(&back) {
            assert!((a - b).abs() < 1e-12);
        }
    }
    let mut u = [0.0; 3];
    let err = |t, x: &[f64], u: &mut [f64]| unconstrain(t, x, &[], &[], u).unwrap_err();
    assert!(err(Transform::UnitVector, &[1.0, 1.0, 0.0], &mut u).contains("length 1"));
    assert!(err(Transform::SumToZero, &[1.0, 1.0, 0.0], &mut u[..2]).contains("sums to 2"));
    assert!(err(Transform::CovMatrix, &[1.0, 2.0, 2.0, 1.0], &mut u).contains("positive-definite"));
    assert!(err(Transform::CovMatrix, &[1.0, 0.5, 0.2, 1.0], &mut u).contains("symmetric"));
    assert!(
        err(Transform::CorrMatrix, &[2.0, 0.0, 0.0, 1.0], &mut u[..1]).contains("unit diagonal")
    );
    assert!(
        err(Transform::CholeskyCov, &[1.0, 0.5, 0.0, 1.0], &mut u).contains("lower triangular")
    );
}

#[test]
fn the_reverse_rule_is_the_dual_number_derivative() {
    let mut rng = stream(5, &[3]);
    let cases = [
        (Transform::CholeskyCov, 9),
        (Transform::CovMatrix, 9),
        (Transform::CorrMatrix, 16),
        (Transform::UnitVector, 4),
        (Transform::SumToZero, 5),
    ];
    for (t, n) in cases {
        let m = free_dim(t, n);
        let u = random_u(&mut rng, m, 1.0);
        let w = random_u(&mut rng, n, 1.0);
        let c = 0.7;
        let mut au = vec![0.0; m];
        vjp(t, &u, &w, c, &mut au, &mut Vec::new());
        for j in 0..m {
            // Central differences of sum w x + c log|J|.
            let f = |v: &[f64]| {
                let mut x = vec![0.0; n];
                let lj = constrain(t, v, &[], &[], &mut x);
                c * lj + x.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>()
            };
            let h = 1e-6;
            let (mut up, mut um) = (u.clone(), u.clone());
            up[j] += h;
            um[j] -= h;
            let fd = (f(&up) - f(&um)) / (2.0 * h);
            assert!(
                (au[j] - fd).abs() < 1e-6 * fd.abs().max(1.0),
                "{t:?} u[{j}]: {} vs {fd}",
                au[j]
            );
            // And second order: the rule runs on duals too.
            let ud: Vec<Dual64> = u.iter().map(|&v| Dual64::from(v)).collect();
            let wd: Vec<Dual64> = w.iter().map(|&v| Dual64::from(v)).collect();
            let mut ad = vec![Dual64::from(0.0); m];
            vjp(t, &ud, &wd, Dual64::from(c), &mut ad, &mut Vec::new());
            assert!((ad[j].re - au[j]).abs() < 1e-12);
        }
    }
}

/// sum_i w_i dx_i/du_j + c dlog|J|/du_j by one forward dual sweep per
/// free coordinate through `constrain`.
pub fn reverse_by_duals(t: Transform, u: &[f64], w: &[f64], c: f64) -> Vec<f64> {
    let mut ud: Vec<Dual64> = u.iter().map(|&v| Dual64::from(v)).collect();
    let mut xd = vec![Dual64::from(0.0); w.len()];
    (0..u.len())
        .map(|j| {
            ud[j].eps = 1.0;
            let lj = constrain(t, &ud, &[], &[], &mut xd);
            ud[j].eps = 0.0;
            c * lj.eps + xd.iter().zip(w).map(|(x, a)| x.eps * a).sum::<f64>()
        })
        .collect()
}

#[test]
fn the_hand_written_reverse_rules_match_dual_sweeps_at_every_size() {
    let mut rng = stream(5, &[9]);
    // One scratch buffer for every call, as the engine keeps one.
    let mut scratch = Vec::new();
    for k in 1..=7 {
        for t in [
            Transform::CholeskyCov,
            Transform::CovMatrix,
            Transform::CorrMatrix,
            Transform::UnitVector,
            Transform::SumToZero,
        ] {
            let n = if SQUARE.contains(&t) { k * k } else { k + 1 };
            let m = free_dim(t, n);
            let u = random_u(&mut rng, m, 1.5);
            let w = random_u(&mut rng, n, 1.0);
            let c = -0.8;
            // The rule adds to what is there.
            let start = random_u(&mut rng, m, 1.0);
            let mut au = start.clone();
            vjp(t, &u, &w, c, &mut au, &mut scratch);
            let want = reverse_by_duals(t, &u, &w, c);
            for j in 0..m {
                let got = au[j] - start[j];
                assert!(
                    (got - want[j]).abs() <= 1e-10 * want[j].abs().max(1.0),
                    "{t:?} K = {k}, u[{j}]: {got} vs {}",
                    want[j]
                );
            }
        }
    }
}

#[test]
fn a_covariance_parameter_has_the_closed_form_density_and_gradient() {
    // y_n ~ multi_normal(0, S) written out, with a flat prior on S.
    let src = "data N: int\ndata y: real[N, 2]\nparam S: cov_matrix[2]\n\
for n in 1:N { y[n] ~ multi_normal([0, 0], S) }\n";
    let cm = compile(
        src,
        r#"{"N": 3, "y": [[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8]]}"#,
    );
    assert_eq!(cm.dim(), 3);
    let y = [[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8]];
    let density = |u: &[f64]| {
        // L = [[e^u0, 0], [u1, e^u2]], S = L L'.
        let (a, b, c) = (u[0].exp(), u[1], u[2].exp());
        let (s11, s21, s22) = (a * a, a * b, b * b + c * c);
        let det: f64 = s11 * s22 - s21 * s21;
        let mut lp = 0.0;
        for r in y {
            let q = (s22 * r[0] * r[0] - 2.0 * s21 * r[0] * r[1] + s11 * r[1] * r[1]) / det;
            lp += -(2.0 * std::f64::consts::PI).ln() - 0.5 * det.ln() - 0.5 * q;
        }
        // log-Jacobian: K log 2 + (K + 1) u0 + K u2 with K = 2.
        lp + 2.0 * std::f64::consts::LN_2 + 3.0 * u[0] + 2.0 * u[2]
    };
    let mut ws = cm.workspace();
    for u in [[0.1, 0.4, -0.3], [-0.5, -1.0, 0.2]] {
        let mut g = vec![0.0; 3];
        let lp = cm.log_density_and_gradient(&mut ws, &u, &mut g);
        assert!((lp - density(&u)).abs() < 1e-10, "{lp} vs {}", density(&u));
        for j in 0..3 {
            let h = 1e-6;
            let (mut up, mut um) = (u, u);
            up[j] += h;
            um[j] -= h;
            let fd = (density(&up) - density(&um)) / (2.0 * h);
            assert!(
                (g[j] - fd).abs() < 1e-6 * fd.abs().max(1.0),
                "d/du{j}: {} vs {fd}",
                g[j]
            );
        }
    }
}

#[test]
fn the_types_are_parameters_only_and_listed_in_the_layout() {
    let src = "param S: cov_matrix[3]\nparam O: corr_matrix[3]\nparam L: cholesky_factor_cov[3]\n\
param u: unit_vector[4]\nparam z: sum_to_zero_vector[4]\nz ~ normal(0, 1)\n";
    let cm = compile(src, "{}");
    assert_eq!(cm.dim(), 6 + 3 + 6 + 4 + 3);
    let e = try_compile("data S: cov_matrix[2]\n", "{}").unwrap_err();
    assert!(e.contains("`cov_matrix` is a parameter type"), "{e}");
    let e = try_compile("param z: sum_to_zero_vector[0]\n", "{}").unwrap_err();
    assert!(
        e.contains("a sum_to_zero_vector needs at least one element"),
        "{e}"
    );
}

/// z: sum_to_zero_vector[3] with z ~ normal(0, 1): z = V u with V's
/// columns orthonormal, so u ~ N(0, I_2) exactly, each z_i has variance
/// 1 − 1/3, and the evidence is ∫ (2π)^{-3/2} e^{−|u|²/2} du = (2π)^{-1/2}.
#[test]
fn a_zero_sum_vector_fits_its_gaussian_posterior() {
    let dir = crate::cli::scratch("sum-to-zero");
    let model = crate::cli::write(
        &dir,
        "z.vi",
        "param z: sum_to_zero_vector[3]\nz ~ normal(0, 1)\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(["infer", &model, "--seed", "11", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sd = (2.0f64 / 3.0).sqrt();
    // 1000 draws: 4 Monte Carlo standard errors, plus twice the stopping
    // rule's 0.05 posterior sds.
    let n = 1000.0f64;
    for i in 1..=3 {
        let q = &v["parameters"][format!("z[{i}]")];
        let (mean, s) = (q["mean"].as_f64().unwrap(), q["sd"].as_f64().unwrap());
        assert!(
            mean.abs() < 4.0 * sd / n.sqrt() + 0.1 * sd,
            "z[{i}] mean {mean}"
        );
        assert!(
            (s - sd).abs() < 4.0 * sd / (2.0 * n).sqrt() + 0.1 * sd,
            "z[{i}] sd {s}"
        );
    }
    let d = &v["diagnostics"];
    let (le, se) = (
        d["log_evidence"].as_f64().unwrap(),
        d["log_evidence_se"].as_f64().unwrap(),
    );
    let want = -0.5 * (2.0 * std::f64::consts::PI).ln();
    assert!(
        (le - want).abs() <= 4.0 * se + 1e-12,
        "log evidence {le} ± {se}, want {want}"
    );
}
