//! f-divergence fits on targets whose optimum is known: a Gaussian target
//! (for a full-rank Gaussian family every divergence's optimum is the target
//! itself), products of Student-t(5) and of a light-tailed quartic density,
//! and a Gaussian mixture, with optima by closed form or by quadrature
//! (scipy, `examples/paper/fdiv_optima.py`).

use crate::infer_targets::{Gaussian, w2_gaussian};
use vippl::infer::{Divergence, FitConfig, Init, Silent, Termination, fit};

/// α < 0 weights are largest for the *smallest* ratio; a fit with them
/// must still move. On a Gaussian target the self-normalised weights are
/// exactly 1 at the optimum (r is constant there), so the per-sample
/// direction vanishes as for KL and the fit converges to the target without
/// a noise floor: the error left is the transient at the stopping time,
/// below the rule's tolerance (`grad_tol` posterior sds along each whitened
/// axis for the mean, twice that for the scale). The start is more than 1
/// away in W₂ (the old defect returned it unchanged for every α < 0).
#[test]
fn negative_alpha_moves_to_a_gaussian_target() {
    let d = 3;
    let (target, cov) = Gaussian::correlated(d, 31);
    let start = w2_gaussian(&vec![0.0; d], &vec_identity(d), &target.mean, &cov);
    assert!(
        start > 1.0,
        "the start is already near the target ({start})"
    );
    for a in [-1.0, -2.0, -0.5] {
        let tol = 1e-3;
        let config = FitConfig {
            divergence: Divergence::Alpha(a),
            init: Some(Init::Zero),
            grad_tol: Some(tol),
            seed: 3,
            draws: 200,
            ..FitConfig::default()
        };
        let res = fit(&target, &config, &mut Silent).unwrap();
        assert_eq!(res.termination, Termination::Converged, "alpha {a}");
        let q = &res.approximation;
        let w2 = w2_gaussian(&q.mean(), &q.covariance(), &target.mean, &cov);
        // mean: ≤ tol sd per axis, scale: ≤ 2·tol relative per axis, sds ≤ √2
        let bound = 3.0 * tol * (d as f64 * 2.0).sqrt();
        assert!(
            w2 <= bound,
            "alpha {a}: W2 {w2:e} > {bound:e} (start {start})"
        );
    }
}

fn vec_identity(d: usize) -> Vec<f64> {
    (0..d * d)
        .map(|k| if k / d == k % d { 1.0 } else { 0.0 })
        .collect()
}

/// With a divergence other than KL the kept restart is the one with the
/// lowest estimate of that divergence's objective, not the best ELBO; the
/// estimate of the kept q agrees with −E_p[log q] by quadrature (forward
/// KL's objective) within its Monte Carlo error.
#[test]
fn restarts_of_a_forward_kl_fit_keep_the_lowest_objective() {
    let target = crate::infer_targets::Mix1::three_mode();
    let config = FitConfig {
        divergence: Divergence::Fkl,
        family: Some(vippl::infer::FamilyKind::MeanField),
        init: Some(Init::Random),
        restarts: 4,
        // short runs, so that the restarts end in different places
        iters: 20,
        seed: 5,
        draws: 4000,
        ..FitConfig::default()
    };
    let res = fit(&target, &config, &mut Silent).unwrap();
    let objectives: Vec<f64> = res.restarts.iter().map(|r| r.objective.unwrap()).collect();
    let best = objectives
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert_eq!(res.best_restart, best, "{objectives:?}");
    // restarts that disagree are judged by the same objective, not the ELBO
    assert!(
        res.restarts
            .iter()
            .all(|r| r.objective_se.is_some_and(|se| se >= 0.0))
    );
    for w in res.warnings.iter().filter(|w| w.contains("lower optimum")) {
        assert!(w.contains("objective") && !w.contains("ELBO"), "{w}");
    }
    let (m, v) = (
        res.approximation.mean()[0],
        res.approximation.covariance()[0],
    );
    // −E_p[log q] for q = N(m, v): ½log(2πv) + E_p[(x − m)²]/(2v), with the
    // mixture's moments in closed form
    let ex: f64 = (0..3).map(|j| target.w[j] * target.m[j]).sum();
    let ex2: f64 = (0..3)
        .map(|j| target.w[j] * (target.m[j].powi(2) + target.s[j].powi(2)))
        .sum();
    let want =
        0.5 * (2.0 * std::f64::consts::PI * v).ln() + (ex2 - 2.0 * m * ex + m * m) / (2.0 * v);
    let got = objectives[best];
    assert!(res.diagnostics.ess >= 400.0, "ESS {}", res.diagnostics.ess);
    // The self-normalised estimate from 4000 draws of a q that covers the
    // target: its error is a few hundredths at most (4 standard errors of
    // a weighted mean whose weights have ESS ≥ 400 and values of sd ≤ 2).
    assert!(
        (got - want).abs() < 4.0 * 2.0 / 400f64.sqrt(),
        "{got} vs {want}"
    );
}

