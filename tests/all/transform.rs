//! Transforms: round trips, log-Jacobians against finite-difference
//! Jacobians, the hand-written reverse pass against dual numbers, extreme
//! inputs and the messages of `unconstrain`.

// Index loops mirror the Jacobian's rows and columns.
#![allow(clippy::needless_range_loop)]

use num_dual::Dual64;
use rand::RngExt;
use vippl::random::{VRng, stream};
use vippl::transform::{Transform, constrain, constrain_vjp, free_dim, unconstrain};

const ALL: [Transform; 9] = [
    Transform::Identity,
    Transform::Lower,
    Transform::Upper,
    Transform::LowerUpper,
    Transform::Affine,
    Transform::Ordered,
    Transform::PositiveOrdered,
    Transform::Simplex,
    Transform::CorrCholesky,
];

/// Constrained sizes to try (K*K for corr_cholesky).
fn sizes(t: Transform) -> Vec<usize> {
    match t {
        Transform::CorrCholesky => vec![1, 4, 9, 16],
        Transform::Simplex => vec![1, 2, 3, 6],
        _ => vec![1, 3, 5],
    }
}

/// Bounds for a transform with n elements: (lb, ub), alternating between
/// broadcast and per-element forms.
fn bounds(t: Transform, n: usize, per_element: bool) -> (Vec<f64>, Vec<f64>) {
    let lb: Vec<f64> = (0..n).map(|i| -1.0 + 0.3 * i as f64).collect();
    let ub: Vec<f64> = (0..n).map(|i| 2.0 + 0.7 * i as f64).collect();
    let pick = |v: Vec<f64>| if per_element { v } else { vec![v[0]] };
    match t {
        Transform::Lower => (pick(lb), vec![]),
        Transform::Upper => (vec![], pick(ub)),
        // Offset and (positive) multiplier.
        Transform::LowerUpper | Transform::Affine => (pick(lb), pick(ub)),
        _ => (vec![], vec![]),
    }
}

fn random_u(rng: &mut VRng, m: usize, scale: f64) -> Vec<f64> {
    (0..m).map(|_| rng.random_range(-scale..scale)).collect()
}

/// The coordinates of x that determine it: all of x, the first K−1 of a
/// simplex, the strictly-lower entries of a Cholesky factor.
fn free_coords(t: Transform, x: &[f64]) -> Vec<f64> {
    match t {
        Transform::Simplex => x[..x.len() - 1].to_vec(),
        Transform::CorrCholesky => {
            let k = (x.len() as f64).sqrt().round() as usize;
            (0..k)
                .flat_map(|i| (0..i).map(move |j| (i, j)))
                .map(|(i, j)| x[i * k + j])
                .collect()
        }
        _ => x.to_vec(),
    }
}

