//! One fit from start to result: the plan, then for every restart the start
//! (`init`), the coordinates of the flow (`precondition`), the run (`flow`
//! for `bw`/`fbgvi`, `advi`) with its fallback to the model's coordinates,
//! and the diagnosis of its q (`proposals`); finally the best restart with
//! every warning the user must hear.

mod mean_field;

use super::batch::Batch;
use super::config::MAX_WINDOW;
use super::divergence::Objective;
use super::family::{Approximation, Factors, Family};
use super::flow::{self, RunOutcome};
use super::init::{self, Start};
use super::plan::Plan;
use super::precondition::{self, Affine, Map};
use super::proposals::{self, Proposals};
use super::result::{FitError, FitResult, Observer, RestartSummary};
use super::termination::Termination;
use super::{Optimizer, Precondition, Step, Target, advi, step_control};
use crate::diagnose::{self, Diagnostics};

/// Fits q to the target, every restart from `given` when there is one.
pub(crate) fn run_fit<T: Target>(
    target: &T,
    config: &super::FitConfig,
    given: Option<&Approximation>,
    observer: &mut dyn Observer,
) -> Result<FitResult, FitError> {
    let d = target.dim();
    let plan = Plan::new(config, d).map_err(FitError::Config)?;
    if d == 0 {
        return Err(FitError::NoParameters);
    }
    let fam = plan.family;
    let capacity = plan.samples.max(config.elbo_samples) * fam.components();
    let affine = Affine::new(target);
    let mut batch = Batch::new(
        &affine,
        plan.threads,
        capacity,
        Factors::scratch_len(fam),
        plan.exact_hessians,
    )
    .map_err(FitError::Other)?
    .with_noise_len(fam.noise_len());
    let mut record = Record::new(&plan);
    let automatic = config.restarts == 0;
    let mut total = config.restarts.max(1);
    let mut extra_restarts = false;
    let mut r = 0;
    while r < total {
        observer.restart(r, total);
        record.restart = r;
        r += 1;
        let Some(kept) = run_restart(&plan, &mut batch, given, &mut record, observer) else {
            continue;
        };
        let interrupted = kept.outcome.termination == Termination::Interrupted;
        if r == 1 && automatic && record.untrusted_start && !interrupted {
            // No trustworthy mode: the flow's end depends on where it
            // starts (spikes at scale boundaries, separate basins), so
            // compare several starts by their ELBO.
            total = UNTRUSTED_START_RESTARTS;
            record.multi = true;
            record.no_trustworthy_mode = true;
            extra_restarts = true;
        }
        record.keep(kept);
        if interrupted {
            record.interrupted_of = Some(total);
            break;
        }
        // Two converged runs from independent starts that end at the same
        // optimum settle the question the restarts ask.
        if extra_restarts && r == 2 && record.first_two_agree() {
            total = 2;
        }
    }
    if extra_restarts {
        let w = if total == 2 {
            "the mode search found no trustworthy mode, so the fit ran again from other \
             starts; both runs converged to the same optimum, so no further restarts were run \
             (--restarts N runs N)"
                .to_string()
        } else {
            format!(
                "the mode search found no trustworthy mode, so {total} restarts were run and \
                 the one with the best ELBO is kept (--restarts N sets their number)"
            )
        };
        record.say_of_result(w, observer);
    }
    record.finish(&plan, observer)
}

/// Restarts run, with the default `--restarts 1`, when the first start
/// found no trustworthy mode.
pub(crate) const UNTRUSTED_START_RESTARTS: usize = 4;

/// What a fit keeps of a restart.
struct Kept {
    outcome: RunOutcome,
    approx: Approximation,
    diag: Diagnostics,
    proposals: Option<Proposals>,
    /// The objective the divergence minimises (−ELBO for KL), from the
    /// diagnostic draws, which are the same for every restart.
    objective: Objective,
}

