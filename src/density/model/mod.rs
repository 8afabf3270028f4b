//! A compiled model: the log density on unconstrained coordinates and its
//! derivatives (the [`Target`] implementation), and (in `outputs`) the
//! per-draw quantities it reports.

pub(crate) mod outputs;

use crate::density::eval::Evaluator;
use crate::density::eval::workspace::{Stop, Workspace};
use crate::density::program::{Layout, Program};
use crate::density::value::Value;
use crate::infer::Target;
use crate::ir;
use crate::scalar::Scalar;
use crate::source::SourceMap;
use num_dual::{Dual64, DualSVec64};
use outputs::OutputColumn;
use std::sync::OnceLock;

/// Columns of a Hessian computed per forward-over-reverse sweep.
const HESSIAN_CHUNK: usize = 8;

/// A model bound to data: a log density on R^d with derivatives.
pub struct CompiledModel {
    prog: Program,
    outputs: OnceLock<Result<Vec<OutputColumn>, String>>,
}

impl std::fmt::Debug for CompiledModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModel")
            .field("dim", &self.prog.layout.dim)
            .field(
                "params",
                &self
                    .prog
                    .layout
                    .params
                    .iter()
                    .map(|p| &p.name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Scratch memory for one thread (value/gradient, Hessian–vector, Hessian).
pub struct ModelWorkspace {
    f: Workspace<f64>,
    d: Option<Box<Workspace<Dual64>>>,
    h: Option<Box<Workspace<DualSVec64<HESSIAN_CHUNK>>>>,
}

impl CompiledModel {
    /// A compiled model around a bound program.
    pub(crate) fn new(prog: Program) -> CompiledModel {
        CompiledModel {
            prog,
            outputs: OnceLock::new(),
        }
    }

    /// The bound program (data buffers, data-only results, layout).
    pub(crate) fn program(&self) -> &Program {
        &self.prog
    }

    /// The same model without its loops as array statements: every
    /// evaluation takes the statement-by-statement path.
    #[cfg(test)]
    pub(crate) fn without_array_loops(mut self) -> CompiledModel {
        self.prog.vector_body = None;
        self
    }

    /// The bound program, taken out (a minibatch model keeps one per thread).
    pub(crate) fn into_program(self) -> Program {
        self.prog
    }

    pub fn layout(&self) -> &Layout {
        &self.prog.layout
    }

    pub fn model(&self) -> &ir::Model {
        &self.prog.model
    }

    pub fn sources(&self) -> &SourceMap {
        &self.prog.sources
    }

    /// The value of an int expression over data (sizes of declarations,
    /// for printing a layout); `None` if it is not a data-only int.
    pub fn eval_int(&self, e: &ir::Expr) -> Option<i64> {
        let m = &self.prog.model;
        let mut ws: Workspace<f64> = Workspace::new(m.locals.len(), m.params.len(), m.gens.len());
        ws.reset(false);
        let mut ev = Evaluator::new(&self.prog, &mut ws, false);
        match ev.expr(e) {
            Ok(Value::Int(i)) => Some(i),
            _ => None,
        }
    }

    /// The log density at unconstrained `theta` with and without the
    /// log-Jacobians of the parameter transforms.
    pub fn log_density_parts(&self, ws: &mut ModelWorkspace, theta: &[f64]) -> (f64, f64) {
        let with = self.eval(&mut ws.f, theta, false);
        ws.f.jacobian = false;
        let without = self.eval(&mut ws.f, theta, false);
        ws.f.jacobian = true;
        (with, without)
    }

    /// The log density and its derivative along `v` by forward-mode dual
    /// numbers, without the tape's reverse pass: the test oracle for the
    /// reverse-mode gradient.
    pub fn forward_derivative(&self, theta: &[f64], v: &[f64]) -> (f64, f64) {
        let m = &self.prog.model;
        let mut ws: Workspace<Dual64> =
            Workspace::new(m.locals.len(), m.params.len(), m.gens.len());
        let th: Vec<Dual64> = theta
            .iter()
            .zip(v)
            .map(|(&a, &b)| Dual64::new(a, b))
            .collect();
        let lp = self.eval(&mut ws, &th, false);
        (lp.re, lp.eps)
    }

    /// Runs the model on workspace `ws` at unconstrained `theta`; returns
    /// the log density (NaN or −∞ when the evaluation stopped). The body
    /// with loops as array statements runs first; when its result is not
    /// finite the original body runs again, so every rejection and error
    /// message is the one of the statement-by-statement path.
    fn eval<T: Scalar>(&self, ws: &mut Workspace<T>, theta: &[T], record: bool) -> T {
        if let Some(body) = &self.prog.vector_body {
            let lp = self.eval_body(ws, theta, record, body);
            if lp.re().is_finite() {
                return lp;
            }
        }
        self.eval_body(ws, theta, record, &self.prog.model.body)
    }

    /// Runs `body` (the model's, or its vectorised form) as [`Self::eval`].
    fn eval_body<T: Scalar>(
        &self,
        ws: &mut Workspace<T>,
        theta: &[T],
        record: bool,
        body: &[ir::Stmt],
    ) -> T {
        ws.reset(record);
        ws.lp_const = self.prog.lp_const;
        let th = ws.tape.alloc(theta.len());
        ws.tape.vals[th.range()].copy_from_slice(theta);
        let mut ev = Evaluator::new(&self.prog, ws, false);
        let res = ev.constrain_params(th).and_then(|_| ev.run(body, true));
        match res {
            Ok(_) => ws.lp(),
            Err(e) => {
                let v = match e.kind {
                    Stop::Reject => f64::NEG_INFINITY,
                    Stop::Fatal => f64::NAN,
                };
                ws.error = Some(*e);
                T::from(v)
            }
        }
    }

    /// Reverse pass after [`CompiledModel::eval`]: the gradient with respect to theta.
    fn backward<T: Scalar>(&self, ws: &mut Workspace<T>, d: usize, grad: &mut [T]) {
        let terms = std::mem::take(&mut ws.lp_terms);
        let bufs = self.prog.bufs(&ws.scratch);
        ws.tape.reverse(bufs, |adj| {
            for &s in &terms {
                adj[s as usize] += T::one();
            }
        });
        ws.lp_terms = terms;
        grad.copy_from_slice(&ws.tape.adj[..d]);
    }

    /// A located explanation of why the last evaluation on `ws` was not finite.
    fn explanation<T: Scalar>(&self, ws: &Workspace<T>, lp: f64) -> String {
        let sm = &self.prog.sources;
        if let Some(e) = &ws.error {
            let what = match e.kind {
                Stop::Reject => "the log density is -inf",
                Stop::Fatal => "the model cannot be evaluated",
            };
            return format!(
                "{}: {what} at `{}`: {}",
                sm.location(e.span),
                statement_text(sm, e.span),
                e.message
            );
        }
        if let Some((span, x)) = ws.nonfinite_at {
            return format!(
                "{}: the log density is {x} at `{}` (its contribution is not finite)",
                sm.location(span),
                statement_text(sm, span)
            );
        }
        format!("the log density is {lp} (an overflow in the sum of finite terms)")
    }
}

/// The source text of a span, on one line and shortened.
fn statement_text(sm: &SourceMap, span: crate::source::Span) -> String {
    let t: String = sm
        .snippet(span)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if t.chars().count() > 80 {
        format!("{}...", t.chars().take(77).collect::<String>())
    } else {
        t
    }
}

impl Target for CompiledModel {
    type Workspace = ModelWorkspace;

    fn dim(&self) -> usize {
        self.prog.layout.dim
    }

    fn workspace(&self) -> ModelWorkspace {
        let m = &self.prog.model;
        ModelWorkspace {
            f: Workspace::new(m.locals.len(), m.params.len(), m.gens.len()),
            d: None,
            h: None,
        }
    }

    fn log_density(&self, ws: &mut ModelWorkspace, x: &[f64]) -> f64 {
        self.eval(&mut ws.f, x, false)
    }

    fn log_density_and_gradient(
        &self,
        ws: &mut ModelWorkspace,
        x: &[f64],
        grad: &mut [f64],
    ) -> f64 {
        let lp = self.eval(&mut ws.f, x, true);
        if lp.is_finite() {
            self.backward(&mut ws.f, x.len(), grad);
        } else {
            grad.iter_mut().for_each(|g| *g = f64::NAN);
        }
        lp
    }

    fn hessian_vector(
        &self,
        ws: &mut ModelWorkspace,
        x: &[f64],
        v: &[f64],
        out: &mut [f64],
    ) -> f64 {
        let m = &self.prog.model;
        let w = ws.d.get_or_insert_with(|| {
            Box::new(Workspace::new(m.locals.len(), m.params.len(), m.gens.len()))
        });
        let theta: Vec<Dual64> = x.iter().zip(v).map(|(&a, &b)| Dual64::new(a, b)).collect();
        let lp = self.eval(w, &theta, true);
        if !lp.re.is_finite() {
            out.iter_mut().for_each(|g| *g = f64::NAN);
            return lp.re;
        }
        let mut g = vec![Dual64::from_re(0.0); x.len()];
        self.backward(w, x.len(), &mut g);
        for (o, gi) in out.iter_mut().zip(&g) {
            *o = gi.eps;
        }
        lp.re
    }

    fn hessian(&self, ws: &mut ModelWorkspace, x: &[f64], out: &mut [f64]) -> f64 {
        type H = DualSVec64<HESSIAN_CHUNK>;
        let d = x.len();
        let m = &self.prog.model;
        let w = ws.h.get_or_insert_with(|| {
            Box::new(Workspace::new(m.locals.len(), m.params.len(), m.gens.len()))
        });
        let mut lp = f64::NAN;
        let mut theta: Vec<H> = Vec::with_capacity(d);
        let mut g: Vec<H> = vec![H::from_re(0.0); d];
        for start in (0..d).step_by(HESSIAN_CHUNK) {
            theta.clear();
            for (i, &xi) in x.iter().enumerate() {
                let mut t = H::from_re(xi);
                if i >= start && i < start + HESSIAN_CHUNK {
                    t = t.derivative(i - start);
                }
                theta.push(t);
            }
            let l = self.eval(w, &theta, true);
            lp = l.re;
            if !lp.is_finite() {
                out.iter_mut().for_each(|h| *h = f64::NAN);
                return lp;
            }
            self.backward(w, d, &mut g);
            for (i, gi) in g.iter().enumerate() {
                let eps = gi
                    .eps
                    .unwrap_generic(nalgebra::Const::<HESSIAN_CHUNK>, nalgebra::U1);
                for c in 0..HESSIAN_CHUNK.min(d - start) {
                    // Row i, column start + c (the Hessian is symmetric).
                    out[i * d + start + c] = eps[c];
                }
            }
        }
        lp
    }

    fn explain_nonfinite(&self, x: &[f64]) -> Option<String> {
        let mut ws = self.workspace();
        let lp = self.eval(&mut ws.f, x, false);
        if lp.is_finite() {
            None
        } else {
            Some(self.explanation(&ws.f, lp))
        }
    }
}