/// log |det A| by Gaussian elimination with partial pivoting.
pub fn log_abs_det(mut a: Vec<Vec<f64>>) -> f64 {
    let n = a.len();
    let mut s = 0.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .expect("pivot");
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

#[test]
fn round_trip() {
    let mut rng = stream(1, &[1]);
    for t in ALL {
        for n in sizes(t) {
            for per_element in [false, true] {
                let (lb, ub) = bounds(t, n, per_element);
                let u = random_u(&mut rng, free_dim(t, n), 2.0);
                let mut x = vec![0.0; n];
                let lj = constrain(t, &u, &lb, &ub, &mut x);
                assert!(lj.is_finite(), "{t:?}");
                let mut back = vec![f64::NAN; u.len()];
                unconstrain(t, &x, &lb, &ub, &mut back)
                    .unwrap_or_else(|e| panic!("{t:?} n={n}: {e}"));
                for (a, b) in u.iter().zip(&back) {
                    assert!((a - b).abs() < 1e-9, "{t:?} n={n}: u {u:?} back {back:?}");
                }
            }
        }
    }
}

#[test]
fn log_jacobian_matches_finite_differences() {
    let mut rng = stream(1, &[2]);
    for t in ALL {
        for n in sizes(t) {
            let (lb, ub) = bounds(t, n, true);
            let m = free_dim(t, n);
            let u = random_u(&mut rng, m, 1.5);
            let mut x = vec![0.0; n];
            let lj = constrain(t, &u, &lb, &ub, &mut x);
            if m == 0 {
                assert_eq!(lj, 0.0);
                continue;
            }
            let h = 1e-6;
            let mut jac = vec![vec![0.0; m]; m];
            for j in 0..m {
                let (mut up, mut um) = (u.clone(), u.clone());
                up[j] += h;
                um[j] -= h;
                let (mut xp, mut xm) = (vec![0.0; n], vec![0.0; n]);
                constrain(t, &up, &lb, &ub, &mut xp);
                constrain(t, &um, &lb, &ub, &mut xm);
                let (fp, fm) = (free_coords(t, &xp), free_coords(t, &xm));
                assert_eq!(fp.len(), m);
                for i in 0..m {
                    jac[i][j] = (fp[i] - fm[i]) / (2.0 * h);
                }
            }
            let want = log_abs_det(jac);
            assert!(
                (lj - want).abs() < 1e-6 * want.abs().max(1.0),
                "{t:?} n={n}: log|J| {lj} but finite differences {want}"
            );
        }
    }
}

/// F(u, lb, ub) = Σ w_i x_i + c log|J| evaluated on duals.
fn weighted(
    t: Transform,
    u: &[Dual64],
    lb: &[Dual64],
    ub: &[Dual64],
    w: &[f64],
    c: f64,
    n: usize,
) -> Dual64 {
    let mut x = vec![Dual64::from(0.0); n];
    let lj = constrain(t, u, lb, ub, &mut x);
    x.iter().zip(w).fold(lj * c, |s, (xi, wi)| s + *xi * *wi)
}

#[test]
fn vjp_matches_dual_numbers() {
    let mut rng = stream(1, &[3]);
    for t in ALL {
        for n in sizes(t) {
            for per_element in [false, true] {
                let (lb, ub) = bounds(t, n, per_element);
                let m = free_dim(t, n);
                let u = random_u(&mut rng, m, 2.0);
                let w = random_u(&mut rng, n, 1.0);
                let c = rng.random_range(-1.0..1.0);
                let (mut au, mut alb, mut aub) =
                    (vec![0.5; m], vec![0.25; lb.len()], vec![-0.5; ub.len()]);
                constrain_vjp(
                    t,
                    &u,
                    &lb,
                    &ub,
                    &w,
                    c,
                    &mut au,
                    &mut alb,
                    &mut aub,
                    &mut Vec::new(),
                );
                // The VJP adds: remove the initial values before comparing.
                au.iter_mut().for_each(|a| *a -= 0.5);
                alb.iter_mut().for_each(|a| *a -= 0.25);
                aub.iter_mut().for_each(|a| *a += 0.5);
                let lift = |v: &[f64]| v.iter().map(|&a| Dual64::from(a)).collect::<Vec<_>>();
                let seeded = |v: &[f64], k: usize| {
                    let mut d = lift(v);
                    d[k].eps = 1.0;
                    d
                };
                let check = |what: &str, k: usize, got: f64, want: f64| {
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "{t:?} n={n} d/d{what}[{k}]: vjp {got} dual {want}"
                    );
                };
                for k in 0..m {
                    let g = weighted(t, &seeded(&u, k), &lift(&lb), &lift(&ub), &w, c, n).eps;
                    check("u", k, au[k], g);
                }
                for k in 0..lb.len() {
                    let g = weighted(t, &lift(&u), &seeded(&lb, k), &lift(&ub), &w, c, n).eps;
                    check("lb", k, alb[k], g);
                }
                for k in 0..ub.len() {
                    let g = weighted(t, &lift(&u), &lift(&lb), &seeded(&ub, k), &w, c, n).eps;
                    check("ub", k, aub[k], g);
                }
            }
        }
    }
}