/// Everything gathered over the restarts.
struct Record {
    restart: usize,
    multi: bool,
    /// The divergence is KL (selection by ELBO).
    kl: bool,
    best: Option<(usize, Kept)>,
    summaries: Vec<RestartSummary>,
    warnings: Vec<String>,
    grad_evals: usize,
    density_evals: usize,
    last_error: Option<FitError>,
    /// The configuration with the defaults filled in.
    recorded: super::FitConfig,
    /// How the current restart started, for its summary.
    start_text: String,
    start_grad_evals: usize,
    /// Whether the current restart's start found no trustworthy mode.
    untrusted_start: bool,
    /// The first restart's start found no trustworthy mode and the
    /// restarts are automatic.
    no_trustworthy_mode: bool,
    /// Set when the user stopped the fit: the number of restarts that were
    /// planned.
    interrupted_of: Option<usize>,
}

impl Record {
    fn new(plan: &Plan) -> Record {
        Record {
            restart: 0,
            multi: plan.config.restarts > 1,
            kl: plan.config.divergence.is_kl(),
            best: None,
            summaries: Vec::new(),
            warnings: Vec::new(),
            grad_evals: 0,
            density_evals: 0,
            last_error: None,
            recorded: plan.recorded(),
            start_text: String::new(),
            start_grad_evals: 0,
            untrusted_start: false,
            no_trustworthy_mode: false,
            interrupted_of: None,
        }
    }

    /// A warning of the current restart: to the observer now, to the
    /// result later.
    fn say(&mut self, w: String, observer: &mut dyn Observer) {
        let w = if self.multi {
            format!("restart {}: {w}", self.restart + 1)
        } else {
            w
        };
        observer.warning(&w);
        self.warnings.push(w);
    }

    /// A warning about the chosen run (no restart prefix).
    fn say_of_result(&mut self, w: String, observer: &mut dyn Observer) {
        observer.warning(&w);
        self.warnings.push(w);
    }

    /// Summarises a finished restart and keeps it if it has the lowest
    /// estimate of the objective being minimised: the ELBO for KL, the
    /// divergence's own objective otherwise (a forward-KL or χ² fit must not
    /// prefer its most mode-seeking restart).
    fn keep(&mut self, kept: Kept) {
        self.summaries.push(RestartSummary {
            restart: self.restart,
            init: std::mem::take(&mut self.start_text),
            elbo: kept.diag.elbo,
            elbo_se: kept.diag.elbo_se,
            termination: kept.outcome.termination,
            iterations: kept.outcome.iterations,
            grad_evals: kept.outcome.grad_evals + self.start_grad_evals,
            rescued_by_step_control: kept.outcome.rescued,
            objective: (!self.kl).then_some(kept.objective.value),
            objective_se: (!self.kl).then_some(kept.objective.se),
        });
        let new = self.summaries.len() - 1;
        let better = match &self.best {
            None => true,
            // A run the user stopped is unfinished: it replaces a finished
            // one only when clearly at a better optimum, not on the noise
            // of two estimates of the same one.
            Some((i, k))
                if kept.outcome.termination == Termination::Interrupted
                    && k.outcome.termination != Termination::Interrupted =>
            {
                lower_optimum(score(&self.summaries[new]), score(&self.summaries[*i]))
            }
            Some((_, k)) => kept.objective.value < k.objective.value || k.objective.value.is_nan(),
        };
        if better {
            self.best = Some((new, kept));
        }
    }

    /// Whether the first two restarts both converged and neither ended at
    /// a lower optimum than the other (see [`restarts_disagree`]).
    fn first_two_agree(&self) -> bool {
        match &self.summaries[..] {
            [a, b] => {
                a.termination == Termination::Converged
                    && b.termination == Termination::Converged
                    && !lower_optimum(score(a), score(b))
                    && !lower_optimum(score(b), score(a))
            }
            _ => false,
        }
    }

