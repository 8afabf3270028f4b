//! The reverse pass: adjoints pushed back through the nodes, newest first,
//! one step per node kind.

use super::{MatOperand, Node, Part, Tape};
use crate::density::value::{ConstBufs, TapeRef};
use crate::scalar::Scalar;
use crate::transform::{self, Transform};

impl<T: Scalar> Tape<T> {
    /// Runs the reverse pass with the given seed adjoints already set by
    /// `seed` (called after zeroing); `bufs` resolve constant refs. Each
    /// node kind pushes its adjoints back in its own step below.
    pub fn reverse(&mut self, bufs: ConstBufs<'_>, seed: impl FnOnce(&mut [T])) {
        self.adj.clear();
        self.adj.resize(self.vals.len(), T::zero());
        seed(&mut self.adj);
        for k in (0..self.nodes.len()).rev() {
            match self.nodes[k] {
                Node::Diag { out, inp, part } => self.diag_reverse(out, inp, part, &bufs),
                Node::Broadcast { out, inp, part } => self.broadcast_reverse(out, inp, part, &bufs),
                Node::Reduce { out, inp, part } => self.reduce_reverse(out, inp, part, &bufs),
                Node::CumSum { out, inp } => self.cumsum_reverse(out, inp),
                Node::Gather { out, idx } => self.gather_reverse(out, idx),
                Node::MatMul { out, a, b, r, k, c } => {
                    self.matmul_reverse(out, a, b, r as usize, k as usize, c as usize, &bufs)
                }
                Node::Transform {
                    t,
                    u,
                    lb,
                    ub,
                    x,
                    logj,
                } => self.transform_reverse(t, u, lb, ub, x, logj),
                Node::Dense {
                    out,
                    inputs,
                    n_inputs,
                    jac,
                } => self.dense_reverse(out, inputs, n_inputs, jac),
                Node::Cholesky { a, l, n } => self.cholesky_reverse(a, l, n as usize),
                Node::TriSolve {
                    l,
                    b,
                    x,
                    n,
                    transposed,
                } => self.tri_solve_reverse(l as usize, b as usize, x, n as usize, transposed),
                Node::Inverse { a, x, n } => self.inverse_reverse(a, x, n as usize),
            }
        }
    }

    /// `out[i]` depends on `inp[i]`.
    #[inline(always)]
    fn diag_reverse(&mut self, out: TapeRef, inp: u32, part: Part, bufs: &ConstBufs<'_>) {
        let (lo, hi) = self.adj.split_at_mut(out.off as usize);
        let ao = &hi[..out.len as usize];
        let ai = &mut lo[inp as usize..inp as usize + out.len as usize];
        match part {
            Part::One => ai.iter_mut().zip(ao).for_each(|(a, &o)| *a += o),
            Part::NegOne => ai.iter_mut().zip(ao).for_each(|(a, &o)| *a -= o),
            Part::ConstScalar(c) => ai.iter_mut().zip(ao).for_each(|(a, &o)| *a += o * c),
            Part::Const(r) => {
                let p = bufs.get(r);
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

    /// Every `out[i]` depends on the one slot `inp`.
    #[inline(always)]
    fn broadcast_reverse(&mut self, out: TapeRef, inp: u32, part: Part, bufs: &ConstBufs<'_>) {
        let ao = &self.adj[out.range()];
        let s = match part {
            Part::One => ao.iter().fold(T::zero(), |s, &o| s + o),
            Part::NegOne => -ao.iter().fold(T::zero(), |s, &o| s + o),
            Part::ConstScalar(c) => ao.iter().fold(T::zero(), |s, &o| s + o) * c,
            Part::Const(r) => {
                let p = bufs.get(r);
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
            Part::TapeValue(s) => ao.iter().fold(T::zero(), |s, &o| s + o) * self.vals[s as usize],
        };
        self.adj[inp as usize] += s;
    }

    /// The one slot `out` depends on every `inp[i]`.
    #[inline(always)]
    fn reduce_reverse(&mut self, out: u32, inp: TapeRef, part: Part, bufs: &ConstBufs<'_>) {
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
                let p = bufs.get(r);
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

    /// Running sums.
    #[inline(always)]
    fn cumsum_reverse(&mut self, out: TapeRef, inp: u32) {
        let mut acc = T::zero();
        for i in (0..out.len as usize).rev() {
            acc += self.adj[out.off as usize + i];
            self.adj[inp as usize + i] += acc;
        }
    }

    /// `out[k] = slot idx[k]`.
    #[inline(always)]
    fn gather_reverse(&mut self, out: TapeRef, idx: u32) {
        for j in 0..out.len as usize {
            let s = self.idx[idx as usize + j] as usize;
            let o = self.adj[out.off as usize + j];
            self.adj[s] += o;
        }
    }

    /// A parameter transform: the vector–Jacobian product of `constrain`.
    #[inline(always)]
    fn transform_reverse(
        &mut self,
        t: Transform,
        u: TapeRef,
        lb: TapeRef,
        ub: TapeRef,
        x: TapeRef,
        logj: u32,
    ) {
        self.tmp_a.clear();
        self.tmp_a.resize(u.len as usize, T::zero());
        self.tmp_b.clear();
        self.tmp_b.resize(lb.len as usize, T::zero());
        self.tmp_c.clear();
        self.tmp_c.resize(ub.len as usize, T::zero());
        self.tmp_x.clear();
        self.tmp_x.extend_from_slice(&self.adj[x.range()]);
        transform::constrain_vjp(
            t,
            &self.vals[u.range()],
            &self.vals[lb.range()],
            &self.vals[ub.range()],
            &self.tmp_x,
            self.adj[logj as usize],
            &mut self.tmp_a,
            &mut self.tmp_b,
            &mut self.tmp_c,
            &mut self.tmp_transform,
        );
        add_into(&mut self.adj[u.range()], &self.tmp_a);
        add_into(&mut self.adj[lb.range()], &self.tmp_b);
        add_into(&mut self.adj[ub.range()], &self.tmp_c);
    }

    /// A dense Jacobian over several input ranges.
    #[inline(always)]
    fn dense_reverse(&mut self, out: TapeRef, inputs: u32, n_inputs: u32, jac: u32) {
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

    #[allow(clippy::too_many_arguments)]
    fn matmul_reverse<'d>(
        &mut self,
        out: TapeRef,
        a: MatOperand,
        b: MatOperand,
        r: usize,
        k: usize,
        c: usize,
        bufs: &ConstBufs<'d>,
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
                            MatOperand::Const(rb) => T::from(bufs.get(rb)[l * c + j]),
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
                    let am = bufs.get(ra);
                    let (lo, hi) = self.adj.split_at_mut(o0);
                    super::rows::data_mat_t_vec_add(
                        &am[..r * k],
                        &hi[..r],
                        &mut lo[b0..b0 + k],
                        &mut self.row_partials,
                    );
                }
                _ => {
                    for i in 0..r {
                        for l in 0..k {
                            let av = match a {
                                MatOperand::Const(ra) => T::from(bufs.get(ra)[i * k + l]),
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
