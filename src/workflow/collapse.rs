//! The words for a run that collapsed (`infer::Termination::Collapsed`):
//! the parameter as the model names it, which way it went, and the
//! standard remedy.

use crate::density::CompiledModel;
use crate::infer::Collapse;
use crate::ir::{Constraint, ExprKind};
use crate::transform::Transform;

/// What the summary says of a collapsed run.
#[derive(Clone, Debug, PartialEq)]
pub struct CollapseText {
    /// Why the run stopped ("collapsed: tau shrinks towards 0").
    pub reason: String,
    /// The warning: what was seen, what it means, what to do.
    pub warning: String,
    /// The line above the table: its numbers are no posterior summary.
    pub caveat: String,
}

/// Where a parameter's unconstrained coordinate leads.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Motion {
    /// Towards a lower bound (0 when the bound is the literal 0).
    ToLower,
    ToUpper,
    /// Off to +∞ (`true`) or −∞ on the constrained scale.
    Unbounded(bool),
    /// An element of an ordered vector closing on the one before it.
    ToPrevious,
}

/// The words for `collapse` in `model`'s terms.
pub fn collapse_text(collapse: Collapse, model: &CompiledModel) -> CollapseText {
    let layout = model.layout();
    let i = collapse.coordinate;
    let names = layout.coordinate_names();
    let name = names
        .get(i)
        .cloned()
        .unwrap_or_else(|| format!("coordinate {}", i + 1));
    let slot = layout
        .params
        .iter()
        .find(|p| p.offset <= i && i < p.offset + p.free);
    let transform = slot.map_or(Transform::Identity, |p| p.transform);
    let lower_is_zero = slot.is_some_and(|p| match &model.model().param(p.id).constraint {
        Constraint::Bounded(b) => b.lower.as_ref().is_some_and(|e| is_zero(&e.kind)),
        Constraint::PositiveOrdered => true,
        _ => false,
    });
    let up = collapse.rising;
    let first = slot.is_none_or(|p| p.offset == i);
    let motion = match transform {
        Transform::Ordered | Transform::PositiveOrdered if !first && !up => Motion::ToPrevious,
        Transform::PositiveOrdered | Transform::Lower if !up => Motion::ToLower,
        Transform::Upper if up => Motion::ToUpper,
        Transform::Upper => Motion::Unbounded(false),
        Transform::LowerUpper if up => Motion::ToUpper,
        Transform::LowerUpper => Motion::ToLower,
        _ => Motion::Unbounded(up),
    };
    let moves = match motion {
        Motion::ToLower if lower_is_zero => "shrinks towards 0",
        Motion::ToLower => "runs to its lower bound",
        Motion::ToUpper => "runs to its upper bound",
        Motion::Unbounded(true) => "grows without bound",
        Motion::Unbounded(false) => "falls without bound",
        Motion::ToPrevious => "closes on the element before it",
    };
    let base = slot.map_or(name.as_str(), |p| p.name.as_str());
    let seen = if collapse.flat {
        let near = crate::infer::COLLAPSE_PROBE_SDS;
        format!(
            "the log density does not fall along {name}: {near}, {} and {} of q's sds beyond \
             q's mean it is as high, so q stops wherever the noise leaves it",
            2.0 * near,
            4.0 * near
        )
    } else {
        format!(
            "q's mean of {name} kept moving the same way at a steady rate while the ELBO kept \
             rising, far beyond its own sd"
        )
    };
    let remedy = match motion {
        Motion::ToLower | Motion::ToUpper | Motion::ToPrevious => format!(
            "the posterior has no optimum there (an improper prior, or a density that grows \
             without bound at the boundary): give {base} a proper prior that vanishes at the \
             bound (e.g. `{base} ~ lognormal(0, 1)` or a gamma with shape above 1), or \
             non-centre the parameters it scales"
        ),
        Motion::Unbounded(_) => format!(
            "the posterior is improper along {name} (no prior, and data that keep raising the \
             likelihood: with a binary outcome, separated data): give {base} a proper prior \
             (e.g. `{base} ~ normal(0, 2.5)`)"
        ),
    };
    CollapseText {
        reason: format!("collapsed: {name} {moves}"),
        warning: format!("the run collapsed: {name} {moves}; {seen}; {remedy}"),
        caveat: format!(
            "the run collapsed ({name} {moves}): the moments below are those of q when it \
             was stopped, not a posterior approximation"
        ),
    }
}

/// The literal 0 (or 0.0).
fn is_zero(e: &ExprKind) -> bool {
    match e {
        ExprKind::Int(0) => true,
        ExprKind::Real(x) => *x == 0.0,
        _ => false,
    }
}
