//! `skew_normal` — skew_normal(xi, omega, alpha): Azzalini's skew normal with location xi, scale omega > 0 and shape alpha; density 2 / omega phi(z) Phi(alpha z), z = (y - xi) / omega

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{HALF_LOG_TWO_PI, Scalar, log_Phi, log_diff_exp, log1m_exp};
use std::f64::consts::{FRAC_PI_2, LN_2, PI};

pub struct SkewNormal;

const SPEC: DistSpec = DistSpec {
    name: "skew_normal",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("xi", ArgShape::Elem, Domain::Real),
        ArgSpec::new("omega", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("alpha", ArgShape::Elem, Domain::Real),
    ],
    doc: "skew_normal(xi, omega, alpha): Azzalini's skew normal with location xi, scale omega > 0 and shape alpha; density 2 / omega phi(z) Phi(alpha z), z = (y - xi) / omega",
};

impl Univariate for SkewNormal {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 4;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, xi, omega, alpha) = (x[0], x[1], x[2], x[3]);
        let z = (y - xi) / omega;
        -(z * z) * 0.5 + log_Phi(alpha * z) - omega.ln() + (LN_2 - HALF_LOG_TWO_PI)
    }

    const HAS_CDF: bool = true;

    /// log F(y): the lower tail of z = (y − xi) / omega for z <= 0, the
    /// complement of the reflected one (F(z; alpha) = 1 − F(−z; −alpha))
    /// above.
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        let (z, alpha) = ((x[0] - x[1]) / x[2], x[3]);
        if z.re() <= 0.0 {
            log_lower_tail(z, alpha)
        } else {
            log1m_exp(log_lower_tail(-z, -alpha))
        }
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        let (z, alpha) = ((x[0] - x[1]) / x[2], x[3]);
        if z.re() <= 0.0 {
            log1m_exp(log_lower_tail(z, alpha))
        } else {
            log_lower_tail(-z, -alpha)
        }
    }

    /// The representation xi + omega (delta |u0| + sqrt(1 − delta²) u1)
    /// with delta = alpha / sqrt(1 + alpha²) and independent standard
    /// normals u0, u1.
    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        let (xi, omega, alpha) = (args[0], args[1], args[2]);
        let delta = alpha / alpha.hypot(1.0);
        let standard = rand_distr::StandardNormal;
        let u0: f64 = rand_distr::Distribution::sample(&standard, rng);
        let u1: f64 = rand_distr::Distribution::sample(&standard, rng);
        xi + omega * (delta * u0.abs() + (1.0 - delta * delta).sqrt() * u1)
    }
}

/// log F(z; alpha) for z <= 0, where the standard skew normal
/// distribution function is F = Phi(z) − 2 T(z, alpha) (Owen's T). Written
/// as the positive integral F = S(z, alpha) = (1 / pi) ∫_alpha^∞
/// exp(−z² (1 + t²) / 2) / (1 + t²) dt (from T(h, ∞) = Phi(−|h|) / 2), it
/// has no cancellation: for alpha >= 0 it is exp(−z² (1 + alpha²) / 2) / pi
/// times the integral of [`tail_integral`], and for alpha < 0 it is
/// 2 Phi(z) − S(z, −alpha), the difference of a number and one at most
/// half its size. At z = 0 itself (where S, a function of z², has a kink
/// that dual numbers cannot see) Owen's T integral over [0, atan alpha]
/// is used.
fn log_lower_tail<T: Scalar>(z: T, alpha: T) -> T {
    if z.re() == 0.0 {
        return owen_form(z, alpha).ln();
    }
    if alpha.re() < 0.0 {
        return log_diff_exp(log_Phi(z) + LN_2, log_lower_tail(z, -alpha));
    }
    let lambda = z * z * 0.5;
    -lambda * (alpha * alpha + 1.0) + tail_integral(lambda, alpha).ln() - PI.ln()
}

/// Phi(z) − 2 T(z, alpha), T(z, alpha) = (1 / 2 pi) ∫_0^atan(alpha)
/// exp(−z² / (2 cos² t)) dt, by Gauss–Legendre on two panels (used at
/// z = 0, where the integrand is smooth in z).
fn owen_form<T: Scalar>(z: T, alpha: T) -> T {
    let end = alpha.atan();
    let half = end * 0.5;
    let mut sum = T::zero();
    for panel in 0..2 {
        let mid = half * (0.5 + panel as f64);
        for &(node, weight) in &GAUSS_LEGENDRE_16 {
            for t in [mid - half * 0.5 * node, mid + half * 0.5 * node] {
                let c = t.cos();
                sum += (-(z * z) / (c * c * 2.0)).exp() * weight;
            }
        }
    }
    crate::scalar::Phi(z) - sum * half * 0.5 / PI
}

