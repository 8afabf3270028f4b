//! Binding data to the data declarations: shapes, types, bounds, defaults
//! and sizes inferred from the arrays that use them.

use crate::data::{DataInput, RawValue};
use crate::density::eval::Evaluator;
use crate::density::eval::workspace::Workspace;
use crate::density::program::Program;
use crate::density::value::{Buf, ConstRef, Dims, Value};
use crate::diagnostics::Diagnostic;
use crate::ir::{DataDecl, DataId, Elem, Expr, ExprKind, Shape};

/// The expected shape of a declaration, once its size expressions are known.
fn expected_dims(_decl: &DataDecl, sizes: &[usize]) -> Dims {
    Dims::from_sizes(sizes).unwrap_or(Dims::Scalar)
}

fn shape_exprs(decl: &DataDecl) -> Vec<&Expr> {
    decl.shape.sizes()
}

fn type_text(decl: &DataDecl, dims: Dims) -> String {
    let elem = match decl.elem {
        Elem::Int => "int",
        Elem::Real => "real",
    };
    match dims {
        Dims::Scalar => elem.to_string(),
        Dims::Vector(n) => format!("{elem}[{n}]"),
        Dims::Matrix(r, c) => format!("{elem}[{r}, {c}] (a list of {r} rows of length {c})"),
        Dims::Array3(j, k, l) => {
            format!("{elem}[{j}, {k}, {l}] (a list of {j} lists of {k} rows of length {l})")
        }
    }
}

/// Binds every data declaration of `prog.model`, in order, filling
/// `prog.data_vals`. Returns notes (ignored keys) or all problems found.
pub fn bind_data(
    prog: &mut Program,
    input: &DataInput,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let n = prog.model.data.len();
    prog.data_vals = vec![Value::Real(f64::NAN); n];
    let mut ws: Workspace<f64> = Workspace::new(prog.model.locals.len(), 0, 0);
    for k in 0..n {
        let decl = prog.model.data[k].clone();
        let Some(sizes) = declared_sizes(prog, &mut ws, &decl, &mut errors) else {
            continue;
        };
        let dims = expected_dims(&decl, &sizes);
        let value = if let Some(entry) = input.get(&decl.name) {
            match convert(&decl, dims, &entry.value, &entry.origin, entry.table) {
                Ok(v) => store(prog, &decl, v),
                Err(msg) => {
                    errors.push(
                        Diagnostic::error("data-mismatch", msg)
                            .with_label(decl.span, "declared here"),
                    );
                    continue;
                }
            }
        } else if let Some(def) = &decl.default {
            match bind_default(prog, &mut ws, &decl, def, dims) {
                Ok(v) => v,
                Err(d) => {
                    errors.push(d);
                    continue;
                }
            }
        } else if let Some(v) = infer_size(prog, k, input, &mut errors) {
            Value::Int(v as i64)
        } else {
            if !errors.iter().any(|e| {
                e.code == "data-size-conflict"
                    && e.labels.first().map(|l| l.span) == Some(decl.span)
            }) {
                errors.push(missing(&decl, dims, input));
            }
            continue;
        };
        prog.data_vals[k] = value;
        if let Err(d) = check_bounds(prog, &mut ws, &decl, value) {
            errors.push(d);
        }
    }
    if errors.is_empty() {
        Ok(ignored_entries(prog, input))
    } else {
        Err(errors)
    }
}

