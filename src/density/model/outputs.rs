//! Per-draw outputs: constrained parameters, parameter-dependent top-level
//! `let`s and `gen` quantities, the values of data-only constants, and the
//! inverse map from a constrained point to unconstrained coordinates.

use super::{CompiledModel, ModelWorkspace};
use crate::data::RawValue;
use crate::density::eval::Evaluator;
use crate::density::eval::workspace::Workspace;
use crate::density::program::element_names;
use crate::density::value::LocalValue;
use crate::density::value::{Buf, Dims, Value};
use crate::ir::{self, LocalKind, StmtKind};
use crate::random::VRng;
use crate::transform::{self, Transform};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityKind {
    Param,
    Let,
    Gen,
}

/// One reported quantity (a parameter, a parameter-dependent top-level
/// `let`, or a `gen`), with its shape.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputColumn {
    pub name: String,
    pub kind: QuantityKind,
    pub dims: Vec<usize>,
    /// Parameter, local or gen id (by kind).
    id: u32,
}

impl OutputColumn {
    /// Stan-style element names; matrices and 3-d arrays column-major (the
    /// first index fastest), as CmdStan writes them.
    pub fn element_names(&self) -> Vec<String> {
        match self.dims.as_slice() {
            [r, c] => {
                let mut v = Vec::with_capacity(r * c);
                for j in 1..=*c {
                    for i in 1..=*r {
                        v.push(format!("{}[{i},{j}]", self.name));
                    }
                }
                v
            }
            [a, r, c] => {
                let mut v = Vec::with_capacity(a * r * c);
                for k in 1..=*c {
                    for j in 1..=*r {
                        for i in 1..=*a {
                            v.push(format!("{}[{i},{j},{k}]", self.name));
                        }
                    }
                }
                v
            }
            d => element_names(&self.name, d),
        }
    }

    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn dims_vec(d: Dims) -> Vec<usize> {
    d.sizes()
}

impl CompiledModel {
    /// Runs the model with `gen` statements; returns the log density
    /// (Jacobian included). As in the log density, the body with loops as
    /// array statements runs first, and the original body again (from the
    /// same random stream) unless that gives a finite log density.
    fn run_generate(
        &self,
        ws: &mut Workspace<f64>,
        theta: &[f64],
        rng: VRng,
    ) -> Result<f64, String> {
        if let Some(body) = &self.prog.vector_body {
            if let Ok(lp) = self.run_generate_body(ws, theta, rng.clone(), body) {
                if lp.is_finite() {
                    return Ok(lp);
                }
            }
        }
        self.run_generate_body(ws, theta, rng, &self.prog.model.body)
    }

    fn run_generate_body(
        &self,
        ws: &mut Workspace<f64>,
        theta: &[f64],
        rng: VRng,
        body: &[ir::Stmt],
    ) -> Result<f64, String> {
        ws.reset(false);
        ws.rng = Some(rng);
        ws.lp_const = self.prog.lp_const;
        let th = ws.tape.alloc(theta.len());
        ws.tape.vals[th.range()].copy_from_slice(theta);
        let res = {
            let mut ev = Evaluator::new(&self.prog, ws, true);
            ev.constrain_params(th)
                .and_then(|_| ev.run_generating(body))
        };
        ws.rng = None;
        match res {
            Ok(()) => Ok(ws.lp()),
            Err(e) => Err(format!(
                "{}: {}",
                self.prog.sources.location(e.span),
                e.message
            )),
        }
    }

    /// The reported quantities, determined by a first evaluation at `probe`.
    pub fn output_columns(&self, probe: &[f64]) -> Result<&[OutputColumn], String> {
        let r = self.outputs.get_or_init(|| {
            let mut ws = Workspace::new(
                self.prog.model.locals.len(),
                self.prog.model.params.len(),
                self.prog.model.gens.len(),
            );
            self.run_generate(&mut ws, probe, crate::random::stream(0, &[u64::MAX]))?;
            let mut cols = Vec::new();
            for ps in &self.prog.layout.params {
                cols.push(OutputColumn {
                    name: ps.name.clone(),
                    kind: QuantityKind::Param,
                    dims: ps.dims.clone(),
                    id: ps.id.0,
                });
            }
            for s in &self.prog.model.body {
                match &s.kind {
                    StmtKind::Let { local, .. } => {
                        let decl = self.prog.model.local(*local);
                        if decl.kind == LocalKind::Let
                            && decl.top_level
                            && self.prog.param_dependent[local.index()]
                        {
                            let v = match ws.locals[local.index()] {
                                LocalValue::Value(v) => v,
                                _ => continue,
                            };
                            cols.push(OutputColumn {
                                name: decl.name.clone(),
                                kind: QuantityKind::Let,
                                dims: dims_vec(v.dims()),
                                id: local.0,
                            });
                        }
                    }
                    StmtKind::Gen { id, .. } => cols.push(self.gen_column(&ws, *id)),
                    StmtKind::GenBlock { outputs, .. } => {
                        cols.extend(outputs.iter().map(|&(_, id)| self.gen_column(&ws, id)))
                    }
                    _ => {}
                }
            }
            Ok(cols)
        });
        r.as_ref().map(|v| v.as_slice()).map_err(|e| e.clone())
    }

    fn gen_column(&self, ws: &Workspace<f64>, id: ir::GenId) -> OutputColumn {
        OutputColumn {
            name: self.prog.model.gen_decl(id).name.clone(),
            kind: QuantityKind::Gen,
            dims: dims_vec(ws.gens[id.index()].dims()),
            id: id.0,
        }
    }