    /// The result of the best restart, with the warnings about it.
    fn finish(mut self, plan: &Plan, observer: &mut dyn Observer) -> Result<FitResult, FitError> {
        let config = &plan.config;
        let Some((best_index, kept)) = self.best.take() else {
            return Err(self
                .last_error
                .unwrap_or_else(|| FitError::Other("no run completed".into())));
        };
        if !kept.diag.elbo.is_finite() && kept.outcome.termination == Termination::Diverged {
            return Err(FitError::Diverged(
                "no run produced an approximation with a finite ELBO".into(),
            ));
        }
        for w in kept.approx.mixture_issues() {
            self.say_of_result(w, observer);
        }
        for w in kept.diag.warnings(&kept.approx.kind().poor_fit_remedy()) {
            self.say_of_result(w, observer);
        }
        if kept.outcome.termination == Termination::MaxIterations {
            self.say_of_result(Termination::max_iterations_warning(config), observer);
        }
        let mut termination = kept.outcome.termination;
        if let Some(planned) = self.interrupted_of
            && termination != Termination::Interrupted
        {
            // The kept run finished, but the user stopped the fit before
            // every restart could be compared with it.
            self.say_of_result(
                format!(
                    "the fit was interrupted in restart {} of {planned}; the best of the \
                     restarts run so far (restart {}) is kept",
                    self.restart + 1,
                    self.summaries[best_index].restart + 1
                ),
                observer,
            );
            termination = Termination::Interrupted;
        }
        if let Some(w) = restarts_disagree(&self.summaries, best_index) {
            self.say_of_result(w, observer);
        }
        self.recorded.restarts = self.summaries.len().max(1);
        Ok(FitResult {
            approximation: kept.approx,
            termination,
            iterations: kept.outcome.iterations,
            grad_evals: self.grad_evals,
            density_evals: self.density_evals,
            trace: kept.outcome.trace,
            restarts: self.summaries,
            best_restart: best_index,
            no_trustworthy_mode: self.no_trustworthy_mode,
            warnings: self.warnings,
            rescued_by_step_control: kept.outcome.rescued,
            step_rejections: kept.outcome.step_rejections,
            initial_step: kept.outcome.initial_step,
            final_step: kept.outcome.final_step,
            config: self.recorded,
            diagnostics: kept.diag,
            proposals: kept.proposals,
        })
    }
}

/// A warning when another restart ended with an ELBO below the kept one's
/// (for a divergence other than KL, its objective above) by more than 4
/// combined standard errors and 1 nat: the runs found different optima
/// (separate modes, or a degenerate region a run could not leave), and the
/// kept q covers only what its own run found.
fn restarts_disagree(summaries: &[RestartSummary], best: usize) -> Option<String> {
    let b = summaries.get(best)?;
    let (best_score, _) = score(b);
    let worse: Vec<f64> = summaries
        .iter()
        .map(score)
        .filter(|&other| lower_optimum(score(b), other))
        .map(|(v, _)| v)
        .collect();
    if worse.is_empty() {
        return None;
    }
    let lowest = worse.iter().fold(f64::INFINITY, |a, &v| a.min(v));
    let what = if b.objective.is_some() {
        format!(
            "the divergence's objective up to {:.2}, against {:.2} kept",
            -lowest, -best_score
        )
    } else {
        format!("ELBO down to {lowest:.2}, against {best_score:.2} kept")
    };
    Some(format!(
        "{} of {} restarts ended at a lower optimum ({what}): the posterior has separate \
         modes or regions a run could not leave; the kept approximation describes only the \
         best one",
        worse.len(),
        summaries.len(),
    ))
}

/// A restart's score and its standard error, higher is better: its ELBO
/// for KL, minus the divergence's objective otherwise.
fn score(s: &RestartSummary) -> (f64, f64) {
    match (s.objective, s.objective_se) {
        (Some(v), Some(se)) => (-v, se),
        _ => (s.elbo, s.elbo_se),
    }
}

