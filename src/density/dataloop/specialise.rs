//! Running a translated loop body (see [`super::translate()`]).
//!
//! Before the first iteration the code is specialised to the loop: what
//! cannot change while the loop runs (data, locals the body does not assign,
//! the loop bounds) is folded into constants, and an index that is affine in
//! the loop variable and in range for every iteration becomes a flat offset
//! `base + step * i`, with no index arithmetic or range check left per
//! element. `Xc[n, j - 1] = X[n, j] - m[j - 1]` over `n` runs as "load
//! `X` at `base + 24 n`, subtract a constant, store at `base' + 23 n`".
//! Whatever may fail at run time (int overflow, an index out of range for
//! some iterations, a var element not yet assigned, an int var receiving a
//! real) keeps its run-time check and, when it fails, the statement falls
//! back to the general path, which reports the error.

use super::translate::{Op, STACK, TranslatedBody, TranslatedStmt};
use super::{LoopMemory, Number, constant::binary, constant::position, from_slot, from_value};
use crate::density::value::{Buf, Dims, LocalValue, Slot, Value};
use crate::ir::{AssignOp, BinOp, LocalId};

/// Where the elements of a container live.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Location {
    Reals,
    IntMirror,
    Ints,
    Scratch,
    IntScratch,
    Slots,
}

/// An instruction of specialised code (`i` is the loop variable).
#[derive(Clone, Copy, Debug)]
pub(crate) enum LoopOp {
    Push(Number),
    /// Pushes the int `a * i + c` (checked when specialising).
    Loop(i64, i64),
    /// Pushes element `base + step * i` of a buffer (in range for every
    /// iteration, checked when specialising).
    Load(Location, i64, i64),
    /// Pops `n` indices and pushes the element of a container at `off`.
    Elem(Location, usize, Dims, u8),
    Neg,
    Bin(BinOp),
}

/// Where a statement stores its value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Store {
    /// Slot `base + step * i`.
    Affine(i64, i64),
    /// Popped indices into the var at slot `off`.
    Dyn(usize, Dims, u8),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct SpecialisedStmt {
    pub code: (u32, u32),
    pub store: Store,
    pub int: bool,
    pub op: AssignOp,
}

/// An abstract stack entry while specialising.
#[derive(Clone, Copy, Debug)]
enum Item {
    /// A known constant, no code yet.
    Known(Number),
    /// The int `a * i + c`, no code yet; fits an `i64` over the loop.
    Affine(i128, i128),
    /// Computed by code already emitted.
    Emitted,
}

/// What specialising needs to know about the loop.
struct LoopBounds<'b> {
    var: LocalId,
    lo: i64,
    hi: i64,
    targets: &'b [LocalId],
}

impl LoopBounds<'_> {
    /// `a * i + c` as an item, if it fits an `i64` at both ends of the
    /// loop (then everywhere in between: it is linear).
    fn affine(&self, a: Option<i128>, c: Option<i128>) -> Option<Item> {
        let (a, c) = (a?, c?);
        for i in [self.lo, self.hi] {
            let v = a.checked_mul(i as i128)?.checked_add(c)?;
            i64::try_from(v).ok()?;
        }
        Some(Item::Affine(a, c))
    }

    /// `base + step * i`, the flat position of indices that are affine and
    /// in range at both ends of the loop (then everywhere in between).
    fn affine_position(&self, ix: &[Item], dims: Dims) -> Option<(i64, i64)> {
        let (sizes, strides) = match (dims, ix.len()) {
            (Dims::Vector(n), 1) => ([n, 0], [1, 0]),
            (Dims::Matrix(r, c), 2) => ([r, c], [c, 1]),
            _ => return None,
        };
        let (mut base, mut step) = (0i128, 0i128);
        for (d, it) in ix.iter().enumerate() {
            let (a, c) = match *it {
                Item::Known(Number::Int(k)) => (0, k as i128),
                Item::Affine(a, c) => (a, c),
                _ => return None,
            };
            for i in [self.lo, self.hi] {
                let v = a.checked_mul(i as i128)?.checked_add(c)?;
                if v < 1 || v > sizes[d] as i128 {
                    return None;
                }
            }
            let stride = strides[d] as i128;
            step = step.checked_add(a.checked_mul(stride)?)?;
            base = base.checked_add((c - 1).checked_mul(stride)?)?;
        }
        // Truncation is harmless: the run-time arithmetic wraps, and its
        // exact result is a valid position.
        Some((base as i64, step as i64))
    }
}

