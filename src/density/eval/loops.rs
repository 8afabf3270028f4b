//! `for` loops over data and constant scalar assignments, run with the
//! loop compiler ([`crate::density::dataloop`]) on a narrow view of the
//! evaluator's memory; statements it cannot run take the general path.

use super::workspace::{EvalError, EvalResult};
use super::{Evaluator, Flow};
use crate::density::dataloop::{LoopMemory, SpecialisedLoop, TranslatedBody};
use crate::density::value::{LocalValue, Value};
use crate::ir::{AssignOp, Expr, LocalId, Stmt};
use crate::scalar::Scalar;

impl<T: Scalar> Evaluator<'_, T> {
    /// The memory the loop compiler works on.
    #[inline]
    pub(super) fn loop_memory(&mut self) -> LoopMemory<'_> {
        let program = self.program;
        let ws = &mut *self.workspace;
        LoopMemory {
            data: &program.data_vals,
            const_locals: &program.const_locals,
            reals: &program.reals,
            ints: &program.ints,
            int_mirror: &program.int_mirror,
            scratch: &ws.scratch,
            int_scratch: &ws.int_scratch,
            locals: &ws.locals,
            slots: &mut ws.slots,
        }
    }

    /// Runs `target[indices] (=|+=) value` when everything is a constant
    /// scalar; `false` (nothing changed) when the general path must run it.
    #[inline]
    pub(super) fn assign_constant(
        &mut self,
        target: LocalId,
        indices: &[Expr],
        op: AssignOp,
        value: &Expr,
    ) -> bool {
        self.loop_memory().assign(target, indices, op, value)
    }

    /// Runs `for var in lo..=hi` over a translated body: as columns when
    /// that is safe, else statement by statement from specialised code,
    /// falling back to the general path per statement.
    pub(super) fn run_translated(
        &mut self,
        var: LocalId,
        lo: i64,
        hi: i64,
        body: &[Stmt],
        translated: &TranslatedBody,
    ) -> EvalResult<()> {
        let mut specialised = SpecialisedLoop::new(translated, var, lo, hi, &self.loop_memory());
        if let Some(columns) = specialised.columns() {
            self.loop_memory().run_columns(&columns, lo, hi);
            self.workspace.locals[var.index()] = LocalValue::Value(Value::Int(hi));
            return Ok(());
        }
        let mut i = lo;
        while i <= hi {
            self.workspace.locals[var.index()] = LocalValue::Value(Value::Int(i));
            let mut general = false;
            for (k, s) in body.iter().enumerate() {
                if !general && specialised.run_statement(k, i, &mut self.loop_memory()) {
                    continue;
                }
                self.stmt(s)?;
                specialised.respecialise(&self.loop_memory());
                general = self.workspace.locals[var.index()] != LocalValue::Value(Value::Int(i));
            }
            i += 1;
        }
        Ok(())
    }

    /// `while cond { body }`: runs the body while the condition is
    /// non-zero; a NaN condition is an error rather than an endless loop.
    pub(super) fn while_loop(&mut self, cond: &Expr, body: &[Stmt]) -> EvalResult<Flow> {
        loop {
            let c = self.expr(cond)?;
            let c = self.scalar_f64(c);
            if c.is_nan() {
                return Err(EvalError::fatal(cond.span, "the `while` condition is NaN"));
            }
            if c == 0.0 {
                return Ok(Flow::Normal);
            }
            match self.run(body, false)? {
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Break => return Ok(Flow::Normal),
                Flow::Normal | Flow::Continue => {}
            }
        }
    }
}