/// Whether the run scored `other` ended below the one scored `best` by more
/// than 4 combined standard errors and 1 nat.
fn lower_optimum((best, best_se): (f64, f64), (other, se): (f64, f64)) -> bool {
    other.is_finite() && best - other > 1.0 + 4.0 * (se.powi(2) + best_se.powi(2)).sqrt()
}

/// Where a run starts: θ₀ in the coordinates of the batch's map and the
/// curvature there.
struct Launch {
    theta0: Vec<f64>,
    curvature: f64,
    flattest: Option<f64>,
    /// The map is the start's Laplace whitening.
    whitened: bool,
}

impl Launch {
    /// θ₀ in the model's own coordinates.
    fn plain(fam: Family, start: &Start, given: Option<&Approximation>) -> Launch {
        let theta0 = match given {
            Some(a) => Family::from_approximation(a).1,
            None => fam.theta_from_start(&start.means, &start.scale),
        };
        Launch {
            theta0,
            curvature: start.curvature,
            flattest: start.flattest,
            whitened: false,
        }
    }
}

/// One restart: start, run (again in the model's coordinates if the
/// whitened flow diverged), diagnose. `None` when no start was found.
fn run_restart<T: Target>(
    plan: &Plan,
    batch: &mut Batch<'_, Affine<'_, T>>,
    given: Option<&Approximation>,
    record: &mut Record,
    observer: &mut dyn Observer,
) -> Option<Kept> {
    let affine = batch.target();
    let fam = plan.family;
    let r = record.restart;
    affine.set(Map::identity());
    let started = match given {
        Some(a) => Ok(init::given(affine, batch.workspace(), a)),
        None => init::start(
            affine,
            batch.workspace(),
            plan,
            fam.components(),
            r,
            observer,
        ),
    };
    let mut start = match started {
        Ok(s) => s,
        Err(e) => {
            record.say(e.to_string(), observer);
            record.last_error = Some(e);
            return None;
        }
    };
    record.grad_evals += start.grad_evals;
    record.density_evals += start.density_evals;
    record.untrusted_start = start.untrusted_mode;
    for w in std::mem::take(&mut start.warnings) {
        record.say(w, observer);
    }
    if given.is_none() && start.untrusted_mode {
        mean_field::phase(plan, batch, &mut start, record, observer);
    }
    let mut launch = Launch::plain(fam, &start, given);
    // A given start is in the model's own coordinates: no Laplace
    // whitening (the current-q whitening of the run still applies).
    if !plan.is_advi() && given.is_none() && plan.precondition != Precondition::None {
        whiten_start(batch, fam, &start, &mut launch, record);
    }
    // A whitened flow that diverges (a funnel's neck seen through the
    // Laplace approximation) runs again in the model's own coordinates.
    let plain = plan.in_model_coordinates();
    let mut active = plan;
    let outcome = loop {
        let outcome = run_once(active, plan, batch, &start, &launch, record, observer);
        if launch.whitened && outcome.termination == Termination::Diverged {
            record.grad_evals += outcome.grad_evals;
            record.density_evals += outcome.density_evals;
            let by = if start.untrusted_mode {
                "the starting Gaussian"
            } else {
                "the Laplace approximation"
            };
            record.say(
                format!(
                    "the flow in coordinates whitened by {by} diverged; it ran again in the \
                     model's own coordinates"
                ),
                observer,
            );
            batch.target().set(Map::identity());
            launch = Launch::plain(fam, &start, None);
            active = &plain;
            continue;
        }
        break outcome;
    };
    record.grad_evals += outcome.grad_evals;
    record.density_evals += outcome.density_evals;
    for w in &outcome.warnings {
        record.say(w.clone(), observer);
    }
    batch.target().set(Map::identity());
    let approx = fam.approximation(&outcome.theta);
    let config = &plan.config;
    // An interrupted run is summarised from the output draws alone, not
    // from four times as many: on large data the diagnostics would
    // otherwise keep a user who pressed Ctrl-C waiting for minutes.
    let n = if outcome.termination == Termination::Interrupted {
        config.draws
    } else {
        diagnose::proposals(config.draws)
    };
    let (diag, proposals, objective) =
        proposals::evaluate(batch, &approx, n, config.seed, config.divergence);
    record.density_evals += n;
    record.start_text = start.describe;
    record.start_grad_evals = start.grad_evals;
    Some(Kept {
        outcome,
        approx,
        diag,
        proposals,
        objective,
    })
}

