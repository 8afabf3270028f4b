//! Running a specialised loop body (see [`super::specialise`]) column by
//! column: each instruction runs over a chunk of iterations at once, which
//! removes the per-element dispatch of the interpreter.
//!
//! Only code that cannot fail and has no dependence between iterations
//! runs this way, so that the order of the work does not matter: every
//! store is a plain `=` at an affine position, no statement reads a var
//! (the only memory the loop writes), two statements store either to the
//! same positions or to disjoint ranges, and the types are known statically
//! with no int arithmetic that could overflow (int `+ - *` and int `-x`)
//! and no real stored into an int var. The results are the element-wise
//! ones, bit for bit.

use super::specialise::{Location, LoopOp, SpecialisedCode, Store};
use super::translate::STACK;
use super::{LoopMemory, Number};
use crate::density::value::Slot;
use crate::ir::{AssignOp, BinOp};

/// Iterations per chunk.
const CHUNK: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq)]
enum ColumnType {
    Int,
    Real,
}

/// A column instruction; `p` is the stack position it writes.
#[derive(Clone, Copy, Debug)]
enum ColumnOp {
    FillReal(usize, f64),
    FillInt(usize, i64),
    /// `a * i + c`.
    Loop(usize, i64, i64),
    /// Element `base + step * i` (a real or an int column after `src`).
    Load(usize, Location, i64, i64),
    ToReal(usize),
    Neg(usize),
    /// `p = p op p+1` on reals.
    Arith(usize, BinOp),
    /// `p = (p op p+1) as int` on reals.
    Cmp(usize, BinOp),
    /// Stores position 0 at slot `base + step * i`.
    Store {
        real: bool,
        int: bool,
        base: i64,
        step: i64,
    },
}

/// A loop body as column instructions.
pub(crate) struct Columns {
    ops: Vec<ColumnOp>,
    /// The deepest stack position used, plus one.
    depth: usize,
}

/// The column form of a specialised body, when it is safe (see the module
/// documentation); `None` otherwise.
impl Columns {
    pub(crate) fn of(code: &SpecialisedCode, lo: i64, hi: i64) -> Option<Columns> {
        let mut out = Vec::new();
        let mut depth = 0;
        let mut ranges: Vec<(i64, i64, i64, i64)> = Vec::new();
        for s in &code.stmts {
            let s = (*s)?;
            if s.op != AssignOp::Set {
                return None;
            }
            let Store::Affine(base, step) = s.store else {
                return None;
            };
            let at = |i: i64| base.wrapping_add(step.wrapping_mul(i));
            let (min, max) = (at(lo).min(at(hi)), at(lo).max(at(hi)));
            let overlap = ranges
                .iter()
                .any(|&(b, st, mn, mx)| (b, st) != (base, step) && min <= mx && mn <= max);
            if overlap {
                return None;
            }
            ranges.push((base, step, min, max));
            let mut ty = [ColumnType::Int; STACK];
            let mut sp = 0;
            for op in &code.ops[s.code.0 as usize..s.code.1 as usize] {
                match op {
                    LoopOp::Push(_) | LoopOp::Loop(..) | LoopOp::Load(..) => {
                        depth = depth.max(sp + 1)
                    }
                    _ => {}
                }
                match *op {
                    LoopOp::Push(Number::Real(x)) => {
                        out.push(ColumnOp::FillReal(sp, x));
                        ty[sp] = ColumnType::Real;
                        sp += 1;
                    }
                    LoopOp::Push(Number::Int(k)) => {
                        out.push(ColumnOp::FillInt(sp, k));
                        ty[sp] = ColumnType::Int;
                        sp += 1;
                    }
                    LoopOp::Loop(a, c) => {
                        out.push(ColumnOp::Loop(sp, a, c));
                        ty[sp] = ColumnType::Int;
                        sp += 1;
                    }
                    LoopOp::Load(src, b, st) => {
                        ty[sp] = match src {
                            Location::Reals | Location::IntMirror | Location::Scratch => {
                                ColumnType::Real
                            }
                            Location::Ints | Location::IntScratch => ColumnType::Int,
                            Location::Slots => return None,
                        };
                        out.push(ColumnOp::Load(sp, src, b, st));
                        sp += 1;
                    }
                    LoopOp::Elem(..) => return None,
                    LoopOp::Neg => {
                        if ty[sp - 1] != ColumnType::Real {
                            return None;
                        }
                        out.push(ColumnOp::Neg(sp - 1));
                    }
                    LoopOp::Bin(b) => {
                        let arith = matches!(
                            b,
                            BinOp::Add
                                | BinOp::Sub
                                | BinOp::Mul
                                | BinOp::ElemMul
                                | BinOp::Div
                                | BinOp::ElemDiv
                        );
                        let cmp = matches!(
                            b,
                            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne
                        );
                        let both_int =
                            ty[sp - 2] == ColumnType::Int && ty[sp - 1] == ColumnType::Int;
                        let int_div = matches!(b, BinOp::Div | BinOp::ElemDiv);
                        if !(arith || cmp) || (both_int && arith && !int_div) {
                            return None;
                        }
                        // The language's mixed and int/int division and
                        // comparisons are on the values as reals.
                        for p in [sp - 2, sp - 1] {
                            if ty[p] == ColumnType::Int {
                                out.push(ColumnOp::ToReal(p));
                            }
                        }
                        sp -= 1;
                        if arith {
                            out.push(ColumnOp::Arith(sp - 1, b));
                            ty[sp - 1] = ColumnType::Real;
                        } else {
                            out.push(ColumnOp::Cmp(sp - 1, b));
                            ty[sp - 1] = ColumnType::Int;
                        }
                    }
                }
            }
            if sp != 1 || (ty[0] == ColumnType::Real && s.int) {
                return None;
            }
            out.push(ColumnOp::Store {
                real: ty[0] == ColumnType::Real,
                int: s.int,
                base,
                step,
            });
        }
        Some(Columns { ops: out, depth })
    }
}

