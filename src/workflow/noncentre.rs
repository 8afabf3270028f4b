//! The non-centred second fit: when the mode search finds no trustworthy
//! mode (a centred hierarchy's funnel, typically) and the model has
//! parameters drawn around others (`theta ~ normal(mu, tau)` with `tau` a
//! parameter), the fit runs again on the same model in non-centred
//! coordinates (theta = mu + tau z), and the run with the better ELBO is
//! kept. The ELBO is a bound on the same evidence in any coordinates, so
//! the two compare directly.

use crate::density::CompiledModel;
use crate::infer::{FitConfig, FitError, FitResult, NONCENTRING_ADVICE, Termination};

/// How the warning about the second fit begins.
const PREAMBLE: &str = "the mode search found no trustworthy mode, so the fit ran again with";

/// Up to this many parameters a second fit is cheap (seconds at most) and
/// always runs when the mode search found no trustworthy mode: a funnel
/// fit can pass its checks and still be off (centred eight schools on some
/// seeds: `tau` 0.35 sd high at k̂ 0.48).
pub(super) const ALWAYS_UP_TO: usize = 100;

/// Whether a finished fit of `d` parameters calls for a non-centred second
/// fit: its mode search found no trustworthy mode, and the model is small
/// or the fit cannot be trusted. Above [`ALWAYS_UP_TO`] parameters, a
/// centred fit that passes its checks is kept without the cost of a
/// second one.
pub(super) fn wanted(config: &FitConfig, first: &FitResult, d: usize) -> bool {
    first.no_trustworthy_mode
        && config.divergence.is_kl()
        && config.minibatch.is_none()
        && first.termination != Termination::Interrupted
        && (d <= ALWAYS_UP_TO || !first.trust().trusted())
}

/// Whether a run ended at an approximation whose ELBO means something: not
/// stopped by the user, not diverged, not collapsed (a collapsing run's
/// ELBO grows without bound, so it would win any comparison).
fn comparable(r: &FitResult) -> bool {
    matches!(
        r.termination,
        Termination::Converged | Termination::MaxIterations
    ) && r.diagnostics.elbo.is_finite()
}

/// How a run that cannot be compared by its ELBO ended, in words.
fn ended(t: &Termination) -> &'static str {
    match t {
        Termination::Collapsed(_) => "collapsed",
        Termination::Diverged => "diverged",
        Termination::Interrupted => "was interrupted",
        _ => "ended without a finite ELBO",
    }
}

/// A non-centred model's parameters, as the record and the warnings list
/// them.
pub(super) fn listed(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kept fit of the two, with the restarts of both (the non-centred
/// ones marked) and a warning saying which was kept and why; the second
/// value says whether the non-centred one was.
pub(super) fn better(
    centred: FitResult,
    noncentred: Result<FitResult, FitError>,
    names: &[String],
) -> (FitResult, bool) {
    let which = listed(names);
    let nc = match noncentred {
        Ok(nc) => nc,
        Err(e) => {
            let mut kept = centred;
            kept.warnings.push(format!(
                "{PREAMBLE} {which} non-centred; that run failed ({e}), so the centred fit is kept"
            ));
            return (kept, false);
        }
    };
    let (c_elbo, n_elbo) = (centred.diagnostics.elbo, nc.diagnostics.elbo);
    let nc_wins = comparable(&nc) && (!comparable(&centred) || n_elbo > c_elbo);
    let c_runs = centred.restarts.len();
    let mut restarts = centred.restarts.clone();
    restarts.extend(nc.restarts.iter().cloned().map(|mut r| {
        r.init = format!("non-centred: {}", r.init);
        r
    }));
    for (k, r) in restarts.iter_mut().enumerate() {
        r.restart = k;
    }
    let grad_evals = centred.grad_evals + nc.grad_evals;
    let density_evals = centred.density_evals + nc.density_evals;
    let word = if nc_wins { "non-centred" } else { "centred" };
    let why = if !comparable(&nc) {
        format!("the non-centred run {}", ended(&nc.termination))
    } else if !comparable(&centred) {
        format!("the centred run {}", ended(&centred.termination))
    } else {
        let (other, ours, theirs) = if nc_wins {
            ("centred", n_elbo, c_elbo)
        } else {
            ("non-centred", c_elbo, n_elbo)
        };
        format!(
            "the {word} fit has the better ELBO: {ours:.2} against {theirs:.2} for the {other} one"
        )
    };
    let (mut kept, best) = if nc_wins {
        let best = c_runs + nc.best_restart;
        (nc, best)
    } else {
        let best = centred.best_restart;
        (centred, best)
    };
    let shift = if nc_wins { c_runs } else { 0 };
    let advice = format!("{NONCENTRING_ADVICE}, ");
    let mut leading = shift > 0;
    kept.warnings = kept
        .warnings
        .iter()
        .map(|w| {
            // The warnings before the first numbered one are the first
            // restart's.
            leading = leading && !w.starts_with("restart ");
            let w = if leading {
                format!("restart {}: {w}", shift + 1)
            } else {
                renumbered(w, shift)
            };
            w.replace(&advice, "")
        })
        .collect();
    kept.warnings.push(format!(
        "{PREAMBLE} {which} non-centred (offset and multiplier from the location and scale of \
         their `~` statements: the same posterior in other coordinates); {why}, so the \
         {word} fit is kept"
    ));
    kept.restarts = restarts;
    kept.best_restart = best;
    kept.grad_evals = grad_evals;
    kept.density_evals = density_evals;
    (kept, nc_wins)
}

/// The model a fit's record says it was made with: `model` itself, or
/// its non-centred form in the parameters the record lists.
pub(super) fn as_recorded(model: CompiledModel, recorded: &str) -> Result<CompiledModel, String> {
    if recorded.is_empty() {
        return Ok(model);
    }
    let names: Vec<String> = recorded.split(", ").map(str::to_string).collect();
    model.with_noncentred(&names)
}

/// A restart's warning (`restart 2: …`) numbered as the restarts of both
/// runs are, the non-centred run's after the centred one's.
fn renumbered(w: &str, shift: usize) -> String {
    let number = w
        .strip_prefix("restart ")
        .and_then(|rest| rest.split_once(": "))
        .and_then(|(n, tail)| n.parse::<usize>().ok().map(|k| (k, tail)));
    match number {
        Some((k, tail)) if shift > 0 => format!("restart {}: {tail}", k + shift),
        _ => w.to_string(),
    }
}
