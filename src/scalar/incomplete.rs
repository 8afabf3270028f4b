//! Plain `f64` cumulative functions on the log scale: log Φ, the
//! regularized incomplete gamma functions P and Q, and the regularized
//! incomplete beta function I and its complement. Each returns the
//! logarithm of a probability together with the logarithm of its
//! complement, both computed from the side where the probability is small
//! (never as log(1 − p) of a p close to 1), so far tails keep their
//! relative accuracy.

use super::special::erfc;
use super::{Scalar, lgamma};
use std::f64::consts::{FRAC_1_SQRT_2, LN_2};

/// ½ log(2π)
const HALF_LOG_TWO_PI: f64 = 0.918_938_533_204_672_8;

/// Relative tolerance of the series and continued fractions.
const TOLERANCE: f64 = 1e-16;

/// Iterations after which a series or continued fraction gives up (only
/// reached for shapes far beyond 10⁸, where the result is NaN).
const MAX_ITERATIONS: usize = 200_000;

/// Smallest magnitude kept in the modified Lentz algorithm.
const TINY: f64 = 1e-300;

/// A distribution function at one point, on the log scale: log F and
/// log(1 − F), and the logs of the density divided by each of them (the
/// first derivatives of log F and −log(1 − F)). Each is computed from the
/// side where it is accurate: a ratio for a probability near zero comes
/// from the series or continued fraction itself, not from the difference
/// of two large logarithms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tails {
    pub log_lower: f64,
    pub log_upper: f64,
    pub log_ratio_lower: f64,
    pub log_ratio_upper: f64,
}

impl Tails {
    const NAN: Tails = Tails {
        log_lower: f64::NAN,
        log_upper: f64::NAN,
        log_ratio_lower: f64::NAN,
        log_ratio_upper: f64::NAN,
    };

    /// F = 0 (`below`) or F = 1.
    fn edge(below: bool) -> Tails {
        let (lower, upper) = if below {
            (f64::NEG_INFINITY, 0.0)
        } else {
            (0.0, f64::NEG_INFINITY)
        };
        Tails {
            log_lower: lower,
            log_upper: upper,
            log_ratio_lower: f64::NAN,
            log_ratio_upper: f64::NAN,
        }
    }

    /// From log F (when `lower_is_direct`) or log(1 − F), its density
    /// ratio computed directly, and the log density for the other side.
    fn from_side(lower_is_direct: bool, log_p: f64, log_ratio: f64, log_density: f64) -> Tails {
        let log_p = log_p.min(0.0);
        let other = log1m_exp(log_p);
        let other_ratio = log_density - other;
        if lower_is_direct {
            Tails {
                log_lower: log_p,
                log_upper: other,
                log_ratio_lower: log_ratio,
                log_ratio_upper: other_ratio,
            }
        } else {
            Tails {
                log_lower: other,
                log_upper: log_p,
                log_ratio_lower: other_ratio,
                log_ratio_upper: log_ratio,
            }
        }
    }
}

/// log(1 − exp(v)) for v ≤ 0, accurate on both sides of −log 2.
pub fn log1m_exp(v: f64) -> f64 {
    if v > 0.0 {
        f64::NAN
    } else if v > -LN_2 {
        (-v.exp_m1()).ln()
    } else {
        (-v.exp()).ln_1p()
    }
}

/// log Φ(x) and log(1 − Φ(x)) for the standard normal distribution.
///
/// Below x = −3 from the continued fraction of Mills' ratio,
/// Φ(x) = φ(x) R(−x) with R(t) = 1/(t + 1/(t + 2/(t + 3/(t + ⋯)))), which
/// keeps full relative accuracy (and gives φ/Φ = 1/R directly) as far
/// as x = −38 and beyond, where Φ underflows; above from erfc.
pub fn normal_tails(x: f64) -> Tails {
    if x.is_nan() {
        return Tails::NAN;
    }
    if x.is_infinite() {
        return Tails::edge(x < 0.0);
    }
    let log_density = -0.5 * x * x - HALF_LOG_TWO_PI;
    let lower_is_direct = x <= 0.0;
    let t = x.abs();
    let (log_p, log_ratio) = if t > 3.0 {
        let ratio = mills_ratio(t);
        (log_density + ratio.ln(), -ratio.ln())
    } else {
        let log_p = (0.5 * erfc(t * FRAC_1_SQRT_2)).ln();
        (log_p, log_density - log_p)
    };
    Tails::from_side(lower_is_direct, log_p, log_ratio, log_density)
}

