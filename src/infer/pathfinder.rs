//! A start that needs no mode: the Gaussians read off an L-BFGS path
//! (single-path Pathfinder, Zhang, Carpenter, Gelman & Vehtari 2022).
//!
//! Hierarchical and latent-variable posteriors often have no mode (the
//! density grows without bound as a scale goes to 0) or a useless one (a
//! spike at a degenerate boundary). The mode search still walks through
//! the bulk of the posterior on its way there. At points of that walk the
//! quasi-Newton pairs (s, y) give an inverse-Hessian estimate
//!
//! H = D + B C Bᵀ, B = [S, D Y] (d × 2m),
//! C = [[R⁻ᵀ (E + Yᵀ D Y) R⁻¹, −R⁻ᵀ], [−R⁻¹, 0]]
//!
//! (the compact L-BFGS form of Byrd, Nocedal & Schnabel 1994, with R the
//! upper triangle of Sᵀ Y and E its diagonal), and the diagonal D is carried
//! along the whole path by the diagonal update of Gilbert & Lemaréchal
//! (1989, eq. 4.9). The Gaussian at a point x with gradient g of log π̃ is
//! N(x + H g, H); the one with the largest ELBO estimate is kept.
//!
//! Everything is O(d m²) per point: with W = D^{-½} B = Q R̃ (thin QR),
//! H = D^{½} (I + Q (M − I) Qᵀ) D^{½} with M = I + R̃ C R̃ᵀ, so
//! A = D^{½} (I + Q (L_M − I) Qᵀ), L_M = chol(M), is a square root of H and
//! log det H = Σ log D + 2 log det L_M. Draws and log q need no d × d matrix;
//! only the kept Gaussian's scale is formed densely.

use super::Target;
use super::linalg::dot;
use crate::random::stream;
use rand_distr::{Distribution, StandardNormal};

/// Quasi-Newton pairs kept (Pathfinder's default history).
const PAIRS: usize = 6;
/// Draws for each point's ELBO estimate.
pub(crate) const ELBO_DRAWS: usize = 16;

/// A Gaussian N(mean, A Aᵀ) in the factored form above.
pub(crate) struct PathGaussian {
    pub mean: Vec<f64>,
    /// √D.
    root_diag: Vec<f64>,
    /// Q, column-major d × r.
    q: Vec<f64>,
    /// L_M − I, row-major r × r (lower triangular).
    l_minus_i: Vec<f64>,
    rank: usize,
    log_det: f64,
}

impl PathGaussian {
    fn dim(&self) -> usize {
        self.mean.len()
    }

    /// out = A u = D^{½} (u + Q (L_M − I) Qᵀ u).
    fn apply_a(&self, u: &[f64], out: &mut [f64], tmp: &mut Vec<f64>) {
        let d = self.dim();
        let r = self.rank;
        tmp.clear();
        tmp.resize(2 * r, 0.0);
        let (qtu, lq) = tmp.split_at_mut(r);
        for (k, v) in qtu.iter_mut().enumerate() {
            *v = dot(&self.q[k * d..(k + 1) * d], u);
        }
        for i in 0..r {
            lq[i] = (0..=i).map(|j| self.l_minus_i[i * r + j] * qtu[j]).sum();
        }
        out.copy_from_slice(u);
        for (k, &c) in lq.iter().enumerate() {
            for (o, qi) in out.iter_mut().zip(&self.q[k * d..(k + 1) * d]) {
                *o += c * qi;
            }
        }
        for (o, s) in out.iter_mut().zip(&self.root_diag) {
            *o *= s;
        }
    }

    /// z = mean + A u.
    fn draw(&self, u: &[f64], z: &mut [f64], tmp: &mut Vec<f64>) {
        self.apply_a(u, z, tmp);
        for (zi, mi) in z.iter_mut().zip(&self.mean) {
            *zi += mi;
        }
    }

    /// log q at mean + A u.
    fn log_q(&self, u: &[f64]) -> f64 {
        let d = self.dim() as f64;
        -0.5 * dot(u, u) - 0.5 * self.log_det - 0.5 * d * (2.0 * std::f64::consts::PI).ln()
    }

