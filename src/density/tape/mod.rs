//! The reverse-accumulation tape over array-level nodes.
//!
//! The forward evaluation appends slots (values) and nodes; each node knows
//! how to push the adjoints of its outputs back to its inputs. Local partial
//! derivatives are computed during the forward pass from dual numbers (or a
//! hand-fused kernel) and stored in `parts`, so the reverse pass is a few
//! multiply–adds per element. The tape is generic over the scalar type: on
//! `f64` it yields gradients, on `Dual64` Hessian–vector products, on
//! `DualSVec64<N>` Hessian columns (forward-over-reverse).
//!
//! Every buffer is cleared, never freed, between evaluations: once warm, an
//! evaluation allocates nothing.

mod matrix;
mod reverse;
pub mod rows;

use crate::density::value::{ConstRef, TapeRef};
use crate::scalar::Scalar;
use crate::transform::Transform;

/// The local partial derivatives of a node's outputs with respect to one input.
#[derive(Clone, Copy, Debug)]
pub enum Part {
    One,
    NegOne,
    /// Stored partials (one per output element) in the tape's `parts`.
    Tape(u32),
    /// A constant vector of partials (e.g. multiplication by data).
    Const(ConstRef),
    /// A constant scalar partial.
    ConstScalar(f64),
    /// Partials equal to the values of tape slots (e.g. the other factor
    /// of a product), read at reverse time.
    TapeValues(u32),
    /// A partial equal to the value of one tape slot.
    TapeValue(u32),
}

/// A matrix operand of a product.
#[derive(Clone, Copy, Debug)]
pub enum MatOperand {
    /// Constant data.
    Const(ConstRef),
    /// Tape slots from this offset.
    Tape(u32),
}

#[derive(Clone, Copy, Debug)]
pub enum Node {
    /// `out[i]` depends on `inp[i]` (same length).
    Diag { out: TapeRef, inp: u32, part: Part },
    /// Every `out[i]` depends on the one slot `inp`.
    Broadcast { out: TapeRef, inp: u32, part: Part },
    /// The one slot `out` depends on every `inp[i]`.
    Reduce { out: u32, inp: TapeRef, part: Part },
    /// `out[k] = slot idx[k]` (indices stored in the tape's `idx` from `idx`).
    Gather { out: TapeRef, idx: u32 },
    /// `out (r×c) = a (r×k) · b (k×c)`, row-major.
    MatMul {
        out: TapeRef,
        a: MatOperand,
        b: MatOperand,
        r: u32,
        k: u32,
        c: u32,
    },
    /// A parameter transform: `x, logj = constrain(u, lb, ub)`.
    Transform {
        t: Transform,
        u: TapeRef,
        lb: TapeRef,
        ub: TapeRef,
        x: TapeRef,
        logj: u32,
    },
    /// Running sums: `out[i] = inp[0] + ... + inp[i]`.
    CumSum { out: TapeRef, inp: u32 },
    /// Dense Jacobian of `out` with respect to the concatenation of the input
    /// ranges listed (as `off, len` pairs) in `idx` from `inputs`; stored
    /// row-major in `parts` from `jac`.
    Dense {
        out: TapeRef,
        inputs: u32,
        n_inputs: u32,
        jac: u32,
    },
    /// `l = cholesky(a)` for an `n × n` matrix `a` (its lower triangle).
    Cholesky { a: TapeRef, l: TapeRef, n: u32 },
    /// `x = L⁻¹ b` (or `L⁻ᵀ b` when `transposed`) for the lower triangle of
    /// the `n × n` matrix at slot `l` and the `n × (x.len / n)` matrix at `b`.
    TriSolve {
        l: u32,
        b: u32,
        x: TapeRef,
        n: u32,
        transposed: bool,
    },
    /// `x = a⁻¹` for an `n × n` matrix.
    Inverse { a: TapeRef, x: TapeRef, n: u32 },
}

