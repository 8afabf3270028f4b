//! Bayesian logistic regression on four UCI data sets (§6.3): the data
//! preparation of `examples/uci/prepare.py`, redone here so that the
//! experiment runs without Python, and the five methods of the paper fitted
//! through the library with a mean-field Gaussian: rep-KL (`--estimator
//! rep`), path-KL, path-FKL, path-χ² and path-Hellinger, Adam with learning
//! rate 0.01, 32 samples per iteration, the paper's initialisation (weight
//! means 0, intercept mean 1, sds softplus(0) and softplus(1)). Test
//! accuracy is measured per posterior draw (32 draws), mean and sd.

mod data;
mod report;

pub use data::*;
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

/// Our own numpy re-implementation's accuracies (mean over 3 seeds of the
/// 32-draw mean; flat prior, all columns kept), per data set in the order
/// of [`DATASETS`] and method in the order of [`METHODS`]: 2001 and 20001
/// iterations. These are not the paper's numbers.
pub const REFERENCE_2001: [[f64; 5]; 4] = [
    [0.869, 0.870, 0.789, 0.803, 0.824],
    [0.783, 0.784, 0.636, 0.627, 0.647],
    [0.759, 0.759, 0.503, 0.519, 0.523],
    [0.730, 0.730, 0.670, 0.674, 0.699],
];
pub const REFERENCE_20001: [[f64; 5]; 4] = [
    [0.871, 0.870, 0.811, 0.800, 0.824],
    [0.798, 0.798, 0.690, 0.708, 0.708],
    [0.772, 0.772, 0.727, 0.720, 0.739],
    [0.728, 0.728, 0.702, 0.695, 0.705],
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

pub fn config(m: &Method, iters: usize, seed: u64) -> FitConfig {
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
        seed,
        draws: 200,
        ..FitConfig::default()
    }
}

/// Test accuracy of one fit: mean and sd over `draws` posterior draws.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Accuracy {
    pub mean: f64,
    pub sd: f64,
}

pub fn fit_accuracy(
    model: &CompiledModel,
    data: &Prepared,
    m: &Method,
    iters: usize,
    seed: u64,
    draws: usize,
) -> Result<Accuracy, String> {
    let res = fit_from(
        model,
        &config(m, iters, seed),
        &paper_start(data.train.k()),
        &mut Silent,
    )
    .map_err(|e| format!("{} {}: {e}", data.name, m.name))?;
    let d = data.train.k() + 1;
    let xs = res.approximation.sample(draws, seed ^ 0xACC)?;
    let acc: Vec<f64> = xs.chunks(d).map(|t| data.test.accuracy(t)).collect();
    let n = acc.len() as f64;
    let mean = acc.iter().sum::<f64>() / n;
    let sd = (acc.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    Ok(Accuracy { mean, sd })
}