/// The reverse pass run on Dual64 gives Hessian–vector products: compare
/// with finite differences of the f64 reverse pass.
#[test]
fn vjp_on_duals_gives_hessian_vector_products() {
    let mut rng = stream(1, &[4]);
    for t in ALL {
        for n in sizes(t) {
            let (lb, ub) = bounds(t, n, true);
            let m = free_dim(t, n);
            let u = random_u(&mut rng, m, 1.5);
            let v = random_u(&mut rng, m, 1.0);
            let w = random_u(&mut rng, n, 1.0);
            let c = 0.7;
            let grad = |u: &[f64]| {
                let mut g = vec![0.0; m];
                constrain_vjp(
                    t,
                    u,
                    &lb,
                    &ub,
                    &w,
                    c,
                    &mut g,
                    &mut vec![0.0; lb.len()],
                    &mut vec![0.0; ub.len()],
                    &mut Vec::new(),
                );
                g
            };
            let ud: Vec<Dual64> = u.iter().zip(&v).map(|(&a, &b)| Dual64::new(a, b)).collect();
            let lift = |v: &[f64]| v.iter().map(|&a| Dual64::from(a)).collect::<Vec<_>>();
            let wd = lift(&w);
            let mut g = vec![Dual64::from(0.0); m];
            constrain_vjp(
                t,
                &ud,
                &lift(&lb),
                &lift(&ub),
                &wd,
                Dual64::from(c),
                &mut g,
                &mut lift(&vec![0.0; lb.len()]),
                &mut lift(&vec![0.0; ub.len()]),
                &mut Vec::new(),
            );
            let h = 1e-6;
            let up: Vec<f64> = u.iter().zip(&v).map(|(a, b)| a + h * b).collect();
            let um: Vec<f64> = u.iter().zip(&v).map(|(a, b)| a - h * b).collect();
            let (gp, gm) = (grad(&up), grad(&um));
            for k in 0..m {
                let fd = (gp[k] - gm[k]) / (2.0 * h);
                assert!(
                    (g[k].eps - fd).abs() < 1e-6 * fd.abs().max(1.0),
                    "{t:?} n={n} Hv[{k}] {} vs {fd}",
                    g[k].eps
                );
            }
        }
    }
}

