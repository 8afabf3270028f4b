//! `cholesky_factor_cov[M, N]` with M ≥ N: the lower-trapezoidal factor
//! (the first N rows lower triangular with a positive diagonal, the other
//! M − N rows free). Round trips, the log-Jacobian against a
//! finite-difference Jacobian, the reverse rule against dual numbers, the
//! layout and the diagnostics through the CLI, and a fit of a posterior
//! known in closed form.

#![allow(clippy::needless_range_loop)]

use crate::density::{compile, try_compile};
use crate::structured_types::reverse_by_duals;
use crate::transform::log_abs_det;
use rand::RngExt;
use std::process::Command;
use vippl::infer::Target;
use vippl::random::stream;
use vippl::transform::{Transform, constrain, constrain_vjp, free_dim, unconstrain};

/// The shapes tried: tall ones and square ones (M = N).
const SHAPES: [(usize, usize); 8] = [
    (2, 1),
    (4, 1),
    (3, 2),
    (5, 2),
    (5, 3),
    (7, 4),
    (3, 3),
    (1, 1),
];

/// The transform the layout gives an M×N factor.
fn factor(rows: usize, cols: usize) -> Transform {
    if rows == cols {
        Transform::CholeskyCov
    } else {
        Transform::CholeskyCovTall { cols }
    }
}

fn random_u(rng: &mut vippl::random::VRng, m: usize, scale: f64) -> Vec<f64> {
    (0..m).map(|_| rng.random_range(-scale..scale)).collect()
}

/// The entries that are not structural zeros, row by row: (i, j) with
/// j ≤ min(i, N − 1).
fn free_entries(x: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut v = Vec::new();
    for i in 0..rows {
        for j in 0..cols.min(i + 1) {
            v.push(x[i * cols + j]);
        }
    }
    v
}

#[test]
fn the_factor_round_trips_holds_its_shape_and_has_the_finite_difference_jacobian() {
    let mut rng = stream(17, &[1]);
    for (rows, cols) in SHAPES {
        let t = factor(rows, cols);
        let n = rows * cols;
        let m = free_dim(t, n);
        assert_eq!(
            m,
            cols * (cols + 1) / 2 + (rows - cols) * cols,
            "{rows}×{cols}"
        );
        let u = random_u(&mut rng, m, 1.3);
        let mut x = vec![f64::NAN; n];
        let lj = constrain(t, &u, &[], &[], &mut x);
        // Lower trapezoidal, positive diagonal, log-Jacobian Σ u of the diagonal.
        let mut diagonal_sum = 0.0;
        for i in 0..cols {
            assert!(x[i * cols + i] > 0.0);
            assert!((i + 1..cols).all(|j| x[i * cols + j] == 0.0), "{x:?}");
            diagonal_sum += x[i * cols + i].ln();
        }
        assert!((lj - diagonal_sum).abs() < 1e-12, "{lj} vs {diagonal_sum}");
        // The rows below the square block are the free coordinates themselves.
        let below = cols * (cols + 1) / 2;
        assert_eq!(&x[cols * cols..], &u[below..]);
        let mut back = vec![f64::NAN; m];
        unconstrain(t, &x, &[], &[], &mut back).unwrap();
        for (a, b) in u.iter().zip(&back) {
            assert!((a - b).abs() < 1e-12, "{rows}×{cols}: {u:?} {back:?}");
        }
        // log |det J| of u -> the entries that are not structural zeros.
        let h = 1e-6;
        let mut jacobian = vec![vec![0.0; m]; m];
        for j in 0..m {
            let (mut up, mut um) = (u.clone(), u.clone());
            up[j] += h;
            um[j] -= h;
            let (mut xp, mut xm) = (vec![0.0; n], vec![0.0; n]);
            constrain(t, &up, &[], &[], &mut xp);
            constrain(t, &um, &[], &[], &mut xm);
            let (fp, fm) = (free_entries(&xp, rows, cols), free_entries(&xm, rows, cols));
            assert_eq!(fp.len(), m);
            for i in 0..m {
                jacobian[i][j] = (fp[i] - fm[i]) / (2.0 * h);
            }
        }
        let want = log_abs_det(jacobian);
        assert!(
            (lj - want).abs() < 1e-6 * want.abs().max(1.0),
            "{rows}×{cols}: log|J| {lj}, finite differences {want}"
        );
    }
}

#[test]
fn the_tall_form_with_as_many_rows_as_columns_is_the_square_form() {
    let mut rng = stream(17, &[2]);
    for k in 1..=4 {
        let n = k * k;
        let square = Transform::CholeskyCov;
        let tall = Transform::CholeskyCovTall { cols: k };
        assert_eq!(free_dim(square, n), free_dim(tall, n));
        let u = random_u(&mut rng, free_dim(square, n), 1.0);
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        assert_eq!(
            constrain(square, &u, &[], &[], &mut a),
            constrain(tall, &u, &[], &[], &mut b)
        );
        assert_eq!(a, b);
    }
}

