//! The elements of `var`s and the values of locals.

use super::Evaluator;
use super::workspace::{EvalError, EvalResult};
use crate::density::value::{Buf, ConstRef, Dims, LocalValue, Slot, Value, element_count};

use crate::ir::LocalId;
use crate::scalar::Scalar;
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    pub(super) fn var_info(&self, local: LocalId, span: Span) -> EvalResult<(usize, Dims, bool)> {
        match self.workspace.locals[local.index()] {
            LocalValue::Var { off, dims, int } => Ok((off as usize, dims, int)),
            _ => Err(EvalError::fatal(
                span,
                format!(
                    "`{}` is assigned before its declaration ran",
                    self.program.model.local(local).name
                ),
            )),
        }
    }

    /// Stores a scalar into slot `k` of a var.
    pub(super) fn store_slot(
        &mut self,
        k: usize,
        v: Value,
        int: bool,
        span: Span,
    ) -> EvalResult<()> {
        self.workspace.slots[k] = match v {
            Value::Int(i) => {
                if int {
                    Slot::Int(i)
                } else {
                    Slot::Real(i as f64)
                }
            }
            Value::Real(x) if !int => Slot::Real(x),
            Value::TapeReal(s) if !int => Slot::Var(s),
            _ => {
                return Err(EvalError::fatal(
                    span,
                    format!("cannot store {} in an element of this var", v.dims()),
                ));
            }
        };
        Ok(())
    }

    pub(super) fn store_whole(&mut self, local: LocalId, v: Value, span: Span) -> EvalResult<()> {
        let (off, dims, int) = self.var_info(local, span)?;
        let v = if int { v } else { self.promote(v) };
        if v.dims() != dims {
            // A scalar initialises every element (`var acc: real[N] = 0`).
            if v.is_scalar() {
                for k in 0..element_count(dims) {
                    self.store_slot(off + k, v, int, span)?;
                }
                return Ok(());
            }
            return Err(EvalError::fatal(
                span,
                format!(
                    "`{}` is {dims} but the value assigned is {}",
                    self.program.model.local(local).name,
                    v.dims()
                ),
            ));
        }
        for k in 0..v.len() {
            let e = match v {
                Value::IntArr(r) => Value::Int(self.const_ints(r)[k]),
                Value::Arr3(r, _) if r.buf == Buf::IntMatrix => Value::Int(self.const_ints(r)[k]),
                Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => {
                    Value::Real(self.const_reals(r)[k])
                }
                Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => {
                    Value::TapeReal(r.at(k))
                }
                s => s,
            };
            self.store_slot(off + k, e, int, span)?;
        }
        Ok(())
    }

    /// One element of a var.
    pub fn read_slot(&mut self, k: usize, local: LocalId, span: Span) -> EvalResult<Value> {
        match self.workspace.slots[k] {
            Slot::Unset => Err(EvalError::fatal(
                span,
                format!(
                    "`{}` is read before it was assigned",
                    self.program.model.local(local).name
                ),
            )),
            Slot::Int(i) => Ok(Value::Int(i)),
            Slot::Real(x) => Ok(Value::Real(x)),
            Slot::Var(s) => Ok(Value::TapeReal(s)),
        }
    }

    /// The whole value of a var (packed onto the tape when any element
    /// depends on parameters).
    #[inline(never)]
    pub fn read_var(&mut self, local: LocalId, span: Span) -> EvalResult<Value> {
        let (off, dims, int) = self.var_info(local, span)?;
        if dims == Dims::Scalar {
            return self.read_slot(off, local, span);
        }
        let n = element_count(dims);
        let mut any_var = false;
        for k in 0..n {
            match self.workspace.slots[off + k] {
                Slot::Unset => {
                    return Err(EvalError::fatal(
                        span,
                        format!(
                            "`{}` is read before it was assigned",
                            dims.element_name(&self.program.model.local(local).name, k)
                        ),
                    ));
                }
                Slot::Var(_) => any_var = true,
                _ => {}
            }
        }
        let ws = &mut *self.workspace;
        let slots = &ws.slots[off..off + n];
        if int {
            let r = ConstRef::new(Buf::Scratch, ws.int_scratch.len(), n);
            ws.int_scratch.extend(slots.iter().map(|s| match *s {
                Slot::Int(i) => i,
                _ => 0,
            }));
            return Ok(Value::IntArr(r));
        }
        if !any_var {
            let r = ConstRef::new(Buf::Scratch, ws.scratch.len(), n);
            ws.scratch.extend(slots.iter().map(|s| match *s {
                Slot::Real(x) => x,
                _ => 0.0,
            }));
            return Ok(self.const_value(r, dims));
        }
        // Pack: gather the element slots (constants become leaves).
        let idx_off = self.workspace.tape.idx.len();
        for k in 0..n {
            let s = match self.workspace.slots[off + k] {
                Slot::Var(s) => s,
                Slot::Real(x) => self.workspace.tape.push(T::from(x)),
                Slot::Int(i) => self.workspace.tape.push(T::from(i as f64)),
                Slot::Unset => unreachable!("checked above"),
            };
            self.workspace.tape.idx.push(s);
        }
        Ok(self.gather_slots(idx_off, n, dims))
    }

    /// The value of a `Local` expression.
    #[inline(never)]
    pub fn local(&mut self, id: LocalId, span: Span) -> EvalResult<Value> {
        match self.workspace.locals[id.index()] {
            LocalValue::Value(v) => Ok(v),
            LocalValue::Var { .. } => self.read_var(id, span),
            LocalValue::Unset => match self.program.const_locals.get(id.index()).copied().flatten()
            {
                Some(v) => Ok(v),
                None => Err(EvalError::fatal(
                    span,
                    format!(
                        "`{}` is used before it has a value",
                        self.program.model.local(id).name
                    ),
                )),
            },
        }
    }
}