    /// The marginal sds √(A Aᵀ)ᵢᵢ in O(d r²): row i of A is
    /// √Dᵢ (eᵢ + Q w) with w = (L_M − I)ᵀ Qᵢ, of squared norm
    /// Dᵢ (1 + 2 Qᵢ·w + ‖w‖²) since Q has orthonormal columns.
    pub fn marginal_sds(&self) -> Vec<f64> {
        let d = self.dim();
        let r = self.rank;
        let mut w = vec![0.0; r];
        (0..d)
            .map(|i| {
                for (j, wj) in w.iter_mut().enumerate() {
                    *wj = (j..r)
                        .map(|k| self.q[k * d + i] * self.l_minus_i[k * r + j])
                        .sum();
                }
                let qw: f64 = (0..r).map(|j| self.q[j * d + i] * w[j]).sum();
                let ww: f64 = w.iter().map(|v| v * v).sum();
                self.root_diag[i] * (1.0 + 2.0 * qw + ww).max(0.0).sqrt()
            })
            .collect()
    }

    /// The mean-field Gaussian with the same mean and marginal sds (rank 0).
    pub fn diagonalised(&self) -> PathGaussian {
        let sds = self.marginal_sds();
        let log_det = 2.0 * sds.iter().map(|v| v.ln()).sum::<f64>();
        PathGaussian {
            mean: self.mean.clone(),
            root_diag: sds,
            q: Vec::new(),
            l_minus_i: Vec::new(),
            rank: 0,
            log_det,
        }
    }

    /// Whether the Gaussian is diagonal (rank 0).
    pub fn is_diagonal(&self) -> bool {
        self.rank == 0
    }

    /// A, row-major d × d.
    pub fn dense_scale(&self) -> Vec<f64> {
        let d = self.dim();
        let r = self.rank;
        let mut a = vec![0.0; d * d];
        // Q (L_M − I) Qᵀ, then I, then the rows scaled by √D.
        let mut ql = vec![0.0; d * r];
        for i in 0..d {
            for j in 0..r {
                ql[i * r + j] = (j..r)
                    .map(|k| self.q[k * d + i] * self.l_minus_i[k * r + j])
                    .sum();
            }
        }
        for i in 0..d {
            for j in 0..d {
                let mut s: f64 = (0..r).map(|k| ql[i * r + k] * self.q[k * d + j]).sum();
                if i == j {
                    s += 1.0;
                }
                a[i * d + j] = self.root_diag[i] * s;
            }
        }
        a
    }
}

/// The walk of one L-BFGS run seen from the posterior: its recent pairs
/// and the diagonal estimate, and the Gaussians built at chosen points.
pub(crate) struct PathRecorder {
    d: usize,
    /// Judge every point's Gaussian by its mean-field version (a mean-field
    /// start in high dimension).
    diagonal: bool,
    /// Newest last: (s, y) with y the change of ∇(−log π̃).
    pairs: Vec<(Vec<f64>, Vec<f64>)>,
    diag: Vec<f64>,
    last: Option<(Vec<f64>, Vec<f64>)>,
    /// Standard normal draws shared by every point (common random numbers).
    draws: Vec<Vec<f64>>,
    points: usize,
    next_point: usize,
    /// Iteration of the last point visited, and whether its Gaussian was built.
    last_visit: (usize, bool),
    best: Option<Best>,
    /// Log densities evaluated.
    pub evals: usize,
    scratch: (Vec<f64>, Vec<f64>),
    terms: Vec<f64>,
}

/// The best Gaussian so far, with its per-draw terms log π̃ − log q.
struct Best {
    iteration: usize,
    elbo: f64,
    terms: Vec<f64>,
    gaussian: PathGaussian,
}

/// The Gaussian a start takes from the path.
pub(crate) struct PathStart {
    pub gaussian: PathGaussian,
    pub iteration: usize,
    pub elbo: f64,
    /// Points of the path at which a Gaussian was built.
    pub points: usize,
}

