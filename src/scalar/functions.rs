//! Scalar functions over any [`Scalar`]: the special functions (lifted from
//! `f64`) and the numerically stable compositions densities are built from.

use super::{Scalar, lift, special};

/// ½ log(2π)
pub const HALF_LOG_TWO_PI: f64 = 0.918_938_533_204_672_8;

/// log |Γ(x)|.
pub fn lgamma<T: Scalar>(x: T) -> T {
    lift(x, |a, k| {
        if k == 0 {
            special::lgamma(a)
        } else {
            special::polygamma(k - 1, a)
        }
    })
}

/// ψ(x) = d/dx log Γ(x).
pub fn digamma<T: Scalar>(x: T) -> T {
    lift(x, |a, k| special::polygamma(k, a))
}

/// ψ′(x).
pub fn trigamma<T: Scalar>(x: T) -> T {
    polygamma(1, x)
}

/// ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function.
pub fn polygamma<T: Scalar>(n: usize, x: T) -> T {
    lift(x, |a, k| special::polygamma(n + k, a))
}

pub fn erf<T: Scalar>(x: T) -> T {
    lift(x, |a, k| special::erf_derivative(k, a))
}

/// 1 − erf(x), accurate where erf(x) is close to 1.
pub fn erfc<T: Scalar>(x: T) -> T {
    lift(x, |a, k| {
        if k == 0 {
            special::erfc(a)
        } else {
            -special::erf_derivative(k, a)
        }
    })
}

/// Standard normal CDF, computed from erfc so that the lower tail keeps
/// its relative accuracy (Φ(−30) ≈ 5e−198, not 0).
#[allow(non_snake_case)]
pub fn Phi<T: Scalar>(x: T) -> T {
    lift(x, |a, k| special::phi_derivative(k, a))
}

/// Standard normal quantile function Φ⁻¹(p), with derivatives.
#[allow(non_snake_case)]
pub fn inv_Phi<T: Scalar>(p: T) -> T {
    lift(p, |a, k| special::inv_phi_derivative(k, a))
}

/// Stan's logistic approximation of Φ: inv_logit(0.07056 x³ + 1.5976 x).
#[allow(non_snake_case)]
pub fn Phi_approx<T: Scalar>(x: T) -> T {
    inv_logit(x * (x * x * 0.07056 + 1.5976))
}

/// The angle of the point (x, y) in (−π, π], differentiable wherever
/// the point is not the origin (also on the axes, where y / x is not).
pub fn atan2<T: Scalar>(y: T, x: T) -> T {
    use std::f64::consts::{FRAC_PI_2, PI};
    let (yr, xr) = (y.re(), x.re());
    if xr > 0.0 {
        (y / x).atan()
    } else if xr < 0.0 {
        (y / x).atan() + if yr >= 0.0 { PI } else { -PI }
    } else if yr > 0.0 {
        -(x / y).atan() + FRAC_PI_2
    } else if yr < 0.0 {
        -(x / y).atan() - FRAC_PI_2
    } else {
        T::from(yr.atan2(xr))
    }
}

/// −log(ŷ) when y = 1, −log(1 − ŷ) when y = 0 (y is data).
pub fn binary_log_loss<T: Scalar>(y: f64, y_hat: T) -> T {
    if y == 1.0 { -y_hat.ln() } else { -log1m(y_hat) }
}

