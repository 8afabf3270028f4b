//! L-BFGS with a strong-Wolfe line search (Nocedal & Wright, Algorithms 3.5,
//! 3.6 and 7.4), used to find the posterior mode for `init = map`.
//!
//! Log densities of real models are −∞ or NaN in places (a scale that
//! underflows, a rate that overflows): a trial point with a non-finite value
//! is treated as "too far" and the step is shortened, never accepted. A
//! density that keeps increasing along a direction (an improper posterior,
//! a funnel without a mode) is reported as `Unbounded` instead of being
//! followed forever.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Converged,
    MaxIterations,
    LineSearchFailed,
    Unbounded,
    Interrupted,
}

pub(crate) struct Outcome {
    pub x: Vec<f64>,
    /// Objective value (the negative log density).
    pub f: f64,
    pub grad: Vec<f64>,
    pub iterations: usize,
    pub evals: usize,
    pub status: Status,
}

const C1: f64 = 1e-4;
const C2: f64 = 0.9;
const HISTORY: usize = 10;

/// Minimizes `fg` (value, gradient into the slice) from `x0`. `progress`
/// is told every accepted iterate (iteration, value, point, gradient) and
/// returns false to stop.
pub(crate) fn minimize(
    mut fg: impl FnMut(&[f64], &mut [f64]) -> f64,
    x0: &[f64],
    max_iter: usize,
    mut progress: impl FnMut(usize, f64, &[f64], &[f64]) -> bool,
) -> Outcome {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut evals = 1;
    let mut f = fg(&x, &mut g);
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Outcome {
            x,
            f,
            grad: g,
            iterations: 0,
            evals,
            status: Status::LineSearchFailed,
        };
    }
    let mut history = History::new(n);
    let mut p = vec![0.0; n];
    let mut xt = vec![0.0; n];
    let mut gt = vec![0.0; n];
    let mut status = Status::MaxIterations;
    let mut iter = 0;
    while iter < max_iter {
        iter += 1;
        if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) <= 1e-8 {
            status = Status::Converged;
            break;
        }
        let dphi0 = history.descent_direction(&g, &mut p);
        let ls = line_search(&mut fg, &x, f, dphi0, &p, &mut xt, &mut gt, &mut evals);
        let Some((alpha, ft)) = ls else {
            status = Status::LineSearchFailed;
            break;
        };
        if ft == f64::NEG_INFINITY || alpha >= 1e10 || xt.iter().any(|v| v.abs() > 1e12) {
            x.copy_from_slice(&xt);
            f = ft;
            g.copy_from_slice(&gt);
            status = Status::Unbounded;
            break;
        }
        history.push(&x, &xt, &g, &gt);
        let f_prev = f;
        let step_norm = (0..n).map(|i| (xt[i] - x[i]).abs()).fold(0.0f64, f64::max);
        x.copy_from_slice(&xt);
        g.copy_from_slice(&gt);
        f = ft;
        if !progress(iter, f, &x, &g) {
            status = Status::Interrupted;
            break;
        }
        let rel = (f_prev - f).abs() / f_prev.abs().max(f.abs()).max(1.0);
        if rel < 1e4 * f64::EPSILON || step_norm < 1e-12 {
            status = Status::Converged;
            break;
        }
    }
    Outcome {
        x,
        f,
        grad: g,
        iterations: iter,
        evals,
        status,
    }
}

/// The last [`HISTORY`] steps s and gradient changes y, a circular buffer
/// from which the two-loop recursion applies the inverse-Hessian estimate.
struct History {
    s: Vec<Vec<f64>>,
    y: Vec<Vec<f64>>,
    rho: [f64; HISTORY],
    alpha: [f64; HISTORY],
    stored: usize,
    newest: usize,
}

impl History {
    fn new(n: usize) -> History {
        History {
            s: vec![vec![0.0; n]; HISTORY],
            y: vec![vec![0.0; n]; HISTORY],
            rho: [0.0; HISTORY],
            alpha: [0.0; HISTORY],
            stored: 0,
            newest: 0,
        }
    }

