//! Cumulative distribution functions of univariate distributions: which
//! one a call computes ([`Cumulative`]), the edges of the support handled
//! once for every distribution, the normalising term of a truncated `~`,
//! and the summed kernel the engine calls (the counterpart of
//! [`Univariate::lpdf_sum`]).

use super::{Arg, ArgShape, ArgSpec, Domain, Univariate};
use crate::scalar::{MAX_ARITY, Scalar, log_diff_exp};
use std::f64::consts::LN_2;

/// A cumulative function of a built-in distribution.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Cumulative {
    /// `name_cdf(y | ...)`: the product of F(y) over the elements.
    Cdf,
    /// `name_lcdf(y | ...)`: the sum of log F(y).
    Lcdf,
    /// `name_lccdf(y | ...)`: the sum of log(1 − F(y)).
    Lccdf,
    /// The log normalising constant of `y ~ name(...) T[L, U]`: the sum of
    /// log(F(U) − F(L)) (F(L − 1) for integer variates), with L = −∞ or
    /// U = +∞ for a missing bound. Entries are laid out `[L, U, args...]`.
    Truncation,
}

impl Cumulative {
    pub const USER_FACING: [Cumulative; 3] = [Cumulative::Cdf, Cumulative::Lcdf, Cumulative::Lccdf];

    /// The suffix users write: `_cdf`, `_lcdf`, `_lccdf`.
    pub fn suffix(self) -> &'static str {
        match self {
            Cumulative::Cdf => "_cdf",
            Cumulative::Lcdf => "_lcdf",
            Cumulative::Lccdf => "_lccdf",
            Cumulative::Truncation => "",
        }
    }

    pub fn from_suffix(suffix: &str) -> Option<Cumulative> {
        Cumulative::USER_FACING
            .into_iter()
            .find(|c| c.suffix() == suffix)
    }

    /// Number of leading entries that are variates (bounds for truncation).
    pub fn variates(self) -> usize {
        if self == Cumulative::Truncation { 2 } else { 1 }
    }
}

/// The spec of entry `j` of a cumulative call to `D`: the variate may be
/// any real (any integer for discrete distributions): outside the support
/// F is 0 or 1. Truncation bounds are unchecked (±∞ marks a missing one).
pub fn entry_spec<D: Univariate>(kind: Cumulative, j: usize) -> ArgSpec {
    let spec = &D::SPEC;
    let k = kind.variates();
    if j >= k {
        return spec.args[j - k];
    }
    let domain = match (kind, spec.is_discrete()) {
        (Cumulative::Truncation, _) => Domain::Any,
        (_, true) => Domain::Int,
        (_, false) => Domain::Real,
    };
    let name = match (kind, j) {
        (Cumulative::Truncation, 0) => "L",
        (Cumulative::Truncation, _) => "U",
        _ => spec.variate.name,
    };
    ArgSpec::new(name, ArgShape::Elem, domain)
}

/// Runs the distribution's [`Univariate::check_args`] on the arguments of
/// a cumulative call, with the variate at the bottom of the support (the
/// cumulative functions accept any variate).
pub fn check_args<D: Univariate>(kind: Cumulative, x: &[f64]) -> Result<(), String> {
    let k = kind.variates();
    let mut buf = [0.0f64; MAX_ARITY];
    buf[0] = if D::SPEC.is_discrete() { 0.0 } else { x[0] };
    let rest = &x[k..];
    buf[1..=rest.len()].copy_from_slice(rest);
    D::check_args(&buf[..=rest.len()])
}

/// (log F, log(1 − F)) where the variate is at or beyond an edge of the
/// support fixed by the variate's domain; `None` inside.
fn at_edge(domain: Domain, y: f64) -> Option<(f64, f64)> {
    const BELOW: (f64, f64) = (f64::NEG_INFINITY, 0.0);
    const ABOVE: (f64, f64) = (0.0, f64::NEG_INFINITY);
    if y == f64::INFINITY {
        return Some(ABOVE);
    }
    if y == f64::NEG_INFINITY {
        return Some(BELOW);
    }
    match domain {
        Domain::Positive | Domain::NonNegative | Domain::Unit | Domain::Probability if y <= 0.0 => {
            Some(BELOW)
        }
        Domain::Unit | Domain::Probability if y >= 1.0 => Some(ABOVE),
        Domain::NonNegInt | Domain::Binary | Domain::PositiveInt if y < 0.0 => Some(BELOW),
        Domain::Binary if y >= 1.0 => Some(ABOVE),
        _ => None,
    }
}