/// log(1 + exp(x)) (softplus) without overflow or loss of small values.
pub fn log1p_exp<T: Scalar>(x: T) -> T {
    if x.re() > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// log(exp(a) + exp(b)).
pub fn log_sum_exp<T: Scalar>(a: T, b: T) -> T {
    if a.re() == f64::NEG_INFINITY {
        return b;
    }
    if b.re() == f64::NEG_INFINITY {
        return a;
    }
    if a.re() >= b.re() {
        a + (b - a).exp().ln_1p()
    } else {
        b + (a - b).exp().ln_1p()
    }
}

/// log Σ exp(v_i), shifted by the maximum; −∞ for an empty slice.
pub fn log_sum_exp_slice<T: Scalar>(v: &[T]) -> T {
    let Some(imax) = (0..v.len()).max_by(|&i, &j| v[i].re().total_cmp(&v[j].re())) else {
        return T::from(f64::NEG_INFINITY);
    };
    let m = v[imax];
    if !m.re().is_finite() {
        return m;
    }
    let mut s = T::zero();
    for &x in v {
        s += (x - m).exp();
    }
    m + s.ln()
}

/// log(1 − x).
pub fn log1m<T: Scalar>(x: T) -> T {
    (-x).ln_1p()
}

/// log(p / (1 − p)).
pub fn logit<T: Scalar>(p: T) -> T {
    p.ln() - log1m(p)
}

/// 1 / (1 + exp(−x)), without overflow for either sign.
pub fn inv_logit<T: Scalar>(x: T) -> T {
    if x.re() < 0.0 {
        let e = x.exp();
        e / (e + 1.0)
    } else {
        ((-x).exp() + 1.0).recip()
    }
}

/// log(inv_logit(x)).
pub fn log_inv_logit<T: Scalar>(x: T) -> T {
    -log1p_exp(-x)
}

/// log(1 − inv_logit(x)).
pub fn log1m_inv_logit<T: Scalar>(x: T) -> T {
    -log1p_exp(x)
}

pub fn expm1<T: Scalar>(x: T) -> T {
    x.exp_m1()
}

pub fn log1p<T: Scalar>(x: T) -> T {
    x.ln_1p()
}

/// lgamma(x) minus its Stirling approximation (x − ½) log x − x + ½ log 2π,
/// for x ≥ 10, from the asymptotic series Σ B_2k / (2k (2k − 1) x^(2k−1)).
fn lgamma_stirling_diff<T: Scalar>(x: T) -> T {
    const C: [f64; 8] = [
        1.0 / 12.0,
        -1.0 / 360.0,
        1.0 / 1260.0,
        -1.0 / 1680.0,
        1.0 / 1188.0,
        -691.0 / 360_360.0,
        1.0 / 156.0,
        -3617.0 / 122_400.0,
    ];
    let inv = x.recip();
    let inv2 = inv * inv;
    let mut s = T::zero();
    for c in C.iter().rev() {
        s = s * inv2 + *c;
    }
    s * inv
}

/// log B(a, b) = lgamma(a) + lgamma(b) − lgamma(a + b), evaluated without
/// the catastrophic cancellation of that formula when a or b is large
/// (e.g. neg_binomial_2 with a large phi).
pub fn lbeta<T: Scalar>(a: T, b: T) -> T {
    if a.re().is_nan() || b.re().is_nan() {
        return T::from(f64::NAN);
    }
    let (x, y) = if a.re() <= b.re() { (a, b) } else { (b, a) };
    if y.re() < 10.0 {
        return lgamma(x) + lgamma(y) - lgamma(x + y);
    }
    let xy = x + y;
    let r = x / xy;
    if x.re() < 10.0 {
        // lgamma(y) − lgamma(x + y) by Stirling, differences kept exact.
        let stirling = (y - 0.5) * log1m(r) + x * (-xy.ln() + 1.0);
        return lgamma(x) + stirling + lgamma_stirling_diff(y) - lgamma_stirling_diff(xy);
    }
    let stirling = (x - 0.5) * r.ln() + (y - 0.5) * log1m(r) - xy.ln() * 0.5 + HALF_LOG_TWO_PI;
    stirling + lgamma_stirling_diff(x) + lgamma_stirling_diff(y) - lgamma_stirling_diff(xy)
}

/// log of the binomial coefficient (n choose k), for real n ≥ k ≥ 0, via
/// lbeta so that large n keeps its accuracy.
pub fn lchoose<T: Scalar>(n: T, k: T) -> T {
    if k.re() == 0.0 {
        // (n choose 0) = 1 for every n: value and derivatives are zero.
        return T::zero();
    }
    let r = -(n.ln_1p()) - lbeta(n - k + 1.0, k + 1.0);
    if k.re() == n.re() {
        // (n choose n) = 1: an exact zero, keeping the derivatives in n.
        return r - T::from(r.re());
    }
    r
}

/// Real power x^y with the conventions users expect: exact integer powers
/// (including of negative bases), NaN for a negative base and a fractional
/// exponent. Where x ≤ 0 the derivative with respect to y (which involves
/// log x) is not propagated.
pub fn pow<T: Scalar>(x: T, y: T) -> T {
    let yr = y.re();
    if yr == yr.round() && yr.abs() < i32::MAX as f64 {
        let n = yr as i32;
        let p = x.powi(n);
        if x.re() > 0.0 {
            // y − n is nilpotent: the factor only carries derivatives in y.
            return p * ((y - T::from(yr)) * x.ln()).exp();
        }
        return p;
    }
    if x.re() > 0.0 {
        (y * x.ln()).exp()
    } else if x.re() == 0.0 && yr > 0.0 {
        T::zero()
    } else if x.re() == 0.0 {
        T::from(f64::INFINITY)
    } else {
        T::from(f64::NAN)
    }
}

/// The smaller of two reals; a NaN argument is ignored (C's fmin).
pub fn fmin<T: Scalar>(x: T, y: T) -> T {
    if x.re().is_nan() || y.re() < x.re() {
        y
    } else {
        x
    }
}

/// The larger of two reals; a NaN argument is ignored (C's fmax).
pub fn fmax<T: Scalar>(x: T, y: T) -> T {
    if x.re().is_nan() || y.re() > x.re() {
        y
    } else {
        x
    }
}
