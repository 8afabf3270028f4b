//! Control paths of a fit: interruption, failure to start, a missing mode,
//! step control, warnings, restarts, the other estimators and optimizers,
//! configuration errors, and what a caller gets back.

use crate::infer_targets::{Gaussian, Mix1, OneD};
use vippl::infer::{
    Algorithm, Approximation, Component, Control, Divergence, Estimator, FamilyKind, FitConfig,
    FitError, FitResult, Init, IterationInfo, Observer, Optimizer, Silent, Step, Target,
    Termination, fit,
};

struct StopAt(usize);

impl Observer for StopAt {
    fn iteration(&mut self, info: &IterationInfo<'_>) -> Control {
        if info.iteration >= self.0 {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

#[test]
fn interrupting_keeps_the_partial_result() {
    let (target, _) = Gaussian::correlated(3, 1);
    let config = FitConfig {
        init: Some(Init::Zero),
        ..FitConfig::default()
    };
    let res = fit(&target, &config, &mut StopAt(10)).unwrap();
    assert_eq!(res.termination, Termination::Interrupted);
    assert_eq!(res.iterations, 10);
    assert!(res.approximation.mean().iter().all(|v| v.is_finite()));
    assert!(!res.converged());
}

/// Stops the fit at an iteration of a given restart.
struct StopInRestart {
    restart: usize,
    iteration: usize,
    current: usize,
}

impl Observer for StopInRestart {
    fn restart(&mut self, restart: usize, _total: usize) {
        self.current = restart;
    }
    fn iteration(&mut self, info: &IterationInfo<'_>) -> Control {
        if self.current == self.restart && info.iteration >= self.iteration {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

#[test]
fn interrupting_a_later_restart_reports_the_fit_as_interrupted() {
    let (target, _) = Gaussian::correlated(3, 1);
    let config = FitConfig {
        restarts: 3,
        draws: 500,
        ..FitConfig::default()
    };
    let mut stop = StopInRestart {
        restart: 1,
        iteration: 2,
        current: 0,
    };
    let res = fit(&target, &config, &mut stop).unwrap();
    assert_eq!(res.restarts.len(), 2, "the third restart never ran");
    assert_eq!(res.restarts[0].termination, Termination::Converged);
    assert_eq!(res.restarts[1].termination, Termination::Interrupted);
    // The converged first restart is kept, but the fit as a whole was
    // stopped by the user: it is not reported as converged.
    assert_eq!(res.best_restart, 0);
    assert_eq!(res.termination, Termination::Interrupted);
    assert!(!res.converged());
    assert!(
        res.warnings
            .iter()
            .any(|w| w.contains("interrupted in restart 2 of 3")),
        "{:?}",
        res.warnings
    );
}

#[test]
fn an_interrupted_run_is_diagnosed_from_the_output_draws_alone() {
    let (target, _) = Gaussian::correlated(3, 1);
    let config = FitConfig {
        init: Some(Init::Zero),
        draws: 500,
        ..FitConfig::default()
    };
    let stopped = fit(&target, &config, &mut StopAt(10)).unwrap();
    assert_eq!(stopped.diagnostics.draws, 500);
    let finished = fit(&target, &config, &mut Silent).unwrap();
    assert_eq!(finished.diagnostics.draws, 2000);
}

/// Finite only where x > 50: no start in (−2, 2) can be found.
struct Nowhere;

impl Target for Nowhere {
    type Workspace = ();
    fn dim(&self) -> usize {
        2
    }
    fn workspace(&self) {}
    fn log_density(&self, _: &mut (), x: &[f64]) -> f64 {
        if x[0] > 50.0 { 0.0 } else { f64::NEG_INFINITY }
    }
    fn log_density_and_gradient(&self, ws: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
        g.fill(0.0);
        self.log_density(ws, x)
    }
    fn hessian_vector(&self, ws: &mut (), x: &[f64], _: &[f64], out: &mut [f64]) -> f64 {
        out.fill(0.0);
        self.log_density(ws, x)
    }
    fn explain_nonfinite(&self, x: &[f64]) -> Option<String> {
        Some(format!("`y ~ normal(mu, sigma)` has sigma = {} ≤ 0", x[0]))
    }
}

#[test]
fn no_finite_start_is_an_error_that_explains_why() {
    let err = fit(&Nowhere, &FitConfig::default(), &mut Silent).unwrap_err();
    match &err {
        FitError::NoFiniteStart { explanation, tries } => {
            assert_eq!(*tries, 100);
            assert!(explanation.contains("sigma"), "{explanation}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("finite"));
}

#[test]
fn a_missing_mode_falls_back_with_a_warning() {
    // log p̃ = x₁ − x₂²/2: improper in x₁, no mode. L-BFGS runs away; the fit
    // starts from zero instead, says so, and stops at the iteration limit
    // without producing a non-finite q.
    let t = OneD(|x: f64| (x, 1.0, 0.0));
    let config = FitConfig {
        iters: 200,
        ..FitConfig::default()
    };
    let res = fit(&t, &config, &mut Silent).unwrap();
    assert!(
        res.warnings
            .iter()
            .any(|w| w.contains("could not find the posterior mode")),
        "{:?}",
        res.warnings
    );
    assert!(res.approximation.mean()[0].is_finite() && res.approximation.sd()[0].is_finite());
    assert_ne!(res.termination, Termination::Converged);
}

#[test]
fn too_large_a_fixed_step_is_shrunk_and_the_fit_still_lands() {
    let (target, cov) = Gaussian::correlated(4, 6);
    let config = FitConfig {
        step: Step::Fixed(20.0),
        init: Some(Init::Zero),
        // Converge tightly: the W2 bound below is about the landing point,
        // not about where a 0.05-sd stopping rule happens to stop.
        grad_tol: Some(1e-3),
        ..FitConfig::default()
    };
    let res = fit(&target, &config, &mut Silent).unwrap();
    assert!(res.step_rejections > 0 || res.rescued_by_step_control);
    assert!(res.final_step < 1.0, "h = {}", res.final_step);
    assert_eq!(res.termination, Termination::Converged);
    let q = &res.approximation;
    let w2 = crate::infer_targets::w2_gaussian(&q.mean(), &q.covariance(), &target.mean, &cov);
    assert!(w2 < 1e-3, "W2 {w2}");
}

#[test]
fn non_finite_densities_are_undone_not_returned() {
    // N(0, 1) with a hard wall at x = 1.5 (log density −∞ beyond): draws of
    // the initial q and of later iterates cross it. Step control must undo
    // those steps, say so, and return a finite q.
    let t = OneD(|x: f64| {
        if x > 1.5 {
            (f64::NEG_INFINITY, f64::NAN, f64::NAN)
        } else {
            (-0.5 * x * x, -x, -1.0)
        }
    });
    let config = FitConfig {
        init: Some(Init::Zero),
        iters: 300,
        ..FitConfig::default()
    };
    let res = fit(&t, &config, &mut Silent).unwrap();
    assert!(res.rescued_by_step_control);
    let (m, s) = (res.approximation.mean()[0], res.approximation.sd()[0]);
    assert!(m.is_finite() && s.is_finite() && s > 0.0, "{m} {s}");
    assert!(res.trace.iter().all(|e| e.elbo.is_finite()));
}

#[test]
fn restarts_are_all_reported_and_the_best_is_kept() {
    let (target, _) = Gaussian::correlated(2, 4);
    let config = FitConfig {
        restarts: 3,
        draws: 200,
        ..FitConfig::default()
    };
    let res = fit(&target, &config, &mut Silent).unwrap();
    assert_eq!(res.restarts.len(), 3);
    let best = res
        .restarts
        .iter()
        .map(|r| r.elbo)
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(res.restarts[res.best_restart].elbo, best);
    assert!(res.restarts[0].init.starts_with("map"));
    assert!(res.restarts[1].init.contains("uniform"));
}

#[test]
fn a_minor_first_mode_gives_way_to_a_clearly_better_one() {
    // 5 % of the mass in a narrow mode at 0, where the search from zero
    // ends (the wide mode's pull is 2·10⁻³ of the narrow one's there); 95 %
    // in a wide mode at 1.2.
    let target = Mix1 {
        w: vec![0.05, 0.95],
        m: vec![0.0, 1.2],
        s: vec![0.1, 0.3],
        log_z: 0.0,
    };
    let config = FitConfig {
        draws: 200,
        ..FitConfig::default()
    };
    let res = fit(&target, &config, &mut Silent).unwrap();
    let init = &res.restarts[0].init;
    assert!(
        init.contains("uniform"),
        "the start is another search's mode: {init}"
    );
    assert!(
        res.warnings.iter().any(|w| w.contains("several modes")),
        "{:?}",
        res.warnings
    );
    // The Gaussian on the major mode (sd 0.3), not on the minor one (sd 0.1).
    let (m, s) = (res.approximation.mean()[0], res.approximation.sd()[0]);
    assert!((m - 1.2).abs() < 0.1 && (0.2..0.45).contains(&s), "{m} {s}");
    assert_eq!(res.restarts.len(), 1, "a clear start needs no restarts");
}

#[test]
fn one_mode_found_again_changes_nothing() {
    // Every extra search ends at the first mode: the start stays the first
    // search's Laplace approximation, without a warning.
    let (target, _) = Gaussian::correlated(3, 1);
    let res = fit(&target, &FitConfig::default(), &mut Silent).unwrap();
    assert!(
        res.restarts[0].init.contains("from zero"),
        "{}",
        res.restarts[0].init
    );
    assert!(res.warnings.iter().all(|w| !w.contains("several modes")));
}

#[test]
fn illegal_combinations_are_refused_with_what_is_allowed() {
    let (target, _) = Gaussian::correlated(2, 4);
    for (config, needle) in [
        (
            FitConfig {
                algorithm: Algorithm::Fbgvi,
                family: Some(FamilyKind::Mixture(2)),
                ..FitConfig::default()
            },
            "fullrank",
        ),
        (
            FitConfig {
                algorithm: Algorithm::Advi,
                divergence: Divergence::Fkl,
                ..FitConfig::default()
            },
            "meanfield",
        ),
        (
            FitConfig {
                samples: Some(0),
                ..FitConfig::default()
            },
            "samples",
        ),
    ] {
        match fit(&target, &config, &mut Silent) {
            Err(FitError::Config(msg)) => assert!(msg.contains(needle), "{msg}"),
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }
}

/// The accuracy the engine promises on Gaussian-like targets: 0.1 sd on
/// every mean, 10 % on every sd.
fn assert_accurate(res: &FitResult, mean: &[f64], sd: &[f64], what: &str) {
    let q = &res.approximation;
    for i in 0..mean.len() {
        let e = (q.mean()[i] - mean[i]).abs() / sd[i];
        assert!(e < 0.1, "{what}: mean {i} off by {e:.3} sd");
        let r = q.sd()[i] / sd[i];
        assert!((r - 1.0).abs() < 0.1, "{what}: sd {i} ratio {r:.3}");
    }
}

#[test]
fn other_estimators_optimizers_and_families_recover_a_gaussian() {
    let (target, cov) = Gaussian::correlated(3, 8);
    let d = 3;
    let sd: Vec<f64> = (0..d).map(|i| cov[i * d + i].sqrt()).collect();
    for (name, config) in [
        (
            "rep",
            FitConfig {
                estimator: Estimator::Rep,
                init: Some(Init::Zero),
                ..FitConfig::default()
            },
        ),
        (
            "adam",
            FitConfig {
                optimizer: Optimizer::Adam,
                init: Some(Init::Zero),
                ..FitConfig::default()
            },
        ),
        (
            "fullrank advi",
            FitConfig {
                algorithm: Algorithm::Advi,
                family: Some(FamilyKind::FullRank),
                init: Some(Init::Map),
                ..FitConfig::default()
            },
        ),
        (
            "wfr mixture",
            FitConfig {
                family: Some(FamilyKind::Mixture(2)),
                wfr: true,
                ..FitConfig::default()
            },
        ),
        (
            "fbgvi with Stein's identity",
            FitConfig {
                algorithm: Algorithm::Fbgvi,
                hessian: vippl::infer::HessianEstimate::Stein,
                init: Some(Init::Zero),
                ..FitConfig::default()
            },
        ),
        (
            "self-normalised hellinger",
            FitConfig {
                divergence: Divergence::Hellinger,
                self_normalize: true,
                ..FitConfig::default()
            },
        ),
    ] {
        let res = fit(&target, &config, &mut Silent).unwrap();
        assert_accurate(&res, &target.mean, &sd, name);
    }
    // Mean-field on a target with diagonal precision is exact.
    let diag = Gaussian {
        mean: vec![1.0, -2.0, 0.5],
        prec: vec![4.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.25],
        offset: 0.0,
    };
    let res = fit(
        &diag,
        &FitConfig {
            family: Some(FamilyKind::MeanField),
            init: Some(Init::Zero),
            ..FitConfig::default()
        },
        &mut Silent,
    )
    .unwrap();
    assert!(matches!(res.approximation, Approximation::MeanField { .. }));
    assert_accurate(&res, &diag.mean, &[0.5, 1.0, 2.0], "meanfield");
}

#[test]
fn mixture_collapse_and_duplicates_are_reported() {
    let c = |m: f64| Component {
        mean: vec![m, 0.0],
        scale: vec![1.0, 0.0, 0.0, 1.0],
    };
    let q = Approximation::Mixture {
        weights: vec![0.4995, 0.4995, 0.001 - 1e-4, 1e-4],
        components: vec![c(0.0), c(0.001), c(5.0), c(9.0)],
    };
    let issues = q.mixture_issues();
    assert!(
        issues
            .iter()
            .any(|w| w.contains("1 and 2") && w.contains("identical")),
        "{issues:?}"
    );
    assert!(
        issues
            .iter()
            .any(|w| w.contains("component 3") && w.contains("collapsed"))
    );
    assert!(
        issues
            .iter()
            .any(|w| w.contains("component 4") && w.contains("collapsed"))
    );
    assert_eq!(issues.len(), 3);
}

#[test]
fn approximations_draw_reproducibly_and_round_trip_through_json() {
    let (target, _) = Gaussian::correlated(3, 2);
    let res = fit(&target, &FitConfig::default(), &mut Silent).unwrap();
    let q = &res.approximation;
    let a = q.sample(10, 5).unwrap();
    let b = q.sample(20, 5).unwrap();
    assert_eq!(a[..], b[..30]);
    assert_ne!(a, q.sample(10, 6).unwrap());
    let json = serde_json::to_string(&res).unwrap();
    let back: FitResult = serde_json::from_str(&json).unwrap();
    // The diagnostics' draws are a cache for the output draws, not saved.
    assert!(res.proposals.is_some() && back.proposals.is_none());
    let unsaved = FitResult {
        proposals: None,
        ..res.clone()
    };
    assert!(
        back == unsaved,
        "the fit does not survive a JSON round trip exactly"
    );
    assert!(json.contains("\"family\":\"fullrank\""));
    let names = q.parameter_names();
    assert_eq!(names.len(), q.flat_parameters().len());
    assert_eq!(names[0], "mu[1]");
    assert_eq!(names[3], "S[1,1]");
    // log q of the draws agrees with a direct Gaussian evaluation.
    let Approximation::FullRank { mean, scale } = q else {
        panic!()
    };
    let cov = q.covariance();
    let c = nalgebra::DMatrix::from_row_slice(3, 3, &cov);
    let ci = c.clone().try_inverse().unwrap();
    let x = &a[..3];
    let dx = nalgebra::DVector::from_iterator(3, (0..3).map(|i| x[i] - mean[i]));
    let direct = -0.5 * (dx.transpose() * &ci * &dx)[(0, 0)]
        - 0.5 * c.determinant().ln()
        - 1.5 * (2.0 * std::f64::consts::PI).ln();
    assert!((q.log_q(x).unwrap() - direct).abs() < 1e-12);
    // Evaluated for many points at once, each value is the same.
    let many = q.log_q_many(&a).unwrap();
    assert_eq!(many.len(), 10);
    for (k, v) in many.iter().enumerate() {
        assert_eq!(*v, q.log_q(&a[3 * k..3 * (k + 1)]).unwrap());
    }
    assert!(q.log_q_many(&a[..4]).is_err());
    let _ = scale;
    // A hand-edited file with a wrong shape is refused with a message.
    let bad: Approximation =
        serde_json::from_str(r#"{"family":"fullrank","mean":[0,0],"scale":[1,0,0]}"#).unwrap();
    assert!(bad.check().unwrap_err().contains("4 entries"));
}

#[test]
fn collapsing_weights_are_warned_about() {
    // χ² from a q far too narrow for a 20-dimensional target: the weights
    // r² are extremely heavy-tailed and their ESS sits near 1.
    let d = 20;
    let mut prec = vec![0.0; d * d];
    for i in 0..d {
        prec[i * d + i] = 0.25;
    }
    let target = Gaussian {
        mean: vec![0.0; d],
        prec,
        offset: 0.0,
    };
    let config = FitConfig {
        divergence: Divergence::Chi2,
        init: Some(Init::Zero),
        samples: Some(8),
        iters: 100,
        ..FitConfig::default()
    };
    let res = fit(&target, &config, &mut Silent).unwrap();
    assert!(
        res.warnings
            .iter()
            .any(|w| w.contains("effective sample size")),
        "{:?}",
        res.warnings
    );
}

/// Records the length of the parameters it is given.
struct ParameterLengths {
    wants: bool,
    lengths: Vec<usize>,
}

impl Observer for ParameterLengths {
    fn iteration(&mut self, info: &IterationInfo<'_>) -> Control {
        self.lengths.push(info.parameters.len());
        Control::Continue
    }
    fn wants_parameters(&self) -> bool {
        self.wants
    }
}

#[test]
fn parameters_are_mapped_back_only_for_an_observer_that_reads_them() {
    let (target, _) = Gaussian::correlated(3, 1);
    let config = FitConfig {
        iters: 20,
        ..FitConfig::default()
    };
    let mut reading = ParameterLengths {
        wants: true,
        lengths: Vec::new(),
    };
    let mut ignoring = ParameterLengths {
        wants: false,
        lengths: Vec::new(),
    };
    let with = fit(&target, &config, &mut reading).unwrap();
    let without = fit(&target, &config, &mut ignoring).unwrap();
    // Full rank in d = 3: 3 means and a 3 × 3 scale.
    assert!(!reading.lengths.is_empty());
    assert!(
        reading.lengths.iter().all(|&n| n == 12),
        "{:?}",
        reading.lengths
    );
    assert!(ignoring.lengths.iter().all(|&n| n == 0));
    // The fit itself does not depend on what the observer reads.
    assert_eq!(with.approximation, without.approximation);
}
