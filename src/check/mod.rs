//! Name resolution, types, shapes and constraints: AST to IR, collecting every problem.
//!
//! The checker walks the standard library and then the model top to
//! bottom, exactly in the order the model will run, so "declared before
//! use" is simply "already in scope". It never stops at the first
//! problem: an expression that fails to check yields `None`, and whatever
//! contains it stays silent about it (no cascades) while its siblings are
//! still checked.

mod builtin_types;
mod calls;
mod control;
mod cumulative;
mod decl;
mod dists;
mod expr;
mod function;
mod generated;
mod glm;
mod layout;
mod lints;
pub mod minibatch;
mod naming;
mod scope;
mod stdlib;
mod stmt;
mod types;

use crate::ast;
use crate::diagnostics::{Diagnostic, has_errors};
use crate::ir::{self, DataId, FnId, GenId, LocalId, ParamId, ValueType};
use crate::source::{SourceMap, Span};
use std::collections::HashMap;
use types::{Dims, ParamSet};

pub use layout::{Free, Layout, ParamLayout, SizeEval};
pub use stdlib::STDLIB;

/// Checks library programs and a model (the last program) and builds the IR.
///
/// Every program but the last is a library file: it may only define
/// functions. The model is `Some` exactly when no error was found; the
/// diagnostics hold every error and warning, in source order per file.
pub fn check(
    sources: &SourceMap,
    programs: &[ast::Program],
) -> (Option<ir::Model>, Vec<Diagnostic>) {
    let mut checker = Checker::new(sources);
    let n = programs.len();
    for (i, p) in programs.iter().enumerate() {
        checker.prescan(p, i + 1 == n);
    }
    for (i, p) in programs.iter().enumerate() {
        let library = i + 1 < n;
        checker.in_stdlib = library;
        for s in &p.stmts {
            if let Some(s) = checker.top_stmt(s, library) {
                checker.model.body.push(s);
            }
        }
    }
    checker.in_stdlib = false;
    // With errors, statements that failed to check would make these
    // warnings wrong (a prior that did not check is still a prior).
    if !has_errors(&checker.diags) {
        checker.finish_lints();
        if let Err(problems) = minibatch::row_plan(&checker.model) {
            checker.diags.extend(problems);
        }
    }
    let Checker {
        model, mut diags, ..
    } = checker;
    diags.sort_by_key(|d| d.primary_span().map(|s| (s.file, s.start)));
    if has_errors(&diags) {
        (None, diags)
    } else {
        (Some(model), diags)
    }
}

/// Adds the standard library and the model text to `sources`, parses and
/// checks them: the front door of the CLI and the REPL.
///
/// `Ok` carries the model and its warnings; `Err` every diagnostic
/// (errors and warnings) when the model has an error.
#[allow(clippy::result_large_err)]
pub fn load_model(
    sources: &mut SourceMap,
    name: &str,
    text: &str,
) -> Result<(ir::Model, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut files = Vec::new();
    for (lib_name, lib_text) in STDLIB {
        files.push(sources.add(*lib_name, *lib_text));
    }
    files.push(sources.add(name, text));
    let mut programs = Vec::new();
    let mut diags = Vec::new();
    for f in files {
        let (p, d) = crate::syntax::parse_partial(sources, f);
        programs.push(p);
        diags.extend(d);
    }
    if has_errors(&diags) {
        return Err(diags);
    }
    match check(sources, &programs) {
        (Some(m), d) => Ok((m, d)),
        (None, d) => Err(d),
    }
}

/// What a name refers to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Binding {
    Data(DataId),
    Param(ParamId),
    Local(LocalId),
    Gen(GenId),
    /// A declaration that failed to check: uses stay silent.
    Poisoned,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    binding: Binding,
    span: Span,
}

/// Where an expression sits, which decides the names it may use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Context {
    /// Sizes, bounds and defaults of `data`: earlier data only.
    Data,
    /// Sizes of a parameter: data only.
    ParamShape,
    /// Bounds of a parameter: data and earlier parameters.
    ParamBound,
    /// The model's statements.
    Model,
    /// The value of a `gen` statement.
    Gen,
}

struct LocalInfo {
    dims: Dims,
    params: ParamSet,
}

struct DataInfo {
    used: bool,
    /// An `int` with no default: a size that names itself.
    fixed: bool,
    dims: Dims,
}

