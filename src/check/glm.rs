//! The sizes of a GLM's arguments: y, alpha and sigma a scalar or one
//! entry per row of x, beta one entry per column of x.

use super::Checker;
use super::types::{Size, TypedExpr, is_vectorish, matrix_promoted};
use crate::diagnostics::Diagnostic;
use crate::dist::DistId;
use crate::ir::ValueType;
use crate::source::Span;

impl Checker<'_> {
    /// Checks the shapes a GLM's spec cannot express (other
    /// distributions pass). `args` excludes the variate `y`.
    pub(super) fn check_glm_shapes(
        &mut self,
        d: DistId,
        y: Option<&TypedExpr>,
        args: &[TypedExpr],
    ) -> Option<()> {
        if d.glm_link().is_none() || args.len() < 3 {
            return Some(());
        }
        let spec = d.spec();
        let x = &args[0];
        let per_row = y
            .map(|y| (spec.variate.name, y))
            .into_iter()
            .chain([("alpha", &args[1])])
            .chain(args.get(3).map(|s| ("sigma", s)));
        let mut ok = true;
        for (name, t) in per_row {
            if matrix_promoted(t.ty()) == ValueType::Matrix {
                self.error(
                    Diagnostic::error(
                        "wrong-argument-type",
                        format!(
                            "`{name}` of `{}` must be a scalar or a vector with one entry per row of x, found {}",
                            spec.name,
                            t.ty().describe()
                        ),
                    )
                    .with_label(t.expr.span, t.ty().describe())
                    .with_help(spec.doc),
                );
                ok = false;
            } else if is_vectorish(t.ty()) && t.dims.rows.unify(x.dims.rows).is_err() {
                self.glm_size_error(spec.name, name, t, x, x.dims.rows, "rows");
                ok = false;
            }
        }
        let beta = &args[2];
        if beta.dims.rows.unify(x.dims.cols).is_err() {
            self.glm_size_error(spec.name, "beta", beta, x, x.dims.cols, "columns");
            ok = false;
        }
        ok.then_some(())
    }

    fn glm_size_error(
        &mut self,
        glm: &str,
        name: &str,
        t: &TypedExpr,
        x: &TypedExpr,
        want: Size,
        what: &str,
    ) {
        let (has, want) = (self.describe_size(t.dims.rows), self.describe_size(want));
        self.error(
            Diagnostic::error(
                "shape-mismatch",
                format!("`{name}` of `{glm}` has size {has}, but x has {want} {what}"),
            )
            .with_label(t.expr.span, format!("size {has}"))
            .with_label(x.expr.span, format!("{want} {what}"))
            .with_help(format!(
                "`{name}` needs one entry per {} of x",
                &what[..what.len() - 1]
            )),
        );
    }

    /// `normal_id_glm_rng` and `poisson_log_glm_rng`, which Stan does not
    /// have: the draw is written with the link distribution.
    pub(super) fn glm_without_rng(
        &mut self,
        d: DistId,
        span: Span,
        name_span: Span,
    ) -> Option<TypedExpr> {
        let (name, link) = match d {
            DistId::NormalIdGlm => ("normal_id_glm", "normal_rng(alpha + x * beta, sigma)"),
            _ => ("poisson_log_glm", "poisson_log_rng(alpha + x * beta)"),
        };
        self.error(
            Diagnostic::error(
                "unknown-function",
                format!("there is no `{name}_rng` (as in Stan)"),
            )
            .with_label(name_span, "not a function")
            .with_label(span, "this call")
            .with_help(format!("draw the outcomes with `{link}`")),
        );
        None
    }
}
