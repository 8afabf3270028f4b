//! Cumulative distribution functions (`name_cdf(y | ...)`, `_lcdf`,
//! `_lccdf`) and truncated `~` statements (`y ~ name(...) T[L, U]`).

use super::Checker;
use super::types::{Dims, TypedExpr, union_params};
use crate::ast::{self, Ident};
use crate::diagnostics::Diagnostic;
use crate::dist::{Cumulative, DistId};
use crate::ir::{self, BinOp, DistRef, ExprKind as IrExpr, StmtKind, ValueType};
use crate::source::Span;

/// The distributions that have cumulative functions, for messages.
fn with_cdf() -> String {
    DistId::ALL
        .iter()
        .filter(|d| d.has_cdf())
        .map(|d| format!("`{}`", d.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Checker<'_> {
    /// `name_cdf(y | ...)`, `name_lcdf(y | ...)`, `name_lccdf(y | ...)` of a
    /// built-in distribution.
    pub(super) fn call_cumulative(
        &mut self,
        d: DistId,
        kind: Cumulative,
        func: &Ident,
        checked: Vec<Option<TypedExpr>>,
        span: Span,
    ) -> Option<TypedExpr> {
        let name = func.name.as_str();
        let spec = d.spec();
        if !d.has_cdf() {
            self.error(
                Diagnostic::error(
                    "no-cdf",
                    format!(
                        "`{}` has no cumulative distribution function, so there is no `{name}`",
                        spec.name
                    ),
                )
                .with_label(func.span, "not available")
                .with_help(format!(
                    "`_cdf`, `_lcdf` and `_lccdf` exist for {}",
                    with_cdf()
                )),
            );
            return None;
        }
        let (y, args) = self.split_variate(name, d, checked, span)?;
        self.check_dist_args(d, Some(&y), &args, span, func.span)?;
        let params = union_params(std::iter::once(&y).chain(&args));
        Some(TypedExpr::new(
            IrExpr::Cumulative {
                dist: d,
                kind,
                y: Box::new(y.expr),
                args: args.into_iter().map(|a| a.expr).collect(),
            },
            ValueType::Real,
            span,
            Dims::UNKNOWN,
            params,
        ))
    }

    /// `y ~ name(args) T[L, U]`: the log density plus −log(F(U) − F(L)),
    /// as one `target +=` statement.
    pub(super) fn truncated_tilde(
        &mut self,
        lhs: TypedExpr,
        (dist, dist_ref): (&Ident, DistRef),
        args: Vec<ir::Expr>,
        truncation: &ast::Truncation,
        span: Span,
    ) -> Option<StmtKind> {
        let d = match dist_ref {
            DistRef::Builtin(d) if d.has_cdf() => d,
            _ => {
                self.error(
                    Diagnostic::error(
                        "truncation-without-cdf",
                        format!(
                            "`{}` cannot be truncated: vippl has no cumulative distribution function for it",
                            dist.name
                        ),
                    )
                    .with_label(truncation.span, "truncation")
                    .with_label(dist.span, "no cdf")
                    .with_help(format!(
                        "truncation `T[L, U]` works for {}; otherwise add the normalising term with `target +=`",
                        with_cdf()
                    )),
                );
                return None;
            }
        };
        let lower = self.truncation_bound(d, truncation.lower.as_ref(), "lower");
        let upper = self.truncation_bound(d, truncation.upper.as_ref(), "upper");
        let (lower, upper) = (lower?, upper?);
        let real = |kind, span| ir::Expr {
            kind,
            ty: ValueType::Real,
            span,
        };
        let missing = |x: f64| real(IrExpr::Real(x), truncation.span);
        let mut bounded = vec![
            lower.unwrap_or_else(|| missing(f64::NEG_INFINITY)),
            upper.unwrap_or_else(|| missing(f64::INFINITY)),
        ];
        bounded.extend(args.iter().cloned());
        let density = real(
            IrExpr::Lpdf {
                dist: dist_ref,
                y: Box::new(lhs.expr.clone()),
                args,
            },
            span,
        );
        let normaliser = real(
            IrExpr::Cumulative {
                dist: d,
                kind: Cumulative::Truncation,
                y: Box::new(lhs.expr),
                args: bounded,
            },
            span,
        );
        let total = real(
            IrExpr::Binary(BinOp::Add, Box::new(density), Box::new(normaliser)),
            span,
        );
        Some(StmtKind::TargetAdd(total))
    }

    /// One bound of `T[L, U]`: a scalar, an int for a discrete distribution.
    /// `Some(None)` when the bound is left out, `None` after an error.
    fn truncation_bound(
        &mut self,
        d: DistId,
        bound: Option<&ast::Expr>,
        which: &str,
    ) -> Option<Option<ir::Expr>> {
        let Some(bound) = bound else {
            return Some(None);
        };
        let t = self.expr(bound)?;
        let ty = t.ty();
        let discrete = d.spec().is_discrete();
        let fits = if discrete {
            ty == ValueType::Int
        } else {
            ty.is_scalar()
        };
        if !fits {
            let want = if discrete {
                format!("an int (`{}` is discrete)", d.name())
            } else {
                "a real or int scalar".to_string()
            };
            self.error(
                Diagnostic::error(
                    "truncation-bound",
                    format!(
                        "the {which} bound of `T[...]` must be {want}, found {}",
                        ty.describe()
                    ),
                )
                .with_label(t.expr.span, ty.describe())
                .with_help("write one bound for all elements, e.g. `T[0, ]` or `T[L, U]` with scalar `L` and `U`"),
            );
            return None;
        }
        Some(Some(t.expr))
    }
}
