//! One table-driven test over every univariate distribution: values vs
//! SciPy, gradients and Hessians vs finite differences, hand-fused
//! partials vs the dual-number default.

use super::{close, num, nums, reference};
use num_dual::{Dual, Dual64};
use rand::RngExt;
use vippl::dist::{DistId, Domain, Univariate, UnivariateVisitor};
use vippl::random::stream;
use vippl::scalar::partials;

/// Runs `check` for every univariate distribution and collects failures.
fn for_each_univariate(check: impl Fn(DistId) -> Vec<String>) {
    let mut failures = Vec::new();
    let mut count = 0;
    for &id in DistId::ALL {
        if id.is_univariate() {
            count += 1;
            failures.extend(check(id));
        }
    }
    assert_eq!(count, 32, "every univariate distribution is visited");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

struct Values<'a>(&'a [serde_json::Value]);

impl UnivariateVisitor for Values<'_> {
    type Output = Vec<String>;
    fn visit<D: Univariate>(self) -> Vec<String> {
        let mut out = Vec::new();
        for case in self.0 {
            let x = nums(&case["x"]);
            let want = num(&case["lp"]);
            assert_eq!(x.len(), D::ARITY);
            let spec = D::SPEC;
            let domains: Vec<Domain> = std::iter::once(spec.variate.domain)
                .chain(spec.args.iter().map(|a| a.domain))
                .collect();
            for (v, d) in x.iter().zip(&domains) {
                assert!(
                    d.contains(*v),
                    "{}: reference point {x:?} outside the domain",
                    spec.name
                );
            }
            D::check_args(&x).unwrap_or_else(|e| panic!("{}: {x:?}: {e}", spec.name));
            let got = D::lpdf::<f64>(&x);
            let mut d = vec![0.0; D::ARITY];
            let fused = D::lpdf_partials::<f64>(&x, &mut d);
            // 1e-12 relative, with a floor of 1 on the scale for values
            // near zero (an absolute 1e-12 there). Where the reference
            // records that terms of magnitude `scale` cancel, double
            // arithmetic is allowed about ten roundings of that magnitude.
            let scale = case.get("scale").map(num).unwrap_or(0.0);
            let tol = 1e-12 * want.abs().max(1.0) + 1e-15 * scale;
            let ok = |v: f64| v == want || (v - want).abs() <= tol;
            if !ok(got) || !ok(fused) {
                out.push(format!(
                    "{}{x:?}: lpdf {got}, fused {fused}, SciPy {want}",
                    spec.name
                ));
            }
        }
        out
    }
}

#[test]
fn log_densities_match_scipy() {
    let table = reference()["univariate"]
        .as_object()
        .expect("univariate table");
    for_each_univariate(|id| {
        let cases = table
            .get(id.name())
            .unwrap_or_else(|| panic!("no reference values for {}", id.name()));
        let cases = cases.as_array().expect("cases");
        assert!(cases.len() >= 4, "{}: too few reference points", id.name());
        id.visit_univariate(Values(cases)).expect("univariate")
    });
}

/// A random point inside the domains, satisfying `check_args` and with a
/// finite log density.
fn random_point<D: Univariate>(rng: &mut vippl::random::VRng) -> Vec<f64> {
    let spec = D::SPEC;
    let domains: Vec<Domain> = std::iter::once(spec.variate.domain)
        .chain(spec.args.iter().map(|a| a.domain))
        .collect();
    for _ in 0..1000 {
        let x: Vec<f64> = domains
            .iter()
            .map(|d| match d {
                Domain::Real => rng.random_range(-3.0..3.0),
                Domain::Positive | Domain::NonNegative => rng.random_range(-1.5f64..1.5).exp(),
                Domain::Unit | Domain::Probability => rng.random_range(0.05..0.95),
                Domain::NonNegInt | Domain::Int => rng.random_range(0..15) as f64,
                Domain::Binary => rng.random_range(0..2) as f64,
                Domain::PositiveInt => rng.random_range(1..15) as f64,
                other => panic!("unexpected domain {other:?}"),
            })
            .collect();
        if D::check_args(&x).is_ok() && D::lpdf(&x).is_finite() {
            return x;
        }
    }
    panic!("{}: no valid random point found", spec.name);
}

