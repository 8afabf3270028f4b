//! A univariate density whose argument is a linear predictor over a long
//! data matrix — `y ~ bernoulli_logit(X * b)`, `normal(a + X * b, s)`,
//! `poisson_log(X * b + a)` — in one pass over the rows of X.
//!
//! Written plainly, the product X·b is one node (X read once forward) and
//! its reverse Xᵀ·r another (X read again). Here each block of rows, while
//! it is in cache, gives its linear predictor, the density's per-row value
//! and partial r (the distribution's own slice kernel), and its share of
//! Xᵀ·r, so X streams through memory once per gradient. The tape gets no
//! per-row node for the product: one `Reduce` from the log density to b
//! (partials Xᵀ·r), one per other argument. Rows run in the fixed chunks of
//! [`crate::density::tape::rows`], summed in chunk order: the same bits for
//! any number of threads. Used when the tape records and X has more than
//! one block of rows; otherwise the plain path runs.

use super::Evaluator;
use super::chunked::{Blocks, for_each_chunk, rows_of};
use super::distributions::const_arg;
use super::workspace::EvalResult;
use crate::density::eval::tape_ref_of;
use crate::density::tape::rows::ROW_CHUNK;
use crate::density::tape::{Node, Part, dot_const};
use crate::density::value::{ConstRef, Dims, TapeRef, Value};
use crate::dist::{Arg, DistId, Univariate, UnivariateVisitor};
use crate::ir::{BinOp, Expr, ExprKind};
use crate::scalar::{MAX_ARITY, Scalar};
use crate::source::Span;

/// Rows worked through together inside a chunk (their rows of X stay in
/// the first-level cache between the product and its reverse).
const BLOCK: usize = 32;

/// The evaluated parts of `X * b` with an optional offset `c`.
#[derive(Clone, Copy)]
pub(super) struct Linear {
    x: ConstRef,
    rows: usize,
    cols: usize,
    b: TapeRef,
    offset: Option<Value>,
}

impl Linear {
    /// `x * b + offset` for the data matrix `x` (`rows` × `cols`).
    pub(super) fn new(
        x: ConstRef,
        rows: usize,
        cols: usize,
        b: TapeRef,
        offset: Option<Value>,
    ) -> Linear {
        Linear {
            x,
            rows,
            cols,
            b,
            offset,
        }
    }
}

/// Whether `e` has the shape of a linear predictor (`m * v`, `c + m * v`,
/// `m * v + c`); the values decide whether it is one.
pub(super) fn looks_linear(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Binary(BinOp::Mul, ..) => true,
        ExprKind::Binary(BinOp::Add, l, r) => is_product(l) || is_product(r),
        _ => false,
    }
}

fn is_product(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Binary(BinOp::Mul, ..))
}

struct LinearCall<'e, 'a, T: Scalar> {
    ev: &'e mut Evaluator<'a, T>,
    vals: &'e [Value],
    at: usize,
    linear: Linear,
    span: Span,
}

impl<T: Scalar> UnivariateVisitor for LinearCall<'_, '_, T> {
    type Output = EvalResult<Value>;
    fn visit<D: Univariate>(self) -> EvalResult<Value> {
        self.ev
            .univariate_linear::<D>(self.vals, self.at, self.linear, self.span)
    }
}

impl<T: Scalar> Evaluator<'_, T> {
    /// Evaluates an expression that [`looks_linear`]: its parts when it is
    /// a long data matrix times a parameter vector (plus a scalar or a
    /// vector of one entry per row), or else its value, computed as usual.
    pub(super) fn linear_or_value(&mut self, e: &Expr) -> EvalResult<Result<Linear, Value>> {
        let (product, offset, offset_first) = match &e.kind {
            ExprKind::Binary(BinOp::Add, l, r) if is_product(l) => (&**l, Some(&**r), false),
            ExprKind::Binary(BinOp::Add, l, r) => (&**r, Some(&**l), true),
            _ => (e, None, false),
        };
        let ExprKind::Binary(_, m, v) = &product.kind else {
            return self.expr(e).map(Err);
        };
        let (mv, vv) = (self.expr(m)?, self.expr(v)?);
        let c = match offset {
            Some(o) => Some(self.expr(o)?),
            None => None,
        };
        if let (Value::Mat(x, rows, cols), Value::TapeVec(b)) = (mv, vv) {
            let (rows, cols) = (rows as usize, cols as usize);
            let offset_fits = c.is_none_or(|c| match c.dims() {
                Dims::Scalar => true,
                Dims::Vector(n) => n == rows,
                Dims::Matrix(..) | Dims::Array3(..) => false,
            });
            if rows > BLOCK && b.len as usize == cols && offset_fits {
                let offset = c.map(|c| self.promote(c));
                return Ok(Ok(Linear {
                    x,
                    rows,
                    cols,
                    b,
                    offset,
                }));
            }
        }
        let p = self.binary(BinOp::Mul, mv, vv, product.span)?;
        Ok(Err(match c {
            None => p,
            Some(c) if offset_first => self.binary(BinOp::Add, c, p, e.span)?,
            Some(c) => self.binary(BinOp::Add, p, c, e.span)?,
        }))
    }

    /// The summed log density of the univariate `id` with the linear
    /// predictor `linear` as argument `at` of `vals`.
    pub(super) fn dist_call_linear(
        &mut self,
        id: DistId,
        vals: &[Value],
        at: usize,
        linear: Linear,
        span: Span,
    ) -> EvalResult<Value> {
        id.visit_univariate(LinearCall {
            ev: self,
            vals,
            at,
            linear,
            span,
        })
        .expect("univariate")
    }
}

