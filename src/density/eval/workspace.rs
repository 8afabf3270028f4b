//! Per-thread scratch memory of the evaluator, and how an evaluation stops
//! early ([`EvalError`]).

use crate::density::tape::Tape;
use crate::density::value::{LocalValue, Slot, Value};
use crate::random::VRng;
use crate::scalar::Scalar;
use crate::source::Span;
use num_dual::Dual;

/// Why an evaluation stopped early.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// The point is outside the support (or an argument outside its
    /// domain): the log density is −∞ there.
    Reject,
    /// A bug in the model or its data (index out of range, a `var` read
    /// before it was assigned, sizes that disagree): the log density is NaN.
    Fatal,
}

/// A located run-time problem.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    pub kind: Stop,
    pub span: Span,
    pub message: String,
}

impl EvalError {
    pub fn fatal(span: Span, message: impl Into<String>) -> Box<EvalError> {
        Box::new(EvalError {
            kind: Stop::Fatal,
            span,
            message: message.into(),
        })
    }
    pub fn reject(span: Span, message: impl Into<String>) -> Box<EvalError> {
        Box::new(EvalError {
            kind: Stop::Reject,
            span,
            message: message.into(),
        })
    }
}

/// Results of evaluation: the error is boxed so that the common, successful
/// path moves small values.
pub type EvalResult<X> = Result<X, Box<EvalError>>;

/// Scratch memory for evaluating one model on one thread.
pub struct Workspace<T: Scalar> {
    pub tape: Tape<T>,
    /// Constant reals computed during this evaluation.
    pub scratch: Vec<f64>,
    /// Constant ints computed during this evaluation.
    pub int_scratch: Vec<i64>,
    pub locals: Vec<LocalValue>,
    pub slots: Vec<Slot>,
    /// Constrained parameter values, by parameter id.
    pub params: Vec<Value>,
    pub gens: Vec<Value>,
    /// Tape slots whose sum (plus `lp_const`) is the log density.
    pub lp_terms: Vec<u32>,
    pub lp_const: f64,
    /// The first statement whose contribution was not finite.
    pub nonfinite_at: Option<(Span, f64)>,
    /// What stopped the last evaluation, if anything.
    pub error: Option<EvalError>,
    /// Random numbers for `_rng` calls (only when generating quantities).
    pub rng: Option<VRng>,
    /// Buffers for dual-number partials of multivariate nodes.
    pub dual_buffer: Vec<Dual<T>>,
    pub scalar_buffer: Vec<T>,
    /// Working memory of matrix functions and multivariate gradients.
    pub matrix_scratch: Vec<T>,
    /// Row permutations of LU factorisations.
    pub pivots: Vec<usize>,
    /// Flat positions of gathers built during evaluation.
    pub positions: Vec<usize>,
    pub real_buffer: Vec<f64>,
    /// Per-chunk sums of long vectorised densities.
    pub chunk_sums: Vec<T>,
    /// Add the log-Jacobians of the parameter transforms (the density on
    /// unconstrained coordinates); off for the density of constrained values.
    pub jacobian: bool,
}

impl<T: Scalar> Workspace<T> {
    pub fn new(n_locals: usize, n_params: usize, n_gens: usize) -> Workspace<T> {
        Workspace {
            tape: Tape::default(),
            scratch: Vec::new(),
            int_scratch: Vec::new(),
            locals: vec![LocalValue::Unset; n_locals],
            slots: Vec::new(),
            params: vec![Value::Real(f64::NAN); n_params],
            gens: vec![Value::Real(f64::NAN); n_gens],
            lp_terms: Vec::new(),
            lp_const: 0.0,
            nonfinite_at: None,
            error: None,
            rng: None,
            dual_buffer: Vec::new(),
            scalar_buffer: Vec::new(),
            matrix_scratch: Vec::new(),
            pivots: Vec::new(),
            positions: Vec::new(),
            real_buffer: Vec::new(),
            chunk_sums: Vec::new(),
            jacobian: true,
        }
    }

    /// Forgets the previous evaluation, keeping every buffer's capacity.
    pub fn reset(&mut self, record: bool) {
        self.tape.clear(record);
        self.scratch.clear();
        self.int_scratch.clear();
        self.locals.iter_mut().for_each(|l| *l = LocalValue::Unset);
        self.slots.clear();
        self.lp_terms.clear();
        self.lp_const = 0.0;
        self.nonfinite_at = None;
        self.error = None;
    }

    /// The log density accumulated so far.
    pub fn lp(&self) -> T {
        let mut lp = T::from(self.lp_const);
        for &s in &self.lp_terms {
            lp += self.tape.vals[s as usize];
        }
        lp
    }
}