impl LoopMemory<'_> {
    /// Runs `for i in lo..=hi` over a column form.
    pub(crate) fn run_columns(&mut self, c: &Columns, lo: i64, hi: i64) {
        let mut reals = vec![0.0f64; c.depth * CHUNK];
        let mut ints = vec![0i64; c.depth * CHUNK];
        let mut i0 = lo;
        loop {
            let n = (hi as i128 - i0 as i128 + 1).min(CHUNK as i128) as usize;
            for op in &c.ops {
                self.column_op(op, i0, n, &mut reals, &mut ints);
            }
            #[cfg(test)]
            super::COLUMN_CHUNKS.with(|c| c.set(c.get() + 1));
            if hi - i0 < CHUNK as i64 {
                break;
            }
            i0 += CHUNK as i64;
        }
    }

    fn column_op(&mut self, op: &ColumnOp, i0: i64, n: usize, reals: &mut [f64], ints: &mut [i64]) {
        let col = |p: usize| p * CHUNK..p * CHUNK + n;
        match *op {
            ColumnOp::FillReal(p, x) => reals[col(p)].fill(x),
            ColumnOp::FillInt(p, k) => ints[col(p)].fill(k),
            ColumnOp::Loop(p, a, c) => {
                for (t, v) in ints[col(p)].iter_mut().enumerate() {
                    *v = a.wrapping_mul(i0 + t as i64).wrapping_add(c);
                }
            }
            ColumnOp::Load(p, src, base, step) => {
                let at = |t: usize| base.wrapping_add(step.wrapping_mul(i0 + t as i64)) as usize;
                let (from_r, from_i): (&[f64], &[i64]) = match src {
                    Location::Reals => (self.reals, &[]),
                    Location::IntMirror => (self.int_mirror, &[]),
                    Location::Scratch => (self.scratch, &[]),
                    Location::Ints => (&[], self.ints),
                    Location::IntScratch => (&[], self.int_scratch),
                    // Never part of a column form.
                    Location::Slots => return,
                };
                if matches!(src, Location::Ints | Location::IntScratch) {
                    for (t, v) in ints[col(p)].iter_mut().enumerate() {
                        *v = from_i[at(t)];
                    }
                } else {
                    for (t, v) in reals[col(p)].iter_mut().enumerate() {
                        *v = from_r[at(t)];
                    }
                }
            }
            ColumnOp::ToReal(p) => {
                for (r, &k) in reals[col(p)].iter_mut().zip(&ints[col(p)]) {
                    *r = k as f64;
                }
            }
            ColumnOp::Neg(p) => reals[col(p)].iter_mut().for_each(|x| *x = -*x),
            ColumnOp::Arith(p, b) => {
                let (a, rest) = reals.split_at_mut((p + 1) * CHUNK);
                let (a, y) = (&mut a[col(p)], &rest[..n]);
                match b {
                    BinOp::Add => a.iter_mut().zip(y).for_each(|(x, y)| *x += y),
                    BinOp::Sub => a.iter_mut().zip(y).for_each(|(x, y)| *x -= y),
                    BinOp::Mul | BinOp::ElemMul => a.iter_mut().zip(y).for_each(|(x, y)| *x *= y),
                    _ => a.iter_mut().zip(y).for_each(|(x, y)| *x /= y),
                }
            }
            ColumnOp::Cmp(p, b) => {
                let (x, y) = (&reals[col(p)], &reals[col(p + 1)]);
                for ((v, &a), &b2) in ints[col(p)].iter_mut().zip(x).zip(y) {
                    let r = match b {
                        BinOp::Lt => a < b2,
                        BinOp::Le => a <= b2,
                        BinOp::Gt => a > b2,
                        BinOp::Ge => a >= b2,
                        BinOp::Eq => a == b2,
                        _ => a != b2,
                    };
                    *v = r as i64;
                }
            }
            ColumnOp::Store {
                real,
                int,
                base,
                step,
            } => {
                for t in 0..n {
                    let k = base.wrapping_add(step.wrapping_mul(i0 + t as i64)) as usize;
                    self.slots[k] = match (real, int) {
                        (true, _) => Slot::Real(reals[t]),
                        (false, true) => Slot::Int(ints[t]),
                        (false, false) => Slot::Real(ints[t] as f64),
                    };
                }
                #[cfg(test)]
                super::FAST_STORES.with(|c| c.set(c.get() + n as u64));
            }
        }
    }
}
