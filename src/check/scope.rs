//! Declaring and finding names, and suggestions for misspelt ones.

use super::types::{Dims, ParamSet, TypedExpr};
use super::{Binding, Checker, Context, DeclKind, Entry, LocalInfo};
use crate::ast::Ident;
use crate::diagnostics::Diagnostic;
use crate::ir::{self, ExprKind, LocalId, LocalKind, ValueType};
use crate::source::Span;

/// The longest name a declaration may have, in characters.
pub const MAX_NAME_LENGTH: usize = 255;

/// The closest candidate, if close enough to be a likely typo: within an
/// edit distance of a third of the name's length (at least 1), ties broken
/// alphabetically. Swapping two neighbouring letters counts as one edit
/// (optimal string alignment), so `sigam` suggests `sigma`.
pub(super) fn suggest<'n>(
    name: &str,
    candidates: impl Iterator<Item = &'n str>,
) -> Option<&'n str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .filter(|c| *c != name)
        .map(|c| (strsim::osa_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

impl Checker<'_> {
    /// A name declared in a block or function scope, innermost first.
    fn lookup_scoped(&self, name: &str) -> Option<Entry> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    /// The entry a new declaration would clash with.
    fn visible(&self, name: &str) -> Option<Entry> {
        self.lookup_scoped(name).or_else(|| {
            if self.current_fn.is_none() {
                self.globals.get(name).copied()
            } else {
                None
            }
        })
    }

    /// Checks that `name` may be declared here: not reserved, not taken.
    pub(super) fn check_new_name(&mut self, name: &Ident) -> bool {
        let length = name.name.chars().count();
        if length > MAX_NAME_LENGTH {
            self.error(
                Diagnostic::error(
                    "name-too-long",
                    format!(
                        "a name of {length} characters is longer than the {MAX_NAME_LENGTH} a name may have"
                    ),
                )
                .with_label(name.span, "this name")
                .with_help("choose a shorter name"),
            );
            self.poison(name);
            return false;
        }
        if name.name.ends_with("__") {
            self.error(
                Diagnostic::error(
                    "reserved-name",
                    format!(
                        "`{}` is reserved: names ending in `__` belong to outputs such as `lp__`",
                        name.name
                    ),
                )
                .with_label(name.span, "reserved name")
                .with_help(format!(
                    "rename it, e.g. `{}`",
                    name.name.trim_end_matches('_')
                )),
            );
            self.poison(name);
            return false;
        }
        if let Some(prev) = self.visible(&name.name) {
            self.error(
                Diagnostic::error(
                    "duplicate-declaration",
                    format!("`{}` is already declared", name.name),
                )
                .with_label(name.span, "declared again here")
                .with_label(prev.span, "first declared here")
                .with_help("choose another name (names cannot be shadowed)"),
            );
            return false;
        }
        true
    }

    /// Binds a checked declaration in the current scope.
    pub(super) fn bind(&mut self, name: &Ident, binding: Binding) {
        let entry = Entry {
            binding,
            span: name.span,
        };
        match self.scopes.last_mut() {
            Some(s) => {
                s.insert(name.name.clone(), entry);
            }
            None => {
                self.globals.insert(name.name.clone(), entry);
            }
        }
    }

    /// Declares a `let`, `var`, loop variable or function argument.
    pub(super) fn declare_local(
        &mut self,
        name: &Ident,
        kind: LocalKind,
        ty: ValueType,
        dims: Dims,
        params: ParamSet,
    ) -> LocalId {
        let ok = self.check_new_name(name);
        let id = LocalId(self.model.locals.len() as u32);
        self.model.locals.push(ir::LocalDecl {
            name: name.name.clone(),
            span: name.span,
            kind,
            ty,
            top_level: self.scopes.is_empty() && self.current_fn.is_none(),
            function: self.current_fn.as_ref().map(|f| f.id),
        });
        self.locals.push(LocalInfo { dims, params });
        if ok {
            self.bind(name, Binding::Local(id));
        }
        id
    }

    /// Binds a name whose declaration failed, so that its uses do not
    /// report it again as unknown.
    pub(super) fn poison(&mut self, name: &Ident) {
        if self.visible(&name.name).is_none() {
            self.bind(name, Binding::Poisoned);
        }
    }

    pub(super) fn push_scope(&mut self) {
        self.scopes.push(Default::default());
    }

    pub(super) fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    /// Resolves a name used in an expression.
    pub(super) fn name_ref(&mut self, name: &str, span: Span) -> Option<TypedExpr> {
        if let Some(entry) = self.lookup_scoped(name) {
            return self.entry_ref(name, entry, span);
        }
        if self.current_fn.is_some() {
            if self.globals.contains_key(name) {
                self.error(
                    Diagnostic::error(
                        "global-in-function",
                        format!("a function cannot use the model's `{name}`"),
                    )
                    .with_label(span, "not an argument of this function")
                    .with_help(format!(
                        "functions see only their arguments: pass `{name}` as an argument"
                    )),
                );
                return None;
            }
            return self.unknown_name(name, span);
        }
        match self.globals.get(name).copied() {
            Some(entry) => self.entry_ref(name, entry, span),
            None => self.unknown_name(name, span),
        }
    }

    fn entry_ref(&mut self, name: &str, entry: Entry, span: Span) -> Option<TypedExpr> {
        let context = self.context;
        let not_here = |what: &str| -> Diagnostic {
            let (code, msg, help) = match context {
                Context::Data => (
                    "data-uses-non-data",
                    format!("a data declaration can use only earlier data, but `{name}` is {what}"),
                    "data sizes, bounds and defaults are computed before anything else",
                ),
                Context::ParamShape => (
                    "param-in-shape",
                    format!("a size can use only data, but `{name}` is {what}"),
                    "the number of parameters must be known before inference starts",
                ),
                _ => (
                    "bound-uses-local",
                    format!(
                        "a bound can use only data and earlier parameters, but `{name}` is {what}"
                    ),
                    "parameters are transformed before the model's statements run",
                ),
            };
            Diagnostic::error(code, msg)
                .with_label(span, format!("`{name}` is {what}"))
                .with_help(help)
        };
        match entry.binding {
            Binding::Poisoned => None,
            Binding::Data(id) => {
                let d = &mut self.data_info[id.index()];
                d.used = true;
                let dims = d.dims;
                let ty = self.model.data(id).ty();
                Some(TypedExpr::new(
                    ExprKind::Data(id),
                    ty,
                    span,
                    dims,
                    ParamSet::default(),
                ))
            }
            Binding::Param(id) => {
                if matches!(context, Context::Data | Context::ParamShape) {
                    self.error(not_here("a parameter"));
                    return None;
                }
                let ty = self.model.param(id).ty();
                let dims = self.param_info[id.index()].dims;
                Some(TypedExpr::new(
                    ExprKind::Param(id),
                    ty,
                    span,
                    dims,
                    ParamSet::single(id),
                ))
            }
            Binding::Local(id) => {
                // Sizes and bounds of parameters may use top-level locals
                // computed from data alone (they are known once data is bound).
                let data_only = self.locals[id.index()].params.is_empty()
                    && self.model.local(id).top_level
                    && self.model.local(id).function.is_none();
                let allowed = match context {
                    Context::Data => false,
                    Context::ParamShape | Context::ParamBound => data_only,
                    _ => true,
                };
                if !allowed {
                    let what = match self.model.local(id).kind {
                        LocalKind::Var => "a `var`",
                        _ => "a `let`",
                    };
                    self.error(not_here(what));
                    return None;
                }
                let info = &self.locals[id.index()];
                let (dims, params) = (info.dims, info.params.clone());
                let ty = self.model.local(id).ty;
                Some(TypedExpr::new(ExprKind::Local(id), ty, span, dims, params))
            }
            Binding::Gen(id) => {
                if context != Context::Gen {
                    self.error(
                        Diagnostic::error("gen-outside-gen", format!("`{name}` is a generated quantity: only later `gen` statements can use it"))
                            .with_label(span, "used outside a `gen` statement")
                            .with_label(entry.span, "generated here")
                            .with_help("generated quantities are computed after fitting and never enter the log density"),
                    );
                    return None;
                }
                let ty = self.model.gen_decl(id).ty;
                let dims = self.gen_dims[id.index()];
                Some(TypedExpr::new(
                    ExprKind::Gen(id),
                    ty,
                    span,
                    dims,
                    ParamSet::default(),
                ))
            }
        }
    }

    /// Names an expression here could use, for suggestions.
    fn visible_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .scopes
            .iter()
            .flat_map(|s| s.keys().map(String::as_str))
            .collect();
        if self.current_fn.is_none() {
            v.extend(self.globals.keys().map(String::as_str));
        }
        v
    }

    fn unknown_name(&mut self, name: &str, span: Span) -> Option<TypedExpr> {
        if self.current_fn.is_none() {
            if let Some(&(decl, kind)) = self.declared.get(name) {
                if decl.start > span.start || decl.file != span.file {
                    let d = if self.context == Context::ParamBound && kind == DeclKind::Param {
                        Diagnostic::error(
                            "bound-later-param",
                            format!(
                                "the bound of `{}` uses `{name}`, which is declared after it",
                                self.bounding.clone().unwrap_or_default()
                            ),
                        )
                        .with_label(span, "a later parameter")
                        .with_label(decl, "declared here")
                        .with_help(format!("a bound can use only data and earlier parameters: declare `{name}` first"))
                    } else {
                        Diagnostic::error(
                            "use-before-declaration",
                            format!("`{name}` is used before it is declared"),
                        )
                        .with_label(span, "used here")
                        .with_label(decl, "declared here")
                        .with_help(
                            "a name must be declared before it is used: move the declaration up",
                        )
                    };
                    self.error(d);
                    return None;
                }
            }
        }
        let mut d = Diagnostic::error("unknown-name", format!("unknown name `{name}`"))
            .with_label(span, "not declared");
        let names = self.visible_names();
        if let Some(s) = suggest(name, names.into_iter()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else if self.current_fn.is_some() {
            d = d.with_help("a function sees only its arguments and its own variables");
        }
        self.error(d);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_suggestions() {
        // Optimal string alignment: a swap of two neighbours is one edit.
        assert_eq!(strsim::osa_distance("sigma", "sigm"), 1);
        assert_eq!(strsim::osa_distance("kitten", "sitting"), 3);
        assert_eq!(strsim::osa_distance("ab", "ba"), 1);
        assert_eq!(
            suggest("sigm", ["mu", "sigma", "tau"].into_iter()),
            Some("sigma")
        );
        assert_eq!(suggest("zzz", ["mu", "sigma"].into_iter()), None);
        assert_eq!(suggest("sigam", ["mu", "sigma"].into_iter()), Some("sigma"));
        assert_eq!(
            suggest("nromal", ["normal", "gamma"].into_iter()),
            Some("normal")
        );
    }
}