    /// p = −H g by the two-loop recursion (−g, scaled, when that is not a
    /// descent direction); returns the directional derivative gᵀp.
    fn descent_direction(&mut self, g: &[f64], p: &mut [f64]) -> f64 {
        p.copy_from_slice(g);
        for back in 0..self.stored {
            let j = (self.newest + HISTORY - back) % HISTORY;
            let a = self.rho[j] * dot(&self.s[j], p);
            self.alpha[j] = a;
            for (pi, yi) in p.iter_mut().zip(&self.y[j]) {
                *pi -= a * yi;
            }
        }
        let gamma = if self.stored > 0 {
            let j = self.newest;
            dot(&self.s[j], &self.y[j]) / dot(&self.y[j], &self.y[j])
        } else {
            1.0 / g.iter().map(|v| v * v).sum::<f64>().sqrt().max(1.0)
        };
        for pi in p.iter_mut() {
            *pi *= gamma;
        }
        for fwd in (0..self.stored).rev() {
            let j = (self.newest + HISTORY - fwd) % HISTORY;
            let b = self.rho[j] * dot(&self.y[j], p);
            for (pi, si) in p.iter_mut().zip(&self.s[j]) {
                *pi += (self.alpha[j] - b) * si;
            }
        }
        for pi in p.iter_mut() {
            *pi = -*pi;
        }
        let dphi0 = dot(g, p);
        if dphi0 < 0.0 {
            return dphi0;
        }
        // Not a descent direction (numerical trouble): restart with −g.
        self.stored = 0;
        for (pi, gi) in p.iter_mut().zip(g) {
            *pi = -gi / g.iter().map(|v| v * v).sum::<f64>().sqrt().max(1.0);
        }
        dot(g, p)
    }

