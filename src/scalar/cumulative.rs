//! Logarithms of distribution functions over any [`Scalar`]: log Φ, the
//! regularized incomplete gamma and beta functions and Student's t, each
//! carrying derivatives of every order the engine uses in the argument
//! that may depend on parameters. Shape arguments are plain `f64` (data).
//!
//! The derivatives come from the differential equation every such function
//! satisfies: f = log G with G′ = ±exp(L), L a log density known in closed
//! form, so f′ = ±exp(L − f). Given f at a point and the Taylor
//! coefficients of L (from third-order dual numbers), the coefficients of f
//! follow order by order ([`lift_log_integral`]). The value itself comes
//! from [`super::incomplete`], computed in log space.

use super::incomplete::{Tails, beta_tails, gamma_tails, normal_tails};
use super::{HALF_LOG_TWO_PI, Scalar, lbeta, lgamma, lift};
use num_dual::{Dual3_64, DualNum};
use std::f64::consts::LN_2;

/// f(x) = log G(x) where G′(x) = sign · exp(L(x)): `value` is f at re(x),
/// `log_ratio` is log(|G′| / G) there (computed where it is accurate, so
/// that f′ does not come from the difference of two large logarithms),
/// and `log_density` evaluates L, from which the higher derivatives of f
/// up to order four follow (f′ = sign · exp(L − f), differentiated by the
/// rules for power series). An infinite value (G = 0 or G = ∞), or a
/// point on the edge of the support, carries no derivatives.
pub fn lift_log_integral<T: Scalar>(
    x: T,
    value: f64,
    log_ratio: f64,
    sign: f64,
    log_density: impl Fn(Dual3_64) -> Dual3_64,
) -> T {
    if T::NDERIV == 0 || !value.is_finite() || log_ratio.is_nan() {
        return T::from(value);
    }
    let l = log_density(Dual3_64::from_re(x.re()).derivative());
    // Taylor coefficients (derivative / k!) of L, of f, of w = L − f and of h = exp(w).
    let l_coef = [l.re, l.v1, l.v2 / 2.0, l.v3 / 6.0];
    let mut f_coef = [value, 0.0, 0.0, 0.0, 0.0];
    let mut w = [0.0; 4];
    let mut h = [0.0; 4];
    h[0] = log_ratio.exp();
    f_coef[1] = sign * h[0];
    for k in 1..4 {
        w[k] = l_coef[k] - f_coef[k];
        let s: f64 = (1..=k).map(|j| j as f64 * w[j] * h[k - j]).sum();
        h[k] = s / k as f64;
        f_coef[k + 1] = sign * h[k] / (k + 1) as f64;
    }
    let derivatives = [
        f_coef[0],
        f_coef[1],
        2.0 * f_coef[2],
        6.0 * f_coef[3],
        24.0 * f_coef[4],
    ];
    lift(x, |_, k| derivatives[k])
}

/// log Φ(x), the log of the standard normal distribution function,
/// accurate in both tails (log Φ(−40) ≈ −804.6, log Φ(40) ≈ −3.6e−350).
#[allow(non_snake_case)]
pub fn log_Phi<T: Scalar>(x: T) -> T {
    let t = normal_tails(x.re());
    lift_log_integral(x, t.log_lower, t.log_ratio_lower, 1.0, |z| {
        -(z * z) * 0.5 - HALF_LOG_TWO_PI
    })
}

/// log of the gamma(a, 1) density at t.
fn gamma_log_density(a: f64, t: Dual3_64) -> Dual3_64 {
    t.ln() * (a - 1.0) - t - lgamma(a)
}

/// log P(a, x), the log of the regularized lower incomplete gamma
/// function (the gamma(a, 1) distribution function at x), for data a > 0.
pub fn log_gamma_p<T: Scalar>(a: f64, x: T) -> T {
    let t = gamma_tails(a, x.re());
    lift_log_integral(x, t.log_lower, t.log_ratio_lower, 1.0, |u| {
        gamma_log_density(a, u)
    })
}

/// log Q(a, x) = log(1 − P(a, x)), computed without cancellation.
pub fn log_gamma_q<T: Scalar>(a: f64, x: T) -> T {
    let t = gamma_tails(a, x.re());
    lift_log_integral(x, t.log_upper, t.log_ratio_upper, -1.0, |u| {
        gamma_log_density(a, u)
    })
}

