//! Warnings about models that are legal but probably not what was meant.

use super::Checker;
use super::types::TypedExpr;
use crate::diagnostics::Diagnostic;
use crate::ir::{Bounds, Constraint, ExprKind};

impl Checker<'_> {
    /// A `~` statement: its left side's parameters have a prior; a left
    /// side that transforms parameters needs a Jacobian.
    pub(super) fn record_tilde(&mut self, lhs: &TypedExpr) {
        for p in lhs.params.iter() {
            self.param_info[p.index()].has_prior = true;
        }
        if lhs.params.is_empty() {
            return;
        }
        let plain = match &lhs.expr.kind {
            ExprKind::Param(_) => true,
            ExprKind::Index(base, _) => matches!(base.kind, ExprKind::Param(_)),
            _ => false,
        };
        if plain {
            return;
        }
        let names: Vec<String> = lhs
            .params
            .iter()
            .map(|p| format!("`{}`", self.model.param(p).name))
            .collect();
        let text = self.snippet(lhs.expr.span).to_string();
        self.error(
            Diagnostic::warning(
                "jacobian",
                format!("the left side of `~` is a transformation of parameters ({})", names.join(", ")),
            )
            .with_label(lhs.expr.span, format!("`{text}` is computed from parameters"))
            .with_help(
                "`~` adds the density of the transformed value, not of the parameters: unless the transform is \
                 linear with a constant scale, add its log absolute Jacobian with `target += ...`, or put the prior \
                 on the parameters themselves",
            ),
        );
    }

    /// `target += e`: every parameter in `e` counts as having a prior.
    pub(super) fn record_target(&mut self, e: &TypedExpr) {
        for p in e.params.iter() {
            self.param_info[p.index()].has_prior = true;
        }
    }

    /// Warnings that need the whole model: flat priors and unused data.
    pub(super) fn finish_lints(&mut self) {
        for (i, info) in self.param_info.iter().enumerate() {
            if info.has_prior {
                continue;
            }
            let p = &self.model.params[i];
            let proper = match &p.constraint {
                Constraint::Bounded(Bounds {
                    lower: Some(_),
                    upper: Some(_),
                    ..
                }) => Some("uniform between its bounds"),
                Constraint::Simplex => Some("uniform on the simplex"),
                Constraint::CorrCholesky | Constraint::CorrMatrix => {
                    Some("uniform over correlation matrices")
                }
                Constraint::UnitVector => Some("uniform on the unit sphere"),
                _ => None,
            };
            let d = match proper {
                Some(kind) => Diagnostic::note(
                    "implicit-uniform-prior",
                    format!("parameter `{}` has no prior statement: its prior is {kind} (proper)", p.name),
                )
                .with_label(p.span, "on the left of no `~` and in no `target +=`"),
                None => Diagnostic::warning("flat-prior", format!("parameter `{}` has no prior: it gets a flat, improper prior", p.name))
                    .with_label(p.span, "on the left of no `~` and in no `target +=`")
                    .with_help(format!(
                        "this is legal, but the posterior may be improper; add a prior such as `{} ~ normal(0, 1)`",
                        p.name
                    )),
            };
            self.diags.push(d);
        }
        for (i, info) in self.data_info.iter().enumerate() {
            if !info.used {
                let d = &self.model.data[i];
                self.diags.push(
                    Diagnostic::warning("unused-data", format!("data `{}` is never used", d.name))
                        .with_label(d.span, "declared here")
                        .with_help("remove the declaration, or use it in the model"),
                );
            }
        }
    }
}
