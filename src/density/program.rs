//! The compiled form of a model bound to data: the IR, the data buffers,
//! data-only results computed once at bind time, and the parameter layout.

use crate::density::value::{Buf, ConstBufs, ConstRef, Value};
use crate::ir;
use crate::source::SourceMap;
use crate::transform::Transform;

/// One parameter's place in the unconstrained vector.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSlot {
    pub id: ir::ParamId,
    pub name: String,
    /// Constrained shape: `[]`, `[n]` or `[rows, cols]`.
    pub dims: Vec<usize>,
    pub transform: Transform,
    /// Offset of its first unconstrained coordinate.
    pub offset: usize,
    /// Number of unconstrained coordinates.
    pub free: usize,
}

impl ParamSlot {
    /// Number of constrained elements.
    pub fn size(&self) -> usize {
        self.dims.iter().product()
    }
}

/// The parameter layout: declaration order, Stan-style names.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Layout {
    pub params: Vec<ParamSlot>,
    pub dim: usize,
    /// Indices into `params` in the order their values are computed: a
    /// parameter whose `offset=`/`multiplier=` uses another comes after it
    /// (declaration order, except in a model made non-centred, where a
    /// group effect may be declared before its scale).
    pub order: Vec<usize>,
}

impl Layout {
    /// The parameters in the order their constrained values are computed.
    pub fn in_order(&self) -> impl Iterator<Item = &ParamSlot> {
        self.order.iter().map(|&k| &self.params[k])
    }

    /// Stan-style names of the unconstrained coordinates (`theta[3]` for
    /// identity-like transforms; `simplex w` has K−1 coordinates named
    /// `w__free[k]`).
    pub fn coordinate_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.dim);
        for p in &self.params {
            let same_shape = p.free == p.size()
                && !matches!(
                    p.transform,
                    Transform::CorrCholesky | Transform::Simplex | Transform::UnitVector
                );
            if same_shape {
                names.extend(element_names(&p.name, &p.dims));
            } else {
                for k in 0..p.free {
                    names.push(format!("{}__free[{}]", p.name, k + 1));
                }
            }
        }
        names
    }
}

/// Stan-style names of the elements of a quantity, in row-major order
/// (`theta[1]`, `Sigma[1,2]`).
pub fn element_names(name: &str, dims: &[usize]) -> Vec<String> {
    match dims {
        [] => vec![name.to_string()],
        [n] => (1..=*n).map(|i| format!("{name}[{i}]")).collect(),
        [r, c] => {
            let mut v = Vec::with_capacity(r * c);
            for i in 1..=*r {
                for j in 1..=*c {
                    v.push(format!("{name}[{i},{j}]"));
                }
            }
            v
        }
        [a, r, c] => {
            let mut v = Vec::with_capacity(a * r * c);
            for i in 1..=*a {
                for j in 1..=*r {
                    for k in 1..=*c {
                        v.push(format!("{name}[{i},{j},{k}]"));
                    }
                }
            }
            v
        }
        _ => vec![name.to_string()],
    }
}

/// A checked model bound to data.
#[derive(Clone)]
pub struct Program {
    pub model: ir::Model,
    pub sources: SourceMap,
    /// Bound real data and data-only results.
    pub reals: Vec<f64>,
    pub ints: Vec<i64>,
    /// `ints` as reals.
    pub int_mirror: Vec<f64>,
    /// The value of every data declaration.
    pub data_vals: Vec<Value>,
    /// Values of top-level locals computed once at bind time.
    pub const_locals: Vec<Option<Value>>,
    /// Top-level statements already executed at bind time.
    pub static_stmt: Vec<bool>,
    /// The body with its loops of independent iterations rewritten as
    /// array statements (`compile::vectorise`), statement for statement;
    /// `None` when there is no such loop.
    pub vector_body: Option<Vec<ir::Stmt>>,
    /// Locals whose value depends on parameters.
    pub param_dependent: Vec<bool>,
    /// Sum of `~`/`target +=` contributions that involve data only.
    pub lp_const: f64,
    pub layout: Layout,
}

impl Program {
    pub fn bufs<'a>(&'a self, scratch: &'a [f64]) -> ConstBufs<'a> {
        ConstBufs {
            data: &self.reals,
            mirror: &self.int_mirror,
            scratch,
        }
    }

    /// Stores constant reals permanently, returning their reference.
    pub fn persist_reals(&mut self, xs: &[f64]) -> ConstRef {
        let off = self.reals.len();
        self.reals.extend_from_slice(xs);
        ConstRef::new(Buf::Data, off, xs.len())
    }

    /// Stores constant ints permanently (with their real mirror).
    pub fn persist_ints(&mut self, xs: &[i64]) -> ConstRef {
        let off = self.ints.len();
        self.ints.extend_from_slice(xs);
        self.int_mirror.extend(xs.iter().map(|&x| x as f64));
        ConstRef::new(Buf::Data, off, xs.len())
    }

    /// Moves a value computed in a scratch buffer into the permanent buffers.
    pub fn persist(&mut self, v: Value, scratch: &[f64], int_scratch: &[i64]) -> Value {
        match v {
            Value::Vec(r) if r.buf == Buf::Scratch => {
                Value::Vec(self.persist_reals(&scratch[r.range()]))
            }
            Value::Mat(r, rows, cols) if r.buf == Buf::Scratch => {
                Value::Mat(self.persist_reals(&scratch[r.range()]), rows, cols)
            }
            Value::IntArr(r) if r.buf == Buf::Scratch => {
                Value::IntArr(self.persist_ints(&int_scratch[r.range()]))
            }
            other => other,
        }
    }
}
