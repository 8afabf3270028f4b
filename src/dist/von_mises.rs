//! `von_mises` — von_mises(mu, kappa): circular distribution with location mu and concentration kappa > 0; density exp(kappa cos(y - mu)) / (2 pi I0(kappa))

use super::open01;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, lift};
use std::f64::consts::PI;

pub struct VonMises;

const SPEC: DistSpec = DistSpec {
    name: "von_mises",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("mu", ArgShape::Elem, Domain::Real),
        ArgSpec::new("kappa", ArgShape::Elem, Domain::Positive),
    ],
    doc: "von_mises(mu, kappa): circular distribution with location mu and concentration kappa > 0; density exp(kappa cos(y - mu)) / (2 pi I0(kappa))",
};

impl Univariate for VonMises {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, mu, kappa) = (x[0], x[1], x[2]);
        kappa * (y - mu).cos() - log_bessel_i0(kappa) - (2.0 * PI).ln()
    }

    const HAS_CDF: bool = true;

    /// Stan's distribution function: the mass between −pi and y of the
    /// density around mu (0 below −pi, 1 above pi).
    fn lcdf<T: Scalar>(x: &[T]) -> T {
        let (y, mu, kappa) = (x[0], x[1], x[2]);
        match y.re() {
            v if v <= -PI => T::from(f64::NEG_INFINITY),
            v if v >= PI => T::zero(),
            _ => log_mass(T::from(-PI), y, T::from(PI), mu, kappa),
        }
    }

    /// The mass between y and pi.
    fn lccdf<T: Scalar>(x: &[T]) -> T {
        let (y, mu, kappa) = (x[0], x[1], x[2]);
        match y.re() {
            v if v <= -PI => T::zero(),
            v if v >= PI => T::from(f64::NEG_INFINITY),
            _ => log_mass(y, T::from(PI), T::from(-PI), mu, kappa),
        }
    }

    /// Best and Fisher's rejection sampler (1979); the draw lies in
    /// [mu − pi, mu + pi].
    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        let (mu, kappa) = (args[0], args[1]);
        let tau = 1.0 + (1.0 + 4.0 * kappa * kappa).sqrt();
        let rho = (tau - (2.0 * tau).sqrt()) / (2.0 * kappa);
        let r = (1.0 + rho * rho) / (2.0 * rho);
        loop {
            let z = (PI * open01(rng)).cos();
            let f = (1.0 + r * z) / (r + z);
            let c = kappa * (r - f);
            let u2 = open01(rng);
            if c * (2.0 - c) > u2 || (c / u2).ln() + 1.0 >= c {
                let angle = f.clamp(-1.0, 1.0).acos();
                return if open01(rng) < 0.5 {
                    mu - angle
                } else {
                    mu + angle
                };
            }
        }
    }
}

