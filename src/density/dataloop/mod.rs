//! The loop compiler: `for` loops over data (and the constant scalar
//! assignments inside them) run without the general machinery.
//!
//! Loops over data, such as `Xc[n, j] = X[n, j] - m[j]`, run once per
//! element at compile time (and on every value-only evaluation), so the
//! general evaluator is too slow for them. This module works on a narrow
//! view of the memory involved, [`LoopMemory`] (the bound constants, the
//! scratch of the running evaluation, its locals and `var` elements), and
//! knows nothing of the evaluator: the evaluator calls into it, never the
//! other way round.
//!
//! - `constant` — constant scalar expressions and assignments, evaluated
//!   directly (used for single statements too);
//! - `translate` — a loop body of such assignments, translated once into
//!   postfix code;
//! - `specialise` — that code specialised to one loop (constants folded,
//!   affine indices turned into flat offsets) and run per iteration;
//! - `columns` — a specialised body with no dependence between iterations,
//!   run a chunk of iterations per instruction.
//!
//! Anything outside the subset answers `None`/`false` and the evaluator takes
//! the general path, which also owns every error message.

mod columns;
mod constant;
mod specialise;
mod translate;

pub(crate) use columns::Columns;
pub(crate) use specialise::SpecialisedLoop;
pub(crate) use translate::{TranslatedBody, translate};

use crate::density::value::{Buf, ConstRef, LocalValue, Slot, Value};

/// A constant scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Number {
    Int(i64),
    Real(f64),
}

impl Number {
    fn real(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Real(x) => x,
        }
    }
}

fn from_value(v: Value) -> Option<Number> {
    match v {
        Value::Int(i) => Some(Number::Int(i)),
        Value::Real(x) => Some(Number::Real(x)),
        _ => None,
    }
}

fn from_slot(s: Slot) -> Option<Number> {
    match s {
        Slot::Int(i) => Some(Number::Int(i)),
        Slot::Real(x) => Some(Number::Real(x)),
        _ => None,
    }
}

/// What the loop compiler reads and writes: the constants of the bound
/// model, the scratch of the running evaluation (read only), its locals
/// (read only) and the elements of its `var`s (the only memory a loop over
/// data writes).
pub(crate) struct LoopMemory<'a> {
    /// The value of every data declaration.
    pub data: &'a [Value],
    /// Values of top-level locals computed once at bind time.
    pub const_locals: &'a [Option<Value>],
    /// Bound real data and data-only results.
    pub reals: &'a [f64],
    /// Bound int data.
    pub ints: &'a [i64],
    /// `ints` as reals.
    pub int_mirror: &'a [f64],
    /// Constant reals computed during this evaluation.
    pub scratch: &'a [f64],
    /// Constant ints computed during this evaluation.
    pub int_scratch: &'a [i64],
    pub locals: &'a [LocalValue],
    pub slots: &'a mut [Slot],
}

impl LoopMemory<'_> {
    /// The reals a constant vector/matrix refers to.
    fn const_reals(&self, r: ConstRef) -> &[f64] {
        match r.buf {
            Buf::Data => &self.reals[r.range()],
            Buf::IntMirror | Buf::IntMatrix => &self.int_mirror[r.range()],
            Buf::Scratch => &self.scratch[r.range()],
        }
    }

    /// The ints an int array refers to.
    fn const_ints(&self, r: ConstRef) -> &[i64] {
        match r.buf {
            Buf::Data | Buf::IntMirror | Buf::IntMatrix => &self.ints[r.range()],
            Buf::Scratch => &self.int_scratch[r.range()],
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Tests set this to run everything through the general path, the
    /// reference the fast paths are compared with.
    pub(crate) static GENERAL_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Element stores done by specialised code and chunks run as columns,
    /// for tests to check which path a loop took.
    pub(crate) static FAST_STORES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    pub(crate) static COLUMN_CHUNKS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[inline]
fn general_only() -> bool {
    #[cfg(test)]
    {
        GENERAL_ONLY.with(|g| g.get())
    }
    #[cfg(not(test))]
    {
        false
    }
}