/// Smallest ELBO gain (nats) that makes one start better than another:
/// the flow removes smaller differences in a few steps, while a degenerate
/// mode's Laplace approximation loses by tens to thousands of nats.
const MIN_GAIN: f64 = 1.0;

/// Whether ELBO terms `a` (per draw, on the shared draws) beat `b` by more
/// than [`MIN_GAIN`] on average, and not by chance: their paired difference
/// has a mean above twice its standard error, or
/// (for the heavy tails of a poor Gaussian, where one draw can make that
/// error huge) `a` is larger on so many draws that a fair coin would do it
/// with probability below 1 % (13 of 16).
pub(crate) fn clearly_better(a: &[f64], b: &[f64]) -> bool {
    if a.len() != b.len() || a.len() < 2 {
        return false;
    }
    let n = a.len() as f64;
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let mean = diff.iter().sum::<f64>() / n;
    let var = diff.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let wins = diff.iter().filter(|&&v| v > 0.0).count();
    mean > MIN_GAIN && (mean > 2.0 * (var / n).sqrt() || sign_test_p(wins, a.len()) < 0.01)
}

/// P(at least `wins` successes in `n` fair coin flips).
fn sign_test_p(wins: usize, n: usize) -> f64 {
    let mut p = 0.0;
    let mut c = 1.0f64; // C(n, k), built up from k = 0
    for k in 0..=n {
        if k >= wins {
            p += c;
        }
        c = c * (n - k) as f64 / (k + 1) as f64;
    }
    p / 2f64.powi(n as i32)
}

impl PathRecorder {
    pub fn new(d: usize, seed: u64, restart: usize, diagonal: bool) -> PathRecorder {
        let mut rng = stream(seed, &[super::streams::PATHFINDER, restart as u64]);
        let draws = (0..ELBO_DRAWS)
            .map(|_| (0..d).map(|_| StandardNormal.sample(&mut rng)).collect())
            .collect();
        PathRecorder {
            d,
            diagonal,
            pairs: Vec::with_capacity(PAIRS),
            diag: vec![1.0; d],
            last: None,
            draws,
            points: 0,
            next_point: 1,
            last_visit: (0, true),
            best: None,
            evals: 0,
            scratch: (vec![0.0; d], Vec::new()),
            terms: Vec::with_capacity(ELBO_DRAWS),
        }
    }

    /// The walk reached `x` (iteration `it`) where −log π̃ has gradient
    /// `g`. Builds the Gaussian there at iterations 1, 2, 3, 4, 5, 7, 9, 12,
    /// … (about √2 apart); [`PathRecorder::finish`] adds the last point.
    pub fn visit<T: Target>(
        &mut self,
        target: &T,
        ws: &mut T::Workspace,
        it: usize,
        x: &[f64],
        g: &[f64],
    ) {
        if let Some((xp, gp)) = self.last.take() {
            let s: Vec<f64> = x.iter().zip(&xp).map(|(a, b)| a - b).collect();
            let y: Vec<f64> = g.iter().zip(&gp).map(|(a, b)| a - b).collect();
            self.push_pair(s, y);
        }
        self.last = Some((x.to_vec(), g.to_vec()));
        let due = it >= self.next_point;
        self.last_visit = (it, due);
        if due {
            while self.next_point <= it {
                self.next_point =
                    (self.next_point + 1).max((self.next_point as f64 * 1.41) as usize);
            }
            self.build_at(target, ws, it, x, g);
        }
    }

    /// Builds the Gaussian at the last point visited, if not done yet.
    pub fn finish<T: Target>(&mut self, target: &T, ws: &mut T::Workspace) {
        let (it, built) = self.last_visit;
        if built {
            return;
        }
        self.last_visit.1 = true;
        if let Some((x, g)) = self.last.take() {
            self.build_at(target, ws, it, &x, &g);
            self.last = Some((x, g));
        }
    }

