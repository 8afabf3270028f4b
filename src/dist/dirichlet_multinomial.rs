//! `dirichlet_multinomial` — dirichlet_multinomial(alpha): counts y[1..K] of N = sum(y) trials whose category probabilities are dirichlet(alpha), alpha > 0; dirichlet_multinomial_rng(alpha, N)

use super::dirichlet::check_simplex;
use super::multinomial::{draw_counts, log_coefficient, trials, vector_arg};
use super::{ArgShape, ArgSpec, DistSpec, Domain, Multivariate, View, draw};
use crate::random::VRng;
use crate::scalar::{Scalar, lgamma};

pub struct DirichletMultinomial;

const SPEC: DistSpec = DistSpec {
    name: "dirichlet_multinomial",
    variate: ArgSpec::new("y", ArgShape::Vector, Domain::NonNegInt),
    args: &[ArgSpec::new("alpha", ArgShape::Vector, Domain::Positive)],
    doc: "dirichlet_multinomial(alpha): counts y (an int[K]) of sum(y) trials whose probabilities are dirichlet(alpha), alpha > 0; dirichlet_multinomial_rng(alpha, N)",
};

impl Multivariate for DirichletMultinomial {
    const SPEC: DistSpec = SPEC;

    /// log N! − Σ log y_k! + log Γ(α₀) − log Γ(N + α₀) + Σ [log Γ(y_k + α_k) − log Γ(α_k)].
    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
        let (y, alpha) = (&args[0], &args[1]);
        vector_arg(alpha, "alpha")?;
        let coefficient = log_coefficient(y, alpha.len(), "alpha")?;
        let total: f64 = y.data.iter().map(|v| v.re()).sum();
        let mut alpha_sum = T::zero();
        let mut lp = T::from(coefficient);
        for (v, &a) in y.data.iter().zip(alpha.data) {
            alpha_sum += a;
            if v.re() > 0.0 {
                lp += lgamma(a + v.re()) - lgamma(a);
            }
        }
        if total > 0.0 {
            lp += lgamma(alpha_sum) - lgamma(alpha_sum + total);
        }
        Ok(lp)
    }

    /// theta ~ dirichlet(alpha), then multinomial counts.
    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String> {
        let alpha = &args[0];
        vector_arg(alpha, "alpha")?;
        let n = trials(&args[1])?;
        let gammas: Vec<f64> = alpha
            .data
            .iter()
            .map(|&a| draw(rand_distr::Gamma::new(a, 1.0), rng))
            .collect();
        let sum: f64 = gammas.iter().sum();
        let theta: Vec<f64> = gammas.iter().map(|g| g / sum).collect();
        check_simplex(&theta, "theta")?;
        draw_counts(&theta, n, rng, out);
        Ok(())
    }
}
