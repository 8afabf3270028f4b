//! Built-in distributions in calls and `~` statements: arity, kinds,
//! integer domains, equal vector lengths, and what `_rng` draws return.

use super::naming::{arg_list, plural, split_suffix, were_given};
use super::types::{Dims, TypedExpr, is_vectorish, matrix_promoted, union_params};
use super::{Checker, scope::suggest};
use crate::ast::Ident;
use crate::diagnostics::Diagnostic;
use crate::dist::{ArgShape, ArgSpec, DistId, DistSpec};
use crate::ir::{self, DistRef, ExprKind as IrExpr, ValueType};
use crate::source::Span;

impl Checker<'_> {
    pub(super) fn call_rng(
        &mut self,
        d: DistId,
        args: Vec<TypedExpr>,
        span: Span,
        name_span: Span,
    ) -> Option<TypedExpr> {
        let spec = d.spec();
        let name = format!("{}_rng", spec.name);
        if matches!(d, DistId::LkjCorr | DistId::LkjCorrCholesky) {
            return self.lkj_rng(d, args, span, name_span);
        }
        self.require_rng_context(&name, span)?;
        if matches!(d, DistId::NormalIdGlm | DistId::PoissonLogGlm) {
            return self.glm_without_rng(d, span, name_span);
        }
        let counts = matches!(
            d,
            DistId::Multinomial | DistId::MultinomialLogit | DistId::DirichletMultinomial
        );
        let spec_args = if counts {
            self.trials_argument(&name, &args, span)?
        } else {
            &args[..]
        };
        self.check_dist_args(d, None, spec_args, span, name_span)?;
        if matches!(d, DistId::OrderedLogistic | DistId::OrderedProbit)
            && is_vectorish(args[0].ty())
        {
            self.error(
                Diagnostic::error(
                    "wrong-argument-type",
                    format!("`{name}` draws one outcome: its `eta` must be a scalar"),
                )
                .with_label(args[0].expr.span, args[0].ty().describe())
                .with_help("draw in a loop over the elements, as in Stan"),
            );
            return None;
        }
        if let Some(a) = args.iter().find(|a| a.ty().is_array3()) {
            self.error(
                Diagnostic::error(
                    "wrong-argument-type",
                    format!("`{name}` draws scalars or vectors, not 3-d arrays"),
                )
                .with_label(a.expr.span, a.ty().describe())
                .with_help(
                    "draw into a `var` of the same shape in loops, element by element, as in Stan",
                ),
            );
            return None;
        }
        let any_vec = args.iter().any(|a| is_vectorish(a.ty()));
        let ty = match d {
            DistId::Multinomial | DistId::MultinomialLogit | DistId::DirichletMultinomial => {
                ValueType::IntArray
            }
            DistId::BernoulliLogitGlm => ValueType::IntArray,
            DistId::Wishart | DistId::InvWishart => ValueType::Matrix,
            DistId::MultiStudentT if matrix_promoted(args[1].ty()) == ValueType::Matrix => {
                ValueType::Matrix
            }
            DistId::Categorical
            | DistId::CategoricalLogit
            | DistId::OrderedLogistic
            | DistId::OrderedProbit => ValueType::Int,
            DistId::MultiNormal | DistId::MultiNormalCholesky | DistId::MultiNormalPrec
                if matrix_promoted(args[0].ty()) == ValueType::Matrix =>
            {
                ValueType::Matrix
            }
            _ if !d.is_univariate() => ValueType::Vector,
            _ if spec.is_discrete() => {
                if any_vec {
                    ValueType::IntArray
                } else {
                    ValueType::Int
                }
            }
            _ => {
                if any_vec {
                    ValueType::Vector
                } else {
                    ValueType::Real
                }
            }
        };
        let dims = if d == DistId::BernoulliLogitGlm {
            Dims::vector(args[0].dims.rows)
        } else {
            args.iter()
                .find(|a| is_vectorish(a.ty()))
                .map_or(Dims::UNKNOWN, |a| a.dims)
        };
        let params = union_params(&args);
        Some(TypedExpr::new(
            IrExpr::Rng(d, args.into_iter().map(|a| a.expr).collect()),
            ty,
            span,
            dims,
            params,
        ))
    }

    /// `lkj_corr_rng(K, eta)` and `lkj_corr_cholesky_rng(K, eta)`: the
    /// dimension K (an int) comes first, as in Stan.
    fn lkj_rng(
        &mut self,
        d: DistId,
        args: Vec<TypedExpr>,
        span: Span,
        name_span: Span,
    ) -> Option<TypedExpr> {
        let name = format!("{}_rng", d.spec().name);
        self.require_rng_context(&name, span)?;
        if args.len() != 2 || args[0].ty() != ValueType::Int {
            self.error(
                Diagnostic::error(
                    "wrong-arity",
                    format!(
                        "`{name}` takes 2 arguments (the dimension K, an int, and eta), but {} given",
                        were_given(args.len())
                    ),
                )
                .with_label(span, "this call")
                .with_help(format!("write {name}(K, eta)")),
            );
            return None;
        }
        self.check_dist_args(d, None, &args[1..], span, name_span)?;
        let params = union_params(&args);
        Some(TypedExpr::new(
            IrExpr::Rng(d, args.into_iter().map(|a| a.expr).collect()),
            ValueType::Matrix,
            span,
            Dims::UNKNOWN,
            params,
        ))
    }

    /// The arguments of `multinomial_rng(theta, N)` before the number of
    /// trials, which must be an int.
    fn trials_argument<'a>(
        &mut self,
        name: &str,
        args: &'a [TypedExpr],
        span: Span,
    ) -> Option<&'a [TypedExpr]> {
        let Some((n, rest)) = args.split_last().filter(|(_, rest)| rest.len() == 1) else {
            self.error(
                Diagnostic::error(
                    "wrong-arity",
                    format!(
                        "`{name}` takes 2 arguments (the probabilities and the number of trials N), but {} given",
                        were_given(args.len())
                    ),
                )
                .with_label(span, "this call"),
            );
            return None;
        };
        if n.ty() != ValueType::Int {
            self.error(
                Diagnostic::error(
                    "wrong-argument-type",
                    format!(
                        "the number of trials of `{name}` must be an int, found {}",
                        n.ty().describe()
                    ),
                )
                .with_label(n.expr.span, n.ty().describe()),
            );
            return None;
        }
        Some(rest)
    }

    /// Checks a built-in distribution's variate (if given) and arguments
    /// against its spec: arity, kinds, integer domains and equal lengths.
    pub(super) fn check_dist_args(
        &mut self,
        d: DistId,
        y: Option<&TypedExpr>,
        args: &[TypedExpr],
        span: Span,
        name_span: Span,
    ) -> Option<()> {
        let spec = d.spec();
        if args.len() != spec.args.len() {
            let want = if spec.args.is_empty() {
                "no arguments".to_string()
            } else {
                format!(
                    "{} ({})",
                    plural(spec.args.len(), "argument"),
                    arg_list(spec)
                )
            };
            self.error(
                Diagnostic::error(
                    "wrong-arity",
                    format!(
                        "`{}` takes {want}, but {} given",
                        spec.name,
                        were_given(args.len())
                    ),
                )
                .with_label(span, "this call")
                .with_help(spec.doc),
            );
            return None;
        }
        let mut ok = true;
        let multi_rows = matches!(
            d,
            DistId::MultiNormal
                | DistId::MultiNormalCholesky
                | DistId::MultiNormalPrec
                | DistId::MultiStudentT
        );
        let mut lens: Vec<&TypedExpr> = Vec::new();
        let pairs = y
            .map(|y| (&spec.variate, y, true))
            .into_iter()
            .chain(spec.args.iter().zip(args).map(|(s, a)| (s, a, false)));
        for (arg, t, is_variate) in pairs {
            let ty = matrix_promoted(t.ty());
            let int_domain = arg.domain.is_integer();
            let shape_ok = match arg.shape {
                // Element-wise arguments may be matrices (element by element).
                ArgShape::Elem => true,
                ArgShape::Scalar => ty.is_scalar(),
                ArgShape::Vector => is_vectorish(ty) || (multi_rows && ty == ValueType::Matrix),
                ArgShape::Matrix => ty == ValueType::Matrix,
            };
            if !shape_ok {
                self.error(self.dist_arg_error(spec, arg, t, is_variate, name_span));
                ok = false;
                continue;
            }
            if int_domain && !t.ty().is_int_valued() {
                let what = if is_variate {
                    "variate".to_string()
                } else {
                    format!("argument `{}`", arg.name)
                };
                let mut diag = Diagnostic::error(
                    if is_variate {
                        "discrete-variate"
                    } else {
                        "wrong-argument-type"
                    },
                    format!(
                        "the {what} of `{}` must be an int or int[] ({}), found {}",
                        spec.name,
                        arg.domain.describe(),
                        ty.describe()
                    ),
                )
                .with_label(t.expr.span, ty.describe());
                if is_variate {
                    diag = diag.with_help(format!(
                        "`{}` is a discrete distribution: declare the data `int`, `int[N]` \
                         or `int[N, K]`",
                        spec.name
                    ));
                }
                self.error(diag);
                ok = false;
                continue;
            }
            if arg.shape == ArgShape::Elem && !ty.is_scalar() {
                lens.push(t);
            }
        }
        if ok {
            self.check_glm_shapes(d, y, args)?;
            for w in lens.windows(2) {
                let (a, b) = (matrix_promoted(w[0].ty()), matrix_promoted(w[1].ty()));
                if a.is_array3() != b.is_array3() {
                    self.error(
                        Diagnostic::error(
                            "shape-mismatch",
                            format!(
                                "the element-wise arguments of `{}` mix a 3-d array and {}",
                                spec.name,
                                if a.is_array3() { b } else { a }.describe()
                            ),
                        )
                        .with_label(w[0].expr.span, w[0].ty().describe())
                        .with_label(w[1].expr.span, w[1].ty().describe())
                        .with_help(
                            "give them one shape: a scalar, or a 3-d array of the same sizes; \
                             `to_array_1d(z)` flattens a 3-d array (row-major)",
                        ),
                    );
                    return None;
                }
                if (a == ValueType::Matrix) != (b == ValueType::Matrix) {
                    self.error(
                        Diagnostic::error(
                            "shape-mismatch",
                            format!(
                                "the element-wise arguments of `{}` mix a matrix and a vector",
                                spec.name
                            ),
                        )
                        .with_label(w[0].expr.span, w[0].ty().describe())
                        .with_label(w[1].expr.span, w[1].ty().describe())
                        .with_help(
                            "give them one shape: `to_vector(m)` flattens a matrix, \
                             or index the matrix by row",
                        ),
                    );
                    return None;
                }
                let cols_differ =
                    a == ValueType::Matrix && w[0].dims.cols.unify(w[1].dims.cols).is_err();
                if w[0].dims.rows.unify(w[1].dims.rows).is_err() || cols_differ {
                    self.shape_mismatch(
                        &format!("the arguments of `{}`", spec.name),
                        w[0],
                        w[1],
                        span,
                    );
                    return None;
                }
            }
        }
        ok.then_some(())
    }

    fn dist_arg_error(
        &self,
        spec: &DistSpec,
        arg: &ArgSpec,
        t: &TypedExpr,
        is_variate: bool,
        name_span: Span,
    ) -> Diagnostic {
        let want = match arg.shape {
            ArgShape::Elem if arg.domain.is_integer() => "an int, int[] or int[,]",
            ArgShape::Elem => "a scalar, a vector or a matrix",
            ArgShape::Scalar => "a scalar",
            ArgShape::Vector => "a vector",
            ArgShape::Matrix => "a matrix",
        };
        let what = if is_variate {
            "the variate".to_string()
        } else {
            format!("argument `{}`", arg.name)
        };
        Diagnostic::error(
            "wrong-argument-type",
            format!(
                "{what} of `{}` must be {want}, found {}",
                spec.name,
                t.ty().describe()
            ),
        )
        .with_label(t.expr.span, t.ty().describe())
        .with_label(name_span, spec.doc)
    }

    /// `lhs ~ name(args)`: the distribution and its checked arguments.
    pub(super) fn tilde_dist(
        &mut self,
        lhs: &TypedExpr,
        dist: &Ident,
        args: Vec<TypedExpr>,
        span: Span,
    ) -> Option<(DistRef, Vec<ir::Expr>)> {
        let name = dist.name.as_str();
        if let Some(fid) = self.user_dist(name) {
            let fname = self.model.function(fid).name.clone();
            let want = self.fn_info[fid.index()].args.clone();
            let mut all = vec![lhs.clone()];
            all.extend(args.iter().cloned());
            if !self.check_user_args(fid, &fname, &want, &all, span) {
                return None;
            }
            return Some((
                DistRef::User(fid),
                args.into_iter().map(|a| a.expr).collect(),
            ));
        }
        if let Some(d) = DistId::lookup(name) {
            self.check_dist_args(d, Some(lhs), &args, span, dist.span)?;
            return Some((
                DistRef::Builtin(d),
                args.into_iter().map(|a| a.expr).collect(),
            ));
        }
        let mut d = Diagnostic::error(
            "unknown-distribution",
            format!("unknown distribution `{name}`"),
        )
        .with_label(dist.span, "not a distribution");
        if let Some((base, _)) = split_suffix(name)
            .filter(|(b, _)| DistId::lookup(b).is_some() || self.user_dist(b).is_some())
        {
            d = d.with_help(format!(
                "after `~` write the distribution's name without suffix: `~ {base}(...)`"
            ));
        } else {
            let mut names: Vec<String> = DistId::ALL.iter().map(|d| d.name().to_string()).collect();
            names.extend(self.functions.keys().filter_map(|f| {
                split_suffix(f)
                    .filter(|(_, s)| *s != "_rng")
                    .map(|(b, _)| b.to_string())
            }));
            if let Some(s) = suggest(name, names.iter().map(String::as_str)) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                d = d.with_help(
                    "define it with `fn NAME_lpdf(y: real, ...) -> real` to use it after `~`",
                );
            }
        }
        self.error(d);
        None
    }
}
