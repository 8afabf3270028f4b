//! Where q starts: the posterior mode with the Laplace covariance (`map`),
//! zero, or Stan-style uniform(−2, 2) draws; mixtures spread their
//! component means by draws from that Gaussian.

mod diagonal;
mod mode_search;

use super::choices::Init;
use super::family::{Approximation, Scale};
use super::linalg::{spectral_apply, symmetric_eigen};
use super::plan::Plan;
use super::result::{FitError, Observer};
use super::{Target, streams};
use crate::random::stream;
use rand::RngExt;
use rand_distr::StandardNormal;

/// A starting Gaussian (and component means for mixtures).
pub(crate) struct Start {
    /// One mean per component (one for Gaussians).
    pub means: Vec<Vec<f64>>,
    /// The scale: diagonal for the mean-field family, dense otherwise.
    pub scale: Scale,
    /// Largest curvature |λ| of log π̃ near the start, for the automatic step.
    pub curvature: f64,
    /// Smallest positive curvature of −log π̃ near the start (the flattest
    /// direction), when known: it sets the flow's slowest time scale.
    pub flattest: Option<f64>,
    pub describe: String,
    pub warnings: Vec<String>,
    pub grad_evals: usize,
    /// Log densities evaluated without a gradient (the path's ELBOs).
    pub density_evals: usize,
    /// The centre of the start (the mode for `map`).
    pub center: Vec<f64>,
    /// The mode search found no mode whose Laplace approximation is a
    /// good Gaussian (see `mode_search`).
    pub untrusted_mode: bool,
}

/// Attempts at finding a finite starting point before giving up (Stan: 100).
const MAX_TRIES: usize = 100;

/// A point where log π̃ and its gradient are finite: zero (restart 0 unless
/// `random`) or uniform(−2, 2) draws (a stream of their own for each extra
/// search path).
pub(crate) fn finite_point<T: Target>(
    target: &T,
    ws: &mut T::Workspace,
    seed: u64,
    restart: usize,
    path: u64,
    try_zero: bool,
    evals: &mut usize,
) -> Result<Vec<f64>, FitError> {
    let d = target.dim();
    let mut g = vec![0.0; d];
    let mut x = vec![0.0; d];
    for attempt in 0..MAX_TRIES {
        if attempt > 0 || !try_zero {
            let key = [streams::INIT, restart as u64, attempt as u64, path];
            let mut rng = stream(seed, if path == 0 { &key[..3] } else { &key });
            for v in x.iter_mut() {
                *v = rng.random_range(-2.0..2.0);
            }
        }
        *evals += 1;
        let lp = target.log_density_and_gradient(ws, &x, &mut g);
        if lp.is_finite() && g.iter().all(|v| v.is_finite()) {
            return Ok(x);
        }
    }
    let explanation = target
        .explain_nonfinite(&x)
        .unwrap_or_else(|| "the gradient is not finite there".to_string());
    Err(FitError::NoFiniteStart {
        tries: MAX_TRIES,
        explanation,
    })
}

/// Largest |eigenvalue| of ∇² log π̃ at x and the smallest positive
/// eigenvalue of −∇² log π̃: from the full Hessian up to d = 64; beyond, the
/// largest by power iteration on Hessian–vector products and no smallest.
pub(crate) fn curvature<T: Target>(
    target: &T,
    ws: &mut T::Workspace,
    x: &[f64],
    evals: &mut usize,
) -> (f64, Option<f64>) {
    let d = x.len();
    if d <= 64 {
        let mut h = vec![0.0; d * d];
        target.hessian(ws, x, &mut h);
        *evals += d;
        if h.iter().any(|v| !v.is_finite()) {
            return (f64::NAN, None);
        }
        let (vals, _) = symmetric_eigen(&h, d);
        let max = vals.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let flat = vals
            .iter()
            .map(|v| -v)
            .filter(|&v| v > 1e-8 * max)
            .fold(f64::INFINITY, f64::min);
        return (max, flat.is_finite().then_some(flat));
    }
    let mut v: Vec<f64> = (0..d)
        .map(|i| 1.0 + 0.1 * ((i * 7919) % 13) as f64)
        .collect();
    let mut hv = vec![0.0; d];
    let mut lambda = 0.0;
    for _ in 0..30 {
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        for a in v.iter_mut() {
            *a /= norm;
        }
        target.hessian_vector(ws, x, &v, &mut hv);
        *evals += 1;
        lambda = hv.iter().map(|a| a * a).sum::<f64>().sqrt();
        if !lambda.is_finite() || lambda == 0.0 {
            break;
        }
        v.copy_from_slice(&hv);
    }
    (lambda, None)
}

/// The Laplace scale at `mode`: the symmetric square root of the inverse of
/// the negative Hessian, with eigenvalues that are negative or numerically
/// zero (below 1e-8 λ_max) raised to the smallest well-determined one.
/// Returns (S, λ_max, smallest well-determined λ, warning).
#[allow(clippy::type_complexity)]
pub(crate) fn laplace<T: Target>(
    target: &T,
    ws: &mut T::Workspace,
    mode: &[f64],
    evals: &mut usize,
) -> Option<(Vec<f64>, f64, f64, Option<String>)> {
    let d = mode.len();
    let mut h = vec![0.0; d * d];
    target.hessian(ws, mode, &mut h);
    *evals += d;
    if h.iter().any(|v| !v.is_finite()) {
        return None;
    }
    for v in h.iter_mut() {
        *v = -*v;
    }
    let (vals, vecs) = symmetric_eigen(&h, d);
    let lmax = vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !(lmax > 0.0) || !lmax.is_finite() {
        return None;
    }
    let cut = 1e-8 * lmax;
    let good_min = vals
        .iter()
        .cloned()
        .filter(|&l| l > cut)
        .fold(f64::INFINITY, f64::min);
    let bad = vals.iter().filter(|&&l| l <= cut).count();
    let warning = (bad > 0).then(|| {
        format!(
            "the Hessian at the mode is singular or indefinite in {bad} direction(s); the \
             Laplace covariance was regularised there (the flow will adapt it)"
        )
    });
    let s = spectral_apply(&vals, &vecs, |l| {
        1.0 / (if l > cut { l } else { good_min }).sqrt()
    });
    Some((s, lmax, good_min, warning))
}

