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
/// L-BFGS iterations per search.
const MAX_ITERATIONS: usize = 2000;

/// One L-BFGS search and what it found.
struct Search {
    out: Outcome,
    found: bool,
    path: PathRecorder,
    from: String,
}

/// A Gaussian that competes for the start, with its ELBO on the shared
/// draws and the per-draw terms of that estimate.
struct Candidate {
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
    candidates.extend(laplace_first);
    candidates.extend(path_first);
    if !trusted && !interrupted {
        for p in 1..=EXTRA_PATHS {
            let Ok(xp) = finite_point(
                target,
                ws,
                plan.config.seed,
                restart,
                p as u64,
                false,
                evals,
            ) else {
                continue;
            };
            let mut s = search(
                target,
                ws,
                &mut path_ws,
                &xp,
                "a uniform(−2, 2) draw",
                plan,
                restart,
                observer,
                evals,
                &mut interrupted,
            );
            candidates.extend(laplace_candidate(
                target,
                ws,
                &mut path_ws,
                &mut s,
                (plan, restart),
                false,
                evals,
            ));
            candidates.extend(path_candidate(&mut s));
            *density_evals += s.path.evals;
            if interrupted {
                break;
            }
        }
    }
    let Some(best) = choose(candidates, trusted) else {
        warnings.push(format!(
            "could not find the posterior mode ({first_why}); starting from {from} with an \
             identity scale instead"
        ));
        let c = curvature(target, ws, &x0, evals);
        return Centred {
            center: x0,
            scale: Scale::identity(d, plan.family.is_diagonal()),
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
    let (mut centred, warning) = centred(target, ws, best, evals);
    warnings.extend(warning);
    centred.untrusted_mode = !trusted;
    centred
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
) -> Search {
    let diagonal = builds_diagonal(plan.family.is_diagonal(), x0.len());
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
            path.visit(target, path_ws, it, x, g);
            let go = observer.mode_search(restart, it, -f) == Control::Continue;
            *interrupted |= !go;
            go
        },
    );
    path.finish(target, path_ws);
    *evals += out.evals;
    let gmax = out.grad.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let found = out.f.is_finite()
        && (out.status == Status::Converged
            || (matches!(out.status, Status::LineSearchFailed | Status::MaxIterations)
                && gmax <= 1e-3));
    Search {
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
    let (scale, lmax, lmin, warning, elbo) = if builds_diagonal(plan.family.is_diagonal(), x.len())
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
