//! Hand-written analytic targets with known answers, shared by the inference
//! tests and benchmarks, plus quadrature helpers.
#![allow(dead_code, clippy::needless_range_loop)]

use vippl::infer::Target;
use vippl::random::{VRng, stream};

/// A multivariate Gaussian N(mean, P⁻¹) given by its precision P, with
/// log p̃ = −½(x−m)ᵀP(x−m) + offset.
pub struct Gaussian {
    pub mean: Vec<f64>,
    pub prec: Vec<f64>,
    pub offset: f64,
}

impl Target for Gaussian {
    type Workspace = Vec<f64>;
    fn dim(&self) -> usize {
        self.mean.len()
    }
    fn workspace(&self) -> Vec<f64> {
        vec![0.0; self.mean.len()]
    }
    fn log_density(&self, ws: &mut Vec<f64>, x: &[f64]) -> f64 {
        let d = self.dim();
        for i in 0..d {
            ws[i] = x[i] - self.mean[i];
        }
        let mut q = 0.0;
        for i in 0..d {
            q += ws[i] * (0..d).map(|j| self.prec[i * d + j] * ws[j]).sum::<f64>();
        }
        -0.5 * q + self.offset
    }
    fn log_density_and_gradient(&self, ws: &mut Vec<f64>, x: &[f64], grad: &mut [f64]) -> f64 {
        let d = self.dim();
        for i in 0..d {
            ws[i] = x[i] - self.mean[i];
        }
        let mut q = 0.0;
        for i in 0..d {
            let mut s = 0.0;
            for j in 0..d {
                s += self.prec[i * d + j] * ws[j];
            }
            grad[i] = -s;
            q += ws[i] * s;
        }
        -0.5 * q + self.offset
    }
    fn hessian_vector(&self, ws: &mut Vec<f64>, x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
        let d = self.dim();
        for i in 0..d {
            out[i] = -(0..d).map(|j| self.prec[i * d + j] * v[j]).sum::<f64>();
        }
        self.log_density(ws, x)
    }
}

impl Gaussian {
    /// A correlated Gaussian in dimension d with covariance eigenvalues
    /// spread over [0.5, 2] (condition number 4) and a random rotation.
    pub fn correlated(d: usize, seed: u64) -> (Gaussian, Vec<f64>) {
        let mut rng = stream(seed, &[99]);
        let a = nalgebra::DMatrix::<f64>::from_fn(d, d, |_, _| normal(&mut rng));
        let q = a.qr().q();
        let mut cov = vec![0.0; d * d];
        let mut prec = vec![0.0; d * d];
        for k in 0..d {
            let lam = if d == 1 {
                1.0
            } else {
                0.5 * 4f64.powf(k as f64 / (d - 1) as f64)
            };
            for i in 0..d {
                for j in 0..d {
                    cov[i * d + j] += q[(i, k)] * lam * q[(j, k)];
                    prec[i * d + j] += q[(i, k)] / lam * q[(j, k)];
                }
            }
        }
        let mean = (0..d).map(|_| normal(&mut rng)).collect();
        (
            Gaussian {
                mean,
                prec,
                offset: 0.0,
            },
            cov,
        )
    }
}

/// d independent normals N(mᵢ, sdᵢ²), sdᵢ = 1 + (i mod 3)/2 and
/// mᵢ = (i mod 5) − 2: gradient and Hessian–vector products in O(d), the
/// target of the cost-per-dimension benchmarks and tests.
pub struct IidNormal(pub usize);

impl IidNormal {
    pub fn mean(i: usize) -> f64 {
        (i % 5) as f64 - 2.0
    }
    pub fn sd(i: usize) -> f64 {
        1.0 + (i % 3) as f64 / 2.0
    }
}

