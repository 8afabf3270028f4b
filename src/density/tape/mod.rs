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

use crate::density::value::{ConstBufs, ConstRef, TapeRef};
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

    /// Runs the reverse pass with the given seed adjoints already set by
    /// `seed` (called after zeroing); `bufs` resolve constant refs.
    pub fn reverse(&mut self, bufs: ConstBufs<'_>, seed: impl FnOnce(&mut [T])) {
        self.adj.clear();
        self.adj.resize(self.vals.len(), T::zero());
        seed(&mut self.adj);
        let cbuf = |r: ConstRef| -> &[f64] { bufs.get(r) };
        for k in (0..self.nodes.len()).rev() {
            match self.nodes[k] {
                Node::Diag { out, inp, part } => {
                    let (lo, hi) = self.adj.split_at_mut(out.off as usize);
                    let ao = &hi[..out.len as usize];
                    let ai = &mut lo[inp as usize..inp as usize + out.len as usize];
                    match part {
                        Part::One => ai.iter_mut().zip(ao).for_each(|(a, &o)| *a += o),
                        Part::NegOne => ai.iter_mut().zip(ao).for_each(|(a, &o)| *a -= o),
                        Part::ConstScalar(c) => {
                            ai.iter_mut().zip(ao).for_each(|(a, &o)| *a += o * c)
                        }
                        Part::Const(r) => {
                            let p = cbuf(r);
                            for i in 0..ao.len() {
                                ai[i] += ao[i] * p[i];
                            }
                        }
                        Part::Tape(p) => {
                            let p = &self.parts[p as usize..p as usize + ao.len()];
                            for i in 0..ao.len() {
                                ai[i] += ao[i] * p[i];
                            }
                        }
                        Part::TapeValues(p) => {
                            let p = &self.vals[p as usize..p as usize + ao.len()];
                            for i in 0..ao.len() {
                                ai[i] += ao[i] * p[i];
                            }
                        }
                        Part::TapeValue(s) => {
                            let c = self.vals[s as usize];
                            ai.iter_mut().zip(ao).for_each(|(a, &o)| *a += o * c)
                        }
                    }
                }
                Node::Broadcast { out, inp, part } => {
                    let ao = &self.adj[out.range()];
                    let s = match part {
                        Part::One => ao.iter().fold(T::zero(), |s, &o| s + o),
                        Part::NegOne => -ao.iter().fold(T::zero(), |s, &o| s + o),
                        Part::ConstScalar(c) => ao.iter().fold(T::zero(), |s, &o| s + o) * c,
                        Part::Const(r) => {
                            let p = cbuf(r);
                            ao.iter().zip(p).fold(T::zero(), |s, (&o, &p)| s + o * p)
                        }
                        Part::Tape(p) => {
                            let p = &self.parts[p as usize..p as usize + ao.len()];
                            ao.iter().zip(p).fold(T::zero(), |s, (&o, &p)| s + o * p)
                        }
                        Part::TapeValues(p) => {
                            let p = &self.vals[p as usize..p as usize + ao.len()];
                            ao.iter().zip(p).fold(T::zero(), |s, (&o, &p)| s + o * p)
                        }
                        Part::TapeValue(s) => {
                            ao.iter().fold(T::zero(), |s, &o| s + o) * self.vals[s as usize]
                        }
                    };
                    self.adj[inp as usize] += s;
                }
                Node::Reduce { out, inp, part } => {
                    let ao = self.adj[out as usize];
                    let ai = &mut self.adj[inp.range()];
                    match part {
                        Part::One => ai.iter_mut().for_each(|a| *a += ao),
                        Part::NegOne => ai.iter_mut().for_each(|a| *a -= ao),
                        Part::ConstScalar(c) => {
                            let s = ao * c;
                            ai.iter_mut().for_each(|a| *a += s)
                        }
                        Part::Const(r) => {
                            let p = cbuf(r);
                            for i in 0..ai.len() {
                                ai[i] += ao * p[i];
                            }
                        }
                        Part::Tape(p) => {
                            let p = &self.parts[p as usize..p as usize + ai.len()];
                            for i in 0..ai.len() {
                                ai[i] += ao * p[i];
                            }
                        }
                        Part::TapeValues(p) => {
                            let p = &self.vals[p as usize..p as usize + ai.len()];
                            for i in 0..ai.len() {
                                ai[i] += ao * p[i];
                            }
                        }
                        Part::TapeValue(s) => {
                            let c = ao * self.vals[s as usize];
                            ai.iter_mut().for_each(|a| *a += c)
                        }
                    }
                }
                Node::CumSum { out, inp } => {
                    let mut acc = T::zero();
                    for i in (0..out.len as usize).rev() {
                        acc += self.adj[out.off as usize + i];
                        self.adj[inp as usize + i] += acc;
                    }
                }
                Node::Gather { out, idx } => {
                    for j in 0..out.len as usize {
                        let s = self.idx[idx as usize + j] as usize;
                        let o = self.adj[out.off as usize + j];
                        self.adj[s] += o;
                    }
                }
                Node::MatMul { out, a, b, r, k, c } => {
                    self.matmul_reverse(out, a, b, r as usize, k as usize, c as usize, &cbuf);
                }
                Node::Transform {
                    t,
                    u,
                    lb,
                    ub,
                    x,
                    logj,
                } => {
                    self.tmp_a.clear();
                    self.tmp_a.resize(u.len as usize, T::zero());
                    self.tmp_b.clear();
                    self.tmp_b.resize(lb.len as usize, T::zero());
                    self.tmp_c.clear();
                    self.tmp_c.resize(ub.len as usize, T::zero());
                    self.tmp_x.clear();
                    self.tmp_x.extend_from_slice(&self.adj[x.range()]);
                    crate::transform::constrain_vjp(
                        t,
                        &self.vals[u.range()],
                        &self.vals[lb.range()],
                        &self.vals[ub.range()],
                        &self.tmp_x,
                        self.adj[logj as usize],
                        &mut self.tmp_a,
                        &mut self.tmp_b,
                        &mut self.tmp_c,
                    );
                    add_into(&mut self.adj[u.range()], &self.tmp_a);
                    add_into(&mut self.adj[lb.range()], &self.tmp_b);
                    add_into(&mut self.adj[ub.range()], &self.tmp_c);
                }
                Node::Dense {
                    out,
                    inputs,
                    n_inputs,
                    jac,
                } => {
                    let mut col = 0usize;
                    let ncols: usize = (0..n_inputs as usize)
                        .map(|q| self.idx[inputs as usize + 2 * q + 1] as usize)
                        .sum();
                    for q in 0..n_inputs as usize {
                        let off = self.idx[inputs as usize + 2 * q] as usize;
                        let len = self.idx[inputs as usize + 2 * q + 1] as usize;
                        for i in 0..out.len as usize {
                            let ao = self.adj[out.off as usize + i];
                            let row = jac as usize + i * ncols + col;
                            for j in 0..len {
                                let p = self.parts[row + j];
                                self.adj[off + j] += ao * p;
                            }
                        }
                        col += len;
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn matmul_reverse<'d>(
        &mut self,
        out: TapeRef,
        a: MatOperand,
        b: MatOperand,
        r: usize,
        k: usize,
        c: usize,
        cbuf: &impl Fn(ConstRef) -> &'d [f64],
    ) {
        let o0 = out.off as usize;
        // adj_a[i, l] += sum_j adj_out[i, j] b[l, j]
        if let MatOperand::Tape(a0) = a {
            let a0 = a0 as usize;
            for i in 0..r {
                for l in 0..k {
                    let mut s = T::zero();
                    for j in 0..c {
                        let bv = match b {
                            MatOperand::Const(rb) => T::from(cbuf(rb)[l * c + j]),
                            MatOperand::Tape(b0) => self.vals[b0 as usize + l * c + j],
                        };
                        s += self.adj[o0 + i * c + j] * bv;
                    }
                    self.adj[a0 + i * k + l] += s;
                }
            }
        }
        // adj_b[l, j] += sum_i a[i, l] adj_out[i, j]
        if let MatOperand::Tape(b0) = b {
            let b0 = b0 as usize;
            match a {
                MatOperand::Const(ra) if c == 1 => {
                    // The hot path: data matrix times a parameter vector.
                    let am = cbuf(ra);
                    let (lo, hi) = self.adj.split_at_mut(o0);
                    let ab = &mut lo[b0..b0 + k];
                    for i in 0..r {
                        let ao = hi[i];
                        let row = &am[i * k..(i + 1) * k];
                        for (x, &m) in ab.iter_mut().zip(row) {
                            *x += ao * m;
                        }
                    }
                }
                _ => {
                    for i in 0..r {
                        for l in 0..k {
                            let av = match a {
                                MatOperand::Const(ra) => T::from(cbuf(ra)[i * k + l]),
                                MatOperand::Tape(a0) => self.vals[a0 as usize + i * k + l],
                            };
                            for j in 0..c {
                                let ao = self.adj[o0 + i * c + j];
                                self.adj[b0 + l * c + j] += av * ao;
                            }
                        }
                    }
                }
            }
        }
    }
}

fn add_into<T: Scalar>(dst: &mut [T], src: &[T]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// `sum_l a[l] * b[l]` with four independent accumulators (better pipelining
/// for long rows; same result type for any scalar).
#[inline]
pub fn dot_const<T: Scalar>(row: &[f64], v: &[T]) -> T {
    let n = row.len().min(v.len());
    let (mut s0, mut s1, mut s2, mut s3) = (T::zero(), T::zero(), T::zero(), T::zero());
    let chunks = n / 4;
    for q in 0..chunks {
        let i = 4 * q;
        s0 += v[i] * row[i];
        s1 += v[i + 1] * row[i + 1];
        s2 += v[i + 2] * row[i + 2];
        s3 += v[i + 3] * row[i + 3];
    }
    for i in 4 * chunks..n {
        s0 += v[i] * row[i];
    }
    (s0 + s1) + (s2 + s3)
}