/// Emits code for the items on top of the stack that have none yet, so that
/// code consuming them (or pushed above them) can follow.
fn flush(items: &mut [Item], out: &mut Vec<LoopOp>) {
    let first = items
        .iter()
        .rposition(|x| matches!(x, Item::Emitted))
        .map_or(0, |p| p + 1);
    for it in &mut items[first..] {
        out.push(match *it {
            Item::Known(n) => LoopOp::Push(n),
            Item::Affine(a, c) => LoopOp::Loop(a as i64, c as i64),
            Item::Emitted => continue,
        });
        *it = Item::Emitted;
    }
}

/// The buffer and dims of a constant container.
fn container(v: Value) -> Option<(Location, usize, Dims)> {
    match v {
        Value::Vec(r) | Value::Mat(r, ..) => {
            let src = match r.buf {
                Buf::Data => Location::Reals,
                Buf::IntMirror => Location::IntMirror,
                Buf::IntMatrix => Location::Ints,
                Buf::Scratch => Location::Scratch,
            };
            Some((src, r.off as usize, v.dims()))
        }
        Value::IntArr(r) => {
            let src = match r.buf {
                Buf::Scratch => Location::IntScratch,
                Buf::Data | Buf::IntMirror | Buf::IntMatrix => Location::Ints,
            };
            Some((src, r.off as usize, v.dims()))
        }
        _ => None,
    }
}

/// The specialised code of a loop body; `None` marks a statement that runs
/// on the general path.
#[derive(Default)]
pub(crate) struct SpecialisedCode {
    pub ops: Vec<LoopOp>,
    pub stmts: Vec<Option<SpecialisedStmt>>,
    items: Vec<Item>,
}