/// log Φ(x), the logarithm of the standard normal distribution function.
pub fn log_phi(x: f64) -> f64 {
    normal_tails(x).log_lower
}

/// Mills' ratio (1 − Φ(t)) / φ(t) for t > 0, by its continued fraction
/// (modified Lentz).
fn mills_ratio(t: f64) -> f64 {
    let mut f = t;
    let mut c = t;
    let mut d = 0.0;
    for k in 1..MAX_ITERATIONS {
        let a = k as f64;
        d = t + a * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = t + a / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < TOLERANCE {
            break;
        }
    }
    1.0 / f
}

/// log P(a, x) and log Q(a, x), the regularized lower and upper
/// incomplete gamma functions (the gamma(a, 1) distribution function at x
/// and its complement), for a > 0 and x ≥ 0.
///
/// The power series gives P when x < a + 1 and the continued fraction
/// gives Q otherwise; the other one follows through [`log1m_exp`], where
/// it is the larger of the two.
pub fn gamma_tails(a: f64, x: f64) -> Tails {
    gamma_tails_in_shape(a, x).0
}

/// [`gamma_tails`] at re(a), together with log P and log Q as functions of
/// a shape `a` that may carry derivatives (the series and the continued
/// fraction differentiated term by term, through the arithmetic of `T`).
/// Derivatives of the smaller side come from its own series, those of the
/// larger one through log(1 − exp(·)), so both keep their relative
/// accuracy in the far tails.
pub fn gamma_tails_in_shape<T: Scalar>(a: T, x: f64) -> (Tails, [T; 2]) {
    let a0 = a.re();
    if a0.is_nan() || x.is_nan() || a0 <= 0.0 || x < 0.0 {
        return constant_tails(Tails::NAN);
    }
    if x == 0.0 || x == f64::INFINITY {
        return constant_tails(Tails::edge(x == 0.0));
    }
    let prefactor = a * x.ln() - x - lgamma(a);
    // The gamma(a, 1) log density is the prefactor minus log x.
    let log_density = prefactor.re() - x.ln();
    if x < a0 + 1.0 {
        let sum = gamma_series(a, x);
        let log_ratio = -(x.ln() + sum.re().ln());
        from_direct_side(true, prefactor + sum.ln(), log_ratio, log_density)
    } else {
        let fraction = gamma_fraction(a, x);
        let log_ratio = -(x.ln() + fraction.re().ln());
        from_direct_side(false, prefactor + fraction.ln(), log_ratio, log_density)
    }
}

/// Tails that carry no derivatives.
fn constant_tails<T: Scalar>(t: Tails) -> (Tails, [T; 2]) {
    (t, [T::from(t.log_lower), T::from(t.log_upper)])
}

/// [`Tails::from_side`] where the direct side carries derivatives: the
/// other side is log(1 − exp(·)) of it in the arithmetic of `T`.
fn from_direct_side<T: Scalar>(
    lower_is_direct: bool,
    log_p: T,
    log_ratio: f64,
    log_density: f64,
) -> (Tails, [T; 2]) {
    let log_p = if log_p.re() > 0.0 { T::zero() } else { log_p };
    let other = super::log1m_exp(log_p);
    let other_ratio = log_density - other.re();
    if lower_is_direct {
        let tails = Tails {
            log_lower: log_p.re(),
            log_upper: other.re(),
            log_ratio_lower: log_ratio,
            log_ratio_upper: other_ratio,
        };
        (tails, [log_p, other])
    } else {
        let tails = Tails {
            log_lower: other.re(),
            log_upper: log_p.re(),
            log_ratio_lower: other_ratio,
            log_ratio_upper: log_ratio,
        };
        (tails, [other, log_p])
    }
}

