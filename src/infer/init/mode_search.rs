//! `init = map`: the mode with its Laplace covariance when that is a good
//! Gaussian, and otherwise the best Gaussian met on the way (Pathfinder).
//!
//! The first L-BFGS search runs from the usual point. Its Laplace
//! approximation is kept unless it is absent (no mode was found: the density
//! grows without bound, as a centred hierarchical model's does when a scale
//! goes to 0) or a Gaussian read off the search's own path has a clearly
//! larger ELBO on the same draws (the mode is a degenerate spike, or its
//! Hessian is no covariance). Then [`EXTRA_PATHS`] more searches run from
//! uniform(−2, 2) points, because a search that ran into a spike rarely
//! passed through the bulk; every mode they find and every path's best
//! Gaussian competes, and the largest ELBO estimate wins.
//!
//! A trusted first mode may still be a minor one: a search from zero can
//! end in the lesser mode of a multimodal posterior (a hidden Markov
//! model's states, say) that holds almost none of the mass. So (up to
//! [`MODE_CHECK_MAX_DIM`] coordinates) the same extra searches run without
//! recording their paths, and the Laplace approximation of any mode they
//! find replaces the first one only when a valley of the log density
//! separates the two and it is clearly better on the same draws (see
//! `pathfinder::clearly_better`); a warning then says that the posterior
//! has several modes.

use super::super::Target;
use super::super::family::Scale;
use super::super::lbfgs::{self, Outcome, Status};
use super::super::pathfinder::{self, PathRecorder, PathStart, clearly_better};
use super::super::plan::Plan;
use super::super::result::{Control, Observer};
use super::diagonal::{builds_diagonal, laplace_sds};
use super::{Centred, curvature, finite_point, laplace};

/// Searches added when the first one gives no trustworthy start.
pub(crate) const EXTRA_PATHS: usize = 3;
/// Largest dimension at which a trusted first mode is checked against the
/// modes of the extra searches (their L-BFGS runs and Laplace
/// approximations are a small part of a fit up to here).
pub(crate) const MODE_CHECK_MAX_DIM: usize = 1000;
/// L-BFGS iterations per search.
const MAX_ITERATIONS: usize = 2000;

/// One L-BFGS search and what it found.
struct Search {
    /// 0 for the first search, p for the p-th extra one.
    index: usize,
    out: Outcome,
    found: bool,
    path: PathRecorder,
    from: String,
}

/// A Gaussian that competes for the start, with its ELBO on the shared
/// draws and the per-draw terms of that estimate.
struct Candidate {
    /// Which search found it: 0 for the first.
    search: usize,
    elbo: f64,
    terms: Vec<f64>,
    kind: Kind,
}

enum Kind {
    Laplace {
        center: Vec<f64>,
        scale: Scale,
        curvature: (f64, f64),
        warning: Option<String>,
        iterations: usize,
        from: String,
    },
    Path(PathStart, String),
}

