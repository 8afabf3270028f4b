//! The mean-field phase of a full-rank fit without a trustworthy mode:
//! a mean-field fit from the searches' best Gaussian, whose means and sds
//! (or the curvature averaged over it) become the full-rank flow's start.

use super::super::batch::Batch;
use super::super::family::Scale;
use super::super::init::{self, Start};
use super::super::plan::Plan;
use super::super::precondition::{Affine, Map};
use super::super::result::{Control, IterationInfo, Observer};
use super::super::termination::Termination;
use super::super::{FamilyKind, FitConfig, Precondition, Target};
use super::{Launch, Record, run_once, whiten_start};

/// The dimension above which a full-rank fit without a trustworthy mode
/// starts from a mean-field fit ([`phase`]): where its steps
/// take the O(n d²) path of `family::LOW_RANK_MIN_DIM`.
const MEAN_FIELD_PHASE_ABOVE: usize = super::super::family::LOW_RANK_MIN_DIM;

/// Observes a preliminary phase: its iterations show as progress of the
/// start's search (and can be interrupted), not as iterations of the fit.
struct PhaseObserver<'a> {
    inner: &'a mut dyn Observer,
}

impl Observer for PhaseObserver<'_> {
    fn iteration(&mut self, info: &IterationInfo<'_>) -> Control {
        self.inner
            .mode_search(info.restart, info.iteration, info.elbo)
    }

    fn wants_parameters(&self) -> bool {
        false
    }
}

/// With no trustworthy mode, a full-rank fit above [`MEAN_FIELD_PHASE_ABOVE`]
/// parameters first fits a mean-field q from the start and starts its own
/// flow from that q's means and sds. The start is then the best Gaussian on
/// the mode searches' paths, and in a hierarchical model that often lies in
/// a funnel's neck (a group scale near 0): a full-rank flow climbs out of
/// it slowly or stops at a local optimum there, each of its steps costing
/// O(n d²), while a mean-field flow climbs out in O(d) steps. On a
/// hierarchical logistic regression with 200 groups (d = 205) the fit took
/// 11–13 s instead of 44–103 s on two of three simulated data sets (21 s
/// instead of 15 s on the third); the textbook models above 100 parameters
/// (stochastic volatility, measurement error, a 2PL item-response model)
/// ran 1.3–3.6× faster. Below the threshold full-rank steps are cheap and
/// the start is left as it is.
///
/// Where the density is log-concave at the mean-field fit's mean, the
/// full-rank flow's starting scale is the curvature averaged over that fit
/// ([`init::fixed_point_scale`]) rather than its sds: whitened by the sds
/// alone, the correlations of the group effects with the population mean
/// and scale make the flow's first steps unstable, and step control
/// halves h down to ~1e-3 (300–1900 iterations on the 200-group regression;
/// 40–100 from the averaged curvature, which costs 17 Hessians).
pub(super) fn phase<T: Target>(
    plan: &Plan,
    batch: &mut Batch<'_, Affine<'_, T>>,
    start: &mut Start,
    record: &mut Record,
    observer: &mut dyn Observer,
) {
    if plan.kind != FamilyKind::FullRank
        || plan.family.d <= MEAN_FIELD_PHASE_ABOVE
        || plan.is_advi()
        || plan.is_fbgvi()
    {
        return;
    }
    let config = FitConfig {
        family: Some(FamilyKind::MeanField),
        ..plan.config.clone()
    };
    let Ok(mf) = Plan::new(&config, plan.family.d) else {
        return;
    };
    let fam = mf.family;
    let mut launch = Launch::plain(fam, start, None);
    if mf.precondition != Precondition::None {
        whiten_start(batch, fam, start, &mut launch, record);
    }
    let mut quiet = PhaseObserver { inner: observer };
    let outcome = run_once(&mf, &mf, batch, start, &launch, record, &mut quiet);
    batch.target().set(Map::identity());
    record.grad_evals += outcome.grad_evals;
    record.density_evals += outcome.density_evals;
    if outcome.termination != Termination::Converged {
        return;
    }
    let approx = fam.approximation(&outcome.theta);
    let mean = approx.mean();
    let sd = approx.sd();
    if !(mean.iter().chain(&sd).all(|v| v.is_finite()) && sd.iter().all(|&v| v > 0.0)) {
        return;
    }
    let (mut evals, mut density_evals) = (0, 0);
    let dense = init::fixed_point_scale(
        batch.target(),
        batch.workspace(),
        &mean,
        &sd,
        (plan.config.seed, record.restart),
        (&mut evals, &mut density_evals),
    );
    record.grad_evals += evals;
    record.density_evals += density_evals;
    start.describe = format!(
        "{}, then a mean-field fit from it ({} iterations){}",
        start.describe,
        outcome.iterations,
        if dense.is_some() {
            " with the curvature averaged over it as the scale"
        } else {
            ""
        }
    );
    start.scale = match dense {
        Some(s) => Scale::Dense(s),
        None => Scale::Diagonal(sd),
    };
    start.means = vec![mean.clone()];
    start.center = mean;
}