    fn build_at<T: Target>(
        &mut self,
        target: &T,
        ws: &mut T::Workspace,
        it: usize,
        x: &[f64],
        g: &[f64],
    ) {
        if self.pairs.is_empty() {
            return;
        }
        self.points += 1;
        let Some(mut gaussian) = self.gaussian_at(x, g) else {
            return;
        };
        if self.diagonal {
            gaussian = gaussian.diagonalised();
            if !gaussian.log_det.is_finite() {
                return;
            }
        }
        let elbo = self.elbo(target, ws, &gaussian);
        if elbo.is_finite() && self.best.as_ref().is_none_or(|b| elbo > b.elbo) {
            self.best = Some(Best {
                iteration: it,
                elbo,
                terms: self.terms.clone(),
                gaussian,
            });
        }
    }

    /// The best Gaussian of the path, with its ELBO terms.
    pub fn take_best(&mut self) -> Option<(PathStart, Vec<f64>)> {
        let points = self.points;
        self.best.take().map(|b| {
            (
                PathStart {
                    gaussian: b.gaussian,
                    iteration: b.iteration,
                    elbo: b.elbo,
                    points,
                },
                b.terms,
            )
        })
    }

    /// Keeps a pair only when it has positive curvature, well above
    /// rounding (Pathfinder's test), and updates the diagonal with it.
    fn push_pair(&mut self, s: Vec<f64>, y: Vec<f64>) {
        let sy = dot(&s, &y);
        let yy = dot(&y, &y);
        if !(sy > 1e-12 * yy) || !sy.is_finite() {
            return;
        }
        // Gilbert–Lemaréchal: α ← b / (a/α + y² − (a/c)(s/α)²),
        // a = yᵀ diag(α) y, b = yᵀ s, c = sᵀ diag(α)⁻¹ s.
        let a: f64 = (0..self.d).map(|i| self.diag[i] * y[i] * y[i]).sum();
        let c: f64 = (0..self.d).map(|i| s[i] * s[i] / self.diag[i]).sum();
        let new: Vec<f64> = (0..self.d)
            .map(|i| {
                let al = self.diag[i];
                sy / (a / al + y[i] * y[i] - (a / c) * (s[i] / al).powi(2))
            })
            .collect();
        if new.iter().all(|v| v.is_finite() && *v > 0.0) {
            self.diag = new;
        }
        if self.pairs.len() == PAIRS {
            self.pairs.remove(0);
        }
        self.pairs.push((s, y));
    }