/// Where each argument's partials live in the tape's `parts`.
struct PartsLayout {
    /// Offset of argument j's block (`lens[j]` entries; none when 0).
    offs: [usize; MAX_ARITY],
    lens: [usize; MAX_ARITY],
    /// The partials for b (Xᵀ·r), then the one for a scalar offset.
    grad: usize,
}

impl<T: Scalar> Evaluator<'_, T> {
    fn univariate_linear<D: Univariate>(
        &mut self,
        vals: &[Value],
        at: usize,
        lin: Linear,
        span: Span,
    ) -> EvalResult<Value> {
        let spec = &D::SPEC;
        let specs = |j| super::distributions::arg_spec(spec, j);
        let (k, n, cols) = (vals.len(), lin.rows, lin.cols);
        let eta = self.workspace.tape.alloc(n);
        let mut pv = [Value::Real(0.0); MAX_ARITY];
        for j in 0..k {
            pv[j] = if j == at {
                Value::TapeVec(eta)
            } else {
                self.promote(vals[j])
            };
        }
        let pv = &pv[..k];
        self.vector_len(spec.name, pv, specs, span)?;
        let mut layout = PartsLayout {
            offs: [0; MAX_ARITY],
            lens: [0; MAX_ARITY],
            grad: 0,
        };
        let mut total = 0;
        for (j, &v) in pv.iter().enumerate() {
            layout.lens[j] = match v {
                _ if j == at => n,
                v if v.is_var() && v.is_scalar() => 1,
                v if v.is_var() => n,
                _ => 0,
            };
            total += layout.lens[j];
        }
        let poff = self.workspace.tape.alloc_parts(total + cols + 1) as usize;
        let mut off = poff;
        for j in 0..k {
            layout.offs[j] = off;
            off += layout.lens[j];
        }
        layout.grad = off;
        let lp = self.linear_pass::<D>(pv, at, lin, eta, &layout);
        self.check_domains(spec.name, pv, specs, span)?;
        self.check_args_of::<D>(pv, n, None, span)?;
        let out = self.workspace.tape.push(lp);
        let tape = &mut self.workspace.tape;
        for (j, &v) in pv.iter().enumerate() {
            if j != at && layout.lens[j] > 0 {
                tape.node(Node::Reduce {
                    out,
                    inp: tape_ref_of(v),
                    part: Part::Tape(layout.offs[j] as u32),
                });
            }
        }
        tape.node(Node::Reduce {
            out,
            inp: lin.b,
            part: Part::Tape(layout.grad as u32),
        });
        if let Some(c) = lin.offset.filter(Value::is_var) {
            let part = if c.is_scalar() {
                layout.grad + cols
            } else {
                layout.offs[at]
            };
            tape.node(Node::Reduce {
                out,
                inp: tape_ref_of(c),
                part: Part::Tape(part as u32),
            });
        }
        Ok(Value::TapeReal(out))
    }

    /// The one pass over the rows: fills the linear predictor `eta`, the
    /// per-row partials and the summed ones in `layout`; returns the log
    /// density.
    fn linear_pass<D: Univariate>(
        &mut self,
        pv: &[Value],
        at: usize,
        lin: Linear,
        eta: TapeRef,
        layout: &PartsLayout,
    ) -> T {
        let (k, n, cols) = (pv.len(), lin.rows, lin.cols);
        let stride = 1 + k + cols + 1;
        let chunks = n.div_ceil(ROW_CHUNK);
        let mut sums = std::mem::take(&mut self.workspace.chunk_sums);
        sums.clear();
        sums.resize(chunks * stride, T::zero());
        let tape = &mut self.workspace.tape;
        let (vals_lo, vals_hi) = tape.vals.split_at_mut(eta.off as usize);
        let vals_lo: &[T] = vals_lo;
        let bufs = self.program.bufs(&self.workspace.scratch);
        let arg_of = |v: Value| match v {
            Value::TapeReal(s) => Arg::Scalar(vals_lo[s as usize]),
            Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => {
                Arg::Slice(&vals_lo[r.range()])
            }
            v => const_arg(v, &bufs),
        };
        let args: [Arg<'_, T>; MAX_ARITY] = std::array::from_fn(|j| {
            if j < k && j != at {
                arg_of(pv[j])
            } else {
                Arg::Const(0.0)
            }
        });
        let offset = lin.offset.map(arg_of);
        let xm = &bufs.get(lin.x)[..n * cols];
        let b = &vals_lo[lin.b.range()];
        let mut broadcast = [false; MAX_ARITY];
        let mut blocks: Blocks<'_, T, { MAX_ARITY + 1 }> = std::array::from_fn(|_| None);
        let mut rest = &mut tape.parts[layout.offs[0]..layout.grad];
        for j in 0..k {
            let (block, tail) = rest.split_at_mut(layout.lens[j]);
            rest = tail;
            if layout.lens[j] == 1 && j != at {
                broadcast[j] = true;
            } else if layout.lens[j] > 0 {
                blocks[j] = Some(block);
            }
        }
        blocks[MAX_ARITY] = Some(&mut vals_hi[..n]);
        let work = |c: usize, blocks: &mut Blocks<'_, T, { MAX_ARITY + 1 }>, sums: &mut [T]| {
            let lo = c * ROW_CHUNK;
            let hi = (lo + ROW_CHUNK).min(n);
            let (head, tail) = sums.split_at_mut(1 + k);
            let (grad, offset_sum) = tail.split_at_mut(cols);
            let (row_blocks, eta_block) = blocks.split_at_mut(MAX_ARITY);
            let eta_chunk = eta_block[0].as_deref_mut().expect("the linear predictor");
            let mut s = lo;
            while s < hi {
                let e = (s + BLOCK).min(hi);
                let (bs, be) = (s - lo, e - lo);
                for (v, i) in eta_chunk[bs..be].iter_mut().zip(s..e) {
                    let mut x = dot_const(&xm[i * cols..(i + 1) * cols], b);
                    if let Some(o) = offset {
                        x += o.get(i);
                    }
                    *v = x;
                }
                let mut slots = [T::zero(); MAX_ARITY];
                let block_lp = {
                    let block_args: [Arg<'_, T>; MAX_ARITY] = std::array::from_fn(|j| {
                        if j == at {
                            Arg::Slice(&eta_chunk[bs..be])
                        } else {
                            rows_of(&args[j], s, e)
                        }
                    });
                    let mut d: Blocks<'_, T, MAX_ARITY> = std::array::from_fn(|_| None);
                    for (dj, block) in d.iter_mut().zip(row_blocks.iter_mut()) {
                        *dj = block.as_deref_mut().map(|b| &mut b[bs..be]);
                    }
                    for (j, slot) in slots.chunks_mut(1).enumerate() {
                        if broadcast[j] {
                            d[j] = Some(slot);
                        }
                    }
                    D::lpdf_sum(&block_args[..k], e - s, &mut d[..k])
                };
                head[0] += block_lp;
                for j in 0..k {
                    if broadcast[j] {
                        head[1 + j] += slots[j];
                    }
                }
                let r = &row_blocks[at]
                    .as_deref()
                    .expect("the partials of the predictor")[bs..be];
                for (&ri, i) in r.iter().zip(s..e) {
                    for (g, &x) in grad.iter_mut().zip(&xm[i * cols..(i + 1) * cols]) {
                        *g += ri * x;
                    }
                    offset_sum[0] += ri;
                }
                s = e;
            }
        };
        for_each_chunk(n, blocks, &mut sums, stride, &work);
        let total = |i: usize| (0..chunks).fold(T::zero(), |acc, c| acc + sums[c * stride + i]);
        let parts = &mut tape.parts;
        for j in 0..k {
            if broadcast[j] {
                parts[layout.offs[j]] = total(1 + j);
            }
        }
        for l in 0..=cols {
            parts[layout.grad + l] = total(1 + k + l);
        }
        let lp = total(0);
        self.workspace.chunk_sums = sums;
        lp
    }
}