/// J(lambda, alpha) = ∫_alpha^∞ exp(−lambda (t² − alpha²)) / (1 + t²) dt for
/// lambda > 0, alpha >= 0, written with t = tan(theta0 + d), theta0 =
/// atan(alpha), over d in [0, L], L = pi/2 − theta0: the integrand
/// exp(−E) falls from 1 at d = 0, with E = lambda sin(d) sqrt(1 + alpha²)
/// (cot(e) + alpha) / sin(e), e = L − d (no cancellation anywhere).
/// Gauss–Legendre panels of 16 nodes: geometric in d from the scale on
/// which E grows by one (so that a sharp fall at the start is resolved),
/// two panels in the middle, and geometric in e towards the end (where
/// exp(−lambda / e²) vanishes flatly); panels beyond E > 80 are dropped.
/// Every node lies at a constant offset from 0 or from L, so derivatives
/// with respect to lambda and alpha are those of the integral.
fn tail_integral<T: Scalar>(lambda: T, alpha: T) -> T {
    let (l, a) = (lambda.re(), alpha.re());
    let c = (alpha * alpha + 1.0).sqrt();
    let len = if a > 1.0 {
        alpha.recip().atan()
    } else {
        -alpha.atan() + FRAC_PI_2
    };
    let lr = len.re();
    let exponent = |d: T, e: T| lambda * d.sin() * c * (e.cos() / e.sin() + alpha) / e.sin();
    let exponent_at = |d: f64| {
        let e = lr - d;
        l * d.sin() * (1.0 + a * a).sqrt() * (e.cos() / e.sin() + a) / e.sin()
    };
    let mut total = T::zero();
    // Start: panels [0, s], [s, 2s], [2s, 4s], ... in d (constants).
    let scale = 1.0 / ((2.0 * l * a + l.sqrt()) * (1.0 + a * a));
    let mut lo = 0.0;
    let mut width = scale;
    while lo + width < 0.5 * lr {
        total += panel(lo, width, |node| {
            let d = T::from(node);
            (-exponent(d, len - node)).exp()
        });
        lo += width;
        if lo > scale {
            width *= 2.0;
        }
        if exponent_at(lo) > 80.0 {
            return total;
        }
    }
    // Middle: [lo, L − m] in two panels, m = (L − lo) / 2.
    let m = 0.5 * (lr - lo);
    let upper = len - m;
    let half = (upper - lo) * 0.5;
    for k in 0..2 {
        let start = half * k as f64 + lo;
        let mut sum = T::zero();
        for &(node, weight) in &GAUSS_LEGENDRE_16 {
            for t in [0.5 - 0.5 * node, 0.5 + 0.5 * node] {
                let d = start + half * t;
                sum += (-exponent(d, len - d)).exp() * weight;
            }
        }
        total += sum * half * 0.5;
    }
    // End: [m/2, m], [m/4, m/2], ... in e (constants) down to where
    // lambda / e² > 80 or e is below rounding.
    let mut e_hi = m;
    while e_hi > 1e-18 && l / (e_hi * e_hi) < 80.0 {
        let e_lo = 0.5 * e_hi;
        total += panel(e_lo, e_hi - e_lo, |node| {
            let e = T::from(node);
            (-exponent(len - node, e)).exp()
        });
        e_hi = e_lo;
    }
    total
}

/// ∫ f over [start, start + width] by 16-point Gauss–Legendre, the nodes
/// given to `f` as plain numbers.
fn panel<T: Scalar>(start: f64, width: f64, f: impl Fn(f64) -> T) -> T {
    let half = 0.5 * width;
    let mid = start + half;
    let mut sum = T::zero();
    for &(node, weight) in &GAUSS_LEGENDRE_16 {
        sum += (f(mid - half * node) + f(mid + half * node)) * weight;
    }
    sum * half
}

/// Positive nodes and weights of the 16-point Gauss–Legendre rule on
/// [−1, 1] (the rule is symmetric); `von_mises` integrates its tails with
/// them too.
pub(super) const GAUSS_LEGENDRE_16: [(f64, f64); 8] = [
    (0.095_012_509_837_637_44, 0.189_450_610_455_068_5),
    (0.281_603_550_779_258_9, 0.182_603_415_044_923_6),
    (0.458_016_777_657_227_4, 0.169_156_519_395_002_5),
    (0.617_876_244_402_643_8, 0.149_595_988_816_576_7),
    (0.755_404_408_355_003, 0.124_628_971_255_533_9),
    (0.865_631_202_387_831_7, 0.095_158_511_682_492_78),
    (0.944_575_023_073_232_6, 0.062_253_523_938_647_89),
    (0.989_400_934_991_649_9, 0.027_152_459_411_754_1),
];
