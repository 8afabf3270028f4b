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