/// (log P(a, x), log Q(a, x)); see [`gamma_tails`].
pub fn log_gamma_pq(a: f64, x: f64) -> (f64, f64) {
    let t = gamma_tails(a, x);
    (t.log_lower, t.log_upper)
}

/// Iterations a series or continued fraction runs on after its value has
/// converged, when it carries derivatives (which converge a little more
/// slowly than the value: each term's derivative grows like its index).
fn extra_iterations<T: Scalar>() -> usize {
    if T::NDERIV == 0 { 0 } else { 8 }
}

/// Σₙ xⁿ / (a (a+1) ⋯ (a+n)), so that P = x^a e^−x / Γ(a) times it.
fn gamma_series<T: Scalar>(a: T, x: f64) -> T {
    let mut denominator = a;
    let mut term = a.recip();
    let mut sum = term;
    let mut extra = extra_iterations::<T>();
    for _ in 0..MAX_ITERATIONS {
        denominator += 1.0;
        term *= T::from(x) / denominator;
        sum += term;
        if term.re().abs() < sum.re().abs() * TOLERANCE {
            if extra == 0 {
                return sum;
            }
            extra -= 1;
        }
    }
    T::from(f64::NAN)
}

/// Keeps a denominator of the modified Lentz algorithm away from zero.
fn away_from_zero<T: Scalar>(v: T) -> T {
    if v.re().abs() < TINY {
        T::from(TINY)
    } else {
        v
    }
}

/// The continued fraction 1/(x+1−a− 1(1−a)/(x+3−a− 2(2−a)/(x+5−a− ⋯))),
/// so that Q = x^a e^−x / Γ(a) times it (modified Lentz).
fn gamma_fraction<T: Scalar>(a: T, x: f64) -> T {
    let mut b = -a + (x + 1.0);
    let mut c = T::from(1.0 / TINY);
    let mut d = b.recip();
    let mut h = d;
    let mut extra = extra_iterations::<T>();
    for i in 1..MAX_ITERATIONS {
        let i = i as f64;
        let an = (a - i) * i;
        b += 2.0;
        d = away_from_zero(an * d + b).recip();
        c = away_from_zero(b + an / c);
        let delta = d * c;
        h *= delta;
        if (delta.re() - 1.0).abs() < TOLERANCE {
            if extra == 0 {
                return h;
            }
            extra -= 1;
        }
    }
    T::from(f64::NAN)
}

/// log I_x(a, b) and log(1 − I_x(a, b)): the regularized incomplete beta
/// function (the beta(a, b) distribution function at x) and its
/// complement, for a, b > 0 and x in [0, 1], with `y` = 1 − x given
/// separately so that a caller who knows it exactly (from a ratio, or as
/// a probability near 1) keeps its digits.
///
/// The continued fraction is evaluated at x when x < (a + 1)/(a + b + 2),
/// and otherwise for the complement I_y(b, a), where it converges fast.
pub fn beta_tails(a: f64, b: f64, x: f64, y: f64) -> Tails {
    beta_tails_in_shape(a, b, x, y).0
}