fn continuous_entries<D: Univariate>() -> Vec<usize> {
    let spec = D::SPEC;
    std::iter::once(spec.variate.domain)
        .chain(spec.args.iter().map(|a| a.domain))
        .enumerate()
        .filter(|(_, d)| !d.is_integer())
        .map(|(i, _)| i)
        .collect()
}

struct FusedVsDual;

impl UnivariateVisitor for FusedVsDual {
    type Output = Vec<String>;
    fn visit<D: Univariate>(self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rng = stream(11, &[D::ARITY as u64, D::SPEC.name.len() as u64]);
        let cont = continuous_entries::<D>();
        for _ in 0..50 {
            let x = random_point::<D>(&mut rng);
            // f64: value and every partial.
            let mut fused = vec![0.0; D::ARITY];
            let mut dual = vec![0.0; D::ARITY];
            let v1 = D::lpdf_partials::<f64>(&x, &mut fused);
            let v2 = partials(&x, &mut dual, D::lpdf);
            if !close(v1, v2, 1e-12, 1.0) {
                out.push(format!("{}{x:?}: value {v1} vs {v2}", D::SPEC.name));
            }
            for &i in &cont {
                if !close(fused[i], dual[i], 1e-12, 1.0) {
                    out.push(format!(
                        "{}{x:?}: d[{i}] fused {} dual {}",
                        D::SPEC.name,
                        fused[i],
                        dual[i]
                    ));
                }
            }
            // Nested: the same kernel on Dual64 (direction e_j) gives a
            // Hessian row; compare with the dual default on Dual64.
            for &j in &cont {
                let xd: Vec<Dual64> = x
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| Dual64::new(v, if i == j { 1.0 } else { 0.0 }))
                    .collect();
                let mut fd = vec![Dual64::from(0.0); D::ARITY];
                let mut dd = vec![Dual64::from(0.0); D::ARITY];
                D::lpdf_partials::<Dual64>(&xd, &mut fd);
                partials(&xd, &mut dd, D::lpdf::<Dual<Dual64>>);
                for &i in &cont {
                    if !close(fd[i].eps, dd[i].eps, 1e-12, 1.0)
                        || !close(fd[i].re, dd[i].re, 1e-12, 1.0)
                    {
                        out.push(format!(
                            "{}{x:?}: H[{i},{j}] fused {} dual {}",
                            D::SPEC.name,
                            fd[i].eps,
                            dd[i].eps
                        ));
                    }
                }
            }
        }
        out
    }
}

#[test]
fn fused_partials_match_dual_numbers() {
    for_each_univariate(|id| id.visit_univariate(FusedVsDual).expect("univariate"));
}

struct FiniteDifferences;

/// Central difference step for entry value v.
fn step(v: f64) -> f64 {
    1e-5 * v.abs().max(0.1)
}

