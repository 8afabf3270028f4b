//! Evaluating a batch of Monte Carlo samples on several threads, reproducibly.
//!
//! Samples are split into contiguous chunks, one per thread, each with its
//! own [`Target::Workspace`] and preallocated per-sample buffers. Every
//! sample's noise comes from its own random stream and its results land in
//! its own slots, and callers reduce over samples in index order, so the
//! outcome does not depend on the number of threads. Nothing is allocated
//! per batch once the buffers have their capacity.
//!
//! A target may split one evaluation further (the density engine cuts long
//! sums over data rows into fixed chunks): it does so on the pool the batch
//! runs in, so a worker that has finished its samples takes chunks of the
//! other's evaluation, the pool's threads are never oversubscribed, and
//! since those chunks do not depend on the thread count either, neither
//! do the results.

use super::Target;
use rayon::prelude::*;

/// Per-sample buffers of one chunk.
pub(crate) struct Chunk<W> {
    ws: W,
    start: usize,
    len: usize,
    eps: Vec<f64>,
    x: Vec<f64>,
    logp: Vec<f64>,
    gradp: Vec<f64>,
    logq: Vec<f64>,
    score: Vec<f64>,
    hess: Vec<f64>,
    scratch: Vec<f64>,
}

/// Mutable view of one sample's slots, handed to the per-sample closure.
pub(crate) struct SampleMut<'a> {
    pub eps: &'a mut [f64],
    pub x: &'a mut [f64],
    pub logp: &'a mut f64,
    pub gradp: &'a mut [f64],
    pub logq: &'a mut f64,
    pub score: &'a mut [f64],
    pub hess: &'a mut [f64],
    pub scratch: &'a mut [f64],
}

/// Read-only view of one evaluated sample.
#[derive(Clone, Copy)]
pub(crate) struct SampleRef<'a> {
    pub eps: &'a [f64],
    pub x: &'a [f64],
    pub logp: f64,
    pub gradp: &'a [f64],
    pub logq: f64,
    pub score: &'a [f64],
    pub hess: &'a [f64],
}

pub(crate) struct Batch<'t, T: Target> {
    target: &'t T,
    pool: Option<rayon::ThreadPool>,
    chunks: Vec<Chunk<T::Workspace>>,
    d: usize,
    /// Length of one draw's noise (d, or d + R for the low-rank family).
    noise: usize,
    n: usize,
    per_chunk: usize,
    cap_per_chunk: usize,
    scratch_len: usize,
    hessians: bool,
}

impl<'t, T: Target> Batch<'t, T> {
    /// Buffers for up to `capacity` samples on `threads` threads;
    /// `hessians` reserves room for a d × d Hessian per sample.
    pub fn new(
        target: &'t T,
        threads: usize,
        capacity: usize,
        scratch_len: usize,
        hessians: bool,
    ) -> Result<Self, String> {
        let threads = threads.max(1);
        let pool = if threads > 1 {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .map_err(|e| format!("could not start {threads} worker threads: {e}"))?,
            )
        } else {
            None
        };
        let d = target.dim();
        let mut b = Batch {
            target,
            pool,
            chunks: (0..threads)
                .map(|_| Chunk {
                    ws: target.workspace(),
                    start: 0,
                    len: 0,
                    eps: Vec::new(),
                    x: Vec::new(),
                    logp: Vec::new(),
                    gradp: Vec::new(),
                    logq: Vec::new(),
                    score: Vec::new(),
                    hess: Vec::new(),
                    scratch: Vec::new(),
                })
                .collect(),
            d,
            noise: d,
            n: 0,
            per_chunk: 0,
            cap_per_chunk: 0,
            scratch_len,
            hessians,
        };
        b.reserve(capacity);
        Ok(b)
    }

    /// Grows the buffers to hold `capacity` samples (allocates only when
    /// growing).
    pub fn reserve(&mut self, capacity: usize) {
        let per = capacity.div_ceil(self.chunks.len()).max(1);
        if per <= self.cap_per_chunk {
            return;
        }
        self.cap_per_chunk = per;
        let d = self.d;
        let hd = if self.hessians { d * d } else { 0 };
        for c in &mut self.chunks {
            c.eps.resize(per * self.noise, 0.0);
            c.x.resize(per * d, 0.0);
            c.logp.resize(per, 0.0);
            c.gradp.resize(per * d, 0.0);
            c.logq.resize(per, 0.0);
            c.score.resize(per * d, 0.0);
            c.hess.resize(per * hd, 0.0);
            c.scratch.resize(self.scratch_len.max(1), 0.0);
        }
    }

    /// Draws with `len` noise numbers each (the family's
    /// [`noise_len`](super::family::Family::noise_len)).
    pub fn with_noise_len(mut self, len: usize) -> Self {
        if len != self.noise {
            self.noise = len;
            let capacity = self.cap_per_chunk * self.chunks.len();
            self.cap_per_chunk = 0;
            self.reserve(capacity);
        }
        self
    }

    /// The target the batch evaluates.
    pub fn target(&self) -> &'t T {
        self.target
    }

    /// Number of samples of the last batch.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Evaluates samples 0..n: `f(i, target, workspace, slots)` for each,
    /// in parallel.
    pub fn run<F>(&mut self, n: usize, f: F)
    where
        F: Fn(usize, &T, &mut T::Workspace, SampleMut<'_>) + Sync,
    {
        self.reserve(n);
        self.n = n;
        let nc = self.chunks.len();
        self.per_chunk = n.div_ceil(nc).max(1);
        let per = self.per_chunk;
        let (d, m) = (self.d, self.noise);
        let hd = if self.hessians { d * d } else { 0 };
        for (c, chunk) in self.chunks.iter_mut().enumerate() {
            chunk.start = (c * per).min(n);
            chunk.len = ((c + 1) * per).min(n) - chunk.start;
        }
        let target = self.target;
        let work = |chunk: &mut Chunk<T::Workspace>| {
            for j in 0..chunk.len {
                let s = SampleMut {
                    eps: &mut chunk.eps[j * m..(j + 1) * m],
                    x: &mut chunk.x[j * d..(j + 1) * d],
                    logp: &mut chunk.logp[j],
                    gradp: &mut chunk.gradp[j * d..(j + 1) * d],
                    logq: &mut chunk.logq[j],
                    score: &mut chunk.score[j * d..(j + 1) * d],
                    hess: &mut chunk.hess[j * hd..(j + 1) * hd],
                    scratch: &mut chunk.scratch[..],
                };
                f(chunk.start + j, target, &mut chunk.ws, s);
            }
        };
        match &self.pool {
            Some(pool) => pool.install(|| self.chunks.par_iter_mut().for_each(work)),
            None => self.chunks.iter_mut().for_each(work),
        }
    }

    /// Sample i of the last batch.
    pub fn get(&self, i: usize) -> SampleRef<'_> {
        let c = &self.chunks[i / self.per_chunk];
        let j = i - c.start;
        let (d, m) = (self.d, self.noise);
        let hd = if self.hessians { d * d } else { 0 };
        SampleRef {
            eps: &c.eps[j * m..(j + 1) * m],
            x: &c.x[j * d..(j + 1) * d],
            logp: c.logp[j],
            gradp: &c.gradp[j * d..(j + 1) * d],
            logq: c.logq[j],
            score: &c.score[j * d..(j + 1) * d],
            hess: &c.hess[j * hd..(j + 1) * hd],
        }
    }

    /// A workspace for serial work between batches (e.g. a Hessian at the
    /// mean).
    pub fn workspace(&mut self) -> &mut T::Workspace {
        &mut self.chunks[0].ws
    }
}