impl LoopMemory<'_> {
    fn specialise(
        &self,
        stmts: &[TranslatedStmt],
        ops: &[Op],
        bounds: &LoopBounds,
        fast: &mut [bool],
        code: &mut SpecialisedCode,
    ) {
        code.ops.clear();
        for (k, fs) in stmts.iter().enumerate() {
            code.stmts[k] = None;
            if fast[k] {
                let start = code.ops.len();
                match self.specialise_stmt(fs, ops, bounds, code) {
                    Some(rs) => code.stmts[k] = Some(rs),
                    None => {
                        code.ops.truncate(start);
                        fast[k] = false;
                    }
                }
            }
        }
    }

    fn specialise_stmt(
        &self,
        fs: &TranslatedStmt,
        ops: &[Op],
        bounds: &LoopBounds,
        code: &mut SpecialisedCode,
    ) -> Option<SpecialisedStmt> {
        let start = code.ops.len() as u32;
        let (items, out) = (&mut code.items, &mut code.ops);
        items.clear();
        for op in &ops[fs.code.0 as usize..fs.code.1 as usize] {
            match *op {
                Op::Const(c) => items.push(Item::Known(c)),
                Op::Local(id) => self.specialise_local(id, bounds, items, out)?,
                Op::Neg => specialise_neg(bounds, items, out)?,
                Op::Bin(b) => specialise_binary(b, bounds, items, out)?,
                Op::ElemData(v, n) => {
                    let (src, off, dims) = container(v)?;
                    self.specialise_element(src, off, dims, n, true, bounds, items, out)?;
                }
                Op::ElemLocal(id, n) => {
                    self.specialise_element_of_local(id, n, bounds, items, out)?
                }
            }
        }
        // The stack holds the value, then the indices.
        let n = fs.n_idx as usize;
        if items.len() != n + 1 {
            return None;
        }
        let LocalValue::Var { off, dims, int } = self.locals[fs.target.index()] else {
            return None;
        };
        let store = if n == 0 {
            if dims != Dims::Scalar {
                return None;
            }
            Store::Affine(off as i64, 0)
        } else if let Some((base, step)) = bounds.affine_position(&items[1..], dims) {
            items.truncate(1);
            Store::Affine((off as i64).wrapping_add(base), step)
        } else {
            Store::Dyn(off as usize, dims, n as u8)
        };
        flush(items, out);
        Some(SpecialisedStmt {
            code: (start, out.len() as u32),
            store,
            int,
            op: fs.op,
        })
    }

    /// A local: the loop variable, a constant, or a scalar `var` the body
    /// assigns (loaded when it runs).
    fn specialise_local(
        &self,
        id: LocalId,
        bounds: &LoopBounds,
        items: &mut Vec<Item>,
        out: &mut Vec<LoopOp>,
    ) -> Option<()> {
        if id == bounds.var {
            items.push(Item::Affine(1, 0));
            return Some(());
        }
        match self.locals[id.index()] {
            LocalValue::Value(v) => items.push(Item::Known(from_value(v)?)),
            LocalValue::Var {
                off,
                dims: Dims::Scalar,
                ..
            } => {
                if bounds.targets.contains(&id) {
                    flush(items, out);
                    out.push(LoopOp::Load(Location::Slots, off as i64, 0));
                    items.push(Item::Emitted);
                } else {
                    items.push(Item::Known(from_slot(self.slots[off as usize])?));
                }
            }
            LocalValue::Var { .. } => return None,
            LocalValue::Unset => {
                let v = self.const_locals.get(id.index()).copied().flatten()?;
                items.push(Item::Known(from_value(v)?));
            }
        }
        Some(())
    }

    /// An element of a local container (a constant, or a `var`, fixed
    /// unless the body assigns it).
    fn specialise_element_of_local(
        &self,
        id: LocalId,
        n: u8,
        bounds: &LoopBounds,
        items: &mut Vec<Item>,
        out: &mut Vec<LoopOp>,
    ) -> Option<()> {
        let (src, off, dims, fixed) = match self.locals[id.index()] {
            LocalValue::Value(v) => {
                let (s, o, d) = container(v)?;
                (s, o, d, true)
            }
            LocalValue::Var { off, dims, .. } => (
                Location::Slots,
                off as usize,
                dims,
                !bounds.targets.contains(&id),
            ),
            LocalValue::Unset => {
                let v = self.const_locals.get(id.index()).copied().flatten()?;
                let (s, o, d) = container(v)?;
                (s, o, d, true)
            }
        };
        self.specialise_element(src, off, dims, n, fixed, bounds, items, out)
    }

    /// Specialises an element read: a constant when the container and the
    /// indices are fixed, a load at an affine position, or a checked read.
    #[allow(clippy::too_many_arguments)]
    fn specialise_element(
        &self,
        src: Location,
        off: usize,
        dims: Dims,
        n: u8,
        fixed: bool,
        bounds: &LoopBounds,
        items: &mut Vec<Item>,
        out: &mut Vec<LoopOp>,
    ) -> Option<()> {
        let m = items.len().checked_sub(n as usize)?;
        let mut known = [Number::Int(0); 2];
        let all_known = items[m..].iter().zip(&mut known).all(|(it, k)| match *it {
            Item::Known(v) => {
                *k = v;
                true
            }
            _ => false,
        });
        if all_known {
            let k = off + position(&known[..n as usize], dims)?;
            items.truncate(m);
            if fixed {
                items.push(Item::Known(self.load(src, k)?));
                return Some(());
            }
            flush(items, out);
            out.push(LoopOp::Load(src, k as i64, 0));
        } else if let Some((base, step)) = bounds.affine_position(&items[m..], dims) {
            items.truncate(m);
            flush(items, out);
            out.push(LoopOp::Load(src, (off as i64).wrapping_add(base), step));
        } else {
            flush(items, out);
            out.push(LoopOp::Elem(src, off, dims, n));
            items.truncate(m);
        }
        items.push(Item::Emitted);
        Some(())
    }

    #[inline(always)]
    pub(crate) fn load(&self, src: Location, k: usize) -> Option<Number> {
        Some(match src {
            Location::Reals => Number::Real(self.reals[k]),
            Location::IntMirror => Number::Real(self.int_mirror[k]),
            Location::Ints => Number::Int(self.ints[k]),
            Location::Scratch => Number::Real(self.scratch[k]),
            Location::IntScratch => Number::Int(self.int_scratch[k]),
            Location::Slots => return from_slot(self.slots[k]),
        })
    }

    /// Runs one specialised statement for loop value `i`; `None` (nothing
    /// changed) when the general path must run it.
    #[inline]
    fn exec(
        &mut self,
        s: &SpecialisedStmt,
        ops: &[LoopOp],
        i: i64,
        stack: &mut [Number; STACK],
    ) -> Option<()> {
        let mut sp = 0;
        for op in &ops[s.code.0 as usize..s.code.1 as usize] {
            match *op {
                LoopOp::Push(c) => {
                    stack[sp] = c;
                    sp += 1;
                }
                LoopOp::Loop(a, c) => {
                    stack[sp] = Number::Int(a.wrapping_mul(i).wrapping_add(c));
                    sp += 1;
                }
                LoopOp::Load(src, base, step) => {
                    stack[sp] = self.load(src, base.wrapping_add(step.wrapping_mul(i)) as usize)?;
                    sp += 1;
                }
                LoopOp::Elem(src, off, dims, n) => {
                    sp -= n as usize;
                    let k = off + position(&stack[sp..sp + n as usize], dims)?;
                    stack[sp] = self.load(src, k)?;
                    sp += 1;
                }
                LoopOp::Neg => {
                    stack[sp - 1] = match stack[sp - 1] {
                        Number::Int(i) => Number::Int(i.checked_neg()?),
                        Number::Real(x) => Number::Real(-x),
                    }
                }
                LoopOp::Bin(b) => {
                    sp -= 1;
                    stack[sp - 1] = binary(b, stack[sp - 1], stack[sp])?;
                }
            }
        }
        let slot = match s.store {
            Store::Affine(base, step) => base.wrapping_add(step.wrapping_mul(i)) as usize,
            Store::Dyn(off, dims, n) => off + position(&stack[1..1 + n as usize], dims)?,
        };
        let mut v = stack[0];
        if s.op == AssignOp::Add {
            v = binary(BinOp::Add, from_slot(self.slots[slot])?, v)?;
        }
        self.slots[slot] = match (v, s.int) {
            (Number::Int(i), true) => Slot::Int(i),
            (Number::Int(i), false) => Slot::Real(i as f64),
            (Number::Real(x), false) => Slot::Real(x),
            (Number::Real(_), true) => return None,
        };
        #[cfg(test)]
        super::FAST_STORES.with(|c| c.set(c.get() + 1));
        Some(())
    }
}

