//! Bayesian logistic regression on four UCI data sets (§6.3): the data
//! preparation of `examples/uci/prepare.py`, redone here so that the
//! experiment runs without Python, and the five methods of the paper fitted
//! through the library with a mean-field Gaussian: rep-KL (`--estimator
//! rep`), path-KL, path-FKL, path-χ² and path-Hellinger, Adam with learning
//! rate 0.01, 32 samples per iteration, the paper's initialisation (weight
//! means 0, intercept mean 1, sds softplus(0) and softplus(1)), the sds
//! moved in softplus coordinates as in the paper. Test accuracy is measured
//! per posterior draw (32 draws), mean and sd, and the test log-likelihood
//! is that of the draws' posterior predictive. The reference is the
//! independent numpy implementation `examples/paper/uci_reference.py`, read
//! from its committed results.

mod data;
mod reference;
mod report;

pub use data::*;
#[allow(unused_imports)]
pub use reference::*;
// Used by the uci_logistic example and the tests, not by the other examples.
#[allow(unused_imports)]
pub use report::*;

use super::compile_model;
use vippl::data::RawValue;
use vippl::density::CompiledModel;
use vippl::infer::{
    Algorithm, Approximation, Divergence, Estimator, FamilyKind, FitConfig, Optimizer,
    Precondition, Silent, Step, fit_from,
};

pub const MODEL: &str = include_str!("../../uci/logistic.vi");

/// `logistic.vi` bound to the training rows; `prior_sd` 0 is the flat prior.
pub fn compile(train: &Part, prior_sd: f64) -> Result<CompiledModel, String> {
    let mut data = train.raw();
    data.push(("prior_sd", RawValue::scalar(prior_sd)));
    let cm = compile_model("logistic.vi", MODEL, data)?;
    let names = cm.layout().coordinate_names();
    if names.first().map(String::as_str) != Some("alpha") || names.len() != train.k() + 1 {
        return Err(format!("unexpected parameter layout {names:?}"));
    }
    Ok(cm)
}

/// The paper's five methods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Method {
    pub name: &'static str,
    pub estimator: Estimator,
    pub divergence: Divergence,
}

pub const METHODS: [Method; 5] = [
    Method {
        name: "rep-KL",
        estimator: Estimator::Rep,
        divergence: Divergence::Kl,
    },
    Method {
        name: "path-KL",
        estimator: Estimator::Path,
        divergence: Divergence::Kl,
    },
    Method {
        name: "path-FKL",
        estimator: Estimator::Path,
        divergence: Divergence::Fkl,
    },
    Method {
        name: "path-χ²",
        estimator: Estimator::Path,
        divergence: Divergence::Chi2,
    },
    Method {
        name: "path-Hellinger",
        estimator: Estimator::Path,
        divergence: Divergence::Hellinger,
    },
];

/// The paper's initial q: weight means 0, intercept mean 1; sds
/// softplus(0) = ln 2 for the weights and softplus(1) for the intercept.
pub fn paper_start(k: usize) -> Approximation {
    let softplus = |x: f64| (1.0 + x.exp()).ln();
    let mut mean = vec![0.0; k + 1];
    mean[0] = 1.0;
    let mut sd = vec![softplus(0.0); k + 1];
    sd[0] = softplus(1.0);
    Approximation::MeanField { mean, sd }
}

/// The fit of one method; `softplus_scale` false moves the sds themselves
/// (a comparison, not the paper's setting).
pub fn config(m: &Method, iters: usize, seed: u64, softplus_scale: bool) -> FitConfig {
    FitConfig {
        algorithm: Algorithm::Bw,
        family: Some(FamilyKind::MeanField),
        divergence: m.divergence,
        estimator: m.estimator,
        optimizer: Optimizer::Adam,
        step: Step::Fixed(0.01),
        samples: Some(32),
        iters,
        tol: 0.0,
        step_control: false,
        // The plain flow of the paper: its own coordinates, and a fixed
        // number of iterations.
        precondition: Some(Precondition::None),
        grad_tol: None,
        // The paper moves softplus⁻¹ of the sds under Adam.
        softplus_scale,
        // The paper keeps the last iterate: a final averaging window of one
        // iteration (its ELBO evaluations, unused with `tol` 0, cost one
        // draw each).
        eval_every: Some(1),
        elbo_samples: 1,
        seed,
        draws: 200,
        ..FitConfig::default()
    }
}

/// Test scores of one fit: accuracy mean and sd over `draws` posterior
/// draws, and the test log-likelihood of their posterior predictive
/// ([`Part::log_predictive`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Accuracy {
    pub mean: f64,
    pub sd: f64,
    pub test_loglik: f64,
}

pub fn fit_accuracy(
    model: &CompiledModel,
    data: &Prepared,
    m: &Method,
    iters: usize,
    seed: u64,
    draws: usize,
) -> Result<Accuracy, String> {
    fit_accuracy_with(model, data, m, iters, seed, draws, true)
}

/// [`fit_accuracy`] with the sds moved in softplus coordinates (the
/// paper's) or directly.
pub fn fit_accuracy_with(
    model: &CompiledModel,
    data: &Prepared,
    m: &Method,
    iters: usize,
    seed: u64,
    draws: usize,
    softplus_scale: bool,
) -> Result<Accuracy, String> {
    let res = fit_from(
        model,
        &config(m, iters, seed, softplus_scale),
        &paper_start(data.train.k()),
        &mut Silent,
    )
    .map_err(|e| format!("{} {}: {e}", data.name, m.name))?;
    let d = data.train.k() + 1;
    let xs = res.approximation.sample(draws, seed ^ 0xACC)?;
    let thetas: Vec<&[f64]> = xs.chunks(d).collect();
    let acc: Vec<f64> = thetas.iter().map(|t| data.test.accuracy(t)).collect();
    let n = acc.len() as f64;
    let mean = acc.iter().sum::<f64>() / n;
    let sd = (acc.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    Ok(Accuracy {
        mean,
        sd,
        test_loglik: data.test.log_predictive(&thetas),
    })
}