/// See the module documentation.
#[allow(clippy::too_many_arguments)]
pub(crate) fn at_mode<T: Target>(
    target: &T,
    ws: &mut T::Workspace,
    x0: Vec<f64>,
    from: &str,
    plan: &Plan,
    restart: usize,
    observer: &mut dyn Observer,
    evals: &mut usize,
    density_evals: &mut usize,
    warnings: &mut Vec<String>,
) -> Centred {
    let d = x0.len();
    let mut path_ws = target.workspace();
    let mut interrupted = false;
    let mut first = search(
        target,
        ws,
        &mut path_ws,
        &x0,
        from,
        plan,
        restart,
        observer,
        evals,
        &mut interrupted,
        true,
    );
    if interrupted {
        warnings
            .push("the search for the mode was interrupted; starting from where it stopped".into());
    }
    let mut candidates = Vec::new();
    let laplace_first = laplace_candidate(
        target,
        ws,
        &mut path_ws,
        &mut first,
        (plan, restart),
        interrupted,
        evals,
    );
    let first_why = failure(&first);
    let path_first = path_candidate(&mut first);
    let trusted = match (&laplace_first, &path_first) {
        (Some(l), Some(p)) => !clearly_better(&p.terms, &l.terms),
        (Some(_), None) => true,
        _ => false,
    };
    *density_evals += first.path.evals;
    let first_elbo = laplace_first.as_ref().map_or(f64::NAN, |c| c.elbo);
    candidates.extend(laplace_first);
    candidates.extend(path_first);
    // Without a trusted mode the extra searches' paths compete too; with
    // one, only the modes they find, to check that it is not a minor one.
    if !interrupted && (!trusted || d <= MODE_CHECK_MAX_DIM) {
        let first_mode = trusted.then(|| FirstMode {
            x: first.out.x.clone(),
            f: first.out.f,
        });
        let mut extra = ExtraSearches {
            plan,
            restart,
            with_paths: !trusted,
            first: first_mode,
            evals,
            density_evals,
            interrupted: &mut interrupted,
        };
        extra.run(target, ws, &mut path_ws, observer, &mut candidates);
    }
    let Some(best) = choose(candidates, trusted) else {
        warnings.push(format!(
            "could not find the posterior mode ({first_why}); starting from {from} with an \
             identity scale instead"
        ));
        let c = curvature(target, ws, &x0, evals);
        return Centred {
            center: x0,
            scale: Scale::identity(d, plan.family.avoids_dense()),
            curvature: c,
            describe: format!("{from} (mode search failed), identity scale"),
            untrusted_mode: true,
        };
    };
    if !trusted {
        warnings.push(format!(
            "{}; the start is the Gaussian with the best ELBO among the modes and the \
             paths of {} searches (Pathfinder)",
            first_why,
            1 + EXTRA_PATHS
        ));
    }
    if trusted && best.search > 0 {
        warnings.push(format!(
            "the posterior has several modes: L-BFGS from a uniform(−2, 2) draw found one whose \
             Laplace approximation has a larger ELBO than that of the mode found from {from} \
             ({:.2} against {:.2}); the start is that mode, and a Gaussian describes only it",
            best.elbo, first_elbo
        ));
    }
    let (mut centred, warning) = centred(target, ws, best, evals);
    warnings.extend(warning);
    centred.untrusted_mode = !trusted;
    centred
}

/// The [`EXTRA_PATHS`] searches from uniform(−2, 2) points.
struct ExtraSearches<'a> {
    plan: &'a Plan,
    restart: usize,
    /// Whether their paths' Gaussians compete (no trusted first mode).
    with_paths: bool,
    /// The trusted first mode: a search that ends there again adds nothing.
    first: Option<FirstMode>,
    evals: &'a mut usize,
    density_evals: &'a mut usize,
    interrupted: &'a mut bool,
}

impl ExtraSearches<'_> {
    /// Runs them and adds what they find to `candidates`.
    fn run<T: Target>(
        &mut self,
        target: &T,
        ws: &mut T::Workspace,
        path_ws: &mut T::Workspace,
        observer: &mut dyn Observer,
        candidates: &mut Vec<Candidate>,
    ) {
        let seed = self.plan.config.seed;
        for p in 1..=EXTRA_PATHS {
            let Ok(xp) = finite_point(target, ws, seed, self.restart, p as u64, false, self.evals)
            else {
                continue;
            };
            let mut s = search(
                target,
                ws,
                path_ws,
                &xp,
                "a uniform(−2, 2) draw",
                self.plan,
                self.restart,
                observer,
                self.evals,
                self.interrupted,
                self.with_paths,
            );
            s.index = p;
            let first = self.first.as_ref();
            if first.is_some_and(|m| !m.separated_from(target, ws, &s.out.x, s.out.f)) {
                continue;
            }
            candidates.extend(laplace_candidate(
                target,
                ws,
                path_ws,
                &mut s,
                (self.plan, self.restart),
                false,
                self.evals,
            ));
            if self.with_paths {
                candidates.extend(path_candidate(&mut s));
            }
            *self.density_evals += s.path.evals;
            if *self.interrupted {
                break;
            }
        }
    }
}