/// log of the beta(a, b) density at t, with 1 − t formed from `y0` = 1 − re(t).
fn beta_log_density(a: f64, b: f64, t: Dual3_64, y0: f64) -> Dual3_64 {
    let one_minus = Dual3_64::new(y0, -t.v1, -t.v2, -t.v3);
    t.ln() * (a - 1.0) + one_minus.ln() * (b - 1.0) - lbeta(a, b)
}

/// log I_x(a, b), the log of the regularized incomplete beta function
/// (the beta(a, b) distribution function at x), for data a, b > 0; `y` is
/// 1 − re(x), given by callers who can form it without rounding.
pub fn log_beta_i<T: Scalar>(a: f64, b: f64, x: T, y: f64) -> T {
    let t: Tails = beta_tails(a, b, x.re(), y);
    lift_log_integral(x, t.log_lower, t.log_ratio_lower, 1.0, |u| {
        beta_log_density(a, b, u, y)
    })
}

/// log(1 − I_x(a, b)), computed without cancellation.
pub fn log_beta_ic<T: Scalar>(a: f64, b: f64, x: T, y: f64) -> T {
    let t = beta_tails(a, b, x.re(), y);
    lift_log_integral(x, t.log_upper, t.log_ratio_upper, -1.0, |u| {
        beta_log_density(a, b, u, y)
    })
}

/// log F(t) for Student's t with data `nu` > 0 degrees of freedom, location
/// 0 and scale 1: the tail P(T < −|t|) = I_{ν/(ν+t²)}(ν/2, ½) / 2 comes
/// from the incomplete beta function, the other side from its complement.
pub fn log_student_t_cdf<T: Scalar>(nu: f64, t: T) -> T {
    let z = t.re();
    let norm = -lbeta(nu * 0.5, 0.5) - nu.ln() * 0.5;
    let log_density = |u: Dual3_64| -((u * u / nu).ln_1p() * ((nu + 1.0) * 0.5)) + norm;
    let (value, log_ratio) = if z.is_infinite() {
        (if z < 0.0 { f64::NEG_INFINITY } else { 0.0 }, f64::NAN)
    } else {
        let z2 = z * z;
        let (x, y) = (nu / (nu + z2), z2 / (nu + z2));
        let tails = beta_tails(nu * 0.5, 0.5, x, y);
        let tail = tails.log_lower - LN_2;
        if z < 0.0 {
            // F = I_x / 2 and |dx/dt| = 2 x y / |t|.
            let log_ratio = tails.log_ratio_lower + LN_2 + x.ln() + y.ln() - z.abs().ln();
            (tail, log_ratio)
        } else {
            let value = super::incomplete::log1m_exp(tail);
            (value, log_density(Dual3_64::from_re(z)).re - value)
        }
    };
    lift_log_integral(t, value, log_ratio, 1.0, log_density)
}

/// log(1 − exp(v)) for v ≤ 0, accurate on both sides of −log 2.
pub fn log1m_exp<T: Scalar>(v: T) -> T {
    if v.re() > -LN_2 {
        (-v.exp_m1()).ln()
    } else {
        (-v.exp()).ln_1p()
    }
}

/// log(exp(a) − exp(b)) for a ≥ b; −∞ when a = b, NaN when a < b.
pub fn log_diff_exp<T: Scalar>(a: T, b: T) -> T {
    if b.re() == f64::NEG_INFINITY {
        return a;
    }
    if a.re() == b.re() {
        return T::from(f64::NEG_INFINITY);
    }
    if a.re() < b.re() {
        return T::from(f64::NAN);
    }
    a + log1m_exp(b - a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_dual::Dual64;

    /// First derivatives match the densities that define the functions.
    #[test]
    fn first_derivatives_are_density_ratios() {
        let x = Dual64::from_re(-3.0).derivative();
        let f = log_Phi(x);
        let density = (-4.5f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
        assert!((f.eps - density / f.re.exp()).abs() < 1e-12);
        let x = Dual64::from_re(2.0).derivative();
        let f = log_gamma_q(3.0, x);
        // d/dx log Q(3, x) = −x² e^−x / (2 Q), Q(3, x) = e^−x (1 + x + x²/2).
        let q = (-2.0f64).exp() * 5.0;
        assert!((f.re - q.ln()).abs() < 1e-14);
        assert!((f.eps + 4.0 * (-2.0f64).exp() / 2.0 / q).abs() < 1e-13);
    }
}