impl UnivariateVisitor for FiniteDifferences {
    type Output = Vec<String>;
    fn visit<D: Univariate>(self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rng = stream(12, &[D::ARITY as u64, D::SPEC.name.len() as u64]);
        let cont = continuous_entries::<D>();
        let n = D::ARITY;
        let grad = |x: &[f64]| {
            let mut d = vec![0.0; n];
            D::lpdf_partials::<f64>(x, &mut d);
            d
        };
        for _ in 0..20 {
            let x = random_point::<D>(&mut rng);
            let g = grad(&x);
            for &j in &cont {
                let h = step(x[j]);
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[j] += h;
                xm[j] -= h;
                let fd = (D::lpdf::<f64>(&xp) - D::lpdf::<f64>(&xm)) / (2.0 * h);
                // Central differences: truncation O(h²), rounding
                // O(eps |f| / h) ≈ 1e-11 |f| / |x|: 1e-6 relative covers both.
                let scale = g[j].abs().max(D::lpdf::<f64>(&x).abs() * 1e-3).max(1e-2);
                if (fd - g[j]).abs() > 1e-6 * scale {
                    out.push(format!(
                        "{}{x:?}: d[{j}] = {} but finite difference {fd}",
                        D::SPEC.name,
                        g[j]
                    ));
                }
                // Hessian column j from Dual64 partials vs differences of the gradient.
                let xd: Vec<Dual64> = x
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| Dual64::new(v, if i == j { 1.0 } else { 0.0 }))
                    .collect();
                let mut hd = vec![Dual64::from(0.0); n];
                D::lpdf_partials::<Dual64>(&xd, &mut hd);
                let (gp, gm) = (grad(&xp), grad(&xm));
                for &i in &cont {
                    let fdh = (gp[i] - gm[i]) / (2.0 * h);
                    let scale = hd[i]
                        .eps
                        .abs()
                        .max(g[i].abs() / x[j].abs().max(0.1) * 1e-3)
                        .max(1e-2);
                    if (fdh - hd[i].eps).abs() > 1e-5 * scale {
                        out.push(format!(
                            "{}{x:?}: H[{i},{j}] = {} but finite difference {fdh}",
                            D::SPEC.name,
                            hd[i].eps
                        ));
                    }
                }
            }
        }
        out
    }
}

#[test]
fn gradients_and_hessians_match_finite_differences() {
    for_each_univariate(|id| id.visit_univariate(FiniteDifferences).expect("univariate"));
}

#[test]
fn boundary_values() {
    use vippl::dist::{
        bernoulli::Bernoulli, beta::Beta, binomial::Binomial, exponential::Exponential,
        poisson::Poisson, poisson_log::PoissonLog, uniform::Uniform, weibull::Weibull,
    };
    assert_eq!(Exponential::lpdf(&[0.0, 2.0]), 2f64.ln());
    assert_eq!(Poisson::lpdf(&[0.0, 0.0]), 0.0);
    assert_eq!(Poisson::lpdf(&[3.0, 0.0]), f64::NEG_INFINITY);
    assert_eq!(PoissonLog::lpdf(&[0.0, f64::NEG_INFINITY]), 0.0);
    assert_eq!(Bernoulli::lpdf(&[1.0, 1.0]), 0.0);
    assert_eq!(Bernoulli::lpdf(&[0.0, 0.0]), 0.0);
    assert_eq!(Bernoulli::lpdf(&[1.0, 0.0]), f64::NEG_INFINITY);
    assert_eq!(Binomial::lpdf(&[5.0, 5.0, 1.0]), 0.0);
    assert_eq!(Binomial::lpdf(&[0.0, 5.0, 0.0]), 0.0);
    assert_eq!(Binomial::lpdf(&[1.0, 5.0, 0.0]), f64::NEG_INFINITY);
    assert!(
        Binomial::check_args(&[6.0, 5.0, 0.5])
            .unwrap_err()
            .contains("y <= N")
    );
    assert_eq!(Uniform::lpdf(&[2.0, 0.0, 1.0]), f64::NEG_INFINITY);
    assert!(
        Uniform::check_args(&[0.5, 1.0, 1.0])
            .unwrap_err()
            .contains("alpha < beta")
    );
    assert!(Uniform::check_args(&[0.5, 0.0, 1.0]).is_ok());
    assert_eq!(Weibull::lpdf(&[0.0, 2.0, 1.0]), f64::NEG_INFINITY);
    assert_eq!(Weibull::lpdf(&[0.0, 0.5, 1.0]), f64::INFINITY);
    // beta's variate domain is the open interval: callers reject 0 and 1.
    assert!(!Beta::SPEC.variate.domain.contains(0.0) && !Beta::SPEC.variate.domain.contains(1.0));
    // Partials at the Poisson boundary keep the one-sided derivative.
    let mut d = [0.0; 2];
    assert_eq!(Poisson::lpdf_partials(&[0.0, 0.0], &mut d), 0.0);
    assert_eq!(d[1], -1.0);
}
