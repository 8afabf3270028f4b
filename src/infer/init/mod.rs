//! Where q starts: the posterior mode with the Laplace covariance (`map`),
//! zero, or Stan-style uniform(−2, 2) draws; mixtures spread their
//! component means by draws from that Gaussian.

mod diagonal;
mod mode_search;

use super::choices::Init;
use super::family::{Approximation, Scale};
use super::linalg::{spectral_apply, symmetric_eigen};
use super::pathfinder::{PathRecorder, clearly_better};
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

/// Draws over which [`fixed_point_scale`] averages the curvature.
const FIXED_POINT_DRAWS: usize = 16;

/// A dense scale for a Gaussian q centred at `mean`, given a mean-field q
/// N(mean, diag(sd²)) already fitted there: the one whose precision is the
/// curvature of −log π̃ averaged over draws from the mean-field q. A Gaussian
/// q that fits the posterior satisfies Σ⁻¹ = E_q[−∇² log π̃], so this is one
/// fixed-point step from the mean-field fit towards the full-rank one, and
/// it carries the correlations a mean-field q cannot (a hierarchical mean
/// with every group effect).
///
/// `None` when −∇² log π̃ at `mean` itself is not positive definite: the
/// posterior is not log-concave at the centre of the fit (a funnel's scale
/// and the effects it governs), where the average depends on how wide q is
/// in those directions, which is exactly what a mean-field q gets wrong.
/// Also `None` when the average is not finite and positive definite, or
/// when the Gaussian it makes is clearly worse than the mean-field q by
/// their ELBOs on shared draws.
pub(crate) fn fixed_point_scale<T: Target>(
    target: &T,
    ws: &mut T::Workspace,
    mean: &[f64],
    sd: &[f64],
    (seed, restart): (u64, usize),
    (evals, density_evals): (&mut usize, &mut usize),
) -> Option<Vec<f64>> {
    let d = mean.len();
    let mut h = vec![0.0; d * d];
    target.hessian(ws, mean, &mut h);
    *evals += d;
    for v in h.iter_mut() {
        *v = -*v;
    }
    positive_definite(&h, d)?;
    let mut sum = vec![0.0; d * d];
    let mut x = vec![0.0; d];
    let mut rng = stream(seed, &[streams::FIXED_POINT, restart as u64]);
    for _ in 0..FIXED_POINT_DRAWS {
        for ((x, m), s) in x.iter_mut().zip(mean).zip(sd) {
            let e: f64 = rng.sample(StandardNormal);
            *x = m + s * e;
        }
        target.hessian(ws, &x, &mut h);
        *evals += d;
        for (a, b) in sum.iter_mut().zip(&h) {
            *a -= b;
        }
    }
    for a in sum.iter_mut() {
        *a /= FIXED_POINT_DRAWS as f64;
    }
    let (vals, vecs) = positive_definite(&sum, d)?;
    let scale = spectral_apply(&vals, &vecs, |l| 1.0 / l.sqrt());
    // The average may still be nearly singular in a direction where a few
    // draws reached a flat region, and a Gaussian that wide there starts
    // the flow far from the posterior: keep the scale only if, by the ELBO
    // on shared draws, it is not clearly worse than the mean-field q.
    let mut shared = PathRecorder::new(d, seed, restart, false);
    let mean_field = shared.elbo_of_diagonal(target, ws, mean, sd);
    let mean_field_terms = shared.last_terms().to_vec();
    let dense = shared.elbo_of_dense(target, ws, mean, &scale);
    *density_evals += shared.evals;
    let worse = !dense.is_finite()
        || (mean_field.is_finite() && clearly_better(&mean_field_terms, shared.last_terms()));
    (!worse).then_some(scale)
}