struct ParamInfo {
    dims: Dims,
    has_prior: bool,
}

struct FnInfo {
    args: Vec<ValueType>,
    ret: ValueType,
    uses_rng: bool,
}

struct CurrentFunction {
    id: FnId,
    name: String,
    ret: Option<ValueType>,
    uses_rng: bool,
}

/// Kinds of top-level declarations, found before checking for messages
/// such as "used before its declaration".
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum DeclKind {
    Data,
    Param,
    Let,
    Var,
    Gen,
}

struct Checker<'a> {
    sources: &'a SourceMap,
    diags: Vec<Diagnostic>,
    model: ir::Model,
    globals: HashMap<String, Entry>,
    /// Block scopes (and, inside a function, the function's scopes).
    scopes: Vec<HashMap<String, Entry>>,
    functions: HashMap<String, FnId>,
    fn_info: Vec<FnInfo>,
    locals: Vec<LocalInfo>,
    data_info: Vec<DataInfo>,
    param_info: Vec<ParamInfo>,
    gen_dims: Vec<Dims>,
    context: Context,
    current_fn: Option<CurrentFunction>,
    /// Every top-level declaration of the model, by name.
    declared: HashMap<String, (Span, DeclKind)>,
    /// Every function definition of every program, by name.
    fn_names: HashMap<String, Span>,
    in_stdlib: bool,
    /// The parameter whose bounds are being checked.
    bounding: Option<String>,
    /// How many `for` / `while` bodies enclose the statement being checked.
    loop_depth: usize,
}

impl<'a> Checker<'a> {
    fn new(sources: &'a SourceMap) -> Checker<'a> {
        Checker {
            sources,
            diags: Vec::new(),
            model: ir::Model::default(),
            globals: HashMap::new(),
            scopes: Vec::new(),
            functions: HashMap::new(),
            fn_info: Vec::new(),
            locals: Vec::new(),
            data_info: Vec::new(),
            param_info: Vec::new(),
            gen_dims: Vec::new(),
            context: Context::Model,
            current_fn: None,
            declared: HashMap::new(),
            fn_names: HashMap::new(),
            in_stdlib: false,
            bounding: None,
            loop_depth: 0,
        }
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    fn snippet(&self, span: Span) -> &str {
        self.sources.snippet(span)
    }

    /// Records the names a program declares (first declaration wins).
    fn prescan(&mut self, p: &ast::Program, is_model: bool) {
        for s in &p.stmts {
            let (name, kind) = match &s.kind {
                ast::StmtKind::Fn(f) => {
                    self.fn_names.insert(f.name.name.clone(), f.name.span);
                    continue;
                }
                _ if !is_model => continue,
                ast::StmtKind::Data { name, .. } => (name, DeclKind::Data),
                ast::StmtKind::Param { name, .. } => (name, DeclKind::Param),
                ast::StmtKind::Let { name, .. } => (name, DeclKind::Let),
                ast::StmtKind::Var { name, .. } => (name, DeclKind::Var),
                ast::StmtKind::Gen { name, .. } => (name, DeclKind::Gen),
                ast::StmtKind::GenBlock(b) => {
                    for inner in &b.stmts {
                        if let ast::StmtKind::Let { name, .. } | ast::StmtKind::Var { name, .. } =
                            &inner.kind
                        {
                            self.declared
                                .entry(name.name.clone())
                                .or_insert((name.span, DeclKind::Gen));
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            self.declared
                .entry(name.name.clone())
                .or_insert((name.span, kind));
        }
    }

    /// A fixed-size data int can name a size.
    fn fixed_data(&self, d: DataId) -> bool {
        self.data_info.get(d.index()).is_some_and(|i| i.fixed)
    }

    fn dims_of_shape(&self, shape: &ir::Shape) -> Dims {
        let f = |d: DataId| self.fixed_data(d);
        match shape {
            ir::Shape::Scalar => Dims::UNKNOWN,
            ir::Shape::Vector(n) => Dims::vector(types::size_of(n, &f)),
            ir::Shape::Matrix(r, c) => Dims {
                rows: types::size_of(r, &f),
                cols: types::size_of(c, &f),
            },
            // No operator works on a whole 3-d array: its sizes are checked
            // when it runs.
            ir::Shape::Array3(..) => Dims::UNKNOWN,
        }
    }
}
