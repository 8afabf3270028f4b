//! The parameter layout: shapes from data, transforms from constraints.

use super::located;
use crate::density::eval::Evaluator;
use crate::density::eval::workspace::{EvalError, Workspace};
use crate::density::program::{Layout, ParamSlot, Program};
use crate::diagnostics::Diagnostic;
use crate::ir::{self, Constraint};
use crate::transform::{self, Transform};

/// The parameter layout: shapes from data, transforms from constraints.
pub(super) fn layout(prog: &Program) -> Result<Layout, Vec<Diagnostic>> {
    let mut ws: Workspace<f64> = Workspace::new(
        prog.model.locals.len(),
        prog.model.params.len(),
        prog.model.gens.len(),
    );
    let mut out = Layout::default();
    let mut errors = Vec::new();
    for (k, p) in prog.model.params.iter().enumerate() {
        ws.reset(false);
        let mut ev = Evaluator::new(prog, &mut ws, false);
        let dims: Result<Vec<usize>, Box<EvalError>> = p
            .shape
            .sizes()
            .into_iter()
            .map(|e| ev.size_expr(e))
            .collect();
        let dims = match dims {
            Ok(d) => d,
            Err(e) => {
                errors.push(located(
                    &e,
                    "param-shape",
                    &format!("the size of `{}` cannot be computed", p.name),
                ));
                continue;
            }
        };
        let mut t = transform_of(&p.constraint);
        let size: usize = dims.iter().product();
        if t == Transform::CholeskyCov && dims.len() == 2 && dims[0] != dims[1] {
            if dims[0] < dims[1] {
                errors.push(short_factor(&p.name, dims[0], dims[1], p.span));
                continue;
            }
            t = Transform::CholeskyCovTall { cols: dims[1] };
        }
        if t == transform::Transform::CorrCholesky && dims.len() == 2 && dims[0] != dims[1] {
            // (Every square type is declared with one size.)
            errors.push(
                Diagnostic::error(
                    "param-shape",
                    format!("`{}`: corr_cholesky needs a square shape", p.name),
                )
                .with_label(p.span, "here"),
            );
            continue;
        }
        if matches!(
            t,
            transform::Transform::Simplex
                | transform::Transform::UnitVector
                | transform::Transform::SumToZero
        ) && size == 0
        {
            errors.push(
                Diagnostic::error(
                    "param-shape",
                    format!(
                        "`{}`: a {} needs at least one element",
                        p.name,
                        match t {
                            transform::Transform::UnitVector => "unit_vector",
                            transform::Transform::SumToZero => "sum_to_zero_vector",
                            _ => "simplex",
                        }
                    ),
                )
                .with_label(p.span, "here"),
            );
            continue;
        }
        let free = transform::free_dim(t, size);
        out.params.push(ParamSlot {
            id: ir::ParamId(k as u32),
            name: p.name.clone(),
            dims,
            transform: t,
            offset: out.dim,
            free,
        });
        out.dim += free;
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    out.order = order(&prog.model, &out.params)?;
    Ok(out)
}

/// The parameters whose values the bounds of `c` use.
pub(super) fn bound_params(c: &Constraint) -> Vec<ir::ParamId> {
    let mut found = Vec::new();
    if let Constraint::Bounded(b) = c {
        for e in [&b.lower, &b.upper, &b.offset, &b.multiplier]
            .into_iter()
            .flatten()
        {
            e.visit(&mut |x| {
                if let ir::ExprKind::Param(q) = x.kind
                    && !found.contains(&q)
                {
                    found.push(q);
                }
            });
        }
    }
    found
}

/// The order in which the parameters' values are computed: each after the
/// parameters its bounds use, otherwise in declaration order.
fn order(model: &ir::Model, params: &[ParamSlot]) -> Result<Vec<usize>, Vec<Diagnostic>> {
    // Slot of each declaration (every declaration has one once the layout
    // has no errors).
    let mut slot_of = vec![usize::MAX; model.params.len()];
    for (k, p) in params.iter().enumerate() {
        slot_of[p.id.index()] = k;
    }
    let deps: Vec<Vec<usize>> = params
        .iter()
        .map(|p| {
            bound_params(&model.param(p.id).constraint)
                .into_iter()
                .map(|q| slot_of[q.index()])
                .collect()
        })
        .collect();
    let mut placed = vec![false; params.len()];
    let mut order = Vec::with_capacity(params.len());
    while order.len() < params.len() {
        let ready = (0..params.len())
            .find(|&k| !placed[k] && deps[k].iter().all(|&q| placed.get(q) == Some(&true)));
        let Some(k) = ready else {
            let p = &params[placed.iter().position(|done| !done).unwrap_or(0)];
            return Err(vec![
                Diagnostic::error(
                    "bound-cycle",
                    format!(
                        "the bounds of `{}` depend on themselves through other parameters",
                        p.name
                    ),
                )
                .with_label(model.param(p.id).span, "here"),
            ]);
        };
        placed[k] = true;
        order.push(k);
    }
    Ok(order)
}

/// `cholesky_factor_cov[M, N]` with fewer rows than columns.
fn short_factor(name: &str, rows: usize, cols: usize, span: crate::source::Span) -> Diagnostic {
    Diagnostic::error(
        "param-shape",
        format!(
            "`{name}`: cholesky_factor_cov[M, N] needs M >= N (at least as many rows as columns), \
             but here M = {rows} and N = {cols}"
        ),
    )
    .with_label(span, "declared here")
    .with_help(
        "the first size counts the rows: fix the data, or swap the two sizes and transpose the factor where it is used",
    )
}

/// The transform a constraint implies (the square form for
/// `cholesky_factor_cov`; the layout picks the M×N one from the sizes).
pub fn transform_of(c: &Constraint) -> Transform {
    match c {
        Constraint::Bounded(b) if b.is_affine() => Transform::Affine,
        Constraint::Bounded(b) => match (&b.lower, &b.upper) {
            (None, None) => Transform::Identity,
            (Some(_), None) => Transform::Lower,
            (None, Some(_)) => Transform::Upper,
            (Some(_), Some(_)) => Transform::LowerUpper,
        },
        Constraint::Simplex => Transform::Simplex,
        Constraint::Ordered => Transform::Ordered,
        Constraint::PositiveOrdered => Transform::PositiveOrdered,
        Constraint::CorrCholesky => Transform::CorrCholesky,
        Constraint::CholeskyCov => Transform::CholeskyCov,
        Constraint::CovMatrix => Transform::CovMatrix,
        Constraint::CorrMatrix => Transform::CorrMatrix,
        Constraint::UnitVector => Transform::UnitVector,
        Constraint::SumToZero => Transform::SumToZero,
    }
}
