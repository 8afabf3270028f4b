//! Stan's relative-ELBO stopping rule (advi.hpp): every `eval_every`
//! iterations the relative change |ΔELBO| / max(1, |ELBO|) is pushed into a
//! circular buffer of size max(0.1 · iters / eval_every, 2); the run has
//! converged when the mean or the median of the buffer is below `tol`.
//!
//! Stan starts from a previous ELBO of 0, so its first change is 1 and the
//! rule cannot fire before the third evaluation; ADVI keeps that. `bw` and
//! `fbgvi` instead evaluate the initial q as the baseline and require two
//! changes in the buffer, which amounts to the same minimum of three
//! evaluations. The median is Stan's: the element at index ⌊n/2⌋ of the
//! sorted buffer (the upper middle for even n).

#[derive(Clone, Debug)]
pub(crate) struct RelativeElbo {
    tol: f64,
    buf: Vec<f64>,
    cap: usize,
    head: usize,
    prev: Option<f64>,
    min_entries: usize,
    sorted: Vec<f64>,
    pub last_mean: f64,
    pub last_median: f64,
}

impl RelativeElbo {
    /// `stan_start`: begin from a previous ELBO of 0 as Stan does.
    pub fn new(tol: f64, iters: usize, eval_every: usize, stan_start: bool) -> Self {
        let cap = ((0.1 * iters as f64 / eval_every as f64) as usize).max(2);
        RelativeElbo {
            tol,
            buf: Vec::with_capacity(cap),
            cap,
            head: 0,
            prev: if stan_start { Some(0.0) } else { None },
            min_entries: if stan_start { 1 } else { 2 },
            sorted: Vec::with_capacity(cap),
            last_mean: f64::INFINITY,
            last_median: f64::INFINITY,
        }
    }

    /// Records an ELBO evaluation; true when the rule fires.
    pub fn push(&mut self, elbo: f64) -> bool {
        let Some(prev) = self.prev.replace(elbo) else {
            return false;
        };
        let rel = if elbo.is_finite() && prev.is_finite() {
            (elbo - prev).abs() / elbo.abs().max(1.0)
        } else {
            f64::INFINITY
        };
        if self.buf.len() < self.cap {
            self.buf.push(rel);
        } else {
            self.buf[self.head] = rel;
            self.head = (self.head + 1) % self.cap;
        }
        self.sorted.clear();
        self.sorted.extend_from_slice(&self.buf);
        self.sorted.sort_by(f64::total_cmp);
        self.last_mean = self.buf.iter().sum::<f64>() / self.buf.len() as f64;
        self.last_median = self.sorted[self.sorted.len() / 2];
        self.buf.len() >= self.min_entries
            && (self.last_mean < self.tol || self.last_median < self.tol)
    }

    /// Stan's "may be diverging" condition (checked after 10 evaluations).
    pub fn diverging(&self) -> bool {
        self.last_mean > 0.5 || self.last_median > 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stan_start_needs_three_evaluations() {
        let mut r = RelativeElbo::new(0.01, 10_000, 100, true);
        assert!(!r.push(-100.0)); // change 1 vs the initial 0
        assert!(!r.push(-100.0)); // buffer [1, 0]: mean .5, median (upper) 1
        assert!(r.push(-100.0)); // [1, 0, 0]: median 0
    }

    #[test]
    fn baseline_start_needs_two_changes_and_uses_max_one() {
        let mut r = RelativeElbo::new(0.01, 10_000, 50, false);
        assert!(!r.push(0.3));
        assert!(!r.push(0.305)); // |Δ| / max(1, |ELBO|) = 0.005, one entry only
        assert!(r.push(0.309));
        let mut r = RelativeElbo::new(0.01, 10_000, 50, false);
        r.push(-10.0);
        r.push(-5.0);
        assert!(!r.push(-4.0));
        assert!(r.diverging());
    }
}