/// `-x`: folded when `x` is known or affine, else emitted.
fn specialise_neg(bounds: &LoopBounds, items: &mut Vec<Item>, out: &mut Vec<LoopOp>) -> Option<()> {
    let x = items.pop()?;
    let r = match x {
        Item::Known(Number::Int(i)) => Some(Item::Known(Number::Int(i.checked_neg()?))),
        Item::Known(Number::Real(x)) => Some(Item::Known(Number::Real(-x))),
        Item::Affine(a, c) => bounds.affine(a.checked_neg(), c.checked_neg()),
        Item::Emitted => None,
    };
    match r {
        Some(it) => items.push(it),
        None => {
            items.push(x);
            flush(items, out);
            out.push(LoopOp::Neg);
        }
    }
    Some(())
}

/// `x op y`: folded when both are known (or the result is affine), else
/// emitted.
fn specialise_binary(
    b: BinOp,
    bounds: &LoopBounds,
    items: &mut Vec<Item>,
    out: &mut Vec<LoopOp>,
) -> Option<()> {
    let y = items.pop()?;
    let x = items.pop()?;
    let r = match (x, y) {
        (Item::Known(p), Item::Known(q)) => Some(Item::Known(binary(b, p, q)?)),
        _ => affine_binary(bounds, b, x, y),
    };
    match r {
        Some(it) => items.push(it),
        None => {
            items.push(x);
            items.push(y);
            flush(items, out);
            out.push(LoopOp::Bin(b));
            items.pop();
        }
    }
    Some(())
}

