//! Compiling a checked model with its data: binding the data (`bind`),
//! finding what depends on parameters (`classify`), running every data-only
//! statement once, and fixing the parameter layout (`layout`). The product
//! is a [`CompiledModel`].

mod bind;
mod classify;
mod layout;
mod reparam;
mod vectorise;

use crate::data::DataInput;
use crate::density::eval::Evaluator;
use crate::density::eval::workspace::{EvalError, Stop, Workspace};
use crate::density::model::CompiledModel;
use crate::density::program::{Layout, Program};
use crate::density::value::LocalValue;
use crate::diagnostics::Diagnostic;
use crate::ir;
use crate::source::SourceMap;

/// Compiles a checked model with its data. On success also returns notes
/// (e.g. ignored data keys) for the user.
pub fn compile(
    model: ir::Model,
    sources: SourceMap,
    input: &DataInput,
) -> Result<(CompiledModel, Vec<Diagnostic>), Vec<Diagnostic>> {
    let n_locals = model.locals.len();
    let mut prog = Program {
        model,
        sources,
        reals: Vec::new(),
        ints: Vec::new(),
        int_mirror: Vec::new(),
        data_vals: Vec::new(),
        const_locals: vec![None; n_locals],
        static_stmt: Vec::new(),
        vector_body: None,
        param_dependent: Vec::new(),
        lp_const: 0.0,
        layout: Layout::default(),
    };
    let notes = bind::bind_data(&mut prog, input)?;
    let classes = classify::classify(&prog.model);
    prog.param_dependent = classes.param_dependent;
    run_static(&mut prog, &classes.static_stmt)?;
    prog.static_stmt = classes.static_stmt;
    prog.vector_body = vectorise::vectorised_body(&prog.model);
    prog.layout = layout::layout(&prog)?;
    Ok((CompiledModel::new(prog), notes))
}

fn located(e: &EvalError, code: &'static str, what: &str) -> Diagnostic {
    Diagnostic::error(code, format!("{what}: {}", e.message))
        .with_label(e.span, "here")
        .with_help(match e.kind {
            Stop::Reject => {
                "this uses data only, so it fails for every value of the parameters: check the data"
            }
            Stop::Fatal => "fix the model or its data",
        })
}

/// Runs the data-only top-level statements once and keeps their results.
fn run_static(prog: &mut Program, static_stmt: &[bool]) -> Result<(), Vec<Diagnostic>> {
    let mut ws: Workspace<f64> = Workspace::new(
        prog.model.locals.len(),
        prog.model.params.len(),
        prog.model.gens.len(),
    );
    ws.reset(false);
    let body = std::mem::take(&mut prog.model.body);
    let mut result = Ok(());
    {
        let mut ev = Evaluator::new(prog, &mut ws, false);
        for (s, &st) in body.iter().zip(static_stmt) {
            if st {
                if let Err(e) = ev.stmt(s) {
                    result = Err(vec![located(
                        &e,
                        "data-computation",
                        "a computation on data failed",
                    )]);
                    break;
                }
            }
        }
    }
    if result.is_ok() {
        if let Some((span, x)) = ws.nonfinite_at {
            result = Err(vec![Diagnostic::error(
                "data-density",
                format!("this statement involves data only and its log density is {x}, for every value of the parameters"),
            )
            .with_label(span, "here")]);
        }
    }
    // Keep the values of top-level locals the static statements defined.
    let mut values = Vec::new();
    if result.is_ok() {
        for (id, decl) in prog.model.locals.iter().enumerate() {
            if !decl.top_level || decl.function.is_some() {
                continue;
            }
            let lid = ir::LocalId(id as u32);
            let v = match ws.locals[id] {
                LocalValue::Value(v) => Some(v),
                LocalValue::Var { .. } => {
                    let mut ev = Evaluator::new(prog, &mut ws, false);
                    ev.read_var(lid, decl.span).ok()
                }
                LocalValue::Unset => None,
            };
            if let Some(v) = v {
                values.push((id, v));
            }
        }
    }
    for (id, v) in values {
        let v = prog.persist(v, &ws.scratch, &ws.int_scratch);
        prog.const_locals[id] = Some(v);
    }
    prog.lp_const = ws.lp_const;
    prog.model.body = body;
    result
}