/// log I0(x) − x and A(x) = I1(x) / I0(x) for x >= 0: the power series
/// up to 30, the asymptotic expansion beyond (its smallest term there is
/// far below rounding).
fn scaled_bessel(x: f64) -> (f64, f64) {
    if x <= 30.0 {
        let q = x * x / 4.0;
        let (mut i0, mut i1) = (1.0, 0.5 * x);
        let (mut t0, mut t1) = (1.0, 0.5 * x);
        let mut k = 1.0;
        while t0 > 1e-17 * i0 {
            t0 *= q / (k * k);
            t1 *= q / (k * (k + 1.0));
            i0 += t0;
            i1 += t1;
            k += 1.0;
        }
        return (i0.ln() - x, i1 / i0);
    }
    // I_nu(x) ~ e^x / sqrt(2 pi x) sum_k (-1)^k a_k(nu) / x^k.
    let series = |nu: f64| {
        let m = 4.0 * nu * nu;
        let (mut sum, mut term) = (1.0, 1.0);
        for k in 1..40 {
            let j = (2 * k - 1) as f64;
            term *= -(m - j * j) / (k as f64 * 8.0 * x);
            sum += term;
            if term.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        sum
    };
    let (s0, s1) = (series(0.0), series(1.0));
    (s0.ln() - 0.5 * (2.0 * PI * x).ln(), s1 / s0)
}

/// log I0(kappa), the log of the modified Bessel function of the first
/// kind of order zero, with derivatives of every order the engine uses:
/// f′ = A = I1 / I0 and A′ = 1 − A / x − A².
pub fn log_bessel_i0<T: Scalar>(kappa: T) -> T {
    lift(kappa, |x, k| {
        let (scaled, a) = scaled_bessel(x);
        let d1 = 1.0 - a / x - a * a; // A'
        let d2 = -d1 / x + a / (x * x) - 2.0 * a * d1; // A''
        match k {
            0 => scaled + x,
            1 => a,
            2 => d1,
            3 => d2,
            _ => {
                -d2 / x + 2.0 * d1 / (x * x) - 2.0 * a / (x * x * x) - 2.0 * d1 * d1 - 2.0 * a * d2
            }
        }
    })
}

/// log of the mass between `a` and `b` (a <= b), one of them an end of
/// [−pi, pi] and `other` the other end: above one half it is log1p of
/// minus the mass of the rest of [−pi, pi], whose small value keeps its
/// digits.
fn log_mass<T: Scalar>(a: T, b: T, other: T, mu: T, kappa: T) -> T {
    let mass = mass_between(a, b, mu, kappa);
    if mass.re() <= 0.5 {
        return mass.ln();
    }
    let rest = if other.re() > b.re() {
        mass_between(b, other, mu, kappa)
    } else {
        mass_between(other, a, mu, kappa)
    };
    (-rest).ln_1p()
}

/// The von Mises mass between `lo` and `hi` (lo <= hi), from the Fourier
/// series of the density, 1 / (2 pi) (1 + 2 sum_n rho_n cos(n (t − mu))),
/// rho_n = I_n(kappa) / I_0(kappa): with d = (hi − lo) / 2 and
/// m = (hi + lo) / 2 − mu,
///
///   mass = d / pi + (2 / pi) sum_n rho_n cos(n m) sin(n d) / n,
///
/// (the difference of the two sines written as a product, so that a
/// narrow interval keeps its digits). The ratios r_n = I_n / I_(n−1) come
/// from the backward recurrence r_n = kappa / (2 n + kappa r_(n+1)),
/// stable for this minimal solution, started far beyond the last term
/// that counts (rho_n ≈ exp(−n² / (2 kappa)) for large kappa, (kappa / 2)^n
/// / n! for small), and the sum is nested, r_1 (a_1 + r_2 (a_2 + ...)), so
/// it runs in the same direction and keeps nothing.
///
/// The series is accurate to about 1e-16 in absolute terms; a mass below
/// 1e-3 (a tail) is integrated instead, by 16-point Gauss–Legendre on
/// panels over which kappa cos(t − mu) changes by at most about 8, so
/// that it keeps its relative digits.
fn mass_between<T: Scalar>(lo: T, hi: T, mu: T, kappa: T) -> T {
    let series = mass_by_series(lo, hi, mu, kappa);
    if series.re() >= 1e-3 {
        return series;
    }
    let width = hi - lo;
    let panels = ((kappa.re() * width.re() / 8.0).ceil() as usize).clamp(1, 256);
    let log_norm = log_bessel_i0(kappa) + (2.0 * PI).ln();
    let step = 1.0 / panels as f64;
    let mut sum = T::zero();
    for p in 0..panels {
        let mid = step * (p as f64 + 0.5);
        for &(node, weight) in &super::skew_normal::GAUSS_LEGENDRE_16 {
            for u in [mid - 0.5 * step * node, mid + 0.5 * step * node] {
                let t = lo + width * u;
                sum += (kappa * (t - mu).cos() - log_norm).exp() * weight;
            }
        }
    }
    sum * width * (0.5 * step)
}

fn mass_by_series<T: Scalar>(lo: T, hi: T, mu: T, kappa: T) -> T {
    let d = (hi - lo) * 0.5;
    let m = (hi + lo) * 0.5 - mu;
    let k = kappa.re();
    let terms = 25 + (12.0 * k.sqrt()).ceil() as usize;
    let top = (terms + 1) as f64;
    // I_(N+1) / I_N ≈ kappa / (N + 1 + sqrt((N + 1)² + kappa²)) to start.
    let mut ratio = kappa / ((kappa * kappa + top * top).sqrt() + top);
    let mut nested = T::zero();
    for n in (1..=terms).rev() {
        let nf = n as f64;
        ratio = kappa / (kappa * ratio + 2.0 * nf);
        let term = (m * nf).cos() * (d * nf).sin() / nf;
        nested = ratio * (term + nested);
    }
    (d + nested * 2.0) / PI
}
