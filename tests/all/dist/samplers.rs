//! Samplers against their analytic distributions, with fixed seeds.
//!
//! Tolerances are Monte Carlo errors: with n independent draws the sample
//! mean has standard error sqrt(Var / n) (Var known analytically), and the
//! sample variance has standard error sqrt((m4 − m2²) / n), estimated from
//! the same sample (m2, m4 central moments). A check passes within 5
//! standard errors: a correct sampler fails one such check with
//! probability below 6e-7, so across the ~60 checks here a false alarm is
//! rarer than 1 in 20,000 — and the seeds are fixed, so a pass is stable.
//! For heavy tails (no variance) the Kolmogorov–Smirnov distance is
//! checked instead, with the Dvoretzky–Kiefer–Wolfowitz bound
//! P(D > ε) <= 2 exp(−2 n ε²), ε chosen for probability 1e-6.

use special::Beta as _;
use vippl::dist::{DistId, Domain, Multivariate, Univariate, UnivariateVisitor, View};
use vippl::random::stream;
use vippl::scalar::{inv_logit, lgamma};

const N: usize = 20_000;

struct Draw<'a> {
    args: &'a [f64],
    seed: u64,
}

impl UnivariateVisitor for Draw<'_> {
    type Output = Vec<f64>;
    fn visit<D: Univariate>(self) -> Vec<f64> {
        let mut rng = stream(self.seed, &[7]);
        let domain: Domain = D::SPEC.variate.domain;
        (0..N)
            .map(|_| {
                let v = D::rng(self.args, &mut rng);
                assert!(
                    domain.contains(v),
                    "{}{:?} drew {v}, outside {}",
                    D::SPEC.name,
                    self.args,
                    domain.describe()
                );
                v
            })
            .collect()
    }
}

fn draws(name: &str, args: &[f64], seed: u64) -> Vec<f64> {
    DistId::lookup(name)
        .expect("known")
        .visit_univariate(Draw { args, seed })
        .expect("univariate")
}

fn moments(x: &[f64]) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let m2 = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
    let m4 = x.iter().map(|v| (v - m).powi(4)).sum::<f64>() / n;
    (m, m2, m4)
}

fn check_moments(what: &str, x: &[f64], mean: f64, var: f64) {
    let n = x.len() as f64;
    let (m, m2, m4) = moments(x);
    let se_mean = (var / n).sqrt();
    assert!(
        (m - mean).abs() < 5.0 * se_mean,
        "{what}: mean {m}, expected {mean} (se {se_mean})"
    );
    let se_var = ((m4 - m2 * m2) / n).sqrt();
    assert!(
        (m2 - var).abs() < 5.0 * se_var,
        "{what}: variance {m2}, expected {var} (se {se_var})"
    );
}

fn check_ks(what: &str, mut x: Vec<f64>, cdf: impl Fn(f64) -> f64) {
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &v) in x.iter().enumerate() {
        let f = cdf(v);
        d = d
            .max((f - i as f64 / n).abs())
            .max(((i + 1) as f64 / n - f).abs());
    }
    let eps = ((2.0f64 / 1e-6).ln() / (2.0 * n)).sqrt();
    assert!(d < eps, "{what}: KS distance {d} above {eps}");
}

fn gamma_fn(x: f64) -> f64 {
    lgamma(x).exp()
}

/// Gumbel(mu, beta): mean mu + beta γ, variance π² beta² / 6.
fn gumbel(mu: f64, beta: f64) -> (&'static str, Vec<f64>, f64, f64) {
    let euler_gamma = 0.577_215_664_901_532_9;
    let var = (std::f64::consts::PI * beta).powi(2) / 6.0;
    ("gumbel", vec![mu, beta], mu + beta * euler_gamma, var)
}