/// `x op y` when both are affine in the loop variable (or int constants)
/// and so is the result.
fn affine_binary(bounds: &LoopBounds, b: BinOp, x: Item, y: Item) -> Option<Item> {
    let parts = |it: Item| match it {
        Item::Known(Number::Int(k)) => Some((0i128, k as i128)),
        Item::Affine(a, c) => Some((a, c)),
        _ => None,
    };
    let ((a1, c1), (a2, c2)) = (parts(x)?, parts(y)?);
    match b {
        BinOp::Add => bounds.affine(a1.checked_add(a2), c1.checked_add(c2)),
        BinOp::Sub => bounds.affine(a1.checked_sub(a2), c1.checked_sub(c2)),
        BinOp::Mul | BinOp::ElemMul if a1 == 0 => {
            bounds.affine(a2.checked_mul(c1), c2.checked_mul(c1))
        }
        BinOp::Mul | BinOp::ElemMul if a2 == 0 => {
            bounds.affine(a1.checked_mul(c2), c1.checked_mul(c2))
        }
        _ => None,
    }
}

/// A translated body specialised to one loop: its bounds, the code of each
/// statement that still runs specialised, and a stack to run it on.
pub(crate) struct SpecialisedLoop<'t> {
    translated: &'t TranslatedBody,
    bounds: LoopBounds<'t>,
    code: SpecialisedCode,
    /// Per statement: still specialised (a statement that once needed the
    /// general path stays there).
    fast: Vec<bool>,
    stack: [Number; STACK],
}

impl<'t> SpecialisedLoop<'t> {
    /// Specialises `translated` to `for var in lo..=hi` with the memory as
    /// it is before the first iteration.
    pub(crate) fn new(
        translated: &'t TranslatedBody,
        var: LocalId,
        lo: i64,
        hi: i64,
        memory: &LoopMemory<'_>,
    ) -> SpecialisedLoop<'t> {
        let n = translated.stmts.len();
        let mut specialised = SpecialisedLoop {
            translated,
            bounds: LoopBounds {
                var,
                lo,
                hi,
                targets: &translated.targets,
            },
            code: SpecialisedCode {
                stmts: vec![None; n],
                ..SpecialisedCode::default()
            },
            fast: vec![true; n],
            stack: [Number::Int(0); STACK],
        };
        specialised.specialise(memory);
        specialised
    }

    /// The column form of the whole loop, when it is safe (see
    /// [`super::columns`]).
    pub(crate) fn columns(&self) -> Option<super::Columns> {
        super::Columns::of(&self.code, self.bounds.lo, self.bounds.hi)
    }

    /// Runs statement `k` for loop value `i`; `false` (nothing changed) when
    /// the general path must run it, from now on.
    #[inline]
    pub(crate) fn run_statement(&mut self, k: usize, i: i64, memory: &mut LoopMemory<'_>) -> bool {
        let Some(s) = self.code.stmts[k] else {
            return false;
        };
        if memory
            .exec(&s, &self.code.ops, i, &mut self.stack)
            .is_some()
        {
            return true;
        }
        self.code.stmts[k] = None;
        self.fast[k] = false;
        false
    }

    /// Specialises again after the general path ran a statement: it may
    /// have changed what the code assumed constant (and, through a
    /// recursive function, even the loop variable).
    pub(crate) fn respecialise(&mut self, memory: &LoopMemory<'_>) {
        if self.fast.iter().any(|&f| f) {
            self.specialise(memory);
        }
    }

    fn specialise(&mut self, memory: &LoopMemory<'_>) {
        memory.specialise(
            &self.translated.stmts,
            &self.translated.ops,
            &self.bounds,
            &mut self.fast,
            &mut self.code,
        );
    }
}
