//! A vectorised log density over many rows, summed in the fixed chunks of
//! [`rows`]: each chunk runs the distribution's own slice kernel on its
//! rows (writing the per-row partials in place, and its own partial sums
//! for the broadcast arguments), and the chunks' sums are added in chunk
//! order, so the value and the partials are bit-identical for any number
//! of threads.

use crate::density::tape::rows::{self, ROW_CHUNK};
use crate::dist::{Arg, Univariate};
use crate::scalar::{MAX_ARITY, Scalar};

/// Per-row slices (of partials or values), one per argument, or none.
pub(super) type Blocks<'p, T, const B: usize> = [Option<&'p mut [T]>; B];

/// The rows `lo..hi` of an argument (broadcast arguments as they are).
pub(super) fn rows_of<'a, T: Copy>(a: &Arg<'a, T>, lo: usize, hi: usize) -> Arg<'a, T> {
    match *a {
        Arg::Slice(s) => Arg::Slice(&s[lo..hi]),
        Arg::ConstSlice(s) => Arg::ConstSlice(&s[lo..hi]),
        other => other,
    }
}

/// Runs `work(chunk, blocks, sums)` for every chunk of `n` rows: `blocks`
/// cut to the chunk's rows, `sums` to its `stride` entries. Halves are
/// split until one chunk is left, side by side on the pool's workers when
/// [`rows::parallel`], in order otherwise.
pub(super) fn for_each_chunk<'p, T: Scalar, const B: usize, F>(
    n: usize,
    blocks: Blocks<'p, T, B>,
    sums: &'p mut [T],
    stride: usize,
    work: &F,
) where
    F: Fn(usize, &mut Blocks<'_, T, B>, &mut [T]) + Sync,
{
    let chunks = n.div_ceil(ROW_CHUNK);
    split(0, chunks, blocks, sums, stride, rows::parallel(), work);
}

fn split<'p, T: Scalar, const B: usize, F>(
    c0: usize,
    c1: usize,
    mut blocks: Blocks<'p, T, B>,
    sums: &'p mut [T],
    stride: usize,
    parallel: bool,
    work: &F,
) where
    F: Fn(usize, &mut Blocks<'_, T, B>, &mut [T]) + Sync,
{
    if c1 - c0 == 1 {
        work(c0, &mut blocks, sums);
        return;
    }
    let mid = c0 + (c1 - c0) / 2;
    let rows_left = (mid - c0) * ROW_CHUNK;
    let mut left: Blocks<'p, T, B> = std::array::from_fn(|_| None);
    let mut right: Blocks<'p, T, B> = std::array::from_fn(|_| None);
    for (j, block) in blocks.iter_mut().enumerate() {
        if let Some(block) = block.take() {
            let (a, b) = block.split_at_mut(rows_left);
            left[j] = Some(a);
            right[j] = Some(b);
        }
    }
    let (sums_left, sums_right) = sums.split_at_mut((mid - c0) * stride);
    if parallel {
        rayon::join(
            || split(c0, mid, left, sums_left, stride, parallel, work),
            || split(mid, c1, right, sums_right, stride, parallel, work),
        );
    } else {
        split(c0, mid, left, sums_left, stride, parallel, work);
        split(mid, c1, right, sums_right, stride, parallel, work);
    }
}

/// The partials a slice kernel writes: the per-row blocks, and for each
/// broadcast argument `j` (where `broadcast[j]`) its own entry of `slots`.
pub(super) fn partials<'s, T, const B: usize>(
    per_row: &'s mut Blocks<'_, T, B>,
    slots: &'s mut [T],
    broadcast: &[bool; MAX_ARITY],
) -> Blocks<'s, T, MAX_ARITY> {
    let mut d: Blocks<'s, T, MAX_ARITY> = std::array::from_fn(|_| None);
    for (dj, block) in d.iter_mut().zip(per_row.iter_mut()) {
        *dj = block.as_deref_mut();
    }
    for (j, slot) in slots.chunks_mut(1).enumerate() {
        if broadcast[j] {
            d[j] = Some(slot);
        }
    }
    d
}

/// `D::lpdf_sum` over `n > ROW_CHUNK` rows with the partials `d` (as that
/// function takes them: overwritten, one entry for a broadcast argument,
/// one per row otherwise); `sums` is working memory, grown only.
pub(super) fn lpdf_sum_in_chunks<D: Univariate, T: Scalar>(
    args: &[Arg<'_, T>],
    n: usize,
    mut d: Blocks<'_, T, MAX_ARITY>,
    sums: &mut Vec<T>,
) -> T {
    let k = args.len();
    let stride = 1 + k;
    let chunks = n.div_ceil(ROW_CHUNK);
    sums.clear();
    sums.resize(chunks * stride, T::zero());
    let mut per_row: Blocks<'_, T, MAX_ARITY> = std::array::from_fn(|_| None);
    let mut broadcast = [false; MAX_ARITY];
    for j in 0..k {
        if args[j].is_broadcast() {
            broadcast[j] = d[j].is_some();
        } else {
            per_row[j] = d[j].take();
        }
    }
    let work = |c: usize, per_row: &mut Blocks<'_, T, MAX_ARITY>, sums: &mut [T]| {
        let lo = c * ROW_CHUNK;
        let hi = (lo + ROW_CHUNK).min(n);
        let chunk_args: [Arg<'_, T>; MAX_ARITY] = std::array::from_fn(|j| {
            if j < k {
                rows_of(&args[j], lo, hi)
            } else {
                Arg::Const(0.0)
            }
        });
        let (lp, rest) = sums.split_first_mut().expect("a chunk's sums");
        let mut d = partials(per_row, rest, &broadcast);
        *lp = D::lpdf_sum(&chunk_args[..k], hi - lo, &mut d[..k]);
    };
    for_each_chunk(n, per_row, sums, stride, &work);
    let mut lp = T::zero();
    for c in 0..chunks {
        lp += sums[c * stride];
    }
    for j in 0..k {
        if let (true, Some(dj)) = (broadcast[j], d[j].as_mut()) {
            let mut s = T::zero();
            for c in 0..chunks {
                s += sums[c * stride + 1 + j];
            }
            dj[0] = s;
        }
    }
    lp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks run on both workers of a two-thread pool, and in order on the
    /// calling thread outside any pool.
    #[test]
    fn chunks_spread_over_the_workers_of_a_pool() {
        let n = 16 * ROW_CHUNK;
        let run = || {
            let mut sums = vec![-1.0f64; 16];
            let work = |_c: usize, _b: &mut Blocks<'_, f64, 1>, s: &mut [f64]| {
                std::thread::sleep(std::time::Duration::from_millis(2));
                s[0] = rayon::current_thread_index().map_or(-1.0, |i| i as f64);
            };
            for_each_chunk(n, [None], &mut sums, 1, &work);
            sums
        };
        assert!(!rows::parallel());
        assert!(run().iter().all(|&t| t == -1.0));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a pool");
        let seen = pool.install(run);
        assert!(seen.contains(&0.0) && seen.contains(&1.0), "{seen:?}");
    }
}