/// Skew normal: with delta = alpha / sqrt(1 + alpha²), mean
/// xi + omega delta sqrt(2 / π), variance omega² (1 − 2 delta² / π).
fn skew_normal(xi: f64, omega: f64, alpha: f64) -> (&'static str, Vec<f64>, f64, f64) {
    let pi = std::f64::consts::PI;
    let delta = alpha / (1.0 + alpha * alpha).sqrt();
    let mean = xi + omega * delta * (2.0 / pi).sqrt();
    let var = omega * omega * (1.0 - 2.0 * delta * delta / pi);
    ("skew_normal", vec![xi, omega, alpha], mean, var)
}

/// Fréchet: mean sigma Γ(1 − 1/alpha), variance sigma² (Γ(1 − 2/alpha) − Γ(1 − 1/alpha)²).
fn frechet(alpha: f64, sigma: f64) -> (&'static str, Vec<f64>, f64, f64) {
    let (g1, g2) = (gamma_fn(1.0 - 1.0 / alpha), gamma_fn(1.0 - 2.0 / alpha));
    (
        "frechet",
        vec![alpha, sigma],
        sigma * g1,
        sigma * sigma * (g2 - g1 * g1),
    )
}

/// Pareto: mean alpha y_min / (alpha − 1), variance y_min² alpha / ((alpha − 1)² (alpha − 2)).
fn pareto(y_min: f64, alpha: f64) -> (&'static str, Vec<f64>, f64, f64) {
    let mean = alpha * y_min / (alpha - 1.0);
    let var = y_min * y_min * alpha / ((alpha - 1.0).powi(2) * (alpha - 2.0));
    ("pareto", vec![y_min, alpha], mean, var)
}

/// I0(x) and I1(x) from their power series (x small).
fn bessel_i01(x: f64) -> (f64, f64) {
    let q = x * x / 4.0;
    let (mut i0, mut i1, mut t0, mut t1) = (1.0, x / 2.0, 1.0, x / 2.0);
    for k in 1..60 {
        let k = k as f64;
        t0 *= q / (k * k);
        t1 *= q / (k * (k + 1.0));
        i0 += t0;
        i1 += t1;
    }
    (i0, i1)
}

/// Von Mises draws: with A = I1(kappa) / I0(kappa), cos(y − mu) has mean A
/// and variance 1 − A / kappa − A², sin(y − mu) mean 0 and variance A / kappa;
/// every draw lies within pi of mu.
fn von_mises_circular_moments(mu: f64, kappa: f64, seed: u64) {
    let x = draws("von_mises", &[mu, kappa], seed);
    assert!(x.iter().all(|v| (v - mu).abs() <= std::f64::consts::PI));
    let (i0, i1) = bessel_i01(kappa);
    let a = i1 / i0;
    let cos: Vec<f64> = x.iter().map(|v| (v - mu).cos()).collect();
    let sin: Vec<f64> = x.iter().map(|v| (v - mu).sin()).collect();
    check_moments("von_mises cos", &cos, a, 1.0 - a / kappa - a * a);
    check_moments("von_mises sin", &sin, 0.0, a / kappa);
}