/// Values, adjoints, partials and nodes of one evaluation.
pub struct Tape<T> {
    pub vals: Vec<T>,
    pub adj: Vec<T>,
    pub parts: Vec<T>,
    pub nodes: Vec<Node>,
    pub idx: Vec<u32>,
    /// Whether nodes and partials are recorded (false for value-only evaluation).
    pub record: bool,
    tmp_a: Vec<T>,
    tmp_b: Vec<T>,
    tmp_c: Vec<T>,
    tmp_x: Vec<T>,
    tmp_transform: Vec<T>,
    /// Per-chunk partial sums of data-matrix products (see [`rows`]).
    row_partials: Vec<T>,
}

impl<T: Scalar> Default for Tape<T> {
    fn default() -> Self {
        Tape {
            vals: Vec::new(),
            adj: Vec::new(),
            parts: Vec::new(),
            nodes: Vec::new(),
            idx: Vec::new(),
            record: true,
            tmp_a: Vec::new(),
            tmp_b: Vec::new(),
            tmp_c: Vec::new(),
            tmp_x: Vec::new(),
            tmp_transform: Vec::new(),
            row_partials: Vec::new(),
        }
    }
}

impl<T: Scalar> Tape<T> {
    pub fn clear(&mut self, record: bool) {
        self.vals.clear();
        self.adj.clear();
        self.parts.clear();
        self.nodes.clear();
        self.idx.clear();
        self.record = record;
    }

    /// Appends `n` zero slots.
    pub fn alloc(&mut self, n: usize) -> TapeRef {
        let off = self.vals.len();
        self.vals.resize(off + n, T::zero());
        TapeRef::new(off, n)
    }

    /// Appends one slot holding `v`.
    pub fn push(&mut self, v: T) -> u32 {
        self.vals.push(v);
        (self.vals.len() - 1) as u32
    }

    /// Appends `n` zero partials and returns their offset.
    pub fn alloc_parts(&mut self, n: usize) -> u32 {
        let off = self.parts.len();
        self.parts.resize(off + n, T::zero());
        off as u32
    }

    pub fn node(&mut self, n: Node) {
        if self.record {
            self.nodes.push(n);
        }
    }
}

/// `sum_l a[l] * b[l]` with four independent accumulators (better pipelining
/// for long rows; same result type for any scalar).
#[inline]
pub fn dot_const<T: Scalar>(row: &[f64], v: &[T]) -> T {
    let n = row.len().min(v.len());
    let (rows, vs) = (row[..n].chunks_exact(4), v[..n].chunks_exact(4));
    let (row_rest, v_rest) = (rows.remainder(), vs.remainder());
    let mut s = [T::zero(); 4];
    for (r, x) in rows.zip(vs) {
        for l in 0..4 {
            s[l] += x[l] * r[l];
        }
    }
    for (&r, &x) in row_rest.iter().zip(v_rest) {
        s[0] += x * r;
    }
    (s[0] + s[1]) + (s[2] + s[3])
}

#[cfg(test)]
mod tests {
    use super::dot_const;

    /// Lane l of four sums the elements 4q + l, the tail goes to lane 0,
    /// and the lanes are added pairwise: the order every caller's results
    /// (and their bit-identity across thread counts) rest on. The shorter
    /// of the two slices sets the length.
    #[test]
    fn dot_const_adds_in_four_lanes_in_a_fixed_order() {
        for n in 0..14 {
            let row: Vec<f64> = (0..n).map(|i| 1.0 / (i as f64 + 3.0)).collect();
            let v: Vec<f64> = (0..n + 2).map(|i| (i as f64 * 0.7).sin() * 1e3).collect();
            let mut lanes = [0.0f64; 4];
            for q in 0..n / 4 {
                for (l, lane) in lanes.iter_mut().enumerate() {
                    *lane += v[4 * q + l] * row[4 * q + l];
                }
            }
            for i in 4 * (n / 4)..n {
                lanes[0] += v[i] * row[i];
            }
            let expected = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
            assert_eq!(dot_const(&row, &v).to_bits(), expected.to_bits(), "n = {n}");
        }
    }
}
