//! The evaluator: runs the statements of a bound model on one workspace,
//! recording the tape as it goes.
//!
//! [`Evaluator`] is one type whose methods are grouped by concern, one file
//! each:
//!
//! - `values` — reading and making values: constants, scratch, tape slots;
//! - `statements` — statements, `var` declarations and assignments;
//! - `variables` — the elements of `var`s and the values of locals;
//! - `loops` — `for` loops over data, run with code from [`crate::density::dataloop`],
//!   and `while` loops;
//! - `messages` — the lines of `print` and the messages of `reject`;
//! - `expressions` — expressions, user functions, distribution references;
//! - `indexing` — indexing, slicing and gathering elements;
//! - `operators` — arithmetic and comparisons with broadcasting, element-wise functions;
//! - `functions` — the other built-in functions, by family;
//! - `distributions` — distribution calls (vectorized densities and samplers);
//! - `multivariate` — multivariate densities with hand-written partials;
//! - `glm` — the GLM densities on a data matrix, in one pass over its rows;
//! - `params` — from unconstrained coordinates to constrained parameters;
//! - `generate` — the statements that produce per-draw quantities.
//!
//! `workspace` holds the per-thread memory it runs on and its errors;
//! `elementwise` gives the scalar meaning of the element-wise built-ins.

mod chunked;
mod cumulative;
mod distributions;
pub(crate) mod elementwise;
mod expressions;
mod functions;
mod generate;
mod glm;
mod indexing;
mod linear;
mod loops;
mod messages;
mod multivariate;
mod multivariate_partials;
mod operators;
mod params;
mod statements;
mod values;
mod variables;
pub(crate) mod workspace;

use crate::density::program::Program;
use crate::density::value::Value;
use crate::scalar::Scalar;
use workspace::Workspace;

pub use values::tape_ref_of;

/// What a run of statements ended with.
pub enum Flow {
    Normal,
    Return(Value),
    /// `break` / `continue`: leave or restart the innermost loop.
    Break,
    Continue,
}

/// Evaluation context: the bound model and one workspace.
pub struct Evaluator<'a, T: Scalar> {
    pub program: &'a Program,
    pub workspace: &'a mut Workspace<T>,
    /// Evaluate `gen` statements and allow `_rng` calls.
    pub generate: bool,
}

impl<'a, T: Scalar> Evaluator<'a, T> {
    pub fn new(
        program: &'a Program,
        workspace: &'a mut Workspace<T>,
        generate: bool,
    ) -> Evaluator<'a, T> {
        Evaluator {
            program,
            workspace,
            generate,
        }
    }

    pub fn record(&self) -> bool {
        self.workspace.tape.record
    }
}
