//! Long sums over the rows of data, in fixed chunks, on every core of the
//! current pool, with results that do not depend on the number of threads.
//!
//! Rows are cut into chunks of [`ROW_CHUNK`] whatever the thread count;
//! each chunk is worked through in order by one thread, and the chunks'
//! partial results are added in chunk order. A sum over the rows therefore
//! has the same rounding, bit for bit, on one thread or many. Chunks are
//! spread over threads only on a worker of a pool with more than one
//! thread (a fit's `--threads`): inside the pool that already evaluates a
//! batch of draws, the chunks of one evaluation are stolen by idle workers,
//! so the two levels share the same threads and never oversubscribe them.
//! Everywhere else the chunks run in order on the calling thread.

use super::dot_const;
use crate::scalar::Scalar;
use rayon::prelude::*;

/// Rows per chunk. Fixed, so that chunk boundaries, and with them every
/// rounding, are the same for any number of threads.
pub const ROW_CHUNK: usize = 2048;

/// Whether chunks are spread over the threads of the current pool.
pub fn parallel() -> bool {
    rayon::current_thread_index().is_some() && rayon::current_num_threads() > 1
}

/// `out[i] = a[i, ..] · b` for the row-major data matrix `a` with
/// `out.len()` rows and `b.len()` columns, streaming the rows in order.
pub fn data_mat_vec<T: Scalar>(a: &[f64], b: &[T], out: &mut [T]) {
    let k = b.len();
    let work = |(c, o): (usize, &mut [T])| {
        let lo = c * ROW_CHUNK;
        for (i, oi) in o.iter_mut().enumerate() {
            let row = lo + i;
            *oi = dot_const(&a[row * k..(row + 1) * k], b);
        }
    };
    if out.len() > ROW_CHUNK && parallel() {
        out.par_chunks_mut(ROW_CHUNK).enumerate().for_each(work);
    } else {
        out.chunks_mut(ROW_CHUNK).enumerate().for_each(work);
    }
}

/// `acc += Σ_{i in rows} g[i] a[i, ..]` (one axpy per row, two rows at a
/// time so that `acc` is loaded and stored half as often).
fn add_rows<T: Scalar>(a: &[f64], g: &[T], rows: std::ops::Range<usize>, acc: &mut [T]) {
    let k = acc.len();
    let mut i = rows.start;
    while i + 1 < rows.end {
        let (g0, g1) = (g[i], g[i + 1]);
        let r0 = &a[i * k..(i + 1) * k];
        let r1 = &a[(i + 1) * k..(i + 2) * k];
        for ((x, &m0), &m1) in acc.iter_mut().zip(r0).zip(r1) {
            *x += g0 * m0 + g1 * m1;
        }
        i += 2;
    }
    if i < rows.end {
        let gi = g[i];
        for (x, &m) in acc.iter_mut().zip(&a[i * k..(i + 1) * k]) {
            *x += gi * m;
        }
    }
}

/// `acc += aᵀ g` for the row-major data matrix `a` with `g.len()` rows and
/// `acc.len()` columns: each chunk of rows sums into its own row of
/// `partials`, and those are added to `acc` in chunk order.
pub fn data_mat_t_vec_add<T: Scalar>(a: &[f64], g: &[T], acc: &mut [T], partials: &mut Vec<T>) {
    let (r, k) = (g.len(), acc.len());
    if k == 0 {
        return;
    }
    if r <= ROW_CHUNK {
        // One row at a time, as for any short product.
        for (&gi, row) in g.iter().zip(a.chunks_exact(k)) {
            for (x, &m) in acc.iter_mut().zip(row) {
                *x += gi * m;
            }
        }
        return;
    }
    partials.clear();
    partials.resize(r.div_ceil(ROW_CHUNK) * k, T::zero());
    let work = |(c, p): (usize, &mut [T])| {
        let lo = c * ROW_CHUNK;
        add_rows(a, g, lo..(lo + ROW_CHUNK).min(r), p);
    };
    if parallel() {
        partials.par_chunks_mut(k).enumerate().for_each(work);
    } else {
        partials.chunks_mut(k).enumerate().for_each(work);
    }
    for p in partials.chunks_exact(k) {
        for (x, &v) in acc.iter_mut().zip(p) {
            *x += v;
        }
    }
}