    /// N(x + H ∇log π̃, H) at the current pairs; `None` when H is not
    /// positive definite in floating point.
    fn gaussian_at(&self, x: &[f64], grad_neg: &[f64]) -> Option<PathGaussian> {
        let d = self.d;
        let m = self.pairs.len();
        let dg = &self.diag;
        // R (upper triangle of Sᵀ Y), its inverse, and Yᵀ D Y.
        let mut r = vec![0.0; m * m];
        let mut ydy = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..m {
                if i <= j {
                    r[i * m + j] = dot(&self.pairs[i].0, &self.pairs[j].1);
                }
                ydy[i * m + j] = (0..d)
                    .map(|k| self.pairs[i].1[k] * dg[k] * self.pairs[j].1[k])
                    .sum();
            }
        }
        let rinv = upper_inverse(&r, m)?;
        // C blocks: top-left R⁻ᵀ (E + YᵀDY) R⁻¹, off-diagonal −R⁻ᵀ / −R⁻¹.
        let mut e_ydy = ydy;
        for i in 0..m {
            e_ydy[i * m + i] += r[i * m + i];
        }
        let n = 2 * m;
        let mut c = vec![0.0; n * n];
        for i in 0..m {
            for j in 0..m {
                let mut v = 0.0;
                for k in 0..m {
                    for l in 0..m {
                        v += rinv[k * m + i] * e_ydy[k * m + l] * rinv[l * m + j];
                    }
                }
                c[i * n + j] = v;
                c[i * n + m + j] = -rinv[j * m + i];
                c[(m + i) * n + j] = -rinv[i * m + j];
            }
        }
        // W = D^{-½} [S, D Y], column-major d × 2m.
        let mut w = vec![0.0; d * n];
        for k in 0..m {
            for i in 0..d {
                w[k * d + i] = self.pairs[k].0[i] / dg[i].sqrt();
                w[(m + k) * d + i] = self.pairs[k].1[i] * dg[i].sqrt();
            }
        }
        let (q, rt, rank) = thin_qr(&mut w, d, n);
        // M = I + R̃ C R̃ᵀ (rank × rank), L_M = chol(M).
        let mut rc = vec![0.0; rank * n];
        for i in 0..rank {
            for j in 0..n {
                rc[i * n + j] = (0..n).map(|k| rt[i * n + k] * c[k * n + j]).sum();
            }
        }
        let mut mm = vec![0.0; rank * rank];
        for i in 0..rank {
            for j in 0..rank {
                mm[i * rank + j] =
                    (0..n).map(|k| rc[i * n + k] * rt[j * n + k]).sum::<f64>() + f64::from(i == j);
            }
        }
        let lm = cholesky(&mm, rank)?;
        let mut log_det: f64 = dg.iter().map(|v| v.ln()).sum();
        log_det += 2.0 * (0..rank).map(|i| lm[i * rank + i].ln()).sum::<f64>();
        let mut l_minus_i = lm;
        for i in 0..rank {
            l_minus_i[i * rank + i] -= 1.0;
        }
        let mut gauss = PathGaussian {
            mean: x.to_vec(),
            root_diag: dg.iter().map(|v| v.sqrt()).collect(),
            q,
            l_minus_i,
            rank,
            log_det,
        };
        // mean = x + H ∇log π̃ = x − H ∇(−log π̃), H v = A (Aᵀ v).
        let step = gauss.apply_h(grad_neg);
        for (mi, si) in gauss.mean.iter_mut().zip(&step) {
            *mi -= si;
        }
        (log_det.is_finite() && gauss.mean.iter().all(|v| v.is_finite())).then_some(gauss)
    }

    /// ELBO estimate of `gauss` on the shared draws (−∞ when a draw has a
    /// non-finite log density).
    fn elbo<T: Target>(&mut self, target: &T, ws: &mut T::Workspace, gauss: &PathGaussian) -> f64 {
        let (z, tmp) = &mut self.scratch;
        self.terms.clear();
        for u in &self.draws {
            gauss.draw(u, z, tmp);
            self.evals += 1;
            let lp = target.log_density(ws, z);
            if !lp.is_finite() {
                return f64::NEG_INFINITY;
            }
            self.terms.push(lp - gauss.log_q(u));
        }
        self.terms.iter().sum::<f64>() / self.terms.len() as f64
    }

    /// ELBO estimate of N(center, S Sᵀ) (S dense row-major) on the same
    /// draws, and its per-draw terms, for comparing another start with the
    /// path's.
    pub fn elbo_of_dense<T: Target>(
        &mut self,
        target: &T,
        ws: &mut T::Workspace,
        center: &[f64],
        scale: &[f64],
    ) -> f64 {
        let d = self.d;
        let mut lu = super::linalg::Lu::new(d);
        if !lu.factor(scale) {
            return f64::NEG_INFINITY;
        }
        let log_det = 2.0 * lu.log_abs_det();
        let z = &mut self.scratch.0;
        self.terms.clear();
        for u in &self.draws {
            for i in 0..d {
                z[i] = center[i] + dot(&scale[i * d..(i + 1) * d], u);
            }
            self.evals += 1;
            let lp = target.log_density(ws, z);
            if !lp.is_finite() {
                return f64::NEG_INFINITY;
            }
            let lq = -0.5 * dot(u, u)
                - 0.5 * log_det
                - 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln();
            self.terms.push(lp - lq);
        }
        self.terms.iter().sum::<f64>() / self.terms.len() as f64
    }

    /// ELBO estimate of N(center, diag(sd²)) on the same draws, and its
    /// per-draw terms.
    pub fn elbo_of_diagonal<T: Target>(
        &mut self,
        target: &T,
        ws: &mut T::Workspace,
        center: &[f64],
        sd: &[f64],
    ) -> f64 {
        let d = self.d;
        let log_det = 2.0 * sd.iter().map(|v| v.abs().ln()).sum::<f64>();
        if !log_det.is_finite() {
            return f64::NEG_INFINITY;
        }
        let z = &mut self.scratch.0;
        self.terms.clear();
        for u in &self.draws {
            for i in 0..d {
                z[i] = center[i] + sd[i] * u[i];
            }
            self.evals += 1;
            let lp = target.log_density(ws, z);
            if !lp.is_finite() {
                return f64::NEG_INFINITY;
            }
            let lq = -0.5 * dot(u, u)
                - 0.5 * log_det
                - 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln();
            self.terms.push(lp - lq);
        }
        self.terms.iter().sum::<f64>() / self.terms.len() as f64
    }

    /// The per-draw terms of the last ELBO estimate.
    pub fn last_terms(&self) -> &[f64] {
        &self.terms
    }
}

