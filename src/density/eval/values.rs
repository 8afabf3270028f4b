//! Reading and making values: constant buffers, scratch, tape slots.

use super::Evaluator;
use super::workspace::{EvalError, EvalResult};
use crate::density::tape::Node;
use crate::density::value::{Buf, ConstRef, Dims, TapeRef, Value};
use crate::scalar::Scalar;
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    /// The reals a constant vector/matrix refers to.
    pub fn const_reals(&self, r: ConstRef) -> &[f64] {
        match r.buf {
            Buf::Data => &self.program.reals[r.range()],
            Buf::IntMirror | Buf::IntMatrix => &self.program.int_mirror[r.range()],
            Buf::Scratch => &self.workspace.scratch[r.range()],
        }
    }

    /// The ints an int array refers to.
    pub fn const_ints(&self, r: ConstRef) -> &[i64] {
        match r.buf {
            Buf::Data | Buf::IntMirror | Buf::IntMatrix => &self.program.ints[r.range()],
            Buf::Scratch => &self.workspace.int_scratch[r.range()],
        }
    }

    /// A new scratch range of `n` reals.
    pub fn scratch(&mut self, n: usize) -> ConstRef {
        let off = self.workspace.scratch.len();
        self.workspace.scratch.resize(off + n, 0.0);
        ConstRef::new(Buf::Scratch, off, n)
    }

    pub fn int_scratch(&mut self, n: usize) -> ConstRef {
        let off = self.workspace.int_scratch.len();
        self.workspace.int_scratch.resize(off + n, 0);
        ConstRef::new(Buf::Scratch, off, n)
    }

    /// An int array viewed as reals (no copy for bound data).
    pub fn int_as_reals(&mut self, r: ConstRef) -> ConstRef {
        match r.buf {
            Buf::Data | Buf::IntMirror | Buf::IntMatrix => ConstRef {
                buf: Buf::IntMirror,
                ..r
            },
            Buf::Scratch => {
                let out = self.scratch(r.len as usize);
                for i in 0..r.len as usize {
                    self.workspace.scratch[out.off as usize + i] =
                        self.workspace.int_scratch[r.off as usize + i] as f64;
                }
                out
            }
        }
    }

    /// Ints promoted to reals; everything else unchanged.
    pub fn promote(&mut self, v: Value) -> Value {
        match v {
            Value::Int(i) => Value::Real(i as f64),
            Value::IntArr(r) => Value::Vec(self.int_as_reals(r)),
            Value::Arr3(r, d) if r.buf == Buf::IntMatrix => Value::Arr3(
                ConstRef {
                    buf: Buf::IntMirror,
                    ..r
                },
                d,
            ),
            Value::Mat(r, rows, cols) if r.buf == Buf::IntMatrix => Value::Mat(
                ConstRef {
                    buf: Buf::IntMirror,
                    ..r
                },
                rows,
                cols,
            ),
            v => v,
        }
    }

    /// The real value of a scalar (derivative parts dropped: for branching,
    /// sizes and messages only).
    pub fn scalar_f64(&self, v: Value) -> f64 {
        match v {
            Value::Int(i) => i as f64,
            Value::Real(x) => x,
            Value::TapeReal(s) => self.workspace.tape.vals[s as usize].re(),
            _ => f64::NAN,
        }
    }

    /// Element `i` of a (flattened) real value, as `T`.
    pub fn element(&self, v: Value, i: usize) -> T {
        match v {
            Value::Int(k) => T::from(k as f64),
            Value::Real(x) => T::from(x),
            Value::TapeReal(s) => self.workspace.tape.vals[s as usize],
            Value::IntArr(r) => T::from(self.const_ints(r)[i] as f64),
            Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => {
                T::from(self.const_reals(r)[i])
            }
            Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => {
                self.workspace.tape.vals[r.off as usize + i]
            }
        }
    }

    /// Element `i` of a value as f64.
    pub fn element_f64(&self, v: Value, i: usize) -> f64 {
        match v {
            Value::Int(k) => k as f64,
            Value::Real(x) => x,
            Value::TapeReal(s) => self.workspace.tape.vals[s as usize].re(),
            Value::IntArr(r) => self.const_ints(r)[i] as f64,
            Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => self.const_reals(r)[i],
            Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => {
                self.workspace.tape.vals[r.off as usize + i].re()
            }
        }
    }

    /// The tape slots of a value, pushing constants as leaves when needed.
    pub fn slots_of(&mut self, v: Value) -> TapeRef {
        match v {
            Value::TapeReal(s) => TapeRef::new(s as usize, 1),
            Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => r,
            _ => {
                let n = v.len();
                let out = self.workspace.tape.alloc(n);
                for i in 0..n {
                    let x = self.element_f64(v, i);
                    self.workspace.tape.vals[out.off as usize + i] = T::from(x);
                }
                out
            }
        }
    }

    /// A value with the given dims living in tape slots `r`.
    pub fn tape_value(r: TapeRef, dims: Dims) -> Value {
        match dims {
            Dims::Scalar => Value::TapeReal(r.off),
            Dims::Vector(_) => Value::TapeVec(r),
            Dims::Matrix(a, b) => Value::TapeMat(r, a as u32, b as u32),
            Dims::Array3(j, k, l) => Value::TapeArr3(r, [j as u32, k as u32, l as u32]),
        }
    }

    /// A value with the given dims in constant reals `r`.
    pub fn const_value(&self, r: ConstRef, dims: Dims) -> Value {
        match dims {
            Dims::Scalar => Value::Real(self.const_reals(r)[0]),
            Dims::Vector(_) => Value::Vec(r),
            Dims::Matrix(a, b) => Value::Mat(r, a as u32, b as u32),
            Dims::Array3(j, k, l) => Value::Arr3(r, [j as u32, k as u32, l as u32]),
        }
    }

    pub fn int_of(&self, v: Value, span: Span) -> EvalResult<i64> {
        match v {
            Value::Int(i) => Ok(i),
            _ => Err(EvalError::fatal(span, "expected an integer")),
        }
    }

    /// A new var value whose elements copy the slots listed in the tape's
    /// index arena from `idx_off`.
    pub fn gather_slots(&mut self, idx_off: usize, n: usize, dims: Dims) -> Value {
        let out = self.workspace.tape.alloc(n);
        for j in 0..n {
            let s = self.workspace.tape.idx[idx_off + j] as usize;
            self.workspace.tape.vals[out.off as usize + j] = self.workspace.tape.vals[s];
        }
        self.workspace
            .tape
            .node(crate::density::tape::Node::Gather {
                out,
                idx: idx_off as u32,
            });
        Self::tape_value(out, dims)
    }

    /// Gathers elements of `v` at flat positions (0-based) into a new value.
    pub fn gather_positions(&mut self, v: Value, pos: &[usize], dims: Dims) -> Value {
        match v {
            _ if v.is_var() => {
                let r = tape_ref_of(v);
                let idx_off = self.workspace.tape.idx.len();
                for &p in pos {
                    self.workspace.tape.idx.push(r.at(p));
                }
                self.gather_slots(idx_off, pos.len(), dims)
            }
            Value::IntArr(r) => {
                let out = self.int_scratch(pos.len());
                for (k, &p) in pos.iter().enumerate() {
                    self.workspace.int_scratch[out.off as usize + k] = self.const_ints(r)[p];
                }
                Value::IntArr(out)
            }
            Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => {
                // A plain copy (`col(X, j)` of a large data matrix).
                let out = self.scratch(pos.len());
                let o = out.off as usize;
                let from: &[f64] = match r.buf {
                    Buf::Data => &self.program.reals[r.range()],
                    Buf::IntMirror | Buf::IntMatrix => &self.program.int_mirror[r.range()],
                    Buf::Scratch => {
                        for (k, &p) in pos.iter().enumerate() {
                            self.workspace.scratch[o + k] =
                                self.workspace.scratch[r.off as usize + p];
                        }
                        return self.const_value(out, dims);
                    }
                };
                for (x, &p) in self.workspace.scratch[o..o + pos.len()].iter_mut().zip(pos) {
                    *x = from[p];
                }
                self.const_value(out, dims)
            }
            _ => {
                let out = self.scratch(pos.len());
                for (k, &p) in pos.iter().enumerate() {
                    self.workspace.scratch[out.off as usize + k] = self.element_f64(v, p);
                }
                self.const_value(out, dims)
            }
        }
    }

    /// Records a dense-Jacobian node over the given input ranges.
    pub fn dense_node(&mut self, out: TapeRef, inputs: &[TapeRef], jac: u32) {
        let off = self.workspace.tape.idx.len() as u32;
        for r in inputs {
            self.workspace.tape.idx.push(r.off);
            self.workspace.tape.idx.push(r.len);
        }
        self.workspace.tape.node(Node::Dense {
            out,
            inputs: off,
            n_inputs: inputs.len() as u32,
            jac,
        });
    }
}

/// The tape range of a var value.
pub fn tape_ref_of(v: Value) -> TapeRef {
    match v {
        Value::TapeReal(s) => TapeRef::new(s as usize, 1),
        Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => r,
        _ => TapeRef::new(0, 0),
    }
}
