//! `real<offset=o, multiplier=m>`: the affine transform x = o + m z with
//! log-Jacobian log m, against the closed form of the non-centred
//! hierarchical model (gradient against central differences), from
//! constrained values back, and the checker's refusals (as in Stan).

use crate::density::compile;
use vippl::data::RawValue;
use vippl::diagnostics::render_short;
use vippl::infer::Target;
use vippl::source::SourceMap;

const J: usize = 3;

/// Eight-schools style, non-centred by the transform; `delta` has an
/// offset only, `s` a multiplier only, `w` a vector offset and multiplier.
const SRC: &str = "data J: int\ndata y: real[J]\ndata m: real[J]\ndata k: real<lower=0>[J]\n\
param mu: real\nparam tau: real<lower=0>\n\
param theta: real<offset=mu, multiplier=tau>[J]\n\
param delta: real<offset=2>\nparam s: real<multiplier=3>\n\
param w: real<offset=m, multiplier=k>[J]\n\
mu ~ normal(0, 5)\ntau ~ normal(0, 1)\ntheta ~ normal(mu, tau)\ny ~ normal(theta, 1)\n\
delta ~ normal(2, 0.5)\ns ~ normal(0, 3)\nw ~ normal(m, k)\n";
const DATA: &str = r#"{"J": 3, "y": [1.0, -0.5, 2.5], "m": [0.5, -1, 3], "k": [0.2, 1.5, 4]}"#;
const Y: [f64; J] = [1.0, -0.5, 2.5];
const M: [f64; J] = [0.5, -1.0, 3.0];
const K: [f64; J] = [0.2, 1.5, 4.0];

fn normal(x: f64, mu: f64, s: f64) -> f64 {
    -0.5 * ((x - mu) / s).powi(2) - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

/// The log density on the unconstrained coordinates
/// (mu, log tau, z[3], delta's z, s's z, w's z[3]), written out.
fn closed_form(u: &[f64]) -> f64 {
    let (mu, log_tau) = (u[0], u[1]);
    let tau = log_tau.exp();
    let mut lp = normal(mu, 0.0, 5.0) + normal(tau, 0.0, 1.0) + log_tau;
    for j in 0..J {
        let theta = mu + tau * u[2 + j];
        lp += normal(theta, mu, tau) + normal(Y[j], theta, 1.0) + tau.ln();
    }
    let delta = 2.0 + u[5];
    let s = 3.0 * u[6];
    lp += normal(delta, 2.0, 0.5) + normal(s, 0.0, 3.0) + 3f64.ln();
    for j in 0..J {
        let w = M[j] + K[j] * u[7 + j];
        lp += normal(w, M[j], K[j]) + K[j].ln();
    }
    lp
}

#[test]
fn the_affine_transform_matches_the_closed_form() {
    let cm = compile(SRC, DATA);
    assert_eq!(cm.dim(), 10);
    let u = [0.4, -0.3, 0.9, -1.2, 0.1, 0.7, -0.4, 1.3, -0.6, 0.2];
    let mut ws = cm.workspace();
    let mut g = vec![0.0; u.len()];
    let lp = cm.log_density_and_gradient(&mut ws, &u, &mut g);
    let want = closed_form(&u);
    assert!((lp - want).abs() < 1e-10 * want.abs(), "{lp} vs {want}");
    let h = 1e-6;
    for i in 0..u.len() {
        let (mut up, mut dn) = (u, u);
        up[i] += h;
        dn[i] -= h;
        let fd = (closed_form(&up) - closed_form(&dn)) / (2.0 * h);
        assert!(
            (g[i] - fd).abs() < 1e-6 * fd.abs().max(1.0),
            "{i}: {} vs {fd}",
            g[i]
        );
    }
}

#[test]
fn constrained_values_map_back_through_the_offset_and_multiplier() {
    let cm = compile(SRC, DATA);
    let vector = |v: &[f64]| RawValue {
        dims: vec![v.len()],
        values: v.to_vec(),
    };
    let (mu, tau) = (0.5, 2.0);
    let point = vec![
        ("mu".to_string(), RawValue::scalar(mu)),
        ("tau".to_string(), RawValue::scalar(tau)),
        ("theta".to_string(), vector(&[1.5, 0.5, -3.5])),
        ("delta".to_string(), RawValue::scalar(2.75)),
        ("s".to_string(), RawValue::scalar(-1.5)),
        ("w".to_string(), vector(&[0.6, 2.0, -5.0])),
    ];
    let u = cm.unconstrain(&point).expect("valid point");
    let want = [
        mu,
        tau.ln(),
        0.5,
        -0.0,
        -2.0,
        0.75,
        -0.5,
        (0.6 - 0.5) / 0.2,
        2.0,
        -2.0,
    ];
    for (a, b) in u.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{u:?} vs {want:?}");
    }
}

#[test]
fn a_multiplier_that_is_not_positive_rejects_the_point() {
    let src = "param m: real\nparam z: real<multiplier=m>\nm ~ normal(1, 1)\nz ~ normal(0, 1)\n";
    let cm = compile(src, "{}");
    let mut ws = cm.workspace();
    let mut g = vec![0.0; 2];
    assert!(
        cm.log_density_and_gradient(&mut ws, &[0.5, 0.1], &mut g)
            .is_finite()
    );
    let lp = cm.log_density_and_gradient(&mut ws, &[-0.5, 0.1], &mut g);
    assert_eq!(lp, f64::NEG_INFINITY);
    let why = cm.explain_nonfinite(&[-0.5, 0.1]).unwrap_or_default();
    assert!(
        why.contains("the multiplier of `z` must be positive and finite, found -0.5"),
        "{why}"
    );
}

#[test]
fn the_checker_refuses_what_stan_refuses_and_shows_the_layout() {
    let errors = |src: &str| {
        let mut sources = SourceMap::new();
        match vippl::check::load_model(&mut sources, "m.vi", src) {
            Ok(_) => String::new(),
            Err(d) => render_short(&d, &sources),
        }
    };
    let e = errors("param z: real<lower=0, offset=1>\nz ~ normal(0, 1)\n");
    assert!(
        e.contains("cannot be combined with `lower` or `upper`"),
        "{e}"
    );
    let e = errors("data x: real<offset=1>\nparam z: real\nz ~ normal(x, 1)\n");
    assert!(e.contains("apply to real parameters only"), "{e}");
    let e = errors("param z: real<multiplier=2, multiplier=3>\nz ~ normal(0, 1)\n");
    assert!(e.contains("`multiplier` is given twice"), "{e}");
    let mut sources = SourceMap::new();
    let (model, _) = vippl::check::load_model(&mut sources, "m.vi", SRC).expect("checks");
    let layout = vippl::check::Layout::of(&model, &sources).render(None);
    assert!(layout.contains("offset=mu, multiplier=tau"), "{layout}");
}