/// The eigen-decomposition of a symmetric d × d matrix whose entries are
/// finite and whose eigenvalues are all above 1e-8 of the largest.
fn positive_definite(m: &[f64], d: usize) -> Option<(Vec<f64>, Vec<f64>)> {
    if m.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (vals, vecs) = symmetric_eigen(m, d);
    let max = vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let min = vals.iter().cloned().fold(f64::INFINITY, f64::min);
    (max.is_finite() && max > 0.0 && min > 1e-8 * max).then_some((vals, vecs))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// −log π̃ = ½ xᵀ P x for a dense 2 × 2 precision P; Neal's funnel in
    /// (v, y): v ~ normal(0, 3), y ~ normal(0, exp(v / 2)); or a smoothed
    /// cone, −log π̃ = Σ 10 √(xᵢ² + 10⁻⁶), sharply curved only within 10⁻³
    /// of 0.
    enum Toy {
        Gauss([f64; 4]),
        Funnel,
        Cone,
    }

    const CONE_EPS2: f64 = 1e-6;

    impl Target for Toy {
        type Workspace = ();
        fn dim(&self) -> usize {
            2
        }
        fn workspace(&self) {}
        fn log_density(&self, _: &mut (), x: &[f64]) -> f64 {
            match self {
                Toy::Gauss(p) => {
                    -0.5 * (p[0] * x[0] * x[0] + 2.0 * p[1] * x[0] * x[1] + p[3] * x[1] * x[1])
                }
                Toy::Funnel => -x[0] * x[0] / 18.0 - 0.5 * x[1] * x[1] * (-x[0]).exp() - 0.5 * x[0],
                Toy::Cone => -x
                    .iter()
                    .map(|v| 10.0 * (v * v + CONE_EPS2).sqrt())
                    .sum::<f64>(),
            }
        }
        fn log_density_and_gradient(&self, ws: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
            match self {
                Toy::Gauss(p) => {
                    g[0] = -(p[0] * x[0] + p[1] * x[1]);
                    g[1] = -(p[2] * x[0] + p[3] * x[1]);
                }
                Toy::Funnel => {
                    let e = (-x[0]).exp();
                    g[0] = -x[0] / 9.0 + 0.5 * x[1] * x[1] * e - 0.5;
                    g[1] = -x[1] * e;
                }
                Toy::Cone => {
                    for (g, v) in g.iter_mut().zip(x) {
                        *g = -10.0 * v / (v * v + CONE_EPS2).sqrt();
                    }
                }
            }
            self.log_density(ws, x)
        }
        fn hessian_vector(&self, ws: &mut (), x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
            let h = match self {
                Toy::Gauss(p) => [-p[0], -p[1], -p[2], -p[3]],
                Toy::Funnel => {
                    let e = (-x[0]).exp();
                    [-1.0 / 9.0 - 0.5 * x[1] * x[1] * e, x[1] * e, x[1] * e, -e]
                }
                Toy::Cone => {
                    let c = |v: f64| -10.0 * CONE_EPS2 / (v * v + CONE_EPS2).powf(1.5);
                    [c(x[0]), 0.0, 0.0, c(x[1])]
                }
            };
            out[0] = h[0] * v[0] + h[1] * v[1];
            out[1] = h[2] * v[0] + h[3] * v[1];
            self.log_density(ws, x)
        }
    }

    #[test]
    fn the_averaged_curvature_of_a_gaussian_is_its_covariance() {
        // E_q[−∇² log π̃] is P whatever q is, so S Sᵀ = P⁻¹ exactly, with
        // the correlation a mean-field q lacks.
        let p = [2.0, 1.5, 1.5, 3.0];
        let (mut evals, mut density_evals) = (0, 0);
        let s = fixed_point_scale(
            &Toy::Gauss(p),
            &mut (),
            &[0.3, -1.0],
            &[0.5, 0.2],
            (7, 0),
            (&mut evals, &mut density_evals),
        )
        .expect("a positive definite curvature");
        assert_eq!(evals, 2 * (1 + FIXED_POINT_DRAWS));
        assert_eq!(density_evals, 2 * crate::infer::pathfinder::ELBO_DRAWS);
        let det = p[0] * p[3] - p[1] * p[2];
        let cov = [p[3] / det, -p[1] / det, -p[2] / det, p[0] / det];
        for i in 0..2 {
            for j in 0..2 {
                let sst = s[i * 2] * s[j * 2] + s[i * 2 + 1] * s[j * 2 + 1];
                assert!((sst - cov[i * 2 + j]).abs() < 1e-12, "{i},{j}: {sst}");
            }
        }
    }

    #[test]
    fn no_dense_scale_where_the_density_is_not_log_concave() {
        // At (v, y) = (0, 1) the funnel's curvature is indefinite
        // (det = 1/9 − 1/2 < 0): the start keeps its mean-field scale,
        // however the draws around it would average.
        let (mut evals, mut density_evals) = (0, 0);
        let s = fixed_point_scale(
            &Toy::Funnel,
            &mut (),
            &[0.0, 1.0],
            &[0.1, 0.1],
            (7, 0),
            (&mut evals, &mut density_evals),
        );
        assert!(s.is_none());
        assert_eq!(evals, 2, "only the curvature at the mean is evaluated");
        // In the funnel's mouth (v = 2, y = 0) it is log-concave.
        let s = fixed_point_scale(
            &Toy::Funnel,
            &mut (),
            &[2.0, 0.0],
            &[0.1, 0.1],
            (7, 0),
            (&mut evals, &mut density_evals),
        );
        assert!(s.is_some());
    }

    #[test]
    fn no_dense_scale_that_is_a_worse_gaussian_than_the_mean_field_one() {
        // The cone's curvature is 10⁴ at its tip and ~10⁻² at draws 0.1
        // from it: positive definite everywhere, but its average makes a
        // Gaussian of sd ~10 where the density is e⁻¹⁰⁰ — clearly worse
        // by the ELBO than the mean-field sds of 0.14 it came from.
        let (mut evals, mut density_evals) = (0, 0);
        let s = fixed_point_scale(
            &Toy::Cone,
            &mut (),
            &[0.0, 0.0],
            &[0.14, 0.14],
            (7, 0),
            (&mut evals, &mut density_evals),
        );
        assert!(s.is_none(), "{s:?}");
        assert_eq!(evals, 2 * (1 + FIXED_POINT_DRAWS));
        assert_eq!(density_evals, 2 * crate::infer::pathfinder::ELBO_DRAWS);
    }
}