#[test]
fn values_that_are_not_factors_are_rejected_with_the_entry() {
    let t = Transform::CholeskyCovTall { cols: 2 };
    let mut u = vec![0.0; 5];
    // 3×2, row-major.
    let upper = [1.0, 0.5, 0.2, 1.0, 3.0, 4.0];
    let e = unconstrain(t, &upper, &[], &[], &mut u).unwrap_err();
    assert!(
        e.contains("lower triangular") && e.contains("[1, 2]"),
        "{e}"
    );
    let negative = [1.0, 0.0, 0.2, -1.0, 3.0, 4.0];
    let e = unconstrain(t, &negative, &[], &[], &mut u).unwrap_err();
    assert!(
        e.contains("positive diagonal") && e.contains("[2, 2]"),
        "{e}"
    );
    let not_finite = [1.0, 0.0, 0.2, 1.0, 3.0, f64::NAN];
    let e = unconstrain(t, &not_finite, &[], &[], &mut u).unwrap_err();
    assert!(e.contains("[3, 2]"), "{e}");
    // The free rows take any finite value.
    let fine = [1.0, 0.0, 0.2, 2.0, -30.0, 4.0];
    unconstrain(t, &fine, &[], &[], &mut u).unwrap();
    assert_eq!(u, [0.0, 0.2, 2f64.ln(), -30.0, 4.0]);
}

#[test]
fn the_reverse_rule_matches_dual_sweeps_and_finite_differences() {
    let mut rng = stream(17, &[3]);
    let mut scratch = Vec::new();
    for (rows, cols) in SHAPES {
        let t = factor(rows, cols);
        let n = rows * cols;
        let m = free_dim(t, n);
        let u = random_u(&mut rng, m, 1.5);
        let w = random_u(&mut rng, n, 1.0);
        let c = 0.7;
        // The rule adds to what is there.
        let start = random_u(&mut rng, m, 1.0);
        let mut adj_u = start.clone();
        constrain_vjp(
            t,
            &u,
            &[],
            &[],
            &w,
            c,
            &mut adj_u,
            &mut [],
            &mut [],
            &mut scratch,
        );
        let want = reverse_by_duals(t, &u, &w, c);
        let objective = |u: &[f64]| {
            let mut x = vec![0.0; n];
            let lj = constrain(t, u, &[], &[], &mut x);
            c * lj + x.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>()
        };
        for j in 0..m {
            let got = adj_u[j] - start[j];
            assert!(
                (got - want[j]).abs() <= 1e-12 * want[j].abs().max(1.0),
                "{rows}×{cols}, u[{j}]: {got} vs duals {}",
                want[j]
            );
            let h = 1e-6;
            let (mut up, mut um) = (u.clone(), u.clone());
            up[j] += h;
            um[j] -= h;
            let fd = (objective(&up) - objective(&um)) / (2.0 * h);
            assert!(
                (got - fd).abs() <= 1e-6 * fd.abs().max(1.0),
                "{rows}×{cols}, u[{j}]: {got} vs finite differences {fd}"
            );
        }
    }
}

#[test]
fn the_factor_is_a_matrix_in_the_language() {
    // L (3×2) = [[e^a, 0], [b, e^c], [d, f]] with u = (a, b, c, d, f), a
    // standard normal prior on every entry written on the constrained
    // scale and on z: the density is the normal densities plus a + c.
    let src = "param L: cholesky_factor_cov[3, 2]\nparam z: real[2]\n\
let S = multiply_lower_tri_self_transpose(L)\nlet v = L * z\n\
L[1, 1] ~ normal(0, 1)\nL[2, 1] ~ normal(0, 1)\nL[2, 2] ~ normal(0, 1)\n\
L[3, 1] ~ normal(0, 1)\nL[3, 2] ~ normal(0, 1)\nz ~ normal(0, 1)\n\
target += 0 * (sum(S) + sum(v))\n";
    let cm = compile(src, "{}");
    assert_eq!(cm.dim(), 5 + 2);
    let mut ws = cm.workspace();
    let u: [f64; 7] = [0.3, -0.4, -0.2, 1.1, 0.5, 0.25, -0.75];
    let mut g = vec![0.0; 7];
    let lp = cm.log_density_and_gradient(&mut ws, &u, &mut g);
    let entries = [u[0].exp(), u[1], u[2].exp(), u[3], u[4], u[5], u[6]];
    let log_normal = |v: f64| -0.5 * v * v - 0.5 * (2.0 * std::f64::consts::PI).ln();
    let want: f64 = entries.iter().map(|&v| log_normal(v)).sum::<f64>() + u[0] + u[2];
    assert!((lp - want).abs() < 1e-10, "{lp} vs {want}");
    // d/du of −e^{2u}/2 + u is 1 − e^{2u}; of −v²/2 is −v.
    let grad = [
        1.0 - (2.0 * u[0]).exp(),
        -u[1],
        1.0 - (2.0 * u[2]).exp(),
        -u[3],
        -u[4],
        -u[5],
        -u[6],
    ];
    for j in 0..7 {
        assert!(
            (g[j] - grad[j]).abs() < 1e-10,
            "d/du{j}: {} vs {}",
            g[j],
            grad[j]
        );
    }
    // One size for every other special type.
    let e = try_compile("param w: simplex[3, 2]\n", "{}").unwrap_err();
    assert!(e.contains("`simplex` takes one size"), "{e}");
    let e = try_compile("param L: cholesky_factor_cov[3, 2.5]\n", "{}").unwrap_err();
    assert!(e.contains("size"), "{e}");
}