    /// Records the step from x (gradient g) to xt (gradient gt), unless
    /// the curvature condition sᵀy > 0 fails.
    fn push(&mut self, x: &[f64], xt: &[f64], g: &[f64], gt: &[f64]) {
        let next = (self.newest + 1) % HISTORY;
        let mut sy = 0.0;
        for i in 0..x.len() {
            self.s[next][i] = xt[i] - x[i];
            self.y[next][i] = gt[i] - g[i];
            sy += self.s[next][i] * self.y[next][i];
        }
        if sy > 1e-300 {
            self.rho[next] = 1.0 / sy;
            self.newest = next;
            self.stored = (self.stored + 1).min(HISTORY);
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Strong-Wolfe line search along p from x; on success `xt`, `gt` hold the
/// accepted point and (α, f) is returned.
#[allow(clippy::too_many_arguments)]
fn line_search(
    fg: &mut impl FnMut(&[f64], &mut [f64]) -> f64,
    x: &[f64],
    f0: f64,
    dphi0: f64,
    p: &[f64],
    xt: &mut [f64],
    gt: &mut [f64],
    evals: &mut usize,
) -> Option<(f64, f64)> {
    let mut eval = |a: f64, xt: &mut [f64], gt: &mut [f64]| -> (f64, f64) {
        for i in 0..x.len() {
            xt[i] = x[i] + a * p[i];
        }
        *evals += 1;
        let v = fg(xt, gt);
        if v.is_nan() || v == f64::INFINITY || gt.iter().any(|g| !g.is_finite()) {
            (f64::INFINITY, f64::NAN)
        } else {
            (v, dot(gt, p))
        }
    };
    // Best Armijo point seen, as a fallback.
    let mut best: Option<(f64, f64)> = None;
    let (mut a_prev, mut f_prev, mut d_prev) = (0.0, f0, dphi0);
    let mut a = 1.0;
    let mut a_bad = f64::INFINITY; // smallest step known to be non-finite
    for i in 0..60 {
        let (fa, da) = eval(a, xt, gt);
        if !fa.is_finite() && fa != f64::NEG_INFINITY {
            a_bad = a_bad.min(a);
            a = a_prev + 0.5 * (a - a_prev);
            if a - a_prev < 1e-16 * a.max(1.0) {
                break;
            }
            continue;
        }
        if fa == f64::NEG_INFINITY {
            return Some((a, fa));
        }
        if fa <= f0 + C1 * a * dphi0 && best.is_none_or(|(_, fb)| fa < fb) {
            best = Some((a, fa));
        }
        if fa > f0 + C1 * a * dphi0 || (i > 0 && fa >= f_prev) {
            return zoom(
                &mut eval,
                f0,
                dphi0,
                (a_prev, f_prev, d_prev),
                (a, fa),
                xt,
                gt,
                best,
            );
        }
        if da.abs() <= -C2 * dphi0 {
            return Some((a, fa));
        }
        if da >= 0.0 {
            return zoom(
                &mut eval,
                f0,
                dphi0,
                (a, fa, da),
                (a_prev, f_prev),
                xt,
                gt,
                best,
            );
        }
        a_prev = a;
        f_prev = fa;
        d_prev = da;
        if a >= 1e10 {
            return Some((a, fa));
        }
        a = if a_bad.is_finite() {
            0.5 * (a + a_bad)
        } else {
            (4.0 * a).min(1e10)
        };
    }
    finish(&mut eval, best, xt, gt)
}

fn finish(
    eval: &mut impl FnMut(f64, &mut [f64], &mut [f64]) -> (f64, f64),
    best: Option<(f64, f64)>,
    xt: &mut [f64],
    gt: &mut [f64],
) -> Option<(f64, f64)> {
    let (a, _) = best?;
    let (fa, _) = eval(a, xt, gt);
    Some((a, fa))
}

#[allow(clippy::too_many_arguments)]
fn zoom(
    eval: &mut impl FnMut(f64, &mut [f64], &mut [f64]) -> (f64, f64),
    f0: f64,
    dphi0: f64,
    lo: (f64, f64, f64),
    hi: (f64, f64),
    xt: &mut [f64],
    gt: &mut [f64],
    mut best: Option<(f64, f64)>,
) -> Option<(f64, f64)> {
    let (mut a_lo, mut f_lo, mut d_lo) = lo;
    let (mut a_hi, mut f_hi) = hi;
    for _ in 0..40 {
        let width = a_hi - a_lo;
        if width.abs() < 1e-16 * a_lo.abs().max(1e-16) {
            break;
        }
        // Quadratic interpolation from (f_lo, d_lo, f_hi), safeguarded.
        let mut a = if f_hi.is_finite() {
            let denom = 2.0 * (f_hi - f_lo - d_lo * width);
            if denom > 0.0 {
                a_lo - d_lo * width * width / denom
            } else {
                a_lo + 0.5 * width
            }
        } else {
            a_lo + 0.5 * width
        };
        let (l, h) = if a_lo < a_hi {
            (a_lo, a_hi)
        } else {
            (a_hi, a_lo)
        };
        let margin = 0.1 * (h - l);
        if !(a > l + margin && a < h - margin) {
            a = a_lo + 0.5 * width;
        }
        let (fa, da) = eval(a, xt, gt);
        if !fa.is_finite() {
            a_hi = a;
            f_hi = f64::INFINITY;
            continue;
        }
        if fa <= f0 + C1 * a * dphi0 && best.is_none_or(|(_, fb)| fa < fb) {
            best = Some((a, fa));
        }
        if fa > f0 + C1 * a * dphi0 || fa >= f_lo {
            a_hi = a;
            f_hi = fa;
        } else {
            if da.abs() <= -C2 * dphi0 {
                return Some((a, fa));
            }
            if da * (a_hi - a_lo) >= 0.0 {
                a_hi = a_lo;
                f_hi = f_lo;
            }
            a_lo = a;
            f_lo = fa;
            d_lo = da;
        }
    }
    finish(eval, best, xt, gt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosenbrock_minimum() {
        let fg = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let out = minimize(fg, &[-1.2, 1.0], 1000, |_, _, _, _| true);
        assert_eq!(out.status, Status::Converged);
        assert!((out.x[0] - 1.0).abs() < 1e-6 && (out.x[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn non_finite_regions_are_avoided() {
        // f = x − log(x) on x > 0, +∞ elsewhere: minimum at 1.
        let fg = |x: &[f64], g: &mut [f64]| {
            if x[0] <= 0.0 {
                g[0] = f64::NAN;
                return f64::NAN;
            }
            g[0] = 1.0 - 1.0 / x[0];
            x[0] - x[0].ln()
        };
        let out = minimize(fg, &[20.0], 200, |_, _, _, _| true);
        assert_eq!(out.status, Status::Converged);
        assert!((out.x[0] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn unbounded_direction_is_reported() {
        // f = −x: no minimum.
        let fg = |x: &[f64], g: &mut [f64]| {
            g[0] = -1.0;
            -x[0]
        };
        let out = minimize(fg, &[0.0], 500, |_, _, _, _| true);
        assert_eq!(out.status, Status::Unbounded);
    }
}
