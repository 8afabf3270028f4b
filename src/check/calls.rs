//! Calls: built-in functions, user functions, `_lpdf`/`_lpmf` densities,
//! `_rng` draws, and the distributions of `~` statements.

use super::builtin_types::{builtin_dims, builtin_type};
use super::naming::{arg_list, cumulative_suffix, plural, split_suffix, were_given};
use super::scope::suggest;
use super::types::{self, Dims, TypedExpr, union_params};
use super::{Checker, Context};
use crate::ast::{self, Ident};
use crate::builtins::Builtin;
use crate::diagnostics::Diagnostic;
use crate::dist::{Cumulative, DistId};
use crate::ir::{DistRef, ExprKind as IrExpr, FnId, ValueType};
use crate::source::Span;

impl Checker<'_> {
    fn all_callable_names(&self) -> Vec<String> {
        let mut v: Vec<String> = Builtin::ALL.iter().map(|b| b.name().to_string()).collect();
        v.extend(self.functions.keys().cloned());
        for d in DistId::ALL {
            let spec = d.spec();
            v.push(format!("{}{}", spec.name, spec.suffix()));
            v.push(format!("{}_rng", spec.name));
            if d.has_cdf() {
                for c in Cumulative::USER_FACING {
                    v.push(format!("{}{}", spec.name, c.suffix()));
                }
            }
        }
        v
    }

    /// The user functions that define distributions, by distribution name.
    pub(super) fn user_dist(&self, name: &str) -> Option<FnId> {
        ["_lpdf", "_lpmf"]
            .iter()
            .find_map(|s| self.functions.get(&format!("{name}{s}")).copied())
    }

    pub(super) fn call(
        &mut self,
        func: &Ident,
        args: &[ast::Expr],
        bar: bool,
        span: Span,
    ) -> Option<TypedExpr> {
        let checked: Vec<Option<TypedExpr>> = args.iter().map(|a| self.expr(a)).collect();
        let name = func.name.as_str();
        if name == "target" {
            return self.target_call(span);
        }
        let suffix = split_suffix(name);
        let is_density = matches!(suffix, Some((_, "_lpdf" | "_lpmf")));
        let cumulative = cumulative_suffix(name);
        self.check_variate_bar(name, args, bar, is_density || cumulative.is_some(), span)?;
        // User functions (including user `_lpdf`, `_rng`) come first.
        if let Some(&fid) = self.functions.get(name) {
            let args = collect(checked)?;
            return self.call_user(fid, name, args, span, is_density);
        }
        if let Some(b) = Builtin::resolve(name, args.len()) {
            let args = collect(checked)?;
            return self.call_builtin(b, args, span);
        }
        if Builtin::lookup(name).next().is_some() {
            self.wrong_builtin_arity(name, args.len(), span);
            return None;
        }
        if let Some((base, kind)) = cumulative {
            if let Some(d) = DistId::lookup(base) {
                return self.call_cumulative(d, kind, func, checked, span);
            }
        }
        if let Some((base, suffix)) = suffix {
            if let Some(d) = DistId::lookup(base) {
                return if suffix == "_rng" {
                    let args = collect(checked)?;
                    self.call_rng(d, args, span, func.span)
                } else {
                    self.call_dist_density(d, func, (base, suffix), checked, span)
                };
            }
        }
        if let Some(d) = DistId::lookup(name) {
            self.error(
                Diagnostic::error("distribution-as-function", format!("`{name}` is a distribution, not a function"))
                    .with_label(func.span, "distribution")
                    .with_help(format!(
                        "use `y ~ {name}(...)`, `{name}{}(y | ...)` for its log density or `{name}_rng(...)` to draw",
                        d.spec().suffix()
                    )),
            );
            return None;
        }
        self.unknown_function(func);
        None
    }

    /// `|` separates the variate exactly in density and cumulative
    /// distribution calls with more than one argument.
    fn check_variate_bar(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        bar: bool,
        is_density: bool,
        span: Span,
    ) -> Option<()> {
        if bar && !is_density {
            self.error(
                Diagnostic::error(
                    "bar-outside-density",
                    format!(
                        "`|` separates the variate only in `_lpdf`/`_lpmf`/`_cdf`/`_lcdf`/`_lccdf` calls, not in `{name}`"
                    ),
                )
                .with_label(span, "this call")
                .with_help("separate arguments with `,`"),
            );
            return None;
        }
        if is_density && !bar && args.len() > 1 {
            let mut parts = args.iter().map(|a| self.snippet(a.span).to_string());
            let y = parts.next().unwrap_or_default();
            let rest: Vec<String> = parts.collect();
            self.error(
                Diagnostic::error(
                    "density-needs-bar",
                    format!("write the variate of `{name}` before a `|`"),
                )
                .with_label(span, "arguments separated only by commas")
                .with_help(format!("write `{name}({y} | {})`", rest.join(", "))),
            );
            return None;
        }
        Some(())
    }

    /// A built-in called with a number of arguments it has no form for.
    fn wrong_builtin_arity(&mut self, name: &str, given: usize, span: Span) {
        let arities: Vec<usize> = Builtin::lookup(name).map(|b| b.arity()).collect();
        let word = if arities == [1] {
            "argument"
        } else {
            "arguments"
        };
        let arities: Vec<String> = arities.iter().map(usize::to_string).collect();
        self.error(
            Diagnostic::error(
                "wrong-arity",
                format!(
                    "`{name}` takes {} {word}, but {} given",
                    arities.join(" or "),
                    were_given(given)
                ),
            )
            .with_label(span, "this call")
            .with_help(
                Builtin::lookup(name)
                    .map(|b| b.signature())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        );
    }

    /// `name_lpdf(y | ...)` / `name_lpmf(y | ...)` of a built-in distribution.
    fn call_dist_density(
        &mut self,
        d: DistId,
        func: &Ident,
        (base, suffix): (&str, &str),
        checked: Vec<Option<TypedExpr>>,
        span: Span,
    ) -> Option<TypedExpr> {
        let name = func.name.as_str();
        let spec = d.spec();
        if suffix != spec.suffix() {
            let kind = if spec.is_discrete() {
                "discrete"
            } else {
                "continuous"
            };
            self.error(
                Diagnostic::error(
                    "density-suffix",
                    format!(
                        "`{base}` is {kind}: its log density is `{base}{}`",
                        spec.suffix()
                    ),
                )
                .with_label(func.span, "wrong suffix")
                .with_help(format!("write `{base}{}`", spec.suffix())),
            );
            return None;
        }
        let (y, args) = self.split_variate(name, d, checked, span)?;
        let params = union_params(std::iter::once(&y).chain(&args));
        self.check_dist_args(d, Some(&y), &args, span, func.span)?;
        Some(TypedExpr::new(
            IrExpr::Lpdf {
                dist: DistRef::Builtin(d),
                y: Box::new(y.expr),
                args: args.into_iter().map(|a| a.expr).collect(),
            },
            ValueType::Real,
            span,
            Dims::UNKNOWN,
            params,
        ))
    }

    fn unknown_function(&mut self, func: &Ident) {
        let name = &func.name;
        if let Some(cur) = &self.current_fn {
            if &cur.name == name {
                let msg = format!("`{name}` calls itself: recursion is not supported");
                self.error(
                    Diagnostic::error("recursion", msg)
                        .with_label(func.span, "recursive call")
                        .with_help("write the computation with a `for` loop over a `var`"),
                );
                return;
            }
        }
        if let Some(&def) = self.fn_names.get(name) {
            let msg = format!("`{name}` is defined after the code that calls it");
            self.error(
                Diagnostic::error("call-before-definition", msg)
                    .with_label(func.span, "called here")
                    .with_label(def, "defined here")
                    .with_help("a function may only call functions defined before it (this also rules out recursion): move the definition up"),
            );
            return;
        }
        let names = self.all_callable_names();
        let mut d = Diagnostic::error("unknown-function", format!("unknown function `{name}`"))
            .with_label(func.span, "not a function");
        if let Some(help) = self.stan_spelling(name) {
            d = d.with_help(help);
        } else if let Some(s) = suggest(name, names.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.error(d);
    }

    /// How vippl writes a function Stan used to spell differently.
    fn stan_spelling(&self, name: &str) -> Option<String> {
        if name == "increment_log_prob" {
            return Some("Stan's old `increment_log_prob(e)` is written `target += e`".into());
        }
        if name == "get_lp" {
            return Some("Stan's old `get_lp()` is written `target()`".into());
        }
        let is_dist = |b: &str| DistId::lookup(b).is_some() || self.user_dist(b).is_some();
        for (old, new) in [("_cdf_log", "_lcdf"), ("_ccdf_log", "_lccdf"), ("_log", "")] {
            let Some(base) = name.strip_suffix(old).filter(|b| is_dist(b)) else {
                continue;
            };
            let new = match (new, DistId::lookup(base)) {
                ("", Some(d)) => d.spec().suffix(),
                ("", None) => "_lpdf",
                (n, _) => n,
            };
            return Some(format!(
                "`{old}` is Stan's old suffix: write `{base}{new}(y | ...)`, with the variate before `|`"
            ));
        }
        None
    }

    /// `target()`: the log density so far, readable in the model's
    /// statements (not in functions, `gen`, sizes or bounds).
    /// (The grammar admits no arguments.)
    fn target_call(&mut self, span: Span) -> Option<TypedExpr> {
        let refusal = if self.current_fn.is_some() {
            Some((
                "a function cannot read `target()`",
                "read `target()` in the model and pass the value as an argument",
            ))
        } else if self.context == Context::Gen {
            Some((
                "`target()` cannot be used in generated quantities",
                "the log density is not computed when draws are generated: \
                 read `target()` in the model's statements",
            ))
        } else if self.context != Context::Model {
            Some((
                "`target()` cannot be used in a declaration's size, bound or default",
                "read `target()` in the model's statements",
            ))
        } else {
            None
        };
        if let Some((what, help)) = refusal {
            self.error(
                Diagnostic::error("misplaced-target", what)
                    .with_label(span, "not allowed here")
                    .with_help(help),
            );
            return None;
        }
        let mut params = types::ParamSet::default();
        for k in 0..self.model.params.len() {
            params.insert(crate::ir::ParamId(k as u32));
        }
        Some(TypedExpr::new(
            IrExpr::Target,
            ValueType::Real,
            span,
            Dims::UNKNOWN,
            params,
        ))
    }

    fn call_builtin(&mut self, b: Builtin, args: Vec<TypedExpr>, span: Span) -> Option<TypedExpr> {
        let tys: Vec<ValueType> = args.iter().map(TypedExpr::ty).collect();
        // An int matrix is read as the real matrix it promotes to.
        let promoted: Vec<ValueType> = tys.iter().map(|&t| types::matrix_promoted(t)).collect();
        let Some(ty) = builtin_type(b, &promoted) else {
            let found = tys
                .iter()
                .map(|t| t.describe())
                .collect::<Vec<_>>()
                .join(", ");
            let mut d = Diagnostic::error(
                "wrong-argument-type",
                format!("`{}` does not accept ({found})", b.name()),
            )
            .with_label(span, "this call");
            for a in &args {
                d = d.with_label(a.expr.span, a.ty().describe());
            }
            if b == Builtin::Transpose && types::is_vectorish(tys[0]) {
                d = d.with_help(
                    "vectors are columns and have no transpose: for Stan's `x' * y` write \
                     `dot_product(x, y)`, for `x' * A` write `transpose(A) * x`",
                );
                self.error(d);
                return None;
            }
            self.error(d.with_help(format!("expected {}", b.signature())));
            return None;
        };
        // Element-wise functions of two vectors need equal lengths.
        if matches!(
            b,
            Builtin::Pow
                | Builtin::Fmin
                | Builtin::Fmax
                | Builtin::Lbeta
                | Builtin::LogSumExp2
                | Builtin::Min2
                | Builtin::Max2
                | Builtin::Atan2
                | Builtin::Lchoose
                | Builtin::BinaryLogLoss
                | Builtin::LogMix
                | Builtin::DotProduct
        ) && !tys[0].is_scalar()
            && !tys[1].is_scalar()
            && args[0].dims.unify(args[1].dims).is_err()
        {
            self.shape_mismatch(&format!("`{}`", b.name()), &args[0], &args[1], span);
            return None;
        }
        if b == Builtin::RepMatrixColumns {
            self.warn_rep_matrix_of_row_vector(&args[0], span);
        }
        if b == Builtin::LinspacedVector && args.iter().any(|a| !a.params.is_empty()) {
            self.error(
                Diagnostic::error(
                    "param-in-data-function",
                    "the bounds of `linspaced_vector` must be data",
                )
                .with_label(span, "depends on parameters")
                .with_help("build the grid from data, then scale it: `lo + (hi - lo) * linspaced_vector(n, 0, 1)`"),
            );
            return None;
        }
        let dims = builtin_dims(b, &args);
        let params = union_params(&args);
        Some(TypedExpr::new(
            IrExpr::Call(b, args.into_iter().map(|a| a.expr).collect()),
            ty,
            span,
            dims,
            params,
        ))
    }

    fn call_user(
        &mut self,
        fid: FnId,
        name: &str,
        args: Vec<TypedExpr>,
        span: Span,
        is_density: bool,
    ) -> Option<TypedExpr> {
        let info = &self.fn_info[fid.index()];
        let (want, ret, uses_rng) = (info.args.clone(), info.ret, info.uses_rng);
        if !self.check_user_args(fid, name, &want, &args, span) {
            return None;
        }
        if uses_rng {
            self.require_rng_context(name, span)?;
        }
        let params = union_params(&args);
        let kind = if is_density {
            let mut it = args.into_iter().map(|a| a.expr);
            let y = it.next()?;
            IrExpr::Lpdf {
                dist: DistRef::User(fid),
                y: Box::new(y),
                args: it.collect(),
            }
        } else {
            IrExpr::CallUser(fid, args.into_iter().map(|a| a.expr).collect())
        };
        Some(TypedExpr::new(kind, ret, span, Dims::UNKNOWN, params))
    }

    pub(super) fn check_user_args(
        &mut self,
        fid: FnId,
        name: &str,
        want: &[ValueType],
        args: &[TypedExpr],
        span: Span,
    ) -> bool {
        let def = self.model.function(fid).span;
        if want.len() != args.len() {
            self.error(
                Diagnostic::error(
                    "wrong-arity",
                    format!(
                        "`{name}` takes {}, but {} given",
                        plural(want.len(), "argument"),
                        were_given(args.len())
                    ),
                )
                .with_label(span, "this call")
                .with_label(def, "defined here"),
            );
            return false;
        }
        let mut ok = true;
        for (i, (w, a)) in want.iter().zip(args).enumerate() {
            if !types::assignable(*w, a.ty()) {
                self.error(
                    Diagnostic::error(
                        "wrong-argument-type",
                        format!(
                            "argument {} of `{name}` must be {}, found {}",
                            i + 1,
                            w.describe(),
                            a.ty().describe()
                        ),
                    )
                    .with_label(a.expr.span, a.ty().describe())
                    .with_label(def, "defined here"),
                );
                ok = false;
            }
        }
        ok
    }

    /// `_rng` calls and the functions that make them belong in `gen`.
    pub(super) fn require_rng_context(&mut self, name: &str, span: Span) -> Option<()> {
        if let Some(f) = &mut self.current_fn {
            f.uses_rng = true;
            return Some(());
        }
        if self.context != Context::Gen {
            self.error(
                Diagnostic::error("rng-outside-gen", format!("`{name}` draws random numbers: it can be used only in `gen` statements"))
                    .with_label(span, "random draw outside `gen`")
                    .with_help("draws belong in generated quantities, e.g. `gen y_rep = normal_rng(mu, sigma)`"),
            );
            return None;
        }
        Some(())
    }
}

impl Checker<'_> {
    /// The variate and the other arguments of `name(y | ...)`, a call of
    /// distribution `d`'s density or cumulative function; `None` (reported)
    /// when there are no arguments or one failed to check.
    pub(super) fn split_variate(
        &mut self,
        name: &str,
        d: DistId,
        checked: Vec<Option<TypedExpr>>,
        span: Span,
    ) -> Option<(TypedExpr, Vec<TypedExpr>)> {
        if checked.is_empty() {
            self.error(
                Diagnostic::error(
                    "wrong-arity",
                    format!("`{name}` needs the variate as its first argument"),
                )
                .with_label(span, "no variate")
                .with_help(format!("write `{name}(y | {})`", arg_list(d.spec()))),
            );
            return None;
        }
        let mut args = collect(checked)?;
        let y = args.remove(0);
        Some((y, args))
    }
}

pub(super) fn collect(v: Vec<Option<TypedExpr>>) -> Option<Vec<TypedExpr>> {
    v.into_iter().collect()
}
