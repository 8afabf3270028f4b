//! `bernoulli_logit` — bernoulli_logit(alpha): P(y = 1) = inv_logit(alpha), computed stably

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use super::{Arg, Sink, broadcast_len, open01};
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
        if open01(rng) < inv_logit(args[0]) { 1.0 } else { 0.0 }
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
pub fn bernoulli_logit_lpmf_sum<T: Scalar>(y: Arg<'_, T>, alpha: Arg<'_, T>, d_alpha: Option<&mut [T]>) -> T {
    let n = broadcast_len(&[&y, &alpha]);
    let mut sa = Sink::new(d_alpha, &alpha, n);
    let mut lp = T::zero();
    for i in 0..n {
        let s = if y.get(i).re() == 1.0 { 1.0 } else { -1.0 };
        let (l, g) = term(alpha.get(i), s);
        lp += l;
        sa.put(i, g);
    }
    sa.finish();
    lp
}