/// A product of d copies of one 1-D log density (Student-t(5) or the
/// quartic exp(−x⁴/4)), unnormalised.
struct Product {
    d: usize,
    quartic: bool,
}

impl Product {
    /// (ℓ, ℓ′, ℓ″) of one coordinate.
    fn one(&self, x: f64) -> (f64, f64, f64) {
        if self.quartic {
            (-0.25 * x.powi(4), -x.powi(3), -3.0 * x * x)
        } else {
            let u = 1.0 + x * x / 5.0;
            (
                -3.0 * u.ln(),
                -1.2 * x / u,
                -1.2 / u + 0.48 * x * x / (u * u),
            )
        }
    }
}

impl vippl::infer::Target for Product {
    type Workspace = ();
    fn dim(&self) -> usize {
        self.d
    }
    fn workspace(&self) {}
    fn log_density(&self, _: &mut (), x: &[f64]) -> f64 {
        x.iter().map(|&v| self.one(v).0).sum()
    }
    fn log_density_and_gradient(&self, _: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
        let mut l = 0.0;
        for (gi, &v) in g.iter_mut().zip(x) {
            let (a, b, _) = self.one(v);
            l += a;
            *gi = b;
        }
        l
    }
    fn hessian_vector(&self, _: &mut (), x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
        let mut l = 0.0;
        for i in 0..self.d {
            let (a, _, c) = self.one(x[i]);
            l += a;
            out[i] = c * v[i];
        }
        l
    }
}

/// Fits `divergence` to a 10-d product with seeds 0–9: each fit's means
/// are within 5 % of an sd of 0 and each sd within 5 % of `sd_opt` (the
/// quadrature optimum of `examples/paper/fdiv_optima.py`), or the fit is
/// not trusted (exit 3) and says why.
fn assert_lands_or_flags(quartic: bool, divergence: Divergence, sd_opt: f64) {
    let target = Product { d: 10, quartic };
    let mut landed = 0;
    for seed in 0..10 {
        let config = FitConfig {
            divergence,
            seed,
            draws: 1000,
            ..FitConfig::default()
        };
        let res = fit(&target, &config, &mut Silent).unwrap();
        let q = &res.approximation;
        let worst_sd = q
            .sd()
            .iter()
            .map(|s| (s / sd_opt - 1.0).abs())
            .fold(0.0, f64::max);
        let worst_mean = q
            .mean()
            .iter()
            .map(|m| m.abs() / sd_opt)
            .fold(0.0, f64::max);
        if res.trust().trusted() {
            assert!(
                worst_sd <= 0.05 && worst_mean <= 0.05,
                "{divergence} seed {seed}: trusted, but sds off by {worst_sd:.3}, means by \
                 {worst_mean:.3} (sds {:?})",
                q.sd()
            );
            landed += 1;
        } else {
            assert!(
                !res.warnings.is_empty(),
                "{divergence} seed {seed}: untrusted, silent"
            );
        }
    }
    eprintln!("{divergence}: {landed} of 10 seeds trusted and within 5 %");
}

#[test]
fn forward_kl_on_a_quartic_product_matches_its_variance() {
    // E[x²] = 2 Γ(3/4)/Γ(1/4) for exp(−x⁴/4): sd 0.822179
    assert_lands_or_flags(true, Divergence::Fkl, 0.822179);
}

#[test]
fn chi2_on_a_quartic_product_lands_on_its_quadrature_optimum() {
    // finite: p²/q is integrable for every Gaussian q
    assert_lands_or_flags(true, Divergence::Chi2, 0.852837);
}

/// Forward KL from a Gaussian to a Student-t(5) product: the weights r
/// have tail index 1 (k = 1) for every Gaussian q, so their variance is
/// infinite and the typical batch misses the tail that sets the optimal sd
/// √(5/3); a fit that is not within 5 % must say so.
#[test]
fn forward_kl_on_a_student_t_product_lands_or_says_why() {
    assert_lands_or_flags(false, Divergence::Fkl, (5.0f64 / 3.0).sqrt());
}

#[test]
fn hellinger_on_a_student_t_product_lands_on_its_quadrature_optimum() {
    assert_lands_or_flags(false, Divergence::Hellinger, 1.196544);
}

#[test]
fn negative_alpha_on_a_student_t_product_lands_on_its_quadrature_optimum() {
    assert_lands_or_flags(false, Divergence::Alpha(-1.0), 1.136645);
}