/// [`beta_tails`] at the real parts, together with log I and log(1 − I)
/// as functions of shapes `a`, `b` and a point `x` (with `y` = 1 − x)
/// that may carry derivatives; as in [`gamma_tails_in_shape`], the side
/// computed directly is the smaller one.
pub fn beta_tails_in_shape<T: Scalar>(a: T, b: T, x: T, y: T) -> (Tails, [T; 2]) {
    let (a0, b0, x0, y0) = (a.re(), b.re(), x.re(), y.re());
    if a0.is_nan() || b0.is_nan() || x0.is_nan() || y0.is_nan() || a0 <= 0.0 || b0 <= 0.0 {
        return constant_tails(Tails::NAN);
    }
    if x0 <= 0.0 || y0 <= 0.0 {
        return constant_tails(Tails::edge(x0 <= 0.0));
    }
    let (log_x, log_y) = (x.ln(), y.ln());
    let prefactor = a * log_x + b * log_y - super::lbeta(a, b);
    let log_density = prefactor.re() - log_x.re() - log_y.re();
    if x0 < (a0 + 1.0) / (a0 + b0 + 2.0) {
        let fraction = beta_fraction(a, b, x);
        let log_ratio = a0.ln() - log_x.re() - log_y.re() - fraction.re().ln();
        from_direct_side(
            true,
            prefactor + fraction.ln() - a.ln(),
            log_ratio,
            log_density,
        )
    } else {
        let fraction = beta_fraction(b, a, y);
        let log_ratio = b0.ln() - log_x.re() - log_y.re() - fraction.re().ln();
        from_direct_side(
            false,
            prefactor + fraction.ln() - b.ln(),
            log_ratio,
            log_density,
        )
    }
}

/// (log I_x(a, b), log(1 − I_x(a, b))); see [`beta_tails`].
pub fn log_beta_inc(a: f64, b: f64, x: f64, y: f64) -> (f64, f64) {
    let t = beta_tails(a, b, x, y);
    (t.log_lower, t.log_upper)
}

/// The continued fraction of I_x(a, b) (modified Lentz), so that
/// I_x(a, b) = x^a (1−x)^b / (a B(a, b)) times it.
fn beta_fraction<T: Scalar>(a: T, b: T, x: T) -> T {
    let (sum, up, down) = (a + b, a + 1.0, a - 1.0);
    let mut c = T::one();
    let mut d = away_from_zero(-(sum * x / up) + 1.0).recip();
    let mut h = d;
    let mut extra = extra_iterations::<T>();
    for m in 1..MAX_ITERATIONS {
        let m = m as f64;
        let m2 = 2.0 * m;
        // The even step.
        let aa = (b - m) * m * x / ((down + m2) * (a + m2));
        d = away_from_zero(aa * d + 1.0).recip();
        c = away_from_zero(aa / c + 1.0);
        h *= d * c;
        // The odd step.
        let aa = -((a + m) * (sum + m) * x / ((a + m2) * (up + m2)));
        d = away_from_zero(aa * d + 1.0).recip();
        c = away_from_zero(aa / c + 1.0);
        let delta = d * c;
        h *= delta;
        if (delta.re() - 1.0).abs() < TOLERANCE {
            if extra == 0 {
                return h;
            }
            extra -= 1;
        }
    }
    T::from(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms() {
        // P(1, x) = 1 − e^−x; I_x(1, 1) = x; I_x(a, 1) = x^a.
        for &x in &[1e-3, 0.5, 2.0, 30.0] {
            let (lp, lq) = log_gamma_pq(1.0, x);
            assert!((lq + x).abs() < 1e-13 * x.max(1.0), "Q(1,{x})");
            assert!((lp - (-(-x).exp_m1()).ln()).abs() < 1e-13, "P(1,{x})");
        }
        for &x in &[1e-6, 0.3, 0.9, 0.999_999] {
            let (li, lc) = log_beta_inc(1.0, 1.0, x, 1.0 - x);
            assert!((li - x.ln()).abs() < 1e-13, "I_{x}(1,1)");
            assert!((lc - (1.0 - x).ln()).abs() < 1e-9, "1 − I_{x}(1,1)");
            let (li, _) = log_beta_inc(2.5, 1.0, x, 1.0 - x);
            assert!((li - 2.5 * x.ln()).abs() < 1e-12, "I_{x}(2.5,1)");
        }
        assert!((log_phi(0.0) + LN_2).abs() < 1e-15);
    }
}