impl PathGaussian {
    /// H v = A (Aᵀ v), Aᵀ v = (I + Q (L_M − I)ᵀ Qᵀ) D^{½} v.
    fn apply_h(&self, v: &[f64]) -> Vec<f64> {
        let d = self.dim();
        let r = self.rank;
        let mut atv: Vec<f64> = v.iter().zip(&self.root_diag).map(|(a, b)| a * b).collect();
        let qtv: Vec<f64> = (0..r)
            .map(|k| dot(&self.q[k * d..(k + 1) * d], &atv))
            .collect();
        for j in 0..r {
            let c: f64 = (j..r).map(|i| self.l_minus_i[i * r + j] * qtv[i]).sum();
            for (a, qj) in atv.iter_mut().zip(&self.q[j * d..(j + 1) * d]) {
                *a += c * qj;
            }
        }
        let mut out = vec![0.0; d];
        self.apply_a(&atv, &mut out, &mut Vec::new());
        out
    }
}

/// The inverse of an upper-triangular m × m matrix (row-major); `None`
/// when a diagonal entry is not positive.
fn upper_inverse(r: &[f64], m: usize) -> Option<Vec<f64>> {
    let mut inv = vec![0.0; m * m];
    for j in (0..m).rev() {
        let rjj = r[j * m + j];
        if !(rjj > 0.0) {
            return None;
        }
        inv[j * m + j] = 1.0 / rjj;
        for i in (0..j).rev() {
            let s: f64 = ((i + 1)..=j).map(|k| r[i * m + k] * inv[k * m + j]).sum();
            inv[i * m + j] = -s / r[i * m + i];
        }
    }
    Some(inv)
}

/// Thin QR of the columns of `w` (column-major d × n) by modified
/// Gram–Schmidt with one re-orthogonalisation; columns dependent on the
/// earlier ones (to 1e-10 of their norm) are dropped. Returns Q (column-
/// major d × rank), R̃ (row-major rank × n) and the rank.
fn thin_qr(w: &mut [f64], d: usize, n: usize) -> (Vec<f64>, Vec<f64>, usize) {
    let mut q: Vec<f64> = Vec::with_capacity(d * n);
    let mut rt = vec![0.0; n * n];
    let mut rank = 0;
    for j in 0..n {
        let col = &mut w[j * d..(j + 1) * d];
        let norm0 = dot(col, col).sqrt();
        for _ in 0..2 {
            for k in 0..rank {
                let qk = &q[k * d..(k + 1) * d];
                let c = dot(qk, col);
                rt[k * n + j] += c;
                for (a, b) in col.iter_mut().zip(qk) {
                    *a -= c * b;
                }
            }
        }
        let norm = dot(col, col).sqrt();
        if norm > 1e-10 * norm0 && norm > 0.0 {
            rt[rank * n + j] = norm;
            q.extend(col.iter().map(|v| v / norm));
            rank += 1;
        }
    }
    rt.truncate(rank * n);
    (q, rt, rank)
}

/// Lower Cholesky factor of a small symmetric matrix; `None` unless it is
/// positive definite.
fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = a.to_vec();
    crate::scalar::linalg::cholesky_in_place(&mut l, n).ok()?;
    Some(l)
}

#[cfg(test)]
#[path = "pathfinder_tests.rs"]
mod tests;
