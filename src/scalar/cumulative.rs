//! Logarithms of distribution functions over any [`Scalar`]: log Φ, the
//! regularized incomplete gamma and beta functions and Student's t, each
//! carrying derivatives of every order the engine uses in the argument
//! and in the shapes, all of which may depend on parameters.
//!
//! The derivatives come from the differential equation every such function
//! satisfies: f = log G with G′ = ±exp(L), L a log density known in closed
//! form, so f′ = ±exp(L − f). Given f at a point and the Taylor
//! coefficients of L (from third-order dual numbers), the coefficients of f
//! follow order by order ([`lift_log_integral`]). The value itself comes
//! from [`super::incomplete`], computed in log space.
//!
//! Where shapes carry derivatives, the function at the fixed point re(x)
//! is computed as a function of the shapes in the arithmetic of the
//! scalar type (series and continued fractions differentiated term by
//! term), and the same recursion in x runs on coefficients that carry the
//! shapes' derivatives ([`lift_log_integral_in_shapes`]), which gives the
//! mixed derivatives too.

use super::incomplete::{
    Tails, beta_tails, beta_tails_in_shape, gamma_tails, gamma_tails_in_shape, normal_tails,
};
use super::{HALF_LOG_TWO_PI, Scalar, lbeta, lgamma, lift};
use num_dual::{Dual3, Dual3_64, DualNum};
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

/// log F(t) for Student's t with `nu` > 0 degrees of freedom (which may
/// carry derivatives), location 0 and scale 1: the tail
/// P(T < −|t|) = I_{ν/(ν+t²)}(ν/2, ½) / 2 comes from the incomplete beta
/// function, the other side from its complement.
pub fn log_student_t_cdf<T: Scalar>(nu: T, t: T) -> T {
    let z = t.re();
    let norm = -lbeta(nu * 0.5, T::from(0.5)) - nu.ln() * 0.5;
    let log_density = |u: Dual3<T>| {
        let nu = Dual3::from_re(nu);
        -((u * u / nu).ln_1p() * ((nu + 1.0) * 0.5)) + Dual3::from_re(norm)
    };
    if z.is_infinite() {
        return T::from(if z < 0.0 { f64::NEG_INFINITY } else { 0.0 });
    }
    let z2 = z * z;
    // x = ν/(ν+t²) and y = t²/(ν+t²) at the fixed t, as functions of ν.
    let (x, y) = (nu / (nu + z2), T::from(z2) / (nu + z2));
    let (tails, [lower, _]) = beta_tails_in_shape(nu * 0.5, T::from(0.5), x, y);
    let tail = lower - LN_2;
    let (value, log_ratio) = if z < 0.0 {
        // F = I_x / 2 and |dx/dt| = 2 x y / |t|.
        let log_ratio = tails.log_ratio_lower + LN_2 + x.re().ln() + y.re().ln() - z.abs().ln();
        (tail, log_ratio)
    } else {
        let value = log1m_exp(tail);
        let log_density_here = log_density(Dual3::from_re(T::from(z))).re.re();
        (value, log_density_here - value.re())
    };
    lift_log_integral_in_shapes(t, value, log_ratio, 1.0, log_density)
}

/// f(x) = log G(x) as in [`lift_log_integral`], where G also depends on
/// shapes that carry derivatives: `value` is f at re(x) as a function of
/// the shapes (its real part the accurate value), `log_ratio` the log of
/// |G′| / G there, and `log_density` evaluates L on a Taylor polynomial in
/// x whose coefficients carry the shapes' derivatives. The coefficients
/// of f in x follow from f′ = sign · exp(L − f) in the arithmetic of `T`,
/// and f(x) = Σₖ fₖ (x − re(x))ᵏ carries every mixed derivative.
pub fn lift_log_integral_in_shapes<T: Scalar>(
    x: T,
    value: T,
    log_ratio: f64,
    sign: f64,
    log_density: impl Fn(Dual3<T>) -> Dual3<T>,
) -> T {
    let order = T::NDERIV;
    if order == 0 || !value.re().is_finite() || log_ratio.is_nan() {
        return T::from(value.re());
    }
    assert!(
        order <= super::TAYLOR_ORDER,
        "derivatives of order {order} requested, cumulative functions carry {}",
        super::TAYLOR_ORDER
    );
    let x0 = x.re();
    let l = log_density(Dual3::from_re(T::from(x0)).derivative());
    let l_coef = [l.re, l.v1, l.v2 * 0.5, l.v3 * (1.0 / 6.0)];
    let zero = T::zero();
    let mut f_coef = [value, zero, zero, zero, zero];
    let mut w = [zero; 4];
    let mut h = [zero; 4];
    // exp(L − f) with its real part from the accurately computed ratio.
    let w0 = l_coef[0] - value;
    let w0 = if w0.re().is_finite() {
        w0 + (log_ratio - w0.re())
    } else {
        T::from(log_ratio)
    };
    h[0] = w0.exp();
    f_coef[1] = h[0] * sign;
    for k in 1..order.min(4) {
        w[k] = l_coef[k] - f_coef[k];
        let mut s = zero;
        for j in 1..=k {
            s += w[j] * h[k - j] * j as f64;
        }
        h[k] = s / k as f64;
        f_coef[k + 1] = h[k] * (sign / (k + 1) as f64);
    }
    let n = x - x0;
    let mut power = T::one();
    let mut out = value;
    for coefficient in &f_coef[1..=order] {
        power *= n;
        out += *coefficient * power;
    }
    out
}