impl Target for IidNormal {
    type Workspace = ();
    fn dim(&self) -> usize {
        self.0
    }
    fn workspace(&self) {}
    fn log_density(&self, _: &mut (), x: &[f64]) -> f64 {
        let mut lp = 0.0;
        for (i, v) in x.iter().enumerate() {
            let z = (v - Self::mean(i)) / Self::sd(i);
            lp -= 0.5 * z * z;
        }
        lp
    }
    fn log_density_and_gradient(&self, ws: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
        for (i, v) in x.iter().enumerate() {
            let s = Self::sd(i);
            g[i] = -(v - Self::mean(i)) / (s * s);
        }
        self.log_density(ws, x)
    }
    fn hessian_vector(&self, ws: &mut (), x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
        for (i, vi) in v.iter().enumerate() {
            let s = Self::sd(i);
            out[i] = -vi / (s * s);
        }
        self.log_density(ws, x)
    }
}

pub fn normal(rng: &mut VRng) -> f64 {
    use rand::RngExt;
    rng.sample(rand_distr::StandardNormal)
}

/// log p̃ = −(x₁−1)² − (x₂−x₁²)² (Z = π).
pub struct Banana;

impl Banana {
    pub fn hess(x: &[f64]) -> [f64; 4] {
        let h11 = -2.0 + 4.0 * x[1] - 12.0 * x[0] * x[0];
        let h12 = 4.0 * x[0];
        [h11, h12, h12, -2.0]
    }
}

impl Target for Banana {
    type Workspace = ();
    fn dim(&self) -> usize {
        2
    }
    fn workspace(&self) {}
    fn log_density(&self, _: &mut (), x: &[f64]) -> f64 {
        -(x[0] - 1.0).powi(2) - (x[1] - x[0] * x[0]).powi(2)
    }
    fn log_density_and_gradient(&self, ws: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
        let r = x[1] - x[0] * x[0];
        g[0] = -2.0 * (x[0] - 1.0) + 4.0 * x[0] * r;
        g[1] = -2.0 * r;
        self.log_density(ws, x)
    }
    fn hessian_vector(&self, ws: &mut (), x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
        let h = Banana::hess(x);
        out[0] = h[0] * v[0] + h[1] * v[1];
        out[1] = h[2] * v[0] + h[3] * v[1];
        self.log_density(ws, x)
    }
}

/// A 1-D Gaussian mixture target Σ w_j N(m_j, s_j²), normalised (times `z`).
pub struct Mix1 {
    pub w: Vec<f64>,
    pub m: Vec<f64>,
    pub s: Vec<f64>,
    pub log_z: f64,
}

impl Mix1 {
    /// The three-mode target of algorithms.md §6.4.
    pub fn three_mode() -> Mix1 {
        Mix1 {
            w: vec![0.4, 0.3, 0.3],
            m: vec![-1.0, 0.8, 3.0],
            s: vec![0.5, 0.5, 0.8],
            log_z: 0.0,
        }
    }

    /// (log p, d/dx, d²/dx²)
    pub fn eval(&self, x: f64) -> (f64, f64, f64) {
        let ell: Vec<f64> = (0..self.w.len())
            .map(|j| {
                let z = (x - self.m[j]) / self.s[j];
                self.w[j].ln() - 0.5 * z * z - self.s[j].ln() - 0.918_938_533_204_672_8
            })
            .collect();
        let mx = ell.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lp = mx + ell.iter().map(|v| (v - mx).exp()).sum::<f64>().ln();
        let (mut d1, mut d2) = (0.0, 0.0);
        for j in 0..self.w.len() {
            let g = (ell[j] - lp).exp();
            let u = -(x - self.m[j]) / self.s[j].powi(2);
            d1 += g * u;
            d2 += g * (u * u - 1.0 / self.s[j].powi(2));
        }
        (lp + self.log_z, d1, d2 - d1 * d1)
    }
}

impl Target for Mix1 {
    type Workspace = ();
    fn dim(&self) -> usize {
        1
    }
    fn workspace(&self) {}
    fn log_density(&self, _: &mut (), x: &[f64]) -> f64 {
        self.eval(x[0]).0
    }
    fn log_density_and_gradient(&self, _: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
        let (l, d1, _) = self.eval(x[0]);
        g[0] = d1;
        l
    }
    fn hessian_vector(&self, _: &mut (), x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
        let (l, _, d2) = self.eval(x[0]);
        out[0] = d2 * v[0];
        l
    }
}