#[test]
fn extreme_inputs_stay_finite_and_inside() {
    for t in ALL {
        for n in sizes(t) {
            let (lb, ub) = bounds(t, n, true);
            let m = free_dim(t, n);
            // exp(u) itself overflows beyond u ≈ 709 for the log-based
            // transforms (the constrained value is not representable): they
            // are taken to ±700, the logistic and tanh based ones to ±800.
            let big = match t {
                Transform::Lower
                | Transform::Upper
                | Transform::Ordered
                | Transform::PositiveOrdered => 700.0,
                _ => 800.0,
            };
            for &s in &[40.0, -40.0, big, -big] {
                for pattern in 0..3 {
                    let u: Vec<f64> = (0..m)
                        .map(|i| if pattern == 2 && i % 2 == 1 { -s } else { s })
                        .collect();
                    let mut x = vec![0.0; n];
                    let lj = constrain(t, &u, &lb, &ub, &mut x);
                    assert!(lj.is_finite(), "{t:?} u={s}: log|J| = {lj}");
                    assert!(x.iter().all(|v| v.is_finite()), "{t:?} u={s}: x = {x:?}");
                    let mut adj = vec![0.0; m];
                    constrain_vjp(
                        t,
                        &u,
                        &lb,
                        &ub,
                        &vec![1.0; n],
                        1.0,
                        &mut adj,
                        &mut vec![0.0; lb.len()],
                        &mut vec![0.0; ub.len()],
                        &mut Vec::new(),
                    );
                    assert!(
                        adj.iter().all(|v| v.is_finite()),
                        "{t:?} u={s}: adjoints {adj:?}"
                    );
                    match t {
                        Transform::LowerUpper => {
                            for i in 0..n {
                                assert!(
                                    x[i] >= lb[i] && x[i] <= ub[i],
                                    "{t:?}: {} outside [{}, {}]",
                                    x[i],
                                    lb[i],
                                    ub[i]
                                );
                            }
                        }
                        Transform::Simplex => {
                            assert!(x.iter().all(|&v| v >= 0.0));
                            assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-12);
                        }
                        Transform::CorrCholesky => {
                            let k = (n as f64).sqrt() as usize;
                            for i in 0..k {
                                let norm: f64 = (0..k).map(|j| x[i * k + j] * x[i * k + j]).sum();
                                assert!((norm - 1.0).abs() < 1e-12, "row {i} norm {norm}");
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

#[test]
fn known_values() {
    // Stan's conventions: u = 0 maps to the uniform simplex; lower+upper
    // maps u = 0 to the midpoint with log|J| = log(w / 4).
    let mut x = [0.0f64; 4];
    let lj: f64 = constrain(Transform::Simplex, &[0.0; 3], &[], &[], &mut x);
    assert!(x.iter().all(|v| (v - 0.25).abs() < 1e-15), "{x:?}");
    assert!(lj.is_finite());
    let mut y = [0.0];
    let lj = constrain(Transform::LowerUpper, &[0.0], &[1.0], &[5.0], &mut y);
    assert_eq!(y[0], 3.0);
    assert!((lj - 1f64.ln()).abs() < 1e-15);
    // K = 2 simplex: x1 = inv_logit(u), log|J| = log x1 + log x2.
    let mut s = [0.0; 2];
    let lj = constrain(Transform::Simplex, &[0.3], &[], &[], &mut s);
    assert!((s[0] - 1.0 / (1.0 + (-0.3f64).exp())).abs() < 1e-15);
    assert!((lj - (s[0].ln() + s[1].ln())).abs() < 1e-14);
    // corr_cholesky K = 2: L = [[1, 0], [tanh u, sech u]].
    let mut l = [0.0; 4];
    constrain(Transform::CorrCholesky, &[0.4], &[], &[], &mut l);
    assert!(
        (l[2] - 0.4f64.tanh()).abs() < 1e-15
            && (l[3] - 1.0 / 0.4f64.cosh()).abs() < 1e-15
            && l[1] == 0.0
    );
    assert_eq!(free_dim(Transform::CorrCholesky, 16), 6);
    assert_eq!(free_dim(Transform::Simplex, 5), 4);
    assert_eq!(free_dim(Transform::Ordered, 5), 5);
}

#[test]
fn unconstrain_names_the_violation() {
    let mut u = [0.0; 3];
    let err = |t, x: &[f64], lb: &[f64], ub: &[f64], u: &mut [f64]| {
        unconstrain(t, x, lb, ub, u).unwrap_err()
    };
    assert!(
        err(Transform::Lower, &[1.0, -1.0], &[0.0], &[], &mut u)
            .contains("element 2 is -1 but must be greater than the lower bound 0")
    );
    assert!(
        err(Transform::Upper, &[3.0], &[], &[2.0], &mut u).contains("less than the upper bound 2")
    );
    assert!(
        err(Transform::LowerUpper, &[1.0], &[0.0], &[1.0], &mut u)
            .contains("strictly between 0 and 1")
    );
    assert!(err(Transform::Ordered, &[1.0, 1.0], &[], &[], &mut u).contains("strictly increasing"));
    assert!(err(Transform::PositiveOrdered, &[-1.0, 1.0], &[], &[], &mut u).contains("positive"));
    assert!(err(Transform::Simplex, &[0.5, 0.6], &[], &[], &mut u).contains("sum to 1"));
    assert!(err(Transform::Simplex, &[1.0, 0.0], &[], &[], &mut u).contains("element 2"));
    assert!(
        err(
            Transform::CorrCholesky,
            &[1.0, 0.1, 0.0, 1.0],
            &[],
            &[],
            &mut u
        )
        .contains("lower-triangular")
    );
    assert!(
        err(
            Transform::CorrCholesky,
            &[1.0, 0.0, 0.5, 0.5],
            &[],
            &[],
            &mut u
        )
        .contains("unit length")
    );
    assert!(err(Transform::CorrCholesky, &[1.0, 0.0, 0.0], &[], &[], &mut u).contains("square"));
}