#[test]
fn the_stan_declaration_gets_the_vippl_spelling() {
    let e = try_compile("parameters {\n  cholesky_factor_cov[4, 2] L;\n}\n", "{}").unwrap_err();
    assert!(
        e.contains("write `param L: cholesky_factor_cov[4, 2]`"),
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

#[test]
fn check_shows_the_count_and_rejects_fewer_rows_than_columns() {
    let d = crate::cli::scratch("cholesky-tall");
    std::fs::write(
        d.join("m.vi"),
        "data M: int\ndata N: int\nparam L: cholesky_factor_cov[M, N]\n\
         to_vector(L) ~ normal(0, 1)\n",
    )
    .unwrap();
    std::fs::write(d.join("tall.json"), r#"{"M": 5, "N": 3}"#).unwrap();
    std::fs::write(d.join("wide.json"), r#"{"M": 2, "N": 3}"#).unwrap();
    let (code, out, err) = vippl(&["check", "m.vi"], &d);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("N*(N+1)/2 + (M-N)*N"), "{out}");
    let (code, out, err) = vippl(&["check", "m.vi", "--data", "tall.json"], &d);
    assert_eq!(code, 0, "{err}");
    // 3·4/2 + 2·3 = 12.
    assert!(
        out.contains("total dimension: 12 (N*(N+1)/2 + (M-N)*N)"),
        "{out}"
    );
    let (code, _, err) = vippl(&["check", "m.vi", "--data", "wide.json"], &d);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("needs M >= N") && err.contains("M = 2") && err.contains("N = 3"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// L: cholesky_factor_cov[3, 2] whose every free entry has its own prior
/// on the constrained scale: the posterior is those priors. The diagonal
/// is lognormal(0, 0.5) (mean e^{σ²/2}, variance (e^{σ²} − 1) e^{σ²}),
/// the rest normal; the structural zero L[1, 2] stays 0; every density
/// is normalised, so the evidence is 1.
#[test]
fn a_tall_factor_fits_its_known_posterior() {
    let dir = crate::cli::scratch("cholesky-tall-fit");
    let model = crate::cli::write(
        &dir,
        "l.vi",
        "param L: cholesky_factor_cov[3, 2]\n\
L[1, 1] ~ lognormal(0, 0.5)\nL[2, 2] ~ lognormal(0, 0.5)\n\
L[2, 1] ~ normal(0, 1)\nL[3, 1] ~ normal(1, 2)\nL[3, 2] ~ normal(-1, 0.5)\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(["infer", &model, "--seed", "23", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s2 = 0.25f64;
    let (ln_mean, ln_sd) = ((s2 / 2.0).exp(), ((s2.exp() - 1.0) * s2.exp()).sqrt());
    // Excess kurtosis of the lognormal: the standard error of a sample sd
    // is sd √((κ + 2)/(4n)).
    let ln_kurtosis = (4.0 * s2).exp() + 2.0 * (3.0 * s2).exp() + 3.0 * (2.0 * s2).exp() - 6.0;
    let marginals = [
        ("L[1,1]", ln_mean, ln_sd, ln_kurtosis),
        ("L[2,2]", ln_mean, ln_sd, ln_kurtosis),
        ("L[2,1]", 0.0, 1.0, 0.0),
        ("L[3,1]", 1.0, 2.0, 0.0),
        ("L[3,2]", -1.0, 0.5, 0.0),
    ];
    // 1000 draws: 4 Monte Carlo standard errors, plus twice the stopping
    // rule's 0.05 posterior sds.
    let n = 1000.0f64;
    for (name, mean, sd, kurtosis) in marginals {
        let q = &v["parameters"][name];
        let (got_mean, got_sd) = (q["mean"].as_f64().unwrap(), q["sd"].as_f64().unwrap());
        assert!(
            (got_mean - mean).abs() < 4.0 * sd / n.sqrt() + 0.1 * sd,
            "{name} mean {got_mean}, want {mean}"
        );
        let sd_se = sd * ((kurtosis + 2.0) / (4.0 * n)).sqrt();
        assert!(
            (got_sd - sd).abs() < 4.0 * sd_se + 0.1 * sd,
            "{name} sd {got_sd}, want {sd}"
        );
    }
    let zero = &v["parameters"]["L[1,2]"];
    assert_eq!(zero["mean"].as_f64(), Some(0.0), "{zero}");
    let d = &v["diagnostics"];
    let (le, se) = (
        d["log_evidence"].as_f64().unwrap(),
        d["log_evidence_se"].as_f64().unwrap(),
    );
    assert!(
        le.abs() <= 4.0 * se + 1e-12,
        "log evidence {le} ± {se}, want 0"
    );
}