/// A trusted first mode, against which the extra searches' modes are
/// checked.
struct FirstMode {
    x: Vec<f64>,
    /// −log density there.
    f: f64,
}

/// Points of the segment between two modes at which the log density is
/// looked at.
const VALLEY_POINTS: usize = 7;

impl FirstMode {
    /// Whether the L-BFGS end `x` (−log density `f`) is another mode: the
    /// log density dips more than 1 nat below the lower of the two ends
    /// somewhere on the segment between them. Ends in one basin (the same
    /// mode found more or less precisely along a flat direction) see no
    /// such valley; a concave log density never has one.
    fn separated_from<T: Target>(
        &self,
        target: &T,
        ws: &mut T::Workspace,
        x: &[f64],
        f: f64,
    ) -> bool {
        let floor = -self.f.max(f) - 1.0;
        let mut point = vec![0.0; x.len()];
        (1..=VALLEY_POINTS).any(|k| {
            let t = k as f64 / (VALLEY_POINTS + 1) as f64;
            for (p, (a, b)) in point.iter_mut().zip(self.x.iter().zip(x)) {
                *p = a + t * (b - a);
            }
            !(target.log_density(ws, &point) >= floor)
        })
    }
}

/// Why the first search gave no trusted Laplace start.
fn failure(s: &Search) -> String {
    let gmax = s.out.grad.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    match s.out.status {
        _ if s.found => "the Laplace approximation at the mode is a poor Gaussian (the mode is \
                         degenerate, or its curvature is no covariance)"
            .to_string(),
        Status::Unbounded => "could not find the posterior mode (the log density keeps \
                              increasing along a direction: an improper posterior or a funnel)"
            .to_string(),
        _ => format!(
            "could not find the posterior mode (L-BFGS stopped after {} iterations with \
             gradient norm {gmax:.3e})",
            s.out.iterations
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn search<T: Target>(
    target: &T,
    ws: &mut T::Workspace,
    path_ws: &mut T::Workspace,
    x0: &[f64],
    from: &str,
    plan: &Plan,
    restart: usize,
    observer: &mut dyn Observer,
    evals: &mut usize,
    interrupted: &mut bool,
    record_path: bool,
) -> Search {
    let diagonal = builds_diagonal(plan.family.avoids_dense(), x0.len());
    let mut path = PathRecorder::new(x0.len(), plan.config.seed, restart, diagonal);
    let out = lbfgs::minimize(
        |x, g| {
            let lp = target.log_density_and_gradient(ws, x, g);
            for v in g.iter_mut() {
                *v = -*v;
            }
            -lp
        },
        x0,
        MAX_ITERATIONS,
        |it, f, x, g| {
            if record_path {
                path.visit(target, path_ws, it, x, g);
            }
            let go = observer.mode_search(restart, it, -f) == Control::Continue;
            *interrupted |= !go;
            go
        },
    );
    if record_path {
        path.finish(target, path_ws);
    }
    *evals += out.evals;
    let gmax = out.grad.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let found = out.f.is_finite()
        && (out.status == Status::Converged
            || (matches!(out.status, Status::LineSearchFailed | Status::MaxIterations)
                && gmax <= 1e-3));
    Search {
        index: 0,
        out,
        found,
        path,
        from: from.to_string(),
    }
}

/// The Laplace approximation at the search's mode, when there is one:
/// dense, or for a mean-field start in high dimension diagonal (see
/// `diagonal`), its ELBO estimated on the path's shared draws.
fn laplace_candidate<T: Target>(
    target: &T,
    ws: &mut T::Workspace,
    path_ws: &mut T::Workspace,
    s: &mut Search,
    (plan, restart): (&Plan, usize),
    interrupted: bool,
    evals: &mut usize,
) -> Option<Candidate> {
    if !(s.found || interrupted) {
        return None;
    }
    let x = &s.out.x;
    let (scale, lmax, lmin, warning, elbo) = if builds_diagonal(plan.family.avoids_dense(), x.len())
    {
        let (sd, lmax, lmin, warning) =
            laplace_sds(target, ws, x, plan.config.seed, restart, evals)?;
        let elbo = s.path.elbo_of_diagonal(target, path_ws, x, &sd);
        (Scale::Diagonal(sd), lmax, lmin, warning, elbo)
    } else {
        let (scale, lmax, lmin, warning) = laplace(target, ws, x, evals)?;
        let elbo = s.path.elbo_of_dense(target, path_ws, x, &scale);
        (Scale::Dense(scale), lmax, lmin, warning, elbo)
    };
    Some(Candidate {
        search: s.index,
        elbo,
        terms: s.path.last_terms().to_vec(),
        kind: Kind::Laplace {
            center: s.out.x.clone(),
            scale,
            curvature: (lmax, lmin),
            warning,
            iterations: s.out.iterations,
            from: s.from.clone(),
        },
    })
}

fn path_candidate(s: &mut Search) -> Option<Candidate> {
    let (start, terms) = s.path.take_best()?;
    Some(Candidate {
        search: s.index,
        elbo: start.elbo,
        terms,
        kind: Kind::Path(start, s.from.clone()),
    })
}

/// The candidate with the largest ELBO; when the first search's Laplace
/// approximation is `trusted` (first in the list) it is kept unless another
/// is clearly better.
fn choose(candidates: Vec<Candidate>, trusted: bool) -> Option<Candidate> {
    let finite = |c: &Candidate| c.elbo.is_finite();
    let mut best: Option<Candidate> = None;
    for c in candidates {
        let take = match &best {
            None => finite(&c) || matches!(c.kind, Kind::Laplace { .. }),
            Some(b) if trusted && matches!(b.kind, Kind::Laplace { .. }) && b.elbo.is_finite() => {
                clearly_better(&c.terms, &b.terms) && c.elbo > b.elbo
            }
            Some(b) => finite(&c) && !(c.elbo <= b.elbo),
        };
        if take {
            best = Some(c);
        }
    }
    best
}

fn centred<T: Target>(
    target: &T,
    ws: &mut T::Workspace,
    chosen: Candidate,
    evals: &mut usize,
) -> (Centred, Option<String>) {
    match chosen.kind {
        Kind::Laplace {
            center,
            scale,
            curvature,
            warning,
            iterations,
            from,
        } => (
            Centred {
                center,
                describe: format!(
                    "map: mode by L-BFGS from {from} ({iterations} iterations), {}",
                    if scale.is_diagonal() {
                        "mean-field Laplace scale (estimated diagonal curvature)"
                    } else {
                        "Laplace covariance"
                    }
                ),
                scale,
                curvature: (curvature.0, Some(curvature.1)),
                untrusted_mode: false,
            },
            warning,
        ),
        Kind::Path(start, from) => {
            let c = curvature(target, ws, &start.gaussian.mean, evals);
            let scale = if start.gaussian.is_diagonal() {
                Scale::Diagonal(start.gaussian.marginal_sds())
            } else {
                Scale::Dense(start.gaussian.dense_scale())
            };
            let centred = Centred {
                scale,
                center: start.gaussian.mean,
                curvature: c,
                describe: format!(
                    "pathfinder: the Gaussian at iteration {} of L-BFGS from {from} (ELBO {:.4} \
                     on {} draws, best of {} along that path)",
                    start.iteration,
                    start.elbo,
                    pathfinder::ELBO_DRAWS,
                    start.points
                ),
                untrusted_mode: true,
            };
            (centred, None)
        }
    }
}
