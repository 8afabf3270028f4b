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
}
