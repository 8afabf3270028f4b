//! Mean-field sds moved in softplus coordinates (`FitConfig::softplus_scale`,
//! the parameterisation of the published logistic-regression experiments):
//! Adam's steps are taken in ρ = softplus⁻¹(sd), and the fit reaches the
//! exact optimum of a target with a known answer.

use crate::infer_targets::Gaussian;
use vippl::infer::{
    Algorithm, Approximation, Control, Divergence, Estimator, FamilyKind, FitConfig, IterationInfo,
    Observer, Optimizer, Precondition, Silent, Step, fit_from,
};

/// The parameters after each iteration.
#[derive(Default)]
struct Recorder(Vec<Vec<f64>>);

impl Observer for Recorder {
    fn iteration(&mut self, info: &IterationInfo<'_>) -> Control {
        self.0.truncate(info.iteration);
        self.0.push(info.parameters.to_vec());
        Control::Continue
    }
}

fn softplus(rho: f64) -> f64 {
    rho.max(0.0) + (-rho.abs()).exp().ln_1p()
}

fn softplus_inverse(s: f64) -> f64 {
    s + (-(-s).exp_m1()).ln()
}

/// N((1.5, −2, 0.3, 4), diag(0.5, 2, 1, 0.05)²).
fn target() -> (Gaussian, Vec<f64>, Vec<f64>) {
    let mean = vec![1.5, -2.0, 0.3, 4.0];
    let sd = vec![0.5, 2.0, 1.0, 0.05];
    let d = mean.len();
    let mut prec = vec![0.0; d * d];
    for i in 0..d {
        prec[i * d + i] = 1.0 / (sd[i] * sd[i]);
    }
    let g = Gaussian {
        mean: mean.clone(),
        prec,
        offset: 0.0,
    };
    (g, mean, sd)
}

fn config(softplus_scale: bool, step: f64, iters: usize, estimator: Estimator) -> FitConfig {
    FitConfig {
        algorithm: Algorithm::Bw,
        family: Some(FamilyKind::MeanField),
        divergence: Divergence::Kl,
        estimator,
        optimizer: Optimizer::Adam,
        step: Step::Fixed(step),
        samples: Some(8),
        iters,
        tol: 0.0,
        step_control: false,
        precondition: Some(Precondition::None),
        grad_tol: None,
        softplus_scale,
        seed: 11,
        draws: 100,
        ..FitConfig::default()
    }
}

fn start(d: usize) -> Approximation {
    Approximation::MeanField {
        mean: vec![0.0; d],
        sd: vec![softplus(0.0); d],
    }
}

/// Adam's first step moves every coordinate by the step size (its first
/// direction is the gradient's sign): with softplus scales that is ρ, so
/// the sd moves to softplus(±h); without, the sd itself moves by ±h.
#[test]
fn the_first_adam_step_moves_rho_with_softplus_scales_and_the_sd_without() {
    let (g, _, _) = target();
    let d = 4;
    let h = 0.1;
    for softplus_scale in [true, false] {
        let mut rec = Recorder::default();
        fit_from(
            &g,
            &config(softplus_scale, h, 3, Estimator::Path),
            &start(d),
            &mut rec,
        )
        .unwrap();
        // θ_0 (the start), then θ_1 after the first step.
        assert_eq!(rec.0[0][d..], vec![softplus(0.0); d][..]);
        let first = &rec.0[1];
        assert_eq!(first.len(), 2 * d);
        for i in 0..d {
            assert!((first[i].abs() - h).abs() < 1e-6, "mean {i}: {}", first[i]);
            let sd = first[d + i];
            let moved = if softplus_scale {
                softplus_inverse(sd) - 0.0
            } else {
                sd - softplus(0.0)
            };
            assert!(
                (moved.abs() - h).abs() < 1e-6,
                "softplus {softplus_scale}, sd {i}: {sd} (moved {moved})"
            );
        }
    }
}

/// On a Gaussian target the mean-field KL optimum is the target itself,
/// and the path-derivative estimator has no noise there, so a fit with
/// softplus scales must reach it up to the optimizer's last steps (a wrong
/// chain rule would move the fixed point or stall the small sd).
#[test]
fn softplus_scales_fit_a_diagonal_gaussian_exactly() {
    let (g, mean, sd) = target();
    let res = fit_from(
        &g,
        &config(true, 0.01, 12000, Estimator::Path),
        &start(4),
        &mut Silent,
    )
    .unwrap();
    let Approximation::MeanField { mean: m, sd: s } = &res.approximation else {
        panic!("not mean-field");
    };
    for i in 0..4 {
        assert!(
            (m[i] - mean[i]).abs() < 0.01 * sd[i],
            "mean {i}: {} vs {}",
            m[i],
            mean[i]
        );
        assert!(
            (s[i] / sd[i] - 1.0).abs() < 0.01,
            "sd {i}: {} vs {}",
            s[i],
            sd[i]
        );
    }
}

#[test]
fn softplus_scales_are_refused_outside_the_mean_field_flow() {
    let (g, _, _) = target();
    let c = FitConfig {
        family: Some(FamilyKind::FullRank),
        ..config(true, 0.01, 10, Estimator::Path)
    };
    let err = vippl::infer::fit(&g, &c, &mut Silent)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("softplus") && err.contains("meanfield"),
        "{err}"
    );
}