/// log F(y) of one element (`x` = variate, then the arguments).
pub fn lcdf<D: Univariate, T: Scalar>(x: &[T]) -> T {
    match at_edge(D::SPEC.variate.domain, x[0].re()) {
        Some((l, _)) => T::from(l),
        None => D::lcdf(x),
    }
}

/// log(1 − F(y)) of one element.
pub fn lccdf<D: Univariate, T: Scalar>(x: &[T]) -> T {
    match at_edge(D::SPEC.variate.domain, x[0].re()) {
        Some((_, l)) => T::from(l),
        None => D::lccdf(x),
    }
}

/// log(F(U) − F(L)) of one element, `x` = `[L, U, args...]`: from the
/// complementary functions when L is in the upper half of the
/// distribution, so that an interval in the far upper tail keeps its
/// digits. −∞ when the interval has no mass, NaN when U < L.
pub fn log_mass_between<D: Univariate, T: Scalar>(x: &[T]) -> T {
    let n = x.len() - 1;
    let mut lower = [T::zero(); MAX_ARITY];
    let mut upper = [T::zero(); MAX_ARITY];
    lower[1..n].copy_from_slice(&x[2..]);
    upper[1..n].copy_from_slice(&x[2..]);
    // Integer variates: P(L <= y <= U) = F(U) − F(L − 1).
    lower[0] = if D::SPEC.is_discrete() {
        x[0] - 1.0
    } else {
        x[0]
    };
    upper[0] = x[1];
    let (lower, upper) = (&lower[..n], &upper[..n]);
    let below_lower = lcdf::<D, T>(lower);
    if below_lower.re() > -LN_2 {
        log_diff_exp(lccdf::<D, T>(lower), lccdf::<D, T>(upper))
    } else {
        log_diff_exp(lcdf::<D, T>(upper), below_lower)
    }
}

/// The summed function of one element for a kernel call (the product of
/// `_cdf` is taken as the exponential of the summed `_lcdf` by the caller).
pub fn element<D: Univariate, T: Scalar>(kind: Cumulative, x: &[T]) -> T {
    match kind {
        Cumulative::Cdf | Cumulative::Lcdf => lcdf::<D, T>(x),
        Cumulative::Lccdf => lccdf::<D, T>(x),
        Cumulative::Truncation => log_mass_between::<D, T>(x),
    }
}

/// The function summed over `n` elements of broadcast arguments, with
/// partials written as [`Univariate::lpdf_sum`] writes them.
pub fn sum<D: Univariate, T: Scalar>(
    kind: Cumulative,
    args: &[Arg<'_, T>],
    n: usize,
    d: &mut [Option<&mut [T]>],
) -> T {
    let k = args.len();
    let want = d.iter().any(Option::is_some);
    for dj in d.iter_mut().flatten() {
        dj.iter_mut().for_each(|x| *x = T::zero());
    }
    let mut x = [T::zero(); MAX_ARITY];
    let mut g = [T::zero(); MAX_ARITY];
    let mut total = T::zero();
    for i in 0..n {
        for j in 0..k {
            x[j] = args[j].get(i);
        }
        if !want {
            total += element::<D, T>(kind, &x[..k]);
            continue;
        }
        total += crate::scalar::partials(&x[..k], &mut g[..k], |y| element::<D, _>(kind, y));
        for j in 0..k {
            if let Some(dj) = &mut d[j] {
                if args[j].is_broadcast() {
                    dj[0] += g[j];
                } else {
                    dj[i] = g[j];
                }
            }
        }
    }
    total
}