/// Moves the start into the coordinates where its Laplace approximation is
/// N(0, I) (when it has a usable scale), and measures the curvature there.
fn whiten_start<T: Target>(
    batch: &mut Batch<'_, Affine<'_, T>>,
    fam: Family,
    start: &Start,
    launch: &mut Launch,
    record: &mut Record,
) {
    let Some((map, theta_z)) = precondition::initial(fam, start) else {
        return;
    };
    // The flow starts at q = N(0, I) (or its mixture spread) in
    // coordinates where the Laplace approximation is N(0, I): its
    // curvature there is about 1 unless the Laplace scale was
    // regularised or unavailable, so measure it.
    let affine = batch.target();
    affine.set(map);
    let mut evals = 0;
    let z0 = vec![0.0; fam.d];
    let (c, f) = init::curvature(affine, batch.workspace(), &z0, &mut evals);
    record.grad_evals += evals;
    *launch = Launch {
        theta0: theta_z,
        curvature: if c.is_finite() { c.max(1.0) } else { 1.0 },
        flattest: f.map(|f| f.min(1.0)),
        whitened: true,
    };
}

/// One run of the active plan's algorithm from the launch point. `plan` is
/// the fit's own plan (its coordinates decide the ill-conditioning warning).
fn run_once<T: Target>(
    active: &Plan,
    plan: &Plan,
    batch: &mut Batch<'_, Affine<'_, T>>,
    start: &Start,
    launch: &Launch,
    record: &mut Record,
    observer: &mut dyn Observer,
) -> RunOutcome {
    let fam = active.family;
    let r = record.restart;
    let theta0 = launch.theta0.clone();
    if active.is_advi() {
        return advi::run(batch, active, fam, theta0, r, observer);
    }
    let config = &active.config;
    let h0 = initial_step(active, start, launch.curvature);
    // The flow relaxes its flattest direction at rate h·λ_min per
    // iteration: evaluate (and average) over that time scale.
    let scale = launch
        .flattest
        .filter(|_| config.optimizer == Optimizer::Euler)
        .map(|l| 1.0 / (h0 * l));
    let eval_every = active.eval_every(scale);
    if r == 0 {
        record.recorded.eval_every = Some(eval_every);
    }
    if config.eval_every.is_none()
        && plan.precondition == Precondition::None
        && scale.is_some_and(|t| 2.0 * t > MAX_WINDOW as f64)
    {
        record.say(
            format!(
                "the posterior is ill-conditioned: the flow needs about {:.0} iterations \
                 to relax its flattest direction, more than the {} between ELBO checks, \
                 so the stopping rule may fire before it has; consider \
                 --precondition adaptive",
                scale.unwrap_or(0.0),
                MAX_WINDOW
            ),
            observer,
        );
    }
    flow::run(batch, active, theta0, h0, eval_every, r, observer)
}

/// The first step: as given, else from the curvature at the start (Euler:
/// h = ½/λ_max) or 2 % of the median marginal sd (Adam's learning rate).
fn initial_step(plan: &Plan, start: &Start, curvature: f64) -> f64 {
    let d = plan.family.d;
    match (plan.config.step, plan.config.optimizer) {
        (Step::Fixed(h), _) => h,
        (Step::Auto, Optimizer::Euler) => step_control::initial_step(curvature),
        (Step::Auto, Optimizer::Adam) => {
            let mut sds = start.scale.sds();
            sds.sort_by(f64::total_cmp);
            0.02 * sds[d / 2]
        }
    }
}
