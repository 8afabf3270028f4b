//! `bernoulli_logit` — bernoulli_logit(alpha): P(y = 1) = inv_logit(alpha), computed stably

use super::{Arg, Reader, broadcast_len, open01, with_reader};
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, inv_logit, log1p_exp};

pub struct BernoulliLogit;

const SPEC: DistSpec = DistSpec {
    name: "bernoulli_logit",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Binary),
    args: &[ArgSpec::new("alpha", ArgShape::Elem, Domain::Real)],
    doc: "bernoulli_logit(alpha): P(y = 1) = inv_logit(alpha), computed stably",
};

impl Univariate for BernoulliLogit {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf_sum<T: Scalar>(args: &[Arg<'_, T>], _n: usize, d: &mut [Option<&mut [T]>]) -> T {
        bernoulli_logit_lpmf_sum(args[0], args[1], d[1].as_deref_mut())
    }

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        // log inv_logit(alpha) for y = 1, log1m_inv_logit(alpha) for y = 0
        let s = if x[0].re() == 1.0 { 1.0 } else { -1.0 };
        -log1p_exp(x[1] * -s)
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let s = if x[0].re() == 1.0 { 1.0 } else { -1.0 };
        let (lp, g) = term(x[1], s);
        d[0] = T::zero();
        d[1] = g;
        lp
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        if open01(rng) < inv_logit(args[0]) {
            1.0
        } else {
            0.0
        }
    }
}

/// Log mass and its derivative in alpha for sign s = 2y − 1: with t = −s
/// alpha, the mass is −log1p_exp(t) and the derivative s inv_logit(t); one
/// exponential and one log1p serve both.
#[inline(always)]
fn term<T: Scalar>(alpha: T, s: f64) -> (T, T) {
    let t = alpha * -s;
    if t.re() > 0.0 {
        let e = (-t).exp();
        (-(t + e.ln_1p()), (e + 1.0).recip() * s)
    } else {
        let e = t.exp();
        (-e.ln_1p(), e / (e + 1.0) * s)
    }
}

/// Summed bernoulli_logit log mass over outcomes `y` (0/1 data) with
/// logits `alpha`, and the partials in alpha (see [`Arg`]). This is the
/// likelihood of logistic regression.
pub fn bernoulli_logit_lpmf_sum<T: Scalar>(
    y: Arg<'_, T>,
    alpha: Arg<'_, T>,
    d_alpha: Option<&mut [T]>,
) -> T {
    let n = broadcast_len(&[&y, &alpha]);
    match (d_alpha, alpha.is_broadcast()) {
        (Some(o), false) => with_reader!(y, n, |ry| with_reader!(alpha, n, |ra| pass(
            ry,
            ra,
            n,
            Some(&mut o[..n])
        )
        .0)),
        (Some(o), true) => {
            let (lp, g) = with_reader!(y, n, |ry| with_reader!(alpha, n, |ra| pass(
                ry, ra, n, None
            )));
            o[0] = g;
            lp
        }
        (None, _) => with_reader!(y, n, |ry| with_reader!(alpha, n, |ra| pass(
            ry, ra, n, None
        ))
        .0),
    }
}

/// (Σ log mass, Σ partials), or with a buffer (Σ log mass, 0) storing the
/// per-element partials.
///
/// With t = −s alpha and e = exp(−|t|) ∈ (0, 1], the log mass is
/// −max(t, 0) − log1p(e). The log1p terms are summed as the logarithm of
/// the product of the factors 1 + e ∈ (1, 2], one logarithm per
/// [`LOG1P_BLOCK`] rows ([`Log1pSum`]): a libm `log1p` per row was a third of
/// a logistic regression's gradient.
#[inline(always)]
fn pass<T: Scalar>(
    y: impl Reader<T>,
    alpha: impl Reader<T>,
    n: usize,
    out: Option<&mut [T]>,
) -> (T, T) {
    let (mut linear, mut sg) = (T::zero(), T::zero());
    let mut logs = Log1pSum::new();
    let mut row = |i: usize| {
        let s = if y.at(i).re() == 1.0 { 1.0 } else { -1.0 };
        let t = alpha.at(i) * -s;
        let (e, g) = if t.re() > 0.0 {
            linear += t;
            let e = (-t).exp();
            (e, (e + 1.0).recip() * s)
        } else {
            let e = t.exp();
            (e, e / (e + 1.0) * s)
        };
        logs.push(e);
        g
    };
    match out {
        Some(o) => {
            for (i, oi) in o[..n].iter_mut().enumerate() {
                *oi = row(i);
            }
        }
        None => {
            for i in 0..n {
                sg += row(i);
            }
        }
    }
    (-(linear + logs.finish()), sg)
}

/// Rows whose factors 1 + e ∈ (1, 2] are multiplied before one logarithm:
/// the product stays below 2⁶⁴, and its rounding error (at most 64 half-ulps
/// relative, 7e-15 in the logarithm) is below that of summing the rows'
/// log masses one by one.
const LOG1P_BLOCK: usize = 64;

/// Σ log1p(eᵢ) over eᵢ ∈ [0, 1], as a sum of logarithms of block products.
struct Log1pSum<T> {
    product: T,
    count: usize,
    sum: T,
}

impl<T: Scalar> Log1pSum<T> {
    #[inline(always)]
    fn new() -> Self {
        Log1pSum {
            product: T::one(),
            count: 0,
            sum: T::zero(),
        }
    }

    #[inline(always)]
    fn push(&mut self, e: T) {
        self.product *= e + 1.0;
        self.count += 1;
        if self.count == LOG1P_BLOCK {
            self.sum += self.product.ln();
            self.product = T::one();
            self.count = 0;
        }
    }

    #[inline(always)]
    fn finish(self) -> T {
        if self.count == 0 {
            self.sum
        } else {
            self.sum + self.product.ln()
        }
    }
}