#[test]
fn univariate_samplers_match_their_moments() {
    let w = |a: f64, s: f64| {
        let (g1, g2) = (gamma_fn(1.0 + 1.0 / a), gamma_fn(1.0 + 2.0 / a));
        (s * g1, s * s * (g2 - g1 * g1))
    };
    let (wm, wv) = w(1.5, 2.0);
    let (p1, p2) = (inv_logit(0.4), inv_logit(-0.5));
    let (mu_p, mu_nb) = (1.2f64.exp(), 1.1f64.exp());
    let pi2 = std::f64::consts::PI.powi(2);
    let table: Vec<(&str, Vec<f64>, f64, f64)> = vec![
        ("normal", vec![1.5, 2.0], 1.5, 4.0),
        ("std_normal", vec![], 0.0, 1.0),
        ("student_t", vec![10.0, 1.0, 2.0], 1.0, 4.0 * 10.0 / 8.0),
        ("double_exponential", vec![1.0, 2.0], 1.0, 8.0),
        ("logistic", vec![1.0, 2.0], 1.0, 4.0 * pi2 / 3.0),
        (
            "lognormal",
            vec![0.2, 0.5],
            (0.2f64 + 0.125).exp(),
            (0.25f64.exp() - 1.0) * (0.4f64 + 0.25).exp(),
        ),
        ("exponential", vec![2.0], 0.5, 0.25),
        ("gamma", vec![3.0, 2.0], 1.5, 0.75),
        ("inv_gamma", vec![6.0, 2.0], 0.4, 4.0 / (25.0 * 4.0)),
        ("weibull", vec![1.5, 2.0], wm, wv),
        ("beta", vec![2.0, 5.0], 2.0 / 7.0, 10.0 / (49.0 * 8.0)),
        ("uniform", vec![-1.0, 3.0], 1.0, 16.0 / 12.0),
        ("chi_square", vec![4.0], 4.0, 8.0),
        ("bernoulli", vec![0.3], 0.3, 0.21),
        ("bernoulli_logit", vec![0.4], p1, p1 * (1.0 - p1)),
        ("binomial", vec![20.0, 0.3], 6.0, 4.2),
        (
            "binomial_logit",
            vec![20.0, -0.5],
            20.0 * p2,
            20.0 * p2 * (1.0 - p2),
        ),
        ("poisson", vec![3.5], 3.5, 3.5),
        ("poisson_log", vec![1.2], mu_p, mu_p),
        ("neg_binomial_2", vec![4.0, 2.5], 4.0, 4.0 + 16.0 / 2.5),
        (
            "neg_binomial_2_log",
            vec![1.1, 3.0],
            mu_nb,
            mu_nb + mu_nb * mu_nb / 3.0,
        ),
        gumbel(1.0, 2.0),
        skew_normal(1.0, 2.0, 3.0),
        frechet(10.0, 2.0),
        pareto(1.5, 10.0),
        (
            "rayleigh",
            vec![2.0],
            2.0 * (std::f64::consts::PI / 2.0).sqrt(),
            (4.0 - std::f64::consts::PI) / 2.0 * 4.0,
        ),
        ("inv_chi_square", vec![12.0], 0.1, 2.0 / (100.0 * 8.0)),
        (
            "scaled_inv_chi_square",
            vec![12.0, 0.5],
            0.3,
            2.0 * 144.0 * 0.0625 / (100.0 * 8.0),
        ),
        ("beta_proportion", vec![0.3, 10.0], 0.3, 0.21 / 11.0),
        // N p and N p (1 − p) (alpha + beta + N) / (alpha + beta + 1), p = alpha / (alpha + beta).
        (
            "beta_binomial",
            vec![12.0, 2.0, 3.0],
            12.0 * 0.4,
            12.0 * 0.4 * 0.6 * 17.0 / 6.0,
        ),
    ];
    for (seed, (name, args, mean, var)) in table.iter().enumerate() {
        let x = draws(name, args, seed as u64);
        check_moments(&format!("{name}{args:?}"), &x, *mean, *var);
    }
    // Heavy tails: the whole distribution function.
    let cauchy = draws("cauchy", &[0.5, 2.0], 100);
    check_ks("cauchy(0.5, 2)", cauchy, |v| {
        0.5 + ((v - 0.5) / 2.0).atan() / std::f64::consts::PI
    });
    let nu = 1.5;
    let t_cdf = move |v: f64| {
        // P(T <= t) = 1 − ½ I_{ν/(ν+t²)}(ν/2, ½) for t >= 0, by symmetry below.
        let lb = vippl::scalar::lbeta(nu / 2.0, 0.5);
        let tail = 0.5 * (nu / (nu + v * v)).inc_beta(nu / 2.0, 0.5, lb);
        if v >= 0.0 { 1.0 - tail } else { tail }
    };
    let t = draws("student_t", &[nu, 0.0, 1.0], 101);
    check_ks("student_t(1.5, 0, 1)", t, t_cdf);
    von_mises_circular_moments(0.5, 2.0, 102);
    // Every univariate distribution has been sampled above.
    let covered = table.len() + 2; // + cauchy, von_mises (student_t appears twice)
    assert_eq!(
        covered,
        DistId::ALL.iter().filter(|d| d.is_univariate()).count()
    );
}

