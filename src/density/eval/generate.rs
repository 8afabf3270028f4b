//! Generating quantities: the statements of a draw run with `gen`
//! statements and `_rng` calls, and the draw's values written out.

use super::Evaluator;
use super::workspace::{EvalResult, Stop};
use crate::density::value::{Dims, Value};
use crate::ir::{Stmt, StmtKind};
use crate::scalar::Scalar;

impl<T: Scalar> Evaluator<'_, T> {
    /// Runs the statements of `body` (the model's, or its form with loops
    /// as array statements) that did not run at compile time. A rejected
    /// `~` or `target +=` makes the density −∞ but the draw's other
    /// quantities are still computed.
    pub fn run_generating(&mut self, body: &[Stmt]) -> EvalResult<()> {
        let program = self.program;
        for (s, &done) in body.iter().zip(&program.static_stmt) {
            if done {
                continue;
            }
            match self.stmt(s) {
                Ok(_) => {}
                Err(e)
                    if e.kind == Stop::Reject
                        && matches!(s.kind, StmtKind::Tilde { .. } | StmtKind::TargetAdd(_)) =>
                {
                    self.workspace.lp_const = f64::NEG_INFINITY;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Appends a value's elements (matrices column-major, as CmdStan writes
    /// them).
    pub fn push_column_major(&self, v: Value, row: &mut Vec<f64>) {
        match v.dims() {
            Dims::Matrix(r, c) => {
                for j in 0..c {
                    for i in 0..r {
                        row.push(self.element_f64(v, i * c + j));
                    }
                }
            }
            // Column-major over all three indices: the first varies fastest.
            Dims::Array3(a, r, c) => {
                for j in 0..c {
                    for i in 0..r {
                        for m in 0..a {
                            row.push(self.element_f64(v, (m * r + i) * c + j));
                        }
                    }
                }
            }
            _ => {
                for i in 0..v.len() {
                    row.push(self.element_f64(v, i));
                }
            }
        }
    }
}