/// A 1-D target given by closures for ℓ, ℓ′, ℓ″ (conjugate posteriors on the
/// unconstrained scale).
pub struct OneD<F: Fn(f64) -> (f64, f64, f64) + Sync>(pub F);

impl<F: Fn(f64) -> (f64, f64, f64) + Sync> Target for OneD<F> {
    type Workspace = ();
    fn dim(&self) -> usize {
        1
    }
    fn workspace(&self) {}
    fn log_density(&self, _: &mut (), x: &[f64]) -> f64 {
        (self.0)(x[0]).0
    }
    fn log_density_and_gradient(&self, _: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
        let (l, d1, _) = (self.0)(x[0]);
        g[0] = d1;
        l
    }
    fn hessian_vector(&self, _: &mut (), x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
        let (l, _, d2) = (self.0)(x[0]);
        out[0] = d2 * v[0];
        l
    }
}

fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// θ ~ Beta(a, b), y ~ Binomial(n, θ), on z = logit θ with the Jacobian:
/// log p̃(z) = α log σ(z) + β log(1 − σ(z)), α = a + y, β = b + n − y.
pub fn beta_binomial_logit(alpha: f64, beta: f64) -> OneD<impl Fn(f64) -> (f64, f64, f64) + Sync> {
    OneD(move |z: f64| {
        let s = sigmoid(z);
        (
            -alpha * softplus(-z) - beta * softplus(z),
            alpha * (1.0 - s) - beta * s,
            -(alpha + beta) * s * (1.0 - s),
        )
    })
}

/// λ ~ Gamma(a, b), y_i ~ Poisson(λ), on z = log λ with the Jacobian:
/// log p̃(z) = A z − B e^z, A = a + Σy, B = b + n.
pub fn poisson_gamma_log(a: f64, b: f64) -> OneD<impl Fn(f64) -> (f64, f64, f64) + Sync> {
    OneD(move |z: f64| {
        let e = z.exp();
        (a * z - b * e, a - b * e, -b * e)
    })
}

/// Bayesian logistic regression with a N(0, prior_sd²) prior on every
/// coefficient; rows of `x` (n × d, row-major) include the intercept column.
pub struct Logistic {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub n: usize,
    pub d: usize,
    pub prior_sd: f64,
}

impl Logistic {
    /// Synthetic data: standard-normal features (first column 1), true
    /// coefficients drawn N(0, 0.5²), labels Bernoulli(σ(xβ)).
    pub fn synthetic(n: usize, d: usize, seed: u64) -> Logistic {
        use rand::RngExt;
        let mut rng = stream(seed, &[7]);
        let beta: Vec<f64> = (0..d).map(|_| 0.5 * normal(&mut rng)).collect();
        let mut x = vec![0.0; n * d];
        let mut y = vec![0.0; n];
        for i in 0..n {
            x[i * d] = 1.0;
            for j in 1..d {
                x[i * d + j] = normal(&mut rng);
            }
            let eta: f64 = (0..d).map(|j| x[i * d + j] * beta[j]).sum();
            y[i] = if rng.random::<f64>() < sigmoid(eta) {
                1.0
            } else {
                0.0
            };
        }
        Logistic {
            x,
            y,
            n,
            d,
            prior_sd: 2.0,
        }
    }
}