#[test]
fn multi_normal_samplers() {
    use vippl::dist::multi_normal::{MultiNormal, cholesky};
    use vippl::dist::multi_normal_cholesky::MultiNormalCholesky;
    let mu = [1.0, -1.0, 0.5];
    let sigma = [2.0, 0.6, -0.3, 0.6, 1.0, 0.2, -0.3, 0.2, 0.5];
    let l = cholesky(&View::matrix(&sigma, 3, 3)).expect("positive-definite");
    for (which, seed) in [("multi_normal", 1u64), ("multi_normal_cholesky", 2)] {
        let mut rng = stream(seed, &[]);
        let mut out = Vec::new();
        let mut xs = Vec::with_capacity(N);
        for _ in 0..N {
            if which == "multi_normal" {
                MultiNormal::rng(
                    &[View::vector(&mu), View::matrix(&sigma, 3, 3)],
                    &mut rng,
                    &mut out,
                )
                .expect("valid");
            } else {
                MultiNormalCholesky::rng(
                    &[View::vector(&mu), View::matrix(&l, 3, 3)],
                    &mut rng,
                    &mut out,
                )
                .expect("valid");
            }
            assert_eq!(out.len(), 3);
            xs.push([out[0], out[1], out[2]]);
        }
        let n = N as f64;
        let mean: Vec<f64> = (0..3)
            .map(|i| xs.iter().map(|x| x[i]).sum::<f64>() / n)
            .collect();
        for i in 0..3 {
            let se = (sigma[i * 3 + i] / n).sqrt();
            assert!(
                (mean[i] - mu[i]).abs() < 5.0 * se,
                "{which}: mean[{i}] {}",
                mean[i]
            );
            for j in 0..3 {
                let cov = xs
                    .iter()
                    .map(|x| (x[i] - mean[i]) * (x[j] - mean[j]))
                    .sum::<f64>()
                    / n;
                // For normal data Var(s_ij) ≈ (Σ_ii Σ_jj + Σ_ij²) / n.
                let sij = sigma[i * 3 + j];
                let se = ((sigma[i * 3 + i] * sigma[j * 3 + j] + sij * sij) / n).sqrt();
                assert!(
                    (cov - sij).abs() < 5.0 * se,
                    "{which}: cov[{i},{j}] {cov} vs {sij}"
                );
            }
        }
    }
    // One draw per row of a matrix of means.
    let mus = [0.0, 0.0, 0.0, 10.0, 10.0, 10.0];
    let mut out = Vec::new();
    MultiNormal::rng(
        &[View::matrix(&mus, 2, 3), View::matrix(&sigma, 3, 3)],
        &mut stream(3, &[]),
        &mut out,
    )
    .expect("valid");
    assert_eq!(out.len(), 6);
    assert!(out[3..].iter().all(|v| *v > 3.0) && out[..3].iter().all(|v| *v < 7.0));
    let bad = [1.0, 2.0, 2.0, 1.0];
    assert!(
        MultiNormal::rng(
            &[View::vector(&[0.0, 0.0]), View::matrix(&bad, 2, 2)],
            &mut stream(3, &[]),
            &mut out
        )
        .is_err()
    );
}