/// The gamma(a, 1) log density at t, for a shape that carries derivatives.
fn gamma_log_density_in_shape<T: Scalar>(a: T, t: Dual3<T>) -> Dual3<T> {
    t.ln() * Dual3::from_re(a - 1.0) - t - Dual3::from_re(lgamma(a))
}

/// log P(a, x) for a shape `a` and a point `x` that may both depend on
/// parameters (see [`log_gamma_p`] for a shape that is data).
pub fn log_gamma_lower<T: Scalar>(a: T, x: T) -> T {
    if T::NDERIV == 0 {
        return T::from(gamma_tails(a.re(), x.re()).log_lower);
    }
    let (tails, [lower, _]) = gamma_tails_in_shape(a, x.re());
    lift_log_integral_in_shapes(x, lower, tails.log_ratio_lower, 1.0, |u| {
        gamma_log_density_in_shape(a, u)
    })
}

/// log Q(a, x) = log(1 − P(a, x)) for a shape and a point that may both
/// depend on parameters, computed without cancellation.
pub fn log_gamma_upper<T: Scalar>(a: T, x: T) -> T {
    if T::NDERIV == 0 {
        return T::from(gamma_tails(a.re(), x.re()).log_upper);
    }
    let (tails, [_, upper]) = gamma_tails_in_shape(a, x.re());
    lift_log_integral_in_shapes(x, upper, tails.log_ratio_upper, -1.0, |u| {
        gamma_log_density_in_shape(a, u)
    })
}

/// The beta(a, b) log density at t, for shapes that carry derivatives,
/// with 1 − t formed from `y0` = 1 − re(t).
fn beta_log_density_in_shapes<T: Scalar>(a: T, b: T, t: Dual3<T>, y0: f64) -> Dual3<T> {
    let one_minus = Dual3::new(T::from(y0), -t.v1, -t.v2, -t.v3);
    t.ln() * Dual3::from_re(a - 1.0) + one_minus.ln() * Dual3::from_re(b - 1.0)
        - Dual3::from_re(lbeta(a, b))
}

/// log I_x(a, b) for shapes and a point that may all depend on
/// parameters; `y` is 1 − re(x), given by callers who can form it without
/// rounding (see [`log_beta_i`] for shapes that are data).
pub fn log_beta_lower<T: Scalar>(a: T, b: T, x: T, y: f64) -> T {
    if T::NDERIV == 0 {
        return T::from(beta_tails(a.re(), b.re(), x.re(), y).log_lower);
    }
    let (x0, y0) = (T::from(x.re()), T::from(y));
    let (tails, [lower, _]) = beta_tails_in_shape(a, b, x0, y0);
    lift_log_integral_in_shapes(x, lower, tails.log_ratio_lower, 1.0, |u| {
        beta_log_density_in_shapes(a, b, u, y)
    })
}

/// log(1 − I_x(a, b)) for shapes and a point that may all depend on
/// parameters, computed without cancellation.
pub fn log_beta_upper<T: Scalar>(a: T, b: T, x: T, y: f64) -> T {
    if T::NDERIV == 0 {
        return T::from(beta_tails(a.re(), b.re(), x.re(), y).log_upper);
    }
    let (x0, y0) = (T::from(x.re()), T::from(y));
    let (tails, [_, upper]) = beta_tails_in_shape(a, b, x0, y0);
    lift_log_integral_in_shapes(x, upper, tails.log_ratio_upper, -1.0, |u| {
        beta_log_density_in_shapes(a, b, u, y)
    })
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