/// Builds the starting Gaussian of one run.
pub(crate) fn start<T: Target>(
    target: &T,
    ws: &mut T::Workspace,
    plan: &Plan,
    components: usize,
    restart: usize,
    observer: &mut dyn Observer,
) -> Result<Start, FitError> {
    let d = target.dim();
    let init = plan.init;
    let seed = plan.config.seed;
    let mut evals = 0;
    let mut density_evals = 0;
    let mut warnings = Vec::new();
    let try_zero = restart == 0 && init != Init::Random;
    let x0 = finite_point(target, ws, seed, restart, 0, try_zero, &mut evals)?;
    let from = if try_zero {
        "zero"
    } else {
        "a uniform(−2, 2) draw"
    };
    let diagonal = plan.family.avoids_dense();
    let centred = match init {
        Init::Zero | Init::Random => {
            let c = curvature(target, ws, &x0, &mut evals);
            Centred {
                center: x0,
                scale: Scale::identity(d, diagonal),
                curvature: c,
                describe: format!("{init}: mean at {from}, identity scale"),
                untrusted_mode: false,
            }
        }
        Init::Map => mode_search::at_mode(
            target,
            ws,
            x0,
            from,
            plan,
            restart,
            observer,
            &mut evals,
            &mut density_evals,
            &mut warnings,
        ),
    };
    let means = spread_means(&centred, components, seed, restart);
    let (curv, flattest) = centred.curvature;
    let sigma_inv_max = centred.scale.largest_precision();
    let curvature = if curv.is_finite() {
        curv.max(sigma_inv_max)
    } else {
        sigma_inv_max
    };
    // A small mean-field start may come from a dense Laplace scale (see
    // `mode_search`): the family keeps its marginal sds.
    let scale = if diagonal {
        centred.scale.into_diagonal()
    } else {
        centred.scale
    };
    Ok(Start {
        means,
        scale,
        curvature,
        flattest,
        describe: centred.describe,
        warnings,
        grad_evals: evals,
        density_evals,
        untrusted_mode: centred.untrusted_mode,
        center: centred.center,
    })
}

/// A starting Gaussian before mixtures spread their means.
pub(crate) struct Centred {
    pub center: Vec<f64>,
    pub scale: Scale,
    /// Largest curvature and the flattest direction's (see [`curvature`]).
    pub curvature: (f64, Option<f64>),
    pub describe: String,
    /// Whether it came from a mode search that found no trustworthy mode.
    pub untrusted_mode: bool,
}

/// One mean per component: the centre for a Gaussian, draws from the
/// starting Gaussian for mixture components.
fn spread_means(centred: &Centred, components: usize, seed: u64, restart: usize) -> Vec<Vec<f64>> {
    let d = centred.center.len();
    if components == 1 {
        return vec![centred.center.clone()];
    }
    let mut means = Vec::with_capacity(components);
    let mut eps = vec![0.0; d];
    for k in 0..components {
        let mut rng = stream(seed, &[streams::MIX_INIT, restart as u64, k as u64]);
        for e in eps.iter_mut() {
            *e = rng.sample(StandardNormal);
        }
        let mut m = centred.center.clone();
        centred.scale.add_applied(&eps, &mut m);
        means.push(m);
    }
    means
}

/// The starting Gaussian of a run that begins at a given approximation
/// (`fit_from`): its means and first scale, with the curvature at its
/// (first) mean for the automatic step.
pub(crate) fn given<T: Target>(target: &T, ws: &mut T::Workspace, approx: &Approximation) -> Start {
    let (means, scale): (Vec<Vec<f64>>, Scale) = match approx {
        Approximation::MeanField { mean, sd } => (vec![mean.clone()], Scale::Diagonal(sd.clone())),
        Approximation::FullRank { mean, scale } => {
            (vec![mean.clone()], Scale::Dense(scale.clone()))
        }
        // A low-rank start keeps its own D and W (θ₀ comes from the
        // approximation itself); the scale here only sets the step.
        Approximation::LowRank { mean, .. } => (vec![mean.clone()], Scale::Diagonal(approx.sd())),
        Approximation::Mixture { components, .. } => (
            components.iter().map(|c| c.mean.clone()).collect(),
            Scale::Dense(components[0].scale.clone()),
        ),
    };
    let mut evals = 0;
    let (curv, flattest) = curvature(target, ws, &means[0], &mut evals);
    let sigma_inv_max = scale.largest_precision();
    let center = means[0].clone();
    Start {
        means,
        scale,
        curvature: if curv.is_finite() {
            curv.max(sigma_inv_max)
        } else {
            sigma_inv_max
        },
        flattest,
        describe: format!("given: {} approximation", approx.family_name()),
        warnings: Vec::new(),
        grad_evals: evals,
        density_evals: 0,
        untrusted_mode: false,
        center,
    }
}