/// The sizes of a declaration's shape, from its size expressions (earlier
/// data only); `None` after reporting the ones that cannot be computed.
fn declared_sizes(
    prog: &Program,
    ws: &mut Workspace<f64>,
    decl: &DataDecl,
    errors: &mut Vec<Diagnostic>,
) -> Option<Vec<usize>> {
    let mut sizes = Vec::new();
    let mut ok = true;
    for e in shape_exprs(decl) {
        ws.reset(false);
        let mut ev = Evaluator::new(prog, ws, false);
        match ev.size_expr(e) {
            Ok(s) => sizes.push(s),
            Err(err) => {
                errors.push(
                    Diagnostic::error(
                        "data-shape",
                        format!(
                            "the size of `{}` cannot be computed: {}",
                            decl.name, err.message
                        ),
                    )
                    .with_label(err.span, "this size"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(sizes)
}

/// The value of a declaration's default (`data N: int = 10`), kept in the
/// permanent buffers.
fn bind_default(
    prog: &mut Program,
    ws: &mut Workspace<f64>,
    decl: &DataDecl,
    def: &Expr,
    dims: Dims,
) -> Result<Value, Diagnostic> {
    ws.reset(false);
    let mut ev = Evaluator::new(prog, ws, false);
    let v = ev.expr(def).map_err(|err| {
        Diagnostic::error(
            "data-default",
            format!(
                "the default of `{}` cannot be computed: {}",
                decl.name, err.message
            ),
        )
        .with_label(err.span, "here")
    })?;
    let v = if decl.elem == Elem::Real {
        ev.promote(v)
    } else {
        v
    };
    if v.dims() != dims {
        return Err(Diagnostic::error(
            "data-mismatch",
            format!(
                "the default of `{}` is {} but the declaration says {}",
                decl.name,
                v.dims(),
                type_text(decl, dims)
            ),
        )
        .with_label(def.span, "this default"));
    }
    let (s, i) = (
        std::mem::take(&mut ws.scratch),
        std::mem::take(&mut ws.int_scratch),
    );
    let v = prog.persist(v, &s, &i);
    ws.scratch = s;
    ws.int_scratch = i;
    Ok(v)
}

/// The error for data that no file provides and nothing else determines.
fn missing(decl: &DataDecl, dims: Dims, input: &DataInput) -> Diagnostic {
    let files: Vec<&str> = {
        let mut f: Vec<&str> = input.entries.iter().map(|e| e.origin.as_str()).collect();
        f.dedup();
        f
    };
    let help = if files.is_empty() {
        "pass a data file with `--data FILE.json`".to_string()
    } else {
        format!(
            "add `{}` to {} or give the declaration a default (`data {}: ... = value`)",
            decl.name,
            files.join(", "),
            decl.name
        )
    };
    Diagnostic::error(
        "data-missing",
        format!(
            "missing data `{}`: expected {}, but no data file provides it",
            decl.name,
            type_text(decl, dims)
        ),
    )
    .with_label(decl.span, "declared here")
    .with_help(help)
}

/// Notes for the entries of the data files that the model does not declare.
fn ignored_entries(prog: &Program, input: &DataInput) -> Vec<Diagnostic> {
    input
        .entries
        .iter()
        .filter(|e| prog.model.data_by_name(&e.name).is_none())
        .map(|e| {
            Diagnostic::note(
                "data-ignored",
                format!(
                    "ignoring `{}` from {}: the model declares no data of that name",
                    e.name, e.origin
                ),
            )
        })
        .collect()
}

/// A size that no file provides, inferred from the arrays declared with it.
fn infer_size(
    prog: &Program,
    k: usize,
    input: &DataInput,
    errors: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let decl = &prog.model.data[k];
    if decl.elem != Elem::Int || decl.shape != Shape::Scalar {
        return None;
    }
    let mut found: Option<(usize, String)> = None;
    for later in &prog.model.data[k + 1..] {
        let Some(entry) = input.get(&later.name) else {
            continue;
        };
        for (axis, e) in shape_exprs(later).into_iter().enumerate() {
            if e.kind != ExprKind::Data(DataId(k as u32)) {
                continue;
            }
            let Some(&n) = entry.value.dims.get(axis) else {
                continue;
            };
            let why = format!(
                "`{}` in {} has {} along this axis",
                later.name, entry.origin, n
            );
            match &found {
                None => found = Some((n, why)),
                Some((m, first)) if *m != n => {
                    errors.push(
                        Diagnostic::error(
                            "data-size-conflict",
                            format!("the size `{}` is not given and the arrays that use it disagree: {first}, but {why}", decl.name),
                        )
                        .with_label(decl.span, "declared here"),
                    );
                    return None;
                }
                _ => {}
            }
        }
    }
    found.map(|(n, _)| n)
}

/// Checks a raw value against a declaration and converts it.
fn convert(
    decl: &DataDecl,
    dims: Dims,
    raw: &RawValue,
    origin: &str,
    table: bool,
) -> Result<Converted, String> {
    let want = type_text(decl, dims);
    let found_dims = raw.dims.as_slice();
    let matches = match dims {
        Dims::Scalar => found_dims.is_empty() || found_dims == [1],
        Dims::Vector(n) => {
            found_dims == [n]
                // A one-row or one-column table binds to a vector.
                || (table && (found_dims == [n, 1] || found_dims == [1, n]))
        }
        Dims::Matrix(r, c) => found_dims == [r, c] || (r == 0 && found_dims == [0]),
        // An empty list has no inner lengths to read.
        Dims::Array3(j, k, l) => {
            found_dims == [j, k, l]
                || (j == 0 && found_dims == [0])
                || (k == 0 && found_dims == [j, 0])
        }
    };
    if !matches {
        // A table has two dimensions at most.
        let hint = if table && matches!(dims, Dims::Array3(..)) {
            "; a 3-d array can only come from a JSON file (nested lists)"
        } else {
            ""
        };
        return Err(format!(
            "data `{}` in {origin} is {}, but the declaration says {want}{hint}",
            decl.name,
            raw.describe_shape()
        ));
    }
    let at = |i: usize| element_at(&decl.name, dims, i);
    let bounded = decl.bounds.lower.is_some() || decl.bounds.upper.is_some();
    for (i, &x) in raw.values.iter().enumerate() {
        if decl.elem == Elem::Int && (x.fract() != 0.0 || !x.is_finite()) {
            return Err(format!(
                "data `{}` in {origin} is {x}, but `{}` is declared int",
                at(i),
                decl.name
            ));
        }
        if bounded && x.is_nan() {
            return Err(format!(
                "data `{}` in {origin} is NaN, which is not allowed for bounded data",
                at(i)
            ));
        }
    }
    Ok(match decl.elem {
        Elem::Int => Converted::Ints(raw.values.iter().map(|&x| x as i64).collect(), dims),
        Elem::Real => Converted::Reals(raw.values.clone(), dims),
    })
}

enum Converted {
    Ints(Vec<i64>, Dims),
    Reals(Vec<f64>, Dims),
}

fn store(prog: &mut Program, _decl: &DataDecl, v: Converted) -> Value {
    match v {
        Converted::Ints(xs, Dims::Scalar) => Value::Int(xs[0]),
        Converted::Ints(xs, Dims::Vector(_)) => Value::IntArr(prog.persist_ints(&xs)),
        // An `int[N, K]`: its elements are ints, its rows int arrays, and it
        // reads as a real matrix through the ints' real mirror.
        Converted::Ints(xs, Dims::Matrix(r, c)) => {
            let ints = prog.persist_ints(&xs);
            let r_ = ConstRef {
                buf: Buf::IntMatrix,
                ..ints
            };
            Value::Mat(r_, r as u32, c as u32)
        }
        Converted::Reals(xs, Dims::Scalar) => Value::Real(xs[0]),
        Converted::Reals(xs, Dims::Vector(_)) => Value::Vec(prog.persist_reals(&xs)),
        Converted::Reals(xs, Dims::Matrix(r, c)) => {
            Value::Mat(prog.persist_reals(&xs), r as u32, c as u32)
        }
        // An `int[J, K, L]`: like an int matrix, its elements are ints and
        // it reads as reals through the mirror.
        Converted::Ints(xs, Dims::Array3(j, k, l)) => {
            let ints = prog.persist_ints(&xs);
            let r_ = ConstRef {
                buf: Buf::IntMatrix,
                ..ints
            };
            Value::Arr3(r_, [j as u32, k as u32, l as u32])
        }
        Converted::Reals(xs, Dims::Array3(j, k, l)) => {
            Value::Arr3(prog.persist_reals(&xs), [j as u32, k as u32, l as u32])
        }
    }
}

fn element_at(name: &str, dims: Dims, i: usize) -> String {
    dims.element_name(name, i)
}

/// `lower=`/`upper=` of a data declaration.
fn check_bounds(
    prog: &Program,
    ws: &mut Workspace<f64>,
    decl: &DataDecl,
    v: Value,
) -> Result<(), Diagnostic> {
    for (which, bound) in [("lower", &decl.bounds.lower), ("upper", &decl.bounds.upper)] {
        let Some(e) = bound else { continue };
        ws.reset(false);
        let mut ev = Evaluator::new(prog, ws, false);
        let b = ev.expr(e).map_err(|err| {
            Diagnostic::error(
                "data-bound",
                format!(
                    "the {which} bound of `{}` cannot be computed: {}",
                    decl.name, err.message
                ),
            )
            .with_label(err.span, "this bound")
        })?;
        if !b.is_scalar() && b.len() != v.len() {
            return Err(Diagnostic::error(
                "data-bound",
                format!(
                    "the {which} bound of `{}` has {} elements but the data has {}",
                    decl.name,
                    b.len(),
                    v.len()
                ),
            )
            .with_label(e.span, "this bound"));
        }
        for i in 0..v.len() {
            let x = ev.element_f64(v, i);
            let l = ev.element_f64(b, if b.is_scalar() { 0 } else { i });
            let bad = if which == "lower" { x < l } else { x > l };
            if bad {
                let at = element_at(&decl.name, v.dims(), i);
                return Err(Diagnostic::error(
                    "data-bound",
                    format!("data `{at}` = {x} violates its {which} bound {which}={l}"),
                )
                .with_label(decl.span, "declared here"));
            }
        }
    }
    Ok(())
}
