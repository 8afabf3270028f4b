//! Plain `f64` special functions and their derivatives of any order: the
//! values that [`super::lift`] turns into dual numbers.
//!
//! `lgamma`, `erf` and `erfc` come from the C math library (through the
//! `special` crate); the polygamma family is computed here by recurrence up
//! to a large argument followed by the asymptotic (Bernoulli) series, and by
//! the reflection formula for negative arguments.

use std::f64::consts::PI;

/// B_2, B_4, ..., B_20.
const BERNOULLI: [f64; 10] = [
    1.0 / 6.0,
    -1.0 / 30.0,
    1.0 / 42.0,
    -1.0 / 30.0,
    5.0 / 66.0,
    -691.0 / 2730.0,
    7.0 / 6.0,
    -3617.0 / 510.0,
    43867.0 / 798.0,
    -174611.0 / 330.0,
];

/// Where the asymptotic series takes over from the upward recurrence.
const ASYMPTOTIC_FROM: f64 = 20.0;

/// log |Γ(x)|.
pub fn lgamma(x: f64) -> f64 {
    special::Gamma::ln_gamma(x).0
}

pub fn erf(x: f64) -> f64 {
    special::Error::error(x)
}

pub fn erfc(x: f64) -> f64 {
    special::Error::compl_error(x)
}

fn factorial(n: usize) -> f64 {
    (1..=n).map(|k| k as f64).product()
}

/// The polygamma function ψ⁽ⁿ⁾(x) (n = 0 is the digamma function).
pub fn polygamma(n: usize, x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return if n == 0 { f64::INFINITY } else { 0.0 };
    }
    if x <= 0.0 {
        if x == x.floor() {
            // Poles at the non-positive integers.
            return f64::NAN;
        }
        if x < -0.5 || n > 0 {
            return reflect(n, x);
        }
    }
    // Upward recurrence: ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) + (-1)^(n+1) n! / x^(n+1).
    let sign = if n % 2 == 1 { 1.0 } else { -1.0 };
    let nfact = factorial(n);
    let mut acc = 0.0;
    let mut z = x;
    while z < ASYMPTOTIC_FROM {
        acc += sign * nfact / z.powi(n as i32 + 1);
        z += 1.0;
    }
    acc + asymptotic(n, z)
}

/// The Bernoulli-number asymptotic expansion of ψ⁽ⁿ⁾ for large z.
fn asymptotic(n: usize, z: f64) -> f64 {
    let inv = 1.0 / z;
    let inv2 = inv * inv;
    if n == 0 {
        // ψ(z) ~ ln z − 1/(2z) − Σ B_2k / (2k z^2k)
        let mut s = 0.0;
        let mut p = inv2;
        for (k, b) in BERNOULLI.iter().enumerate() {
            s += b / (2.0 * (k + 1) as f64) * p;
            p *= inv2;
        }
        return z.ln() - 0.5 * inv - s;
    }
    // ψ⁽ⁿ⁾(z) ~ (-1)^(n+1) [ (n−1)!/zⁿ + n!/(2 z^(n+1)) + Σ B_2k (2k+n−1)! / ((2k)! z^(2k+n)) ]
    let sign = if n % 2 == 1 { 1.0 } else { -1.0 };
    let zn = inv.powi(n as i32);
    let mut s = factorial(n - 1) * zn + factorial(n) * 0.5 * zn * inv;
    // ratio (2k+n−1)! / (2k)!, updated incrementally
    let mut p = zn * inv2;
    for (k, b) in BERNOULLI.iter().enumerate() {
        let two_k = 2 * (k + 1);
        let ratio: f64 = ((two_k + 1)..=(two_k + n - 1)).map(|j| j as f64).product();
        s += b * ratio * p;
        p *= inv2;
    }
    sign * s
}

/// Reflection: ψ⁽ⁿ⁾(x) = (−1)ⁿ ψ⁽ⁿ⁾(1 − x) − π dⁿ/dxⁿ cot(πx).
fn reflect(n: usize, x: f64) -> f64 {
    // Reduce the argument of cot to (−1/2, 1/2] to keep it accurate.
    let r = x - x.round();
    let c = 1.0 / (PI * r).tan();
    // dᵏ/dxᵏ cot(πx) = Q_k(c), Q_0 = c, Q_{k+1} = −π (1 + c²) Q_k'(c).
    let mut q = vec![0.0, 1.0];
    for _ in 0..n {
        let dq: Vec<f64> = (1..q.len()).map(|i| i as f64 * q[i]).collect();
        // (1 + c²) dq
        let mut next = vec![0.0; dq.len() + 2];
        for (i, &a) in dq.iter().enumerate() {
            next[i] -= PI * a;
            next[i + 2] -= PI * a;
        }
        q = next;
    }
    let qc = q.iter().rev().fold(0.0, |acc, &a| acc * c + a);
    let s = if n % 2 == 0 { 1.0 } else { -1.0 };
    s * polygamma(n, 1.0 - x) - PI * qc
}