    /// Stan-style names of every output element, in output order.
    pub fn output_names(&self, probe: &[f64]) -> Result<Vec<String>, String> {
        Ok(self
            .output_columns(probe)?
            .iter()
            .flat_map(OutputColumn::element_names)
            .collect())
    }

    /// Constrained parameters, `let`s and `gen`s of one draw, appended to
    /// `row`; returns the log density at the draw.
    pub fn generate(
        &self,
        ws: &mut ModelWorkspace,
        theta: &[f64],
        rng: VRng,
        row: &mut Vec<f64>,
    ) -> Result<f64, String> {
        let cols = self.output_columns(theta)?;
        let lp = self.run_generate(&mut ws.f, theta, rng)?;
        let ev = Evaluator::new(&self.prog, &mut ws.f, true);
        for c in cols {
            let v = match c.kind {
                QuantityKind::Param => ev.workspace.params[c.id as usize],
                QuantityKind::Let => match ev.workspace.locals[c.id as usize] {
                    LocalValue::Value(v) => v,
                    _ => return Err(format!("`{}` has no value in this draw", c.name)),
                },
                QuantityKind::Gen => ev.workspace.gens[c.id as usize],
            };
            if dims_vec(v.dims()) != c.dims {
                return Err(format!(
                    "`{}` changed shape between draws: {} instead of {:?}",
                    c.name,
                    v.dims(),
                    c.dims
                ));
            }
            ev.push_column_major(v, row);
        }
        Ok(lp)
    }

    /// The value of a data declaration, or of a top-level `let`/`var` that
    /// depends on data alone, by name: its shape and its elements (row-major).
    /// `None` when there is no such constant (unknown name, or a quantity that
    /// depends on parameters). The REPL evaluates expressions on data with it.
    pub fn constant_value(&self, name: &str) -> Option<(Vec<usize>, Vec<f64>)> {
        let prog = &self.prog;
        let v = match prog.model.data_by_name(name) {
            Some(id) => *prog.data_vals.get(id.index())?,
            None => {
                let i = prog
                    .model
                    .locals
                    .iter()
                    .rposition(|l| l.name == name && l.top_level && l.function.is_none())?;
                (*prog.const_locals.get(i)?)?
            }
        };
        let values: Vec<f64> = match v {
            Value::Int(k) => vec![k as f64],
            Value::Real(x) => vec![x],
            Value::IntArr(r) if r.buf != Buf::Scratch => {
                prog.ints[r.range()].iter().map(|&k| k as f64).collect()
            }
            Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) if r.buf != Buf::Scratch => {
                prog.bufs(&[]).get(r).to_vec()
            }
            _ => return None,
        };
        Some((dims_vec(v.dims()), values))
    }

    /// Unconstrained coordinates of a point given in constrained values by
    /// parameter name (every parameter must be given).
    pub fn unconstrain(&self, point: &[(String, RawValue)]) -> Result<Vec<f64>, String> {
        let prog = &self.prog;
        let mut ws: Workspace<f64> = Workspace::new(
            prog.model.locals.len(),
            prog.model.params.len(),
            prog.model.gens.len(),
        );
        ws.reset(false);
        let mut theta = vec![0.0; prog.layout.dim];
        for (name, _) in point {
            if prog.model.param_by_name(name).is_none() {
                return Err(format!("`{name}` is not a parameter of this model"));
            }
        }
        for ps in prog.layout.in_order() {
            let raw = point
                .iter()
                .find(|(n, _)| *n == ps.name)
                .map(|(_, v)| v)
                .ok_or_else(|| format!("no value given for parameter `{}`", ps.name))?;
            let n = ps.size();
            let ok_shape = match ps.dims.len() {
                0 => raw.dims.is_empty() || raw.dims == [1],
                _ => raw.dims == ps.dims,
            };
            if !ok_shape || raw.values.len() != n {
                return Err(format!(
                    "`{}` should have shape {:?}, found {}",
                    ps.name,
                    ps.dims,
                    raw.describe_shape()
                ));
            }
            let decl = prog.model.param(ps.id);
            let mut ev = Evaluator::new(prog, &mut ws, false);
            let mut bound = |e: Option<&ir::Expr>| -> Result<Vec<f64>, String> {
                match e {
                    None => Ok(vec![]),
                    Some(e) => {
                        let v = ev.expr(e).map_err(|err| err.message)?;
                        Ok((0..v.len()).map(|i| ev.element_f64(v, i)).collect())
                    }
                }
            };
            let (lb, ub) = match &decl.constraint {
                ir::Constraint::Bounded(b) => {
                    let (first, second) = b.transform_arguments();
                    (bound(first)?, bound(second)?)
                }
                _ => (vec![], vec![]),
            };
            let u = &mut theta[ps.offset..ps.offset + ps.free];
            if ps.transform == Transform::Identity {
                u.copy_from_slice(&raw.values);
            } else {
                transform::unconstrain(ps.transform, &raw.values, &lb, &ub, u)
                    .map_err(|m| format!("`{}`: {m}", ps.name))?;
            }
            // Later bounds may use this parameter.
            let r = ev.scratch(n);
            ev.workspace.scratch[r.range()].copy_from_slice(&raw.values);
            let dims = Dims::from_sizes(&ps.dims).unwrap_or(Dims::Scalar);
            let v = ev.const_value(r, dims);
            ev.workspace.params[ps.id.index()] = v;
        }
        Ok(theta)
    }
}