impl Target for Logistic {
    type Workspace = Vec<f64>;
    fn dim(&self) -> usize {
        self.d
    }
    fn workspace(&self) -> Vec<f64> {
        vec![0.0; self.n]
    }
    fn log_density(&self, _: &mut Vec<f64>, b: &[f64]) -> f64 {
        let d = self.d;
        let mut lp = -0.5 * b.iter().map(|v| v * v).sum::<f64>() / self.prior_sd.powi(2);
        for i in 0..self.n {
            let row = &self.x[i * d..(i + 1) * d];
            let eta: f64 = row.iter().zip(b).map(|(a, c)| a * c).sum();
            lp += self.y[i] * eta - softplus(eta);
        }
        lp
    }
    fn log_density_and_gradient(&self, _: &mut Vec<f64>, b: &[f64], g: &mut [f64]) -> f64 {
        let d = self.d;
        let v = self.prior_sd.powi(2);
        let mut lp = 0.0;
        for j in 0..d {
            g[j] = -b[j] / v;
            lp -= 0.5 * b[j] * b[j] / v;
        }
        for i in 0..self.n {
            let row = &self.x[i * d..(i + 1) * d];
            let eta: f64 = row.iter().zip(b).map(|(a, c)| a * c).sum();
            lp += self.y[i] * eta - softplus(eta);
            let r = self.y[i] - sigmoid(eta);
            for j in 0..d {
                g[j] += r * row[j];
            }
        }
        lp
    }
    fn hessian_vector(&self, ws: &mut Vec<f64>, b: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
        let d = self.d;
        let pv = self.prior_sd.powi(2);
        for j in 0..d {
            out[j] = -v[j] / pv;
        }
        for i in 0..self.n {
            let row = &self.x[i * d..(i + 1) * d];
            let eta: f64 = row.iter().zip(b).map(|(a, c)| a * c).sum();
            let s = sigmoid(eta);
            let xv: f64 = row.iter().zip(v).map(|(a, c)| a * c).sum();
            for j in 0..d {
                out[j] -= s * (1.0 - s) * xv * row[j];
            }
        }
        self.log_density(ws, b)
    }
}

/// Probabilists' Gauss–Hermite rule (weight N(0, 1)): nodes and weights
/// summing to one, by Golub–Welsch.
pub fn gauss_hermite(n: usize) -> (Vec<f64>, Vec<f64>) {
    let j = nalgebra::DMatrix::<f64>::from_fn(n, n, |a, b| {
        if a + 1 == b || b + 1 == a {
            (a.max(b) as f64).sqrt()
        } else {
            0.0
        }
    });
    let e = j.symmetric_eigen();
    let mut pairs: Vec<(f64, f64)> = (0..n)
        .map(|k| (e.eigenvalues[k], e.eigenvectors[(0, k)].powi(2)))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    (
        pairs.iter().map(|p| p.0).collect(),
        pairs.iter().map(|p| p.1).collect(),
    )
}

/// Tensor-product Gauss–Hermite rule in 2-D: nodes (m² × 2) and weights.
pub fn gauss_hermite_2d(n: usize) -> (Vec<f64>, Vec<f64>) {
    let (x, w) = gauss_hermite(n);
    let mut nodes = Vec::with_capacity(2 * n * n);
    let mut weights = Vec::with_capacity(n * n);
    for a in 0..n {
        for b in 0..n {
            nodes.push(x[a]);
            nodes.push(x[b]);
            weights.push(w[a] * w[b]);
        }
    }
    (nodes, weights)
}

/// 2-Wasserstein distance between Gaussians N(m1, C1) and N(m2, C2).
pub fn w2_gaussian(m1: &[f64], c1: &[f64], m2: &[f64], c2: &[f64]) -> f64 {
    let d = m1.len();
    let a = nalgebra::DMatrix::from_row_slice(d, d, c1);
    let b = nalgebra::DMatrix::from_row_slice(d, d, c2);
    let sqrt = |m: &nalgebra::DMatrix<f64>| {
        let e = m.clone().symmetric_eigen();
        let mut out = nalgebra::DMatrix::zeros(d, d);
        for k in 0..d {
            let v = e.eigenvectors.column(k);
            out += v * v.transpose() * e.eigenvalues[k].max(0.0).sqrt();
        }
        out
    };
    let ra = sqrt(&a);
    let cross = sqrt(&(&ra * &b * &ra));
    let tr = (a.trace() + b.trace() - 2.0 * cross.trace()).max(0.0);
    let dm: f64 = m1.iter().zip(m2).map(|(x, y)| (x - y).powi(2)).sum();
    (dm + tr).sqrt()
}