/// The k-th derivative of erf at x.
pub fn erf_derivative(k: usize, x: f64) -> f64 {
    if k == 0 {
        return erf(x);
    }
    // erf⁽ᵏ⁾(x) = (−1)^(k−1) (2/√π) H_{k−1}(x) e^(−x²), H the physicists' Hermite polynomials.
    let m = k - 1;
    let (mut h0, mut h1) = (1.0, 2.0 * x);
    let h = if m == 0 {
        h0
    } else {
        for i in 1..m {
            let h2 = 2.0 * x * h1 - 2.0 * i as f64 * h0;
            h0 = h1;
            h1 = h2;
        }
        h1
    };
    let sign = if m % 2 == 0 { 1.0 } else { -1.0 };
    sign * std::f64::consts::FRAC_2_SQRT_PI * h * (-x * x).exp()
}

/// The k-th derivative of the standard normal CDF at x.
pub fn phi_derivative(k: usize, x: f64) -> f64 {
    if k == 0 {
        return 0.5 * erfc(-x * std::f64::consts::FRAC_1_SQRT_2);
    }
    // Φ⁽ᵏ⁾(x) = (−1)^(k−1) He_{k−1}(x) φ(x), He the probabilists' Hermite polynomials.
    let m = k - 1;
    let (mut h0, mut h1) = (1.0, x);
    let h = if m == 0 {
        h0
    } else {
        for i in 1..m {
            let h2 = x * h1 - i as f64 * h0;
            h0 = h1;
            h1 = h2;
        }
        h1
    };
    let sign = if m % 2 == 0 { 1.0 } else { -1.0 };
    let density = (-0.5 * x * x).exp() / (2.0 * PI).sqrt();
    sign * h * density
}

/// The standard normal quantile function Φ⁻¹(p): Acklam's rational
/// approximation (relative error below 1.2e-9) polished by two Halley
/// steps on Φ computed from erfc, which keep full precision in both tails.
/// NaN outside [0, 1]; ∓∞ at 0 and 1.
pub fn inv_phi(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let poly = |c: &[f64], x: f64| c.iter().fold(0.0, |acc, &k| acc * x + k);
    let tail = |q: f64| poly(&C, q) / (poly(&D, q) * q + 1.0);
    const P_LOW: f64 = 0.024_25;
    let mut x = if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        poly(&A, r) * q / (poly(&B, r) * r + 1.0)
    } else {
        -tail((-2.0 * (-p).ln_1p()).sqrt())
    };
    for _ in 0..2 {
        // Φ(x) − p, from the tail where it is small so it keeps its digits.
        let e = if x < 0.0 {
            phi_derivative(0, x) - p
        } else {
            (1.0 - p) - phi_derivative(0, -x)
        };
        let u = e * (2.0 * PI).sqrt() * (0.5 * x * x).exp();
        if !u.is_finite() {
            break;
        }
        x -= u / (1.0 + 0.5 * x * u);
    }
    x
}

/// The k-th derivative of Φ⁻¹ at p (k ≤ 4), from w = 1 / φ(Φ⁻¹(p)):
/// w, x w², w³ (1 + 2x²), w⁴ x (7 + 6x²).
pub fn inv_phi_derivative(k: usize, p: f64) -> f64 {
    let x = inv_phi(p);
    if k == 0 {
        return x;
    }
    let w = (2.0 * PI).sqrt() * (0.5 * x * x).exp();
    match k {
        1 => w,
        2 => x * w * w,
        3 => w.powi(3) * (1.0 + 2.0 * x * x),
        4 => w.powi(4) * x * (7.0 + 6.0 * x * x),
        _ => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_known_values() {
        let euler = 0.577_215_664_901_532_9;
        assert!((polygamma(0, 1.0) + euler).abs() < 1e-15);
        assert!((polygamma(0, 0.5) + euler + 2.0 * 2f64.ln()).abs() < 1e-14);
        assert!((polygamma(1, 1.0) - PI * PI / 6.0).abs() < 1e-14);
        assert!((polygamma(1, 0.5) - PI * PI / 2.0).abs() < 1e-13);
        assert!(polygamma(0, -2.0).is_nan());
    }

    #[test]
    fn reflection_agrees_with_recurrence() {
        // ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) − (−1)^(n+1) n!/x^(n+1) links negative and positive arguments.
        for n in 0..5 {
            for &x in &[-0.3, -1.7, -5.25] {
                let sign = if n % 2 == 1 { 1.0 } else { -1.0 };
                let lhs = polygamma(n, x);
                let rhs = polygamma(n, x + 1.0) + sign * factorial(n) / f64::powi(x, n as i32 + 1);
                assert!(
                    (lhs - rhs).abs() <= 1e-11 * lhs.abs().max(1.0),
                    "n={n} x={x}: {lhs} {rhs}"
                );
            }
        }
    }
}