#[test]
fn dirichlet_and_categorical_samplers() {
    use vippl::dist::categorical::Categorical;
    use vippl::dist::categorical_logit::CategoricalLogit;
    use vippl::dist::dirichlet::Dirichlet;
    let alpha = [2.0, 0.5, 3.0];
    let a0: f64 = alpha.iter().sum();
    let mut rng = stream(4, &[]);
    let mut out = Vec::new();
    let mut sums = [0.0; 3];
    for _ in 0..N {
        Dirichlet::rng(&[View::vector(&alpha)], &mut rng, &mut out).expect("valid");
        assert!((out.iter().sum::<f64>() - 1.0).abs() < 1e-12 && out.iter().all(|v| *v >= 0.0));
        for i in 0..3 {
            sums[i] += out[i];
        }
    }
    for i in 0..3 {
        let mean = alpha[i] / a0;
        let var = alpha[i] * (a0 - alpha[i]) / (a0 * a0 * (a0 + 1.0));
        let got = sums[i] / N as f64;
        assert!(
            (got - mean).abs() < 5.0 * (var / N as f64).sqrt(),
            "dirichlet mean[{i}] {got} vs {mean}"
        );
    }
    // Tiny concentrations still give a simplex (no 0/0).
    Dirichlet::rng(&[View::vector(&[1e-3, 1e-3, 1e-3])], &mut rng, &mut out).expect("valid");
    assert!((out.iter().sum::<f64>() - 1.0).abs() < 1e-12 && out.iter().all(|v| v.is_finite()));

    let theta = [0.2, 0.5, 0.3];
    let beta = [0.3, -1.2, 2.0, 0.0];
    let lse: f64 = vippl::scalar::log_sum_exp_slice(&beta);
    let soft: Vec<f64> = beta.iter().map(|b| (b - lse).exp()).collect();
    for (logit, p) in [(false, theta.to_vec()), (true, soft)] {
        let mut counts = vec![0.0; p.len()];
        for _ in 0..N {
            if logit {
                CategoricalLogit::rng(&[View::vector(&beta)], &mut rng, &mut out).expect("valid");
            } else {
                Categorical::rng(&[View::vector(&theta)], &mut rng, &mut out).expect("valid");
            }
            counts[out[0] as usize - 1] += 1.0;
        }
        for (k, &pk) in p.iter().enumerate() {
            let f = counts[k] / N as f64;
            assert!(
                (f - pk).abs() < 5.0 * (pk * (1.0 - pk) / N as f64).sqrt(),
                "categorical (logit {logit}) p[{k}] {f} vs {pk}"
            );
        }
    }
}

/// Every off-diagonal entry of Ω = L Lᵀ under LKJ(η) is 2 Beta(b, b) − 1
/// with b = η − 1 + K/2: mean 0, E r² = 1/(2b+1), E r⁴ = 3/((2b+1)(2b+3)).
#[test]
fn lkj_sampler_marginals() {
    use vippl::dist::lkj_corr_cholesky::{LkjCorrCholesky, check_corr_cholesky};
    let (k, eta) = (4usize, 2.0);
    let b = eta - 1.0 + k as f64 / 2.0;
    let (m2, m4) = (
        1.0 / (2.0 * b + 1.0),
        3.0 / ((2.0 * b + 1.0) * (2.0 * b + 3.0)),
    );
    let mut rng = stream(5, &[]);
    let mut out = Vec::new();
    let kv = [k as f64];
    let mut r: Vec<Vec<f64>> = (0..3).map(|_| Vec::with_capacity(N)).collect();
    for _ in 0..N {
        LkjCorrCholesky::rng(
            &[View::vector(&kv), View::vector(&[eta])],
            &mut rng,
            &mut out,
        )
        .expect("valid");
        check_corr_cholesky(&View::matrix(&out, k, k)).expect("a correlation Cholesky factor");
        let o = |i: usize, j: usize| (0..k).map(|m| out[i * k + m] * out[j * k + m]).sum::<f64>();
        r[0].push(o(1, 0));
        r[1].push(o(3, 2));
        r[2].push(o(3, 1));
    }
    for (which, x) in ["Omega[2,1]", "Omega[4,3]", "Omega[4,2]"].iter().zip(&r) {
        let n = N as f64;
        let mean = x.iter().sum::<f64>() / n;
        assert!(mean.abs() < 5.0 * (m2 / n).sqrt(), "{which}: mean {mean}");
        let sq = x.iter().map(|v| v * v).sum::<f64>() / n;
        assert!(
            (sq - m2).abs() < 5.0 * ((m4 - m2 * m2) / n).sqrt(),
            "{which}: E r² {sq} vs {m2}"
        );
    }
    let err = LkjCorrCholesky::rng(&[View::vector(&[eta])], &mut rng, &mut out).unwrap_err();
    assert!(err.contains("lkj_corr_cholesky_rng(K, eta)"));
}
