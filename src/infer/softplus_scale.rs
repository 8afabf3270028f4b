//! The softplus coordinates of a mean-field scale (`FitConfig::softplus_scale`):
//! s = softplus(ρ) = log(1 + e^ρ), as in the published logistic-regression
//! experiments. The flow's direction for s becomes ∂/∂ρ = ∂/∂s · sigmoid(ρ)
//! (algorithms.md §4.3), and the optimizer moves ρ, so s stays positive
//! whatever the step.

/// softplus(ρ) = log(1 + e^ρ), without overflow for large ρ.
pub(crate) fn softplus(rho: f64) -> f64 {
    rho.max(0.0) + (-rho.abs()).exp().ln_1p()
}

/// ρ with softplus(ρ) = s, for s > 0: log(e^s − 1) = s + log(1 − e^−s).
/// Written in ρ's own terms so that neither tiny nor large s loses digits;
/// s ≤ 0 (which softplus never produces) gives −∞, whose softplus is 0.
pub(crate) fn softplus_inverse(s: f64) -> f64 {
    if s > 0.0 {
        s + (-(-s).exp_m1()).ln()
    } else {
        f64::NEG_INFINITY
    }
}

/// d softplus / dρ = 1 / (1 + e^−ρ).
pub(crate) fn sigmoid(rho: f64) -> f64 {
    if rho >= 0.0 {
        1.0 / (1.0 + (-rho).exp())
    } else {
        let e = rho.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::choices::Optimizer;
    use crate::infer::optimizer::OptState;

    #[test]
    fn softplus_inverts_and_its_derivative_is_the_sigmoid() {
        for rho in [-40.0, -8.0, -1.3, -1e-3, 0.0, 0.4, 1.0, 7.5, 30.0, 800.0] {
            let s = softplus(rho);
            assert!(s > 0.0 && s.is_finite(), "{rho}: {s}");
            let back = softplus_inverse(s);
            assert!(
                (back - rho).abs() <= 1e-9 * (1.0 + rho.abs()),
                "{rho} → {s} → {back}"
            );
            // Central difference of softplus against the sigmoid.
            let h = 1e-5 * (1.0 + rho.abs());
            let fd = (softplus(rho + h) - softplus(rho - h)) / (2.0 * h);
            assert!(
                (fd - sigmoid(rho)).abs() < 1e-8,
                "{rho}: {fd} vs {}",
                sigmoid(rho)
            );
        }
        assert_eq!(softplus(0.0), std::f64::consts::LN_2);
        assert_eq!(softplus_inverse(0.0), f64::NEG_INFINITY);
        assert_eq!(softplus(f64::NEG_INFINITY), 0.0);
    }

    /// Stepping θ = (μ, s) with the s-direction is the same as stepping
    /// (μ, ρ) with the chain-ruled direction by hand (Adam and Euler), over
    /// several steps so that Adam's moments in ρ are exercised.
    #[test]
    fn a_softplus_step_is_the_step_in_rho() {
        for kind in [Optimizer::Adam, Optimizer::Euler] {
            let mut theta = vec![0.5, -1.0, softplus(0.0), softplus(1.0)];
            let mut in_rho = vec![0.5, -1.0, 0.0, 1.0];
            let mut a = OptState::new(kind, 4).with_softplus(2..4);
            let mut b = OptState::new(kind, 4);
            for t in 0..5 {
                let f = t as f64;
                let dir = [0.3 - f, 2.0, -0.7 + 0.2 * f, 1.5 * f - 2.0];
                a.step(&mut theta, &dir, 0.1);
                let mut dir_rho = dir;
                for i in 2..4 {
                    dir_rho[i] *= sigmoid(in_rho[i]);
                }
                b.step(&mut in_rho, &dir_rho, 0.1);
                for i in 0..4 {
                    let want = if i >= 2 {
                        softplus(in_rho[i])
                    } else {
                        in_rho[i]
                    };
                    assert!((theta[i] - want).abs() < 1e-12, "{kind:?} {t} {i}");
                }
            }
        }
    }
}
